"""Transcribe while the candidate speaks, so that the words at the stop are the words that
transcribing the whole recording afterwards gives.

faster-whisper transcribes a file in three steps: Silero VAD finds the speech and silences over
2 s are dropped; the speech is joined end to end; Whisper decodes it in 30 s windows, each starting
where the last complete word of the one before ended. With starcoach's options (no conditioning on
previous text) a window's words depend only on the audio inside it. So the same steps can run as
the audio arrives: a window is decoded once the speech it covers can no longer change (`SETTLE_S`
behind the newest audio: the VAD drops a silence once it has lasted 2 s, keeping 0.4 s of it), and
the last window is decoded ahead once the speaker has been quiet long enough for the VAD to close
their last chunk. Windows decoded before the take's loudest moment are decoded again while the
worker is idle (Whisper's features depend on the loudest bin of the whole file).
At the stop, only the speech since the last settled window is left: one window, rarely two.

Each decoded window keeps the audio it was decoded from. Before the next step, every window is
checked against the speech as it now stands; from the first one that differs (the speaker went
on after a pause, the VAD changed its mind near the edge), windows are decoded again. That keeps
the result equal to the whole-file transcript by construction, not by luck.

The model side (VAD probabilities, decoding one window) is behind two small interfaces; the real
ones are in devices/whisper_windows.py, fakes in the tests. To the practice loop this is one of
its live sessions (live_session.py). This module imports no device library.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from starcoach.live_session import join_through_ctrl_c
from starcoach.records import Word
from starcoach.vad_chunks import SAMPLE_RATE, Chunk, SpeechMap, collapse, speech_chunks

log = logging.getLogger("starcoach")

HOP = 160  # samples per Whisper feature frame
WINDOW_FRAMES = 3000  # 30 s
CONTEXT_FRAMES = 4  # extra frames each side of a window, so the STFT's edges fall outside it
SETTLE_S = 2.0  # the VAD's decisions this far behind the newest audio are final (2 s silence - 0.4 s pad)
STEP_S = 1.0  # look for work after each second of new audio
REFRESH_S = 3.0  # when idle, look for a stale window at most once per this much new audio


def window_region(seek: int, n_speech: int) -> tuple[int, int]:
    """The samples of the joined speech that the window starting at frame `seek` is computed from."""
    return max(0, (seek - CONTEXT_FRAMES) * HOP), min(n_speech, (seek + WINDOW_FRAMES + CONTEXT_FRAMES) * HOP)


@dataclass(frozen=True, slots=True)
class Heard:
    """A word as Whisper gives it (faster-whisper's field names), times in seconds."""

    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True, slots=True)
class WindowResult:
    segments: list[list[Heard]]  # times in the joined speech
    next_seek: int  # the frame the next window starts at
    last_speech: float  # the end of the last word so far (Whisper's word timing uses it)
    reference: float = 0.0  # what the window took from outside itself (Whisper: the loudest level so far)


class SpeechProbs(Protocol):
    def feed(self, samples: np.ndarray) -> np.ndarray: ...  # probabilities of the windows completed
    def tail(self) -> float: ...  # probability of the last partial window, were the audio to end now


class WindowDecoder(Protocol):
    def decode(self, speech: np.ndarray, seek: int, last_speech: float) -> WindowResult: ...
    def reference(self, speech: np.ndarray) -> float: ...  # what a whole-file pass would use
    def words(self, segments: list[list[Heard]], duration: float) -> list[Word]: ...


@dataclass(frozen=True, slots=True)
class _Window:
    seek: int
    audio: np.ndarray  # the samples window_region() covered when it was decoded
    at_end: bool  # it reached the end of the speech: it holds only while no more speech comes
    result: WindowResult
    last_speech_in: float  # what it was given of the window before (Whisper's word timing)

    def holds(self, speech: np.ndarray) -> bool:
        a0, a1 = window_region(self.seek, len(speech))
        return (a1 == len(speech)) == self.at_end and np.array_equal(speech[a0:a1], self.audio)


