"""`starcoach export ID`: one zip of a session (session.json, the recordings, the report page)."""

from __future__ import annotations

from pathlib import Path

from starcoach.commands.common import out


def run(*, session_id: str, output: Path | None) -> None:
    from starcoach.archive import export_session

    out().print(str(export_session(session_id, output)), highlight=False, soft_wrap=True)
