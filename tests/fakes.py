"""Fake devices for tests of the practice loop: a microphone that 'records' an array through the real
writer, a transcriber that reads words from a script, a speaker that remembers what it said."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import numpy as np

from starcoach.devices.microphone import Recording, write_take
from starcoach.records import Word

RATE = 16000


def voiced(seconds: float, seed: int = 0) -> np.ndarray:
    """Speech-loud noise with a short pause every 3 seconds (so live chunking has cut points)."""
    rng = np.random.default_rng(seed)
    audio = (0.1 * rng.standard_normal(int(seconds * RATE))).astype(np.float32)
    for start in np.arange(2.6, seconds, 3.0):
        audio[int(start * RATE) : int((start + 0.4) * RATE)] *= 0.005
    return audio


class FakeMicrophone:
    def __init__(self, takes: list[np.ndarray], block_s: float = 0.1) -> None:
        self.takes = list(takes)
        self.block = int(block_s * RATE)
        self.sample_rate = RATE

    def record(self, path: Path, *, should_stop, on_block=None, on_audio=None) -> Recording:
        audio = self.takes.pop(0)
        pieces = [audio[i : i + self.block] for i in range(0, len(audio), self.block)]
        # After the take: silence until a stop rule fires (or the writer's stall guard).
        pieces += [np.zeros(self.block, dtype=np.float32)] * 600
        return write_take(_LiveQueue(pieces), path, sample_rate=RATE, should_stop=should_stop, on_block=on_block,
                          on_audio=on_audio)


class _LiveQueue:
    """Hands out one block per get(), as a real device would, with nothing waiting in between."""

    def __init__(self, pieces: list[np.ndarray]) -> None:
        self.pieces = iter(pieces)

    def get(self, timeout: float | None = None) -> np.ndarray:
        try:
            return next(self.pieces)
        except StopIteration:
            raise queue.Empty from None

    def get_nowait(self) -> np.ndarray:
        raise queue.Empty

    def qsize(self) -> int:
        return 0


class ScriptTranscriber:
    """Gives the next words of `script` at 2.5 words a second of loud audio; nothing for silence."""

    name = "script"

    def __init__(self, script: str) -> None:
        self.words = script.split()

    def transcribe(self, audio: np.ndarray, *, on_progress=None) -> list[Word]:
        out, step = [], 0.4
        loud = np.flatnonzero(np.abs(audio) > 0.02)
        if len(loud) == 0:
            return []
        t = loud[0] / RATE
        end = loud[-1] / RATE
        while t + step <= end + 1e-9 and self.words:
            out.append(Word(self.words.pop(0), t, t + step * 0.9))
            t += step
        return out


class TwoPassTranscriber(ScriptTranscriber):
    """Live chunks get the next words of `script`; a whole-take final pass (run on the final-pass
    thread) gets the next text of `finals`, spread over the take's loud audio the same way."""

    def __init__(self, script: str, finals: list[str]) -> None:
        super().__init__(script)
        self.finals = list(finals)

    def transcribe(self, audio: np.ndarray, *, on_progress=None) -> list[Word]:
        if threading.current_thread().name.startswith("starcoach-final-pass"):
            return ScriptTranscriber(self.finals.pop(0)).transcribe(audio)
        return super().transcribe(audio)


class ExactStreamTranscriber(TwoPassTranscriber):
    """Has its own live path, as WhisperTranscriber does, which says its words are the whole-file
    words (`exact`): no final pass is then needed, so `finals` must stay unread."""

    def stream(self):
        from starcoach.live import LiveTranscriber

        live = LiveTranscriber(super().transcribe)
        live.exact = True  # type: ignore[attr-defined]
        return live


class FakeSpeaker:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)
