"""The voice contour in real headless Chromium: clicking a flat-pitch stretch, a hesitation mark or a
hesitation chip in the transcript plays the recording from there."""

from __future__ import annotations

from pathlib import Path

import pytest

from starcoach.report_files import write_report
from tests.browser import Browser, assert_quiet, click_to_seek, open_page
from tests.builders.sessions import SPOKEN_ANSWER, spoken
from tests.builders.voice import UH_AFTER, voiced_session, voiced_words, with_gap

pytestmark = pytest.mark.browser


def test_flat_stretches_and_hesitations_play_when_clicked(browser: Browser, tmp_path: Path) -> None:
    transcript = with_gap(spoken(SPOKEN_ANSWER), UH_AFTER)
    session = voiced_session(transcript, voiced_words(transcript, flat_from=transcript.words[-20].start))
    voice = session.answers[0]["result"]["voice"]
    page = write_report(session, output=tmp_path / "report.html")
    open_page(browser, page)
    browser.wait_for("[...document.querySelectorAll('#answer-0 audio')].every(a => a.readyState >= 1)")
    flat = voice["monotone"][0]
    assert click_to_seek(browser, "#answer-0 svg.voice g.mono", 0) == pytest.approx(flat["start"], abs=0.05)
    heard = next(h for h in voice["hesitations"] if h["source"] == "voice")
    at = browser.js("+document.querySelector('#answer-0 .hes-chip').dataset.seek")
    assert at == pytest.approx(max(0.0, heard["start"] - 0.3), abs=0.01)
    assert click_to_seek(browser, "#answer-0 .hes-chip", 0) == pytest.approx(at, abs=0.05)
    first = voice["hesitations"][0]
    assert click_to_seek(browser, "#answer-0 svg.voice g.hes", 0) == pytest.approx(max(0.0, first["start"] - 0.3), abs=0.05)
    assert_quiet(browser)
