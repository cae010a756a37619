"""Word accuracy of STAR segmentation on the dev set and the hold-out set, the fixed-split
baseline, and speed.

    /work/venv/bin/python bench/star_eval.py [--verbose] [--loo]

Each answer's four parts are joined with single spaces (no labels, no line breaks), given
synthetic times (0.4 s per word), segmented, and compared with the gold section word by word.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from starcoach.records import SECTION_NAMES, Word
from starcoach.star import label_words

ROOT = Path(__file__).resolve().parents[1]
DEV = Path("/work/shared/eval/star_dev.jsonl")
HOLDOUT = ROOT / "tests" / "data" / "star_holdout.jsonl"


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def to_words(answer: dict) -> tuple[list[Word], list[str]]:
    words: list[Word] = []
    gold: list[str] = []
    for name in SECTION_NAMES:
        for tok in answer[name].split():
            t = 0.4 * len(words)
            words.append(Word(tok, t, t + 0.35))
            gold.append(name)
    return words, gold


def baseline(n: int, shares=(0.10, 0.10, 0.65, 0.15)) -> list[str]:
    labels, acc = [], 0.0
    cuts = []
    for s in shares:
        acc += s
        cuts.append(round(acc * n))
    for i in range(n):
        labels.append(SECTION_NAMES[next(k for k, c in enumerate(cuts) if i < c)])
    return labels


def accuracy(pred: list[str], gold: list[str]) -> float:
    return sum(p == g for p, g in zip(pred, gold)) / len(gold)


def evaluate(answers: list[dict], verbose: bool = False) -> tuple[float, float]:
    accs, bases = [], []
    for a in answers:
        words, gold = to_words(a)
        pred = label_words(words)
        acc, base = accuracy(pred, gold), accuracy(baseline(len(words)), gold)
        accs.append(acc)
        bases.append(base)
        print(f"  {a['id']:<28} {len(words):4d} words  acc {acc:.3f}  baseline {base:.3f}")
        if verbose:
            for name in SECTION_NAMES:
                g = [i for i, x in enumerate(gold) if x == name]
                p = [i for i, x in enumerate(pred) if x == name]
                print(f"      {name:<9} gold {g[0] if g else '-'}..{g[-1] if g else '-'}"
                      f"  pred {p[0] if p else '-'}..{p[-1] if p else '-'}")
    mean, mean_base = sum(accs) / len(accs), sum(bases) / len(bases)
    print(f"  {'MEAN':<28}             acc {mean:.3f}  baseline {mean_base:.3f}")
    return mean, mean_base


def speed(answers: list[dict], repeat: int = 20) -> float:
    words: list[Word] = []
    for a in answers:
        for tok in " ".join(a[n] for n in SECTION_NAMES).split():
            t = 0.4 * len(words)
            words.append(Word(tok, t, t + 0.35))
            if len(words) == 1000:
                break
        if len(words) == 1000:
            break
    label_words(words)
    t0 = time.perf_counter()
    for _ in range(repeat):
        label_words(words)
    return (time.perf_counter() - t0) / repeat * 1000 * 1000 / len(words)


def leave_one_out(answers: list[dict]) -> float:
    """The position prior's three settings (weight, spread, boundary means) were chosen on a
    small grid on the dev set. Re-run that choice without each answer and score the answer
    it left out."""
    import itertools

    from starcoach import star

    grid = list(itertools.product(
        (0.03, 0.05, 0.09, 0.12), (0.10, 0.13, 0.16),
        ((0.15, 0.25, 0.80), (0.18, 0.30, 0.78), (0.20, 0.32, 0.76)),
    ))
    saved = star.PRIOR_W, star.SPREAD, star.BOUNDS
    data = [to_words(a) for a in answers]
    table = []  # per setting: accuracy on each answer
    for setting in grid:
        star.PRIOR_W, star.SPREAD, star.BOUNDS = setting
        table.append([accuracy(label_words(w), g) for w, g in data])
    star.PRIOR_W, star.SPREAD, star.BOUNDS = saved
    scores = []
    for i, a in enumerate(answers):
        best = max(range(len(grid)), key=lambda s: sum(table[s]) - table[s][i])
        scores.append(table[best][i])
        print(f"  {a['id']:<28} left out: chose {grid[best]}  acc {table[best][i]:.3f}")
    mean = sum(scores) / len(scores)
    print(f"  {'MEAN (leave-one-out)':<28}             acc {mean:.3f}")
    return mean


def no_punctuation(answer: dict) -> dict:
    """The same answer as a raw transcript: lower case, no punctuation."""
    import re

    out = dict(answer)
    for name in SECTION_NAMES:
        out[name] = " ".join(
            t for t in (re.sub(r"[^\w'%$]", "", w.lower()) for w in answer[name].split()) if t
        )
    return out


def missing_part(answers: list[dict], part: str) -> float:
    """Share of words labelled `part` when the answer leaves that part out (lower is better)."""
    shares = []
    for a in answers:
        words, _ = to_words(dict(a, **{part: ""}))
        labels = label_words(words)
        shares.append(labels.count(part) / len(labels))
    return sum(shares) / len(shares)


def main() -> None:
    verbose = "--verbose" in sys.argv
    dev, hold = load(DEV), load(HOLDOUT)
    print(f"dev ({DEV}):")
    evaluate(dev, verbose)
    print(f"hold-out ({HOLDOUT.relative_to(ROOT)}):")
    evaluate(hold, verbose)
    print("dev, stripped of punctuation and case (no pauses either):")
    evaluate([no_punctuation(a) for a in dev])
    print("hold-out, stripped of punctuation and case:")
    evaluate([no_punctuation(a) for a in hold])
    for part in SECTION_NAMES:
        print(f"answers with no {part}: share of words still labelled {part}: "
              f"dev {missing_part(dev, part):.3f}, hold-out {missing_part(hold, part):.3f}")
    if "--loo" in sys.argv:
        print("dev, leave-one-out choice of the position-prior settings:")
        leave_one_out(dev)
    print(f"speed: {speed(dev + hold):.1f} ms per 1,000 words")


if __name__ == "__main__":
    main()
