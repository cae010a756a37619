"""The practice loop: speak the question -> record -> transcribe (live) -> score -> save, then follow-ups.

Devices are passed in, so tests run the loop with fakes and the CLI with the real ones. Every take
goes one way: the take source (the microphone, or devices/file_input.FileInput for a recording given
with --input) writes it and hands it to a sink (take.py) that feeds a live session (live_session.py);
the loop gets one TakeResult back, scores it and saves it. A take's final pass (refine.py) hands back
a transcript, which the loop rescores and keeps.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starcoach import scoring
from starcoach.answer_view import follow_up_report, terminal_report
from starcoach.bank import Bank, FollowUp, Question
from starcoach.chunked_live import ChunkedLiveSession
from starcoach.devices.file_input import FileInput
from starcoach.devices.microphone import TakeSource
from starcoach.errors import StarcoachError
from starcoach.levels import StopPolicy
from starcoach.live_session import LiveSession, WholeTake
from starcoach.records import Transcript, join_words
from starcoach.refine import FinalPasses, FinalTranscript
from starcoach.result import Result, result_from_dict, result_of_answer, result_of_follow_up
from starcoach.result_diff import headline, score_change
from starcoach.scoring import score_follow_up, score_transcript
from starcoach.store import Session, SessionStore
from starcoach.take import EnterKey, TakeResult, TakeSink, WholeAudio

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


class Practice:
    def __init__(self, bank: Bank, opts: PracticeOptions, *, speaker, microphone: TakeSource, transcriber,
                 store: SessionStore, view, rng: random.Random | None = None, tracker=None) -> None:
        self.bank, self.opts = bank, opts
        self.speaker, self.microphone, self.transcriber = speaker, microphone, transcriber
        self.store, self.view = store, view
        self.rng = rng or random.Random()
        self.enter = EnterKey(opts.enter_stops)
        self.final = FinalPasses(transcriber, view)
        self.tracker = tracker  # a pitch_track.PitchTracker: the voice of each take is measured after its stop
        self._asked: dict[int, tuple[FollowUp | None, Any]] = {}  # answer index -> (its follow-up, its voice)

    # ----------------------------------------------------------------- one take

    def _max_s(self, target_max_s: float) -> float:
        if self.opts.max_minutes is not None:
            return self.opts.max_minutes * 60
        return min(2 * target_max_s, 600.0)

    def _source(self, index: int) -> TakeSource:
        """Answer `index` comes from the index-th recording given with --input, else the microphone."""
        if index < len(self.opts.inputs):
            return FileInput(Path(self.opts.inputs[index]))
        return self.microphone

    def _live_session(self) -> LiveSession:
        """The transcriber's own live path when it has one (Whisper: the whole-file words, whisper_live.py),
        else chunks cut at pauses, each transcribed on its own (chunked_live.py)."""
        make = getattr(self.transcriber, "live_session", None)
        return make() if make is not None else ChunkedLiveSession(self.transcriber.transcribe)

    def _sink(self, source: TakeSource, policy: StopPolicy) -> TakeSink:
        """A take heard as it is spoken is transcribed and its pitch tracked as it comes, with the panel
        and Enter; a file is handed over whole, and transcribed whole at the stop."""
        if not source.realtime:
            return TakeSink(WholeTake(self.transcriber.transcribe), WholeAudio())
        from starcoach.pitch_track import IncrementalTrack

        voice = IncrementalTrack(self.tracker) if self.tracker is not None else None
        return TakeSink(self._live_session(), voice, view=self.view, enter=self.enter, policy=policy)

    def _hint(self) -> str:
        hint = "Enter or Ctrl-C to stop" if self.enter.enabled else "Ctrl-C to stop"
        if self.opts.silence_s:
            hint += f"; stops after {self.opts.silence_s:g}s of silence"
        return hint

    def _take(self, session: Session, index: int, section_targets, total) -> TakeResult:
        dest = session.audio_path(index)
        source = self._source(index)
        policy = StopPolicy(self._max_s(total[1]), self.opts.silence_s)
        sink = self._sink(source, policy)
        if source.realtime:
            self.view.start_recording(section_targets, total, self._hint())
        try:
            try:
                recording = source.record(dest, should_stop=policy, sink=sink)
            finally:
                if source.realtime:
                    self.view.stop_recording()
            stopped = time.monotonic()
            words = sink.live.finish()
        except BaseException:
            sink.live.close()  # the model must not be left running on a thread as the program exits
            raise
        latency = time.monotonic() - stopped
        log.info("take stopped by %s; words ready %.2fs after the stop (%d %s)", recording.stopped_by, latency,
                 sink.live.chunks, sink.live.unit)
        audio, track = sink.voice()
        transcript = Transcript(tuple(words), recording.duration_s, source=str(dest), model=self.transcriber.name)
        result = TakeResult(transcript, recording.stopped_by, latency, whole_file_words=sink.live.whole_file_words,
                            audio=audio, track=track, error=recording.error)
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
            self._keep_final_passes(session, q, level)
        finally:
            session.release()
        self.view.note(f"saved: {session.path}")
        return session

    def _keep_final_passes(self, session: Session, q: Question, level: str) -> None:
        """Each take's final transcript, rescored as its take was scored (same question, same voice)."""
        for done in self.final.collect():
            fu, voice = self._asked[done.index]

            def rescore(transcript: Transcript, fu: FollowUp | None = fu, voice=voice) -> dict:
                return scoring.rescore(transcript, q, fu, level, self.bank.rubric, voice=voice).to_dict()

            keep_final(session, done, rescore, self.view)

    def _note_unscored(self, session: Session) -> None:
        """After a second Ctrl-C: say where each take that was not scored is, and how to score it."""
        for i, entry in enumerate(session.answers):
            path = session.audio_file(i)
            if entry.get("result") is None and path is not None and path.is_file():
                answer = f" --answer {i}" if i else ""
                self.view.note(f"the take is kept at {path}, not scored: "
                               f"starcoach replay {session.id}{answer} --rescore --keep scores it")

    def _score(self, transcript: Transcript, q: Question, level: str, fu: FollowUp | None, voice) -> tuple[Any, dict]:
        """The score of the main answer (fu None) or of follow-up `fu`, and the result the session keeps."""
        if fu is None:
            scored = score_transcript(transcript, q, level, self.bank.rubric, voice=voice)
            return scored, result_of_answer(scored, question_text=q.question).to_dict()
        scored = score_follow_up(transcript, q, fu, level, voice=voice)
        return scored, result_of_follow_up(scored, text=fu.text).to_dict()

    def _answers(self, session: Session, q: Question, level: str) -> str:
        """Ask, record and score the main answer and its follow-ups; "complete" or "interrupted"."""
        if not self._answer(session, q, level, 0, None):
            return "interrupted"
        for i, fu in enumerate(choose_follow_ups(q, level, self.opts.follow_ups, self.rng), start=1):
            if not self._answer(session, q, level, i, fu):
                return "interrupted"
        return "complete"

    def _answer(self, session: Session, q: Question, level: str, i: int, fu: FollowUp | None) -> bool:
        """Answer `i`: the main one (fu None) or follow-up `fu`. False when its take ended the session."""
        if fu is None:
            self.speaker.say(q.question)
            session.add_answer({"kind": "main", "audio": session.audio_path(0).name, "result": None})
            take = self._take(session, 0, q.targets.sections, q.targets.total)
        else:
            self.speaker.say(fu.text)
            session.add_answer({"kind": "follow_up", "follow_up": fu.id, "text": fu.text,
                                "audio": session.audio_path(i).name, "result": None})
            take = self._take(session, i, _follow_up_split(*fu.target), fu.target)
        voice = self._voice(take, session.audio_path(i))
        self._asked[i] = (fu, voice)
        scored, result = self._score(take.transcript, q, level, fu, voice)
        session.set_result(i, result)
        self.view.show(terminal_report(scored, title=q.title) if fu is None else follow_up_report(scored, text=fu.text))
        self._queue_final(session, i, take)
        return take.stopped_by not in ("interrupt", "write_error")

    def _queue_final(self, session: Session, index: int, take: TakeResult) -> None:
        """A recorded take whose live words may differ from a whole-file pass goes for its final pass.

        The Whisper live path is the whole-file algorithm run as the audio arrives (whisper_live.py)
        and says when its words are those of a whole-file pass to the bit: then there is nothing to redo.
        """
        if take.stopped_by == "input":
            return  # a file given with --input was transcribed whole
        session.update_answer(index, live={"whole_file_words": take.whole_file_words,
                                           "words_ready_s": round(take.report_latency_s, 2)})
        if self.opts.final_pass and not take.whole_file_words:
            self.final.submit(index, session.audio_path(index), take.transcript)


