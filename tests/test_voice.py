"""Voice analysis on synthetic signals: a sweep varies, a held tone is monotone, held "uh"-like tones in
the pauses are found as hesitations, and bad input (silence, noise, clipping, music, voices out of range)
gives "could not measure pitch" or a note, never a crash or a made-up figure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from starcoach.devices.pitch import SwiftF0Tracker
from starcoach.hesitation import MIN_S, find_filled_pauses, merge
from starcoach.pitch_track import PitchTrack, YinTracker
from starcoach.records import Evidence, Section, Word, sections_from_labels
from starcoach.voice import from_audio, from_stored, summarise
from starcoach.voice_measures import Contour, check_audio, contour_from_track
from tests.builders.audio import RATE, harmonic, syllables

TRACKERS = [pytest.param(YinTracker(), id="yin"), pytest.param(SwiftF0Tracker(threads=1), id="swift-f0")]






def words_over(start: float, end: float, n: int, text: str = "word") -> list[Word]:
    step = (end - start) / n
    return [Word(f"{text}{'.' if i == n - 1 else ''}", start + i * step, start + (i + 1) * step) for i in range(n)]


def one_section(words: list[Word]) -> list[Section]:
    return [Section("answer", tuple(words), words[0].start, words[-1].end)]


def analyse(audio, words, tracker, sections=None, fillers=()):
    return from_audio(audio, tracker)(words, sections or one_section(words), fillers)


# --------------------------------------------------------------------------- variety and monotone


@pytest.mark.parametrize("tracker", TRACKERS)
def test_a_sweep_has_high_variation_and_a_held_tone_is_monotone(tracker) -> None:
    sweep = syllables(harmonic(lambda t: 100 * 2 ** (t / 8), 8.0))  # one octave in 8 s
    held = syllables(harmonic(150, 8.0))
    v_sweep = analyse(sweep, words_over(0, 8, 16), tracker)
    v_held = analyse(held, words_over(0, 8, 16), tracker)
    assert v_sweep.overall.measured and v_held.overall.measured
    # a uniform octave has a spread of 12 / sqrt(12) = 3.46 semitones
    assert 3.0 < v_sweep.overall.pitch_variation_st < 3.9
    assert 0.15 < v_sweep.overall.variation_quotient < 0.3
    assert v_held.overall.pitch_variation_st < 0.3 and v_held.overall.variation_quotient < 0.02
    assert abs(v_held.overall.mean_f0_hz - 150) < 3
    assert v_sweep.monotone == ()
    assert len(v_held.monotone) == 1
    m = v_held.monotone[0]
    assert m.start == pytest.approx(0.0, abs=0.01) and m.end == pytest.approx(8.0, abs=0.01)
    assert m.variation_st < 0.3 and m.section == "answer" and m.text.endswith("word.")


def test_a_monotone_stretch_names_the_sentence_it_falls_in() -> None:
    # 6 s of lively speech (a fast vibrato-like wobble of +-3 st), then 7 s held flat.
    lively = harmonic(lambda t: 140 * 2 ** (3 * np.sin(2 * np.pi * 0.7 * t) / 12), 6.0)
    audio = syllables(np.concatenate([lively, harmonic(120, 7.0)]))
    first = [Word("We", 0.0, 1.0), Word("shipped", 1.0, 3.0), Word("it.", 3.0, 6.0)]
    second = [Word("Then", 6.0, 8.0), Word("nothing", 8.0, 10.0), Word("changed", 10.0, 12.0), Word("at all.", 12.0, 13.0)]
    words = first + second
    sections = sections_from_labels(words, ["situation"] * 3 + ["action"] * 4)
    v = analyse(audio, words, YinTracker(), sections)
    assert len(v.monotone) == 1
    m = v.monotone[0]
    assert 5.0 <= m.start <= 7.0 and m.end == pytest.approx(13.0, abs=0.05)
    assert m.section == "action"
    assert m.sentence.startswith("Then nothing changed") and m.sentence_start == 6.0
    assert v.sections["situation"].pitch_variation_st > 1.5 > v.sections["action"].pitch_variation_st
    assert v.sections["task"].measured is False and "could not measure pitch" in v.sections["task"].note


# --------------------------------------------------------------------------- hesitations


def speech_with_pauses(fill: dict[int, np.ndarray], n: int = 8):
    """n "words" (0.6 s gliding tones) with 0.7 s pauses; pause i holds fill[i] in its middle."""
    parts, words, t = [], [], 0.0
    for i in range(n):
        word = harmonic(lambda x: 130 * 2 ** (4 * x / 0.6 / 12), 0.6)  # a 4-semitone rise
        parts.append(word)
        words.append(Word(f"w{i}", t, t + 0.6))
        t += 0.6
        if i < n - 1:
            gap = np.zeros(int(0.7 * RATE), dtype=np.float32)
            if i in fill:
                f = fill[i]
                at = (len(gap) - len(f)) // 2
                gap[at: at + len(f)] = f
            parts.append(gap)
            t += 0.7
    return np.concatenate(parts), words


@pytest.mark.parametrize("tracker", TRACKERS)
def test_inserted_uh_like_segments_are_found_between_the_words(tracker) -> None:
    uh = harmonic(110, 0.4)  # a held vowel at speaking level
    glide = harmonic(lambda x: 100 * 2 ** (10 * x / 0.4 / 12), 0.4)  # moves 10 semitones: not a filled pause
    blip = harmonic(110, MIN_S / 2)  # too short
    quiet = harmonic(110, 0.4, amp=0.002)  # far under the speech: background
    audio, words = speech_with_pauses({1: uh, 3: glide, 4: uh, 5: blip, 6: quiet})
    found = find_filled_pauses(tracker.track(audio), words)
    # pause i runs from 0.6 + 1.3 i; the "uh" sits 0.15 s into it, for 0.4 s
    expected = [0.6 + 1.3 * i + 0.15 for i in (1, 4)]
    assert len(found) == 2, found
    for (s, e, pitch), want in zip(found, expected, strict=True):
        assert abs(s - want) < 0.08 and abs(e - (want + 0.4)) < 0.08
        assert abs(pitch - 110) < 4
    v = analyse(audio, words, tracker)
    assert [h.source for h in v.hesitations] == ["voice", "voice"]
    assert v.hesitations_per_min == pytest.approx(2 * 60 / words[-1].end, rel=0.01)


def test_fillers_whisper_wrote_merge_with_those_heard() -> None:
    heard = [(1.0, 1.4, 110.0), (5.0, 5.3, 112.0)]
    written = [Evidence("um,", 0.95, 1.35), Evidence("uh", 3.0, 3.2), Evidence("you know", 4.0, 4.4)]
    words = [Word("a", 0.0, 0.5), Word("b", 6.0, 6.5)]
    sections = one_section(words)
    out = merge(heard, written, sections)
    assert [(h.source, h.text) for h in out] == [("both", "um,"), ("words", "uh"), ("voice", "(filled pause)")]
    assert out[0].pitch_hz == 110.0  # "you know" is a filler word, not a hesitation


def test_a_filler_written_late_in_the_same_pause_is_the_sound_heard() -> None:
    # tiny.en writes "Um," 0.7 s after the sound, with no duration, in the same gap between two words
    words = [Word("phones.", 3.2, 4.1), Word("Um,", 4.8, 4.8), Word("I", 5.1, 5.2), Word("owned", 5.2, 5.4)]
    heard = [(4.14, 4.46, 110.0), (6.0, 6.3, 100.0)]
    out = merge(heard, [Evidence("Um,", 4.8, 4.8)], one_section(words), words=words)
    assert [(h.source, h.start, h.end) for h in out] == [("both", 4.14, 4.46), ("voice", 6.0, 6.3)]
    # a filler written on the far side of a real word is another sound
    out = merge([(5.6, 5.9, 100.0)], [Evidence("Um,", 4.8, 4.8)], one_section(words), words=words)
    assert [h.source for h in out] == ["words", "voice"]


def test_written_filler_spellings_are_hesitations_without_a_track() -> None:
    from starcoach.hesitation import hesitations

    words = [Word("So", 0, 0.3), Word("Err.", 0.5, 0.8), Word("we", 1.0, 1.2), Word("Hmm,", 1.4, 1.8)]
    out = hesitations(None, words, one_section(words), ())
    assert [h.text for h in out] == ["Err.", "Hmm,"] and {h.source for h in out} == {"words"}


def test_a_written_filler_is_a_filler_sound_and_punctuation_alone_is_not() -> None:
    from starcoach.hesitation import written_fillers

    # Fixed with the one normaliser: "..." was taken for a filler (nothing left after stripping
    # counted as all fillers) and "Um\u2014" / "Um\u2026" were not (the dash stayed on the word).
    words = [Word("...", 0, 0.2), Word("Um\u2014", 0.5, 0.8), Word("Um\u2026", 1.0, 1.2), Word(":)", 1.4, 1.5)]
    assert [e.text for e in written_fillers(words)] == ["Um\u2014", "Um\u2026"]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("tracker", TRACKERS)
def test_silence_and_noise_cannot_be_measured(tracker) -> None:
    words = words_over(0, 6, 12)
    for audio in (np.zeros(6 * RATE, dtype=np.float32),
                  (0.1 * np.random.default_rng(0).standard_normal(6 * RATE)).astype(np.float32)):
        v = analyse(audio, words, tracker)
        assert not v.overall.measured
        assert v.overall.pitch_variation_st is None and v.overall.variation_quotient is None
        assert v.overall.note.startswith("could not measure pitch")
        assert v.monotone == () and v.hesitations == ()
        json.dumps(v.to_dict(), allow_nan=False)  # no NaN reaches the JSON


def test_clipping_drops_the_loudness_figure_but_keeps_pitch() -> None:
    audio = np.clip(syllables(harmonic(lambda t: 120 * 2 ** (t / 6), 6.0, amp=1.0)) * 3, -1, 1)
    assert check_audio(audio).clipped
    v = analyse(audio, words_over(0, 6, 12), YinTracker())
    assert v.overall.measured and v.overall.loudness_variation_db is None
    assert any("clips" in n for n in v.notes)
    assert "clips" in v.overall.note


@pytest.mark.parametrize("tracker", TRACKERS)
def test_music_under_the_pauses_is_not_measured_as_a_voice(tracker) -> None:
    audio, words = speech_with_pauses({}, n=8)
    audio = audio + harmonic(lambda t: 220 * 2 ** (np.floor(t * 2) % 5 / 12), len(audio) / RATE, amp=0.15)
    v = analyse(audio, words, tracker)
    assert not v.overall.measured and "music" in v.overall.note
    assert v.hesitations == () and v.monotone == ()
    # a hum or a melody under speech with hardly a pause: voiced nearly all the time
    words = words_over(0, 8, 16)
    v = analyse(harmonic(lambda t: 200 * 2 ** (np.floor(t * 2) % 5 / 12), 8.0), words, tracker)
    assert not v.overall.measured and "under the speech" in v.overall.note


@pytest.mark.parametrize("tracker", TRACKERS)
def test_very_low_and_very_high_voices(tracker) -> None:
    words = words_over(0, 5, 10)
    low = analyse(syllables(harmonic(lambda t: 62 * 2 ** (np.sin(t * 3) * 2 / 12), 5.0)), words, tracker)
    high = analyse(syllables(harmonic(lambda t: 450 * 2 ** (np.sin(t * 3) * 2 / 12), 5.0)), words, tracker)
    assert low.overall.measured and 55 < low.overall.mean_f0_hz < 70
    assert high.overall.measured and 400 < high.overall.mean_f0_hz < 500
    assert 1.0 < low.overall.pitch_variation_st < 2.0 and 1.0 < high.overall.pitch_variation_st < 2.0
    whistle = analyse(syllables(harmonic(1200, 5.0)), words, tracker)  # above any speaking voice
    assert not whistle.overall.measured


def test_octave_errors_are_dropped_not_averaged() -> None:
    f0 = np.full(500, 120.0)
    f0[::25] = 240.0  # a tracker's octave jumps
    f0[(np.arange(500) // 6) % 4 == 3] = np.nan  # unvoiced a quarter of the time, as speech is
    track = PitchTrack(0.016, f0, np.full(500, -20.0))
    contour = contour_from_track(track)
    words = words_over(0, 8, 16)
    out = summarise(contour, words, one_section(words))
    assert out.overall.pitch_variation_st < 0.1


# --------------------------------------------------------------------------- the stored contour


def test_the_stored_voice_gives_the_same_figures_again() -> None:
    audio = syllables(np.concatenate([harmonic(lambda t: 120 * 2 ** (np.sin(t * 2) * 3 / 12), 6.0), harmonic(130, 6.0)]))
    words = words_over(0, 12, 24)
    sections = sections_from_labels(words, ["situation"] * 6 + ["task"] * 6 + ["action"] * 8 + ["result"] * 4)
    first = analyse(audio, words, YinTracker(), sections)
    stored = json.loads(json.dumps(first.to_dict(), allow_nan=False))
    again = from_stored(stored)(words, sections, ())
    a, b = first.to_dict(), again.to_dict()
    for key in ("pitch_variation_st", "variation_quotient", "loudness_variation_db", "mean_f0_hz"):
        assert a["overall"][key] == pytest.approx(b["overall"][key], abs=0.02)
    assert a["monotone"] == b["monotone"]
    assert from_stored(None) is None and from_stored({"contour": "damaged"}) is None
    assert Contour.from_dict({"step_s": "x"}) is None and Contour.from_dict({"step_s": 0.1, "pitch_hz": [1], "loudness_db": []}) is None


def test_swift_f0_in_short_windows_gives_the_frames_of_one_long_call() -> None:
    import swift_f0

    rng = np.random.default_rng(3)
    audio = syllables(harmonic(lambda t: 120 * 2 ** (np.sin(t * 1.3) * 4 / 12), 9.0))
    audio = audio + (0.01 * rng.standard_normal(len(audio))).astype(np.float32)
    ours = SwiftF0Tracker().track(audio)
    whole = swift_f0.SwiftF0(threads=1).detect(audio, RATE, fmin=50, fmax=600)
    f0 = np.where(whole.confidence >= 0.5, whole.pitch_hz, np.nan)
    assert len(ours.f0_hz) == len(f0)
    assert np.array_equal(np.isnan(ours.f0_hz), np.isnan(f0))
    assert np.allclose(ours.f0_hz[~np.isnan(f0)], f0[~np.isnan(f0)], atol=1e-3)
    assert np.allclose(ours.loudness_db, whole.loudness_db, atol=1e-6)


def test_a_quiet_recording_is_scaled_for_the_model_and_its_levels_stay_true() -> None:
    loud = syllables(harmonic(lambda t: 130 * 2 ** (np.sin(t * 2) * 3 / 12), 5.0, amp=0.2))
    quiet = (loud * 0.01).astype(np.float32)  # peak about -40 dBFS
    a, b = SwiftF0Tracker().track(loud), SwiftF0Tracker().track(quiet)
    assert np.isfinite(b.f0_hz).sum() >= 0.9 * np.isfinite(a.f0_hz).sum()
    sel = np.isfinite(a.f0_hz) & np.isfinite(b.f0_hz)
    assert np.median(a.loudness_db[sel] - b.loudness_db[sel]) == pytest.approx(40.0, abs=0.5)


@pytest.mark.parametrize("tracker", TRACKERS)
def test_tracking_a_take_as_it_arrives_gives_the_frames_of_the_whole_take(tracker) -> None:
    from starcoach.pitch_track import IncrementalTrack

    rng = np.random.default_rng(1)
    x = syllables(harmonic(lambda t: 120 * 2 ** (np.sin(t) * 3 / 12), 13.3))
    x = x + (0.01 * rng.standard_normal(len(x))).astype(np.float32)
    inc = IncrementalTrack(tracker)
    i = 0
    while i < len(x):
        k = int(rng.integers(100, 4000))
        inc.feed(x[i: i + k])
        i += k
    audio, track = inc.finish()
    whole = tracker.track(x)
    assert np.array_equal(audio, x)
    assert np.array_equal(np.isnan(track.f0_hz), np.isnan(whole.f0_hz))
    assert np.allclose(track.f0_hz, whole.f0_hz, equal_nan=True) and np.allclose(track.loudness_db, whole.loudness_db)
    empty = IncrementalTrack(tracker).finish()
    assert len(empty[0]) == 0 and len(empty[1].f0_hz) == 0
