import itertools

import pytest

from starcoach.records import SECTION_NAMES, Section, Word, sections_from_labels
from starcoach.timing import (
    COMMA_PAUSE_S,
    DEFAULT_WPM,
    MAX_PAUSE_SHARE,
    SENTENCE_PAUSE_S,
    estimate_word_times,
    syllables,
    time_sections,
    verdict,
)

SECTION_TARGETS = {"situation": (10, 20), "task": (5, 15), "action": (30, 60), "result": (10, 20)}
SHARE_TARGETS = {
    "situation": (0.1, 0.25),
    "task": (0.05, 0.2),
    "action": (0.4, 0.7),
    "result": (0.1, 0.3),
}


def spaced_words(n: int, start: float, step: float) -> list[Word]:
    return [Word(f"w{i}", start + i * step, start + i * step + step * 0.8) for i in range(n)]


def answer(lengths: dict[str, float]) -> list[Section]:
    """Sections of 5 words each, lasting the given seconds (0 -> empty), back to back."""
    words, labels = [], []
    t = 0.0
    for name in SECTION_NAMES:
        length = lengths.get(name, 0.0)
        if length:
            words += spaced_words(5, t, length / 5)
            labels += [name] * 5
            t += length
    return sections_from_labels(words, labels)


def timed(lengths: dict[str, float], total=(60, 120), **kw):
    return time_sections(
        answer(lengths),
        section_targets=SECTION_TARGETS,
        share_targets=SHARE_TARGETS,
        total_target=total,
        **kw,
    )


# --- verdict -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10.0, ("ok", 0.0)),  # exactly on the minimum
        (20.0, ("ok", 0.0)),  # exactly on the maximum
        (15.0, ("ok", 0.0)),
        (7.5, ("short", -2.5)),
        (23.0, ("long", 3.0)),
    ],
)
def test_verdict_bounds_and_gap_signs(value, expected):
    assert verdict(value, 10.0, 20.0) == expected


def test_verdict_on_boundary_survives_float_sums():
    assert verdict(0.1 + 0.2, 0.0, 0.3) == ("ok", 0.0)  # 0.30000000000000004


def test_verdict_rejects_inverted_target():
    with pytest.raises(ValueError):
        verdict(5, 10, 1)


# --- time_sections ---------------------------------------------------------------------


def test_sections_get_verdicts_and_gaps():
    t = timed({"situation": 8, "task": 10, "action": 70, "result": 12})
    assert t.section("situation").verdict == "short"
    assert t.section("situation").gap_s == pytest.approx(-2.0)
    assert t.section("task").verdict == "ok"
    assert t.section("task").gap_s == 0.0
    assert t.section("action").verdict == "long"
    assert t.section("action").gap_s == pytest.approx(10.0)
    assert t.section("result").verdict == "ok"
    assert [s.name for s in t.sections] == list(SECTION_NAMES)


def test_speaking_time_runs_to_next_section_and_counts_words():
    t = timed({"situation": 12, "task": 8, "action": 40, "result": 15})
    s = t.section("situation")
    assert (s.start, s.end, s.speaking_s, s.word_count) == pytest.approx((0, 12, 12, 5))
    assert t.section("result").end == pytest.approx(12 + 8 + 40 + 15 - 0.6)  # last word's end


def test_shares_sum_to_one_and_get_verdicts():
    t = timed({"situation": 30, "task": 10, "action": 40, "result": 20})
    assert sum(s.share for s in t.sections) == pytest.approx(1.0)
    assert t.section("situation").share == pytest.approx(30 / t.total_s)
    assert t.section("situation").share_verdict == "long"  # ~0.30 > 0.25
    assert t.section("action").share_verdict == "ok"
    assert t.section("action").share_min == 0.4


def test_empty_section_is_short_with_negative_gap():
    t = timed({"situation": 15, "action": 40, "result": 15})
    task = t.section("task")
    assert task.word_count == 0
    assert task.speaking_s == 0.0
    assert task.verdict == "short"
    assert task.gap_s == pytest.approx(-5.0)
    assert task.share == 0.0
    assert task.share_verdict == "short"


def test_empty_section_is_short_even_when_target_allows_zero():
    targets = dict(SECTION_TARGETS, task=(0, 15))
    t = time_sections(
        answer({"situation": 15, "action": 40, "result": 15}),
        section_targets=targets,
        share_targets=dict(SHARE_TARGETS, task=(0.0, 0.2)),
        total_target=(60, 120),
    )
    assert t.section("task").verdict == "short"


def test_total_is_first_word_to_last_and_gets_verdict():
    t = timed({"situation": 15, "task": 10, "action": 40, "result": 15})
    assert t.total_s == pytest.approx(80 - 0.6)  # last word ends 0.6 s before its slot ends
    assert t.total_s == pytest.approx(sum(s.speaking_s for s in t.sections))
    assert (t.total_verdict, t.total_gap_s) == ("ok", 0.0)
    short = timed({"situation": 15, "task": 10, "action": 20, "result": 5}, total=(60, 120))
    assert short.total_verdict == "short"
    assert short.total_gap_s < 0
    long = timed({"situation": 15, "task": 10, "action": 40, "result": 15}, total=(30, 60))
    assert long.total_verdict == "long"
    assert long.total_gap_s == pytest.approx(80 - 0.6 - 60)


