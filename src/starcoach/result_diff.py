"""What moved from one saved result of an answer to another (result.py): the score, the checks that flipped,
came or went, and the time verdicts. `replay --rescore` shows it; practice's final pass says it in a line.

Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from starcoach.result import FollowUpResult, Result


@dataclass(frozen=True, slots=True)
class FindingChange:
    id: str
    message: str
    before: bool | None  # passed before (None: the finding did not exist)
    after: bool | None  # passed now (None: the finding is gone)


@dataclass(frozen=True)
class ResultChange:
    """What moved from one result of an answer to another."""

    score_before: float | None
    score_after: float | None
    flipped: tuple[FindingChange, ...]
    new: tuple[FindingChange, ...]
    gone: tuple[FindingChange, ...]
    verdicts: tuple[tuple[str, str | None, str | None], ...]  # (what, before, after), changed ones only

    @property
    def changed(self) -> bool:
        return bool(self.flipped or self.new or self.gone or self.verdicts or self.score_before != self.score_after)

    @property
    def marks(self) -> list[str]:
        """The flipped checks as '+metric' (now passes) and '-metric' (now fails)."""
        return [("+" if c.after else "-") + c.id for c in self.flipped]


def _verdicts(result: Result) -> dict[str, str]:
    if isinstance(result, FollowUpResult):
        return {"time": result.verdict} if result.verdict else {}
    out = {s.name: s.verdict for s in result.sections if s.name and s.verdict}
    if result.total.verdict:
        out["total"] = result.total.verdict
    return out


def compare(before: Result, after: Result) -> ResultChange:
    """Score, findings and time verdicts that changed from `before` to `after`."""
    old, new = {f.id: f for f in before.findings}, {f.id: f for f in after.findings}
    flipped = tuple(FindingChange(i, new[i].message, old[i].passed, new[i].passed)
                    for i in new if i in old and old[i].passed != new[i].passed)
    added = tuple(FindingChange(i, new[i].message, None, new[i].passed) for i in new if i not in old)
    gone = tuple(FindingChange(i, old[i].message, old[i].passed, None) for i in old if i not in new)
    vb, va = _verdicts(before), _verdicts(after)
    verdicts = tuple((k, vb.get(k), va.get(k)) for k in dict.fromkeys([*vb, *va]) if vb.get(k) != va.get(k))
    score = [None if r.score is None else float(r.score) for r in (before, after)]
    return ResultChange(score[0], score[1], flipped, added, gone, verdicts)


def flipped_checks(before: Result, after: Result) -> list[str]:
    """Ids of the checks whose outcome changed: '+metric' now passes, '-metric' now fails."""
    return compare(before, after).marks


def headline(result: Result) -> str:
    """'score 72' for a main answer; 'checks passed 3/4' for a follow-up (it has no score)."""
    if result.score is not None:
        return f"score {result.score:g}"
    judged = [f for f in result.findings if f.severity != "info"]
    return f"checks passed {sum(f.passed for f in judged)}/{len(judged)}"


def score_change(before: Result, after: Result) -> str:
    """'score 78 \u2192 100 (+metric)': how the headline moved, and the checks that flipped."""
    old, new = headline(before), headline(after)
    if old == new:
        change = f"{new}, unchanged"
    else:
        name = old.rsplit(" ", 1)[0]
        change = f"{old} \u2192 {new.rsplit(' ', 1)[1]}" if new.startswith(name + " ") else f"{old} \u2192 {new}"
    moved = flipped_checks(before, after)
    return change + (f" ({', '.join(moved)})" if moved else "")
