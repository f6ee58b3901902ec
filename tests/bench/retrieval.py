"""Retrieval latency and index build time at 100, 1,000 and 10,000 entries, beside the naive baseline."""

from __future__ import annotations

import resource
import statistics
import time
from datetime import date
from pathlib import Path

from bot.tools.evaluation import NaiveBaseline
from knowledge.entries import load_glossary
from knowledge.search import Glossary, KnowledgeIndex, passage
from knowledge.semantic import CachedEmbedder, E5Embedder
from tests.bench.synthetic import synthetic_entries, synthetic_queries

SIZES = (100, 1_000, 10_000)
# Embedding 21,000 synthetic texts takes minutes on one core: the first run keeps their vectors here for the next.
CACHE = Path("var/bench-vectors.npz")
CACHE.parent.mkdir(exist_ok=True)
EMBEDDER = CachedEmbedder(E5Embedder(), cache_file=CACHE)
QUERIES = 300


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed(fn, queries: list[str]) -> list[float]:
    """Milliseconds per call of fn(query)."""
    out = []
    for query in queries:
        start = time.perf_counter()
        fn(query)
        out.append((time.perf_counter() - start) * 1000)
    return out


def rss_mb() -> float:
    """Peak resident set size of this process in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run() -> list[str]:
    """Benchmark rows as printable lines."""
    glossary = Glossary(load_glossary())
    queries = synthetic_queries(QUERIES)
    today = date(2026, 11, 22)
    lines = [
        f"{'entries':>8} {'build s':>8} {'p50 ms':>8} {'p99 ms':>8} {'naive p50':>10} {'naive p99':>10} {'RSS MiB':>8}"
    ]
    for size in SIZES:
        entries = synthetic_entries(size)
        start = time.perf_counter()
        index = KnowledgeIndex(entries, glossary, embedder=EMBEDDER)
        build = time.perf_counter() - start
        EMBEDDER.save([t for e in entries for t in (*dict.fromkeys((e.question, *e.paraphrases)), passage(e))], CACHE)
        ours = timed(lambda q: index.search(q, today, k=3), queries)  # noqa: B023 (used at once)
        naive = NaiveBaseline(entries)
        theirs = timed(naive.best, queries)
        lines.append(
            f"{size:>8} {build:>8.2f} {statistics.median(ours):>8.2f} {percentile(ours, 99):>8.2f} "
            f"{statistics.median(theirs):>10.2f} {percentile(theirs, 99):>10.2f} {rss_mb():>8.0f}"
        )
    return lines
