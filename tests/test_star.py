"""STAR segmentation (starcoach.star): shape, order, signposts, accuracy, order problems."""

from __future__ import annotations

import ast
import json
import random
import re
import time
from pathlib import Path

import pytest

from starcoach.records import SECTION_NAMES, Word
from starcoach.star import label_words, order_problems, split_sections

DEV = Path("/work/shared/eval/star_dev.jsonl")
HOLDOUT = Path(__file__).parent / "data" / "star_holdout.jsonl"
SRC = Path(__file__).resolve().parents[1] / "src" / "starcoach"
ORDER = {name: i for i, name in enumerate(SECTION_NAMES)}


def words_of(text: str, gap_after_sentence: float = 0.0) -> list[Word]:
    """Synthetic times: 0.4 s per word, plus an optional pause after each sentence end."""
    out, t = [], 0.0
    for tok in text.split():
        out.append(Word(tok, t, t + 0.35))
        t += 0.4 + (gap_after_sentence if re.search(r"[.!?]$", tok) else 0.0)
    return out


def load(path: Path) -> list[dict]:
    if not path.exists():
        pytest.skip(f"{path} not found")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gold_words(answer: dict, strip: bool = False, gap: float = 0.0) -> tuple[list[Word], list[str]]:
    words, gold = [], []
    for name in SECTION_NAMES:
        text = answer[name]
        if strip:
            text = " ".join(t for t in (re.sub(r"[^\w'%$]", "", w.lower()) for w in text.split()) if t)
        ws = words_of(text)
        words.extend(ws)
        gold.extend([name] * len(ws))
    # re-time the whole answer so times run on across sections
    if strip and gap:
        raw = " ".join(answer[n] for n in SECTION_NAMES).split()
        t, timed = 0.0, []
        for w, r in zip(words, raw, strict=False):
            timed.append(Word(w.text, t, t + 0.35))
            t += 0.4 + (gap if re.search(r"[.!?]$", r) else 0.0)
        words = timed
    else:
        words = [Word(w.text, 0.4 * i, 0.4 * i + 0.35) for i, w in enumerate(words)]
    return words, gold


def accuracy(pred: list[str], gold: list[str]) -> float:
    return sum(p == g for p, g in zip(pred, gold, strict=False)) / len(gold)


def mean_accuracy(answers: list[dict], **kw) -> float:
    accs = []
    for a in answers:
        words, gold = gold_words(a, **kw)
        accs.append(accuracy(label_words(words), gold))
    return sum(accs) / len(accs)


def assert_well_formed(words: list[Word], labels: list[str]) -> None:
    assert len(labels) == len(words)
    assert all(lab in SECTION_NAMES for lab in labels)
    idx = [ORDER[lab] for lab in labels]
    assert idx == sorted(idx), "labels go back in STAR order"


def first(labels: list[str], name: str) -> int:
    return labels.index(name)


# --- shape and order ---------------------------------------------------------------------


def test_empty_input():
    assert label_words([]) == []
    sections = split_sections([])
    assert [s.name for s in sections] == list(SECTION_NAMES)
    assert all(s.word_count == 0 for s in sections)
    assert order_problems([], []) == []


def test_single_sentence_stays_in_one_section():
    words = words_of("I rewrote the deployment script so that releases took ten minutes instead of an hour.")
    labels = label_words(words)
    assert_well_formed(words, labels)
    assert len(set(labels)) == 1


def test_single_word():
    words = words_of("Hello.")
    labels = label_words(words)
    assert_well_formed(words, labels)


def test_every_word_one_section_in_order_on_all_answers():
    for a in load(DEV) + load(HOLDOUT):
        words, _ = gold_words(a)
        assert_well_formed(words, label_words(words))


def test_random_token_soup_is_well_formed():
    rng = random.Random(7)
    vocab = ["I", "we", "the", "result", "was", "so", "and", "um,", "Situation:", "[T]", "fixed.",
             "—", "", "...", "3%", "then", "learned", "Task:", "(A)", "team.", "a", "e.g.", ":"]
    for n in (1, 2, 5, 40, 300):
        words = [Word(rng.choice(vocab), 0.4 * i, 0.4 * i + rng.choice([0.1, 0.35])) for i in range(n)]
        labels = label_words(words)
        assert_well_formed(words, labels)
        assert isinstance(order_problems(words, labels), list)


