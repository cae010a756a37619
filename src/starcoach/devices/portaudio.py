"""PortAudio through sounddevice, as the microphone, the speaker and playback share it: loading it
quietly, finding an output device, listing devices, and the wording of its errors.

`sounddevice` is imported only by `load_sounddevice()`: importing this module needs no sound card.
Callers reach it as `portaudio.load_sounddevice()`, so a test can put a fake module in its place.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from starcoach.errors import StarcoachError

__all__ = ["HINT", "cannot_play", "list_devices", "load_sounddevice", "output_device", "quiet_stderr"]

HINT = "run `starcoach devices` to see what is available"


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send fd 2 to /dev/null for a moment: ALSA's C code prints probing noise there."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def load_sounddevice() -> ModuleType:
    """Import sounddevice (which starts PortAudio) quietly; StarcoachError if it is absent."""
    try:
        with quiet_stderr():
            import sounddevice
    except OSError as e:  # sounddevice raises OSError when libportaudio is not installed
        raise StarcoachError(
            f"no audio system: PortAudio is missing ({e}); install libportaudio2"
        ) from None
    except ImportError as e:
        raise StarcoachError(f"no audio system: the sounddevice package is missing ({e})") from None
    return sounddevice


def output_device(sd: ModuleType, device: int | str | None) -> dict[str, Any]:
    """The output device `device` (index, name, None for the default); StarcoachError when none."""
    try:
        return sd.query_devices(device, "output")
    except (sd.PortAudioError, ValueError) as e:
        raise StarcoachError(f"no audio output device found (PortAudio: {e})") from None


def cannot_play(info: dict[str, Any], error: BaseException) -> StarcoachError:
    return StarcoachError(f"could not play sound on {info['name']!r}: {error}")


def list_devices() -> list[dict]:
    """Every audio device PortAudio sees, as plain dicts (for `starcoach devices`)."""
    sd = load_sounddevice()
    try:
        default_in, default_out = sd.default.device
        found = sd.query_devices()
    except sd.PortAudioError as e:
        raise StarcoachError(f"could not list audio devices: {e}") from None
    return [
        {
            "name": d["name"],
            "index": d["index"],
            "max_input_channels": d["max_input_channels"],
            "max_output_channels": d["max_output_channels"],
            "default_samplerate": d["default_samplerate"],
            "is_default_input": d["index"] == default_in,
            "is_default_output": d["index"] == default_out,
        }
        for d in found
    ]
