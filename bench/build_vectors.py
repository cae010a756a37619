"""Embed every example and counter-example of the shipped bank into
src/starcoach/meaning_data/bank-vectors.npz, and fit the checks' probes into probes-*.npz beside
it, so a first run of starcoach does not spend seconds on them. Run after editing examples in
questions/ (a test checks the files cover the bank); a bank edited elsewhere is embedded and
fitted on first use and kept in the user cache.

    python bench/build_vectors.py
"""

from __future__ import annotations

from pathlib import Path

from starcoach.bank import load_bank
from starcoach.devices.embedder import default_embedder
from starcoach.meaning import Reader, VectorCache
from starcoach.scoring import bank_checks

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "starcoach" / "meaning_data" / "bank-vectors.npz"


def bank_texts(bank) -> list[str]:
    checks = list(bank.rubric.checks)
    for q in bank.questions.values():
        checks += q.all_checks() + [c for f in q.follow_ups for c in f.avoid]
    return sorted({t for c in checks if c.kind == "phrases"
                   for t in (*c.params.get("examples", ()), *c.params.get("counter_examples", ()))})


def main() -> None:
    bank = load_bank(ROOT / "questions")
    texts = bank_texts(bank)
    OUT.unlink(missing_ok=True)
    for old in OUT.parent.glob("probes-*.npz"):
        old.unlink()
    cache = VectorCache(default_embedder(), OUT)
    cache.vectors(texts)
    cache.save()
    print(f"wrote {OUT.relative_to(ROOT)}: {len(texts)} sentences")
    # and the probes, for main answers (rubric + question) and follow-ups (the question alone)
    reader = Reader(default_embedder(), cache)
    for q in bank.questions.values():
        reader.prepare(bank_checks(q, bank.rubric))
        reader.prepare(bank_checks(q, None))
    print(f"wrote {len(list(OUT.parent.glob('probes-*.npz')))} probe files beside it")


if __name__ == "__main__":
    main()
