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
from starcoach.meaning import Reader, VectorCache, normalise, units_from_spans
from starcoach.records import Finding, Score, Section, Transcript, Word
from starcoach.result import Result, result_of_answer, result_of_follow_up
from starcoach.rubric import AnswerContext, run_checks, score
from starcoach.star import order_problems, split_sections
from starcoach.star_clauses import clause_spans
from starcoach.timing import DEFAULT_WPM, Timing, estimate_word_times, time_sections, verdict
from starcoach.voice import Voice, VoiceSource

TEXT_SUFFIXES = {".txt", ".md", ".text"}
# Fewer words than this is not an answer to judge: a score would mean nothing.
MIN_ANSWER_WORDS = 5

_READER: Reader | None = None


def reader() -> Reader:
    """The process's meaning reader: the bundled MiniLM model, its examples' vectors cached on disk."""
    global _READER
    if _READER is None:
        from starcoach.devices.embedder import MODEL_SHA256, default_embedder, packaged_vectors
        from starcoach.models import cache_dir

        cache = VectorCache(default_embedder(), cache_dir() / "vectors" / f"minilm-{MODEL_SHA256[:12]}.npz",
                            seed=packaged_vectors())
        _READER = Reader(default_embedder(), cache)
    return _READER


def set_reader(new: Reader | None) -> Reader | None:
    """Use another reader (tests: a fake embedder); returns the one it replaces."""
    global _READER
    old, _READER = _READER, new
    return old


@dataclass(frozen=True)
class _Reading:
    """The meaning layer's view of one answer: its clause units and their vectors (the first
    `clauses` units are the clauses themselves, in order), and where to get each check's exemplars."""

    units: tuple
    vectors: object
    clauses: int
    reader: Reader
    exemplars: object  # check -> its exemplars, for this set of checks

    def context(self) -> dict:
        return {"units": self.units, "unit_vectors": self.vectors, "exemplars": self.exemplars}


def _read(words: tuple[Word, ...], checks, meaning: Reader | None) -> _Reading:
    meaning = meaning or reader()
    lookup = meaning.prepare(checks)
    spans = clause_spans(words)
    units = units_from_spans(words, spans)
    return _Reading(tuple(units), meaning.embed([u.text for u in units]), len(spans), meaning, lookup)


def warm_reader(bank) -> None:
    """Load the embedding model and every question's probes now (practice calls this before the
    first question, so the report at the first stop does not wait for them)."""
    meaning = reader()
    meaning.embed(["warm up"])
    for q in bank.questions.values():
        meaning.prepare(bank_checks(q, bank.rubric))
        meaning.prepare(bank_checks(q, None))


def bank_checks(question: Question, rubric: Rubric | None) -> list:
    """Every check a question's answers meet: the probes of one are fitted against all the others."""
    return [*(rubric.checks if rubric else ()), *question.all_checks(), *(c for f in question.follow_ups for c in f.avoid)]


def check_long_enough(words: tuple[Word, ...], source: str = "") -> None:
    said = sum(1 for w in words if normalise(w.text))
    if said < MIN_ANSWER_WORDS:
        what = f"{source}: " if source else ""
        raise StarcoachError(f"{what}too short to judge: {'no words' if not said else f'only {said} word' + ('s' if said > 1 else '')}"
                             f" to score (an answer has at least {MIN_ANSWER_WORDS})")


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
                     voice: VoiceSource | None = None, meaning: Reader | None = None) -> ScoredAnswer:
    level = question.level(level)
    words = transcript.words
    check_long_enough(words, transcript.source)
    checks = list(rubric.checks) + question.all_checks()
    reading = _read(words, bank_checks(question, rubric), meaning)
    sections = tuple(split_sections(words, reading.vectors[: reading.clauses], reading.reader.name))
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
                        tuple(order_problems(words, labels)), **reading.context())
    findings = tuple(run_checks(checks, ctx))
    heard = voice(words, sections, delivery.fillers) if voice is not None else None
    return ScoredAnswer(question.id, level, transcript, sections, timing, delivery, findings, score(findings), heard)


def transcript_from_text(text: str, *, wpm: float = DEFAULT_WPM, source: str = "") -> Transcript:
    """Typed text, with word times estimated at `wpm` (and marked as estimated)."""
    words = tuple(estimate_word_times(text, wpm=wpm))
    if not words:
        raise StarcoachError(f"{source or 'the text'} is empty: there is no answer to score")
    return Transcript(words, words[-1].end, estimated=True, source=source, model=f"estimated at {wpm:g} wpm")


def score_text(text: str, question: Question, level: str | None, rubric: Rubric, *, wpm: float = DEFAULT_WPM,
               meaning: Reader | None = None) -> ScoredAnswer:
    return score_transcript(transcript_from_text(text, wpm=wpm), question, level, rubric, meaning=meaning)


def score_follow_up(transcript: Transcript, question: Question, follow_up: FollowUp, level: str | None, *,
                    voice: VoiceSource | None = None, meaning: Reader | None = None) -> ScoredFollowUp:
    """A follow-up answer: its own time target and its own "what not to say" checks; no STAR split."""
    level = question.level(level)
    words = transcript.words
    span = (words[-1].end - words[0].start) if words else 0.0
    v, gap = verdict(span, *follow_up.target)
    whole = (Section("answer", tuple(words), words[0].start if words else 0.0, words[-1].end if words else 0.0),)
    delivery = measure_delivery(words, whole)
    ctx = AnswerContext(tuple(words), whole, None, delivery, level, question.targets,
                        **(_read(tuple(words), bank_checks(question, None), meaning).context() if words else {}))
    findings = tuple(run_checks(follow_up.avoid, ctx))
    heard = voice(words, whole, delivery.fillers) if voice is not None else None
    return ScoredFollowUp(question.id, follow_up.id, level, transcript, span, follow_up.target, v, gap, delivery, findings,
                          heard)


def rescore(transcript: Transcript, question: Question, follow_up: FollowUp | None, level: str | None, rubric: Rubric, *,
            voice: VoiceSource | None = None, text: str | None = None, meaning: Reader | None = None) -> Result:
    """Score `transcript` into its saved result: the main answer when `follow_up` is None, else that
    follow-up's. `text` is the question (or follow-up) as it was asked; by default the bank's."""
    if follow_up is None:
        scored = score_transcript(transcript, question, level, rubric, voice=voice, meaning=meaning)
        return result_of_answer(scored, question_text=question.question if text is None else text)
    scored_fu = score_follow_up(transcript, question, follow_up, level, voice=voice, meaning=meaning)
    return result_of_follow_up(scored_fu, text=follow_up.text if text is None else text)


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