def test_split_sections_matches_labels():
    text = (
        "Last spring our checkout page was timing out for about one in twenty customers. "
        "I was responsible for the payments service, so I had to find the cause before the sale. "
        "I profiled the service, found a slow database query, and added an index. "
        "Then I set up an alert on checkout latency. "
        "As a result, timeouts dropped to almost zero and the sale went smoothly."
    )
    words = words_of(text)
    labels = label_words(words)
    sections = split_sections(words)
    assert [s.name for s in sections] == list(SECTION_NAMES)
    assert [w for s in sections for w in s.words] == words
    for s in sections:
        assert all(labels[words.index(w)] == s.name for w in s.words)
    # each of the four sentences-groups lands where it belongs
    assert sections[0].text.startswith("Last spring")
    assert sections[1].text.startswith("I was responsible")
    assert sections[2].text.startswith("I profiled")
    assert sections[3].text.startswith("As a result")


# --- signposts ---------------------------------------------------------------------------

LONG_BACKGROUND = (
    "I joined a small logistics company as its second engineer. The company had grown quickly "
    "and the warehouse software was written by a contractor years earlier. Orders were often "
    "shipped twice, returns were tracked in a spreadsheet, and the support team spent their "
    "mornings fixing data by hand. There were no tests and the deploys were done by copying "
    "files to the server. The founders were worried because a large retailer was about to "
    "sign with us and would triple our order volume. "
)


def test_signposts_move_boundaries_where_they_say():
    text = (
        LONG_BACKGROUND
        + "My task was to make the system safe for that volume within two months. "
        + "What I did was add tests around the order flow and automate the deploys. "
        + "I also moved returns into the database. "
        + "The result was that double shipments stopped completely and the retailer signed. "
        + "Support got their mornings back, and the founders later asked me to lead a team of four. "
        + "What I learned is that a few tests in the right place buy a lot of confidence."
    )
    words = words_of(text)
    labels = label_words(words)
    assert_well_formed(words, labels)
    toks = [w.text for w in words]
    assert labels[toks.index("My")] == "task" and labels[toks.index("My") - 1] == "situation"
    what = toks.index("What")
    assert labels[what] == "action" and labels[what - 1] == "task"
    res = toks.index("result")
    assert labels[res - 1] == "result" and labels[res - 2] == "action"  # "The result was"
    # the situation here is ~40% of the answer and the result ~30%: far from the usual shares
    assert labels.count("situation") > 0.35 * len(words)
    assert labels.count("result") > 0.25 * len(words)


def test_spoken_labels_are_followed():
    text = (
        "Situation: our team ran the mobile app for a bank and the app store rating had fallen to two stars. "
        "Task: I was asked to find out why and fix the worst problems within a quarter. "
        "Action: I read five hundred reviews, grouped them, and found that login failures caused most of them. "
        "I worked with the identity team to add biometric login and better error messages. "
        "Result: the rating went back up to four point five stars within three months."
    )
    words = words_of(text)
    labels = label_words(words)
    for tok, name in (("Situation:", "situation"), ("Task:", "task"), ("Action:", "action"), ("Result:", "result")):
        i = [w.text for w in words].index(tok)
        assert labels[i] == name
        if i:
            assert labels[i - 1] != name
    bracketed = words_of(re.sub(r"\b(Situation|Task|Action|Result):", lambda m: f"[{m.group(1)[0]}]", text))
    assert label_words(bracketed) == labels


def test_signpost_inside_a_run_on_sentence():
    text = (
        "so we had this legacy billing system that kept double charging customers, and it was getting "
        "worse every month, and so my job was to figure out where the duplicates came from, and "
        "what I did was I pulled every duplicate charge from the last year and I traced each one back, "
        "and I found they all came from retries after a timeout, so I added an idempotency key to "
        "every charge, and the result was no duplicate charges in the six months since."
    )
    words = words_of(text)
    labels = label_words(words)
    toks = [w.text for w in words]
    job = toks.index("job")
    assert labels[job] == "task" and labels[toks.index("legacy")] == "situation"
    assert labels[toks.index("pulled")] == "action"
    assert labels[toks.index("since.")] == "result" and labels[toks.index("idempotency")] == "action"


