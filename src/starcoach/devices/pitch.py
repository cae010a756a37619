"""Audio to a pitch track: SwiftF0 (an ONNX model of 135 KB inside the swift-f0 wheel, run by
onnxruntime, which faster-whisper already installs), behind voice.PitchTracker.

swift_f0 and onnxruntime are imported only when the first track is made, so importing this module
costs nothing. When onnxruntime cannot load, `default_tracker` falls back to voice.YinTracker (numpy)
and says so in its name, which the saved result records.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from starcoach.voice import FMAX_HZ, FMIN_HZ, PitchTrack, PitchTracker, YinTracker

__all__ = ["SwiftF0Tracker", "default_tracker"]

log = logging.getLogger("starcoach")

# SwiftF0 calls a frame voiced from this confidence (its own calibration).
VOICED_CONFIDENCE = 0.5
# The model reads the level: a recording peaking under about -35 dBFS is scaled up first
# (swift-f0's README); the loudness it reports is scaled back, so levels stay true.
QUIET_PEAK = 0.02
TARGET_PEAK = 0.5


@functools.lru_cache(maxsize=4)
def _detector(threads: int):
    try:
        from swift_f0 import SwiftF0
    except ImportError as e:  # swift-f0 or onnxruntime missing or broken
        raise RuntimeError(f"the pitch tracker cannot load: {e}") from e
    # spin=False: the ONNX threads sleep between calls instead of busy-waiting beside Whisper.
    return SwiftF0(threads=threads, spin=False)


class SwiftF0Tracker:
    name = "swift-f0"

    def __init__(self, *, threads: int = 2, fmin: float = FMIN_HZ, fmax: float = FMAX_HZ) -> None:
        self.threads, self.fmin, self.fmax = threads, fmin, fmax

    def load(self) -> None:
        _detector(self.threads)

    def track(self, audio: np.ndarray) -> PitchTrack:
        from swift_f0 import FRAME_PERIOD

        x = np.asarray(audio, dtype=np.float32)
        if x.size == 0:
            return PitchTrack(FRAME_PERIOD, np.zeros(0), np.zeros(0))
        peak = float(np.abs(x).max())
        gain = TARGET_PEAK / peak if 0 < peak < QUIET_PEAK else 1.0
        r = _detector(self.threads).detect(x * np.float32(gain) if gain != 1.0 else x, 16000,
                                           fmin=self.fmin, fmax=self.fmax)
        f0 = np.where(r.confidence >= VOICED_CONFIDENCE, r.pitch_hz, np.nan)
        return PitchTrack(FRAME_PERIOD, f0, r.loudness_db - 20 * np.log10(gain))


def default_tracker() -> PitchTracker:
    """SwiftF0 when it loads, else the numpy YIN tracker (logged once)."""
    try:
        tracker = SwiftF0Tracker()
        tracker.load()
        return tracker
    except RuntimeError as e:
        log.warning("%s; using the numpy YIN tracker", e)
        return YinTracker()
