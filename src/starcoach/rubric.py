"""Run rubric checks (from YAML) on one scored answer and turn the outcomes into findings and a score.

Pure: it reads words, sections, timings and delivery figures, and imports no device library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from starcoach import safe_regex
from starcoach.bank import SEVERITIES, Check, Targets
from starcoach.delivery import Delivery
from starcoach.records import Evidence, Finding, Score, Section, Word, join_words
from starcoach.timing import Timing

I_WORDS = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"})
WE_WORDS = frozenset({"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'd", "we'll"})
MAX_QUOTES = 3  # findings quote at most this many places: enough to find them, not a wall of text


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

    def scoped_words(self, scope: tuple[str, ...] | None) -> list[Word]:
        if scope is None:
            return list(self.words)
        return [w for s in self.sections if s.name in scope for w in s.words]

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)


# --------------------------------------------------------------------------- text matching

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": " ", "\u2013": " ", "-": " "})
_KEEP = re.compile(r"[^a-z0-9'%$., ]")
_DOT_COMMA = re.compile(r"(?<!\d)[.,]|[.,](?!\d)")  # keep "." and "," only between digits


def normalise_token(text: str) -> str:
    t = text.lower().translate(_QUOTES)
    t = _KEEP.sub("", t)
    t = _DOT_COMMA.sub("", t)
    return " ".join(t.strip(" '").split())


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
        return [Evidence(join_words(self.words[a : b + 1]), self.words[a].start, self.words[b].end) for a, b in merged]


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
    share = i_count / total if total else 1.0
    where = ", ".join(check.params["scope"] or ("answer",))
    detail = f"{where}: \u201cI\u201d {i_count}, \u201cwe\u201d {len(we)}"
    evidence = [Evidence(w.text, w.start, w.end) for w in we] if share < check.params["min_i_share"] else []
    return [_finding(check, share >= check.params["min_i_share"], detail, evidence)]


def _phrases(check: Check, ctx: AnswerContext) -> list[Finding]:
    p = check.params
    found = MatchText(ctx.scoped_words(p["scope"])).find(p["patterns"])
    if p["expect"] == "present":
        passed = len(found) >= p["min_count"]
        detail = "" if passed or p["min_count"] == 1 else f"found {len(found)} of {p['min_count']}"
    else:
        passed = len(found) <= p["max_count"]
        detail = "" if passed else (f"found {len(found)}" if p["max_count"] else "")
    return [_finding(check, passed, detail, found)]


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
    findings: list[Finding] = []
    for check in checks:
        if check.applies_at(ctx.level):
            findings.extend(_KINDS[check.kind](check, ctx))
    return findings


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
