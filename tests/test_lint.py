"""The code stays clean under the rule list in pyproject.toml ([tool.ruff]).

ruff is a test dependency, so a missing ruff is a broken install and fails here rather than skipping.
"""
from __future__ import annotations

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
