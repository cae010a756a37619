"""Run rubric checks (from YAML) on one scored answer and turn the outcomes into findings and a score.

Pure: it reads words, sections, timings and delivery figures, and imports no device library.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from starcoach import meaning, safe_regex
from starcoach.bank import Targets
from starcoach.bank_checks import SEVERITIES, Check
from starcoach.delivery import Delivery
from starcoach.meaning import Exemplars, Unit, best_matches, probe_scores
from starcoach.records import Evidence, Finding, Score, Section, Word, join_words
from starcoach.text import normalise
from starcoach.timing import Timing

I_WORDS = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"})
WE_WORDS = frozenset({"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'd", "we'll"})
MAX_QUOTES = 3  # findings quote at most this many places: enough to find them, not a wall of text
# Below this many words in a check's scope there is nothing to judge: the check earns nothing and
# says so, instead of passing because nothing wrong was heard in an answer that said nothing.
MIN_WORDS_SECTION = 10
MIN_WORDS_ANSWER = 40
UNJUDGED = "not enough said to judge"
TOPIC_LEAD = 4  # words of its sentence before a clause read with it for its topic (see _on_topic)
_ENDS_SENTENCE = re.compile(r"[.!?][\"')]*$")
BORDERLINE = "a borderline match: read the quote and judge it yourself"


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """What a check may look at."""

    words: tuple[Word, ...]
    sections: tuple[Section, ...]
    timing: Timing | None  # None for a follow-up answer, which has no STAR sections to time
    delivery: Delivery
    level: str
    targets: Targets
    order_problems: tuple[Evidence, ...] = ()
    # The meaning layer (starcoach.meaning): the answer's clause units, their vectors, and the
    # exemplars of a check. Without them, checks match by their patterns only.
    units: tuple[Unit, ...] = ()
    unit_vectors: np.ndarray | None = None
    exemplars: Callable[[Check], Exemplars | None] | None = None
    start_word: int = 0  # checks look only from this word on (see `after`)

    def scoped_words(self, scope: tuple[str, ...] | None) -> list[Word]:
        if scope is None:
            return list(self.words)
        return [w for s in self.sections if s.name in scope for w in s.words]

    def scoped_range(self, scope: tuple[str, ...] | None) -> list[tuple[int, int]]:
        """The word-index ranges of the scope (sections are contiguous runs of words)."""
        if scope is None:
            out = [(0, len(self.words))]
        else:
            out, at = [], 0
            for s in self.sections:
                if s.name in scope and s.words:
                    out.append((at, at + len(s.words)))
                at += len(s.words)
        return [(max(lo, self.start_word), hi) for lo, hi in out if hi > self.start_word]

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)


# --------------------------------------------------------------------------- text matching

def normalise_token(text: str) -> str:
    """The form patterns are written against (questions/README.md): numbers as written, "%" and "$" kept."""
    return normalise(text, symbols="%$")


class MatchText:
    """Words joined into one normalised string, remembering which word each character came from."""

    def __init__(self, words: Sequence[Word]) -> None:
        self.words = list(words)
        parts, owners = [], []
        pos = 0
        for i, w in enumerate(self.words):
            token = normalise_token(w.text)
            if not token:
                continue
            if parts:
                parts.append(" ")
                owners.append(i)
                pos += 1
            parts.append(token)
            owners.extend([i] * len(token))
            pos += len(token)
        self.text = "".join(parts)
        self.owners = owners

    def find(self, patterns: Sequence[str]) -> list[Evidence]:
        """Every non-overlapping match of any pattern, in time order, as quotes with times."""
        return [Evidence(join_words(self.words[a : b + 1]), self.words[a].start, self.words[b].end)
                for a, b in self.spans(patterns)]

    def spans(self, patterns: Sequence[str]) -> list[tuple[int, int]]:
        """(first, last) word indexes of every non-overlapping match, in order."""
        spans: list[tuple[int, int]] = []
        for pattern in patterns:
            for m in _compiled(pattern).finditer(self.text):
                if m.end() > m.start():
                    spans.append((self.owners[m.start()], self.owners[m.end() - 1]))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return merged


@lru_cache(maxsize=2048)
def _compiled(pattern: str) -> safe_regex.BoundedPattern:
    return safe_regex.compile(pattern, re.IGNORECASE)  # refuses dangerous shapes; bounds the matching time


# --------------------------------------------------------------------------- the kinds


def _finding(check: Check, passed: bool, detail: str = "", evidence: Sequence[Evidence] = (),
             section: str | None = None, id: str | None = None) -> Finding:
    message = f"{check.message} ({detail})" if detail else check.message
    return Finding(id or check.id, passed, check.severity, message, check.advice,
                   tuple(evidence)[:MAX_QUOTES], check.category, section)


def _opening(section: Section, n: int = 8) -> tuple[Evidence, ...]:
    if not section.words:
        return ()
    ws = section.words[:n]
    text = join_words(ws) + (" \u2026" if len(section.words) > n else "")
    return (Evidence(text, section.start, section.end),)


def _structure(check: Check, ctx: AnswerContext) -> list[Finding]:
    thin = [s.name for s in ctx.sections if s.word_count < check.params["min_words"]]
    problems = list(ctx.order_problems)
    if thin:
        detail = "missing or too thin: " + ", ".join(thin)
    elif problems:
        detail = "a part is signposted out of STAR order"
    else:
        detail = " \u2192 ".join(f"{s.name} {s.word_count} words" for s in ctx.sections)
    return [_finding(check, not thin and not problems, detail, problems)]


def _fmt_s(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


def _section_time(check: Check, ctx: AnswerContext) -> list[Finding]:
    out = []
    for name in check.params["sections"]:
        t = ctx.timing.section(name)
        gap = f", {abs(t.gap_s):.0f}s {'under' if t.gap_s < 0 else 'over'}" if t.verdict != "ok" else ""
        detail = (f"{name}: {_fmt_s(t.speaking_s)} against {_fmt_s(t.target_min_s)}\u2013{_fmt_s(t.target_max_s)}, "
                  f"{t.verdict}{gap}")
        out.append(_finding(check, t.verdict == "ok", detail, _opening(ctx.section(name)), name, f"{check.id}.{name}"))
    return out


def _total_time(check: Check, ctx: AnswerContext) -> list[Finding]:
    t = ctx.timing
    gap = f", {abs(t.total_gap_s):.0f}s {'under' if t.total_gap_s < 0 else 'over'}" if t.total_verdict != "ok" else ""
    detail = f"{_fmt_s(t.total_s)} against {_fmt_s(t.total_min_s)}\u2013{_fmt_s(t.total_max_s)}, {t.total_verdict}{gap}"
    return [_finding(check, t.total_verdict == "ok", detail)]


def _share(check: Check, ctx: AnswerContext) -> list[Finding]:
    name = check.params["section"]
    low, high = ctx.targets.shares[name]
    low = check.params["min"] if check.params["min"] is not None else low
    high = check.params["max"] if check.params["max"] is not None else high
    share = ctx.timing.section(name).share
    detail = f"{name} is {share:.0%} of the answer, target {low:.0%}\u2013{high:.0%}"
    return [_finding(check, low - 1e-9 <= share <= high + 1e-9, detail, _opening(ctx.section(name)), name)]


def _pronouns(check: Check, ctx: AnswerContext) -> list[Finding]:
    words = ctx.scoped_words(check.params["scope"])
    i_count = sum(normalise_token(w.text) in I_WORDS for w in words)
    we = [w for w in words if normalise_token(w.text) in WE_WORDS]
    total = i_count + len(we)
    where = ", ".join(check.params["scope"] or ("answer",))
    if len(words) < MIN_WORDS_SECTION or not total:
        return [replace(_finding(check, False, f"{UNJUDGED}: no \u201cI\u201d or \u201cwe\u201d in {where}"), judged=False)]
    share = i_count / total
    detail = f"{where}: \u201cI\u201d {i_count}, \u201cwe\u201d {len(we)}"
    evidence = [Evidence(w.text, w.start, w.end) for w in we] if share < check.params["min_i_share"] else []
    return [_finding(check, share >= check.params["min_i_share"], detail, evidence)]


def _unit_evidence(ctx: AnswerContext, a: int, b: int) -> Evidence:
    ws = ctx.words[a:b]
    return Evidence(join_words(ws), ws[0].start, ws[-1].end)


def _clause_of(ctx: AnswerContext, a: int, b: int) -> Unit | None:
    """The smallest clause or pair of clauses holding words a..b (inclusive); never a piece, which
    would hide a negation said before it."""
    best = None
    for u in ctx.units:
        if u.clause is None and u.start <= a and b < u.end and (best is None or u.end - u.start < best.end - best.start):
            best = u
    return best


_NEGATOR = re.compile(r"\b(?:not|never|no|nobody|nothing|none|neither|nor|cannot)\b|n't\b")


def _pattern_hits(check: Check, ctx: AnswerContext, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Regex matches in the scope, widened to their clause; dropped where the clause negates what
    the pattern found ("I never let my team know..." does not say "let my team know") or reports
    someone else's words for a check about the candidate's own."""
    hits = []
    for lo, hi in ranges:
        words = ctx.words[lo:hi]
        for a, b in MatchText(words).spans(check.params["patterns"]):
            a, b = a + lo, b + lo
            unit = _clause_of(ctx, a, b)
            if unit is None:
                hits.append((a, b + 1))
                continue
            matched = " ".join(w.text for w in ctx.words[a : b + 1]).lower()
            before = " ".join(w.text for w in ctx.words[unit.start : a]).lower()
            # (a figure stays a figure: "no incidents in the 3 weeks after" still has one)
            if _NEGATOR.search(before) and not _NEGATOR.search(matched) and not any(c.isdigit() for c in matched):
                continue
            if _who(check) == "self" and unit.reported:
                continue
            hits.append((max(lo, unit.start), min(hi, unit.end)))
    return hits


