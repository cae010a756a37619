"""Practice benchmark: how soon the report follows the end of a long spoken answer, live transcript
quality against transcribing the same recording after the fact, peak memory, start-up time.

    python bench/practice_bench.py [--audio FILE ...] [--stop silence interrupt] [--silence 8]

What it does, on a private PulseAudio rig (tests/pulse.py, started and stopped here):

1. Runs `starcoach practice -q disagree-and-commit -l em --follow-ups 0 --device pulse` as a child
   process, exactly as the CLI runs (question spoken, live transcription, report, session saved),
   with one addition: logging at INFO on stderr with wall-clock times, so the child's own
   "recorded ... (stopped by ...)" (the recorder's stop) and "words ready X s after the stop" lines
   can be read. When it prints "recording", the audio (by default hp0, 273 s of real speech, then
   gb0, 127 s with a reference text) is played in real time into the virtual microphone. The take
   ends by the silence rule (`--stop silence`; `--silence`, default 8 s as in the CLI) or by Ctrl-C
   sent the moment the playback ends (`--stop interrupt`: a candidate stopping the take as they
   finish, which leaves the most speech for the live transcriber at the stop).
2. Times, all on the wall clock of this machine: the recorder's stop (the child's log time),
   the words being ready (the child's figure), and the report on stdout (the moment this process
   reads the "STAR sections" line: the report is one write, after scoring and saving). Whether the
   live words were the whole-file words (the answer's `live.whole_file_words`); when not, a final
   pass transcribes the take again after the report and the session keeps that transcript (the
   live one under final_pass.live_text).
3. Peak RSS of the child over the whole session, model included (its VmHWM from /proc, read every
   0.2 s; not `wait4`'s ru_maxrss, which on Linux includes this process's RSS at the fork).
4. After the child has exited, transcribes the recorded answer-0.wav after the fact with the same
   model and settings (`WhisperTranscriber("base").transcribe(load_audio(path))`, model loaded
   first, not timed) and the source file itself; prints WERs between the three transcripts, and
   against the file's reference text when there is one (`<name>.txt` beside it: gb0 has one, hp0
   has none, so for hp0 the after-the-fact transcripts stand in as references).
5. `starcoach --help` start-up against `python -c pass`, median of `--startup-runs` each.

Prints markdown. The machine is shared: load averages are printed before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import pulse  # noqa: E402  (tests/pulse.py: the virtual microphone)
from starcoach.wer import normalize  # noqa: E402

AUDIO = Path("/work/shared/audio")
DEFAULT_AUDIO = [AUDIO / "hp0_henry_f_phillips.ogg", AUDIO / "gb0.wav"]
QUESTION, LEVEL = "disagree-and-commit", "em"

# The child: the real CLI, plus a logging configuration with epoch times (which -v does not print).
CHILD = """\
import logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                    format="LOG %(created).3f %(name)s %(levelname)s %(message)s")
logging.getLogger("starcoach").setLevel(logging.INFO)
sys.argv[0] = "starcoach"
from starcoach.cli import main
main()
"""

STOPPED = re.compile(r"^LOG (?P<t>\d+\.\d+) starcoach\.microphone INFO recorded (?P<s>[\d.]+) s to .* \(stopped by (?P<by>\w+)\)")
READY = re.compile(r"^LOG (?P<t>\d+\.\d+) starcoach INFO take stopped by (?P<by>\w+); words ready (?P<lat>[\d.]+)s "
                   r"after the stop \((?P<chunks>\d+) (?:chunks|windows)\)")


class Child:
    """The practice process, its stdout and stderr lines timed (time.time()) on reader threads."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, *args], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                     errors="replace")
        self.out: list[tuple[float, str]] = []
        self.err: list[tuple[float, str]] = []
        self.cond = threading.Condition()
        self.readers = [threading.Thread(target=self._read, args=(s, into), daemon=True)
                        for s, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for r in self.readers:
            r.start()
        self.hwm_kb = 0
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._watch_memory, daemon=True)
        self._watcher.start()

    def _watch_memory(self) -> None:
        # VmHWM is the child's own peak RSS. (os.wait4's ru_maxrss is not: Linux carries the parent's
        # high-water mark over fork/vfork and exec, and this process holds a model too.)
        status = Path(f"/proc/{self.proc.pid}/status")
        while not self._done.is_set():
            try:
                found = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.M)
            except OSError:
                return
            if found:
                self.hwm_kb = max(self.hwm_kb, int(found[1]))
            time.sleep(0.2)

    def _read(self, stream, into) -> None:
        for line in stream:
            with self.cond:
                into.append((time.time(), line.rstrip("\n")))
                self.cond.notify_all()

    def wait_line(self, prefix: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.out:
                    if line.startswith(prefix):
                        return t
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"no {prefix!r} line:\n" + "\n".join(line for _, line in self.out + self.err))
                self.cond.wait(0.5)

    def reap(self) -> tuple[int, float]:
        """Wait for the child; its exit code and peak RSS in MB (VmHWM, read every 0.2 s until it exits)."""
        code = self.proc.wait(timeout=120)
        self._done.set()
        self._watcher.join(timeout=5)
        for r in self.readers:
            r.join(timeout=10)
        return code, self.hwm_kb / 1024


