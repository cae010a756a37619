"""Decoding audio files into what Whisper takes: float32 mono samples at 16 kHz; and the two
conversions a take goes through: to the 16-bit samples it is saved as, and to 16 kHz.

Decoding goes through PyAV (faster-whisper's `decode_audio`), which bundles FFmpeg's
libraries: wav, flac, mp3, ogg, m4a, webm... work without an ffmpeg binary.
"""

from __future__ import annotations

import os

import numpy as np

from starcoach.errors import StarcoachError

__all__ = ["SAMPLE_RATE", "as_pcm16", "load_audio", "resample"]

SAMPLE_RATE = 16000
# The longest recording decoded: an answer is minutes long, and the whole file is decoded into memory
# (a two-hour file peaked at 1.8 GB). `practice --max-minutes` has the same bound.
MAX_AUDIO_S = 30 * 60.0


def as_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples as the 16-bit integers a take is saved as. The recorder writes these, and
    hands the live transcription `as_pcm16(x) / 32768`: exactly what decoding the file gives back."""
    scaled = np.rint(np.asarray(samples, dtype=np.float32) * np.float32(32768.0))
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def resample(audio: np.ndarray, rate: int, to: int = SAMPLE_RATE) -> np.ndarray:
    """Linear resampling: enough for speech recognition when a device refuses 16 kHz."""
    if rate == to or len(audio) == 0:
        return audio.astype(np.float32, copy=False)
    n = round(len(audio) * to / rate)
    x = np.linspace(0, len(audio) - 1, n)
    return np.interp(x, np.arange(len(audio)), audio).astype(np.float32)


def load_audio(path: str | os.PathLike) -> np.ndarray:
    """Decode `path` to a 1-D float32 array, mono, at SAMPLE_RATE.

    Raises StarcoachError naming the file when it is missing, is not audio PyAV can decode,
    or holds no samples.
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise StarcoachError(f"cannot read audio from {name}: no such file")
    if os.path.isdir(name):
        raise StarcoachError(f"cannot read audio from {name}: it is a folder, not a file")
    length = _probe_seconds(name)
    if length is not None and length > MAX_AUDIO_S:
        raise StarcoachError(f"cannot read audio from {name}: it is {_clock(length)} long; starcoach takes "
                             f"recordings up to {_clock(MAX_AUDIO_S)} (an answer is minutes long): cut it first")
    # faster_whisper takes about a second to import (CTranslate2, tokenizers): only pay when used.
    from faster_whisper.audio import decode_audio

    try:
        audio = decode_audio(name, sampling_rate=SAMPLE_RATE)
    except PermissionError:
        raise StarcoachError(f"cannot read audio from {name}: permission denied") from None
    except IndexError:
        # PyAV's container.decode(audio=0) on a file with no audio stream (an image, a video).
        raise StarcoachError(
            f"cannot read audio from {name}: the file has no audio stream"
        ) from None
    except (OSError, ValueError, RuntimeError) as e:
        # av.error.* subclass OSError or ValueError (InvalidDataError is a ValueError).
        raise StarcoachError(
            f"cannot read audio from {name}: not an audio file or a format PyAV can't decode"
            f" ({_reason(e)})"
        ) from None
    if audio.size == 0:
        raise StarcoachError(f"cannot read audio from {name}: the file holds no audio samples")
    return np.ascontiguousarray(audio, dtype=np.float32)


def _probe_seconds(name: str) -> float | None:
    """The file's length from its header (PyAV, without decoding), or None when it does not say."""
    try:
        import av

        with av.open(name, metadata_errors="ignore") as container:
            streams = [s for s in container.streams if s.type == "audio"]
            if streams and streams[0].duration is not None and streams[0].time_base is not None:
                return float(streams[0].duration * streams[0].time_base)
            if container.duration is not None:
                return container.duration / 1_000_000  # av.time_base
    except Exception:  # anything odd: the decoder below says what is wrong with the file
        return None
    return None


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _reason(error: BaseException) -> str:
    # FFmpegError.strerror is the bare reason ("Invalid data found when processing input");
    # str(error) repeats the errno and the file name.
    text = getattr(error, "strerror", None) or str(error)
    return " ".join(text.split()) or type(error).__name__
