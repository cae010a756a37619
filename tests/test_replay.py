"""`starcoach replay`: the transcript with times, sections and findings in place, `--from`, `--rescore`
(with an edited copy of the question bank) and `--save`, and ids that try to leave the data folder."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from starcoach import replay, replay_rescore
from starcoach.bank import load_bank
from starcoach.cli import app
from starcoach.errors import StarcoachError
from starcoach.records import Evidence, Finding
from starcoach.result import ResultWord
from starcoach.store import SessionStore
from tests.builders.cli import one_line_error, runner
from tests.builders.sessions import QUESTION_ID, SCORED_FOLLOW_UP, make_session


def ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def finding(output_of_session: dict, finding_id: str) -> dict:
    return next(f for f in output_of_session["findings"] if f["id"] == finding_id)


# --------------------------------------------------------------------------- the transcript


def test_replay_shows_timestamped_lines_section_headers_and_findings_in_place() -> None:
    session = make_session()
    result = session.answers[0]["result"]
    output = ok(["replay", session.id])
    lines = output.splitlines()
    assert lines.count(next(x for x in lines if x.startswith("[0:00] Our team was two weeks"))) == 1
    stamps = re.findall(r"^\[(\d+):(\d\d)\] ", output, flags=re.M)
    assert len(stamps) >= 6  # a line per sentence
    seconds = [int(m) * 60 + int(s) for m, s in stamps]
    assert seconds == sorted(seconds)
    # A header where each section starts, in STAR order, with its time against the target.
    headers = [next(i for i, x in enumerate(lines) if x.startswith(name)) for name in ("Situation", "Task", "Action", "Result")]
    assert headers == sorted(headers)
    action = next(s for s in result["sections"] if s["name"] == "action")
    assert f"{action['verdict']}" in lines[headers[2]] and "against" in lines[headers[2]]
    assert lines[headers[0] + 1].startswith("[0:00] Our team")
    # A marker right after the quoted words, and the finding's message on a line below.
    written = finding(result, "case-in-writing")
    assert written["passed"] and "memo" in written["evidence"][0]["text"]  # the whole clause
    marker_line = next(i for i, x in enumerate(lines) if re.search(r"proposal\. \[\u2713\d+\]", x))
    numbers = re.findall(r"\[\u2713(\d+)\]", lines[marker_line])
    below = "\n".join(lines[marker_line + 1 : marker_line + 6])
    assert any(f"\u2713{n} {written['message']}" in below for n in numbers)
    assert re.search(r"briefed my team on the plan.*\[\u2605\d+\]", output)  # a fluency signal heard, its clause marked
    failed = re.search(r"runbook\.( \[\S+\])*", output).group(0)
    assert re.search(r"\[\u2717\d+\]", failed)  # action's timing, failed, ends at the section's last word
    # The summary at the end.
    tail = output[output.index("Findings:"):]
    assert "To work on" in tail and "Done well" in tail and "Fluency signals heard" in tail
    assert written["advice"] not in tail  # advice is shown for failed findings only
    total = finding(result, "total-time")
    assert not total["passed"] and total["message"] in tail and " ".join(total["advice"].split()[:6]) in tail
    assert "Delivery" in tail and "\u201cUm,\u201d" in tail


def test_transcript_lines_are_coloured_by_section() -> None:
    from rich.text import Text

    from starcoach.answer_view import COLOURS

    session = make_session()
    view = replay.transcript_view(replay.load_answer(session.id))
    lines = [r for r in view.renderables if isinstance(r, Text) and r.plain.startswith("[")]
    memo = next(line for line in lines if "memo" in line.plain)
    assert str(memo.style) == ""  # no style over the whole line: each word carries its own
    styles = {memo.plain[s.start:s.end]: str(s.style) for s in memo.spans}
    stamp = memo.plain[: memo.plain.index("] ") + 2]
    assert styles["memo"] == COLOURS["action"] and styles[stamp] == "dim"
    first = lines[0]
    assert {first.plain[s.start:s.end]: str(s.style) for s in first.spans}["team"] == COLOURS["situation"]


def test_finding_markers_are_red_when_failed_yellow_for_fluency_signals() -> None:
    def f(passed: bool, severity: str) -> Finding:
        return Finding("x", passed, severity, "m", "a", (Evidence("w", 0.0, 0.3),))

    assert replay.marker_text(f(False, "high"), 1).style == "bold red"
    assert replay.marker_text(f(True, "info"), 2).style == "bold yellow"
    assert replay.marker_text(f(True, "medium"), 3).style == "green"
    assert replay.marker_text(f(False, "low"), 4).plain == "[\u27174]"
    words = [ResultWord("a", 0.0, 0.3), ResultWord("b", 0.3, 0.6)]
    at, numbers = replay.markers(words, [f(False, "info"), f(False, "high")])  # an unheard signal: no marker
    assert at == {0: [1]} and numbers == {1: 1}


def test_replay_from_skips_the_earlier_text() -> None:
    session = make_session()
    words = session.answers[0]["result"]["words"]
    full = ok(["replay", session.id])
    later = ok(["replay", session.id, "--from", "0:20"])
    assert "Our team was two weeks" in full and "Our team was two weeks" not in later
    assert "from 0:20" in later
    first_shown = next(w for w in words if w["end"] > 20)
    stamps = [int(m) * 60 + int(s) for m, s in re.findall(r"^\[(\d+):(\d\d)\] ", later, flags=re.M)]
    assert stamps and min(stamps) >= 19 and stamps[0] == round(first_shown["start"]) // 1
    assert "We launched on schedule" in later
    assert "Situation" not in later.split("from 0:20")[1].split("Findings:")[0]
    assert "Findings:" in later  # the summary is the whole answer's
    assert ok(["replay", session.id, "--from", "20"]) == later
    one_line_error(["replay", session.id, "--from", "9:00"], "is past the end")
    one_line_error(["replay", session.id, "--from", "soon"], "not a time: 'soon'")


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90.0), ("1:30", 90.0), ("1:30.5", 90.5), ("0:05", 5.0), ("0", 0.0), ("12.25", 12.25), ("1:02:03", 3723.0),
])
def test_parse_clock(text: str, seconds: float) -> None:
    assert replay.parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["", "-5", "1:75", "a:30", "1::30", "1:2:3:4", "1:60", "90s", "1,5"])
def test_parse_clock_refuses(text: str) -> None:
    with pytest.raises(StarcoachError, match="not a time"):
        replay.parse_clock(text)


def test_replay_a_follow_up_answer() -> None:
    session = make_session(follow_up=SCORED_FOLLOW_UP)
    output = ok(["replay", session.id, "--answer", "1"])
    assert "follow-up: How did your team find out you had disagreed?" in output
    assert "Follow-up answer" in output and "[0:00] They only heard the plan from me." in output
    assert not any(line.startswith(("Situation", "Action")) for line in output.splitlines())
    dissent = finding(session.answers[1]["result"], "delegated-dissent")
    assert not dissent["passed"]
    assert re.search(r"told my team I disagreed, as a lesson\.? \[\u2717\d+\]", output)
    one_line_error(["replay", session.id, "-a", "2"], "has no answer 2 (it has answers 0\u20131)")


def test_unscored_and_damaged_answers_are_one_line_errors() -> None:
    store = SessionStore()
    s = store.create(question_id=QUESTION_ID, question_text="q", level="em", source="practice")
    s.add_answer({"kind": "main", "result": None})
    s.finish("interrupted")
    one_line_error(["replay", s.id], "was never scored")
    good = make_session()
    good.set_result(0, {**good.answers[0]["result"], "words": [{"text": "x"}]})
    one_line_error(["replay", good.id], "stored result is damaged: words[0] needs text, start and end")
    one_line_error(["replay", "20990101-000000-nothing"], "no session '20990101-000000-nothing'")


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../b", "..", ".hidden"])
def test_ids_that_leave_the_sessions_folder_are_refused(bad: str, tmp_path: Path) -> None:
    make_session()
    outside = tmp_path / "home" / "x"  # what "../x" names from the sessions folder
    outside.mkdir(parents=True)
    (outside / "session.json").write_text(json.dumps({"not": "a session"}), encoding="utf-8")
    before = (outside / "session.json").read_bytes()
    for args in (["replay", bad], ["replay", bad, "--rescore", "--keep"], ["replay", bad, "--play"],
                 ["sessions", "delete", bad]):
        one_line_error(args, "not a session id")
    assert (outside / "session.json").read_bytes() == before


# --------------------------------------------------------------------------- rescoring


def edited_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped bank, edited: case-in-writing no longer hears "memo", no-vindication is
    gone, names-the-vendor is new, the situation and total targets fit a short answer, and the
    team-found-out follow-up no longer hears "told my team I disagreed"."""
    folder = tmp_path / "questions"
    shutil.copytree(load_bank().folder, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = folder / f"{QUESTION_ID}.yaml"
    q = yaml.safe_load(path.read_text(encoding="utf-8"))
    checks = q["checks"]
    next(c for c in checks if c["id"] == "case-in-writing")["patterns"] = [r"\brisk matrix\b"]
    q["checks"] = [c for c in checks if c["id"] != "no-vindication"] + [
        {"id": "names-the-vendor", "kind": "phrases", "expect": "present", "patterns": [r"\bvendor\b"],
         "message": "Names the vendor", "advice": "Say who."}]
    q["targets"]["sections"]["situation"] = {"min_s": 3, "max_s": 12}
    q["targets"]["total"] = {"min_s": 20, "max_s": 60}
    fu = next(f for f in q["follow_ups"] if f["id"] == "team-found-out")
    fu["avoid"][0]["patterns"] = [r"\bnever said this\b"]
    path.write_text(yaml.safe_dump(q, sort_keys=False, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("STARCOACH_QUESTIONS", str(folder))
    load_bank()  # the edit is valid
    return folder


def test_rescore_with_the_same_bank_changes_nothing() -> None:
    session = make_session()
    output = ok(["replay", session.id, "--rescore"])
    score = round(session.answers[0]["result"]["score"])
    assert f"Score {score} \u2192 {score}" in output and "(unchanged)" in output
    assert "Nothing changed" in output


def test_rescore_with_an_edited_bank_shows_what_changed_and_save_keeps_it(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    session = make_session()
    stored = session.answers[0]["result"]
    assert finding(stored, "case-in-writing")["passed"] and finding(stored, "no-vindication")["passed"]
    file = session.path / "session.json"
    on_disk = file.read_bytes()
    edited_bank(tmp_path, monkeypatch)

    output = ok(["replay", session.id, "--rescore"])
    assert file.read_bytes() == on_disk  # not saved without --save
    assert "Not saved (add --keep" in output
    flipped = output[output.index("Findings that flipped"):]
    assert re.search(r"case-in-writing: passed \u2192 failed", flipped)
    assert re.search(r"total-time: failed \u2192 passed", flipped)
    assert re.search(r"\+ names-the-vendor: passed\s+Names the vendor", output)
    assert re.search(r"- no-vindication: was passed", output)
    assert re.search(r"Situation: short \u2192 ok", output) and re.search(r"Total: short \u2192 ok", output)
    before = round(stored["score"])
    after = int(re.search(rf"Score {before} \u2192 (\d+)", output).group(1))
    assert after != before

    output = ok(["replay", session.id, "--rescore", "--keep"])
    assert "Saved" in output
    saved = SessionStore().load(session.id).answers[0]["result"]
    assert saved["score"] == after
    assert not finding(saved, "case-in-writing")["passed"] and finding(saved, "names-the-vendor")["passed"]
    assert "no-vindication" not in {f["id"] for f in saved["findings"]}
    assert saved["words"] == stored["words"] and saved["estimated"] is True and saved["question"] == QUESTION_ID
    assert saved["question_text"] == stored["question_text"]
    assert "Nothing changed" in ok(["replay", session.id, "--rescore"])
    summary = next(s for s in SessionStore().list() if s.id == session.id)
    assert summary.score == after and summary.verdicts["situation"] == "ok"


def test_rescore_a_follow_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = make_session(follow_up=SCORED_FOLLOW_UP)
    edited_bank(tmp_path, monkeypatch)
    output = ok(["replay", session.id, "-a", "1", "--rescore", "--keep"])
    assert re.search(r"delegated-dissent: failed \u2192 passed", output)
    assert "Score" not in output  # a follow-up has no score
    saved = SessionStore().load(session.id).answers[1]["result"]
    assert finding(saved, "delegated-dissent")["passed"] and saved["follow_up"] == "team-found-out"
    assert saved["follow_up_text"] == "How did your team find out you had disagreed?"
    assert SessionStore().load(session.id).answers[0]["result"] == session.answers[0]["result"]  # untouched


def test_rescore_keeps_estimated_and_the_stored_times() -> None:
    session = make_session()
    answer = replay.load_answer(session.id)
    transcript = replay_rescore.stored_transcript(answer)
    stored = session.answers[0]["result"]
    assert transcript.estimated is True and transcript.duration_s == stored["duration_s"]
    assert [(w.text, w.start, w.end) for w in transcript.words] == [(w["text"], w["start"], w["end"]) for w in stored["words"]]


def test_save_without_rescore_and_rescore_of_a_removed_question_are_one_line(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    session = make_session()
    one_line_error(["replay", session.id, "--save"], "use it with --rescore")
    folder = edited_bank(tmp_path, monkeypatch)
    (folder / f"{QUESTION_ID}.yaml").unlink()
    one_line_error(["replay", session.id, "--rescore"], f"unknown question '{QUESTION_ID}'")


# --------------------------------------------------------------------------- play


def test_play_of_a_typed_answer_is_a_clear_error() -> None:
    session = make_session()
    one_line_error(["replay", session.id, "--play"], "was typed, so there is no audio to play")


def test_play_with_a_missing_recording_or_no_output_device_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from starcoach.devices import portaudio

    session = make_session(audio=np.zeros(16000, dtype=np.float32))

    class NoDevices:
        class PortAudioError(Exception):
            pass

        @classmethod
        def query_devices(cls, device=None, kind=None):
            raise cls.PortAudioError("Error querying device -1")

    monkeypatch.setattr(portaudio, "load_sounddevice", lambda: NoDevices)
    one_line_error(["replay", session.id, "--play"], "no audio output device found")
    session.audio_file(0).unlink()
    one_line_error(["replay", session.id, "--play"], "is missing")


def test_lines_break_at_sentences_sections_and_ten_seconds() -> None:
    w = ResultWord
    words = [w("One", 0, 0.4, "situation"), w("two.", 0.4, 0.8, "situation"), w("Three", 1, 1.4, "situation"),
             w("four", 1.4, 1.8, "task"), *(w("on", 2 + i, 2.5 + i, "task") for i in range(12))]
    lines = replay.split_lines(words)
    assert [(ln.first, ln.last) for ln in lines] == [(0, 1), (2, 2), (3, 13), (14, 15)]
    assert replay.split_lines([]) == []
