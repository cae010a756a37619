"""`starcoach practice`: wire the real devices to the practice loop, then offer the report page."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console

from starcoach.commands.common import one_of
from starcoach.errors import StarcoachError


def _device(value: str | None) -> int | str | None:
    if value is None:
        return None
    return int(value) if value.strip().isdigit() else value


def run(*, question: str | None, random_question: bool, level: str | None, follow_ups: int,
        max_minutes: float | None, silence: float, device: str | None, no_speak: bool, voice_wpm: int | None,
        rate: int | None, voice: str | None, input_file: list[Path] | None, model: str | None,
        final_pass: bool) -> None:
    """The command as typer parsed it (`--rate` is the old, hidden spelling of `--voice-wpm`)."""
    run_practice(question_id=question, random_question=random_question, level=level, follow_ups=follow_ups,
                 max_minutes=max_minutes, silence_s=silence or None, device=device, speak=not no_speak,
                 voice_wpm=one_of("--voice-wpm", voice_wpm, "--rate", rate), voice=voice, inputs=input_file or [],
                 model=model, final_pass=final_pass)


def run_practice(*, question_id: str | None, random_question: bool, level: str | None, follow_ups: int,
                 max_minutes: float | None, silence_s: float | None, device: str | None, speak: bool,
                 voice_wpm: int | None, voice: str | None, inputs: list[Path], model: str | None,
                 final_pass: bool = True) -> None:
    from starcoach.bank import load_bank
    from starcoach.devices.microphone import SoundDeviceMicrophone
    from starcoach.devices.speaker import make_speaker
    from starcoach.devices.transcriber import WhisperTranscriber
    from starcoach.practice import Practice, PracticeOptions
    from starcoach.practice_view import QuietView, TerminalView
    from starcoach.store import SessionStore

    for path in inputs:
        if not Path(path).is_file():
            raise StarcoachError(f"no such file: {path}")
    console = Console()
    bank = load_bank()
    opts = PracticeOptions(question_id=question_id, random_question=random_question, level=level,
                           follow_ups=follow_ups, max_minutes=max_minutes, silence_s=silence_s, inputs=tuple(inputs),
                           final_pass=final_pass)
    if question_id:
        bank.question(question_id).level(level)  # fail now, before anything is spoken or recorded
    microphone = SoundDeviceMicrophone(_device(device))
    if len(inputs) < 1 + follow_ups:
        microphone.check()  # a missing microphone fails in a moment, not after the model loads
    # Two workers: a take's final pass (refine.py) runs beside the next take's live transcription.
    transcriber = WhisperTranscriber(model, num_workers=2)
    transcriber.load()  # load the model before the question is asked, not while the candidate waits
    from starcoach.scoring import warm_reader

    warm_reader(bank)  # and the embedding model with the bank's probes, for the same reason
    from starcoach.devices.pitch import default_tracker

    tracker = default_tracker()  # the pitch model (135 KB) loads in a moment; the voice is measured after each stop
    view = TerminalView(console) if console.is_terminal else QuietView(console)
    speaker = make_speaker(enabled=speak, rate=voice_wpm, voice=voice, console_print=view.say)
    logging.getLogger("starcoach").debug("practice: %s", opts)
    session = Practice(bank, opts, speaker=speaker, microphone=microphone, transcriber=transcriber,
                       store=SessionStore(), view=view, tracker=tracker).run()
    offer_report(session, console)


def offer_report(session, console: Console) -> None:
    """At a terminal, offer to open the session's report page; elsewhere, say how to make it."""
    import sys

    if console.is_terminal and sys.stdin is not None and sys.stdin.isatty():
        from rich.prompt import Confirm

        if Confirm.ask("Open the report page (replay, transcript, charts) in your browser?", default=False,
                       console=console):
            import webbrowser

            from starcoach.report_files import write_report

            path = write_report(session, fmt="html")
            console.print(f"report: {path}", style="dim", highlight=False)
            webbrowser.open(path.as_uri())
            return
    console.print(f"replay: starcoach replay {session.id} --play \u00b7 page: starcoach report {session.id}",
                  style="dim", highlight=False)
