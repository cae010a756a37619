"""export / import of one session as a zip: round trip, id clashes, and archives that try to get out."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest

from starcoach import archive
from starcoach.archive import export_session, import_session
from starcoach.errors import StarcoachError
from starcoach.store import SessionStore
from tests.builders.archives import snapshot, zip_bytes
from tests.builders.sessions import audio_session, typed_session


@pytest.fixture
def store() -> SessionStore:
    return SessionStore()


@pytest.fixture
def good(store: SessionStore) -> dict:
    """A valid session.json (of a typed session that is then deleted) and the audio of a spoken one."""
    session = typed_session(store)
    data = json.loads((session.path / "session.json").read_text())
    store.delete(session.id)
    return data


def test_round_trip_gives_the_same_session(store: SessionStore, tmp_path: Path) -> None:
    session = audio_session(store)
    before = json.loads((session.path / "session.json").read_text())
    audio = [session.audio_path(i).read_bytes() for i in range(2)]
    path = export_session(session.id, tmp_path)
    assert path == tmp_path / f"starcoach-{session.id}.zip"
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == sorted(f"{session.id}/{n}" for n in ("session.json", "answer-0.wav", "answer-1.wav", "report.html"))
        page = zf.read(f"{session.id}/report.html").decode()
    assert 'src="answer-0.wav"' in page and "data:audio" not in page  # the page plays the files beside it
    store.delete(session.id)

    assert import_session(path) == session.id
    back = store.load(session.id)
    assert back.data == before
    assert [back.audio_path(i).read_bytes() for i in range(2)] == audio
    assert snapshot(store.root) == sorted([session.id, *(f"{session.id}/{n}" for n in ("session.json", "answer-0.wav", "answer-1.wav"))])


def test_export_is_repeatable_and_default_name_is_in_the_current_folder(store: SessionStore, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    session = typed_session(store)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    first = export_session(session.id).read_bytes()
    assert (out / f"starcoach-{session.id}.zip").is_file()
    assert export_session(session.id, out / "again.zip").read_bytes() == first
    assert sorted(p.name for p in out.iterdir()) == ["again.zip", f"starcoach-{session.id}.zip"]  # no temp files


def test_export_errors_are_one_line(store: SessionStore, tmp_path: Path) -> None:
    with pytest.raises(StarcoachError, match="no session"):
        export_session("20990101-000000-none", tmp_path)
    with pytest.raises(StarcoachError, match="not a session id"):
        export_session("../x", tmp_path)
    session = typed_session(store)
    with pytest.raises(StarcoachError, match="no folder"):
        export_session(session.id, tmp_path / "missing" / "x.zip")


def test_an_id_that_is_taken_gets_a_new_one(store: SessionStore, tmp_path: Path) -> None:
    session = audio_session(store)
    path = export_session(session.id, tmp_path)
    new_id = import_session(path)
    assert new_id == f"{session.id}-2"
    copy = store.load(new_id)
    assert copy.data == {**session.data, "id": new_id}
    assert copy.audio_path(1).read_bytes() == session.audio_path(1).read_bytes()
    assert import_session(path) == f"{session.id}-3"


def test_an_archive_with_files_at_the_top_is_accepted(store: SessionStore, good: dict, tmp_path: Path) -> None:
    path = tmp_path / "flat.zip"
    path.write_bytes(zip_bytes([("session.json", json.dumps(good).encode()), ("report.html", b"<p>old</p>")]))
    assert import_session(path) == good["id"]
    assert snapshot(store.root / good["id"]) == ["session.json"]  # the archive's page is not kept


# --------------------------------------------------------------------------- hostile or broken archives


def symlink(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def device(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFCHR | 0o600) << 16
    return info


def with_audio(data: dict, name: str) -> dict:
    answers = [{**data["answers"][0], "audio": name}]
    return {**data, "answers": answers}


CASES = {
    "dot-dot": (lambda d: [("s/session.json", json.dumps(d)), ("s/../../evil", "x")], "leads out"),
    "dot-dot-top": (lambda d: [("../evil/session.json", json.dumps(d))], "leads out"),
    "absolute": (lambda d: [("/abs/session.json", json.dumps(d))], "absolute"),
    "windows-path": (lambda d: [("s\\..\\session.json", json.dumps(d))], "absolute or non-portable"),
    "drive": (lambda d: [("C:/session.json", json.dumps(d))], "absolute or non-portable"),
    "symlink": (lambda d: [("s/session.json", json.dumps(with_audio(d, "answer-0.wav"))), (symlink("s/answer-0.wav", "/etc/passwd"), "/etc/passwd")], "symlink"),
    "device": (lambda d: [("s/session.json", json.dumps(with_audio(d, "answer-0.wav"))), (device("s/answer-0.wav"), "")], "not a plain file"),
    "unexpected-name": (lambda d: [("s/session.json", json.dumps(d)), ("s/notes.txt", "hi")], "unexpected member"),
    "hidden-name": (lambda d: [("s/session.json", json.dumps(d)), ("s/.bashrc", "hi")], "unexpected member"),
    "nested": (lambda d: [("s/session.json", json.dumps(d)), ("s/deeper/answer-0.wav", "x")], "unexpected member"),
    "two-folders": (lambda d: [("s/session.json", json.dumps(d)), ("t/answer-0.wav", "x")], "unexpected member"),
    "extra-folder": (lambda d: [("s/session.json", json.dumps(d)), ("s/sub/", "")], "unexpected folder"),
    "odd-top-folder": (lambda d: [(".hidden/session.json", json.dumps(d))], "unexpected folder"),
    "duplicate": (lambda d: [("session.json", json.dumps(d)), ("session.json", json.dumps(d))], "twice"),
    "no-session": (lambda d: [("report.html", "<p>")], "no session.json"),
    "unreferenced-audio": (lambda d: [("session.json", json.dumps(d)), ("answer-7.wav", "RIFF")], "not a recording of any answer"),
    "invalid-session": (lambda d: [("session.json", json.dumps({**d, "status": "hacked"}))], "not a valid session.*status"),
    "audio-name-escapes": (lambda d: [("session.json", json.dumps(with_audio(d, "../../evil.wav")))], "not a valid session.*not a plain file name"),
    "bad-id": (lambda d: [("session.json", json.dumps({**d, "id": "../../etc"}))], "not a session id"),
    "not-json": (lambda d: [("session.json", "{ cut sho")], "not valid JSON"),
    "json-list": (lambda d: [("session.json", "[]")], "not a session"),
    "newer-schema": (lambda d: [("session.json", json.dumps({**d, "schema_version": 99}))], "newer starcoach"),
}


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_archives_are_refused_and_leave_nothing(case: str, store: SessionStore, good: dict, tmp_path: Path) -> None:
    make, message = CASES[case]
    path = tmp_path / "in" / f"{case}.zip"
    path.parent.mkdir()
    path.write_bytes(zip_bytes([(n, d.encode() if isinstance(d, str) else d) for n, d in make(good)]))
    before_root, before_tmp = snapshot(store.root), snapshot(tmp_path)
    with pytest.raises(StarcoachError, match=message) as err:
        import_session(path)
    assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)
    assert snapshot(store.root) == before_root
    assert snapshot(tmp_path) == before_tmp
    assert not (tmp_path.parent / "evil").exists() and not Path("/abs").exists()


def test_oversized_members_and_zip_bombs_are_refused(store: SessionStore, good: dict, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data = with_audio(good, "answer-0.wav")
    path = tmp_path / "big.zip"
    # 4 MB of zeros: a few kB packed, the shape of a zip bomb
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("session.json", json.dumps(data))
        zf.writestr("answer-0.wav", b"\0" * 4_000_000)
    assert path.stat().st_size < 50_000
    before = snapshot(store.root)
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 1_000_000)
    with pytest.raises(StarcoachError, match=r"answer-0\.wav.*too large"):
        import_session(path)
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", 10_000_000)
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 3_000_000)
    with pytest.raises(StarcoachError, match="too large unpacked"):
        import_session(path)
    monkeypatch.setattr(archive, "MAX_JSON_BYTES", 100)
    with pytest.raises(StarcoachError, match=r"session\.json.*too large"):
        import_session(path)
    assert snapshot(store.root) == before
    monkeypatch.undo()
    assert import_session(path) == good["id"]  # within the real limits it is a session like any other


def test_a_member_larger_than_it_says_is_refused(store: SessionStore, good: dict, tmp_path: Path) -> None:
    data = with_audio(good, "answer-0.wav")
    raw = bytearray(zip_bytes([("session.json", json.dumps(data).encode()), ("answer-0.wav", b"A" * 5000)]))
    # Shrink the declared size of answer-0.wav (in its local header and in the central directory) to 100 bytes.
    name = b"answer-0.wav"
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(sig, raw.find(sig) + 1) if sig == b"PK\x03\x04" else raw.rfind(sig)
        assert raw[at + (30 if sig == b"PK\x03\x04" else 46):].startswith(name)
        raw[at + size_at: at + size_at + 4] = (100).to_bytes(4, "little")
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(raw))
    before = snapshot(store.root)
    with pytest.raises(StarcoachError, match=f"{path}: (damaged archive|.*larger than it says)"):
        import_session(path)
    assert snapshot(store.root) == before


def test_corrupt_and_non_archives_are_refused(store: SessionStore, tmp_path: Path) -> None:
    session = audio_session(store)
    good = export_session(session.id, tmp_path).read_bytes()
    store.delete(session.id)
    cases = {
        "text.zip": b"just some notes\n",
        "empty.zip": b"",
        "truncated.zip": good[: len(good) // 2],
        "flipped.zip": good[:2000] + bytes(b ^ 0xFF for b in good[2000:2400]) + good[2400:],
        "answer.tar.gz": b"\x1f\x8b\x08\x00" + b"\0" * 100,
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(StarcoachError, match=rf"^{path}: ") as err:
            import_session(path)
        assert "\n" not in str(err.value)
        assert snapshot(store.root) == [], name
    with pytest.raises(StarcoachError, match="no such file"):
        import_session(tmp_path / "nope.zip")
    with pytest.raises(StarcoachError, match="not a file"):
        import_session(tmp_path)
