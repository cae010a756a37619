"""The records that flow through starcoach, one way:
audio -> Transcript (Words with times) -> Sections -> timings and Findings -> saved session -> reports.

Plain frozen dataclasses, like faster-whisper's Word and Segment, so every stage can be
tested on hand-made data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

SECTION_NAMES: tuple[str, ...] = ("situation", "task", "action", "result")
# A finding's severities, worst first: the order reports list what to work on.
SEVERITY_ORDER: dict[str, int] = {"high": 0, "medium": 1, "low": 2, "info": 3}


@dataclass(frozen=True, slots=True)
class Word:
    """One spoken (or typed) word. `text` keeps the transcriber's punctuation ("wrong.")."""

    text: str
    start: float
    end: float
    probability: float = 1.0

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True, slots=True)
class Transcript:
    """All the words of one answer, in order, with times in seconds from the start of the audio."""

    words: tuple[Word, ...]
    duration_s: float
    estimated: bool = False  # True when the times were estimated from typed text
    source: str = ""
    model: str = ""

    @property
    def text(self) -> str:
        return join_words(self.words)


@dataclass(frozen=True, slots=True)
class Section:
    """One STAR section. Its time runs from its first word to the first word of the next
    non-empty section (a pause belongs to the section it follows); the last one ends at its
    last word. An empty section has start == end."""

    name: str
    words: tuple[Word, ...]
    start: float
    end: float

    @property
    def speaking_s(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def word_count(self) -> int:
        return len(self.words)

    @property
    def text(self) -> str:
        return join_words(self.words)


@dataclass(frozen=True, slots=True)
class Evidence:
    """A quote from the answer that a finding rests on."""

    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one rubric check on one answer."""

    id: str
    passed: bool
    severity: str  # high | medium | low | info
    message: str
    advice: str
    evidence: tuple[Evidence, ...] = ()
    category: str = "content"
    section: str | None = None  # set when the check was scoped to one section
    # False when too little was said in the check's scope to judge it: it earns nothing and the
    # message says so (a short answer gets no free passes).
    judged: bool = True
    # False for checks that pass by the absence of something (a mistake not heard): such a pass
    # is not something the candidate did well, so reports do not list it under "done well".
    positive: bool = True
    # The id of a failed finding this one says again (an omission restates the behaviour it lacks):
    # both count in the score, reports list only this one.
    restates: str | None = None
    # True when the evidence is weak: a failed mistake found only by borderline clauses (the
    # message asks the candidate to judge the quote), or a behaviour found only so.
    borderline: bool = False


@dataclass(frozen=True, slots=True)
class Score:
    """0-100 with how it was made: points earned and possible per category."""

    value: int
    breakdown: dict[str, dict[str, float]] = field(default_factory=dict)


def join_words(words: Sequence[Word]) -> str:
    return " ".join(w.text.strip() for w in words if w.text.strip())


def sections_from_labels(words: Sequence[Word], labels: Sequence[str]) -> list[Section]:
    """Build the four sections, in STAR order, from one section name per word.

    Labels must be in STAR order (a later word never goes back to an earlier section).
    """
    if len(words) != len(labels):
        raise ValueError(f"{len(words)} words but {len(labels)} labels")
    order = {name: i for i, name in enumerate(SECTION_NAMES)}
    last = 0
    for label in labels:
        if label not in order:
            raise ValueError(f"unknown section {label!r}")
        if order[label] < last:
            raise ValueError("section labels go back in STAR order")
        last = order[label]
    groups: dict[str, list[Word]] = {name: [] for name in SECTION_NAMES}
    for word, label in zip(words, labels, strict=False):
        groups[label].append(word)
    sections: list[Section] = []
    starts = [groups[n][0].start if groups[n] else None for n in SECTION_NAMES]
    for i, name in enumerate(SECTION_NAMES):
        ws = groups[name]
        if not ws:
            # An empty section sits where the previous one ended.
            at = sections[-1].end if sections else (words[0].start if words else 0.0)
            sections.append(Section(name, (), at, at))
            continue
        following = next((s for s in starts[i + 1 :] if s is not None), None)
        end = following if following is not None else ws[-1].end
        sections.append(Section(name, tuple(ws), ws[0].start, end))
    return sections


def split_findings(findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """To work on (worst first), done well, and fluency signals heard (passed info findings)."""
    failed = sorted((f for f in findings if not f.passed and f.severity != "info"), key=lambda f: SEVERITY_ORDER[f.severity])
    restated = {f.restates for f in failed if f.restates}
    failed = [f for f in failed if f.id not in restated]
    passed = [f for f in findings if f.passed and f.positive and f.severity != "info"]
    signals = [f for f in findings if f.passed and f.severity == "info"]
    return failed, passed, signals


def not_heard(findings: Sequence[Finding]) -> list[Finding]:
    """Mistakes checked for and not heard: passes by absence, shown apart from "done well"."""
    return [f for f in findings if f.passed and not f.positive and f.severity != "info"]
