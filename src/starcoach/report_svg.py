"""The session report's pictures: inline SVG charts of one answer, and the score ring.

Each function takes a scored answer (report_data.Answer) and returns one <svg> as a string, drawn on a fixed
viewBox and scaled by CSS (report_assets/report.css). Elements with data-seek play the recording from
that time when clicked (report_assets/report.js).
"""

from __future__ import annotations

import math

from starcoach.records import SECTION_NAMES
from starcoach.report_data import (
    FOLLOW_UP_COLOUR,
    SECTION_COLOURS,
    SECTION_INK,
    Answer,
    coord,
    dicts,
    escape,
    mapping,
    number,
    string,
    time_attr,
)
from starcoach.result import AnswerResult, DeliveryResult, FollowUpResult, Result
from starcoach.timing import clock

# The rubric's "speaking-pace" band (questions/rubric.yaml), drawn on the pace chart.
PACE_BAND = (110.0, 185.0)


# --------------------------------------------------------------------------- pieces of a chart


def _ticks(span: float) -> list[float]:
    # Past 80 minutes, whole multiples of 20 minutes or more: never more than 9 ticks, however long.
    step = next((s for s in (5, 10, 15, 30, 60, 120, 300, 600) if span / s <= 8),
                1200 * max(1, math.ceil(span / 8 / 1200)))
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
    out = [f'<clipPath id="{clip}"><rect x="{coord(x0)}" y="{coord(y)}" width="{coord(max(0.0, x1 - x0))}" height="{coord(h)}" rx="7"/></clipPath>',
           f'<g clip-path="url(#{clip})">']
    labels = []
    for label, a, b, shown, fill, ink, seek in parts:
        width = max(0.0, b - a)
        if width <= 0:
            continue
        attrs = f' class="seek" data-seek="{seek}"' if seek else ""
        title = f"{label.capitalize()} {clock(shown)}" if label else clock(shown)
        out.append(f'<rect x="{coord(a)}" y="{coord(y)}" width="{coord(width)}" height="{coord(h)}" fill="{fill}"{attrs}>'
                   f"<title>{escape(title)}</title></rect>")
        text = _seg_label(label, shown, width) if label else ""
        if text:
            labels.append(f'<text x="{coord(a + 8)}" y="{coord(y + h / 2 + 4.5)}" fill="{ink}" class="seg-label">{escape(text)}</text>')
    out.append("</g>")
    return "".join(out + labels)


def _axis(span: float, *, y: float, x0: float, x1: float, scale) -> str:
    out = [f'<line x1="{coord(x0)}" x2="{coord(x1)}" y1="{coord(y)}" y2="{coord(y)}" class="axis"/>']
    for t in _ticks(span):
        x = scale(t)
        out.append(f'<line x1="{coord(x)}" x2="{coord(x)}" y1="{coord(y)}" y2="{coord(y + 5)}" class="axis"/>'
                   f'<text x="{coord(x)}" y="{coord(y + 18)}" class="tick" text-anchor="middle">{clock(t)}</text>')
    return "".join(out)


# --------------------------------------------------------------------------- the charts


