"""The voice measures: a pitch track reduced to a contour, and the figures and flat stretches on it (pure).

Everything here is computed from the Contour, the track reduced to one value per CONTOUR_STEP_S: that
is what the saved session keeps (`voice.contour`), so a rescore or a report works from the same
numbers the first score did.

The figures, per section and over the answer:
- pitch variation in semitones: the standard deviation of the pitch around its median, on the musical
  scale, so a low and a high voice compare (lively speech is typically 2-4 st, a flat read under ~1.5);
- variation quotient: F0 standard deviation over its mean, in Hz (published speaker means run about
  0.11-0.24; Hincks 2004);
- loudness variation: the standard deviation of the level in dB over the voiced stretches;
- monotone stretches: MONOTONE_WINDOW_S or more of speech whose pitch stays within MONOTONE_ST,
  with the sentence said over it.
Where too little of the audio is voiced the figure is None with a reason ("could not measure pitch").
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from starcoach.pitch_track import PitchTrack
from starcoach.records import Section, Word, join_words

CONTOUR_STEP_S = 0.1  # about one contour value per 100 ms (a whole number of the tracker's frames:
# 6 x 16 ms = 96 ms for SwiftF0); the saved contour and every figure use it

# A figure needs this much voiced speech: with less, one vowel decides the spread.
MIN_VOICED_S = 2.0
# A contour step is voiced when at least this share of its frames is.
MIN_VOICED_SHARE = 0.5
# Steps further than this from the median pitch are octave errors of the tracker (a jump of 12
# semitones), not intonation; they are dropped rather than folded back.
OCTAVE_ERROR_ST = 10.0

# Monotone: a window of speech this long whose pitch spread stays under MONOTONE_ST.
MONOTONE_WINDOW_S = 5.0
MONOTONE_MIN_VOICED_S = 2.0  # of voiced speech inside the window
MONOTONE_ST = 1.2

# Samples at or past this magnitude are clipped (the microphone ran out of range).
CLIP_LEVEL = 0.999
CLIP_SHARE = 0.001  # past 0.1 % of the samples, loudness peaks are flattened: no loudness figure

# Music or another pitched sound under the speech: the share of the word gaps that is voiced ...
GAP_VOICED_SHARE = 0.5
MIN_GAP_S_FOR_CHECK = 1.5  # of gaps, before that check is trusted
# ... or the share of the whole answer that is voiced: speech stops voicing at every consonant and
# pause (hp0's reader: 37 %, gb0's radio address: 60 %); a melody or a hum hardly ever does.
MAX_VOICED_SHARE = 0.85
MIN_SPAN_S_FOR_CHECK = 3.0

_SENTENCE_END = re.compile(r"[.?!\u2026][\"'\u201d\u2019)\]]*$")


# --------------------------------------------------------------------------- the contour


@dataclass(frozen=True, eq=False)
class Contour:
    """The track at one value per `step_s`: the median pitch of each step's voiced frames (NaN when
    the step is not voiced) and the step's level in dB. This is what a session keeps."""

    step_s: float
    pitch_hz: np.ndarray
    loudness_db: np.ndarray

    def __len__(self) -> int:
        return len(self.pitch_hz)

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.pitch_hz)

    def index(self, t: float) -> int:
        return math.floor(t / self.step_s + 1e-9)

    def span(self, start: float, end: float) -> slice:
        return slice(max(0, self.index(start)), max(0, min(len(self), self.index(end))))

    def to_dict(self) -> dict:
        return {"step_s": self.step_s,
                "pitch_hz": [None if not math.isfinite(v) else round(float(v), 1) for v in self.pitch_hz],
                "loudness_db": [None if not math.isfinite(v) else round(float(v), 1) for v in self.loudness_db]}

    @classmethod
    def from_dict(cls, d: object) -> Contour | None:
        """A stored contour back; None when it is missing or malformed (a hand-edited file)."""
        if not isinstance(d, dict):
            return None
        step, pitch, loud = d.get("step_s"), d.get("pitch_hz"), d.get("loudness_db")
        if not isinstance(step, (int, float)) or isinstance(step, bool) or not step > 0:
            return None
        if not isinstance(pitch, list) or not isinstance(loud, list) or len(pitch) != len(loud):
            return None

        def arr(values: list) -> np.ndarray:
            return np.array([float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
                             for v in values], dtype=np.float64)

        return cls(float(step), arr(pitch), arr(loud))


