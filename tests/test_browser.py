"""The report page in real headless Chromium, opened from a file:// URL as a candidate would open it:
it loads without console errors or network requests, clicking a word or a finding's evidence seeks
the recording, and a screenshot is kept ($STARCOACH_SCREENSHOT, else the test's tmp folder)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from starcoach.archive import export_session
from starcoach.report_files import write_report
from starcoach.store import Session
from tests.browser import Browser, assert_quiet, click_to_seek, open_page
from tests.builders.sessions import audio_session, typed_session

pytestmark = pytest.mark.browser

def test_report_page_plays_from_the_words_and_the_evidence(browser: Browser, tmp_path: Path) -> None:
    session = audio_session()
    page = write_report(session, output=tmp_path / "report.html")
    open_page(browser, page)
    assert browser.js("document.querySelectorAll('#answer-0 .w').length") == len(session.answers[0]["result"]["words"])
    browser.wait_for("[...document.querySelectorAll('audio')].every(a => a.readyState >= 1)")
    assert browser.js("document.querySelector('#answer-0 audio').duration") == pytest.approx(session.answers[0]["result"]["duration_s"], abs=0.2)

    # a word in the middle of the action
    words = session.answers[0]["result"]["words"]
    i = next(n for n, w in enumerate(words) if w["section"] == "action") + 5
    assert click_to_seek(browser, f"#answer-0 .w[data-start='{words[i]['start']:.2f}']", 0) == pytest.approx(words[i]["start"], abs=0.05)
    assert browser.js("document.querySelector('#answer-0 .w.now').dataset.start") == f"{words[i]['start']:.2f}"

    # as it plays, the highlight follows the words
    browser.click(f"#answer-0 .w[data-start='{words[i]['start']:.2f}']")
    browser.wait_for(f"+document.querySelector('#answer-0 .w.now').dataset.start > {words[i + 1]['start']}", timeout=10)
    browser.js("document.querySelector('#answer-0 audio').pause()")

    # a finding's evidence seeks to the quote and marks its words in the transcript
    start, end = browser.js("(q => [+q.dataset.seek, +q.dataset.end])(document.querySelector('#answer-0 .feedback .quote'))")
    assert click_to_seek(browser, "#answer-0 .feedback .quote", 0) == pytest.approx(start, abs=0.05)
    quoted = [w["start"] for w in words if w["start"] >= start - 0.01 and w["end"] <= end + 0.01]
    assert browser.js("[...document.querySelectorAll('#answer-0 .w.flash')].map(w => +w.dataset.start)") == quoted != []

    # a hedge heard, from the delivery card
    hedge = session.answers[0]["result"]["delivery"]["hedges"][0]
    assert click_to_seek(browser, f"#answer-0 .delivery .quote[data-seek='{hedge['start']:.2f}']", 0) == pytest.approx(hedge["start"], abs=0.05)
    assert browser.js("[...document.querySelectorAll('#answer-0 .w.flash')].map(w => w.textContent).join(' ')") == hedge["text"]

    # the follow-up has its own player; clicking there seeks that one
    fu_words = session.answers[1]["result"]["words"]
    assert click_to_seek(browser, f"#answer-1 .w[data-start='{fu_words[3]['start']:.2f}']", 1) == pytest.approx(fu_words[3]["start"], abs=0.05)

    # the long pause on the speech strip seeks to where it starts
    pause = session.answers[0]["result"]["delivery"]["long_pauses"][0]
    assert click_to_seek(browser, "#answer-0 .pause-chip", 0) == pytest.approx(pause["start"], abs=0.05)

    assert_quiet(browser)
    browser.js("window.scrollTo(0, 0)")
    shot = Path(os.environ.get("STARCOACH_SCREENSHOT") or tmp_path / "report.png")
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_typed_answer_page_works_without_audio(browser: Browser, tmp_path: Path) -> None:
    session = typed_session()
    page = write_report(session, output=tmp_path / "typed.html")
    open_page(browser, page)
    assert browser.js("document.querySelectorAll('audio').length") == 0
    words = session.answers[0]["result"]["words"]
    browser.click(f"#answer-0 .w[data-start='{words[10]['start']:.2f}']")
    assert browser.js("document.querySelector('#answer-0 .w.now').dataset.start") == f"{words[10]['start']:.2f}"
    browser.click("#answer-0 .quote")
    assert "estimated" in browser.js("document.querySelector('.player').textContent")
    assert_quiet(browser)


def test_exported_report_plays_the_recordings_beside_it(browser: Browser, tmp_path: Path) -> None:
    session: Session = audio_session()
    with zipfile.ZipFile(export_session(session.id, tmp_path)) as zf:
        zf.extractall(tmp_path / "unzipped")
    open_page(browser, tmp_path / "unzipped" / session.id / "report.html")
    browser.wait_for("[...document.querySelectorAll('audio')].every(a => a.readyState >= 1)")
    words = session.answers[0]["result"]["words"]
    assert click_to_seek(browser, f"#answer-0 .w[data-start='{words[7]['start']:.2f}']", 0) == pytest.approx(words[7]["start"], abs=0.05)
    assert_quiet(browser)
