"""A saved session as a page to replay (HTML) and as Markdown.

`render_html` and `render_markdown` are pure: a session's data (session.json as a dict) and the audio
URL of each answer in, one string out. The page is self-contained: inline CSS, inline JS, inline SVG
charts, no fonts, no network; a Content-Security-Policy makes the browser refuse anything else.
`write_report` does the file work: it embeds each recording as a data: URI (or copies it beside the
page) and writes the page atomically.

Everything from the session is escaped: transcripts and findings are user content.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import math
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from starcoach.errors import StarcoachError
from starcoach.records import SECTION_NAMES

FORMATS = ("html", "markdown")
DEFAULT_NAMES = {"html": "report.html", "markdown": "report.md"}

# The terminal's colours (report.COLOURS), a shade calmer for a page: situation blue, task purple,
# action green, result orange. INK is the label colour that reads on each.
SECTION_COLOURS = {"situation": "#3b82f6", "task": "#8b5cf6", "action": "#16a34a", "result": "#f59e0b"}
SECTION_INK = {"situation": "#ffffff", "task": "#ffffff", "action": "#ffffff", "result": "#3b2300"}
FOLLOW_UP_COLOUR = "#0e9f9a"
# The rubric's "speaking-pace" band (questions/rubric.yaml), drawn on the pace chart.
PACE_BAND = (110.0, 185.0)
# Evidence longer than this quotes a whole section (a timing finding): it is linked, not marked word by word.
MAX_MARKED_WORDS = 30

AUDIO_TYPES = {".wav": "audio/wav", ".wave": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg",
               ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".m4a": "audio/mp4",
               ".mp4": "audio/mp4", ".aac": "audio/aac", ".webm": "audio/webm"}
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
_VERDICT_WORDS = {"ok": "on target", "short": "short", "long": "long"}


# --------------------------------------------------------------------------- reading the data


def _f(value: Any, default: float = 0.0) -> float:
    """A finite number from the JSON, or `default` (a hand-edited or imported file may hold anything)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return default


