"""Paper identifiers (arXiv ids, DOIs) in one canonical spelling."""

from __future__ import annotations

import re

_ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_ARXIV_OLD = re.compile(r"([a-z][a-z.\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE)
_DOI = re.compile(r"(10\.\d{4,9}/\S+)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)


def normalize_arxiv_id(text: str | None) -> str | None:
    """'arXiv:2401.01234v2', 'https://arxiv.org/abs/2401.01234' -> '2401.01234'.

    Old-style ids keep their archive: 'hep-th/9901001v1' -> 'hep-th/9901001'. A DOI of the
    form 10.48550/arXiv.X gives X.
    """
    if not text:
        return None
    text = text.strip()
    if m := _ARXIV_DOI.match(text):
        text = m.group(1)
    if m := _ARXIV_NEW.search(text):
        return m.group(1)
    if m := _ARXIV_OLD.search(text):
        return m.group(1).lower()
    return None


def normalize_doi(text: str | None) -> str | None:
    """'https://doi.org/10.1000/XYZ.' -> '10.1000/xyz' (DOIs are case-insensitive)."""
    if not text:
        return None
    m = _DOI.search(text.strip())
    if not m:
        return None
    return m.group(1).rstrip(".,;)").lower()
