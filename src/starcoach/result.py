"""The saved result of one answer, both ways: the JSON contract of `starcoach score --json` and of each
answer in session.json (README, "The JSON contract"), as dataclasses.

- `result_of_answer` / `result_of_follow_up` make it from a scored answer, numbers rounded as saved;
  `to_dict()` writes the JSON (same keys, order and rounding as every stored session).
- `result_from_dict` (`AnswerResult.from_dict`, `FollowUpResult.from_dict`) is the one safe reader of a
  stored result, for every command that reads a session. A stored result may be old (no "voice", no
  "judged"), hand-edited or imported, so it never raises: a field that is missing or of the wrong type
  reads as None, "" or empty, and what a strict reader must refuse (replay, rescore) is in `damage`.

What moved from one result to another (a rescore, a final pass) is result_diff.py.
The "voice" record is voice.py's (`Voice.to_dict`, read back by `voice.from_stored`): kept here as its
dict. Pure: no device library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from starcoach.delivery import Pause
from starcoach.records import SEVERITY_ORDER, Evidence, Finding

if TYPE_CHECKING:
    from starcoach.scoring import ScoredAnswer, ScoredFollowUp

SCHEMA = "starcoach.score/1"


# --------------------------------------------------------------------------- reading values


def _num(value: Any) -> int | float | None:
    """A finite number as stored (an int stays an int), else None; a bool is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if isinstance(value, int) or math.isfinite(value) else None


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _name(value: Any) -> str:
    """An id or level: a stored string, or another value as its text (so a rescore names what it cannot
    find), "" when there is none."""
    return value if isinstance(value, str) else (str(value) if value else "")


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def number_in(record: Any, *keys: str) -> float | None:
    """The number at `keys` inside a stored record (the "voice", say), as a float; None when it is not there."""
    for key in keys:
        record = record.get(key) if isinstance(record, dict) else None
    value = _num(record)
    return None if value is None else float(value)


def _r(x: float) -> float:
    return round(float(x), 2)


# --------------------------------------------------------------------------- the parts


@dataclass(frozen=True, slots=True)
class ResultWord:
    """A saved word: its text as transcribed, its times, and its STAR section (None in a follow-up)."""

    text: str
    start: float
    end: float
    section: str | None = None


@dataclass(frozen=True, slots=True)
class SectionResult:
    """One STAR section's timing as saved. Fields are in the JSON's order."""

    name: str
    start: float | None = None
    end: float | None = None
    speaking_s: float | None = None
    word_count: int | None = None
    target_min_s: float | None = None
    target_max_s: float | None = None
    verdict: str = ""  # short | ok | long
    gap_s: float | None = None
    share: float | None = None
    share_min: float | None = None
    share_max: float | None = None
    share_verdict: str = ""
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SectionResult:
        n = {k: _num(d.get(k)) for k in ("start", "end", "speaking_s", "word_count", "target_min_s", "target_max_s",
                                          "gap_s", "share", "share_min", "share_max")}
        return cls(_text(d.get("name")), verdict=_text(d.get("verdict")), share_verdict=_text(d.get("share_verdict")),
                   text=_text(d.get("text")), **n)


@dataclass(frozen=True, slots=True)
class TotalResult:
    """The whole answer's speaking time against its target."""

    speaking_s: float | None = None
    target_min_s: float | None = None
    target_max_s: float | None = None
    verdict: str = ""
    gap_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: Any) -> TotalResult:
        d = _dict(d)
        return cls(_num(d.get("speaking_s")), _num(d.get("target_min_s")), _num(d.get("target_max_s")),
                   _text(d.get("verdict")), _num(d.get("gap_s")))


def _evidence(items: Any, *, placed: bool = True) -> tuple[Evidence, ...]:
    """Quotes with their times. A finding's quote without times cannot be placed, and is left out
    (`placed`); a filler or hedge heard still counts, at 0 where a time is missing."""
    out = []
    for e in _list(items):
        if isinstance(e, dict):
            start, end = _num(e.get("start")), _num(e.get("end"))
            if not placed or (start is not None and end is not None):
                out.append(Evidence(_text(e.get("text")), _or(start, 0.0), _or(end, 0.0)))
    return tuple(out)


