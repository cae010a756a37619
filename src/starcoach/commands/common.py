"""What the commands share: the consoles they print to, `--verbose`'s log handler, and the check
that an option and its old spelling (kept hidden) agree."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from rich.console import Console

from starcoach.errors import StarcoachError

if TYPE_CHECKING:
    import logging

T = TypeVar("T")

# The handler `--verbose` put on the "starcoach" logger and the level it found, so a second run in
# one process (the tests' runner) replaces it instead of adding another, and a quiet run undoes it.
_installed: tuple[logging.Handler, int] | None = None


def out() -> Console:
    # Made per call, not at import: the terminal (or a test runner) decides the width when it runs.
    return Console()


def err() -> Console:
    return Console(stderr=True)


def setup_logging(verbosity: int, *, command: str | None = None) -> None:
    """-v: the "starcoach" loggers' INFO lines on stderr; -vv: DEBUG too. 0 leaves logging as it is
    (warnings only, through Python's last-resort handler), so a caller's own configuration stands."""
    global _installed
    import logging  # here, not at the top: `starcoach --help` never needs it

    logger = logging.getLogger("starcoach")
    if _installed is not None:
        handler, level = _installed
        logger.removeHandler(handler)
        logger.setLevel(level)
        _installed = None
    if verbosity <= 0:
        return
    import platform

    from rich.logging import RichHandler

    from starcoach import __version__

    handler = RichHandler(console=err(), show_path=False, rich_tracebacks=False, markup=False)
    _installed = (handler, logger.level)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)
    logger.debug("starcoach %s on Python %s: %s", __version__, platform.python_version(), command)


def one_of(new: str, value: T | None, old: str, old_value: T | None) -> T | None:
    """The value of an option given under its new name or its old one; both, disagreeing: an error."""
    if value is not None and old_value is not None and value != old_value:
        raise StarcoachError(f"{new} and {old} are one option: give one of them")
    return value if value is not None else old_value
