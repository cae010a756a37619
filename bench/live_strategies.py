"""Live chunking strategies against transcribing the whole file, offline (no sound server, no real time).

    python bench/live_strategies.py [--audio FILE ...] [--strategy NAME ...] [--out DIR]

Each file is fed to a strategy as a recording would be, and the words it commits are compared with
faster-whisper on the whole file (same model and settings: `WhisperTranscriber("base")`) and with
the file's reference text (`<name>.txt` beside it, when there is one). The strategies:

- ``chunks``: starcoach's live transcriber (`chunked_live.find_cut`): ~10 s chunks cut at the last pause of
  >= 0.3 s, each transcribed once.
- ``left3`` / ``right3`` / ``both3``: the same chunks, each also given 3 s of audio before it (left
  context) and/or transcribed 3 s past its commit point (right context, re-done by the next chunk);
  words are kept by their midpoint.
- ``prompt40``: the chunks, each with the last 40 committed words as Whisper's `initial_prompt`.
- ``segments``: a growing window from the last commit point, re-transcribed whenever 3 s more audio
  has come (wall-clock cost simulated: the audio "arrives" while a pass runs); every Whisper segment
  but the last that ends >= 1 s before the window's end is committed, the window restarting
  between segments; repeated words at the seam are dropped.
- ``segment-pauses``: as ``segments``, but commits only up to a pause of >= 0.3 s that lies on a
  segment boundary, so the audio is always cut in silence.

Prints a markdown table: WER against the reference, and WER and CER against the whole-file
transcript (CER ignores word boundaries: "cross head" / "crosshead").
The figures in bench/PRACTICE.md came from this logic on gb0, hp0 and two espeak-ng model answers.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from starcoach.audio import SAMPLE_RATE as SR  # noqa: E402
from starcoach.audio import load_audio  # noqa: E402
from starcoach.chunked_live import FRAME_S, ChunkPolicy, find_cut, frame_rms, quiet_threshold  # noqa: E402
from starcoach.devices.transcriber import DECODE_OPTIONS, WhisperTranscriber  # noqa: E402
from starcoach.records import Word, join_words  # noqa: E402
from starcoach.wer import word_error_rate  # noqa: E402
from starcoach.whisper_live import words_of_segment  # noqa: E402

Segments = list[list[Word]]


class Model:
    def __init__(self) -> None:
        self.model = WhisperTranscriber("base").load()

    def segments(self, audio: np.ndarray, offset: float, prompt: str | None = None) -> tuple[Segments, float]:
        """Whisper's segments of `audio` (times + offset) and the seconds the pass took."""
        started = time.perf_counter()
        options = dict(DECODE_OPTIONS, **({"initial_prompt": prompt} if prompt else {}))
        found, _ = self.model.transcribe(np.ascontiguousarray(audio, dtype=np.float32), **options)
        out: Segments = []
        previous = 0.0
        for segment in found:
            words = words_of_segment(segment.words or (), len(audio) / SR, previous)
            if words:
                previous = words[-1].start
                out.append([Word(w.text, w.start + offset, w.end + offset, w.probability) for w in words])
        return out, time.perf_counter() - started


def pause_runs(audio: np.ndarray, offset: float, min_s: float = 0.3) -> list[tuple[float, float]]:
    """(start, end) in seconds of the quiet runs of at least `min_s`, as chunked_live.find_cut judges quiet."""
    frame = int(FRAME_S * SR)
    rms = frame_rms(audio, frame)
    if len(rms) == 0:
        return []
    quiet = rms <= quiet_threshold(rms)
    runs, i, need = [], 0, round(min_s / FRAME_S)
    while i < len(quiet):
        j = i
        while j < len(quiet) and quiet[j]:
            j += 1
        if j - i >= need:
            runs.append((offset + i * FRAME_S, offset + j * FRAME_S))
        i = j + 1 if j == i else j
    return runs


def chunked(model: Model, audio: np.ndarray, left: float = 0.0, right: float = 0.0, prompt_words: int = 0) -> list[Word]:
    """Chunks cut as chunked_live.py cuts them, with optional left/right context and prompt."""
    policy, block = ChunkPolicy(), 1600
    committed: list[Word] = []
    start = pos = 0  # samples: committed up to `start`; audio seen up to `pos`
    while True:
        pos = min(len(audio), pos + block)
        final = pos >= len(audio)
        if not final:
            if pos - start < policy.target_s * SR:
                continue
            cut = find_cut(audio[start:pos], policy)
            if cut is None:
                continue
        end = len(audio) if final else start + cut
        begin = start
        if left and start:
            before = [p for p in pause_runs(audio[max(0, start - int((left + 3) * SR)):start],
                                            max(0, start - int((left + 3) * SR)) / SR) if (p[0] + p[1]) / 2 <= start / SR - left]
            begin = int((before[-1][0] + before[-1][1]) / 2 * SR) if before else max(0, start - int(left * SR))
        prompt = join_words(committed[-prompt_words:]) if prompt_words and committed else None
        segments, _ = model.segments(audio[begin:end], begin / SR, prompt)
        commit_to = end / SR
        if right and not final:
            inside = [(a + b) / 2 for a, b in pause_runs(audio[start:end], start / SR)
                      if start / SR + policy.min_s <= (a + b) / 2 <= end / SR - right]
            commit_to = inside[-1] if inside else commit_to
        committed += [w for s in segments for w in s if start / SR <= (w.start + w.end) / 2 < commit_to or (final and (w.start + w.end) / 2 >= start / SR)]
        if final:
            return committed
        start = int(commit_to * SR)
        pos = max(pos, start)


