"""The real sentence-embedding model and the shipped classifier (marked `model`): the model file is
the one we vetted, similarities are sane, STAR by meaning holds on answers nobody tuned it on, and
the bank's examples behave on the sentences the issue was filed with, and an omission is heard."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bench.star_eval import to_words

from starcoach import scoring, star_model
from starcoach.bank import load_bank
from starcoach.devices.embedder import DIM, MiniLMEmbedder, packaged_vectors
from starcoach.meaning import VectorCache
from starcoach.records import join_words
from starcoach.star import label_words
from starcoach.star_clauses import clause_spans

pytestmark = pytest.mark.model

BANK = load_bank()


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_known_similarities(embedder: MiniLMEmbedder) -> None:
    # The sentence-transformers examples: published cosines about 0.75 and 0.25 for this model.
    v = embedder.embed(["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."])
    assert v.shape == (3, DIM) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert 0.68 < float(v[0] @ v[1]) < 0.82 and float(v[0] @ v[2]) < 0.35
    # the same text embeds the same, whatever else is in the batch
    alone = embedder.embed(["A man is riding a horse."])
    assert np.allclose(alone[0], v[2], atol=1e-4)


def _star_accuracy(answers: list[dict], embedder: MiniLMEmbedder) -> list[float]:
    accs = []
    for a in answers:
        words, gold = to_words(a)
        texts = [join_words(words[s:e]) for s, e, _ in clause_spans(words)]
        pred = label_words(words, embedder.embed(texts), embedder.name)
        accs.append(sum(p == g for p, g in zip(pred, gold, strict=False)) / len(gold))
    return accs


def test_star_by_meaning_on_answers_it_was_not_fitted_on(shared, embedder: MiniLMEmbedder) -> None:
    model = star_model.shipped()
    assert model is not None and model.embedder == embedder.name
    answers = [json.loads(line) for line in (shared / "eval" / "star_dev.jsonl").read_text().splitlines() if line]
    accs = _star_accuracy(answers, embedder)
    assert np.mean(accs) >= 0.88, accs  # bench/star_eval.py: 0.96 on this set


def test_star_by_meaning_on_a_writer_it_never_saw(embedder: MiniLMEmbedder) -> None:
    # tests/data/star_test5.jsonl: 40 answers in 8 styles by a writer whose answers were never fitted on
    path = Path(__file__).parent / "data" / "star_test5.jsonl"
    answers = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    accs = _star_accuracy(answers, embedder)
    assert np.mean(accs) >= 0.90, np.mean(accs)  # bench/star_eval.py: 0.921 typed (the cue rules: 0.863)


def test_star_by_meaning_on_answers_others_published(embedder: MiniLMEmbedder) -> None:
    # tests/data/star_external2.jsonl: 41 answers from 13 repositories, split by their own authors' labels
    path = Path(__file__).parent / "data" / "star_external2.jsonl"
    answers = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    accs = _star_accuracy(answers, embedder)
    assert np.mean(accs) >= 0.88, np.mean(accs)  # bench/star_eval.py: 0.916 typed (the cue rules: 0.894)


def test_packaged_vectors_cover_the_bank() -> None:
    from bench.build_vectors import bank_texts

    (path,) = packaged_vectors()

    class Refuses:
        def embed(self, texts):
            raise AssertionError(f"{len(texts)} bank sentences have no packaged vector: run bench/build_vectors.py")

    VectorCache(Refuses(), None, seed=[path]).vectors(bank_texts(BANK))


def test_packaged_probes_cover_the_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    from starcoach import meaning
    from starcoach.meaning import Reader
    from starcoach.scoring import bank_checks

    class Named:
        name = MiniLMEmbedder.name

        def embed(self, texts):
            raise AssertionError("bank sentences should all have packaged vectors")

    def refuse(_built):
        raise AssertionError("no packaged probes for this bank: run bench/build_vectors.py")

    monkeypatch.setattr(meaning, "fit_probes", refuse)
    reader = Reader(Named(), VectorCache(Named(), None, seed=packaged_vectors()))
    for q in BANK.questions.values():
        reader.prepare(bank_checks(q, BANK.rubric))
        reader.prepare(bank_checks(q, None))


def _finding(scored, check_id: str):
    return next(f for f in scored.findings if f.id == check_id)


@pytest.mark.parametrize("qid, level", [(q.id, a.level) for q in BANK.questions.values() for a in q.model_answers])
def test_the_guides_model_answers_commit_none_of_the_mistakes(qid: str, level: str) -> None:
    q = BANK.question(qid)
    answer = next(a for a in q.model_answers if a.level == level)
    scored = scoring.score_text(answer.text, q, level, BANK.rubric)
    committed = [f.id for f in scored.findings if not f.passed and not f.positive and f.judged]
    assert committed == [], [(f.id, [e.text for e in f.evidence]) for f in scored.findings if f.id in committed]


STORY = {
    "s": "Our platform had a regulatory deadline in two weeks and my team found a race condition in the vendor callback flow under load.",
    "t": "I was the engineering manager who owned the integration and the execution, and I had to decide how to raise the risk.",
    "a": ("I wrote a one page memo to my VP with the traces and asked for a two week slip, and she decided to go live on schedule. "
          "I briefed the team on the plan and what we were building around the risk."),
    "r": "We went live on time and 2% of sessions needed manual review. I learned to frame my case as a trade-off, not a risk escalation.",
}


@pytest.mark.parametrize("check_id, part, sentence, fires", [
    # the sentences the issue was filed with (none of them is in the bank's examples)
    ("leaking-dissent-downward", "a", "I never let my team know I had reservations.", False),
    ("leaking-dissent-downward", "a", "I told a couple of my leads off the record that I thought it was a mistake.", True),
    ("no-advocacy-documentation", "a", "I didn't leave it verbal.", False),
    ("no-guardrails-built", "a", "I parked my worries and concentrated on hitting the date.", True),
    ("no-vindication", "r", "It turned out I'd called it.", True),
])
def test_the_issues_sentences(check_id: str, part: str, sentence: str, fires: bool) -> None:
    q = BANK.question("disagree-and-commit")
    parts = dict(STORY, **{part: STORY[part] + " " + sentence})
    scored = scoring.score_text(" ".join(parts[k] for k in "star"), q, "em", BANK.rubric)
    f = _finding(scored, check_id)
    assert f.judged and f.passed is not fires, (f.message, [e.text for e in f.evidence])
    if fires:
        assert [e.text for e in f.evidence] == [sentence]  # the whole clause, nothing else


WAREHOUSE = ("I work as a shift supervisor in a warehouse. One Saturday the conveyor into the packing area jammed and "
             "the maintenance contractor said the part would not arrive until Monday. My manager was away at a wedding. "
             "I had forty orders for a hospital that had to leave that afternoon. So I decided to move two pickers onto "
             "hand packing and hire a van from the rental place next door, which cost about three hundred pounds. "
             "We packed everything by hand and the van left at four.{told} All forty orders reached the hospital that "
             "evening and the customer was happy. I think it showed I can take charge when it matters.")


@pytest.mark.parametrize(("told", "omitted"), [
    ("", True),  # the manager never comes up again: the omission, though no sentence says it
    (" That evening I rang my manager and sent her a short note of what I had spent and why.", False),
])
def test_an_omission_is_heard_in_what_the_answer_leaves_out(told: str, omitted: bool) -> None:
    q = BANK.question("acting-independently")
    scored = scoring.score_text(WAREHOUSE.format(told=told), q, "mid", BANK.rubric)
    mistake, behaviour = _finding(scored, "no-follow-up-communication"), _finding(scored, "manager-told-afterwards")
    assert mistake.judged and behaviour.judged
    assert mistake.passed is not omitted and behaviour.passed is not omitted
    assert ("nothing in the answer shows" in mistake.message) is omitted
