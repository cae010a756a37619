"""Word accuracy of STAR segmentation: the meaning classifier against the cue rules and the fixed
10/10/65/15 split, on answers the classifier was never fitted on.

    python bench/star_eval.py [--verbose] [--only "test 2"]

Sets (each answer's four parts joined with single spaces, no labels, no line breaks, given
synthetic times of 0.4 s a word):
- test, own: tests/data/star_test.jsonl ids x..: written for the test by a writer who never saw
  the training answers, in many styles (career-centre, rambling, no punctuation, short, ...);
- test, external: the same file's ids e..: answers published by others under the MIT licence;
- test, external 2: tests/data/star_external2.jsonl: 41 more answers published by others (13 MIT
  repositories, with their own S/T/A/R labels; 2026-12-04, tests/data/THIRD_PARTY.md);
- test 2: tests/data/star_test2.jsonl: 40 answers by a third writer who saw neither the training
  answers nor the other test sets, written after the classifier's second fit was planned;
- test 3: tests/data/star_test3.jsonl: 40 answers by a fourth writer who saw no other set
  (2026-12-03, written before the classifier was refitted with the later writers' answers);
- test 4: tests/data/star_test4.jsonl: 40 answers by a fifth writer who saw no other set
  (2026-12-03, written after the first refit and before the second);
- test 5: tests/data/star_test5.jsonl: 40 answers by another writer who saw no other set
  (2026-12-03 evening, written before the third refit, with star_train5.jsonl);
- test 6: tests/data/star_test6.jsonl: 40 answers by another writer who saw no other set
  (story-first, reflective, dialogue, two episodes, hedged, numbers, short notes, unpunctuated rambling), written
  with star_train6.jsonl and measured before it was fitted on;
- dev: shared/eval/star_dev.jsonl (the guides' model answers and one external answer);
- train: what the classifier was fitted on (shown only to compare; a fitted figure).
Each set is also scored as a raw transcript: lower case, no punctuation.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

from starcoach.devices.embedder import default_embedder
from starcoach.meaning import VectorCache
from starcoach.records import SECTION_NAMES, Word, join_words
from starcoach.star import label_words
from starcoach.star_clauses import clause_spans

ROOT = Path(__file__).resolve().parents[1]
SETS = {
    "test, own": (ROOT / "tests" / "data" / "star_test.jsonl", "x"),
    "test, external": (ROOT / "tests" / "data" / "star_test.jsonl", "e"),
    "test, external 2": (ROOT / "tests" / "data" / "star_external2.jsonl", ""),
    "test 2": (ROOT / "tests" / "data" / "star_test2.jsonl", ""),
    "test 3": (ROOT / "tests" / "data" / "star_test3.jsonl", ""),
    "test 4": (ROOT / "tests" / "data" / "star_test4.jsonl", ""),
    "test 5": (ROOT / "tests" / "data" / "star_test5.jsonl", ""),
    "test 6": (ROOT / "tests" / "data" / "star_test6.jsonl", ""),
    "dev": (ROOT.parent / "shared" / "eval" / "star_dev.jsonl", ""),
    "train (fitted on)": (ROOT / "bench" / "data" / "star_train.jsonl", ""),
}
CACHE = ROOT / "bench" / ".cache" / "clause-vectors.npz"


def load(path: Path, prefix: str = "") -> list[dict]:
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if r["id"].startswith(prefix)]


def no_punctuation(answer: dict) -> dict:
    out = dict(answer)
    for name in SECTION_NAMES:
        out[name] = " ".join(t for t in (re.sub(r"[^\w'%$]", "", w.lower()) for w in answer[name].split()) if t)
    return out


def to_words(answer: dict) -> tuple[list[Word], list[str]]:
    words, gold = [], []
    for name in SECTION_NAMES:
        for tok in answer[name].split():
            t = 0.4 * len(words)
            words.append(Word(tok, t, t + 0.35))
            gold.append(name)
    return words, gold


def baseline(n: int, shares=(0.10, 0.10, 0.65, 0.15)) -> list[str]:
    cuts, acc = [], 0.0
    for s in shares:
        acc += s
        cuts.append(round(acc * n))
    return [SECTION_NAMES[next(k for k, c in enumerate(cuts) if i < c)] for i in range(n)]


def accuracy(pred, gold) -> float:
    return sum(p == g for p, g in zip(pred, gold, strict=False)) / len(gold)


class Segmenters:
    def __init__(self) -> None:
        self.embedder = default_embedder()
        self.cache = VectorCache(self.embedder, CACHE)

    def meaning(self, words: list[Word]) -> list[str]:
        texts = [join_words(words[a:b]) for a, b, _ in clause_spans(words)]
        return label_words(words, self.cache.vectors(texts), self.embedder.name)

    @staticmethod
    def rules(words: list[Word]) -> list[str]:
        return label_words(words)


def evaluate(name: str, answers: list[dict], seg: Segmenters, verbose: bool) -> dict:
    rows = []
    for a in answers:
        words, gold = to_words(a)
        rows.append((a, accuracy(seg.meaning(words), gold), accuracy(seg.rules(words), gold),
                     accuracy(baseline(len(words)), gold)))
        if verbose:
            print(f"    {a['id']:<34} {a.get('style', ''):<15} {len(words):4d} words  meaning {rows[-1][1]:.3f}"
                  f"  rules {rows[-1][2]:.3f}  fixed {rows[-1][3]:.3f}")
    mean = [sum(r[i] for r in rows) / len(rows) for i in (1, 2, 3)]
    print(f"  {name:<34} {len(rows):3d} answers  meaning {mean[0]:.3f}  rules {mean[1]:.3f}  fixed split {mean[2]:.3f}")
    return {"rows": rows, "mean": mean}


def main() -> int:
    verbose = "--verbose" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    seg = Segmenters()
    by_style: dict[str, list[float]] = defaultdict(list)
    for name, (path, prefix) in SETS.items():
        if (only is not None and name != only) or not path.is_file():
            continue
        answers = load(path, prefix)
        typed = evaluate(name, answers, seg, verbose)
        evaluate(name + ", no punctuation", [no_punctuation(a) for a in answers], seg, verbose)
        if name.startswith("test"):
            for a, m, _r, _b in typed["rows"]:
                by_style[f"{name}: {a.get('style', '')}"].append(m)
    print("  test sets by style (meaning, typed):")
    for style, accs in sorted(by_style.items()):
        print(f"    {style:<30} {len(accs):3d}  {sum(accs) / len(accs):.3f}")
    if only is not None:
        seg.cache.save()
        return 0
    test = load(*SETS["test, own"]) + load(*SETS["test, external"])
    for part in SECTION_NAMES:
        shares = []
        for a in test:
            if not a[part]:
                continue
            words, _ = to_words(dict(a, **{part: ""}))
            shares.append(seg.meaning(words).count(part) / len(words))
        print(f"  test answers with the {part} removed: share of words still labelled {part}: "
              f"{sum(shares) / len(shares):.3f}")
    words, _ = to_words({n: " ".join(a[n] for a in test[:6]) for n in SECTION_NAMES})
    words = words[:1000]
    seg.meaning(words)
    t0 = time.perf_counter()
    for _ in range(5):
        seg.meaning(words)
    print(f"  speed: {(time.perf_counter() - t0) / 5 * 1000:.0f} ms per 1,000 words (clause vectors cached; "
          "embedding them is measured in bench/score_bench.py)")
    seg.cache.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
