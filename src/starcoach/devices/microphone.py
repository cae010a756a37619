"""Record an answer from the microphone into a WAV file, block by block, as it is spoken.

Two parts that can be used and tested apart:

* the stream: `SoundDeviceMicrophone` opens a `sounddevice.InputStream` whose callback (on
  PortAudio's thread) only puts a copy of each block on a `queue.Queue`;
* the writer: `write_take()` drains that queue on the calling thread, writes every block to an
  open `soundfile.SoundFile` as it arrives, hands each block and its status to the take's sink
  and asks `should_stop` after each block.

The WAV's header sizes are rewritten and the file synced every `flush_s` seconds of audio, so a
take whose process is killed is still a valid WAV holding all but the last `flush_s` seconds.
Ctrl-C ends the take and keeps it (``stopped_by="interrupt"``). Level maths and the stop rules
are in levels.py; finding and opening PortAudio, in devices/portaudio.py.

`sounddevice` is imported only when a device is used: importing this module needs no sound card.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from starcoach.audio import as_pcm16
from starcoach.devices import portaudio
from starcoach.errors import StarcoachError
from starcoach.levels import SPEECH_RMS, Level, RecordingStatus, SpeechTracker, block_level

__all__ = ["Recording", "SoundDeviceMicrophone", "TakeSink", "TakeSource", "write_take"]

log = logging.getLogger("starcoach.microphone")

_SFC_UPDATE_HEADER_NOW = 0x1060  # libsndfile: rewrite the header sizes of a file open for writing


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Recording:
    """A finished take, already closed on disk."""

    path: Path
    duration_s: float
    sample_rate: int
    stopped_by: str  # "enter" | "interrupt" | "silence" | "max_length" | "callback" | "write_error" | "input"
    error: str | None = None  # with "write_error": why the file could not be written (disk full, size limit)


class TakeSink(Protocol):
    """What a take is handed to while it is written: each block's samples, then (from the
    microphone) the status after it. The practice loop's sink feeds the live transcription, the
    pitch tracking, the recording panel and the Enter key (take.py)."""

    def audio(self, block: np.ndarray, rate: int) -> None: ...  # the block as saved, to the bit; (frames,) if mono

    def status(self, status: RecordingStatus) -> None: ...


class TakeSource(Protocol):
    """Where a take comes from: the microphone, or a recording given with --input (devices/file_input.py).

    `record` writes the take to `path` and hands it to `sink` as it goes; `realtime` says whether the
    take is heard as it is spoken (the microphone: a live panel, Enter, live words) or known whole at
    once (a file: transcribed whole, and never stopped early).
    """

    realtime: bool

    def record(
        self,
        path: Path,
        *,
        should_stop: Callable[[RecordingStatus], bool],
        sink: TakeSink | None = None,
    ) -> Recording: ...


# --------------------------------------------------------------------------- the writer


def _update_header(sf_file: Any) -> None:
    """Ask libsndfile to rewrite the WAV header sizes now, so a killed take reads in any reader.

    libsndfile and ffmpeg read a WAV whose header still says 0 bytes anyway; Python's `wave`
    does not. This uses soundfile's private handle; if that changes, we only lose the rewrite.
    """
    with contextlib.suppress(AttributeError, TypeError):
        import soundfile

        soundfile._snd.sf_command(sf_file._file, _SFC_UPDATE_HEADER_NOW, soundfile._ffi.NULL, 0)


def _pending(blocks: queue.Queue) -> Iterator[np.ndarray]:
    """The blocks already queued, without waiting for more."""
    for _ in range(blocks.qsize()):
        try:
            yield blocks.get_nowait()
        except queue.Empty:
            return


def write_take(
    blocks: queue.Queue,
    path: Path,
    *,
    sample_rate: int,
    channels: int = 1,
    should_stop: Callable[[RecordingStatus], bool],
    sink: TakeSink | None = None,
    speech_rms: float = SPEECH_RMS,
    flush_s: float = 0.5,
    poll_s: float = 0.25,
    stall_s: float = 5.0,
) -> Recording:
    """Drain float32 blocks from `blocks` into a 16-bit WAV at `path`, each as it arrives.

    Returns when `should_stop(status)` is true or on Ctrl-C; the file is closed properly either
    way. `should_stop` is also asked every `poll_s` while no block arrives (so Enter works on a
    stalled device), and after `stall_s` without a block the take fails with StarcoachError.
    Blocks are (frames, channels) or (frames,) arrays; `sink.audio` gets (frames,) for mono, then
    `sink.status` the status after the block.
    """
    import soundfile

    path = Path(path)
    tracker = SpeechTracker(speech_rms)
    frames = 0
    flushed_frames = 0
    flush_every = max(1, int(flush_s * sample_rate))
    status = RecordingStatus(0.0, Level(0.0, 0.0), False, 0.0, sample_rate)
    stopped_by: str | None = None
    waited_s = 0.0

    def write(sf_file: Any, block: np.ndarray) -> None:
        nonlocal frames, flushed_frames, status
        block = np.asarray(block, dtype=np.float32)
        if block.ndim == 1:
            block = block[:, np.newaxis]
        pcm = as_pcm16(block)
        try:
            sf_file.write(pcm)
            frames += len(block)
            if frames - flushed_frames >= flush_every:
                _update_header(sf_file)
                sf_file.flush()
                flushed_frames = frames
        except (OSError, RuntimeError) as e:  # soundfile.LibsndfileError is a RuntimeError
            raise _WriteFailed(_write_reason(e, path)) from None
        level = block_level(block)
        elapsed = frames / sample_rate
        silence = tracker.update(elapsed, level)
        status = RecordingStatus(elapsed, level, tracker.speech_started, silence, sample_rate)
        if sink is not None:
            saved = pcm.astype(np.float32) / np.float32(32768.0)  # the file's samples, to the bit
            sink.audio(saved[:, 0] if channels == 1 else saved, sample_rate)
            sink.status(status)

    error: str | None = None
    try:
        sf_file = soundfile.SoundFile(path, "w", samplerate=sample_rate, channels=channels, format="WAV",
                                      subtype="PCM_16")
    except (OSError, RuntimeError) as e:
        raise StarcoachError(f"cannot write the take to {path}: {_write_reason(e)}") from None
    try:
        _update_header(sf_file)  # a valid empty WAV from the start
        try:
            while stopped_by is None:
                try:
                    block = blocks.get(timeout=poll_s)
                except queue.Empty:
                    waited_s += poll_s
                    if should_stop(status):
                        stopped_by = getattr(should_stop, "reason", None) or "callback"
                    elif waited_s >= stall_s:
                        raise StarcoachError(
                            f"the microphone sent no audio for {stall_s:.0f} s; {portaudio.HINT}"
                        ) from None
                    continue
                waited_s = 0.0
                write(sf_file, block)
                if should_stop(status):
                    stopped_by = getattr(should_stop, "reason", None) or "callback"
        except KeyboardInterrupt:
            stopped_by = "interrupt"
        except _WriteFailed as e:  # disk full, file-size limit: the take ends; what is written stays
            stopped_by, error = "write_error", str(e)
        if stopped_by not in ("max_length", "write_error"):
            try:
                for block in _pending(blocks):  # what was already recorded when the stop came
                    write(sf_file, block)
            except _WriteFailed as e:
                stopped_by, error = "write_error", str(e)
    finally:
        try:
            sf_file.close()
        except (OSError, RuntimeError) as e:  # the header of a full disk's file: it reads without it
            if error is None and stopped_by is not None:
                stopped_by, error = "write_error", _write_reason(e, path)
    log.info("recorded %.1f s to %s (stopped by %s%s)", frames / sample_rate, path, stopped_by,
             f": {error}" if error else "")
    return Recording(path, frames / sample_rate, sample_rate, stopped_by, error)


class _WriteFailed(Exception):
    """A block could not be written to the take's file."""


