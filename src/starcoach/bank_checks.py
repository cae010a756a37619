"""Rubric checks as the bank declares them: the Check record, and parsing and validating one check
(or a question's mistake, fluency signal or follow-up "avoid", which are phrase checks) from YAML.

The kinds and their fields are documented in questions/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starcoach import safe_regex
from starcoach.bank_yaml import Node
from starcoach.records import SECTION_NAMES

SEVERITIES = {"high": 3, "medium": 2, "low": 1, "info": 0}
DELIVERY_METRICS = ("wpm", "fillers_per_min", "hedges_per_min", "long_pauses", "repeats")
# A phrase check matches by its regular expressions, by the meaning of its examples, or both.
MEANING_FIELDS = ("examples", "counter_examples", "threshold", "who", "unless", "omission", "after", "min_words", "topic")
# Each kind: its default category and the kind-specific fields it accepts.
CHECK_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "structure": ("structure", ("min_words",)),
    "section_time": ("timing", ("sections",)),
    "total_time": ("timing", ()),
    "share": ("timing", ("section", "min", "max")),
    "pronouns": ("content", ("scope", "min_i_share")),
    "phrases": ("content", ("patterns", "scope", "expect", "min_count", "max_count", *MEANING_FIELDS)),
    "delivery": ("delivery", ("metric", "min", "max")),
}
COMMON_FIELDS = ("id", "kind", "message", "advice", "severity", "category", "levels")


@dataclass(frozen=True, slots=True)
class Check:
    """One rubric check. `params` holds the kind's own, validated fields."""

    id: str
    kind: str
    message: str
    advice: str
    severity: str = "medium"
    category: str = "content"
    levels: tuple[str, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def applies_at(self, level: str) -> bool:
        return self.levels is None or level in self.levels


def _patterns(node: Node, required: bool = True) -> tuple[str, ...]:
    if node.value is None and not required:
        return ()
    out = []
    for item in node.items():
        if not isinstance(item.value, str) or not item.value.strip():
            raise item.fail("expected a non-empty pattern")
        pattern = item.value.strip()  # as written: lower-casing would turn \S into \s
        try:
            safe_regex.check(pattern, re.IGNORECASE)
        except re.error as e:
            raise item.fail(f"not a valid regular expression: {e}") from None
        except safe_regex.UnsafePattern as e:
            raise item.fail(f"unsafe regular expression: {e}") from None
        out.append(pattern)
    if not out and required:
        raise node.fail("needs at least one pattern")
    return tuple(out)


def _sentences(node: Node) -> tuple[str, ...]:
    if node.value is None:
        return ()
    return tuple(item.text() for item in node.items())


def meaning_params(node: Node, *, expect: str) -> dict[str, Any]:
    """The fields that match by meaning (see questions/README.md, "Checks by example")."""
    examples = _sentences(node.get("examples", None, required=False))
    counter = _sentences(node.get("counter_examples", None, required=False))
    if counter and not examples:
        raise node.get("counter_examples").fail("counter_examples need examples beside them")
    patterns = node.get("patterns", None, required=False)
    if patterns.value is None and not examples:
        raise node.fail("needs patterns, examples or both")
    params: dict[str, Any] = {
        "patterns": _patterns(patterns, required=False) if patterns.value is not None else (),
        "examples": examples,
        "counter_examples": counter,
        "threshold": None,
        # a mistake is the candidate's own; evidence of a behaviour may be said any way
        "who": node.get("who", "self" if expect == "absent" else "anyone").choice(("self", "anyone")),
        "unless": tuple(i.ident() for i in node.get("unless", []).items()),
        "after": node.get("after").ident() if node.mapping().get("after") is not None else None,
        "min_words": int(node.get("min_words", 0).number(0)),
    }
    # what a clause matched by meaning must mention (patterns): "we" said of the execution is no
    # we-washing of the advocacy, however close MiniLM puts it to the examples
    topic = node.get("topic", None, required=False)
    params["topic"] = _patterns(topic) if topic.value is not None else ()
    if params["topic"] and not examples:
        raise topic.fail("a topic narrows the matches by meaning: it needs examples beside it")
    # the behaviours whose absence is the mistake: it fails when none of them was heard either
    params["omission"] = _omission(node, params["unless"])
    if patterns.value is not None and not params["patterns"]:
        raise patterns.fail("needs at least one pattern")
    if node.mapping().get("threshold") is not None:
        params["threshold"] = node.get("threshold").number(0, 1)
    return params


def _omission(node: Node, unless: tuple[str, ...]) -> tuple[str, ...]:
    """`true`: the mistake is the absence of its `unless` behaviours, which also excuse a match; a
    list of check ids: the absence of those, which do not excuse a match ("one team, two weeks" is
    still a director-level mistake in an answer that also sets up a review gate); `false`: none."""
    field = node.get("omission", False)
    if isinstance(field.value, list):
        if not field.value:
            raise field.fail("expected true, false or a non-empty list of check ids")
        return tuple(i.ident() for i in field.items())
    if not isinstance(field.value, bool):
        raise field.fail(f"expected true, false or a list of check ids, got {field.value!r}")
    if field.value and not unless:
        raise field.fail("an omission needs `unless: [the behaviour it is the absence of]`")
    return unless if field.value else ()


def _scope(node: Node) -> tuple[str, ...] | None:
    """None means the whole answer."""
    if node.value is None or node.value == "answer":
        return None
    names = node.value if isinstance(node.value, list) else [node.value]
    scope = tuple(Node(v, node.file, node.where).choice(SECTION_NAMES) for v in names)
    if not scope:
        raise node.fail("needs at least one section (or 'answer')")
    return scope


def parse_levels(node: Node, known: set[str] | None) -> tuple[str, ...] | None:
    if node.value is None:
        return None
    levels = tuple(item.text().lower() for item in node.items())
    for lv in levels:
        if known is not None and lv not in known:
            raise node.fail(f"unknown level {lv!r}; this question's levels: {', '.join(sorted(known))}")
    return levels


def parse_check(node: Node, known_levels: set[str] | None) -> Check:
    kind = node.get("kind").choice(tuple(CHECK_KINDS))
    default_category, own = CHECK_KINDS[kind]
    node.only(COMMON_FIELDS + own)
    params: dict[str, Any] = {}
    if kind == "structure":
        params["min_words"] = int(node.get("min_words", 8).number(1))
    elif kind == "section_time":
        sections = node.get("sections", list(SECTION_NAMES))
        params["sections"] = tuple(i.choice(SECTION_NAMES) for i in sections.items())
    elif kind == "share":
        params["section"] = node.get("section").choice(SECTION_NAMES)
        for key in ("min", "max"):
            params[key] = node.get(key, required=False).number(0, 1) if node.mapping().get(key) is not None else None
    elif kind == "pronouns":
        params["scope"] = _scope(node.get("scope", None, required=False))
        params["min_i_share"] = node.get("min_i_share").number(0, 1)
    elif kind == "phrases":
        params["expect"] = node.get("expect").choice(("present", "absent"))
        params.update(meaning_params(node, expect=params["expect"]))
        params["scope"] = _scope(node.get("scope", None, required=False))
        params["min_count"] = int(node.get("min_count", 1).number(1))
        params["max_count"] = int(node.get("max_count", 0).number(0))
    elif kind == "delivery":
        params["metric"] = node.get("metric").choice(DELIVERY_METRICS)
        params["min"] = node.get("min", None, required=False)
        params["max"] = node.get("max", None, required=False)
        if params["min"].value is None and params["max"].value is None:
            raise node.fail("a delivery check needs min, max or both")
        params["min"] = None if params["min"].value is None else params["min"].number(0)
        params["max"] = None if params["max"].value is None else params["max"].number(0)
    return Check(
        id=node.get("id").ident(),
        kind=kind,
        message=node.get("message").text(),
        advice=node.get("advice").text(),
        severity=node.get("severity", "medium").choice(tuple(SEVERITIES)),
        category=node.get("category", default_category).ident(),
        levels=parse_levels(node.get("levels", None, required=False), known_levels),
        params=params,
    )


def phrase_check(node: Node, *, id: str, message: str, advice: str, expect: str, severity: str,
                  category: str, levels: set[str] | None) -> Check:
    return Check(
        id=id,
        kind="phrases",
        message=message,
        advice=advice,
        severity=severity,
        category=category,
        levels=parse_levels(node.get("levels", None, required=False), levels),
        params={
            **meaning_params(node, expect=expect),
            "scope": _scope(node.get("scope", None, required=False)),
            "expect": expect,
            "min_count": 1,
            "max_count": int(node.get("max_count", 0).number(0)),
        },
    )
