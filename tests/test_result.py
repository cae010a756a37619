"""The saved result both ways (result.py): to_dict writes the JSON contract, from_dict reads it back (and
reads old, hand-edited and damaged results without raising), and result_diff says what moved."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from starcoach import scoring
from starcoach.bank import load_bank
from starcoach.records import Evidence, Finding
from starcoach.result import (
    AnswerResult,
    DeliveryResult,
    FollowUpResult,
    result_from_dict,
    result_of_answer,
    result_of_follow_up,
)
from starcoach.result_diff import compare, flipped_checks, headline
from starcoach.scoring import score_follow_up, score_text, score_transcript, transcript_from_text
from tests.builders.sessions import QUESTION_ID, SPOKEN_ANSWER, SPOKEN_FOLLOW_UP, spoken

MAIN_KEYS = ["schema", "question", "question_text", "level", "source", "model", "duration_s", "estimated", "words",
             "sections", "total", "delivery", "findings", "score", "score_breakdown"]
FOLLOW_UP_KEYS = ["question", "follow_up", "follow_up_text", "level", "duration_s", "estimated", "words", "speaking_s",
                  "target_min_s", "target_max_s", "verdict", "gap_s", "delivery", "findings"]


@pytest.fixture
def scored():  # function scope: after the fake meaning reader is in place (conftest)
    bank = load_bank()
    q = bank.question(QUESTION_ID)
    return q, bank, score_transcript(spoken(SPOKEN_ANSWER, pause_after=30), q, "em", bank.rubric)


def main_result() -> AnswerResult:
    bank = load_bank()
    q = bank.question(QUESTION_ID)
    return result_of_answer(score_text(SPOKEN_ANSWER, q, "em", bank.rubric), question_text=q.question)


def follow_up_result() -> FollowUpResult:
    q = load_bank().question(QUESTION_ID)
    fu = q.follow_up("team-found-out")
    return result_of_follow_up(score_follow_up(transcript_from_text(SPOKEN_FOLLOW_UP), q, fu, "em"), text=fu.text)


# --------------------------------------------------------------------------- both ways


def test_a_main_answer_round_trips_through_the_json(scored) -> None:
    q, _, answer = scored
    r = result_of_answer(answer, question_text=q.question)
    d = r.to_dict()
    assert list(d) == MAIN_KEYS  # no voice: none was measured
    assert list(d["sections"][0]) == ["name", "start", "end", "speaking_s", "word_count", "target_min_s", "target_max_s",
                                      "verdict", "gap_s", "share", "share_min", "share_max", "share_verdict", "text"]
    assert list(d["findings"][0]) == ["id", "passed", "severity", "category", "section", "message", "advice", "evidence",
                                      "judged", "positive", "restates", "borderline"]
    assert [w["section"] for w in d["words"]][:1] == ["situation"] and d["score"] == answer.score.value
    assert all(round(w["start"], 2) == w["start"] for w in d["words"])  # saved rounded to 2 decimals
    assert AnswerResult.from_dict(d) == r
    assert AnswerResult.from_dict(json.loads(json.dumps(d))) == r
    assert r.damage == () and r.kind == "main"


def test_a_follow_up_round_trips_through_the_json() -> None:
    r = follow_up_result()
    d = r.to_dict()
    assert list(d) == FOLLOW_UP_KEYS
    assert all("section" not in w for w in d["words"])
    assert FollowUpResult.from_dict(json.loads(json.dumps(d))) == r
    assert result_from_dict("follow_up", d) == r and r.score is None


def test_the_voice_is_kept_as_voice_py_wrote_it() -> None:
    voice = {"tracker": "yin (numpy)", "overall": {"pitch_variation_st": 2.5}, "hesitations": [], "contour": {}}
    r = replace(main_result(), voice=voice)
    d = r.to_dict()
    assert list(d) == [*MAIN_KEYS, "voice"] and d["voice"] == voice
    assert AnswerResult.from_dict(d) == r


def test_the_delivery_record_is_written_as_delivery_py_writes_it(scored) -> None:
    _, _, answer = scored
    d = answer.delivery.to_dict()
    assert d["long_pauses"] and d["fillers"]  # the spoken answer has both
    assert DeliveryResult.from_dict(d).to_dict() == d
    assert json.dumps(DeliveryResult.from_dict(d).to_dict()) == json.dumps(d)


def test_rescore_makes_the_same_result_as_scoring_then_saving(scored) -> None:
    q, bank, answer = scored
    transcript = answer.transcript
    assert scoring.rescore(transcript, q, None, "em", bank.rubric) == result_of_answer(answer, question_text=q.question)
    assert scoring.rescore(transcript, q, None, "em", bank.rubric, text="asked so").question_text == "asked so"
    fu = q.follow_up("team-found-out")
    typed = transcript_from_text(SPOKEN_FOLLOW_UP)
    assert scoring.rescore(typed, q, fu, "em", bank.rubric) == follow_up_result()


# --------------------------------------------------------------------------- the safe reader


def test_a_result_saved_before_the_voice_and_judged_reads_as_it_did() -> None:
    d = main_result().to_dict()
    for f in d["findings"]:
        del f["judged"], f["positive"]
    r = AnswerResult.from_dict(d)
    assert r.voice is None and r.damage == ()
    assert all(f.judged and f.positive for f in r.findings)


def test_what_replay_refuses_is_named_in_damage() -> None:
    d = main_result().to_dict()
    assert AnswerResult.from_dict({**d, "words": None}).damage == ("'words' is missing",)
    words = [*d["words"][:2], {"text": "x", "start": 1.0}, "junk", *d["words"][3:]]
    r = AnswerResult.from_dict({**d, "words": words})
    assert r.damage == ("words[2] needs text, start and end",)  # the first one only
    assert len(r.words) == len(words) - 1 and (r.words[2].text, r.words[2].end) == ("x", 0.0)  # the reports show what they can
    r = AnswerResult.from_dict({**d, "words": [{"text": 1}], "findings": [{"id": "a"}, 3, *d["findings"]]})
    assert r.damage == ("words[0] needs text, start and end", "a finding needs an id and passed")
    assert [f.id for f in r.findings][:1] == ["a"] and len(r.findings) == len(d["findings"]) + 1


def test_missing_or_mistyped_fields_read_as_none_or_empty() -> None:
    r = AnswerResult.from_dict({})
    assert (r.score, r.duration_s, r.total.verdict, r.delivery.wpm, r.sections, r.findings) == (None, None, "", None, (), ())
    assert r.damage == ("'words' is missing",)
    d = main_result().to_dict()
    r = AnswerResult.from_dict({**d, "score": True, "duration_s": math.nan, "estimated": "yes", "total": 3,
                                "sections": [{"name": "task", "speaking_s": "9", "word_count": 12}, 7],
                                "delivery": {"wpm": 140, "section_wpm": {"task": "x"},
                                             "fillers": [{"text": "um"}, {"text": "uh", "start": 1, "end": 2}]}})
    assert r.score is None and r.duration_s is None and r.estimated is False and r.total.speaking_s is None
    (s,) = r.sections
    assert s.name == "task" and s.speaking_s is None and s.word_count == 12 and isinstance(s.word_count, int)
    assert r.delivery.wpm == 140 and r.delivery.section_wpm == {"task": None}
    assert [(e.text, e.start) for e in r.delivery.fillers] == [("um", 0.0), ("uh", 1)]  # a filler heard still counts
    assert r.damage == ()


def test_findings_read_tolerantly() -> None:
    d = {"id": "x", "passed": True, "severity": "critical", "evidence": [{"text": "no times"}, {"text": "t", "start": 1, "end": 2}]}
    (f,) = AnswerResult.from_dict({"words": [], "findings": [d]}).findings
    # an unknown severity reads as medium, a missing message as the id; a quote without times cannot be placed
    assert f == Finding("x", True, "medium", "x", "", (Evidence("t", 1, 2),), "content", None)


@pytest.mark.parametrize("junk", [None, True, 0, -1.5, math.inf, "x", [], {}, [None, 1, "a", [], {}], {"k": {"k": []}}])
def test_any_value_anywhere_reads_without_raising(junk) -> None:
    main, follow_up = main_result().to_dict(), follow_up_result().to_dict()
    assert result_from_dict("main", junk) is None or isinstance(junk, dict)
    for d, cls in ((main, AnswerResult), (follow_up, FollowUpResult)):
        for key in d:
            cls.from_dict({**d, key: junk}).to_dict()
        for key in ("words", "findings", "sections"):
            if isinstance(d.get(key), list) and d[key]:
                cls.from_dict({**d, key: [junk, {**d[key][0], "start": junk, "text": junk, "evidence": junk}]})
        for key in d["delivery"]:
            cls.from_dict({**d, "delivery": {**d["delivery"], key: junk}})
        cls.from_dict({**d, "delivery": {**d["delivery"], "long_pauses": [junk, {"start": junk}]}})


# --------------------------------------------------------------------------- what changed


def test_compare_names_the_flipped_new_and_gone_checks_and_the_verdicts() -> None:
    before = main_result()
    findings = list(before.findings)
    first, gone = findings[0], findings[1]
    after = replace(before, score=before.score + 5, findings=(replace(first, passed=not first.passed), *findings[2:],
                    Finding("new-check", True, "low", "A new check", "")),
                    total=replace(before.total, verdict="ok" if before.total.verdict != "ok" else "long"))
    change = compare(before, after)
    assert [(c.id, c.before, c.after) for c in change.flipped] == [(first.id, first.passed, not first.passed)]
    assert [c.id for c in change.new] == ["new-check"] and [c.id for c in change.gone] == [gone.id]
    assert change.verdicts == (("total", before.total.verdict, after.total.verdict),)
    assert change.score_after - change.score_before == 5 and change.changed
    assert change.marks == flipped_checks(before, after) == [("+" if not first.passed else "-") + first.id]
    assert not compare(before, before).changed


def test_headline_and_flipped_checks_of_stored_results() -> None:
    before = AnswerResult.from_dict({"score": 70, "findings": [{"id": "metric", "passed": False}, {"id": "pronouns", "passed": True}]})
    after = AnswerResult.from_dict({"score": 85, "findings": [{"id": "metric", "passed": True}, {"id": "pronouns", "passed": True}]})
    assert headline(before) == "score 70" and flipped_checks(before, after) == ["+metric"]
    assert flipped_checks(after, before) == ["-metric"]
    follow_up = FollowUpResult.from_dict({"findings": [{"id": "a", "passed": True, "severity": "high"}, {"id": "b", "passed": False},
                                                       {"id": "note", "passed": False, "severity": "info"}]})
    assert headline(follow_up) == "checks passed 1/2"
    assert compare(follow_up, replace(follow_up, verdict="long")).verdicts == (("time", None, "long"),)
