"""The practice loop: speak the question -> record -> transcribe (live) -> score -> save, then follow-ups.

Devices are passed in, so tests run the loop with fakes and the CLI with the real ones.
"""

from __future__ import annotations

import logging
import random
import select
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from starcoach.answer_view import follow_up_report, terminal_report
from starcoach.bank import Bank, FollowUp, Question
from starcoach.errors import StarcoachError
from starcoach.live import LiveTranscriber
from starcoach.records import Transcript, Word
from starcoach.refine import FinalPasses
from starcoach.result import answer_dict, follow_up_dict
from starcoach.scoring import score_follow_up, score_transcript
from starcoach.stream import StreamTranscriber
from starcoach.store import Session, SessionStore

log = logging.getLogger("starcoach")


@dataclass(frozen=True)
class PracticeOptions:
    question_id: str | None = None
    random_question: bool = False
    level: str | None = None
    follow_ups: int = 1
    max_minutes: float | None = None  # default: twice the question's upper target, at most 10 minutes
    silence_s: float | None = 8.0  # stop after this much quiet once the answer has started; None: never
    inputs: Sequence[Path] = field(default_factory=tuple)  # recordings to use instead of the microphone, in order
    enter_stops: bool = True  # watch standard input for Enter (only when it is a terminal)
    final_pass: bool = True  # transcribe each recorded take again as a whole after its report (refine.py)


@dataclass(frozen=True)
class TakeResult:
    transcript: Transcript
    stopped_by: str
    report_latency_s: float  # from the stop to the words being ready
    whole_file_words: bool = False  # the words are those of a whole-file pass (a file, or an exact live pass)
    audio: object = None  # the take's samples when already decoded (a file given with --input) or recorded
    track: object = None  # its pitch track when made while recording (voice.IncrementalTrack)
    error: str | None = None  # stopped_by "write_error": why the recording could not be written


def choose_question(bank: Bank, opts: PracticeOptions, rng: random.Random) -> Question:
    if opts.question_id:
        return bank.question(opts.question_id)
    candidates = [q for q in bank.questions.values() if opts.level is None or opts.level.strip().lower() in q.levels]
    if not candidates:
        raise StarcoachError(f"no question is asked at level {opts.level!r}")
    return rng.choice(sorted(candidates, key=lambda q: q.id))


def choose_follow_ups(question: Question, level: str, n: int, rng: random.Random) -> list[FollowUp]:
    """Up to n follow-ups suited to the level, in the bank's order (a follow-up builds on the one before)."""
    suited = [f for f in question.follow_ups if level in f.levels]
    picked = set(rng.sample(range(len(suited)), min(max(n, 0), len(suited))))
    return [f for i, f in enumerate(suited) if i in picked]


