"""STAR segmentation: label each word of an answer Situation, Task, Action or Result.

How it works (pure logic, no models):
1. Split the words into clauses (star_clauses): sentences from the transcriber's punctuation,
   then clauses inside long sentences at spoken joins (", and so", ", then"). Without
   punctuation, use pauses between word times and spoken joins ("so", "and then"), then
   fixed-size chunks.
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

import itertools
import math
from collections.abc import Sequence

import numpy as np

from starcoach import star_cues as cues
from starcoach import star_model
from starcoach.records import SECTION_NAMES, Evidence, Section, Word, sections_from_labels
from starcoach.star_clauses import SIGNPOST_COST, Clause, clauses_of, label_of

# Position prior: expected relative positions of the S|T, T|A and A|R boundaries, their spread,
# and the weight per word.
BOUNDS = (0.18, 0.30, 0.78)
SPREAD = 0.13
PRIOR_W = 0.05
SKIP_COST = 1.5  # leaving a section empty
LABEL_W = 25.0
ANNOUNCE_COST = 2.5  # per clause put in a section before the signpost that announces it


def cue_scores(text: str) -> list[float]:
    """A clause's score for each section (S, T, A, R) from the cue rules of star_cues."""
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


def _rule_scores(clauses: Sequence[Clause], n: int) -> list[list[float]]:
    prior = _position_prior(n).tolist()
    em = []
    for c in clauses:
        sc = cue_scores(c.text)
        hi, lo = prior[c.end], prior[c.start]
        for k in range(4):
            sc[k] += PRIOR_W * (hi[k] - lo[k])
        em.append(sc)
    return em


def _emissions(clauses: Sequence[Clause], n: int) -> list[list[float]]:
    return _announcements(clauses, _rule_scores(clauses, n))


def _model_emissions(clauses: Sequence[Clause], n: int, vectors: np.ndarray, model) -> list[list[float]]:
    """Emissions from the clause classifier: its log-probabilities, weighted by clause length."""
    spans = [(c.start, c.end) for c in clauses]
    feats = star_model.clause_features(vectors, spans, n, [cue_scores(c.text) for c in clauses],
                                       [announced(c) for c in clauses], context=bool(model.settings.get("context")))
    logp = model.log_proba(feats)
    weight, power = model.settings["emission_weight"], model.settings["length_power"]
    em = [[weight * (c.end - c.start) ** power * float(v) for v in row] for c, row in zip(clauses, logp, strict=False)]
    rules = model.settings.get("rule_weight", 0.0)
    if rules:  # the cue rules' own scores, blended in
        for row, rule in zip(em, _rule_scores(clauses, n), strict=False):
            for k in range(4):
                row[k] += rules * rule[k]
    return _announcements(clauses, em)


def _announcements(clauses: Sequence[Clause], em: list[list[float]]) -> list[list[float]]:
    """A label ("Task:") holds its clause; a section announced by a label or an explicit signpost
    starts there: the clauses between the previous announcement (of an earlier section) and this
    one are not in it."""
    for c, sc in zip(clauses, em, strict=False):
        if c.label is not None:
            sc[c.label] += LABEL_W
    named = [announced(c) for c in clauses]
    prev = -1
    for i, k in enumerate(named):
        if k is None:
            continue
        if k > prev:
            j = i - 1
            while j >= 0 and named[j] is None:
                em[j][k] -= ANNOUNCE_COST
                j -= 1
        prev = k
    return em


def announced(c: Clause) -> int | None:
    """The section a clause names outright ("Task:", "[R]", "The result was...")."""
    if c.label is not None:
        return c.label
    for pat, sec, _w, tier in cues.SIGNPOSTS:
        if tier == 2 and pat.search(c.text):
            return sec
    return None


def _best_path(clauses: Sequence[Clause], em: Sequence[Sequence[float]], *, cost_weight: float = 1.0,
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
    clauses, _ = clauses_of(words)
    if model is None and vectors is not None:
        model = star_model.shipped()
    if vectors is not None and model is not None and model.embedder == embedder and len(vectors) == len(clauses):
        em = _model_emissions(clauses, len(words), vectors, model)
        path = _best_path(clauses, em, cost_weight=model.settings["cost_weight"], skip=model.settings["skip_cost"])
    else:
        path = _best_path(clauses, _emissions(clauses, len(words)))
        path = _drop_weak_result(clauses, path)
    labels: list[str] = []
    for c, k in zip(clauses, path, strict=False):
        labels.extend([SECTION_NAMES[k]] * (c.end - c.start))
    return labels


def _drop_weak_result(clauses: Sequence[Clause], path: list[int]) -> list[int]:
    # The position prior always leaves something at the end for the result. If what it left
    # reads no more like a result than like action, and nothing announced a result, the
    # candidate gave none: keep those clauses in the action (an empty result is a finding).
    tail = [c for c, k in zip(clauses, path, strict=False) if k == 3]
    if tail and not any(c.label == 3 or announced(c) == 3 for c in tail):
        scores = [cue_scores(c.text) for c in tail]
        if sum(sc[3] for sc in scores) <= sum(sc[2] for sc in scores):
            path = [2 if k == 3 else k for k in path]
    return path


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
    clauses, text = clauses_of(words)
    # whole sentences (or clauses opened by an explicit signpost inside a sentence)
    starts = [c.start for c in clauses if c.cost in (0.0, SIGNPOST_COST) or c.label is not None]
    starts.append(len(words))
    out: list[Evidence] = []
    last_label, last_reported = -1, False
    for a, b in itertools.pairwise(starts):
        said = label = label_of(words[a].text)
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
