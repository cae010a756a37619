"""The real Whisper models on real and synthetic speech (slow: about a minute in all).

Each model is loaded once per module; base is joined once per run into the session's
temporary cache (conftest's `model_cache`). Run only these with `pytest -m model`.
"""

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from starcoach.audio import SAMPLE_RATE, load_audio
from starcoach.devices.transcriber import Transcriber, WhisperTranscriber
from starcoach.records import join_words
from starcoach.wer import normalize, word_error_rate

pytestmark = pytest.mark.model

def _load(name: str, cache: Path) -> WhisperTranscriber:
    # Module-scoped, so conftest's per-test STARCOACH_CACHE is not set yet: set it here, to the
    # same temporary folder, never the user's real cache.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STARCOACH_CACHE", str(cache))
        transcriber = WhisperTranscriber(name)
        transcriber.load()
    return transcriber


@pytest.fixture(scope="module")
def base(model_cache):
    return _load("base", model_cache)


@pytest.fixture(scope="module")
def tiny(model_cache):
    return _load("tiny.en", model_cache)


@pytest.fixture(scope="module")
def audio_dir(shared) -> Path:
    return shared / "audio"


def test_base_on_jfk_is_accurate_with_ordered_times(base, audio_dir):
    audio = load_audio(audio_dir / "jfk.flac")
    duration = len(audio) / SAMPLE_RATE
    progress: list[float] = []

    words = base.transcribe(audio, on_progress=progress.append)

    assert isinstance(base, Transcriber)
    reference = (audio_dir / "jfk.txt").read_text()
    assert word_error_rate(reference, join_words(words)) <= 0.10
    assert all(w.text == w.text.strip() and w.text for w in words)
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert starts[-1] > starts[0]
    assert all(0.0 <= w.start <= w.end <= duration for w in words)
    assert progress and progress == sorted(progress)
    assert progress[-1] == pytest.approx(duration)


def streamed(transcriber: WhisperTranscriber, audio: np.ndarray, pause_every_s: float = 5.0) -> list:
    """Words from the live path, fed in 0.1 s blocks with a moment for the worker every few seconds."""
    stream = transcriber.live_session()
    block = SAMPLE_RATE // 10
    for i in range(0, len(audio), block):
        stream.feed(audio[i:i + block])
        if i % int(pause_every_s * SAMPLE_RATE) < block:
            time.sleep(0.2)
    return stream.finish()


def test_base_on_gb0_whole_and_live(base, audio_dir):
    audio = load_audio(audio_dir / "gb0.wav")
    words = base.transcribe(audio)
    reference = (audio_dir / "gb0.txt").read_text()
    assert word_error_rate(reference, join_words(words)) <= 0.15
    assert words[-1].end <= len(audio) / SAMPLE_RATE
    # The live path decodes the same windows of the same speech: the same words at the same times
    # (gb0's loudest moment is in its first second, so even the feature floor is the same).
    live = streamed(base, audio)
    assert [(w.text, w.start, w.end) for w in live] == [(w.text, w.start, w.end) for w in words]


def test_our_vad_decisions_are_faster_whispers(audio_dir):
    from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

    from starcoach.vad_chunks import VAD_WINDOW, speech_chunks

    for name, seconds in (("hp0_henry_f_phillips.ogg", None), ("hp0_henry_f_phillips.ogg", 101.3), ("jfk.flac", None)):
        audio = load_audio(audio_dir / name)[: int(seconds * SAMPLE_RATE) if seconds else None]
        probs = get_vad_model()(np.pad(audio, (0, VAD_WINDOW - len(audio) % VAD_WINDOW)))
        theirs = [(c["start"], c["end"]) for c in get_speech_timestamps(audio, VadOptions())]
        assert [(c.start, c.end) for c in speech_chunks(probs.ravel(), len(audio))] == theirs, name


