"""Hardening, end to end on the real devices and model (issue 11): a second Ctrl-C while the stop
decodes or the take is scored, and a kill -9 mid-answer recovered by `replay --rescore`.

Shares the rig and the helpers of test_practice_e2e.py.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
import soundfile as sf

from test_practice_e2e import (  # noqa: F401  (speech and virtual_audio are fixtures)
    Speech,
    _command,
    answer_for,
    only_session,
    practice_args,
    practice_run,
    rig_env,
    speech,
    virtual_audio,
)

pytestmark = [pytest.mark.audio, pytest.mark.model]

CRASHES = {-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS}


@pytest.mark.parametrize("gap_s", [0.05, 0.4, 1.5])
def test_a_second_ctrl_c_while_scoring_exits_130_and_keeps_the_take(virtual_audio, speech: Speech, tmp_path: Path,
                                                                    gap_s: float) -> None:
    """The first Ctrl-C ends the take; a second one `gap_s` later lands while the stop decodes the
    last window on the live transcriber's thread (or while the take is scored). Before the fix the
    process died by SIGSEGV or SIGABRT ("terminate called without an active exception") in most
    tries: the program exited with CTranslate2 still running on that thread."""
    home = tmp_path / "home"
    args = practice_args("--device", virtual_audio.input_device, "--no-speak")
    with practice_run(args, rig_env(virtual_audio, home)) as (run, helpers):
        _started, _playing, player = answer_for(run, helpers, virtual_audio, speech.answer, 12.0)
        run.proc.send_signal(signal.SIGINT)
        time.sleep(gap_s)
        if run.proc.poll() is None:
            run.proc.send_signal(signal.SIGINT)
        player.terminate()
        code = run.finish(timeout=90)
    out, err = run.stdout, run.stderr
    assert code not in CRASHES, f"crashed ({code}):\n{out}\n{err}"
    assert "Traceback" not in err and "terminate called" not in err, err
    # Either the second Ctrl-C came in time (130) or the report was already out (0).
    assert code in (0, 130), f"{code}\n{out}\n{err}"
    if code == 130:
        assert "interrupted" in err
    summary, session = only_session(home)
    assert summary.status == "interrupted" and summary.n_answers == 1
    data, rate = sf.read(session.audio_file(0), dtype="float32")
    assert len(data) / rate > 5.0  # the take is kept
    if code == 130 and session.answers[0]["result"] is None:
        assert f"starcoach replay {session.id} --rescore --keep" in " ".join((out + err).split())  # how to score it later


def test_a_session_killed_mid_answer_is_scored_from_its_recording(virtual_audio, speech: Speech,
                                                                   tmp_path: Path) -> None:
    """kill -9 mid-answer leaves a readable WAV and an unscored, interrupted session: `replay ID
    --rescore --keep` transcribes the recording and scores it, and `sessions` then shows the score."""
    home = tmp_path / "home"
    env = rig_env(virtual_audio, home)
    args = practice_args("--device", virtual_audio.input_device, "--no-speak")
    with practice_run(args, env) as (run, helpers):
        _started, _playing, player = answer_for(run, helpers, virtual_audio, speech.answer, 10.0)
        run.proc.kill()
        run.proc.wait(timeout=10)
        player.terminate()
    summary, session = only_session(home)
    assert session.answers[0]["result"] is None
    done = subprocess.run([*_command(), "replay", summary.id, "--rescore", "--keep"], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done
    assert "Traceback" not in done.stderr
    _summary, session = only_session(home)
    result = session.answers[0]["result"]
    assert result is not None and result["words"] and result["findings"]
    assert result["duration_s"] == pytest.approx(sf.info(session.audio_file(0)).duration, abs=0.1)
    listed = subprocess.run([*_command(), "sessions"], env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and summary.id[:8] in listed.stdout
