"""One session as one file to share with a coach, and back.

The archive is a zip: a coach on Windows or macOS opens it with a double click, and zip's central
directory lists every member's name, type and size before anything is read, so an archive can be
judged whole before a byte of it is written. It holds one folder, named after the session:

    <id>/session.json     the session, as saved
    <id>/answer-N.<ext>   each recording
    <id>/report.html      the report, playing the recordings beside it (open it after unzipping)

Import trusts nothing in it: a member is taken only if its name is exactly one of those (so no
absolute path, no "..", no other file), it is a plain file (no symlink or device), and it is within
the size limits; session.json must pass the store's own loader and may only name recordings that
follow the store's naming. Everything is written into a hidden temporary folder inside the sessions
folder, checked there by the loader, and renamed into place in one step: an import either lands
whole or leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from starcoach import leftovers
from starcoach.errors import StarcoachError
from starcoach.session_check import MAX_ID_LEN, SESSION_FILE
from starcoach.store import SessionStore, atomic_write_json, validate_id

REPORT_FILE = "report.html"
SUFFIX = ".zip"
# A 10-minute answer recorded at 48 kHz stereo in 16-bit WAV is about 110 MB; session.json is a few
# hundred kB. Past these, an archive is not a session but a mistake or a zip bomb.
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_MEMBERS = 200
_AUDIO = re.compile(r"answer-(0|[1-9][0-9]{0,3})\.[A-Za-z0-9]{1,8}")
_SAFE_FOLDER = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_ID_LEN - 1}}}")
_STORED = {".mp3", ".m4a", ".mp4", ".aac", ".ogg", ".oga", ".opus", ".webm", ".flac"}  # compressed already
_CHUNK = 1 << 20


# --------------------------------------------------------------------------- export


def default_archive_name(session_id: str) -> str:
    return f"starcoach-{session_id}{SUFFIX}"


def export_session(session_id: str, output: Path | None = None, *, store: SessionStore | None = None) -> Path:
    """Write session `session_id` as one zip (session.json, recordings, report.html) and return its path.

    `output` is a file or a folder; by default `starcoach-<id>.zip` in the current folder. The file
    appears whole or not at all.
    """
    from starcoach.report_files import render_html

    store = store or SessionStore()
    session = store.load(session_id)
    out = Path(output) if output is not None else Path.cwd() / default_archive_name(session.id)
    if out.is_dir():
        out = out / default_archive_name(session.id)
    if not out.parent.is_dir():
        raise StarcoachError(f"cannot write {out}: no folder {out.parent}")
    audio: dict[int, str | None] = {}
    files: list[Path] = []
    for i in range(len(session.answers)):
        path = session.audio_file(i)
        if path is not None and path.is_file() and not path.is_symlink():
            files.append(path)
            audio[i] = path.name
    page = render_html(session.data, audio)
    when = _zip_time(session.data.get("created"))
    folder = session.id
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as e:  # a folder we may not write in
        raise StarcoachError(f"cannot write {out}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w") as zf:
            zf.writestr(_info(f"{folder}/{SESSION_FILE}", when), (session.path / SESSION_FILE).read_bytes(),
                        compress_type=zipfile.ZIP_DEFLATED)
            for path in files:
                info = _info(f"{folder}/{path.name}", when)
                info.compress_type = zipfile.ZIP_STORED if path.suffix.lower() in _STORED else zipfile.ZIP_DEFLATED
                with path.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
            zf.writestr(_info(f"{folder}/{REPORT_FILE}", when), page.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
        os.replace(tmp, out)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise StarcoachError(f"cannot write {out}: {e.strerror or e}") from None
        raise
    return out


def _zip_time(created: Any) -> tuple[int, int, int, int, int, int]:
    # The session's own time, so exporting twice gives the same members (zip cannot hold times before 1980).
    try:
        when = datetime.fromisoformat(created)
    except (TypeError, ValueError):
        when = datetime(1980, 1, 1)
    return max(when.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # type: ignore[return-value]


def _info(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.create_system = 3  # Unix, so the mode above means what it says
    return info


# --------------------------------------------------------------------------- import


def import_session(path: Path, *, store: SessionStore | None = None) -> str:
    """Add the session in archive `path` to the sessions folder and return its id: the archive's own
    id when it is free, else the same with -2, -3, ... Raises StarcoachError naming the archive."""
    path = Path(path)
    store = store or SessionStore()

    def bad(problem: str) -> StarcoachError:
        return StarcoachError(f"{path}: {problem}")

    if not path.is_file():
        raise bad("no such file" if not path.exists() else "not a file")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise bad("not a starcoach archive (not a zip file)") from None
    except OSError as e:
        raise bad(f"cannot read it: {e.strerror or e}") from None
    with zf:
        try:
            members = _members(zf, bad)
            data = _session_json(zf, members[SESSION_FILE], bad)
            return _land(zf, members, data, store, bad)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as e:
            raise bad(f"damaged archive: {e}") from None


def _members(zf: zipfile.ZipFile, bad) -> dict[str, zipfile.ZipInfo]:
    """The archive's files by plain name, after checking every member's name, type and size.
    Members sit either all at the top or all in one folder (as export writes them)."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise bad(f"{len(infos)} members: too many for a session (at most {MAX_MEMBERS})")
    for info in infos:
        raw, shown = info.filename, repr(info.filename)[:80]
        if "\\" in raw or raw.startswith("/") or re.match(r"[A-Za-z]:", raw):
            raise bad(f"member {shown} has an absolute or non-portable path")
        if ".." in raw.split("/"):
            raise bad(f"member {shown} leads out of its folder ('..')")
    files = [i for i in infos if not i.is_dir()]
    top = files[0].filename.split("/")[0] if files and "/" in files[0].filename else None
    if top is not None and not _SAFE_FOLDER.fullmatch(top):
        raise bad(f"unexpected folder {top[:60]!r}")
    prefix = "" if top is None else top + "/"
    out: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        raw, shown = info.filename, repr(info.filename)[:80]
        if info.is_dir():
            if top is None or raw != prefix:
                raise bad(f"unexpected folder {shown}")
            continue
        name = raw[len(prefix):] if raw.startswith(prefix) else raw
        if not raw.startswith(prefix) or "/" in name or not (name in (SESSION_FILE, REPORT_FILE) or _AUDIO.fullmatch(name)):
            raise bad(f"unexpected member {shown} (a session archive holds session.json, answer-N audio and report.html)")
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind not in (0, stat.S_IFREG):
            raise bad(f"member {shown} is {'a symlink' if kind == stat.S_IFLNK else 'not a plain file'}")
        if info.flag_bits & 0x1:
            raise bad(f"member {shown} is encrypted")
        if name in out:
            raise bad(f"member {shown} appears twice")
        limit = MAX_JSON_BYTES if name == SESSION_FILE else MAX_MEMBER_BYTES
        if info.file_size > limit:
            raise bad(f"member {shown} is too large ({info.file_size} bytes; at most {limit})")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise bad(f"too large unpacked (over {MAX_TOTAL_BYTES} bytes in all)")
        out[name] = info
    if SESSION_FILE not in out:
        raise bad(f"not a starcoach archive (no {SESSION_FILE})")
    return out


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, bad) -> bytes:
    with zf.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # the size in the directory lied
        raise bad(f"member {info.filename!r} is larger than it says")
    return data


