"""Load and validate the question bank (questions/*.yaml) and the shared rubric (questions/rubric.yaml).

Every problem names the file and the field, so a coach editing YAML can fix it without reading code.
The schema is documented in questions/README.md.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from starcoach import safe_regex
from starcoach.errors import StarcoachError
from starcoach.records import SECTION_NAMES

SEVERITIES = {"high": 3, "medium": 2, "low": 1, "info": 0}
DELIVERY_METRICS = ("wpm", "fillers_per_min", "hedges_per_min", "long_pauses", "repeats")
# A phrase check matches by its regular expressions, by the meaning of its examples, or both.
MEANING_FIELDS = ("examples", "counter_examples", "threshold", "who", "unless", "after", "min_words")
# Each kind: its default category and the kind-specific fields it accepts.
CHECK_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "structure": ("structure", ("min_words",)),
    "section_time": ("timing", ("sections",)),
    "total_time": ("timing", ()),
    "share": ("timing", ("section", "min", "max")),
    "pronouns": ("content", ("scope", "min_i_share")),
    "phrases": ("content", ("patterns", "scope", "expect", "min_count", "max_count") + MEANING_FIELDS),
    "delivery": ("delivery", ("metric", "min", "max")),
}
COMMON_FIELDS = ("id", "kind", "message", "advice", "severity", "category", "levels")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
QUESTIONS_ENV = "STARCOACH_QUESTIONS"


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


@dataclass(frozen=True, slots=True)
class Level:
    id: str
    label: str
    expectations: str


@dataclass(frozen=True, slots=True)
class Targets:
    total: tuple[float, float]
    sections: dict[str, tuple[float, float]]
    shares: dict[str, tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Mistake:
    id: str
    name: str
    sounds_like: str
    why: str
    advice: str
    check: Check


@dataclass(frozen=True, slots=True)
class FluencySignal:
    id: str
    phrase: str
    signals: str
    check: Check


@dataclass(frozen=True, slots=True)
class FollowUp:
    id: str
    text: str
    why: str
    levels: tuple[str, ...]
    target: tuple[float, float]
    avoid: tuple[Check, ...]
    avoid_sounds_like: dict[str, str]


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    level: str
    domain: str
    situation: str
    task: str
    action: str
    result: str

    @property
    def text(self) -> str:
        return " ".join(part.strip() for part in (self.situation, self.task, self.action, self.result))


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    title: str
    question: str
    probes: str
    default_level: str
    levels: dict[str, Level]
    targets: Targets
    follow_ups: tuple[FollowUp, ...]
    mistakes: tuple[Mistake, ...]
    fluency_signals: tuple[FluencySignal, ...]
    checks: tuple[Check, ...]
    model_answers: tuple[ModelAnswer, ...]
    path: Path

    def level(self, level: str | None) -> str:
        """The level to score at: the one asked for (validated) or the question's default."""
        if level is None:
            return self.default_level
        key = level.strip().lower()
        if key not in self.levels:
            known = ", ".join(self.levels)
            raise StarcoachError(f"question {self.id!r} is not asked at level {level!r}; its levels: {known}")
        return key

    def follow_up(self, follow_up_id: str) -> FollowUp:
        for f in self.follow_ups:
            if f.id == follow_up_id:
                return f
        known = ", ".join(f.id for f in self.follow_ups)
        raise StarcoachError(f"question {self.id!r} has no follow-up {follow_up_id!r}; it has: {known}")

    def all_checks(self) -> list[Check]:
        """This question's own checks: its mistakes, fluency signals and specific checks."""
        return [m.check for m in self.mistakes] + [s.check for s in self.fluency_signals] + list(self.checks)


@dataclass(frozen=True, slots=True)
class Rubric:
    checks: tuple[Check, ...]
    path: Path


@dataclass(frozen=True, slots=True)
class Bank:
    questions: dict[str, Question]
    rubric: Rubric
    folder: Path

    def question(self, question_id: str) -> Question:
        q = self.questions.get(question_id.strip().lower())
        if q is None:
            known = ", ".join(sorted(self.questions)) or "none"
            raise StarcoachError(f"unknown question {question_id!r}; known questions: {known}")
        return q


# --------------------------------------------------------------------------- field reading


