"""The code stays clean under the rule list in pyproject.toml ([tool.ruff]).

ruff is a test dependency, so a missing ruff is a broken install and fails here rather than skipping.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing_in_src_tests_and_bench() -> None:
    run = _ruff("check", "--no-cache", "src", "tests", "bench")
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_uses_the_projects_rule_list(tmp_path: Path) -> None:
    # Guards the test above against a config that selects nothing: a file with an unused import and an
    # unsorted import block must be reported under the project's settings.
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nimport os\n\nprint(os.sep)\n", encoding="utf-8")
    run = _ruff("check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "F401" in run.stdout and "I001" in run.stdout


# --------------------------------------------------------------------------- test modules stand alone

def imported_test_modules(source: str) -> list[str]:
    """The tests.test_* modules a module's source imports, anywhere in it (functions included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [n for n in names if n.startswith("tests.test_")][:1]
    return found


def test_no_test_module_imports_another() -> None:
    # What they share lives in tests/builders/ (and tests/fakes.py, tests/browser.py, conftest.py).
    offenders = {p.name: imported_test_modules(p.read_text(encoding="utf-8"))
                 for p in sorted((ROOT / "tests").rglob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_import_check_sees_every_spelling() -> None:
    source = ("from tests.test_bank import write_bank\nimport tests.test_cli\nfrom tests import test_history\n"
              "def f():\n    from tests.test_voice import harmonic\n")
    assert imported_test_modules(source) == ["tests.test_bank", "tests.test_cli", "tests.test_history",
                                             "tests.test_voice"]
    assert imported_test_modules("from tests.builders.bank import write_bank\nimport tests.fakes\n") == []