# --- no punctuation ----------------------------------------------------------------------


def test_unpunctuated_transcript():
    text = (
        "so um at my old job we had a problem where the nightly reports failed like twice a week and "
        "nobody knew why and the sales team was really annoyed about it and my manager asked me to "
        "own it and get it stable by the end of the month so first i added logging to every step and "
        "i found that it always failed when the export from the crm took longer than an hour so i "
        "changed the job to start after the export finished instead of at a fixed time and i added a "
        "retry and an alert and after that the reports did not fail once in three months and the "
        "sales team stopped complaining"
    )
    words = words_of(text)
    labels = label_words(words)
    assert_well_formed(words, labels)
    toks = [w.text for w in words]
    assert labels[toks.index("nightly")] == "situation"
    assert labels[toks.index("logging")] == "action"
    assert labels[len(toks) - 1] == "result"
    assert set(labels) == set(SECTION_NAMES)


def test_unpunctuated_answers_accuracy():
    dev = load(DEV)
    hold = load(HOLDOUT)
    # lower case, no punctuation, no pauses (measured 0.915 dev, 0.896 hold-out)
    assert mean_accuracy(dev, strip=True) >= 0.88
    assert mean_accuracy(hold, strip=True) >= 0.87
    # the same with a pause after each spoken sentence (measured 0.956 dev)
    assert mean_accuracy(dev, strip=True, gap=0.6) >= 0.93


# --- accuracy ----------------------------------------------------------------------------


def test_dev_accuracy():
    # measured 0.963; the fixed 10/10/65/15 split scores 0.661; required >= 0.85
    assert mean_accuracy(load(DEV)) >= 0.95


def test_holdout_accuracy():
    answers = load(HOLDOUT)
    assert len(answers) >= 10
    # measured 0.980; required >= 0.80
    assert mean_accuracy(answers) >= 0.96
    for a in answers:
        words, gold = gold_words(a)
        assert accuracy(label_words(words), gold) >= 0.85, a["id"]


def test_holdout_file_is_well_formed():
    answers = load(HOLDOUT)
    ids = [a["id"] for a in answers]
    assert len(ids) == len(set(ids))
    for a in answers:
        assert set(a) >= {"id", "question", "level", "situation", "task", "action", "result", "source"}
        assert a["source"] == "written for starcoach tests"
        assert all(a[n].strip() for n in SECTION_NAMES)


def test_missing_result_is_not_invented():
    # Situation, task and action only: the position prior alone would call the last fifth of
    # the words a result (measured share without the evidence check: 0.14; with it: 0.04).
    shares = []
    for a in load(DEV) + load(HOLDOUT):
        a = dict(a, result="")
        words, _ = gold_words(a)
        labels = label_words(words)
        shares.append(labels.count("result") / len(labels))
    assert sum(shares) / len(shares) <= 0.07
    # ... while a real, tiny result is still found
    words = words_of(
        "Our team had no on-call rota and incidents were handled by whoever noticed. "
        "I was asked to set one up. I wrote a runbook, set up a weekly rota and ran two practice drills. "
        "Since then every incident has been picked up within five minutes."
    )
    labels = label_words(words)
    assert labels[-1] == "result" and labels[[w.text for w in words].index("Since")] == "result"


# --- order problems ----------------------------------------------------------------------


def test_no_order_problems_on_clean_answers():
    for a in load(DEV) + load(HOLDOUT):
        words, gold = gold_words(a)
        assert order_problems(words, label_words(words)) == [], a["id"]
        assert order_problems(words, gold) == [], a["id"]


