"""What the session report reads from a session: its answers, each with its result read by result.py,
and the helpers the page and the Markdown share.

Shared by the page (report_page, report_svg) and the Markdown (report_markdown). A session file may be
hand-edited or imported: the result's fields are None where they were missing, and the stored "voice"
(voice.py's record) is read here value by value, each checked for its type.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starcoach.result import Result, ResultWord, result_from_dict

# The terminal's colours (answer_view.COLOURS), a shade calmer for a page: situation blue, task purple,
# action green, result orange. INK is the label colour that reads on each.
SECTION_COLOURS = {"situation": "#3b82f6", "task": "#8b5cf6", "action": "#16a34a", "result": "#f59e0b"}
SECTION_INK = {"situation": "#ffffff", "task": "#ffffff", "action": "#ffffff", "result": "#3b2300"}
FOLLOW_UP_COLOUR = "#0e9f9a"


# --------------------------------------------------------------------------- values from the JSON


def number(value: Any, default: float = 0.0) -> float:
    """A finite number (from the JSON, or a result's field), or `default` where there is none."""
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
        when = when.astimezone(UTC)
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


# --------------------------------------------------------------------------- the answers


@dataclass(frozen=True)
class Answer:
    """One answer of the session as the report shows it."""

    index: int
    kind: str  # main | follow_up
    label: str  # "Main answer", "Follow-up 1"
    question: str
    result: Result | None
    audio_src: str | None  # URL for <audio>, or None
    audio_name: str | None  # the stored file name (None for a typed answer)

    @property
    def anchor(self) -> str:
        return f"answer-{self.index}"

    @property
    def words(self) -> tuple[ResultWord, ...]:
        return self.result.words if self.result is not None else ()

    @property
    def estimated(self) -> bool:
        return self.result is not None and self.result.estimated

    @property
    def voice(self) -> dict[str, Any]:
        """The stored voice record, or an empty one."""
        return mapping(self.result.voice) if self.result is not None else {}


def read_answers(data: Mapping[str, Any], audio: Mapping[int, str | None]) -> list[Answer]:
    """The session's answers in order, labelled; `audio` maps an answer's index to its recording's URL."""
    out, n_follow = [], 0
    entries = data.get("answers")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        kind = "follow_up" if entry.get("kind") == "follow_up" else "main"
        if kind == "follow_up":
            n_follow += 1
            label, question = f"Follow-up {n_follow}", string(entry.get("text")) or string(entry.get("follow_up"))
        else:
            label, question = "Main answer", string(data.get("question_text")) or string(data.get("question"))
        result = result_from_dict(kind, entry.get("result"))
        out.append(Answer(i, kind, label, question, result, audio.get(i), string(entry.get("audio")) or None))
    return out
