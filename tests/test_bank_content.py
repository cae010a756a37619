"""The question bank's content: every mistake, fluency signal, follow-up and question check does
what it says on the seed guides' own examples, and the guides' model answers pass it.

Pure: typed text only (word times estimated), no audio, no model.
"""

from __future__ import annotations

import functools
import re

import pytest

from starcoach.bank import Question, load_bank
from starcoach.records import Finding
from starcoach.rubric import normalise_token
from starcoach.scoring import score_follow_up_text, score_text

BANK = load_bank()
DAC = "disagree-and-commit"
AI = "acting-independently"
SEED_FILES = {DAC: "seeds/000_90fa77aac037a0dd.txt", AI: "seeds/003_ea86d318985da7b5.txt"}
SECTIONS = ("situation", "task", "action", "result")

# --------------------------------------------------------------------------- test data

# Per mistake: the section the telltale goes into, and natural paraphrases of it.
MISTAKE_CASES: dict[str, dict[str, tuple[str, list[str]]]] = {
    DAC: {
        "we-washing-advocacy": ("action", [
            "We raised our concerns together before the call was made.",
            "As a team we pushed back on the timeline in the planning review.",
        ]),
        "strategic-compliance": ("action", [
            "I shipped it on time, although I still believed it was the wrong call.",
            "Honestly, I did it under protest and went along with the decision.",
        ]),
        "reverse-vindication-close": ("result", [
            "In the end my concerns proved to be justified, and we had to patch it after the launch.",
            "Sure enough, my risk assessment turned out to be accurate.",
        ]),
        "advocacy-too-late": ("action", [
            "I kept bringing the risk up in our daily standups.",
            "Throughout the rollout I raised my concerns at every sprint review.",
        ]),
        "no-guardrails-built": ("action", [
            "I set my reservations aside and just focused on delivery.",
            "After that I kept my head down and got on with it.",
        ]),
        "leaking-dissent-downward": ("action", [
            "A few of my senior engineers could tell I had doubts about it.",
            "I was transparent with my team about my reservations.",
        ]),
        "em-scope-at-director": ("action", [
            "It was really just my squad and a couple of weeks; I personally wrote the fix and reviewed the pull requests.",
            "Within ten days I changed the config myself and walked my engineers through it at standup.",
        ]),
        "director-scope-at-em": ("action", [
            "Most of my time went on the reorg and our quarterly planning with my peer directors.",
            "I aligned five teams across the organisation on the annual roadmap.",
        ]),
        "no-advocacy-documentation": ("task", [
            "I brought it up informally with my VP over coffee.",
            "I never put my concerns in writing; I just told him in a one-to-one.",
        ]),
    },
    AI: {
        "justifying-poor-judgment": ("result", [
            "Honestly, it's always better to ask forgiveness than permission.",
            "I didn't need my manager's approval for something that obvious.",
            "Looking back, I'd make the same call again tomorrow.",
        ]),
        "lack-of-risk-assessment": ("action", [
            "I didn't really have time to look into it, so I went with my gut.",
            "I just pulled the trigger without checking the logs.",
        ]),
        "no-follow-up-communication": ("action", [
            "I didn't tell my manager; she found out later from the on-call report.",
            "Nobody needed to know, so I kept it quiet.",
        ]),
        "unclear-stakes": ("situation", [
            "It wasn't a huge deal, it just seemed like a good idea at the time.",
            "Someone had to fix it, and it seemed important.",
        ]),
        "credit-without-risk": ("result", [
            "The results speak for themselves, and I wouldn't change a thing.",
            "It turned out fine, which proves it was the right decision.",
        ]),
        "being-defensive": ("result", [
            "She overreacted about the cost; honestly she didn't see the bigger picture.",
            "When we met I pushed back and insisted I was right.",
        ]),
    },
}

