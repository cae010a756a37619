"""Sessions on disk: round trip, ordering, atomic writes, damaged files and ids that try to leave the folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from starcoach import store as store_module
from starcoach.errors import StarcoachError
from starcoach.session_check import SCHEMA_VERSION
from starcoach.store import (
    DamagedSession,
    SessionStore,
    SessionSummary,
    atomic_write_json,
    data_dir,
    new_session_id,
    sessions_dir,
    validate_id,
)

T0 = datetime(2026, 11, 24, 14, 30, 12, tzinfo=UTC)


def main_result(score: int = 72) -> dict:
    """The parts of a saved result (result.AnswerResult) that the store reads, plus a few it just keeps."""
    verdicts = {"situation": "ok", "task": "short", "action": "ok", "result": "long"}
    return {"schema": "starcoach.score/1", "question": "disagree-and-commit", "level": "em", "duration_s": 95.5,
            "words": [{"text": "When", "start": 0.0, "end": 0.3, "section": "situation"}],
            "sections": [{"name": n, "verdict": v} for n, v in verdicts.items()], "score": score,
            "findings": [{"id": "quantified-result", "passed": False, "evidence": [{"text": "we shipped"}]}]}


def follow_up_result() -> dict:
    return {"question": "disagree-and-commit", "follow_up": "team-found-out", "speaking_s": 31.0, "verdict": "ok",
            "findings": []}


def new(store: SessionStore, question: str = "disagree-and-commit", now: datetime | None = None):
    return store.create(question_id=question, question_text="Tell me about a time you disagreed.", level="em",
                        source="practice", now=now)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------- folders and ids


def test_sessions_live_under_starcoach_home(tmp_path: Path) -> None:
    assert data_dir() == tmp_path / "home"
    assert sessions_dir() == tmp_path / "home" / "sessions"
    assert SessionStore().root == tmp_path / "home" / "sessions"


def test_without_starcoach_home_the_platform_data_folder_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_data_dir

    monkeypatch.delenv("STARCOACH_HOME")
    assert data_dir() == Path(user_data_dir("starcoach"))


def test_new_session_id_is_sortable_and_safe() -> None:
    assert new_session_id("disagree-and-commit", T0) == "20261124-143012-disagree-and-commit"
    assert new_session_id("Weird / Question!!", T0) == "20261124-143012-weird-question"
    assert new_session_id("../../etc", T0) == "20261124-143012-etc"
    assert new_session_id("", T0) == "20261124-143012-session"
    assert validate_id(new_session_id("x" * 500, T0)) == new_session_id("x" * 500, T0)
    # Ids are in UTC, so an offset clock still sorts correctly.
    later_elsewhere = (T0 + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=-8)))
    assert new_session_id("q", later_elsewhere) > new_session_id("q", T0)


# --------------------------------------------------------------------------- round trip


def test_round_trip_create_answers_finish_load_list() -> None:
    store = SessionStore()
    s = new(store, now=T0)
    assert s.id == "20261124-143012-disagree-and-commit"
    assert s.status == "recording"
    assert files_in(s.path) == ["session.json"]
    on_disk = json.loads((s.path / "session.json").read_text())
    assert on_disk["status"] == "recording" and on_disk["answers"] == [] and on_disk["schema_version"] == SCHEMA_VERSION
    assert on_disk["created"] == "2026-11-24T14:30:12+00:00"

    # The recorder needs the audio path before the answer exists.
    audio0 = s.audio_path(0)
    assert audio0 == s.path / "answer-0.wav" and audio0.parent.is_dir()
    audio0.write_bytes(b"RIFF")
    assert s.add_answer({"kind": "main", "audio": audio0.name, "result": None}) == 0
    assert s.add_answer({"kind": "follow_up", "follow_up": "team-found-out", "text": "What did the team think?"}) == 1
    s.set_result(0, main_result())
    s.set_result(1, follow_up_result())
    s.finish()
    assert s.status == "complete"

    loaded = SessionStore().load(s.id)
    assert loaded.data == s.data
    assert loaded.status == "complete"
    assert loaded.answers[1]["audio"] == "answer-1.wav"  # filled in from audio_path
    assert loaded.answers[0]["result"] == main_result()
    assert loaded.audio_file(0) == audio0

    [summary] = SessionStore().list()
    assert isinstance(summary, SessionSummary)
    assert (summary.id, summary.question, summary.level, summary.source, summary.status) == (
        s.id, "disagree-and-commit", "em", "practice", "complete")
    assert summary.created == T0
    assert summary.score == 72 and summary.duration_s == 95.5 and summary.n_answers == 2
    assert summary.verdicts == {"situation": "ok", "task": "short", "action": "ok", "result": "long"}
    assert summary.missing_audio == (1,)  # answer-1.wav was never written: listed, not an error
    assert summary.path == s.path


def test_typed_answer_has_no_audio_and_unscored_answers_list_without_score() -> None:
    s = SessionStore().create(question_id="q", question_text="Q?", level="mid", source="score", now=T0)
    s.add_answer({"kind": "main", "audio": None})
    assert s.audio_file(0) is None
    [summary] = SessionStore().list()
    assert (summary.score, summary.duration_s, summary.verdicts, summary.missing_audio) == (None, None, {}, ())
    assert summary.status == "interrupted"  # never finished


def test_a_session_left_recording_loads_as_interrupted_with_what_was_recorded() -> None:
    s = new(SessionStore(), now=T0)
    s.audio_path(0).write_bytes(b"RIFF")
    s.add_answer({"kind": "main"})
    s.set_result(0, main_result())
    # The process dies here: no finish().
    loaded = SessionStore().load(s.id)
    assert loaded.status == "interrupted"
    assert loaded.answers[0]["result"]["score"] == 72
    assert json.loads((s.path / "session.json").read_text())["status"] == "recording"  # loading never writes
    [summary] = SessionStore().list()
    assert summary.status == "interrupted" and summary.score == 72


def test_finish_interrupted_and_bad_calls() -> None:
    s = new(SessionStore(), now=T0)
    before = (s.path / "session.json").read_text()
    with pytest.raises(ValueError):
        s.add_answer({"kind": "bogus"})
    with pytest.raises(IndexError):
        s.set_result(0, main_result())
    with pytest.raises(ValueError):
        s.finish("recording")
    with pytest.raises(ValueError):
        s.audio_path(-1)
    with pytest.raises(ValueError):
        s.audio_path(0, suffix="/../../x")
    with pytest.raises(ValueError):  # an audio name that leads out of the folder is never written
        s.add_answer({"kind": "main", "audio": "../../x.wav"})
    assert (s.path / "session.json").read_text() == before and s.answers == []
    s.finish("interrupted")
    assert SessionStore().load(s.id).status == "interrupted"
    with pytest.raises(ValueError):
        SessionStore().create(question_id="q", question_text="", level="em", source="elsewhere")


def test_copied_input_keeps_its_suffix() -> None:
    s = SessionStore().create(question_id="q", question_text="Q?", level="em", source="score")
    dest = s.audio_path(0, suffix=".m4a")
    dest.write_bytes(b"audio")
    s.add_answer({"kind": "main", "audio": dest.name})
    assert SessionStore().load(s.id).audio_file(0) == s.path / "answer-0.m4a"


# --------------------------------------------------------------------------- ordering and unique ids


def test_list_is_newest_first() -> None:
    store = SessionStore()
    ids = [new(store, q, T0 + timedelta(minutes=i)).id for i, q in enumerate(["b-question", "a-question", "c-q"])]
    assert [e.id for e in store.list()] == ids[::-1]


def test_ids_are_unique_when_sessions_start_in_the_same_second() -> None:
    store = SessionStore()
    ids = [new(store, now=T0).id for _ in range(11)]
    base = "20261124-143012-disagree-and-commit"
    assert ids[:3] == [base, base + "-2", base + "-3"]
    assert len(set(ids)) == 11
    assert [e.id for e in store.list()] == ids[::-1]  # -10 and -11 after -9, not after the base
    assert all(store.load(i).id == i for i in ids)


def test_ids_are_unique_when_created_concurrently() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda _: new(SessionStore(), now=T0).id, range(16)))
    assert len(set(ids)) == 16
    assert all(isinstance(e, SessionSummary) for e in SessionStore().list())


def test_list_of_an_empty_or_missing_folder() -> None:
    assert SessionStore().list() == []
    SessionStore().root.mkdir(parents=True)
    (SessionStore().root / ".DS_Store").write_text("")
    (SessionStore().root / "notes.txt").write_text("not a session")
    assert SessionStore().list() == []


# --------------------------------------------------------------------------- atomic writes


def test_saves_leave_no_temp_files(tmp_path: Path) -> None:
    s = new(SessionStore())
    for i in range(3):
        s.add_answer({"kind": "main" if i == 0 else "follow_up", "follow_up": "f", "text": "t"})
        s.set_result(i, {"score": i})
    s.finish()
    assert files_in(s.path) == ["session.json"]
    atomic_write_json(tmp_path / "x.json", {"a": 1})
    assert files_in(tmp_path) == ["home", "x.json"]  # home holds the session above


def test_a_crash_before_replace_keeps_the_old_session_json(monkeypatch: pytest.MonkeyPatch) -> None:
    s = new(SessionStore())
    s.add_answer({"kind": "main"})
    before = (s.path / "session.json").read_bytes()
    data_before = s.data

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:  # not monkeypatch.undo(): that would also undo STARCOACH_HOME
        m.setattr(store_module.os, "replace", crash)
        with pytest.raises(StarcoachError, match=f"cannot save session {s.id}: No space left on device"):
            s.set_result(0, main_result())
        with pytest.raises(StarcoachError):
            s.finish()
    assert (s.path / "session.json").read_bytes() == before
    assert files_in(s.path) == ["session.json"]  # the temp file went too
    assert s.data is data_before and s.answers[0]["result"] is None  # memory still matches disk
    assert SessionStore().load(s.id).data == data_before


def test_atomic_write_json_cleans_up_on_interrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "session.json"
    atomic_write_json(target, {"old": True})

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(store_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_json(target, {"new": True})
    with pytest.raises(TypeError):  # not JSON: fails before any file is made
        atomic_write_json(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"old": True}
    assert files_in(tmp_path) == ["session.json"]


def test_a_failed_create_leaves_no_empty_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(src, dst):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(store_module.os, "replace", crash)
    with pytest.raises(StarcoachError, match="cannot save session"):
        new(SessionStore())
    assert files_in(SessionStore().root) == []


# --------------------------------------------------------------------------- damaged sessions

SID = "20261124-143012-disagree-and-commit"


def good_data() -> dict:
    return {"schema_version": 1, "id": SID, "created": "2026-11-24T14:30:12+00:00", "question": "disagree-and-commit",
            "question_text": "Q?", "level": "em", "source": "practice", "status": "complete",
            "answers": [{"kind": "main", "audio": "answer-0.wav", "result": main_result()}]}


def with_(**changes) -> str:
    data = good_data()
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


def answer_with(**changes) -> str:
    entry = {"kind": "main", "audio": "answer-0.wav", "result": None, **changes}
    return with_(answers=[{k: v for k, v in entry.items() if v is not ...}])


DAMAGED = {
    "invalid JSON": ("{not json", "not valid JSON"),
    "truncated": (json.dumps(good_data())[:90], "not valid JSON"),
    "empty": ("", "is empty"),
    "not UTF-8": (b"\xff\xfe{}", "not UTF-8"),
    "a list": ("[1, 2]", "not an object"),
    "missing question": (with_(question=...), "'question' is missing"),
    "missing answers": (with_(answers=...), "'answers' is missing"),
    "missing schema_version": (with_(schema_version=...), "schema_version"),
    "question a number": (with_(question=5), "'question' should be a string, not int"),
    "answers an object": (with_(answers={}), "'answers' should be a list, not dict"),
    "schema_version a string": (with_(schema_version="1"), "schema_version"),
    "schema_version true": (with_(schema_version=True), "schema_version"),
    "schema_version 0": (with_(schema_version=0), "unknown schema_version 0"),
    "newer schema": (with_(schema_version=2), "made by a newer starcoach"),
    "unknown status": (with_(status="paused"), "'status' is 'paused'"),
    "bad created": (with_(created="yesterday"), "'created' is not a date"),
    "id of another folder": (with_(id="20200101-000000-other"), "does not match its folder"),
    "answer not an object": (with_(answers=["answer-0.wav"]), "answers[0] should be an object"),
    "answer kind unknown": (answer_with(kind="bonus"), "answers[0].kind is 'bonus'"),
    "follow-up without its id": (answer_with(kind="follow_up", text="t"), "'answers[0].follow_up' is missing"),
    "result a string": (answer_with(result="72"), "'answers[0].result' should be an object or null"),
    "audio outside the folder": (answer_with(audio="../../../etc/passwd"), "not a plain file name"),
    "audio absolute": (answer_with(audio="/etc/passwd"), "not a plain file name"),
}


def write_session(text: str | bytes, sid: str = SID) -> Path:
    folder = SessionStore().root / sid
    folder.mkdir(parents=True)
    path = folder / "session.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


def test_the_good_fixture_loads() -> None:
    write_session(json.dumps(good_data()))
    assert SessionStore().load(SID).data == good_data()


@pytest.mark.parametrize("content, reason", DAMAGED.values(), ids=DAMAGED.keys())
def test_damaged_session_is_listed_and_refused_with_one_clear_line(content: str | bytes, reason: str) -> None:
    write_session(content)
    healthy = new(SessionStore(), now=T0 + timedelta(days=1))
    entries = SessionStore().list()
    assert [e.id for e in entries] == [healthy.id, SID]
    damaged = entries[1]
    assert isinstance(damaged, DamagedSession) and damaged.status == "damaged"
    assert reason in damaged.reason and damaged.path == SessionStore().root / SID
    with pytest.raises(StarcoachError) as e:
        SessionStore().load(SID)
    message = str(e.value)
    assert message.startswith(f"session {SID} is damaged: ") and reason in message
    assert "\n" not in message and len(message) < 300


def test_folder_without_session_json_is_damaged() -> None:
    (SessionStore().root / SID).mkdir(parents=True)
    [entry] = SessionStore().list()
    assert isinstance(entry, DamagedSession) and "no session.json" in entry.reason
    with pytest.raises(StarcoachError, match=r"no session\.json"):
        SessionStore().load(SID)


def test_unreadable_session_json_is_damaged() -> None:
    (SessionStore().root / SID / "session.json").mkdir(parents=True)  # readable by nobody, root included
    [entry] = SessionStore().list()
    assert isinstance(entry, DamagedSession) and "cannot read session.json" in entry.reason
    with pytest.raises(StarcoachError, match=r"cannot read session\.json"):
        SessionStore().load(SID)


def test_damaged_sessions_can_be_deleted() -> None:
    write_session("{")
    SessionStore().delete(SID)
    assert SessionStore().list() == []


# --------------------------------------------------------------------------- ids that try to leave the folder

BAD_IDS = ["../x", "..", ".", "/etc", "a/b", "", "x" * 300, "sessions/../../etc", "..\\x", "a\\b", ".hidden",
           "-rf", "a..b", "x\n", "a b", "caf\u00e9", "~", "x\x00"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_ids_that_could_leave_the_sessions_folder_are_refused(bad: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = SessionStore()
    new(store, now=T0)
    # Valid-looking sessions where a traversal would land, to prove they stay untouched.
    for outside in (home / "x", home / "etc", tmp_path / "x", store.root / "a" / "b"):
        outside.mkdir(parents=True, exist_ok=True)
        (outside / "session.json").write_text(json.dumps(good_data()))
    before = sorted(str(p) for p in tmp_path.rglob("*"))

    with pytest.raises(StarcoachError, match="not a session id") as e:
        validate_id(bad)
    assert "\n" not in str(e.value) and len(str(e.value)) < 200
    with pytest.raises(StarcoachError, match="not a session id"):
        store.load(bad)
    with pytest.raises(StarcoachError, match="not a session id"):
        store.delete(bad)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_non_string_id_is_refused() -> None:
    with pytest.raises(StarcoachError, match="not a session id"):
        validate_id(None)  # type: ignore[arg-type]


def test_valid_ids_pass() -> None:
    for ok in ["20261124-143012-disagree-and-commit", "a.b_c-1", "A", "x" * 128]:
        assert validate_id(ok) == ok


def test_a_symlinked_session_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    root = SessionStore().root
    root.mkdir(parents=True)
    try:
        (root / SID).symlink_to(outside, target_is_directory=True)
    except OSError:
        pytest.skip("cannot make symlinks here")
    with pytest.raises(StarcoachError, match="no session"):
        SessionStore().load(SID)
    with pytest.raises(StarcoachError, match="no session"):
        SessionStore().delete(SID)
    assert SessionStore().list() == []
    assert (outside / "keep.txt").read_text() == "mine"


# --------------------------------------------------------------------------- delete


def test_delete_removes_the_folder_and_its_audio() -> None:
    store = SessionStore()
    keep, gone = new(store, now=T0), new(store, now=T0 + timedelta(seconds=1))
    gone.audio_path(0).write_bytes(b"RIFF")
    store.delete(gone.id)
    assert not gone.path.exists()
    assert [e.id for e in store.list()] == [keep.id]


def test_delete_or_load_of_an_unknown_id_is_an_error() -> None:
    with pytest.raises(StarcoachError, match="no session '20991231-000000-nothing'"):
        SessionStore().delete("20991231-000000-nothing")
    with pytest.raises(StarcoachError, match="no session 'nothing'"):
        SessionStore().load("nothing")