def test_tiny_en_on_jfk(tiny, audio_dir):
    audio = load_audio(audio_dir / "jfk.flac")
    words = tiny.transcribe(audio)
    reference = (audio_dir / "jfk.txt").read_text()
    assert word_error_rate(reference, join_words(words)) <= 0.2


def test_times_are_absolute_across_a_long_pause(base, audio_dir):
    # jfk, 10 s of silence, the start of gb0: the VAD cuts the silence out, the words must
    # keep their places. (Not jfk twice: a 30 s window repeating itself trips the compression
    # ratio check and costs five temperature fallbacks.)
    jfk = load_audio(audio_dir / "jfk.flac")
    gb0 = load_audio(audio_dir / "gb0.wav")[: 8 * SAMPLE_RATE]
    audio = np.concatenate([jfk, np.zeros(10 * SAMPLE_RATE, np.float32), gb0])
    words = base.transcribe(audio)
    first = [w for w in words if w.start < 11.0]
    second = [w for w in words if w.start >= 11.0]
    assert len(first) >= 15
    assert any(w.text.lower().startswith("morning") for w in second)
    assert second[0].start >= 21.0 - 0.5
    # Live, the pause lets the first speech be decoded early; the words after it redo that window.
    assert [(w.text, w.start) for w in streamed(base, audio, pause_every_s=1.0)] == [(w.text, w.start) for w in words]


@pytest.mark.parametrize("model", ["base", "tiny"])
def test_silence_gives_no_words(model, request):
    transcriber = request.getfixturevalue(model)
    assert transcriber.transcribe(np.zeros(30 * SAMPLE_RATE, np.float32)) == []


@pytest.mark.parametrize("model", ["base", "tiny"])
def test_low_white_noise_gives_no_words(model, request):
    transcriber = request.getfixturevalue(model)
    noise = np.random.default_rng(0).normal(0.0, 0.01, 20 * SAMPLE_RATE).astype(np.float32)
    assert transcriber.transcribe(noise) == []


@pytest.mark.audio
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_base_on_synthetic_speech(base, tmp_path):
    text = (
        "Last spring our team had to move the billing service to a new database. "
        "I planned the migration in small steps and we finished two weeks early."
    )
    wav = tmp_path / "answer.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)

    words = base.transcribe(load_audio(wav))

    assert word_error_rate(text, join_words(words)) <= 0.15


@pytest.mark.audio
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_base_keeps_fillers(base, tmp_path):
    # starcoach counts fillers, so they must survive transcription (no prompt, which would
    # make Whisper tidy them away). Measured: base writes espeak's "uh" as "uh" here.
    text = (
        "So the situation was, uh, our biggest client was unhappy. "
        "I called them every week, and, uh, we kept the contract."
    )
    wav = tmp_path / "fillers.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)

    words = base.transcribe(load_audio(wav))

    spoken = normalize(join_words(words))
    assert spoken.count("uh") + spoken.count("um") >= 1, spoken


def test_the_live_reference_level_is_the_loudest_bin_of_the_whole_speech(base, audio_dir):
    """Whisper clamps quiet bins relative to the loudest of the whole file; the live path works it
    out 30 s at a time (with a cache), and must get the same value for any length."""
    from starcoach.devices.transcriber import DECODE_OPTIONS
    from starcoach.devices.whisper_windows import WhisperWindows

    windows = WhisperWindows.for_model(base.load(), dict(DECODE_OPTIONS))
    speech = load_audio(audio_dir / "gb0.wav")[: 75 * SAMPLE_RATE]
    for n in (len(speech), len(speech) - 12345, 30 * SAMPLE_RATE, 30 * SAMPLE_RATE + 77, 5 * SAMPLE_RATE):
        whole = base.load().feature_extractor(speech[:n])  # normalised: the clamp is at max - 8 -> (max + 4) / 4
        assert (windows.reference(speech[:n]) + 4.0) / 4.0 == pytest.approx(float(whole.max()), abs=1e-6), n