def _s(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _l(value: Any) -> list[Any]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def clock(seconds: float) -> str:
    """m:ss, as in the terminal report."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _t(x: float) -> str:
    """A time for a data- attribute."""
    return f"{x:.2f}"


def _n(x: float) -> str:
    """A coordinate for SVG."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _date(created: str) -> str:
    try:
        when = datetime.fromisoformat(created)
    except ValueError:
        return created
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


@dataclass(frozen=True)
class _Answer:
    index: int
    kind: str  # main | follow_up
    label: str  # "Main answer", "Follow-up 1"
    question: str
    result: dict[str, Any] | None
    audio_src: str | None  # URL for <audio>, or None
    audio_name: str | None  # the stored file name (None for a typed answer)

    @property
    def anchor(self) -> str:
        return f"answer-{self.index}"

    @property
    def words(self) -> list[dict[str, Any]]:
        return _l((self.result or {}).get("words"))

    @property
    def estimated(self) -> bool:
        return bool((self.result or {}).get("estimated"))


def _answers(data: Mapping[str, Any], audio: Mapping[int, str | None]) -> list[_Answer]:
    out, n_follow = [], 0
    entries = data.get("answers")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        kind = _s(entry.get("kind"), "main")
        if kind == "follow_up":
            n_follow += 1
            label, question = f"Follow-up {n_follow}", _s(entry.get("text")) or _s(entry.get("follow_up"))
        else:
            label, question = "Main answer", _s(data.get("question_text")) or _s(data.get("question"))
        result = entry.get("result") if isinstance(entry.get("result"), dict) else None
        out.append(_Answer(i, kind, label, question, result, audio.get(i), _s(entry.get("audio")) or None))
    return out


def _evidence_spans(findings: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """The evidence of the findings to work on; a timing finding's evidence is a whole section, not a quote."""
    spans = []
    for f in findings:
        if f.get("passed") or f.get("severity") == "info" or f.get("category") == "timing":
            continue
        spans.extend((_f(e.get("start")), _f(e.get("end"))) for e in _l(f.get("evidence")))
    return spans


def _covered(words: list[dict[str, Any]], spans: list[tuple[float, float]], limit: int | None) -> set[int]:
    """Indexes of the words inside the spans (a span of more than `limit` words marks none)."""
    marked: set[int] = set()
    for s, e in spans:
        inside = [i for i, w in enumerate(words) if _f(w.get("start")) >= s - 0.01 and _f(w.get("end")) <= e + 0.01]
        if limit is None or len(inside) <= limit:
            marked.update(inside)
    return marked


def _score_class(score: float) -> str:
    return "good" if score >= 75 else "fair" if score >= 50 else "low"


# --------------------------------------------------------------------------- SVG pieces


def _ticks(span: float) -> list[float]:
    step = next((s for s in (5, 10, 15, 30, 60, 120, 300, 600) if span / s <= 8), 1200)
    return [i * step for i in range(int(span // step) + 1)]


def _seg_label(name: str, secs: float, width: float) -> str:
    if width >= 118:
        return f"{name.capitalize()} {clock(secs)}"
    if width >= 50:
        return f"{name[0].upper()} {clock(secs)}"
    return name[0].upper() if width >= 16 else ""


def _bar_row(parts: list[tuple[str, float, float, float, str, str, str]], *, y: float, h: float, clip: str,
             x0: float, x1: float) -> str:
    """One rounded bar made of (label, from_s, to_s, shown_s, fill, ink, seek) segments on [x0, x1]."""
    out = [f'<clipPath id="{clip}"><rect x="{_n(x0)}" y="{_n(y)}" width="{_n(max(0.0, x1 - x0))}" height="{_n(h)}" rx="7"/></clipPath>',
           f'<g clip-path="url(#{clip})">']
    labels = []
    for label, a, b, shown, fill, ink, seek in parts:
        width = max(0.0, b - a)
        if width <= 0:
            continue
        attrs = f' class="seek" data-seek="{seek}"' if seek else ""
        title = f"{label.capitalize()} {clock(shown)}" if label else clock(shown)
        out.append(f'<rect x="{_n(a)}" y="{_n(y)}" width="{_n(width)}" height="{_n(h)}" fill="{fill}"{attrs}>'
                   f"<title>{_e(title)}</title></rect>")
        text = _seg_label(label, shown, width) if label else ""
        if text:
            labels.append(f'<text x="{_n(a + 8)}" y="{_n(y + h / 2 + 4.5)}" fill="{ink}" class="seg-label">{_e(text)}</text>')
    out.append("</g>")
    return "".join(out + labels)


def _axis(span: float, *, y: float, x0: float, x1: float, scale) -> str:
    out = [f'<line x1="{_n(x0)}" x2="{_n(x1)}" y1="{_n(y)}" y2="{_n(y)}" class="axis"/>']
    for t in _ticks(span):
        x = scale(t)
        out.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(y)}" y2="{_n(y + 5)}" class="axis"/>'
                   f'<text x="{_n(x)}" y="{_n(y + 18)}" class="tick" text-anchor="middle">{clock(t)}</text>')
    return "".join(out)


def _timeline_svg(a: _Answer) -> str:
    """The answer's sections as spoken and the target split, two bars on one scale (like the terminal)."""
    r = a.result or {}
    sections = [s for s in _l(r.get("sections")) if s.get("name") in SECTION_COLOURS]
    total = _d(r.get("total"))
    spoken = [(s["name"], _f(s.get("speaking_s"))) for s in sections]
    targets = [(s["name"], (_f(s.get("target_min_s")) + _f(s.get("target_max_s"))) / 2) for s in sections]
    total_s = _f(total.get("speaking_s"), sum(v for _, v in spoken))
    tmin, tmax = _f(total.get("target_min_s")), _f(total.get("target_max_s"))
    span = max(total_s, sum(v for _, v in targets), tmax, 1.0)
    W, x0, x1 = 1000.0, 112.0, 900.0

    def sx(t: float) -> float:
        return x0 + (x1 - x0) * min(max(t, 0.0), span) / span

    offset = _f(sections[0].get("start")) if sections else 0.0
    rows, acc = [], 0.0
    for (name, secs), s in zip(spoken, sections, strict=True):
        rows.append((name, sx(acc), sx(acc + secs), secs, SECTION_COLOURS[name], SECTION_INK[name], _t(_f(s.get("start")))))
        acc += secs
    trow, acc = [], 0.0
    for name, secs in targets:
        trow.append((name, sx(acc), sx(acc + secs), secs, SECTION_COLOURS[name], SECTION_INK[name], ""))
        acc += secs
    pauses = _l(_d(r.get("delivery")).get("long_pauses"))
    marks = []
    for p in pauses:
        at, duration = _f(p.get("start")), _f(p.get("duration"))
        marks.append(f'<g class="seek" data-seek="{_t(at)}"><title>{duration:.1f}s pause at {clock(at)}</title>'
                     f'<path d="M{_n(sx(at - offset))} 10 l-5 -8 h10 z" class="pause-mark"/></g>')
    H = 150
    return (
        f'<svg class="chart timeline" viewBox="0 0 {_n(W)} {H}" role="img" aria-label="Timeline of the sections against the target split">'
        f'<text x="0" y="36" class="row-label">Your answer</text>'
        f'<text x="0" y="82" class="row-label muted">Target</text>'
        f'<rect x="{_n(sx(tmin))}" y="12" width="{_n(max(0.0, sx(tmax) - sx(tmin)))}" height="98" class="target-window"><title>target length {clock(tmin)}\u2013{clock(tmax)}</title></rect>'
        + _bar_row(rows, y=16, h=32, clip=f"tl-a{a.index}-0", x0=x0, x1=sx(total_s))
        + _bar_row(trow, y=62, h=32, clip=f"tl-a{a.index}-1", x0=x0, x1=sx(sum(v for _, v in targets)))
        + "".join(marks)
        + f'<text x="{_n(W)}" y="37" class="row-total" text-anchor="end">{clock(total_s)}</text>'
        f'<text x="{_n(W)}" y="83" class="row-total muted" text-anchor="end">{clock(tmin)}\u2013{clock(tmax)}</text>'
        + _axis(span, y=118, x0=x0, x1=x1, scale=sx)
        + "</svg>"
    )


def _follow_up_timeline_svg(a: _Answer) -> str:
    r = a.result or {}
    speaking = _f(r.get("speaking_s"))
    tmin, tmax = _f(r.get("target_min_s")), _f(r.get("target_max_s"))
    span = max(speaking, tmax, 1.0) * 1.05
    W, x0, x1 = 1000.0, 112.0, 900.0

    def sx(t: float) -> float:
        return x0 + (x1 - x0) * min(max(t, 0.0), span) / span

    words = a.words
    start = _t(_f(words[0].get("start"))) if words else "0.00"
    return (
        f'<svg class="chart timeline" viewBox="0 0 {_n(W)} 104" role="img" aria-label="Answer length against the target">'
        f'<text x="0" y="36" class="row-label">Your answer</text>'
        f'<rect x="{_n(sx(tmin))}" y="10" width="{_n(max(0.0, sx(tmax) - sx(tmin)))}" height="50" class="target-window"><title>target {clock(tmin)}\u2013{clock(tmax)}</title></rect>'
        + _bar_row([("", x0, sx(speaking), speaking, FOLLOW_UP_COLOUR, "#ffffff", start)], y=16, h=32,
                   clip=f"tl-a{a.index}-0", x0=x0, x1=sx(speaking))
        + f'<text x="{_n(W)}" y="37" class="row-total" text-anchor="end">{clock(speaking)}</text>'
        f'<text x="{_n((sx(tmin) + sx(tmax)) / 2)}" y="74" class="tick target-label" text-anchor="middle">target {clock(tmin)}\u2013{clock(tmax)}</text>'
        + _axis(span, y=84, x0=x0, x1=x1, scale=sx)
        + "</svg>"
    )


def _pace_svg(a: _Answer) -> str:
    """Pace per section as bars against the comfortable band, with the overall pace as a line."""
    r = a.result or {}
    d = _d(r.get("delivery"))
    overall = _f(d.get("wpm"))
    if a.kind == "main":
        per = _d(d.get("section_wpm"))
        counts = {s.get("name"): int(_f(s.get("word_count"))) for s in _l(r.get("sections"))}
        rows = [(n, _f(per.get(n)), SECTION_COLOURS[n]) for n in SECTION_NAMES if counts.get(n, 1) > 0 and n in per]
    else:
        rows = [("answer", overall, FOLLOW_UP_COLOUR)]
    top = max([PACE_BAND[1] * 1.2] + [v * 1.1 for _, v, _ in rows])
    W, x0, x1, row_h = 480.0, 86.0, 430.0, 30.0
    H = 34 + row_h * len(rows) + 26

    def sx(v: float) -> float:
        return x0 + (x1 - x0) * min(max(v, 0.0), top) / top

    out = [f'<svg class="chart pace" viewBox="0 0 {_n(W)} {_n(H)}" role="img" aria-label="Pace per section in words a minute">',
           f'<rect x="{_n(sx(PACE_BAND[0]))}" y="22" width="{_n(sx(PACE_BAND[1]) - sx(PACE_BAND[0]))}" height="{_n(row_h * len(rows) + 6)}" class="band"/>',
           f'<text x="{_n((sx(PACE_BAND[0]) + sx(PACE_BAND[1])) / 2)}" y="15" class="tick band-label" text-anchor="middle">comfortable {PACE_BAND[0]:.0f}\u2013{PACE_BAND[1]:.0f}</text>']
    for i, (name, wpm, colour) in enumerate(rows):
        y = 28 + i * row_h
        out.append(f'<text x="0" y="{_n(y + 14)}" class="row-label small">{_e(name.capitalize())}</text>'
                   f'<rect x="{_n(x0)}" y="{_n(y + 2)}" width="{_n(sx(wpm) - x0)}" height="{_n(row_h - 12)}" rx="4" fill="{colour}"><title>{_e(name)}: {wpm:.0f} words a minute</title></rect>'
                   f'<text x="{_n(sx(wpm) + 6)}" y="{_n(y + 15)}" class="value">{wpm:.0f}</text>')
    base = 28 + row_h * len(rows)
    if overall > 0 and len(rows) > 1:
        out.append(f'<line x1="{_n(sx(overall))}" x2="{_n(sx(overall))}" y1="22" y2="{_n(base)}" class="overall"/>'
                   f'<text x="{_n(sx(overall))}" y="{_n(base + 14)}" class="tick" text-anchor="middle">overall {overall:.0f}</text>')
    else:
        out.append(f'<text x="{_n(x1)}" y="{_n(base + 14)}" class="tick" text-anchor="end">words a minute</text>')
    out.append("</svg>")
    return "".join(out)


def _rates_svg(a: _Answer) -> str:
    """Fillers and hedges a minute, as two bars."""
    d = _d((a.result or {}).get("delivery"))
    rows = [("Fillers", _f(d.get("fillers_per_min")), len(_l(d.get("fillers"))), "#e06c4f"),
            ("Hedges", _f(d.get("hedges_per_min")), len(_l(d.get("hedges"))), "#b7791f")]
    top = max([6.0] + [v * 1.25 for _, v, _, _ in rows])
    W, x0, x1, row_h = 480.0, 86.0, 400.0, 30.0

    def sx(v: float) -> float:
        return x0 + (x1 - x0) * min(max(v, 0.0), top) / top

    out = [f'<svg class="chart rates" viewBox="0 0 {_n(W)} {_n(16 + row_h * 2 + 22)}" role="img" aria-label="Fillers and hedges a minute">']
    for i, (name, rate, count, colour) in enumerate(rows):
        y = 10 + i * row_h
        width = max(sx(rate) - x0, 2.0)
        out.append(f'<text x="0" y="{_n(y + 14)}" class="row-label small">{name}</text>'
                   f'<rect x="{_n(x0)}" y="{_n(y + 2)}" width="{_n(x1 - x0)}" height="{_n(row_h - 12)}" rx="4" class="track"/>'
                   f'<rect x="{_n(x0)}" y="{_n(y + 2)}" width="{_n(width)}" height="{_n(row_h - 12)}" rx="4" fill="{colour}"/>'
                   f'<text x="{_n(sx(rate) + 6)}" y="{_n(y + 15)}" class="value">{rate:.1f}/min \u00b7 {count}</text>')
    out.append(f'<text x="{_n(x1)}" y="{_n(16 + row_h * 2 + 10)}" class="tick" text-anchor="end">a minute \u00b7 times heard</text></svg>')
    return "".join(out)


def _strip_svg(a: _Answer) -> str:
    """The whole recording: each word as a tick in its section's colour, long pauses marked."""
    r = a.result or {}
    words = a.words
    d = _d(r.get("delivery"))
    span = max(_f(r.get("duration_s")), max((_f(w.get("end")) for w in words), default=0.0), 1.0)
    W, x0, x1 = 1000.0, 12.0, 988.0

    def sx(t: float) -> float:
        return x0 + (x1 - x0) * min(max(t, 0.0), span) / span

    out = [f'<svg class="chart strip seek-area" viewBox="0 0 {_n(W)} 96" data-span="{_t(span)}" data-x0="{_n(x0)}" data-x1="{_n(x1)}" '
           f'data-vbw="{_n(W)}" role="img" aria-label="Speech and long pauses over the recording">',
           f'<rect x="{_n(x0)}" y="26" width="{_n(x1 - x0)}" height="30" rx="5" class="track"/>']
    for w in words:
        s, e = _f(w.get("start")), _f(w.get("end"))
        colour = SECTION_COLOURS.get(_s(w.get("section")), FOLLOW_UP_COLOUR)
        out.append(f'<rect x="{_n(sx(s))}" y="30" width="{_n(max(sx(e) - sx(s), 1.2))}" height="22" fill="{colour}"/>')
    for p in _l(d.get("long_pauses")):
        s, e, dur = _f(p.get("start")), _f(p.get("end")), _f(p.get("duration"))
        title = _e(f"{dur:.1f}s pause after \u201c{_s(p.get('before'))}\u201d")
        out.append(f'<g class="seek" data-seek="{_t(s)}"><title>{title}</title>'
                   f'<rect x="{_n(sx(s))}" y="22" width="{_n(max(sx(e) - sx(s), 3.0))}" height="38" rx="3" class="pause-band"/>'
                   f'<text x="{_n((sx(s) + sx(e)) / 2)}" y="16" class="tick pause-label" text-anchor="middle">{dur:.1f}s</text></g>')
    out.append(_axis(span, y=66, x0=x0, x1=x1, scale=sx))
    out.append("</svg>")
    return "".join(out)


def _score_ring(score: float) -> str:
    r, c = 52.0, 2 * math.pi * 52.0
    filled = c * min(max(score, 0.0), 100.0) / 100.0
    return (f'<div class="score {_score_class(score)}"><svg viewBox="0 0 128 128" aria-hidden="true">'
            f'<circle cx="64" cy="64" r="{_n(r)}" class="ring-track"/>'
            f'<circle cx="64" cy="64" r="{_n(r)}" class="ring" stroke-dasharray="{_n(filled)} {_n(c)}" transform="rotate(-90 64 64)"/></svg>'
            f'<div class="score-text"><span class="score-num">{score:.0f}</span><span class="score-of">/ 100</span></div></div>')


# --------------------------------------------------------------------------- HTML pieces


def _facts(items: Sequence[tuple[str, str]]) -> str:
    return '<dl class="facts">' + "".join(f"<div><dt>{_e(k)}</dt><dd>{v}</dd></div>" for k, v in items) + "</dl>"


def _verdict(verdict: str, gap: float) -> str:
    v = verdict if verdict in _VERDICT_WORDS else "ok"
    sign = "+" if gap > 0 else "\u2212"
    gap_text = "" if v == "ok" or not gap else f" {sign}{clock(abs(gap))}"
    return f'<span class="pill v-{v}">{_VERDICT_WORDS[v]}{gap_text}</span>'


def _hero(a: _Answer, data: Mapping[str, Any]) -> str:
    r = a.result or {}
    facts = [("Level", _e(_s(r.get("level")) or _s(data.get("level")))), ("Date", _e(_date(_s(data.get("created")))))]
    if a.kind == "main":
        total = _d(r.get("total"))
        facts += [("Duration", _e(clock(_f(r.get("duration_s"))))),
                  ("Speaking", f"{_e(clock(_f(total.get('speaking_s'))))} "
                               f"{_verdict(_s(total.get('verdict')), _f(total.get('gap_s')))}"),
                  ("Target", _e(f"{clock(_f(total.get('target_min_s')))}\u2013{clock(_f(total.get('target_max_s')))}"))]
    else:
        facts += [("Speaking", f"{_e(clock(_f(r.get('speaking_s'))))} {_verdict(_s(r.get('verdict')), _f(r.get('gap_s')))}"),
                  ("Target", _e(f"{clock(_f(r.get('target_min_s')))}\u2013{clock(_f(r.get('target_max_s')))}"))]
    note = ""
    if a.estimated:
        pace = re.sub(r"^estimated\s*", "", _s(r.get("model"))) or "at a steady pace"
        note = ('<p class="note">Typed answer: the times are <strong>estimated</strong> from the text '
                f"({_e(pace)}), and there is no recording to play.</p>")
    side = ""
    if a.kind == "main" and "score" in r:
        breakdown = _d(r.get("score_breakdown"))
        cats = "".join(f"<li><span>{_e(cat)}</span><span>{_f(_d(v).get('earned')):.0f}/{_f(_d(v).get('possible')):.0f}</span></li>"
                       for cat, v in breakdown.items())
        side = f'<div class="hero-side">{_score_ring(_f(r.get("score")))}<ul class="breakdown">{cats}</ul></div>'
    elif a.kind == "follow_up":
        v = _s(r.get("verdict"))
        side = f'<div class="hero-side"><div class="fu-verdict v-{_e(v)}">{_e(_VERDICT_WORDS.get(v, v))}</div><div class="muted small">time against the target</div></div>'
    heading = "h1" if a.kind == "main" else "h2"
    return (f'<header class="card hero"><div class="hero-main"><div class="kicker">{_e(a.label)}</div>'
            f'<{heading}>{_e(a.question)}</{heading}>{_facts(facts)}{note}</div>{side}</header>')


def _legend() -> str:
    return '<ul class="legend">' + "".join(
        f'<li><span class="swatch s-{n}"></span>{n.capitalize()}</li>' for n in SECTION_NAMES) + \
        '<li><span class="swatch target"></span>Target length</li><li><span class="swatch pause"></span>Long pause</li></ul>'


def _section_table(a: _Answer) -> str:
    r = a.result or {}
    per = _d(_d(r.get("delivery")).get("section_wpm"))
    rows = []
    for s in _l(r.get("sections")):
        name = _s(s.get("name"))
        rows.append(
            f'<tr><th scope="row"><span class="swatch s-{_e(name)}"></span>{_e(name.capitalize())}</th>'
            f'<td class="num"><button type="button" class="link" data-seek="{_t(_f(s.get("start")))}">{clock(_f(s.get("speaking_s")))}</button></td>'
            f'<td class="num">{clock(_f(s.get("target_min_s")))}\u2013{clock(_f(s.get("target_max_s")))}</td>'
            f'<td>{_verdict(_s(s.get("verdict")), _f(s.get("gap_s")))}</td>'
            f'<td class="num">{_f(s.get("share")):.0%} <span class="muted">of {_f(s.get("share_min")):.0%}\u2013{_f(s.get("share_max")):.0%}</span></td>'
            f'<td class="num">{int(_f(s.get("word_count")))}</td><td class="num">{_f(per.get(name)):.0f}</td></tr>')
    t = _d(r.get("total"))
    rows.append(f'<tr class="total"><th scope="row">Total</th><td class="num">{clock(_f(t.get("speaking_s")))}</td>'
                f'<td class="num">{clock(_f(t.get("target_min_s")))}\u2013{clock(_f(t.get("target_max_s")))}</td>'
                f'<td>{_verdict(_s(t.get("verdict")), _f(t.get("gap_s")))}</td><td></td>'
                f'<td class="num">{len(a.words)}</td><td class="num">{_f(_d(r.get("delivery")).get("wpm")):.0f}</td></tr>')
    return ('<table class="sections"><thead><tr><th scope="col">Section</th><th scope="col" class="num">Time</th>'
            '<th scope="col" class="num">Target</th><th scope="col">Verdict</th><th scope="col" class="num">Share</th>'
            '<th scope="col" class="num">Words</th><th scope="col" class="num">wpm</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _transcript(a: _Answer) -> str:
    words = a.words
    r = a.result or {}
    findings = _l(r.get("findings"))
    bad = _covered(words, _evidence_spans(findings), MAX_MARKED_WORDS)
    d = _d(r.get("delivery"))
    fh = _covered(words, [(_f(e.get("start")), _f(e.get("end"))) for e in _l(d.get("fillers")) + _l(d.get("hedges"))], None)
    pause_after: dict[int, dict[str, Any]] = {}
    for p in _l(d.get("long_pauses")):
        ends = [abs(_f(w.get("end")) - _f(p.get("start"))) for w in words]
        if ends:
            pause_after[ends.index(min(ends))] = p
    if not words:
        return '<p class="muted">No words were recorded for this answer.</p>'
    out, current = [], None
    for i, w in enumerate(words):
        section = _s(w.get("section")) if a.kind == "main" else ""
        if section != current or i == 0:
            if current is not None:
                out.append("</p></div>")
            current = section
            if section in SECTION_COLOURS:
                sec = next((s for s in _l(r.get("sections")) if s.get("name") == section), {})
                out.append(f'<div class="block s-{section}"><h4 class="sec-h"><span class="swatch s-{section}"></span>'
                           f'{section.capitalize()} <button type="button" class="link ts" data-seek="{_t(_f(sec.get("start"), _f(w.get("start"))))}">'
                           f'{clock(_f(sec.get("start"), _f(w.get("start"))))}</button></h4><p>')
            else:
                out.append('<div class="block"><p>')
        classes = ["w"]
        if section in SECTION_COLOURS:
            classes.append(f"s-{section}")
        if i in bad:
            classes.append("ev")
        if i in fh:
            classes.append("fh")
        out.append(f'<span class="{" ".join(classes)}" data-start="{_t(_f(w.get("start")))}" data-end="{_t(_f(w.get("end")))}">'
                   f'{_e(_s(w.get("text")))}</span> ')
        if i in pause_after:
            p = pause_after[i]
            at, duration = _f(p.get("start")), _f(p.get("duration"))
            out.append(f'<button type="button" class="pause-chip" data-seek="{_t(at)}" '
                       f'title="{duration:.1f} second pause">{duration:.1f}s</button> ')
    out.append("</p></div>")
    return "".join(out)


def _quote_button(e: dict[str, Any]) -> str:
    s, t = _f(e.get("start")), _f(e.get("end"))
    return (f'<button type="button" class="quote" data-seek="{_t(s)}" data-end="{_t(t)}">'
            f'<span class="ts">{clock(s)}</span><q>{_e(_s(e.get("text")))}</q></button>')


def _split(findings: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """To work on (worst first), done well, and fluency signals heard (passed info findings)."""
    failed = sorted((f for f in findings if not f.get("passed") and f.get("severity") != "info"),
                    key=lambda f: _SEVERITY_ORDER.get(_s(f.get("severity")), 9))
    passed = [f for f in findings if f.get("passed") and f.get("severity") != "info"]
    signals = [f for f in findings if f.get("passed") and f.get("severity") == "info"]
    return failed, passed, signals


def _to_work_on(a: _Answer) -> str:
    failed, _, _ = _split(_l((a.result or {}).get("findings")))
    out = [f'<h3>To work on <span class="count">{len(failed)}</span></h3>']
    if not failed:
        return "".join(out) + '<p class="all-good">Nothing: every check passed.</p>'
    # Findings that share their advice (one per section, say) make one card with the advice once.
    groups: list[list[dict[str, Any]]] = []
    for f in failed:
        same = next((g for g in groups if _s(g[0].get("advice")) == _s(f.get("advice")) and g[0].get("severity") == f.get("severity")
                     and _s(f.get("advice"))), None)
        if same is not None:
            same.append(f)
        else:
            groups.append([f])
    out.append('<ul class="findings">')
    for group in groups:
        sev = _s(group[0].get("severity"))
        where = " \u00b7 ".join(dict.fromkeys(x for f in group for x in (_s(f.get("category")), _s(f.get("section"))) if x))
        items = []
        for f in group:
            quotes = "".join(_quote_button(e) for e in _l(f.get("evidence")))
            items.append(f'<div class="f-item" data-id="{_e(_s(f.get("id")))}"><p class="msg">{_e(_s(f.get("message")))}</p>'
                         + (f'<div class="quotes">{quotes}</div>' if quotes else "") + "</div>")
        out.append(f'<li class="finding sev-{_e(sev)}"><div class="f-head"><span class="sev">{_e(sev)}</span>'
                   f'<span class="muted small">{_e(where)}</span></div>{"".join(items)}'
                   f'<p class="advice">{_e(_s(group[0].get("advice")))}</p></li>')
    out.append("</ul>")
    return "".join(out)


_AVOIDED = re.compile(r"^avoids the common mistake:\s*", re.IGNORECASE)


def _done_well(a: _Answer) -> str:
    _, passed, signals = _split(_l((a.result or {}).get("findings")))
    if not passed and not signals:
        return ""
    by_category: dict[str, list[dict[str, Any]]] = {}
    for f in passed:
        by_category.setdefault(_s(f.get("category")) or "other", []).append(f)
    blocks = []
    for category, items in by_category.items():
        if all(_AVOIDED.match(_s(f.get("message"))) for f in items):
            chips = "".join(f'<li data-id="{_e(_s(f.get("id")))}">{_e(_AVOIDED.sub("", _s(f.get("message"))))}</li>' for f in items)
            blocks.append(f'<div class="dw-block"><h4>Common mistakes avoided</h4><ul class="chips">{chips}</ul></div>')
            continue
        lis = []
        for f in items:
            quotes = "".join(_quote_button(e) for e in _l(f.get("evidence"))[:2])
            lis.append(f'<li data-id="{_e(_s(f.get("id")))}"><span class="tick-mark" aria-hidden="true">\u2713</span><div>'
                       f'{_e(_s(f.get("message")))}' + (f'<div class="quotes">{quotes}</div>' if quotes else "") + "</div></li>")
        blocks.append(f'<div class="dw-block"><h4>{_e(category.capitalize())}</h4><ul class="done">{"".join(lis)}</ul></div>')
    if signals:
        lis = []
        for f in signals:
            quotes = "".join(_quote_button(e) for e in _l(f.get("evidence"))[:1])
            lis.append(f'<li data-id="{_e(_s(f.get("id")))}"><span class="tick-mark star" aria-hidden="true">\u2605</span><div>'
                       f'{_e(_s(f.get("message")))}' + (f'<div class="quotes">{quotes}</div>' if quotes else "") + "</div></li>")
        blocks.append(f'<div class="dw-block"><h4>Fluency signals heard</h4><ul class="done">{"".join(lis)}</ul></div>')
    return (f'<section class="card done-well"><h3>Done well <span class="count good">{len(passed) + len(signals)}</span></h3>'
            f'<div class="dw-grid">{"".join(blocks)}</div></section>')


def _delivery(a: _Answer) -> str:
    d = _d((a.result or {}).get("delivery"))
    heard = _l(d.get("fillers")) + _l(d.get("hedges"))
    heard.sort(key=lambda e: _f(e.get("start")))
    chips = "".join(_quote_button(e) for e in heard[:12])
    more = f'<span class="muted small">and {len(heard) - 12} more</span>' if len(heard) > 12 else ""
    pauses = _l(d.get("long_pauses"))
    threshold = _f(d.get("long_pause_s"), 1.5)
    pause_note = (f"{len(pauses)} long pause{'s' if len(pauses) != 1 else ''} ({threshold:g}s or more); "
                  f"longest gap {_f(d.get('longest_pause_s')):.1f}s" if pauses
                  else f"No pause of {threshold:g}s or more; longest gap {_f(d.get('longest_pause_s')):.1f}s")
    repeats = _l(d.get("repeats"))
    rep = (f'<p class="small">Repeated words: {"".join(_quote_button(e) for e in repeats[:8])}</p>' if repeats else "")
    return (
        '<section class="card delivery"><h3>Delivery</h3><div class="grid2">'
        f'<figure><figcaption>Pace <span class="muted">words a minute</span></figcaption>{_pace_svg(a)}</figure>'
        f'<figure><figcaption>Fillers and hedges</figcaption>{_rates_svg(a)}'
        + (f'<div class="quotes heard">{chips}{more}</div>' if chips else '<p class="muted small">None heard.</p>')
        + "</figure></div>"
        f'<figure class="wide"><figcaption>Speech and pauses <span class="muted">{_e(pause_note)} \u00b7 click to listen from there</span></figcaption>{_strip_svg(a)}</figure>'
        + rep + "</section>"
    )


def _player(a: _Answer) -> str:
    if a.audio_src:
        return (f'<div class="player"><audio controls preload="auto" src="{_e(a.audio_src)}"></audio>'
                '<span class="hint">Click any word to hear it.</span></div>')
    if a.estimated or a.audio_name is None:
        return '<div class="player none"><span class="hint">Typed answer: no recording. Times are estimated.</span></div>'
    return (f'<div class="player none"><span class="hint">The recording ({_e(a.audio_name)}) is not with this page.'
            "</span></div>")


def _answer_html(a: _Answer, data: Mapping[str, Any]) -> str:
    if a.result is None:
        return (f'<section class="answer" id="{a.anchor}"><header class="card hero"><div class="hero-main">'
                f'<div class="kicker">{_e(a.label)}</div><h2>{_e(a.question)}</h2>'
                '<p class="note">Not scored: the session stopped before this answer was.</p></div></header></section>')
    timeline = _timeline_svg(a) if a.kind == "main" else _follow_up_timeline_svg(a)
    table = _section_table(a) if a.kind == "main" else ""
    legend = _legend() if a.kind == "main" else ""
    return (
        f'<section class="answer" id="{a.anchor}" data-estimated="{"true" if a.estimated else "false"}">'
        + _hero(a, data)
        + f'<section class="card"><h3>Time</h3><div class="scroll-x">{timeline}</div>{legend}'
        + (f'<div class="scroll-x">{table}</div>' if table else "") + "</section>"
        + '<div class="columns">'
        + f'<section class="card listen"><h3>Transcript</h3>{_player(a)}<div class="transcript">{_transcript(a)}</div></section>'
        + f'<section class="card feedback">{_to_work_on(a)}</section>'
        + "</div>"
        + _done_well(a)
        + _delivery(a)
        + "</section>"
    )


# --------------------------------------------------------------------------- the page

_CSS = """
:root{--bg:#f5f6f8;--card:#fff;--ink:#1f2933;--muted:#6b7785;--line:#e4e7eb;--accent:#2563eb;
--situation:#3b82f6;--task:#8b5cf6;--action:#16a34a;--result:#f59e0b;--follow:#0e9f9a;
--good:#16a34a;--fair:#d97706;--low:#dc2626;--now:#fde68a;--flash:#fecaca;--ev:#e11d48;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);
line-height:1.5;-webkit-text-size-adjust:100%}
*{box-sizing:border-box}
body{margin:0;background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:28px 24px 56px}
h1,h2,h3,h4{line-height:1.25;margin:0}
h1,h2{font-size:1.5rem;font-weight:650;letter-spacing:-.01em;margin:.25rem 0 .9rem;max-width:44rem}
h2{font-size:1.3rem}
h3{font-size:.8rem;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);font-weight:650;margin-bottom:.9rem}
.page-head{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem 1.4rem;margin-bottom:18px}
.brand{font-size:.8rem;color:var(--muted);letter-spacing:.06em;text-transform:uppercase;font-weight:600}
.brand b{color:var(--accent)}
.meta{display:flex;flex-wrap:wrap;gap:.5rem 1.2rem;color:var(--muted);font-size:.85rem;margin-left:auto;order:3}
.toc{display:flex;flex-wrap:wrap;gap:.5rem}
.toc a{font-size:.88rem;text-decoration:none;color:var(--ink);background:var(--card);border:1px solid var(--line);
border-radius:999px;padding:.25rem .8rem}
.toc a:hover{border-color:var(--accent);color:var(--accent)}
.answer{margin-bottom:40px}
.card{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:20px 22px;margin-bottom:18px;
box-shadow:0 1px 2px rgba(16,24,40,.04)}
.hero{display:flex;gap:28px;align-items:center;justify-content:space-between}
.kicker{font-size:.78rem;font-weight:650;color:var(--accent);text-transform:uppercase;letter-spacing:.08em}
.facts{display:flex;flex-wrap:wrap;gap:.4rem 2rem;margin:0}
.facts div{min-width:5rem}
.facts dt{font-size:.75rem;color:var(--muted);text-transform:uppercase;letter-spacing:.06em}
.facts dd{margin:0;font-weight:560;font-variant-numeric:tabular-nums}
.note{margin:.9rem 0 0;padding:.55rem .8rem;background:#fff8e6;border:1px solid #f5dfa6;border-radius:8px;font-size:.92rem}
.hero-side{display:flex;align-items:center;gap:18px;flex-shrink:0}
.score{position:relative;width:128px;height:128px}
.score svg{width:128px;height:128px}
.ring-track{fill:none;stroke:#eef0f3;stroke-width:11}
.ring{fill:none;stroke-width:11;stroke-linecap:round}
.score.good .ring{stroke:var(--good)}.score.fair .ring{stroke:var(--fair)}.score.low .ring{stroke:var(--low)}
.score-text{position:absolute;inset:0;display:flex;flex-direction:column;align-items:center;justify-content:center}
.score-num{font-size:2.6rem;font-weight:700;line-height:1;font-variant-numeric:tabular-nums}
.score-of{font-size:.8rem;color:var(--muted)}
.breakdown{list-style:none;margin:0;padding:0;font-size:.85rem;min-width:9rem}
.breakdown li{display:flex;justify-content:space-between;gap:1rem;border-bottom:1px dashed var(--line);padding:.12rem 0}
.breakdown li span:first-child{color:var(--muted)}
.breakdown li span:last-child{font-variant-numeric:tabular-nums;font-weight:560}
.fu-verdict{font-size:1.5rem;font-weight:700;text-transform:capitalize}
.fu-verdict.v-ok{color:var(--good)}.fu-verdict.v-short{color:var(--fair)}.fu-verdict.v-long{color:var(--low)}
.chart{display:block;width:100%;height:auto;overflow:visible}
.chart.pace,.chart.rates{max-width:560px}
.chart text{font-family:inherit}
.row-label{font-size:14px;font-weight:600;fill:var(--ink)}
.row-label.small{font-size:13px;font-weight:560}
.row-total{font-size:14px;font-weight:650;fill:var(--ink)}
.muted{color:var(--muted);fill:var(--muted)}
.seg-label{font-size:13px;font-weight:650;pointer-events:none}
.tick{font-size:11.5px;fill:var(--muted)}
.axis{stroke:#c9ced6;stroke-width:1}
.target-window{fill:rgba(22,163,74,.08);stroke:rgba(22,163,74,.45);stroke-dasharray:4 3}
.pause-mark{fill:var(--low)}
.band{fill:rgba(22,163,74,.12)}
.band-label{fill:#15803d}
.overall{stroke:var(--ink);stroke-dasharray:3 3;stroke-width:1.2}
.value{font-size:12.5px;font-weight:600;fill:var(--ink);font-variant-numeric:tabular-nums}
.track{fill:#eef0f3}
.pause-band{fill:rgba(220,38,38,.16);stroke:rgba(220,38,38,.7)}
.pause-label{fill:var(--low);font-weight:600}
.seek,[data-seek]{cursor:pointer}
rect.seek:hover{opacity:.85}
.seek-area{cursor:pointer}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:0;margin:.6rem 0 1rem;font-size:.85rem;color:var(--muted)}
.legend li{display:flex;align-items:center;gap:.4rem}
.swatch{display:inline-block;width:.75rem;height:.75rem;border-radius:3px;margin-right:.45rem;vertical-align:-.05rem}
.legend .swatch{margin-right:0}
.s-situation.swatch{background:var(--situation)}.s-task.swatch{background:var(--task)}
.s-action.swatch{background:var(--action)}.s-result.swatch{background:var(--result)}
.swatch.target{background:rgba(22,163,74,.1);border:1px dashed rgba(22,163,74,.6)}
.swatch.pause{background:var(--low);clip-path:polygon(0 0,100% 0,50% 100%)}
.scroll-x{overflow-x:auto}
.scroll-x .timeline{min-width:620px}
table.sections td,table.sections th{white-space:nowrap}
table.sections{width:100%;border-collapse:collapse;font-size:.92rem;font-variant-numeric:tabular-nums}
table.sections th,table.sections td{padding:.5rem .6rem;border-bottom:1px solid var(--line);text-align:left}
table.sections thead th{font-size:.75rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:600}
table.sections tbody th{font-weight:600}
table.sections .num{text-align:right}
table.sections tr.total th,table.sections tr.total td{border-bottom:0;font-weight:650}
.pill{display:inline-block;font-size:.78rem;font-weight:650;padding:.08rem .55rem;border-radius:999px;white-space:nowrap}
.pill.v-ok{background:#dcfce7;color:#166534}.pill.v-short{background:#fef3c7;color:#92400e}.pill.v-long{background:#fee2e2;color:#991b1b}
.columns{display:grid;grid-template-columns:minmax(0,1.25fr) minmax(0,1fr);gap:18px;align-items:start}
.columns .card{margin-bottom:18px}
.listen{position:sticky;top:10px}
.player{position:sticky;top:0;z-index:2;background:var(--card);padding:.2rem 0 .7rem;display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1rem;border-bottom:1px solid var(--line);margin-bottom:.8rem}
.player audio{width:100%;height:40px}
.player .hint{font-size:.82rem;color:var(--muted)}
.transcript{max-height:calc(100vh - 170px);overflow:auto;padding-right:.4rem;font-size:1.04rem;line-height:1.85}
.block{border-left:3px solid var(--line);padding:.1rem 0 .1rem .9rem;margin:0 0 1rem}
.block.s-situation{border-color:var(--situation)}.block.s-task{border-color:var(--task)}
.block.s-action{border-color:var(--action)}.block.s-result{border-color:var(--result)}
.block p{margin:0}
.sec-h{font-size:.8rem;text-transform:uppercase;letter-spacing:.07em;font-weight:650;color:var(--muted);margin:0 0 .15rem;display:flex;align-items:center}
.w{cursor:pointer;border-radius:4px;padding:.05rem .04rem;text-decoration-line:underline;text-decoration-thickness:2px;
text-underline-offset:.28em;text-decoration-color:transparent;transition:background-color .12s}
.w.s-situation{text-decoration-color:rgba(59,130,246,.22)}.w.s-task{text-decoration-color:rgba(139,92,246,.22)}
.w.s-action{text-decoration-color:rgba(22,163,74,.22)}.w.s-result{text-decoration-color:rgba(245,158,11,.3)}
.w:hover{background:#eef2ff}
.w.ev{background:rgba(225,29,72,.08);text-decoration-color:var(--ev);text-decoration-style:dotted}
.w.fh{color:#9a5b13;font-style:italic}
.w.flash{background:var(--flash);border-radius:0;box-shadow:.28em 0 0 var(--flash)}
.w.now{background:var(--now);box-shadow:0 0 0 2px var(--now)}
button{font:inherit;color:inherit}
.link{background:none;border:0;padding:0;color:var(--accent);cursor:pointer;font-variant-numeric:tabular-nums}
.link:hover{text-decoration:underline}
.sec-h .ts{margin-left:.5rem;font-size:.78rem;letter-spacing:0;font-weight:500}
.pause-chip{font-size:.72rem;border:1px solid rgba(220,38,38,.35);background:rgba(220,38,38,.06);color:#b91c1c;
border-radius:999px;padding:0 .4rem;cursor:pointer;vertical-align:.1rem;line-height:1.5}
.count{display:inline-block;min-width:1.5rem;text-align:center;font-size:.75rem;background:#fee2e2;color:#991b1b;border-radius:999px;
padding:.05rem .45rem;margin-left:.3rem;letter-spacing:0}
.count.good{background:#dcfce7;color:#166534}
ul.findings,ul.done{list-style:none;margin:0;padding:0}
.finding{border:1px solid var(--line);border-left:4px solid #cbd5e1;border-radius:10px;padding:.6rem .8rem;margin-bottom:.6rem}
.finding.sev-high{border-left-color:var(--low)}.finding.sev-medium{border-left-color:var(--fair)}.finding.sev-low{border-left-color:#94a3b8}
.f-head{display:flex;gap:.6rem;align-items:center;margin-bottom:.2rem}
.sev{font-size:.7rem;font-weight:700;text-transform:uppercase;letter-spacing:.07em;padding:.05rem .45rem;border-radius:4px;background:#f1f5f9;color:#475569}
.sev-high .sev{background:#fee2e2;color:#991b1b}.sev-medium .sev{background:#fef3c7;color:#92400e}
.msg{margin:0 0 .3rem;font-weight:580;font-size:.95rem}
.advice{margin:.3rem 0 0;font-size:.86rem;color:#4a5562;padding-left:1.1rem;position:relative}
.advice::before{content:"\\2192";position:absolute;left:0;color:var(--accent)}
.quotes{display:flex;flex-wrap:wrap;gap:.35rem;margin:.3rem 0}
.quote{display:inline-flex;align-items:baseline;gap:.45rem;max-width:100%;text-align:left;background:#f8fafc;border:1px solid var(--line);
border-radius:8px;padding:.22rem .55rem;cursor:pointer;font-size:.88rem}
.quote:hover,.quote:focus-visible{border-color:var(--accent);background:#eff6ff}
.quote .ts{font-size:.76rem;color:var(--accent);font-weight:650;font-variant-numeric:tabular-nums}
.quote q{font-style:italic;color:#334155}
.done li{display:flex;gap:.55rem;padding:.3rem 0;border-bottom:1px dashed var(--line);font-size:.92rem}
.done li:last-child{border-bottom:0}
.f-item+.f-item{margin-top:.45rem;padding-top:.45rem;border-top:1px dashed var(--line)}
.dw-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:.6rem 2rem}
.dw-block h4{font-size:.9rem;font-weight:650;margin:.2rem 0 .3rem}
.chips{list-style:none;display:flex;flex-wrap:wrap;gap:.35rem;padding:0;margin:.2rem 0}
.chips li{font-size:.84rem;background:#f0fdf4;border:1px solid #bbf7d0;color:#166534;border-radius:999px;padding:.1rem .6rem}
.tick-mark{color:var(--good);font-weight:700}.tick-mark.star{color:#d97706}
.all-good{color:var(--good);font-weight:560}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:26px}
figure{margin:0}
figure.wide{margin-top:1.4rem}
figcaption{font-weight:600;font-size:.92rem;margin-bottom:.5rem}
.small{font-size:.85rem}
.heard{margin-top:.5rem}
.heard .quote{font-size:.8rem}
footer{color:var(--muted);font-size:.8rem;text-align:center;margin-top:8px}
@media (max-width:860px){.columns,.grid2{grid-template-columns:1fr}.hero{flex-direction:column;align-items:flex-start}
.listen{position:static}.transcript{max-height:none}}
@media print{
:root{--bg:#fff}
main{max-width:none;padding:0}
.card{box-shadow:none;border-color:#d7dbe0;padding:14px 16px;margin-bottom:12px}
.hero,.finding,figure,.dw-block,table,.block,.sec-h{break-inside:avoid}
h3,.sec-h{break-after:avoid}
.hero{flex-direction:row;align-items:center}
.columns{grid-template-columns:1fr;gap:0}
.grid2{grid-template-columns:1fr 1fr}
.transcript,.scroll-x{max-height:none;overflow:visible}
.scroll-x .timeline{min-width:0}
.listen{position:static}
.player audio,.player .hint,.toc{display:none}
.player{position:static;border:0;padding:0;margin:0}
.answer{break-before:page}.answer:first-of-type{break-before:auto}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.w.now,.w.flash{background:none;box-shadow:none}
}
"""

_JS = """
(function () {
  "use strict";
  var audios = [];
  function num(el, name) { var v = parseFloat(el.getAttribute(name)); return isFinite(v) ? v : 0; }
  function setup(root) {
    var audio = root.querySelector("audio");
    var box = root.querySelector(".transcript");
    var words = Array.prototype.slice.call(root.querySelectorAll(".w"));
    var starts = words.map(function (w) { return num(w, "data-start"); });
    var ends = words.map(function (w) { return num(w, "data-end"); });
    var current = null, stopAt = null, frame = 0;
    function indexAt(t) {
      var lo = 0, hi = starts.length - 1, found = -1;
      while (lo <= hi) { var mid = (lo + hi) >> 1; if (starts[mid] <= t + 0.001) { found = mid; lo = mid + 1; } else { hi = mid - 1; } }
      return found;
    }
    function reveal(w) {
      if (!box || !w) return;
      var b = box.getBoundingClientRect(), r = w.getBoundingClientRect();
      if (r.top < b.top + 8 || r.bottom > b.bottom - 8) { box.scrollTop += r.top - b.top - b.height / 3; }
    }
    function mark(i) {
      var w = i >= 0 ? words[i] : null;
      if (w === current) return;
      if (current) current.classList.remove("now");
      current = w;
      if (w) { w.classList.add("now"); reveal(w); }
    }
    function flash(t0, t1) {
      var first = null;
      words.forEach(function (w, i) {
        var on = starts[i] >= t0 - 0.01 && ends[i] <= t1 + 0.01;
        w.classList.toggle("flash", on);
        if (on && !first) first = w;
      });
      if (!first) { var i = indexAt(t0); first = i >= 0 ? words[i] : null; }
      if (first) {
        var r = (box || first).getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) (box || first).scrollIntoView({ block: "nearest" });
        reveal(first);
      }
    }
    function tick() {
      if (!audio) return;
      var t = audio.currentTime;
      if (stopAt !== null && t >= stopAt) { stopAt = null; audio.pause(); }
      mark(indexAt(t));
    }
    function loop() { tick(); if (audio && !audio.paused) frame = window.requestAnimationFrame(loop); }
    function seek(t, until) {
      stopAt = until === undefined ? null : until;
      mark(indexAt(t));
      if (!audio) return;
      try { audio.currentTime = t; } catch (e) { return; }
      var p = audio.play();
      if (p && typeof p.catch === "function") p.catch(function () {});
    }
    root.addEventListener("click", function (ev) {
      var el = ev.target;
      if (!el || !el.closest) return;
      var w = el.closest(".w");
      if (w) { words.forEach(function (x) { x.classList.remove("flash"); }); seek(num(w, "data-start")); return; }
      var q = el.closest("[data-seek]");
      if (q) {
        var t0 = num(q, "data-seek");
        if (q.hasAttribute("data-end")) { var t1 = num(q, "data-end"); flash(t0, t1); seek(t0, t1 + 0.15); }
        else { seek(t0); }
        return;
      }
      var area = el.closest(".seek-area");
      if (area) {
        var box2 = area.getBoundingClientRect();
        var vb = num(area, "data-vbw"), x0 = num(area, "data-x0"), x1 = num(area, "data-x1");
        var x = (ev.clientX - box2.left) / box2.width * vb;
        var t = (x - x0) / (x1 - x0) * num(area, "data-span");
        if (isFinite(t)) seek(Math.max(0, t));
      }
    });
    if (audio) {
      audios.push(audio);
      audio.addEventListener("timeupdate", tick);
      audio.addEventListener("seeked", tick);
      audio.addEventListener("play", function () {
        audios.forEach(function (other) { if (other !== audio) other.pause(); });
        window.cancelAnimationFrame(frame);
        frame = window.requestAnimationFrame(loop);
      });
      audio.addEventListener("pause", function () { window.cancelAnimationFrame(frame); tick(); });
    }
  }
  Array.prototype.forEach.call(document.querySelectorAll(".answer"), setup);
})();
"""


def _csp(media: str) -> str:
    style = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
    script = base64.b64encode(hashlib.sha256(_JS.encode()).digest()).decode()
    return (f"default-src 'none'; style-src 'sha256-{style}'; script-src 'sha256-{script}'; img-src data:; "
            f"media-src {media}; base-uri 'none'; form-action 'none'")


def render_html(data: Mapping[str, Any], audio: Mapping[int, str | None] | None = None) -> str:
    """The page for one session. `data` is session.json; `audio` maps an answer's index to the URL of its
    recording (a data: URI, or a path relative to the page); an answer without one gets no player."""
    audio = audio or {}
    answers = _answers(data, audio)
    media = "data:" if all(not src or src.startswith("data:") for src in audio.values()) else "'self' data: blob: file:"
    question = _s(data.get("question_text")) or _s(data.get("question"))
    meta = [f"session {_e(_s(data.get('id')))}"]
    if _s(data.get("status")) in ("recording", "interrupted"):
        meta.append('<span class="pill v-short">interrupted</span>')
    toc = ""
    if len(answers) > 1:
        toc = '<nav class="toc">' + "".join(f'<a href="#{a.anchor}">{_e(a.label)}</a>' for a in answers) + "</nav>"
    body = "".join(_answer_html(a, data) for a in answers) or '<p class="card">This session has no answers yet.</p>'
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_csp(media))}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(question or 'starcoach session')} \u00b7 starcoach</title>"
        f"<style>{_CSS}</style></head><body><main>"
        f'<header class="page-head"><div class="brand"><b>starcoach</b> session report</div>'
        f'<div class="meta">{"".join(f"<span>{m}</span>" for m in meta)}</div>{toc}</header>'
        f"{body}"
        '<footer>Made by starcoach, offline. Times are seconds from the start of each recording.</footer>'
        f"</main><script>{_JS}</script></body></html>\n"
    )


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def _md(text: Any) -> str:
    """Text that Markdown shows as it is: no emphasis, links, HTML or table cells from user content."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def _md_sentences(words: list[dict[str, Any]]) -> list[tuple[float, str]]:
    out, current, start = [], [], 0.0
    for w in words:
        text = _s(w.get("text")).strip()
        if not text:
            continue
        if not current:
            start = _f(w.get("start"))
        current.append(text)
        if re.search(r"[.!?…][\"'”’)\]]*$", text):
            out.append((start, " ".join(current)))
            current = []
    if current:
        out.append((start, " ".join(current)))
    return out


def _md_finding(f: dict[str, Any], *, advice: bool) -> list[str]:
    lines = [f"- **{_md(_s(f.get('severity')))}** {_md(_s(f.get('message')))}"]
    for e in _l(f.get("evidence")):
        lines.append(f"  - [{clock(_f(e.get('start')))}] \u201c{_md(_s(e.get('text')))}\u201d")
    if advice and _s(f.get("advice")):
        lines.append(f"  - \u2192 {_md(_s(f.get('advice')))}")
    return lines


def _md_answer(a: _Answer, data: Mapping[str, Any]) -> list[str]:
    r = a.result
    lines = [f"## {_md(a.label)}" if a.kind == "main" else f"## {_md(a.label)}: {_md(a.question)}", ""]
    if a.audio_src:
        lines += [f"Recording: [{_md(unquote(a.audio_src))}]({a.audio_src})", ""]
    elif a.estimated:
        lines += ["Typed answer: times are estimated from the text; there is no recording.", ""]
    if r is None:
        return lines + ["Not scored: the session stopped before this answer was.", ""]
    if a.kind == "main":
        t = _d(r.get("total"))
        lines += [f"**Score {_f(r.get('score')):.0f}/100** \u00b7 level {_md(_s(r.get('level')))} \u00b7 "
                  f"{clock(_f(t.get('speaking_s')))} against {clock(_f(t.get('target_min_s')))}\u2013"
                  f"{clock(_f(t.get('target_max_s')))} ({_md(_s(t.get('verdict')))})", ""]
        breakdown = _d(r.get("score_breakdown"))
        if breakdown:
            lines += [" \u00b7 ".join(f"{_md(c)} {_f(_d(v).get('earned')):.0f}/{_f(_d(v).get('possible')):.0f}"
                                      for c, v in breakdown.items()), ""]
        per = _d(_d(r.get("delivery")).get("section_wpm"))
        lines += ["### STAR sections", "", "| section | from | time | target | verdict | share | target share | words | wpm |",
                  "|---|---:|---:|---:|---|---:|---:|---:|---:|"]
        for s in _l(r.get("sections")):
            gap = _f(s.get("gap_s"))
            verdict = _s(s.get("verdict")) + ("" if s.get("verdict") == "ok" or not gap else f" ({gap:+.0f}s)")
            lines.append(f"| {_md(_s(s.get('name')).capitalize())} | {clock(_f(s.get('start')))} | {clock(_f(s.get('speaking_s')))} | "
                         f"{clock(_f(s.get('target_min_s')))}\u2013{clock(_f(s.get('target_max_s')))} | {_md(verdict)} | "
                         f"{_f(s.get('share')):.0%} | {_f(s.get('share_min')):.0%}\u2013{_f(s.get('share_max')):.0%} | "
                         f"{int(_f(s.get('word_count')))} | {_f(per.get(_s(s.get('name')))):.0f} |")
        lines.append(f"| **Total** | | {clock(_f(t.get('speaking_s')))} | {clock(_f(t.get('target_min_s')))}\u2013"
                     f"{clock(_f(t.get('target_max_s')))} | {_md(_s(t.get('verdict')))} | | | {len(a.words)} | "
                     f"{_f(_d(r.get('delivery')).get('wpm')):.0f} |")
        lines.append("")
    else:
        gap = _f(r.get("gap_s"))
        lines += [f"Time {clock(_f(r.get('speaking_s')))} against {clock(_f(r.get('target_min_s')))}\u2013"
                  f"{clock(_f(r.get('target_max_s')))}: **{_md(_s(r.get('verdict')))}**"
                  + ("" if r.get("verdict") == "ok" or not gap else f" ({gap:+.0f}s)"), ""]
    findings = _l(r.get("findings"))
    failed = sorted((f for f in findings if not f.get("passed") and f.get("severity") != "info"),
                    key=lambda f: _SEVERITY_ORDER.get(_s(f.get("severity")), 9))
    passed = [f for f in findings if f.get("passed") and f.get("severity") != "info"]
    signals = [f for f in findings if f.get("passed") and f.get("severity") == "info"]
    lines += [f"### To work on ({len(failed)})", ""]
    for f in failed:
        lines += _md_finding(f, advice=True)
    if not failed:
        lines.append("Nothing: every check passed.")
    lines.append("")
    if passed:
        lines += [f"### Done well ({len(passed)})", ""] + [f"- \u2713 {_md(_s(f.get('message')))}" for f in passed] + [""]
    if signals:
        lines += [f"### Fluency signals heard ({len(signals)})", ""]
        for f in signals:
            lines.append(f"- \u2605 {_md(_s(f.get('message')))}")
            lines += [f"  - [{clock(_f(e.get('start')))}] \u201c{_md(_s(e.get('text')))}\u201d" for e in _l(f.get("evidence"))[:1]]
        lines.append("")
    d = _d(r.get("delivery"))
    lines += ["### Delivery", "", "| measure | value |", "|---|---:|", f"| pace | {_f(d.get('wpm')):.0f} wpm |"]
    if a.kind == "main":
        for name, wpm in _d(d.get("section_wpm")).items():
            lines.append(f"| pace, {_md(name)} | {_f(wpm):.0f} wpm |")
    lines += [f"| fillers | {_f(d.get('fillers_per_min')):.1f}/min ({len(_l(d.get('fillers')))}) |",
              f"| hedges | {_f(d.get('hedges_per_min')):.1f}/min ({len(_l(d.get('hedges')))}) |",
              f"| repeated words | {len(_l(d.get('repeats')))} |",
              f"| long pauses | {len(_l(d.get('long_pauses')))} (longest gap {_f(d.get('longest_pause_s')):.1f}s) |", ""]
    heard = sorted(_l(d.get("fillers")) + _l(d.get("hedges")), key=lambda e: _f(e.get("start")))
    if heard:
        lines += ["Heard: " + ", ".join(f"[{clock(_f(e.get('start')))}] \u201c{_md(_s(e.get('text')))}\u201d" for e in heard), ""]
    for p in _l(d.get("long_pauses")):
        lines.append(f"- [{clock(_f(p.get('start')))}] {_f(p.get('duration')):.1f}s pause in {_md(_s(p.get('section')) or 'the answer')}, "
                     f"after \u201c{_md(_s(p.get('before')))}\u201d")
    if _l(d.get("long_pauses")):
        lines.append("")
    lines += ["### Transcript", ""]
    if a.kind == "main":
        groups: list[tuple[str, list[dict[str, Any]]]] = []
        for w in a.words:
            name = _s(w.get("section"))
            if not groups or groups[-1][0] != name:
                groups.append((name, []))
            groups[-1][1].append(w)
    else:
        groups = [("", a.words)]
    for name, ws in groups:
        if name:
            lines += [f"**{_md(name.capitalize())}**", ""]
        lines += [" ".join(f"[{clock(t)}] {_md(s)}" for t, s in _md_sentences(ws)), ""]
    return lines


def render_markdown(data: Mapping[str, Any], audio: Mapping[int, str | None] | None = None) -> str:
    """The same content as Markdown; `audio` maps an answer's index to a relative path of its recording."""
    answers = _answers(data, audio or {})
    question = _s(data.get("question_text")) or _s(data.get("question"))
    lines = [f"# {_md(question)}", "",
             f"Level {_md(_s(data.get('level')))} \u00b7 {_md(_date(_s(data.get('created'))))} \u00b7 session "
             f"{_md(_s(data.get('id')))} \u00b7 times are m:ss from the start of each recording", ""]
    for a in answers:
        lines += _md_answer(a, data)
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- files


def audio_data_uri(path: Path) -> str:
    """A recording as a data: URI (base64)."""
    mime = AUDIO_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_report(session, *, fmt: str = "html", output: Path | None = None, embed_audio: bool = True) -> Path:
    """Write the report of `session` (a store.Session) and return its path.

    By default it goes in the session's folder (report.html / report.md); `output` may be a file or a
    folder. HTML embeds each recording (data: URI) unless `embed_audio` is false; then, like Markdown,
    the page links to the recording by a relative path, copying it beside the page when the page is
    not in the session's folder (as `<page name>-answer-N.wav`).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    out = Path(output) if output is not None else session.path / DEFAULT_NAMES[fmt]
    if out.is_dir():
        out = out / DEFAULT_NAMES[fmt]
    if not out.parent.is_dir():
        raise StarcoachError(f"cannot write the report to {out}: no folder {out.parent}")
    try:
        audio: dict[int, str | None] = {}
        for i in range(len(session.answers)):
            src = session.audio_file(i)
            if src is None or not src.is_file():
                audio[i] = None
            elif fmt == "html" and embed_audio:
                audio[i] = audio_data_uri(src)
            elif out.parent.resolve() == src.parent.resolve():
                audio[i] = quote(src.name)
            else:
                beside = out.parent / f"{out.stem}-{src.name}"
                shutil.copyfile(src, beside)
                audio[i] = quote(beside.name)
        text = render_html(session.data, audio) if fmt == "html" else render_markdown(session.data, audio)
        write_text_atomic(out, text)
    except OSError as e:
        raise StarcoachError(f"cannot write the report to {out}: {e.strerror or e}") from None
    return out
