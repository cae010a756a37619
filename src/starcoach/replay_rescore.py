"""`starcoach replay --rescore [--keep]`: a stored answer's words scored again with today's bank and rubric,
what changed (result_diff.compare), and keeping the new result.

An answer that was never scored (the session stopped first) is recover.py's: it is scored from its recording.
Pure apart from the session's file; no device library.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.text import Text

from starcoach.answer_view import COLOURS, VERDICT_STYLE
from starcoach.bank import Bank
from starcoach.errors import StarcoachError
from starcoach.records import Transcript, Word
from starcoach.replay import StoredAnswer
from starcoach.result import AnswerResult, Result
from starcoach.result_diff import ResultChange, compare
from starcoach.store import SessionStore


@dataclass(frozen=True)
class Rescored:
    answer: StoredAnswer
    result: Result  # the new result, to be saved in place of the stored one
    diff: ResultChange


def stored_transcript(a: StoredAnswer) -> Transcript:
    """The stored words as a Transcript again (times as stored; `estimated` kept from the result)."""
    if not a.words:
        raise StarcoachError(f"{a.label} of session {a.session.id} has no words to score")
    r = a.result
    source, model = (r.source, r.model) if isinstance(r, AnswerResult) else ("", "")
    return Transcript(tuple(Word(w.text, w.start, w.end) for w in a.words), a.duration_s, estimated=a.estimated,
                      source=source, model=model)


def rescore(a: StoredAnswer, bank: Bank) -> Rescored:
    """Score the stored words again with `bank` (today's questions and rubric)."""
    from starcoach import scoring
    from starcoach.voice import from_stored

    r, d = a.result, a.session.data
    question = bank.question(r.question or d["question"])
    level = r.level or d["level"]
    transcript = stored_transcript(a)
    voice = from_stored(r.voice)  # the stored contour, summarised over today's sections
    if isinstance(r, AnswerResult):
        text = r.question_text or d.get("question_text") or question.question
        new = scoring.rescore(transcript, question, None, level, bank.rubric, voice=voice, text=text)
    else:
        entry = a.session.answers[a.index]
        follow_up = question.follow_up(r.follow_up or str(entry.get("follow_up")))
        text = r.follow_up_text or entry.get("text") or follow_up.text
        new = scoring.rescore(transcript, question, follow_up, level, bank.rubric, voice=voice, text=text)
    return Rescored(a, new, compare(r, new))


def _passed_word(passed: bool | None) -> tuple[str, str]:
    return ("passed", "green") if passed else ("failed", "red")


def rescore_view(r: Rescored, *, saved: bool = False) -> Group:
    a, diff = r.answer, r.diff
    parts: list[RenderableType] = [Text.assemble(("Rescored ", "bold"), f"session {a.session.id} \u00b7 {a.label} "
                                                 "with today's question bank and rubric")]
    if diff.score_before is not None or diff.score_after is not None:
        before = "\u2013" if diff.score_before is None else f"{diff.score_before:.0f}"
        after = "\u2013" if diff.score_after is None else f"{diff.score_after:.0f}"
        line = Text.assemble(("Score ", "bold"), f"{before} \u2192 ", (after, "bold"))
        if diff.score_before is not None and diff.score_after is not None and diff.score_before != diff.score_after:
            change = diff.score_after - diff.score_before
            line.append(f"  ({change:+.0f})", style="green" if change > 0 else "red")
        elif diff.score_before == diff.score_after:
            line.append("  (unchanged)", style="dim")
        parts.append(line)
    if diff.flipped:
        parts.append(Text(f"Findings that flipped ({len(diff.flipped)})", style="bold"))
        for c in diff.flipped:
            (b, bs), (n, ns) = _passed_word(c.before), _passed_word(c.after)
            parts.append(Text.assemble("  ", (c.id, "cyan"), ": ", (b, bs), " \u2192 ", (n, f"bold {ns}"), f"  {c.message}"))
    if diff.new:
        parts.append(Text(f"New findings ({len(diff.new)})", style="bold"))
        for c in diff.new:
            n, ns = _passed_word(c.after)
            parts.append(Text.assemble("  + ", (c.id, "cyan"), ": ", (n, ns), f"  {c.message}"))
    if diff.gone:
        parts.append(Text(f"Findings gone ({len(diff.gone)})", style="bold"))
        for c in diff.gone:
            b, bs = _passed_word(c.before)
            parts.append(Text.assemble("  - ", (c.id, "cyan"), ": was ", (b, bs), f"  {c.message}"))
    if diff.verdicts:
        parts.append(Text("Time verdicts that changed", style="bold"))
        for what, b, n in diff.verdicts:
            parts.append(Text.assemble("  ", (what.capitalize(), COLOURS.get(what, "")), ": ",
                                       (b or "\u2013", VERDICT_STYLE.get(b or "", "dim")), " \u2192 ",
                                       (n or "\u2013", VERDICT_STYLE.get(n or "", "dim"))))
    if not diff.changed:
        parts.append(Text("Nothing changed: today's bank and rubric give the same result.", style="green"))
    if saved:
        parts.append(Text("Saved: the session now holds the new result.", style="dim"))
    elif diff.changed:
        parts.append(Text("Not saved (add --keep to keep the new result).", style="dim"))
    return Group(*parts)


def save_rescore(r: Rescored) -> None:
    """Keep the new result, under the session's lock and on the session as it is on disk now (a
    practice's final pass may have written it since it was read)."""
    from starcoach import leftovers

    session = r.answer.session
    store = SessionStore(session.path.parent)
    try:
        with store.locked(session.id):
            fresh = store.load(session.id)
            fresh.set_result(r.answer.index, r.result.to_dict())
    except leftovers.Busy:
        raise StarcoachError(f"session {session.id} is in use by another starcoach (a practice still finishing?): "
                             "not saved; try again when it ends") from None
    session.data = fresh.data
