"""A scored answer in the terminal: the report `starcoach score` and `starcoach practice` print, and the
terminal's colours for the STAR sections and the time verdicts. (The JSON contract is result.py.)

Pure: builds rich renderables; printing is the caller's business.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from starcoach.records import Evidence, Finding, not_heard, split_findings
from starcoach.scoring import ScoredAnswer, ScoredFollowUp
from starcoach.timing import clock

COLOURS = {"situation": "dodger_blue1", "task": "medium_purple1", "action": "green3", "result": "orange1"}
VERDICT_STYLE = {"ok": "green", "short": "yellow", "long": "red"}


def timeline(a: ScoredAnswer, width: int = 60) -> Text:
    """Two bars on one scale: the answer's sections as spoken, and the targets' midpoints."""
    t = a.timing
    targets = [(s.name, (s.target_min_s + s.target_max_s) / 2) for s in t.sections]
    span = max(t.total_s, sum(v for _, v in targets), 1e-6)

    def bar(parts: list[tuple[str, float]]) -> Text:
        text, used = Text(), 0
        for i, (name, secs) in enumerate(parts):
            cells = round(secs / span * width) if i < len(parts) - 1 else max(0, round(sum(p[1] for p in parts) / span * width) - used)
            label = name[0].upper()
            chunk = (label + " " * (cells - 1)) if cells >= 2 else ("" if cells == 0 else label)
            text.append(chunk, style=f"black on {COLOURS[name]}")
            used += cells
        return text

    out = Text()
    out.append("answer  ", style="bold")
    out.append_text(bar([(s.name, s.speaking_s) for s in t.sections]))
    out.append(f"  {clock(t.total_s)}\n")
    out.append("target  ", style="dim")
    out.append_text(bar(targets))
    out.append(f"  {clock(t.total_min_s)}\u2013{clock(t.total_max_s)}")
    return out


def section_table(a: ScoredAnswer) -> Table:
    table = Table(title="STAR sections", title_justify="left", expand=False)
    table.add_column("section", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("target", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("share (target)", justify="right", no_wrap=True)
    table.add_column("words", justify="right")
    table.add_column("wpm", justify="right")
    for st in a.timing.sections:
        gap = "" if st.verdict == "ok" else f" {st.gap_s:+.0f}s"
        share_style = VERDICT_STYLE[st.share_verdict]
        table.add_row(
            Text(st.name.capitalize(), style=COLOURS[st.name]),
            clock(st.speaking_s),
            f"{clock(st.target_min_s)}\u2013{clock(st.target_max_s)}",
            Text(st.verdict + gap, style=VERDICT_STYLE[st.verdict]),
            Text.assemble((f"{st.share:.0%}", share_style), f" ({st.share_min:.0%}\u2013{st.share_max:.0%})"),
            str(st.word_count),
            f"{a.delivery.section_wpm.get(st.name, 0):.0f}",
        )
    t = a.timing
    gap = "" if t.total_verdict == "ok" else f" {t.total_gap_s:+.0f}s"
    table.add_row(Text("Total", style="bold"), clock(t.total_s), f"{clock(t.total_min_s)}\u2013{clock(t.total_max_s)}",
                  Text(t.total_verdict + gap, style=VERDICT_STYLE[t.total_verdict]), "",
                  str(len(a.transcript.words)), f"{a.delivery.wpm:.0f}")
    return table


def _quote(e: Evidence) -> Text:
    return Text.assemble(("    ", ""), (f"[{clock(e.start)}] ", "dim"), (f"\u201c{e.text}\u201d", "italic"))


def findings_view(findings: tuple[Finding, ...] | list[Finding]) -> Group:
    failed, passed, signals = split_findings(findings)
    parts: list[RenderableType] = [Text(f"To work on ({len(failed)})", style="bold red")]
    for f in failed:
        parts.append(Text.assemble(("  \u2717 ", "red"), (f"[{f.severity}] ", "dim"), f.message))
        parts.extend(_quote(e) for e in f.evidence)
        parts.append(Text(f"    \u2192 {f.advice}", style="cyan"))
    if not failed:
        parts.append(Text("  nothing: every check passed", style="green"))
    parts.append(Text(f"\nDone well ({len(passed)})", style="bold green"))
    parts.extend(Text.assemble(("  \u2713 ", "green"), f.message) for f in passed)
    clear = not_heard(findings)
    if clear:  # checked and not heard: shown apart, it is not something done well
        names = "; ".join(f.message.split(": ", 1)[-1] for f in clear)
        parts.append(Text(f"\nMistakes not heard ({len(clear)}): {names}", style="dim"))
    if signals:
        parts.append(Text(f"\nFluency signals heard ({len(signals)})", style="bold green"))
        for f in signals:
            parts.append(Text.assemble(("  \u2605 ", "yellow"), f.message))
            parts.extend(_quote(e) for e in f.evidence[:1])
    return Group(*parts)


def delivery_view(a: ScoredAnswer) -> Text:
    d = a.delivery
    out = Text()
    out.append("Delivery  ", style="bold")
    out.append(f"pace {d.wpm:.0f} wpm \u00b7 fillers {d.fillers_per_min:.1f}/min ({len(d.fillers)}) \u00b7 "
               f"hedges {d.hedges_per_min:.1f}/min ({len(d.hedges)}) \u00b7 repeated words {len(d.repeats)} \u00b7 "
               f"long pauses {len(d.long_pauses)}")
    if d.long_pauses:
        p = max(d.long_pauses, key=lambda p: p.duration)
        out.append(f" (longest {p.duration:.1f}s at {clock(p.start)} in {p.section}, after \u201c{p.before}\u201d)")
    examples = [e.text for e in (d.fillers + d.hedges)[:6]]
    if examples:
        out.append("\n          heard: " + ", ".join(f"\u201c{x}\u201d" for x in examples), style="dim")
    return out


def voice_view(a: ScoredAnswer | ScoredFollowUp) -> Text:
    """One line on how the answer sounded (voice.py); empty without a recording."""
    v = a.voice
    if v is None:
        return Text("")
    o = v.overall
    out = Text.assemble(("Voice     ", "bold"))
    if not o.measured:
        out.append(o.note or "could not measure pitch", style="yellow")
    else:
        out.append(f"pitch variation {o.pitch_variation_st:.1f} st \u00b7 variation quotient {o.variation_quotient:.2f}")
        out.append(f" \u00b7 loudness variation {o.loudness_variation_db:.1f} dB" if o.loudness_variation_db is not None
                   else " \u00b7 loudness not measured")
    if v.monotone:
        m = max(v.monotone, key=lambda m: m.end - m.start)
        out.append(f" \u00b7 flat pitch {len(v.monotone)}\u00d7 (longest {clock(m.start)}\u2013{clock(m.end)})", style="yellow")
    heard = sum(1 for h in v.hesitations if h.source == "voice")
    out.append(f" \u00b7 hesitations {len(v.hesitations)}" + (f" ({heard} heard, not in the words)" if heard else ""))
    if v.monotone:
        out.append(f"\n          flat: \u201c{v.monotone[0].sentence}\u201d", style="dim")
    return out


def terminal_report(a: ScoredAnswer, *, title: str = "") -> Group:
    est = " \u00b7 times estimated from text" if a.transcript.estimated else ""
    head = Text.assemble((f"{title or a.question_id}", "bold"), f"  \u00b7 level {a.level} \u00b7 {clock(a.timing.total_s)}{est}")
    score_style = "green" if a.score.value >= 75 else "yellow" if a.score.value >= 50 else "red"
    breakdown = " \u00b7 ".join(f"{cat} {v['earned']:.0f}/{v['possible']:.0f}" for cat, v in a.score.breakdown.items())
    score_line = Text.assemble(("Score ", "bold"), (f"{a.score.value}/100", f"bold {score_style}"), f"   {breakdown}")
    return Group(
        Panel(Group(head, score_line), expand=False),
        timeline(a),
        Text(""),
        section_table(a),
        delivery_view(a),
        *([voice_view(a)] if a.voice is not None else []),
        Text(""),
        findings_view(a.findings),
    )


def follow_up_report(f: ScoredFollowUp, *, text: str = "") -> Group:
    gap = "" if f.verdict == "ok" else f" ({f.gap_s:+.0f}s)"
    head = Text.assemble(("Follow-up: ", "bold"), text or f.follow_up_id, "\n",
                         f"time {clock(f.speaking_s)} against {clock(f.target[0])}\u2013{clock(f.target[1])}: ",
                         (f.verdict + gap, VERDICT_STYLE[f.verdict]))
    return Group(Panel(head, expand=False), findings_view(f.findings))
