"""The one text normaliser: words of a transcript or a typed text in a comparable form (pure).

Every caller states the form it needs with keywords; the rules underneath are one set:

- lower case; the apostrophe marks (’ ‘ ʼ `) are written as ``'``;
- a word is a run of letters and digits; everything else between words (spaces, hyphens, dashes,
  slashes, quotes, brackets, other punctuation) separates words: "follow-up" -> follow up,
  "U.S." -> u s, "I—I" -> i i;
- an apostrophe inside a word stays ("don't", "nation's"), at its edges it goes ("'quoted'");
- `numbers` says what a "." or "," between two digits does: stays as written ("1,000", "3.5"),
  joins the thousands ("1000", "3.5"), or splits like any other punctuation ("1 000", "3 5");
- `symbols` are kept as part of a word ("%$" keeps "2.1%" and "$50,000"), otherwise dropped.

Fillers ("um", "uh") are words here: the callers that count or drop them do so themselves.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

__all__ = ["APOSTROPHES", "CURLY_APOSTROPHES", "Numbers", "normalise", "words"]

Numbers = Literal["as_written", "joined", "split"]

CURLY_APOSTROPHES = "\u2019\u2018"  # ’ ‘
APOSTROPHES = CURLY_APOSTROPHES + "\u02bc`"  # and ʼ `, which people type for ' too

# A comma between digits before a group of three is a thousands separator: "1,000,000" -> "1000000".
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_JOINERS = {"as_written": r"(?<=\d)[.,](?=\d)", "joined": r"(?<=\d)\.(?=\d)", "split": ""}


@lru_cache(maxsize=32)
def _form(numbers: Numbers, symbols: str, ascii_letters: bool, edge_apostrophes: bool,
          apostrophes: str) -> tuple[re.Pattern[str], dict[int, str], re.Pattern[str]]:
    """What to rewrite first (apostrophe marks, "_"), how, and the word pattern: built once per form."""
    if numbers not in _JOINERS:
        raise ValueError(f"numbers must be one of {', '.join(_JOINERS)}, not {numbers!r}")
    # One character class for the letters (with "_" turned into a space, \w is letters and digits),
    # so the pattern stays as fast as a plain class; the joiners sit between runs of it.
    char = f"[a-z0-9{re.escape(symbols)}]" if ascii_letters else f"[\\w{re.escape(symbols)}]"
    joiners = [j for j in (_JOINERS[numbers], "" if edge_apostrophes else "'") if j]
    run = f"[{char[1:-1]}']+" if edge_apostrophes else f"{char}+"
    pattern = re.compile(run + (f"(?:(?:{'|'.join(joiners)}){run})*" if joiners else ""))
    rewrite = {**dict.fromkeys(apostrophes, "'"), "_": " "}
    return re.compile(f"[{re.escape(''.join(rewrite))}]"), str.maketrans(rewrite), pattern


def words(
    text: str,
    *,
    numbers: Numbers = "as_written",
    symbols: str = "",
    ascii_letters: bool = False,
    edge_apostrophes: bool = False,
    apostrophes: str = APOSTROPHES,
) -> list[str]:
    """The words of `text`, lower case, in the form the keywords ask for (see the module's rules).

    numbers: "as_written" ("1,000", "3.5"), "joined" ("1000", "3.5") or "split" ("1", "000").
    symbols: characters kept inside words, e.g. "%$" ("2.1%", "$2.3m").
    ascii_letters: only a-z and 0-9 are letters ("café" -> "caf").
    edge_apostrophes: keep apostrophes at the edges of words too ("'quoted'" stays so).
    apostrophes: the marks written as "'" (all of APOSTROPHES unless a form is frozen).
    """
    rewritten, table, pattern = _form(numbers, symbols, ascii_letters, edge_apostrophes, apostrophes)
    t = text.lower()
    if rewritten.search(t):  # most words have nothing to rewrite: skip the (slower) translate
        t = t.translate(table)
    if numbers == "joined":
        t = _THOUSANDS.sub("", t)
    return pattern.findall(t)


def normalise(
    text: str,
    *,
    numbers: Numbers = "as_written",
    symbols: str = "",
    ascii_letters: bool = False,
    edge_apostrophes: bool = False,
    apostrophes: str = APOSTROPHES,
) -> str:
    """`words(text, ...)` joined by single spaces: "" when there are none."""
    return " ".join(words(text, numbers=numbers, symbols=symbols, ascii_letters=ascii_letters,
                          edge_apostrophes=edge_apostrophes, apostrophes=apostrophes))
