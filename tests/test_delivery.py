import json

import pytest

from starcoach.delivery import (
    FILLERS,
    HEDGES,
    LONG_PAUSE_S,
    Delivery,
    measure_delivery,
)
from starcoach.records import Evidence, Word, sections_from_labels


def words_at(text: str, step: float = 0.5, length: float = 0.4, start: float = 0.0) -> list[Word]:
    """One word every `step` seconds, each `length` long."""
    return [
        Word(t, start + i * step, start + i * step + length) for i, t in enumerate(text.split())
    ]


def measure(text: str, **kw) -> Delivery:
    words = words_at(text)
    return measure_delivery(words, sections_from_labels(words, ["situation"] * len(words)), **kw)


def texts(items) -> list[str]:
    return [e.text for e in items]


# --- pace ----------------------------------------------------------------------------


def test_wpm_over_the_answer_span():
    # 20 words, one every 0.5 s, last ends at 9.5 + 0.4 = 9.9 s -> 20 / 9.9 * 60
    d = measure(" ".join(["word"] * 20))
    assert d.wpm == pytest.approx(20 / 9.9 * 60)


def test_wpm_ignores_silence_before_the_first_word():
    words = words_at("a b c d", step=1.0, length=1.0, start=30.0)  # span 30 -> 34 s
    assert measure_delivery(words, []).wpm == pytest.approx(60.0)


def test_section_wpm_over_each_sections_own_time():
    # situation: 4 words at 1 per s (0-4 s, ends where task starts);
    # task: 6 words at 2 per s (4-7 s, last word ends at 6.5 + 0.5 = 7.0)
    words = words_at("a b c d", step=1.0, length=0.5) + words_at(
        "e f g h i j", step=0.5, length=0.5, start=4.0
    )
    sections = sections_from_labels(words, ["situation"] * 4 + ["task"] * 6)
    d = measure_delivery(words, sections)
    assert d.section_wpm["situation"] == pytest.approx(60.0)
    assert d.section_wpm["task"] == pytest.approx(120.0)
    assert d.section_wpm["action"] == 0.0
    assert d.section_wpm["result"] == 0.0
    assert d.wpm == pytest.approx(10 / 7 * 60)


# --- pauses --------------------------------------------------------------------------


def test_two_second_gap_is_a_long_pause_one_second_is_not():
    words = [
        Word("We", 0.0, 0.3),
        Word("shipped.", 0.3, 0.8),
        Word("Then", 2.8, 3.1),  # 2.0 s after "shipped."
        Word("we", 3.1, 3.3),
        Word("measured", 4.3, 4.8),  # 1.0 s after "we"
        Word("it.", 4.8, 5.0),
    ]
    sections = sections_from_labels(words, ["action"] * 2 + ["result"] * 4)
    d = measure_delivery(words, sections)
    assert len(d.long_pauses) == 1
    p = d.long_pauses[0]
    assert (p.start, p.end, p.duration) == pytest.approx((0.8, 2.8, 2.0))
    assert (p.before, p.after, p.section) == ("shipped.", "Then", "action")
    assert d.longest_pause_s == pytest.approx(2.0)
    assert d.long_pause_s == LONG_PAUSE_S


def test_pause_threshold_is_inclusive_and_configurable():
    words = [Word("a", 0.0, 0.5), Word("b", 1.5, 2.0), Word("c", 2.0, 2.5)]
    assert len(measure_delivery(words, [], long_pause_s=1.0).long_pauses) == 1
    assert measure_delivery(words, [], long_pause_s=1.0).long_pauses[0].section == ""
    assert measure_delivery(words, [], long_pause_s=1.01).long_pauses == ()


def test_pause_in_a_later_section():
    words = words_at("a b c", step=0.5) + words_at("d e", start=5.0)
    sections = sections_from_labels(words, ["situation", "task", "task", "result", "result"])
    (p,) = measure_delivery(words, sections).long_pauses
    assert (p.before, p.after, p.section) == ("c", "d", "task")


# --- fillers and hedges ---------------------------------------------------------------


def test_fillers_found_with_times_ignoring_case_and_punctuation():
    d = measure("So um we Uh, rebuilt it uh... fast")
    assert texts(d.fillers) == ["um", "Uh,", "uh..."]
    assert d.fillers[0] == Evidence("um", 0.5, 0.9)
    assert d.fillers[1] == Evidence("Uh,", 1.5, 1.9)


def test_a_filler_glued_to_a_word_by_punctuation_is_found():
    # Fixed with the one normaliser: only the edges were stripped, so "So,um" was one token.
    assert texts(measure("So,um we rebuilt it").fillers) == ["So,um"]


def test_you_know_is_one_two_word_filler():
    d = measure("It was, you know, a hard week")
    assert d.fillers == (Evidence("you know,", 1.0, 1.9),)


def test_you_know_as_a_real_verb_is_not_a_filler():
    assert measure("Do you know why it failed").fillers == ()
    assert measure("I will let you know tomorrow").fillers == ()


