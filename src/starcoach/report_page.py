"""The session report's HTML, one answer at a time: the head with the score, the timing table, the
transcript beside the player, the findings, and the delivery charts (report_svg).

Everything from the session is escaped: transcripts and findings are user content. Elements with
data-seek (and data-end) play that stretch of the recording when clicked (report_assets/report.js).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from starcoach.delivery import Pause
from starcoach.records import SECTION_NAMES, Evidence, Finding, not_heard, split_findings
from starcoach.report_data import (
    SECTION_COLOURS,
    Answer,
    date_text,
    dicts,
    escape,
    mapping,
    number,
    string,
    time_attr,
)
from starcoach.report_svg import (
    follow_up_timeline_svg,
    pace_svg,
    rates_svg,
    score_ring,
    strip_svg,
    timeline_svg,
    voice_svg,
)
from starcoach.result import AnswerResult, FollowUpResult, Result, ResultWord
from starcoach.timing import clock

# Evidence longer than this quotes a whole section (a timing finding): it is linked, not marked word by word.
MAX_MARKED_WORDS = 30

_VERDICT_WORDS = {"ok": "on target", "short": "short", "long": "long"}


# --------------------------------------------------------------------------- the head of an answer


def _facts(items: Sequence[tuple[str, str]]) -> str:
    return '<dl class="facts">' + "".join(f"<div><dt>{escape(k)}</dt><dd>{v}</dd></div>" for k, v in items) + "</dl>"


def _verdict(verdict: str, gap: float) -> str:
    v = verdict if verdict in _VERDICT_WORDS else "ok"
    sign = "+" if gap > 0 else "\u2212"
    gap_text = "" if v == "ok" or not gap else f" {sign}{clock(abs(gap))}"
    return f'<span class="pill v-{v}">{_VERDICT_WORDS[v]}{gap_text}</span>'


def _hero(a: Answer, r: Result, data: Mapping[str, Any]) -> str:
    facts = [("Level", escape(r.level or string(data.get("level")))), ("Date", escape(date_text(string(data.get("created")))))]
    if isinstance(r, AnswerResult):
        total = r.total
        facts += [("Duration", escape(clock(number(r.duration_s)))),
                  ("Speaking", f"{escape(clock(number(total.speaking_s)))} {_verdict(total.verdict, number(total.gap_s))}"),
                  ("Target", escape(f"{clock(number(total.target_min_s))}\u2013{clock(number(total.target_max_s))}"))]
    else:
        facts += [("Speaking", f"{escape(clock(number(r.speaking_s)))} {_verdict(r.verdict, number(r.gap_s))}"),
                  ("Target", escape(f"{clock(number(r.target_min_s))}\u2013{clock(number(r.target_max_s))}"))]
    note = ""
    if a.estimated:
        pace = re.sub(r"^estimated\s*", "", r.model if isinstance(r, AnswerResult) else "") or "at a steady pace"
        note = ('<p class="note">Typed answer: the times are <strong>estimated</strong> from the text '
                f"({escape(pace)}), and there is no recording to play.</p>")
    side = ""
    if isinstance(r, AnswerResult) and r.score is not None:
        cats = "".join(f"<li><span>{escape(cat)}</span><span>{number(v.get('earned')):.0f}/{number(v.get('possible')):.0f}</span></li>"
                       for cat, v in r.score_breakdown.items())
        side = f'<div class="hero-side">{score_ring(number(r.score))}<ul class="breakdown">{cats}</ul></div>'
    elif isinstance(r, FollowUpResult):
        v = r.verdict
        side = f'<div class="hero-side"><div class="fu-verdict v-{escape(v)}">{escape(_VERDICT_WORDS.get(v, v))}</div><div class="muted small">time against the target</div></div>'
    heading = "h1" if a.kind == "main" else "h2"
    return (f'<header class="card hero"><div class="hero-main"><div class="kicker">{escape(a.label)}</div>'
            f'<{heading}>{escape(a.question)}</{heading}>{_facts(facts)}{note}</div>{side}</header>')


def _legend(voice: bool = False) -> str:
    extra = ('<li><span class="swatch mono"></span>Flat pitch</li><li><span class="swatch hes"></span>Hesitation</li>'
             if voice else "")
    return '<ul class="legend">' + "".join(
        f'<li><span class="swatch s-{n}"></span>{n.capitalize()}</li>' for n in SECTION_NAMES) + \
        '<li><span class="swatch target"></span>Target length</li><li><span class="swatch pause"></span>Long pause</li>' + extra + '</ul>'


def _section_table(r: AnswerResult) -> str:
    per = r.delivery.section_wpm
    rows = []
    for s in r.sections:
        name = s.name
        rows.append(
            f'<tr><th scope="row"><span class="swatch s-{escape(name)}"></span>{escape(name.capitalize())}</th>'
            f'<td class="num"><button type="button" class="link" data-seek="{time_attr(number(s.start))}">{clock(number(s.speaking_s))}</button></td>'
            f'<td class="num">{clock(number(s.target_min_s))}\u2013{clock(number(s.target_max_s))}</td>'
            f'<td>{_verdict(s.verdict, number(s.gap_s))}</td>'
            f'<td class="num">{number(s.share):.0%} <span class="muted">of {number(s.share_min):.0%}\u2013{number(s.share_max):.0%}</span></td>'
            f'<td class="num">{int(number(s.word_count))}</td><td class="num">{number(per.get(name)):.0f}</td></tr>')
    t = r.total
    rows.append(f'<tr class="total"><th scope="row">Total</th><td class="num">{clock(number(t.speaking_s))}</td>'
                f'<td class="num">{clock(number(t.target_min_s))}\u2013{clock(number(t.target_max_s))}</td>'
                f'<td>{_verdict(t.verdict, number(t.gap_s))}</td><td></td>'
                f'<td class="num">{len(r.words)}</td><td class="num">{number(r.delivery.wpm):.0f}</td></tr>')
    return ('<table class="sections"><thead><tr><th scope="col">Section</th><th scope="col" class="num">Time</th>'
            '<th scope="col" class="num">Target</th><th scope="col">Verdict</th><th scope="col" class="num">Share</th>'
            '<th scope="col" class="num">Words</th><th scope="col" class="num">wpm</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


# --------------------------------------------------------------------------- the transcript


def _evidence_spans(findings: Sequence[Finding]) -> list[tuple[float, float]]:
    """The evidence of the findings to work on; a timing finding's evidence is a whole section, not a quote."""
    spans = []
    for f in findings:
        if f.passed or f.severity == "info" or f.category == "timing":
            continue
        spans.extend((number(e.start), number(e.end)) for e in f.evidence)
    return spans


