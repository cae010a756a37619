"""The faster-whisper side of live transcription (whisper_live.py): VAD probabilities as the audio
arrives, and one 30 s window decoded exactly as `WhisperModel.transcribe` decodes it.

Why not call `transcribe` on pieces: its loop decides where the next window starts only after
decoding the one before, so a piece cannot be cut to match; and the VAD it runs first needs the
whole file. These two classes take faster-whisper's loop apart at its own seams, for starcoach's
decoding options (DECODE_OPTIONS: English, word times, VAD, no conditioning on previous text, no
hallucination-silence threshold). They lean on faster-whisper internals (`generate_with_fallback`,
`_split_segments_by_timestamps`, the VAD model's session), so `tests/test_transcriber_real.py`
checks on real speech that the live words equal the whole-file words.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from starcoach.records import Word
from starcoach.vad_chunks import VAD_WINDOW
from starcoach.whisper_live import HOP, WINDOW_FRAMES, Heard, WindowResult, window_region, words_of_segment

_CONTEXT = 64  # samples of the previous VAD window the Silero model sees with each window


class SileroProbs:
    """faster-whisper's Silero VAD, fed in order: the model is recurrent, so its state (h, c) is
    carried from call to call; the probabilities equal one call over the whole audio."""

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)  # faster-whisper starts from zeros
        self._rest = np.zeros(0, dtype=np.float32)

    def _run(self, windows: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, Any, Any]:
        rows = windows.reshape(-1, VAD_WINDOW)
        context = np.concatenate([self._context[np.newaxis], rows[:-1, -_CONTEXT:]])
        out, h, c = self._session.run(None, {"input": np.concatenate([context, rows], axis=1), "h": h, "c": c})
        return np.asarray(out, dtype=np.float32).ravel(), h, c

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """The probabilities of the whole windows completed by `samples`."""
        audio = np.concatenate([self._rest, np.asarray(samples, dtype=np.float32)])
        n = len(audio) // VAD_WINDOW * VAD_WINDOW
        self._rest = audio[n:]
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        probs, self._h, self._c = self._run(audio[:n], self._h, self._c)
        self._context = audio[n - _CONTEXT:n]
        return probs

    def tail(self) -> float:
        """The probability of the last, zero-padded window if the audio ended now (as faster-whisper
        pads: a whole window of zeros when the length is a multiple of 512). State is not changed."""
        window = np.zeros(VAD_WINDOW, dtype=np.float32)
        window[:len(self._rest)] = self._rest
        probs, _, _ = self._run(window, self._h, self._c)
        return float(probs[0])


def log_mel(fe: Any, samples: np.ndarray, pad: int = 160) -> np.ndarray:
    """The log-Mel spectrogram as faster-whisper computes it, but with the Mel product and the log
    in float64 (then float32). numpy's float32 log10 is vectorised and rounds an element by where it
    sits in the array, so a window computed from a slice of the take differed from the whole file's
    in the last bit (an AVX-512 machine: a few hundred bins a window), and beam search then sometimes
    chose other words. In float64 every bin is the same whatever the slice."""
    if pad:
        samples = np.pad(samples, (0, pad))
    window = np.hanning(fe.n_fft + 1)[:-1].astype("float32")
    stft = fe.stft(samples.astype(np.float32), fe.n_fft, fe.hop_length, window=window, return_complex=True).astype("complex64")
    power = (np.abs(stft[..., :-1]) ** 2).astype(np.float64)
    return np.log10(np.clip(fe.mel_filters.astype(np.float64) @ power, a_min=1e-10, a_max=None)).astype(np.float32)


def stable_features(fe: Any) -> None:
    """Make faster-whisper's whole-file features the live path's (log_mel above): the same
    algorithm, computed so that a slice and the whole file agree to the bit."""
    base = type(fe)
    if getattr(base, "_starcoach_stable", False):
        return

    class StableFeatureExtractor(base):  # type: ignore[misc, valid-type]
        _starcoach_stable = True

        def __call__(self, waveform, padding=160, chunk_length=None):
            if chunk_length is not None:
                self.n_samples = chunk_length * self.sampling_rate
                self.nb_max_frames = self.n_samples // self.hop_length
            spec = log_mel(self, np.asarray(waveform, dtype=np.float32), pad=padding or 0)
            return (np.maximum(spec, spec.max() - 8.0) + 4.0) / 4.0

    fe.__class__ = StableFeatureExtractor


class WhisperWindows:
    """Decodes one window of the collapsed speech as faster-whisper's `generate_segments` would."""

    def __init__(self, model: Any, options: Any) -> None:
        from faster_whisper.tokenizer import Tokenizer

        self.model = model
        self.options = options
        self.tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
        self._block_max: dict[tuple[int, int, bytes], float] = {}

    @classmethod
    def for_model(cls, model: Any, decode_options: dict[str, Any]) -> WhisperWindows:
        # transcribe() builds the exact TranscriptionOptions; it decodes nothing until iterated.
        _segments, info = model.transcribe(np.zeros(VAD_WINDOW, dtype=np.float32), **decode_options)
        opts = info.transcription_options
        if not (opts.word_timestamps and not opts.condition_on_previous_text and not opts.multilingual
                and opts.hallucination_silence_threshold is None and opts.initial_prompt is None):
            raise ValueError("live decoding mirrors faster-whisper only for starcoach's DECODE_OPTIONS")
        return cls(model, opts)

    def log_mel(self, samples: np.ndarray, at_end: bool) -> np.ndarray:
        """faster-whisper's FeatureExtractor before its last step, the clamp to the loudest bin."""
        return log_mel(self.model.feature_extractor, samples, pad=160 if at_end else 0)

    def reference(self, speech: np.ndarray) -> float:
        """The loudest log-Mel bin of `speech`: Whisper clamps every bin to 8 (80 dB) below it.

        Worked out 30 s at a time (the whole take at once would take ~200 MB for 5 minutes), and
        each block's loudest bin is kept while its samples stay the same: only the end changes.
        """
        n_frames = len(speech) // HOP + 1  # the frames FeatureExtractor gives for the whole speech
        loudest, known = float("-inf"), {}
        for f0 in range(0, n_frames if len(speech) else 0, WINDOW_FRAMES):
            a0, a1 = window_region(f0, len(speech))
            key = (f0, a1 - a0, hashlib.blake2b(speech[a0:a1].tobytes(), digest_size=16).digest())
            if key not in self._block_max:
                frames = self.log_mel(speech[a0:a1], a1 == len(speech))
                first = f0 - a0 // HOP
                self._block_max[key] = float(frames[:, first:first + min(WINDOW_FRAMES, n_frames - f0)].max())
            known[key] = self._block_max[key]
            loudest = max(loudest, known[key])
        self._block_max = known
        return loudest if known else 0.0

    def features(self, speech: np.ndarray, seek: int) -> tuple[np.ndarray, int, float]:
        """Frames [seek, seek + size) of the whole speech's features, computed from a slice with a few
        frames of context each side (the STFT's edges); `size` is what the whole-file loop uses.

        Whisper clamps each bin to 80 dB below the loudest bin of the whole file. The rest of the
        take is not known yet, so the loudest bin of the speech so far stands in; when the take's
        loudest moment comes later, this window's quietest bins (and maybe a word time) differ.
        """
        a0, a1 = window_region(seek, len(speech))
        at_end = a1 == len(speech)
        region = self.log_mel(speech[a0:a1], at_end)
        loudest = self.reference(speech)
        first = seek - a0 // HOP
        size = min(WINDOW_FRAMES, len(speech) // HOP - seek)
        return (np.maximum(region[:, first:first + size], loudest - 8.0) + 4.0) / 4.0, size, loudest

    def decode(self, speech: np.ndarray, seek: int, last_speech: float) -> WindowResult:
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.utils import get_end

        model, opts, tok = self.model, self.options, self.tokenizer
        feats, size, loudest = self.features(speech, seek)
        time_offset = seek * model.feature_extractor.time_per_frame
        encoder_output = model.encode(pad_or_trim(feats))
        prompt = model.get_prompt(tok, [], without_timestamps=opts.without_timestamps, prefix=None,
                                  hotwords=opts.hotwords)
        result, avg_logprob, _temperature, _ratio = model.generate_with_fallback(encoder_output, prompt, tok, opts)
        if opts.no_speech_threshold is not None and result.no_speech_prob > opts.no_speech_threshold and not (
                opts.log_prob_threshold is not None and avg_logprob > opts.log_prob_threshold):
            return WindowResult([], seek + size, last_speech, loudest)
        segments, next_seek, single_timestamp_ending = model._split_segments_by_timestamps(
            tokenizer=tok, tokens=result.sequences_ids[0], time_offset=time_offset, segment_size=size,
            segment_duration=size * model.feature_extractor.time_per_frame, seek=seek)
        model.add_word_timestamps([segments], tok, encoder_output, size, opts.prepend_punctuations,
                                  opts.append_punctuations, last_speech_timestamp=last_speech)
        last_word_end = get_end(segments)
        if not single_timestamp_ending and last_word_end is not None and last_word_end > time_offset:
            next_seek = round(last_word_end * model.frames_per_second)
        if last_word_end is not None:
            last_speech = last_word_end
        heard = [[Heard(w["word"], w["start"], w["end"], w["probability"]) for w in s["words"]]
                 for s in segments if s["start"] != s["end"] and tok.decode(s["tokens"]).strip()]
        return WindowResult(heard, next_seek, last_speech, loudest)

    @staticmethod
    def words(segments: list[list[Heard]], duration: float) -> list[Word]:
        words: list[Word] = []
        for segment in segments:
            words.extend(words_of_segment(segment, duration, words[-1].start if words else 0.0))
        return words
