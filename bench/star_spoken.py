"""STAR segmentation on spoken answers: espeak-ng reads each held-out answer, Whisper base
transcribes it, and the transcript's words are segmented and compared with the gold sections.

    python bench/star_spoken.py [--limit N] [--only "test 2"]

The gold section of each transcript word comes from aligning the transcript with the typed answer
(difflib over normalised words); a word Whisper added takes the section of the word before it.
Transcripts are cached in bench/.cache/spoken/ (delete it to re-run Whisper). About 10 minutes for
the 60 answers on a 2-core machine the first time.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from star_eval import SETS, Segmenters, accuracy, baseline, load
from starcoach.audio import load_audio
from starcoach.devices.transcriber import WhisperTranscriber
from starcoach.records import SECTION_NAMES, Word

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache" / "spoken"


def norm(t: str) -> str:
    return re.sub(r"[^a-z0-9]", "", t.lower())


def transcript(answer: dict, transcriber: WhisperTranscriber) -> list[Word]:
    path = CACHE / f"{answer['id']}.json"
    if path.is_file():
        return [Word(**w) for w in json.loads(path.read_text())]
    text = " ".join(answer[n] for n in SECTION_NAMES if answer[n])
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "a.wav"
        subprocess.run(["espeak-ng", "-s", "165", "-w", str(wav), text], check=True, capture_output=True)
        words = transcriber.transcribe(load_audio(wav))
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"text": w.text, "start": w.start, "end": w.end} for w in words]))
    return words


def gold_for(answer: dict, words: list[Word]) -> list[str]:
    ref, ref_lab = [], []
    for n in SECTION_NAMES:
        for tok in answer[n].split():
            if norm(tok):
                ref.append(norm(tok))
                ref_lab.append(n)
    hyp = [norm(w.text) for w in words]
    labels: list[str | None] = [None] * len(words)
    sm = difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag in ("equal", "replace"):
            for k in range(j2 - j1):
                labels[j1 + k] = ref_lab[min(i2 - 1, i1 + k * max(1, (i2 - i1)) // max(1, (j2 - j1)))]
    last = ref_lab[0]
    for i, lab in enumerate(labels):
        last = lab or last
        labels[i] = last
    return labels  # type: ignore[return-value]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--only", choices=[n for n in SETS if not n.startswith("train")], help="one set")
    args = ap.parse_args()
    transcriber = WhisperTranscriber("base")
    seg = Segmenters()
    totals = defaultdict(list)
    for name in [args.only] if args.only else [n for n in SETS if not n.startswith("train")]:
        path, prefix = SETS[name]
        if not path.exists():
            continue
        answers = load(path, prefix)[: args.limit or None]
        for a in answers:
            words = transcript(a, transcriber)
            if not words:
                continue
            gold = gold_for(a, words)
            row = (accuracy(seg.meaning(words), gold), accuracy(seg.rules(words), gold),
                   accuracy(baseline(len(words)), gold))
            totals[name].append(row)
            print(f"  {name:<15} {a['id']:<34} {len(words):4d} words  meaning {row[0]:.3f}  rules {row[1]:.3f}"
                  f"  fixed {row[2]:.3f}", flush=True)
    for name, rows in totals.items():
        m = [sum(r[i] for r in rows) / len(rows) for i in range(3)]
        print(f"{name:<15} {len(rows):3d} spoken answers  meaning {m[0]:.3f}  rules {m[1]:.3f}  fixed split {m[2]:.3f}")
    both = totals["test, own"] + totals["test, external"]
    if both:
        m = [sum(r[i] for r in both) / len(both) for i in range(3)]
        print(f"{'test, all':<15} {len(both):3d} spoken answers  meaning {m[0]:.3f}  rules {m[1]:.3f}  fixed split {m[2]:.3f}")
    seg.cache.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
