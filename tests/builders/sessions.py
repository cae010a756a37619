"""Saved sessions made by really scoring answers: typed, "spoken" (typed with times) and with WAVs."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import soundfile as sf

from starcoach.bank import Bank, load_bank
from starcoach.records import Transcript, Word
from starcoach.result import result_of_answer, result_of_follow_up
from starcoach.scoring import score_follow_up, score_text, score_transcript, transcript_from_text
from starcoach.store import Session, SessionStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
QUESTION_ID = "disagree-and-commit"
SCORED_ANSWER = (
    "Our team was two weeks from a launch when I found that the new vendor returned ambiguous results under load. "
    "Um, I owned the integration and needed to decide whether to ask for a delay. "
    "I wrote a one page memo for my director with the traces and a proposal. She decided to ship on time. "
    "I briefed my team on the plan and I added monitoring and a rollback runbook. "
    "We launched on schedule and 2% of sessions hit the fallback, all resolved within an hour. "
    "I learned to frame the trade-off rather than only the risk."
)
SCORED_FOLLOW_UP = ("team-found-out", "They only heard the plan from me. Later I told my team I disagreed, as a lesson.")


@functools.lru_cache(maxsize=4)
def _bank(folder: str | None) -> Bank:
    return load_bank(None if folder is None else Path(folder))


def bank() -> Bank:
    """The bank STARCOACH_QUESTIONS names now (the shipped one in these tests), loaded once."""
    return _bank(os.environ.get("STARCOACH_QUESTIONS"))


def scored_result(text: str = SCORED_ANSWER, *, question: str = QUESTION_ID, wpm: float = 150.0) -> dict:
    q = bank().question(question)
    return result_of_answer(score_text(text, q, None, bank().rubric, wpm=wpm), question_text=q.question).to_dict()


def follow_up_result(follow_up_id: str, text: str, *, question: str = QUESTION_ID) -> dict:
    q = bank().question(question)
    fu = q.follow_up(follow_up_id)
    return result_of_follow_up(score_follow_up(transcript_from_text(text), q, fu, None), text=fu.text).to_dict()


def make_session(when: datetime = T0, *, text: str = SCORED_ANSWER, question: str = QUESTION_ID, wpm: float = 150.0,
                 audio: np.ndarray | None = None, follow_up: tuple[str, str] | None = None) -> Session:
    """A finished session: its main answer scored from `text` (typed, or with `audio` as its recording),
    and a scored follow-up when `follow_up` is (follow-up id, text)."""
    store = SessionStore()
    q = bank().question(question)
    session = store.create(question_id=q.id, question_text=q.question, level=q.default_level,
                           source="practice" if audio is not None else "score", now=when)
    if audio is not None:
        sf.write(session.audio_path(0), audio, 16000)
    session.add_answer({"kind": "main", "audio": session.audio_path(0).name if audio is not None else None,
                        "result": scored_result(text, question=question, wpm=wpm)})
    if follow_up is not None:
        fu = q.follow_up(follow_up[0])
        session.add_answer({"kind": "follow_up", "follow_up": fu.id, "text": fu.text, "audio": None,
                            "result": follow_up_result(*follow_up, question=question)})
    session.finish()
    return session


SPOKEN_ANSWER = (
    "Our team was two weeks from a launch when I found that the new vendor returned ambiguous results under load. "
    "Um, I owned the integration and needed to decide whether to ask for a delay. "
    "I think I wrote a one page memo for my director with the traces and a proposal. She decided to ship on time. "
    "I briefed my team on the plan and I added monitoring and a rollback runbook. "
    "We launched on schedule and 2% of sessions hit the fallback, all resolved within an hour. "
    "I learned to frame the trade-off rather than only the risk."
)
SPOKEN_FOLLOW_UP = "I never told them. My concerns went to my manager before the decision, and the team only heard the plan."
PAUSE_AT = 30  # a 2.4 s pause after this word of the spoken answer


def spoken(text: str, *, pause_after: int | None = None, lead: float = 0.6) -> Transcript:
    """Typed text with its estimated word times, passed off as a recording: shifted by a lead-in, with one long
    pause, and not marked estimated. (The audio need not match the words for a report.)"""
    typed = transcript_from_text(text)
    words = tuple(Word(w.text, w.start + lead + (2.4 if pause_after is not None and i > pause_after else 0.0),
                       w.end + lead + (2.4 if pause_after is not None and i > pause_after else 0.0))
                  for i, w in enumerate(typed.words))
    return Transcript(words, words[-1].end + 0.8, estimated=False, source="answer.wav", model="base")


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    t = np.arange(int(rate * seconds)) / rate
    sf.write(path, (0.05 * np.sin(2 * np.pi * 220 * t)).astype("float32"), rate, subtype="PCM_16")


def audio_session(store: SessionStore | None = None) -> Session:
    """A practice session: a spoken main answer and one spoken follow-up, each with its WAV."""
    bank = load_bank()
    q = bank.question(QUESTION_ID)
    session = (store or SessionStore()).create(question_id=q.id, question_text=q.question, level="em", source="practice")
    main = spoken(SPOKEN_ANSWER, pause_after=PAUSE_AT)
    write_wav(session.audio_path(0), main.duration_s)
    session.add_answer({"kind": "main", "result": result_of_answer(score_transcript(main, q, "em", bank.rubric), question_text=q.question).to_dict()})
    fu = q.follow_up("team-found-out")
    second = spoken(SPOKEN_FOLLOW_UP)
    write_wav(session.audio_path(1), second.duration_s)
    session.add_answer({"kind": "follow_up", "follow_up": fu.id, "text": fu.text,
                        "result": result_of_follow_up(score_follow_up(second, q, fu, "em"), text=fu.text).to_dict()})
    session.finish("complete")
    return session


def typed_session(store: SessionStore | None = None, text: str = SPOKEN_ANSWER, question_text: str | None = None) -> Session:
    """`starcoach score answer.txt --save`: one typed answer, times estimated, no audio."""
    bank = load_bank()
    q = bank.question(QUESTION_ID)
    shown = question_text or q.question
    session = (store or SessionStore()).create(question_id=q.id, question_text=shown, level="em", source="score")
    session.add_answer({"kind": "main", "audio": None, "result": result_of_answer(score_text(text, q, "em", bank.rubric), question_text=shown).to_dict()})
    session.finish("complete")
    return session
