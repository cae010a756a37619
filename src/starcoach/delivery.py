"""How an answer was said: pace, long pauses, fillers, hedges and stutters.

Pure: works on Words with times. Matching ignores case and punctuation, and looks inside
hyphenated transcriber output ("I—I", "uh-huh"), so it runs on tokens, each remembering
the word it came from; evidence quotes whole words as transcribed.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from starcoach.records import Evidence, Section, Word, join_words
from starcoach.text import words as text_words

# 1.5 s: ordinary pauses between clauses and sentences run ~0.2-1 s; past about 1.5 s a
# listener notices the silence as the speaker losing the thread, not as a breath.
LONG_PAUSE_S = 1.5

# Rates over less than a second of speech mean nothing (one "um" in 0.2 s is 300/min);
# spans are floored at one second, which also keeps every rate finite.
MIN_RATE_SPAN_S = 1.0

# Fillers: sounds and phrases that carry no content. "like" is left out: it is mostly a verb
# or preposition ("I'd like", "tools like Jira") and telling the filler use apart needs
# syntax, so counting it would flood answers with false hits. "so", "well", "basically",
# "actually" are left out for the same reason: they often do carry meaning.
FILLERS: tuple[str, ...] = (
    "um", "umm", "uhm", "uh", "uhh", "er", "erm", "ah", "eh", "hmm", "hm", "mm", "mmm",
    "uh huh", "mm hmm", "you know", "i mean",
)  # fmt: skip

# Hedges: softeners that weaken a claim the interviewer wants stated plainly. "just" is left
# out: it is far more often time or exactness ("just before launch", "just enough") than a
# softener, so it would mostly flag content. "I believe" is in: in an answer about one's own
# work it is nearly always a hedge ("I believe it cut latency by half").
HEDGES: tuple[str, ...] = (
    "i think", "i guess", "i suppose", "i believe", "i feel like", "i'd say", "i would say",
    "maybe", "perhaps", "probably", "possibly", "hopefully", "somewhat",
    "sort of", "kind of", "a little bit", "i'm not sure",
)  # fmt: skip

# Where a phrase is content, not a filler or hedge: the word before it, or the word after.
_DETERMINERS = frozenset(
    "a an the this that these those what which any some every each no one another other "
    "same right different similar new my our your their his her its what's that's".split()
)
_NOT_AFTER: dict[str, frozenset[str]] = {
    "you know": frozenset("do did don't didn't if would will could should let".split()),
    "i mean": frozenset({"what"}),  # "what I mean is..."
    "kind of": _DETERMINERS,  # "a different kind of test"
    "sort of": _DETERMINERS,  # "this sort of outage"
}
_NOT_BEFORE: dict[str, frozenset[str]] = {
    "i believe": frozenset({"in"}),  # "I believe in ownership"
    "i think": frozenset({"about", "of"}),  # "I think about the users first"
}

# "I knew that that was wrong" and "we had had two outages" are grammatical, so a doubled
# "that" or "had" is not a stutter; three in a row still is.
LEGIT_DOUBLES = frozenset({"that", "had"})
# Reduplicated words written with a hyphen are words, not stutters: "so-so", "bye-bye".
_HYPHEN_WORDS = frozenset({"so", "bye", "hush", "no", "tut", "pooh", "knock"})
MAX_REPEAT_WORDS = 3  # "in the in the" is caught; longer restarts are rephrasing

# Longest first, so "uh huh" wins over "uh" and "i feel like" over anything shorter.
_PHRASES = sorted(
    [(tuple(p.split()), "filler") for p in FILLERS] + [(tuple(p.split()), "hedge") for p in HEDGES],
    key=lambda item: -len(item[0]),
)


@dataclass(frozen=True, slots=True)
class Pause:
    start: float
    end: float
    duration: float
    before: str  # the word before the pause
    after: str  # the word after
    section: str  # the section of the word before it ("" when no sections are given)


@dataclass(frozen=True, slots=True)
class Delivery:
    wpm: float  # words per minute from the first word's start to the last word's end
    section_wpm: dict[str, float]  # per section over its own time; 0.0 for an empty one
    long_pauses: tuple[Pause, ...]  # gaps between consecutive words >= long_pause_s
    longest_pause_s: float  # the longest gap between any two consecutive words
    fillers: tuple[Evidence, ...]
    fillers_per_min: float
    hedges: tuple[Evidence, ...]
    hedges_per_min: float
    repeats: tuple[Evidence, ...]  # "I I", "we we went" -> "we we"
    long_pause_s: float  # the threshold used

    def to_dict(self) -> dict:
        """JSON-ready: numbers rounded to 2 decimals, plus counts."""

        def ev(items: tuple[Evidence, ...]) -> list[dict]:
            return [{"text": e.text, "start": _r(e.start), "end": _r(e.end)} for e in items]

        return {
            "wpm": _r(self.wpm),
            "section_wpm": {k: _r(v) for k, v in self.section_wpm.items()},
            "long_pauses": [
                {k: _r(getattr(p, k)) for k in Pause.__slots__} for p in self.long_pauses
            ],
            "long_pause_count": len(self.long_pauses),
            "longest_pause_s": _r(self.longest_pause_s),
            "fillers": ev(self.fillers),
            "filler_count": len(self.fillers),
            "fillers_per_min": _r(self.fillers_per_min),
            "hedges": ev(self.hedges),
            "hedge_count": len(self.hedges),
            "hedges_per_min": _r(self.hedges_per_min),
            "repeats": ev(self.repeats),
            "repeat_count": len(self.repeats),
            "long_pause_s": _r(self.long_pause_s),
        }


def _r(value: object) -> object:
    return round(value, 2) if isinstance(value, float) else value


def _per_min(count: int, span_s: float) -> float:
    return count * 60.0 / max(span_s, MIN_RATE_SPAN_S) if count else 0.0


def _tokens(words: Sequence[Word]) -> list[tuple[str, int]]:
    """(normalised token, index of its word): lower case, punctuation dropped, split on hyphens,
    dashes, slashes and ellipses; numbers as written. "I—I," -> ("i", k), ("i", k)."""
    return [(part, k) for k, w in enumerate(words) for part in text_words(w.text)]


def _evidence(words: Sequence[Word], first: int, last: int) -> Evidence:
    return Evidence(join_words(words[first : last + 1]), words[first].start, words[last].end)


def _find_phrases(toks: list[tuple[str, int]], words: Sequence[Word]):
    """Longest match first, left to right, no overlaps: "uh-huh" is one filler, not "uh"."""
    texts = [t for t, _ in toks]
    found: dict[str, list[Evidence]] = {"filler": [], "hedge": []}
    used: set[int] = set()  # token positions inside a filler
    i = 0
    while i < len(texts):
        for phrase, kind in _PHRASES:
            n = len(phrase)
            if tuple(texts[i : i + n]) != phrase:
                continue
            key = " ".join(phrase)
            prev = texts[i - 1] if i else ""
            nxt = texts[i + n] if i + n < len(texts) else ""
            if prev in _NOT_AFTER.get(key, ()) or nxt in _NOT_BEFORE.get(key, ()):
                continue
            found[kind].append(_evidence(words, toks[i][1], toks[i + n - 1][1]))
            if kind == "filler":
                used.update(range(i, i + n))
            i += n
            break
        else:
            i += 1
    return found["filler"], found["hedge"], used


def _find_repeats(toks: list[tuple[str, int]], words: Sequence[Word], skip: set[int]):
    """Immediate repetitions of 1 to MAX_REPEAT_WORDS tokens. Repeated fillers ("um um")
    are already counted as fillers, so they are not counted again here."""
    texts = [t for t, _ in toks]
    found: list[Evidence] = []
    i = 0
    while i < len(texts):
        for n in range(1, MAX_REPEAT_WORDS + 1):
            chunk = texts[i : i + n]
            if len(chunk) < n:
                continue
            reps = 1
            while texts[i + reps * n : i + (reps + 1) * n] == chunk:
                reps += 1
            if reps < 2:
                continue
            end = i + reps * n - 1
            if n == 1 and reps == 2 and chunk[0] in LEGIT_DOUBLES:
                continue
            if any(j in skip for j in range(i, end + 1)):
                continue
            if toks[i][1] == toks[end][1] and chunk[0] in _HYPHEN_WORDS:
                continue  # one hyphenated word: "so-so"
            found.append(_evidence(words, toks[i][1], toks[end][1]))
            i = end + 1
            break
        else:
            i += 1
    return found


def _section_of(t: float, sections: Sequence[Section]) -> str:
    """The non-empty section whose time holds `t` (sections run first word to next start)."""
    live = [s for s in sections if s.words]
    at = bisect.bisect_right([s.start for s in live], t) - 1
    return live[max(at, 0)].name if live else ""


def measure_delivery(
    words: Sequence[Word], sections: Sequence[Section], *, long_pause_s: float = LONG_PAUSE_S
) -> Delivery:
    """Pace, pauses, fillers, hedges and repeats of one answer. No words -> all zeros."""
    if not words:
        zeros = {s.name: 0.0 for s in sections}
        return Delivery(0.0, zeros, (), 0.0, (), 0.0, (), 0.0, (), long_pause_s)
    span = max(0.0, words[-1].end - words[0].start)
    wpm = len(words) * 60.0 / max(span, MIN_RATE_SPAN_S)
    section_wpm = {
        s.name: (s.word_count * 60.0 / max(s.speaking_s, MIN_RATE_SPAN_S) if s.words else 0.0)
        for s in sections
    }

    pauses: list[Pause] = []
    longest = 0.0
    for a, b in itertools.pairwise(words):
        gap = b.start - a.end
        longest = max(longest, gap)
        if gap >= long_pause_s:
            section = _section_of(a.start, sections)
            pauses.append(Pause(a.end, b.start, gap, a.text.strip(), b.text.strip(), section))

    toks = _tokens(words)
    fillers, hedges, used = _find_phrases(toks, words)
    repeats = _find_repeats(toks, words, used)
    return Delivery(
        wpm=wpm,
        section_wpm=section_wpm,
        long_pauses=tuple(pauses),
        longest_pause_s=longest,
        fillers=tuple(fillers),
        fillers_per_min=_per_min(len(fillers), span),
        hedges=tuple(hedges),
        hedges_per_min=_per_min(len(hedges), span),
        repeats=tuple(repeats),
        long_pause_s=long_pause_s,
    )
