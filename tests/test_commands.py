"""The commands' own seams, without the CLI runner: the old option spellings, --verbose's handler, and
progress --json's points."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from starcoach import progress
from starcoach.commands.common import one_of, setup_logging
from starcoach.commands.report import report_format
from starcoach.errors import StarcoachError


@pytest.mark.parametrize(("fmt", "html", "markdown", "chosen"), [
    (None, False, False, "html"), ("markdown", False, False, "markdown"), (None, False, True, "markdown"),
    (None, True, False, "html"), ("html", True, False, "html"), ("markdown", False, True, "markdown"),
])
def test_report_format_takes_the_new_option_or_an_old_flag(fmt, html, markdown, chosen) -> None:
    assert report_format(fmt, html=html, markdown=markdown) == chosen


def test_report_format_refuses_a_conflict() -> None:
    with pytest.raises(StarcoachError, match="choose one of --html and --markdown"):
        report_format(None, html=True, markdown=True)
    with pytest.raises(StarcoachError, match="choose one of --format markdown and --html"):
        report_format("markdown", html=True)


def test_one_of_an_option_and_its_old_name() -> None:
    assert one_of("--new", 5, "--old", None) == 5
    assert one_of("--new", None, "--old", 7) == 7
    assert one_of("--new", 3, "--old", 3) == 3
    assert one_of("--new", None, "--old", None) is None
    with pytest.raises(StarcoachError, match="--new and --old are one option"):
        one_of("--new", 1, "--old", 2)


def test_setup_logging_installs_one_handler_and_undoes_it() -> None:
    logger = logging.getLogger("starcoach")
    before_level, before_handlers = logger.level, list(logger.handlers)
    try:
        setup_logging(1)
        assert logger.level == logging.INFO and len(logger.handlers) == len(before_handlers) + 1
        setup_logging(2)  # a second run in one process replaces the handler, never stacks another
        assert logger.level == logging.DEBUG and len(logger.handlers) == len(before_handlers) + 1
    finally:
        setup_logging(0)
    assert logger.level == before_level and logger.handlers == before_handlers


def test_setup_logging_0_leaves_a_callers_configuration_alone() -> None:
    """bench/practice_bench.py sets the level itself before it runs the CLI with no -v."""
    logger = logging.getLogger("starcoach")
    before = logger.level
    logger.setLevel(logging.INFO)
    try:
        setup_logging(0)
        assert logger.level == logging.INFO
    finally:
        logger.setLevel(before)


def _point(session_id: str, day: int, score: float | None) -> progress.Point:
    values = {name: None for name in progress.METRICS} | {"score": score, "total": 250.0}
    targets = {name: None for name in progress.METRICS} | {"total": (240.0, 300.0)}
    return progress.Point(session_id, datetime(2026, 3, day, 9, 0, tzinfo=UTC), "q", values, targets)


def test_progress_dict_has_every_metric_or_the_chosen_one() -> None:
    points = [_point("a", 1, 60.0), _point("b", 2, None)]
    data = progress.progress_dict(points)
    assert data["metric"] is None and [p["id"] for p in data["points"]] == ["a", "b"]
    first = data["points"][0]
    assert first["created"] == "2026-03-01T09:00:00+00:00" and first["question"] == "q"
    assert list(first["values"]) == list(progress.METRICS) == list(first["targets"])
    assert first["values"]["score"] == 60.0 and data["points"][1]["values"]["score"] is None
    assert first["targets"]["total"] == [240.0, 300.0] and first["targets"]["score"] is None

    one = progress.progress_dict(points, "total")
    assert one["metric"] == "total"
    assert one["points"][1] == {"id": "b", "created": "2026-03-02T09:00:00+00:00", "question": "q",
                                "values": {"total": 250.0}, "targets": {"total": [240.0, 300.0]}}
    with pytest.raises(StarcoachError, match="unknown metric"):
        progress.progress_dict(points, "speed")
    assert progress.progress_dict([]) == {"metric": None, "points": []}