def _session_json(zf: zipfile.ZipFile, info: zipfile.ZipInfo, bad) -> dict[str, Any]:
    raw = _read_member(zf, info, MAX_JSON_BYTES, bad)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise bad(f"{SESSION_FILE} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise bad(f"{SESSION_FILE} holds a JSON {type(data).__name__}, not a session")
    try:
        validate_id(data.get("id"))  # type: ignore[arg-type]
    except StarcoachError as e:
        raise bad(f"{SESSION_FILE}: {e}") from None
    return data


def _free_id(store: SessionStore, wanted: str) -> str:
    """Reserve (mkdir) the wanted id, or wanted-2, -3, ...: the empty folder is replaced by the import."""
    n = 1
    while True:
        candidate = wanted if n == 1 else f"{wanted[: MAX_ID_LEN - len(str(n)) - 1]}-{n}"
        try:
            (store.root / validate_id(candidate)).mkdir()
            return candidate
        except FileExistsError:
            n += 1


def _land(zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], data: dict[str, Any], store: SessionStore, bad) -> str:
    answers = data.get("answers")
    # (a hostile file may put anything under "audio": only names are names)
    named = {a["audio"] for a in answers if isinstance(a, dict) and isinstance(a.get("audio"), str)} \
        if isinstance(answers, list) else set()
    audio = [n for n in members if _AUDIO.fullmatch(n)]
    for name in audio:
        if name not in named:
            raise bad(f"member {name!r} is not a recording of any answer in {SESSION_FILE}")
    try:
        store.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".import-", dir=store.root))
        locks = [leftovers.hold(staging)]  # a start meanwhile must not clean it as a killed import's
    except OSError as e:
        raise bad(f"cannot write in {store.root}: {e.strerror or e}") from None
    reserved: Path | None = None
    try:
        new_id = _free_id(store, data["id"])
        reserved = store.root / new_id
        locks.append(leftovers.hold(reserved))
        folder = staging / new_id
        folder.mkdir()
        atomic_write_json(folder / SESSION_FILE, {**data, "id": new_id})
        try:
            SessionStore(staging).load(new_id)  # the store's own checks, on the copy that will land
        except StarcoachError as e:
            raise bad(str(e).replace(f"session {new_id} is damaged: ", f"{SESSION_FILE} is not a valid session: ")) from None
        for name in audio:
            _extract(zf, members[name], folder / name, bad)
        os.replace(folder, reserved)  # onto the empty folder reserved above: one step
        reserved = None
        return new_id
    except OSError as e:
        raise bad(f"cannot import it: {e.strerror or e}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if reserved is not None:
            with contextlib.suppress(OSError):
                reserved.rmdir()
        for fd in locks:
            leftovers.release(fd)


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, bad) -> None:
    written = 0
    with zf.open(info) as src, open(dest, "xb") as dst:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size or written > MAX_MEMBER_BYTES:
                raise bad(f"member {info.filename!r} is larger than it says")
            dst.write(chunk)
