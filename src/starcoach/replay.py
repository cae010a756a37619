"""`starcoach replay`: a stored answer's transcript with times, STAR sections and the findings where their
evidence is; and `--rescore`, which scores the stored words again with today's bank and says what changed.

Pure: reads session.json through the store and builds rich renderables; no device library. Playback
(`--play`) is in player.py.
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

from starcoach.bank import Bank
from starcoach.errors import StarcoachError
from starcoach.records import Evidence, Finding, Transcript, Word
from starcoach.report import COLOURS, SEVERITY_ORDER, VERDICT_STYLE, clock
from starcoach.store import Session, SessionStore

LINE_S = 10.0  # a transcript line is one sentence, or at most about this long
_SENTENCE_END = re.compile(r"[.?!\u2026][\"'\u201d\u2019)\]]*$")
_EPS = 0.011  # stored times are rounded to 2 decimals


# --------------------------------------------------------------------------- the stored answer


@dataclass(frozen=True, slots=True)
class StoredWord:
    text: str
    start: float
    end: float
    section: str | None = None  # None for a follow-up answer (no STAR split)


@dataclass(frozen=True)
class StoredAnswer:
    """One scored answer of a session, read back from session.json."""

    session: Session
    index: int
    kind: str  # main | follow_up
    result: dict[str, Any]
    words: tuple[StoredWord, ...]
    findings: tuple[Finding, ...]

    @property
    def audio(self) -> Path | None:
        return self.session.audio_file(self.index)

    @property
    def duration_s(self) -> float:
        d = self.result.get("duration_s")
        if isinstance(d, (int, float)) and not isinstance(d, bool):
            return float(d)
        return self.words[-1].end if self.words else 0.0

    @property
    def estimated(self) -> bool:
        return self.result.get("estimated") is True

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


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _damaged(session_id: str, index: int, what: str) -> StarcoachError:
    return StarcoachError(f"session {session_id}: answer {index}'s stored result is damaged: {what}")


def _words(session_id: str, index: int, raw: Any) -> tuple[StoredWord, ...]:
    if not isinstance(raw, list):
        raise _damaged(session_id, index, "'words' is missing")
    out = []
    for i, w in enumerate(raw):
        w = w if isinstance(w, dict) else {}
        start, end = _num(w.get("start")), _num(w.get("end"))
        if not isinstance(w.get("text"), str) or start is None or end is None:
            raise _damaged(session_id, index, f"words[{i}] needs text, start and end")
        section = w.get("section")
        out.append(StoredWord(w["text"], start, end, section if isinstance(section, str) else None))
    return tuple(out)


def finding_from_dict(d: dict[str, Any]) -> Finding:
    """A stored finding (report.finding_dict) back as a Finding; ValueError when it is not one."""
    if not isinstance(d, dict) or not isinstance(d.get("id"), str) or not isinstance(d.get("passed"), bool):
        raise ValueError("a finding needs an id and passed")
    evidence = []
    for e in d.get("evidence") or []:
        e = e if isinstance(e, dict) else {}
        start, end = _num(e.get("start")), _num(e.get("end"))
        if start is None or end is None:
            continue  # a quote without times cannot be placed; the finding itself is still good
        evidence.append(Evidence(str(e.get("text", "")), start, end))
    severity = d.get("severity") if d.get("severity") in SEVERITY_ORDER else "medium"
    section = d.get("section") if isinstance(d.get("section"), str) else None
    return Finding(d["id"], d["passed"], severity, str(d.get("message", d["id"])), str(d.get("advice", "")),
                   tuple(evidence), str(d.get("category", "content")), section,
                   judged=d.get("judged") is not False, positive=d.get("positive") is not False)


def load_answer(session_id: str, index: int = 0, store: SessionStore | None = None) -> StoredAnswer:
    """Answer `index` of a session (0 the main answer, 1.. the follow-ups), with its stored result."""
    session = (store or SessionStore()).load(session_id)  # validates the id: nothing outside the folder
    n = len(session.answers)
    if not 0 <= index < n:
        have = "no answers" if n == 0 else f"answers 0\u2013{n - 1}" if n > 1 else "only answer 0"
        raise StarcoachError(f"session {session.id} has no answer {index} (it has {have})")
    entry = session.answers[index]
    result = entry.get("result")
    if not isinstance(result, dict):
        hint = ""
        audio = session.audio_file(index)
        if audio is not None and audio.is_file():
            more = f" --answer {index}" if index else ""
            hint = f"; `starcoach replay {session.id}{more} --rescore --save` scores it from its recording"
        raise StarcoachError(f"answer {index} of session {session.id} was never scored (the session stopped first)"
                             + hint)
    words = _words(session.id, index, result.get("words"))
    try:
        findings = tuple(finding_from_dict(f) for f in result.get("findings") or [])
    except ValueError as e:
        raise _damaged(session.id, index, str(e)) from None
    return StoredAnswer(session, index, entry["kind"], result, words, findings)


# --------------------------------------------------------------------------- lines and markers


@dataclass(frozen=True, slots=True)
class Line:
    """Words first..last (inclusive) of an answer, shown on one line."""

    first: int
    last: int


def split_lines(words: Sequence[StoredWord], max_s: float = LINE_S) -> list[Line]:
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


def anchor_word(words: Sequence[StoredWord], e: Evidence) -> int | None:
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


def markers(words: Sequence[StoredWord], findings: Sequence[Finding]) -> tuple[dict[int, list[int]], dict[int, int]]:
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


def _section_header(name: str, sections: dict[str, dict[str, Any]], continued: bool) -> Rule:
    s = sections.get(name, {})
    title = Text(name.capitalize() + (" (continued)" if continued else ""), style=f"bold {COLOURS.get(name, '')}".strip())
    start, end, speaking = _num(s.get("start")), _num(s.get("end")), _num(s.get("speaking_s"))
    lo, hi, verdict = _num(s.get("target_min_s")), _num(s.get("target_max_s")), s.get("verdict")
    if start is not None and end is not None and speaking is not None:
        title.append(f"  {clock(start)}\u2013{clock(end)} \u00b7 {speaking:.0f}s", style="default")
    if lo is not None and hi is not None and isinstance(verdict, str):
        title.append(f" against {clock(lo)}\u2013{clock(hi)}: ", style="default")
        title.append(verdict, style=VERDICT_STYLE.get(verdict, ""))
    return Rule(title, align="left", style=COLOURS.get(name, "dim"))


def _head(a: StoredAnswer) -> Panel:
    r, d = a.result, a.session.data
    head = Text.assemble((d.get("question_text") or d["question"], "bold"), "\n",
                         f"session {a.session.id} \u00b7 {a.label} \u00b7 level {d['level']} \u00b7 {clock(a.duration_s)}")
    if a.estimated:
        head.append(" \u00b7 times estimated from text", style="dim")
    score = _num(r.get("score"))
    if score is not None:
        head.append("\nScore ", style="bold")
        head.append(f"{score:.0f}/100", style="bold " + ("green" if score >= 75 else "yellow" if score >= 50 else "red"))
    verdict = r.get("verdict") if a.kind == "follow_up" else _get(r, "total", "verdict")
    lo, hi = (_num(r.get("target_min_s")), _num(r.get("target_max_s"))) if a.kind == "follow_up" else (
        _num(_get(r, "total", "target_min_s")), _num(_get(r, "total", "target_max_s")))
    if isinstance(verdict, str) and lo is not None and hi is not None:
        head.append(f"\ntime against {clock(lo)}\u2013{clock(hi)}: ")
        head.append(verdict, style=VERDICT_STYLE.get(verdict, ""))
    return Panel(head, expand=False)


def _get(d: Any, *keys: str) -> Any:
    for key in keys:
        d = d.get(key) if isinstance(d, dict) else None
    return d


def transcript_view(a: StoredAnswer, *, from_s: float = 0.0, max_line_s: float = LINE_S) -> Group:
    """The answer line by line, `[m:ss]` first, coloured by section with a header where each starts, a
    marker after each finding's quote and the finding below the line; then the findings summary."""
    if from_s > 0 and from_s >= a.duration_s:
        raise StarcoachError(f"--from {clock(from_s)} is past the end of {a.label} ({clock(a.duration_s)})")
    at, numbers = markers(a.words, a.findings)
    sections = {s["name"]: s for s in a.result.get("sections") or [] if isinstance(s, dict) and isinstance(s.get("name"), str)}
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
                parts.append(_section_header(name, sections, continued=first > 0 and a.words[first - 1].section == name))
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


