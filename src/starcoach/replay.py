"""`starcoach replay`: a stored answer's transcript with times, STAR sections and the findings where their
evidence is.

Pure: reads session.json through the store (the result through result.py) and builds rich renderables;
no device library. `--rescore` is replay_rescore.py, `--play` player.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from starcoach.answer_view import COLOURS, VERDICT_STYLE
from starcoach.errors import StarcoachError
from starcoach.records import SEVERITY_ORDER, Evidence, Finding
from starcoach.result import AnswerResult, Result, ResultWord, SectionResult, number_in, result_from_dict
from starcoach.store import Session, SessionStore
from starcoach.timing import clock

LINE_S = 10.0  # a transcript line is one sentence, or at most about this long
_SENTENCE_END = re.compile(r"[.?!\u2026][\"'\u201d\u2019)\]]*$")
_EPS = 0.011  # stored times are rounded to 2 decimals


# --------------------------------------------------------------------------- the stored answer


@dataclass(frozen=True)
class StoredAnswer:
    """One scored answer of a session, read back from session.json."""

    session: Session
    index: int
    kind: str  # main | follow_up
    result: Result

    @property
    def words(self) -> tuple[ResultWord, ...]:
        return self.result.words

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.result.findings

    @property
    def audio(self) -> Path | None:
        return self.session.audio_file(self.index)

    @property
    def duration_s(self) -> float:
        d = self.result.duration_s
        return float(d) if d is not None else (self.words[-1].end if self.words else 0.0)

    @property
    def estimated(self) -> bool:
        return self.result.estimated

    @property
    def label(self) -> str:
        if self.kind == "main":
            return f"answer {self.index} (main)"
        return f"answer {self.index} (follow-up: {self.session.answers[self.index].get('text', '')})"


def parse_clock(text: str) -> float:
    """`90`, `1:30`, `1:30.5` or `1:02:03` -> seconds; StarcoachError for anything else."""
    parts = text.strip().split(":")
    problem = StarcoachError(f"not a time: {text!r} (use seconds like 90, or m:ss like 1:30 or 1:30.5)")
    if not 1 <= len(parts) <= 3 or not re.fullmatch(r"\d+(\.\d*)?|\.\d+", parts[-1]):
        raise problem
    if any(not p.isdigit() for p in parts[:-1]):
        raise problem
    seconds = float(parts[-1])
    if len(parts) > 1 and seconds >= 60:
        raise problem
    if len(parts) == 3 and int(parts[1]) >= 60:
        raise problem
    total = seconds
    for i, p in enumerate(reversed(parts[:-1])):
        total += int(p) * 60 ** (i + 1)
    return total


def load_answer(session_id: str, index: int = 0, store: SessionStore | None = None) -> StoredAnswer:
    """Answer `index` of a session (0 the main answer, 1.. the follow-ups), with its stored result."""
    session = (store or SessionStore()).load(session_id)  # validates the id: nothing outside the folder
    n = len(session.answers)
    if not 0 <= index < n:
        have = "no answers" if n == 0 else f"answers 0\u2013{n - 1}" if n > 1 else "only answer 0"
        raise StarcoachError(f"session {session.id} has no answer {index} (it has {have})")
    entry = session.answers[index]
    result = result_from_dict(entry["kind"], entry.get("result"))
    if result is None:
        hint = ""
        audio = session.audio_file(index)
        if audio is not None and audio.is_file():
            more = f" --answer {index}" if index else ""
            hint = f"; `starcoach replay {session.id}{more} --rescore --keep` scores it from its recording"
        raise StarcoachError(f"answer {index} of session {session.id} was never scored (the session stopped first)"
                             + hint)
    if result.damage:
        raise StarcoachError(f"session {session.id}: answer {index}'s stored result is damaged: {result.damage[0]}")
    return StoredAnswer(session, index, entry["kind"], result)


# --------------------------------------------------------------------------- lines and markers


@dataclass(frozen=True, slots=True)
class Line:
    """Words first..last (inclusive) of an answer, shown on one line."""

    first: int
    last: int


def split_lines(words: Sequence[ResultWord], max_s: float = LINE_S) -> list[Line]:
    """A line per sentence, cut also where the STAR section changes or a line would pass `max_s`."""
    lines: list[Line] = []
    first = 0
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        if (nxt is None or _SENTENCE_END.search(w.text.strip()) or nxt.section != w.section
                or nxt.start - words[first].start >= max_s):
            lines.append(Line(first, i))
            first = i + 1
    return lines


def anchor_word(words: Sequence[ResultWord], e: Evidence) -> int | None:
    """The word a quote ends on: the last word inside the quote's times (else the last one started by
    its end); None when the quote lies outside the words."""
    inside = [i for i, w in enumerate(words) if w.start >= e.start - _EPS and w.end <= e.end + _EPS]
    if inside:
        return inside[-1]
    started = [i for i, w in enumerate(words) if w.start <= e.end + _EPS and w.end >= e.start - _EPS]
    return started[-1] if started else None


def _kind(f: Finding) -> str:
    if f.severity == "info":
        return "signal" if f.passed else "unheard"
    if f.passed:
        return "passed" if f.positive else "clear"  # a mistake not heard is not "done well"
    return "failed"


MARK = {"failed": ("\u2717", "bold red"), "signal": ("\u2605", "bold yellow"), "passed": ("\u2713", "green"),
        "clear": ("\u2713", "dim")}


def markers(words: Sequence[ResultWord], findings: Sequence[Finding]) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Where each finding's evidence ends: word index -> finding indexes, and finding index -> its
    number (numbered in the order they first appear in the answer). A fluency signal that was not heard
    has nothing to show and gets no marker."""
    at: dict[int, list[int]] = {}
    first_seen: dict[int, int] = {}
    for fi, f in enumerate(findings):
        if _kind(f) in ("unheard", "clear"):
            continue
        for e in f.evidence:
            wi = anchor_word(words, e)
            if wi is None:
                continue
            if fi not in at.setdefault(wi, []):
                at[wi].append(fi)
            first_seen[fi] = min(first_seen.get(fi, wi), wi)
    order = sorted(first_seen, key=lambda fi: (first_seen[fi], fi))
    return at, {fi: n for n, fi in enumerate(order, 1)}