def _write_reason(error: BaseException, path: Path | None = None) -> str:
    """Why writing failed, in words: libsndfile only says "System error." for a full disk or a
    file-size limit, so those two are looked for."""
    errno = getattr(error, "errno", None)
    if isinstance(errno, int) and errno:
        return os.strerror(errno)
    if path is not None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            vfs = os.statvfs(path.parent)
            if vfs.f_bavail * vfs.f_frsize < 1 << 20:
                return "the disk is full"
        with contextlib.suppress(OSError, ValueError, ImportError):
            import resource

            limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
            if limit != resource.RLIM_INFINITY and path.stat().st_size >= limit - (1 << 16):
                return f"the file-size limit ({limit} bytes) was reached"
    text = " ".join(str(error).split()) or type(error).__name__
    return text.removeprefix("Error opening ").strip()


# --------------------------------------------------------------------------- the device


class SoundDeviceMicrophone:
    """The real microphone, through PortAudio (sounddevice).

    `device` is an index or (part of) a name from `starcoach devices`; None is the system default.
    Records at `sample_rate` (16 kHz by default) when the device accepts it, else at the device's
    own rate (logged; `Recording.sample_rate` says which).
    """

    realtime = True

    def __init__(
        self,
        device: int | str | None = None,
        *,
        sample_rate: int = 16000,
        channels: int = 1,
        block_s: float = 0.1,
        speech_rms: float = SPEECH_RMS,
    ) -> None:
        self.device = device
        self.sample_rate = sample_rate
        self.channels = channels
        self.block_s = block_s
        self.speech_rms = speech_rms

    def check(self) -> None:
        """StarcoachError now, in one line, if this microphone is missing or cannot record."""
        self._open_settings(portaudio.load_sounddevice())

    def _open_settings(self, sd: ModuleType) -> tuple[dict, int]:
        """The device's info and the rate to record at; StarcoachError when there is no such mic."""
        try:
            info = sd.query_devices(self.device, "input")
        except (sd.PortAudioError, ValueError) as e:
            what = "no microphone found"
            if self.device is not None:
                what = f"no microphone {self.device!r}"
            raise StarcoachError(f"{what} (PortAudio: {e}); {portaudio.HINT}") from None
        if info["max_input_channels"] < self.channels:
            raise StarcoachError(
                f"microphone {info['name']!r} has {info['max_input_channels']} input channels, "
                f"{self.channels} needed; {portaudio.HINT}"
            )
        rate = self.sample_rate
        try:
            sd.check_input_settings(
                device=info["index"], channels=self.channels, dtype="float32", samplerate=rate
            )
        except sd.PortAudioError:
            rate = int(info["default_samplerate"])
            log.warning(
                "microphone %r does not record at %d Hz; recording at its own %d Hz",
                info["name"], self.sample_rate, rate,
            )
        return info, rate

    def record(
        self,
        path: Path,
        *,
        should_stop: Callable[[RecordingStatus], bool],
        sink: TakeSink | None = None,
    ) -> Recording:
        sd = portaudio.load_sounddevice()
        info, rate = self._open_settings(sd)
        blocks: queue.Queue[np.ndarray] = queue.Queue()

        def callback(indata: np.ndarray, frames: int, time: Any, status: Any) -> None:
            blocks.put(indata.copy())  # runs on PortAudio's thread: nothing else here

        try:
            stream = sd.InputStream(
                device=info["index"],
                samplerate=rate,
                channels=self.channels,
                dtype="float32",
                blocksize=max(1, int(rate * self.block_s)),
                callback=callback,
            )
        except sd.PortAudioError as e:
            raise StarcoachError(
                f"could not open microphone {info['name']!r}: {e}; {portaudio.HINT}"
            ) from None
        log.info("recording from %r at %d Hz into %s", info["name"], rate, path)
        with stream:
            return write_take(
                blocks,
                Path(path),
                sample_rate=rate,
                channels=self.channels,
                should_stop=should_stop,
                sink=sink,
                speech_rms=self.speech_rms,
                stall_s=max(5.0, 10 * self.block_s),
            )
