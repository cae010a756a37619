"""The CLI through typer's runner: a command that must succeed, and one that must fail in one line."""

from __future__ import annotations

from typer.testing import CliRunner

from starcoach.cli import app

runner = CliRunner(env={"COLUMNS": "200"})


def ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def one_line_error(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0, result.output
