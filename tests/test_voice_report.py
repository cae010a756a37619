"""The voice of an answer through the rest of starcoach: the JSON contract ("voice"), the saved
session, the HTML report's contour and marks, replay, rescoring, progress, and the practice loop; and
sessions saved before "voice" existed still load everywhere."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from starcoach import progress
from starcoach.answer_view import terminal_report
from starcoach.bank import load_bank
from starcoach.cli import app
from starcoach.pitch_track import YinTracker
from starcoach.replay import load_answer, transcript_view
from starcoach.replay_rescore import rescore
from starcoach.report_files import render_html
from starcoach.result import AnswerResult, result_of_answer
from starcoach.scoring import score_transcript
from starcoach.store import SessionStore
from starcoach.voice import from_audio
from tests.builders.audio import RATE, harmonic, syllables
from tests.builders.cli import runner
from tests.builders.page import Page
from tests.builders.sessions import QUESTION_ID, SPOKEN_ANSWER, T0, make_session, spoken
from tests.builders.voice import UH_AFTER, voiced_session, voiced_words, with_gap


@pytest.fixture(scope="module")
def voiced_answer():
    transcript = with_gap(spoken(SPOKEN_ANSWER), UH_AFTER)
    flat_from = transcript.words[-20].start
    audio = voiced_words(transcript, flat_from=flat_from)
    return transcript, audio




def test_the_scored_answer_carries_its_voice_in_the_json_contract(voiced_answer) -> None:
    transcript, audio = voiced_answer
    bank = load_bank()
    q = bank.question(QUESTION_ID)
    scored = score_transcript(transcript, q, "em", bank.rubric, voice=from_audio(audio, YinTracker()))
    plain = score_transcript(transcript, q, "em", bank.rubric)
    d = result_of_answer(scored, question_text=q.question).to_dict()
    assert "voice" not in result_of_answer(plain).to_dict()  # typed text and callers without audio: no key
    assert {k: v for k, v in d.items() if k != "voice"} == result_of_answer(plain, question_text=q.question).to_dict()  # nothing else moves
    v = json.loads(json.dumps(d["voice"], allow_nan=False))
    assert v["tracker"] == "yin (numpy)" and v["measured"] is True
    assert set(v["sections"]) == {"situation", "task", "action", "result"}
    assert 0.5 < v["overall"]["pitch_variation_st"] < 5 and v["overall"]["variation_quotient"] > 0
    # the flat ending is a monotone stretch, tied to the sentences said over it
    assert v["monotone"] and v["monotone"][-1]["end"] == pytest.approx(transcript.words[-1].end, abs=0.05)
    assert v["monotone"][-1]["sentence"].endswith("rather than only the risk.")
    # the "uh" in the pause after word 12 is heard, and Whisper's "Um," is there too
    heard = [h for h in v["hesitations"] if h["source"] == "voice"]
    assert len(heard) == 1 and transcript.words[UH_AFTER].end < heard[0]["start"] < transcript.words[UH_AFTER + 1].start
    assert any(h["source"] == "words" and h["text"].lower().startswith("um") for h in v["hesitations"])
    assert v["hesitation_count"] == len(v["hesitations"]) and v["hesitations_acoustic"] == 1
    c = v["contour"]
    assert c["step_s"] > 0 and len(c["pitch_hz"]) == len(c["loudness_db"]) > 100
    out = Console(width=200, record=True)
    out.print(terminal_report(scored))
    text = out.export_text()
    assert "Voice" in text and "pitch variation" in text and "1 heard, not in the words" in text


def test_the_report_draws_the_contour_with_marks_that_play(voiced_answer) -> None:
    session = voiced_session(*voiced_answer)
    html = render_html(session.data, {0: "data:audio/wav;base64,AA=="})
    p = Page(html)
    charts = p.find("svg", "voice")
    assert len(charts) == 2  # the main answer and the follow-up
    assert p.find("polyline", "pitch-line") and p.find("polygon", "loud-area")
    mono = p.find("g", "mono")
    hes = p.find("g", "hes")
    assert mono and hes
    for g in mono + hes:
        assert float(g["data-end"]) > float(g["data-seek"]) >= 0
    chips = p.find("button", "hes-chip")
    assert len(chips) == 1 and float(chips[0]["data-seek"]) > 0
    assert "voice-table" in html and "Flat pitch" in html and "Hesitations" in html


def test_the_markdown_report_has_the_voice(voiced_answer) -> None:
    from starcoach.report_markdown import render_markdown

    session = voiced_session(*voiced_answer)
    text = render_markdown(session.data, {})
    assert "### Voice" in text and "| whole answer |" in text and "- flat pitch [" in text
    assert "(filled pause)" in text and "Um," in text


def test_replay_shows_hesitations_and_the_voice_line(voiced_answer) -> None:
    session = voiced_session(*voiced_answer)
    out = Console(width=200, record=True)
    out.print(transcript_view(load_answer(session.id, 0)))
    text = out.export_text()
    assert "\u27e8hesitation 0.3s\u27e9" in text
    assert "Voice" in text and "pitch variation" in text and "flat pitch" in text


def test_rescore_keeps_the_voice_from_the_stored_contour(voiced_answer) -> None:
    session = voiced_session(*voiced_answer)
    stored = session.answers[0]["result"]["voice"]
    again = rescore(load_answer(session.id, 0), load_bank())
    v = again.result.voice
    assert v["overall"]["pitch_variation_st"] == pytest.approx(stored["overall"]["pitch_variation_st"], abs=0.02)
    assert [h["start"] for h in v["hesitations"]] == [h["start"] for h in stored["hesitations"]]
    assert v["monotone"] == stored["monotone"]
    assert not again.diff.changed


def test_progress_charts_pitch_variation_and_hesitations_with_older_sessions_as_gaps(voiced_answer) -> None:
    transcript, audio = voiced_answer
    make_session(T0)  # typed, before the voice existed: no "voice" key
    voiced_session(transcript, audio, when=T0 + timedelta(days=1))
    voiced_session(transcript, voiced_words(transcript, flat_from=0.0, uh_after=None), when=T0 + timedelta(days=2))
    points = progress.progress_points(question=QUESTION_ID)
    assert points[0].values["pitch_variation"] is None and points[0].values["hesitations"] is None
    assert points[1].values["pitch_variation"] > points[2].values["pitch_variation"]
    assert points[1].values["hesitations"] > points[2].values["hesitations"] > 0  # the written "Um," remains
    for metric in ("pitch_variation", "hesitations"):
        result = runner.invoke(app, ["progress", "--metric", metric])
        assert result.exit_code == 0, result.output
        assert progress.METRICS[metric].label.capitalize() in result.output
    chart = runner.invoke(app, ["progress", "--metric", "pitch_variation"]).output
    assert f"{points[1].values['pitch_variation']:.1f} st" in chart and "\u2013" in chart
    table = runner.invoke(app, ["progress"]).output
    assert "pitch variation" in table and "hesitations" in table


def test_sessions_saved_before_the_voice_still_load_everywhere() -> None:
    session = make_session(T0)
    data = json.loads((session.path / "session.json").read_text())
    assert "voice" not in data["answers"][0]["result"]
    page = render_html(data, {})
    assert 'class="chart voice"' not in page and "voice-table" not in page
    out = Console(width=200, record=True)
    out.print(transcript_view(load_answer(session.id, 0)))
    assert "Voice" not in out.export_text()
    assert "voice" not in rescore(load_answer(session.id, 0), load_bank()).result.to_dict()
    # a damaged "voice" is read as no voice, never an exception
    data["answers"][0]["result"]["voice"] = {"contour": {"step_s": "x"}, "hesitations": "no", "overall": 3}
    render_html(data, {})
    progress.point_from_result("x", T0, QUESTION_ID, AnswerResult.from_dict(data["answers"][0]["result"]))


def test_practice_measures_the_voice_of_each_take(tmp_path: Path) -> None:
    from starcoach.practice import Practice, PracticeOptions
    from starcoach.practice_view import QuietView
    from tests.builders.bank import TINY_ANSWER as SCRIPT
    from tests.builders.bank import write_bank
    from tests.fakes import FakeMicrophone, FakeSpeaker, ScriptTranscriber

    take = np.concatenate([syllables(harmonic(lambda t: 120 * 2 ** (np.sin(t) * 3 / 12), 20.0)),
                           np.zeros(3 * RATE, dtype=np.float32)])
    bank = load_bank(write_bank(tmp_path / "bank"))
    practice = Practice(bank, PracticeOptions(silence_s=2.0, question_id="tiny", follow_ups=0, final_pass=False),
                        speaker=FakeSpeaker(), microphone=FakeMicrophone([take]), transcriber=ScriptTranscriber(SCRIPT),
                        store=SessionStore(tmp_path / "sessions"),
                        view=QuietView(Console(file=open(tmp_path / "view.txt", "w"), width=120)),
                        rng=random.Random(1), tracker=YinTracker())
    session = practice.run()
    v = session.answers[0]["result"]["voice"]
    assert v["tracker"] == "yin (numpy)" and v["measured"] and v["overall"]["mean_f0_hz"] == pytest.approx(120, rel=0.1)
    # tracked while recording: the contour of tracking the saved take afterwards, to the bit
    from starcoach.audio import load_audio
    from starcoach.records import Section
    from starcoach.replay import load_answer
    from starcoach.replay_rescore import stored_transcript

    stored = load_answer(session.id, 0, SessionStore(tmp_path / "sessions"))
    words = list(stored_transcript(stored).words)
    whole = [Section("answer", tuple(words), words[0].start, words[-1].end)]
    after = from_audio(load_audio(stored.audio), YinTracker())(words, whole, ())
    assert after.to_dict()["contour"] == v["contour"]
