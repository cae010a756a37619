"""What a session.json must be: checked when a session is read (store.py, and `import` on the copy that
will land) and before one is written, so that nothing the readers cannot use gets in or out.

Every answer's values are checked for the type its readers expect (result.py reads them back
tolerantly, but a number must be finite and in range: the reports draw and loop over them).
Pure: plain data in, Damaged out.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

SCHEMA_VERSION = 1
SESSION_FILE = "session.json"
SOURCES = ("practice", "score")
STATUSES = ("recording", "complete", "interrupted")
KINDS = ("main", "follow_up")
MAX_ID_LEN = 128
# Starts with a letter or digit: never ".", "..", a hidden name or something that looks like an option.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TYPE_NAMES = {str: "a string", list: "a list", dict: "an object", type(None): "null"}


def is_safe_name(name: object) -> bool:
    """A name that can only be a file or folder directly inside the folder it is joined to."""
    return isinstance(name, str) and len(name) <= MAX_ID_LEN and ".." not in name and bool(_SAFE_NAME.fullmatch(name))


def shown(value: object) -> str:
    """A value for a message: its repr, cut to 50 characters."""
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


class Damaged(Exception):
    """Why a session.json cannot be trusted; becomes a DamagedSession or a StarcoachError."""


def _want(d: dict[str, Any], key: str, types: type | tuple[type, ...], where: str = "") -> Any:
    name = f"{where}.{key}" if where else key
    if key not in d:
        raise Damaged(f"field {name!r} is missing")
    value = d[key]
    if not isinstance(value, types):
        wanted = " or ".join(_TYPE_NAMES[t] for t in (types if isinstance(types, tuple) else (types,)))
        raise Damaged(f"field {name!r} should be {wanted}, not {type(value).__name__}")
    return value


def check_session(data: Any, folder_id: str) -> None:
    """Damaged (saying where and why) unless `data` is a session.json for the folder `folder_id`."""
    if not isinstance(data, dict):
        raise Damaged(f"session.json holds a JSON {type(data).__name__}, not an object")
    version = data.get("schema_version")
    if type(version) is not int:  # bool is an int to isinstance, not a version
        raise Damaged("field 'schema_version' is missing or not a whole number")
    if version > SCHEMA_VERSION:
        raise Damaged(f"made by a newer starcoach (schema_version {version}; this one reads {SCHEMA_VERSION}): "
                      "upgrade starcoach to open it")
    if version < 1:
        raise Damaged(f"unknown schema_version {version}")
    for key in ("id", "created", "question", "question_text", "level", "source", "status"):
        _want(data, key, str)
    if data["id"] != folder_id:
        raise Damaged(f"its id {shown(data['id'])} does not match its folder")
    try:
        datetime.fromisoformat(data["created"])
    except ValueError:
        raise Damaged(f"field 'created' is not a date and time: {shown(data['created'])}") from None
    for key, allowed in (("source", SOURCES), ("status", STATUSES)):
        if data[key] not in allowed:
            raise Damaged(f"field {key!r} is {shown(data[key])}, not one of {', '.join(allowed)}")
    for i, entry in enumerate(_want(data, "answers", list)):
        where = f"answers[{i}]"
        if not isinstance(entry, dict):
            raise Damaged(f"{where} should be an object, not {type(entry).__name__}")
        if _want(entry, "kind", str, where) not in KINDS:
            raise Damaged(f"{where}.kind is {shown(entry['kind'])}, not one of {', '.join(KINDS)}")
        if entry["kind"] == "follow_up":
            _want(entry, "follow_up", str, where)
            _want(entry, "text", str, where)
        audio = _want(entry, "audio", (str, type(None)), where)
        if audio is not None and (not is_safe_name(audio) or audio == SESSION_FILE):
            # The name is joined to the session folder later: it must not lead anywhere else.
            raise Damaged(f"{where}.audio {shown(audio)} is not a plain file name")
        _want(entry, "result", (dict, type(None)), where)
        _check_values(entry, where)


# Bounds for the numbers of a stored answer (a hand-edited or imported file may hold anything, and
# the reports draw and loop over them). No take is longer than a day; no other figure is near 1e9.
MAX_SECONDS = 24 * 3600.0
MAX_NUMBER = 1e9
MAX_DEPTH = 32  # a result is a few levels deep
_TIME_KEYS = frozenset({"start", "end", "duration", "seconds"})
# The types the readers (replay, reports, progress) rely on, by field name, wherever the field is.
_STRINGS = frozenset({"advice", "after", "before", "category", "id", "kind", "message", "model", "name",
                      "question_text", "schema", "severity", "share_verdict", "source", "text", "verdict",
                      "live_text", "live_headline"})
_STRINGS_OR_NULL = frozenset({"section", "audio", "follow_up", "follow_up_text"})
_LISTS_OF_OBJECTS = frozenset({"evidence", "fillers", "findings", "hedges", "long_pauses", "repeats", "sections",
                               "words"})
_OBJECTS = frozenset({"delivery", "score_breakdown", "section_wpm", "total", "live", "final_pass"})
_FREE_KEYS = frozenset({"score_breakdown", "section_wpm"})  # keyed by category or section name: any key
_UNTYPED = frozenset({"voice"})  # its own record (voice.py reads it back): only its numbers are checked here
_BOOLS = frozenset({"estimated", "whole_file_words"})


def _is_time(key: str) -> bool:
    return key in _TIME_KEYS or key.endswith("_s")


def _check_values(entry: dict[str, Any], where: str) -> None:
    """Every value of an answer has the type its readers expect, and every number is finite and in
    range: times within a day (either sign, for gaps), anything else within MAX_NUMBER. Walked
    without recursion, to a bounded depth."""
    stack: list[tuple[Any, str, str, int, bool | str]] = [(entry, where, "", 0, False)]
    while stack:
        value, path, key, depth, free = stack.pop()
        if not free:
            _check_type(value, path, key)
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        if isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):
                raise Damaged(f"{path} is {value}, not a finite number")
            limit = MAX_SECONDS if _is_time(key) else MAX_NUMBER
            if not -limit <= value <= limit:
                raise Damaged(f"{path} is {shown(value)}: out of range (at most {limit:g} either way)")
            continue
        if depth >= MAX_DEPTH:
            raise Damaged(f"{path} is nested too deeply")
        if isinstance(value, dict):
            if free == "all" or key in _UNTYPED:
                named: bool | str = "all"
            else:
                named = key in _FREE_KEYS and not free
            stack.extend((v, f"{path}{_key(k)}", str(k), depth + 1, named) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{path}[{i}]", key, depth + 1, free) for i, v in enumerate(value))


def _key(key: Any) -> str:
    """A key in a field's path: .name, or [repr] for one that is not a plain name (never a newline)."""
    text = str(key)
    return f".{text}" if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", text) else f"[{shown(text)}]"


def _check_type(value: Any, path: str, key: str) -> None:
    if path.endswith("]"):  # an item of a list: the readers skip items that are not objects
        return
    if key in _STRINGS:
        ok = isinstance(value, str)
    elif key in _STRINGS_OR_NULL:
        ok = value is None or isinstance(value, str)
    elif key in _LISTS_OF_OBJECTS:
        ok = isinstance(value, list)
    elif key in _OBJECTS:
        ok = isinstance(value, dict)
    elif key in _BOOLS:
        ok = isinstance(value, bool)
    elif _is_time(key) or key.endswith(("_count", "_per_min")) or key in ("wpm", "share", "share_min", "share_max",
                                                                          "score", "word_count", "earned", "possible",
                                                                          "changed_words"):
        ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
    else:
        return
    if not ok:
        raise Damaged(f"{path} should not be {type(value).__name__}")
