"""A recording given with `practice --input`, taken as a take: the file device.

It is decoded (audio.load_audio: 16 kHz mono float32), written to the session's path as a 16-bit
WAV, and handed to the take's sink whole, through the same interface as the microphone
(devices/microphone.TakeSource). A file is taken as it is: no stop rule cuts it short.

`soundfile` is imported only when a take is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starcoach.audio import SAMPLE_RATE, load_audio
from starcoach.devices.microphone import Recording, TakeSink
from starcoach.errors import StarcoachError
from starcoach.levels import RecordingStatus

__all__ = ["FileInput"]


class FileInput:
    """The take is the recording at `source`."""

    realtime = False  # known whole at once: transcribed whole, no live panel, no Enter

    def __init__(self, source: Path) -> None:
        self.source = Path(source)

    def record(
        self,
        path: Path,
        *,
        should_stop: Callable[[RecordingStatus], bool] | None = None,
        sink: TakeSink | None = None,
    ) -> Recording:
        """Decode the file, write it to `path` and hand its samples to `sink` as one block.

        The sink gets the decoded samples, not their 16-bit copy on disk: the words are those of
        `starcoach score` on the recording given. `should_stop` is not asked (a file is taken whole).
        """
        import soundfile

        audio = load_audio(self.source)
        try:
            soundfile.write(path, audio, SAMPLE_RATE, subtype="PCM_16")
        except (OSError, RuntimeError) as e:  # soundfile.LibsndfileError is a RuntimeError
            raise StarcoachError(f"cannot write the take to {path}: {' '.join(str(e).split())}") from None
        if sink is not None:
            sink.audio(audio, SAMPLE_RATE)
        return Recording(Path(path), len(audio) / SAMPLE_RATE, SAMPLE_RATE, "input")