def _covered(words: Sequence[ResultWord], spans: list[tuple[float, float]], limit: int | None) -> set[int]:
    """Indexes of the words inside the spans (a span of more than `limit` words marks none)."""
    marked: set[int] = set()
    for s, e in spans:
        inside = [i for i, w in enumerate(words) if number(w.start) >= s - 0.01 and number(w.end) <= e + 0.01]
        if limit is None or len(inside) <= limit:
            marked.update(inside)
    return marked


def _transcript(a: Answer, r: Result) -> str:
    words = a.words
    bad = _covered(words, _evidence_spans(r.findings), MAX_MARKED_WORDS)
    d = r.delivery
    fh = _covered(words, [(number(e.start), number(e.end)) for e in d.fillers + d.hedges], None)
    pause_after: dict[int, Pause] = {}
    for p in d.long_pauses:
        ends = [abs(number(w.end) - number(p.start)) for w in words]
        if ends:
            pause_after[ends.index(min(ends))] = p
    heard_after: dict[int, list[dict[str, Any]]] = {}
    for h in dicts(a.voice.get("hesitations")):
        if string(h.get("source")) != "voice":
            continue  # the ones Whisper wrote are words of the transcript already
        before = [i for i, w in enumerate(words) if number(w.end) <= number(h.get("start")) + 0.011]
        heard_after.setdefault(before[-1] if before else 0, []).append(h)
    if not words:
        return '<p class="muted">No words were recorded for this answer.</p>'
    out, current = [], None
    sections = r.sections if isinstance(r, AnswerResult) else ()
    for i, w in enumerate(words):
        section = (w.section or "") if a.kind == "main" else ""
        if section != current or i == 0:
            if current is not None:
                out.append("</p></div>")
            current = section
            if section in SECTION_COLOURS:
                start = next((s.start for s in sections if s.name == section), None)
                at = number(start, number(w.start))
                out.append(f'<div class="block s-{section}"><h4 class="sec-h"><span class="swatch s-{section}"></span>'
                           f'{section.capitalize()} <button type="button" class="link ts" data-seek="{time_attr(at)}">'
                           f'{clock(at)}</button></h4><p>')
            else:
                out.append('<div class="block"><p>')
        classes = ["w"]
        if section in SECTION_COLOURS:
            classes.append(f"s-{section}")
        if i in bad:
            classes.append("ev")
        if i in fh:
            classes.append("fh")
        out.append(f'<span class="{" ".join(classes)}" data-start="{time_attr(number(w.start))}" data-end="{time_attr(number(w.end))}">'
                   f'{escape(w.text)}</span> ')
        if i in pause_after:
            p = pause_after[i]
            at, duration = number(p.start), number(p.duration)
            out.append(f'<button type="button" class="pause-chip" data-seek="{time_attr(at)}" '
                       f'title="{duration:.1f} second pause">{duration:.1f}s</button> ')
        for h in heard_after.get(i, []):
            hs, he = number(h.get("start")), number(h.get("end"))
            out.append(f'<button type="button" class="hes-chip" data-seek="{time_attr(max(0.0, hs - 0.3))}" data-end="{time_attr(he + 0.2)}" '
                       f'title="hesitation heard at {clock(hs)} ({he - hs:.1f}s), not in the words">um?</button> ')
    out.append("</p></div>")
    return "".join(out)