def _follow_up_split(lo: float, hi: float) -> dict[str, tuple[float, float]]:
    """A follow-up has no STAR target; the live bar shows its whole window as 'action'."""
    return {"situation": (0, 0), "task": (0, 0), "action": (lo, hi), "result": (0, 0)}


# --------------------------------------------------------------------- a final pass kept in the session


def keep_final(session: Session, done: FinalTranscript, rescore: Callable[[Transcript], dict], view) -> None:
    """Keep answer `done.index`'s final transcript in the session (rescored when it differs from the
    live one; the live text and headline are kept beside it), and tell the candidate."""
    label = "answer" if done.index == 0 else f"follow-up {done.index}"
    if done.final is None:
        view.note(f"{label}: final pass failed ({done.error}); the live transcript is kept")
        return
    kind = session.answers[done.index].get("kind", "main")
    before_dict = session.answers[done.index]["result"] or {}
    before = read_result(kind, before_dict)
    summary: dict[str, Any] = {"changed_words": done.changed_words, "seconds": round(done.seconds, 2)}
    if done.changed_words == 0:
        session.update_answer(done.index, final_pass=summary)
        view.note(f"{label}: final transcript matches the live one ({headline(before)})")
        return
    after = rescore(done.final)
    summary.update(live_text=join_words(done.live.words), live_headline=headline(before))
    session.update_answer(done.index, result=after, final_pass=summary)
    view.note(f"{label}: final transcript differs in {done.changed_words} of {len(done.live.words)} words; "
              f"{score_change(before, read_result(kind, after))}")


def read_result(kind: str, stored: Any) -> Result:
    """A stored result through the one safe reader; an empty one when there is none."""
    found = result_from_dict(kind, stored)
    return found if found is not None else result_from_dict(kind, {})
