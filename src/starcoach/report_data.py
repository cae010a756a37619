"""What the session report reads from a session: session.json as safe values, and its answers.

Shared by the page (report_page, report_svg) and the Markdown (report_markdown). A session file may be
hand-edited or imported, so every value is checked for its type as it is read.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

# The terminal's colours (report.COLOURS), a shade calmer for a page: situation blue, task purple,
# action green, result orange. INK is the label colour that reads on each.
SECTION_COLOURS = {"situation": "#3b82f6", "task": "#8b5cf6", "action": "#16a34a", "result": "#f59e0b"}
SECTION_INK = {"situation": "#ffffff", "task": "#ffffff", "action": "#ffffff", "result": "#3b2300"}
FOLLOW_UP_COLOUR = "#0e9f9a"

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


# --------------------------------------------------------------------------- values from the JSON


def number(value: Any, default: float = 0.0) -> float:
    """A finite number from the JSON, or `default` (a hand-edited or imported file may hold anything)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return default


def string(value: Any, default: str = "") -> str:
    """A string from the JSON, or `default`."""
    return value if isinstance(value, str) else default


def dicts(value: Any) -> list[Any]:
    """The objects of a JSON list (anything else in it, or a non-list, is dropped)."""
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one."""
    return value if isinstance(value, dict) else {}


def escape(value: Any) -> str:
    """Text for HTML, quotes included (session text is user content)."""
    return html.escape(str(value), quote=True)


def clock(seconds: float) -> str:
    """m:ss, as in the terminal report."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def time_attr(x: float) -> str:
    """A time for a data- attribute."""
    return f"{x:.2f}"


def coord(x: float) -> str:
    """A coordinate for SVG."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def date_text(created: str) -> str:
    """A session's ISO creation time as "2 Jan 2024, 03:04 UTC" (or as it is, if it does not parse)."""
    try:
        when = datetime.fromisoformat(created)
    except ValueError:
        return created
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


# --------------------------------------------------------------------------- the answers


@dataclass(frozen=True)
class Answer:
    """One answer of the session as the report shows it."""

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
        return dicts((self.result or {}).get("words"))

    @property
    def estimated(self) -> bool:
        return bool((self.result or {}).get("estimated"))


def read_answers(data: Mapping[str, Any], audio: Mapping[int, str | None]) -> list[Answer]:
    """The session's answers in order, labelled; `audio` maps an answer's index to its recording's URL."""
    out, n_follow = [], 0
    entries = data.get("answers")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        kind = string(entry.get("kind"), "main")
        if kind == "follow_up":
            n_follow += 1
            label, question = f"Follow-up {n_follow}", string(entry.get("text")) or string(entry.get("follow_up"))
        else:
            label, question = "Main answer", string(data.get("question_text")) or string(data.get("question"))
        result = entry.get("result") if isinstance(entry.get("result"), dict) else None
        out.append(Answer(i, kind, label, question, result, audio.get(i), string(entry.get("audio")) or None))
    return out


def split_findings(findings: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """To work on (worst first), done well, and fluency signals heard (passed info findings)."""
    failed = sorted((f for f in findings if not f.get("passed") and f.get("severity") != "info"),
                    key=lambda f: SEVERITY_ORDER.get(string(f.get("severity")), 9))
    passed = [f for f in findings if f.get("passed") and f.get("positive", True) is not False
              and f.get("severity") != "info"]
    signals = [f for f in findings if f.get("passed") and f.get("severity") == "info"]
    return failed, passed, signals


def not_heard(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mistakes checked for and not heard: passes by absence, shown apart from "done well"."""
    return [f for f in findings if f.get("passed") and f.get("positive") is False and f.get("severity") != "info"]

