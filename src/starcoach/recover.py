"""Score an answer that was recorded but never scored: the session was killed (kill -9, a crash,
a second Ctrl-C) after the take was on disk. `starcoach replay ID --rescore [--keep]` lands here
when the answer has no result: the recording is transcribed whole, as `starcoach score` does, and
scored with today's bank.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Group, RenderableType
from rich.text import Text

from starcoach.bank import Bank
from starcoach.errors import StarcoachError
from starcoach.result import Result, result_of_answer, result_of_follow_up
from starcoach.store import Session, SessionStore


@dataclass(frozen=True)
class Recovered:
    session: Session
    index: int
    result: Result
    report: RenderableType


def recording_to_score(session: Session, index: int) -> Path | None:
    """The recording of answer `index` when the answer has none of its own result yet, else None.
    Only a plain file of the session's own folder counts (never a link out of it)."""
    if not 0 <= index < len(session.answers) or session.answers[index].get("result") is not None:
        return None
    path = session.audio_file(index)
    if path is None or path.is_symlink() or not path.is_file():
        return None
    return path


def score_recording(session: Session, index: int, bank: Bank, *, transcriber=None, model: str | None = None) -> Recovered:
    """Transcribe answer `index`'s recording and score it (the main answer against the session's
    question and level; a follow-up against its own target and checks)."""
    from starcoach.answer_view import follow_up_report, terminal_report
    from starcoach.scoring import score_follow_up, score_transcript, transcribe_file

    path = recording_to_score(session, index)
    if path is None:
        raise StarcoachError(f"answer {index} of session {session.id} has no recording to score")
    entry, d = session.answers[index], session.data
    question = bank.question(d["question"])
    if transcriber is None:
        from starcoach.devices.transcriber import WhisperTranscriber

        transcriber = WhisperTranscriber(model)
    transcript = transcribe_file(path, transcriber)
    if entry["kind"] == "main":
        scored = score_transcript(transcript, question, d["level"], bank.rubric)
        result: Result = result_of_answer(scored, question_text=d.get("question_text") or question.question)
        report = terminal_report(scored, title=question.title)
    else:
        follow_up = question.follow_up(str(entry.get("follow_up")))
        scored_fu = score_follow_up(transcript, question, follow_up, d["level"])
        text = str(entry.get("text") or follow_up.text)
        result = result_of_follow_up(scored_fu, text=text)
        report = follow_up_report(scored_fu, text=text)
    return Recovered(session, index, result, report)


def save(recovered: Recovered) -> None:
    """Keep the result, under the session's lock, on the session as it is on disk now."""
    from starcoach import leftovers

    session = recovered.session
    store = SessionStore(session.path.parent)
    try:
        with store.locked(session.id):
            fresh = store.load(session.id)
            if fresh.answers[recovered.index].get("result") is not None:
                raise StarcoachError(f"answer {recovered.index} of session {session.id} was scored meanwhile: "
                                     "not saved")
            fresh.set_result(recovered.index, recovered.result.to_dict())
    except leftovers.Busy:
        raise StarcoachError(f"session {session.id} is in use by another starcoach (a practice still finishing?): "
                             "not saved; try again when it ends") from None
    session.data = fresh.data


def view(recovered: Recovered, *, saved: bool) -> Group:
    label = "the main answer" if recovered.index == 0 else f"follow-up {recovered.index}"
    kept = ("saved in the session" if saved else
            f"not saved: add --keep to keep it (starcoach replay {recovered.session.id}"
            f"{f' --answer {recovered.index}' if recovered.index else ''} --rescore --keep)")
    note = Text(f"{label} of session {recovered.session.id} was never scored (the session stopped first): "
                f"scored now from its recording; {kept}", style="dim")
    return Group(note, recovered.report)
