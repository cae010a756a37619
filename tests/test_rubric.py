"""The rubric engine on hand-made answers: each kind of check, evidence with times, and the score."""

from __future__ import annotations

import pytest

from starcoach.bank import Targets
from starcoach.bank_checks import Check
from starcoach.delivery import measure_delivery
from starcoach.records import Evidence, Finding, Word, sections_from_labels
from starcoach.rubric import AnswerContext, MatchText, normalise_token, run_checks, score
from starcoach.timing import time_sections

TARGETS = Targets(
    total=(20.0, 60.0),
    sections={"situation": (2.0, 10.0), "task": (2.0, 10.0), "action": (8.0, 30.0), "result": (2.0, 10.0)},
    shares={"situation": (0.05, 0.3), "task": (0.05, 0.3), "action": (0.4, 0.7), "result": (0.05, 0.3)},
)


def answer(parts: dict[str, str], *, step: float = 0.4, level: str = "em",
           order_problems: tuple[Evidence, ...] = ()) -> AnswerContext:
    words, labels, t = [], [], 0.0
    for name in ("situation", "task", "action", "result"):
        for token in parts.get(name, "").split():
            words.append(Word(token, t, t + step * 0.8))
            labels.append(name)
            t += step
    sections = sections_from_labels(words, labels)
    timing = time_sections(sections, section_targets=TARGETS.sections, share_targets=TARGETS.shares,
                           total_target=TARGETS.total)
    return AnswerContext(tuple(words), tuple(sections), timing, measure_delivery(words, sections), level, TARGETS,
                         order_problems)


GOOD = answer({
    "situation": "Our payments team was two weeks from a regulatory deadline when I found a race condition in the vendor callback.",
    "task": "I owned the integration and had to decide whether to ask for a delay.",
    "action": ("I wrote a one page risk memo for my director and proposed a fallback. She decided to ship anyway. "
               "I briefed my team on the plan, I added monitoring on the callback queue, and I wrote a rollback runbook. "
               "I tested the rollback twice before launch."),
    "result": "We launched on time and 2.1% of sessions hit the fallback. I learned to frame the trade-off, not just the risk.",
})


def check(kind: str, **params) -> Check:
    defaults = {"phrases": {"scope": None, "expect": "present", "min_count": 1, "max_count": 0}}.get(kind, {})
    return Check(id=f"c-{kind}", kind=kind, message=f"{kind} check", advice="do better", params={**defaults, **params})


def one(findings: list[Finding]) -> Finding:
    assert len(findings) == 1
    return findings[0]


def test_normalise_token_keeps_numbers_money_and_apostrophes() -> None:
    assert normalise_token("Didn\u2019t,") == "didn't"
    assert normalise_token("$2.3M.") == "$2.3m"
    assert normalise_token("2.1%") == "2.1%"
    assert normalise_token("\u201cHello\u201d") == "hello"
    assert normalise_token("follow-up") == "follow up"
    assert normalise_token("\u2014") == ""


def test_normalise_token_splits_at_punctuation_instead_of_gluing_words() -> None:
    # Fixed with the one normaliser (starcoach.text): punctuation used to be deleted, so "U.S." read
    # "us" (a "we" word to the pronoun check), "A/B" read "ab", and letters outside a-z were lost.
    assert normalise_token("U.S.") == "u s"  # was "us"
    assert normalise_token("A/B") == "a b"  # was "ab"
    assert normalise_token("caf\u00e9") == "caf\u00e9"  # was "caf"
    assert normalise_token("I\u02bcm") == "i'm"  # was "im", not an "I" word


def test_the_us_is_not_a_we_word() -> None:
    c = check("pronouns", scope=("action",), min_i_share=0.6)
    us = answer({**GOOD_PARTS, "action": "I flew to the U.S. office and I met the U.S. team, I mapped the U.S. "
                                         "rollout and I wrote the plan for the U.S. launch."})
    f = one(run_checks([c], us))
    assert f.passed and "\u201cwe\u201d 0" in f.message  # the old form counted four "we"


def test_match_text_gives_quotes_with_times_across_punctuation() -> None:
    words = [Word("I", 0, 0.2), Word("told", 0.3, 0.5), Word("you,", 0.6, 0.8), Word("so.", 0.9, 1.1), Word("Then", 2, 2.2)]
    found = MatchText(words).find([r"\bi told you so\b"])
    assert found == [Evidence("I told you, so.", 0.0, 1.1)]
    assert MatchText(words).find([r"\bnothing\b"]) == []


def test_overlapping_patterns_give_one_quote() -> None:
    words = [Word(w, i, i + 0.5) for i, w in enumerate("we raised it as a team".split())]
    found = MatchText(words).find([r"\bwe raised\b", r"\braised it as a team\b"])
    assert [e.text for e in found] == ["we raised it as a team"]


def test_structure_passes_on_four_parts_and_fails_on_a_missing_one() -> None:
    c = check("structure", min_words=5)
    assert one(run_checks([c], GOOD)).passed
    missing = answer({"situation": "We had an outage on a Friday night at the start of a sale.",
                      "action": "I rolled back the release and paged the owner and wrote it up for the team.",
                      "result": "We were back within twenty minutes and I learned to check the canary first."})
    f = one(run_checks([c], missing))
    assert not f.passed and "task" in f.message


