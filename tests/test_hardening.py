"""Hostile and unlucky input (issue 11): each case gets one line and exit 1 (or the documented
behaviour), never a traceback, a hang, unbounded memory or a half-written file.

Numbered as in the issue: 1 numbers from an import, 3 slow patterns, 4 bank validation, 5 NaN in
words, 6 write errors, 7 leftovers after kill -9, 8 scoring an interrupted session, 9 the minor ones.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from starcoach import safe_regex
from starcoach.bank import load_bank
from starcoach.cli import app
from starcoach.errors import StarcoachError
from tests.test_bank import QUESTION, RUBRIC, write_bank
from tests.test_cli import ANSWER

runner = CliRunner(env={"COLUMNS": "200"})


def one_line_error(result, *needles: str) -> str:
    """The result is exit 1 with one 'starcoach: ...' line and no traceback; returns the line."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not an escaped exception
    text = result.output.strip()
    assert "Traceback" not in text and text.count("\n") == 0, text
    assert text.startswith("starcoach: "), text
    for needle in needles:
        assert needle in text, text
    return text


def run_cli(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real command in a child: a hang fails the test by the timeout instead of hanging it."""
    code = "import sys; sys.argv[0] = 'starcoach'; from starcoach.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def with_pattern(pattern: str) -> dict:
    q = copy.deepcopy(QUESTION)
    q["mistakes"][0]["patterns"] = [pattern]
    return q


# --------------------------------------------------------------------------- 3: slow patterns


@pytest.mark.parametrize("pattern", [r"(\w+\s?)+!$", r"(a*)*b", r"(?:\w+ ?)*done", r"((very )+\w+)+x", r"(x+){2,}y"])
def test_a_nested_repeat_in_the_bank_is_refused_at_load_with_file_and_field(tmp_path: Path, pattern: str) -> None:
    folder = write_bank(tmp_path / "bank", with_pattern(pattern))
    with pytest.raises(StarcoachError) as e:
        load_bank(folder)
    text = str(e.value)
    assert str(folder / "tiny.yaml") in text and "mistakes[0].patterns[0]: unsafe regular expression" in text
    assert "exponential" in text and "\n" not in text


@pytest.mark.parametrize("pattern", [
    r"\btheir fault\b", r"((my|the|a) )*(team|org)", r"(?:\w+ ){0,3}done", r"\b(in|at) (the |our )*standups?\b.{0,40}x",
    r"(?>\w+\s?)+!", r"(\w++\s?)+!", r"\d+(?:\.\d+)?%", r"(?:very )+good",
])
def test_ordinary_patterns_pass_the_shape_check(pattern: str) -> None:
    assert safe_regex.problem(pattern) is None


def test_every_shipped_pattern_passes_the_shape_check() -> None:
    bank = load_bank()  # the loader runs the check on every pattern
    checks = [*bank.rubric.checks, *(c for q in bank.questions.values() for c in q.all_checks()),
              *(c for q in bank.questions.values() for f in q.follow_ups for c in f.avoid)]
    patterns = [p for c in checks for p in c.params.get("patterns", ())]
    assert patterns and all(safe_regex.problem(p) is None for p in patterns)


def test_score_with_a_catastrophic_pattern_ends_at_once_with_one_line(tmp_path: Path) -> None:
    """`(\\w+\\s?)+!$` on a 16-word answer used to hang `score` (minutes of backtracking)."""
    folder = write_bank(tmp_path / "bank", with_pattern(r"(\w+\s?)+!$"))
    answer = tmp_path / "answer.txt"
    answer.write_text(" ".join(["word"] * 16), encoding="utf-8")
    began = time.monotonic()
    done = run_cli(["score", str(answer), "-q", "tiny"], env={"STARCOACH_QUESTIONS": str(folder)}, timeout=60)
    assert time.monotonic() - began < 30
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0, done.stderr
    assert "tiny.yaml" in done.stderr and "unsafe regular expression" in done.stderr


def test_a_slow_pattern_the_shape_check_misses_is_stopped_by_the_time_bound(tmp_path: Path) -> None:
    """Overlapping alternatives under a repeat pass the shape check; the time bound stops them."""
    pattern = r"(\w|\w\w)+!$"
    assert safe_regex.problem(pattern) is None
    folder = write_bank(tmp_path / "bank", with_pattern(pattern))
    answer = tmp_path / "answer.txt"
    answer.write_text(ANSWER + " " + "x" * 60, encoding="utf-8")
    began = time.monotonic()
    done = run_cli(["score", str(answer), "-q", "tiny"], env={"STARCOACH_QUESTIONS": str(folder)}, timeout=60)
    assert time.monotonic() - began < 30
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0, done.stderr
    assert "took over" in done.stderr and "simplify it" in done.stderr


def test_the_time_bound_leaves_no_timer_behind() -> None:
    import signal

    bounded = safe_regex.compile(r"\bword\b")
    assert [m.group() for m in bounded.finditer("a word and a word")] == ["word", "word"]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)


# --------------------------------------------------------------------------- 4: bank validation


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_nan_and_inf_targets_are_refused_with_file_and_field(tmp_path: Path, value: str) -> None:
    folder = write_bank(tmp_path / "bank")
    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("max_s: 120", f"max_s: {value}", 1)
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: targets\.total\.max_s: expected a finite number"):
        load_bank(folder)


def test_nan_in_a_rubric_number_is_refused(tmp_path: Path) -> None:
    rubric = copy.deepcopy(RUBRIC)
    rubric["checks"].append({"id": "pace", "kind": "delivery", "metric": "wpm", "min": float("nan"),
                             "message": "Pace", "advice": "Slow down."})
    with pytest.raises(StarcoachError, match=r"rubric\.yaml: checks\[2\]\.min: expected a finite number"):
        load_bank(write_bank(tmp_path / "bank", rubric=rubric))


def test_a_nan_target_is_one_line_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_bank(tmp_path / "bank")
    text = (folder / "tiny.yaml").read_text(encoding="utf-8").replace("min_s: 10", "min_s: .nan", 1)
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("STARCOACH_QUESTIONS", str(folder))
    answer = tmp_path / "answer.txt"
    answer.write_text(ANSWER, encoding="utf-8")
    one_line_error(runner.invoke(app, ["score", str(answer), "-q", "tiny"]), "tiny.yaml", "finite number")


@pytest.mark.parametrize("text", ["x: " + "[" * 3000 + "]" * 3000 + "\n",
                                  "x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 2000)),
                                  "a: &a [" + "[" * 2000 + "]" * 2000 + "]\n"])
def test_deep_nesting_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    folder = write_bank(tmp_path / "bank")
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: nested too deeply"):
        load_bank(folder)
    monkeypatch.setenv("STARCOACH_QUESTIONS", str(folder))
    one_line_error(runner.invoke(app, ["questions"]), "tiny.yaml", "nested too deeply")


def test_a_duplicate_key_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    folder = write_bank(tmp_path / "bank")
    lines = (folder / "tiny.yaml").read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines.insert(at + 1, "title: Another title")
    (folder / "tiny.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StarcoachError) as e:
        load_bank(folder)
    assert str(e.value) == (f"{folder / 'tiny.yaml'}: line {at + 2}: the key 'title' is given twice in one mapping "
                            f"(first on line {at + 1})")


def test_a_duplicate_key_deep_in_the_file_and_in_the_rubric(tmp_path: Path) -> None:
    folder = write_bank(tmp_path / "bank")
    (folder / "rubric.yaml").write_text("version: 1\nchecks:\n- id: a\n  kind: structure\n  id: b\n", encoding="utf-8")
    with pytest.raises(StarcoachError, match=r"rubric\.yaml: line 5: the key 'id' is given twice"):
        load_bank(folder)
    (folder / "rubric.yaml").write_text(yaml.safe_dump(RUBRIC), encoding="utf-8")
    (folder / "tiny.yaml").write_text("{id: tiny, id: tiny}\n", encoding="utf-8")
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: line 1: the key 'id' is given twice"):
        load_bank(folder)


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    folder = write_bank(tmp_path / "bank")
    text = (folder / "tiny.yaml").read_text(encoding="utf-8")
    text = text.replace("  total:\n    min_s: 60\n    max_s: 120\n",
                        "  total: &t\n    min_s: 60\n    max_s: 120\n", 1)
    assert "&t" in text
    text = text.replace("    situation:\n      min_s: 10\n      max_s: 40\n",
                        "    situation:\n      <<: *t\n      min_s: 10\n      max_s: 40\n", 1)
    (folder / "tiny.yaml").write_text(text, encoding="utf-8")
    assert load_bank(folder).question("tiny").targets.sections["situation"] == (10.0, 40.0)
