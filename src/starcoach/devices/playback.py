"""Playing a buffer of samples out loud, for `starcoach replay --play` (player.py follows the words).

`Playback` is the small interface the player uses; `SoundDevicePlayback` is the real one, a
sounddevice OutputStream whose callback runs on PortAudio's thread and only copies the next block.
sounddevice is imported only when a `SoundDevicePlayback` is made.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Protocol

import numpy as np

from starcoach.devices import portaudio

__all__ = ["OUTPUT_LATENCY_S", "Playback", "SoundDevicePlayback", "resample"]

# Generous: a busy machine (or the terminal redrawing) must not starve the device; the word-follow
# clock subtracts it, and space takes effect this much later, which is not noticed.
OUTPUT_LATENCY_S = 0.2


class Playback(Protocol):
    """Plays one buffer of samples; the player only starts it, reads its clock, pauses and closes it."""

    def start(self, samples: np.ndarray, rate: int) -> None: ...

    def position(self) -> float: ...  # seconds of `samples` heard so far

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    @property
    def finished(self) -> bool: ...

    def close(self) -> None: ...  # stop now if still playing; safe to call twice


def resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """Linear-interpolation resampling: enough for listening back to speech."""
    # Steps of exactly rate/to_rate input samples, so an output position is the same time in the take
    # (seeking and the cursor rely on it); audio.resample stretches end to end, which Whisper does not mind.
    if rate == to_rate or len(samples) == 0:
        return samples
    n = max(1, round(len(samples) * to_rate / rate))
    x = np.arange(n, dtype=np.float64) * (rate / to_rate)
    return np.interp(x, np.arange(len(samples)), samples).astype(np.float32)


class SoundDevicePlayback:
    """The real output: a sounddevice OutputStream whose callback copies the next block of the buffer
    (silence while paused). `device` is an index or name; None is the system default.

    The buffer ends with the output latency's worth of silence: when the callback says stop, PortAudio
    (through ALSA's pulse plugin, measured) lets about that much of the end go unheard."""

    def __init__(self, device: int | str | None = None) -> None:
        self._sd = sd = portaudio.load_sounddevice()
        self._info = portaudio.output_device(sd, device)
        self._stream: Any = None
        self._data = np.zeros(0, dtype=np.float32)
        self._rate = 16000
        self._audio_s = 0.0
        self._latency = 0.0
        self._frame = 0
        self._paused = False
        self._done = threading.Event()

    def start(self, samples: np.ndarray, rate: int) -> None:
        sd = self._sd
        try:
            sd.check_output_settings(device=self._info["index"], channels=1, dtype="float32", samplerate=rate)
            out_rate = rate
        except sd.PortAudioError:
            out_rate = int(self._info["default_samplerate"])
        audio = resample(np.asarray(samples, dtype=np.float32), rate, out_rate)
        self._rate, self._frame, self._audio_s = out_rate, 0, len(audio) / out_rate
        try:
            self._stream = sd.OutputStream(device=self._info["index"], samplerate=out_rate, channels=1, dtype="float32",
                                           latency=OUTPUT_LATENCY_S, callback=self._callback,
                                           finished_callback=self._done.set)
            self._latency = float(self._stream.latency or 0.0)
            tail = np.zeros(int((self._latency + 0.05) * out_rate), dtype=np.float32)
            self._data = np.ascontiguousarray(np.concatenate([audio, tail]))
            self._stream.start()
        except sd.PortAudioError as e:
            self.close()
            raise portaudio.cannot_play(self._info, e) from None

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # PortAudio's thread: copy the next block, nothing else.
        if self._paused:
            outdata.fill(0)
            return
        chunk = self._data[self._frame : self._frame + frames]
        outdata[: len(chunk), 0] = chunk
        outdata[len(chunk) :] = 0
        self._frame += len(chunk)
        if len(chunk) < frames:
            raise self._sd.CallbackStop

    def position(self) -> float:
        if self._done.is_set():
            return self._audio_s
        return min(self._audio_s, max(0.0, self._frame / self._rate - self._latency))

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(self._sd.PortAudioError):
                if not self._done.is_set():
                    stream.abort()
                stream.close()
