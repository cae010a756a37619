"""Record an answer from the microphone into a WAV file, block by block, as it is spoken.

Two parts that can be used and tested apart:

* the stream: `SoundDeviceMicrophone` opens a `sounddevice.InputStream` whose callback (on
  PortAudio's thread) only puts a copy of each block on a `queue.Queue`;
* the writer: `write_take()` drains that queue on the calling thread, writes every block to an
  open `soundfile.SoundFile` as it arrives, reports levels and asks `should_stop` after each block.

The WAV's header sizes are rewritten and the file synced every `flush_s` seconds of audio, so a
take whose process is killed is still a valid WAV holding all but the last `flush_s` seconds.
Ctrl-C ends the take and keeps it (``stopped_by="interrupt"``).

`sounddevice` is imported only when a device is used: importing this module needs no sound card.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from starcoach.audio import as_pcm16
from starcoach.errors import StarcoachError

__all__ = [
    "Level",
    "Microphone",
    "Recording",
    "RecordingStatus",
    "SoundDeviceMicrophone",
    "SpeechTracker",
    "StopPolicy",
    "block_level",
    "list_devices",
    "load_sounddevice",
    "quiet_stderr",
    "peak",
    "rms",
    "write_take",
]

log = logging.getLogger("starcoach.microphone")

SPEECH_RMS = 0.02  # a block louder than this (RMS of samples in -1..1) counts as speech
_HINT = "run `starcoach devices` to see what is available"
_SFC_UPDATE_HEADER_NOW = 0x1060  # libsndfile: rewrite the header sizes of a file open for writing


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Level:
    """Loudness of one block, both in 0..1 (full scale)."""

    rms: float
    peak: float


@dataclass(frozen=True, slots=True)
class RecordingStatus:
    """What the recorder knows after each block: passed to `should_stop` and `on_block`."""

    elapsed_s: float  # audio recorded so far (from the sample count, not the wall clock)
    level: Level  # of the last block
    speech_started: bool
    silence_s: float  # quiet audio since the last speech block (0 before speech starts)
    sample_rate: int = 16000  # the rate the blocks are recorded at


@dataclass(frozen=True, slots=True)
class Recording:
    """A finished take, already closed on disk."""

    path: Path
    duration_s: float
    sample_rate: int
    stopped_by: str  # "enter" | "interrupt" | "silence" | "max_length" | "callback" | "write_error"
    error: str | None = None  # with "write_error": why the file could not be written (disk full, size limit)


class Microphone(Protocol):
    def record(
        self,
        path: Path,
        *,
        should_stop: Callable[[RecordingStatus], bool],
        on_block: Callable[[RecordingStatus], None] | None = None,
        on_audio: Callable[[np.ndarray], None] | None = None,
    ) -> Recording: ...


# --------------------------------------------------------------------------- signal maths (pure)


def rms(block: np.ndarray) -> float:
    """Root mean square of all samples of `block` (0.0 for an empty block)."""
    x = np.asarray(block, dtype=np.float64)
    if x.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(x))))


def peak(block: np.ndarray) -> float:
    """Largest absolute sample of `block` (0.0 for an empty block)."""
    x = np.asarray(block)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x)))


def block_level(block: np.ndarray) -> Level:
    return Level(rms=rms(block), peak=peak(block))


class SpeechTracker:
    """Turns (elapsed, level) after each block into "has speech started" and "silence since".

    A block whose RMS reaches `speech_rms` is speech. Pure state, no audio device.
    """

    def __init__(self, speech_rms: float = SPEECH_RMS) -> None:
        self.speech_rms = speech_rms
        self.speech_started = False
        self._last_speech_end_s = 0.0

    def update(self, elapsed_s: float, level: Level) -> float:
        """Feed one block ending at `elapsed_s`; return the silence since the last speech."""
        if level.rms >= self.speech_rms:
            self.speech_started = True
            self._last_speech_end_s = elapsed_s
            return 0.0
        if not self.speech_started:
            return 0.0
        return max(0.0, elapsed_s - self._last_speech_end_s)


class StopPolicy:
    """The usual stop rules, callable as `should_stop`.

    Stops, in this order of precedence, when `stop_requested` is set ("enter": the CLI sets it
    when Enter is pressed), when `max_s` of audio has been recorded ("max_length"), or when
    `silence_after_speech_s` of quiet follows speech ("silence"; never before speech starts).
    After it returns True, `reason` says which rule fired; the recorder copies it into
    `Recording.stopped_by`.
    """

    def __init__(
        self,
        max_s: float,
        silence_after_speech_s: float | None = None,
        speech_rms: float = SPEECH_RMS,
    ) -> None:
        self.max_s = max_s
        self.silence_after_speech_s = silence_after_speech_s
        self.stop_requested = threading.Event()
        self.reason: str | None = None
        self._speech = SpeechTracker(speech_rms)

    def request_stop(self) -> None:
        self.stop_requested.set()

    def __call__(self, status: RecordingStatus) -> bool:
        silence_s = self._speech.update(status.elapsed_s, status.level)
        if self.stop_requested.is_set():
            self.reason = "enter"
        elif status.elapsed_s >= self.max_s:
            self.reason = "max_length"
        elif (
            self.silence_after_speech_s is not None
            and self._speech.speech_started
            and silence_s >= self.silence_after_speech_s
        ):
            self.reason = "silence"
        return self.reason is not None


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
    on_block: Callable[[RecordingStatus], None] | None = None,
    on_audio: Callable[[np.ndarray], None] | None = None,
    speech_rms: float = SPEECH_RMS,
    flush_s: float = 0.5,
    poll_s: float = 0.25,
    stall_s: float = 5.0,
) -> Recording:
    """Drain float32 blocks from `blocks` into a 16-bit WAV at `path`, each as it arrives.

    Returns when `should_stop(status)` is true or on Ctrl-C; the file is closed properly either
    way. `should_stop` is also asked every `poll_s` while no block arrives (so Enter works on a
    stalled device), and after `stall_s` without a block the take fails with StarcoachError.
    Blocks are (frames, channels) or (frames,) arrays; `on_audio` gets (frames,) for mono.
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
        if on_audio is not None:
            saved = pcm.astype(np.float32) / np.float32(32768.0)  # the file's samples, to the bit
            on_audio(saved[:, 0] if channels == 1 else saved)
        if on_block is not None:
            on_block(status)

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
                            f"the microphone sent no audio for {stall_s:.0f} s; {_HINT}"
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


