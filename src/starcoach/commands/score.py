"""`starcoach score`: a file in, a scored answer out (the report, or the JSON contract), and `--save`."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console, Group

from starcoach.bank import Bank, Question, load_bank
from starcoach.commands.common import err, out
from starcoach.errors import StarcoachError
from starcoach.records import Transcript
from starcoach.scoring import (
    TEXT_SUFFIXES,
    ScoredAnswer,
    read_text_file,
    score_transcript,
    transcribe_file,
    transcript_from_text,
)


@dataclass(frozen=True)
class ScoreResult:
    answer: ScoredAnswer
    question: Question
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        from starcoach.result import result_of_answer

        return result_of_answer(self.answer, question_text=self.question.question).to_dict()

    def render(self) -> Group:
        from starcoach.answer_view import terminal_report

        return terminal_report(self.answer, title=self.question.title)


def candidate_questions(bank: Bank, question_id: str | None, level: str | None) -> list[Question]:
    """The question asked for (level checked now, before any slow work), or every question asked at `level`."""
    if question_id:
        q = bank.question(question_id)
        q.level(level)
        return [q]
    if level is None:
        return list(bank.questions.values())
    found = [q for q in bank.questions.values() if level.strip().lower() in q.levels]
    if not found:
        levels = sorted({lv for q in bank.questions.values() for lv in q.levels})
        raise StarcoachError(f"no question is asked at level {level!r}; levels in the bank: {', '.join(levels)}")
    return found


def best_match(transcript: Transcript, questions: list[Question], level: str | None, bank: Bank,
               voice=None) -> tuple[ScoredAnswer, Question]:
    """Score against each candidate; keep the one whose own checks the answer fits best."""
    scored = [(score_transcript(transcript, q, level, bank.rubric, voice=voice), q) for q in questions]

    def fit(item: tuple[ScoredAnswer, Question]) -> tuple[int, int]:
        answer, _ = item
        own = sum(f.passed for f in answer.findings if f.category in ("question", "fluency"))
        return own, answer.score.value

    return max(scored, key=fit)


def read_transcript(path: Path, *, model: str | None, wpm: float, progress: bool, console: Console | None,
                    on_audio=None) -> Transcript:
    if path.suffix.lower() in TEXT_SUFFIXES:
        return transcript_from_text(read_text_file(path), wpm=wpm, source=str(path))
    from starcoach.devices.transcriber import WhisperTranscriber

    transcriber = WhisperTranscriber(model)
    if not progress or console is None:
        return transcribe_file(path, transcriber, on_audio=on_audio)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("transcribing {task.description}"), BarColumn(), TextColumn("{task.completed:.0f}/{task.total:.0f}s"),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(path.name, total=None)
        return transcribe_file(path, transcriber, on_start=lambda d: bar.update(task, total=d),
                               on_progress=lambda s: bar.update(task, completed=s), on_audio=on_audio)


def save_as_session(result: ScoreResult, source: Path) -> Path:
    """Store a scored file as a session (with a copy of the recording), like a practice answer."""
    import shutil

    from starcoach.store import SessionStore

    session = SessionStore().create(question_id=result.question.id, question_text=result.question.question,
                                    level=result.answer.level, source="score")
    audio = None
    if not result.answer.transcript.estimated:
        dest = session.audio_path(0, suffix=source.suffix.lower() or ".wav")
        shutil.copyfile(source, dest)
        audio = dest.name
    session.add_answer({"kind": "main", "audio": audio, "result": result.as_dict()})
    session.finish("complete")
    return session.path


def score_file(path: Path, *, question_id: str | None = None, level: str | None = None, model: str | None = None,
               wpm: float = 150.0, progress: bool = False, console: Console | None = None, bank: Bank | None = None,
               tracker=None, voice: bool = True) -> ScoreResult:
    """Score a recording or a text file. A recording's voice (pitch, loudness, hesitations) is measured
    with `tracker` (default: devices.pitch.default_tracker()) unless `voice` is false."""
    path = Path(path)
    if not path.exists():
        raise StarcoachError(f"no such file: {path}")
    if not path.is_file():
        raise StarcoachError(f"not a file: {path}")
    bank = bank or load_bank()
    candidates = candidate_questions(bank, question_id, level)
    decoded: list = []
    transcript = read_transcript(path, model=model, wpm=wpm, progress=progress, console=console,
                                 on_audio=decoded.append)
    source = None
    if voice and decoded:
        from starcoach.voice import from_audio

        if tracker is None:
            from starcoach.devices.pitch import default_tracker

            tracker = default_tracker()
        source = from_audio(decoded[0], tracker)
    if len(candidates) == 1:
        q = candidates[0]
        return ScoreResult(score_transcript(transcript, q, level, bank.rubric, voice=source), q)
    answer, q = best_match(transcript, candidates, level, bank, source)
    return ScoreResult(answer, q, f"no --question given: scored against {q.id!r}, the closest match")


def run(*, file: Path, question: str | None, level: str | None, as_json: bool, model: str | None, wpm: float,
        save: bool) -> None:
    result = score_file(file, question_id=question, level=level, model=model, wpm=wpm,
                        progress=not as_json and err().is_terminal, console=err())
    if save:
        err().print(f"saved as a session: {save_as_session(result, file)}", style="dim", highlight=False)
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        if result.note:
            err().print(result.note, style="dim")
        out().print(result.render())
