import pytest

from starcoach.wer import normalize, word_error_rate


def test_normalize_lowercases_and_drops_punctuation():
    assert normalize("And so, my fellow Americans: ask not!") == [
        "and", "so", "my", "fellow", "americans", "ask", "not",
    ]  # fmt: skip


def test_normalize_keeps_contractions_and_possessives_as_one_word():
    assert normalize("Don't stop; we're at our nation's door") == [
        "don't", "stop", "we're", "at", "our", "nation's", "door",
    ]  # fmt: skip
    assert normalize("It\u2019s fine") == ["it's", "fine"]  # curly apostrophe


def test_normalize_leaves_numbers_as_written():
    assert normalize("5 engineers, five weeks, 3.5 days, 1,000 users, 40%") == [
        "5", "engineers", "five", "weeks", "3.5", "days", "1000", "users", "40",
    ]  # fmt: skip


def test_normalize_keeps_a_decimal_with_its_unit_as_one_word():
    # Fixed with the one normaliser: "2.5M" was two words ("2.5", "m") while "25M" was one.
    assert normalize("$2.5M and 25M") == ["2.5m", "and", "25m"]


def test_normalize_splits_hyphens_and_drops_quotes():
    assert normalize("self-government, 'quoted' - um") == ["self", "government", "quoted", "um"]
    assert normalize("self -government") == ["self", "government"]  # as faster-whisper splits it


def test_identical_texts_have_no_errors():
    reference = "Ask not what your country can do."
    assert word_error_rate(reference, "ask not what your country can do") == 0.0


@pytest.mark.parametrize(
    ("hypothesis", "errors"),
    [
        ("the cat sat on mat", 1),  # one deletion
        ("the cat sat on the big mat", 1),  # one insertion
        ("the dog sat on the mat", 1),  # one substitution
        ("a dog sat on mat", 3),
        ("", 6),
    ],
)
def test_word_error_rate_counts_edits_over_reference_words(hypothesis, errors):
    assert word_error_rate("The cat sat on the mat.", hypothesis) == pytest.approx(errors / 6)


def test_word_error_rate_can_exceed_one():
    assert word_error_rate("yes", "no no no") == pytest.approx(3.0)


def test_empty_reference():
    assert word_error_rate("", "") == 0.0
    assert word_error_rate(" ... ", "") == 0.0
    assert word_error_rate("", "something") == 1.0