def test_result_first_is_an_order_problem():
    text = (
        "The result was that we cut the bill by forty percent and nobody noticed any slowdown. "
        "Our cloud costs had doubled in a year and the finance team was asking questions. "
        "I was asked to bring them down without hurting performance. "
        "I went through every service, turned off idle machines, and moved batch jobs to cheaper instances."
    )
    words = words_of(text)
    labels = label_words(words)
    assert labels[0] != "result"  # the answer still starts with its situation
    problems = order_problems(words, labels)
    assert len(problems) == 1
    assert problems[0].text.startswith("The result was")
    assert problems[0].start == 0.0 and problems[0].end == words[15].end


def test_as_a_result_first_is_an_order_problem_but_as_a_result_of_is_not():
    tail = (
        " Our cloud costs had doubled in a year and the finance team was asking questions. "
        "I was asked to bring them down. I turned off idle machines and moved batch jobs to cheaper instances."
    )
    words = words_of("As a result, the bill fell by forty percent." + tail)
    assert len(order_problems(words, label_words(words))) == 1
    words = words_of("As a result of a reorganisation, I inherited a team of six." + tail)
    assert order_problems(words, label_words(words)) == []


def test_situation_after_action_is_an_order_problem():
    text = (
        "I was asked to fix our flaky test suite. I found the forty worst tests and fixed the ten that failed most. "
        "Then I moved the rest to a separate job. The situation was that one build in five failed for no reason. "
        "After a month, builds failed less than three percent of the time."
    )
    words = words_of(text)
    problems = order_problems(words, label_words(words))
    assert [p.text for p in problems] == ["The situation was that one build in five failed for no reason."]
    # an outcome phrased with the same words is not a signpost
    clean = text.replace(
        "The situation was that one build in five failed for no reason. ",
        "The situation was resolved within a week. ",
    )
    words = words_of(clean)
    assert order_problems(words, label_words(words)) == []


def test_labels_out_of_order_are_reported():
    text = (
        "[R] We shipped on time. [S] Our release had slipped twice. "
        "[T] I had to get it out by Friday. [A] I cut two features and paired with the tester."
    )
    words = words_of(text)
    problems = order_problems(words, label_words(words))
    assert [p.text for p in problems] == ["[R] We shipped on time."]
    words = words_of(text.replace("[R] We shipped on time. ", "") + " [R] We shipped on time.")
    assert order_problems(words, label_words(words)) == []
    # labels obeyed by the labelling but said in the wrong order
    words = words_of("[S] Our release had slipped twice. [A] I cut two features. [T] I had to ship by Friday.")
    assert [p.text for p in order_problems(words, ["situation"] * 6 + ["action"] * 12)] == [
        "[T] I had to ship by Friday."
    ]


def test_order_problems_checks_its_input():
    words = words_of("I fixed it.")
    with pytest.raises(ValueError):
        order_problems(words, ["action"])
    with pytest.raises(ValueError):
        order_problems(words, ["action", "action", "nonsense"])


# --- speed and purity --------------------------------------------------------------------


def test_thousand_words_well_under_50_ms():
    answers = load(DEV)
    text = " ".join(" ".join(a[n] for n in SECTION_NAMES) for a in answers).split()[:1000]
    words = words_of(" ".join(text))
    label_words(words)
    best = min(_timed(words) for _ in range(5))
    assert best < 0.050


def _timed(words: list[Word]) -> float:
    t0 = time.perf_counter()
    label_words(words)
    return time.perf_counter() - t0


def test_a_number_with_thousands_stays_whole_in_the_clause_text():
    from starcoach.star_clauses import ClauseText, word_form

    # Fixed with the one normaliser: commas split "1,000,000" into "1 000 000", and the repeated
    # "000" was then collapsed as a stutter, leaving "$1 000".
    assert ClauseText([word_form(w) for w in "we saved $1,000,000 in 2024.".split()]).full == "we saved $1,000,000 in 2024"


def test_pure_imports():
    allowed = {"__future__", "bisect", "itertools", "math", "re", "collections", "dataclasses", "numpy",
               "starcoach", "starcoach.records", "starcoach.star_cues", "starcoach.star_clauses", "starcoach.text",
               "collections.abc", "typing"}
    for name in ("star.py", "star_clauses.py", "star_cues.py"):
        tree = ast.parse((SRC / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            else:
                continue
            for m in mods:
                assert m in allowed, f"{name} imports {m}"