def contour_from_track(track: PitchTrack, step_s: float = CONTOUR_STEP_S) -> Contour:
    n_frames = len(track.f0_hz)
    per = max(1, round(step_s / track.frame_s))
    n = math.ceil(n_frames / per) if n_frames else 0
    f0 = np.full(n * per, np.nan)
    f0[:n_frames] = track.f0_hz
    loud = np.full(n * per, np.nan)
    loud[:n_frames] = track.loudness_db
    f0 = f0.reshape(n, per)
    voiced_share = np.isfinite(f0).sum(axis=1) / per
    with warnings.catch_warnings():  # all-NaN steps (unvoiced, or past the end) give NaN, as wanted
        warnings.simplefilter("ignore", RuntimeWarning)
        pitch = np.nanmedian(f0, axis=1) if n else np.zeros(0)
        power = np.nanmean(10 ** (loud.reshape(n, per) / 10), axis=1) if n else np.zeros(0)
    pitch = np.where(voiced_share >= MIN_VOICED_SHARE, pitch, np.nan)
    loudness = np.where(np.isfinite(power) & (power > 0), 10 * np.log10(np.maximum(power, 1e-14)), np.nan)
    return Contour(per * track.frame_s, pitch, loudness)


# --------------------------------------------------------------------------- the figures


@dataclass(frozen=True, slots=True)
class VoiceFigures:
    """Pitch and loudness variety over one stretch (a section, or the whole answer)."""

    voiced_s: float
    mean_f0_hz: float | None
    pitch_variation_st: float | None
    variation_quotient: float | None
    loudness_variation_db: float | None
    note: str = ""  # why a figure is missing ("could not measure pitch: ...")

    @property
    def measured(self) -> bool:
        return self.pitch_variation_st is not None

    def to_dict(self) -> dict:
        return {"measured": self.measured, "voiced_s": round_or_none(self.voiced_s), "mean_f0_hz": round_or_none(self.mean_f0_hz),
                "pitch_variation_st": round_or_none(self.pitch_variation_st), "variation_quotient": round_or_none(self.variation_quotient, 3),
                "loudness_variation_db": round_or_none(self.loudness_variation_db), "note": self.note}


@dataclass(frozen=True, slots=True)
class MonotoneStretch:
    start: float
    end: float
    variation_st: float  # the pitch spread over the stretch, semitones
    section: str
    text: str  # the words said during it
    sentence: str  # the whole sentence(s) it falls in
    sentence_start: float
    sentence_end: float

    def to_dict(self) -> dict:
        return {"start": round_or_none(self.start), "end": round_or_none(self.end), "duration": round_or_none(self.end - self.start),
                "variation_st": round_or_none(self.variation_st), "section": self.section, "text": self.text,
                "sentence": self.sentence, "sentence_start": round_or_none(self.sentence_start), "sentence_end": round_or_none(self.sentence_end)}


