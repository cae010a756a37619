"""The live transcription that reproduces whole-file transcription (whisper_live.py, vad_chunks.py), on plain
data: a fake VAD (any non-zero sample is speech) and a fake Whisper that 'hears' constant-valued runs
of samples as words and, like Whisper, leaves a word cut by the window's end to the next window."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest

from starcoach.records import Word
from starcoach.vad_chunks import SPEECH_PAD, VAD_WINDOW, Chunk, SpeechMap, collapse, speech_chunks
from starcoach.whisper_live import HOP, SETTLE_S, WINDOW_FRAMES, Heard, WhisperLiveSession, WindowResult

RATE = 16000


class FakeProbs:
    def __init__(self) -> None:
        self.rest = np.zeros(0, dtype=np.float32)

    @staticmethod
    def _p(windows: np.ndarray) -> np.ndarray:
        return (np.abs(windows.reshape(-1, VAD_WINDOW)).max(axis=1) > 0).astype(np.float32)

    def feed(self, samples: np.ndarray) -> np.ndarray:
        audio = np.concatenate([self.rest, samples])
        n = len(audio) // VAD_WINDOW * VAD_WINDOW
        self.rest = audio[n:]
        return self._p(audio[:n]) if n else np.zeros(0, dtype=np.float32)

    def tail(self) -> float:
        window = np.zeros(VAD_WINDOW, dtype=np.float32)
        window[:len(self.rest)] = self.rest
        return float(self._p(window)[0])


class FakeWhisper:
    """Words are runs of one non-zero value; a run is heard only if it ends inside the window."""

    def __init__(self, fail_at: int | None = None, delay_s: float = 0.0, loudness_matters: bool = False) -> None:
        self.calls: list[int] = []
        self.loudness_matters = loudness_matters
        self.fail_at, self.delay_s = fail_at, delay_s

    def decode(self, speech: np.ndarray, seek: int, last_speech: float) -> WindowResult:
        self.calls.append(seek)
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise RuntimeError("decoder broke")
        time.sleep(self.delay_s)
        a, b = seek * HOP, min(len(speech), (seek + WINDOW_FRAMES) * HOP)
        x = speech[a:b]
        edges = np.flatnonzero(np.diff(np.concatenate([[0.0], x, [0.0]])) != 0)
        heard, end_of_last = [], None
        for s, e in itertools.pairwise(edges):
            if x[s] == 0 or (e == len(x) and b < len(speech)):
                continue  # silence, or a word the window's end cuts
            heard.append(Heard(f" w{round(float(x[s]) * 1000)}", (a + s) / RATE, (a + e) / RATE, 0.9))
            end_of_last = a + e
        next_seek = -(-end_of_last // HOP) if heard and b < len(speech) else seek + (b - a) // HOP
        return WindowResult([heard] if heard else [], max(next_seek, seek + 1), heard[-1].end if heard else last_speech,
                            self.reference(speech))

    def reference(self, speech: np.ndarray) -> float:
        return float(np.abs(speech).max()) if self.loudness_matters and len(speech) else 0.0

    @staticmethod
    def words(segments: list[list[Heard]], duration: float) -> list[Word]:
        return [Word(h.word.strip(), h.start, h.end, h.probability) for s in segments for h in s]


def recording(plan: list[tuple[str, float]]) -> np.ndarray:
    """('word', seconds) or ('pause', seconds); each word gets its own value."""
    parts, k = [], 0
    for kind, seconds in plan:
        n = int(seconds * RATE)
        if kind == "word":
            k += 1
            parts.append(np.full(n, k / 1000, dtype=np.float32))
        else:
            parts.append(np.zeros(n, dtype=np.float32))
    return np.concatenate(parts)


def talk(words: int, word_s: float = 0.7, gap_s: float = 0.2) -> list[tuple[str, float]]:
    plan: list[tuple[str, float]] = []
    for _ in range(words):
        plan += [("word", word_s), ("pause", gap_s)]
    return plan


def whole_file(audio: np.ndarray) -> list[Word]:
    """The reference: the same steps over the finished recording at once."""
    stream = WhisperLiveSession(FakeProbs(), FakeWhisper())
    stream.feed(audio)
    return stream.finish()


def live(audio: np.ndarray, decoder: FakeWhisper, block_s: float = 0.1, pace_s: float = 0.002,
         stop_after: float | None = None) -> tuple[list[Word], WhisperLiveSession, int]:
    stream = WhisperLiveSession(FakeProbs(), decoder)
    block = int(block_s * RATE)
    for i in range(0, len(audio), block):
        stream.feed(audio[i:i + block])
        time.sleep(pace_s)  # let the worker keep up, as it does in real time
    time.sleep(stop_after or 0.0)
    before_stop = len(decoder.calls)
    return stream.finish(), stream, before_stop


# ---------------------------------------------------------------- vad_chunks


def test_silences_under_two_seconds_stay_and_longer_ones_go_with_padding() -> None:
    probs = np.zeros(220)
    probs[20:50] = 1  # speech, then a 1 s silence (31 windows) ...
    probs[81:110] = 1  # ... speech, then 2.5 s of silence
    probs[188:210] = 1
    chunks = speech_chunks(probs, 220 * VAD_WINDOW)
    assert len(chunks) == 2
    assert chunks[0] == Chunk(20 * VAD_WINDOW - SPEECH_PAD, 110 * VAD_WINDOW + SPEECH_PAD)
    assert chunks[1].start == 188 * VAD_WINDOW - SPEECH_PAD and chunks[1].end == 220 * VAD_WINDOW  # still open


def test_speech_map_moves_times_back_over_the_dropped_silence() -> None:
    chunks = [Chunk(0, 2 * RATE), Chunk(5 * RATE, 7 * RATE)]
    audio = np.arange(8 * RATE, dtype=np.float32)
    assert len(collapse(audio, chunks)) == 4 * RATE
    to = SpeechMap(chunks)
    assert to.original(1.0, to.chunk_index(1.0)) == 1.0
    assert to.original(2.5, to.chunk_index(2.5)) == 5.5
    assert collapse(audio, []).size == 0


# ---------------------------------------------------------------- the stream


def test_fed_live_the_words_equal_the_whole_file_pass() -> None:
    # 100 s: talk in runs, with pauses the VAD drops (> 2 s) and keeps (< 2 s), and words cut by windows.
    plan = [("pause", 1.0), *talk(40), ("pause", 3.0), *talk(35, 0.5, 0.3), ("pause", 1.5), *talk(30), ("pause", 2.2), *talk(10, 1.1, 0.1)]
    audio = recording(plan)
    decoder = FakeWhisper()
    words, _stream, before_stop = live(audio, decoder)
    reference = whole_file(audio)
    assert len(reference) == 115
    assert [(w.text, w.start, w.end) for w in words] == [(w.text, w.start, w.end) for w in reference]
    assert before_stop >= 2, "windows are decoded while recording, not at the stop"
    assert words[0].start == pytest.approx(1.0) and words[-1].text == "w115"


def test_a_pause_lets_the_last_window_be_decoded_before_the_stop() -> None:
    audio = recording([*talk(12), ("pause", SETTLE_S + 2.0)])
    decoder = FakeWhisper()
    words, _, before_stop = live(audio, decoder, stop_after=0.3)
    assert len(decoder.calls) == before_stop, "nothing was left to decode at the stop"
    assert [w.text for w in words] == [f"w{k}" for k in range(1, 13)]


def test_speech_after_a_long_pause_redoes_the_early_last_window() -> None:
    audio = recording([*talk(6), ("pause", SETTLE_S + 2.0), *talk(6)])
    decoder = FakeWhisper()
    words, stream, _ = live(audio, decoder)
    assert stream.windows > len(set(decoder.calls)) - 1 and len(decoder.calls) >= 2
    assert decoder.calls.count(0) == 2  # once as the end of the speech, once when it went on
    assert [(w.text, w.start) for w in words] == [(w.text, w.start) for w in whole_file(audio)]


def test_decoder_errors_reach_finish() -> None:
    stream = WhisperLiveSession(FakeProbs(), FakeWhisper(fail_at=1))
    stream.feed(recording(talk(5)))
    with pytest.raises(RuntimeError, match="decoder broke"):
        stream.finish()


def test_close_stops_the_worker_without_decoding_the_rest() -> None:
    decoder = FakeWhisper(delay_s=0.3)
    stream = WhisperLiveSession(FakeProbs(), decoder)
    stream.feed(recording(talk(100)))
    closer = threading.Timer(0.1, stream.close)
    closer.start()
    stream.close()
    closer.join()
    assert len(decoder.calls) <= 1
    assert not any(t.name == "starcoach-live-transcriber" and t.is_alive() for t in threading.enumerate())


def test_silence_only_gives_no_words() -> None:
    assert whole_file(np.zeros(5 * RATE, dtype=np.float32)) == []


def test_windows_decoded_before_a_louder_moment_are_decoded_again_while_idle() -> None:
    # Each word louder than the one before for 45 words (40 s), then 40 quieter ones: the first
    # window is decoded (at ~32 s) before the loudest word, and done again once the worker is idle.
    audio = recording(talk(85))
    audio[int(40.5 * RATE):] = np.minimum(audio[int(40.5 * RATE):], 0.001)
    decoder = FakeWhisper(loudness_matters=True)
    words, stream, _ = live(audio, decoder)
    assert stream.whole_file_words and decoder.calls.count(0) > 1
    assert [w.text for w in words] == [w.text for w in whole_file(audio)]
    decoder = FakeWhisper(loudness_matters=True)
    _, stream, _ = live(recording(talk(60))[::-1].copy(), decoder)  # loudest first: nothing to do again
    assert stream.whole_file_words and decoder.calls.count(0) == 1


def test_a_louder_moment_just_before_the_stop_leaves_the_words_inexact() -> None:
    audio = recording(talk(40))
    audio[-RATE // 2:] = 0.5  # a loud last half second
    decoder = FakeWhisper(loudness_matters=True)
    stream = WhisperLiveSession(FakeProbs(), decoder)
    block = RATE // 10
    for i in range(0, len(audio) - RATE // 2, block):
        stream.feed(audio[i:i + block])
        time.sleep(0.002)
    time.sleep(0.5)  # the worker is idle now
    stream.feed(audio[-RATE // 2:])
    words = stream.finish()
    assert not stream.whole_file_words, "the first window saw a quieter 'loudest' level than the whole take has"
    assert [w.text for w in words] == [w.text for w in whole_file(audio)]


def test_resampled_blocks_are_not_exact() -> None:
    stream = WhisperLiveSession(FakeProbs(), FakeWhisper(), resample=lambda block, rate: block[::3].copy())
    audio = recording(talk(5))
    stream.feed(np.repeat(audio, 3), 48000)
    assert [w.text for w in stream.finish()] == [f"w{k}" for k in range(1, 6)]
    assert not stream.whole_file_words


def test_features_of_a_slice_equal_the_whole_files_to_the_bit() -> None:
    """The live path computes a window from a slice of the take; faster-whisper, from the whole file.
    With the float64 Mel product and log on both (stable_features), they agree exactly, which is what
    makes the live words the whole-file words on every CPU."""
    from faster_whisper.feature_extractor import FeatureExtractor

    from starcoach.devices.whisper_windows import log_mel, stable_features

    rng = np.random.default_rng(3)
    audio = (0.1 * rng.standard_normal(16000 * 70)).astype(np.float32)
    fe = FeatureExtractor()
    stable_features(fe)
    whole = fe(audio)
    spec = log_mel(fe, audio)
    assert np.array_equal(whole, (np.maximum(spec, spec.max() - 8.0) + 4.0) / 4.0)
    for seek in (0, 1234, 3000, 6000):
        a0, a1 = max(0, (seek - 20) * 160), min(len(audio), (seek + 3020) * 160)
        part = log_mel(fe, audio[a0:a1], pad=160 if a1 == len(audio) else 0)
        first, size = seek - a0 // 160, min(3000, spec.shape[1] - seek)
        assert np.array_equal(part[:, first:first + size], spec[:, seek:seek + size]), seek
