"""Pitch tracks: a pitch and a level for every short frame of a recording (pure: numpy only).

`PitchTrack` is a tracker's output and `PitchTracker` what voice analysis needs of a tracker
(devices/pitch.py holds the real one, SwiftF0); `YinTracker` is a numpy autocorrelation tracker the
tests and the fallback use; `IncrementalTrack` tracks a take while it is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

SAMPLE_RATE = 16000

# The pitch range searched: below 50 Hz is hum, not a voice (the lowest bass speaking voices sit
# around 60-80 Hz); above 600 Hz is whistling, a child shrieking or an instrument.
FMIN_HZ = 50.0
FMAX_HZ = 600.0


@dataclass(frozen=True, eq=False)
class PitchTrack:
    """A tracker's output: one frame every `frame_s` from time 0. `f0_hz` is NaN where a frame is
    unvoiced; `loudness_db` is the level of the audio around the frame (dB full scale)."""

    frame_s: float
    f0_hz: np.ndarray
    loudness_db: np.ndarray

    @property
    def times(self) -> np.ndarray:
        return np.arange(len(self.f0_hz)) * self.frame_s

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.f0_hz)


class PitchTracker(Protocol):
    """What voice analysis needs from a tracker (devices/pitch.py holds the real one)."""

    name: str

    def track(self, audio: np.ndarray) -> PitchTrack:  # float32 mono at SAMPLE_RATE
        ...


def frame_loudness(audio: np.ndarray, hop: int, window: int) -> np.ndarray:
    """The level in dB of `window` samples centred on each `hop`-sample frame."""
    x = np.asarray(audio, dtype=np.float32)
    n = max(1, len(x) // hop)
    head = x[: n * hop].reshape(n, hop) if len(x) >= hop else np.pad(x, (0, hop - len(x)))[None, :]
    power = np.empty(n)
    for b in range(0, n, 4096):  # in blocks: a float64 copy of 5 minutes of audio would be 35 MB
        block = head[b: b + 4096].astype(np.float64)
        power[b: b + 4096] = np.einsum("ij,ij->i", block, block)
    # Sum the frames around each one (window / hop of them), as a moving sum.
    k = max(1, window // hop)
    padded = np.concatenate([np.zeros(k // 2), power, np.zeros(k - k // 2 - 1)])
    summed = np.convolve(padded, np.ones(k), mode="valid")[:n]
    return 10 * np.log10(np.maximum(summed / (k * hop), 1e-14))


class YinTracker:
    """A numpy pitch tracker (YIN: the cumulative mean normalised difference of each frame with
    itself delayed; de Cheveigné and Kawahara 2002). Slower and rougher than SwiftF0, with no model:
    the tests use it, and starcoach falls back to it when onnxruntime cannot load."""

    name = "yin (numpy)"

    def __init__(self, *, hop: int = 256, window: int = 1024, threshold: float = 0.15,
                 fmin: float = FMIN_HZ, fmax: float = FMAX_HZ, gate_db: float = -50.0) -> None:
        self.hop, self.window, self.threshold = hop, window, threshold
        self.fmin, self.fmax, self.gate_db = fmin, fmax, gate_db

    def track(self, audio: np.ndarray) -> PitchTrack:
        x = np.asarray(audio, dtype=np.float32)
        hop, w = self.hop, self.window
        n = max(1, len(x) // hop)
        # Search from lag 2, not from fmax's period: a tone above fmax has a dip at twice its period
        # too, which would read as a pitch inside the range; found at its own period, it is dropped.
        lag_min = 2
        lag_max = min(int(SAMPLE_RATE / self.fmin) + 1, w // 2)
        padded = np.concatenate([x, np.zeros(w + hop, dtype=np.float32)])
        f0 = np.full(n, np.nan)
        loud = frame_loudness(x, hop, 512)
        block = 128  # frames at a time: the FFTs of a block stay small (a few MB)
        for b0 in range(0, n, block):
            idx = np.arange(b0, min(n, b0 + block))
            frames = np.lib.stride_tricks.sliding_window_view(padded, w)[idx * hop].astype(np.float64)
            half = w // 2
            spec = np.fft.rfft(frames, n=2 * w, axis=1)
            seg = np.fft.rfft(frames[:, :half], n=2 * w, axis=1)
            acf = np.fft.irfft(spec * np.conj(seg), axis=1)[:, : lag_max + 1]
            sq = np.cumsum(frames**2, axis=1)
            energy0 = sq[:, half - 1][:, None]
            lags = np.arange(lag_max + 1)
            # energy of frames[tau : tau + half]
            upper = sq[:, lags + half - 1]
            lower = np.concatenate([np.zeros((len(idx), 1)), sq[:, lags[1:] - 1]], axis=1)
            diff = energy0 + (upper - lower) - 2 * acf
            diff[:, 0] = 0.0
            cum = np.cumsum(diff[:, 1:], axis=1)
            cmnd = np.ones_like(diff)
            cmnd[:, 1:] = diff[:, 1:] * np.arange(1, lag_max + 1) / np.maximum(cum, 1e-12)
            region = cmnd[:, lag_min : lag_max + 1]
            below = region < self.threshold
            first = np.where(below.any(axis=1), below.argmax(axis=1), region.argmin(axis=1))
            # walk down to the local minimum after the first dip under the threshold
            for j in range(len(idx)):
                k = first[j]
                while k + 1 < region.shape[1] and region[j, k + 1] < region[j, k]:
                    k += 1
                first[j] = k
            best = region[np.arange(len(idx)), first]
            tau = first + lag_min
            # parabolic interpolation around the minimum
            t = tau.astype(np.float64)
            ok = (tau > lag_min) & (tau < lag_max)
            a = cmnd[np.arange(len(idx)), np.clip(tau - 1, 0, lag_max)]
            c = cmnd[np.arange(len(idx)), np.clip(tau + 1, 0, lag_max)]
            bb = cmnd[np.arange(len(idx)), tau]
            den = a - 2 * bb + c
            shift = np.where(ok & (np.abs(den) > 1e-12), 0.5 * (a - c) / np.where(den == 0, 1, den), 0.0)
            t = t + np.clip(shift, -1, 1)
            voiced = (best < 0.3) & (loud[idx] > self.gate_db)
            f0[idx] = np.where(voiced, SAMPLE_RATE / t, np.nan)
        f0[(f0 < self.fmin) | (f0 > self.fmax)] = np.nan
        return PitchTrack(hop / SAMPLE_RATE, f0, loud)


class IncrementalTrack:
    """Track a take while it is recorded, so only its last seconds are left to track at the stop.

    Fed the take's 16 kHz mono samples as they arrive; every `chunk_frames` frames of new audio, the
    tracker runs on them with `context_frames` of audio either side and keeps their own frames. The
    trackers read at most 11 frames back and 10 ahead (SwiftF0; YIN 1 back and 4 ahead), so the frames
    are those of tracking the whole take at once (a take quieter than devices.pitch.QUIET_PEAK is
    scaled per window rather than as a whole: its pitch can differ in the last decimals).
    """

    def __init__(self, tracker: PitchTracker, *, hop: int = 256, chunk_frames: int = 128, context_frames: int = 16) -> None:
        self.tracker, self.hop, self.chunk, self.context = tracker, hop, chunk_frames, context_frames
        self._buf = np.zeros(SAMPLE_RATE * 60, dtype=np.float32)  # grown a minute (or a quarter) at a time
        self._n = 0
        self._done = 0  # frames tracked so far
        self._f0: list[np.ndarray] = []
        self._loud: list[np.ndarray] = []
        self._frame_s: float | None = None

    @property
    def samples(self) -> np.ndarray:
        return self._buf[: self._n]

    def feed(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if self._n + len(x) > len(self._buf):
            size = max(len(self._buf) + max(SAMPLE_RATE * 60, len(self._buf) // 4), self._n + len(x))
            grown = np.zeros(size, dtype=np.float32)
            grown[: self._n] = self._buf[: self._n]
            self._buf = grown
        self._buf[self._n: self._n + len(x)] = x
        self._n += len(x)
        while self._n // self.hop - self._done >= self.chunk + self.context:
            self._run(self._done + self.chunk, right=self._done + self.chunk + self.context)

    def _run(self, end: int, *, right: int | None) -> None:
        left = max(0, self._done - self.context)
        window = self._buf[left * self.hop: (right * self.hop if right is not None else self._n)]
        track = self.tracker.track(window)
        self._frame_s = track.frame_s
        keep = slice(self._done - left, end - left)
        self._f0.append(track.f0_hz[keep])
        self._loud.append(track.loudness_db[keep])
        self._done = end

    def finish(self) -> tuple[np.ndarray, PitchTrack]:
        """The whole take's samples and its track."""
        n = max(1, self._n // self.hop)
        if self._n and self._done < n:
            self._run(n, right=None)
        frame_s = self._frame_s or self.hop / SAMPLE_RATE
        f0 = np.concatenate(self._f0) if self._f0 else np.zeros(0)
        loud = np.concatenate(self._loud) if self._loud else np.zeros(0)
        return self.samples, PitchTrack(frame_s, f0, loud)
