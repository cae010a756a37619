"""`starcoach sessions` (alias history) and `starcoach progress`, on sessions stored through SessionStore
with results made by really scoring typed answers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from starcoach import progress
from starcoach.cli import app
from starcoach.store import Session, SessionStore
from tests.builders.cli import ok, one_line_error
from tests.builders.sessions import QUESTION_ID, SCORED_ANSWER, SCORED_FOLLOW_UP, T0, make_session


def write_damaged(name: str, text: str) -> Path:
    folder = SessionStore().root / name
    folder.mkdir(parents=True)
    (folder / "session.json").write_text(text, encoding="utf-8")
    return folder






# --------------------------------------------------------------------------- sessions


def test_sessions_are_listed_newest_first_with_their_scores_and_verdicts() -> None:
    middle = make_session(T0 + timedelta(days=1), wpm=150)
    oldest = make_session(T0, wpm=120)
    newest = make_session(T0 + timedelta(days=2), wpm=180)
    output = ok(["sessions"])
    positions = [output.index(s.id) for s in (newest, middle, oldest)]
    assert positions == sorted(positions), output
    for s in (oldest, middle, newest):
        result = s.answers[0]["result"]
        row = next(line for line in output.splitlines() if s.id in line)
        assert f"{s.data['created'][:10]}" in row or f"{datetime.fromisoformat(s.data['created']).astimezone():%Y-%m-%d}" in row
        assert f" {round(result['score'])} " in row
        assert QUESTION_ID in row and " em " in row and "complete" in row
        verdicts = [sec["verdict"] for sec in result["sections"]]
        assert row.count("short") == verdicts.count("short")
    assert "Sessions (3)" in output


def test_a_narrow_terminal_gets_a_compact_table_that_still_shows_everything() -> None:
    sessions = [make_session(T0), make_session(T0 + timedelta(days=1), text=" ".join([SCORED_ANSWER] * 8), wpm=120)]
    assert {x["verdict"] for x in sessions[1].answers[0]["result"]["sections"]} >= {"long"}
    result = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["sessions"])
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert "\u2713 ok \u00b7 \u2193 short \u00b7 \u2191 long" in result.output  # the legend of the marks
    for s in sessions:
        result_ = s.answers[0]["result"]
        assert s.id in result.output  # whole, on its own line
        marks = "  ".join({"ok": "\u2713", "short": "\u2193", "long": "\u2191"}[x["verdict"]] for x in result_["sections"])
        row = next(line for line in result.output.splitlines() if f"{QUESTION_ID} \u00b7" in line and marks in line
                   and f" {round(result_['score'])} " in line)
        assert "complete" in row


def test_history_is_the_same_command_as_sessions() -> None:
    make_session()
    assert ok(["history"]) == ok(["sessions"])
    assert json.loads(ok(["history", "--json"])) == json.loads(ok(["sessions", "--json"]))


def test_question_filter() -> None:
    mine = make_session(T0, question="acting-independently")
    other = make_session(T0 + timedelta(hours=1))
    output = ok(["sessions", "--question", "acting-independently"])
    assert mine.id in output and other.id not in output
    assert "Sessions (1)" in output
    output = ok(["sessions", "-q", "nope"])
    assert "no sessions for question 'nope'" in output


def test_json_lists_the_same_sessions_as_objects() -> None:
    first = make_session(T0)
    second = make_session(T0 + timedelta(minutes=5), follow_up=SCORED_FOLLOW_UP)
    data = json.loads(ok(["sessions", "--json"]))
    assert [d["id"] for d in data] == [second.id, first.id]
    d = data[0]
    result = second.answers[0]["result"]
    assert d["question"] == QUESTION_ID and d["level"] == "em" and d["status"] == "complete"
    assert d["score"] == round(result["score"]) and d["duration_s"] == result["duration_s"]
    assert d["verdicts"] == {s["name"]: s["verdict"] for s in result["sections"]}
    assert d["answers"] == 2 and d["missing_audio"] == []
    assert datetime.fromisoformat(d["created"]) == T0 + timedelta(minutes=5)


def test_a_damaged_session_is_listed_with_its_reason_and_the_others_still_are() -> None:
    good = make_session()
    write_damaged("20260302-100000-cut-short", '{"schema_version": 1, "id": "20260302-100')
    write_damaged("20260302-110000-wrong-id", json.dumps({**good.data, "id": "someone-else"}))
    (SessionStore().root / "20260302-120000-half-written").mkdir()  # a folder without session.json yet
    output = ok(["sessions"])
    assert good.id in output and "Sessions (4)" in output
    rows = [line for line in output.splitlines() if line.rstrip().endswith(" damaged")]
    assert len(rows) == 3
    notes = {line.split()[1].rstrip(":"): line for line in output.splitlines() if line.startswith("damaged ")}
    assert "not valid JSON" in notes["20260302-100000-cut-short"]
    assert "does not match its folder" in notes["20260302-110000-wrong-id"]
    assert "has no session.json" in notes["20260302-120000-half-written"]
    data = json.loads(ok(["sessions", "--json"]))
    damaged = {d["id"]: d for d in data if d["status"] == "damaged"}
    assert set(damaged) == {"20260302-100000-cut-short", "20260302-110000-wrong-id", "20260302-120000-half-written"}
    assert "not valid JSON" in damaged["20260302-100000-cut-short"]["reason"]
    assert any(d["id"] == good.id and d["score"] is not None for d in data)


def test_no_sessions_yet() -> None:
    assert "no sessions yet" in ok(["sessions"])
    assert json.loads(ok(["sessions", "--json"])) == []


def test_delete_removes_the_session_and_says_what_it_deleted() -> None:
    keep = make_session(T0)
    gone = make_session(T0 + timedelta(days=1))
    output = ok(["sessions", "delete", gone.id])
    assert f"deleted session {gone.id}" in output and str(gone.path) in output.replace("\n", "")
    assert not gone.path.exists() and keep.path.is_dir()
    assert [d["id"] for d in json.loads(ok(["sessions", "--json"]))] == [keep.id]
    damaged = write_damaged("20260302-100000-cut-short", "{")
    ok(["history", "delete", damaged.name])
    assert not damaged.exists()


def test_delete_of_an_unknown_or_escaping_id_is_one_line(tmp_path: Path) -> None:
    make_session()
    outside = tmp_path / "home" / "x"  # what "../x" would name from the sessions folder
    outside.mkdir(parents=True)
    one_line_error(["sessions", "delete", "20990101-000000-nothing"], "no session '20990101-000000-nothing'")
    for bad in ("../x", "/etc/passwd", "a/../../b", ".."):
        one_line_error(["sessions", "delete", bad], "not a session id")
    assert outside.is_dir() and Path("/etc/passwd").exists()


# --------------------------------------------------------------------------- progress


def three_sessions() -> list[Session]:
    """Longer and faster each time: 1x at 120 wpm, 2x at 150, 3x at 180."""
    return [make_session(T0 + timedelta(days=i), text=" ".join([SCORED_ANSWER] * (i + 1)), wpm=wpm)
            for i, wpm in enumerate((120, 150, 180))]


def test_progress_points_carry_each_metric_and_its_target() -> None:
    sessions = three_sessions()
    make_session(T0 + timedelta(days=5), question="acting-independently")
    points = progress.progress_points(question=QUESTION_ID)
    assert [p.id for p in points] == [s.id for s in sessions]  # oldest first
    for p, s in zip(points, sessions, strict=False):
        r = s.answers[0]["result"]
        sections = {x["name"]: x for x in r["sections"]}
        assert p.values["total"] == r["total"]["speaking_s"]
        assert p.values["action"] == sections["action"]["speaking_s"]
        assert p.values["action_share"] == sections["action"]["share"]
        assert p.values["fillers"] == r["delivery"]["fillers_per_min"]
        assert p.values["wpm"] == r["delivery"]["wpm"] and p.values["score"] == r["score"]
        assert p.targets["action_share"] == (sections["action"]["share_min"], sections["action"]["share_max"])
        assert p.targets["result"] == (sections["result"]["target_min_s"], sections["result"]["target_max_s"])
        assert p.targets["score"] is None
    assert [round(p.values["wpm"]) for p in points] == [120, 150, 180]
    assert len(progress.progress_points()) == 4


def test_sparkline() -> None:
    assert progress.sparkline([1, 2, 3]) == "\u2581\u2585\u2588"
    assert progress.sparkline([0, 7, 3.5, 1]) == "\u2581\u2588\u2585\u2582"
    assert progress.sparkline([5, 5]) == "\u2584\u2584"
    assert progress.sparkline([1, None, 3]) == "\u2581 \u2588"
    assert progress.sparkline([]) == ""


def test_progress_table_shows_a_sparkline_and_first_to_last_for_each_metric() -> None:
    sessions = three_sessions()
    output = ok(["progress"])
    assert "Progress over 3 sessions" in output
    rows = {line.split("\u2502")[1].strip(): line for line in output.splitlines() if line.count("\u2502") >= 6}
    assert set(rows) >= {"total time", "situation", "task", "action", "result", "action share", "fillers", "pace", "score"}
    pace = rows["pace"]
    assert "\u2581\u2585\u2588" in pace and "120 wpm" in pace and "180 wpm" in pace and "+60 wpm" in pace
    results = [s.answers[0]["result"] for s in sessions]
    totals = [r["total"]["speaking_s"] for r in results]
    assert progress.sparkline(totals) in rows["total time"]
    first, last = totals[0], totals[-1]
    assert progress.format_value(progress.METRICS["total"], first) in rows["total time"]
    assert progress.format_value(progress.METRICS["total"], last) in rows["total time"]
    assert progress.format_change(progress.METRICS["total"], first, last) in rows["total time"]
    assert "4:00\u20135:00" in rows["total time"]  # disagree-and-commit's total target
    share = [next(x for x in r["sections"] if x["name"] == "action")["share"] for r in results]
    assert f"{share[0]:.0%}" in rows["action share"] and f"{share[-1]:.0%}" in rows["action share"]
    assert "60%\u201372%" in rows["action share"]


def test_progress_metric_draws_one_chart_with_values_dates_and_the_target_band() -> None:
    sessions = three_sessions()
    output = ok(["progress", "--metric", "action_share"])
    assert "Action share over 3 sessions" in output
    assert "target 60%\u201372%" in output
    shares = [next(x for x in s.answers[0]["result"]["sections"] if x["name"] == "action")["share"] for s in sessions]
    values_line = next(line for line in output.splitlines() if f"{shares[0]:.0%}" in line and f"{shares[2]:.0%}" in line)
    assert values_line.split() == [f"{v:.0%}" for v in shares]
    dates = [f"{T0 + timedelta(days=i):%d %b}" for i in range(3)]
    assert any(all(d in line for d in dates) for line in output.splitlines())
    band_rows = [line for line in output.splitlines() if "\u2503" in line]  # the axis inside the band
    assert band_rows and band_rows[0].lstrip().startswith("72%") and band_rows[-1].lstrip().startswith("60%")
    assert "\u2588" in output

    wpm = ok(["progress", "--metric", "wpm"])
    assert "Pace over 3 sessions" in wpm and "120 wpm" in wpm and "180 wpm" in wpm
    assert "Action share" not in wpm and "target" not in wpm and "\u2503" not in wpm


def test_bar_chart_heights_follow_the_values() -> None:
    chart = progress.bar_chart([1.0, 2.0, 4.0], ["a", "b", "c"], fmt=lambda v: f"{v:.0f}", height=8, col=6).plain
    rows = chart.splitlines()[:8]
    axis = rows[-1].index("\u2502")
    filled = [sum(row[axis + 1 + 6 * i + 2] == "\u2588" for row in rows) for i in range(3)]
    assert filled[0] < filled[1] < filled[2] == 7  # 4 of a top at 4.4: seven full rows and a partial one
    assert rows[0][axis + 1 + 12 + 2] in "\u2581\u2582\u2583\u2584\u2585\u2586\u2587"
    assert chart.splitlines()[-2].split() == ["1", "2", "4"]
    assert chart.splitlines()[-1].split() == ["a", "b", "c"]


def test_progress_with_fewer_than_two_sessions_says_so() -> None:
    assert "at least 2 scored sessions" in ok(["progress"])
    make_session()
    output = ok(["progress", "--metric", "score"])
    assert "at least 2 scored sessions" in output and "only 1" in output
    make_session(T0 + timedelta(days=1))
    assert "at least 2" in ok(["progress", "--question", "acting-independently"])
    assert "at least 2" not in ok(["progress"])


def test_progress_leaves_out_damaged_and_unscored_sessions() -> None:
    three_sessions()
    write_damaged("20260310-000000-broken", "{")
    unscored = SessionStore().create(question_id=QUESTION_ID, question_text="q", level="em", source="practice",
                                     now=T0 + timedelta(days=9))
    unscored.add_answer({"kind": "main", "result": None})
    unscored.finish("interrupted")
    assert len(progress.progress_points()) == 3
    assert "Progress over 3 sessions" in ok(["progress"])


def test_unknown_metric_is_one_line() -> None:
    one_line_error(["progress", "--metric", "speed"], "unknown metric 'speed'")


@pytest.mark.parametrize(("metric", "first", "last", "band", "change", "style"), [
    ("total", 60.0, 250.0, (240.0, 300.0), "+3:10", "green"),
    ("total", 250.0, 320.0, (240.0, 300.0), "+1:10", "red"),
    ("action_share", 0.5, 0.45, (0.6, 0.72), "-5 pts", "red"),
    ("fillers", 3.0, 1.5, None, "-1.5/min", "green"),
    ("score", 80.0, 72.0, None, "-8", "red"),
    ("wpm", 120.0, 150.0, None, "+30 wpm", ""),
    ("score", 80.0, 80.0, None, "no change", ""),
])
def test_change_and_whether_it_is_better(metric: str, first: float, last: float, band, change: str, style: str) -> None:
    m = progress.METRICS[metric]
    assert progress.format_change(m, first, last) == change
    assert progress.change_style(m, first, last, band) == style