def _meaning_hits(check: Check, ctx: AnswerContext, ranges: list[tuple[int, int]]) -> list[tuple[int, int, float | None]]:
    """Clauses matched by meaning: (start, end, probe score), the score None where the check has
    no probe (a nearest-example match is on another scale)."""
    if ctx.exemplars is None or ctx.unit_vectors is None or not check.params.get("examples"):
        return []
    ex = ctx.exemplars(check)
    if ex is None:
        return []
    inside = _units_within(ctx, ranges)
    if not inside:
        return []
    units = [ctx.units[i] for i in inside]
    mistake = check.params.get("expect") == "absent"
    found = best_matches(units, ctx.unit_vectors[inside], ex, threshold=check.params.get("threshold"), who=_who(check),
                         mistake=mistake)
    if check.params.get("topic"):
        found = [m for m in found if _on_topic(check, ctx, m.unit)]
    scored = ex.probe is not None
    # a piece is quoted as its whole clause (inside the scope), once however many of its pieces matched
    best: dict[tuple[int, int], float | None] = {}
    for m in found:
        a, b = m.unit.clause or (m.unit.start, m.unit.end)
        lo, hi = next(((lo, hi) for lo, hi in ranges if lo <= m.unit.start < hi), (a, b))
        span, score = (max(a, lo), min(b, hi)), (m.similarity if scored else None)
        if span not in best or (score is not None and score > best[span]):  # scores all None or all numbers
            best[span] = score
    return [(a, b, sc) for (a, b), sc in sorted(best.items())]


