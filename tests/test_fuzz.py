"""Fuzzing session.json and the question bank (issue 11): whatever hypothesis puts in them, every
command ends with exit 0, or exit 1 and one `starcoach: ...` line; never a traceback or an escaped
exception, and a refused import writes nothing.

Examples per test are set below (FUZZ_EXAMPLES); `HYPOTHESIS_PROFILE=long` runs ten times as many.
"""

from __future__ import annotations

import copy
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from starcoach.cli import app
from starcoach.store import SessionStore
from tests.builders.archives import snapshot, zip_bytes
from tests.builders.bank import TINY_ANSWER, TINY_QUESTION, TINY_RUBRIC, write_bank
from tests.builders.sessions import typed_session

runner = CliRunner(env={"COLUMNS": "160"})
OUTCOMES: dict[tuple[str, object], int] = {}  # how the examples ended (printed with -s), to see what was reached
FUZZ_EXAMPLES = {"import": 100, "stored": 100, "bank": 60, "bank_text": 20}
SCALE = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 1
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


def fuzz(kind: str) -> settings:
    return settings(FUZZ, max_examples=FUZZ_EXAMPLES[kind] * SCALE)


@pytest.fixture(autouse=True)
def _quick_time_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow pattern is stopped after 0.2 s here, not 2 s: the fuzzer makes many."""
    from starcoach import safe_regex

    monkeypatch.setattr(safe_regex, "MATCH_SECONDS", 0.2)
    real = safe_regex.compile
    monkeypatch.setattr(safe_regex, "compile", lambda p, f=safe_regex.re.IGNORECASE, *, seconds=0.2: real(p, f, seconds=seconds))


def clean_exit(result, what: str) -> None:
    """exit 0, or exit 1 with one 'starcoach:' line; no exception escaped the command."""
    assert result.exit_code in (0, 1), (what, result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (what, repr(result.exception))
    assert "Traceback" not in result.output, (what, result.output)
    if result.exit_code == 1:
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("starcoach: "), (what, result.output)


# --------------------------------------------------------------------------- hostile JSON values

NUMBERS = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 1e12, -1e12, 1e300, 10**30, -(10**30), 0, -1, 86401, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40),
)
SCALARS = st.one_of(NUMBERS, st.booleans(), st.none(), st.text(max_size=40),
                    st.sampled_from(["", "../../etc/passwd", "/abs", "answer-0.wav", "session.json", "\x00",
                                     "x" * 5000, "<script>alert(1)</script>", "main", "follow_up"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON value (keys and indexes)."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:6]):
            out += paths(v, (*prefix, i))
    return out


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    out = copy.copy(value)
    out[path[0]] = replaced(value[path[0]], path[1:], new)
    return out


def deleted(value: Any, path: tuple) -> Any:
    if len(path) == 1:
        out = copy.copy(value)
        del out[path[0]]
        return out
    out = copy.copy(value)
    out[path[0]] = deleted(value[path[0]], path[1:])
    return out


TEXTS = st.one_of(st.text(max_size=30), st.sampled_from(["", " ", "x" * 3000, "<b>&amp;</b>\"'</script>", "\u202e\u0000",
                                                         "situation", "action", "result", "high", "info", "main",
                                                         "follow_up", "{}", "%s%n", "\n\n"]))


def same_kind(target: Any) -> st.SearchStrategy:
    """A hostile value of the type that is there: what passes a type check and reaches the readers."""
    if isinstance(target, bool):
        return st.booleans()
    if isinstance(target, (int, float)):
        return st.one_of(st.floats(min_value=-86400, max_value=86400), st.integers(-(10**6), 10**6),
                         st.sampled_from([0, -0.0, 86399.99, -1, 1e-300, 5e-324]))
    if isinstance(target, str):
        return TEXTS
    if isinstance(target, list):
        return st.sampled_from([[], target[:1], target[::-1], target * 3, [target[0]] * 40 if target else []])
    if isinstance(target, dict):
        keys = sorted(target)
        return st.sets(st.sampled_from(keys), max_size=len(keys)).map(
            lambda drop: {k: v for k, v in target.items() if k not in drop}) if keys else st.just({})
    return VALUES


@st.composite
def hostile_sessions(draw, base: dict) -> dict:
    """A valid session.json with one to four places changed: a value replaced by one of its own type
    (the most likely to get past the loader) or of any type, a key removed, a key added, a list
    emptied or repeated, or the structure nested deep."""
    data = base
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(paths(data)))
        how = draw(st.sampled_from(["same", "same", "same", "same", "replace", "delete", "add", "nest", "repeat"]))
        target: Any = data
        for p in where:
            target = target[p]
        if how == "same":
            data = replaced(data, where, draw(same_kind(target)))
        elif how == "replace" or (not where and how == "delete"):
            data = replaced(data, where, draw(VALUES))
        elif how == "delete" and where:
            data = deleted(data, where)
        elif how == "add" and isinstance(target, dict):
            data = replaced(data, where, {**target, draw(st.text(max_size=10)): draw(VALUES)})
        elif how == "nest":
            depth = draw(st.sampled_from([10, 40, 200, 900]))
            deep: Any = draw(SCALARS)
            for _ in range(depth):
                deep = [deep] if draw(st.booleans()) else {"k": deep}
            data = replaced(data, where, deep)
        elif how == "repeat" and isinstance(target, list):
            data = replaced(data, where, target * draw(st.sampled_from([0, 2, 50])))
    return data


@pytest.fixture(scope="module")
def base_session(tmp_path_factory: pytest.TempPathFactory) -> dict:
    mp = pytest.MonkeyPatch()
    mp.setenv("STARCOACH_HOME", str(tmp_path_factory.mktemp("base-home")))
    try:
        store = SessionStore()
        session = typed_session(store)
        return json.loads((session.path / "session.json").read_text(encoding="utf-8"))
    finally:
        mp.undo()


def _fresh_root() -> Path:
    root = SessionStore().root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


def _use_session(session_id: str, tmp: Path) -> None:
    """The commands a user runs on a session; each must end cleanly."""
    for args in (["sessions", "--json"], ["sessions"], ["replay", session_id], ["replay", session_id, "--rescore"],
                 ["replay", session_id, "--answer", "1"], ["report", session_id, "--markdown", "-o", str(tmp / "r.md")],
                 ["report", session_id, "--html", "-o", str(tmp / "r.html")], ["progress"], ["progress", "--metric", "wpm"],
                 ["export", session_id, "-o", str(tmp / "out.zip")]):
        clean_exit(runner.invoke(app, args), args)


def test_fuzz_import_of_hostile_session_json(base_session: dict, tmp_path: Path) -> None:
    @fuzz("import")
    @given(data=hostile_sessions(base_session), as_text=st.sampled_from(["json", "bytes"]))
    def run(data: dict, as_text: str) -> None:
        root = _fresh_root()
        try:
            raw = json.dumps(data, allow_nan=True).encode()
        except (ValueError, RecursionError):
            return
        if as_text == "bytes":
            raw = raw[: len(raw) // 2]  # cut short
        wanted = data.get("id") if isinstance(data, dict) else None
        folder = wanted if isinstance(wanted, str) and wanted else "x"
        archive = tmp_path / "in.zip"
        archive.write_bytes(zip_bytes([(f"{folder[:60]}/session.json", raw)]))
        result = runner.invoke(app, ["import", str(archive)])
        clean_exit(result, "import")
        OUTCOMES["import", result.exit_code] = OUTCOMES.get(("import", result.exit_code), 0) + 1
        if result.exit_code == 1:
            assert snapshot(root) == [], snapshot(root)  # nothing written half-way
            return
        (landed,) = [p.name for p in root.iterdir()]
        _use_session(landed, tmp_path)

    run()
    print("import outcomes:", {k[1]: v for k, v in OUTCOMES.items() if k[0] == "import"})


def test_fuzz_stored_session_json(base_session: dict, tmp_path: Path) -> None:
    """The same values written straight into a stored session.json (hand-edited, or an old version)."""

    @fuzz("stored")
    @given(data=hostile_sessions(base_session))
    def run(data: dict) -> None:
        root = _fresh_root()
        folder = root / base_session["id"]
        folder.mkdir()
        try:
            (folder / "session.json").write_text(json.dumps(data, allow_nan=True), encoding="utf-8")
        except (ValueError, RecursionError):
            return
        before = (folder / "session.json").read_bytes()
        listed = runner.invoke(app, ["sessions", "--json"])
        clean_exit(listed, "sessions")
        kind = "damaged" if '"damaged"' in listed.stdout else "readable"
        OUTCOMES["stored", kind] = OUTCOMES.get(("stored", kind), 0) + 1
        _use_session(base_session["id"], tmp_path)
        assert (folder / "session.json").read_bytes() == before  # reading never rewrites it

    run()
    print("stored outcomes:", {k[1]: v for k, v in OUTCOMES.items() if k[0] == "stored"})


# --------------------------------------------------------------------------- the bank

BANK_VALUES = st.one_of(
    VALUES,
    st.sampled_from([r"(\w+\s?)+!$", r"(a*)*b", r"(", r"[z-a]", r"(?P<x>a)(?P<x>b)", r"\b" * 500, r"(?:x|x)+y",
                     r"(\w|\w\w)+!$", ".*.*.*.*=", "(?i)", r"\1", "a{99999}", "a{2,1}"]),
    st.text(alphabet="()[]{}*+?|\\w.s^$a1-, ", max_size=20),
)


def question_paths(q: dict) -> list[tuple]:
    return [p for p in paths(q) if p]


@st.composite
def hostile_questions(draw) -> dict:
    q: Any = TINY_QUESTION
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(question_paths(q)))
        how = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        target: Any = q
        for p in where:
            target = target[p]
        if how == "replace":
            q = replaced(q, where, draw(BANK_VALUES))
        elif how == "delete":
            q = deleted(q, where)
        elif isinstance(target, dict):
            q = replaced(q, where, {**target, draw(st.text(max_size=10)): draw(BANK_VALUES)})
    return q


def _bank_commands(folder: Path, answer: Path) -> None:
    mp = pytest.MonkeyPatch()
    mp.setenv("STARCOACH_QUESTIONS", str(folder))
    try:
        for args in (["questions", "show", "tiny", "--answers"], ["score", str(answer), "-q", "tiny", "-l", "director"],
                     ["score", str(answer), "--json"]):
            clean_exit(runner.invoke(app, args), args)
    finally:
        mp.undo()


def test_fuzz_the_question_bank(tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text(TINY_ANSWER, encoding="utf-8")

    @fuzz("bank")
    @given(question=hostile_questions(), rubric_too=st.booleans(), rubric_value=BANK_VALUES)
    def run(question: dict, rubric_too: bool, rubric_value: Any) -> None:
        folder = tmp_path / "bank"
        shutil.rmtree(folder, ignore_errors=True)
        rubric = copy.deepcopy(TINY_RUBRIC)
        if rubric_too:
            rubric["checks"][1]["patterns"] = [rubric_value]
        folder.mkdir(parents=True)
        try:  # always tiny.yaml: the file name is not what is fuzzed (an id of "../x" would be)
            (folder / "tiny.yaml").write_text(yaml.safe_dump(question, sort_keys=False), encoding="utf-8")
            (folder / "rubric.yaml").write_text(yaml.safe_dump(rubric), encoding="utf-8")
        except (yaml.YAMLError, RecursionError, TypeError, ValueError):
            return
        _bank_commands(folder, answer)

    run()


YAML_SNIPPETS = st.sampled_from([
    "\nid: again\n", "\ntitle: twice\n", "\ntargets: {total: {min_s: .nan, max_s: .inf}}\n",
    "\nx: " + "[" * 3000 + "]" * 3000 + "\n", "\nx: &a [*a]\n", "\n\t- bad indent\n", "\n: no key\n",
    "\n" + "a: &a [1]\nb: [*a, *a, *a, *a]\n" * 2, "\n!!python/object:os.system {}\n", "\n---\nid: second\n",
    "\ntargets:\n  total:\n    min_s: 60\n    min_s: 61\n", "\x00", "\ufeff", "\n%YAML 9.9\n",
])


def test_fuzz_raw_yaml_text(tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text(TINY_ANSWER, encoding="utf-8")
    good = yaml.safe_dump(TINY_QUESTION, sort_keys=False)

    @fuzz("bank_text")
    @given(snippet=YAML_SNIPPETS, at=st.integers(0, len(good)), cut=st.booleans())
    def run(snippet: str, at: int, cut: bool) -> None:
        folder = write_bank(tmp_path / "bank")
        text = good[:at] + snippet + ("" if cut else good[at:])
        (folder / "tiny.yaml").write_text(text, encoding="utf-8")
        _bank_commands(folder, answer)

    run()