# Seed 000's fluency table: the example in context for each signal.
FLUENCY_EXAMPLES = {
    "case-before-close": "I put the risk analysis in writing to my VP the day I found the UAT signal. I made my case completely before the decision closed.",
    "mine-to-execute": "I didn\u2019t raise it again after the VP confirmed. Once the decision was made, it was mine to execute \u2014 I owned it from that moment.",
    "direction-not-debate": "There was no version of my team brief that included my reservations. I briefed them on the direction, not the debate.",
    "built-against-risk-model": "Committing to the decision didn\u2019t mean I stopped caring about the risk. My risk model didn\u2019t switch off \u2014 I built against it with rollback instrumentation and a review gate.",
    "conflated-risk-and-decision": "Retrospectively, I\u2019d conflated \u2018my risk assessment was correct\u2019 with \u2019the decision was wrong.\u2019 Those are different things. The decision was accounting for a business cost I hadn\u2019t fully weighted.",
    "paper-trail-for-decision-maker": "I documented my concerns in writing because the VP deserved the full picture \u2014 not to protect my record if something went wrong.",
    "review-gate-for-learning": "I asked for a 30-day review gate explicitly framed around what we\u2019d all learn from the data \u2014 not a chance to relitigate the call.",
}

# A good follow-up answer for each follow-up: seed 000's model responses verbatim; seed 003 has none,
# so its are sentences taken verbatim from its sample answers. Plus one paraphrase of each avoid.
FOLLOW_UP_GOOD = {
    (DAC, "team-found-out"): "They didn\u2019t \u2014 not from me. I shared my concerns with my manager through the right channel before the decision was made. Once it was made, the only framing my team received was the direction and the execution plan. A few months later, in a retrospective, I did share that the original approach had had a pre-launch risk flagged and how we\u2019d engineered around it \u2014 at that point it was a learning, not a grievance.",
    (DAC, "serious-harm"): "There\u2019s a category difference between \u201cI think this is the wrong approach\u201d and \u201cthis creates a safety, legal, or compliance exposure that I as a leader cannot underwrite.\u201d In the case I described, it was the former. If it were the latter, my obligation would have been to escalate above my manager, not to execute silently. Disagree-and-commit does not extend to covering up a decision that could cause harm you\u2019re legally or professionally accountable for.",
    (DAC, "manager-found-out"): "My manager had full visibility \u2014 I\u2019d put my concerns in writing before the decision closed. That paper trail existed not to protect myself but because I believed the decision-maker deserved the full picture. What my manager didn\u2019t see was any signal from me after the decision that I was still carrying those concerns. The direction belonged to both of us at that point.",
    (DAC, "case-differently"): "I think I led with the risk and not the trade-off. I quantified what could go wrong but didn\u2019t give equal weight to what we\u2019d lose by slipping the timeline. My manager had context about the cost of delay that I wasn\u2019t fully pricing. If I\u2019d structured my presentation as a decision frame \u2014 here are the two paths, here are the costs of each \u2014 rather than a risk escalation, I would have had a more productive conversation, even if the outcome was the same.",
    (DAC, "report-signalling-dissent"): "I\u2019d address it privately and directly, not as a performance issue but as a leadership standard conversation. I\u2019d name specifically what I observed \u2014 \u201cI noticed in the team meeting you described this as something we\u2019d been told to do\u201d \u2014 and explain why that framing is corrosive. I\u2019d also create the right channel for them to continue advocating if they genuinely believed the decision was wrong. What I wouldn\u2019t accept is dissent distributed sideways without an upward path.",
    (DAC, "bad-outcome"): "Yes. I committed to a platform migration timeline I believed was aggressive. My concerns were on the record. The migration ran late and impacted a Q4 product launch. I didn\u2019t open the retrospective with \u201cas I flagged in advance.\u201d I opened it with \u201cwe shipped late and here\u2019s my share of the cause.\u201d The record of having raised concerns is not an alibi. You\u2019re still on the hook for the execution.",
    (DAC, "commit-or-escalate"): "Three thresholds. First: is this a strategic or operational judgment call where reasonable people disagree? That\u2019s disagree-and-commit territory. Second: does this involve legal, regulatory, or safety exposure that I as an engineering leader am personally accountable for? That requires escalation, not commitment. Third: does this violate a stated company value or a direct obligation to users? That\u2019s a refusal \u2014 and I\u2019d expect to accept the consequences of that refusal. The question isn\u2019t whether I\u2019m comfortable; it\u2019s whether executing the direction would require me to act outside my professional obligations.",
    (DAC, "advocacy-changed"): "I learned to structure advocacy as a decision frame earlier, not a risk escalation. And I learned to explicitly ask for a decision review gate at the time of commitment \u2014 not as a hedge but as a shared learning mechanism. When the person above you knows you\u2019ll revisit the data at 30 days regardless of outcome, your advocacy reads as process-minded rather than oppositional. That single habit has made my disagreements easier to hear.",
    (AI, "specific-decision"): "I made the decision to immediately implement the infrastructure changes without waiting for approval. During final load testing, I discovered that our database architecture would likely fail under the expected traffic load, potentially causing complete site outages. The infrastructure would take 48 hours to modify, leaving almost no margin for error.",
    (AI, "data-before-deciding"): "I first checked our runbooks and confirmed the issue matched a known scenario where a payment gateway API credential had expired. I gathered evidence by reviewing logs and verifying that test transactions were also failing.",
    (AI, "risk-mitigation"): "I made the decision to rotate the credentials using our documented emergency procedure, something I had practiced in onboarding but never done in production. I documented every step I took in our incident channel, rotated the credentials, and verified transactions resumed successfully.",
    (AI, "told-manager"): "While the team executed, I documented my reasoning, created a detailed report with load testing data and risk analysis, and sent it to my manager with a clear subject line indicating I had already initiated changes due to time constraints. I also proactively scheduled a call with her for when her meetings ended. I kept executives informed through our launch Slack channel with factual updates, carefully positioning this as a reliability improvement rather than a crisis.",
}
# Answers that make every mistake of the guides and none of their good moves: every question check
# should fail on them.
BAD_ANSWERS = {
    DAC: ("em", "So the situation was that my manager decided we would migrate to a new vendor in two weeks. "
          "My task was to lead the integration. I thought it was a bad idea and I mentioned it verbally before "
          "the meeting. What I did was, I executed it, even though I still thought it was wrong. We were told to "
          "ship it, I had no choice. My senior engineers knew I had reservations. I put aside my concerns and "
          "focused on execution. The result was that my prediction turned out to be correct and we had to fix "
          "it post-launch. I was right."),
    AI: ("mid", "The situation was that a server was acting up. My task was to fix it. I just went ahead, I "
         "didn't have time to check. What I did was restart everything. There was no time to tell anyone. It "
         "just felt like the right thing to do. In the end it worked out so it was the right call. I'd do "
         "exactly the same again. My manager didn't get it."),
}
AVOID_PARAPHRASES = {
    "delegated-dissent": "My team already knew I disagreed, so there was no real surprise.",
    "learned-helplessness": "It wasn't my call to make, so I'd have shipped it anyway.",
    "self-protection": "I kept a paper trail in case it went wrong.",
    "closed-loop": "Honestly, I don't think I'd change much; they understood the risk.",
    "authority-not-leadership": "I'd remind them the decision is made and they need to fall in line.",
    "soft-outcome": "Nothing really bad came of it; it was more of a mixed bag.",
    "blurred-line": "For me there's no real difference between a wrong decision and an unethical one.",
    "non-transferable-lesson": "Mostly that you have to pick your battles.",
    "no-clear-rationale": "Honestly I went with my gut at the time.",
    "no-data-gathered": "I didn't really look at any data, I already knew what the problem was.",
    "no-mitigation": "I didn't think about the risks much, to be honest.",
    "told-only-when-asked": "I only explained it once my manager asked about it on Monday.",
}


