"""Synthetic voiced signals: harmonic tones and syllable-like gaps."""

from __future__ import annotations

import numpy as np

RATE = 16000


def harmonic(f0, seconds: float, amp: float = 0.2) -> np.ndarray:
    """A voiced-like tone: five harmonics of `f0` (Hz, or a function of time in seconds)."""
    t = np.arange(int(seconds * RATE)) / RATE
    freq = f0(t) if callable(f0) else np.full_like(t, float(f0))
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 6))
    return (amp * x / 1.5).astype(np.float32)


def syllables(x: np.ndarray, on: float = 0.3, off: float = 0.1) -> np.ndarray:
    """Speech stops voicing between syllables: `on` s of the signal, then `off` s of silence."""
    t = np.arange(len(x)) / RATE
    return (x * ((t % (on + off)) < on)).astype(np.float32)