def marker_text(f: Finding, number: int) -> Text:
    sign, style = MARK[_kind(f)]
    return Text(f"[{sign}{number}]", style=style)


# --------------------------------------------------------------------------- the transcript view


def _section_header(name: str, s: SectionResult | None, continued: bool) -> Rule:
    title = Text(name.capitalize() + (" (continued)" if continued else ""), style=f"bold {COLOURS.get(name, '')}".strip())
    s = s or SectionResult(name)
    start, end, speaking = s.start, s.end, s.speaking_s
    lo, hi, verdict = s.target_min_s, s.target_max_s, s.verdict
    if start is not None and end is not None and speaking is not None:
        title.append(f"  {clock(start)}\u2013{clock(end)} \u00b7 {speaking:.0f}s", style="default")
    if lo is not None and hi is not None and verdict:
        title.append(f" against {clock(lo)}\u2013{clock(hi)}: ", style="default")
        title.append(verdict, style=VERDICT_STYLE.get(verdict, ""))
    return Rule(title, align="left", style=COLOURS.get(name, "dim"))


def _head(a: StoredAnswer) -> Panel:
    r, d = a.result, a.session.data
    head = Text.assemble((d.get("question_text") or d["question"], "bold"), "\n",
                         f"session {a.session.id} \u00b7 {a.label} \u00b7 level {d['level']} \u00b7 {clock(a.duration_s)}")
    if a.estimated:
        head.append(" \u00b7 times estimated from text", style="dim")
    score = r.score
    if score is not None:
        head.append("\nScore ", style="bold")
        head.append(f"{score:.0f}/100", style="bold " + ("green" if score >= 75 else "yellow" if score >= 50 else "red"))
    timed = r if not isinstance(r, AnswerResult) else r.total  # a follow-up has its own target, a main answer a total
    verdict, lo, hi = timed.verdict, timed.target_min_s, timed.target_max_s
    if verdict and lo is not None and hi is not None:
        head.append(f"\ntime against {clock(lo)}\u2013{clock(hi)}: ")
        head.append(verdict, style=VERDICT_STYLE.get(verdict, ""))
    return Panel(head, expand=False)


