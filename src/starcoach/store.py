"""Sessions on disk: <data>/sessions/<id>/ holds session.json and answer-0.wav, answer-1.wav, ...

The recorder writes each answer's audio itself while recording (so a take survives a crash), hence the
folder and audio paths exist before the answers do. session.json is only ever replaced whole and is
checked when read back and before it is written (session_check.py): a damaged session is reported,
never half-trusted. An answer's result is read through result.py. No device library here.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starcoach.errors import StarcoachError
from starcoach.result import AnswerResult
from starcoach.session_check import (
    MAX_ID_LEN,
    SCHEMA_VERSION,
    SESSION_FILE,
    SOURCES,
    Damaged,
    check_session,
    is_safe_name,
    shown,
)

HOME_ENV = "STARCOACH_HOME"
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


def data_dir() -> Path:
    """starcoach's data folder: $STARCOACH_HOME if set, else the platform's user data folder."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("starcoach"))


def sessions_dir() -> Path:
    return data_dir() / "sessions"


def new_session_id(question_id: str, now: datetime | None = None) -> str:
    """`20261124-143012-disagree-and-commit`: UTC time first, so ids sort in creation order.
    SessionStore.create adds -2, -3, ... when the id is taken."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    slug = re.sub(r"[^a-z0-9]+", "-", question_id.lower()).strip("-")[:60].strip("-") or "session"
    return f"{when:%Y%m%d-%H%M%S}-{slug}"


def validate_id(session_id: str) -> str:
    """The id, if it can only name a folder directly inside the sessions folder; else StarcoachError.
    Ids come from the command line: this keeps session commands from touching anything outside."""
    if not is_safe_name(session_id):
        raise StarcoachError(f"not a session id: {shown(session_id)} (letters, digits, '.', '_' and '-', "
                             f"at most {MAX_ID_LEN})")
    return session_id


def atomic_write_json(path: Path, data: dict[str, Any]) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half of either."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"  # a bad value fails before any file is touched
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open a folder, and does not need to.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _read(path: Path) -> Session:
    try:
        text = (path / SESSION_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Damaged(f"it has no {SESSION_FILE}") from None
    except UnicodeDecodeError:
        raise Damaged(f"{SESSION_FILE} is not UTF-8 text") from None
    except OSError as e:
        raise Damaged(f"cannot read {SESSION_FILE}: {e.strerror or e}") from None
    if not text.strip():
        raise Damaged(f"{SESSION_FILE} is empty")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise Damaged(f"{SESSION_FILE} is not valid JSON (cut short or edited?): {e}") from None
    check_session(data, path.name)
    return Session(path, data)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One line of the session list. Score, time and verdicts are the main answer's, once scored."""

    id: str
    created: datetime
    question: str
    level: str
    source: str
    status: str  # recording (only in the process recording it) | complete | interrupted
    duration_s: float | None
    score: int | None
    verdicts: dict[str, str]  # section -> short / ok / long
    n_answers: int
    missing_audio: tuple[int, ...]  # answers whose audio file is gone (listing still works)
    path: Path


@dataclass(frozen=True, slots=True)
class DamagedSession:
    """A session folder whose session.json cannot be used, and why."""

    id: str
    reason: str
    path: Path
    status = "damaged"


@dataclass(eq=False)
class Session:
    """One session folder and its session.json. `data` is what is on disk: the methods change it only
    by saving, so a failed save leaves both the file and `data` as they were."""

    path: Path
    data: dict[str, Any]
    live: bool = False  # made by this process, so "recording" really means recording now
    _lock: int | None = field(default=None, repr=False)

    def hold(self) -> None:
        """Lock the session's folder while this process records and finishes it: `replay --rescore
        --keep`, `sessions delete` and the leftover cleaning leave it alone meanwhile."""
        from starcoach import leftovers

        if self._lock is None:
            with contextlib.suppress(OSError, leftovers.Busy):
                self._lock = leftovers.hold(self.path)

    def release(self) -> None:
        from starcoach import leftovers

        leftovers.release(self._lock)
        self._lock = None

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def status(self) -> str:
        # Read back later, "recording" means the process stopped before it could finish the session.
        status = self.data["status"]
        return "interrupted" if status == "recording" and not self.live else status

    @property
    def answers(self) -> list[dict[str, Any]]:
        return self.data["answers"]

    def audio_path(self, index: int, suffix: str = ".wav") -> Path:
        """Where answer `index`'s audio goes (`suffix` for a copied input such as .m4a)."""
        if type(index) is not int or index < 0:
            raise ValueError(f"answer index must be a whole number >= 0, not {index!r}")
        if not _SUFFIX.fullmatch(suffix):
            raise ValueError(f"not an audio suffix: {suffix!r}")
        return self.path / f"answer-{index}{suffix}"

    def audio_file(self, index: int) -> Path | None:
        """The stored audio of answer `index`, or None for a typed answer (the file may be missing)."""
        name = self.answers[index]["audio"]
        return None if name is None else self.path / name

    def add_answer(self, entry: dict[str, Any]) -> int:
        """Append an answer (kind, follow_up, text; audio defaults to audio_path's name, result to None),
        save, and return its index."""
        index = len(self.answers)
        entry = {"audio": self.audio_path(index).name, "result": None, **entry}
        self._commit({**self.data, "answers": [*self.answers, entry]})
        return index

    def set_result(self, index: int, result: dict[str, Any] | None) -> None:
        self.update_answer(index, result=result)

    def update_answer(self, index: int, **fields: Any) -> None:
        """Set fields of answer `index` (its result, its final-pass summary) and save."""
        if type(index) is not int or not 0 <= index < len(self.answers):
            raise IndexError(f"session {self.id} has no answer {index!r}")
        answers = list(self.answers)
        answers[index] = {**answers[index], **fields}
        self._commit({**self.data, "answers": answers})

    def finish(self, status: str = "complete") -> None:
        if status not in ("complete", "interrupted"):
            raise ValueError(f"a session finishes complete or interrupted, not {status!r}")
        self._commit({**self.data, "status": status})

    def save(self) -> None:
        self._commit(self.data)

    def _commit(self, data: dict[str, Any]) -> None:
        try:
            check_session(data, self.id)  # never write what load would refuse
        except Damaged as e:
            raise ValueError(f"session {self.id}: refusing to save: {e}") from None
        try:
            atomic_write_json(self.path / SESSION_FILE, data)
        except OSError as e:
            raise StarcoachError(f"cannot save session {self.id}: {e.strerror or e}") from None
        self.data = data

    def summary(self) -> SessionSummary:
        main = next((a for a in self.answers if a["kind"] == "main"), None)
        result = AnswerResult.from_dict((main or {}).get("result"))
        verdicts = {s.name: s.verdict for s in result.sections if s.name and s.verdict}
        missing = tuple(i for i, a in enumerate(self.answers)
                        if a["audio"] is not None and not (self.path / a["audio"]).is_file())
        d = self.data
        return SessionSummary(self.id, datetime.fromisoformat(d["created"]), d["question"], d["level"], d["source"],
                              self.status, result.duration_s, None if result.score is None else round(result.score),
                              verdicts, len(self.answers), missing, self.path)


