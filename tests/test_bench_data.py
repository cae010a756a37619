"""The benchmark's labelled whole answers name only checks that exist: a label with a typo would be
skipped by bench/rubric_eval.py without a word, and a figure would quietly shrink."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from starcoach.bank import load_bank

DATA = Path(__file__).resolve().parents[1] / "bench" / "data"
BANK = load_bank()


@pytest.mark.parametrize("path", sorted(DATA.glob("answers_*.jsonl")), ids=lambda p: p.name)
def test_whole_answer_labels_name_checks_of_their_question(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 20 and len({r["id"] for r in rows}) == len(rows)
    rubric = {c.id for c in BANK.rubric.checks}
    for r in rows:
        q = BANK.question(r["question"])
        known = {c.id for c in q.all_checks()} | rubric
        mistakes = {m.id for m in q.mistakes} | {c.id for c in q.checks if c.params.get("expect") == "absent"}
        assert r["level"] in q.levels, (r["id"], r["level"])
        assert r["quality"] in ("strong", "weak"), r["id"]
        assert set(r["mistakes"]) <= mistakes, (r["id"], set(r["mistakes"]) - mistakes)
        assert set(r["present"]) <= known, (r["id"], set(r["present"]) - known)
        assert r["quality"] == "weak" or not r["mistakes"], r["id"]
