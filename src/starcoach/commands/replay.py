"""`starcoach replay ID`: a stored answer's transcript, `--play` to hear it, `--rescore [--keep]` to score
its words (or, for an answer never scored, its recording) with today's bank."""

from __future__ import annotations

from starcoach.commands.common import out
from starcoach.errors import StarcoachError


def run(*, session_id: str, answer: int, start: str | None, play: bool, rescore: bool, keep: bool, save: bool,
        model: str | None) -> None:
    """The command as typer parsed it (`--save` is the old, hidden spelling of `--keep`)."""
    from starcoach import replay as replaying
    from starcoach import replay_rescore as rescoring

    if (keep or save) and not rescore:
        raise StarcoachError(f"{'--keep' if keep else '--save'} keeps a new result: use it with --rescore")
    keep = keep or save
    from_s = replaying.parse_clock(start) if start is not None else 0.0
    if rescore:
        from starcoach import recover
        from starcoach.store import SessionStore

        session = SessionStore().load(session_id)
        if recover.recording_to_score(session, answer) is not None:
            from starcoach.bank import load_bank

            recovered = recover.score_recording(session, answer, load_bank(), model=model)
            if keep:
                recover.save(recovered)
            out().print(recover.view(recovered, saved=keep))
            if not (play and keep):
                return
            rescore = False  # scored just now: play what was saved
    stored = replaying.load_answer(session_id, answer)
    if rescore:
        from starcoach.bank import load_bank

        rescored = rescoring.rescore(stored, load_bank())
        if keep:
            rescoring.save_rescore(rescored)
        out().print(rescoring.rescore_view(rescored, saved=keep))
    if play:
        from starcoach.player import play_answer

        play_answer(stored, from_s=from_s, console=out())
    elif not rescore:
        out().print(replaying.transcript_view(stored, from_s=from_s))
