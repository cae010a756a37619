"""The one text normaliser (starcoach.text): its rules, each option, and the forms its callers use."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from starcoach.text import CURLY_APOSTROPHES, normalise, words

SRC = Path(__file__).resolve().parents[1] / "src" / "starcoach"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,000", ["1,000"]),
        ("3.5%", ["3.5"]),
        ("don't", ["don't"]),
        ("Don\u2019t", ["don't"]),  # curly apostrophe
        ("I\u02bcm", ["i'm"]),  # modifier letter apostrophe
        ("don`t", ["don't"]),
        ("U.S.", ["u", "s"]),
        ("\u2014", []),
        ("I\u2014I,", ["i", "i"]),
        ("um, uh-huh", ["um", "uh", "huh"]),  # fillers are words: callers count or drop them
        ("", []),
        ("?!...", []),
        ("  ", []),
        ("'quoted'", ["quoted"]),
        ("students'", ["students"]),
        ("follow-up", ["follow", "up"]),
        ("and/or", ["and", "or"]),
        ("wait...then", ["wait", "then"]),
        ("11:40", ["11", "40"]),
        ("caf\u00e9", ["caf\u00e9"]),
        ("<COMPANY_NAME>", ["company", "name"]),
        ("$2.3M.", ["2.3m"]),
        ("1.5\u20132.5%", ["1.5", "2.5"]),
        ("1,000,000", ["1,000,000"]),
        ("end.", ["end"]),
    ],
)
def test_default_form(text: str, expected: list[str]) -> None:
    assert words(text) == expected
    assert normalise(text) == " ".join(expected)


@pytest.mark.parametrize(
    ("text", "as_written", "joined", "split"),
    [
        ("1,000", ["1,000"], ["1000"], ["1", "000"]),
        ("1,000,000 users", ["1,000,000", "users"], ["1000000", "users"], ["1", "000", "000", "users"]),
        ("3.5", ["3.5"], ["3.5"], ["3", "5"]),
        ("1,5", ["1,5"], ["1", "5"], ["1", "5"]),  # not a thousands separator
        ("2.5M", ["2.5m"], ["2.5m"], ["2", "5m"]),
        ("v1.2.3", ["v1.2.3"], ["v1.2.3"], ["v1", "2", "3"]),
        ("a, 3", ["a", "3"], ["a", "3"], ["a", "3"]),
    ],
)
def test_numbers(text: str, as_written: list[str], joined: list[str], split: list[str]) -> None:
    assert words(text, numbers="as_written") == as_written
    assert words(text, numbers="joined") == joined
    assert words(text, numbers="split") == split


@pytest.mark.parametrize(
    ("text", "symbols", "expected"),
    [
        ("3.5%", "", ["3.5"]),
        ("3.5%", "%", ["3.5%"]),
        ("$50,000.", "%$", ["$50,000"]),
        ("\u00a32m", "%$", ["2m"]),
        ("\u00a32m", "%$\u00a3\u20ac", ["\u00a32m"]),
        ("%", "%", ["%"]),
    ],
)
def test_symbols(text: str, symbols: str, expected: list[str]) -> None:
    assert words(text, symbols=symbols) == expected


def test_ascii_letters_and_edge_apostrophes() -> None:
    assert words("caf\u00e9 na\u00efve", ascii_letters=True) == ["caf", "na", "ve"]
    assert words("'quoted' students'", edge_apostrophes=True) == ["'quoted'", "students'"]
    assert words("'", edge_apostrophes=True) == ["'"]
    assert words("don`t", apostrophes=CURLY_APOSTROPHES) == ["don", "t"]
    assert words("Don\u2019t", apostrophes=CURLY_APOSTROPHES) == ["don't"]


def test_an_unknown_numbers_option_is_refused() -> None:
    with pytest.raises(ValueError, match="numbers must be one of"):
        words("1,000", numbers="roman")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the callers' forms

# (text, wer, rubric, meaning, star, delivery): one row per disagreement the issue measured.
FORMS = [
    ("1,000", ["1000"], "1,000", "1 000", "1,000", ["1,000"]),
    ("3.5%", ["3.5"], "3.5%", "3 5", "3.5%", ["3.5"]),
    ("don't", ["don't"], "don't", "don't", "don't", ["don't"]),
    ("U.S.", ["u", "s"], "u s", "u s", "u s", ["u", "s"]),
    ("\u2014", [], "", "", "", []),
    ("'quoted'", ["quoted"], "quoted", "'quoted'", "quoted", ["quoted"]),
    ("\u00a35", ["5"], "5", "5", "\u00a35", ["5"]),
]


@pytest.mark.parametrize(("text", "wer_form", "rubric_form", "meaning_form", "star_form", "delivery_form"), FORMS)
def test_each_caller_states_its_form(text, wer_form, rubric_form, meaning_form, star_form, delivery_form) -> None:
    from starcoach import delivery, meaning, rubric, star_clauses, wer
    from starcoach.records import Word

    assert wer.normalize(text) == wer_form
    assert rubric.normalise_token(text) == rubric_form
    assert meaning.normalise(text) == meaning_form
    assert star_clauses.word_form(text) == star_form
    assert [t for t, _ in delivery._tokens([Word(text, 0, 1)])] == delivery_form


def test_meaning_form_is_frozen_byte_for_byte() -> None:
    """Vectors are keyed by a hash of meaning.normalise: these are the outputs it had before the one normaliser."""
    from starcoach.meaning import normalise as meaning_normalise

    cases = {
        "I didn\u2019t tell my VP, and \u2018we\u2019 shipped 3.5% faster to 1,000 users.":
            "i didn't tell my vp and 'we' shipped 3 5 faster to 1 000 users",
        "don`t don\u02bct": "don t don t",
        "caf\u00e9 na\u00efve": "caf na ve",
        "'": "'",
        "U.S. e.g. a/b C++ x_y": "u s e g a b c x y",
        "": "",
    }
    for text, expected in cases.items():
        assert meaning_normalise(text) == expected


def test_text_module_is_pure() -> None:
    tree = ast.parse((SRC / "text.py").read_text(encoding="utf-8"))
    mods = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    mods |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert mods <= {"__future__", "re", "functools", "typing"}


def test_the_pure_modules_import_no_device_library() -> None:
    """The normaliser and the modules split out of bank, voice and star stay pure (checked in a fresh
    interpreter, so nothing another test imported counts)."""
    import subprocess
    import sys

    modules = ["text", "wer", "rubric", "meaning", "delivery", "hesitation", "timing", "bank", "bank_checks",
               "bank_yaml", "pitch_track", "voice", "voice_measures", "star", "star_clauses", "star_model"]
    devices = ("sounddevice", "soundfile", "pyttsx3", "faster_whisper", "ctranslate2", "onnxruntime")
    code = ("import sys\n" + "".join(f"import starcoach.{m}\n" for m in modules)
            + f"bad = [m for m in {devices!r} if m in sys.modules]\nassert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
