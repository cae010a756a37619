"""An answer's clauses, the units STAR labels (pure, no models): step 1 of star.py.

Sentences from the transcriber's punctuation, then clauses inside long sentences at spoken joins
(", and so", ", then"). Without punctuation: pauses between word times and spoken joins ("so",
"and then"), then fixed-size chunks. Each clause start carries the cost of starting a section there
(0 at a sentence start), its normalised text for the cues (star_cues), and any explicit section
label ("Task:", "[A]").
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starcoach import star_cues as cues
from starcoach.records import SECTION_NAMES, Word
from starcoach.text import normalise

PAUSE_S = 0.35  # a gap this long between words ends a sentence in unpunctuated speech
MAX_CLAUSE = 24  # unpunctuated clauses longer than this are cut into chunks
MID_SENTENCE_COST = 3.0  # starting a section inside a punctuated sentence
CLAUSE_COST = 0.6  # starting a section at a guessed clause start (no punctuation)
SUBJECT_COST = 1.2  # starting a section where a subject may open a sentence (no punctuation)
CHUNK_COST = 1.5  # starting a section at a fixed-size chunk cut
SIGNPOST_COST = 1.0  # starting a section at a signpost inside a sentence

_END = re.compile(r"[.!?]+[\"'”’)\]]*$")
_ABBREV = re.compile(r"^(?:[a-z]\.){1,3}$|^(?:e\.g|i\.e|vs|mr|mrs|ms|dr|st|approx)\.$", re.I)
_SOFT_END = re.compile(r"[:;][\"'”’)\]]*$")
_LABEL = re.compile(r"^[\[(]?([A-Za-z]+)(?:[\])]:?|:|\s*[-–—])$")
_LOOSE_LABEL = re.compile(r"^([A-Za-z]+)[.,]?$")
# words that show a section name is part of the sentence, not a label ("result was", "task of")
_NOT_AFTER_LABEL = frozenset(
    "was is were are of for that and on in to at with from by as or be been has had have "
    "would will could should can did does do went came seemed looked took".split()
)
_SUBJECTS = frozenset({"i", "we", "my", "our", "he", "she", "they", "it", "this", "that", "there"})
# words after which a subject does not start a new sentence ("that I", "when we", "told me")
_BINDS = frozenset(
    "that what which who whom when where why how because if whether as than before after until "
    "while since though although once to for with of by about like me him her them us and so "
    "or but then i we he she they it this there was were is be been had have has did do does "
    "could would should will can may might must all".split()
)
_DETERMINERS = frozenset(
    "the a an my our your his her their its this that these those each every any no one some "
    "same first last final whole end take took taking takes of as in".split()
)
_MODIFIER = re.compile(r"(?:ful|ive|al|ous|ic|ent|ant|ing|ed|ble|est|er|ate)$")  # "successful result"
_JOINS = frozenset({"and", "so", "then", "but", "um", "uh", "okay", "well", "now"})


@dataclass(slots=True)
class Clause:
    """A run of words STAR labels as one: a sentence, or a clause of a long or unpunctuated one."""

    start: int  # index of first word
    end: int  # one past the last word
    cost: float  # cost of starting a new section here (0 at a sentence start)
    text: str  # normalised text
    label: int | None = None  # explicit section label ("Task:", "[A]")


def word_form(text: str) -> str:
    """A word's form for the cues (star_cues): numbers as written, currency and "%" kept."""
    return normalise(text, symbols="%$£€")


def label_of(raw: str, loose: bool = False) -> int | None:
    """The section a label token names: "Situation:", "[T]", "(A)", "Result -". With loose
    (at the start of a sentence), also a whole section name ending in "," or "." or bare."""
    raw = raw.strip()
    m = _LABEL.match(raw) or (_LOOSE_LABEL.match(raw) if loose else None)
    if not m:
        return None
    word = m.group(1).lower()
    if len(word) == 1 and not raw.startswith(("[", "(")) and not raw.endswith(":"):
        return None
    if m.re is _LOOSE_LABEL and len(word) == 1:
        return None
    return cues.LABELS.get(word)


class ClauseText:
    """The answer's normalised text (fillers and immediate repeats dropped), with a map from
    each word to its place in the text."""

    def __init__(self, norms: Sequence[str]) -> None:
        toks: list[str] = []
        self.first: list[int] = []  # per word: index of its first token
        for w in norms:
            self.first.append(len(toks))
            for part in w.split():
                if part in cues.FILLERS or (toks and part == toks[-1]):
                    continue
                toks.append(part)
        self.first.append(len(toks))
        self.offsets: list[int] = []  # per token: char offset in self.full
        pos = 0
        for t in toks:
            self.offsets.append(pos)
            pos += len(t) + 1
        self.offsets.append(pos)
        self.full = " ".join(toks)

    def span(self, a: int, b: int) -> str:
        return self.full[self.offsets[self.first[a]] : max(0, self.offsets[self.first[b]] - 1)]

    def word_at(self, char: int) -> int:
        return bisect.bisect_right(self.first, bisect.bisect_right(self.offsets, char) - 1) - 1


