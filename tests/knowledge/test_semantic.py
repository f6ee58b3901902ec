"""The embedder's caches: a message seen lately is not embedded again (its vector depends on its text alone), the
cache of messages stays within its bound, and a knowledge-base text comes from the cache of known texts."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from knowledge.semantic import QUERY_CACHE_SIZE, CachedEmbedder


class CountingEmbedder:
    """A stand-in model: a distinct unit vector per text, and every text it was asked to embed."""

    name = "counting"

    def __init__(self):
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.seen.extend(texts)
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(8) for t in texts]
        return np.asarray([row / np.linalg.norm(row) for row in rows], dtype=np.float32).reshape(len(texts), 8)


def test_a_repeated_message_gets_the_same_vector_without_the_model():
    model = CountingEmbedder()
    embedder = CachedEmbedder(model, cache_file=None)
    first = embedder.query("駐車場はありますか")
    again = embedder.query("駐車場はありますか")
    assert again is first and model.seen == ["駐車場はありますか"]
    assert not first.flags.writeable  # shared with every later caller: nobody may change it
    with pytest.raises(ValueError):
        first[0] = 0.0
    other = embedder.query("駐車場はありますか？")  # keyed by the exact text: another text is embedded
    assert model.seen == ["駐車場はありますか", "駐車場はありますか？"] and not np.array_equal(other, first)


def test_the_message_cache_is_bounded_and_drops_the_least_recently_used():
    model = CountingEmbedder()
    embedder = CachedEmbedder(model, cache_file=None, queries=3)
    for text in ("a", "b", "c"):
        embedder.query(text)
    embedder.query("a")  # used again: "b" is now the least recently used
    embedder.query("d")
    assert embedder.recent_queries.cache_info().currsize == 3
    embedder.query("a")
    embedder.query("c")
    assert model.seen == ["a", "b", "c", "d"]  # still cached
    embedder.query("b")
    assert model.seen == ["a", "b", "c", "d", "b"]  # dropped, so embedded again
    assert QUERY_CACHE_SIZE == CachedEmbedder(model, cache_file=None).recent_queries.cache_info().maxsize


def test_knowledge_base_texts_come_from_their_own_cache_and_do_not_fill_the_message_cache():
    model = CountingEmbedder()
    embedder = CachedEmbedder(model, cache_file=None)
    vectors = embedder.embed(["ボランティアを始めたい", "会議室を借りたい"])
    assert np.array_equal(embedder.query("会議室を借りたい"), vectors[1])
    assert model.seen == ["ボランティアを始めたい", "会議室を借りたい"]
    assert embedder.recent_queries.cache_info().currsize == 0


def test_threads_asking_at_once_get_equal_vectors_and_the_cache_stays_bounded():
    model = CountingEmbedder()
    embedder = CachedEmbedder(model, cache_file=None, queries=16)
    texts = [f"質問 {i % 40}" for i in range(400)]
    results: dict[int, list] = {}
    start = threading.Barrier(8)

    def ask(n: int) -> None:
        start.wait()
        results[n] = [(text, embedder.query(text)) for text in texts[n::8]]

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = {text: model.embed([text])[0] for text in set(texts)}
    assert all(np.array_equal(vector, expected[text]) for found in results.values() for text, vector in found)
    assert embedder.recent_queries.cache_info().currsize == 16


def test_each_entry_scores_its_closest_wording_and_its_answer():
    from knowledge.entries import Entry
    from knowledge.search import KnowledgeIndex, passage

    wordings = {"a": ("ボランティアを始めたい", "何か手伝いたい"), "b": ("NPO法人を作りたい", "設立 人数", "NPO 何人"),
                "c": ("駐車場はありますか",)}  # fmt: skip
    entries = [Entry(id=k, topic="t", question=q, answer="…", paraphrases=p) for k, (q, *p) in wordings.items()]
    model = CountingEmbedder()
    index = KnowledgeIndex(entries, embedder=CachedEmbedder(model, cache_file=None))
    best, answer, _memory, _vote = index.cosines("NPO 何人")
    vector = model.embed(["NPO 何人"])[0]
    for position, entry in enumerate(entries):
        own = model.embed([entry.question, *entry.paraphrases])
        assert best[position] == pytest.approx(max(0.0, float((own @ vector).max())), abs=1e-6)
        assert answer[position] == pytest.approx(max(0.0, float(model.embed([passage(entry)])[0] @ vector)), abs=1e-6)
    assert best[1] == pytest.approx(1.0, abs=1e-6) and best.dtype == np.float64  # its own wording


def test_every_text_the_shipped_index_embeds_has_a_shipped_vector():
    """No process embeds the shipped content at start (`madoguchi eval --calibrate` ships the vectors), including
    the hiragana paraphrases as the index reads them and residents' labelled messages."""
    from knowledge.entries import load_content
    from knowledge.examples import shipped_examples
    from knowledge.search import KnowledgeIndex
    from knowledge.semantic import SHIPPED_CACHE, text_key

    class Recording:
        name = "recording"

        def embed(self, texts):
            return np.zeros((len(texts), 384), dtype=np.float32)

    index = KnowledgeIndex(load_content(), embedder=Recording(), examples=shipped_examples())
    with np.load(SHIPPED_CACHE, allow_pickle=False) as data:
        shipped = set(data["keys"].tolist())
    missing = [t for t in index.embedded_texts if text_key(t) not in shipped]
    assert not missing, f"run `madoguchi eval --calibrate`: {len(missing)} texts lack a vector, e.g. {missing[:3]}"
