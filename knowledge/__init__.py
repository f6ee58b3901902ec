"""Curated Japanese knowledge base: content files, pure retrieval, persistence and import/export."""
