"""Word error rate: how far a transcript is from a reference text (pure; tests and benchmarks)."""

from __future__ import annotations

from starcoach.text import words

__all__ = ["normalize", "word_edits", "word_error_rate"]


def normalize(text: str) -> list[str]:
    """Split `text` into comparable words: lower case, punctuation dropped.

    Numbers are left as said ("5" and "five" differ) with thousands joined ("1,000" -> "1000"),
    contractions are kept as one word ("don't"), curly apostrophes count as straight ones,
    hyphens split words.
    """
    return words(text, numbers="joined")


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, over `normalize()` tokens.

    Can exceed 1.0 when the hypothesis has many extra words. An empty reference gives 0.0
    against an empty hypothesis and 1.0 against anything else.
    """
    ref = normalize(reference)
    hyp = normalize(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return word_edits(ref, hyp) / len(ref)


def word_edits(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists (substitutions, deletions, insertions), one row at a time."""
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(
                min(
                    previous[j] + 1,  # deletion
                    current[j - 1] + 1,  # insertion
                    previous[j - 1] + (r != h),  # substitution or match
                )
            )
        previous = current
    return previous[-1]
