"""`starcoach replay --play`: following the words from a playback clock (pure), the play loop with a fake
device and scripted keys, the terminal's cbreak mode and its restoration, the sounddevice output with a
fake module, and (marked `audio`) a real playback into the virtual speaker of tests/pulse.py."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import soundfile as sf
from rich.console import Console

from pulse import virtual_audio  # noqa: F401  (the rig's session fixture)
from starcoach import player
from starcoach.cli import app
from starcoach.devices import portaudio
from starcoach.devices.playback import SoundDevicePlayback, resample
from starcoach.errors import StarcoachError
from starcoach.player import Follow, Keys, follow, now_playing, play
from starcoach.replay import load_answer, split_lines
from starcoach.result import ResultWord
from tests.builders.cli import runner
from tests.builders.sessions import make_session

RATE = 16000

W = ResultWord
WORDS = [W("We", 0.5, 0.8, "situation"), W("shipped.", 0.8, 1.4, "situation"),
         W("I", 2.0, 2.2, "action"), W("wrote", 2.2, 2.6, "action"), W("it.", 2.6, 3.0, "action")]


# --------------------------------------------------------------------------- follow (pure)


@pytest.mark.parametrize(("t", "expected"), [
    (0.0, Follow(0, None, False)),  # before the first word
    (0.5, Follow(0, 0, True)),  # a word starts exactly now
    (0.9, Follow(0, 1, True)),
    (1.7, Follow(0, 1, False)),  # the pause after "shipped.": still on its line, nothing lit
    (2.0, Follow(1, 2, True)),  # the next sentence's first word
    (2.59, Follow(1, 3, True)),
    (2.6, Follow(1, 4, True)),
    (9.0, Follow(1, 4, False)),  # after the last word
])
def test_follow_finds_the_line_and_the_word_being_said(t: float, expected: Follow) -> None:
    lines = split_lines(WORDS)
    assert [(ln.first, ln.last) for ln in lines] == [(0, 1), (2, 4)]
    assert follow(WORDS, lines, t) == expected


def test_follow_without_words() -> None:
    assert follow([], [], 3.0) == Follow(0, None, False)


def render(renderable, width: int = 100) -> str:
    console = Console(width=width, record=True, file=open(os.devnull, "w"))
    console.print(renderable)
    return console.export_text()


def test_now_playing_shows_the_current_line_elapsed_total_and_the_next_line() -> None:
    lines = split_lines(WORDS)
    text = render(now_playing(WORDS, lines, follow(WORDS, lines, 2.3), elapsed=2.3, total=10.0))
    assert "0:02 / 0:10" in text and "playing" in text
    assert "Action" in text and "[0:02] I wrote it." in text
    assert "space pause / resume" in text
    text = render(now_playing(WORDS, lines, follow(WORDS, lines, 0.6), elapsed=0.6, total=10.0, paused=True, keys=False))
    assert "paused" in text and "[0:00] We shipped." in text and "[0:02] I wrote it." in text  # the next line
    assert "space pause" not in text


def test_the_current_word_is_lit_and_the_rest_of_the_line_dim() -> None:
    lines = split_lines(WORDS)
    panel = now_playing(WORDS, lines, follow(WORDS, lines, 2.3), elapsed=2.3, total=10.0)
    line = panel.renderable.renderables[2]  # head, section name, the line
    styles = {line.plain[s.start:s.end]: str(s.style) for s in line.spans}
    assert "reverse" in styles["wrote"] and "reverse" not in styles["I"] and styles["it."] == "dim"
    assert "dim" not in styles["I"] and str(line.style) == ""  # said already: plain, in its section's colour


def test_resample() -> None:
    x = np.sin(np.linspace(0, 20, RATE)).astype(np.float32)
    y = resample(x, RATE, 48000)
    assert len(y) == 3 * RATE and y.dtype == np.float32
    assert np.allclose(y[::3], x, atol=1e-3)
    assert resample(x, RATE, RATE) is x


# --------------------------------------------------------------------------- the loop with a fake device


class FakePlayback:
    """A clock that moves `step` seconds each time it is read, unless paused."""

    def __init__(self, step: float = 0.25) -> None:
        self.step, self.t, self.paused = step, 0.0, False
        self.events: list[str] = []
        self.samples = np.zeros(0, dtype=np.float32)
        self.rate = RATE

    def start(self, samples: np.ndarray, rate: int) -> None:
        self.samples, self.rate = samples, rate
        self.events.append("start")

    def position(self) -> float:
        if not self.paused:
            self.t = min(self.t + self.step, len(self.samples) / self.rate)
        return self.t

    def pause(self) -> None:
        self.paused = True
        self.events.append("pause")

    def resume(self) -> None:
        self.paused = False
        self.events.append("resume")

    @property
    def finished(self) -> bool:
        return self.t >= len(self.samples) / self.rate

    def close(self) -> None:
        self.events.append("close")


class ScriptedKeys:
    interactive = True

    def __init__(self, keys: list[str | None]) -> None:
        self.keys = list(keys)

    def read(self, timeout: float) -> str | None:
        key = self.keys.pop(0) if self.keys else None
        if isinstance(key, BaseException):
            raise key
        return key


def quiet() -> Console:
    return Console(file=open(os.devnull, "w"), width=100)


def test_play_runs_to_the_end_and_closes_the_device() -> None:
    device = FakePlayback()
    played = play(WORDS, np.zeros(4 * RATE, dtype=np.float32), RATE, playback=device, keys=ScriptedKeys([]),
                  console=quiet(), tick=0)
    assert not played.stopped and played.at_s == pytest.approx(4.0)
    assert device.events == ["start", "close"]
    assert len(device.samples) == 4 * RATE


def test_play_from_starts_the_device_there() -> None:
    device = FakePlayback()
    played = play(WORDS, np.arange(4 * RATE, dtype=np.float32), RATE, playback=device, keys=ScriptedKeys([]),
                  console=quiet(), from_s=1.5, tick=0)
    assert device.samples[0] == 1.5 * RATE and len(device.samples) == 2.5 * RATE
    assert played.at_s == pytest.approx(4.0)
    with pytest.raises(StarcoachError, match="past the end of the recording"):
        play(WORDS, np.zeros(RATE, dtype=np.float32), RATE, playback=FakePlayback(), keys=ScriptedKeys([]),
             console=quiet(), from_s=1.0)


def test_space_pauses_and_resumes_and_q_stops() -> None:
    device = FakePlayback()
    keys = ScriptedKeys([None, " ", None, None, " ", None, "q"])
    played = play(WORDS, np.zeros(10 * RATE, dtype=np.float32), RATE, playback=device, keys=keys, console=quiet(), tick=0)
    assert device.events == ["start", "pause", "resume", "close"]
    assert played.stopped
    # Read once per key: 0.25, (pause) 0.5 held while paused, then on again until q.
    assert played.at_s == pytest.approx(0.5 + 0.25 * 2)


def test_the_device_is_closed_on_ctrl_c() -> None:
    device = FakePlayback()
    with pytest.raises(KeyboardInterrupt):
        play(WORDS, np.zeros(10 * RATE, dtype=np.float32), RATE, playback=device,
             keys=ScriptedKeys([None, KeyboardInterrupt()]), console=quiet(), tick=0)
    assert device.events == ["start", "close"]


def test_play_answer_follows_a_stored_session(tmp_path: Path) -> None:
    session = make_session(text="I wrote a memo. We shipped it.", audio=np.zeros(2 * RATE, dtype=np.float32))
    console = Console(file=(tmp_path / "out.txt").open("w"), width=100)
    played = player.play_answer(load_answer(session.id), console=console, playback=FakePlayback(), keys=ScriptedKeys([]))
    console.file.close()
    assert played.at_s == pytest.approx(2.0)
    out = (tmp_path / "out.txt").read_text()
    assert "played to the end (0:02)" in out and "0:02 / 0:02" in out and session.id in out


# --------------------------------------------------------------------------- the terminal


def test_keys_use_cbreak_mode_and_put_the_terminal_back(tmp_path: Path) -> None:
    import pty
    import termios

    master, slave = pty.openpty()
    try:
        with os.fdopen(os.dup(slave), "rb", buffering=0) as stream:
            before = termios.tcgetattr(slave)
            assert before[3] & termios.ICANON and before[3] & termios.ECHO
            with Keys(stream) as keys:
                assert keys.interactive
                during = termios.tcgetattr(slave)
                assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
                os.write(master, b" ")
                assert keys.read(2.0) == " "
                assert keys.read(0.01) is None
            assert termios.tcgetattr(slave) == before
            with pytest.raises(RuntimeError), Keys(stream):
                raise RuntimeError("boom")
            assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


def test_keys_without_a_terminal_just_wait(tmp_path: Path) -> None:
    with (tmp_path / "in.txt").open("w+") as stream, Keys(stream) as keys:
        assert not keys.interactive
        started = time.monotonic()
        assert keys.read(0.05) is None
        assert time.monotonic() - started >= 0.04


# --------------------------------------------------------------------------- the sounddevice output, faked


class FakeStream:
    made: ClassVar[list[FakeStream]] = []

    def __init__(self, **kwargs) -> None:
        self.kwargs = kwargs
        self.latency = 0.0
        self.started = self.aborted = self.closed = False
        FakeStream.made.append(self)

    def start(self) -> None:
        self.started = True

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.closed = True


class FakeSounddevice:
    class PortAudioError(Exception):
        pass

    class CallbackStop(Exception):
        pass

    OutputStream = FakeStream

    @staticmethod
    def query_devices(device=None, kind=None):
        return {"index": 3, "name": "fake out", "default_samplerate": 48000.0}

    @classmethod
    def check_output_settings(cls, **kwargs) -> None:
        if kwargs["samplerate"] != 48000:
            raise cls.PortAudioError("Invalid sample rate")


def test_sounddevice_playback_copies_blocks_pauses_with_silence_and_stops_at_the_end(monkeypatch) -> None:
    monkeypatch.setattr(portaudio, "load_sounddevice", lambda: FakeSounddevice)
    FakeStream.made.clear()
    out = SoundDevicePlayback()
    samples = np.linspace(-0.5, 0.5, RATE, dtype=np.float32)  # 1 s at 16 kHz
    out.start(samples, RATE)
    (stream,) = FakeStream.made
    assert stream.started and stream.kwargs["samplerate"] == 48000 and stream.kwargs["device"] == 3  # resampled
    callback = stream.kwargs["callback"]
    block = np.ones((4800, 1), dtype=np.float32)
    callback(block, 4800, None, None)
    handed = [block[:, 0].copy()]
    assert np.allclose(handed[0], resample(samples, RATE, 48000)[:4800])
    assert out.position() == pytest.approx(0.1)
    out.pause()
    callback(block, 4800, None, None)
    assert not block.any() and out.position() == pytest.approx(0.1)
    out.resume()
    with pytest.raises(FakeSounddevice.CallbackStop):
        for _ in range(20):
            try:
                callback(block, 4800, None, None)
            finally:
                handed.append(block[:, 0].copy())
            assert out.position() <= 1.0
    played = np.concatenate(handed)
    assert np.allclose(played[:48000], resample(samples, RATE, 48000))
    assert len(played) >= 48000 + 0.05 * 48000 and not played[48000:].any()  # then silence, so nothing is cut
    assert not out.finished
    stream.kwargs["finished_callback"]()
    assert out.finished and out.position() == pytest.approx(1.0)
    out.close()
    assert stream.closed and not stream.aborted


def test_closing_early_aborts_the_stream(monkeypatch) -> None:
    monkeypatch.setattr(portaudio, "load_sounddevice", lambda: FakeSounddevice)
    FakeStream.made.clear()
    out = SoundDevicePlayback()
    out.start(np.zeros(48000, dtype=np.float32), 48000)
    out.close()
    out.close()
    (stream,) = FakeStream.made
    assert stream.aborted and stream.closed


# --------------------------------------------------------------------------- the real output


def loud_s(x: np.ndarray, rate: int, frame_s: float = 0.01) -> float:
    """Seconds of sound louder than a whisper, counted in 10 ms frames. Not the span from first to last:
    on a busy machine the sound server can starve for a moment and put a gap in the middle."""
    frame = int(frame_s * rate)
    frames = x[: len(x) // frame * frame].reshape(-1, frame)
    loud = np.flatnonzero(np.sqrt(np.mean(np.square(frames), axis=1)) > 0.01)
    assert len(loud), "nothing was heard"
    return len(loud) * frame_s


def heard_while(rig, path: Path, args: list[str]) -> tuple[np.ndarray, int, float, str]:
    monitor = rig.record_output(path)
    try:
        time.sleep(0.5)
        started = time.monotonic()
        result = runner.invoke(app, args)
        took = time.monotonic() - started
        time.sleep(0.5)
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)
    assert result.exit_code == 0, result.output
    heard, rate = sf.read(path, dtype="float32")
    return heard, rate, took, result.output


@pytest.mark.audio
def test_replay_play_sends_the_recording_to_the_default_output(virtual_audio, tmp_path: Path) -> None:
    seconds = 2.0
    t = np.arange(int(seconds * RATE)) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    session = make_session(text="I wrote a memo. We shipped it.", audio=tone)

    heard, rate, took, output = heard_while(virtual_audio, tmp_path / "heard.wav", ["replay", session.id, "--play"])
    assert "played to the end (0:02)" in output and "We shipped it." in output  # the line at the end
    assert len(heard) / rate > seconds  # the monitor ran throughout
    assert loud_s(heard, rate) == pytest.approx(seconds, abs=0.1)  # all of it: the end is not cut off
    assert seconds - 0.1 <= took < seconds + 3.0

    heard, rate, took, output = heard_while(virtual_audio, tmp_path / "from.wav",
                                            ["replay", session.id, "--play", "--from", "1.25"])
    assert loud_s(heard, rate) == pytest.approx(seconds - 1.25, abs=0.1)