class SoundDeviceMicrophone:
    """The real microphone, through PortAudio (sounddevice).

    `device` is an index or (part of) a name from `starcoach devices`; None is the system default.
    Records at `sample_rate` (16 kHz by default) when the device accepts it, else at the device's
    own rate (logged; `Recording.sample_rate` says which).
    """

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
        self._open_settings(load_sounddevice())

    def _open_settings(self, sd: ModuleType) -> tuple[dict, int]:
        """The device's info and the rate to record at; StarcoachError when there is no such mic."""
        try:
            info = sd.query_devices(self.device, "input")
        except (sd.PortAudioError, ValueError) as e:
            what = "no microphone found"
            if self.device is not None:
                what = f"no microphone {self.device!r}"
            raise StarcoachError(f"{what} (PortAudio: {e}); {_HINT}") from None
        if info["max_input_channels"] < self.channels:
            raise StarcoachError(
                f"microphone {info['name']!r} has {info['max_input_channels']} input channels, "
                f"{self.channels} needed; {_HINT}"
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
        on_block: Callable[[RecordingStatus], None] | None = None,
        on_audio: Callable[[np.ndarray], None] | None = None,
    ) -> Recording:
        sd = load_sounddevice()
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
                f"could not open microphone {info['name']!r}: {e}; {_HINT}"
            ) from None
        log.info("recording from %r at %d Hz into %s", info["name"], rate, path)
        with stream:
            return write_take(
                blocks,
                Path(path),
                sample_rate=rate,
                channels=self.channels,
                should_stop=should_stop,
                on_block=on_block,
                on_audio=on_audio,
                speech_rms=self.speech_rms,
                stall_s=max(5.0, 10 * self.block_s),
            )
