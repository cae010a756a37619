"""`starcoach progress`: how the main answers moved from one session to the next, as sparklines in a
table or one metric as a bar chart, drawn with block characters.

Pure: reads the sessions' results through result.py (a field that is missing or of the wrong type is a
gap in a series, never an exception) and builds rich renderables; printing is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from starcoach.answer_view import COLOURS
from starcoach.errors import StarcoachError
from starcoach.history import list_sessions, local_time
from starcoach.records import SECTION_NAMES
from starcoach.result import AnswerResult, SectionResult, number_in
from starcoach.store import SessionStore, SessionSummary
from starcoach.timing import clock

BLOCKS = " \u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"  # 0/8 .. 8/8 of a cell


# --------------------------------------------------------------------------- the series


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    label: str
    unit: str  # time | share | per_min | wpm | score | st
    better: str  # band (closer to the target is better) | lower | higher | none


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("total", "total time", "time", "band"),
    Metric("situation", "situation", "time", "band"),
    Metric("task", "task", "time", "band"),
    Metric("action", "action", "time", "band"),
    Metric("result", "result", "time", "band"),
    Metric("action_share", "action share", "share", "band"),
    Metric("fillers", "fillers", "per_min", "lower"),
    Metric("wpm", "pace", "wpm", "none"),
    Metric("score", "score", "score", "higher"),
    # From the recording's voice (voice.py); sessions from before it, and typed answers, are gaps.
    Metric("pitch_variation", "pitch variation", "st", "higher"),
    Metric("hesitations", "hesitations", "per_min", "lower"),
)}


@dataclass(frozen=True, slots=True)
class Point:
    """One session's main answer: a value per metric (None when the result lacks it) and the targets
    the answer was timed against (None where the metric has none)."""

    id: str
    created: datetime
    question: str
    values: dict[str, float | None]
    targets: dict[str, tuple[float, float] | None]


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _band(lo: float | None, hi: float | None) -> tuple[float, float] | None:
    return (float(lo), float(hi)) if lo is not None and hi is not None and lo <= hi else None


def point_from_result(session_id: str, created: datetime, question: str, result: AnswerResult) -> Point:
    """The metrics of one stored main answer's result."""
    named = {s.name: s for s in result.sections}
    sections = {name: named.get(name) or SectionResult(name) for name in SECTION_NAMES}
    action = sections["action"]
    total = result.total
    values: dict[str, float | None] = {
        "total": _float(total.speaking_s if total.speaking_s is not None else result.duration_s),
        "action_share": _float(action.share),
        "fillers": _float(result.delivery.fillers_per_min),
        "wpm": _float(result.delivery.wpm),
        "score": _float(result.score),
        "pitch_variation": number_in(result.voice, "overall", "pitch_variation_st"),
        "hesitations": number_in(result.voice, "hesitations_per_min"),
    }
    targets: dict[str, tuple[float, float] | None] = {
        "total": _band(total.target_min_s, total.target_max_s),
        "action_share": _band(action.share_min, action.share_max),
        "fillers": None, "wpm": None, "score": None, "pitch_variation": None, "hesitations": None,
    }
    for name, s in sections.items():
        values[name] = _float(s.speaking_s)
        targets[name] = _band(s.target_min_s, s.target_max_s)
    return Point(session_id, created, question, values, targets)


def progress_points(store: SessionStore | None = None, *, question: str | None = None) -> list[Point]:
    """The scored main answers, oldest first (damaged and unscored sessions are left out)."""
    store = store or SessionStore()
    points = []
    for item in reversed(list_sessions(store, question=question)):
        if not isinstance(item, SessionSummary):
            continue
        try:
            session = store.load(item.id)
        except StarcoachError:  # changed on disk since it was listed
            continue
        main = next((a for a in session.answers if a["kind"] == "main"), None)
        result = (main or {}).get("result")
        if isinstance(result, dict):
            points.append(point_from_result(item.id, item.created, item.question, AnswerResult.from_dict(result)))
    return points


# --------------------------------------------------------------------------- drawing


# How a value of each unit is written (a change is written the same way with a sign, but a change
# of a share is in percentage points); "time" is m:ss and anything else a whole number.
_UNIT_FORMATS = {"share": "{:.0%}", "per_min": "{:.1f}/min", "wpm": "{:.0f} wpm", "st": "{:.1f} st"}