def timeline_svg(a: Answer, r: AnswerResult) -> str:
    """The answer's sections as spoken and the target split, two bars on one scale (like the terminal)."""
    sections = [s for s in r.sections if s.name in SECTION_COLOURS]
    total = r.total
    spoken = [(s.name, number(s.speaking_s)) for s in sections]
    targets = [(s.name, (number(s.target_min_s) + number(s.target_max_s)) / 2) for s in sections]
    total_s = number(total.speaking_s, sum(v for _, v in spoken))
    tmin, tmax = number(total.target_min_s), number(total.target_max_s)
    span = max(total_s, sum(v for _, v in targets), tmax, 1.0)
    W, x0, x1 = 1000.0, 112.0, 900.0

    def sx(t: float) -> float:
        return x0 + (x1 - x0) * min(max(t, 0.0), span) / span

    offset = number(sections[0].start) if sections else 0.0
    rows, acc = [], 0.0
    for (name, secs), s in zip(spoken, sections, strict=True):
        rows.append((name, sx(acc), sx(acc + secs), secs, SECTION_COLOURS[name], SECTION_INK[name], time_attr(number(s.start))))
        acc += secs
    trow, acc = [], 0.0
    for name, secs in targets:
        trow.append((name, sx(acc), sx(acc + secs), secs, SECTION_COLOURS[name], SECTION_INK[name], ""))
        acc += secs
    marks = []
    for p in r.delivery.long_pauses:
        at, duration = number(p.start), number(p.duration)
        marks.append(f'<g class="seek" data-seek="{time_attr(at)}"><title>{duration:.1f}s pause at {clock(at)}</title>'
                     f'<path d="M{coord(sx(at - offset))} 10 l-5 -8 h10 z" class="pause-mark"/></g>')
    H = 150
    return (
        f'<svg class="chart timeline" viewBox="0 0 {coord(W)} {H}" role="img" aria-label="Timeline of the sections against the target split">'
        f'<text x="0" y="36" class="row-label">Your answer</text>'
        f'<text x="0" y="82" class="row-label muted">Target</text>'
        f'<rect x="{coord(sx(tmin))}" y="12" width="{coord(max(0.0, sx(tmax) - sx(tmin)))}" height="98" class="target-window"><title>target length {clock(tmin)}\u2013{clock(tmax)}</title></rect>'
        + _bar_row(rows, y=16, h=32, clip=f"tl-a{a.index}-0", x0=x0, x1=sx(total_s))
        + _bar_row(trow, y=62, h=32, clip=f"tl-a{a.index}-1", x0=x0, x1=sx(sum(v for _, v in targets)))
        + "".join(marks)
        + f'<text x="{coord(W)}" y="37" class="row-total" text-anchor="end">{clock(total_s)}</text>'
        f'<text x="{coord(W)}" y="83" class="row-total muted" text-anchor="end">{clock(tmin)}\u2013{clock(tmax)}</text>'
        + _axis(span, y=118, x0=x0, x1=x1, scale=sx)
        + "</svg>"
    )


def follow_up_timeline_svg(a: Answer, r: FollowUpResult) -> str:
    speaking = number(r.speaking_s)
    tmin, tmax = number(r.target_min_s), number(r.target_max_s)
    span = max(speaking, tmax, 1.0) * 1.05
    W, x0, x1 = 1000.0, 112.0, 900.0

    def sx(t: float) -> float:
        return x0 + (x1 - x0) * min(max(t, 0.0), span) / span

    words = r.words
    start = time_attr(number(words[0].start)) if words else "0.00"
    return (
        f'<svg class="chart timeline" viewBox="0 0 {coord(W)} 104" role="img" aria-label="Answer length against the target">'
        f'<text x="0" y="36" class="row-label">Your answer</text>'
        f'<rect x="{coord(sx(tmin))}" y="10" width="{coord(max(0.0, sx(tmax) - sx(tmin)))}" height="50" class="target-window"><title>target {clock(tmin)}\u2013{clock(tmax)}</title></rect>'
        + _bar_row([("", x0, sx(speaking), speaking, FOLLOW_UP_COLOUR, "#ffffff", start)], y=16, h=32,
                   clip=f"tl-a{a.index}-0", x0=x0, x1=sx(speaking))
        + f'<text x="{coord(W)}" y="37" class="row-total" text-anchor="end">{clock(speaking)}</text>'
        f'<text x="{coord((sx(tmin) + sx(tmax)) / 2)}" y="74" class="tick target-label" text-anchor="middle">target {clock(tmin)}\u2013{clock(tmax)}</text>'
        + _axis(span, y=84, x0=x0, x1=x1, scale=sx)
        + "</svg>"
    )


