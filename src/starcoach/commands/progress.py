"""`starcoach progress`: how a session's figures moved, as a table, one metric's chart, or JSON."""

from __future__ import annotations

import json
import sys

from starcoach.commands.common import out


def run(*, question: str | None, metric: str | None, as_json: bool) -> None:
    from starcoach import progress

    progress.check_metric(metric)  # before reading any session
    points = progress.progress_points(question=question)
    if as_json:
        sys.stdout.write(json.dumps(progress.progress_dict(points, metric), indent=2, ensure_ascii=False) + "\n")
        return
    console = out()
    console.print(progress.progress_view(points, metric, width=console.width))
