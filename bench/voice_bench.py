"""Voice benchmark: time and memory of the pitch, loudness and hesitation analysis, and how well
hesitations are found on espeak-ng answers with "um"/"uh" put in at known times.

    python bench/voice_bench.py [--skip-speed] [--skip-hesitations] [--answers 6]

1. Speed and memory (hp0, 273 s of one reader): a fresh Python process decodes the file, is given the
   words (Whisper base, transcribed once by the parent), then runs what `starcoach score` runs on a
   decoded file: the pitch track, contour, filled pauses and figures (voice.from_audio). Wall and CPU
   time (best of 3) and the process's peak RSS (VmHWM) before and after; SwiftF0 and the numpy YIN
   tracker. Then what practice does: the take fed to pitch_track.IncrementalTrack in 0.1 s blocks (CPU time
   spent while recording) and what is left at the stop (wall time).
2. Hesitations: answers written for this bench, spoken by espeak-ng piece by piece, with a filler
   ("um", "uh", "er", "umm") spoken on its own between two pieces, so its time is known exactly. Each
   answer is transcribed with Whisper base; then recall and precision of (a) the fillers Whisper wrote
   (the words-only count) and (b) starcoach's hesitations (heard + written, merged). A hesitation
   matches a filler when they overlap (0.15 s of slack). Two filler voices: "flat" (espeak-ng with the
   pitch range at x-low: a held filled pause, as people make them) and "espeak" (espeak-ng's own
   intonation, a fall-rise of about 5 semitones, which a filled pause in real speech does not have).

Prints markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "audio"
RATE = 16000

# Answers written for this bench (own words). {f} marks where a filler goes.
ANSWERS = [
    "Last spring our billing service started failing at the end of each month. {f} I was the on call "
    "engineer that week, so the first step was mine. {f} I pulled the logs and saw the queue backing up "
    "behind one slow report. We split the report into smaller jobs, {f} and added an alert on the queue "
    "length. After that the month end run finished in forty minutes instead of six hours.",
    "When I joined the team, {f} nobody owned the release checklist. It lived in three documents and "
    "they disagreed. {f} I asked my lead if I could merge them, and she agreed. I wrote one list, {f} "
    "walked every engineer through it, and put it next to the deploy button. Failed releases dropped "
    "from four a quarter to one.",
    "A customer reported that exports were missing rows. {f} My task was to find out why before their "
    "audit on Friday. I reproduced it with their data and found a time zone bug in the filter. {f} I "
    "fixed the query, {f} wrote a test for the edge case, and called the customer myself. They passed "
    "the audit and renewed the contract.",
    "Our mobile app took twelve seconds to start on older phones. {f} I owned performance for that "
    "quarter. I measured each step of the start up {f} and found we loaded every image before the first "
    "screen. We deferred them and cached the rest. {f} Start up fell to three seconds and the one star "
    "reviews about speed stopped.",
    "Two teams wanted the same database change in opposite directions. {f} I was asked to decide. I met "
    "each team and wrote down what they needed. {f} It turned out both needs fit one schema if we added "
    "a view. {f} We shipped it in a week, and neither team had to rewrite their code.",
    "During a launch our search results went blank for some users. {f} I was leading the launch, so I "
    "called the rollback. {f} Then I traced the problem to a cache key that ignored the language. We "
    "fixed the key, {f} tested it in every language, and launched again the next morning without a "
    "problem.",
]
FILLERS = ["um", "uh", "er", "umm"]
GAP_S = 0.15  # silence either side of a filler


# --------------------------------------------------------------------------- 1. speed and memory


def child_speed(args: argparse.Namespace) -> None:
    """One tracker: decode hp0, read the words, time the analysis. Prints one JSON line."""
    import numpy as np

    from starcoach.audio import load_audio
    from starcoach.pitch_track import YinTracker
    from starcoach.records import Word
    from starcoach.voice import from_audio

    def hwm() -> float:
        text = Path("/proc/self/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+) kB", text, re.M).group(1)) / 1024

    audio = load_audio(SHARED / "hp0_henry_f_phillips.ogg")
    words = [Word(w["text"], w["start"], w["end"]) for w in json.loads(Path(args.words).read_text())]
    from starcoach.records import sections_from_labels

    n = len(words)
    labels = ["situation"] * (n // 10) + ["task"] * (n // 10) + ["action"] * (n - n // 10 * 3) + ["result"] * (n // 10)
    sections = sections_from_labels(words, labels)
    base = hwm()
    if args.tracker.startswith("swift-f0"):
        from starcoach.devices.pitch import SwiftF0Tracker

        tracker = SwiftF0Tracker(threads=2 if args.tracker.endswith("2 threads") else 1)
        tracker.load()
    else:
        tracker = YinTracker()
    loaded = hwm()
    times, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        voice = from_audio(audio, tracker)(words, sections, ())
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    after = hwm()
    # practice: tracked as the take arrives (0.1 s blocks, as the recorder hands them over), then the stop
    from starcoach.pitch_track import IncrementalTrack

    inc = IncrementalTrack(tracker)
    c0 = time.process_time()
    for i in range(0, len(audio), 1600):
        inc.feed(audio[i: i + 1600])
    feed_cpu = time.process_time() - c0
    t0 = time.perf_counter()
    samples, track = inc.finish()
    from_audio(samples, tracker, track=track)(words, sections, ())
    stop_s = time.perf_counter() - t0
    d = voice.to_dict()
    print(json.dumps({"tracker": args.tracker, "audio_s": len(audio) / RATE, "best_s": min(times), "times": times,
                      "cpu_s": min(cpu), "feed_cpu_s": feed_cpu, "stop_s": stop_s,
                      "hwm_before": base, "hwm_loaded": loaded, "hwm_after": after,
                      "json_kb": len(json.dumps(d)) / 1024, "overall": d["overall"],
                      "monotone": d["monotone_count"], "hesitations": d["hesitation_count"],
                      "np": np.__version__}))


def transcribe(path: Path, transcriber) -> list[dict]:
    from starcoach.audio import load_audio

    return [{"text": w.text, "start": w.start, "end": w.end} for w in transcriber.transcribe(load_audio(path))]


def speed(transcriber, tmp: Path) -> None:
    words = tmp / "hp0_words.json"
    words.write_text(json.dumps(transcribe(SHARED / "hp0_henry_f_phillips.ogg", transcriber)))
    print("\n### Analysis of hp0 (273 s), after the stop\n")
    print(f"load average at the start: {os.getloadavg()[0]:.2f} (2 cores)\n")
    print("| tracker | wall time (best of 3) | runs | CPU time (best) | peak RSS: decoded audio | + tracker loaded | + analysis | "
          "added by the analysis | saved voice JSON | pitch variation | monotone | hesitations | "
          "practice: CPU while recording | practice: at the stop |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for tracker in ("swift-f0 (default, 1 thread)", "swift-f0, 2 threads", "yin"):
        out = subprocess.run([sys.executable, __file__, "--child-speed", "--tracker", tracker, "--words", str(words)],
                             capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {tracker} | {r['best_s']:.2f} s | {', '.join(f'{t:.2f}' for t in r['times'])} | {r['cpu_s']:.2f} s | {r['hwm_before']:.0f} MB | "
              f"{r['hwm_loaded']:.0f} MB | {r['hwm_after']:.0f} MB | {r['hwm_after'] - r['hwm_before']:.0f} MB "
              f"({r['hwm_after'] - r['hwm_loaded']:.0f} MB past the loaded tracker) | {r['json_kb']:.0f} KB | "
              f"{r['overall']['pitch_variation_st']} st, VQ {r['overall']['variation_quotient']} | {r['monotone']} | {r['hesitations']} | "
              f"{r['feed_cpu_s']:.2f} s | {r['stop_s']:.3f} s |")


# --------------------------------------------------------------------------- 2. hesitations


def espeak(text: str, path: Path, *, flat: bool = False, rate: int = 165) -> None:
    if flat:
        subprocess.run(["espeak-ng", "-s", str(rate), "-w", str(path), "-m",
                        f'<speak><prosody range="x-low" rate="slow">{text}</prosody></speak>'], check=True)
    else:
        subprocess.run(["espeak-ng", "-s", str(rate), "-w", str(path), text], check=True)


def build_answer(text: str, k: int, tmp: Path, variant: str):
    """The answer's audio at 16 kHz and the (start, end) of each filler put in."""
    import numpy as np

    from starcoach.audio import load_audio

    pieces = text.split("{f}")
    out, truth, t = [], [], 0.0
    silence = np.zeros(int(GAP_S * RATE), dtype=np.float32)
    for i, piece in enumerate(pieces):
        p = tmp / f"a{k}_{i}.wav"
        espeak(piece.strip(), p)
        x = load_audio(p)
        out.append(x)
        t += len(x) / RATE
        if i < len(pieces) - 1:
            word = FILLERS[(k + i) % len(FILLERS)]
            f = tmp / f"a{k}_{i}_f.wav"
            espeak(word if variant == "flat" else word + ",", f, flat=variant == "flat")
            y = load_audio(f)
            loud = np.flatnonzero(np.abs(y) > 0.01)
            out += [silence, y, silence]
            truth.append((t + GAP_S + loud[0] / RATE, t + GAP_S + loud[-1] / RATE, word))
            t += 2 * GAP_S + len(y) / RATE
    return np.concatenate(out), truth


