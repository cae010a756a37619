"""Filled pauses ("um", "uh") heard in the audio, merged with the fillers Whisper wrote.

Whisper often leaves "um" and "uh" out of its words, so a filler count from words alone is a floor.
A filled pause sounds like a held vowel: voiced, at speaking level, with a steady pitch, and it sits
where Whisper put no word. So: in each gap between Whisper's words (and just before the first one),
find runs of voiced frames at least MIN_S long whose pitch stays within MAX_SPREAD_ST and whose
level is within MAX_BELOW_DB of the answer's voiced speech. Each one found is a hesitation with its
times; those the words already hold (delivery's sound fillers) are merged in, so one sound is
counted once. Pure: numpy only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from starcoach.pitch_track import PitchTrack
from starcoach.records import Evidence, Section, Word
from starcoach.text import words as text_words

MIN_S = 0.18  # shorter voiced blips in a pause are breath noise or a word's tail
MAX_S = 2.5  # longer held voicing is humming or music, not a hesitation
MAX_SPREAD_ST = 1.5  # a filled pause holds its pitch (a word's syllables move it)
MAX_SLOPE_ST_S = 8.0  # ... and does not glide far
OUTLIER_ST = 3.0  # frames this far from the run's median pitch are tracking errors at its edges
MAX_BELOW_DB = 15.0  # quieter than this under the speech is something in the background
EDGE_S = 0.04  # Whisper's word edges are loose: keep this far from the words on either side
MIN_GAP_S = 0.25  # gaps shorter than this cannot hold a filler between two words
BRIDGE_FRAMES = 2  # unvoiced frames inside a run that do not end it
LEAD_S = 2.0  # how far before the first word an opening "um" is looked for

# The sounds among delivery.FILLERS, and the spellings Whisper also gives them ("Err.", "Ahh"): these
# are hesitations; "you know" and "I mean" are words.
SOUND_FILLERS = frozenset("um umm uhm uh uhh er err erm ah ahh eh hmm hm mm mmm mhm".split())


@dataclass(frozen=True, slots=True)
class Hesitation:
    start: float
    end: float
    source: str  # "voice" (heard between the words), "words" (Whisper wrote it), "both"
    text: str  # what Whisper wrote, or "(filled pause)"
    section: str = ""
    pitch_hz: float | None = None

    def to_dict(self) -> dict:
        return {"start": round(self.start, 2), "end": round(self.end, 2), "duration": round(self.end - self.start, 2),
                "source": self.source, "text": self.text, "section": self.section,
                "pitch_hz": None if self.pitch_hz is None or not math.isfinite(self.pitch_hz) else round(self.pitch_hz, 1)}


def _runs(mask: np.ndarray, bridge: int) -> list[tuple[int, int]]:
    """[start, end) index runs of True, with gaps of up to `bridge` False frames joined."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    runs, s, last = [], idx[0], idx[0]
    for i in idx[1:]:
        if i - last > bridge + 1:
            runs.append((s, last + 1))
            s = i
        last = i
    runs.append((s, last + 1))
    return runs


def _speech_level(track: PitchTrack, words: Sequence[Word]) -> float:
    """The median level of voiced frames inside words: what "speaking level" is for this answer."""
    t = track.times
    inside = np.zeros(len(t), dtype=bool)
    for w in words:
        a, b = np.searchsorted(t, [w.start, w.end])
        inside[a:b] = True
    sel = inside & track.voiced & np.isfinite(track.loudness_db)
    if sel.sum() < 5:
        sel = track.voiced & np.isfinite(track.loudness_db)
    return float(np.median(track.loudness_db[sel])) if sel.any() else -np.inf


def _gaps(words: Sequence[Word]) -> list[tuple[float, float]]:
    out = []
    if words:
        out.append((max(0.0, words[0].start - LEAD_S), words[0].start))
    for a, b in itertools.pairwise(words):
        out.append((a.end, b.start))
    return [(s + EDGE_S, e - EDGE_S) for s, e in out if e - s >= MIN_GAP_S]


