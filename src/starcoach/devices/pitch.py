"""Audio to a pitch track: SwiftF0 (an ONNX model of 135 KB inside the swift-f0 wheel, run by
onnxruntime, which faster-whisper already installs), behind pitch_track.PitchTracker.

swift_f0 and onnxruntime are imported only when the first track is made, so importing this module
costs nothing. When onnxruntime cannot load, `default_tracker` falls back to pitch_track.YinTracker (numpy)
and says so in its name, which the saved result records.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from starcoach.pitch_track import FMAX_HZ, FMIN_HZ, PitchTrack, PitchTracker, YinTracker

__all__ = ["SwiftF0Tracker", "default_tracker"]

log = logging.getLogger("starcoach")

# SwiftF0 calls a frame voiced from this confidence (its own calibration).
VOICED_CONFIDENCE = 0.5
# The model reads the level: a recording peaking under about -35 dBFS is scaled up first
# (swift-f0's README); the loudness it reports is scaled back, so levels stay true.
QUIET_PEAK = 0.02
TARGET_PEAK = 0.5
HOP = 256  # swift-f0's frame: 16 ms at 16 kHz
CHUNK_FRAMES = 128  # about 2 s of frames per call (256: +31 MB peak on a 5-minute answer; 128: +17 MB)
CONTEXT_FRAMES = 12  # at least the 11 frames back and 10 ahead the model reads


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

    def __init__(self, *, threads: int = 1, fmin: float = FMIN_HZ, fmax: float = FMAX_HZ) -> None:
        self.threads, self.fmin, self.fmax = threads, fmin, fmax

    def load(self) -> None:
        _detector(self.threads)

    def track(self, audio: np.ndarray) -> PitchTrack:
        from swift_f0 import FRAME_PERIOD

        x = np.asarray(audio, dtype=np.float32)
        if x.size == 0:
            return PitchTrack(FRAME_PERIOD, np.zeros(0), np.zeros(0))
        peak = float(max(x.max(), -x.min()))  # no copy of the whole take
        gain = TARGET_PEAK / peak if 0 < peak < QUIET_PEAK else 1.0
        if gain != 1.0:
            x = x * np.float32(gain)
        detector = _detector(self.threads)
        hop = HOP
        n = max(1, len(x) // hop)
        pitch, confidence, loudness = [], [], []
        # swift-f0's detect() runs 30 s windows, which peaked at +220 MB on a 5-minute answer; windows
        # of CHUNK_FRAMES with CONTEXT_FRAMES of audio either side give the same frames (the model sees
        # 11 frames back and 10 ahead) in a tenth of the memory.
        for start in range(0, n, CHUNK_FRAMES):
            end = min(n, start + CHUNK_FRAMES)
            left = max(0, start - CONTEXT_FRAMES)
            right = end + CONTEXT_FRAMES if end < n else None
            window = x[left * hop: right * hop if right is not None else None]
            r = detector.detect(window, 16000, fmin=self.fmin, fmax=self.fmax)
            keep = slice(start - left, start - left + (end - start))
            pitch.append(r.pitch_hz[keep])
            confidence.append(r.confidence[keep])
            loudness.append(r.loudness_db[keep])
        p, c, ld = np.concatenate(pitch), np.concatenate(confidence), np.concatenate(loudness)
        f0 = np.where(c >= VOICED_CONFIDENCE, p, np.nan)
        return PitchTrack(FRAME_PERIOD, f0, ld - 20 * np.log10(gain))


def default_tracker() -> PitchTracker:
    """SwiftF0 when it loads, else the numpy YIN tracker (logged once)."""
    try:
        tracker = SwiftF0Tracker()
        tracker.load()
        return tracker
    except RuntimeError as e:
        log.warning("%s; using the numpy YIN tracker", e)
        return YinTracker()
