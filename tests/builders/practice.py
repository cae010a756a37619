"""A practice loop wired to fake devices and the tiny bank."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from rich.console import Console

from starcoach.bank import load_bank
from starcoach.practice import Practice, PracticeOptions
from starcoach.practice_view import QuietView
from starcoach.store import SessionStore
from tests.builders.bank import write_bank
from tests.fakes import FakeMicrophone, FakeSpeaker, ScriptTranscriber


def make_practice(tmp_path: Path, takes: list[np.ndarray], script: str, transcriber=None,
                  **opts) -> tuple[Practice, FakeSpeaker]:
    bank = load_bank(write_bank(tmp_path / "bank"))
    speaker = FakeSpeaker()
    opts.setdefault("final_pass", False)  # ScriptTranscriber is one script read once: no second reading
    practice = Practice(bank, PracticeOptions(silence_s=2.0, **opts), speaker=speaker, microphone=FakeMicrophone(takes),
                        transcriber=transcriber or ScriptTranscriber(script), store=SessionStore(tmp_path / "sessions"),
                        view=QuietView(Console(file=open(tmp_path / "view.txt", "w"), width=120)),
                        rng=random.Random(1))
    return practice, speaker
