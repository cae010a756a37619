"""`starcoach replay --play`: play a stored answer's audio and follow it word by word in the terminal.

The parts, each testable on its own:
    follow()             where playback is in the words, from a playback clock (pure)
    now_playing()        the live panel: the current line with the current word lit, elapsed / total
    Playback             the output device's tiny interface (devices/playback.py holds it and the
                         real one, SoundDevicePlayback)
    Keys                 space and q from the terminal in cbreak mode, restored on every exit path
    play()               the loop tying them together
"""

from __future__ import annotations

import bisect
import os
import select
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any, Protocol

import numpy as np
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from starcoach.answer_view import COLOURS
from starcoach.devices.playback import Playback, SoundDevicePlayback
from starcoach.errors import StarcoachError
from starcoach.replay import Line, StoredAnswer, split_lines
from starcoach.result import ResultWord
from starcoach.timing import clock

TICK_S = 0.05  # how often the view and the keys are looked at


# --------------------------------------------------------------------------- following the words (pure)


@dataclass(frozen=True, slots=True)
class Follow:
    """Where playback is: the line on screen, the word being said (or the last one said, in a pause;
    None before the first word), and whether that word is being said right now."""

    line: int
    word: int | None
    speaking: bool


def follow(words: Sequence[ResultWord], lines: Sequence[Line], t: float) -> Follow:
    """The position at `t` seconds from the start of the recording."""
    if not words or not lines:
        return Follow(0, None, False)
    i = bisect.bisect_right([w.start for w in words], t) - 1
    if i < 0:
        return Follow(0, None, False)
    line = bisect.bisect_right([ln.first for ln in lines], i) - 1
    return Follow(max(0, line), i, t < words[i].end)


def progress_bar(elapsed: float, total: float, width: int = 40) -> Text:
    done = 0 if total <= 0 else min(width, round(elapsed / total * width))
    return Text("\u2501" * done, style="cyan") + Text("\u2500" * (width - done), style="dim")


def now_playing(words: Sequence[ResultWord], lines: Sequence[Line], pos: Follow, *, elapsed: float, total: float,
                paused: bool = False, keys: bool = True, title: str = "") -> Panel:
    """The current line with the words said so far plain, the current word lit and the rest dim;
    the next line below it, dim."""
    state = Text("\u23f8 paused" if paused else "\u25b6 playing", style="yellow" if paused else "green")
    head = Text.assemble(state, "  ", (f"{clock(elapsed)} / {clock(total)}", "bold"), "  ")
    head.append_text(progress_bar(elapsed, total))
    parts: list[Any] = [head]
    if lines:
        line = lines[pos.line]
        first = words[line.first]
        if first.section:
            parts.append(Text(first.section.capitalize(), style=f"bold {COLOURS.get(first.section, '')}".strip()))
        text = Text.assemble((f"[{clock(first.start)}] ", "dim"))
        for i in range(line.first, line.last + 1):
            w = words[i]
            colour = COLOURS.get(w.section or "", "")
            if i > line.first:
                text.append(" ")
            if pos.word is not None and i == pos.word and pos.speaking:
                text.append(w.text.strip(), style=f"bold reverse {colour}".strip())
            elif pos.word is not None and i <= pos.word:
                text.append(w.text.strip(), style=colour)
            else:
                text.append(w.text.strip(), style="dim")
        parts.append(text)
        if pos.line + 1 < len(lines):
            nxt = lines[pos.line + 1]
            upcoming = " ".join(words[i].text.strip() for i in range(nxt.first, nxt.last + 1))
            parts.append(Text(f"[{clock(words[nxt.first].start)}] {upcoming}", style="dim"))
    if keys:
        parts.append(Text("space pause / resume \u00b7 q stop", style="dim"))
    return Panel(Group(*parts), title=title or None, title_align="left", expand=True)


# --------------------------------------------------------------------------- the keys


