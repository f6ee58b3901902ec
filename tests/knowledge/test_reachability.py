"""Every shipped entry is reachable: its own question and each of its paraphrases find it first (the real retrieval)."""

from __future__ import annotations

from knowledge.entries import load_content, load_glossary
from knowledge.search import Glossary, KnowledgeIndex


def test_every_question_and_paraphrase_retrieves_its_own_entry_first():
    entries = load_content()
    index = KnowledgeIndex(entries, Glossary(load_glossary()))
    lost = []
    for entry in entries:
        for text in (entry.question, *entry.paraphrases):
            top = index.search(text, None, k=1)
            if not top or top[0].entry.id != entry.id:
                lost.append((entry.id, text, top[0].entry.id if top else None))
    assert not lost, f"wordings that find another entry first (entry, wording, found): {lost}"