def test_hyphenated_filler_is_one_filler():
    d = measure("She said uh-huh and left")
    assert texts(d.fillers) == ["uh-huh"]
    assert d.repeats == ()


def test_hedges_i_think_and_sort_of():
    d = measure("I think we sort of fixed it")
    assert texts(d.hedges) == ["I think", "sort of"]
    assert d.hedges[0] == Evidence("I think", 0.0, 0.9)
    assert d.hedges[1] == Evidence("sort of", 1.5, 2.4)
    assert d.fillers == ()


def test_kind_of_after_a_determiner_is_content():
    assert measure("It was a different kind of outage").hedges == ()
    assert texts(measure("It was kind of slow").hedges) == ["kind of"]


def test_like_and_just_are_not_counted():
    assert "like" not in FILLERS and "just" not in HEDGES
    d = measure("I just like tools like Jira")
    assert d.fillers == () and d.hedges == ()


def test_rates_per_minute_over_the_span():
    # 30 words over 14.9 s with 3 fillers and 2 hedges
    content = [f"w{i}" for i in range(25)]
    text = " ".join(
        ["um", *content[:10], "uh", "maybe", *content[10:20], "erm", "probably", *content[20:]]
    )
    d = measure(text)
    assert len(text.split()) == 30
    assert len(d.fillers) == 3 and len(d.hedges) == 2
    span = 29 * 0.5 + 0.4
    assert d.fillers_per_min == pytest.approx(3 / span * 60)
    assert d.hedges_per_min == pytest.approx(2 / span * 60)


# --- repeats -------------------------------------------------------------------------


def test_immediate_repeats_found():
    d = measure("I I led the the migration and we we went live")
    assert texts(d.repeats) == ["I I", "the the", "we we"]
    assert d.repeats[0] == Evidence("I I", 0.0, 0.9)


def test_repeats_inside_hyphenated_or_dashed_words():
    d = measure("I—I led it, we-we went live")
    assert texts(d.repeats) == ["I—I", "we-we"]


def test_repeats_across_punctuation_and_of_phrases():
    d = measure("I, I said in the in the end")
    assert texts(d.repeats) == ["I, I", "in the in the"]


def test_that_that_and_had_had_are_grammatical():
    # "I knew that that was wrong": conjunction + demonstrative, not a stutter.
    assert measure("I knew that that was wrong").repeats == ()
    assert measure("we had had two outages").repeats == ()
    # ...but three in a row is a stutter.
    assert texts(measure("I knew that that that was wrong").repeats) == ["that that that"]


def test_so_so_is_a_word_not_a_stutter():
    assert measure("results were so-so at first").repeats == ()


def test_repeated_fillers_count_as_fillers_not_repeats():
    d = measure("um um we started")
    assert len(d.fillers) == 2
    assert d.repeats == ()


# --- edge cases and serialisation ------------------------------------------------------


def test_empty_words_give_zeros():
    d = measure_delivery([], sections_from_labels([], []))
    assert d.wpm == 0.0 and d.longest_pause_s == 0.0
    assert d.fillers == d.hedges == d.repeats == d.long_pauses == ()
    assert d.fillers_per_min == d.hedges_per_min == 0.0
    assert set(d.section_wpm.values()) == {0.0}
    assert d.to_dict()["filler_count"] == 0


def test_zero_length_answer_does_not_divide_by_zero():
    words = [Word("um", 2.0, 2.0), Word("yes", 2.0, 2.0)]
    d = measure_delivery(words, sections_from_labels(words, ["result", "result"]))
    # spans under a second are floored at one second
    assert d.wpm == pytest.approx(120.0)
    assert d.fillers_per_min == pytest.approx(60.0)
    assert d.section_wpm["result"] == pytest.approx(120.0)


def test_to_dict_is_json_ready_rounded_with_counts():
    words = [Word("Um,", 0.0, 0.333), Word("I", 2.5, 2.6), Word("I", 2.6, 2.7)]
    words += [Word("think", 2.7, 3.0), Word("so.", 3.0, 3.2)]
    d = measure_delivery(words, sections_from_labels(words, ["situation"] * 5)).to_dict()
    json.dumps(d)
    assert d["fillers"] == [{"text": "Um,", "start": 0.0, "end": 0.33}]
    assert d["hedges"] == [{"text": "I think", "start": 2.6, "end": 3.0}]
    assert d["repeats"][0]["text"] == "I I"
    assert d["long_pauses"][0] == {
        "start": 0.33,
        "end": 2.5,
        "duration": 2.17,
        "before": "Um,",
        "after": "I",
        "section": "situation",
    }
    counts = ("filler_count", "hedge_count", "repeat_count", "long_pause_count")
    assert [d[k] for k in counts] == [1, 1, 1, 1]
    assert d["wpm"] == round(5 / 3.2 * 60, 2)
