"""The `starcoach` command: typer declarations only (options, help texts); each command hands its options
to `run` in starcoach/commands/, imported when the command runs so `starcoach --help` stays fast.

A StarcoachError becomes one line on stderr and exit code 1: never a traceback for a user mistake.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from starcoach import __version__
from starcoach.commands.common import err, out, setup_logging
from starcoach.errors import StarcoachError

app = typer.Typer(
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Rehearse behavioural interview answers out loud, offline: timed STAR sections and a shared rubric.",
)
questions_app = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True,
                            help="List the question bank, or show one question.")
app.add_typer(questions_app, name="questions")
sessions_app = typer.Typer(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True,
                           help="List the stored sessions (newest first), or delete one.")
app.add_typer(sessions_app, name="sessions")
app.add_typer(sessions_app, name="history", hidden=True)  # the same commands under a second name

F = TypeVar("F", bound=Callable[..., Any])
SESSION_ID = Annotated[str, typer.Argument(metavar="ID", help="Session id (see `starcoach sessions`).")]


class ReportFormat(enum.StrEnum):
    html = "html"
    markdown = "markdown"


def user_errors(fn: F) -> F:
    """Turn the project's error into one line and exit 1; Ctrl-C into a short note and exit 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StarcoachError as e:
            text = " ".join(str(e).splitlines())  # one line, whatever a file's content put in the message
            err().print(f"[bold red]starcoach:[/] {escape(text)}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err().print("starcoach: interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        out().print(f"starcoach {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, show_default=False, help="Log what starcoach does to stderr: -v the steps, -vv the details.")] = 0,
) -> None:
    setup_logging(verbose, command=ctx.invoked_subcommand)
    from starcoach.leftovers import clean_on_start

    clean_on_start()  # what a killed run left: an import's staging folder, a model join's temporary file


@app.command()
@user_errors
def practice(
    question: Annotated[str | None, typer.Option("--question", "-q", help="Question id (see `starcoach questions`).")] = None,
    random_question: Annotated[bool, typer.Option("--random", help="A random question (the default when --question is not given).")] = False,
    level: Annotated[str | None, typer.Option("--level", "-l", help="Level: em, director, junior, mid, senior.")] = None,
    follow_ups: Annotated[int, typer.Option("--follow-ups", "-f", min=0, help="How many follow-up questions after the main answer.")] = 1,
    max_minutes: Annotated[float | None, typer.Option("--max-minutes", min=0.1, max=30, help="Stop recording after this long (at most 30). Default: twice the target.")] = None,
    silence: Annotated[float, typer.Option("--silence", min=0, help="Stop after this many seconds of silence once you have started (0: never).")] = 8.0,
    device: Annotated[str | None, typer.Option("--device", "-d", help="Input device index or name (see `starcoach devices`).")] = None,
    no_speak: Annotated[bool, typer.Option("--no-speak", help="Print the questions instead of speaking them.")] = False,
    voice_wpm: Annotated[int | None, typer.Option("--voice-wpm", help="Speaking rate of the questions, words a minute.")] = None,
    rate: Annotated[int | None, typer.Option("--rate", hidden=True, help="Old name of --voice-wpm.")] = None,
    voice: Annotated[str | None, typer.Option("--voice", help="TTS voice id or name.")] = None,
    input_file: Annotated[list[Path] | None, typer.Option("--input", "-i", help="Use a recording instead of the microphone; repeat for the follow-ups.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Whisper model: base (default), tiny.en, a folder or a name.")] = None,
    final_pass: Annotated[bool, typer.Option("--final-pass/--no-final-pass", help="When the live words may differ from a whole-file pass, transcribe the take again after its report for the saved session (the score is updated if it moves).")] = True,
) -> None:
    """Practise out loud: hear the question, answer, get the report, then the follow-ups. Saved as a session."""
    from starcoach.commands import practice as command

    command.run(question=question, random_question=random_question, level=level, follow_ups=follow_ups,
                max_minutes=max_minutes, silence=silence, device=device, no_speak=no_speak, voice_wpm=voice_wpm,
                rate=rate, voice=voice, input_file=input_file, model=model, final_pass=final_pass)


@app.command()
@user_errors
def score(
    file: Annotated[Path, typer.Argument(help="A recording (wav, flac, mp3, ogg, m4a, webm ...) or a typed answer (.txt, .md).")],
    question: Annotated[str | None, typer.Option("--question", "-q", help="Question id (see `starcoach questions`). Default: the best match.")] = None,
    level: Annotated[str | None, typer.Option("--level", "-l", help="Level to score at, e.g. em, director, junior, mid, senior.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract instead of the report.")] = False,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Whisper model: base (default, bundled), tiny.en (bundled, faster), a CTranslate2 folder, or a name.")] = None,
    wpm: Annotated[float, typer.Option(help="Speaking rate used to estimate times for typed text.", min=60, max=300)] = 150.0,
    save: Annotated[bool, typer.Option("--save", help="Also store it as a session (see `starcoach sessions`).")] = False,
) -> None:
    """Score one answer: timed STAR sections against the targets, the rubric's findings, delivery."""
    from starcoach.commands import score as command

    command.run(file=file, question=question, level=level, as_json=as_json, model=model, wpm=wpm, save=save)


@app.command()
@user_errors
def devices() -> None:
    """List the audio input and output devices."""
    from starcoach.commands import devices as command

    command.run()


@questions_app.callback()
@user_errors
def questions_list(ctx: typer.Context) -> None:
    """List the question bank."""
    if ctx.invoked_subcommand is not None:
        return
    from starcoach.commands import questions as command

    command.run_list()


@questions_app.command("show")
@user_errors
def questions_show(
    question_id: Annotated[str, typer.Argument(metavar="ID", help="Question id.")],
    answers: Annotated[bool, typer.Option("--answers", help="Also print the model answers in full.")] = False,
) -> None:
    """Print one question: what it probes, levels, targets, follow-ups, mistakes and signals."""
    from starcoach.commands import questions as command

    command.run_show(question_id=question_id, answers=answers)


@sessions_app.callback()
@user_errors
def sessions_list(
    ctx: typer.Context,
    question: Annotated[str | None, typer.Option("--question", "-q", help="Only this question's sessions.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the sessions, newest first: score, time, each STAR section's verdict, status. Alias: history."""
    if ctx.invoked_subcommand is not None:
        return
    from starcoach.commands import sessions as command

    command.run_list(question=question, as_json=as_json)


@sessions_app.command("delete")
@user_errors
def sessions_delete(session_id: SESSION_ID) -> None:
    """Delete a session and its recordings (no question asked)."""
    from starcoach.commands import sessions as command

    command.run_delete(session_id=session_id)


@app.command()
@user_errors
def replay(
    session_id: SESSION_ID,
    answer: Annotated[int, typer.Option("--answer", "-a", min=0, help="0 the main answer, 1.. the follow-ups.")] = 0,
    start: Annotated[str | None, typer.Option("--from", help="Start there: 90, 1:30 or 1:30.5.")] = None,
    play: Annotated[bool, typer.Option("--play", help="Play the recording and follow it word by word (space pauses, q stops).")] = False,
    rescore: Annotated[bool, typer.Option("--rescore", help="Score the stored words again with today's bank and show what changed.")] = False,
    keep: Annotated[bool, typer.Option("--keep", help="With --rescore: keep the new result in the session.")] = False,
    save: Annotated[bool, typer.Option("--save", hidden=True, help="Old name of --keep.")] = False,
    model: Annotated[str | None, typer.Option("--model", "-m", help="With --rescore of an answer never scored (an interrupted session): the Whisper model for its recording.")] = None,
) -> None:
    """Replay a stored answer: its transcript with times, STAR sections and findings in place.

    An answer whose session stopped before it was scored is scored from its recording by --rescore."""
    from starcoach.commands import replay as command

    command.run(session_id=session_id, answer=answer, start=start, play=play, rescore=rescore, keep=keep, save=save,
                model=model)


@app.command()
@user_errors
def progress(
    question: Annotated[str | None, typer.Option("--question", "-q", help="Only this question's sessions.")] = None,
    metric: Annotated[str | None, typer.Option("--metric", help="One metric as a chart: total, situation, task, action, "
                                               "result, action_share, fillers, wpm, score, pitch_variation or hesitations.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the points (each session's figures and targets; only the metric's with --metric) as JSON.")] = False,
) -> None:
    """How time, sections, Action share, fillers, pace, score, pitch variation and hesitations moved across your sessions."""
    from starcoach.commands import progress as command

    command.run(question=question, metric=metric, as_json=as_json)


@app.command()
@user_errors
def report(
    session_id: SESSION_ID,
    fmt: Annotated[ReportFormat | None, typer.Option("--format", help="html: a page to replay the answers in a browser (the default); markdown: the same content as Markdown.", show_default=False)] = None,
    html: Annotated[bool, typer.Option("--html", hidden=True, help="Old spelling of --format html.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", hidden=True, help="Old spelling of --format markdown.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File or folder to write. Default: report.html (or report.md) in the session's folder.")] = None,
    embed: Annotated[bool, typer.Option("--embed/--no-embed", help="Put the recordings inside the page (default), or link them beside it.")] = True,
) -> None:
    """Write a session's report: a self-contained page with the recordings, transcript, findings and charts."""
    from starcoach.commands import report as command

    command.run(session_id=session_id, fmt=fmt.value if fmt else None, html=html, markdown=markdown, output=output,
                embed=embed)


@app.command("export")
@user_errors
def export_cmd(
    session_id: SESSION_ID,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Zip file or folder to write. Default: starcoach-ID.zip in the current folder.")] = None,
) -> None:
    """Pack a session into one zip to share with a coach: session.json, the recordings and the report page."""
    from starcoach.commands import export as command

    command.run(session_id=session_id, output=output)


@app.command("import")
@user_errors
def import_cmd(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A zip made by `starcoach export`.")],
) -> None:
    """Add a session from a zip made by `starcoach export`; every member is checked before anything is written."""
    from starcoach.commands import import_ as command

    command.run(file=file)


def take_ctrl_c() -> None:
    """Make Ctrl-C raise KeyboardInterrupt even when the parent process ignored SIGINT.

    Ctrl-C is how a take ends, but Python keeps SIGINT ignored if it started that way, and a
    non-interactive shell starts its background jobs so: `starcoach practice` run from a script
    with `&` would silently record on until the silence rule (seen in a benchmark run).
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _model_loaded() -> bool:
    transcriber = sys.modules.get("starcoach.devices.transcriber")
    return bool(getattr(transcriber, "MODEL_LOADED", False))


def _exit_now(code: int) -> None:
    """Flush and leave without the interpreter's teardown (see devices/transcriber.MODEL_LOADED)."""
    import logging
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with contextlib.suppress(Exception):
        logging.shutdown()
    os._exit(code)


def main() -> None:
    take_ctrl_c()
    try:
        app(prog_name="starcoach")
    except SystemExit as e:
        # The command is over and its exit code decided: a late Ctrl-C (the second of a double
        # press, after the report is out) must not kill the teardown with SIGINT (exit -2). Python
        # leaves an ignored signal ignored through finalisation.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code != 0 and _model_loaded():
            # Interrupted or failed with a model loaded: its threads may still be held by the
            # exception's frames, and tearing them down at shutdown crashed the process.
            _exit_now(code)
        raise