def pace_svg(r: Result) -> str:
    """Pace per section as bars against the comfortable band, with the overall pace as a line."""
    d = r.delivery
    overall = number(d.wpm)
    if isinstance(r, AnswerResult):
        per = d.section_wpm
        counts = {s.name: int(number(s.word_count)) for s in r.sections}
        rows = [(n, number(per.get(n)), SECTION_COLOURS[n]) for n in SECTION_NAMES if counts.get(n, 1) > 0 and n in per]
    else:
        rows = [("answer", overall, FOLLOW_UP_COLOUR)]
    top = max([PACE_BAND[1] * 1.2] + [v * 1.1 for _, v, _ in rows])
    W, x0, x1, row_h = 480.0, 86.0, 430.0, 30.0
    H = 34 + row_h * len(rows) + 26

    def sx(v: float) -> float:
        return x0 + (x1 - x0) * min(max(v, 0.0), top) / top

    out = [f'<svg class="chart pace" viewBox="0 0 {coord(W)} {coord(H)}" role="img" aria-label="Pace per section in words a minute">',
           f'<rect x="{coord(sx(PACE_BAND[0]))}" y="22" width="{coord(sx(PACE_BAND[1]) - sx(PACE_BAND[0]))}" height="{coord(row_h * len(rows) + 6)}" class="band"/>',
           f'<text x="{coord((sx(PACE_BAND[0]) + sx(PACE_BAND[1])) / 2)}" y="15" class="tick band-label" text-anchor="middle">comfortable {PACE_BAND[0]:.0f}\u2013{PACE_BAND[1]:.0f}</text>']
    for i, (name, wpm, colour) in enumerate(rows):
        y = 28 + i * row_h
        out.append(f'<text x="0" y="{coord(y + 14)}" class="row-label small">{escape(name.capitalize())}</text>'
                   f'<rect x="{coord(x0)}" y="{coord(y + 2)}" width="{coord(sx(wpm) - x0)}" height="{coord(row_h - 12)}" rx="4" fill="{colour}"><title>{escape(name)}: {wpm:.0f} words a minute</title></rect>'
                   f'<text x="{coord(sx(wpm) + 6)}" y="{coord(y + 15)}" class="value">{wpm:.0f}</text>')
    base = 28 + row_h * len(rows)
    if overall > 0 and len(rows) > 1:
        out.append(f'<line x1="{coord(sx(overall))}" x2="{coord(sx(overall))}" y1="22" y2="{coord(base)}" class="overall"/>'
                   f'<text x="{coord(sx(overall))}" y="{coord(base + 14)}" class="tick" text-anchor="middle">overall {overall:.0f}</text>')
    else:
        out.append(f'<text x="{coord(x1)}" y="{coord(base + 14)}" class="tick" text-anchor="end">words a minute</text>')
    out.append("</svg>")
    return "".join(out)


def rates_svg(d: DeliveryResult) -> str:
    """Fillers and hedges a minute, as two bars."""
    rows = [("Fillers", number(d.fillers_per_min), len(d.fillers), "#e06c4f"),
            ("Hedges", number(d.hedges_per_min), len(d.hedges), "#b7791f")]
    top = max([6.0] + [v * 1.25 for _, v, _, _ in rows])
    W, x0, x1, row_h = 480.0, 86.0, 400.0, 30.0

    def sx(v: float) -> float:
        return x0 + (x1 - x0) * min(max(v, 0.0), top) / top

    out = [f'<svg class="chart rates" viewBox="0 0 {coord(W)} {coord(16 + row_h * 2 + 22)}" role="img" aria-label="Fillers and hedges a minute">']
    for i, (name, rate, count, colour) in enumerate(rows):
        y = 10 + i * row_h
        width = max(sx(rate) - x0, 2.0)
        out.append(f'<text x="0" y="{coord(y + 14)}" class="row-label small">{name}</text>'
                   f'<rect x="{coord(x0)}" y="{coord(y + 2)}" width="{coord(x1 - x0)}" height="{coord(row_h - 12)}" rx="4" class="track"/>'
                   f'<rect x="{coord(x0)}" y="{coord(y + 2)}" width="{coord(width)}" height="{coord(row_h - 12)}" rx="4" fill="{colour}"/>'
                   f'<text x="{coord(sx(rate) + 6)}" y="{coord(y + 15)}" class="value">{rate:.1f}/min \u00b7 {count}</text>')
    out.append(f'<text x="{coord(x1)}" y="{coord(16 + row_h * 2 + 10)}" class="tick" text-anchor="end">a minute \u00b7 times heard</text></svg>')
    return "".join(out)


