"""One take's path on plain data: the sink the recorder hands blocks to, the whole-take session, the
file device for --input, and the three live sessions' shared interface."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from starcoach.chunked_live import ChunkedLiveSession
from starcoach.devices.file_input import FileInput
from starcoach.errors import StarcoachError
from starcoach.levels import Level, RecordingStatus, StopPolicy
from starcoach.live_session import LiveSession, WholeTake
from starcoach.records import Word
from starcoach.take import TakeSink, WholeAudio
from starcoach.whisper_live import WhisperLiveSession
from tests.fakes import voiced

RATE = 16000


class Live:
    unit, chunks, whole_file_words = "chunks", 0, False

    def __init__(self) -> None:
        self.fed: list[tuple[np.ndarray, int | None]] = []

    def feed(self, block, rate=None) -> None:
        self.fed.append((block, rate))

    def finish(self) -> list[Word]:
        return []

    def close(self) -> None:
        pass


class Track:
    def __init__(self) -> None:
        self.fed: list[np.ndarray] = []

    def feed(self, samples) -> None:
        self.fed.append(samples)

    def finish(self):
        return np.concatenate(self.fed), "track"


class View:
    def __init__(self) -> None:
        self.updates: list[tuple[float, float]] = []

    def update(self, elapsed_s: float, rms: float) -> None:
        self.updates.append((elapsed_s, rms))


class Enter:
    def __init__(self, presses: list[bool]) -> None:
        self.presses = presses

    def pressed(self) -> bool:
        return self.presses.pop(0)


def status(elapsed: float, rms: float = 0.1) -> RecordingStatus:
    return RecordingStatus(elapsed, Level(rms, rms), True, 0.0)


def test_the_sink_feeds_the_live_session_and_the_voice_then_the_panel_and_enter() -> None:
    live, track, view, policy = Live(), Track(), View(), StopPolicy(max_s=60)
    sink = TakeSink(live, track, view=view, enter=Enter([False, True]), policy=policy)
    blocks = [np.full(1600, 0.1 * i, dtype=np.float32) for i in range(2)]
    sink.audio(blocks[0], RATE)
    sink.status(status(0.1, 0.25))
    assert not policy.stop_requested.is_set()
    sink.audio(blocks[1], RATE)
    sink.status(status(0.2))
    assert policy.stop_requested.is_set()  # Enter asks the stop policy to stop
    assert [(b is blk, r) for (b, r), blk in zip(live.fed, blocks, strict=True)] == [(True, RATE), (True, RATE)]
    assert view.updates == [(0.1, 0.25), (0.2, 0.1)]
    audio, tracked = sink.voice()
    assert tracked == "track" and np.array_equal(audio, np.concatenate(blocks))


@pytest.mark.parametrize(("block", "rate"), [(np.zeros(4800, dtype=np.float32), 48000),
                                             (np.zeros((1600, 2), dtype=np.float32), RATE)])
def test_a_take_not_16k_mono_has_its_voice_measured_from_the_file(block: np.ndarray, rate: int) -> None:
    live = Live()
    sink = TakeSink(live, Track())
    sink.audio(np.zeros(1600, dtype=np.float32), RATE)
    sink.audio(block, rate)
    assert sink.voice() == (None, None) and len(live.fed) == 2  # the words still get every block
    sink.status(status(0.3))  # no view, no Enter: nothing to do


def test_a_whole_take_is_transcribed_once_at_the_stop() -> None:
    calls: list[np.ndarray] = []

    def transcribe(audio: np.ndarray) -> list[Word]:
        calls.append(audio)
        return [Word("hello", 0.1, 0.4)]

    take = WholeTake(transcribe)
    audio = voiced(2)
    take.feed(audio, RATE)
    assert calls == [] and take.whole_file_words
    assert take.finish() == [Word("hello", 0.1, 0.4)]
    assert len(calls) == 1 and calls[0] is audio and take.chunks == 1
    take.close()


def test_whole_audio_keeps_what_it_was_handed() -> None:
    kept = WholeAudio()
    assert kept.finish() == (None, None)
    audio = voiced(1)
    kept.feed(audio)
    samples, track = kept.finish()
    assert samples is audio and track is None


def test_the_live_sessions_share_one_interface() -> None:
    sessions: list[LiveSession] = [WhisperLiveSession(probs=None, decoder=None),  # type: ignore[arg-type]
                                   ChunkedLiveSession(lambda audio: []), WholeTake(lambda audio: [])]
    for s in sessions:
        assert callable(s.feed) and callable(s.finish) and callable(s.close)
        assert s.chunks == 0
    assert [(s.unit, s.whole_file_words) for s in sessions] == [("windows", True), ("chunks", False),
                                                                ("whole take", True)]
    for s in sessions:
        s.close()


def test_the_file_device_writes_the_take_and_hands_it_over_whole(tmp_path: Path) -> None:
    source = tmp_path / "answer.flac"
    sf.write(source, voiced(3), RATE)
    seen: list[tuple[np.ndarray, int]] = []

    class Sink:
        def audio(self, block, rate) -> None:
            seen.append((block, rate))

        def status(self, st) -> None:
            raise AssertionError("a file has no live status")

    device = FileInput(source)
    rec = device.record(tmp_path / "answer-0.wav", should_stop=lambda st: True, sink=Sink())
    assert not device.realtime
    assert rec.stopped_by == "input" and rec.sample_rate == RATE and rec.error is None
    assert rec.duration_s == pytest.approx(3.0) and rec.path == tmp_path / "answer-0.wav"
    info = sf.info(rec.path)
    assert info.subtype == "PCM_16" and info.samplerate == RATE and info.frames == 3 * RATE
    (block, rate), = seen
    assert rate == RATE and block.dtype == np.float32 and block.ndim == 1 and len(block) == 3 * RATE
    assert np.allclose(sf.read(rec.path, dtype="float32")[0], block, atol=1 / 32768)


def test_the_file_device_cannot_write_in_one_line(tmp_path: Path) -> None:
    source = tmp_path / "answer.wav"
    sf.write(source, voiced(1), RATE)
    with pytest.raises(StarcoachError, match="cannot write the take to") as err:
        FileInput(source).record(tmp_path / "no-such-folder" / "answer-0.wav")
    assert "\n" not in str(err.value)
    with pytest.raises(StarcoachError, match="no such file"):
        FileInput(tmp_path / "missing.wav").record(tmp_path / "answer-0.wav")
