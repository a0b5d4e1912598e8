"""Skill-profile embeddings with WordLlama, loaded from the installed wheel (never downloaded).

Profiles are embedded once when written and stored as float32 bytes beside the person, so a
"people like this requirement" search is one matrix product over the pool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import wordllama
from wordllama import WordLlama

DIM = 256
DTYPE = np.float32


class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors of ``DIM`` floats."""

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Shape ``(len(texts), DIM)``, each row L2-normalised."""
        ...


class WordLlamaEmbedder:
    """WordLlama's 256-dimension model; the weights ship inside the ``wordllama`` package."""

    def __init__(self) -> None:
        cache_dir = Path(wordllama.__file__).resolve().parent
        self._model = WordLlama.load(cache_dir=cache_dir, disable_download=True, dim=DIM)

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """Embed and L2-normalise (empty texts give zero vectors, matching nothing)."""
        if not texts:
            return np.zeros((0, DIM), dtype=DTYPE)
        vectors = np.asarray(self._model.embed(texts, norm=False), dtype=DTYPE)
        return normalize(vectors)


def normalize(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length; all-zero rows stay zero.

    The norm is taken in float64: float32 squares of very small or very large components
    underflow or overflow and would give rows longer or shorter than one.
    """
    wide = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(wide, axis=1, keepdims=True)
    unit = np.divide(wide, norms, out=np.zeros_like(wide), where=norms > 0)
    return np.asarray(unit, dtype=DTYPE)


def to_bytes(vector: npt.NDArray[np.float32]) -> bytes:
    """Store a vector compactly (1 KiB for 256 floats)."""
    return np.asarray(vector, dtype=DTYPE).tobytes()


def from_bytes(blobs: list[bytes]) -> npt.NDArray[np.float32]:
    """A matrix from stored vectors, shape ``(len(blobs), DIM)``."""
    if not blobs:
        return np.zeros((0, DIM), dtype=DTYPE)
    return np.frombuffer(b"".join(blobs), dtype=DTYPE).reshape(len(blobs), DIM)


def rank(
    query: npt.NDArray[np.float32], matrix: npt.NDArray[np.float32], limit: int
) -> list[tuple[int, float]]:
    """Indices of the ``limit`` rows most similar to ``query`` (cosine, best first)."""
    if matrix.shape[0] == 0:
        return []
    scores = matrix @ query
    limit = min(limit, scores.shape[0])
    top = np.argpartition(-scores, limit - 1)[:limit]
    top = top[np.lexsort((top, -scores[top]))]
    return [(int(i), float(scores[i])) for i in top]