def live_run(rig: pulse.VirtualAudio, audio: Path, stop: str, silence_s: float, home: Path) -> dict:
    env = {**rig.child_env(), "STARCOACH_HOME": str(home)}
    args = ["practice", "-q", QUESTION, "-l", LEVEL, "--follow-ups", "0", "--silence", f"{silence_s:g}",
            "--device", rig.input_device]
    child = Child(args, env)
    player = None
    try:
        t_rec = child.wait_line("recording", timeout=120)
        time.sleep(0.5)
        t_play = time.time()
        player = rig.play(audio, wait=False)
        player.wait(timeout=900)
        t_played = time.time()
        if stop == "interrupt":
            child.proc.send_signal(signal.SIGINT)
        t_report = child.wait_line("STAR sections", timeout=300)
        code, peak_mb = child.reap()
    finally:
        if player is not None and player.poll() is None:
            player.kill()
        if child.proc.returncode is None and child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait()
    if code != 0:
        raise RuntimeError(f"practice exited {code}:\n" + "\n".join(line for _, line in child.out + child.err))
    log = [line for _, line in child.err]
    stopped = next(m for m in map(STOPPED.match, log) if m)
    ready = next(m for m in map(READY.match, log) if m)
    t_stop = float(stopped["t"])
    if stop == "interrupt" and stopped["by"] != "interrupt":  # the row would measure the wrong stop
        raise RuntimeError(f"Ctrl-C was sent but the take ended by {stopped['by']}:\n" + "\n".join(log))
    sessions = sorted((home / "sessions").iterdir())
    session = json.loads((sessions[-1] / "session.json").read_text())
    answer = session["answers"][0]
    # A final pass runs only when the live words may differ from a whole-file pass.
    result, live, final = answer["result"], answer["live"], answer.get("final_pass", {})
    final_text = " ".join(w["text"] for w in result["words"])
    t_final = next((t for t, line in child.out if line.startswith("answer: final transcript")), None)
    return {
        "recorded_s": float(stopped["s"]), "stopped_by": stopped["by"], "chunks": int(ready["chunks"]),
        "play_s": t_played - t_play, "lead_in_s": t_play - t_rec,
        "played_end_to_stop_s": t_stop - t_played,
        "words_ready_s": float(ready["lat"]),
        "stop_to_report_s": t_report - t_stop,
        "whole_file_words": live["whole_file_words"],
        "stop_to_final_s": None if t_final is None else t_final - t_stop,
        "final_pass_s": final.get("seconds"),
        "final_changed_words": final.get("changed_words", 0),
        "peak_rss_mb": peak_mb,
        "live_text": final.get("live_text", final_text),
        "final_text": final_text,
        "n_words": len(normalize(final.get("live_text", final_text))),
        "wav": sessions[-1] / session["answers"][0]["audio"],
        "other_warnings": [line for line in log if " WARNING " in line or "Traceback" in line],
        "at_the_stop": [line.split(" INFO ", 1)[1] for line in log if "live transcription" in line and " INFO " in line][-3:],
    }


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate over the letters and digits of `normalize()`d words, spaces dropped: blind
    to the spelling-of-a-word-boundary differences that dominate hp0 ("cross head" / "crosshead",
    "U.S." / "US", "info box" / "infobox"), which WER counts as one or two errors each."""
    ref, hyp = "".join(normalize(reference)), "".join(normalize(hypothesis))
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / max(1, len(ref))


def startup(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audio", type=Path, nargs="+", default=DEFAULT_AUDIO)
    parser.add_argument("--stop", nargs="+", choices=["silence", "interrupt"], default=["silence", "interrupt"],
                        help="how each take ends; every audio file is run with each (interrupt: hp0 only by default)")
    parser.add_argument("--silence", type=float, default=8.0, help="--silence for practice (the CLI's default)")
    parser.add_argument("--startup-runs", type=int, default=10)
    parser.add_argument("--out", type=Path, help="write each run's transcripts (live, after, source) and figures here")
    args = parser.parse_args()

    # The bench's joined base model stays out of the user's cache, as in transcribe_bench.py.
    os.environ.setdefault("STARCOACH_CACHE", str(Path(tempfile.gettempdir()) / "starcoach-bench"))
    from starcoach.audio import load_audio
    from starcoach.devices.transcriber import WhisperTranscriber
    from starcoach.models import resolve_model
    from starcoach.records import join_words
    from starcoach.wer import word_error_rate

    resolve_model("base")  # join the model now, so no run's load includes it
    print(f"load average before: {os.getloadavg()[0]:.2f}; CPUs: {os.cpu_count()}; "
          f"practice -q {QUESTION} -l {LEVEL} --follow-ups 0 --silence {args.silence:g} (speech on)\n")

    transcriber = WhisperTranscriber("base")
    transcriber.load()
    plan = [(audio, stop) for audio in args.audio for stop in args.stop
            if not (stop == "interrupt" and args.audio == DEFAULT_AUDIO and audio != DEFAULT_AUDIO[0])]
    sources: dict[Path, dict] = {}
    for audio in args.audio:
        t = time.perf_counter()
        text = join_words(transcriber.transcribe(load_audio(audio)))
        reference_file = audio.with_suffix(".txt")
        sources[audio] = {"text": text, "s": time.perf_counter() - t,
                          "reference": reference_file.read_text(encoding="utf-8") if reference_file.is_file() else None}

    rows = []
    with tempfile.TemporaryDirectory(prefix="starcoach-practice-bench-") as tmp, pulse.running_rig() as rig:
        for i, (audio, stop) in enumerate(plan):
            run = live_run(rig, audio, stop, args.silence, Path(tmp) / f"home-{i}")
            recorded = load_audio(run["wav"])
            t = time.perf_counter()
            after_text = join_words(transcriber.transcribe(recorded))
            source = sources[audio]
            run.update(audio=audio.name, stop=stop, after_s=time.perf_counter() - t, wav_s=len(recorded) / 16000,
                       after_words=len(normalize(after_text)),
                       wer_final_vs_after=word_error_rate(after_text, run["final_text"]),
                       wer_live_vs_after=word_error_rate(after_text, run["live_text"]),
                       wer_live_vs_source=word_error_rate(source["text"], run["live_text"]),
                       wer_after_vs_source=word_error_rate(source["text"], after_text),
                       cer_live_vs_after=cer(after_text, run["live_text"]),
                       cer_live_vs_source=cer(source["text"], run["live_text"]),
                       cer_after_vs_source=cer(source["text"], after_text))
            if source["reference"] is not None:
                run.update(wer_live_vs_ref=word_error_rate(source["reference"], run["live_text"]),
                           wer_final_vs_ref=word_error_rate(source["reference"], run["final_text"]),
                           wer_after_vs_ref=word_error_rate(source["reference"], after_text),
                           wer_source_vs_ref=word_error_rate(source["reference"], source["text"]),
                           cer_live_vs_ref=cer(source["reference"], run["live_text"]),
                           cer_after_vs_ref=cer(source["reference"], after_text))
            rows.append(run)
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                stem = args.out / f"run{i + 1}-{audio.stem}-{stop}"
                for kind, text in (("live", run["live_text"]), ("final", run["final_text"]), ("after", after_text),
                                   ("source", source["text"])):
                    stem.with_name(f"{stem.name}.{kind}.txt").write_text(text + "\n", encoding="utf-8")
                stem.with_name(f"{stem.name}.json").write_text(json.dumps(
                    {k: v for k, v in run.items() if k != "wav"}, indent=1, default=str) + "\n")
            print(f"run {i + 1}: " + json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                                                   for k, v in run.items() if k not in ("live_text", "final_text", "wav")}),
                  flush=True)

    print("\n| audio | take ends by | take s | windows | end of playback → stop s | stop → words s "
          "| stop → report s | live = whole-file | final pass s | after the fact s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        final = "none" if r["final_pass_s"] is None else f"{r['final_pass_s']:.1f}"
        print(f"| {r['audio']} | {r['stopped_by']} | {r['recorded_s']:.1f} | {r['chunks']} "
              f"| {r['played_end_to_stop_s']:.2f} | {r['words_ready_s']:.2f} | {r['stop_to_report_s']:.2f} "
              f"| {'yes' if r['whole_file_words'] else 'no'} | {final} | {r['after_s']:.1f} | {r['peak_rss_mb']:.0f} |")
    print("\n| audio | take ends by | words changed by the final pass | WER final vs after | final vs reference "
          "| live vs reference | after vs reference |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        ref = (f"{r['wer_final_vs_ref']:.3f} | {r['wer_live_vs_ref']:.3f} | {r['wer_after_vs_ref']:.3f}"
               if "wer_final_vs_ref" in r else "n/a | n/a | n/a")
        print(f"| {r['audio']} | {r['stopped_by']} | {r['final_changed_words']} | {r['wer_final_vs_after']:.3f} | {ref} |")
    print("\n| audio | take ends by | live words | after words | WER live vs after (same recording) "
          "| live vs source | after vs source | live vs reference | after vs reference | source vs reference |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ref = (f"{r['wer_live_vs_ref']:.3f} | {r['wer_after_vs_ref']:.3f} | {r['wer_source_vs_ref']:.3f}"
               if "wer_live_vs_ref" in r else "n/a | n/a | n/a")
        print(f"| {r['audio']} | {r['stopped_by']} | {r['n_words']} | {r['after_words']} "
              f"| {r['wer_live_vs_after']:.3f} | {r['wer_live_vs_source']:.3f} | {r['wer_after_vs_source']:.3f} | {ref} |")
    print("\nThe same as character error rates (letters and digits, word boundaries ignored):\n")
    print("| audio | take ends by | CER live vs after | live vs source | after vs source | live vs reference "
          "| after vs reference |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        ref = f"{r['cer_live_vs_ref']:.3f} | {r['cer_after_vs_ref']:.3f}" if "cer_live_vs_ref" in r else "n/a | n/a"
        print(f"| {r['audio']} | {r['stopped_by']} | {r['cer_live_vs_after']:.3f} | {r['cer_live_vs_source']:.3f} "
              f"| {r['cer_after_vs_source']:.3f} | {ref} |")
    for audio, source in sources.items():
        print(f"\n{audio.name}: the source file transcribed after the fact in {source['s']:.1f} s "
              f"({len(normalize(source['text']))} words)")

    script = Path(sys.executable).with_name("starcoach")
    help_cmd = [str(script), "--help"] if script.is_file() else [sys.executable, "-m", "starcoach.cli", "--help"]
    bare = startup([sys.executable, "-c", "pass"], args.startup_runs)
    imported = startup([sys.executable, "-c", "import starcoach.cli"], args.startup_runs)
    helped = startup(help_cmd, args.startup_runs)
    print(f"\nstart-up, median of {args.startup_runs}: python -c pass {bare * 1000:.0f} ms; "
          f"python -c 'import starcoach.cli' {imported * 1000:.0f} ms; starcoach --help {helped * 1000:.0f} ms "
          f"(+{(helped - bare) * 1000:.0f} ms over bare python)")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
