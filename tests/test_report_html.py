"""The session report as a page and as Markdown, on real sessions saved by the store
(tests/builders/sessions.py)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from starcoach.errors import StarcoachError
from starcoach.report_files import render_html, write_report
from starcoach.report_markdown import render_markdown
from starcoach.store import Session
from tests.builders.page import Page
from tests.builders.sessions import SPOKEN_ANSWER, audio_session, typed_session

HOSTILE = 'We shipped <script>alert("x")</script> and "quotes" & <b>tags</b> onmouseover="alert(1)" later.'












@pytest.fixture
def spoken_session() -> Session:
    return audio_session()


@pytest.fixture
def page(spoken_session: Session) -> str:
    return write_report(spoken_session).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the page


def test_every_word_is_a_span_with_its_times(spoken_session: Session, page: str) -> None:
    parsed = Page(page)
    spans = parsed.find("span", "w")
    words = [w for a in spoken_session.answers for w in a["result"]["words"]]
    assert len(spans) == len(words) > 80
    assert [(s["data-start"], s["data-end"]) for s in spans] == [(f"{w['start']:.2f}", f"{w['end']:.2f}") for w in words]
    # main answer words carry their section, and the transcript has a heading per section
    main = spoken_session.answers[0]["result"]["words"]
    assert [s["class"].split()[1] for s in spans[: len(main)]] == [f"s-{w['section']}" for w in main]
    assert len(parsed.find("h4", "sec-h")) == 4


def test_every_finding_is_shown_and_its_evidence_seeks(spoken_session: Session, page: str) -> None:
    parsed = Page(page)
    seeks = {a["data-seek"] for a in parsed.find("button", "quote")}
    ids = {a.get("data-id") for _, a in parsed.elements if a.get("data-id")}
    for entry in spoken_session.answers:
        for f in entry["result"]["findings"]:
            if f["severity"] == "info" and not f["passed"]:
                continue  # fluency signals not heard are not shown, as in the terminal
            assert f["id"] in ids
            for e in f["evidence"][:1]:
                assert f"{e['start']:.2f}" in seeks
    failed = [f for f in spoken_session.answers[0]["result"]["findings"] if not f["passed"] and f["severity"] != "info"]
    assert failed, "the test answer should have something to work on"
    # the hedge and the filler are evidence, quoted with their times
    assert '<q>I think</q>' in page and '<span class="ts">0:08</span><q>Um,</q>' in page


def test_evidence_words_are_marked_in_the_transcript() -> None:
    session = typed_session(text=SPOKEN_ANSWER.replace("I owned the integration", "I guess I was honest with my senior engineers about my concerns and I owned it"))
    words = session.answers[0]["result"]["words"]
    failed = [f for f in session.answers[0]["result"]["findings"] if not f["passed"] and f["severity"] != "info" and f["category"] != "timing" and f["evidence"]]
    assert failed
    marked = {(s["data-start"]) for s in Page(write_report(session).read_text()).find("span", "ev")}
    e = failed[0]["evidence"][0]
    inside = [f"{w['start']:.2f}" for w in words if w["start"] >= e["start"] - 0.01 and w["end"] <= e["end"] + 0.01]
    assert inside and set(inside) <= marked


def test_timeline_has_both_bars_with_section_colours_and_times(spoken_session: Session, page: str) -> None:
    svg = re.search(r'<svg class="chart timeline".*?</svg>', page, re.S).group(0)
    assert "Your answer" in svg and "Target" in svg
    for colour in ("#3b82f6", "#8b5cf6", "#16a34a", "#f59e0b"):  # situation, task, action, result
        assert svg.count(f'fill="{colour}"') == 2
    result = spoken_session.answers[0]["result"]
    assert "4:00\u20135:00" in svg  # the target length
    assert f"{result['total']['speaking_s'] // 60:.0f}:{round(result['total']['speaking_s']) % 60:02d}" in svg
    assert 'class="pause-mark"' in svg  # the long pause on the timeline
    assert 'class="sections"' in page and "short \u2212" in page  # the section time table with verdicts


def test_delivery_charts_are_inline_svg(page: str) -> None:
    for chart in ("pace", "rates", "strip"):
        assert f'<svg class="chart {chart}' in page
    assert "comfortable 110\u2013185" in page
    assert 'class="pause-band"' in page and "2.4s" in page
    assert "<img" not in page and "<canvas" not in page


def test_audio_is_embedded_as_a_data_uri(spoken_session: Session, page: str) -> None:
    sources = [a["src"] for a in Page(page).find("audio")]
    assert len(sources) == 2
    for i, src in enumerate(sources):
        assert src.startswith("data:audio/wav;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == spoken_session.audio_path(i).read_bytes()


def test_page_refers_to_nothing_outside_itself(page: str) -> None:
    parsed = Page(page)
    assert "http://" not in page and "https://" not in page
    for tag, attrs in parsed.elements:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:60])
    assert not [t for t, a in parsed.elements if t in ("link", "iframe", "object", "embed", "img", "base")]


def test_script_and_style_are_allowed_by_the_pages_own_policy(page: str) -> None:
    parsed = Page(page)
    csp = next(a["content"] for a in parsed.find("meta") if a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "unsafe" not in csp
    for kind, texts in (("script", parsed.scripts), ("style", parsed.styles)):
        assert len(texts) == 1
        digest = base64.b64encode(hashlib.sha256(texts[0].encode()).digest()).decode()
        assert f"{kind}-src 'sha256-{digest}'" in csp


def test_user_text_is_escaped() -> None:
    session = typed_session(text=SPOKEN_ANSWER + " " + HOSTILE, question_text='Why </title><script>alert(2)</script>?')
    page = write_report(session).read_text(encoding="utf-8")
    assert page.count("<script") == 1  # ours
    assert "alert(2)" in page and "&lt;/title&gt;&lt;script&gt;" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>tags" not in page and "&lt;b&gt;tags&lt;/b&gt;" in page
    assert ' onmouseover="' not in page
    texts = [a for a in Page(page).find("span", "w")]
    assert len(texts) == len(session.answers[0]["result"]["words"])


def test_typed_answer_page_has_no_player_and_says_times_are_estimated() -> None:
    session = typed_session()
    page = write_report(session).read_text(encoding="utf-8")
    assert "<audio" not in page
    assert "estimated" in page and 'data-estimated="true"' in page
    assert len(Page(page).find("span", "w")) == len(session.answers[0]["result"]["words"])


def test_unscored_and_odd_answers_still_render() -> None:
    data = {"id": "x", "question_text": "Q?", "level": "em", "created": "2026-11-24T14:30:12+00:00", "status": "interrupted",
            "answers": [{"kind": "main", "audio": "answer-0.wav", "result": None},
                        {"kind": "follow_up", "text": "Why?", "audio": None,
                         "result": {"words": [{"text": "ok", "start": "bad", "end": None}, 3], "findings": "nope",
                                    "delivery": [], "speaking_s": float("nan")}}]}
    page = render_html(data, {})
    assert "Not scored" in page and "interrupted" in page and "Why?" in page
    assert "Not scored" in render_markdown(data, {})


# --------------------------------------------------------------------------- files


def test_report_goes_in_the_session_folder_by_default_and_can_link_the_audio(spoken_session: Session, tmp_path: Path) -> None:
    assert write_report(spoken_session) == spoken_session.path / "report.html"
    inside = write_report(spoken_session, embed_audio=False).read_text(encoding="utf-8")
    assert [a["src"] for a in Page(inside).find("audio")] == ["answer-0.wav", "answer-1.wav"]
    # elsewhere, --no-embed copies the recordings beside the page
    (tmp_path / "out").mkdir()
    out = write_report(spoken_session, output=tmp_path / "out", embed_audio=False)
    assert out == tmp_path / "out" / "report.html"
    assert [a["src"] for a in Page(out.read_text()).find("audio")] == ["report-answer-0.wav", "report-answer-1.wav"]
    assert (tmp_path / "out" / "report-answer-0.wav").read_bytes() == spoken_session.audio_path(0).read_bytes()
    with pytest.raises(StarcoachError, match="no folder"):
        write_report(spoken_session, output=tmp_path / "missing" / "r.html")


def test_markdown_has_the_same_content(spoken_session: Session, tmp_path: Path) -> None:
    path = write_report(spoken_session, fmt="markdown")
    assert path == spoken_session.path / "report.md"
    md = path.read_text(encoding="utf-8")
    result = spoken_session.answers[0]["result"]
    assert md.startswith("# Tell me about a time you disagreed")
    assert "Recording: [answer-0.wav](answer-0.wav)" in md and "(answer-1.wav)" in md
    assert "| section | from | time | target | verdict |" in md
    for s in result["sections"]:
        assert f"| {s['name'].capitalize()} |" in md
    for f in result["findings"]:
        if not f["passed"] and f["severity"] != "info":
            assert f["message"] in md.replace("\\", "")
    assert "[0:17] \u201cI think\u201d" in md and "2.4s pause" in md
    # the transcript: a [m:ss] marker per sentence, under section headings
    assert "**Situation**" in md and "[0:01] Our team was two weeks" in md
    assert md.count("[0:") >= 8
    assert "Follow-up 1: How did your team find out you had disagreed?" in md
    elsewhere = write_report(spoken_session, fmt="markdown", output=tmp_path / "r.md").read_text()
    assert "Recording: [r-answer-0.wav](r-answer-0.wav)" in elsewhere and (tmp_path / "r-answer-0.wav").is_file()


def test_markdown_escapes_user_text() -> None:
    md = render_markdown(typed_session(text=SPOKEN_ANSWER + " A | pipe, *stars* and [a link](http://x).").data)
    assert "A \\| pipe, \\*stars\\* and \\[a link\\](http://x)." in md
    assert "Typed answer: times are estimated" in md


def test_session_json_is_not_changed_by_a_report(spoken_session: Session) -> None:
    before = (spoken_session.path / "session.json").read_bytes()
    write_report(spoken_session)
    write_report(spoken_session, fmt="markdown")
    assert (spoken_session.path / "session.json").read_bytes() == before
    assert json.loads(before)["answers"][0]["audio"] == "answer-0.wav"
