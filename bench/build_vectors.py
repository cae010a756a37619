"""Embed every example and counter-example of the shipped bank into
src/starcoach/meaning_data/bank-vectors.npz, so a first run of starcoach does not spend seconds on
it. Run after editing examples in questions/ (a test checks the file covers the bank).

    /work/venv/bin/python bench/build_vectors.py
"""

from __future__ import annotations

from pathlib import Path

from starcoach.bank import load_bank
from starcoach.devices.embedder import default_embedder
from starcoach.meaning import VectorCache

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "starcoach" / "meaning_data" / "bank-vectors.npz"


def bank_texts(bank) -> list[str]:
    checks = list(bank.rubric.checks)
    for q in bank.questions.values():
        checks += q.all_checks() + [c for f in q.follow_ups for c in f.avoid]
    return sorted({t for c in checks if c.kind == "phrases"
                   for t in (*c.params.get("examples", ()), *c.params.get("counter_examples", ()))})


def main() -> None:
    texts = bank_texts(load_bank(ROOT / "questions"))
    OUT.unlink(missing_ok=True)
    cache = VectorCache(default_embedder(), OUT)
    cache.vectors(texts)
    cache.save()
    print(f"wrote {OUT.relative_to(ROOT)}: {len(texts)} sentences")


if __name__ == "__main__":
    main()
