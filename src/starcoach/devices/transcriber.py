"""Speech to timed words: the Transcriber interface and its faster-whisper implementation.

faster-whisper (and CTranslate2 under it) is imported only when a model is first loaded, so
importing this module costs nothing.

Decoding settings, each measured on this project's 2-core CPU (bench/TRANSCRIBE.md):

- ``language="en"``: no language detection pass, no drift into another language.
- ``word_timestamps=True``: starcoach times STAR sections and pauses from the words.
- ``vad_filter=True`` (Silero VAD): the guard against hallucinated text. Without it, 30 s of
  digital silence came out as the word "You"; with it, silence, white noise and mains hum give
  no words. The VAD cuts silences and faster-whisper maps the times back, so word times stay
  absolute.
- ``condition_on_previous_text=False``: one misheard window cannot feed a repetition loop
  through the rest of a 5-minute answer. It did not raise WER (gb0: 0.016, against 0.019 with
  conditioning) and was a little faster.
- beam search (``beam_size=5``, faster-whisper's default): greedy was 10-20 % faster but its
  WER on gb0 was 0.027 against 0.016.
- left at faster-whisper's defaults: ``no_speech_threshold``, ``log_prob_threshold``,
  ``compression_ratio_threshold`` (with temperature fallback) and no
  ``hallucination_silence_threshold``, which changed nothing on gb0 because the VAD has
  already removed the long silences it looks for. A stricter no-speech cut would cost real
  words: a real speech segment of hp0 had no_speech_prob 0.71.
- never ``initial_prompt`` or ``hotwords``: a prompt made tiny.en drop whole sentences.
  Fillers ("um", "uh") are kept as Whisper writes them; base keeps more of them than tiny.en.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from starcoach.audio import SAMPLE_RATE, resample
from starcoach.devices.whisper_windows import SileroProbs, WhisperWindows, stable_features
from starcoach.errors import StarcoachError
from starcoach.models import BUNDLED, DEFAULT_MODEL, resolve_model
from starcoach.records import Word
from starcoach.whisper_live import WhisperLiveSession, words_of_segment

if TYPE_CHECKING:  # pragma: no cover
    from faster_whisper import WhisperModel

__all__ = ["DECODE_OPTIONS", "DEFAULT_CPU_THREADS", "Transcriber", "WhisperTranscriber"]

#: CTranslate2 threads when the caller does not choose. On the 2-core target machine, int8,
#: 1 thread was as fast as or faster than 2 (base on gb0: median 13.9 s against 15.6 s,
#: tiny.en 7.3 s against 11.4 s, runs alternating), and it leaves a core for the rest of the
#: program; 2 threads lose badly as soon as anything else runs (bench/TRANSCRIBE.md).
DEFAULT_CPU_THREADS = 1

#: What every transcription passes to faster-whisper's WhisperModel.transcribe (see above).
DECODE_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {
        "language": "en",
        "task": "transcribe",
        "word_timestamps": True,
        "vad_filter": True,
        "condition_on_previous_text": False,
        "beam_size": 5,
    }
)


@runtime_checkable
class Transcriber(Protocol):
    """Turns 16 kHz mono float32 samples into words with absolute times in seconds."""

    name: str

    def transcribe(
        self, audio: np.ndarray, *, on_progress: Callable[[float], None] | None = None
    ) -> list[Word]:
        """Words in order; [] when there is no speech.

        `on_progress(seconds_of_audio_done)` is called as the work advances.
        """
        ...


# Set once a CTranslate2 model is (being) loaded in this process. Then an interrupted or failed
# command ends with os._exit (cli.main): the model's C++ thread pool torn down by the interpreter's
# shutdown crashed the process (SIGSEGV, or SIGABRT "terminate called without an active exception").
MODEL_LOADED = False


class WhisperTranscriber:
    """A Transcriber running Whisper through faster-whisper on the CPU.

    `model` is a bundled name ("base", the default, or "tiny.en"), a CTranslate2 model folder,
    or another name faster-whisper may fetch where the network allows. The model is loaded on
    the first `transcribe()` (or `load()`) and kept for later calls.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        cpu_threads: int | None = None,
        compute_type: str = "int8",
        num_workers: int = 1,
    ) -> None:
        if cpu_threads is not None and cpu_threads < 0:
            raise StarcoachError(
                f"cpu threads must be 0 (the library's default) or more, not {cpu_threads}"
            )
        if model is not None and not model.strip():  # `-m ""` would silently have meant base
            raise StarcoachError("--model is empty: give base, tiny.en, a model folder or a model name")
        self.name = model or DEFAULT_MODEL
        self.cpu_threads = DEFAULT_CPU_THREADS if cpu_threads is None else cpu_threads
        self.compute_type = compute_type
        # More than one worker lets calls from different threads run at once (the weights are shared).
        self.num_workers = max(1, num_workers)
        self._model: WhisperModel | None = None

    def __repr__(self) -> str:
        return (
            f"WhisperTranscriber({self.name!r}, cpu_threads={self.cpu_threads}, "
            f"compute_type={self.compute_type!r})"
        )

    def load(self) -> WhisperModel:
        """Load the model now (the first transcribe() does it otherwise); returns it."""
        if self._model is None:
            location = resolve_model(self.name)
            from faster_whisper import WhisperModel

            global MODEL_LOADED
            MODEL_LOADED = True  # from here on, the program must not exit through the interpreter's teardown
            try:
                self._model = WhisperModel(
                    location,
                    device="cpu",
                    compute_type=self.compute_type,
                    cpu_threads=self.cpu_threads,
                    num_workers=self.num_workers,
                )
            except Exception as e:  # CTranslate2, huggingface_hub and OS errors alike
                bundled = " and ".join(repr(n) for n in BUNDLED)
                raise StarcoachError(
                    f"could not load the Whisper model {self.name!r} ({_one_line(e)}); "
                    f"the bundled models are {bundled}"
                ) from None
            stable_features(self._model.feature_extractor)  # the live path's features, to the bit
        return self._model

    def transcribe(
        self, audio: np.ndarray, *, on_progress: Callable[[float], None] | None = None
    ) -> list[Word]:
        """Transcribe 16 kHz samples (1-D, or frames x channels which are averaged).

        Returns the words in order with times in seconds from the start of `audio`, the
        leading space faster-whisper puts on each word removed and tokens with no letter or
        digit dropped. [] when there is no speech. `on_progress` gets the seconds of audio
        done after each segment, and the full duration at the end.
        """
        samples = _as_mono(audio)
        duration = samples.size / SAMPLE_RATE
        if samples.size == 0:
            return []
        model = self.load()
        words: list[Word] = []
        for segment in self._segments(model, samples):
            words.extend(words_of_segment(segment.words or (), duration, words[-1].start if words else 0.0))
            if on_progress is not None:
                on_progress(min(max(segment.end, 0.0), duration))
        if on_progress is not None:
            on_progress(duration)
        return words

    def live_session(self) -> WhisperLiveSession:
        """A live transcription whose words at the stop equal `transcribe()` of the whole take
        (whisper_live.py); feed it 16 kHz blocks as they are recorded."""
        windows = WhisperWindows.for_model(self.load(), dict(DECODE_OPTIONS))
        return WhisperLiveSession(SileroProbs(), windows, resample=resample)

    def _segments(self, model: WhisperModel, samples: np.ndarray) -> Iterator[Any]:
        """faster-whisper's segments as they are decoded; its failures as StarcoachError.

        (A generator, so an exception raised by the caller's on_progress is not caught here.)
        """
        try:
            segments, _info = model.transcribe(samples, **DECODE_OPTIONS)
            yield from segments  # lazy: the decoding happens as we iterate
        except (RuntimeError, ValueError, MemoryError) as e:
            raise StarcoachError(
                f"transcription with the Whisper model {self.name!r} failed: {_one_line(e)}"
            ) from None


def _as_mono(audio: np.ndarray) -> np.ndarray:
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=1, dtype=np.float32)
    elif samples.ndim != 1:
        raise ValueError(f"audio must be 1-D (or frames x channels), not shape {samples.shape}")
    return np.ascontiguousarray(samples)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
