"""A tiny question bank written to a folder (one question, two rubric checks) and a typed answer to it."""

from __future__ import annotations

from pathlib import Path

import yaml

TINY_RUBRIC = {"version": 1, "checks": [
    {"id": "structure", "kind": "structure", "severity": "high", "message": "All four parts", "advice": "Tell all four."},
    {"id": "metric", "kind": "phrases", "scope": ["result"], "expect": "present", "patterns": [r"\d"],
     "message": "A number in the result", "advice": "Give one metric."},
]}
TINY_QUESTION = {
    "id": "tiny", "title": "Tiny", "question": "Tell me about a time.", "probes": "Whether you can tell a story.",
    "default_level": "em",
    "levels": {"em": {"label": "EM", "expectations": "One team."}, "director": {"label": "Director", "expectations": "Many teams."}},
    "targets": {
        "total": {"min_s": 60, "max_s": 120},
        "sections": {n: {"min_s": 10, "max_s": 40} for n in ("situation", "task", "action", "result")},
        "shares": {n: {"min": 0.1, "max": 0.6} for n in ("situation", "task", "action", "result")},
    },
    "follow_ups": [{"id": "again", "text": "Would you do it again?", "why": "Reflection.", "target": {"min_s": 20, "max_s": 60},
                    "avoid": [{"id": "no-choice", "sounds_like": "I had no choice.", "patterns": [r"\bno choice\b"], "advice": "Own it."}]}],
    "mistakes": [{"id": "blame", "name": "Blaming", "sounds_like": "It was their fault.", "why": "Deflects.",
                  "patterns": [r"\btheir fault\b"], "advice": "Own your part."}],
    "fluency_signals": [{"id": "owned", "phrase": "I owned it", "signals": "ownership", "patterns": [r"\bi owned it\b"]}],
    "checks": [{"id": "wrote", "kind": "phrases", "expect": "present", "patterns": [r"\bwrote\b"], "message": "Wrote it down", "advice": "Write."}],
    "model_answers": [{"level": "em", "domain": "x", "situation": "S.", "task": "T.", "action": "A.", "result": "R."}],
}


def write_bank(folder: Path, question: dict | None = None, rubric: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    q = question if question is not None else TINY_QUESTION
    (folder / f"{q.get('id', 'tiny')}.yaml").write_text(yaml.safe_dump(q, sort_keys=False), encoding="utf-8")
    (folder / "rubric.yaml").write_text(yaml.safe_dump(rubric if rubric is not None else TINY_RUBRIC), encoding="utf-8")
    return folder


TINY_ANSWER = (
    "Our team was two weeks from a launch when I found that the new vendor returned ambiguous results under load. "
    "I owned the integration and needed to decide whether to ask for a delay. "
    "I wrote a one page memo for my director with the traces and a proposal. She decided to ship on time. "
    "I briefed my team on the plan and I added monitoring and a rollback runbook. "
    "We launched on schedule and 2% of sessions hit the fallback, all resolved within an hour. "
    "I learned to frame the trade-off rather than only the risk."
)