def test_structure_fails_on_out_of_order_signposts() -> None:
    problem = Evidence("The situation was", 30.0, 31.0)
    f = one(run_checks([check("structure", min_words=5)], answer(dict(GOOD_PARTS), order_problems=(problem,))))
    assert not f.passed and f.evidence == (problem,)


GOOD_PARTS = {s.name: s.text for s in GOOD.sections}


def test_section_time_gives_one_finding_per_section_with_verdicts() -> None:
    findings = run_checks([check("section_time", sections=("situation", "task", "action", "result"))], GOOD)
    assert [f.id for f in findings] == ["c-section_time.situation", "c-section_time.task", "c-section_time.action",
                                        "c-section_time.result"]
    assert all(f.section for f in findings)
    slow = answer(GOOD_PARTS, step=2.0)  # the same words spoken five times slower
    slow_findings = run_checks([check("section_time", sections=("action",))], slow)
    assert not slow_findings[0].passed and "long" in slow_findings[0].message and "over" in slow_findings[0].message


def test_total_time_and_share() -> None:
    assert one(run_checks([check("total_time")], GOOD)).passed
    assert not one(run_checks([check("total_time")], answer(GOOD_PARTS, step=0.1))).passed
    share = one(run_checks([check("share", section="action", min=None, max=None)], GOOD))
    assert share.passed and "action is" in share.message
    assert not one(run_checks([check("share", section="action", min=0.9, max=None)], GOOD)).passed


def test_pronouns_catch_we_washing_in_the_action() -> None:
    c = check("pronouns", scope=("action",), min_i_share=0.6)
    assert one(run_checks([c], GOOD)).passed
    washed = answer({**GOOD_PARTS, "action": "We wrote a memo and we proposed a fallback. We briefed the team and our "
                                             "engineers added monitoring. We tested the rollback."})
    f = one(run_checks([c], washed))
    assert not f.passed
    assert "\u201cwe\u201d 5" in f.message and f.evidence[0].text == "We"
    assert washed.section("action").start <= f.evidence[0].start


def test_phrases_present_absent_counts_scope_and_levels() -> None:
    metric = check("phrases", scope=("result",), patterns=(r"\d",))
    f = one(run_checks([metric], GOOD))
    assert f.passed and f.evidence[0].text == "2.1%"
    no_metric = answer({**GOOD_PARTS, "result": "It went fine in the end and I learned a lot."})
    assert not one(run_checks([metric], no_metric)).passed
    # Scope: the number in the situation does not count for the result.
    assert "two" in GOOD_PARTS["situation"]
    mistake = check("phrases", expect="absent", patterns=(r"\bi told you so\b",))
    assert one(run_checks([mistake], GOOD)).passed
    said = answer({**GOOD_PARTS, "result": GOOD_PARTS["result"] + " Honestly, I told you so."})
    f = one(run_checks([mistake], said))
    assert not f.passed and f.evidence[0].text == "I told you so."
    tolerated = check("phrases", expect="absent", max_count=1, patterns=(r"\bteam\b",))
    assert not one(run_checks([tolerated], GOOD)).passed  # "team" three times
    assert one(run_checks([check("phrases", patterns=(r"\bi\b",), min_count=5)], GOOD)).passed
    director_only = Check("d", "phrases", "m", "a", levels=("director",),
                          params={"scope": None, "expect": "present", "min_count": 1, "max_count": 0, "patterns": ("zzz",)})
    assert run_checks([director_only], GOOD) == []


def test_delivery_check_reads_the_measured_figure() -> None:
    fillers = answer({**GOOD_PARTS, "action": "Um, I wrote, uh, a memo, um, and, uh, I briefed the team. Um, then I added monitoring."})
    f = one(run_checks([check("delivery", metric="fillers_per_min", min=None, max=4)], fillers))
    assert not f.passed and "fillers a minute" in f.message and f.evidence
    assert one(run_checks([check("delivery", metric="fillers_per_min", min=None, max=4)], GOOD)).passed
    pace = one(run_checks([check("delivery", metric="wpm", min=110, max=185)], GOOD))
    assert pace.passed == (110 <= GOOD.delivery.wpm <= 185)


def test_score_weights_severity_and_ignores_info() -> None:
    fs = [Finding("a", True, "high", "", ""), Finding("b", False, "low", "", ""), Finding("c", False, "info", "", "", category="fluency")]
    s = score(fs)
    assert s.value == 75  # 3 of 4 points
    assert "fluency" not in s.breakdown
    assert s.breakdown["content"] == {"earned": 3.0, "possible": 4.0, "passed": 1, "failed": 1}
    assert score([]).value == 0


@pytest.mark.parametrize("text", ["", "   "])
def test_match_text_on_empty_input(text: str) -> None:
    assert MatchText([Word(t, 0, 1) for t in text.split()]).find([r"\w"]) == []


def test_patterns_keep_their_case_sensitive_escapes_and_ignore_letter_case() -> None:
    words = [Word(w, i, i + 0.5) for i, w in enumerate("We shipped 2 releases".split())]
    assert [e.text for e in MatchText(words).find([r"\bSHIPPED \S+"])] == ["shipped 2"]
    assert MatchText(words).find([r"\bwe\S"]) == []  # \S stays "not a space"
