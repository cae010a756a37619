"""The session report as Markdown: the same content as the page (report_page), as text.

Everything from the session is escaped (`_md`): transcripts and findings are user content, and must not
become emphasis, links, HTML or table cells.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from starcoach.records import Finding, split_findings
from starcoach.report_data import Answer, date_text, dicts, mapping, number, read_answers, string
from starcoach.result import AnswerResult, ResultWord
from starcoach.timing import clock

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def _md(text: Any) -> str:
    """Text that Markdown shows as it is: no emphasis, links, HTML or table cells from user content."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def _md_sentences(words: Sequence[ResultWord]) -> list[tuple[float, str]]:
    out, current, start = [], [], 0.0
    for w in words:
        text = w.text.strip()
        if not text:
            continue
        if not current:
            start = number(w.start)
        current.append(text)
        if re.search(r"[.!?…][\"'”’)\]]*$", text):
            out.append((start, " ".join(current)))
            current = []
    if current:
        out.append((start, " ".join(current)))
    return out


def _md_finding(f: Finding, *, advice: bool) -> list[str]:
    lines = [f"- **{_md(f.severity)}** {_md(f.message)}"]
    for e in f.evidence:
        lines.append(f"  - [{clock(number(e.start))}] \u201c{_md(e.text)}\u201d")
    if advice and f.advice:
        lines.append(f"  - \u2192 {_md(f.advice)}")
    return lines


def _md_answer(a: Answer, data: Mapping[str, Any]) -> list[str]:
    r = a.result
    lines = [f"## {_md(a.label)}" if a.kind == "main" else f"## {_md(a.label)}: {_md(a.question)}", ""]
    if a.audio_src:
        lines += [f"Recording: [{_md(unquote(a.audio_src))}]({a.audio_src})", ""]
    elif a.estimated:
        lines += ["Typed answer: times are estimated from the text; there is no recording.", ""]
    if r is None:
        return [*lines, "Not scored: the session stopped before this answer was.", ""]
    if isinstance(r, AnswerResult):
        t = r.total
        lines += [f"**Score {number(r.score):.0f}/100** \u00b7 level {_md(r.level)} \u00b7 "
                  f"{clock(number(t.speaking_s))} against {clock(number(t.target_min_s))}\u2013"
                  f"{clock(number(t.target_max_s))} ({_md(t.verdict)})", ""]
        if r.score_breakdown:
            lines += [" \u00b7 ".join(f"{_md(c)} {number(v.get('earned')):.0f}/{number(v.get('possible')):.0f}"
                                      for c, v in r.score_breakdown.items()), ""]
        per = r.delivery.section_wpm
        lines += ["### STAR sections", "", "| section | from | time | target | verdict | share | target share | words | wpm |",
                  "|---|---:|---:|---:|---|---:|---:|---:|---:|"]
        for s in r.sections:
            gap = number(s.gap_s)
            verdict = s.verdict + ("" if s.verdict == "ok" or not gap else f" ({gap:+.0f}s)")
            lines.append(f"| {_md(s.name.capitalize())} | {clock(number(s.start))} | {clock(number(s.speaking_s))} | "
                         f"{clock(number(s.target_min_s))}\u2013{clock(number(s.target_max_s))} | {_md(verdict)} | "
                         f"{number(s.share):.0%} | {number(s.share_min):.0%}\u2013{number(s.share_max):.0%} | "
                         f"{int(number(s.word_count))} | {number(per.get(s.name)):.0f} |")
        lines.append(f"| **Total** | | {clock(number(t.speaking_s))} | {clock(number(t.target_min_s))}\u2013"
                     f"{clock(number(t.target_max_s))} | {_md(t.verdict)} | | | {len(a.words)} | "
                     f"{number(r.delivery.wpm):.0f} |")
        lines.append("")
    else:
        gap = number(r.gap_s)
        lines += [f"Time {clock(number(r.speaking_s))} against {clock(number(r.target_min_s))}\u2013"
                  f"{clock(number(r.target_max_s))}: **{_md(r.verdict)}**"
                  + ("" if r.verdict == "ok" or not gap else f" ({gap:+.0f}s)"), ""]
    failed, passed, signals = split_findings(r.findings)
    lines += [f"### To work on ({len(failed)})", ""]
    for f in failed:
        lines += _md_finding(f, advice=True)
    if not failed:
        lines.append("Nothing: every check passed.")
    lines.append("")
    if passed:
        lines += [f"### Done well ({len(passed)})", ""] + [f"- \u2713 {_md(f.message)}" for f in passed] + [""]
    if signals:
        lines += [f"### Fluency signals heard ({len(signals)})", ""]
        for f in signals:
            lines.append(f"- \u2605 {_md(f.message)}")
            lines += [f"  - [{clock(number(e.start))}] \u201c{_md(e.text)}\u201d" for e in f.evidence[:1]]
        lines.append("")
    d = r.delivery
    lines += ["### Delivery", "", "| measure | value |", "|---|---:|", f"| pace | {number(d.wpm):.0f} wpm |"]
    if a.kind == "main":
        for name, wpm in d.section_wpm.items():
            lines.append(f"| pace, {_md(name)} | {number(wpm):.0f} wpm |")
    lines += [f"| fillers | {number(d.fillers_per_min):.1f}/min ({len(d.fillers)}) |",
              f"| hedges | {number(d.hedges_per_min):.1f}/min ({len(d.hedges)}) |",
              f"| repeated words | {len(d.repeats)} |",
              f"| long pauses | {len(d.long_pauses)} (longest gap {number(d.longest_pause_s):.1f}s) |", ""]
    heard = sorted(d.fillers + d.hedges, key=lambda e: number(e.start))
    if heard:
        lines += ["Heard: " + ", ".join(f"[{clock(number(e.start))}] \u201c{_md(e.text)}\u201d" for e in heard), ""]
    for p in d.long_pauses:
        lines.append(f"- [{clock(number(p.start))}] {number(p.duration):.1f}s pause in {_md(p.section or 'the answer')}, "
                     f"after \u201c{_md(p.before)}\u201d")
    if d.long_pauses:
        lines.append("")
    lines += _md_voice(a.voice)
    lines += ["### Transcript", ""]
    groups: list[tuple[str, list[ResultWord]]] = []
    if a.kind == "main":
        for w in a.words:
            name = w.section or ""
            if not groups or groups[-1][0] != name:
                groups.append((name, []))
            groups[-1][1].append(w)
    else:
        groups = [("", list(a.words))]
    for name, ws in groups:
        if name:
            lines += [f"**{_md(name.capitalize())}**", ""]
        lines += [" ".join(f"[{clock(t)}] {_md(s)}" for t, s in _md_sentences(ws)), ""]
    return lines


