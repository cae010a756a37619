"""What a killed starcoach leaves behind, cleaned on the next start; and the locks that tell a
leftover from work in progress.

A kill -9 can leave, in the sessions folder, an import's hidden staging folder (`.import-*`, up
to the archive's size), the empty folder an import reserved for its id (listed as a damaged
session), a delete's hidden `.deleting-*` folder and a `.session.json.*.tmp`; and in the model
cache a `.model.bin.*.tmp` of up to 145 MB from a first model join. The writers hold an flock on
what they are writing (`hold`), so a leftover is what nobody holds and is a little old:
`clean_on_start` removes exactly those, and never raises.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locks, and only old leftovers are cleaned
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("starcoach")

HELD_GRACE_S = 5.0  # a lockable leftover: older than this (the moment between creating it and locking it)
UNLOCKED_STALE_S = 60.0  # a temporary file nobody locks (an atomic write takes milliseconds)
_NO_LOCK_STALE_S = 3600.0  # where flock is missing, only what is an hour old


class Busy(Exception):
    """Another process holds the lock."""


def _open(path: Path) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))


def hold(path: Path, *, wait: bool = False) -> int | None:
    """Take an exclusive flock on a file or folder and return its descriptor (close it to let go).
    Raises Busy if another open file holds it and `wait` is false; None where flock is missing."""
    if fcntl is None:
        return None
    fd = _open(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        raise Busy(str(path)) from None
    except BaseException:
        os.close(fd)
        raise
    return fd


def hold_fd(fd: int) -> None:
    """Lock an already open file (a temporary file just made by mkstemp)."""
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def release(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


@contextlib.contextmanager
def held(path: Path, *, wait: bool = False) -> Iterator[None]:
    fd = hold(path, wait=wait)
    try:
        yield
    finally:
        release(fd)


def _unheld(path: Path) -> bool:
    """Nobody holds a lock on it (we could take one, and let go at once)."""
    if fcntl is None:
        return True
    try:
        release(hold(path))
    except Busy:
        return False
    except OSError:
        return False
    return True


def _age_s(path: Path, now: float) -> float:
    try:
        return now - path.lstat().st_mtime
    except OSError:
        return -1.0


def _remove(path: Path, removed: list[Path]) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError as e:
        log.info("leftover %s not removed: %s", path, e)
        return
    log.info("removed a leftover of a killed starcoach: %s", path)
    removed.append(path)


def _stale_held(path: Path, now: float) -> bool:
    if fcntl is None:
        return _age_s(path, now) >= _NO_LOCK_STALE_S
    return _age_s(path, now) >= HELD_GRACE_S and _unheld(path)


def clean_sessions(root: Path, *, now: float | None = None) -> list[Path]:
    """Remove the sessions folder's leftovers; return what was removed."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    importing = False
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            continue
        name = entry.name
        if entry.is_dir() and name.startswith((".import-", ".deleting-")):
            if _stale_held(path, now):
                _remove(path, removed)
            elif name.startswith(".import-"):
                importing = True
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink() or not entry.is_dir() or entry.name.startswith("."):
            continue
        try:
            inside = list(os.scandir(path))
        except OSError:
            continue
        if not inside:  # the id an import reserved, never filled: listed as a damaged session
            if not importing and _stale_held(path, now):
                try:
                    path.rmdir()
                    removed.append(path)
                    log.info("removed an empty session folder left by a killed import: %s", path)
                except OSError:
                    pass
            continue
        for item in inside:
            if item.name.startswith(".") and item.name.endswith(".tmp") and item.is_file(follow_symlinks=False):
                tmp = Path(item.path)
                if _age_s(tmp, now) >= UNLOCKED_STALE_S and _unheld(tmp):
                    _remove(tmp, removed)
    return removed


def clean_cache(folder: Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files of a killed model join in `folder` (the base model's folder)."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(".tmp") and entry.is_file(follow_symlinks=False):
            path = Path(entry.path)
            if _stale_held(path, now):
                _remove(path, removed)
    return removed


def clean_on_start() -> list[Path]:
    """Clean the user's sessions folder and model cache; never raises (a start must not fail here)."""
    removed: list[Path] = []
    with contextlib.suppress(Exception):
        from starcoach.store import sessions_dir

        removed += clean_sessions(sessions_dir())
    with contextlib.suppress(Exception):
        from starcoach.models import base_model_folder

        removed += clean_cache(base_model_folder())
    return removed