def _written(unit: str, value: float) -> str:
    return clock(value) if unit == "time" else _UNIT_FORMATS.get(unit, "{:.0f}").format(value)


def format_value(metric: Metric, value: float | None) -> str:
    return "\u2013" if value is None else _written(metric.unit, value)


def format_change(metric: Metric, first: float, last: float) -> str:
    d = last - first
    if format_value(metric, first) == format_value(metric, last):
        return "no change"
    sign = "+" if d >= 0 else "-"
    if metric.unit == "share":
        return f"{sign}{abs(d) * 100:.0f} pts"
    return sign + _written(metric.unit, abs(d))


def format_band(metric: Metric, band: tuple[float, float] | None) -> str:
    return "" if band is None else f"{format_value(metric, band[0])}\u2013{format_value(metric, band[1])}"


def _distance(value: float, band: tuple[float, float]) -> float:
    return max(band[0] - value, 0.0, value - band[1])


def change_style(metric: Metric, first: float, last: float, band: tuple[float, float] | None) -> str:
    """green when the change is an improvement, red when it is not, plain when it cannot be told."""
    if metric.better == "band" and band is not None:
        before, after = _distance(first, band), _distance(last, band)
    elif metric.better == "lower":
        before, after = first, last
    elif metric.better == "higher":
        before, after = -first, -last
    else:
        return ""
    if abs(after - before) < 1e-9:
        return ""
    return "green" if after < before else "red"


def sparkline(values: list[float | None]) -> str:
    """One block character per value, scaled between the smallest and the largest (a gap for None)."""
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    lo, hi = min(known), max(known)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi - lo < 1e-12:
            out.append(BLOCKS[4])
        else:
            out.append(BLOCKS[1 + round((v - lo) / (hi - lo) * 7)])
    return "".join(out)


def common_band(points: list[Point], metric: str) -> tuple[float, float] | None:
    """The target every session shares for `metric`; None when there is none or they differ."""
    bands = {p.targets.get(metric) for p in points}
    return next(iter(bands)) if len(bands) == 1 else None


def series(points: list[Point], metric: str) -> list[float | None]:
    return [p.values.get(metric) for p in points]


def _first_last(values: list[float | None]) -> tuple[float, float] | None:
    known = [v for v in values if v is not None]
    return (known[0], known[-1]) if len(known) >= 2 else None


def progress_table(points: list[Point]) -> Table:
    span = f"{_day(points[0].created)} \u2192 {_day(points[-1].created)}"
    table = Table(title=f"Progress over {len(points)} sessions ({span}), oldest \u2192 newest", title_justify="left")
    for col in ("metric", "trend", "first", "last", "change", "target"):
        table.add_column(col, justify="left" if col in ("metric", "trend", "target") else "right", no_wrap=True)
    for metric in METRICS.values():
        values = series(points, metric.name)
        band = common_band(points, metric.name)
        pair = _first_last(values)
        label = Text(metric.label, style=COLOURS.get(metric.name, ""))
        if pair is None:
            table.add_row(label, sparkline(values), "", "", "", format_band(metric, band))
            continue
        first, last = pair
        table.add_row(label, Text(sparkline(values), style="bold"), format_value(metric, first),
                      format_value(metric, last),
                      Text(format_change(metric, first, last), style=change_style(metric, first, last, band)),
                      format_band(metric, band))
    return table


def _day(when: datetime) -> str:
    return f"{local_time(when):%d %b}"


