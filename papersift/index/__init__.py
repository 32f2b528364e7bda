"""Indexes: lexical (FTS5 query building) and vector (exact and approximate)."""
