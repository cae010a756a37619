"""The final pass: each recorded take transcribed again as a whole, after its live report.

The Whisper live path (whisper_live.py) is the whole-file algorithm run as the audio arrives, and
says when its words are the whole-file words to the bit. When they may not be (the take's loudest
moment came after some windows were decoded; a device resampled live) or the live path was chunks
cut at pauses (chunked_live.py), the take is transcribed again in the background (while the next
question is spoken and answered). This module only transcribes: it hands back each take's final
transcript, how many words differ from the live one and how long it took; the practice loop
rescores it and keeps it in the session, so replay, reports and progress read what `starcoach
score` would make of the same file, and the candidate is told when the score moved.

The transcription and the audio loading are passed in; no device library here.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from starcoach.live_session import join_through_ctrl_c
from starcoach.records import Transcript, Word, join_words
from starcoach.wer import normalize, word_edits

log = logging.getLogger("starcoach")


@dataclass(frozen=True, slots=True)
class FinalPass:
    """The whole-take words of answer `index` (None if the pass failed, with the reason)."""

    index: int
    words: tuple[Word, ...] | None
    seconds: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FinalTranscript:
    """What the final pass of answer `index` gives the loop: the live transcript it started from,
    the whole-take one (None when the pass failed or heard nothing: `error` says why), and how
    many words the two differ in."""

    index: int
    live: Transcript
    final: Transcript | None
    changed_words: int
    seconds: float
    error: str | None = None


def changed_words(first: tuple[Word, ...], second: tuple[Word, ...]) -> int:
    """Word edits (case and punctuation ignored) that turn the first transcript into the second."""
    return word_edits(normalize(join_words(first)), normalize(join_words(second)))


class _Cancelled(Exception):
    pass


class FinalPassWorker:
    """Transcribes submitted takes one after another on one background thread.

    One thread: on a 2-core machine the final pass takes one core and the next take's live
    transcriber the other. `cancel()` stops it at the next Whisper segment, within a 30 s
    window's decoding: the program must not exit while CTranslate2 is running on a thread
    (that crashed the interpreter at shutdown here).

    `transcribe(audio, on_progress=...)` is a Transcriber's method: on_progress is called
    after each segment, and an exception raised there ends the pass.
    """

    def __init__(self, transcribe: Callable[..., list[Word]], load: Callable[[Path], np.ndarray]) -> None:
        self._transcribe, self._load = transcribe, load
        self._cancelled = threading.Event()
        self._jobs: queue.Queue[tuple[int, Path] | None] = queue.Queue()
        self._done: dict[int, FinalPass] = {}
        self._submitted: list[int] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, index: int, audio: Path) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="starcoach-final-pass", daemon=True)
            self._thread.start()
        with self._cond:
            self._submitted.append(index)
        self._jobs.put((index, audio))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            index, path = job
            started = time.monotonic()
            try:
                if self._cancelled.is_set():
                    raise _Cancelled
                words: tuple[Word, ...] | None = tuple(self._transcribe(self._load(path), on_progress=self._check))
                error = None
            except _Cancelled:
                words, error = None, "cancelled"
            except Exception as e:  # the live transcript stays; wait() reports why
                words, error = None, " ".join(str(e).split()) or type(e).__name__
            done = FinalPass(index, words, time.monotonic() - started, error)
            log.info("final pass of answer %d: %.2fs%s", index, done.seconds, f" ({error})" if error else "")
            with self._cond:
                self._done[index] = done
                self._cond.notify_all()

    def _check(self, _done_s: float) -> None:
        if self._cancelled.is_set():
            raise _Cancelled

    @property
    def pending(self) -> bool:
        with self._cond:
            return any(i not in self._done for i in self._submitted)

    def wait(self, timeout: float | None = None) -> list[FinalPass]:
        """Every submitted take's pass, in submission order, once all are done; TimeoutError after `timeout`.

        Waits in short steps so that Ctrl-C reaches the caller at once; after it, `finished()`
        still gives the passes that were done.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while any(i not in self._done for i in self._submitted):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError("final passes still running")
                self._cond.wait(0.2 if left is None else min(0.2, left))
            return [self._done[i] for i in self._submitted]

    def finished(self) -> list[FinalPass]:
        with self._cond:
            return [self._done[i] for i in self._submitted if i in self._done]

    def close(self) -> None:
        """No more takes: the thread ends after the pass it is on."""
        if self._thread is not None:
            self._jobs.put(None)

    def cancel(self, timeout: float = 30.0) -> None:
        """Stop the pass under way (and any queued) and wait for the thread to end."""
        self._cancelled.set()
        self.close()
        if self._thread is not None:
            join_through_ctrl_c(self._thread, timeout)


class FinalPasses:
    """The practice loop's side: queue takes, then collect their final transcripts."""

    def __init__(self, transcriber, view, load: Callable[[Path], np.ndarray] | None = None) -> None:
        self._worker = FinalPassWorker(transcriber.transcribe, load or _load_audio)
        self._view = view
        self._live: dict[int, Transcript] = {}

    def submit(self, index: int, audio: Path, live: Transcript) -> None:
        self._live[index] = live
        self._worker.submit(index, audio)

    def cancel(self) -> None:
        """Give up the passes (the session ends some other way); returns once no pass is running."""
        self._worker.cancel()

    def collect(self) -> list[FinalTranscript]:
        """Wait for the passes (Ctrl-C skips the rest) and give each one's outcome, in submission order."""
        self._worker.close()
        if not self._live:
            return []
        if self._worker.pending:
            self._view.note("final transcript: transcribing the whole take again (Ctrl-C to skip)")
        try:
            passes = self._worker.wait()
        except KeyboardInterrupt:
            self._worker.cancel()  # a moment: the pass stops at its next segment
            passes = [p for p in self._worker.finished() if p.error != "cancelled"]
            self._view.note("final transcript skipped where unfinished: the live transcript is kept")
        return [self._outcome(done) for done in passes]

    def _outcome(self, done: FinalPass) -> FinalTranscript:
        live = self._live[done.index]
        if not done.words:
            return FinalTranscript(done.index, live, None, 0, done.seconds, done.error or "no words")
        final = Transcript(done.words, live.duration_s, source=live.source, model=live.model)
        return FinalTranscript(done.index, live, final, changed_words(live.words, done.words), done.seconds)


def _load_audio(path: Path) -> np.ndarray:
    from starcoach.audio import load_audio

    return load_audio(path)
