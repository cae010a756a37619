"""The microphone: pure level maths and stop rules (levels.py), the block writer on fake blocks, and
(marked `audio`) the real PortAudio path recording from the virtual microphone of tests/pulse.py."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import pulse
from starcoach.devices import portaudio
from starcoach.devices.microphone import SoundDeviceMicrophone, write_take
from starcoach.errors import StarcoachError
from starcoach.levels import Level, RecordingStatus, StopPolicy, block_level, peak, rms

# The rig's session fixture (conftest.py may import it too: they share one rig).
virtual_audio = pulse.virtual_audio

RATE = 16000
BLOCK = 1600  # 0.1 s


class Seen:
    """A take's sink that keeps what the recorder hands it; `on_status` runs after each block."""

    def __init__(self, on_status=None) -> None:
        self.blocks: list[np.ndarray] = []
        self.statuses: list[RecordingStatus] = []
        self.on_status = on_status

    def audio(self, block: np.ndarray, rate: int) -> None:
        self.blocks.append(block)

    def status(self, status: RecordingStatus) -> None:
        self.statuses.append(status)
        if self.on_status is not None:
            self.on_status(status)


# --------------------------------------------------------------------------- level maths


def test_rms_and_peak_of_simple_signals():
    assert rms(np.zeros(100, dtype=np.float32)) == 0.0
    assert peak(np.zeros(100, dtype=np.float32)) == 0.0
    assert rms(np.full(100, 0.5, dtype=np.float32)) == pytest.approx(0.5)
    t = np.arange(RATE) / RATE
    sine = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    assert rms(sine) == pytest.approx(1 / np.sqrt(2), rel=1e-3)
    assert peak(sine) == pytest.approx(1.0, abs=1e-3)
    assert peak(np.array([0.1, -0.8, 0.3])) == pytest.approx(0.8)


def test_levels_of_empty_and_multichannel_blocks():
    assert block_level(np.zeros((0, 1), dtype=np.float32)) == Level(0.0, 0.0)
    two = np.array([[0.5, -0.5], [0.5, -0.5]], dtype=np.float32)
    assert block_level(two) == Level(rms=pytest.approx(0.5), peak=pytest.approx(0.5))


# --------------------------------------------------------------------------- stop rules


def status(elapsed: float, level: float) -> RecordingStatus:
    return RecordingStatus(elapsed, Level(level, level), False, 0.0)


def feed(policy: StopPolicy, levels: list[float], block_s: float = 0.1) -> float | None:
    """Run the policy over one level per block; the elapsed time it stopped at, or None."""
    for i, level in enumerate(levels, start=1):
        if policy(status(round(i * block_s, 6), level)):
            return round(i * block_s, 6)
    return None


def test_no_silence_stop_before_speech_starts():
    policy = StopPolicy(max_s=60, silence_after_speech_s=2.0)
    assert feed(policy, [0.001] * 100) is None  # ten quiet seconds: still waiting for speech
    assert policy.reason is None


def test_stops_after_silence_following_speech():
    policy = StopPolicy(max_s=60, silence_after_speech_s=2.0)
    stopped = feed(policy, [0.001] * 5 + [0.2] * 10 + [0.001] * 30)
    assert stopped == pytest.approx(1.5 + 2.0)
    assert policy.reason == "silence"


def test_short_pauses_do_not_stop():
    policy = StopPolicy(max_s=60, silence_after_speech_s=2.0)
    assert feed(policy, ([0.2] * 5 + [0.001] * 15) * 5) is None


def test_speech_threshold_is_configurable():
    policy = StopPolicy(max_s=60, silence_after_speech_s=1.0, speech_rms=0.3)
    assert feed(policy, [0.2] * 5 + [0.001] * 20) is None  # 0.2 is not speech at this threshold


def test_stops_at_max_length_even_while_speaking():
    policy = StopPolicy(max_s=3.0, silence_after_speech_s=2.0)
    assert feed(policy, [0.2] * 100) == pytest.approx(3.0)
    assert policy.reason == "max_length"


def test_no_silence_rule_when_not_asked():
    policy = StopPolicy(max_s=5.0, silence_after_speech_s=None)
    assert feed(policy, [0.2] * 5 + [0.001] * 100) == pytest.approx(5.0)
    assert policy.reason == "max_length"


def test_enter_stops_at_once_and_wins():
    policy = StopPolicy(max_s=1.0, silence_after_speech_s=2.0)
    assert feed(policy, [0.2] * 3) is None
    policy.stop_requested.set()
    assert policy(status(5.0, 0.2)) is True
    assert policy.reason == "enter"


# --------------------------------------------------------------------------- the writer


