"""Speed and memory of reading answers by meaning.

    python bench/score_bench.py [--runs 5]

1. `starcoach score ANSWER.txt --json` on a 900-word typed answer, end to end in a fresh process
   (Python start, imports, bank load, embedding model load, clause embedding, segmentation,
   rubric): wall time (best and median of N runs) and peak RSS. Run twice first so the bank's
   example vectors are in the cache, as on any run after the first; the first run is shown too.
2. What the embedding model adds to a process that already holds Whisper base, as a practice
   session does: peak RSS after loading Whisper and transcribing, then after also scoring an
   answer by meaning.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def answer_900() -> str:
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "star_test.jsonl").read_text(encoding="utf-8").splitlines()]
    long = max((r for r in rows if r["id"].startswith("x")), key=lambda r: len(" ".join(r[n] for n in ("situation", "task", "action", "result")).split()))
    text = " ".join(long[n] for n in ("situation", "task", "action", "result"))
    words = text.split()
    while len(words) < 900:
        words += words[: 900 - len(words)]
    return " ".join(words[:900])


def timed_run(path: Path, env: dict) -> tuple[float, float]:
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        f"r = subprocess.run([{str(Path(sys.executable).parent / 'starcoach')!r}, 'score', {str(path)!r}, '-q', "
        "'disagree-and-commit', '--json'], capture_output=True); "
        "assert r.returncode == 0, r.stderr.decode(); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.split()
    return float(out[0]), float(out[1])


def practice_memory() -> None:
    code = r"""
import resource
from starcoach.audio import load_audio
from starcoach.bank import load_bank
from starcoach.devices.transcriber import WhisperTranscriber
from starcoach.records import Transcript
from starcoach.scoring import score_transcript
audio = load_audio('/work/shared/audio/gb0.wav')
t = WhisperTranscriber('base')
words = t.transcribe(audio)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
bank = load_bank()
q = bank.question('disagree-and-commit')
score_transcript(Transcript(tuple(words), len(audio) / 16000), q, 'em', bank.rubric)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(before, after)
"""
    before, after = map(float, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                              check=True).stdout.split())
    print(f"Whisper base after transcribing gb0: peak {before:.0f} MB; after scoring it by meaning too: "
          f"{after:.0f} MB (+{after - before:.0f} MB)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answer.txt"
        path.write_text(answer_900(), encoding="utf-8")
        env = {**os.environ, "STARCOACH_CACHE": str(Path(tmp) / "cache"), "STARCOACH_HOME": str(Path(tmp) / "home")}
        first = timed_run(path, env)
        print(f"first run (bank example vectors from the package, new user cache): {first[0]:.2f} s, peak {first[1]:.0f} MB")
        runs = [timed_run(path, env) for _ in range(args.runs)]
        walls = [r[0] for r in runs]
        print(f"starcoach score, 900-word typed answer, {args.runs} runs: best {min(walls):.2f} s, "
              f"median {statistics.median(walls):.2f} s, peak RSS {max(r[1] for r in runs):.0f} MB")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import starcoach.cli"], check=True)
        print(f"(python start + import starcoach.cli alone: {time.perf_counter() - t0:.2f} s)")
    practice_memory()
    return 0


if __name__ == "__main__":
    sys.exit(main())