class _Node:
    """A YAML value with the file and field path it came from, for error messages."""

    def __init__(self, value: Any, file: Path, where: str) -> None:
        self.value, self.file, self.where = value, file, where

    def fail(self, problem: str) -> StarcoachError:
        where = f"{self.where}: " if self.where else ""
        return StarcoachError(f"{self.file}: {where}{problem}")

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.where}[{key}]"
        return f"{self.where}.{key}" if self.where else key

    def mapping(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.fail(f"expected a mapping of fields, got {type(self.value).__name__}")
        return self.value

    def get(self, key: str, default: Any = ..., *, required: bool = True) -> _Node:
        data = self.mapping()
        if key not in data or data[key] is None:
            if default is not ...:
                return _Node(default, self.file, self._child_path(key))
            if required:
                raise _Node(None, self.file, self._child_path(key)).fail("missing (required)")
        return _Node(data.get(key), self.file, self._child_path(key))

    def only(self, allowed: tuple[str, ...]) -> None:
        unknown = sorted(set(self.mapping()) - set(allowed))
        if unknown:
            raise self.fail(f"unknown field {unknown[0]!r}; allowed: {', '.join(allowed)}")

    def text(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail("expected non-empty text")
        return " ".join(self.value.split())

    def ident(self) -> str:
        s = self.text()
        if not ID_RE.match(s):
            raise self.fail(f"{s!r} is not an id (lower-case letters, digits and dashes)")
        return s

    def number(self, low: float | None = None, high: float | None = None) -> float:
        v = self.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.fail(f"expected a number, got {v!r}")
        if v != v or v in (float("inf"), float("-inf")):  # YAML's .nan and .inf
            raise self.fail(f"expected a finite number, got {v!r}")
        if (low is not None and v < low) or (high is not None and v > high):
            raise self.fail(f"{v} is out of range [{low}, {high}]")
        return float(v)

    def items(self) -> list[_Node]:
        if not isinstance(self.value, list):
            raise self.fail(f"expected a list, got {type(self.value).__name__}")
        return [_Node(v, self.file, self._child_path(i)) for i, v in enumerate(self.value)]

    def choice(self, options: tuple[str, ...] | list[str]) -> str:
        s = self.text().lower()
        if s not in options:
            raise self.fail(f"{s!r} is not one of: {', '.join(options)}")
        return s

    def range_(self, low_key: str, high_key: str, low: float = 0, high: float | None = None) -> tuple[float, float]:
        self.only((low_key, high_key))
        a = self.get(low_key).number(low, high)
        b = self.get(high_key).number(low, high)
        if a > b:
            raise self.fail(f"{low_key} ({a:g}) is greater than {high_key} ({b:g})")
        return a, b


# --------------------------------------------------------------------------- checks


def _patterns(node: _Node, required: bool = True) -> tuple[str, ...]:
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


def _sentences(node: _Node) -> tuple[str, ...]:
    if node.value is None:
        return ()
    return tuple(item.text() for item in node.items())


def _meaning_params(node: _Node, *, expect: str) -> dict[str, Any]:
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
    if patterns.value is not None and not params["patterns"]:
        raise patterns.fail("needs at least one pattern")
    if node.mapping().get("threshold") is not None:
        params["threshold"] = node.get("threshold").number(0, 1)
    return params


def _scope(node: _Node) -> tuple[str, ...] | None:
    """None means the whole answer."""
    if node.value is None or node.value == "answer":
        return None
    names = node.value if isinstance(node.value, list) else [node.value]
    scope = tuple(_Node(v, node.file, node.where).choice(SECTION_NAMES) for v in names)
    if not scope:
        raise node.fail("needs at least one section (or 'answer')")
    return scope


def _levels(node: _Node, known: set[str] | None) -> tuple[str, ...] | None:
    if node.value is None:
        return None
    levels = tuple(item.text().lower() for item in node.items())
    for lv in levels:
        if known is not None and lv not in known:
            raise node.fail(f"unknown level {lv!r}; this question's levels: {', '.join(sorted(known))}")
    return levels


def parse_check(node: _Node, known_levels: set[str] | None) -> Check:
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
        params.update(_meaning_params(node, expect=params["expect"]))
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
        levels=_levels(node.get("levels", None, required=False), known_levels),
        params=params,
    )


def _phrase_check(node: _Node, *, id: str, message: str, advice: str, expect: str, severity: str,
                  category: str, levels: set[str] | None) -> Check:
    return Check(
        id=id,
        kind="phrases",
        message=message,
        advice=advice,
        severity=severity,
        category=category,
        levels=_levels(node.get("levels", None, required=False), levels),
        params={
            **_meaning_params(node, expect=expect),
            "scope": _scope(node.get("scope", None, required=False)),
            "expect": expect,
            "min_count": 1,
            "max_count": int(node.get("max_count", 0).number(0)),
        },
    )


# --------------------------------------------------------------------------- questions


def _parse_question(node: _Node, path: Path) -> Question:
    node.only(("id", "title", "question", "probes", "default_level", "levels", "targets", "follow_ups",
               "mistakes", "fluency_signals", "checks", "model_answers"))
    qid = node.get("id").ident()
    if qid != path.stem:
        raise node.get("id").fail(f"{qid!r} must equal the file name {path.stem!r}")

    levels: dict[str, Level] = {}
    for key, value in node.get("levels").mapping().items():
        lv = _Node(value, path, f"levels.{key}")
        lv.only(("label", "expectations"))
        lid = _Node(key, path, "levels").ident()
        levels[lid] = Level(lid, lv.get("label").text(), lv.get("expectations").text())
    if not levels:
        raise node.get("levels").fail("needs at least one level")
    known = set(levels)
    default_level = node.get("default_level").choice(sorted(known))

    t = node.get("targets")
    t.only(("total", "sections", "shares"))
    sections_node, shares_node = t.get("sections"), t.get("shares")
    sections_node.only(SECTION_NAMES)
    shares_node.only(SECTION_NAMES)
    targets = Targets(
        total=t.get("total").range_("min_s", "max_s"),
        sections={n: sections_node.get(n).range_("min_s", "max_s") for n in SECTION_NAMES},
        shares={n: shares_node.get(n).range_("min", "max", 0, 1) for n in SECTION_NAMES},
    )

    follow_ups = []
    for f in node.get("follow_ups", []).items():
        f.only(("id", "text", "why", "levels", "target", "avoid"))
        fid = f.get("id").ident()
        avoid, sounds = [], {}
        for a in f.get("avoid", []).items():
            a.only(("id", "sounds_like", "patterns", "advice", "scope", "max_count", "severity") + MEANING_FIELDS)
            aid = a.get("id").ident()
            sounds[aid] = a.get("sounds_like").text()
            avoid.append(_phrase_check(
                a, id=aid, message=f"Avoids: \u201c{sounds[aid]}\u201d", advice=a.get("advice").text(),
                expect="absent", severity=a.get("severity", "medium").choice(tuple(SEVERITIES)),
                category="follow-up", levels=known))
        flevels = _levels(f.get("levels", None, required=False), known) or tuple(levels)
        follow_ups.append(FollowUp(fid, f.get("text").text(), f.get("why").text(), flevels,
                                   f.get("target").range_("min_s", "max_s"), tuple(avoid), sounds))

    mistakes = []
    for m in node.get("mistakes", []).items():
        m.only(("id", "name", "sounds_like", "why", "patterns", "scope", "levels", "max_count", "severity", "advice")
               + MEANING_FIELDS)
        name, advice = m.get("name").text(), m.get("advice").text()
        check = _phrase_check(m, id=m.get("id").ident(), message=f"Avoids the common mistake: {name}",
                              advice=advice, expect="absent",
                              severity=m.get("severity", "medium").choice(tuple(SEVERITIES)),
                              category="mistakes", levels=known)
        mistakes.append(Mistake(check.id, name, m.get("sounds_like").text(), m.get("why").text(), advice, check))

    signals = []
    for s in node.get("fluency_signals", []).items():
        s.only(("id", "phrase", "signals", "patterns", "scope") + MEANING_FIELDS)
        phrase, what = s.get("phrase").text(), s.get("signals").text()
        check = _phrase_check(s, id=s.get("id").ident(), message=f"Fluency: {what}",
                              advice=f"A phrasing that shows it: \u201c{phrase}\u201d", expect="present",
                              severity="info", category="fluency", levels=known)
        signals.append(FluencySignal(check.id, phrase, what, check))

    checks = []
    for c in node.get("checks", []).items():
        if isinstance(c.value, dict) and "category" not in c.value:
            c = _Node({**c.value, "category": "question"}, c.file, c.where)
        checks.append(parse_check(c, known))

    answers = []
    for a in node.get("model_answers", []).items():
        a.only(("level", "domain", "situation", "task", "action", "result"))
        answers.append(ModelAnswer(a.get("level").choice(sorted(known)), a.get("domain", "").value or "",
                                   *(a.get(n).text() for n in SECTION_NAMES)))

    question = Question(
        id=qid, title=node.get("title").text(), question=node.get("question").text(),
        probes=node.get("probes").text(), default_level=default_level, levels=levels, targets=targets,
        follow_ups=tuple(follow_ups), mistakes=tuple(mistakes), fluency_signals=tuple(signals),
        checks=tuple(checks), model_answers=tuple(answers), path=path,
    )
    _unique_ids(node, [c.id for c in question.all_checks()] + [f.id for f in question.follow_ups])
    return question


def _unique_ids(node: _Node, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise node.fail(f"the id {i!r} is used twice")
        seen.add(i)


def _read_yaml(path: Path) -> _Node:
    import yaml  # only the loader needs it

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise StarcoachError(f"{path}: cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise StarcoachError(f"{path}: not UTF-8 text") from None
    # libyaml's parser when present (ten times faster on the bank, the same data)
    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """safe_load that refuses a key given twice in one mapping (YAML keeps the last silently)."""

        def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    line = key_node.start_mark.line + 1
                    try:
                        if key in seen:
                            raise StarcoachError(f"{path}: line {line}: the key {key!r} is given twice in one "
                                                 f"mapping (first on line {seen[key]})")
                        seen[key] = line
                    except TypeError:  # an unhashable key: the constructor reports it
                        continue
            return super().construct_mapping(node, deep=deep)

    try:
        data = yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        if "nesting depth" in problem:  # libyaml's own limit, before Python's recursion limit
            raise StarcoachError(f"{path}: nested too deeply to be a question file") from None
        raise StarcoachError(f"{path}: {where}not valid YAML: {problem}") from None
    except RecursionError:
        raise StarcoachError(f"{path}: nested too deeply to be a question file") from None
    return _Node(data, path, "")


def load_rubric(path: Path) -> Rubric:
    node = _read_yaml(path)
    node.only(("version", "checks"))
    checks = tuple(parse_check(c, None) for c in node.get("checks").items())
    _unique_ids(node, [c.id for c in checks])
    return Rubric(checks, path)


def load_question(path: Path) -> Question:
    return _parse_question(_read_yaml(path), path)


def default_folder() -> Path:
    """STARCOACH_QUESTIONS if set, else the bank shipped with the package."""
    override = os.environ.get(QUESTIONS_ENV)
    if override:
        return Path(override).expanduser()
    return Path(str(resources.files("starcoach.questions")))


def load_bank(folder: Path | None = None) -> Bank:
    folder = Path(folder) if folder is not None else default_folder()
    if not folder.is_dir():
        raise StarcoachError(f"question folder {folder} does not exist")
    rubric_path = folder / "rubric.yaml"
    if not rubric_path.is_file():
        raise StarcoachError(f"{rubric_path}: missing: the shared rubric must be beside the questions")
    rubric = load_rubric(rubric_path)
    questions = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "rubric.yaml":
            continue
        q = load_question(path)
        clash = {c.id for c in q.all_checks()} & {c.id for c in rubric.checks}
        if clash:
            raise StarcoachError(f"{path}: check id {sorted(clash)[0]!r} is already used by {rubric_path.name}")
        known = {c.id for c in q.all_checks()} | {c.id for c in rubric.checks}
        for c in q.all_checks():
            for other in c.params.get("unless", ()):
                if other not in known:
                    raise StarcoachError(f"{path}: {c.id}.unless: no check {other!r} in this question or the rubric")
            after = c.params.get("after")
            if after is not None and after not in known:
                raise StarcoachError(f"{path}: {c.id}.after: no check {after!r} in this question or the rubric")
        questions[q.id] = q
    if not questions:
        raise StarcoachError(f"{folder}: no question files (*.yaml) found")
    return Bank(questions, rubric, folder)
