"""BibTeX field values as BibTeX itself reads them, over a library bibtexparser has split.

bibtexparser 2.1 replaces a value that is exactly one ``@string`` name, but leaves a
concatenation as it is: ``author = jean # " " # cesar`` (from bibtexparser's own test files)
was stored literally. Here every value is read the BibTeX way:

* ``#`` joins pieces: ``{braced}`` and ``"quoted"`` text, numbers, and macro names;
* a macro name is an ``@string`` defined before (names ignore case; a string may use earlier
  strings), or one of the month macros ``jan`` .. ``dec``; an unknown name is kept as text;
* ``crossref`` inheritance: an entry takes the fields it lacks from the entry its
  ``crossref`` names (BibTeX's rule), and the parent's ``title`` becomes its ``booktitle``
  (biblatex's rule for a paper in proceedings); the parent's title, identifiers (DOI,
  eprint, URL, ISBN) and abstract, note and keywords are its own and are not inherited.
"""

from __future__ import annotations

from collections.abc import Mapping

from bibtexparser.library import Library
from bibtexparser.model import Entry, Field

_MONTH_NAMES = (
    "January February March April May June July August September October November December"
)
MONTH_MACROS = {name[:3].lower(): name for name in _MONTH_NAMES.split()}
#: Never inherited: links between entries, and what identifies or describes the parent
#: itself (a proceedings' DOI given to each of its papers would merge them all into one).
_NOT_INHERITED = frozenset(
    "crossref xref ids key title entryset doi eprint eprinttype archiveprefix primaryclass "
    "url urldate abstract note keywords file isbn".split()
)


def split_concatenation(raw: str) -> list[str]:
    """'jean # " " # {Cesar}' -> ['jean', '" "', '{Cesar}'] ('#' inside braces or quotes is
    text)."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, char in enumerate(raw):
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif char == "#" and depth == 0 and not quoted:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    return [part.strip() for part in parts]


def _piece(part: str, strings: Mapping[str, str]) -> str:
    if len(part) >= 2 and (part[0], part[-1]) in (("{", "}"), ('"', '"')):
        return part[1:-1]
    name = part.lower()
    if name in strings:
        return strings[name]
    return MONTH_MACROS.get(name, part)


#: No value may expand past this (the longest real abstract is ~10 KB): a chain of strings
#: that each double the one before (``@string{s2 = s1 # s1}`` ...) reached 6 GB in 30 s.
MAX_VALUE_CHARS = 1_000_000


class ExpansionError(ValueError):
    """A value whose ``@string`` macros expand past ``MAX_VALUE_CHARS``."""


def resolve_value(raw: str, strings: Mapping[str, str]) -> str:
    """A raw field value (as written after ``=``) as text; see the module docstring."""
    pieces = [_piece(part, strings) for part in split_concatenation(raw)]
    if sum(map(len, pieces)) > MAX_VALUE_CHARS:
        raise ExpansionError(
            f"a value expands past {MAX_VALUE_CHARS:,} characters (@string macros that "
            "repeat each other?)"
        )
    return "".join(pieces)


def resolve_library(library: Library) -> None:
    """Expand strings and concatenations in every field, then apply crossrefs (in place)."""
    strings: dict[str, str] = {}
    for string in library.strings:
        if isinstance(string.value, str):
            strings[string.key.lower()] = resolve_value(string.value, strings)
    for entry in library.entries:
        for field in entry.fields:
            if isinstance(field.value, str):
                field.value = resolve_value(field.value, strings)
    by_key = {entry.key.lower(): entry for entry in library.entries}
    for entry in library.entries:
        parent_key = entry.fields_dict.get("crossref")
        if parent_key is not None and isinstance(parent_key.value, str):
            parent = by_key.get(parent_key.value.strip().lower())
            if parent is not None and parent is not entry:
                inherit(entry, parent)


def inherit(child: Entry, parent: Entry) -> None:
    """Copy the parent's fields the child lacks (see the module docstring)."""
    have = set(child.fields_dict)
    for field in parent.fields:
        if field.key not in have and field.key not in _NOT_INHERITED:
            child.set_field(Field(field.key, field.value))
    title = parent.fields_dict.get("title")
    if "booktitle" not in child.fields_dict and title is not None:
        child.set_field(Field("booktitle", title.value))