def find_filled_pauses(track: PitchTrack, words: Sequence[Word]) -> list[tuple[float, float, float]]:
    """(start, end, median pitch) of each filled pause heard between the words."""
    if not words or len(track.f0_hz) == 0:
        return []
    level = _speech_level(track, words)
    if not np.isfinite(level):
        return []
    t, f0, loud, fs = track.times, track.f0_hz, track.loudness_db, track.frame_s
    found = []
    for gs, ge in _gaps(words):
        a, b = np.searchsorted(t, [gs, ge])
        if b - a < 2:
            continue
        voiced = np.isfinite(f0[a:b]) & (loud[a:b] >= level - MAX_BELOW_DB)
        for rs, re_ in _runs(voiced, BRIDGE_FRAMES):
            dur = (re_ - rs) * fs
            if not MIN_S <= dur <= MAX_S:
                continue
            p = f0[a + rs: a + re_]
            p = p[np.isfinite(p)]
            if len(p) < 4:
                continue
            st = 12 * np.log2(p / np.median(p))
            # A frame at an onset or offset can jump an octave (the tracker's subharmonic): such
            # outliers are dropped, but a run that is mostly off its own median is no held vowel.
            keep = np.abs(st) <= OUTLIER_ST
            if keep.mean() < 0.8:
                continue
            st = st[keep]
            slope = abs(np.polyfit(np.arange(len(st)) * fs, st, 1)[0]) if len(st) >= 3 else 0.0
            if st.std() > MAX_SPREAD_ST or slope > MAX_SLOPE_ST_S:
                continue
            found.append(((a + rs) * fs, (a + re_) * fs, float(np.median(p))))
    return found


def _is_sound_filler(text: str) -> bool:
    parts = text_words(text)
    return bool(parts) and all(p in SOUND_FILLERS for p in parts)


def _section_at(t: float, sections: Sequence[Section]) -> str:
    name = ""
    for s in sections:
        if s.words and s.start <= t + 1e-9:
            name = s.name
    return name or next((s.name for s in sections if s.words), "")


def written_fillers(words: Sequence[Word]) -> list[Evidence]:
    """The words that are filler sounds ("um", "Uh,", "Err."), as Whisper wrote them."""
    return [Evidence(w.text.strip(), w.start, w.end) for w in words if _is_sound_filler(w.text)]


def _after_word(t: float, starts: list[float]) -> int:
    """How many of the answer's real words (not fillers) start before `t`."""
    import bisect

    return bisect.bisect_right(starts, t + 1e-6)


def merge(heard: Sequence[tuple[float, float, float]], fillers: Sequence[Evidence], sections: Sequence[Section],
          *, tolerance_s: float = 0.15, words: Sequence[Word] = (), same_gap_s: float = 1.2) -> list[Hesitation]:
    """The filled pauses heard plus the sound fillers Whisper wrote (`fillers`: evidence of filler words,
    as delivery's or written_fillers() give), one entry per sound.

    A written filler and a heard one are the same sound when they overlap, or (given `words`) when they
    sit in the same gap between two real words within `same_gap_s` of each other: tiny.en, for one,
    writes its "um" up to a second after the sound, with no duration. Then the heard times are kept."""
    out: list[Hesitation] = []
    written = [f for f in fillers if _is_sound_filler(f.text)]
    starts = [w.start for w in words if not _is_sound_filler(w.text)]
    used: set[int] = set()
    for f in written:
        match = next((i for i, (s, e, _) in enumerate(heard) if i not in used
                      and s < f.end + tolerance_s and e > f.start - tolerance_s), None)
        if match is None and starts:
            gap = _after_word(f.start, starts)
            match = next((i for i, (s, e, _) in enumerate(heard) if i not in used
                          and _after_word(s, starts) == gap and min(abs(f.start - e), abs(s - f.end)) <= same_gap_s), None)
        pitch = None
        start, end = f.start, f.end
        if match is not None:
            used.add(match)
            start, end, pitch = heard[match]
        out.append(Hesitation(start, end, "both" if match is not None else "words", f.text,
                              _section_at(start, sections), pitch))
    for i, (s, e, p) in enumerate(heard):
        if i not in used:
            out.append(Hesitation(s, e, "voice", "(filled pause)", _section_at(s, sections), p))
    return sorted(out, key=lambda h: h.start)


def hesitations(track: PitchTrack | None, words: Sequence[Word], sections: Sequence[Section],
                fillers: Sequence[Evidence], *, acoustic: bool = True) -> list[Hesitation]:
    """Every hesitation of an answer: heard (when there is a track and `acoustic`) and written."""
    heard = find_filled_pauses(track, words) if track is not None and acoustic else []
    seen = {(round(f.start, 2), round(f.end, 2)) for f in fillers}
    extra = [f for f in written_fillers(words) if (round(f.start, 2), round(f.end, 2)) not in seen]
    return merge(heard, [*fillers, *extra], sections, words=words)