# --------------------------------------------------------------------------- the feedback


def _quote_button(e: Evidence) -> str:
    s, t = number(e.start), number(e.end)
    return (f'<button type="button" class="quote" data-seek="{time_attr(s)}" data-end="{time_attr(t)}">'
            f'<span class="ts">{clock(s)}</span><q>{escape(e.text)}</q></button>')


def _to_work_on(findings: Sequence[Finding]) -> str:
    failed, _, _ = split_findings(findings)
    out = [f'<h3>To work on <span class="count">{len(failed)}</span></h3>']
    if not failed:
        return "".join(out) + '<p class="all-good">Nothing: every check passed.</p>'
    # Findings that share their advice (one per section, say) make one card with the advice once.
    groups: list[list[Finding]] = []
    for f in failed:
        same = next((g for g in groups if g[0].advice == f.advice and g[0].severity == f.severity and f.advice), None)
        if same is not None:
            same.append(f)
        else:
            groups.append([f])
    out.append('<ul class="findings">')
    for group in groups:
        sev = group[0].severity
        where = " \u00b7 ".join(dict.fromkeys(x for f in group for x in (f.category, f.section or "") if x))
        items = []
        for f in group:
            quotes = "".join(_quote_button(e) for e in f.evidence)
            items.append(f'<div class="f-item" data-id="{escape(f.id)}"><p class="msg">{escape(f.message)}</p>'
                         + (f'<div class="quotes">{quotes}</div>' if quotes else "") + "</div>")
        out.append(f'<li class="finding sev-{escape(sev)}"><div class="f-head"><span class="sev">{escape(sev)}</span>'
                   f'<span class="muted small">{escape(where)}</span></div>{"".join(items)}'
                   f'<p class="advice">{escape(group[0].advice)}</p></li>')
    out.append("</ul>")
    return "".join(out)


_AVOIDED = re.compile(r"^avoids the common mistake:\s*", re.IGNORECASE)


def _done_item(f: Finding, mark_class: str, mark: str, *, quotes: int) -> str:
    """One line of "Done well": the mark, the message and up to `quotes` quotes to seek to."""
    buttons = "".join(_quote_button(e) for e in f.evidence[:quotes])
    return (f'<li data-id="{escape(f.id)}"><span class="{mark_class}" aria-hidden="true">{mark}</span><div>'
            f'{escape(f.message)}' + (f'<div class="quotes">{buttons}</div>' if buttons else "") + "</div></li>")


