"""How the answer sounded: an answer's Voice (figures, monotone stretches, hesitations, the contour)
and the hooks scoring calls to get it (pure: numpy only, no device library).

The input is a PitchTrack (pitch_track.py) made by a tracker (devices/pitch.py: SwiftF0 by default,
or pitch_track.YinTracker), plus the words and STAR sections. The measures are in voice_measures.py,
the hesitations (filled pauses) in hesitation.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from starcoach.hesitation import Hesitation, merge, written_fillers
from starcoach.hesitation import hesitations as find_hesitations
from starcoach.pitch_track import PitchTrack, PitchTracker
from starcoach.records import Section, Word
from starcoach.voice_measures import (
    AudioChecks,
    Contour,
    MonotoneStretch,
    VoiceFigures,
    check_audio,
    clean_pitch,
    contour_from_track,
    figures,
    monotone_stretches,
    pitched_background,
    round_or_none,
)


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
            "monotone_s": round_or_none(sum(m.end - m.start for m in self.monotone)),
            "hesitations": [h.to_dict() for h in self.hesitations],
            "hesitation_count": len(self.hesitations),
            "hesitations_acoustic": sum(1 for h in self.hesitations if h.source != "words"),
            "hesitations_per_min": round_or_none(self.hesitations_per_min),
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
    contour = contour_from_track(track)
    t0 = words[0].start if words else 0.0
    t1 = words[-1].end if words else len(contour) * contour.step_s
    music = bool(pitched_background(contour, words, t0, t1))
    found = find_hesitations(track, words, sections, fillers, acoustic=not music)
    return summarise(contour, words, sections, found, tracker=tracker, checks=checks)


def from_stored(stored: object) -> VoiceSource | None:
    """A VoiceSource from a saved result's "voice" (a rescore: the stored contour and the filled
    pauses heard, summarised again over today's sections and merged with today's fillers). None when
    there is no usable stored voice (an older session, or typed text)."""
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
