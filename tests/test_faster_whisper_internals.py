"""The faster-whisper internals the live path leans on (devices/whisper_windows.py, devices/transcriber.py)
are still there, with the signatures we call. pyproject.toml pins faster-whisper to the tested minor
range; this fails loudly, without a model, when a new version moves one of them.

Not marked: it imports faster_whisper (a dependency, so never skipped) and loads only its bundled
Silero VAD (a small ONNX file).
"""

from __future__ import annotations

import inspect

import numpy as np


def params(fn) -> list[str]:
    return [p for p in inspect.signature(fn).parameters if p != "self"]


def test_the_decoding_steps_we_call_keep_their_signatures() -> None:
    from faster_whisper import WhisperModel

    # WhisperWindows.decode calls these by position or keyword, as generate_segments does.
    assert params(WhisperModel.generate_with_fallback)[:4] == ["encoder_output", "prompt", "tokenizer", "options"]
    assert {"tokenizer", "tokens", "time_offset", "segment_size", "segment_duration", "seek"} <= set(
        params(WhisperModel._split_segments_by_timestamps))
    assert params(WhisperModel.add_word_timestamps)[:7] == [
        "segments", "tokenizer", "encoder_output", "num_frames", "prepend_punctuations", "append_punctuations",
        "last_speech_timestamp"]
    assert params(WhisperModel.get_prompt)[:2] == ["tokenizer", "previous_tokens"]
    assert {"without_timestamps", "prefix", "hotwords"} <= set(params(WhisperModel.get_prompt))
    assert params(WhisperModel.encode)[:1] == ["features"]
    # _split_segments_by_timestamps returns (segments, next seek, single timestamp ending)
    assert "single_timestamp_ending" in inspect.getsource(WhisperModel._split_segments_by_timestamps)
    # attributes WhisperModel.__init__ sets, which decode reads
    init = inspect.getsource(WhisperModel.__init__)
    for attribute in ("self.model", "self.hf_tokenizer", "self.feature_extractor", "self.frames_per_second"):
        assert attribute in init


def test_the_helpers_and_options_we_use_are_there() -> None:
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import TranscriptionOptions
    from faster_whisper.utils import get_end

    assert params(Tokenizer.__init__)[:2] == ["tokenizer", "multilingual"]
    assert {"task", "language"} <= set(params(Tokenizer.__init__))
    assert params(pad_or_trim)[:1] == ["array"]
    assert get_end([{"words": [{"end": 1.5}], "end": 2.0}]) == 1.5
    fields = set(getattr(TranscriptionOptions, "__dataclass_fields__", None) or TranscriptionOptions._fields)
    assert {"word_timestamps", "condition_on_previous_text", "multilingual", "hallucination_silence_threshold",
            "initial_prompt", "no_speech_threshold", "log_prob_threshold", "without_timestamps", "hotwords",
            "prepend_punctuations", "append_punctuations"} <= fields


def test_the_vad_session_takes_the_inputs_we_feed() -> None:
    from faster_whisper.vad import get_vad_model

    from starcoach.devices.whisper_windows import _CONTEXT
    from starcoach.vad_chunks import VAD_WINDOW

    session = get_vad_model().session
    inputs = {i.name: i.shape for i in session.get_inputs()}
    assert set(inputs) == {"input", "h", "c"}
    assert inputs["input"][-1] == VAD_WINDOW + _CONTEXT
    assert inputs["h"] == inputs["c"] == [1, 1, 128]
    assert len(session.get_outputs()) == 3  # probabilities, h, c


def test_the_feature_extractor_is_the_algorithm_log_mel_mirrors() -> None:
    """devices/whisper_windows.log_mel re-computes FeatureExtractor's log-Mel from its parts (n_fft,
    hop_length, stft, mel_filters) and stable_features replaces its __call__: both must still match."""
    from faster_whisper.feature_extractor import FeatureExtractor

    from starcoach.devices.whisper_windows import log_mel

    fe = FeatureExtractor()
    for attribute in ("n_fft", "hop_length", "mel_filters", "time_per_frame", "sampling_rate", "n_samples",
                      "nb_max_frames"):
        assert hasattr(fe, attribute), attribute
    assert isinstance(inspect.getattr_static(FeatureExtractor, "stft"), staticmethod)
    assert {"window", "return_complex"} <= set(params(FeatureExtractor.stft))
    assert params(FeatureExtractor.__call__)[:3] == ["waveform", "padding", "chunk_length"]
    audio = (0.1 * np.random.default_rng(5).standard_normal(16000 * 3)).astype(np.float32)
    spec = log_mel(fe, audio)
    ours = (np.maximum(spec, spec.max() - 8.0) + 4.0) / 4.0
    theirs = fe(audio)  # faster-whisper's own, in float32
    assert ours.shape == theirs.shape
    assert np.allclose(ours, theirs, atol=1e-5)