def _evidence_dicts(items: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    return [{"text": e.text, "start": e.start, "end": e.end} for e in items]


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How the answer was said, as saved: delivery.Delivery's record (Delivery.to_dict), read back."""

    wpm: float | None = None
    section_wpm: dict[str, float | None] = field(default_factory=dict)
    long_pauses: tuple[Pause, ...] = ()
    longest_pause_s: float | None = None
    fillers: tuple[Evidence, ...] = ()
    fillers_per_min: float | None = None
    hedges: tuple[Evidence, ...] = ()
    hedges_per_min: float | None = None
    repeats: tuple[Evidence, ...] = ()
    long_pause_s: float | None = None  # the threshold a long pause was measured against

    def to_dict(self) -> dict[str, Any]:
        return {
            "wpm": self.wpm, "section_wpm": dict(self.section_wpm),
            "long_pauses": [{"start": p.start, "end": p.end, "duration": p.duration, "before": p.before,
                             "after": p.after, "section": p.section} for p in self.long_pauses],
            "long_pause_count": len(self.long_pauses), "longest_pause_s": self.longest_pause_s,
            "fillers": _evidence_dicts(self.fillers), "filler_count": len(self.fillers),
            "fillers_per_min": self.fillers_per_min,
            "hedges": _evidence_dicts(self.hedges), "hedge_count": len(self.hedges), "hedges_per_min": self.hedges_per_min,
            "repeats": _evidence_dicts(self.repeats), "repeat_count": len(self.repeats), "long_pause_s": self.long_pause_s,
        }

    @classmethod
    def from_dict(cls, d: Any) -> DeliveryResult:
        d = _dict(d)
        per = {str(k): _num(v) for k, v in _dict(d.get("section_wpm")).items()}
        pauses = tuple(Pause(_or(_num(p.get("start")), 0.0), _or(_num(p.get("end")), 0.0), _or(_num(p.get("duration")), 0.0),
                             _text(p.get("before")), _text(p.get("after")), _text(p.get("section")))
                       for p in _list(d.get("long_pauses")) if isinstance(p, dict))
        heard = {k: _evidence(d.get(k), placed=False) for k in ("fillers", "hedges", "repeats")}
        return cls(_num(d.get("wpm")), per, pauses, _num(d.get("longest_pause_s")), heard["fillers"],
                   _num(d.get("fillers_per_min")), heard["hedges"], _num(d.get("hedges_per_min")),
                   heard["repeats"], _num(d.get("long_pause_s")))


def finding_to_dict(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "passed": f.passed, "severity": f.severity, "category": f.category, "section": f.section,
            "message": f.message, "advice": f.advice, "evidence": _evidence_dicts(f.evidence),
            "judged": f.judged, "positive": f.positive, "restates": f.restates,
            "borderline": f.borderline}


def finding_from_dict(d: dict[str, Any]) -> Finding:
    """A stored finding, read tolerantly (an unknown severity reads as medium, a missing message as the id)."""
    fid = _text(d.get("id"))
    severity = d.get("severity") if d.get("severity") in SEVERITY_ORDER else "medium"
    section = d.get("section") if isinstance(d.get("section"), str) else None
    return Finding(fid, bool(d.get("passed")), severity, _text(d.get("message"), fid), _text(d.get("advice")),
                   _evidence(d.get("evidence")), _text(d.get("category", "content")), section,
                   judged=d.get("judged") is not False, positive=d.get("positive") is not False,
                   restates=d.get("restates") if isinstance(d.get("restates"), str) else None,
                   borderline=d.get("borderline") is True)


def _findings(items: Any, damage: list[str]) -> tuple[Finding, ...]:
    out, sound = [], True
    for d in _list(items):
        if sound and not (isinstance(d, dict) and isinstance(d.get("id"), str) and isinstance(d.get("passed"), bool)):
            damage.append("a finding needs an id and passed")
            sound = False
        if isinstance(d, dict):
            out.append(finding_from_dict(d))
    return tuple(out)


def _words(items: Any, damage: list[str]) -> tuple[ResultWord, ...]:
    if not isinstance(items, list):
        damage.append("'words' is missing")
        return ()
    out, sound = [], True
    for i, item in enumerate(items):
        w = _dict(item)
        text, start, end = w.get("text"), _num(w.get("start")), _num(w.get("end"))
        if sound and (not isinstance(text, str) or start is None or end is None):
            damage.append(f"words[{i}] needs text, start and end")
            sound = False
        if isinstance(item, dict):  # the views show what they can of a damaged word
            section = w.get("section")
            out.append(ResultWord(_text(text), _or(start, 0.0), _or(end, 0.0), section if isinstance(section, str) else None))
    return tuple(out)


# --------------------------------------------------------------------------- the results


@dataclass(frozen=True)
class AnswerResult:
    """The saved result of a main answer (`starcoach score --json`)."""

    question: str
    question_text: str
    level: str
    source: str
    model: str
    duration_s: float | None
    estimated: bool
    words: tuple[ResultWord, ...]
    sections: tuple[SectionResult, ...]
    total: TotalResult
    delivery: DeliveryResult
    findings: tuple[Finding, ...]
    score: int | float | None
    score_breakdown: dict[str, dict[str, Any]]
    voice: dict[str, Any] | None = None  # voice.Voice.to_dict(); absent for typed text and older sessions
    schema: str = SCHEMA
    damage: tuple[str, ...] = ()  # why a strict reader refuses it (the first is what replay says); () when sound

    kind = "main"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema, "question": self.question, "question_text": self.question_text, "level": self.level,
            "source": self.source, "model": self.model, "duration_s": self.duration_s, "estimated": self.estimated,
            "words": [{"text": w.text, "start": w.start, "end": w.end, "section": w.section} for w in self.words],
            "sections": [s.to_dict() for s in self.sections],
            "total": self.total.to_dict(),
            "delivery": self.delivery.to_dict(),
            "findings": [finding_to_dict(f) for f in self.findings],
            "score": self.score,
            "score_breakdown": self.score_breakdown,
            **({"voice": self.voice} if self.voice is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Any) -> AnswerResult:
        d, damage = _dict(d), []
        words = _words(d.get("words"), damage)
        findings = _findings(d.get("findings"), damage)
        sections = tuple(SectionResult.from_dict(s) for s in _list(d.get("sections")) if isinstance(s, dict))
        breakdown = {str(k): _dict(v) for k, v in _dict(d.get("score_breakdown")).items()}
        return cls(_name(d.get("question")), _text(d.get("question_text")), _name(d.get("level")), _text(d.get("source")),
                   _text(d.get("model")), _num(d.get("duration_s")), d.get("estimated") is True, words, sections,
                   TotalResult.from_dict(d.get("total")), DeliveryResult.from_dict(d.get("delivery")), findings,
                   _num(d.get("score")), breakdown, d["voice"] if isinstance(d.get("voice"), dict) else None,
                   _text(d.get("schema")), tuple(damage))

    def section(self, name: str) -> SectionResult | None:
        """The section called `name` (the last one, should a hand-edited file hold two)."""
        return next((s for s in reversed(self.sections) if s.name == name), None)


@dataclass(frozen=True)
class FollowUpResult:
    """The saved result of a follow-up answer: its own time target and "what not to say"; no STAR split."""

    question: str
    follow_up: str
    follow_up_text: str
    level: str
    duration_s: float | None
    estimated: bool
    words: tuple[ResultWord, ...]
    speaking_s: float | None
    target_min_s: float | None
    target_max_s: float | None
    verdict: str
    gap_s: float | None
    delivery: DeliveryResult
    findings: tuple[Finding, ...]
    voice: dict[str, Any] | None = None
    damage: tuple[str, ...] = ()

    kind = "follow_up"
    score = None  # a follow-up has no score

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "follow_up": self.follow_up, "follow_up_text": self.follow_up_text,
            "level": self.level, "duration_s": self.duration_s, "estimated": self.estimated,
            "words": [{"text": w.text, "start": w.start, "end": w.end} for w in self.words],
            "speaking_s": self.speaking_s, "target_min_s": self.target_min_s, "target_max_s": self.target_max_s,
            "verdict": self.verdict, "gap_s": self.gap_s, "delivery": self.delivery.to_dict(),
            "findings": [finding_to_dict(f) for f in self.findings],
            **({"voice": self.voice} if self.voice is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Any) -> FollowUpResult:
        d, damage = _dict(d), []
        words = _words(d.get("words"), damage)
        findings = _findings(d.get("findings"), damage)
        return cls(_name(d.get("question")), _name(d.get("follow_up")), _text(d.get("follow_up_text")),
                   _name(d.get("level")), _num(d.get("duration_s")), d.get("estimated") is True, words,
                   _num(d.get("speaking_s")), _num(d.get("target_min_s")), _num(d.get("target_max_s")),
                   _text(d.get("verdict")), _num(d.get("gap_s")), DeliveryResult.from_dict(d.get("delivery")), findings,
                   d["voice"] if isinstance(d.get("voice"), dict) else None, tuple(damage))


Result = AnswerResult | FollowUpResult


def result_from_dict(kind: str, d: Any) -> Result | None:
    """Answer entry `kind`'s stored result (main | follow_up); None when it has none (never scored)."""
    if not isinstance(d, dict):
        return None
    return FollowUpResult.from_dict(d) if kind == "follow_up" else AnswerResult.from_dict(d)


# --------------------------------------------------------------------------- from a scored answer


def _rounded(f: Finding) -> Finding:
    return replace(f, evidence=tuple(Evidence(e.text, _r(e.start), _r(e.end)) for e in f.evidence))


def result_of_answer(a: ScoredAnswer, *, question_text: str = "") -> AnswerResult:
    """A scored main answer as it is saved."""
    t = a.timing
    section_of = {id(w): s.name for s in a.sections for w in s.words}
    return AnswerResult(
        a.question_id, question_text, a.level, a.transcript.source, a.transcript.model, _r(a.transcript.duration_s),
        a.transcript.estimated,
        tuple(ResultWord(w.text, _r(w.start), _r(w.end), section_of[id(w)]) for w in a.transcript.words),
        tuple(SectionResult(st.name, _r(st.start), _r(st.end), _r(st.speaking_s), st.word_count, _r(st.target_min_s),
                            _r(st.target_max_s), st.verdict, _r(st.gap_s), _r(st.share), _r(st.share_min),
                            _r(st.share_max), st.share_verdict, sec.text)
              for st, sec in zip(t.sections, a.sections, strict=False)),
        TotalResult(_r(t.total_s), _r(t.total_min_s), _r(t.total_max_s), t.total_verdict, _r(t.total_gap_s)),
        DeliveryResult.from_dict(a.delivery.to_dict()),  # delivery.py writes (and rounds) its own record
        tuple(_rounded(f) for f in a.findings),
        a.score.value, a.score.breakdown,
        a.voice.to_dict() if a.voice is not None else None,
    )


def result_of_follow_up(f: ScoredFollowUp, *, text: str = "") -> FollowUpResult:
    """A scored follow-up answer as it is saved; `text` is the follow-up as asked."""
    return FollowUpResult(
        f.question_id, f.follow_up_id, text, f.level, _r(f.transcript.duration_s), f.transcript.estimated,
        tuple(ResultWord(w.text, _r(w.start), _r(w.end)) for w in f.transcript.words),
        _r(f.speaking_s), _r(f.target[0]), _r(f.target[1]), f.verdict, _r(f.gap_s),
        DeliveryResult.from_dict(f.delivery.to_dict()), tuple(_rounded(x) for x in f.findings),
        f.voice.to_dict() if f.voice is not None else None,
    )