def match(found: list[tuple[float, float]], truth: list[tuple[float, float, str]], slack: float = 0.15):
    hit_truth = sum(any(s < te + slack and e > ts - slack for s, e in found) for ts, te, _ in truth)
    hit_found = sum(any(s < te + slack and e > ts - slack for ts, te, _ in truth) for s, e in found)
    return hit_truth, hit_found


def hesitation_bench(transcribers: dict, tmp: Path, n: int) -> None:
    import soundfile as sf

    from starcoach.delivery import measure_delivery
    from starcoach.devices.pitch import SwiftF0Tracker
    from starcoach.hesitation import _is_sound_filler
    from starcoach.records import Section
    from starcoach.voice import from_audio

    tracker = SwiftF0Tracker()
    print("\n### Hesitations on espeak-ng answers with fillers put in\n")
    print("| model | filler voice | answers | fillers put in | words only (delivery's fillers): recall | precision | "
          "starcoach hesitations: recall | precision | heard, not written | heard alone (written fillers taken out of the words): recall | precision |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    details = []
    audios = {}
    for model, transcriber in transcribers.items():
        for variant in ("flat", "espeak"):
            tot = 0
            hits = {"w": [0, 0, 0], "h": [0, 0, 0], "a": [0, 0, 0]}  # truth hit, found hit, found
            heard_only = 0
            for k, text in enumerate(ANSWERS[:n]):
                if (variant, k) not in audios:
                    audios[variant, k] = build_answer(text, k, tmp, variant)
                    sf.write(tmp / f"answer_{variant}_{k}.wav", audios[variant, k][0], RATE, subtype="PCM_16")
                audio, truth = audios[variant, k]
                words = transcriber.transcribe(audio)
                whole = [Section("answer", tuple(words), words[0].start, words[-1].end)]
                d = measure_delivery(words, whole)
                source = from_audio(audio, tracker)
                voice = source(words, whole, d.fillers)
                # As if the transcriber had dropped every filler it wrote: only the ear is left.
                bare = [w for w in words if not _is_sound_filler(w.text)]
                alone = source(bare, [Section("answer", tuple(bare), bare[0].start, bare[-1].end)], ())
                runs = {"w": [(f.start, f.end) for f in d.fillers],
                        "h": [(h.start, h.end) for h in voice.hesitations],
                        "a": [(h.start, h.end) for h in alone.hesitations]}
                tot += len(truth)
                for key, found in runs.items():
                    a, b = match(found, truth)
                    hits[key][0] += a
                    hits[key][1] += b
                    hits[key][2] += len(found)
                heard_only += sum(h.source == "voice" for h in voice.hesitations)
                details.append((model, variant, k, len(truth), len(runs["w"]), len(runs["h"]), len(runs["a"]),
                                [w.text for w in words if _is_sound_filler(w.text)]))

            def pr(key: str, which: int, hits=hits, tot=tot) -> str:
                hit, n_ = hits[key][which], (tot if which == 0 else hits[key][2])
                return f"{hit / n_:.2f} ({hit}/{n_})" if n_ else "\u2013 (0 found)"

            print(f"| {model} | {variant} | {n} | {tot} | {pr('w', 0)} | {pr('w', 1)} | {pr('h', 0)} | {pr('h', 1)} | "
                  f"{heard_only} | {pr('a', 0)} | {pr('a', 1)} |")
    print("\nper answer (model, voice, answer, put in, words-only fillers, hesitations, heard alone, fillers written):")
    for row in details:
        print("   ", row)


def real_speech(transcriber, tmp: Path) -> None:
    """Hesitations found on the real recordings (no filler labels: a count to read by ear)."""
    from starcoach.audio import load_audio
    from starcoach.delivery import measure_delivery
    from starcoach.devices.pitch import SwiftF0Tracker
    from starcoach.records import Section
    from starcoach.voice import from_audio

    print("\n### Real recordings (no filler labels)\n")
    print("| file | length | fillers Whisper wrote | hesitations (heard only) | at | pitch variation | VQ | loudness variation | monotone stretches |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in ("jfk.flac", "gb0.wav", "hp0_henry_f_phillips.ogg"):
        audio = load_audio(SHARED / name)
        words = transcriber.transcribe(audio)
        whole = [Section("answer", tuple(words), words[0].start, words[-1].end)]
        d = measure_delivery(words, whole)
        v = from_audio(audio, SwiftF0Tracker())(words, whole, d.fillers)
        heard = [h for h in v.hesitations if h.source == "voice"]
        at = ", ".join(f"{h.start:.1f}" for h in heard[:8])
        o = v.overall
        print(f"| {name} | {len(audio) / RATE:.0f} s | {len(d.fillers)} | {len(v.hesitations)} ({len(heard)}) | {at} | "
              f"{o.pitch_variation_st:.2f} st | {o.variation_quotient:.3f} | {o.loudness_variation_db:.2f} dB | {len(v.monotone)} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child-speed", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--tracker", default="swift-f0")
    ap.add_argument("--words")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-hesitations", action="store_true")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--answers", type=int, default=len(ANSWERS))
    ap.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    args = ap.parse_args()
    if args.child_speed:
        return child_speed(args)
    sys.path.insert(0, str(ROOT / "src"))
    from starcoach.devices.transcriber import WhisperTranscriber

    print(f"load average before: {os.getloadavg()[0]:.2f}")
    transcribers = {m: WhisperTranscriber(None if m == "base" else m) for m in args.models}
    transcriber = next(iter(transcribers.values()))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.skip_speed:
            speed(transcriber, tmp)
        if not args.skip_hesitations:
            hesitation_bench(transcribers, tmp, args.answers)
        if not args.skip_real:
            real_speech(transcriber, tmp)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
