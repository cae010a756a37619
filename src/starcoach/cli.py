"""The `starcoach` command: thin typer commands that hand the work to modules.

A StarcoachError becomes one line on stderr and exit code 1: never a traceback for a user mistake.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from starcoach import __version__
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

def out() -> Console:
    # Made per call, not at import: the terminal (or a test runner) decides the width when it runs.
    return Console()


def err() -> Console:
    return Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Turn the project's error into one line and exit 1; Ctrl-C into a short note and exit 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StarcoachError as e:
            err().print(f"[bold red]starcoach:[/] {e}", highlight=False, soft_wrap=True)
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
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    pass


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
    from starcoach import app_score

    result = app_score.score_file(file, question_id=question, level=level, model=model, wpm=wpm,
                                  progress=not as_json and err().is_terminal, console=err())
    if save:
        err().print(f"saved as a session: {app_score.save_as_session(result, file)}", style="dim", highlight=False)
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        if result.note:
            err().print(result.note, style="dim")
        out().print(result.render())


@app.command()
@user_errors
def practice(
    question: Annotated[str | None, typer.Option("--question", "-q", help="Question id (see `starcoach questions`).")] = None,
    random_question: Annotated[bool, typer.Option("--random", help="A random question (the default when --question is not given).")] = False,
    level: Annotated[str | None, typer.Option("--level", "-l", help="Level: em, director, junior, mid, senior.")] = None,
    follow_ups: Annotated[int, typer.Option("--follow-ups", "-f", min=0, help="How many follow-up questions after the main answer.")] = 1,
    max_minutes: Annotated[float | None, typer.Option("--max-minutes", min=0.1, help="Stop recording after this long. Default: twice the target.")] = None,
    silence: Annotated[float, typer.Option("--silence", min=0, help="Stop after this many seconds of silence once you have started (0: never).")] = 8.0,
    device: Annotated[str | None, typer.Option("--device", "-d", help="Input device index or name (see `starcoach devices`).")] = None,
    no_speak: Annotated[bool, typer.Option("--no-speak", help="Print the questions instead of speaking them.")] = False,
    rate: Annotated[int | None, typer.Option("--rate", help="Speaking rate of the questions, words a minute.")] = None,
    voice: Annotated[str | None, typer.Option("--voice", help="TTS voice id or name.")] = None,
    input_file: Annotated[list[Path] | None, typer.Option("--input", "-i", help="Use a recording instead of the microphone; repeat for the follow-ups.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Whisper model: base (default), tiny.en, a folder or a name.")] = None,
) -> None:
    """Practise out loud: hear the question, answer, get the report, then the follow-ups. Saved as a session."""
    from starcoach.app_practice import run_practice

    run_practice(question_id=question, random_question=random_question, level=level, follow_ups=follow_ups,
                 max_minutes=max_minutes, silence_s=silence or None, device=device, speak=not no_speak, rate=rate,
                 voice=voice, inputs=input_file or [], model=model)


@app.command()
@user_errors
def devices() -> None:
    """List the audio input and output devices."""
    from starcoach.app_practice import devices_table

    out().print(devices_table())


@questions_app.callback()
@user_errors
def questions_list(ctx: typer.Context) -> None:
    """List the question bank."""
    if ctx.invoked_subcommand is not None:
        return
    from starcoach.bank import load_bank
    from starcoach.bank_view import bank_table

    out().print(bank_table(load_bank()))


@questions_app.command("show")
@user_errors
def questions_show(
    question_id: Annotated[str, typer.Argument(metavar="ID", help="Question id.")],
    answers: Annotated[bool, typer.Option("--answers", help="Also print the model answers in full.")] = False,
) -> None:
    """Print one question: what it probes, levels, targets, follow-ups, mistakes and signals."""
    from starcoach.bank import load_bank
    from starcoach.bank_view import question_view

    out().print(question_view(load_bank().question(question_id), answers=answers))


def main() -> None:
    app(prog_name="starcoach")
