"""Transcribe while the candidate is still speaking, for transcribers with no live path of their own.

WhisperTranscriber has one (whisper_live.py: the whole-file algorithm run as the audio arrives);
this is the general fallback, used by the tests' fake transcribers, which only transcribe whole
arrays. Both are live sessions (live_session.py) to the practice loop.

Audio arrives in small blocks. Once ~10 s are buffered, the buffer is cut at its last pause of at least
0.3 s and that chunk goes to a worker thread; at the stop only the tail is left to transcribe. Cutting
at pauses (not at fixed points) matters: hard cuts split words and doubled the error rate in a
simulation with the base model. The cut search is pure numpy and tested on plain arrays.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from starcoach.audio import SAMPLE_RATE, resample
from starcoach.live_session import join_through_ctrl_c
from starcoach.records import Word

log = logging.getLogger("starcoach")

FRAME_S = 0.02


@dataclass(frozen=True, slots=True)
class ChunkPolicy:
    target_s: float = 10.0  # start looking for a cut once this much audio is buffered
    min_s: float = 4.0  # never cut a chunk shorter than this (too little context for Whisper)
    max_s: float = 20.0  # past this, cut at the quietest moment even with no real pause
    pause_s: float = 0.3  # a pause must last this long to be a cut point


def frame_rms(audio: np.ndarray, frame: int) -> np.ndarray:
    n = len(audio) // frame
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    frames = audio[: n * frame].reshape(n, frame).astype(np.float64)
    return np.sqrt(np.mean(frames * frames, axis=1))


def quiet_threshold(rms: np.ndarray) -> float:
    """Frames under this count as pause: a little above the noise floor, well under typical speech."""
    if len(rms) == 0:
        return 0.0
    floor = float(np.percentile(rms, 10))
    speech = float(np.percentile(rms, 70))
    return max(1e-4, floor * 2.0, floor + 0.1 * (speech - floor))


def find_cut(audio: np.ndarray, policy: ChunkPolicy = ChunkPolicy(), rate: int = SAMPLE_RATE) -> int | None:
    """Where to cut the buffered audio (a sample index), or None to wait for more.

    The cut is the middle of the last pause of at least `policy.pause_s` that leaves a chunk of at
    least `policy.min_s`; past `policy.max_s` with no pause, the quietest stretch.
    """
    duration = len(audio) / rate
    if duration < policy.target_s:
        return None
    frame = int(FRAME_S * rate)
    rms = frame_rms(audio, frame)
    quiet = rms <= quiet_threshold(rms)
    need = max(1, round(policy.pause_s / FRAME_S))
    first_allowed = int(policy.min_s / FRAME_S)
    i = len(quiet) - 1
    # Walk back over runs of quiet frames; the first long-enough one found is the last in time.
    while i >= first_allowed:
        if quiet[i]:
            run_end = i + 1
            while i >= 0 and quiet[i]:
                i -= 1
            run_start = i + 1
            if run_end - run_start >= need and run_start >= first_allowed:
                return ((run_start + run_end) // 2) * frame
        else:
            i -= 1
    if duration < policy.max_s:
        return None
    # No pause at all: cut in the quietest pause-long window after min_s.
    window = np.convolve(rms, np.ones(need), mode="valid")
    start = int(np.argmin(window[first_allowed:])) + first_allowed
    return (start + need // 2) * frame


class ChunkedLiveSession:
    """Feed it blocks while recording; `finish()` returns every word, in order, with absolute times.

    `transcribe(chunk) -> list[Word]` (times relative to the chunk) runs on one worker thread, so
    chunks are transcribed in order while the main thread keeps recording. Its words are never
    taken for the whole-file words: a chunk's edges are not where a whole-file pass cuts.
    """

    unit = "chunks"
    whole_file_words = False

    def __init__(self, transcribe: Callable[[np.ndarray], list[Word]], *, rate: int = SAMPLE_RATE,
                 policy: ChunkPolicy = ChunkPolicy()) -> None:
        self._transcribe = transcribe
        self._rate = rate
        self._policy = policy
        self._blocks: list[np.ndarray] = []
        self._buffered = 0
        self._offset_s = 0.0  # where the buffer starts in the whole recording
        self._jobs: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue()
        self._words: list[Word] = []
        self._error: BaseException | None = None
        self._worker = threading.Thread(target=self._work, name="starcoach-live-transcriber", daemon=True)
        self._worker.start()
        self.chunks = 0

    def feed(self, block: np.ndarray, rate: int | None = None) -> None:
        """Add a block recorded at `rate` (default: the rate given at construction)."""
        block = np.asarray(block, dtype=np.float32)
        if block.ndim == 2:  # (frames, channels) from the recorder
            block = block.mean(axis=1)
        block = resample(block, rate or self._rate)
        self._blocks.append(block)
        self._buffered += len(block)
        if self._buffered < self._policy.target_s * SAMPLE_RATE:
            return
        audio = np.concatenate(self._blocks)
        cut = find_cut(audio, self._policy)
        if cut is None:
            self._blocks, self._buffered = [audio], len(audio)
            return
        self._submit(audio[:cut])
        rest = audio[cut:]
        self._blocks, self._buffered = [rest], len(rest)

    def _submit(self, chunk: np.ndarray) -> None:
        self._jobs.put((chunk, self._offset_s))
        self._offset_s += len(chunk) / SAMPLE_RATE
        self.chunks += 1

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            chunk, offset = job
            if self._error is not None:
                continue
            try:
                words = self._transcribe(chunk)
            except BaseException as e:  # surfaced by finish(): a worker must not die silently
                self._error = e
                continue
            self._words.extend(Word(w.text, w.start + offset, w.end + offset, w.probability) for w in words)

    def close(self) -> None:
        """Drop what is queued and stop after the chunk being transcribed (Ctrl-C while waiting)."""
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        self._jobs.put(None)
        join_through_ctrl_c(self._worker)

    def finish(self) -> list[Word]:
        """Transcribe what is left and wait for the worker; raises what the worker raised."""
        if self._buffered:
            self._submit(np.concatenate(self._blocks))
            self._blocks, self._buffered = [], 0
        self._jobs.put(None)
        self._worker.join()
        if self._error is not None:
            raise self._error
        return list(self._words)