class WhisperLiveSession:
    """Feed it blocks while recording; `finish()` returns every word with times in the recording.

    A worker thread does the VAD and the decoding, so `feed` only appends. `windows` counts the
    decodes (re-decodes included), for the log. After `finish()`, `whole_file_words` says whether
    the words are the whole-file words to the bit: every window saw the reference the whole file
    gives (Whisper's loudest level, which may come late in the take) and no block needed resampling.
    """

    unit = "windows"

    def __init__(self, probs: SpeechProbs, decoder: WindowDecoder, *, rate: int = SAMPLE_RATE,
                 resample: Callable[[np.ndarray, int], np.ndarray] | None = None) -> None:
        self._vad, self._decoder, self._rate, self._resample = probs, decoder, rate, resample
        self._audio = np.zeros(SAMPLE_RATE * 60, dtype=np.float32)  # grown by doubling
        self._n = 0
        self._fed_vad = 0
        self._probs: list[float] = []
        self._windows: list[_Window] = []
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._final = self._closed = False
        self._finish_called = 0.0
        self._words: list[Word] = []
        self.windows = 0
        self.whole_file_words = True
        self._refreshed = 0  # the audio length at the last look for stale windows
        self._worker = threading.Thread(target=self._work, name="starcoach-live-transcriber", daemon=True)
        self._worker.start()

    @property
    def chunks(self) -> int:  # the live session's name for its units of work
        return self.windows

    # ------------------------------------------------------------ the recording thread

    def feed(self, block: np.ndarray, rate: int | None = None) -> None:
        block = np.asarray(block, dtype=np.float32)
        # The saved file is decoded with FFmpeg's downmix and resampler, not these: not exact then.
        if block.ndim == 2:  # (frames, channels) from the recorder
            self.whole_file_words = self.whole_file_words and block.shape[1] == 1
            block = block.mean(axis=1)
        if (rate or self._rate) != SAMPLE_RATE and self._resample is not None:
            block = self._resample(block, rate or self._rate)
            self.whole_file_words = False
        with self._wake:
            if self._n + len(block) > len(self._audio):
                grown = np.zeros(max(2 * len(self._audio), self._n + len(block)), dtype=np.float32)
                grown[:self._n] = self._audio[:self._n]
                self._audio = grown
            self._audio[self._n:self._n + len(block)] = block
            self._n += len(block)
            self._wake.notify()

    def finish(self) -> list[Word]:
        """Decode what is left, as the whole-file transcription would end; raises what the worker raised."""
        with self._wake:
            self._final = True
            self._finish_called = time.monotonic()
            self._wake.notify()
        self._worker.join()
        if self._error is not None:
            raise self._error
        return self._words

    def close(self) -> None:
        """Stop after the window being decoded (Ctrl-C while waiting): the model must not be left
        running on a thread when the program exits."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        join_through_ctrl_c(self._worker)

    # ------------------------------------------------------------ the worker

    def _work(self) -> None:
        stepped = 0
        try:
            while True:
                with self._wake:
                    while not (self._final or self._closed or self._n - stepped >= STEP_S * SAMPLE_RATE):
                        self._wake.wait()
                    if self._closed:
                        return
                    final, n = self._final, self._n
                    audio = self._audio[:n]  # a view: only ever appended to beyond n
                stepped = n
                if final:  # how long the window being decoded at the stop kept it waiting
                    log.info("live transcription: the stop waited %.2f s for work in progress",
                             time.monotonic() - self._finish_called)
                self._step(audio, final)
                if final:
                    return
        except BaseException as e:  # surfaced by finish(): a worker must not die silently
            self._error = e

    def _speech(self, audio: np.ndarray) -> tuple[list[Chunk], np.ndarray]:
        self._probs.extend(self._vad.feed(audio[self._fed_vad:]).tolist())
        self._fed_vad = len(audio)
        # faster-whisper pads the last partial window with zeros (a whole one if none is partial).
        chunks = speech_chunks([*self._probs, self._vad.tail()], len(audio))
        return chunks, collapse(audio, chunks)

    def _step(self, audio: np.ndarray, final: bool) -> None:
        chunks, speech = self._speech(audio)
        kept = 0
        while kept < len(self._windows) and self._windows[kept].holds(speech):
            kept += 1
        if kept < len(self._windows):
            log.info("live transcription: %d window(s) decoded again (the speech changed)", len(self._windows) - kept)
            del self._windows[kept:]
        seek, last_speech = (self._windows[-1].result.next_seek, self._windows[-1].result.last_speech) \
            if self._windows else (0, 0.0)
        settled_s = len(audio) / SAMPLE_RATE - SETTLE_S
        speech_ended = bool(chunks) and chunks[-1].end < len(audio)  # the VAD closed the last chunk
        decoded, decodes_before, seek_at_start = False, self.windows, seek
        while seek < len(speech) // HOP and not self._closed:
            _a0, a1 = window_region(seek, len(speech))
            at_end = a1 == len(speech)
            if not final and not (speech_ended if at_end else _recording_time(chunks, a1) <= settled_s):
                break
            self._windows.append(self._decode(speech, seek, last_speech))
            decoded = True
            if self._windows[-1].result.next_seek <= seek:  # cannot happen with faster-whisper; never loop
                break
            seek, last_speech = self._windows[-1].result.next_seek, self._windows[-1].result.last_speech
        if final:
            log.info("live transcription at the stop: %d window(s) decoded from %.1f s of %.1f s of speech",
                     self.windows - decodes_before, seek_at_start * HOP / SAMPLE_RATE, len(speech) / SAMPLE_RATE)
            self._words = self._decoder.words(_in_recording(self._windows, chunks), len(audio) / SAMPLE_RATE)
            if self._windows:
                self.whole_file_words = self.whole_file_words and self._first_stale(self._decoder.reference(speech)) is None
        elif not decoded and len(audio) - self._refreshed >= REFRESH_S * SAMPLE_RATE:
            self._refresh(speech, len(audio))

    def _decode(self, speech: np.ndarray, seek: int, last_speech: float) -> _Window:
        started = time.monotonic()
        result = self._decoder.decode(speech, seek, last_speech)
        log.debug("window at %.1f s decoded in %.2f s", seek * HOP / SAMPLE_RATE, time.monotonic() - started)
        self.windows += 1
        a0, a1 = window_region(seek, len(speech))
        return _Window(seek, speech[a0:a1].copy(), a1 == len(speech), result, last_speech)

    def _first_stale(self, reference: float) -> int | None:
        """The first window decoded with other inputs than a whole-file pass would give it now: an
        older reference (a louder moment came since), or the window before it was decoded again."""
        previous_last_speech = 0.0
        for i, w in enumerate(self._windows):
            if w.result.reference != reference or w.last_speech_in != previous_last_speech:
                return i
            previous_last_speech = w.result.last_speech
        return None

    def _refresh(self, speech: np.ndarray, n: int) -> None:
        """When idle, decode again the first stale window, so that the words are exact by the stop."""
        self._refreshed = n
        i = self._first_stale(self._decoder.reference(speech))
        if i is None:
            return
        old = self._windows[i]
        new = self._decode(speech, old.seek, self._windows[i - 1].result.last_speech if i else 0.0)
        if new.result.next_seek != old.result.next_seek:  # the windows after it start elsewhere now
            log.info("live transcription: %d window(s) after %.1f s dropped (a louder moment moved a window)",
                     len(self._windows) - i - 1, old.seek * HOP / SAMPLE_RATE)
            del self._windows[i + 1:]
        self._windows[i] = new


def _recording_time(chunks: list[Chunk], speech_sample: int) -> float:
    """Where a sample of the joined speech lies in the recording, in seconds."""
    skipped = previous_end = done = 0
    for c in chunks:
        skipped += c.start - previous_end
        previous_end = c.end
        done += c.end - c.start
        if speech_sample <= done:
            break
    return (speech_sample + skipped) / SAMPLE_RATE


def _in_recording(windows: list[_Window], chunks: list[Chunk]) -> list[list[Heard]]:
    """The windows' segments with each word moved from the joined speech to the recording."""
    if not chunks:
        return []
    to = SpeechMap(chunks)
    out = []
    for window in windows:
        for segment in window.result.segments:
            moved = []
            for w in segment:
                i = to.chunk_index((w.start + w.end) / 2)
                moved.append(Heard(w.word, to.original(w.start, i), to.original(w.end, i), w.probability))
            out.append(moved)
    return out


def words_of_segment(heard: Iterable[Any], duration: float, previous_start: float) -> list[Word]:
    """One Whisper segment's words (objects with .word, .start, .end, .probability: faster-whisper's
    or Heard) as Words: times clamped to the take, in order; a token with no letter or digit dropped."""
    words = []
    for w in heard:
        text = w.word.strip()
        if not any(ch.isalnum() for ch in text):
            continue  # a lone "." or "-" is not a word
        start = min(max(float(w.start), previous_start), duration)
        end = min(max(float(w.end), start), duration)
        if words and not w.word[:1].isspace() and text[:1] in "-'":
            # Whisper splits "e-commerce" into " e" and "-commerce" (no leading space): one written word.
            first = words.pop()
            words.append(Word(first.text + text, first.start, end, min(first.probability, float(w.probability))))
        else:
            words.append(Word(text, start, end, float(w.probability)))
        previous_start = start
    return words
