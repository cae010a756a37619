"""The speaker: printing, the fall-back to printing, and (marked `audio`) real speech played into
the virtual speaker of tests/pulse.py."""

from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile as sf

import pulse
from starcoach.devices import speaker as speaker_mod
from starcoach.devices.speaker import (
    ConsoleSpeaker,
    NoSpeech,
    PrintSpeaker,
    Pyttsx3Speaker,
    make_speaker,
)
from starcoach.errors import StarcoachError

# The rig's session fixture (conftest.py may import it too: they share one rig).
virtual_audio = pulse.virtual_audio

QUESTION = "Tell me about a time you had to deliver difficult feedback to a colleague."


class Printed(list):
    def __call__(self, text: str) -> None:
        self.append(text)


class BrokenVoice:
    def __init__(self) -> None:
        self.calls = 0

    def say(self, text: str) -> None:
        self.calls += 1
        raise StarcoachError("the audio output took 0.0 s to play 3.0 s of speech")


class GoodVoice:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)


def test_disabled_speaker_only_prints():
    printed = Printed()
    speaker = make_speaker(enabled=False, console_print=printed)
    assert isinstance(speaker, PrintSpeaker)
    speaker.say(QUESTION)
    assert printed == [QUESTION]


def test_a_working_voice_speaks_and_prints():
    printed, voice = Printed(), GoodVoice()
    speaker = ConsoleSpeaker(voice, console_print=printed)
    speaker.say("one")
    speaker.say("two")
    assert printed == ["one", "two"]
    assert voice.said == ["one", "two"]
    assert speaker.speaking


def test_a_failing_voice_falls_back_once_with_the_reason():
    printed, voice = Printed(), BrokenVoice()
    speaker = ConsoleSpeaker(voice, console_print=printed)
    speaker.say("one")
    speaker.say("two")
    speaker.say("three")
    assert printed[0] == "one"
    assert printed[1] == (
        "(not speaking the questions: the audio output took 0.0 s to play 3.0 s of speech)"
    )
    assert printed[2:] == ["two", "three"]
    assert voice.calls == 1
    assert not speaker.speaking


def test_no_engine_at_all_falls_back_once_with_the_reason(monkeypatch):
    def no_engine(**kwargs):
        raise NoSpeech("no text-to-speech engine: libespeak-ng not found (install espeak-ng)")

    monkeypatch.setattr(speaker_mod, "Pyttsx3Speaker", no_engine)
    printed = Printed()
    speaker = make_speaker(console_print=printed)
    speaker.say("one")
    speaker.say("two")
    assert printed == [
        "one",
        "(not speaking the questions: no text-to-speech engine: libespeak-ng not found "
        "(install espeak-ng))",
        "two",
    ]


class _InstantStream:
    """An output stream that accepts everything at once: what a dead sound card looks like."""

    latency = 0.0

    def __init__(self, **kwargs) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def write(self, data) -> None:
        pass


class _FakeSounddevice:
    PortAudioError = OSError
    OutputStream = _InstantStream


def test_playback_that_returns_at_once_is_an_error(tmp_path):
    wav = tmp_path / "speech.wav"
    sf.write(wav, np.zeros(22050 * 2, dtype=np.float32), 22050)
    speaker = object.__new__(Pyttsx3Speaker)  # no engine or device needed for play()
    speaker._sd = _FakeSounddevice
    speaker._output = {"index": 0, "name": "fake"}
    with pytest.raises(StarcoachError, match=r"to play 2\.0 s of speech"):
        speaker.play(wav)


# --------------------------------------------------------------------------- real devices


@pytest.mark.audio
def test_synthesize_writes_the_speech(virtual_audio, tmp_path):
    speaker = Pyttsx3Speaker()
    duration = speaker.synthesize(QUESTION, tmp_path / "q.wav")
    data, rate = sf.read(tmp_path / "q.wav")
    assert duration == pytest.approx(len(data) / rate)
    assert 2.0 < duration < 10.0
    assert np.sqrt(np.mean(np.square(data))) > 0.02
    # a second utterance on the same engine is a new file, not a rewrite of the first
    assert speaker.synthesize("Thank you.", tmp_path / "t.wav") < duration


@pytest.mark.audio
def test_rate_is_applied_every_time(virtual_audio, tmp_path):
    """espeak runs asynchronously under pyttsx3; a setting made while it is busy used to be lost
    now and then (the first utterance came out at espeak's default rate, the next one empty)."""
    durations = {}
    for rate in (150, 250):
        speaker = Pyttsx3Speaker(rate=rate)
        durations[rate] = [
            speaker.synthesize(QUESTION, tmp_path / f"{rate}-{i}.wav") for i in range(3)
        ]
    for rate, seen in durations.items():
        assert max(seen) - min(seen) < 0.1, (rate, seen)
    ratio = np.mean(durations[150]) / np.mean(durations[250])
    assert 1.4 < ratio < 1.9, durations  # 250/150 = 1.67, less the pauses that do not scale


@pytest.mark.audio
def test_say_plays_into_the_default_sink_and_waits_for_it(virtual_audio, tmp_path, capsys):
    speaker = Pyttsx3Speaker()
    duration = speaker.synthesize(QUESTION, tmp_path / "q.wav")
    monitor = virtual_audio.record_output(tmp_path / "heard.wav")
    try:
        time.sleep(0.5)
        started = time.monotonic()
        speaker.say(QUESTION)
        took = time.monotonic() - started
        time.sleep(0.5)
    finally:
        monitor.terminate()
        monitor.wait(timeout=10)
    assert took >= duration, f"say() returned after {took:.2f} s of {duration:.2f} s of speech"
    assert took < duration + 3.0
    assert "Audio saved" not in capsys.readouterr().out  # pyttsx3's own print is hidden

    heard, heard_rate = sf.read(tmp_path / "heard.wav", dtype="float32")
    said, said_rate = sf.read(tmp_path / "q.wav", dtype="float32")
    assert len(heard) / heard_rate > duration  # the monitor ran throughout
    assert loud_span_s(heard, heard_rate) == pytest.approx(loud_span_s(said, said_rate), abs=0.2)


def loud_span_s(x: np.ndarray, rate: int, frame_s: float = 0.05) -> float:
    """Seconds from the first to the last 50 ms frame louder than a whisper."""
    frame = int(frame_s * rate)
    frames = x[: len(x) // frame * frame].reshape(-1, frame)
    loud = np.flatnonzero(np.sqrt(np.mean(np.square(frames), axis=1)) > 0.01)
    assert len(loud), "nothing was heard"
    return (loud[-1] - loud[0] + 1) * frame_s


@pytest.mark.audio
def test_make_speaker_speaks_when_it_can(virtual_audio):
    printed = Printed()
    speaker = make_speaker(console_print=printed, rate=220)
    assert isinstance(speaker, ConsoleSpeaker) and speaker.speaking
    speaker.say("Next question.")
    assert printed == ["Next question."]
    assert speaker.speaking


@pytest.mark.audio
def test_an_unknown_voice_is_an_error_not_a_fallback(virtual_audio):
    with pytest.raises(StarcoachError, match="unknown voice 'klingon-x'") as err:
        make_speaker(voice="klingon-x")
    assert not isinstance(err.value, NoSpeech)
