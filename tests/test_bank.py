"""The loader: a valid bank loads; every kind of mistake in a file gives an error naming file and field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from starcoach.bank import load_bank
from starcoach.errors import StarcoachError
from tests.builders.bank import TINY_QUESTION, TINY_RUBRIC, write_bank


def test_valid_bank_loads(tmp_path: Path) -> None:
    bank = load_bank(write_bank(tmp_path))
    q = bank.question("tiny")
    assert q.level(None) == "em" and q.level("Director") == "director"
    assert [c.id for c in q.all_checks()] == ["blame", "owned", "wrote"]
    assert q.mistakes[0].check.params["expect"] == "absent"
    assert q.fluency_signals[0].check.severity == "info"
    assert q.follow_up("again").avoid[0].id == "no-choice"
    assert q.checks[0].category == "question"
    assert [c.kind for c in bank.rubric.checks] == ["structure", "phrases"]


def broken(path: str, value) -> dict:
    """QUESTION with the field at dotted `path` set to `value` (or removed when value is ...)."""
    q = copy.deepcopy(TINY_QUESTION)
    *parents, last = path.split(".")
    node = q
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    if value is ...:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return q


@pytest.mark.parametrize(("path", "value", "expected"), [
    ("question", ..., "question: missing"),
    ("targets.total.min_s", "soon", "targets.total.min_s: expected a number"),
    ("targets.total.min_s", 500, "min_s (500) is greater than max_s"),
    ("targets.sections.action", ..., "targets.sections.action: missing"),
    ("targets.shares.result.max", 1.5, "targets.shares.result.max: 1.5 is out of range"),
    ("follow_ups.0.target", ..., "follow_ups[0].target: missing"),
    ("follow_ups.0.avoid.0.patterns", ["(unclosed"], "follow_ups[0].avoid[0].patterns[0]: not a valid regular expression"),
    ("mistakes.0.levels", ["vp"], "mistakes[0].levels: unknown level 'vp'"),
    ("mistakes.0.sounds_like", ..., "mistakes[0].sounds_like: missing"),
    ("checks.0.kind", "vibes", "checks[0].kind: 'vibes' is not one of"),
    ("checks.0.expect", "maybe", "checks[0].expect: 'maybe' is not one of"),
    ("checks.0.colour", "red", "checks[0]: unknown field 'colour'"),
    ("default_level", "vp", "default_level: 'vp' is not one of"),
    ("id", "other", "id: 'other' must equal the file name"),
    ("model_answers.0.level", "cto", "model_answers[0].level: 'cto' is not one of"),
])
def test_errors_name_file_and_field(tmp_path: Path, path: str, value, expected: str) -> None:
    q = broken(path, value)
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(yaml.safe_dump(q, sort_keys=False), encoding="utf-8")
    (folder / "rubric.yaml").write_text(yaml.safe_dump(TINY_RUBRIC), encoding="utf-8")
    with pytest.raises(StarcoachError) as e:
        load_bank(folder)
    assert str(folder / "tiny.yaml") in str(e.value)
    assert expected in str(e.value)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    q = copy.deepcopy(TINY_QUESTION)
    q["checks"][0]["id"] = "blame"
    with pytest.raises(StarcoachError, match="the id 'blame' is used twice"):
        load_bank(write_bank(tmp_path, q))


def test_question_check_may_not_reuse_a_rubric_id(tmp_path: Path) -> None:
    q = copy.deepcopy(TINY_QUESTION)
    q["checks"][0]["id"] = "metric"
    with pytest.raises(StarcoachError, match=r"'metric' is already used by rubric\.yaml"):
        load_bank(write_bank(tmp_path, q))


def test_rubric_errors_name_the_rubric(tmp_path: Path) -> None:
    rubric = copy.deepcopy(TINY_RUBRIC)
    rubric["checks"][1]["scope"] = ["conclusion"]
    with pytest.raises(StarcoachError, match=r"rubric\.yaml: checks\[1\]\.scope: 'conclusion' is not one of"):
        load_bank(write_bank(tmp_path, rubric=rubric))


def test_bad_yaml_gives_line(tmp_path: Path) -> None:
    write_bank(tmp_path)
    (tmp_path / "tiny.yaml").write_text("id: tiny\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: line \d+: not valid YAML"):
        load_bank(tmp_path)


def test_missing_rubric_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(StarcoachError, match="does not exist"):
        load_bank(tmp_path / "nope")
    tmp_path.joinpath("empty").mkdir()
    with pytest.raises(StarcoachError, match=r"rubric\.yaml: missing"):
        load_bank(tmp_path / "empty")


def test_unknown_question_and_level(tmp_path: Path) -> None:
    bank = load_bank(write_bank(tmp_path))
    with pytest.raises(StarcoachError, match="unknown question 'nope'; known questions: tiny"):
        bank.question("nope")
    with pytest.raises(StarcoachError, match="not asked at level 'junior'; its levels: em, director"):
        bank.question("tiny").level("junior")


def test_environment_variable_points_at_another_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARCOACH_QUESTIONS", str(write_bank(tmp_path / "mine")))
    assert list(load_bank().questions) == ["tiny"]