def hesitation_anchors(words: Sequence[StoredWord], result: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """The filled pauses heard between the words (voice.hesitations with source "voice"), by the index of
    the word before each (-1: before the first word). Those Whisper wrote are words already."""
    out: dict[int, list[dict[str, Any]]] = {}
    for h in _get(result, "voice", "hesitations") or []:
        start = _num(h.get("start")) if isinstance(h, dict) else None
        if start is None or h.get("source") != "voice":
            continue
        before = [i for i, w in enumerate(words) if w.end <= start + _EPS]
        out.setdefault(before[-1] if before else -1, []).append(h)
    return out


def _hesitation_mark(items: list[dict[str, Any]]) -> str:
    return " ".join(f"⟨hesitation {(_num(h.get('duration')) or 0):.1f}s⟩" for h in items)


def voice_line(result: dict[str, Any]) -> Text | None:
    """Pitch, loudness and hesitations of a stored answer (its "voice"); None when it has none."""
    v = result.get("voice")
    if not isinstance(v, dict):
        return None
    o = v.get("overall") if isinstance(v.get("overall"), dict) else {}
    out = Text.assemble(("Voice     ", "bold"))
    st, vq, loud = _num(o.get("pitch_variation_st")), _num(o.get("variation_quotient")), _num(o.get("loudness_variation_db"))
    if st is None:
        out.append(str(o.get("note") or "could not measure pitch"), style="yellow")
    else:
        out.append(f"pitch variation {st:.1f} st · variation quotient {vq or 0:.2f}")
        out.append(f" · loudness variation {loud:.1f} dB" if loud is not None else " · loudness not measured")
    monotone = [m for m in v.get("monotone") or [] if isinstance(m, dict)]
    if monotone:
        spans = ", ".join(f"{clock(_num(m.get('start')) or 0)}–{clock(_num(m.get('end')) or 0)}" for m in monotone[:4])
        out.append(f" · flat pitch {len(monotone)}× ({spans})", style="yellow")
    hes = [h for h in v.get("hesitations") or [] if isinstance(h, dict)]
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


def delivery_line(result: dict[str, Any]) -> Text | None:
    d = result.get("delivery")
    wpm, fillers = _num(_get(d, "wpm")), _num(_get(d, "fillers_per_min"))
    if wpm is None or fillers is None:
        return None
    out = Text.assemble(("Delivery  ", "bold"), f"pace {wpm:.0f} wpm \u00b7 fillers {fillers:.1f}/min")
    heard = [e.get("text") for e in (_get(d, "fillers") or []) if isinstance(e, dict) and isinstance(e.get("text"), str)]
    if heard:
        out.append("  (" + ", ".join(f"\u201c{t}\u201d" for t in heard[:6]) + ")", style="yellow")
    return out


# --------------------------------------------------------------------------- rescoring


@dataclass(frozen=True, slots=True)
class FindingChange:
    id: str
    message: str
    before: bool | None  # passed before (None: the finding did not exist)
    after: bool | None  # passed now (None: the finding is gone)


@dataclass(frozen=True)
class RescoreDiff:
    score_before: float | None
    score_after: float | None
    flipped: tuple[FindingChange, ...]
    new: tuple[FindingChange, ...]
    gone: tuple[FindingChange, ...]
    verdicts: tuple[tuple[str, str | None, str | None], ...]  # (what, before, after), changed ones only

    @property
    def changed(self) -> bool:
        return bool(self.flipped or self.new or self.gone or self.verdicts or self.score_before != self.score_after)


@dataclass(frozen=True)
class Rescored:
    answer: StoredAnswer
    result: dict[str, Any]  # the new result, in the same JSON contract as the stored one
    diff: RescoreDiff


def stored_transcript(a: StoredAnswer) -> Transcript:
    """The stored words as a Transcript again (times as stored; `estimated` kept from the result)."""
    if not a.words:
        raise StarcoachError(f"{a.label} of session {a.session.id} has no words to score")
    r = a.result
    return Transcript(tuple(Word(w.text, w.start, w.end) for w in a.words), a.duration_s, estimated=a.estimated,
                      source=str(r.get("source") or ""), model=str(r.get("model") or ""))


def rescore(a: StoredAnswer, bank: Bank) -> Rescored:
    """Score the stored words again with `bank` (today's questions and rubric)."""
    from starcoach.report import answer_dict, follow_up_dict
    from starcoach.scoring import score_follow_up, score_transcript

    r, d = a.result, a.session.data
    question = bank.question(str(r.get("question") or d["question"]))
    level = str(r.get("level") or d["level"])
    transcript = stored_transcript(a)
    from starcoach.voice import from_stored

    voice = from_stored(r.get("voice"))  # the stored contour, summarised over today's sections
    if a.kind == "main":
        scored = score_transcript(transcript, question, level, bank.rubric, voice=voice)
        new = answer_dict(scored, question_text=str(r.get("question_text") or d.get("question_text") or question.question))
    else:
        entry = a.session.answers[a.index]
        follow_up = question.follow_up(str(r.get("follow_up") or entry.get("follow_up")))
        scored_fu = score_follow_up(transcript, question, follow_up, level, voice=voice)
        new = follow_up_dict(scored_fu, text=str(r.get("follow_up_text") or entry.get("text") or follow_up.text))
    return Rescored(a, new, diff_results(r, new))


def _verdicts(result: dict[str, Any]) -> dict[str, str]:
    out = {}
    for s in result.get("sections") or []:
        if isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("verdict"), str):
            out[s["name"]] = s["verdict"]
    total = _get(result, "total", "verdict")
    if isinstance(total, str):
        out["total"] = total
    if isinstance(result.get("verdict"), str):
        out["time"] = result["verdict"]
    return out