class Keys:
    """Single key presses from a terminal, without Enter (cbreak mode) and without echo.

    Without a terminal (a pipe, a test runner) `read` only waits and returns None. The terminal's
    settings are put back when the `with` block ends, however it ends.
    """

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdin
        self._fd: int | None = None
        self._saved: Any = None

    def __enter__(self) -> Keys:
        try:
            if not self._stream.isatty():
                return self
            fd = self._stream.fileno()
            import termios
            import tty
        except (AttributeError, ImportError, OSError, ValueError):
            return self  # no terminal, or no termios (Windows): play straight through
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._fd = None

    @property
    def interactive(self) -> bool:
        return self._fd is not None

    def read(self, timeout: float) -> str | None:
        """A key pressed within `timeout` seconds, or None."""
        if self._fd is None:
            time.sleep(timeout)
            return None
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return None
        return os.read(self._fd, 1).decode(errors="ignore") or None


class KeySource(Protocol):
    @property
    def interactive(self) -> bool: ...

    def read(self, timeout: float) -> str | None: ...


# --------------------------------------------------------------------------- the loop


@dataclass(frozen=True, slots=True)
class Played:
    stopped: bool  # True when q stopped it before the end
    at_s: float  # where playback ended, seconds from the start of the recording


def play(words: Sequence[ResultWord], samples: np.ndarray, rate: int, *, playback: Playback, keys: KeySource,
         console: Console, from_s: float = 0.0, title: str = "", tick: float = TICK_S) -> Played:
    """Play `samples` from `from_s` and follow `words` until the end or q; space pauses and resumes."""
    total = len(samples) / rate
    if from_s >= total:
        raise StarcoachError(f"--from {clock(from_s)} is past the end of the recording ({clock(total)})")
    lines = split_lines(words)
    paused = stopped = False
    at = from_s

    def panel() -> Panel:
        return now_playing(words, lines, follow(words, lines, at), elapsed=at, total=total, paused=paused,
                           keys=keys.interactive, title=title)

    playback.start(samples[int(from_s * rate) :], rate)
    try:
        with Live(panel(), console=console, auto_refresh=False, transient=False) as live:
            while not playback.finished:
                key = keys.read(tick)
                if key in ("q", "Q"):
                    stopped = True
                    break
                if key == " ":
                    paused = not paused
                    playback.pause() if paused else playback.resume()
                at = min(total, from_s + playback.position())
                live.update(panel(), refresh=True)
            at = min(total, from_s + playback.position())
            live.update(panel(), refresh=True)
    finally:
        playback.close()
    if not console.is_terminal:
        console.line()  # Live prints its last frame without one when it is not a terminal
    return Played(stopped, at)


def load_answer_audio(a: StoredAnswer) -> tuple[np.ndarray, int]:
    """The answer's recording as 16 kHz mono float32; StarcoachError for a typed answer or a lost file."""
    from starcoach.audio import SAMPLE_RATE, load_audio

    path = a.audio
    if path is None:
        raise StarcoachError(f"{a.label} of session {a.session.id} was typed, so there is no audio to play "
                             "(replay without --play shows the transcript)")
    if not path.is_file():
        raise StarcoachError(f"the audio of {a.label} of session {a.session.id} is missing: {path}")
    return load_audio(path), SAMPLE_RATE


def play_answer(a: StoredAnswer, *, from_s: float = 0.0, console: Console | None = None,
                playback: Playback | None = None, keys: KeySource | None = None) -> Played:
    """`replay --play`: check there is audio and an output device, then play and follow."""
    console = console or Console()
    samples, rate = load_answer_audio(a)
    if playback is None:
        playback = SoundDevicePlayback()
    title = f"{a.session.id} \u00b7 {a.label}"
    if keys is not None:
        played = play(a.words, samples, rate, playback=playback, keys=keys, console=console, from_s=from_s, title=title)
    else:
        with Keys() as real_keys:
            played = play(a.words, samples, rate, playback=playback, keys=real_keys, console=console, from_s=from_s,
                          title=title)
    note = f"stopped at {clock(played.at_s)}" if played.stopped else f"played to the end ({clock(played.at_s)})"
    console.print(note, style="dim", highlight=False)
    return played
