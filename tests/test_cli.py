"""The CLI through typer's runner: output, the JSON contract, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from starcoach.cli import app
from tests.builders.bank import TINY_ANSWER, write_bank
from tests.builders.cli import one_line_error, runner


@pytest.fixture
def tiny_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = write_bank(tmp_path / "bank")
    monkeypatch.setenv("STARCOACH_QUESTIONS", str(folder))
    return folder


@pytest.fixture
def answer_file(tmp_path: Path) -> Path:
    path = tmp_path / "answer.txt"
    path.write_text(TINY_ANSWER, encoding="utf-8")
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
    assert len(data["words"]) == len(TINY_ANSWER.split())
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


# --------------------------------------------------------------------------- --verbose and the option names


@pytest.fixture
def quiet_logging_after():
    """A -v run leaves its handler on the "starcoach" logger until the next run: take it off after."""
    yield
    from starcoach.commands.common import setup_logging

    setup_logging(0)


def _leftover() -> Path:
    """An import's staging folder a killed starcoach left (old, nobody holds it): the next start removes
    it and logs so at INFO."""
    import os

    folder = Path(os.environ["STARCOACH_HOME"]) / "sessions" / ".import-killed"
    folder.mkdir(parents=True)
    os.utime(folder, (0, 0))
    return folder


def test_verbose_logs_to_stderr_only_when_asked(quiet_logging_after) -> None:
    left = _leftover()
    result = runner.invoke(app, ["sessions"])
    assert result.exit_code == 0, result.output
    assert not left.exists() and "leftover" not in result.output  # cleaned, quietly (as before -v existed)

    left = _leftover()
    result = runner.invoke(app, ["-v", "sessions"])
    assert result.exit_code == 0, result.output
    assert not left.exists()
    assert "removed a leftover of a killed starcoach" in result.stderr and "leftover" not in result.stdout
    assert "on Python" not in result.stderr  # DEBUG only with -vv

    result = runner.invoke(app, ["-vv", "sessions"])
    assert result.exit_code == 0, result.output
    assert "on Python" in result.stderr and "sessions" in result.stderr

    result = runner.invoke(app, ["--verbose", "sessions", "--json"])  # the long name; stdout stays JSON
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []

    result = runner.invoke(app, ["sessions"])  # and quiet again afterwards, in the same process
    assert result.exit_code == 0 and result.stderr == "", result.output


def _saved_sessions(answer_file: Path, n: int) -> list[str]:
    from starcoach.store import SessionStore

    for _ in range(n):
        result = runner.invoke(app, ["score", str(answer_file), "-q", "tiny", "--save"])
        assert result.exit_code == 0, result.output
    return [s.id for s in SessionStore().list()]


def test_report_format_and_its_old_flags(tiny_bank: Path, answer_file: Path, tmp_path: Path) -> None:
    (session_id,) = _saved_sessions(answer_file, 1)
    pages = {}
    for name, args in {"format-md": ["--format", "markdown"], "old-md": ["--markdown"], "format-html": ["--format", "html"],
                       "old-html": ["--html"], "default": []}.items():
        target = tmp_path / name
        result = runner.invoke(app, ["report", session_id, *args, "-o", str(target)])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == str(target)
        pages[name] = target.read_text(encoding="utf-8")
    assert pages["format-md"] == pages["old-md"] and pages["format-md"].lstrip().startswith("#")
    assert pages["format-html"].lstrip().lower().startswith("<!doctype html")
    assert pages["default"] == pages["format-html"] == pages["old-html"]
    result = runner.invoke(app, ["report", session_id, "--format", "markdown", "--markdown", "-o", str(tmp_path / "both")])
    assert result.exit_code == 0, result.output  # the same choice twice is no conflict

    one_line_error(["report", session_id, "--format", "html", "--markdown"], "choose one of --format html and --markdown")
    one_line_error(["report", session_id, "--html", "--markdown"], "choose one of --html and --markdown")
    result = runner.invoke(app, ["report", session_id, "--format", "pdf"])
    assert result.exit_code == 2 and "pdf" in result.output  # typer's usage error names the choices
    result = runner.invoke(app, ["report", "--help"])
    assert "--format" in result.output and "--markdown" not in result.output and "--html" not in result.output


def test_replay_keep_and_its_old_spelling_save(tiny_bank: Path, answer_file: Path) -> None:
    (session_id,) = _saved_sessions(answer_file, 1)
    for flag in ("--keep", "--save"):
        result = runner.invoke(app, ["replay", session_id, "--rescore", flag])
        assert result.exit_code == 0, result.output
        assert "Rescored" in result.output and "Not saved" not in result.output
        one_line_error(["replay", session_id, flag], f"{flag} keeps a new result: use it with --rescore")
    result = runner.invoke(app, ["replay", "--help"])
    assert "--keep" in result.output and "--save" not in result.output


def test_progress_json_gives_the_points(tiny_bank: Path, answer_file: Path) -> None:
    from starcoach import progress
    from starcoach.store import SessionStore

    result = runner.invoke(app, ["progress", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"metric": None, "points": []}

    ids = _saved_sessions(answer_file, 2)
    result = runner.invoke(app, ["progress", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["metric"] is None
    assert [p["id"] for p in data["points"]] == ids[::-1]  # oldest first, as the chart draws them
    stored = SessionStore().load(ids[0]).answers[0]["result"]
    for point in data["points"]:
        assert point["question"] == "tiny" and set(point) == {"id", "created", "question", "values", "targets"}
        assert set(point["values"]) == set(point["targets"]) == set(progress.METRICS)
        assert point["values"]["score"] == stored["score"]
        assert point["values"]["total"] == stored["total"]["speaking_s"]
        assert point["targets"]["total"] == [stored["total"]["target_min_s"], stored["total"]["target_max_s"]]
        assert point["targets"]["score"] is None

    result = runner.invoke(app, ["progress", "--json", "--metric", "wpm", "-q", "tiny"])
    assert result.exit_code == 0, result.output
    one = json.loads(result.stdout)
    assert one["metric"] == "wpm" and len(one["points"]) == 2
    assert all(set(p["values"]) == set(p["targets"]) == {"wpm"} for p in one["points"])
    assert [p["values"]["wpm"] for p in one["points"]] == [p["values"]["wpm"] for p in data["points"]]
    one_line_error(["progress", "--json", "--metric", "speed"], "unknown metric 'speed'")


def test_practice_voice_wpm_and_its_old_spelling_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the option handling: run_practice (the devices, the model) is replaced by a recorder."""
    from starcoach.commands import practice as practice_command

    calls: list[dict] = []
    monkeypatch.setattr(practice_command, "run_practice", lambda **kwargs: calls.append(kwargs))
    for args, wpm in ((["--voice-wpm", "180"], 180), (["--rate", "170"], 170), (["--voice-wpm", "160", "--rate", "160"], 160), ([], None)):
        result = runner.invoke(app, ["practice", "--no-speak", *args])
        assert result.exit_code == 0, result.output
        assert calls.pop()["voice_wpm"] == wpm
    result = runner.invoke(app, ["practice", "-q", "tiny", "-l", "em", "-f", "0", "--silence", "0", "-d", "2", "-i", "a.wav"])
    assert result.exit_code == 0, result.output
    assert calls.pop() == {"question_id": "tiny", "random_question": False, "level": "em", "follow_ups": 0,
                           "max_minutes": None, "silence_s": None, "device": "2", "speak": True, "voice_wpm": None,
                           "voice": None, "inputs": [Path("a.wav")], "model": None, "final_pass": True}
    one_line_error(["practice", "--voice-wpm", "180", "--rate", "120"], "--voice-wpm and --rate are one option")
    assert not calls
    result = runner.invoke(app, ["practice", "--help"])
    assert "--voice-wpm" in result.output and "--rate" not in result.output