def _token(w: Word) -> str:
    return re.sub(r"[^a-z0-9']", "", w.text.lower())


def _drop_repeat(committed: list[Word], segments: Segments, seam: float) -> Segments:
    """Drop the first words of a pass that repeat the last committed ones (the seam heard twice)."""
    if not committed or not segments or segments[0][0].start > seam + 1.0:
        return segments
    tail, head = [_token(w) for w in committed[-5:]], [_token(w) for w in segments[0][:5]]
    for k in range(min(len(tail), len(head)), 0, -1):
        if tail[-k:] == head[:k]:
            rest = segments[0][k:]
            return ([rest] if rest else []) + segments[1:]
    return segments


def growing(model: Model, audio: np.ndarray, on_pauses: bool, step_s: float = 3.0, guard_s: float = 1.0) -> list[Word]:
    """A growing window re-transcribed every `step_s` of new audio, in simulated real time."""
    duration = len(audio) / SR
    clock = commit = last = 0.0
    committed: list[Word] = []
    while True:
        clock = max(clock, min(duration, last + step_s))
        now = min(clock, duration)
        segments, cost = model.segments(audio[int(commit * SR):int(now * SR)], commit)
        segments = _drop_repeat(committed, segments, commit)
        clock, last = clock + cost, now
        if now >= duration:
            return committed + [w for s in segments for w in s]
        cut = _commit_point(segments, audio, commit, now, guard_s, on_pauses)
        if cut is not None:
            committed += [w for s in segments for w in s if (w.start + w.end) / 2 < cut]
            commit = cut


def _commit_point(segments: Segments, audio: np.ndarray, commit: float, now: float, guard_s: float,
                  on_pauses: bool) -> float | None:
    if not on_pauses:
        done = [s for s in segments[:-1] if s[-1].end <= now - guard_s]
        if not done:
            return None
        end = done[-1][-1].end
        following = segments[len(done)][0].start if len(done) < len(segments) else now
        return (end + following) / 2 if following > end else end
    runs = pause_runs(audio[int(commit * SR):int(now * SR)], commit)
    best = None
    for before, after in itertools.pairwise(segments):
        for a, b in runs:
            mid = (a + b) / 2
            if b >= before[-1].end - 0.25 and a <= after[0].start + 0.25 and commit + 2.0 <= mid <= now - guard_s:
                best = mid
    if best is None and now - commit > 24.0:  # about to outgrow Whisper's 30 s window: any pause
        mids = [(a + b) / 2 for a, b in runs if commit + 4.0 <= (a + b) / 2 <= now - guard_s]
        best = mids[-1] if mids else None
    return best


STRATEGIES: dict[str, Callable[[Model, np.ndarray], list[Word]]] = {
    "chunks": lambda m, a: chunked(m, a),
    "left3": lambda m, a: chunked(m, a, left=3.0),
    "right3": lambda m, a: chunked(m, a, right=3.0),
    "both3": lambda m, a: chunked(m, a, left=3.0, right=3.0),
    "prompt40": lambda m, a: chunked(m, a, prompt_words=40),
    "segments": lambda m, a: growing(m, a, on_pauses=False),
    "segment-pauses": lambda m, a: growing(m, a, on_pauses=True),
}


def main() -> None:
    from practice_bench import cer

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--audio", type=Path, nargs="+",
                        default=[Path("/work/shared/audio/gb0.wav"), Path("/work/shared/audio/hp0_henry_f_phillips.ogg")])
    parser.add_argument("--strategy", nargs="+", choices=list(STRATEGIES), default=list(STRATEGIES))
    parser.add_argument("--out", type=Path, help="write each transcript here")
    args = parser.parse_args()
    model = Model()
    print("| audio | strategy | WER vs reference | WER vs whole file | CER vs whole file |")
    print("|---|---|---|---|---|")
    for path in args.audio:
        audio = load_audio(path)
        ref_file = path.with_suffix(".txt")
        reference = ref_file.read_text(encoding="utf-8") if ref_file.is_file() else None
        whole = join_words([w for s in model.segments(audio, 0.0)[0] for w in s])
        rows = [("whole file", whole)] + [(name, join_words(STRATEGIES[name](model, audio))) for name in args.strategy]
        for name, text in rows:
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / f"{path.stem}.{name}.txt").write_text(text + "\n", encoding="utf-8")
            ref = f"{word_error_rate(reference, text):.3f}" if reference else "n/a"
            print(f"| {path.stem} | {name} | {ref} | {word_error_rate(whole, text):.3f} | {cer(whole, text):.3f} |",
                  flush=True)


if __name__ == "__main__":
    main()