def transcript_view(a: StoredAnswer, *, from_s: float = 0.0, max_line_s: float = LINE_S) -> Group:
    """The answer line by line, `[m:ss]` first, coloured by section with a header where each starts, a
    marker after each finding's quote and the finding below the line; then the findings summary."""
    if from_s > 0 and from_s >= a.duration_s:
        raise StarcoachError(f"--from {clock(from_s)} is past the end of {a.label} ({clock(a.duration_s)})")
    at, numbers = markers(a.words, a.findings)
    sections = {s.name: s for s in a.result.sections} if isinstance(a.result, AnswerResult) else {}
    shown = [i for i, w in enumerate(a.words) if w.end > from_s]
    parts: list[RenderableType] = [_head(a)]
    if from_s > 0:
        parts.append(Text(f"from {clock(from_s)}", style="dim"))
    if a.kind == "follow_up":
        parts.append(Rule(Text("Follow-up answer", style="bold"), align="left", style="dim"))
    explained: set[int] = set()
    section: str | None = None
    heard_after = hesitation_anchors(a.words, a.result)
    if shown:
        offset = shown[0]
        for line in split_lines(a.words[offset:], max_line_s):
            first, last = line.first + offset, line.last + offset
            name = a.words[first].section
            if name is not None and name != section:
                parts.append(_section_header(name, sections.get(name), continued=first > 0 and a.words[first - 1].section == name))
                section = name
            text = Text.assemble((f"[{clock(a.words[first].start)}] ", "dim"))
            below: list[Text] = []
            for i in range(first, last + 1):
                w = a.words[i]
                if i > first:
                    text.append(" ")
                if i == 0 and -1 in heard_after:
                    text.append(_hesitation_mark(heard_after[-1]) + " ", style="yellow")
                text.append(w.text.strip(), style=COLOURS.get(w.section or "", ""))
                if i in heard_after:
                    text.append(" " + _hesitation_mark(heard_after[i]), style="yellow")
                for fi in at.get(i, []):
                    f = a.findings[fi]
                    text.append(" ")
                    text.append_text(marker_text(f, numbers[fi]))
                    if fi not in explained:
                        explained.add(fi)
                        sign, style = MARK[_kind(f)]
                        below.append(Text.assemble("        ", (f"{sign}{numbers[fi]} ", style), (f.message, style)))
            parts.append(text)
            parts.extend(below)
    parts += [Text(""), findings_summary(a.findings, numbers)]
    delivery = delivery_line(a.result)
    if delivery is not None:
        parts.append(delivery)
    voice = voice_line(a.result)
    if voice is not None:
        parts.append(voice)
    return Group(*parts)


def hesitation_anchors(words: Sequence[ResultWord], result: Result) -> dict[int, list[dict[str, Any]]]:
    """The filled pauses heard between the words (voice.hesitations with source "voice"), by the index of
    the word before each (-1: before the first word). Those Whisper wrote are words already."""
    out: dict[int, list[dict[str, Any]]] = {}
    for h in _records((result.voice or {}).get("hesitations")):
        start = number_in(h, "start")
        if start is None or h.get("source") != "voice":
            continue
        before = [i for i, w in enumerate(words) if w.end <= start + _EPS]
        out.setdefault(before[-1] if before else -1, []).append(h)
    return out


