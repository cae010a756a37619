"""The CLI through typer's runner: output, the JSON contract, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from starcoach.cli import app
from tests.test_bank import QUESTION, RUBRIC, write_bank

runner = CliRunner(env={"COLUMNS": "200"})

ANSWER = (
    "Our team was two weeks from a launch when I found that the new vendor returned ambiguous results under load. "
    "I owned the integration and needed to decide whether to ask for a delay. "
    "I wrote a one page memo for my director with the traces and a proposal. She decided to ship on time. "
    "I briefed my team on the plan and I added monitoring and a rollback runbook. "
    "We launched on schedule and 2% of sessions hit the fallback, all resolved within an hour. "
    "I learned to frame the trade-off rather than only the risk."
)


@pytest.fixture
def tiny_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = write_bank(tmp_path / "bank")
    monkeypatch.setenv("STARCOACH_QUESTIONS", str(folder))
    return folder


@pytest.fixture
def answer_file(tmp_path: Path) -> Path:
    path = tmp_path / "answer.txt"
    path.write_text(ANSWER, encoding="utf-8")
    return path


def test_help_and_version() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("score", "questions"):
        assert command in result.output
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("starcoach ")


def test_questions_lists_and_shows(tiny_bank: Path) -> None:
    result = runner.invoke(app, ["questions"])
    assert result.exit_code == 0, result.output
    assert "tiny" in result.output and "Tell me about a time." in result.output
    result = runner.invoke(app, ["questions", "show", "tiny", "--answers"])
    assert result.exit_code == 0, result.output
    for text in ("Would you do it again?", "It was their fault.", "I owned it", "Wrote it down", "[S] S."):
        assert text in result.output


def test_score_text_prints_the_json_contract(tiny_bank: Path, answer_file: Path) -> None:
    result = runner.invoke(app, ["score", str(answer_file), "--question", "tiny", "--level", "director", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"question", "level", "duration_s", "estimated", "words", "sections", "delivery", "findings", "score"} <= set(data)
    assert data["question"] == "tiny" and data["level"] == "director" and data["estimated"] is True
    assert [s["name"] for s in data["sections"]] == ["situation", "task", "action", "result"]
    for s in data["sections"]:
        assert {"name", "start", "end", "speaking_s", "word_count", "target_min_s", "target_max_s", "verdict", "text"} <= set(s)
        assert s["verdict"] in ("short", "ok", "long")
    assert len(data["words"]) == len(ANSWER.split())
    assert set(data["words"][0]) >= {"text", "start", "end", "section"}
    assert sum(s["word_count"] for s in data["sections"]) == len(data["words"])
    for f in data["findings"]:
        assert {"id", "passed", "severity", "message", "advice", "evidence"} <= set(f)
        for e in f["evidence"]:
            assert {"text", "start", "end"} == set(e)
    wrote = next(f for f in data["findings"] if f["id"] == "wrote")
    # evidence is the whole clause that matched, with its times
    assert wrote["passed"] and wrote["evidence"][0]["text"] == "I wrote a one page memo for my director with the traces and a proposal."
    assert 0 <= data["score"] <= 100


def test_score_text_prints_a_report(tiny_bank: Path, answer_file: Path) -> None:
    result = runner.invoke(app, ["score", str(answer_file), "-q", "tiny"])
    assert result.exit_code == 0, result.output
    for text in ("Score", "STAR sections", "Situation", "Action", "Delivery", "To work on", "times estimated"):
        assert text in result.output
    assert "Traceback" not in result.output


def test_question_is_guessed_when_not_given(tiny_bank: Path, answer_file: Path) -> None:
    result = runner.invoke(app, ["score", str(answer_file), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["question"] == "tiny"


@pytest.mark.parametrize(("args", "message"), [
    (["score", "missing.wav"], "no such file: missing.wav"),
    (["score", "{answer}", "-q", "nope"], "unknown question 'nope'"),
    (["score", "{answer}", "-q", "tiny", "-l", "junior"], "not asked at level 'junior'"),
    (["score", "{empty}", "-q", "tiny"], "is empty"),
    (["score", "{folder}"], "not a file"),
    (["questions", "show", "nope"], "unknown question 'nope'"),
])
def test_bad_input_is_one_line_and_exit_1(tiny_bank: Path, answer_file: Path, tmp_path: Path, args: list[str], message: str) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    args = [a.format(answer=answer_file, empty=empty, folder=tmp_path) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0, result.output  # one line


def test_malformed_question_file_is_one_line(tiny_bank: Path, answer_file: Path) -> None:
    (tiny_bank / "tiny.yaml").write_text("id: tiny\ntargets: 5\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(answer_file)])
    assert result.exit_code == 1
    assert "tiny.yaml" in result.output and "Traceback" not in result.output


def test_corrupt_and_silent_audio_are_refused_cleanly(tiny_bank: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio at all")
    result = runner.invoke(app, ["score", str(corrupt), "-q", "tiny"])
    assert result.exit_code == 1 and "corrupt.wav" in result.output and "Traceback" not in result.output
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype="float32"), 16000)
    result = runner.invoke(app, ["score", str(empty), "-q", "tiny"])
    assert result.exit_code == 1 and "empty.wav" in result.output and "Traceback" not in result.output


def test_score_save_stores_a_session(tiny_bank: Path, answer_file: Path) -> None:
    from starcoach.store import SessionStore

    result = runner.invoke(app, ["score", str(answer_file), "-q", "tiny", "--save", "--json"])
    assert result.exit_code == 0, result.output
    (summary,) = SessionStore().list()
    session = SessionStore().load(summary.id)
    assert session.data["source"] == "score" and session.status == "complete"
    (entry,) = session.answers
    assert entry["audio"] is None and entry["result"]["question"] == "tiny"
    assert entry["result"]["score"] == json.loads(result.stdout)["score"]


def test_ctrl_c_works_even_when_the_parent_ignored_sigint() -> None:
    """A shell's background job starts with SIGINT ignored, and Python keeps it so; the CLI takes it
    back, or Ctrl-C would not end a take."""
    import signal
    import subprocess
    import sys

    probe = ("import signal; from starcoach import cli; before = signal.getsignal(signal.SIGINT); cli.take_ctrl_c(); "
             "print(before is signal.SIG_IGN, signal.getsignal(signal.SIGINT) is signal.default_int_handler)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert done.stdout.split() == ["True", "True"], done.stderr
