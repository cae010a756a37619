"""`starcoach import FILE`: add a session from a zip made by `starcoach export` (archive.py checks it)."""

from __future__ import annotations

from pathlib import Path

from starcoach.commands.common import out


def run(*, file: Path) -> None:
    from starcoach.archive import import_session

    out().print(f"imported as session {import_session(file)}", highlight=False, soft_wrap=True)
