"""How the answer sounded: pitch and loudness variety, monotone stretches, and a pitch contour.

Pure: numpy only, no device library. The input is a PitchTrack (a pitch and a level for every short
frame of the recording) made by a tracker (devices/pitch.py: SwiftF0 by default, or YinTracker here,
a numpy autocorrelation tracker the tests and the fallback use), plus the words and STAR sections.

Everything past the track is computed from the Contour, the track reduced to one value per
CONTOUR_STEP_S: that is what the saved session keeps (`voice.contour`), so a rescore or a report
works from the same numbers the first score did. Hesitations (filled pauses) are in hesitation.py.

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

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from starcoach.records import Section, Word, join_words

if TYPE_CHECKING:  # pragma: no cover
    from starcoach.hesitation import Hesitation

SAMPLE_RATE = 16000
CONTOUR_STEP_S = 0.1  # about one contour value per 100 ms (a whole number of the tracker's frames:
# 6 x 16 ms = 96 ms for SwiftF0); the saved contour and every figure use it

# The pitch range searched: below 50 Hz is hum, not a voice (the lowest bass speaking voices sit
# around 60-80 Hz); above 600 Hz is whistling, a child shrieking or an instrument.
FMIN_HZ = 50.0
FMAX_HZ = 600.0

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


# --------------------------------------------------------------------------- tracks


@dataclass(frozen=True, eq=False)
class PitchTrack:
    """A tracker's output: one frame every `frame_s` from time 0. `f0_hz` is NaN where a frame is
    unvoiced; `loudness_db` is the level of the audio around the frame (dB full scale)."""

    frame_s: float
    f0_hz: np.ndarray
    loudness_db: np.ndarray

    @property
    def times(self) -> np.ndarray:
        return np.arange(len(self.f0_hz)) * self.frame_s

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.f0_hz)


class PitchTracker(Protocol):
    """What voice analysis needs from a tracker (devices/pitch.py holds the real one)."""

    name: str

    def track(self, audio: np.ndarray) -> PitchTrack:  # float32 mono at SAMPLE_RATE
        ...


def frame_loudness(audio: np.ndarray, hop: int, window: int) -> np.ndarray:
    """The level in dB of `window` samples centred on each `hop`-sample frame."""
    x = np.asarray(audio, dtype=np.float32)
    n = max(1, len(x) // hop)
    head = x[: n * hop].reshape(n, hop) if len(x) >= hop else np.pad(x, (0, hop - len(x)))[None, :]
    power = np.empty(n)
    for b in range(0, n, 4096):  # in blocks: a float64 copy of 5 minutes of audio would be 35 MB
        block = head[b: b + 4096].astype(np.float64)
        power[b: b + 4096] = np.einsum("ij,ij->i", block, block)
    # Sum the frames around each one (window / hop of them), as a moving sum.
    k = max(1, window // hop)
    padded = np.concatenate([np.zeros(k // 2), power, np.zeros(k - k // 2 - 1)])
    summed = np.convolve(padded, np.ones(k), mode="valid")[:n]
    return 10 * np.log10(np.maximum(summed / (k * hop), 1e-14))


class YinTracker:
    """A numpy pitch tracker (YIN: the cumulative mean normalised difference of each frame with
    itself delayed; de Cheveigné and Kawahara 2002). Slower and rougher than SwiftF0, with no model:
    the tests use it, and starcoach falls back to it when onnxruntime cannot load."""

    name = "yin (numpy)"

    def __init__(self, *, hop: int = 256, window: int = 1024, threshold: float = 0.15,
                 fmin: float = FMIN_HZ, fmax: float = FMAX_HZ, gate_db: float = -50.0) -> None:
        self.hop, self.window, self.threshold = hop, window, threshold
        self.fmin, self.fmax, self.gate_db = fmin, fmax, gate_db

    def track(self, audio: np.ndarray) -> PitchTrack:
        x = np.asarray(audio, dtype=np.float32)
        hop, w = self.hop, self.window
        n = max(1, len(x) // hop)
        # Search from lag 2, not from fmax's period: a tone above fmax has a dip at twice its period
        # too, which would read as a pitch inside the range; found at its own period, it is dropped.
        lag_min = 2
        lag_max = min(int(SAMPLE_RATE / self.fmin) + 1, w // 2)
        padded = np.concatenate([x, np.zeros(w + hop, dtype=np.float32)])
        f0 = np.full(n, np.nan)
        loud = frame_loudness(x, hop, 512)
        block = 128  # frames at a time: the FFTs of a block stay small (a few MB)
        for b0 in range(0, n, block):
            idx = np.arange(b0, min(n, b0 + block))
            frames = np.lib.stride_tricks.sliding_window_view(padded, w)[idx * hop].astype(np.float64)
            half = w // 2
            spec = np.fft.rfft(frames, n=2 * w, axis=1)
            seg = np.fft.rfft(frames[:, :half], n=2 * w, axis=1)
            acf = np.fft.irfft(spec * np.conj(seg), axis=1)[:, : lag_max + 1]
            sq = np.cumsum(frames**2, axis=1)
            energy0 = sq[:, half - 1][:, None]
            lags = np.arange(lag_max + 1)
            # energy of frames[tau : tau + half]
            upper = sq[:, lags + half - 1]
            lower = np.concatenate([np.zeros((len(idx), 1)), sq[:, lags[1:] - 1]], axis=1)
            diff = energy0 + (upper - lower) - 2 * acf
            diff[:, 0] = 0.0
            cum = np.cumsum(diff[:, 1:], axis=1)
            cmnd = np.ones_like(diff)
            cmnd[:, 1:] = diff[:, 1:] * np.arange(1, lag_max + 1) / np.maximum(cum, 1e-12)
            region = cmnd[:, lag_min : lag_max + 1]
            below = region < self.threshold
            first = np.where(below.any(axis=1), below.argmax(axis=1), region.argmin(axis=1))
            # walk down to the local minimum after the first dip under the threshold
            for j in range(len(idx)):
                k = first[j]
                while k + 1 < region.shape[1] and region[j, k + 1] < region[j, k]:
                    k += 1
                first[j] = k
            best = region[np.arange(len(idx)), first]
            tau = first + lag_min
            # parabolic interpolation around the minimum
            t = tau.astype(np.float64)
            ok = (tau > lag_min) & (tau < lag_max)
            a = cmnd[np.arange(len(idx)), np.clip(tau - 1, 0, lag_max)]
            c = cmnd[np.arange(len(idx)), np.clip(tau + 1, 0, lag_max)]
            bb = cmnd[np.arange(len(idx)), tau]
            den = a - 2 * bb + c
            shift = np.where(ok & (np.abs(den) > 1e-12), 0.5 * (a - c) / np.where(den == 0, 1, den), 0.0)
            t = t + np.clip(shift, -1, 1)
            voiced = (best < 0.3) & (loud[idx] > self.gate_db)
            f0[idx] = np.where(voiced, SAMPLE_RATE / t, np.nan)
        f0[(f0 < self.fmin) | (f0 > self.fmax)] = np.nan
        return PitchTrack(hop / SAMPLE_RATE, f0, loud)


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
        return int(math.floor(t / self.step_s + 1e-9))

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
        return {"measured": self.measured, "voiced_s": _r(self.voiced_s), "mean_f0_hz": _r(self.mean_f0_hz),
                "pitch_variation_st": _r(self.pitch_variation_st), "variation_quotient": _r(self.variation_quotient, 3),
                "loudness_variation_db": _r(self.loudness_variation_db), "note": self.note}


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
        return {"start": _r(self.start), "end": _r(self.end), "duration": _r(self.end - self.start),
                "variation_st": _r(self.variation_st), "section": self.section, "text": self.text,
                "sentence": self.sentence, "sentence_start": _r(self.sentence_start), "sentence_end": _r(self.sentence_end)}


def _r(value: float | None, digits: int = 2) -> float | None:
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
    for a, b in zip(words, words[1:]):
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


# --------------------------------------------------------------------------- the voice of an answer


@dataclass(frozen=True, eq=False)
class Voice:
    """Pitch, loudness and hesitations of one answer: `overall`, per section, monotone stretches and the
    hesitations (hesitation.Hesitation), with the contour they were measured on."""

    tracker: str
    overall: VoiceFigures
    sections: dict[str, VoiceFigures]
    monotone: tuple[MonotoneStretch, ...]
    hesitations: tuple[Hesitation, ...]  # in time order
    hesitations_per_min: float
    contour: Contour
    notes: tuple[str, ...] = field(default=())
    checks: AudioChecks | None = None

    def to_dict(self) -> dict:
        return {
            "tracker": self.tracker,
            "measured": self.overall.measured,
            "overall": self.overall.to_dict(),
            "sections": {k: v.to_dict() for k, v in self.sections.items()},
            "monotone": [m.to_dict() for m in self.monotone],
            "monotone_count": len(self.monotone),
            "monotone_s": _r(sum(m.end - m.start for m in self.monotone)),
            "hesitations": [h.to_dict() for h in self.hesitations],
            "hesitation_count": len(self.hesitations),
            "hesitations_acoustic": sum(1 for h in self.hesitations if h.source != "words"),
            "hesitations_per_min": _r(self.hesitations_per_min),
            "notes": list(self.notes),
            "clipped_share": None if self.checks is None else round(self.checks.clipped_share, 5),
            "contour": self.contour.to_dict(),
        }


def summarise(contour: Contour, words: Sequence[Word], sections: Sequence[Section], hesitations: Sequence = (), *,
              tracker: str = "", checks: AudioChecks | None = None, notes: Sequence[str] = ()) -> Voice:
    """The voice of an answer from its contour (pure; a rescore calls it on the stored contour)."""
    notes = list(notes)
    loudness_ok = not (checks is not None and checks.clipped)
    if not loudness_ok:
        notes.append(f"the recording clips ({checks.clipped_share:.1%} of samples at full scale): "
                     "loudness variation is not measured")
    pitch = clean_pitch(contour)
    unreliable = ""
    t0 = words[0].start if words else 0.0
    t1 = words[-1].end if words else len(contour) * contour.step_s
    unreliable = pitched_background(contour, words, t0, t1)
    if unreliable:
        notes.append(unreliable)
    overall = figures(contour, pitch, t0, t1, loudness_ok=loudness_ok, unreliable=unreliable)
    per = {s.name: figures(contour, pitch, s.start, s.end, loudness_ok=loudness_ok, unreliable=unreliable)
           if s.words else VoiceFigures(0.0, None, None, None, None, "could not measure pitch: no words")
           for s in sections}
    monotone = () if unreliable else tuple(monotone_stretches(contour, pitch, words, sections))
    span = max(t1 - t0, 1.0)
    hes = tuple(sorted(hesitations, key=lambda h: h.start))
    rate = len(hes) * 60.0 / span if hes else 0.0
    return Voice(tracker, overall, per, monotone, hes, rate, contour, tuple(dict.fromkeys(notes)), checks)



class VoiceSource(Protocol):
    """What scoring calls, once it has the words' sections and fillers, to get an answer's Voice."""

    def __call__(self, words: Sequence[Word], sections: Sequence[Section], fillers: Sequence) -> Voice | None:
        ...


def from_audio(audio: np.ndarray, tracker: PitchTracker, *, track: PitchTrack | None = None) -> VoiceSource:
    """A VoiceSource for a recording: the track is made on the first call and kept, so scoring the
    same take against several questions, or again after a final pass, tracks it once. `track`: one
    made already (IncrementalTrack, while the take was recorded)."""
    cache: dict[str, PitchTrack] = {} if track is None else {"track": track}

    def source(words: Sequence[Word], sections: Sequence[Section], fillers: Sequence) -> Voice | None:
        if "track" not in cache:
            cache["track"] = tracker.track(audio)
        if "checks" not in cache:
            cache["checks"] = check_audio(audio)  # type: ignore[assignment]
        return analyse_track(cache["track"], words, sections, fillers, tracker=tracker.name,
                             checks=cache["checks"])  # type: ignore[arg-type]

    return source


def analyse_track(track: PitchTrack, words: Sequence[Word], sections: Sequence[Section], fillers: Sequence = (), *,
                  tracker: str = "", checks: AudioChecks | None = None) -> Voice:
    """Contour, hesitations and figures from a pitch track."""
    from starcoach.hesitation import hesitations

    contour = contour_from_track(track)
    t0 = words[0].start if words else 0.0
    t1 = words[-1].end if words else len(contour) * contour.step_s
    music = bool(pitched_background(contour, words, t0, t1))
    found = hesitations(track, words, sections, fillers, acoustic=not music)
    return summarise(contour, words, sections, found, tracker=tracker, checks=checks)


def from_stored(stored: object) -> VoiceSource | None:
    """A VoiceSource from a saved result's "voice" (a rescore: the stored contour and the filled
    pauses heard, summarised again over today's sections and merged with today's fillers). None when
    there is no usable stored voice (an older session, or typed text)."""
    from starcoach.hesitation import merge, written_fillers

    if not isinstance(stored, dict):
        return None
    contour = Contour.from_dict(stored.get("contour"))
    if contour is None:
        return None
    heard = []
    for h in stored.get("hesitations") or []:
        if isinstance(h, dict) and h.get("source") in ("voice", "both"):
            s, e, p = h.get("start"), h.get("end"), h.get("pitch_hz")
            if isinstance(s, (int, float)) and isinstance(e, (int, float)):
                heard.append((float(s), float(e), float(p) if isinstance(p, (int, float)) else float("nan")))
    clipped = stored.get("clipped_share")
    checks = AudioChecks(1.0, float(clipped)) if isinstance(clipped, (int, float)) else None
    tracker = str(stored.get("tracker") or "")

    def source(words: Sequence[Word], sections: Sequence[Section], fillers: Sequence) -> Voice | None:
        seen = {(round(f.start, 2), round(f.end, 2)) for f in fillers}
        extra = [f for f in written_fillers(words) if (round(f.start, 2), round(f.end, 2)) not in seen]
        found = merge(heard, [*fillers, *extra], sections, words=words)
        return summarise(contour, words, sections, found, tracker=tracker, checks=checks)

    return source


class IncrementalTrack:
    """Track a take while it is recorded, so only its last seconds are left to track at the stop.

    Fed the take's 16 kHz mono samples as they arrive; every `chunk_frames` frames of new audio, the
    tracker runs on them with `context_frames` of audio either side and keeps their own frames. The
    trackers read at most 11 frames back and 10 ahead (SwiftF0; YIN 1 back and 4 ahead), so the frames
    are those of tracking the whole take at once (a take quieter than devices.pitch.QUIET_PEAK is
    scaled per window rather than as a whole: its pitch can differ in the last decimals).
    """

    def __init__(self, tracker: PitchTracker, *, hop: int = 256, chunk_frames: int = 128, context_frames: int = 16) -> None:
        self.tracker, self.hop, self.chunk, self.context = tracker, hop, chunk_frames, context_frames
        self._buf = np.zeros(SAMPLE_RATE * 60, dtype=np.float32)  # grown a minute (or a quarter) at a time
        self._n = 0
        self._done = 0  # frames tracked so far
        self._f0: list[np.ndarray] = []
        self._loud: list[np.ndarray] = []
        self._frame_s: float | None = None

    @property
    def samples(self) -> np.ndarray:
        return self._buf[: self._n]

    def feed(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if self._n + len(x) > len(self._buf):
            size = max(len(self._buf) + max(SAMPLE_RATE * 60, len(self._buf) // 4), self._n + len(x))
            grown = np.zeros(size, dtype=np.float32)
            grown[: self._n] = self._buf[: self._n]
            self._buf = grown
        self._buf[self._n: self._n + len(x)] = x
        self._n += len(x)
        while self._n // self.hop - self._done >= self.chunk + self.context:
            self._run(self._done + self.chunk, right=self._done + self.chunk + self.context)

    def _run(self, end: int, *, right: int | None) -> None:
        left = max(0, self._done - self.context)
        window = self._buf[left * self.hop: (right * self.hop if right is not None else self._n)]
        track = self.tracker.track(window)
        self._frame_s = track.frame_s
        keep = slice(self._done - left, end - left)
        self._f0.append(track.f0_hz[keep])
        self._loud.append(track.loudness_db[keep])
        self._done = end

    def finish(self) -> tuple[np.ndarray, PitchTrack]:
        """The whole take's samples and its track."""
        n = max(1, self._n // self.hop)
        if self._n and self._done < n:
            self._run(n, right=None)
        frame_s = self._frame_s or self.hop / SAMPLE_RATE
        f0 = np.concatenate(self._f0) if self._f0 else np.zeros(0)
        loud = np.concatenate(self._loud) if self._loud else np.zeros(0)
        return self.samples, PitchTrack(frame_s, f0, loud)
