"""Identifier conflicts (either backend): two papers that share a DOI or an arXiv id although
their titles and authors disagree completely (see 0010_id_conflicts.sql and
``papersift.ingest.dedup.identifier_conflict``).

A conflict names one record of each side by its fingerprint and is read back through the
records' current papers, so it follows both through later merges; when a later record shows
that the two were one paper after all (they merged), the conflict is no longer listed.
"""

from __future__ import annotations

from papersift.models import IdConflict
from papersift.store.shared import SharedSQL

_CONFLICTS = (
    "SELECT c.identifier, ra.paper_id, rb.paper_id, min(c.detected_at) FROM id_conflicts c "
    "JOIN records ra ON ra.fingerprint = c.fingerprint_a "
    "JOIN records rb ON rb.fingerprint = c.fingerprint_b "
    "WHERE ra.paper_id <> rb.paper_id {also} "
    "GROUP BY c.identifier, ra.paper_id, rb.paper_id ORDER BY 4, 2, 3"
)


class SharedConflicts(SharedSQL):
    """Mixed into SQLiteStore and PostgresStore."""

    def add_conflict(self, paper_id: int, fingerprint: int, identifier: str, now: str) -> None:
        """Record that the record ``fingerprint`` shares ``identifier`` with paper
        ``paper_id`` but is another paper (the paper is named by its first record)."""
        self._execute(
            "INSERT INTO id_conflicts (identifier, fingerprint_a, fingerprint_b, detected_at) "
            "SELECT ?, fingerprint, ?, ? FROM records WHERE paper_id = ? "
            "ORDER BY id LIMIT 1 ON CONFLICT DO NOTHING",
            (identifier, fingerprint, now, paper_id),
        )

    def conflicts(self, paper_id: int | None = None) -> list[IdConflict]:
        """Every conflict of the library, or those of one paper; oldest first."""
        if paper_id is None:
            rows = self._execute(_CONFLICTS.format(also=""))
        else:
            also = "AND (ra.paper_id = ? OR rb.paper_id = ?)"
            rows = self._execute(_CONFLICTS.format(also=also), (paper_id, paper_id))
        found: dict[tuple[str, frozenset[int]], IdConflict] = {}
        for row in rows:  # one pair of papers may be recorded from several pairs of records
            found.setdefault((row[0], frozenset(row[1:3])), IdConflict(*row))
        return list(found.values())