def _done_well(findings: Sequence[Finding]) -> str:
    _, passed, signals = split_findings(findings)
    clear = not_heard(findings)
    if not passed and not signals and not clear:
        return ""
    by_category: dict[str, list[Finding]] = {}
    for f in passed:
        by_category.setdefault(f.category or "other", []).append(f)
    blocks = []
    for category, items in by_category.items():
        if all(_AVOIDED.match(f.message) for f in items):
            chips = "".join(f'<li data-id="{escape(f.id)}">{escape(_AVOIDED.sub("", f.message))}</li>' for f in items)
            blocks.append(f'<div class="dw-block"><h4>Common mistakes avoided</h4><ul class="chips">{chips}</ul></div>')
            continue
        lis = [_done_item(f, "tick-mark", "\u2713", quotes=2) for f in items]
        blocks.append(f'<div class="dw-block"><h4>{escape(category.capitalize())}</h4><ul class="done">{"".join(lis)}</ul></div>')
    if signals:
        lis = [_done_item(f, "tick-mark star", "\u2605", quotes=1) for f in signals]
        blocks.append(f'<div class="dw-block"><h4>Fluency signals heard</h4><ul class="done">{"".join(lis)}</ul></div>')
    if clear:  # checked and not heard: worth knowing, but not something done well
        chips = "".join(f'<li data-id="{escape(f.id)}">{escape(_AVOIDED.sub("", f.message))}</li>' for f in clear)
        blocks.append(f'<div class="dw-block"><h4>Mistakes not heard</h4><ul class="chips">{chips}</ul></div>')
    return (f'<section class="card done-well"><h3>Done well <span class="count good">{len(passed) + len(signals)}</span></h3>'
            f'<div class="dw-grid">{"".join(blocks)}</div></section>')


def _delivery(a: Answer, r: Result) -> str:
    d = r.delivery
    heard = sorted(d.fillers + d.hedges, key=lambda e: number(e.start))
    chips = "".join(_quote_button(e) for e in heard[:12])
    more = f'<span class="muted small">and {len(heard) - 12} more</span>' if len(heard) > 12 else ""
    pauses = d.long_pauses
    threshold = number(d.long_pause_s, 1.5)
    pause_note = (f"{len(pauses)} long pause{'s' if len(pauses) != 1 else ''} ({threshold:g}s or more); "
                  f"longest gap {number(d.longest_pause_s):.1f}s" if pauses
                  else f"No pause of {threshold:g}s or more; longest gap {number(d.longest_pause_s):.1f}s")
    repeats = d.repeats
    rep = (f'<p class="small">Repeated words: {"".join(_quote_button(e) for e in repeats[:8])}</p>' if repeats else "")
    return (
        '<section class="card delivery"><h3>Delivery</h3><div class="grid2">'
        f'<figure><figcaption>Pace <span class="muted">words a minute</span></figcaption>{pace_svg(r)}</figure>'
        f'<figure><figcaption>Fillers and hedges</figcaption>{rates_svg(r.delivery)}'
        + (f'<div class="quotes heard">{chips}{more}</div>' if chips else '<p class="muted small">None heard.</p>')
        + "</figure></div>"
        f'<figure class="wide"><figcaption>Speech and pauses <span class="muted">{escape(pause_note)} \u00b7 click to listen from there</span></figcaption>{strip_svg(r)}</figure>'
        + rep + _voice(a) + "</section>"
    )


def _fig(value: Any, fmt: str) -> str:
    x = number(value, float("nan"))
    return "\u2013" if x != x else format(x, fmt)


