"""How well the rubric's content checks hear what candidates say in their own words.

    python bench/rubric_eval.py [--calibrate] [--set dev|test|test2|test3|test4|test5] [--verbose] [--no-answers]
    python bench/rubric_eval.py --answers dev|dev2|dev3|test|test2|test3|test5|test6|test7|test8   # whole answers only (answers_<set>.jsonl)
    python bench/rubric_eval.py --calibrate-mistakes         # the search MISTAKE_THRESHOLD came from

Sentences: bench/data/rubric_dev.jsonl (written with the bank's examples, used to calibrate the
match threshold), bench/data/rubric_test.jsonl (written by someone who never saw the examples;
never used to choose anything) and bench/data/rubric_test2.jsonl (another writer, 2026-12-03, who
saw only the checks' names and advice: no examples, no other set); rubric_test3.jsonl and
rubric_test4.jsonl and rubric_test5.jsonl are three more writers with that brief, each written
before a round of new examples was added (bench/RUBRIC.md). Each line is
{"item": "<question or rubric>/<check id>", "text", "label"}: label 1 says the check's thing (the mistake, the behaviour, the signal), 0 is a near miss
(negations, the right behaviour in similar words, someone else doing it); item "*" lines are clean
sentences from good answers that should match no check at all.

Figures, for patterns alone and for patterns + meaning:
- recall on paraphrased mistakes (mistakes, follow-up "what not to say", expect-absent checks);
- recall on behaviours and fluency signals (expect-present checks);
- false alarms: the share of near-miss sentences their check matches, and of (clean sentence,
  mistake check) pairs that match;
- with --set test or --answers, on bench/data/answers_<set>.jsonl (whole answers, strong and
  weak, each set by its own writer: test, test2, test3, test5, test6 held out; dev, dev2, dev3 for development):
  mistakes caught, mistake checks failing on strong answers (false alarms), how many of each were
  reported as borderline (Finding.borderline), and the mean score of strong against weak answers. `--set dev` reads no whole answers.
--calibrate searches the global threshold and margin on the dev set; --calibrate-mistakes the
score a mistake needs, on the dev sentences and answers_dev.jsonl + answers_dev2.jsonl +
answers_dev3.jsonl (76 whole answers, 44 strong).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from starcoach import meaning, rubric
from starcoach.bank import load_bank
from starcoach.bank_checks import Check
from starcoach.records import Section
from starcoach.rubric import AnswerContext
from starcoach.scoring import _read, reader, score_text
from starcoach.timing import estimate_word_times

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


QUESTION_OF: dict[str, str] = {}  # check id -> a question whose answers it judges
BACKGROUND: dict[str, list[Check]] = {}  # question id -> the checks its answers meet


def checks_by_item(bank) -> dict[str, Check]:
    from starcoach.scoring import bank_checks

    for q in bank.questions.values():
        BACKGROUND[q.id] = bank_checks(q, bank.rubric)
        for c in BACKGROUND[q.id]:
            QUESTION_OF.setdefault(c.id, q.id)
    out = {}
    for c in bank.rubric.checks:
        out[f"rubric/{c.id}"] = c
    for q in bank.questions.values():
        for c in q.all_checks():
            out[f"{q.id}/{c.id}"] = c
        for f in q.follow_ups:
            for c in f.avoid:
                out[f"{q.id}/{c.id}"] = c
    return out


class Sentence:
    """One sentence read once (clauses, vectors), matched against any check of a question, with
    the probes fitted for that question's checks as scoring fits them."""

    def __init__(self, text: str, checks: list[Check]) -> None:
        words = tuple(estimate_word_times(text))
        self.words = words
        self.reading = _read(words, [], reader())
        whole = (Section("answer", words, words[0].start, words[-1].end),)
        self.ctx = AnswerContext(words, whole, None, None, "em", None, **self.reading.context())

    def matches(self, check: Check, *, use_meaning: bool = True) -> bool:
        from dataclasses import replace

        ranges = [(0, len(self.words))]
        qid = QUESTION_OF.get(check.id)
        if qid is not None:
            self.ctx = replace(self.ctx, exemplars=reader().prepare(BACKGROUND[qid]))
        if check.params.get("patterns") and rubric._pattern_hits(check, self.ctx, ranges):
            return True
        return bool(use_meaning and rubric._meaning_hits(check, self.ctx, ranges))


_SENTENCES: dict[str, Sentence] = {}  # each sentence read once per run


def is_mistake(check: Check) -> bool:
    return check.params.get("expect") == "absent"


