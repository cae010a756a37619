"""The real Whisper models on real and synthetic speech (slow: about a minute in all).

Each model is loaded once per module; base is joined once per run into the session's
temporary cache (conftest's `model_cache`). Run only these with `pytest -m model`.
"""

import shutil
import subprocess
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


def test_base_on_gb0(base, audio_dir):
    audio = load_audio(audio_dir / "gb0.wav")
    words = base.transcribe(audio)
    reference = (audio_dir / "gb0.txt").read_text()
    assert word_error_rate(reference, join_words(words)) <= 0.15
    assert words[-1].end <= len(audio) / SAMPLE_RATE


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
