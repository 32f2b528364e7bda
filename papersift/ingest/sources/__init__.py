"""One module per listing format; ``readers()`` is the order formats are sniffed in.

Specific formats come before general ones: an arXiv snapshot line is also a JSON object,
a Hugging Face page is also text.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from papersift.errors import UnknownFormatError
from papersift.ingest.formats import FormatSpec

_MODULES = (
    "arxiv_atom",
    "oai_pmh",
    "arxiv_snapshot",
    "bibtex",
    "hf_daily",
    "pubpage",
    "abstract_list",
    "json_records",
    "tabular",
)


@cache
def readers() -> tuple[FormatSpec, ...]:
    """Every reader, in detection order (imported on first use)."""
    return tuple(import_module(f"papersift.ingest.sources.{name}").FORMAT for name in _MODULES)


def reader_named(name: str) -> FormatSpec:
    for spec in readers():
        if spec.name == name:
            return spec
    names = ", ".join(spec.name for spec in readers())
    raise UnknownFormatError(f"unknown format {name!r}; known formats: {names}")
