"""Say a question out loud, and always print it too.

`Pyttsx3Speaker` makes the speech with pyttsx3 (espeak-ng) into a temporary WAV and plays it
through PortAudio (sounddevice), so `say()` returns when the sound has been played. pyttsx3 2.99's
own playback on Linux shells out to `aplay` and ignores its failure, returning at once when there
is no `aplay` or no sound card; it also prints "Audio saved to ..." on stdout, which is hidden here.

`make_speaker()` is what the CLI uses: it prints every question, speaks it while that works, and
when it does not (no TTS engine, no audio output), says why once and goes on printing.

pyttsx3 and sounddevice are imported only when a `Pyttsx3Speaker` is made.
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from starcoach.devices import portaudio
from starcoach.errors import StarcoachError

__all__ = [
    "ConsoleSpeaker",
    "NoSpeech",
    "PrintSpeaker",
    "Pyttsx3Speaker",
    "Speaker",
    "make_speaker",
]

log = logging.getLogger("starcoach.speaker")

_engine_lock = threading.Lock()  # one pyttsx3/espeak engine per process: espeak has one callback


class NoSpeech(StarcoachError):
    """This machine cannot speak: no TTS engine or no audio output (make_speaker prints instead)."""


class Speaker(Protocol):
    def say(self, text: str) -> None: ...  # returns when the speech has finished playing


class PrintSpeaker:
    """Prints the text only (for --no-speak, and as the fallback)."""

    def __init__(self, console_print: Callable[[str], Any] = print) -> None:
        self._print = console_print

    def say(self, text: str) -> None:
        self._print(text)


def _synth_timeout_s(text: str) -> float:
    """How long synthesis may take before we give up: generous, growing with the text."""
    return 5.0 + 0.05 * len(text)


def _espeak_is_busy(engine: Any) -> Callable[[], bool] | None:
    """espeak-ng's "still working" test, when pyttsx3 runs on espeak (it does on Linux)."""
    if getattr(engine, "driver_name", None) != "espeak":
        return None
    try:
        from pyttsx3.drivers import _espeak

        return lambda: bool(_espeak.IsPlaying())
    except (ImportError, AttributeError, OSError):
        return None


def _wait_until_idle(engine: Any, timeout_s: float = 2.0) -> None:
    """Wait until espeak has worked through its queue.

    pyttsx3 starts espeak-ng in its asynchronous mode: settings and text go through espeak's own
    queue, and every runAndWait() ends by cancelling whatever espeak is still busy with. Started
    while espeak is busy, runAndWait() drops pending settings (the engine's own initial rate was
    lost about one time in ten) and the next utterance can come out empty.
    """
    is_busy = _espeak_is_busy(engine)
    if is_busy is None:
        return
    deadline = time.monotonic() + timeout_s
    while is_busy() and time.monotonic() < deadline:
        time.sleep(0.005)


def _set_properties(engine: Any, settings: dict[str, Any]) -> None:
    """Apply voice and rate now, once. Through `engine.setProperty` they would wait for the next
    runAndWait(), whose closing cancel can drop them; the espeak driver can set them at once."""
    _wait_until_idle(engine)
    if not settings:
        return
    if _espeak_is_busy(engine) is not None:
        from pyttsx3.drivers.espeak import EspeakDriver

        for name, value in settings.items():
            EspeakDriver.setProperty(name, value)
        _wait_until_idle(engine)
    else:
        for name, value in settings.items():
            engine.setProperty(name, value)


