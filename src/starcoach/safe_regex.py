"""Regular expressions from the question bank, made safe to run on an answer.

A coach writes the bank's patterns, and a folder given with STARCOACH_QUESTIONS may come from
anywhere, so a pattern is untrusted code for Python's backtracking engine: `(\\w+\\s?)+!$` on a
16-word answer backtracks for minutes. Two guards:

- at load, `check` refuses the shape that backtracks exponentially: a repeat that can match a
  varying, unbounded length nested inside another unbounded repeat (`(\\w+\\s?)+`, `(a*)*`,
  `(?:x+y?)*`). Possessive repeats and atomic groups do not backtrack and are allowed.
- while scoring, `BoundedPattern.finditer` stops a match that runs past MATCH_SECONDS (the
  slowness that no shape test sees: overlapping alternatives, polynomial runs like `\\w*\\w*\\w*x`)
  and raises a StarcoachError naming the pattern. Python's matcher checks for signals as it runs,
  so on the main thread a timer signal ends it; elsewhere only the load check applies.
"""

from __future__ import annotations

import re
import signal
import threading
from dataclasses import dataclass

from starcoach.errors import StarcoachError

try:  # the parser behind re; its module name changed in Python 3.11
    import re._parser as _sre
except ImportError:  # pragma: no cover - Python < 3.11 is not supported, kept for safety
    import sre_parse as _sre  # type: ignore[no-redef]

MATCH_SECONDS = 2.0  # a bank pattern over one answer takes microseconds to milliseconds
_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT}
_MAXREPEAT = _sre.MAXREPEAT


class UnsafePattern(StarcoachError):
    """A pattern whose shape can take exponential time; the message says which part."""


def _shown(pattern: str) -> str:
    return repr(pattern) if len(pattern) <= 60 else repr(pattern[:57] + "...")


def _children(op, av) -> list:
    """The sub-patterns of one parsed item (the engine's own tree, from re._parser)."""
    if op in _REPEATS or op is getattr(_sre, "POSSESSIVE_REPEAT", None):
        return [av[2]]
    if op is _sre.SUBPATTERN:
        return [av[3]]
    if op is _sre.BRANCH:
        return list(av[1])
    if op in (_sre.ASSERT, _sre.ASSERT_NOT):
        return [av[1]]
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return [av]
    if op is _sre.GROUPREF_EXISTS:
        return [p for p in av[1:] if p is not None]
    return []


def _varying_unbounded(sub) -> str | None:
    """The first repeat in `sub` that matches a varying length without a bound (backtracking into it
    is possible), as text, or None. Atomic groups and possessive repeats are skipped: they never
    give back what they matched."""
    for op, av in sub:
        if op in _REPEATS and av[1] == _MAXREPEAT:
            return "+" if av[0] == 1 else "*" if av[0] == 0 else f"{{{av[0]},}}"
        if op is getattr(_sre, "ATOMIC_GROUP", None) or op is getattr(_sre, "POSSESSIVE_REPEAT", None):
            continue
        for child in _children(op, av):
            found = _varying_unbounded(child)
            if found:
                return found
    return None


def _nested(sub) -> str | None:
    for op, av in sub:
        if op in _REPEATS and av[1] == _MAXREPEAT:
            inner = _varying_unbounded(av[2])
            if inner:
                outer = "+" if av[0] == 1 else "*" if av[0] == 0 else f"{{{av[0]},}}"
                return (f"a repeat ({inner}) inside a repeated group ({outer}) can take exponential time; "
                        "repeat only one of them, or make the inner one possessive (++, *+) or atomic (?>...)")
        for child in _children(op, av):
            found = _nested(child)
            if found:
                return found
    return None


def problem(pattern: str, flags: int = re.IGNORECASE) -> str | None:
    """Why `pattern` is unsafe to run on an answer, or None. Raises re.error if it is not a pattern."""
    re.compile(pattern, flags)  # the engine's own error first
    try:
        tree = _sre.parse(pattern, flags)
    except RecursionError:
        return "nested too deeply"
    return _nested(tree)


def check(pattern: str, flags: int = re.IGNORECASE) -> None:
    """Raise re.error for an invalid pattern and UnsafePattern for a dangerous one."""
    why = problem(pattern, flags)
    if why:
        raise UnsafePattern(f"pattern {_shown(pattern)}: {why}")


class _Overran(BaseException):
    """Raised by the timer signal inside the matcher; never leaves this module."""


@dataclass(frozen=True)
class BoundedPattern:
    """A compiled bank pattern whose matching is bounded in time (see the module's docstring)."""

    pattern: str
    compiled: re.Pattern[str]
    seconds: float = MATCH_SECONDS

    def finditer(self, text: str) -> list[re.Match[str]]:
        """Every match, as re.finditer gives them (but as a list, gathered under the time bound)."""
        if not _can_time():
            return list(self.compiled.finditer(text))

        def overran(_signum, _frame) -> None:
            raise _Overran

        previous = signal.signal(signal.SIGALRM, overran)
        try:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            try:
                return list(self.compiled.finditer(text))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _Overran:
            raise StarcoachError(
                f"the bank pattern {_shown(self.pattern)} took over {self.seconds:g} s on this answer and was "
                "stopped (it backtracks too much): simplify it in the question bank") from None
        finally:
            signal.signal(signal.SIGALRM, previous)


def _can_time() -> bool:
    """A timer signal can bound the match: the main thread, with SIGALRM and the timer unused."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    if signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0):
        return False
    return signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)


def compile(pattern: str, flags: int = re.IGNORECASE, *, seconds: float = MATCH_SECONDS) -> BoundedPattern:
    """`check` the pattern, then compile it for bounded matching."""
    check(pattern, flags)
    return BoundedPattern(pattern, re.compile(pattern, flags), seconds)
