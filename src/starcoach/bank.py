"""The question bank: its records (Question, Bank, ...) and loading questions/*.yaml and the shared
rubric (questions/rubric.yaml), validated.

Every problem names the file and the field, so a coach editing YAML can fix it without reading code
(bank_yaml reads the fields, bank_checks the checks). The schema is documented in questions/README.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from starcoach.bank_checks import MEANING_FIELDS, SEVERITIES, Check, parse_check, parse_levels, phrase_check
from starcoach.bank_yaml import Node, read_yaml
from starcoach.errors import StarcoachError
from starcoach.records import SECTION_NAMES

QUESTIONS_ENV = "STARCOACH_QUESTIONS"


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


# --------------------------------------------------------------------------- questions


def _parse_question(node: Node, path: Path) -> Question:
    node.only(("id", "title", "question", "probes", "default_level", "levels", "targets", "follow_ups",
               "mistakes", "fluency_signals", "checks", "model_answers"))
    qid = node.get("id").ident()
    if qid != path.stem:
        raise node.get("id").fail(f"{qid!r} must equal the file name {path.stem!r}")

    levels: dict[str, Level] = {}
    for key, value in node.get("levels").mapping().items():
        lv = Node(value, path, f"levels.{key}")
        lv.only(("label", "expectations"))
        lid = Node(key, path, "levels").ident()
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
            a.only(("id", "sounds_like", "patterns", "advice", "scope", "max_count", "severity", *MEANING_FIELDS))
            aid = a.get("id").ident()
            sounds[aid] = a.get("sounds_like").text()
            avoid.append(phrase_check(
                a, id=aid, message=f"Avoids: \u201c{sounds[aid]}\u201d", advice=a.get("advice").text(),
                expect="absent", severity=a.get("severity", "medium").choice(tuple(SEVERITIES)),
                category="follow-up", levels=known))
        flevels = parse_levels(f.get("levels", None, required=False), known) or tuple(levels)
        follow_ups.append(FollowUp(fid, f.get("text").text(), f.get("why").text(), flevels,
                                   f.get("target").range_("min_s", "max_s"), tuple(avoid), sounds))

    mistakes = []
    for m in node.get("mistakes", []).items():
        m.only(("id", "name", "sounds_like", "why", "patterns", "scope", "levels", "max_count", "severity", "advice",
                *MEANING_FIELDS))
        name, advice = m.get("name").text(), m.get("advice").text()
        check = phrase_check(m, id=m.get("id").ident(), message=f"Avoids the common mistake: {name}",
                              advice=advice, expect="absent",
                              severity=m.get("severity", "medium").choice(tuple(SEVERITIES)),
                              category="mistakes", levels=known)
        mistakes.append(Mistake(check.id, name, m.get("sounds_like").text(), m.get("why").text(), advice, check))

    signals = []
    for s in node.get("fluency_signals", []).items():
        s.only(("id", "phrase", "signals", "patterns", "scope", *MEANING_FIELDS))
        phrase, what = s.get("phrase").text(), s.get("signals").text()
        check = phrase_check(s, id=s.get("id").ident(), message=f"Fluency: {what}",
                              advice=f"A phrasing that shows it: \u201c{phrase}\u201d", expect="present",
                              severity="info", category="fluency", levels=known)
        signals.append(FluencySignal(check.id, phrase, what, check))

    checks = []
    for c in node.get("checks", []).items():
        if isinstance(c.value, dict) and "category" not in c.value:
            c = Node({**c.value, "category": "question"}, c.file, c.where)
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


def _unique_ids(node: Node, ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise node.fail(f"the id {i!r} is used twice")
        seen.add(i)


def load_rubric(path: Path) -> Rubric:
    node = read_yaml(path)
    node.only(("version", "checks"))
    checks = tuple(parse_check(c, None) for c in node.get("checks").items())
    _unique_ids(node, [c.id for c in checks])
    return Rubric(checks, path)


def load_question(path: Path) -> Question:
    return _parse_question(read_yaml(path), path)


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
            for field in ("unless", "omission"):
                for other in c.params.get(field, ()):
                    if other not in known:
                        raise StarcoachError(f"{path}: {c.id}.{field}: no check {other!r} in this question or the rubric")
            after = c.params.get("after")
            if after is not None and after not in known:
                raise StarcoachError(f"{path}: {c.id}.after: no check {after!r} in this question or the rubric")
        questions[q.id] = q
    if not questions:
        raise StarcoachError(f"{folder}: no question files (*.yaml) found")
    return Bank(questions, rubric, folder)