class Pyttsx3Speaker:
    """Speaks with pyttsx3 on espeak-ng, played through sounddevice. Does not print.

    `rate` (words per minute) and `voice` (an id or name from pyttsx3's voice list, e.g.
    "gmw/en-us") are set once, when the engine is made: pyttsx3 keeps one engine per process, so
    two speakers with different settings share the last ones. `device` picks the output device
    (index or name, None for the default). Raises StarcoachError when speech cannot be made or
    played; `make_speaker()` turns that into printing.
    """

    def __init__(
        self,
        *,
        rate: int | None = None,
        voice: str | None = None,
        device: int | str | None = None,
    ) -> None:
        self.device = device
        self._engine = self._make_engine(rate, voice)
        try:
            self._sd = portaudio.load_sounddevice()
            self._output = portaudio.output_device(self._sd, device)
        except StarcoachError as e:
            raise NoSpeech(str(e)) from None

    @staticmethod
    def _make_engine(rate: int | None, voice: str | None) -> Any:
        try:
            with portaudio.quiet_stderr():
                import pyttsx3

                engine = pyttsx3.init()
        except (ImportError, OSError, RuntimeError) as e:
            raise NoSpeech(f"no text-to-speech engine: {e} (install espeak-ng)") from None
        settings: dict[str, Any] = {}
        if voice is not None:
            voices = engine.getProperty("voices")
            wanted = voice.lower()
            match = next(
                (v.id for v in voices if wanted in (v.id.lower(), str(v.name).lower())), None
            )
            if match is None:
                raise StarcoachError(f"unknown voice {voice!r}; e.g. {voices[0].id!r}")
            settings["voice"] = match
        if rate is not None:
            settings["rate"] = int(rate)
        with _engine_lock:
            _set_properties(engine, settings)
        return engine

    def synthesize(self, text: str, path: Path) -> float:
        """Write `text` as speech to the WAV `path`; return its duration in seconds."""
        import soundfile

        path = Path(path)
        for attempt in (1, 2):
            self._synthesize_once(text, path)
            frames = soundfile.info(str(path)).frames if path.exists() else 0
            if frames > 0 or not text.strip():
                return soundfile.info(str(path)).duration
            log.info("text-to-speech gave an empty file (attempt %d)", attempt)
        raise StarcoachError("text-to-speech produced no audio")

    def _synthesize_once(self, text: str, path: Path) -> None:
        done = threading.Event()
        errors: list[BaseException] = []
        engine = self._engine
        tokens = [
            engine.connect("finished-utterance", lambda name, completed: done.set()),
            engine.connect("error", lambda name, exception: errors.append(exception)),
        ]
        try:
            with _engine_lock, contextlib.redirect_stdout(io.StringIO()):
                _wait_until_idle(engine)
                engine.save_to_file(text, str(path))
                engine.runAndWait()  # may return before espeak has finished: wait for the event
                finished = done.wait(_synth_timeout_s(text))
                _wait_until_idle(engine)
        finally:
            for token in tokens:
                engine.disconnect(token)
        if errors:
            raise StarcoachError(f"text-to-speech failed: {errors[0]}")
        if not finished:
            raise StarcoachError("text-to-speech did not finish")

    def play(self, path: Path) -> float:
        """Play a sound file on the output device; return when it has been played (seconds)."""
        import soundfile

        sd = self._sd
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        duration = len(data) / rate
        chunk = max(1, rate // 10)  # small writes, so Ctrl-C is noticed between them
        started = time.monotonic()
        try:
            with sd.OutputStream(
                device=self._output["index"],
                samplerate=rate,
                channels=data.shape[1],
                dtype="float32",
            ) as stream:
                latency = float(stream.latency)
                first_write = time.monotonic()
                for start in range(0, len(data), chunk):
                    stream.write(data[start : start + chunk])
        except sd.PortAudioError as e:
            raise portaudio.cannot_play(self._output, e) from None
        took = time.monotonic() - started
        if took >= 0.5 * duration:
            # Closing the stream can return while the last buffer is still being heard: the
            # sound ends no earlier than its duration plus the output latency after it began.
            time.sleep(max(0.0, first_write + duration + latency - time.monotonic()))
            took = time.monotonic() - started
        if took < 0.5 * duration:
            raise StarcoachError(
                f"the audio output took {took:.1f} s to play {duration:.1f} s of speech, "
                "so nothing was heard"
            )
        return took

    def say(self, text: str) -> None:
        with tempfile.TemporaryDirectory(prefix="starcoach-tts-") as tmp:
            wav = Path(tmp) / "speech.wav"
            self.synthesize(text, wav)
            self.play(wav)


class ConsoleSpeaker:
    """Prints every text, then speaks it with `voice`; after the first failure only prints.

    The reason speech stopped (or never started: `reason`) is printed once.
    """

    def __init__(
        self,
        voice: Speaker | None,
        *,
        console_print: Callable[[str], Any] = print,
        reason: str | None = None,
    ) -> None:
        self._voice = voice
        self._print = console_print
        self._reason = reason if voice is None else None
        self._told = False

    @property
    def speaking(self) -> bool:
        return self._voice is not None

    def say(self, text: str) -> None:
        self._print(text)
        if self._voice is not None:
            try:
                self._voice.say(text)
            except StarcoachError as e:
                log.info("speech off: %s", e)
                self._voice = None
                self._reason = str(e)
        if self._voice is None and self._reason and not self._told:
            self._print(f"(not speaking the questions: {self._reason})")
            self._told = True


def make_speaker(
    *,
    enabled: bool = True,
    rate: int | None = None,
    voice: str | None = None,
    console_print: Callable[[str], Any] = print,
) -> Speaker:
    """The CLI's speaker: prints each question and speaks it where speech works."""
    if not enabled:
        return PrintSpeaker(console_print)
    try:
        engine: Speaker | None = Pyttsx3Speaker(rate=rate, voice=voice)
        reason = None
    except NoSpeech as e:
        engine, reason = None, str(e)
    return ConsoleSpeaker(engine, console_print=console_print, reason=reason)