def _on_topic(check: Check, ctx: AnswerContext, unit: Unit) -> bool:
    """Whether the unit's clause (a piece may leave the word out), or the few words before it, says
    one of the check's topic patterns: in "we wrote to the VP and said | we didn't support the date"
    the clause that matches is the second, the topic word ends the first."""
    a, b = unit.clause or (unit.start, unit.end)
    lead = a
    while lead > max(0, a - TOPIC_LEAD) and not _ENDS_SENTENCE.search(ctx.words[lead - 1].text):
        lead -= 1
    text = join_words(ctx.words[lead:b])
    return any(_compiled(p).finditer(text) for p in check.params["topic"])


def _probe_strength(check: Check, ctx: AnswerContext, spans: list[tuple[int, int]]) -> float | None:
    """The best probe score of the clauses inside pattern hits: a pattern's words can be there
    without its meaning ("what was at stake for me was my pride"). None without a probe."""
    ex = ctx.exemplars(check) if ctx.exemplars is not None and check.params.get("examples") else None
    if ex is None or ex.probe is None or ctx.unit_vectors is None:
        return None
    inside = _units_within(ctx, spans)
    return float(probe_scores(ctx.unit_vectors[inside], ex).max()) if inside else None


def _units_within(ctx: AnswerContext, spans: list[tuple[int, int]]) -> list[int]:
    """The indices of the units lying wholly inside one of the word spans."""
    return [i for i, u in enumerate(ctx.units) if any(a <= u.start and u.end <= b for a, b in spans)]