def _voice(a: Answer) -> str:
    """Pitch and loudness variety per section, the flat stretches with their sentences, and the hesitations."""
    v = a.voice
    if not v:
        return ""
    overall = mapping(v.get("overall"))
    rows = []
    per = mapping(v.get("sections"))
    for name, f in [*per.items(), ("whole answer", overall)]:
        f = mapping(f)
        label = escape(name.capitalize())
        swatch = f'<span class="swatch s-{escape(name)}"></span>' if name in SECTION_COLOURS else ""
        if f.get("measured"):
            cells = (f'<td class="num">{_fig(f.get("pitch_variation_st"), ".1f")} st</td><td class="num">{_fig(f.get("variation_quotient"), ".2f")}</td>'
                     f'<td class="num">{_fig(f.get("loudness_variation_db"), ".1f")} dB</td>')
        else:
            cells = f'<td colspan="3" class="muted small">{escape(string(f.get("note")) or "could not measure pitch")}</td>'
        row_class = ' class="total"' if name == "whole answer" else ""
        rows.append(f'<tr{row_class}><th scope="row">{swatch}{label}</th>{cells}</tr>')
    table = ('<table class="sections voice-table"><thead><tr><th scope="col">Section</th><th scope="col" class="num">Pitch variation</th>'
             '<th scope="col" class="num">Variation quotient</th><th scope="col" class="num">Loudness variation</th></tr></thead><tbody>'
             + "".join(rows) + "</tbody></table>")
    flat = "".join(
        f'<button type="button" class="quote" data-seek="{time_attr(number(m.get("start")))}" data-end="{time_attr(number(m.get("end")))}">'
        f'<span class="ts">{clock(number(m.get("start")))}\u2013{clock(number(m.get("end")))}</span>'
        f'<q>{escape(string(m.get("sentence")) or string(m.get("text")))}</q></button>' for m in dicts(v.get("monotone"))[:8])
    hes = dicts(v.get("hesitations"))
    chips = "".join(
        f'<button type="button" class="quote" data-seek="{time_attr(max(0.0, number(h.get("start")) - 0.3))}" data-end="{time_attr(number(h.get("end")) + 0.2)}">'
        f'<span class="ts">{clock(number(h.get("start")))}</span><q>{escape(string(h.get("text")))}</q></button>' for h in hes[:16])
    heard = sum(1 for h in hes if string(h.get("source")) == "voice")
    notes = "".join(f'<p class="note">{escape(string(n))}</p>' for n in (v.get("notes") or []) if isinstance(n, str))
    return (
        '<div class="voice-block"><h4>Voice <span class="muted small">pitch and loudness, measured from the recording</span></h4>'
        + notes + f'<div class="scroll-x">{table}</div>'
        + '<p class="muted small">Pitch variation: how far the pitch moves, in semitones (lively speech is about 2\u20134, '
          'a flat read under 1.5). Variation quotient: pitch spread over its mean (published speaker means 0.11\u20130.24).</p>'
        + (f'<p class="small"><strong>Flat pitch</strong> ({len(dicts(v.get("monotone")))}): <span class="quotes">{flat}</span></p>' if flat
           else '<p class="small">No flat-pitch stretch of 5 seconds or more.</p>')
        + (f'<p class="small"><strong>Hesitations</strong> {len(hes)} ({heard} heard between the words, not in the transcript): '
           f'<span class="quotes">{chips}</span></p>' if hes else '<p class="small">No hesitations heard.</p>')
        + "</div>"
    )


# --------------------------------------------------------------------------- one answer


def _player(a: Answer) -> str:
    if a.audio_src:
        return (f'<div class="player"><audio controls preload="auto" src="{escape(a.audio_src)}"></audio>'
                '<span class="hint">Click any word to hear it.</span></div>')
    if a.estimated or a.audio_name is None:
        return '<div class="player none"><span class="hint">Typed answer: no recording. Times are estimated.</span></div>'
    return (f'<div class="player none"><span class="hint">The recording ({escape(a.audio_name)}) is not with this page.'
            "</span></div>")


def answer_html(a: Answer, data: Mapping[str, Any]) -> str:
    """One answer's part of the page: head, timing, transcript with player, feedback, delivery."""
    if a.result is None:
        return (f'<section class="answer" id="{a.anchor}"><header class="card hero"><div class="hero-main">'
                f'<div class="kicker">{escape(a.label)}</div><h2>{escape(a.question)}</h2>'
                '<p class="note">Not scored: the session stopped before this answer was.</p></div></header></section>')
    r = a.result
    main = isinstance(r, AnswerResult)
    timeline = timeline_svg(a, r) if isinstance(r, AnswerResult) else follow_up_timeline_svg(a, r)
    table = _section_table(r) if isinstance(r, AnswerResult) else ""
    legend = _legend(bool(a.voice)) if main else ""
    return (
        f'<section class="answer" id="{a.anchor}" data-estimated="{"true" if a.estimated else "false"}">'
        + _hero(a, r, data)
        + f'<section class="card"><h3>Time</h3><div class="scroll-x">{timeline}{voice_svg(a, r)}</div>{legend}'
        + (f'<div class="scroll-x">{table}</div>' if table else "") + "</section>"
        + '<div class="columns">'
        + f'<section class="card listen"><h3>Transcript</h3>{_player(a)}<div class="transcript">{_transcript(a, r)}</div></section>'
        + f'<section class="card feedback">{_to_work_on(r.findings)}</section>'
        + "</div>"
        + _done_well(r.findings)
        + _delivery(a, r)
        + "</section>"
    )
