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
    realtime = True

    def __init__(self, takes: list[np.ndarray], block_s: float = 0.1) -> None:
        self.takes = list(takes)
        self.block = int(block_s * RATE)
        self.sample_rate = RATE

    def record(self, path: Path, *, should_stop, sink=None) -> Recording:
        audio = self.takes.pop(0)
        pieces = [audio[i : i + self.block] for i in range(0, len(audio), self.block)]
        # After the take: silence until a stop rule fires (or the writer's stall guard).
        pieces += [np.zeros(self.block, dtype=np.float32)] * 600
        return write_take(_LiveQueue(pieces), path, sample_rate=RATE, should_stop=should_stop, sink=sink)


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


class ExactLiveTranscriber(TwoPassTranscriber):
    """Has its own live path, as WhisperTranscriber does, which says its words are the whole-file
    words (`whole_file_words`): no final pass is then needed, so `finals` must stay unread."""

    def live_session(self):
        from starcoach.chunked_live import ChunkedLiveSession

        live = ChunkedLiveSession(super().transcribe)
        live.whole_file_words = True  # type: ignore[misc]
        return live


class FakeSpeaker:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)


class OrthogonalEmbedder:
    """A stand-in for the sentence-embedding model: every distinct text gets its own random unit
    vector (seeded by the text), so different texts are all but unrelated (|cos| < 0.3) and only a
    text identical to an example matches it. Unit tests of everything else run without the model."""

    name = "fake: orthogonal"
    dim = 256

    def embed(self, texts):
        import hashlib

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha1(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim)
            out[i] = v / np.linalg.norm(v)
        return out


class TopicEmbedder:
    """A stand-in with meaning on purpose: each topic is an axis, a text's vector counts the topic
    words it holds (plus a little of its own direction), so "told my leads I had doubts" and "my
    engineers knew about my reservations" land together when both name the "dissent" topic."""

    name = "fake: topics"

    def __init__(self, topics: dict[str, list[str]]) -> None:
        self.topics = topics

    def embed(self, texts):
        own = OrthogonalEmbedder().embed(texts)
        rows = []
        for t, o in zip(texts, own, strict=False):
            words = set(t.lower().split())
            v = np.array([sum(w in words for w in vocab) for vocab in self.topics.values()], dtype=np.float32)
            row = np.concatenate([v, 0.15 * o])
            rows.append(row / np.linalg.norm(row))
        return np.stack(rows).astype(np.float32)
