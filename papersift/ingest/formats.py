"""The contract every reader in ``papersift.ingest.sources`` fulfils.

A reader module exposes ``FORMAT = FormatSpec(...)``:

* ``parse(stream, filename)`` reads a text stream and yields ``Record`` for each entry and
  ``Skipped`` for each entry it cannot use (with the reason and line). It is pure: no database,
  no network, and it streams (memory stays flat however big the file). A file that cannot be
  read at all (not well-formed XML, a JSON document that does not parse) raises
  ``ParseError(filename, line, message)``.
* ``sniff(head, filename)`` says whether the first 64 KiB of a file look like this format;
  the first reader in ``sources.readers()`` order whose sniff is true wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from papersift.models import ParseItem

Parse = Callable[[TextIO, str], Iterator[ParseItem]]
Sniff = Callable[[str, str], bool]


@dataclass(frozen=True, slots=True)
class FormatSpec:
    name: str
    description: str
    parse: Parse
    sniff: Sniff
    extensions: tuple[str, ...] = ()
    #: Whether ``parse`` takes ``columns=`` (field -> column name overrides: CSV and JSON).
    accepts_columns: bool = False