def _natural(name: str) -> list[Any]:
    # So "...-commit-10" sorts after "...-commit-2" (and the first session of a second before both).
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


class SessionStore:
    """The sessions folder: `root` defaults to sessions_dir()."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else sessions_dir()

    def create(self, *, question_id: str, question_text: str, level: str, source: str,
               now: datetime | None = None) -> Session:
        """Make the session's folder and write its session.json (status recording)."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        base = new_session_id(question_id, when)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self._reserve(base)
        except OSError as e:
            raise StarcoachError(f"cannot create a session in {self.root}: {e.strerror or e}") from None
        session = Session(path, {
            "schema_version": SCHEMA_VERSION, "id": path.name, "created": when.isoformat(), "question": question_id,
            "question_text": question_text, "level": level, "source": source, "status": "recording", "answers": [],
        }, live=True)
        try:
            session.save()
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)  # leave no folder without a session.json
            raise
        return session

    def _reserve(self, base: str) -> Path:
        # mkdir is the lock: two processes starting in the same second get different folders.
        n = 1
        while True:
            path = self.root / (base if n == 1 else f"{base}-{n}")
            with contextlib.suppress(FileExistsError):
                path.mkdir()
                return path
            n += 1

    def _folder(self, session_id: str) -> Path:
        path = self.root / validate_id(session_id)
        if path.is_symlink() or not path.is_dir():  # a link could lead out of the sessions folder
            raise StarcoachError(f"no session {session_id!r} in {self.root}")
        return path

    def load(self, session_id: str) -> Session:
        path = self._folder(session_id)
        try:
            return _read(path)
        except Damaged as e:
            raise StarcoachError(f"session {session_id} is damaged: {e}") from None

    def list(self) -> list[SessionSummary | DamagedSession]:
        """Every session, newest first; one that cannot be read is a DamagedSession, never an exception."""
        try:
            paths = [p for p in self.root.iterdir() if is_safe_name(p.name) and p.is_dir() and not p.is_symlink()]
        except FileNotFoundError:
            return []
        except OSError as e:
            raise StarcoachError(f"cannot read {self.root}: {e.strerror or e}") from None
        out: list[SessionSummary | DamagedSession] = []
        for path in sorted(paths, key=lambda p: _natural(p.name), reverse=True):
            try:
                out.append(_read(path).summary())
            except Damaged as e:
                out.append(DamagedSession(path.name, str(e), path))
        return out

    def delete(self, session_id: str) -> None:
        """Remove a session's folder (a damaged one too): renamed out of the list in one step, then
        removed, so a failure or a kill half-way leaves a hidden `.deleting-*` folder (cleaned on
        the next start), never half a session. Refused while another process holds the session."""
        from starcoach import leftovers

        path = self._folder(session_id)
        try:
            with self.locked(session_id):
                gone = Path(tempfile.mkdtemp(prefix=f".deleting-{session_id[:40]}-", dir=self.root))
                os.replace(path, gone / path.name)
            shutil.rmtree(gone, ignore_errors=True)  # gone from the list already; what stays goes next start
        except leftovers.Busy:
            raise StarcoachError(f"session {session_id} is in use by another starcoach (a practice still "
                                 "finishing?): try again when it ends") from None
        except OSError as e:
            raise StarcoachError(f"cannot delete session {session_id}: {e.strerror or e}") from None

    @contextlib.contextmanager
    def locked(self, session_id: str):  # type: ignore[no-untyped-def]
        """Hold the session's lock for a read-change-write from another command; leftovers.Busy if a
        practice (or another command) holds it."""
        from starcoach import leftovers

        with leftovers.held(self._folder(session_id)):
            yield