def diff_results(before: dict[str, Any], after: dict[str, Any]) -> RescoreDiff:
    """What changed from one stored result to another: score, findings and time verdicts."""
    def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {f["id"]: f for f in result.get("findings") or [] if isinstance(f, dict) and isinstance(f.get("id"), str)}

    old, new = by_id(before), by_id(after)
    flipped = tuple(FindingChange(i, str(new[i].get("message", i)), bool(old[i].get("passed")), bool(new[i].get("passed")))
                    for i in new if i in old and bool(old[i].get("passed")) != bool(new[i].get("passed")))
    added = tuple(FindingChange(i, str(new[i].get("message", i)), None, bool(new[i].get("passed"))) for i in new if i not in old)
    gone = tuple(FindingChange(i, str(old[i].get("message", i)), bool(old[i].get("passed")), None) for i in old if i not in new)
    vb, va = _verdicts(before), _verdicts(after)
    verdicts = tuple((k, vb.get(k), va.get(k)) for k in dict.fromkeys([*vb, *va]) if vb.get(k) != va.get(k))
    return RescoreDiff(_num(before.get("score")), _num(after.get("score")), flipped, added, gone, verdicts)


def _passed_word(passed: bool | None) -> tuple[str, str]:
    return ("passed", "green") if passed else ("failed", "red")


