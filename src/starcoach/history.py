"""`starcoach sessions`: the stored sessions as a table (or JSON), newest first, and `sessions delete`.

Pure: reads the sessions through the store (its summaries: store.SessionSummary) and builds rich
renderables and plain data; printing is the caller's business. `starcoach progress` is progress.py.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from starcoach.answer_view import COLOURS, VERDICT_STYLE
from starcoach.records import SECTION_NAMES
from starcoach.store import DamagedSession, SessionStore, SessionSummary
from starcoach.timing import clock

VERDICT_MARK = {"ok": "\u2713", "short": "\u2193", "long": "\u2191"}  # the narrow table's verdicts
STATUS_STYLE = {"complete": "green", "interrupted": "yellow", "recording": "yellow", "damaged": "bold red"}

Listed = SessionSummary | DamagedSession


def list_sessions(store: SessionStore | None = None, *, question: str | None = None) -> list[Listed]:
    """Every session, newest first; with `question`, only that question's (damaged ones cannot say
    which question they were, so they are left out of a filtered list)."""
    items = (store or SessionStore()).list()
    if question is None:
        return items
    wanted = question.strip().lower()
    return [s for s in items if isinstance(s, SessionSummary) and s.question.lower() == wanted]


def local_time(when: datetime) -> datetime:
    return when.astimezone() if when.tzinfo is not None else when


def session_dict(item: Listed) -> dict[str, Any]:
    """One session as JSON (`starcoach sessions --json`)."""
    if isinstance(item, DamagedSession):
        return {"id": item.id, "status": "damaged", "reason": item.reason, "path": str(item.path)}
    return {"id": item.id, "created": item.created.isoformat(), "question": item.question, "level": item.level,
            "source": item.source, "status": item.status, "duration_s": item.duration_s, "score": item.score,
            "verdicts": dict(item.verdicts), "answers": item.n_answers, "missing_audio": list(item.missing_audio),
            "path": str(item.path)}


def _full_width(items: list[Listed]) -> int:
    """About how wide the full table is: each column's widest cell, plus padding."""
    ok = [i for i in items if isinstance(i, SessionSummary)]
    widest = [16, max([len(i.id) for i in items] or [2]), max([len(i.question) for i in ok] or [8]),
              max([len(i.level) for i in ok] + [5]), 6, 5, 5, 5, 5, 5,
              max([len(i.status) + (12 if i.n_answers > 1 else 0) for i in ok] + [7])]
    return sum(widest) + 3 * len(widest)  # padding either side and a divider


def sessions_table(items: list[Listed], *, root: Path | None = None, width: int = 200) -> Table:
    """One row a session, newest first. When the full table (date, id, question, level, length, score,
    the four verdicts, status) is wider than `width`, date, question, level and id share one column and the
    verdicts are marks (a legend in the caption). A damaged session says "damaged" (why: damaged_notes)."""
    compact = _full_width(items) > width
    caption = str(root) if root is not None else ""
    if compact:
        caption = "\u2713 ok \u00b7 \u2193 short \u00b7 \u2191 long" + (f"   {caption}" if caption else "")
    table = Table(title=f"Sessions ({len(items)})", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  caption=caption or None, caption_justify="left", collapse_padding=compact)
    if compact:
        table.add_column("session", overflow="fold", ratio=1)
    else:
        table.add_column("date", no_wrap=True)
        table.add_column("id", no_wrap=True, style="cyan")
        table.add_column("question", overflow="fold")
        table.add_column("level", overflow="fold")
    table.add_column("length", justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    for name in SECTION_NAMES:
        table.add_column(name[0].upper(), justify="center", header_style=f"bold {COLOURS[name]}", no_wrap=True)
    table.add_column("status", overflow="fold")
    for item in items:
        if isinstance(item, DamagedSession):
            when, question, level = "\u2013", "", ""
            cells: list[Any] = ["", "", "", "", "", "", Text("damaged", style=STATUS_STYLE["damaged"])]
        else:
            when, question, level = f"{local_time(item.created):%Y-%m-%d %H:%M}", item.question, item.level
            score = "" if item.score is None else Text(str(item.score), style=_score_style(item.score))
            verdicts = [item.verdicts.get(n) for n in SECTION_NAMES]
            marks = [Text((VERDICT_MARK.get(v, v) if compact else v) if v else "\u2013",
                          style=VERDICT_STYLE.get(v or "", "dim")) for v in verdicts]
            status = Text(item.status, style=STATUS_STYLE.get(item.status, ""))
            if item.n_answers > 1:
                status.append(f" \u00b7 {item.n_answers} answers", style="dim")
            if item.missing_audio:
                status.append(f" \u00b7 audio missing ({', '.join(map(str, item.missing_audio))})", style="yellow")
            cells = ["" if item.duration_s is None else clock(item.duration_s), score, *marks, status]
        if compact:
            head = Text(when, style="dim")
            if question:
                head.append(f" \u00b7 {question} \u00b7 {level}", style="default")
            table.add_row(Text.assemble(head, "\n", (item.id, "cyan")), *cells)
        else:
            table.add_row(when, item.id, question, level, *cells)
    return table


def _score_style(score: float) -> str:
    return "green" if score >= 75 else "yellow" if score >= 50 else "red"


def damaged_notes(items: list[Listed]) -> list[Text]:
    return [Text.assemble(("damaged ", STATUS_STYLE["damaged"]), (item.id, "cyan"), f": {item.reason}")
            for item in items if isinstance(item, DamagedSession)]


def unscored_notes(items: list[Listed]) -> list[Text]:
    """An interrupted session whose main answer was recorded but never scored: how to score it."""
    return [Text.assemble((item.id, "cyan"), ": stopped before it was scored; ",
                          (f"starcoach replay {item.id} --rescore --keep", "bold"), " scores it from its recording")
            for item in items if isinstance(item, SessionSummary) and item.status == "interrupted"
            and item.score is None and item.n_answers > 0 and 0 not in item.missing_audio
            and item.duration_s is None]


def sessions_view(items: list[Listed], *, root: Path | None = None, width: int = 200) -> Group:
    """The table, then why each damaged session cannot be read, and how to score an unscored one."""
    return Group(sessions_table(items, root=root, width=width), *damaged_notes(items), *unscored_notes(items))


def no_sessions_note(question: str | None, root: Path) -> str:
    if question:
        return f"no sessions for question {question!r} in {root}"
    return f"no sessions yet in {root}: `starcoach practice` or `starcoach score FILE --save` makes one"


def delete_session(session_id: str, store: SessionStore | None = None) -> Path:
    """Delete a session (a damaged one too); return the folder it was in."""
    store = store or SessionStore()
    store.delete(session_id)  # validates the id, and refuses what is not a session folder
    return store.root / session_id
