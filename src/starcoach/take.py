"""One take as the practice loop follows it: the sink its take source hands the audio to, and the
`TakeResult` the loop gets back, whatever produced the take.

The take source (the microphone, or a file given with --input: devices/) writes the take to disk
and hands each block to a `TakeSink`: the live session (live_session.py) gets the audio for the
words, the voice's pitch is tracked as the audio comes (pitch_track.IncrementalTrack), and after each
microphone block the recording panel is updated and the Enter key looked at. Nothing here calls
back into the loop. No device library here.
"""

from __future__ import annotations

import select
import sys
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from starcoach.audio import SAMPLE_RATE
from starcoach.levels import RecordingStatus, StopPolicy
from starcoach.live_session import LiveSession
from starcoach.records import Transcript

__all__ = ["EnterKey", "TakeResult", "TakeSink", "WholeAudio"]


@dataclass(frozen=True)
class TakeResult:
    transcript: Transcript
    stopped_by: str
    report_latency_s: float  # from the stop to the words being ready
    whole_file_words: bool = False  # the words are those of a whole-file pass (a file, or an exact live pass)
    audio: object = None  # the take's samples when already decoded (a file given with --input) or recorded
    track: object = None  # its pitch track when made while recording (pitch_track.IncrementalTrack)
    error: str | None = None  # stopped_by "write_error": why the recording could not be written


class EnterKey:
    """Enter pressed on a terminal, polled without threads: a waiting reader thread would steal
    the next take's Enter."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stdin is not None and sys.stdin.isatty()

    def pressed(self) -> bool:
        if not self.enabled:
            return False
        ready, _, _ = select.select([sys.stdin], [], [], 0)
        return bool(ready) and sys.stdin.readline() != ""


class VoiceFeed(Protocol):
    """Where the take's samples go for its voice: pitch_track.IncrementalTrack, or WholeAudio."""

    def feed(self, samples: np.ndarray) -> None: ...

    def finish(self) -> tuple[np.ndarray, object]: ...  # the take's samples, and its pitch track or None


class WholeAudio:
    """A take handed over whole (a file): kept as it is, its pitch tracked only when it is scored."""

    def __init__(self) -> None:
        self._blocks: list[np.ndarray] = []

    def feed(self, samples: np.ndarray) -> None:
        self._blocks.append(samples)

    def finish(self) -> tuple[np.ndarray | None, None]:
        if not self._blocks:
            return None, None
        return (self._blocks[0] if len(self._blocks) == 1 else np.concatenate(self._blocks)), None


class RecordingView(Protocol):
    def update(self, elapsed_s: float, rms: float) -> None: ...


class TakeSink:
    """Takes each block from the take source (devices/microphone.TakeSink): the audio for the live
    session and the voice, then the status for the recording panel and the Enter key.

    The voice is measured from 16 kHz mono blocks as they come; a take recorded at another rate or
    with more channels has it measured from its file after the stop (`voice()` gives None then).
    """

    def __init__(self, live: LiveSession, voice: VoiceFeed | None = None, *, view: RecordingView | None = None,
                 enter: EnterKey | None = None, policy: StopPolicy | None = None) -> None:
        self.live = live
        self._voice = voice
        self._view, self._enter, self._policy = view, enter, policy

    def audio(self, block: np.ndarray, rate: int) -> None:
        self.live.feed(block, rate)
        if self._voice is not None and (rate != SAMPLE_RATE or np.ndim(block) != 1):
            self._voice = None
        if self._voice is not None:
            self._voice.feed(block)

    def status(self, status: RecordingStatus) -> None:
        if self._view is not None:
            self._view.update(status.elapsed_s, status.level.rms)
        if self._enter is not None and self._policy is not None and self._enter.pressed():
            self._policy.request_stop()

    def voice(self) -> tuple[object, object]:
        """The take's samples and pitch track as fed (None, None when not measured as it came)."""
        return self._voice.finish() if self._voice is not None else (None, None)