def sentence_figures(rows: list[dict], checks: dict[str, Check], *, use_meaning: bool, verbose: bool = False) -> dict:
    all_checks = list(checks.values())
    cache = _SENTENCES

    def sent(text: str) -> Sentence:
        if text not in cache:
            cache[text] = Sentence(text, all_checks)
        return cache[text]

    hits = defaultdict(lambda: [0, 0])  # kind -> [matched, total]
    per_item = defaultdict(lambda: [0, 0, 0, 0])  # pos hit, pos, neg hit, neg
    for r in rows:
        if r["item"] == "*":
            continue
        check = checks.get(r["item"])
        if check is None:
            continue
        got = sent(r["text"]).matches(check, use_meaning=use_meaning)
        kind = ("mistake" if is_mistake(check) else "behaviour") + (" positives" if r["label"] else " near misses")
        hits[kind][0] += got
        hits[kind][1] += 1
        pi = per_item[r["item"]]
        if r["label"]:
            pi[0] += got
            pi[1] += 1
        else:
            pi[2] += got
            pi[3] += 1
        if verbose and got != bool(r["label"]):
            print(f"      {'MISS' if r['label'] else 'FALSE'} {r['item']}: {r['text']}")
    mistakes = [c for c in all_checks if is_mistake(c) and (c.params.get("examples") or c.params.get("patterns"))]
    clean = [r for r in rows if r["item"] == "*"]
    fired = total = 0
    for r in clean:
        s = sent(r["text"])
        for c in mistakes:
            got = s.matches(c, use_meaning=use_meaning)
            fired += got
            total += 1
            if verbose and got:
                print(f"      CLEAN FIRED {c.id}: {r['text']}")
    hits["clean x mistake checks"] = [fired, total]
    return {"hits": dict(hits), "per_item": dict(per_item)}


def answer_figures(bank, answers: list[dict], scorer=None) -> dict:
    """`scorer(answer, question)` gives the ScoredAnswer (default: the typed text, times estimated)."""
    caught = [0, 0]
    false_alarm = [0, 0]
    # of the mistakes reported, how many are marked borderline: (labelled, on strong answers)
    tiers = {"borderline": [0, 0], "sure": [0, 0]}
    present_found = [0, 0]
    scores = defaultdict(list)
    for a in answers:
        q = bank.question(a["question"])
        scored = scorer(a, q) if scorer else score_text(a["text"], q, a["level"], bank.rubric)
        by_id = {f.id: f for f in scored.findings}
        mistake_ids = [m.id for m in q.mistakes] + [c.id for c in q.checks if is_mistake(c)]
        for mid in mistake_ids:
            f = by_id.get(mid)
            if f is None or not f.judged:
                continue
            tier = tiers["borderline" if f.borderline else "sure"]
            if mid in a["mistakes"]:
                caught[0] += not f.passed
                caught[1] += 1
                tier[0] += not f.passed
            elif a["quality"] == "strong":
                false_alarm[0] += not f.passed
                false_alarm[1] += 1
                tier[1] += not f.passed
        for pid in a["present"]:
            f = by_id.get(pid)
            if f is not None and f.positive:
                present_found[0] += f.passed
                present_found[1] += 1
        scores[a["quality"]].append(scored.score.value)
    return {"mistakes caught": caught, "false alarms on strong answers": false_alarm,
            "reported as sure: labelled, on strong": tiers["sure"],
            "reported as borderline: labelled, on strong": tiers["borderline"],
            "behaviours found": present_found,
            "mean score": {k: float(np.mean(v)) for k, v in scores.items()}}


def pct(pair) -> str:
    return f"{pair[0] / pair[1]:.3f} ({pair[0]}/{pair[1]})" if pair[1] else "n/a"


def calibrate(rows, checks) -> None:
    """Choose the probe settings and threshold on the dev set: the most recall (mistakes and
    behaviours together) with near misses matched at most 10 % and clean pairs at most 0.5 %.
    (The patterns alone already match 6-7 % of the dev near misses, so 6 % cannot be had.)"""
    best = None
    r = reader()
    for l2, bg, own in itertools.product((0.3, 1.0, 3.0), (0.3, 1.0), (1.0, 3.0)):
        meaning.PROBE_L2, meaning.BACKGROUND_WEIGHT, meaning.OWN_COUNTER_WEIGHT = l2, bg, own
        r._prepared.clear()
        r._exemplars.clear()
        for threshold, floor in itertools.product(np.arange(0.0, 0.55, 0.1), (0.35, 0.45, 0.55)):
            meaning.THRESHOLD, meaning.FLOOR = float(threshold), floor
            h = sentence_figures(rows, checks, use_meaning=True)["hits"]
            pos = h["mistake positives"][0] + h["behaviour positives"][0]
            rec = pos / (h["mistake positives"][1] + h["behaviour positives"][1])
            near = (h["mistake near misses"][0] + h["behaviour near misses"][0]) / (h["mistake near misses"][1] + h["behaviour near misses"][1])
            clean = h["clean x mistake checks"][0] / max(1, h["clean x mistake checks"][1])
            ok = near <= 0.10 and clean <= 0.005
            print(f"  l2 {l2} background {bg} own counters {own} threshold {threshold:.2f} floor {floor}: recall {rec:.3f}"
                  f"  near misses matched {near:.3f}  clean pairs fired {clean:.4f}{'' if ok else '  (over the limits)'}", flush=True)
            if ok and (best is None or rec > best[0]):
                best = (rec, l2, bg, own, threshold, floor)
    print(f"best: {best}")