# --------------------------------------------------------------------------- helpers


def _norm(text: str) -> str:
    """The rubric's normalisation (questions/README.md), to compare a quote with the sentence it came from."""
    return normalise_token(text)


def _plain(text: str) -> str:
    """Straight quotes, single spaces: for comparing bank text with the seed files."""
    for a, b in {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'}.items():
        text = text.replace(a, b)
    return " ".join(text.split())


def _model(q: Question, level: str):
    return next(m for m in q.model_answers if m.level == level)


def _answer_text(q: Question, level: str, labelled: bool = True, insert: tuple[str, str] | None = None) -> str:
    """A model answer, with a sentence appended to one section. Labelled ("Task: ...") so the test is
    about the bank's content, not about where the segmenter puts the boundaries."""
    m = _model(q, level)
    parts = {name: getattr(m, name) for name in SECTIONS}
    if insert is not None:
        section, sentence = insert
        parts[section] = f"{parts[section]} {sentence}"
    if not labelled:
        return " ".join(parts[name] for name in SECTIONS)
    return " ".join(f"{name.capitalize()}: {parts[name]}" for name in SECTIONS)


def _finding(findings, finding_id: str) -> Finding:
    matches = [f for f in findings if f.id == finding_id]
    assert len(matches) == 1, f"expected one finding {finding_id!r}, got {[f.id for f in findings]}"
    return matches[0]


def _quotes(finding: Finding, sentence: str) -> bool:
    said = _norm(sentence)
    return any(_norm(e.text) and _norm(e.text) in said for e in finding.evidence)


def _level_for(q: Question, mistake) -> str:
    """The level a mistake is tested at: the question's default, or one the mistake applies at."""
    if mistake.check.applies_at(q.default_level):
        return q.default_level
    return next(m.level for m in q.model_answers if mistake.check.applies_at(m.level))


@functools.cache
def _scored_model(qid: str, level: str, labelled: bool):
    q = BANK.question(qid)
    return score_text(_answer_text(q, level, labelled), q, level, BANK.rubric)


def _cleared_marks(qid: str, mid: str) -> tuple:
    # A mistake with `unless` is cleared only by a behaviour found surely (meaning.SURE_BEHAVIOUR),
    # which the fake embedder's probe scores cannot say: those cases run with the real model.
    mistake = next(m for m in BANK.question(qid).mistakes if m.id == mid)
    return (pytest.mark.model,) if mistake.check.params["unless"] else ()


def _mistake_params():
    for qid, cases in MISTAKE_CASES.items():
        for mid in cases:
            yield pytest.param(qid, mid, id=f"{qid}/{mid}", marks=_cleared_marks(qid, mid))


def _paraphrase_params():
    for qid, cases in MISTAKE_CASES.items():
        for mid, (_section, paraphrases) in cases.items():
            for i, text in enumerate(paraphrases):
                yield pytest.param(qid, mid, text, id=f"{qid}/{mid}/{i}", marks=_cleared_marks(qid, mid))


def _model_check_params():
    for qid in (DAC, AI):
        q = BANK.question(qid)
        for m in q.model_answers:
            ids = [x.id for x in q.mistakes if x.check.applies_at(m.level)]
            ids += [c.id for c in q.checks if c.applies_at(m.level)]
            ids += ["result-metric", "result-reflection"]
            for form in ("labelled", "spoken"):
                for cid in ids:
                    yield pytest.param(qid, m.level, form == "labelled", cid, id=f"{qid}/{m.level}/{form}/{cid}")


def _avoid_params():
    for qid in (DAC, AI):
        for f in BANK.question(qid).follow_ups:
            for check in f.avoid:
                yield pytest.param(qid, f.id, check.id, id=f"{qid}/{f.id}/{check.id}")


# --------------------------------------------------------------------------- the bank matches the guides


@pytest.mark.parametrize("qid", [DAC, AI])
def test_every_mistake_has_test_cases(qid):
    q = BANK.question(qid)
    assert sorted(m.id for m in q.mistakes) == sorted(MISTAKE_CASES[qid])


def test_every_seed_mistake_row_is_in_the_bank(shared):
    seed = _plain((shared / SEED_FILES[DAC]).read_text(encoding="utf-8"))
    table = seed.split("S8 \u2014 Common Mistakes")[1].split("S9 \u2014")[0]
    rows = [r.split("|")[1:3] for r in re.findall(r"\| [^|]+ \| [^|]+ \| [^|]+ \|", table)]
    rows = [(name.strip(), said.strip().strip('"')) for name, said in rows if name.strip() != "Mistake"]
    assert len(rows) == 9
    bank = {m.name: _plain(m.sounds_like) for m in BANK.question(DAC).mistakes}
    assert bank == dict(rows)

    seed = (shared / SEED_FILES[AI]).read_text(encoding="utf-8")
    names = re.findall(r"^- (.+?) --", seed.split("Common Mistakes")[1], flags=re.M)
    assert len(names) == 6
    assert sorted(m.name.lower() for m in BANK.question(AI).mistakes) == sorted(n.lower() for n in names)


@pytest.mark.parametrize("qid", [DAC, AI])
def test_follow_ups_and_model_answers_keep_the_guides_words(qid, shared):
    seed = _plain((shared / SEED_FILES[qid]).read_text(encoding="utf-8"))
    q = BANK.question(qid)
    assert len(q.follow_ups) == {DAC: 8, AI: 4}[qid]
    for f in q.follow_ups:
        assert _plain(f.text) in seed, f.id
    for m in q.model_answers:
        for name in SECTIONS:
            assert _plain(getattr(m, name)) in seed, f"{m.level} {name}"
    assert sorted(m.level for m in q.model_answers) == sorted(q.levels)


def test_fluency_phrases_are_the_guides(shared):
    seed = _plain((shared / SEED_FILES[DAC]).read_text(encoding="utf-8"))
    q = BANK.question(DAC)
    assert sorted(s.id for s in q.fluency_signals) == sorted(FLUENCY_EXAMPLES)
    for s in q.fluency_signals:
        assert f'"{_plain(s.phrase)}"' in seed, s.id
        assert _plain(FLUENCY_EXAMPLES[s.id]) in seed, s.id


# --------------------------------------------------------------------------- (1) mistakes are caught


@pytest.mark.parametrize(("qid", "mid"), list(_mistake_params()))
def test_mistake_sounds_like_is_caught(qid, mid):
    q = BANK.question(qid)
    mistake = next(m for m in q.mistakes if m.id == mid)
    level = _level_for(q, mistake)
    section, _ = MISTAKE_CASES[qid][mid]
    clean = score_text(_answer_text(q, level), q, level, BANK.rubric)
    assert _finding(clean.findings, mid).passed, "the model answer alone should pass"
    said = mistake.sounds_like
    answer = score_text(_answer_text(q, level, insert=(section, said)), q, level, BANK.rubric)
    f = _finding(answer.findings, mid)
    if mistake.check.params["unless"]:
        # heard, and cleared because the model answer also does what answers it (unless:)
        assert f.passed and "your answer also shows" in f.message, f
        return
    assert not f.passed
    assert _quotes(f, said), [e.text for e in f.evidence]


@pytest.mark.parametrize(("qid", "mid", "text"), list(_paraphrase_params()))
def test_mistake_paraphrase_is_caught(qid, mid, text):
    q = BANK.question(qid)
    mistake = next(m for m in q.mistakes if m.id == mid)
    level = _level_for(q, mistake)
    section, _ = MISTAKE_CASES[qid][mid]
    answer = score_text(_answer_text(q, level, insert=(section, text)), q, level, BANK.rubric)
    f = _finding(answer.findings, mid)
    if mistake.check.params["unless"]:
        assert f.passed and "your answer also shows" in f.message, f
        return
    assert not f.passed
    assert _quotes(f, text), [e.text for e in f.evidence]


@pytest.mark.parametrize(("qid", "mid", "model_level", "asked_at"), [
    (DAC, "em-scope-at-director", "em", "director"),
    (DAC, "director-scope-at-em", "director", "em"),
])
def test_scope_mistakes_flag_the_other_levels_model_answer(qid, mid, model_level, asked_at):
    q = BANK.question(qid)
    answer = score_text(_answer_text(q, model_level), q, asked_at, BANK.rubric)
    assert not _finding(answer.findings, mid).passed
    # and the mistake is level-filtered: it does not run at the model answer's own level
    own = score_text(_answer_text(q, model_level), q, model_level, BANK.rubric)
    assert not [f for f in own.findings if f.id == mid]


# --------------------------------------------------------------------------- (2) model answers pass


@pytest.mark.parametrize(("qid", "level", "labelled", "check_id"), list(_model_check_params()))
def test_model_answer_passes(qid, level, labelled, check_id):
    f = _finding(_scored_model(qid, level, labelled).findings, check_id)
    assert f.passed, f"{f.message}: {[e.text for e in f.evidence]}"


def _question_check_params():
    for qid in (DAC, AI):
        for c in BANK.question(qid).checks:
            yield pytest.param(qid, c.id, id=f"{qid}/{c.id}")


@pytest.mark.parametrize(("qid", "check_id"), list(_question_check_params()))
def test_question_check_fails_on_a_bad_answer(qid, check_id):
    q = BANK.question(qid)
    level, text = BAD_ANSWERS[qid]
    assert not _finding(score_text(text, q, level, BANK.rubric).findings, check_id).passed


# --------------------------------------------------------------------------- (3) fluency signals


@pytest.mark.parametrize("sid", sorted(FLUENCY_EXAMPLES))
def test_fluency_signal_recognised(sid):
    q = BANK.question(DAC)
    signal = next(s for s in q.fluency_signals if s.id == sid)
    for text in (signal.phrase, FLUENCY_EXAMPLES[sid]):
        f = _finding(score_text(text, q, "em", BANK.rubric).findings, sid)
        assert f.passed, text
        assert f.severity == "info"


def test_fluency_signals_do_not_fire_on_an_unrelated_answer():
    q = BANK.question(DAC)
    other = BANK.question(AI)
    answer = score_text(_answer_text(other, "mid"), q, "em", BANK.rubric)
    fired = [f.id for f in answer.findings if f.category == "fluency" and f.passed]
    assert fired == []


# --------------------------------------------------------------------------- (4) follow-ups


@pytest.mark.parametrize(("qid", "fid", "aid"), list(_avoid_params()))
def test_follow_up_avoid_is_caught(qid, fid, aid):
    q = BANK.question(qid)
    follow_up = q.follow_up(fid)
    for text in (follow_up.avoid_sounds_like[aid], AVOID_PARAPHRASES[aid]):
        f = _finding(score_follow_up_text(text, q, fid, None), aid)
        assert not f.passed, text
        assert _quotes(f, text), [e.text for e in f.evidence]


@pytest.mark.parametrize(("qid", "fid"), sorted(FOLLOW_UP_GOOD))
def test_follow_up_good_answer_passes(qid, fid):
    q = BANK.question(qid)
    findings = score_follow_up_text(FOLLOW_UP_GOOD[(qid, fid)], q, fid, None)
    assert findings, "every follow-up has at least one avoid check"
    assert [(f.id, [e.text for e in f.evidence]) for f in findings if not f.passed] == []


def test_every_follow_up_has_cases():
    pairs = {(qid, f.id) for qid in (DAC, AI) for f in BANK.question(qid).follow_ups}
    assert pairs == set(FOLLOW_UP_GOOD)
    avoids = {a.id for qid in (DAC, AI) for f in BANK.question(qid).follow_ups for a in f.avoid}
    assert avoids == set(AVOID_PARAPHRASES)


def _topical_checks() -> list:
    return [c for q in BANK.questions.values() for c in (*q.all_checks(), *(a for f in q.follow_ups for a in f.avoid))
            if c.params.get("topic")] + [c for c in BANK.rubric.checks if c.params.get("topic")]


def test_a_checks_topic_covers_its_own_examples():
    # a topic drops meaning matches whose clause does not say it: an example that does not say it
    # either would teach the probe what the topic then throws away
    checks = _topical_checks()
    assert checks, "no check has a topic any more: drop this test or the field"
    for c in checks:
        off = [e for e in c.params["examples"] if not any(re.search(p, e, re.I) for p in c.params["topic"])]
        assert not off, f"{c.id}: examples off its topic: {off}"


def test_the_same_call_again_is_a_justification_only_without_a_but():
    check = next(m for m in BANK.question(AI).mistakes if m.id == "justifying-poor-judgment").check
    said = "I would make the same decision again."
    hedged = ["I'd make the same call again, but I'd ring her first.", "I'd make the same call again and I'd tell her sooner."]

    def hit(text: str) -> bool:
        return any(re.search(p, text, re.I) for p in check.params["patterns"])

    assert hit(said) and hit("I'd do exactly the same again, no question.")
    assert hit("I'd do exactly the same again if I'm honest.") and hit("I'd make the same call again, with no hesitation.")
    assert not any(hit(h) for h in hedged)
