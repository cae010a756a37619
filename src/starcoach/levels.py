"""How loud a recorded block is, and the rules that end a take. Pure numpy: no device here.

The recorder (devices/microphone.py) measures each block it writes with `block_level`, keeps "has
speech started, and how long has it been quiet since" with `SpeechTracker`, puts both in a
`RecordingStatus`, and asks a `StopPolicy` after each block whether the take is over.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

__all__ = ["SPEECH_RMS", "Level", "RecordingStatus", "SpeechTracker", "StopPolicy", "block_level", "peak", "rms"]

SPEECH_RMS = 0.02  # a block louder than this (RMS of samples in -1..1) counts as speech


@dataclass(frozen=True, slots=True)
class Level:
    """Loudness of one block, both in 0..1 (full scale)."""

    rms: float
    peak: float


@dataclass(frozen=True, slots=True)
class RecordingStatus:
    """What the recorder knows after each block: passed to `should_stop` and to the take's sink."""

    elapsed_s: float  # audio recorded so far (from the sample count, not the wall clock)
    level: Level  # of the last block
    speech_started: bool
    silence_s: float  # quiet audio since the last speech block (0 before speech starts)
    sample_rate: int = 16000  # the rate the blocks are recorded at


def rms(block: np.ndarray) -> float:
    """Root mean square of all samples of `block` (0.0 for an empty block)."""
    x = np.asarray(block, dtype=np.float64)
    if x.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(x))))


def peak(block: np.ndarray) -> float:
    """Largest absolute sample of `block` (0.0 for an empty block)."""
    x = np.asarray(block)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x)))


def block_level(block: np.ndarray) -> Level:
    return Level(rms=rms(block), peak=peak(block))


class SpeechTracker:
    """Turns (elapsed, level) after each block into "has speech started" and "silence since".

    A block whose RMS reaches `speech_rms` is speech. Pure state, no audio device.
    """

    def __init__(self, speech_rms: float = SPEECH_RMS) -> None:
        self.speech_rms = speech_rms
        self.speech_started = False
        self._last_speech_end_s = 0.0

    def update(self, elapsed_s: float, level: Level) -> float:
        """Feed one block ending at `elapsed_s`; return the silence since the last speech."""
        if level.rms >= self.speech_rms:
            self.speech_started = True
            self._last_speech_end_s = elapsed_s
            return 0.0
        if not self.speech_started:
            return 0.0
        return max(0.0, elapsed_s - self._last_speech_end_s)


class StopPolicy:
    """The usual stop rules, callable as `should_stop`.

    Stops, in this order of precedence, when `stop_requested` is set ("enter": the practice loop
    sets it when Enter is pressed), when `max_s` of audio has been recorded ("max_length"), or when
    `silence_after_speech_s` of quiet follows speech ("silence"; never before speech starts).
    After it returns True, `reason` says which rule fired; the recorder copies it into
    `Recording.stopped_by`.
    """

    def __init__(
        self,
        max_s: float,
        silence_after_speech_s: float | None = None,
        speech_rms: float = SPEECH_RMS,
    ) -> None:
        self.max_s = max_s
        self.silence_after_speech_s = silence_after_speech_s
        self.stop_requested = threading.Event()
        self.reason: str | None = None
        self._speech = SpeechTracker(speech_rms)

    def request_stop(self) -> None:
        self.stop_requested.set()

    def __call__(self, status: RecordingStatus) -> bool:
        silence_s = self._speech.update(status.elapsed_s, status.level)
        if self.stop_requested.is_set():
            self.reason = "enter"
        elif status.elapsed_s >= self.max_s:
            self.reason = "max_length"
        elif (
            self.silence_after_speech_s is not None
            and self._speech.speech_started
            and silence_s >= self.silence_after_speech_s
        ):
            self.reason = "silence"
        return self.reason is not None
