"""The practice loop with fake devices: question spoken, answer recorded and scored, follow-up, saved."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from starcoach.bank import load_bank
from starcoach.errors import StarcoachError
from starcoach.practice import choose_follow_ups
from starcoach.store import SessionStore
from starcoach.wer import normalize, word_edits
from tests.builders.bank import TINY_ANSWER
from tests.builders.practice import make_practice
from tests.fakes import ExactLiveTranscriber, TwoPassTranscriber, voiced

FOLLOW_UP_ANSWER = "I would do it again, but I would write the memo a day earlier and ask for a review gate."




def test_a_session_with_a_follow_up_is_recorded_scored_and_saved(tmp_path: Path) -> None:
    practice, speaker = make_practice(tmp_path, [voiced(40), voiced(10, 1)], TINY_ANSWER + " " + FOLLOW_UP_ANSWER,
                                      question_id="tiny", follow_ups=1)
    session = practice.run()
    assert speaker.said == ["Tell me about a time.", "Would you do it again?"]
    data = json.loads((session.path / "session.json").read_text())
    assert data["status"] == "complete" and data["question"] == "tiny" and data["level"] == "em"
    main, follow = data["answers"]
    assert main["kind"] == "main" and follow["kind"] == "follow_up" and follow["follow_up"] == "again"
    result = main["result"]
    assert [s["name"] for s in result["sections"]] == ["situation", "task", "action", "result"]
    assert all(s["word_count"] > 0 for s in result["sections"])
    assert result["words"][0]["text"] == TINY_ANSWER.split()[0]
    assert result["findings"] and 0 <= result["score"] <= 100
    # The take is on disk in full, and stopped after ~2 s of silence.
    info = sf.info(session.path / main["audio"])
    assert 40 <= info.duration <= 44
    fu = follow["result"]
    assert fu["findings"][0]["id"] == "no-choice" and fu["findings"][0]["passed"]
    assert "I would do it again" in " ".join(w["text"] for w in fu["words"])


def test_no_speech_is_a_clear_error_and_the_session_is_kept(tmp_path: Path) -> None:
    practice, _ = make_practice(tmp_path, [np.zeros(16000 * 3, dtype=np.float32)], TINY_ANSWER, question_id="tiny",
                                follow_ups=0, max_minutes=0.05)
    with pytest.raises(StarcoachError, match="no speech detected"):
        practice.run()
    (listed,) = SessionStore(tmp_path / "sessions").list()
    assert listed.status == "interrupted"


def test_follow_ups_are_suited_to_the_level(tmp_path: Path) -> None:
    bank = load_bank(Path(__file__).resolve().parent.parent / "questions")
    q = bank.question("disagree-and-commit")
    for level in q.levels:
        picked = choose_follow_ups(q, level, 3, random.Random(0))
        assert len(picked) == min(3, len([f for f in q.follow_ups if level in f.levels]))
        assert all(level in f.levels for f in picked)


def test_the_final_pass_replaces_a_misheard_live_transcript_and_rescores(tmp_path: Path) -> None:
    misheard = TINY_ANSWER.replace("2% of sessions", "two percent of sessions")  # the live chunks lost the number
    transcriber = TwoPassTranscriber(misheard + " " + FOLLOW_UP_ANSWER, finals=[TINY_ANSWER, FOLLOW_UP_ANSWER])
    practice, _ = make_practice(tmp_path, [voiced(40), voiced(10, 1)], "", transcriber=transcriber,
                                question_id="tiny", follow_ups=1, final_pass=True)
    session = practice.run()
    main, follow = json.loads((session.path / "session.json").read_text())["answers"]
    words = " ".join(w["text"] for w in main["result"]["words"])
    assert "2%" in words and "two percent" not in words  # the saved transcript is the whole-take one
    assert {f["id"]: f["passed"] for f in main["result"]["findings"]}["metric"] is True
    live_text = main["final_pass"]["live_text"]
    assert "two percent" in live_text
    assert main["final_pass"]["changed_words"] == word_edits(normalize(live_text), normalize(words)) > 0
    assert " ".join(w["text"] for w in follow["result"]["words"]) == FOLLOW_UP_ANSWER
    notes = (tmp_path / "view.txt").read_text()
    assert f"answer: final transcript differs in {main['final_pass']['changed_words']} of" in notes
    assert re.search(r"score (\d+) \u2192 (\d+) \(\+metric\)", notes)


def test_no_final_pass_when_the_live_words_are_the_whole_file_words(tmp_path: Path) -> None:
    transcriber = ExactLiveTranscriber(TINY_ANSWER, finals=["must not be used"])
    practice, _ = make_practice(tmp_path, [voiced(40)], "", transcriber=transcriber, question_id="tiny",
                                follow_ups=0, final_pass=True)
    main = json.loads((practice.run().path / "session.json").read_text())["answers"][0]
    assert "final_pass" not in main and transcriber.finals == ["must not be used"]
    assert main["live"]["whole_file_words"] is True and main["live"]["words_ready_s"] >= 0
    assert TINY_ANSWER.startswith(" ".join(w["text"] for w in main["result"]["words"]))


def test_no_final_pass_for_input_files_or_when_switched_off(tmp_path: Path) -> None:
    practice, _ = make_practice(tmp_path, [voiced(40)], TINY_ANSWER, question_id="tiny", follow_ups=0)
    session = practice.run()
    assert "final_pass" not in json.loads((session.path / "session.json").read_text())["answers"][0]
    wav = tmp_path / "answer.wav"
    sf.write(wav, voiced(40), 16000)
    transcriber = TwoPassTranscriber(TINY_ANSWER, finals=["must not be used"])
    practice, _ = make_practice(tmp_path / "b", [], "", transcriber=transcriber, question_id="tiny", follow_ups=0,
                                inputs=(wav,), final_pass=True)
    session = practice.run()
    assert "final_pass" not in json.loads((session.path / "session.json").read_text())["answers"][0]
    assert transcriber.finals == ["must not be used"]


def test_one_take_path_for_a_file_then_the_microphone(tmp_path: Path, caplog) -> None:
    """The main answer from a file given with --input, the follow-up from the microphone: one TakeResult
    each, whatever produced it; only the microphone's take is shown recording and has live figures."""
    wav = tmp_path / "answer.wav"
    sf.write(wav, voiced(40), 16000)
    practice, _ = make_practice(tmp_path / "s", [voiced(10, 1)], TINY_ANSWER + " " + FOLLOW_UP_ANSWER, question_id="tiny",
                                follow_ups=1, inputs=(wav,))
    with caplog.at_level("INFO", logger="starcoach"):
        session = practice.run()
    main, follow = json.loads((session.path / "session.json").read_text())["answers"]
    assert "live" not in main and follow["live"]["whole_file_words"] is False
    assert sf.info(session.path / main["audio"]).duration == pytest.approx(40.0)
    assert sf.info(session.path / main["audio"]).subtype == "PCM_16"
    heard = " ".join(w["text"] for w in follow["result"]["words"])
    assert heard and FOLLOW_UP_ANSWER.endswith(heard)  # the script's next words, heard live
    notes = (tmp_path / "s" / "view.txt").read_text()
    assert notes.count("recording\u2026") == 1
    # the practice benchmark reads the take's latency from this line (bench/practice_bench.py READY)
    ready = [r.getMessage() for r in caplog.records if r.getMessage().startswith("take stopped by")]
    assert re.match(r"take stopped by input; words ready [\d.]+s after the stop \(1 whole take\)$", ready[0])
    assert re.match(r"take stopped by silence; words ready [\d.]+s after the stop \(\d+ chunks\)$", ready[1])