def _who(check: Check) -> str:
    return check.params.get("who") or ("self" if check.params.get("expect") == "absent" else "anyone")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _phrases(check: Check, ctx: AnswerContext) -> list[Finding]:
    p = check.params
    positive = p["expect"] == "present"
    ranges = ctx.scoped_range(p["scope"])
    # Counted as before (each pattern match, then each meaning match in a clause no pattern hit),
    # quoted as whole clauses.
    pattern = _pattern_hits(check, ctx, ranges)
    meant = [m for m in _meaning_hits(check, ctx, ranges) if all(m[1] <= a or m[0] >= b for a, b in pattern)]
    count = len(pattern) + len(meant)
    found = [_unit_evidence(ctx, a, b) for a, b in _merge(pattern + [m[:2] for m in meant])]
    # How sure the evidence is. A mistake found by meaning alone below meaning.SURE is borderline
    # (there, on the dev answers, false alarms were as common as true ones). A behaviour is doubtful,
    # too weak to excuse a mistake (`unless`), when its meaning matches all score below
    # meaning.SURE_BEHAVIOUR and its pattern hits' clauses do not clear its own threshold: a word
    # list can hit without the meaning ("customers", "deadline" for stakes).
    if positive:
        sure = any(m[2] is None or m[2] >= meaning.SURE_BEHAVIOUR for m in meant)
        if pattern:
            strength = _probe_strength(check, ctx, pattern)
            sure = sure or strength is None or strength >= (p.get("threshold") or meaning.THRESHOLD)
        borderline = bool(count) and not sure
    else:
        borderline = bool(meant) and not pattern and all(m[2] is not None and m[2] < meaning.SURE for m in meant)
    if not count:
        # Nothing heard proves nothing when next to nothing was said: no free pass, no blame.
        said = sum(hi - lo for lo, hi in ranges)
        whole = p["scope"] is None and ctx.timing is not None and not ctx.start_word
        need = p.get("min_words") or (MIN_WORDS_ANSWER if whole else MIN_WORDS_SECTION)
        if said < need:
            where = ", ".join(p["scope"]) if p["scope"] else "the answer"
            detail = f"{UNJUDGED}: {said} word{'' if said == 1 else 's'} in {where}"
            return [replace(_finding(check, False, detail), judged=False, positive=positive)]
    if positive:
        passed = count >= p["min_count"]
        detail = "" if passed or p["min_count"] == 1 else f"found {count} of {p['min_count']}"
    else:
        passed = count <= p["max_count"]
        detail = "" if passed else (f"found {count}" if p["max_count"] else "")
        if not passed and borderline:
            detail = "; ".join(d for d in (detail, BORDERLINE) if d)
    return [replace(_finding(check, passed, detail, found), positive=positive, borderline=borderline and passed == positive)]


_METRIC_LABELS = {"wpm": "{:.0f} words a minute", "fillers_per_min": "{:.1f} fillers a minute",
                  "hedges_per_min": "{:.1f} hedges a minute", "long_pauses": "{:.0f} long pauses",
                  "repeats": "{:.0f} repeated words"}


def _delivery(check: Check, ctx: AnswerContext) -> list[Finding]:
    d, metric = ctx.delivery, check.params["metric"]
    value = {"wpm": d.wpm, "fillers_per_min": d.fillers_per_min, "hedges_per_min": d.hedges_per_min,
             "long_pauses": float(len(d.long_pauses)), "repeats": float(len(d.repeats))}[metric]
    low, high = check.params["min"], check.params["max"]
    passed = (low is None or value >= low) and (high is None or value <= high)
    evidence = {"fillers_per_min": d.fillers, "hedges_per_min": d.hedges, "repeats": d.repeats,
                "long_pauses": tuple(Evidence(f"{p.before} \u2026 {p.after} ({p.duration:.1f}s pause)", p.start, p.end)
                                     for p in d.long_pauses)}.get(metric, ())
    return [_finding(check, passed, _METRIC_LABELS[metric].format(value), () if passed else evidence)]


_KINDS = {"structure": _structure, "section_time": _section_time, "total_time": _total_time, "share": _share,
          "pronouns": _pronouns, "phrases": _phrases, "delivery": _delivery}