class EnterKey:
    """Enter pressed on a terminal, polled without threads: a waiting reader thread would steal
    the next take's Enter."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stdin is not None and sys.stdin.isatty()

    def pressed(self) -> bool:
        if not self.enabled:
            return False
        ready, _, _ = select.select([sys.stdin], [], [], 0)
        return bool(ready) and sys.stdin.readline() != ""


class Practice:
    def __init__(self, bank: Bank, opts: PracticeOptions, *, speaker, microphone, transcriber, store: SessionStore,
                 view, rng: random.Random | None = None, tracker=None) -> None:
        self.bank, self.opts = bank, opts
        self.speaker, self.microphone, self.transcriber = speaker, microphone, transcriber
        self.store, self.view = store, view
        self.rng = rng or random.Random()
        self.enter = EnterKey(opts.enter_stops)
        self.final = FinalPasses(transcriber, view)
        self.tracker = tracker  # a voice.PitchTracker: the voice of each take is measured after its stop

    # ----------------------------------------------------------------- one take

    def _max_s(self, target_max_s: float) -> float:
        if self.opts.max_minutes is not None:
            return self.opts.max_minutes * 60
        return min(2 * target_max_s, 600.0)

    def _take_from_file(self, source: Path, dest: Path) -> TakeResult:
        import soundfile

        from starcoach.audio import SAMPLE_RATE, load_audio

        audio = load_audio(source)
        try:
            soundfile.write(dest, audio, SAMPLE_RATE, subtype="PCM_16")
        except (OSError, RuntimeError) as e:  # soundfile.LibsndfileError is a RuntimeError
            raise StarcoachError(f"cannot write the take to {dest}: {' '.join(str(e).split())}") from None
        started = time.monotonic()
        words = self.transcriber.transcribe(audio)
        latency = time.monotonic() - started
        return TakeResult(Transcript(tuple(words), len(audio) / SAMPLE_RATE, source=str(dest), model=self.transcriber.name),
                          "input", latency, whole_file_words=True, audio=audio)

    def _live(self) -> StreamTranscriber | LiveTranscriber:
        """The transcriber's own live path when it has one (Whisper: the whole-file words, stream.py),
        else chunks cut at pauses, each transcribed on its own (live.py)."""
        stream = getattr(self.transcriber, "stream", None)
        return stream() if stream is not None else LiveTranscriber(self.transcriber.transcribe)

    def _take_from_microphone(self, dest: Path, section_targets, total) -> TakeResult:
        from starcoach.devices.microphone import StopPolicy

        policy = StopPolicy(self._max_s(total[1]), self.opts.silence_s)
        live = self._live()
        pending: list = []  # the recorder hands over a block's audio just before its status
        # The voice's pitch is tracked as the take comes in (a 16 kHz mono take; anything else is
        # decoded from the file after the stop), so at the stop only its last seconds are left.
        from starcoach.audio import SAMPLE_RATE
        from starcoach.voice import IncrementalTrack

        voice: list = [IncrementalTrack(self.tracker)] if self.tracker is not None else []

        def on_block(status) -> None:
            # The status carries the rate the device really records at (it may refuse 16 kHz).
            for block in pending:
                live.feed(block, status.sample_rate)
                if voice and (status.sample_rate != SAMPLE_RATE or np.ndim(block) != 1):
                    voice.clear()
                if voice:
                    voice[0].feed(block)
            pending.clear()
            self.view.update(status.elapsed_s, status.level.rms)
            if self.enter.pressed():
                policy.request_stop()

        hint = "Enter or Ctrl-C to stop" if self.enter.enabled else "Ctrl-C to stop"
        if self.opts.silence_s:
            hint += f"; stops after {self.opts.silence_s:g}s of silence"
        self.view.start_recording(section_targets, total, hint)
        try:
            try:
                recording = self.microphone.record(dest, should_stop=policy, on_block=on_block,
                                                   on_audio=pending.append)
            finally:
                self.view.stop_recording()
            stopped = time.monotonic()
            words: list[Word] = live.finish()
        except BaseException:
            live.close()  # the model must not be left running on a thread as the program exits
            raise
        latency = time.monotonic() - stopped
        log.info("take stopped by %s; words ready %.2fs after the stop (%d %s)", recording.stopped_by, latency,
                 live.chunks, "windows" if isinstance(live, StreamTranscriber) else "chunks")
        if voice:
            for block in pending:  # any block the recorder wrote after its last status
                voice[0].feed(block)
        audio, track = voice[0].finish() if voice else (None, None)
        return TakeResult(Transcript(tuple(words), recording.duration_s, source=str(dest), model=self.transcriber.name),
                          recording.stopped_by, latency, whole_file_words=getattr(live, "exact", False),
                          audio=audio, track=track, error=getattr(recording, "error", None))

    def _take(self, session: Session, index: int, section_targets, total) -> TakeResult:
        dest = session.audio_path(index)
        if index < len(self.opts.inputs):
            result = self._take_from_file(Path(self.opts.inputs[index]), dest)
        else:
            result = self._take_from_microphone(dest, section_targets, total)
        if result.stopped_by == "interrupt":
            self.view.note("stopped (Ctrl-C): the take is kept and scored")
        elif result.stopped_by == "write_error":
            self.view.note(f"stopped: the recording could not be written ({result.error}); the take ends at "
                           f"{result.transcript.duration_s:.1f} s, is kept at {dest} and is scored as it is")
        if not result.transcript.words:
            raise StarcoachError(f"no speech detected in the answer (the recording is kept at {dest}); "
                                 "check the microphone with `starcoach devices`")
        return result

    def _voice(self, take: TakeResult, dest: Path):
        """The take's voice source (voice.py), or None without a tracker or readable audio."""
        if self.tracker is None:
            return None
        from starcoach.voice import from_audio

        audio = take.audio
        if audio is None:
            from starcoach.audio import load_audio

            try:
                audio = load_audio(dest)
            except StarcoachError as e:
                log.warning("voice not measured: %s", e)
                return None
        return from_audio(audio, self.tracker, track=take.track)

    # ----------------------------------------------------------------- the session

    def run(self) -> Session:
        q = choose_question(self.bank, self.opts, self.rng)
        level = q.level(self.opts.level)
        session = self.store.create(question_id=q.id, question_text=q.question, level=level, source="practice")
        session.hold()  # until the last final pass is in: another command must not write it meanwhile
        try:
            self.view.note(f"{q.title} \u00b7 level {level} \u00b7 session {session.id}")
            try:
                status = self._answers(session, q, level)
            except BaseException as e:
                self.final.cancel()
                session.finish("interrupted")
                if isinstance(e, KeyboardInterrupt):
                    self._note_unscored(session)
                raise
            session.finish(status)
            self.final.apply(session)
        finally:
            session.release()
        self.view.note(f"saved: {session.path}")
        return session

    def _note_unscored(self, session: Session) -> None:
        """After a second Ctrl-C: say where each take that was not scored is, and how to score it."""
        for i, entry in enumerate(session.answers):
            path = session.audio_file(i)
            if entry.get("result") is None and path is not None and path.is_file():
                answer = f" --answer {i}" if i else ""
                self.view.note(f"the take is kept at {path}, not scored: "
                               f"starcoach replay {session.id}{answer} --rescore --save scores it")

    def _answers(self, session: Session, q: Question, level: str) -> str:
        """Ask, record and score the main answer and its follow-ups; "complete" or "interrupted"."""
        self.speaker.say(q.question)
        session.add_answer({"kind": "main", "audio": session.audio_path(0).name, "result": None})
        take = self._take(session, 0, q.targets.sections, q.targets.total)
        voice = self._voice(take, session.audio_path(0))

        def rescore_main(transcript: Transcript) -> dict:
            return answer_dict(score_transcript(transcript, q, level, self.bank.rubric, voice=voice),
                               question_text=q.question)

        scored = score_transcript(take.transcript, q, level, self.bank.rubric, voice=voice)
        session.set_result(0, answer_dict(scored, question_text=q.question))
        self.view.show(terminal_report(scored, title=q.title))
        self._queue_final(session, 0, take, rescore_main)
        if take.stopped_by in ("interrupt", "write_error"):
            return "interrupted"
        for i, fu in enumerate(choose_follow_ups(q, level, self.opts.follow_ups, self.rng), start=1):
            self.speaker.say(fu.text)
            session.add_answer({"kind": "follow_up", "follow_up": fu.id, "text": fu.text,
                                "audio": session.audio_path(i).name, "result": None})
            lo, hi = fu.target
            take = self._take(session, i, _follow_up_split(lo, hi), fu.target)
            fu_voice = self._voice(take, session.audio_path(i))

            def rescore(transcript: Transcript, fu: FollowUp = fu, fu_voice=fu_voice) -> dict:
                return follow_up_dict(score_follow_up(transcript, q, fu, level, voice=fu_voice), text=fu.text)

            scored_fu = score_follow_up(take.transcript, q, fu, level, voice=fu_voice)
            session.set_result(i, follow_up_dict(scored_fu, text=fu.text))
            self.view.show(follow_up_report(scored_fu, text=fu.text))
            self._queue_final(session, i, take, rescore)
            if take.stopped_by in ("interrupt", "write_error"):
                return "interrupted"
        return "complete"

    def _queue_final(self, session: Session, index: int, take: TakeResult, rescore) -> None:
        """A recorded take whose live words may differ from a whole-file pass goes for its final pass.

        The Whisper live path is the whole-file algorithm run as the audio arrives (stream.py) and
        says when its words are those of a whole-file pass to the bit: then there is nothing to redo.
        """
        if take.stopped_by == "input":
            return  # a file given with --input was transcribed whole
        session.update_answer(index, live={"whole_file_words": take.whole_file_words,
                                           "words_ready_s": round(take.report_latency_s, 2)})
        if self.opts.final_pass and not take.whole_file_words:
            self.final.submit(index, session.audio_path(index), take.transcript, rescore)


def _follow_up_split(lo: float, hi: float) -> dict[str, tuple[float, float]]:
    """A follow-up has no STAR target; the live bar shows its whole window as 'action'."""
    return {"situation": (0, 0), "task": (0, 0), "action": (lo, hi), "result": (0, 0)}
