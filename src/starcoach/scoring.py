"""Score one answer: words -> STAR sections -> timings and delivery -> rubric findings -> score.

The same function scores a recording's transcript, typed text (times estimated) and, later, a saved
session's stored words, so every path gives the same result for the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starcoach.bank import FollowUp, Question, Rubric
from starcoach.delivery import Delivery, measure_delivery
from starcoach.errors import StarcoachError
from starcoach.records import Finding, Score, Section, Transcript, Word
from starcoach.rubric import AnswerContext, run_checks, score
from starcoach.star import order_problems, split_sections
from starcoach.timing import DEFAULT_WPM, Timing, estimate_word_times, time_sections, verdict
from starcoach.voice import Voice, VoiceSource

TEXT_SUFFIXES = {".txt", ".md", ".text"}


@dataclass(frozen=True, slots=True)
class ScoredAnswer:
    question_id: str
    level: str
    transcript: Transcript
    sections: tuple[Section, ...]
    timing: Timing
    delivery: Delivery
    findings: tuple[Finding, ...]
    score: Score
    voice: Voice | None = None  # pitch, loudness and hesitations, when there is audio (voice.py)


@dataclass(frozen=True, slots=True)
class ScoredFollowUp:
    question_id: str
    follow_up_id: str
    level: str
    transcript: Transcript
    speaking_s: float
    target: tuple[float, float]
    verdict: str
    gap_s: float
    delivery: Delivery
    findings: tuple[Finding, ...]
    voice: Voice | None = None


def score_transcript(transcript: Transcript, question: Question, level: str | None, rubric: Rubric, *,
                     voice: VoiceSource | None = None) -> ScoredAnswer:
    level = question.level(level)
    words = transcript.words
    sections = tuple(split_sections(words))
    labels = [s.name for s in sections for _ in s.words]
    timing = time_sections(
        sections,
        section_targets=question.targets.sections,
        share_targets=question.targets.shares,
        total_target=question.targets.total,
        estimated=transcript.estimated,
    )
    delivery = measure_delivery(words, sections)
    ctx = AnswerContext(words, sections, timing, delivery, level, question.targets,
                        tuple(order_problems(words, labels)))
    findings = tuple(run_checks(list(rubric.checks) + question.all_checks(), ctx))
    heard = voice(words, sections, delivery.fillers) if voice is not None else None
    return ScoredAnswer(question.id, level, transcript, sections, timing, delivery, findings, score(findings), heard)


def transcript_from_text(text: str, *, wpm: float = DEFAULT_WPM, source: str = "") -> Transcript:
    """Typed text, with word times estimated at `wpm` (and marked as estimated)."""
    words = tuple(estimate_word_times(text, wpm=wpm))
    if not words:
        raise StarcoachError(f"{source or 'the text'} is empty: there is no answer to score")
    return Transcript(words, words[-1].end, estimated=True, source=source, model=f"estimated at {wpm:g} wpm")


def score_text(text: str, question: Question, level: str | None, rubric: Rubric, *, wpm: float = DEFAULT_WPM) -> ScoredAnswer:
    return score_transcript(transcript_from_text(text, wpm=wpm), question, level, rubric)


def score_follow_up(transcript: Transcript, question: Question, follow_up: FollowUp, level: str | None, *,
                    voice: VoiceSource | None = None) -> ScoredFollowUp:
    """A follow-up answer: its own time target and its own "what not to say" checks; no STAR split."""
    level = question.level(level)
    words = transcript.words
    span = (words[-1].end - words[0].start) if words else 0.0
    v, gap = verdict(span, *follow_up.target)
    whole = (Section("answer", tuple(words), words[0].start if words else 0.0, words[-1].end if words else 0.0),)
    delivery = measure_delivery(words, whole)
    ctx = AnswerContext(tuple(words), whole, None, delivery, level, question.targets)
    findings = tuple(run_checks(follow_up.avoid, ctx))
    heard = voice(words, whole, delivery.fillers) if voice is not None else None
    return ScoredFollowUp(question.id, follow_up.id, level, transcript, span, follow_up.target, v, gap, delivery, findings,
                          heard)


def score_follow_up_text(text: str, question: Question, follow_up_id: str, level: str | None) -> list[Finding]:
    scored = score_follow_up(transcript_from_text(text), question, question.follow_up(follow_up_id), level)
    return list(scored.findings)


def read_text_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise StarcoachError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise StarcoachError(f"cannot read {path}: {e.strerror or e}") from None


def transcribe_file(path: Path, transcriber, *, on_start: Callable[[float], None] | None = None,
                    on_progress: Callable[[float], None] | None = None,
                    on_audio: Callable[[object], None] | None = None) -> Transcript:
    """Decode an audio file and transcribe it; silence gives an error, never invented words.
    `on_audio` receives the decoded samples (voice analysis uses them: the file is decoded once)."""
    from starcoach.audio import SAMPLE_RATE, load_audio

    audio = load_audio(path)
    duration = len(audio) / SAMPLE_RATE
    if on_start is not None:
        on_start(duration)
    if on_audio is not None:
        on_audio(audio)
    words: list[Word] = transcriber.transcribe(audio, on_progress=on_progress)
    if not words:
        raise StarcoachError(f"no speech detected in {path} ({duration:.0f}s of audio)")
    return Transcript(tuple(words), duration, estimated=False, source=str(path), model=transcriber.name)
