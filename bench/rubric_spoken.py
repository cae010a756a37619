"""The rubric on spoken answers: espeak-ng reads each whole answer of a set, Whisper base
transcribes it, and the transcript (Whisper's words, times and punctuation) is scored as a
practice take would be; the figures are rubric_eval's, beside the typed answers' own.

    python bench/rubric_spoken.py [--answers dev test7 ...]

Transcripts are cached in bench/.cache/spoken-answers/ (delete it to re-run Whisper): about a
minute an answer the first time on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from rubric_eval import DATA, answer_figures, load, pct
from starcoach.audio import load_audio
from starcoach.bank import load_bank
from starcoach.devices.transcriber import WhisperTranscriber
from starcoach.records import Transcript, Word
from starcoach.scoring import score_transcript

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache" / "spoken-answers"


def spoken(name: str, answer: dict, transcriber: WhisperTranscriber) -> Transcript:
    path = CACHE / f"{name}-{answer['id']}.json"
    if path.is_file():
        words = tuple(Word(**w) for w in json.loads(path.read_text()))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "a.wav"
            subprocess.run(["espeak-ng", "-s", "165", "-w", str(wav), answer["text"]], check=True, capture_output=True)
            words = tuple(transcriber.transcribe(load_audio(wav)))
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([{"text": w.text, "start": w.start, "end": w.end} for w in words]))
    return Transcript(words, words[-1].end, source=answer["id"], model="base")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", nargs="+", default=["dev", "test7"], help="answers_<set>.jsonl to read aloud")
    args = ap.parse_args()
    bank = load_bank(ROOT / "questions")
    transcriber = WhisperTranscriber("base")
    for name in args.answers:
        answers = load(DATA / f"answers_{name}.jsonl")

        def scorer(a, q, name=name):
            return score_transcript(spoken(name, a, transcriber), q, a["level"], bank.rubric)

        for label, fig in (("typed", answer_figures(bank, answers)), ("spoken", answer_figures(bank, answers, scorer))):
            ms = fig["mean score"]
            print(f"  answers_{name} {label:<7} caught {pct(fig['mistakes caught'])}  false alarms "
                  f"{pct(fig['false alarms on strong answers'])}  behaviours {pct(fig['behaviours found'])}  "
                  f"strong / weak {ms['strong']:.1f} / {ms['weak']:.1f} ({ms['strong'] - ms['weak']:+.1f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
