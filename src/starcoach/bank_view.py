"""Terminal views of the question bank (`starcoach questions`, `starcoach questions show ID`)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from starcoach.bank import Bank, Question
from starcoach.records import SECTION_NAMES


def _mmss(s: float) -> str:
    s = round(s)
    return f"{s // 60}:{s % 60:02d}"


def bank_table(bank: Bank) -> Table:
    table = Table(title="Question bank", title_justify="left", caption=str(bank.folder), caption_justify="left")
    table.add_column("id", no_wrap=True, style="cyan")
    table.add_column("question", ratio=1, min_width=24)
    for col in ("levels", "target", "follow-ups", "mistakes"):
        table.add_column(col, no_wrap=col != "levels")
    for q in bank.questions.values():
        lo, hi = q.targets.total
        table.add_row(q.id, q.question, ", ".join(q.levels), f"{_mmss(lo)}\u2013{_mmss(hi)}",
                      str(len(q.follow_ups)), str(len(q.mistakes)))
    return table


def question_view(q: Question, *, answers: bool = False) -> Group:
    parts: list = [Text(q.title, style="bold"), Text(f"\u201c{q.question}\u201d", style="italic"), Text(""),
                   Text("What it probes", style="bold"), Text(q.probes), Text("")]
    parts.append(Text("Levels", style="bold"))
    for lv in q.levels.values():
        default = " (default)" if lv.id == q.default_level else ""
        parts.append(Text.assemble((f"  {lv.id}", "cyan"), f" {lv.label}{default}: ", lv.expectations))
    lo, hi = q.targets.total
    targets = Table(title=f"Time targets: {_mmss(lo)}\u2013{_mmss(hi)} in all", title_justify="left")
    for col in ("section", "time", "share"):
        targets.add_column(col)
    for name in SECTION_NAMES:
        a, b = q.targets.sections[name]
        c, d = q.targets.shares[name]
        targets.add_row(name, f"{_mmss(a)}\u2013{_mmss(b)}", f"{c:.0%}\u2013{d:.0%}")
    parts += [Text(""), targets, Text(""), Text(f"Follow-ups ({len(q.follow_ups)})", style="bold")]
    for i, f in enumerate(q.follow_ups, 1):
        a, b = f.target
        parts.append(Text.assemble(f"  {i}. ", (f"\u201c{f.text}\u201d", "italic"), (f"  [{f.id}, {_mmss(a)}\u2013{_mmss(b)}]", "dim")))
        parts.append(Text(f"     why: {f.why}", style="dim"))
        for _aid, said in f.avoid_sounds_like.items():
            parts.append(Text(f"     avoid: \u201c{said}\u201d", style="red"))
    parts += [Text(""), Text(f"Common mistakes ({len(q.mistakes)})", style="bold")]
    for m in q.mistakes:
        parts.append(Text.assemble((f"  \u2717 {m.name}", "red"), (f"  [{m.id}]", "dim")))
        parts.append(Text(f"     sounds like: \u201c{m.sounds_like}\u201d", style="italic"))
        parts.append(Text(f"     why it fails: {m.why}", style="dim"))
    parts += [Text(""), Text(f"Fluency signals ({len(q.fluency_signals)})", style="bold")]
    parts += [Text(f"  \u2605 \u201c{s.phrase}\u201d \u2014 {s.signals}") for s in q.fluency_signals]
    parts += [Text(""), Text(f"Question-specific checks ({len(q.checks)})", style="bold")]
    parts += [Text.assemble(f"  \u2022 {c.message}", (f"  [{c.id}]", "dim")) for c in q.checks]
    parts += [Text(""), Text(f"Model answers ({len(q.model_answers)})", style="bold")]
    for a in q.model_answers:
        parts.append(Text(f"  {a.level}: {a.domain} ({len(a.text.split())} words)"))
        if answers:
            for name in SECTION_NAMES:
                parts.append(Text.assemble((f"    [{name[0].upper()}] ", "bold"), getattr(a, name)))
    if q.model_answers and not answers:
        parts.append(Text("  (--answers prints them in full)", style="dim"))
    return Group(*parts)
