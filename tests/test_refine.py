"""The final pass's bookkeeping: the background worker, the transcripts it hands back, and what the
practice loop keeps of them in the session (practice.keep_final), on plain data."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from starcoach.practice import keep_final
from starcoach.practice_view import QuietView
from starcoach.records import Transcript, Word
from starcoach.refine import FinalPasses, FinalPassWorker, FinalTranscript, changed_words
from starcoach.result import AnswerResult, FollowUpResult
from starcoach.result_diff import flipped_checks, headline
from starcoach.store import SessionStore


def words(text: str) -> tuple[Word, ...]:
    return tuple(Word(t, i * 0.5, i * 0.5 + 0.4) for i, t in enumerate(text.split()))


def load(path: Path) -> np.ndarray:
    return np.zeros(16000, dtype=np.float32)


def test_changed_words_ignores_case_and_punctuation() -> None:
    assert changed_words(words("We shipped, on time."), words("we shipped on time")) == 0
    assert changed_words(words("two percent of users"), words("2% of users")) == 2


def test_headline_and_flipped_checks() -> None:
    before = {"score": 70, "findings": [{"id": "metric", "passed": False}, {"id": "pronouns", "passed": True}]}
    after = {"score": 85, "findings": [{"id": "metric", "passed": True}, {"id": "pronouns", "passed": True}]}
    before, after = AnswerResult.from_dict(before), AnswerResult.from_dict(after)
    assert headline(before) == "score 70" and flipped_checks(before, after) == ["+metric"]
    assert flipped_checks(after, before) == ["-metric"]
    follow_up = {"findings": [{"id": "a", "passed": True, "severity": "high"}, {"id": "b", "passed": False},
                              {"id": "note", "passed": False, "severity": "info"}]}
    assert headline(FollowUpResult.from_dict(follow_up)) == "checks passed 1/2"


def test_worker_runs_takes_in_order_and_keeps_errors() -> None:
    seen: list[str] = []

    def transcribe(audio: np.ndarray, on_progress=None) -> list[Word]:
        seen.append(threading.current_thread().name)
        if len(seen) == 2:
            raise RuntimeError("model\nfell over")
        return list(words("hello there"))

    worker = FinalPassWorker(transcribe, load)
    for i in range(3):
        worker.submit(i, Path(f"answer-{i}.wav"))
    worker.close()
    done = worker.wait(timeout=10)
    assert [d.index for d in done] == [0, 1, 2]
    assert [d.words is None for d in done] == [False, True, False]
    assert done[1].error == "model fell over"
    assert set(seen) == {"starcoach-final-pass"}


def test_wait_times_out_and_finished_gives_what_is_done() -> None:
    release = threading.Event()

    def slow(audio: np.ndarray, on_progress=None) -> list[Word]:
        release.wait(10)
        return []

    worker = FinalPassWorker(slow, load)
    worker.submit(0, Path("a.wav"))
    with pytest.raises(TimeoutError):
        worker.wait(timeout=0.3)
    assert worker.pending and worker.finished() == []
    release.set()
    assert [d.index for d in worker.wait(timeout=10)] == [0]


def test_cancel_stops_a_pass_at_its_next_segment_and_waits_for_the_thread() -> None:
    segments = []

    def endless(audio: np.ndarray, on_progress=None) -> list[Word]:
        while True:  # one "segment" every 10 ms until on_progress raises
            time.sleep(0.01)
            segments.append(1)
            on_progress(len(segments) * 1.0)

    worker = FinalPassWorker(endless, load)
    worker.submit(0, Path("a.wav"))
    worker.submit(1, Path("b.wav"))
    while not segments:
        time.sleep(0.01)
    worker.cancel(timeout=5)
    assert not worker._thread.is_alive()
    assert [(p.index, p.error) for p in worker.finished()] == [(0, "cancelled"), (1, "cancelled")]


class Setup:
    def __init__(self, tmp_path: Path, final_text: str | Exception, live_text: str = "we shipped on time") -> None:
        self.session = SessionStore(tmp_path / "sessions").create(question_id="q", question_text="Q?", level="em",
                                                                  source="practice")
        self.session.add_answer({"kind": "main", "result": {"score": 50, "findings": []}})
        self.view_file = tmp_path / "view.txt"
        self.view = QuietView(Console(file=open(self.view_file, "w"), width=200))

        def transcribe(audio: np.ndarray, on_progress=None) -> list[Word]:
            if isinstance(final_text, Exception):
                raise final_text
            return list(words(final_text))

        self.final = FinalPasses(type("T", (), {"transcribe": staticmethod(transcribe)})(), self.view, load=load)
        self.live = Transcript(words(live_text), 10.0, source="answer-0.wav", model="fake")
        self.rescored: list[Transcript] = []

        def rescore(t: Transcript) -> dict:
            self.rescored.append(t)
            return {"score": 60, "findings": [], "words": [w.text for w in t.words]}

        self.rescore = rescore
        self.final.submit(0, self.session.audio_path(0), self.live)

    def apply(self, rescore=None) -> list[FinalTranscript]:
        """What the practice loop does once the session is finished: collect, rescore, keep."""
        collected = self.final.collect()
        for done in collected:
            keep_final(self.session, done, rescore or self.rescore, self.view)
        return collected

    def notes(self) -> str:
        self.view.console.file.flush()
        return self.view_file.read_text()


def test_a_matching_final_pass_keeps_the_live_result(tmp_path: Path) -> None:
    s = Setup(tmp_path, "We shipped on time.")
    (done,) = s.apply()
    assert done.changed_words == 0 and done.final is not None and done.error is None
    answer = s.session.answers[0]
    assert answer["result"] == {"score": 50, "findings": []} and s.rescored == []
    assert answer["final_pass"]["changed_words"] == 0
    assert "answer: final transcript matches the live one (score 50)" in s.notes()


def test_a_different_final_pass_is_rescored_and_saved(tmp_path: Path) -> None:
    s = Setup(tmp_path, "we shipped early on time")
    (done,) = s.apply()
    assert [w.text for w in done.final.words] == ["we", "shipped", "early", "on", "time"] and done.live is s.live
    answer = SessionStore(tmp_path / "sessions").load(s.session.id).answers[0]  # saved, not only in memory
    assert answer["result"]["words"] == ["we", "shipped", "early", "on", "time"]
    assert answer["final_pass"]["changed_words"] == 1
    assert answer["final_pass"]["live_text"] == "we shipped on time"
    assert s.rescored[0].duration_s == 10.0 and s.rescored[0].source == "answer-0.wav"
    assert "differs in 1 of 4 words; score 50 \u2192 60" in s.notes()


@pytest.mark.parametrize("final", [RuntimeError("out of memory"), ""])
def test_a_failed_or_empty_final_pass_keeps_the_live_transcript(tmp_path: Path, final) -> None:
    s = Setup(tmp_path, final)
    (done,) = s.apply()
    assert done.final is None and done.error
    assert s.session.answers[0]["result"] == {"score": 50, "findings": []}
    assert "final pass failed" in s.notes() and "the live transcript is kept" in s.notes()


def test_ctrl_c_while_waiting_keeps_the_live_transcript(tmp_path: Path, monkeypatch) -> None:
    s = Setup(tmp_path, "we shipped early on time")
    s.final._worker.wait(timeout=10)  # this take's pass is done: it is kept even when the wait is cut short
    slow_started = threading.Event()

    def endless(audio: np.ndarray, on_progress=None) -> list[Word]:
        slow_started.set()
        while True:
            time.sleep(0.01)
            on_progress(1.0)

    s.session.add_answer({"kind": "follow_up", "follow_up": "f", "text": "F?", "result": {"findings": []}})
    s.final._worker._transcribe = endless
    s.final.submit(1, s.session.audio_path(1), s.live)
    slow_started.wait(5)

    def interrupted(timeout=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(s.final._worker, "wait", interrupted)
    s.apply(lambda t: {"findings": []})
    assert s.session.answers[0]["final_pass"]["changed_words"] == 1  # done before Ctrl-C: applied
    assert "final_pass" not in s.session.answers[1]  # cut short: the live result stays
    assert not s.final._worker._thread.is_alive()
    assert "skipped" in s.notes()