def rescore_view(r: Rescored, *, saved: bool = False) -> Group:
    a, diff = r.answer, r.diff
    parts: list[RenderableType] = [Text.assemble(("Rescored ", "bold"), f"session {a.session.id} \u00b7 {a.label} "
                                                 "with today's question bank and rubric")]
    if diff.score_before is not None or diff.score_after is not None:
        before = "\u2013" if diff.score_before is None else f"{diff.score_before:.0f}"
        after = "\u2013" if diff.score_after is None else f"{diff.score_after:.0f}"
        line = Text.assemble(("Score ", "bold"), f"{before} \u2192 ", (after, "bold"))
        if diff.score_before is not None and diff.score_after is not None and diff.score_before != diff.score_after:
            change = diff.score_after - diff.score_before
            line.append(f"  ({change:+.0f})", style="green" if change > 0 else "red")
        elif diff.score_before == diff.score_after:
            line.append("  (unchanged)", style="dim")
        parts.append(line)
    if diff.flipped:
        parts.append(Text(f"Findings that flipped ({len(diff.flipped)})", style="bold"))
        for c in diff.flipped:
            (b, bs), (n, ns) = _passed_word(c.before), _passed_word(c.after)
            parts.append(Text.assemble("  ", (c.id, "cyan"), ": ", (b, bs), " \u2192 ", (n, f"bold {ns}"), f"  {c.message}"))
    if diff.new:
        parts.append(Text(f"New findings ({len(diff.new)})", style="bold"))
        for c in diff.new:
            n, ns = _passed_word(c.after)
            parts.append(Text.assemble("  + ", (c.id, "cyan"), ": ", (n, ns), f"  {c.message}"))
    if diff.gone:
        parts.append(Text(f"Findings gone ({len(diff.gone)})", style="bold"))
        for c in diff.gone:
            b, bs = _passed_word(c.before)
            parts.append(Text.assemble("  - ", (c.id, "cyan"), ": was ", (b, bs), f"  {c.message}"))
    if diff.verdicts:
        parts.append(Text("Time verdicts that changed", style="bold"))
        for what, b, n in diff.verdicts:
            parts.append(Text.assemble("  ", (what.capitalize(), COLOURS.get(what, "")), ": ",
                                       (b or "\u2013", VERDICT_STYLE.get(b or "", "dim")), " \u2192 ",
                                       (n or "\u2013", VERDICT_STYLE.get(n or "", "dim"))))
    if not diff.changed:
        parts.append(Text("Nothing changed: today's bank and rubric give the same result.", style="green"))
    if saved:
        parts.append(Text("Saved: the session now holds the new result.", style="dim"))
    elif diff.changed:
        parts.append(Text("Not saved (add --save to keep the new result).", style="dim"))
    return Group(*parts)


def save_rescore(r: Rescored) -> None:
    """Keep the new result, under the session's lock and on the session as it is on disk now (a
    practice's final pass may have written it since it was read)."""
    from starcoach import leftovers

    session = r.answer.session
    store = SessionStore(session.path.parent)
    try:
        with store.locked(session.id):
            fresh = store.load(session.id)
            fresh.set_result(r.answer.index, r.result)
    except leftovers.Busy:
        raise StarcoachError(f"session {session.id} is in use by another starcoach (a practice still finishing?): "
                             "not saved; try again when it ends") from None
    session.data = fresh.data
