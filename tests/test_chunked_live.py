"""Chunking at pauses and the live transcriber's bookkeeping, on synthetic audio and a fake model."""

from __future__ import annotations

import numpy as np
import pytest

from starcoach.audio import resample
from starcoach.chunked_live import ChunkedLiveSession, ChunkPolicy, find_cut
from starcoach.records import Word

RATE = 16000


def speech(seconds: float, seed: int = 0) -> np.ndarray:
    """Noise-like 'speech' at a speaking level."""
    rng = np.random.default_rng(seed)
    return (0.2 * rng.standard_normal(int(seconds * RATE))).astype(np.float32)


def pause(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(1)
    return (0.001 * rng.standard_normal(int(seconds * RATE))).astype(np.float32)


def test_no_cut_before_the_target_length() -> None:
    assert find_cut(np.concatenate([speech(3), pause(0.5), speech(3)])) is None


def test_cut_is_in_the_last_long_enough_pause() -> None:
    audio = np.concatenate([speech(3), pause(0.5), speech(3), pause(0.6), speech(3), pause(0.1), speech(0.5)])
    cut = find_cut(audio)
    second_pause = (6.5 * RATE, 7.1 * RATE)
    assert cut is not None and second_pause[0] <= cut <= second_pause[1]


def test_short_pauses_and_early_pauses_are_not_cut_points() -> None:
    policy = ChunkPolicy(target_s=10, min_s=4, max_s=20)
    audio = np.concatenate([speech(2), pause(1.0), speech(5), pause(0.15), speech(4)])
    assert find_cut(audio, policy) is None  # the only long pause leaves a 2 s chunk


def test_no_pause_waits_then_cuts_at_the_quietest_moment() -> None:
    loud = speech(15)
    assert find_cut(loud) is None
    long = np.concatenate([speech(12, 2), 0.05 * speech(0.4, 3), speech(9, 4)])
    cut = find_cut(long)
    assert cut is not None and 12 * RATE <= cut <= 12.4 * RATE


def test_resample_keeps_duration() -> None:
    x = np.sin(np.linspace(0, 100, 48000)).astype(np.float32)
    y = resample(x, 48000)
    assert len(y) == 16000 and y.dtype == np.float32
    assert resample(x, 16000) is not None and len(resample(x, 16000)) == 48000


def fake_transcribe(chunk: np.ndarray) -> list[Word]:
    """One word per second of chunk, at chunk-relative times."""
    return [Word(f"w{i}", float(i), i + 0.5) for i in range(int(len(chunk) / RATE))]


def feed_in_blocks(live: ChunkedLiveSession, audio: np.ndarray, block_s: float = 0.1) -> None:
    step = int(block_s * RATE)
    for i in range(0, len(audio), step):
        live.feed(audio[i : i + step])


def test_live_transcriber_offsets_chunk_times_and_keeps_order() -> None:
    parts = []
    for i in range(6):
        parts += [speech(4.5, i), pause(0.5)]
    audio = np.concatenate(parts)  # 30 s with a pause every 5 s
    live = ChunkedLiveSession(fake_transcribe)
    feed_in_blocks(live, audio)
    words = live.finish()
    assert live.chunks >= 3
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert words[-1].end <= len(audio) / RATE + 1e-6
    assert words[-1].end > len(audio) / RATE - 2.5  # the tail was transcribed too


def test_live_transcriber_accepts_stereo_blocks_at_another_rate() -> None:
    seen: list[int] = []

    def record_length(chunk: np.ndarray) -> list[Word]:
        seen.append(len(chunk))
        return []

    live = ChunkedLiveSession(record_length, rate=48000)
    stereo = np.zeros((48000 * 3, 2), dtype=np.float32)
    live.feed(stereo)
    live.finish()
    assert sum(seen) == 3 * RATE


def test_worker_errors_reach_finish() -> None:
    def broken(chunk: np.ndarray) -> list[Word]:
        raise RuntimeError("model fell over")

    live = ChunkedLiveSession(broken)
    live.feed(speech(1))
    with pytest.raises(RuntimeError, match="model fell over"):
        live.finish()