def test_estimated_flag_is_carried():
    lengths = {"situation": 15, "task": 10, "action": 40, "result": 15}
    assert timed(lengths).estimated is False
    assert timed(lengths, estimated=True).estimated is True
    assert timed(lengths, estimated=True).to_dict()["estimated"] is True


def test_no_words_gives_zero_total_and_all_short():
    t = time_sections(
        sections_from_labels([], []),
        section_targets=SECTION_TARGETS,
        share_targets=SHARE_TARGETS,
        total_target=(60, 120),
    )
    assert t.total_s == 0.0
    assert t.total_verdict == "short"
    assert {s.verdict for s in t.sections} == {"short"}


def test_missing_target_and_unknown_section_raise():
    sections = answer({"situation": 15, "task": 10, "action": 40, "result": 15})
    with pytest.raises(ValueError, match="result"):
        time_sections(
            sections,
            section_targets={k: v for k, v in SECTION_TARGETS.items() if k != "result"},
            share_targets=SHARE_TARGETS,
            total_target=(60, 120),
        )
    with pytest.raises(ValueError, match="unknown"):
        time_sections(
            [*sections, Section("summary", (), 0, 0)],
            section_targets=SECTION_TARGETS,
            share_targets=SHARE_TARGETS,
            total_target=(60, 120),
        )


def test_section_lookup_unknown_name_raises():
    with pytest.raises(KeyError):
        timed({"situation": 15}).section("summary")


# --- estimate_word_times -------------------------------------------------------------

SENTENCE = "We moved the billing service, which handled payments, onto the new cluster."


def two_hundred_words() -> str:
    words = []
    while len(words) < 200:
        words += SENTENCE.split()
    text = " ".join(words[:200])
    assert len(text.split()) == 200
    return text


@pytest.mark.parametrize("wpm", [DEFAULT_WPM, 120.0, 180.0])
def test_pace_over_200_words_is_wpm(wpm):
    words = estimate_word_times(two_hundred_words(), wpm=wpm)
    span_min = (words[-1].end - words[0].start) / 60
    assert len(words) / span_min == pytest.approx(wpm, rel=0.02)


def test_words_kept_as_given_with_punctuation_and_labels():
    text = "Situation: I led   the team,\nwell."
    assert [w.text for w in estimate_word_times(text)] == [
        "Situation:",
        "I",
        "led",
        "the",
        "team,",
        "well.",
    ]


def test_times_start_at_zero_increase_and_never_overlap():
    words = estimate_word_times(two_hundred_words())
    assert words[0].start == 0.0
    for a, b in itertools.pairwise(words):
        assert a.start < a.end <= b.start
        assert b.start > a.start


def test_sentence_pause_longer_than_comma_pause():
    assert SENTENCE_PAUSE_S > COMMA_PAUSE_S > 0
    words = estimate_word_times("we moved, the billing service onto the new cluster. it worked")
    after_comma = words[2].start - words[1].end
    after_stop = words[9].start - words[8].end
    no_pause = words[3].start - words[2].end
    assert no_pause == pytest.approx(0.0)
    assert after_comma == pytest.approx(COMMA_PAUSE_S)
    assert after_stop == pytest.approx(SENTENCE_PAUSE_S)
    assert after_stop > after_comma


def test_question_and_exclamation_end_sentences():
    text = 'Why did it fail? Because "the cache broke!" and then we rolled back'
    words = estimate_word_times(text)
    assert words[3].text == "fail?"
    assert words[4].start - words[3].end == pytest.approx(SENTENCE_PAUSE_S)
    assert words[7].text == 'broke!"'
    assert words[8].start - words[7].end == pytest.approx(SENTENCE_PAUSE_S)


def test_many_tiny_sentences_still_keep_the_pace():
    words = estimate_word_times("Yes. No. Done. Fine. Okay. Sure.", wpm=150)
    assert words[-1].end == pytest.approx(6 * 60 / 150)
    assert all(w.duration > 0 for w in words)
    silence = sum(b.start - a.end for a, b in itertools.pairwise(words))
    assert silence == pytest.approx(MAX_PAUSE_SHARE * 6 * 60 / 150)  # pauses shrunk to the cap


def test_longer_words_take_longer():
    words = estimate_word_times("a responsibility cat infrastructure")
    assert words[1].duration > 3 * words[0].duration
    assert words[3].duration > words[2].duration


def test_syllable_estimates():
    assert syllables("cat") == 1
    assert syllables("make") == 1  # silent e
    assert syllables("table") == 2
    assert syllables("responsibility") == 6
    assert syllables("2019") == 4
    assert syllables("—") == 1


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_gives_no_words(text):
    assert estimate_word_times(text) == []


def test_bad_wpm_raises():
    with pytest.raises(ValueError):
        estimate_word_times("hello there", wpm=0)
