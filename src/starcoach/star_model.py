"""The STAR clause classifier: which section a clause reads like, from its meaning and its place.

Pure: numpy only. Each clause is described by its sentence embedding (starcoach.meaning), where it
sits in the answer, and the general cue scores of star_cues; a multinomial logistic regression,
fitted offline by bench/star_fit.py on a labelled corpus (bench/data/star_train.jsonl), turns that
into a probability for each section. starcoach.star decodes those probabilities in STAR order with
dynamic programming, so the sections stay contiguous.

The weights ship as meaning_data/star_classifier.npz with the name of the embedder they were fitted
with; with any other embedder (the tests' fakes) the segmenter uses its cue rules alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

CENTRES = np.array([0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.85, 0.95, 1.0])
WIDTH = 0.09
VERSION = 1


def position_features(start: int, end: int, n: int, first: bool, last: bool) -> np.ndarray:
    mid = (start + end) / 2 / max(n, 1)
    bumps = np.exp(-0.5 * ((mid - CENTRES) / WIDTH) ** 2)
    return np.concatenate([bumps, [start / max(n, 1), end / max(n, 1), float(first), float(last),
                                   np.log1p(end - start) / 3.0]])


def clause_features(vectors: np.ndarray, spans: Sequence[tuple[int, int]], n_words: int,
                    cues: Sequence[Sequence[float]], announced: Sequence[int | None], context: bool = False) -> np.ndarray:
    """One row per clause: embedding, position, cue scores, and the section a signpost names; with
    `context`, also the mean embedding of the two clauses before and of the two after."""
    rows = []
    m = len(spans)
    if context and m:
        zero = np.zeros((2, vectors.shape[1]), dtype=vectors.dtype)
        padded = np.vstack([zero, vectors, zero])
        before = (padded[0:m] + padded[1 : m + 1]) / 2
        after = (padded[3 : m + 3] + padded[4 : m + 4]) / 2
        vectors = np.hstack([vectors, before, after])
    for i, (a, b) in enumerate(spans):
        named = np.zeros(4)
        if announced[i] is not None:
            named[announced[i]] = 1.0
        cue = np.clip(np.asarray(cues[i], dtype=float) / 4.0, 0, 3)
        rows.append(np.concatenate([vectors[i], position_features(a, b, n_words, i == 0, i == m - 1), cue, named]))
    return np.asarray(rows, dtype=np.float32)


@dataclass(frozen=True)
class StarClassifier:
    weights: np.ndarray  # (features, 4)
    bias: np.ndarray  # (4,)
    mean: np.ndarray  # feature standardisation
    scale: np.ndarray
    embedder: str  # the embedder the weights were fitted with
    settings: dict  # decoding settings chosen with the weights

    def log_proba(self, features: np.ndarray) -> np.ndarray:
        z = ((features - self.mean) / self.scale) @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def save(self, path: Path) -> None:
        np.savez(path, weights=self.weights, bias=self.bias, mean=self.mean, scale=self.scale,
                 embedder=np.array(self.embedder), version=np.array(VERSION),
                 settings_keys=np.array(list(self.settings)), settings_values=np.array(list(self.settings.values()), dtype=float))

    @classmethod
    def load(cls, path: Path) -> StarClassifier | None:
        try:
            with np.load(path, allow_pickle=False) as d:
                if int(d["version"]) != VERSION:
                    return None
                settings = dict(zip((str(k) for k in d["settings_keys"]), (float(v) for v in d["settings_values"]),
                                    strict=False))
                return cls(d["weights"], d["bias"], d["mean"], d["scale"], str(d["embedder"]), settings)
        except (OSError, KeyError, ValueError):
            return None


def fit(features: np.ndarray, labels: np.ndarray, *, l2: float = 1.0, steps: int = 400, sample_weight=None) -> tuple:
    """Multinomial logistic regression by full-batch gradient descent with Adam (small data: a few
    thousand clauses). Returns weights, bias, mean, scale."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-3
    x = (features - mean) / scale
    n, d = x.shape
    y = np.eye(4)[labels]
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    sw = sw / sw.mean()
    w = np.zeros((d, 4))
    b = np.zeros(4)
    mw, vw, mb, vb = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    lr, beta1, beta2 = 0.05, 0.9, 0.999
    for t in range(1, steps + 1):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - y) * sw[:, None] / n
        gw = x.T @ g + l2 * w / n
        gb = g.sum(axis=0)
        for param, grad, m_, v_ in ((w, gw, mw, vw), (b, gb, mb, vb)):
            m_ *= beta1
            m_ += (1 - beta1) * grad
            v_ *= beta2
            v_ += (1 - beta2) * grad * grad
            param -= lr * (m_ / (1 - beta1**t)) / (np.sqrt(v_ / (1 - beta2**t)) + 1e-8)
    return w.astype(np.float32), b.astype(np.float32), mean.astype(np.float32), scale.astype(np.float32)


def classifier_file() -> Path:
    return Path(str(resources.files("starcoach.meaning_data").joinpath("star_classifier.npz")))


@lru_cache(maxsize=1)
def shipped() -> StarClassifier | None:
    path = classifier_file()
    return StarClassifier.load(path) if path.is_file() else None
