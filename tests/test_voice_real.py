"""The voice analysis on real recordings (shared/audio) with the real pitch model (SwiftF0) and, for the
words, the real Whisper base model: plausible figures for real speakers, the two trackers agreeing, and
real speech spoiled (clipped, music under it) giving notes instead of figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from starcoach.audio import load_audio
from starcoach.cli import app
from starcoach.devices.pitch import SwiftF0Tracker
from starcoach.pitch_track import YinTracker
from starcoach.records import Section, Word
from starcoach.voice import from_audio
from tests.builders.audio import harmonic
from tests.builders.cli import runner

pytestmark = pytest.mark.model


def every_second(seconds: float) -> list[Word]:
    """Stand-in words, one a second, for figures that need only the answer's span."""
    return [Word("w", float(i), float(i + 1)) for i in range(int(seconds))]


def analyse(audio: np.ndarray, words: list[Word], tracker):
    return from_audio(audio, tracker)(words, [Section("answer", tuple(words), words[0].start, words[-1].end)], ())


def test_real_speakers_get_plausible_figures_and_the_trackers_agree(shared: Path) -> None:
    for name, f0_range in (("gb0.wav", (85, 125)), ("hp0_henry_f_phillips.ogg", (130, 190))):
        audio = load_audio(shared / "audio" / name)
        words = every_second(len(audio) / 16000)
        swift = analyse(audio, words, SwiftF0Tracker()).overall
        yin = analyse(audio, words, YinTracker()).overall
        assert swift.measured and yin.measured
        assert f0_range[0] < swift.mean_f0_hz < f0_range[1], name
        assert 1.5 < swift.pitch_variation_st < 4.5 and 0.08 < swift.variation_quotient < 0.3, name
        assert 2 < swift.loudness_variation_db < 8, name
        assert abs(swift.pitch_variation_st - yin.pitch_variation_st) < 0.5, name
        assert abs(swift.mean_f0_hz - yin.mean_f0_hz) / swift.mean_f0_hz < 0.05, name


def test_score_json_of_a_real_recording_has_the_voice(shared: Path) -> None:
    result = runner.invoke(app, ["score", str(shared / "audio" / "jfk.flac"), "--json"])
    assert result.exit_code == 0, result.output
    v = json.loads(result.stdout)["voice"]
    assert v["tracker"] == "swift-f0" and v["measured"]
    assert 1.5 < v["overall"]["pitch_variation_st"] < 5
    # A prepared speech with no "um": no hesitation is invented.
    assert v["hesitation_count"] == 0


def test_real_speech_clipped_or_under_music_gives_notes_not_figures(shared: Path) -> None:
    from starcoach.devices.transcriber import WhisperTranscriber

    audio = load_audio(shared / "audio" / "jfk.flac")
    words = WhisperTranscriber(None).transcribe(audio)
    tracker = SwiftF0Tracker()
    clipped = analyse(np.clip(audio * 12, -1, 1), words, tracker)
    assert clipped.overall.measured and clipped.overall.loudness_variation_db is None
    assert any("clips" in n for n in clipped.notes)
    melody = harmonic(lambda t: 262 * 2 ** (np.array([0, 4, 7, 12])[(t * 2).astype(int) % 4] / 12), len(audio) / 16000, amp=0.2)
    music = analyse(audio + melody[: len(audio)], words, tracker)
    assert not music.overall.measured and "music" in music.overall.note
    assert [h for h in music.hesitations if h.source == "voice"] == []