def run_checks(checks: Sequence[Check], ctx: AnswerContext) -> list[Finding]:
    """The findings of every check that applies at the answer's level, in rubric order."""
    applied = [c for c in checks if c.applies_at(ctx.level)]
    # Checks that look only after another check's evidence ("after: decision-made") run last.
    results: dict[str, list[Finding]] = {}
    for check in sorted(applied, key=lambda c: c.params.get("after") is not None):
        results[check.id] = _KINDS[check.kind](check, _after(check, ctx, results))
    findings = [f for c in applied for f in results[c.id]]
    return _resolve_unless(applied, findings)


def _after(check: Check, ctx: AnswerContext, results: dict[str, list[Finding]]) -> AnswerContext:
    """The context a check with `after: other` sees: only the words after the first place the other
    check's evidence ends (commitment is judged after the decision; arguing against it before the
    decision is advocacy, not a hedge). Without that evidence, the whole answer."""
    other = check.params.get("after")
    found = [e for f in results.get(other, ()) for e in f.evidence] if other else []
    if not found:
        return ctx
    end = min(e.end for e in found)
    first = next((i for i, w in enumerate(ctx.words) if w.start >= end), len(ctx.words))
    return replace(ctx, start_word=first)


def _resolve_unless(checks: Sequence[Check], findings: list[Finding]) -> list[Finding]:
    """A check with `unless: [other]` does not fail when `other` passed: "I put my concerns aside"
    is no mistake in an answer that goes on to build the rollback, so the report never shows
    "✗ no guardrails" beside "✓ builds guardrails". Only a sure pass excuses a mistake: when the
    behaviour was found only by borderline clauses, the mistake stands and the behaviour is not
    counted (on the dev answers every mistake cleared by such a match was a real one). An
    `omission` (a mistake that is the absence of a behaviour: no follow-up, no risk check) fails
    when those behaviours were looked for, enough was said to judge, and none was heard: otherwise
    "✓ no missing follow-up" would stand beside "✗ manager told afterwards"."""
    params = {c.id: c.params for c in checks if c.kind == "phrases"}
    by_id = {f.id: f for f in findings}
    withdrawn: dict[str, Finding] = {}
    for f in findings:  # doubtful behaviours give way to the mistakes they would excuse
        p = params.get(f.id, {})
        others = [by_id[o] for o in p.get("unless", ()) if o in by_id and by_id[o].judged and by_id[o].passed]
        if f.passed or not f.judged or not others or any(not o.borderline for o in others):
            continue
        heard = f.message.split(" (")[0].split(": ", 1)[-1].lower()  # "Avoids the common mistake: X" -> "x"
        for o in others:
            withdrawn[o.id] = replace(o, passed=False, evidence=(), borderline=False,
                                      message=f"{o.message} (not counted: too doubtful beside the mistake heard, {heard})")
    findings = [withdrawn.get(f.id, f) for f in findings]
    judged = {f.id: f for f in findings if f.judged}
    out = []
    for f in findings:
        p = params.get(f.id, {})
        others = [judged[o] for o in p.get("unless", ()) if o in judged]
        if not f.passed and f.judged and any(o.passed for o in others):
            shown = next(o for o in others if o.passed).message.split(" (")[0]
            f = replace(f, passed=True, evidence=(), borderline=False,
                        message=f"{f.message} (your answer also shows: {shown.lower()})")
        elif f.passed and f.judged and (lacking := [judged[o] for o in p.get("omission", ()) if o in judged]) \
                and not any(o.passed or o.evidence for o in lacking):  # "found 1 of 2" is not nothing
            missing = lacking[0].message.split(" (")[0]
            # the quotes of a passed check with max_count > 0 are no evidence of an absence
            f = replace(f, passed=False, evidence=(), restates=lacking[0].id,
                        message=f"{f.message} (nothing in the answer shows: {missing.lower()})")
        out.append(f)
    return out


def score(findings: Sequence[Finding]) -> Score:
    """0-100: the share of severity points earned. `info` findings are shown but weigh nothing."""
    breakdown: dict[str, dict[str, float]] = {}
    earned = possible = 0.0
    for f in findings:
        weight = SEVERITIES.get(f.severity, 0)
        if not weight:
            continue
        cat = breakdown.setdefault(f.category, {"earned": 0.0, "possible": 0.0, "passed": 0, "failed": 0})
        cat["possible"] += weight
        possible += weight
        if f.passed:
            cat["earned"] += weight
            cat["passed"] += 1
            earned += weight
        else:
            cat["failed"] += 1
    value = round(100 * earned / possible) if possible else 0
    return Score(value, breakdown)
