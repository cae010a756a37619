"""STAR segmentation: label each word of an answer Situation, Task, Action or Result.

How it works (pure logic, no models):
1. Split the words into clauses: sentences from the transcriber's punctuation, then clauses
   inside long sentences at spoken joins (", and so", ", then"). Without punctuation, use
   pauses between word times and spoken joins ("so", "and then"), then fixed-size chunks.
2. Score every clause for every section with general cues (star_cues): explicit signposts
   and labels ("The result was", "Task:", "[A]") weigh most; then linguistic cues (setting
   and states for S, "I needed to" / "my role" for T, first-person past action verbs for A,
   outcomes, numbers and reflection for R); plus a position prior per word (typical shares
   about 18/12/48/22 %).
   A section announced outright ("My task was", "Result:") is kept out of the clauses before
   the announcement.
3. Pick the best labelling that never goes back in S->T->A->R order with dynamic programming
   over clauses; starting a section in the middle of a sentence costs extra.
4. If the clauses left at the end for the result read no more like a result than like action,
   the answer has no result: they stay in the action, and the result is empty.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from starcoach.records import SECTION_NAMES, Evidence, Section, Word, sections_from_labels
from starcoach import star_cues as cues
from starcoach import star_model
from starcoach.text import normalise

PAUSE_S = 0.35  # a gap this long between words ends a sentence in unpunctuated speech
MAX_CLAUSE = 24  # unpunctuated clauses longer than this are cut into chunks
# Position prior: expected relative positions of the S|T, T|A and A|R boundaries, their spread,
# and the weight per word.
BOUNDS = (0.18, 0.30, 0.78)
SPREAD = 0.13
PRIOR_W = 0.05
MID_SENTENCE_COST = 3.0  # starting a section inside a punctuated sentence
CLAUSE_COST = 0.6  # starting a section at a guessed clause start (no punctuation)
SUBJECT_COST = 1.2  # starting a section where a subject may open a sentence (no punctuation)
CHUNK_COST = 1.5  # starting a section at a fixed-size chunk cut
SKIP_COST = 1.5  # leaving a section empty
LABEL_W = 25.0
SIGNPOST_COST = 1.0  # starting a section at a signpost inside a sentence
ANNOUNCE_COST = 2.5  # per clause put in a section before the signpost that announces it

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
class _Clause:
    start: int  # index of first word
    end: int  # one past the last word
    cost: float  # cost of starting a new section here (0 at a sentence start)
    text: str  # normalised text
    label: int | None = None  # explicit section label ("Task:", "[A]")


def _norm(text: str) -> str:
    """A word's form for the cues (star_cues): numbers as written, currency and "%" kept."""
    return normalise(text, symbols="%$£€")


def _label_of(raw: str, loose: bool = False) -> int | None:
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


class _Text:
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


