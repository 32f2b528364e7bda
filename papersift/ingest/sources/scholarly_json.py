"""Semantic Scholar and OpenAlex works: the fields their JSON nests where key matching misses.

``json_records`` matches top-level keys to Record fields; these APIs keep identifiers and
venues one level down. What is read here fills a field only when the plain keys left it
empty (Semantic Scholar's "venue" is often ""):

* Semantic Scholar (Graph API ``/paper``, ``/paper/search``): ``externalIds.DOI`` and
  ``externalIds.ArXiv``; ``journal.name``, else ``publicationVenue.name``; the paper of a
  ``/citations`` or ``/references`` item (under "citingPaper" / "citedPaper").
* OpenAlex (``/works``): ``display_name`` (the title), ``ids.doi``, an arXiv landing page
  among ``locations`` (or ``ids``), ``primary_location.source.display_name`` (older records:
  ``host_venue.display_name``), the authors of ``authorships[].author.display_name``, and the
  abstract rebuilt from ``abstract_inverted_index`` (OpenAlex ships no plain abstract).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from papersift.ingest.sources.tabular import FieldValue

#: Words beyond this in an inverted index are ignored (a real abstract has a few hundred).
MAX_ABSTRACT_WORDS = 20_000


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _first_text(obj: Mapping[str, Any], *paths: tuple[str, ...]) -> str | None:
    return next((t for path in paths if (t := _text(_get(obj, *path)))), None)


def abstract_from_inverted_index(index: Any) -> str | None:
    """OpenAlex's {"word": [positions]} as text: {"Deep": [0], "nets": [1]} -> "Deep nets"."""
    if not isinstance(index, Mapping):
        return None
    placed: list[tuple[int, str]] = []
    for word, positions in index.items():
        if isinstance(positions, list):
            placed.extend((p, word) for p in positions if isinstance(p, int) and p >= 0)
        if len(placed) > MAX_ABSTRACT_WORDS:
            break
    return " ".join(word for _, word in sorted(placed)) or None


def _landing_pages(obj: Mapping[str, Any]) -> Iterator[str]:
    locations = obj.get("locations")
    for location in locations if isinstance(locations, list) else []:
        if page := _text(_get(location, "landing_page_url")):
            yield page
    if page := _text(_get(obj, "primary_location", "landing_page_url")):
        yield page


def _arxiv_url(obj: Mapping[str, Any]) -> str | None:
    return next((page for page in _landing_pages(obj) if "arxiv.org/" in page.lower()), None)


def _openalex_authors(obj: Mapping[str, Any]) -> list[str]:
    authorships = obj.get("authorships")
    if not isinstance(authorships, list):
        return []
    return [n for a in authorships if (n := _text(_get(a, "author", "display_name")))]


def unwrap_work(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The paper of a Semantic Scholar citation or reference ({"contexts": [...],
    "citingPaper": {...}} from ``/paper/{id}/citations``, "citedPaper" from ``/references``);
    any other object as it is."""
    if "title" in obj:
        return obj
    inner = obj.get("citingPaper") or obj.get("citedPaper")
    return inner if isinstance(inner, Mapping) else obj


def scholarly_fields(obj: Mapping[str, Any]) -> dict[str, FieldValue]:
    """Field -> value of what the two APIs nest (see the module docstring); {} for others."""
    found: dict[str, FieldValue | None] = {
        "title": _text(obj.get("display_name")) if "authorships" in obj else None,
        "doi": _first_text(obj, ("externalIds", "DOI"), ("ids", "doi")),
        "arxiv_id": _first_text(obj, ("externalIds", "ArXiv")) or _arxiv_url(obj),
        "venue": _first_text(
            obj,
            ("journal", "name"),
            ("publicationVenue", "name"),
            ("primary_location", "source", "display_name"),
            ("host_venue", "display_name"),
        ),
        "abstract": abstract_from_inverted_index(obj.get("abstract_inverted_index")),
        "authors": _openalex_authors(obj) or None,
    }
    return {field: value for field, value in found.items() if value}
