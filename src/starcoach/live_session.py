"""The one interface the practice loop feeds a take's audio into and gets its words from.

    whisper_live.WhisperLiveSession   Whisper's live path: the whole-file algorithm run as the audio
                                      arrives (WhisperTranscriber.live_session() makes one)
    chunked_live.ChunkedLiveSession   chunks cut at pauses, each transcribed on its own, for
                                      transcribers with no live path of their own (the tests' fakes)
    WholeTake                         a take known whole at once (a file given with --input),
                                      transcribed in one pass at the stop

Blocks go in with `feed` while the take is recorded; `finish()` returns every word with times in
the take; `close()` gives up (Ctrl-C) and returns once no model runs on a thread. No device here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from starcoach.records import Word

__all__ = ["LiveSession", "WholeTake", "join_through_ctrl_c"]

log = logging.getLogger("starcoach")


class LiveSession(Protocol):
    unit: str  # what `chunks` counts, for the log: "windows", "chunks"

    @property
    def chunks(self) -> int: ...  # pieces of the take transcribed so far

    @property
    def whole_file_words(self) -> bool: ...  # after finish(): the words are those of a whole-file pass

    def feed(self, block: np.ndarray, rate: int | None = None) -> None: ...

    def finish(self) -> list[Word]: ...

    def close(self) -> None: ...


class WholeTake:
    """A take handed over whole (16 kHz mono): `finish()` transcribes it in one pass, on the caller's
    thread, so its words are the whole-file words by construction."""

    unit = "whole take"
    whole_file_words = True

    def __init__(self, transcribe: Callable[[np.ndarray], list[Word]]) -> None:
        self._transcribe = transcribe
        self._blocks: list[np.ndarray] = []
        self.chunks = 0

    def feed(self, block: np.ndarray, rate: int | None = None) -> None:
        self._blocks.append(np.asarray(block, dtype=np.float32))

    def finish(self) -> list[Word]:
        audio = self._blocks[0] if len(self._blocks) == 1 else np.concatenate(self._blocks or [np.zeros(0, np.float32)])
        self.chunks = 1
        return list(self._transcribe(audio))

    def close(self) -> None:
        pass  # nothing runs on another thread


def join_through_ctrl_c(thread: threading.Thread, timeout: float | None = None) -> None:
    """Join a thread that runs the model, even if Ctrl-C is pressed again meanwhile: the program is
    on its way out already, and leaving CTranslate2 running on a thread as it exits crashes it.
    The wait is one window's decoding at most (the thread checks for the stop between windows)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while thread.is_alive():
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return
        try:
            thread.join(left)
        except KeyboardInterrupt:
            log.info("Ctrl-C again: still waiting for the model's thread to stop")