def tone(n_blocks: int, amplitude: float = 0.25) -> list[np.ndarray]:
    t = np.arange(n_blocks * BLOCK) / RATE
    x = (amplitude * np.sin(2 * np.pi * 300 * t)).astype(np.float32)[:, None]
    return [x[i * BLOCK : (i + 1) * BLOCK] for i in range(n_blocks)]


def wav_frames_on_disk(path: Path) -> int:
    """What an unforgiving reader (Python's wave) sees in the file right now."""
    with wave.open(str(path)) as w:
        return w.getnframes()


def test_blocks_are_written_as_they_arrive(tmp_path):
    path = tmp_path / "take.wav"
    blocks = tone(30)
    q: queue.Queue = queue.Queue()
    seen_on_disk: list[tuple[float, int, int]] = []

    def producer():
        for b in blocks:
            q.put(b)
            time.sleep(0.01)

    def on_block(st: RecordingStatus):
        bytes_of_samples = path.stat().st_size - 44
        seen_on_disk.append((st.elapsed_s, bytes_of_samples // 2, wav_frames_on_disk(path)))

    threading.Thread(target=producer, daemon=True).start()
    rec = write_take(
        q,
        path,
        sample_rate=RATE,
        should_stop=lambda st: st.elapsed_s >= 3.0,
        sink=Seen(on_block),
        flush_s=0.5,
    )
    assert rec.stopped_by == "callback"
    assert rec.duration_s == pytest.approx(3.0)
    assert rec.sample_rate == RATE
    for elapsed, samples_in_file, header_frames in seen_on_disk:
        frames = round(elapsed * RATE)
        assert samples_in_file >= frames  # the block is in the file before the sink hears of it
        assert header_frames >= frames - 0.5 * RATE - BLOCK  # header sizes rewritten every 0.5 s
    data, rate = sf.read(path, dtype="float32")
    assert rate == RATE
    np.testing.assert_allclose(data, np.concatenate(blocks)[:, 0], atol=1e-4)


def test_status_levels_speech_and_audio_callbacks(tmp_path):
    q: queue.Queue = queue.Queue()
    for b in tone(5, amplitude=0.001) + tone(5, amplitude=0.25) + tone(10, amplitude=0.001):
        q.put(b)
    seen = Seen()
    rec = write_take(
        q,
        tmp_path / "t.wav",
        sample_rate=RATE,
        should_stop=lambda st: st.elapsed_s >= 2.0,
        sink=seen,
    )
    statuses, audio = seen.statuses, seen.blocks
    assert rec.duration_s == pytest.approx(2.0)
    assert [s.speech_started for s in statuses[:5]] == [False] * 5
    assert all(s.speech_started for s in statuses[5:])
    assert statuses[9].silence_s == 0.0
    assert statuses[-1].silence_s == pytest.approx(1.0)
    assert statuses[7].level.rms == pytest.approx(0.25 / np.sqrt(2), rel=0.05)
    assert all(a.ndim == 1 and a.dtype == np.float32 and len(a) == BLOCK for a in audio)


def test_ctrl_c_keeps_the_take_and_what_was_queued(tmp_path):
    q: queue.Queue = queue.Queue()
    for b in tone(10):
        q.put(b)

    def should_stop(st: RecordingStatus) -> bool:
        if st.elapsed_s >= 0.3:
            raise KeyboardInterrupt
        return False

    rec = write_take(q, tmp_path / "t.wav", sample_rate=RATE, should_stop=should_stop)
    assert rec.stopped_by == "interrupt"
    assert rec.duration_s == pytest.approx(1.0)  # 3 blocks, then the 7 already queued
    assert sf.info(tmp_path / "t.wav").duration == pytest.approx(1.0)


def test_policy_reason_becomes_stopped_by_and_max_length_is_exact(tmp_path):
    q: queue.Queue = queue.Queue()
    for b in tone(20):
        q.put(b)
    rec = write_take(q, tmp_path / "t.wav", sample_rate=RATE, should_stop=StopPolicy(max_s=1.0))
    assert rec.stopped_by == "max_length"
    assert rec.duration_s == pytest.approx(1.0)


def test_enter_works_while_no_audio_arrives(tmp_path):
    policy = StopPolicy(max_s=60)
    threading.Timer(0.1, policy.request_stop).start()
    rec = write_take(
        queue.Queue(), tmp_path / "t.wav", sample_rate=RATE, should_stop=policy, poll_s=0.05
    )
    assert rec.stopped_by == "enter"
    assert rec.duration_s == 0.0
    assert sf.info(tmp_path / "t.wav").frames == 0


def test_a_silent_device_is_an_error(tmp_path):
    with pytest.raises(StarcoachError, match="no audio for"):
        write_take(
            queue.Queue(), tmp_path / "t.wav", sample_rate=RATE,
            should_stop=lambda st: False, poll_s=0.05, stall_s=0.2,
        )


# --------------------------------------------------------------------------- no sound system


def test_importing_needs_no_sound_card():
    code = (
        "import sys, starcoach.devices.microphone, starcoach.devices.speaker;"
        "assert 'sounddevice' not in sys.modules and 'pyttsx3' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class _NoPortAudio:
    """An import hook that fails like sounddevice does when libportaudio is missing."""

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return None


def test_missing_portaudio_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])
    with pytest.raises(StarcoachError, match="PortAudio is missing") as err:
        SoundDeviceMicrophone().record(tmp_path / "t.wav", should_stop=lambda st: True)
    assert "\n" not in str(err.value)
    with pytest.raises(StarcoachError, match="PortAudio is missing"):
        portaudio.list_devices()


class _FakePortAudioError(Exception):
    pass


class _NoDevicesSounddevice:
    PortAudioError = _FakePortAudioError

    @staticmethod
    def query_devices(device=None, kind=None):
        raise _FakePortAudioError("Error querying device -1")


def test_no_microphone_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setattr(portaudio, "load_sounddevice", lambda: _NoDevicesSounddevice)
    with pytest.raises(StarcoachError) as err:
        SoundDeviceMicrophone().record(tmp_path / "t.wav", should_stop=lambda st: True)
    message = str(err.value)
    assert message.startswith("no microphone found")
    assert "starcoach devices" in message and "\n" not in message
    assert not (tmp_path / "t.wav").exists()


class _FakeInputStream:
    """Calls the callback from its own thread, like PortAudio, with 0.1 s tone blocks."""

    def __init__(self, *, device, samplerate, channels, dtype, blocksize, callback):
        assert dtype == "float32"
        self.rate, self.blocksize, self.callback = samplerate, blocksize, callback
        self.running = threading.Event()

    def _run(self):
        t = np.arange(self.blocksize) / self.rate
        block = (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)[:, None]
        while self.running.is_set():
            self.callback(block, self.blocksize, None, None)
            time.sleep(0.005)

    def __enter__(self):
        self.running.set()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running.clear()
        self.thread.join()


class _Only48kSounddevice:
    PortAudioError = _FakePortAudioError
    InputStream = _FakeInputStream

    @staticmethod
    def query_devices(device=None, kind=None):
        return {
            "index": 3, "name": "USB mic", "max_input_channels": 1, "default_samplerate": 48000.0
        }

    @staticmethod
    def check_input_settings(*, device, channels, dtype, samplerate):
        if samplerate != 48000:
            raise _FakePortAudioError("Invalid sample rate")


def test_a_device_that_refuses_16k_records_at_its_own_rate(monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(portaudio, "load_sounddevice", lambda: _Only48kSounddevice)
    seen = Seen()
    with caplog.at_level("WARNING", logger="starcoach.microphone"):
        rec = SoundDeviceMicrophone("USB").record(
            tmp_path / "t.wav", should_stop=StopPolicy(max_s=1.0), sink=seen
        )
    audio = seen.blocks
    assert "does not record at 16000 Hz; recording at its own 48000 Hz" in caplog.text
    assert rec.sample_rate == 48000 and rec.stopped_by == "max_length"
    assert rec.duration_s == pytest.approx(1.0)
    info = sf.info(tmp_path / "t.wav")
    assert info.samplerate == 48000 and info.frames == 48000 and info.subtype == "PCM_16"
    assert all(len(a) == 4800 for a in audio)


# --------------------------------------------------------------------------- real devices


ENV_HOP_S = 0.01


def envelope(x: np.ndarray, rate: int, window_s: float = 0.05) -> np.ndarray:
    """RMS over `window_s`, one value every 10 ms (fine enough that alignment does not matter)."""
    hop, window = int(rate * ENV_HOP_S), int(rate * window_s)
    power = np.convolve(np.square(x.astype(np.float64)), np.ones(window) / window, mode="same")
    return np.sqrt(power[::hop])


@pytest.fixture(scope="module")
def sentence(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("speech") / "sentence.wav"
    subprocess.run(
        ["espeak-ng", "-w", str(path), "Tell me about a time you disagreed with your manager."],
        check=True,
    )
    return path


@pytest.mark.audio
def test_records_what_the_virtual_microphone_hears(virtual_audio, sentence, tmp_path):
    source, source_rate = sf.read(sentence, dtype="float32")
    source_s = len(source) / source_rate
    lead_in_s = 0.5
    player: list[subprocess.Popen] = []

    def on_block(st: RecordingStatus):
        if st.elapsed_s >= lead_in_s and not player:
            player.append(virtual_audio.play(sentence, wait=False))

    mic = SoundDeviceMicrophone(virtual_audio.input_device)
    max_s = lead_in_s + source_s + 1.5
    rec = mic.record(tmp_path / "take.wav", should_stop=StopPolicy(max_s=max_s), sink=Seen(on_block))
    player[0].wait(timeout=30)

    assert rec.stopped_by == "max_length"
    assert rec.sample_rate == RATE
    assert rec.duration_s == pytest.approx(max_s, abs=0.11)
    data, rate = sf.read(rec.path, dtype="float32")
    assert rate == RATE and len(data) / rate == pytest.approx(rec.duration_s)

    took = envelope(data, rate)
    said = envelope(source, source_rate)
    lags = range(0, len(took) - len(said) + 1)
    scores = [np.corrcoef(took[lag : lag + len(said)], said)[0, 1] for lag in lags]
    best = int(np.nanargmax(scores))
    lag_s = best * ENV_HOP_S
    assert scores[best] > 0.8, f"recording does not match the source (best r={scores[best]:.2f})"
    assert lead_in_s - 0.1 <= lag_s <= lead_in_s + 0.5, f"speech starts at {lag_s:.2f} s"

    floor = rms(data[: int(0.4 * rate)])
    speech = rms(data[int((lag_s + 0.2) * rate) : int((lag_s + source_s - 0.2) * rate)])
    assert speech > 0.03
    assert speech > 20 * max(floor, 1e-4)


RECORD_SCRIPT = """
import json, sys
from pathlib import Path
from starcoach.devices.microphone import SoundDeviceMicrophone
from starcoach.levels import StopPolicy

class Progress:
    def audio(self, block, rate):
        pass

    def status(self, st):
        print(json.dumps({"elapsed": st.elapsed_s}), flush=True)

rec = SoundDeviceMicrophone(sys.argv[2]).record(
    Path(sys.argv[1]), should_stop=StopPolicy(max_s=60), sink=Progress()
)
print(json.dumps({"stopped_by": rec.stopped_by, "duration": rec.duration_s}), flush=True)
"""


def start_recorder(virtual_audio, path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", RECORD_SCRIPT, str(path), virtual_audio.input_device],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=virtual_audio.child_env(),
    )


def read_until(proc: subprocess.Popen, elapsed_s: float) -> float:
    """Read the recorder's progress lines until it has recorded `elapsed_s`; return that."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"recorder ended early: {proc.stderr.read()}")
        seen = json.loads(line)["elapsed"]
        if seen >= elapsed_s:
            return seen
    raise AssertionError("recorder made no progress")


@pytest.mark.audio
def test_ctrl_c_ends_the_take_cleanly_and_keeps_it(virtual_audio, sentence, tmp_path):
    path = tmp_path / "take.wav"
    proc = start_recorder(virtual_audio, path)
    try:
        read_until(proc, 0.3)
        virtual_audio.play(sentence)  # ~3 s of speech into the take
        seen = read_until(proc, 3.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["stopped_by"] == "interrupt"
    assert seen <= result["duration"] <= seen + 1.0
    assert "Traceback" not in err
    with wave.open(str(path)) as w:  # closed properly: even a strict reader sees it all
        assert w.getnframes() == round(result["duration"] * RATE)
    data, _ = sf.read(path, dtype="float32")
    assert rms(data) > 0.02  # the speech is in it


@pytest.mark.audio
def test_sigkill_leaves_a_readable_take(virtual_audio, sentence, tmp_path):
    path = tmp_path / "take.wav"
    proc = start_recorder(virtual_audio, path)
    try:
        read_until(proc, 0.3)
        virtual_audio.play(sentence)
        seen = read_until(proc, 3.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
        proc.communicate()
    data, rate = sf.read(path, dtype="float32")  # libsndfile
    assert rate == RATE
    assert seen - 1.0 <= len(data) / rate <= seen + 1.0
    with wave.open(str(path)) as w:  # header sizes as of the last flush (every 0.5 s)
        assert w.getnframes() / RATE >= seen - 1.0
    assert rms(data) > 0.02


@pytest.mark.audio
@pytest.mark.parametrize("device", ["no-such-microphone", 99])
def test_a_microphone_that_does_not_exist(virtual_audio, tmp_path, device):
    with pytest.raises(StarcoachError) as err:
        SoundDeviceMicrophone(device).record(tmp_path / "t.wav", should_stop=lambda st: True)
    message = str(err.value)
    assert message.startswith(f"no microphone {device!r}")
    assert "starcoach devices" in message and "\n" not in message


@pytest.mark.audio
def test_list_devices_shows_the_virtual_microphone(virtual_audio):
    devices = portaudio.list_devices()
    names = [d["name"] for d in devices]
    assert virtual_audio.input_device in names
    assert any(d["is_default_input"] and d["max_input_channels"] > 0 for d in devices)
    assert os.environ["PULSE_SERVER"] == virtual_audio.env["PULSE_SERVER"]