def round_or_none(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _semitones(pitch: np.ndarray, ref: float) -> np.ndarray:
    return 12.0 * np.log2(pitch / ref)


def clean_pitch(contour: Contour) -> np.ndarray:
    """The contour's pitch with octave errors (steps far from the median) set to NaN."""
    pitch = contour.pitch_hz.copy()
    ok = np.isfinite(pitch)
    if ok.sum() >= 3:
        med = float(np.median(pitch[ok]))
        far = ok & (np.abs(_semitones(np.where(ok, pitch, med), med)) > OCTAVE_ERROR_ST)
        pitch[far] = np.nan
    return pitch


def figures(contour: Contour, pitch: np.ndarray, start: float, end: float, *, loudness_ok: bool = True,
            unreliable: str = "") -> VoiceFigures:
    """The figures over [start, end) of the answer."""
    sl = contour.span(start, end)
    p = pitch[sl]
    voiced = p[np.isfinite(p)]
    voiced_s = len(voiced) * contour.step_s
    if unreliable:
        return VoiceFigures(voiced_s, None, None, None, None, f"could not measure pitch: {unreliable}")
    if voiced_s < MIN_VOICED_S:
        return VoiceFigures(voiced_s, None, None, None, None,
                            f"could not measure pitch: only {voiced_s:.1f}s voiced (needs {MIN_VOICED_S:g}s)")
    mean = float(voiced.mean())
    st = _semitones(voiced, float(np.median(voiced)))
    loud = contour.loudness_db[sl][np.isfinite(p)]
    loud = loud[np.isfinite(loud)]
    lv = float(loud.std()) if loudness_ok and len(loud) >= 3 else None
    note = "" if loudness_ok else "the recording clips: loudness variation not measured"
    return VoiceFigures(voiced_s, mean, float(st.std()), float(voiced.std() / mean), lv, note)


def _sentence_bounds(words: Sequence[Word]) -> list[tuple[int, int]]:
    out, first = [], 0
    for i, w in enumerate(words):
        if i == len(words) - 1 or _SENTENCE_END.search(w.text.strip()):
            out.append((first, i))
            first = i + 1
    return out


def _section_at(t: float, sections: Sequence[Section]) -> str:
    live = [s for s in sections if s.words]
    name = live[0].name if live else ""
    for s in live:
        if s.start <= t + 1e-9:
            name = s.name
    return name


def monotone_stretches(contour: Contour, pitch: np.ndarray, words: Sequence[Word],
                       sections: Sequence[Section]) -> list[MonotoneStretch]:
    """Windows of MONOTONE_WINDOW_S (stepping by 1 s from the first word, the last one ending on the last word) whose voiced
    pitch spread is under MONOTONE_ST, merged where they overlap, each with the sentence said."""
    if not words:
        return []
    t0, t1 = words[0].start, words[-1].end
    flat: list[tuple[float, float]] = []
    starts = list(np.arange(t0, t1 - MONOTONE_WINDOW_S, 1.0))
    if t1 - t0 >= MONOTONE_WINDOW_S:
        starts.append(t1 - MONOTONE_WINDOW_S)  # the last window ends on the last word
    for t in starts:
        p = pitch[contour.span(t, t + MONOTONE_WINDOW_S)]
        v = p[np.isfinite(p)]
        if len(v) * contour.step_s >= MONOTONE_MIN_VOICED_S:
            spread = float(_semitones(v, float(np.median(v))).std())
            if spread < MONOTONE_ST:
                if flat and t <= flat[-1][1]:
                    flat[-1] = (flat[-1][0], t + MONOTONE_WINDOW_S)
                else:
                    flat.append((t, t + MONOTONE_WINDOW_S))
    bounds = _sentence_bounds(words)
    out = []
    for s, e in flat:
        # The words said during it: those with most of their time inside the stretch.
        inside = [i for i, w in enumerate(words)
                  if min(w.end, e) - max(w.start, s) > max(w.end - w.start, 1e-6) / 2]
        if not inside:
            continue
        s, e = max(s, words[inside[0]].start), min(e, words[inside[-1]].end)
        p = pitch[contour.span(s, e)]
        v = p[np.isfinite(p)]
        spread = float(_semitones(v, float(np.median(v))).std()) if len(v) else 0.0
        touched = [b for b in bounds if b[1] >= inside[0] and b[0] <= inside[-1]]
        first, last = touched[0][0], touched[-1][1]
        out.append(MonotoneStretch(s, e, spread, _section_at((s + e) / 2, sections), join_words(words[inside[0]: inside[-1] + 1]),
                                   join_words(words[first: last + 1]), words[first].start, words[last].end))
    return out


# --------------------------------------------------------------------------- checks on the audio


@dataclass(frozen=True, slots=True)
class AudioChecks:
    """What the raw samples say before any pitch is trusted."""

    peak: float
    clipped_share: float  # of the samples at or past CLIP_LEVEL

    @property
    def clipped(self) -> bool:
        return self.clipped_share > CLIP_SHARE


def check_audio(audio: np.ndarray) -> AudioChecks:
    x = np.asarray(audio, dtype=np.float32)
    if x.size == 0:
        return AudioChecks(0.0, 0.0)
    peak, clipped = 0.0, 0
    for b in range(0, x.size, 1 << 20):  # in blocks: no copy of the whole take
        block = np.abs(x[b: b + (1 << 20)])
        peak = max(peak, float(block.max()))
        clipped += int(np.count_nonzero(block >= CLIP_LEVEL))
    return AudioChecks(peak, clipped / x.size)


def gap_voicing(contour: Contour, words: Sequence[Word], *, min_gap_s: float = 0.5) -> tuple[float, float]:
    """(seconds of word gaps looked at, share of them voiced). Speech pauses are mostly unvoiced; music
    or a tone under the speech keeps them voiced."""
    total = voiced = 0
    for a, b in itertools.pairwise(words):
        if b.start - a.end >= min_gap_s:
            v = contour.voiced[contour.span(a.end + 0.1, b.start - 0.1)]
            total += len(v)
            voiced += int(v.sum())
    return total * contour.step_s, (voiced / total if total else 0.0)


def pitched_background(contour: Contour, words: Sequence[Word], t0: float, t1: float) -> str:
    """Why the pitch cannot be the voice's (music or a hum under it), or ""."""
    gap_s, gap_share = gap_voicing(contour, words)
    if gap_s >= MIN_GAP_S_FOR_CHECK and gap_share > GAP_VOICED_SHARE:
        return f"a pitched sound (music?) plays between the words ({gap_share:.0%} of the pauses are voiced)"
    v = contour.voiced[contour.span(t0, t1)]
    if len(v) * contour.step_s >= MIN_SPAN_S_FOR_CHECK and v.mean() > MAX_VOICED_SHARE:
        return f"a pitched sound (music?) plays under the speech ({v.mean():.0%} of the answer is voiced)"
    return ""
