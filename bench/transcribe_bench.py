"""Transcription benchmark: WER, speed and memory of the bundled models on real speech.

    python bench/transcribe_bench.py [--files jfk gb0 hp0] [--repeat 2]

For each model (base, tiny.en) and each CTranslate2 thread count (1, 2), a fresh Python
process loads the model once and transcribes jfk.flac and gb0.wav with starcoach's
WhisperTranscriber, `--repeat` times each (the fastest run counts); it reports WER against
the reference text (`--files ... hp0` adds the 273 s hp0 reading, which has none), model load
time, wall time, real-time factor (wall / audio length) and the process's peak RSS.
A second table compares decoding settings for base on gb0; a third runs 1 and 2 threads
alternately in one process (`--interleave` rounds), which a busy neighbour hits alike.

Prints markdown tables. The machine is shared: the load average before and after is printed
so a noisy run can be told apart.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Reference texts are <name>.txt beside the audio; hp0 has none.
AUDIO = {"jfk": "jfk.flac", "gb0": "gb0.wav", "hp0": "hp0_henry_f_phillips.ogg"}

# Decoding variants for the settings table: overrides of starcoach's DECODE_OPTIONS.
SETTINGS = {
    "starcoach (beam 5, no conditioning)": {},
    "faster-whisper default (conditioning on)": {"condition_on_previous_text": True},
    "+ hallucination_silence_threshold=2": {"hallucination_silence_threshold": 2.0},
    "greedy (beam 1)": {"beam_size": 1},
    "no VAD": {"vad_filter": False},
}


def child(args: argparse.Namespace) -> None:
    """One model, one thread count: load once, time every file. Prints one JSON line."""
    from starcoach.audio import load_audio
    from starcoach.devices.transcriber import DECODE_OPTIONS, WhisperTranscriber
    from starcoach.records import join_words
    from starcoach.wer import word_error_rate

    audio_dir = Path(args.audio_dir)
    transcriber = WhisperTranscriber(args.model, cpu_threads=args.threads[0])
    t0 = time.perf_counter()
    model = transcriber.load()
    load_s = time.perf_counter() - t0
    rows = []
    settings = SETTINGS if args.settings else {"": {}}
    for name in args.files:
        audio = load_audio(audio_dir / AUDIO[name])
        reference_file = audio_dir / f"{name}.txt"
        reference = reference_file.read_text(encoding="utf-8") if reference_file.exists() else None
        for label, override in settings.items():
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                if override:
                    segments, _ = model.transcribe(audio, **{**DECODE_OPTIONS, **override})
                    text = " ".join(w.word.strip() for s in segments for w in (s.words or ()))
                else:
                    text = join_words(transcriber.transcribe(audio))
                best = min(best, time.perf_counter() - t)
            rows.append(
                {
                    "file": name,
                    "setting": label,
                    "audio_s": len(audio) / 16000,
                    "wall_s": best,
                    "wer": None if reference is None else word_error_rate(reference, text),
                }
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_s": load_s, "peak_rss_mb": peak_mb, "rows": rows}))


def child_interleaved(args: argparse.Namespace) -> None:
    """Both thread counts in one process, runs alternating, so a busy neighbour hits both alike."""
    from starcoach.audio import load_audio
    from starcoach.devices.transcriber import WhisperTranscriber

    audio = load_audio(Path(args.audio_dir) / AUDIO[args.files[0]])
    transcribers = {n: WhisperTranscriber(args.model, cpu_threads=n) for n in args.threads}
    for transcriber in transcribers.values():
        transcriber.transcribe(audio[: 5 * 16000])  # load and warm up
    runs: dict[int, list[float]] = {n: [] for n in transcribers}
    order = list(transcribers)
    for i in range(args.interleave):
        for n in order if i % 2 == 0 else order[::-1]:
            t = time.perf_counter()
            transcribers[n].transcribe(audio)
            runs[n].append(time.perf_counter() - t)
    print(json.dumps({"audio_s": len(audio) / 16000, "runs": runs}))


def run_child(
    args: argparse.Namespace,
    model: str,
    threads: list[int],
    files: list[str],
    settings: bool = False,
    interleave: int = 0,
):
    command = [
        sys.executable, __file__, "--child", "--model", model,
        "--threads", *map(str, threads), "--repeat", str(args.repeat),
        "--audio-dir", args.audio_dir, "--files", *files, "--interleave", str(interleave),
    ]  # fmt: skip
    if settings:
        command.append("--settings")
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _wer(row: dict) -> str:
    return "n/a" if row["wer"] is None else f"{row['wer']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--files", nargs="+", choices=sorted(AUDIO), default=["jfk", "gb0"])
    parser.add_argument("--repeat", type=int, default=2, help="runs per file; the fastest counts")
    parser.add_argument("--audio-dir", default="/work/shared/audio")
    parser.add_argument("--no-settings", action="store_true", help="skip the settings table")
    parser.add_argument(
        "--interleave", type=int, default=3, help="alternating 1/2-thread rounds on gb0 (0: skip)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--settings", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_interleaved(args) if args.interleave else child(args)
        return

    # Keep the benchmark's joined base model out of the user's cache unless asked otherwise.
    os.environ.setdefault("STARCOACH_CACHE", str(Path(tempfile.gettempdir()) / "starcoach-bench"))
    import ctranslate2

    from starcoach.models import resolve_model

    for model in args.models:  # join base's parts now, so no child's load time includes it
        t = time.perf_counter()
        resolve_model(model)
        print(f"resolve_model({model!r}): {time.perf_counter() - t:.2f} s")
    print(f"load average before: {os.getloadavg()[0]:.2f}; CPUs: {os.cpu_count()}; "
          f"ctranslate2 {ctranslate2.__version__}; repeat {args.repeat}, fastest counts\n")

    print("| model | cpu_threads | audio | length s | WER | wall s | RTF | load s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model in args.models:
        for threads in args.threads:
            result = run_child(args, model, [threads], args.files)
            for row in result["rows"]:
                print(
                    f"| {model} | {threads} | {row['file']} | {row['audio_s']:.1f} | "
                    f"{_wer(row)} | {row['wall_s']:.1f} | {row['wall_s'] / row['audio_s']:.3f} | "
                    f"{result['load_s']:.1f} | {result['peak_rss_mb']:.0f} |",
                    flush=True,
                )

    if not args.no_settings:
        print("\nDecoding settings, base, int8, cpu_threads=1, gb0:\n")
        print("| setting | WER | wall s | RTF |")
        print("|---|---|---|---|")
        result = run_child(args, "base", [1], ["gb0"], settings=True)
        for row in result["rows"]:
            print(
                f"| {row['setting']} | {_wer(row)} | {row['wall_s']:.1f} | "
                f"{row['wall_s'] / row['audio_s']:.3f} |"
            )
    if args.interleave:
        print(f"\ncpu_threads, int8, gb0, {args.interleave} rounds alternating in one process:\n")
        print("| model | cpu_threads | runs s | median s | RTF (median) |")
        print("|---|---|---|---|---|")
        for model in args.models:
            result = run_child(args, model, args.threads, ["gb0"], interleave=args.interleave)
            for threads, runs in result["runs"].items():
                median = sorted(runs)[len(runs) // 2]
                shown = ", ".join(f"{r:.1f}" for r in runs)
                print(
                    f"| {model} | {threads} | {shown} | {median:.1f} | "
                    f"{median / result['audio_s']:.3f} |",
                    flush=True,
                )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
