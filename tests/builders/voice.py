"""Audio and sessions with a voice: tones under each word, a flat stretch, a held "uh"."""

from __future__ import annotations

import numpy as np

from starcoach.bank import load_bank
from starcoach.pitch_track import YinTracker
from starcoach.records import Transcript, Word
from starcoach.result import result_of_answer, result_of_follow_up
from starcoach.scoring import score_follow_up, score_transcript
from starcoach.store import Session, SessionStore
from starcoach.voice import from_audio
from tests.builders.audio import RATE, harmonic
from tests.builders.sessions import QUESTION_ID, SPOKEN_FOLLOW_UP, T0, spoken

UH_AFTER = 12  # a filled pause, not in the words, after this word


def voiced_words(transcript: Transcript, *, flat_from: float | None = None, uh_after: int | None = UH_AFTER):
    """Audio for the transcript's words: each word a tone with a lively pitch; from `flat_from` on, every word
    at one pitch (a monotone stretch); a held 0.3 s "uh" after word `uh_after` (the pause made for it)."""
    audio = np.zeros(int((transcript.duration_s + 0.5) * RATE), dtype=np.float32)
    for i, w in enumerate(transcript.words):
        n = int((w.end - w.start) * 0.75 * RATE)  # the last quarter of each word unvoiced, as consonants are
        if flat_from is not None and w.start >= flat_from:
            tone = harmonic(125, n / RATE)
        else:
            base = 120 * 2 ** ((i % 5 - 2) * 1.5 / 12)
            tone = harmonic(lambda t, b=base, d=max(n / RATE, 0.05): b * 2 ** (2 * t / d / 12), n / RATE)
        a = int(w.start * RATE)
        audio[a: a + len(tone)] = tone[: len(audio) - a]
    if uh_after is not None:
        gap_start = transcript.words[uh_after].end
        a = int((gap_start + 0.2) * RATE)
        uh = harmonic(110, 0.3)
        audio[a: a + len(uh)] = uh
    return audio


def with_gap(transcript: Transcript, after: int, gap: float = 0.8) -> Transcript:
    words = tuple(Word(w.text, w.start + (gap if i > after else 0), w.end + (gap if i > after else 0))
                  for i, w in enumerate(transcript.words))
    return Transcript(words, words[-1].end + 0.5, estimated=False, source="answer.wav", model="base")


def voiced_session(transcript: Transcript, audio: np.ndarray, when=T0) -> Session:
    import soundfile as sf

    bank = load_bank()
    q = bank.question(QUESTION_ID)
    session = SessionStore().create(question_id=q.id, question_text=q.question, level="em", source="practice", now=when)
    sf.write(session.audio_path(0), audio, RATE, subtype="PCM_16")
    scored = score_transcript(transcript, q, "em", bank.rubric, voice=from_audio(audio, YinTracker()))
    session.add_answer({"kind": "main", "audio": session.audio_path(0).name,
                        "result": result_of_answer(scored, question_text=q.question).to_dict()})
    fu = q.follow_up("team-found-out")
    second = spoken(SPOKEN_FOLLOW_UP)
    fu_audio = voiced_words(second, uh_after=None)
    session.add_answer({"kind": "follow_up", "follow_up": fu.id, "text": fu.text, "audio": None,
                        "result": result_of_follow_up(score_follow_up(second, q, fu, "em", voice=from_audio(fu_audio, YinTracker())),
                                                       text=fu.text).to_dict()})
    session.finish("complete")
    return session