def _is_clause_start(norms: Sequence[str], i: int) -> bool:
    """A spoken join starts a new clause at word i ("so", "and then", "and I", "but")."""
    w = norms[i]
    prev = norms[i - 1] if i > 0 else ""
    nxt = norms[i + 1] if i + 1 < len(norms) else ""
    if w in {"so", "then"} and prev == "and":
        return False
    if w == "so":
        return nxt not in {"that", "much", "many", "far", "on", "to", "it", "the", "a", "i'm"}
    if w in {"but", "then", "because"}:
        return True
    if w == "and":
        return nxt in {"so", "then", "i", "we", "my", "our", "after", "now", "since", "in", "as", "within"}
    return False


def clauses_of(words: Sequence[Word]) -> tuple[list[Clause], ClauseText]:
    """The answer's clauses, in order, and its normalised text (which their `text` is cut from)."""
    n = len(words)
    raws = [w.text.strip() for w in words]
    norms = [word_form(r) for r in raws]
    text = ClauseText(norms)
    ends = [bool(_END.search(r)) and not _ABBREV.match(r) for r in raws]
    punctuated = sum(ends) >= max(1, n // 45)
    paused = [i + 1 < n and words[i + 1].start - words[i].end >= PAUSE_S for i in range(n)]
    guess_subjects = not punctuated and sum(paused) < max(1, n // 45)
    start_cost = [math.inf] * n  # cost of a section starting at each word
    start_cost[0] = 0.0
    labels: dict[int, int] = {}
    for i, raw in enumerate(raws):
        lab = label_of(raw)
        if lab is None and (start_cost[i] == 0.0 or not punctuated):
            # a spoken label: "Result. We shipped", "situation we had", not "result was"
            nxt = norms[i + 1] if i + 1 < n else ""
            prev = norms[i - 1] if i else ""
            if nxt and nxt not in _NOT_AFTER_LABEL and (
                i == 0 or prev in _JOINS or start_cost[i] == 0.0
                or (not punctuated and nxt in _SUBJECTS and norms[i] in SECTION_NAMES
                    and prev not in _DETERMINERS and not _MODIFIER.search(prev))
            ):
                lab = label_of(raw, loose=True)
        if lab is not None and (start_cost[i] == 0.0 or not punctuated):
            labels[i] = lab
            start_cost[i] = 0.0
        if i + 1 >= n:
            continue
        if lab is not None and i in labels:
            continue  # "Situation:" opens its sentence rather than ending one
        if ends[i] or _SOFT_END.search(raw) or (not punctuated and paused[i]):
            start_cost[i + 1] = 0.0
        elif _is_clause_start(norms, i + 1) and (not punctuated or raw.endswith((",", "—", "–", "-"))):
            start_cost[i + 1] = CLAUSE_COST if not punctuated else MID_SENTENCE_COST
        elif guess_subjects and norms[i + 1] in _SUBJECTS and norms[i] not in _BINDS:
            start_cost[i + 1] = SUBJECT_COST
        elif raw in {"—", "–", "-"} or raw.endswith(("—", "–")):
            start_cost[i + 1] = MID_SENTENCE_COST
    # An explicit signpost inside a sentence ("... two seconds and my job was to ...").
    for pat, _sec in cues.SIGNPOSTS_INSIDE:
        for m in pat.finditer(text.full):
            i = text.word_at(m.start())
            while i > 0 and norms[i - 1] in _JOINS:
                i -= 1
            # only where a clause can begin: after a join word or a comma/dash
            if i == text.word_at(m.start()) and not (i > 0 and raws[i - 1].endswith((",", "—", "–"))):
                continue
            if 0 < i < n and start_cost[i] > 0.0:
                start_cost[i] = min(start_cost[i], SIGNPOST_COST)
    cuts = [i for i in range(n) if start_cost[i] < math.inf] + [n]
    out: list[Clause] = []
    for a, b in itertools.pairwise(cuts):
        pieces = max(1, round((b - a) / MAX_CLAUSE)) if not punctuated else 1
        step = (b - a) / pieces
        for p in range(pieces):
            s, e = a + round(p * step), a + round((p + 1) * step)
            cost = start_cost[s] if p == 0 else CHUNK_COST
            out.append(Clause(s, e, cost, text.span(s, e), labels.get(s)))
    return out, text


def clause_spans(words: Sequence[Word]) -> list[tuple[int, int, bool]]:
    """The answer's clauses as (first word, one past the last, starts a sentence)."""
    if not words:
        return []
    clauses, _ = clauses_of(words)
    return [(c.start, c.end, c.cost == 0.0) for c in clauses]