def _records(items: Any) -> list[dict[str, Any]]:
    """The objects of a list in the stored voice (anything else there is no record)."""
    return [x for x in items if isinstance(x, dict)] if isinstance(items, list) else []


def _hesitation_mark(items: list[dict[str, Any]]) -> str:
    return " ".join(f"⟨hesitation {(number_in(h, 'duration') or 0):.1f}s⟩" for h in items)


def voice_line(result: Result) -> Text | None:
    """Pitch, loudness and hesitations of a stored answer (its "voice"); None when it has none."""
    v = result.voice
    if v is None:
        return None
    o = v.get("overall") if isinstance(v.get("overall"), dict) else {}
    out = Text.assemble(("Voice     ", "bold"))
    st, vq, loud = (number_in(o, key) for key in ("pitch_variation_st", "variation_quotient", "loudness_variation_db"))
    if st is None:
        out.append(str(o.get("note") or "could not measure pitch"), style="yellow")
    else:
        out.append(f"pitch variation {st:.1f} st · variation quotient {vq or 0:.2f}")
        out.append(f" · loudness variation {loud:.1f} dB" if loud is not None else " · loudness not measured")
    monotone = _records(v.get("monotone"))
    if monotone:
        spans = ", ".join(f"{clock(number_in(m, 'start') or 0)}–{clock(number_in(m, 'end') or 0)}" for m in monotone[:4])
        out.append(f" · flat pitch {len(monotone)}× ({spans})", style="yellow")
    hes = _records(v.get("hesitations"))
    heard = sum(1 for h in hes if h.get("source") == "voice")
    out.append(f" · hesitations {len(hes)}" + (f" ({heard} heard between the words)" if heard else ""))
    return out


def findings_summary(findings: Sequence[Finding], numbers: dict[int, int]) -> Group:
    """To work on (with advice), done well, fluency signals heard; each with its marker number."""
    indexed = list(enumerate(findings))
    failed = sorted(((i, f) for i, f in indexed if _kind(f) == "failed"), key=lambda x: SEVERITY_ORDER[x[1].severity])
    passed = [(i, f) for i, f in indexed if _kind(f) == "passed"]
    signals = [(i, f) for i, f in indexed if _kind(f) == "signal"]

    def row(i: int, f: Finding, kind: str) -> Text:
        sign, style = MARK[kind]
        tag = f"{sign}{numbers[i]}" if i in numbers else sign
        return Text.assemble(("  " + tag.ljust(4), style), (f"[{f.severity}] ", "dim") if kind == "failed" else "", f.message)

    parts: list[RenderableType] = [
        Text(f"Findings: {len(failed)} to work on \u00b7 {len(passed)} done well \u00b7 {len(signals)} fluency "
             f"signal{'' if len(signals) == 1 else 's'} heard", style="bold")]
    if failed:
        parts.append(Text("To work on", style="bold red"))
        for i, f in failed:
            parts.append(row(i, f, "failed"))
            if f.advice:
                parts.append(Text(f"        \u2192 {f.advice}", style="cyan"))
    if passed:
        parts.append(Text("Done well", style="bold green"))
        parts.extend(row(i, f, "passed") for i, f in passed)
    if signals:
        parts.append(Text("Fluency signals heard", style="bold yellow"))
        parts.extend(row(i, f, "signal") for i, f in signals)
    return Group(*parts)


def delivery_line(result: Result) -> Text | None:
    d = result.delivery
    wpm, fillers = d.wpm, d.fillers_per_min
    if wpm is None or fillers is None:
        return None
    out = Text.assemble(("Delivery  ", "bold"), f"pace {wpm:.0f} wpm \u00b7 fillers {fillers:.1f}/min")
    heard = [e.text for e in d.fillers]
    if heard:
        out.append("  (" + ", ".join(f"\u201c{t}\u201d" for t in heard[:6]) + ")", style="yellow")
    return out