def bar_chart(values: list[float | None], labels: list[str], *, fmt: Callable[[float], str],
              band: tuple[float, float] | None = None, height: int = 10, col: int = 8) -> Text:
    """Vertical bars, one column per value, with eighth-block tops; the rows inside `band` carry
    dim dots and a green axis, and bars whose value is in the band are green (else yellow)."""
    known = [v for v in values if v is not None]
    # Head room above the tallest bar, and the band's top below the top row so both can be labelled.
    top = max([*(v * 1.1 for v in known), *((band[1] / (1 - 1.5 / height),) if band else ())] or [1.0]) or 1.0
    label_w = max(len(fmt(top)), len(fmt(band[0])) if band else 0, len(fmt(band[1])) if band else 0, 1)
    step = top / height
    band_rows = set()
    if band is not None:
        band_rows = {r for r in range(height) if step * (r + 1) > band[0] and step * r < band[1] + 1e-12}
    hi_row = max(band_rows) if band_rows else None
    lo_row = min(band_rows) if band_rows else None
    bar_w = max(1, col - 4)
    pad_l = (col - bar_w) // 2
    out = Text()
    for r in range(height - 1, -1, -1):
        row_lo, row_hi = step * r, step * (r + 1)
        in_band = r in band_rows
        if r == hi_row and band is not None:
            label = fmt(band[1])
        elif r == lo_row and band is not None:
            label = fmt(band[0])
        elif r == height - 1:
            label = fmt(top)
        else:
            label = ""
        out.append(label.rjust(label_w) + " ", style="green" if in_band and label else "dim")
        out.append("\u2503" if in_band else ("\u2524" if label else "\u2502"), style="green" if in_band else "dim")
        for v in values:
            if v is None or v <= row_lo:
                cell = ""
            elif v >= row_hi:
                cell = BLOCKS[8] * bar_w
            else:
                cell = BLOCKS[max(1, round((v - row_lo) / step * 8))] * bar_w
            if cell:
                style = "cyan" if band is None else ("green" if band[0] <= v <= band[1] else "yellow")
                out.append(" " * pad_l)
                out.append(cell, style=style)
                out.append(" " * (col - pad_l - bar_w))
            elif in_band:
                out.append("\u00b7" * col, style="green dim")
            else:
                out.append(" " * col)
        out.append("\n")
    out.append(" " * label_w + " \u2514" + "\u2500" * (col * len(values)) + "\n", style="dim")
    out.append(" " * (label_w + 2))
    for v in values:
        out.append(("\u2013" if v is None else fmt(v)).center(col)[:col], style="bold")
    out.append("\n" + " " * (label_w + 2))
    for label in labels:
        out.append(label.center(col)[:col], style="dim")
    return out


def metric_chart(points: list[Point], metric_name: str, *, width: int = 100, height: int = 10) -> Group:
    metric = METRICS[metric_name]
    col = 8
    fits = max(2, (width - 12) // col)
    shown = points[-fits:]
    values = series(shown, metric.name)
    band = common_band(points, metric.name)
    title = Text.assemble((f"{metric.label.capitalize()}", f"bold {COLOURS.get(metric.name, '')}".strip()),
                          f" over {len(points)} sessions, oldest \u2192 newest")
    parts: list[RenderableType] = [title]
    if band is not None:
        parts.append(Text(f"target {format_band(metric, band)} (the dotted rows; bars in it are green)", style="dim"))
    elif metric.better == "band" and any(p.targets.get(metric.name) for p in points):
        parts.append(Text("targets differ between these sessions' questions: pick one with --question to see the band",
                          style="dim"))
    if len(shown) < len(points):
        parts.append(Text(f"showing the newest {len(shown)} of {len(points)}", style="dim"))
    parts.append(bar_chart(values, [_day(p.created) for p in shown], fmt=lambda v: format_value(metric, v),
                           band=band, height=height, col=col))
    pair = _first_last(series(points, metric.name))
    if pair is not None:
        first, last = pair
        parts.append(Text.assemble(f"first {format_value(metric, first)} \u2192 last {format_value(metric, last)}: ",
                                   (format_change(metric, first, last), change_style(metric, first, last, band))))
    return Group(*parts)


def check_metric(metric: str | None) -> str | None:
    if metric is not None and metric not in METRICS:
        raise StarcoachError(f"unknown metric {metric!r}; one of: {', '.join(METRICS)}")
    return metric


def progress_view(points: list[Point], metric: str | None = None, *, width: int = 100) -> RenderableType:
    """The table of every metric, or one metric's chart; a plain note with fewer than 2 sessions."""
    check_metric(metric)
    if len(points) < 2:
        found = "no scored session" if not points else "only 1 scored session"
        return Text(f"progress needs at least 2 scored sessions to compare; there is {found} so far")
    return metric_chart(points, metric, width=width) if metric else progress_table(points)


def progress_dict(points: list[Point], metric: str | None = None) -> dict[str, Any]:
    """`starcoach progress --json`: the points oldest first, each session's figures and their target
    bands ([min, max], or null where there is none); only `metric`'s when one is chosen."""
    names = [check_metric(metric)] if metric else list(METRICS)
    return {"metric": metric, "points": [
        {"id": p.id, "created": p.created.isoformat(), "question": p.question,
         "values": {n: p.values.get(n) for n in names},
         "targets": {n: list(band) if (band := p.targets.get(n)) else None for n in names}}
        for p in points]}
