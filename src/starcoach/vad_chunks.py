"""Speech chunks from Silero VAD probabilities, as faster-whisper's `vad_filter` finds them.

The live transcriber (whisper_live.py) must drop silence exactly as whole-file transcription does, or
Whisper would see different windows. faster-whisper's `get_speech_timestamps` runs the VAD model
itself, over the whole file; the live path computes the probabilities as the audio arrives and
needs only the decision logic, so this is that logic for faster-whisper's default VadOptions
(threshold 0.5, min silence 2 s, pad 400 ms, no minimum speech, no maximum chunk length), with
the branches those defaults never take left out. A test checks it against faster-whisper on real
recordings. Pure numpy; no model here.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
VAD_WINDOW = 512  # samples per Silero probability
THRESHOLD = 0.5
NEG_THRESHOLD = THRESHOLD - 0.15
MIN_SILENCE = SAMPLE_RATE * 2000 // 1000
SPEECH_PAD = SAMPLE_RATE * 400 // 1000


@dataclass(frozen=True, slots=True)
class Chunk:
    start: int  # samples
    end: int


def speech_chunks(probs: Sequence[float] | np.ndarray, n_samples: int) -> list[Chunk]:
    """The padded speech chunks of `n_samples` of audio whose VAD probabilities are `probs`."""
    speeches: list[list[int]] = []
    triggered = False
    start = temp_end = 0
    for i, p in enumerate(np.asarray(probs, dtype=np.float64).tolist()):
        at = VAD_WINDOW * i
        if p >= THRESHOLD and temp_end:
            temp_end = 0
        if p >= THRESHOLD and not triggered:
            triggered, start = True, at
            continue
        if p < NEG_THRESHOLD and triggered:
            if not temp_end:
                temp_end = at
            if at - temp_end < MIN_SILENCE:
                continue
            if temp_end - start > 0:
                speeches.append([start, temp_end])
            triggered, temp_end = False, 0
    if triggered and n_samples - start > 0:
        speeches.append([start, n_samples])

    for i, speech in enumerate(speeches):
        if i == 0:
            speech[0] = int(max(0, speech[0] - SPEECH_PAD))
        if i != len(speeches) - 1:
            gap = speeches[i + 1][0] - speech[1]
            if gap < 2 * SPEECH_PAD:
                speech[1] += int(gap // 2)
                speeches[i + 1][0] = int(max(0, speeches[i + 1][0] - gap // 2))
            else:
                speech[1] = int(min(n_samples, speech[1] + SPEECH_PAD))
                speeches[i + 1][0] = int(max(0, speeches[i + 1][0] - SPEECH_PAD))
        else:
            speech[1] = int(min(n_samples, speech[1] + SPEECH_PAD))
    return [Chunk(s, e) for s, e in speeches]


def collapse(audio: np.ndarray, chunks: Sequence[Chunk]) -> np.ndarray:
    """The speech of `audio` joined end to end: what Whisper hears once the silence is dropped."""
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate([audio[c.start:c.end] for c in chunks]).astype(np.float32, copy=False)


class SpeechMap:
    """Times in the collapsed audio back to times in the recording (faster-whisper's
    SpeechTimestampsMap: a word is placed by the chunk its midpoint falls in)."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunk_end: list[int] = []
        self.silence_before: list[float] = []
        previous_end = silent = 0
        for c in chunks:
            silent += c.start - previous_end
            previous_end = c.end
            self.chunk_end.append(c.end - silent)
            self.silence_before.append(silent / SAMPLE_RATE)

    def chunk_index(self, t: float) -> int:
        return min(bisect.bisect(self.chunk_end, int(t * SAMPLE_RATE)), len(self.chunk_end) - 1)

    def original(self, t: float, index: int) -> float:
        return round(self.silence_before[index] + t, 2)