def strip_svg(r: Result) -> str:
    """The whole recording: each word as a tick in its section's colour, long pauses marked."""
    words = r.words
    span = max(number(r.duration_s), max((number(w.end) for w in words), default=0.0), 1.0)
    W, x0, x1 = 1000.0, 12.0, 988.0

    def sx(t: float) -> float:
        return x0 + (x1 - x0) * min(max(t, 0.0), span) / span

    out = [f'<svg class="chart strip seek-area" viewBox="0 0 {coord(W)} 96" data-span="{time_attr(span)}" data-x0="{coord(x0)}" data-x1="{coord(x1)}" '
           f'data-vbw="{coord(W)}" role="img" aria-label="Speech and long pauses over the recording">',
           f'<rect x="{coord(x0)}" y="26" width="{coord(x1 - x0)}" height="30" rx="5" class="track"/>']
    for w in words:
        s, e = number(w.start), number(w.end)
        colour = SECTION_COLOURS.get(w.section or "", FOLLOW_UP_COLOUR)
        out.append(f'<rect x="{coord(sx(s))}" y="30" width="{coord(max(sx(e) - sx(s), 1.2))}" height="22" fill="{colour}"/>')
    for p in r.delivery.long_pauses:
        s, e, dur = number(p.start), number(p.end), number(p.duration)
        title = escape(f"{dur:.1f}s pause after \u201c{p.before}\u201d")
        out.append(f'<g class="seek" data-seek="{time_attr(s)}"><title>{title}</title>'
                   f'<rect x="{coord(sx(s))}" y="22" width="{coord(max(sx(e) - sx(s), 3.0))}" height="38" rx="3" class="pause-band"/>'
                   f'<text x="{coord((sx(s) + sx(e)) / 2)}" y="16" class="tick pause-label" text-anchor="middle">{dur:.1f}s</text></g>')
    out.append(_axis(span, y=66, x0=x0, x1=x1, scale=sx))
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- the score


def _score_class(score: float) -> str:
    return "good" if score >= 75 else "fair" if score >= 50 else "low"


def score_ring(score: float) -> str:
    """The score out of 100 as a ring, coloured good / fair / low."""
    r, c = 52.0, 2 * math.pi * 52.0
    filled = c * min(max(score, 0.0), 100.0) / 100.0
    return (f'<div class="score {_score_class(score)}"><svg viewBox="0 0 128 128" aria-hidden="true">'
            f'<circle cx="64" cy="64" r="{coord(r)}" class="ring-track"/>'
            f'<circle cx="64" cy="64" r="{coord(r)}" class="ring" stroke-dasharray="{coord(filled)} {coord(c)}" transform="rotate(-90 64 64)"/></svg>'
            f'<div class="score-text"><span class="score-num">{score:.0f}</span><span class="score-of">/ 100</span></div></div>')



# --------------------------------------------------------------------------- the voice


def _voice_contour(v: dict) -> tuple[float, list[float | None], list[float | None]] | None:
    """The stored contour as (step, pitch, loudness) lists with None for gaps; None when missing."""
    c = mapping(v.get("contour"))
    step = number(c.get("step_s"))
    pitch, loud = c.get("pitch_hz"), c.get("loudness_db")
    if step <= 0 or not isinstance(pitch, list) or not isinstance(loud, list) or len(pitch) != len(loud):
        return None

    def val(x: object) -> float | None:
        f = number(x, math.nan)
        return None if math.isnan(f) else f

    return step, [val(x) for x in pitch], [val(x) for x in loud]


MAX_CONTOUR_POINTS = 600  # points drawn at most: a 10-minute answer's 6,000 steps are grouped to this
DRAW_STEP_S = 0.25  # and no finer than this: the median of each quarter second reads as intonation, not jitter