def _md_voice(v: Mapping[str, Any]) -> list[str]:
    """The voice of a recorded answer (voice.py): figures per section, flat stretches, hesitations."""
    if not v:
        return []
    lines = ["### Voice", "", "| section | pitch variation | variation quotient | loudness variation |", "|---|---:|---:|---:|"]
    for name, f in [*mapping(v.get("sections")).items(), ("whole answer", mapping(v.get("overall")))]:
        f = mapping(f)
        if f.get("measured"):
            loud = f.get("loudness_variation_db")
            lines.append(f"| {_md(name)} | {number(f.get('pitch_variation_st')):.1f} st | {number(f.get('variation_quotient')):.2f} | "
                         + (f"{number(loud):.1f} dB |" if isinstance(loud, (int, float)) else "\u2013 |"))
        else:
            lines.append(f"| {_md(name)} | {_md(string(f.get('note')) or 'could not measure pitch')} | | |")
    lines.append("")
    lines += [f"- note: {_md(n)}" for n in v.get("notes") or [] if isinstance(n, str)]
    for m in dicts(v.get("monotone")):
        lines.append(f"- flat pitch [{clock(number(m.get('start')))}\u2013{clock(number(m.get('end')))}]: "
                     f"\u201c{_md(string(m.get('sentence')) or string(m.get('text')))}\u201d")
    hes = dicts(v.get("hesitations"))
    if hes:
        lines.append("- hesitations: " + ", ".join(
            f"[{clock(number(h.get('start')))}] {_md(string(h.get('text')))}" for h in hes))
    return [*lines, ""]


def render_markdown(data: Mapping[str, Any], audio: Mapping[int, str | None] | None = None) -> str:
    """The same content as Markdown; `audio` maps an answer's index to a relative path of its recording."""
    answers = read_answers(data, audio or {})
    question = string(data.get("question_text")) or string(data.get("question"))
    lines = [f"# {_md(question)}", "",
             f"Level {_md(string(data.get('level')))} \u00b7 {_md(date_text(string(data.get('created'))))} \u00b7 session "
             f"{_md(string(data.get('id')))} \u00b7 times are m:ss from the start of each recording", ""]
    for a in answers:
        lines += _md_answer(a, data)
    return "\n".join(lines).rstrip() + "\n"
