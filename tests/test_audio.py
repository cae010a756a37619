import numpy as np
import pytest
import soundfile as sf

from starcoach.audio import SAMPLE_RATE, load_audio
from starcoach.errors import StarcoachError


def _tone(seconds: float, rate: int, freq: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_stereo_44k_wav_becomes_16k_mono_float32(tmp_path):
    path = tmp_path / "stereo.wav"
    tone = _tone(1.5, 44100)
    sf.write(path, np.stack([tone, tone], axis=1), 44100, subtype="PCM_16")

    audio = load_audio(path)

    assert audio.dtype == np.float32
    assert audio.ndim == 1
    assert abs(len(audio) - int(1.5 * SAMPLE_RATE)) <= 32
    # Both channels carry the same tone, so the mono mix keeps its level (0.5 peak, RMS 0.354).
    middle = audio[1000:-1000]
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_16k_mono_wav_round_trips(tmp_path):
    path = tmp_path / "mono.wav"
    tone = _tone(0.5, SAMPLE_RATE)
    sf.write(path, tone, SAMPLE_RATE, subtype="PCM_16")

    audio = load_audio(str(path))

    assert len(audio) == len(tone)
    assert np.max(np.abs(audio - tone)) < 1e-3


# FFmpeg's Vorbis decoder keeps the encoder's last-packet padding (here 350 of 22050 samples,
# 16 ms of silence), so Ogg gets a looser length check.
@pytest.mark.parametrize(("suffix", "fmt", "slack"), [(".flac", "FLAC", 32), (".ogg", "OGG", 800)])
def test_other_formats_decode(tmp_path, suffix, fmt, slack):
    path = tmp_path / f"tone{suffix}"
    sf.write(path, _tone(1.0, 22050), 22050, format=fmt)

    audio = load_audio(path)

    assert abs(len(audio) - SAMPLE_RATE) <= slack


def test_missing_file_is_a_starcoach_error_naming_it(tmp_path):
    path = tmp_path / "nowhere.wav"
    with pytest.raises(StarcoachError, match=r"nowhere\.wav") as caught:
        load_audio(path)
    assert "no such file" in str(caught.value)


def test_text_file_renamed_wav_is_rejected(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio, just some text\n" * 20)
    with pytest.raises(StarcoachError, match=r"notes\.wav") as caught:
        load_audio(path)
    assert "not an audio file" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_zero_byte_file_is_rejected(tmp_path):
    path = tmp_path / "zero.wav"
    path.write_bytes(b"")
    with pytest.raises(StarcoachError, match=r"zero\.wav"):
        load_audio(path)


def test_wav_without_samples_is_rejected(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), SAMPLE_RATE)
    with pytest.raises(StarcoachError, match=r"empty\.wav") as caught:
        load_audio(path)
    assert "no audio samples" in str(caught.value)


def test_folder_is_rejected(tmp_path):
    folder = tmp_path / "take1.wav"
    folder.mkdir()
    with pytest.raises(StarcoachError, match=r"take1\.wav"):
        load_audio(folder)
