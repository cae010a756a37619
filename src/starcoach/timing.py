"""Speaking time per STAR section against targets, and word times for typed answers.

Pure: plain data in, plain data out. The targets come from the question bank; this module
only compares.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starcoach.records import SECTION_NAMES, Section, Word

DEFAULT_WPM = 150.0  # a relaxed interview pace; 140-160 is the usual advice

# Pauses for typed text, in seconds. A comma-sized pause is about one syllable at 150 wpm;
# a sentence end about two and a half. They are taken out of the time budget (see
# estimate_word_times), so the pace over the whole text stays exactly `wpm`.
COMMA_PAUSE_S = 0.25
SENTENCE_PAUSE_S = 0.6
# Text made of many tiny sentences ("Yes. No. Done.") would otherwise spend most of its
# budget silent; beyond this share of the total, pauses are shrunk in proportion.
MAX_PAUSE_SHARE = 0.3

# Float sums like 0.1 + 0.2 must not turn "exactly on the target" into a miss.
_EPS = 1e-9

_SENTENCE_END = re.compile(r"(?:[.!?]|\.\.\.|…)[\"'”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:\-–—][\"'”’)\]]*$")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


@dataclass(frozen=True, slots=True)
class SectionTiming:
    name: str
    start: float
    end: float
    speaking_s: float
    word_count: int
    target_min_s: float
    target_max_s: float
    verdict: str  # short | ok | long; an empty section is always "short"
    gap_s: float  # 0 when ok; negative (below min) when short; positive (above max) when long
    share: float  # speaking_s / total of the four sections (0 when the total is 0)
    share_min: float
    share_max: float
    share_verdict: str  # short | ok | long


@dataclass(frozen=True, slots=True)
class Timing:
    sections: tuple[SectionTiming, ...]  # situation, task, action, result
    total_s: float
    total_min_s: float
    total_max_s: float
    total_verdict: str
    total_gap_s: float
    estimated: bool  # True when the word times were estimated from typed text

    def section(self, name: str) -> SectionTiming:
        for s in self.sections:
            if s.name == name:
                return s
        raise KeyError(f"no section {name!r}; expected one of {', '.join(SECTION_NAMES)}")

    def to_dict(self) -> dict:
        """JSON-ready, numbers rounded to 2 decimals."""
        return {
            "sections": [
                {k: _r(getattr(s, k)) for k in SectionTiming.__slots__} for s in self.sections
            ],
            "total_s": _r(self.total_s),
            "total_min_s": _r(self.total_min_s),
            "total_max_s": _r(self.total_max_s),
            "total_verdict": self.total_verdict,
            "total_gap_s": _r(self.total_gap_s),
            "estimated": self.estimated,
        }


def _r(value: object) -> object:
    return round(value, 2) if isinstance(value, float) else value


def verdict(value: float, low: float, high: float) -> tuple[str, float]:
    """("short", value - low) below `low`, ("long", value - high) above `high`, else ("ok", 0.0).

    Both bounds are inclusive: exactly on the minimum or the maximum is ok.
    """
    if low > high:
        raise ValueError(f"target minimum {low} is above its maximum {high}")
    if value < low - _EPS:
        return "short", value - low
    if value > high + _EPS:
        return "long", value - high
    return "ok", 0.0


def time_sections(
    sections: Sequence[Section],
    *,
    section_targets: Mapping[str, tuple[float, float]],
    share_targets: Mapping[str, tuple[float, float]],
    total_target: tuple[float, float],
    estimated: bool = False,
) -> Timing:
    """Compare each section's speaking time, and its share of the answer, with its targets.

    `sections` are the four STAR sections (as from `sections_from_labels`); a missing one is
    treated as empty. total_s is the sum of the sections' speaking time, which for contiguous
    sections is the time from the answer's first word to its last.
    """
    by_name: dict[str, Section] = {}
    for s in sections:
        if s.name not in SECTION_NAMES:
            raise ValueError(f"unknown section {s.name!r}")
        if s.name in by_name:
            raise ValueError(f"section {s.name!r} given twice")
        by_name[s.name] = s
    for targets, what in ((section_targets, "time"), (share_targets, "share")):
        missing = [n for n in SECTION_NAMES if n not in targets]
        if missing:
            raise ValueError(f"no {what} target for {', '.join(missing)}")

    total = sum(s.speaking_s for s in by_name.values())
    timings: list[SectionTiming] = []
    at = min((s.start for s in by_name.values()), default=0.0)
    for name in SECTION_NAMES:
        s = by_name.get(name) or Section(name, (), at, at)
        at = s.end
        t_min, t_max = section_targets[name]
        s_min, s_max = share_targets[name]
        share = s.speaking_s / total if total > 0 else 0.0
        if s.word_count == 0:
            # Nothing said is "short" even when a target allows zero seconds.
            v, gap = "short", s.speaking_s - t_min
            share_v = "short"
        else:
            v, gap = verdict(s.speaking_s, t_min, t_max)
            share_v, _ = verdict(share, s_min, s_max)
        timings.append(
            SectionTiming(
                name=name,
                start=s.start,
                end=s.end,
                speaking_s=s.speaking_s,
                word_count=s.word_count,
                target_min_s=float(t_min),
                target_max_s=float(t_max),
                verdict=v,
                gap_s=gap,
                share=share,
                share_min=float(s_min),
                share_max=float(s_max),
                share_verdict=share_v,
            )
        )
    total_v, total_gap = verdict(total, *total_target)
    return Timing(
        sections=tuple(timings),
        total_s=total,
        total_min_s=float(total_target[0]),
        total_max_s=float(total_target[1]),
        total_verdict=total_v,
        total_gap_s=total_gap,
        estimated=estimated,
    )


def syllables(token: str) -> int:
    """A rough syllable count: vowel groups, less a silent final e; digits count one each
    (capped: "1000000" is said "one million", not seven syllables); "%" adds two. At least 1."""
    t = token.lower()
    letters = re.sub(r"[^a-z]", "", t)
    count = len(_VOWEL_GROUPS.findall(letters))
    if count > 1 and letters.endswith("e") and not letters.endswith(("le", "ee")):
        count -= 1
    count += min(sum(c.isdigit() for c in t), 6)
    count += 2 * t.count("%")
    return max(1, count)


def _pause_after(token: str) -> float:
    if _SENTENCE_END.search(token):
        return SENTENCE_PAUSE_S
    if _CLAUSE_END.search(token):
        return COMMA_PAUSE_S
    return 0.0


def estimate_word_times(text: str, *, wpm: float = DEFAULT_WPM) -> list[Word]:
    """Times for typed text, as if it were spoken at `wpm` words per minute.

    Words are split on whitespace and keep their punctuation, as a transcriber's would.
    The whole text takes n_words * 60 / wpm seconds from the first word's start to the last
    word's end. Pauses after commas and sentence ends are carved out of that budget first
    (none after the last word: it would fall outside the answer); the rest is shared among
    the words in proportion to their syllables. So pauses make the words a little faster,
    not the answer longer, and the measured pace is exactly `wpm`.
    """
    if wpm <= 0:
        raise ValueError(f"wpm must be positive, got {wpm}")
    tokens = text.split()
    if not tokens:
        return []
    budget = len(tokens) * 60.0 / wpm
    pauses = [_pause_after(t) for t in tokens[:-1]] + [0.0]
    paused = sum(pauses)
    if paused > MAX_PAUSE_SHARE * budget:
        pauses = [p * MAX_PAUSE_SHARE * budget / paused for p in pauses]
        paused = MAX_PAUSE_SHARE * budget
    weights = [syllables(t) for t in tokens]
    per_syllable = (budget - paused) / sum(weights)

    words: list[Word] = []
    t = 0.0
    for token, weight, pause in zip(tokens, weights, pauses, strict=False):
        end = t + weight * per_syllable
        words.append(Word(token, t, end))  # not rounded: that could merge times at high wpm
        t = end + pause
    return words


def clock(seconds: float) -> str:
    """m:ss, as in the terminal report."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