def _clauses(words: Sequence[Word]) -> tuple[list[_Clause], _Text]:
    n = len(words)
    raws = [w.text.strip() for w in words]
    norms = [_norm(r) for r in raws]
    text = _Text(norms)
    ends = [bool(_END.search(r)) and not _ABBREV.match(r) for r in raws]
    punctuated = sum(ends) >= max(1, n // 45)
    paused = [i + 1 < n and words[i + 1].start - words[i].end >= PAUSE_S for i in range(n)]
    guess_subjects = not punctuated and sum(paused) < max(1, n // 45)
    start_cost = [math.inf] * n  # cost of a section starting at each word
    start_cost[0] = 0.0
    labels: dict[int, int] = {}
    for i, raw in enumerate(raws):
        lab = _label_of(raw)
        if lab is None and (start_cost[i] == 0.0 or not punctuated):
            # a spoken label: "Result. We shipped", "situation we had", not "result was"
            nxt = norms[i + 1] if i + 1 < n else ""
            prev = norms[i - 1] if i else ""
            if nxt and nxt not in _NOT_AFTER_LABEL and (
                i == 0 or prev in _JOINS or start_cost[i] == 0.0
                or (not punctuated and nxt in _SUBJECTS and norms[i] in SECTION_NAMES
                    and prev not in _DETERMINERS and not _MODIFIER.search(prev))
            ):
                lab = _label_of(raw, loose=True)
        if lab is not None and (start_cost[i] == 0.0 or not punctuated):
            labels[i] = lab
            start_cost[i] = 0.0
        if i + 1 >= n:
            continue
        if lab is not None and i in labels:
            continue  # "Situation:" opens its sentence rather than ending one
        if ends[i] or _SOFT_END.search(raw):
            start_cost[i + 1] = 0.0
        elif not punctuated and paused[i]:
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
    out: list[_Clause] = []
    for a, b in zip(cuts, cuts[1:]):
        pieces = max(1, round((b - a) / MAX_CLAUSE)) if not punctuated else 1
        step = (b - a) / pieces
        for p in range(pieces):
            s, e = a + round(p * step), a + round((p + 1) * step)
            cost = start_cost[s] if p == 0 else CHUNK_COST
            out.append(_Clause(s, e, cost, text.span(s, e), labels.get(s)))
    return out, text


def _cue_scores(text: str) -> list[float]:
    sc = [0.0, 0.0, 0.0, 0.0]
    for pat, sec, weight, _tier in cues.SIGNPOSTS:
        if pat.search(text):
            sc[sec] += weight
    for pat, weights in cues.CUES:
        hits = min(2, len(pat.findall(text)))
        if hits:
            for sec, weight in weights.items():
                sc[sec] += weight * hits
    sc[cues.A] += 1.2 * min(3, len(cues.FIRST_PERSON_ACTION.findall(text)))
    we = min(2, len(cues.WE_ACTION.findall(text)))
    sc[cues.A] += 0.4 * we
    sc[cues.R] += 0.4 * we
    sc[cues.R] += 0.4 * min(3, len(cues.NUMBER.findall(text)))
    return sc


def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, error < 2e-7)."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def _position_prior(n: int) -> np.ndarray:
    """Running sums over words of the log prior of each section given its relative position:
    row i holds the sums for words [0, i)."""
    p = (np.arange(n) + 0.5) / n
    past = [np.ones(n)] + [_phi((p - b) / SPREAD) for b in BOUNDS] + [np.zeros(n)]
    # P(section k) = P(past boundary k) - P(past boundary k+1)
    logp = np.log(np.maximum(1e-4, np.stack([past[k] - past[k + 1] for k in range(4)], axis=1)))
    return np.vstack([np.zeros((1, 4)), np.cumsum(logp, axis=0)])


def _rule_scores(clauses: Sequence[_Clause], n: int) -> list[list[float]]:
    prior = _position_prior(n).tolist()
    em = []
    for c in clauses:
        sc = _cue_scores(c.text)
        hi, lo = prior[c.end], prior[c.start]
        for k in range(4):
            sc[k] += PRIOR_W * (hi[k] - lo[k])
        em.append(sc)
    return em


def _emissions(clauses: Sequence[_Clause], n: int) -> list[list[float]]:
    return _announcements(clauses, _rule_scores(clauses, n))


def _model_emissions(clauses: Sequence[_Clause], n: int, vectors: np.ndarray, model) -> list[list[float]]:
    """Emissions from the clause classifier: its log-probabilities, weighted by clause length."""
    spans = [(c.start, c.end) for c in clauses]
    feats = star_model.clause_features(vectors, spans, n, [_cue_scores(c.text) for c in clauses],
                                       [_announced(c) for c in clauses], context=bool(model.settings.get("context")))
    logp = model.log_proba(feats)
    weight, power = model.settings["emission_weight"], model.settings["length_power"]
    em = [[weight * (c.end - c.start) ** power * float(v) for v in row] for c, row in zip(clauses, logp)]
    rules = model.settings.get("rule_weight", 0.0)
    if rules:  # the cue rules' own scores, blended in
        for row, rule in zip(em, _rule_scores(clauses, n)):
            for k in range(4):
                row[k] += rules * rule[k]
    return _announcements(clauses, em)


def _announcements(clauses: Sequence[_Clause], em: list[list[float]]) -> list[list[float]]:
    """A label ("Task:") holds its clause; a section announced by a label or an explicit signpost
    starts there: the clauses between the previous announcement (of an earlier section) and this
    one are not in it."""
    for c, sc in zip(clauses, em):
        if c.label is not None:
            sc[c.label] += LABEL_W
    announced = [_announced(c) for c in clauses]
    prev = -1
    for i, k in enumerate(announced):
        if k is None:
            continue
        if k > prev:
            j = i - 1
            while j >= 0 and announced[j] is None:
                em[j][k] -= ANNOUNCE_COST
                j -= 1
        prev = k
    return em


def _announced(c: _Clause) -> int | None:
    """The section a clause names outright ("Task:", "[R]", "The result was...")."""
    if c.label is not None:
        return c.label
    for pat, sec, _w, tier in cues.SIGNPOSTS:
        if tier == 2 and pat.search(c.text):
            return sec
    return None


def _best_path(clauses: Sequence[_Clause], em: Sequence[Sequence[float]], *, cost_weight: float = 1.0,
               skip: float = SKIP_COST) -> list[int]:
    m = len(clauses)
    neg = -math.inf
    best = [[neg] * 4 for _ in range(m)]
    back = [[0] * 4 for _ in range(m)]
    for k in range(4):
        best[0][k] = em[0][k] - skip * k
    for i in range(1, m):
        for k in range(4):
            for j in range(k + 1):
                v = best[i - 1][j]
                if j != k:
                    v -= cost_weight * clauses[i].cost + skip * (k - j - 1)
                if v > best[i][k]:
                    best[i][k], back[i][k] = v, j
            best[i][k] += em[i][k]
    k = max(range(4), key=lambda s: best[m - 1][s] - skip * (3 - s))
    path = [k]
    for i in range(m - 1, 0, -1):
        k = back[i][k]
        path.append(k)
    return path[::-1]


def label_words(words: Sequence[Word], vectors: np.ndarray | None = None, embedder: str = "",
                model: star_model.StarClassifier | None = None) -> list[str]:
    """One of SECTION_NAMES per word, in STAR order (never going back); sections may be empty.

    With `vectors` (one sentence embedding per clause of clause_spans, from the embedder named
    `embedder`) and a shipped classifier fitted with that embedder, clauses are labelled by
    meaning and position; otherwise by the cue rules alone."""
    if not words:
        return []
    clauses, _ = _clauses(words)
    if model is None and vectors is not None:
        model = star_model.shipped()
    if vectors is not None and model is not None and model.embedder == embedder and len(vectors) == len(clauses):
        em = _model_emissions(clauses, len(words), vectors, model)
        path = _best_path(clauses, em, cost_weight=model.settings["cost_weight"], skip=model.settings["skip_cost"])
    else:
        path = _best_path(clauses, _emissions(clauses, len(words)))
        path = _drop_weak_result(clauses, path)
    labels: list[str] = []
    for c, k in zip(clauses, path):
        labels.extend([SECTION_NAMES[k]] * (c.end - c.start))
    return labels


def _drop_weak_result(clauses: Sequence[_Clause], path: list[int]) -> list[int]:
    # The position prior always leaves something at the end for the result. If what it left
    # reads no more like a result than like action, and nothing announced a result, the
    # candidate gave none: keep those clauses in the action (an empty result is a finding).
    tail = [c for c, k in zip(clauses, path) if k == 3]
    if tail and not any(c.label == 3 or _announced(c) == 3 for c in tail):
        scores = [_cue_scores(c.text) for c in tail]
        if sum(sc[3] for sc in scores) <= sum(sc[2] for sc in scores):
            path = [2 if k == 3 else k for k in path]
    return path


def clause_spans(words: Sequence[Word]) -> list[tuple[int, int, bool]]:
    """The answer's clauses as (first word, one past the last, starts a sentence)."""
    if not words:
        return []
    clauses, _ = _clauses(words)
    return [(c.start, c.end, c.cost == 0.0) for c in clauses]


def split_sections(words: Sequence[Word], vectors: np.ndarray | None = None, embedder: str = "") -> list[Section]:
    """The four STAR sections, in order (some may be empty); see label_words."""
    return sections_from_labels(words, label_words(words, vectors, embedder))


def order_problems(words: Sequence[Word], labels: Sequence[str]) -> list[Evidence]:
    """Sentences that carry an explicit signpost for another section than the one they were
    put in, out of STAR order: "The situation was..." after the action began, or "The result
    was..." at the very start. A clean, well-ordered answer gives []."""
    if len(words) != len(labels):
        raise ValueError(f"{len(words)} words but {len(labels)} labels")
    if not words:
        return []
    order = {name: i for i, name in enumerate(SECTION_NAMES)}
    try:
        put_at = [order[x] for x in labels]
    except KeyError as e:
        raise ValueError(f"unknown section {e.args[0]!r}") from None
    clauses, text = _clauses(words)
    # whole sentences (or clauses opened by an explicit signpost inside a sentence)
    starts = [c.start for c in clauses if c.cost in (0.0, SIGNPOST_COST) or c.label is not None]
    starts.append(len(words))
    out: list[Evidence] = []
    last_label, last_reported = -1, False
    for a, b in zip(starts, starts[1:]):
        said = label = _label_of(words[a].text)
        if said is None:
            sentence = text.span(a, b)
            for pat, sec, _w, tier in cues.SIGNPOSTS:
                if (tier == 2 or (tier == 1 and a == 0)) and pat.search(sentence):
                    said = sec
                    break
        if said is None:
            continue
        put = put_at[a]
        before = max(put_at[:a], default=-1)
        after = min(put_at[b:], default=4)
        # Labels ("[S]", "Result:") said in the wrong order, even where the labelling obeyed them;
        # a signpost for an earlier section after a later one began ("The situation was..."
        # in the action); one for a later section at the very start ("As a result, ...").
        wrong = said < put and before > said
        wrong |= said > put and after < said and (a == 0 or label is not None)
        if label is not None:
            wrong |= label < last_label and not last_reported
            last_label, last_reported = label, wrong
        if wrong:
            quote = " ".join(w.text.strip() for w in words[a:b])
            out.append(Evidence(quote, words[a].start, words[b - 1].end))
    return out
