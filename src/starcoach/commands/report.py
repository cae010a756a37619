"""`starcoach report ID`: write a session's report page (html, the default) or Markdown, and say where."""

from __future__ import annotations

from pathlib import Path

from starcoach.commands.common import out
from starcoach.errors import StarcoachError


def report_format(fmt: str | None, *, html: bool = False, markdown: bool = False) -> str:
    """`--format`, or the old flags it replaced (`--html`, `--markdown`, kept hidden); html by default."""
    if html and markdown:
        raise StarcoachError("choose one of --html and --markdown")
    old = "html" if html else "markdown" if markdown else None
    if fmt is not None and old is not None and fmt != old:
        raise StarcoachError(f"choose one of --format {fmt} and --{old}")
    return fmt or old or "html"


def run(*, session_id: str, fmt: str | None, html: bool, markdown: bool, output: Path | None, embed: bool) -> None:
    from starcoach.report_files import write_report
    from starcoach.store import SessionStore

    chosen = report_format(fmt, html=html, markdown=markdown)
    path = write_report(SessionStore().load(session_id), fmt=chosen, output=output, embed_audio=embed)
    out().print(str(path), highlight=False, soft_wrap=True)