def calibrate_mistakes(bank, checks) -> None:
    """The probe score a mistake needs: the lowest whose false alarms on the dev whole answers'
    strong answers (answers_dev.jsonl, answers_dev2.jsonl and answers_dev3.jsonl, three writers who saw
    no example; dev3 was held out as answers_test4 until 2026-12-04, bench/RUBRIC.md) stay
    at most 5 %, the issue's limit. A whole answer gives every mistake check 30-40 clauses to fire
    on, so a rate per sentence that looks small is not small there. Since 2026-12-07 (the topic,
    the wider scopes) it picks 0.4 on these three; on all five dev sets (with answers_test7 and
    answers_dev4) 0.4 catches 2 more mistakes for 7 more false alarms, so 0.5 is kept
    (bench/RUBRIC.md)."""
    dev = load(DATA / "rubric_dev.jsonl")
    answers = [a for name in ("answers_dev.jsonl", "answers_dev2.jsonl", "answers_dev3.jsonl") for a in load(DATA / name)]
    chosen, shipped = None, meaning.MISTAKE_THRESHOLD
    try:
        for mt in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
            meaning.MISTAKE_THRESHOLD = mt
            h = sentence_figures(dev, checks, use_meaning=True)["hits"]
            f = answer_figures(bank, answers)
            fa = f["false alarms on strong answers"]
            if chosen is None and fa[0] <= 0.05 * fa[1]:
                chosen = mt
            print(f"  mistake threshold {mt}: dev sentences: mistakes {pct(h['mistake positives'])}, near misses "
                  f"{pct(h['mistake near misses'])}; dev answers: mistakes caught {pct(f['mistakes caught'])}, false "
                  f"alarms {pct(fa)}, mean score {f['mean score']['strong']:.1f} / {f['mean score']['weak']:.1f}",
                  flush=True)
    finally:
        meaning.MISTAKE_THRESHOLD = shipped
    print(f"chosen: {chosen} (shipped: {shipped})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="test", choices=("dev", "test", "test2", "test3", "test4", "test5"))
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--no-answers", action="store_true")
    ap.add_argument("--answers", nargs="+", choices=("dev", "dev2", "dev3", "dev4", "test", "test2", "test3", "test5", "test6", "test7", "test8", "test10", "test11", "test12"),
                    help="only the whole answers of answers_<set>.jsonl (several: pooled)")
    ap.add_argument("--calibrate-mistakes", action="store_true",
                    help="search MISTAKE_THRESHOLD on the dev sentences and the dev whole answers")
    args = ap.parse_args()
    bank = load_bank(ROOT / "questions")
    checks = checks_by_item(bank)
    if args.calibrate_mistakes:
        calibrate_mistakes(bank, checks)
        return 0
    if args.answers:
        print_answer_figures(bank, *(f"answers_{name}.jsonl" for name in args.answers))
        return 0
    if args.calibrate:
        calibrate(load(DATA / "rubric_dev.jsonl"), checks)
        return 0
    rows = load(DATA / f"rubric_{args.set}.jsonl")
    unknown = sorted({r["item"] for r in rows if r["item"] != "*" and r["item"] not in checks})
    if unknown:
        print(f"items not in the bank (skipped): {unknown}")
    print(f"sentences: bench/data/rubric_{args.set}.jsonl ({len(rows)} lines); "
          f"threshold {meaning.THRESHOLD}, margin {meaning.MARGIN}")
    for label, use in (("patterns only", False), ("patterns + meaning", True)):
        h = sentence_figures(rows, checks, use_meaning=use, verbose=args.verbose and use)["hits"]
        print(f"  {label}:")
        for kind in ("mistake positives", "behaviour positives", "mistake near misses", "behaviour near misses",
                     "clean x mistake checks"):
            print(f"    {kind:<26} matched {pct(h.get(kind, [0, 0]))}")
    if args.set == "test" and not args.no_answers:
        print_answer_figures(bank, "answers_test.jsonl")
    return 0


def print_answer_figures(bank, *names: str) -> None:
    answers = [a for name in names for a in load(DATA / name)]
    fig = answer_figures(bank, answers)
    print(f"  whole answers ({', '.join(f'bench/data/{n}' for n in names)}, {len(answers)}):")
    for k, v in fig.items():
        if k.startswith("reported"):
            print(f"    {k.split(':')[0]:<32} {v[0]} labelled mistakes, {v[1]} false alarms")
        else:
            print(f"    {k:<32} {pct(v) if isinstance(v, list) else v}")


if __name__ == "__main__":
    sys.exit(main())