def voice_svg(a: Answer, r: Result) -> str:
    """Pitch and loudness over the answer, on the time scale of the timeline above it, with the
    monotone stretches shaded and the hesitations marked; each mark plays its stretch when clicked."""
    v = a.voice
    parsed = _voice_contour(v)
    if parsed is None:
        return ""
    step, pitch, loud = parsed
    if isinstance(r, AnswerResult):
        sections = [s for s in r.sections if s.name in SECTION_COLOURS]
        spoken = sum(number(s.speaking_s) for s in sections)
        targets = sum((number(s.target_min_s) + number(s.target_max_s)) / 2 for s in sections)
        span = max(number(r.total.speaking_s, spoken), targets, number(r.total.target_max_s), 1.0)
        offset = number(sections[0].start) if sections else 0.0
    else:
        span = max(number(r.speaking_s), number(r.target_max_s), 1.0) * 1.05
        words = r.words
        offset = number(words[0].start) if words else 0.0
    W, x0, x1 = 1000.0, 112.0, 900.0
    top, pitch_h, loud_top, loud_h = 8.0, 70.0, 86.0, 28.0

    def sx(t: float) -> float:
        return x0 + (x1 - x0) * min(max(t - offset, 0.0), span) / span

    n = len(pitch)
    k = max(1, math.ceil(n / MAX_CONTOUR_POINTS), round(DRAW_STEP_S / step))
    g_pitch, g_loud = [], []
    for i in range(0, n, k):
        ps = sorted(p for p in pitch[i:i + k] if p is not None and p > 0)
        ls = [x for x in loud[i:i + k] if x is not None]
        g_pitch.append(ps[len(ps) // 2] if ps else None)
        g_loud.append(max(ls) if ls else None)
    voiced = sorted(p for p in g_pitch if p is not None)
    out = [f'<svg class="chart voice" viewBox="0 0 {coord(W)} 122" role="img" aria-label="Pitch and loudness over the answer">',
           f'<text x="0" y="{coord(top + pitch_h / 2 + 5)}" class="row-label small">Pitch</text>',
           f'<text x="0" y="{coord(loud_top + loud_h / 2 + 5)}" class="row-label small muted">Loudness</text>',
           f'<rect x="{coord(x0)}" y="{coord(top)}" width="{coord(x1 - x0)}" height="{coord(pitch_h)}" rx="5" class="track"/>']
    for m in dicts(v.get("monotone")):
        s, e = number(m.get("start")), number(m.get("end"))
        title = escape(f"Flat pitch {clock(s)}\u2013{clock(e)} ({number(m.get('variation_st')):.1f} st): "
                       f"\u201c{string(m.get('sentence')) or string(m.get('text'))}\u201d")
        out.append(f'<g class="seek mono" data-seek="{time_attr(s)}" data-end="{time_attr(e)}"><title>{title}</title>'
                   f'<rect x="{coord(sx(s))}" y="{coord(top)}" width="{coord(max(sx(e) - sx(s), 3.0))}" height="{coord(pitch_h)}" class="mono-band"/></g>')
    if voiced:
        med = voiced[len(voiced) // 2]
        lo_st, hi_st = -10.0, 10.0  # voice.OCTAVE_ERROR_ST: past it a step is a tracking error, left out

        def py(p: float) -> float:
            st = min(max(12 * math.log2(p / med), lo_st), hi_st)
            return top + pitch_h * (hi_st - st) / (hi_st - lo_st)

        runs, cur = [], []
        for j, p in enumerate(g_pitch):
            if p is None or abs(12 * math.log2(p / med)) > hi_st:
                if cur:
                    runs.append(cur)
                cur = []
                continue
            cur.append(f"{coord(sx((j * k + k / 2) * step))},{coord(py(p))}")
        if cur:
            runs.append(cur)
        for pts in runs:
            if len(pts) == 1:
                x, y = pts[0].split(",")
                out.append(f'<circle cx="{x}" cy="{y}" r="1.2" class="pitch-dot"/>')
            else:
                out.append(f'<polyline points="{" ".join(pts)}" class="pitch-line"/>')
        out.append(f'<line x1="{coord(x0)}" x2="{coord(x1)}" y1="{coord(py(med))}" y2="{coord(py(med))}" class="pitch-median"/>'
                   f'<text x="{coord(W)}" y="{coord(py(med) + 4)}" class="tick" text-anchor="end">{med:.0f} Hz</text>')
    known = [x for x in g_loud if x is not None]
    if known:
        ceiling = max(known)
        floor = ceiling - 40.0
        pts = [f"{coord(x0)},{coord(loud_top + loud_h)}"]
        for j, x in enumerate(g_loud):
            level = floor if x is None else min(max(x, floor), ceiling)
            pts.append(f"{coord(sx((j * k + k / 2) * step))},{coord(loud_top + loud_h * (ceiling - level) / 40.0)}")
        pts.append(f"{coord(sx(n * step))},{coord(loud_top + loud_h)}")
        out.append(f'<polygon points="{" ".join(pts)}" class="loud-area"/>')
    for h in dicts(v.get("hesitations")):
        s, e = number(h.get("start")), number(h.get("end"))
        heard = string(h.get("source")) == "voice"
        what = "heard between the words" if heard else f"\u201c{string(h.get('text'))}\u201d in the words"
        out.append(f'<g class="seek hes" data-seek="{time_attr(max(0.0, s - 0.3))}" data-end="{time_attr(e + 0.2)}">'
                   f'<title>{escape(f"Hesitation at {clock(s)}, {what}")}</title>'
                   f'<path d="M{coord(sx(s))} {coord(top + pitch_h + 1)} l-5 7 h10 z" class="hes-mark{" heard" if heard else ""}"/></g>')
    out.append("</svg>")
    return "".join(out)
