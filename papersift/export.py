"""Papers out of the library: BibTeX entries and Atom feeds. Pure functions over Papers/Hits.

BibTeX (``to_bibtex``): one entry per paper, written with bibtexparser 2's writer. Values are
LaTeX: ``{ } % & # _ $ \\ ~ ^`` are escaped, accented letters become ``{\\"u}`` (so classic
8-bit BibTeX sorts and abbreviates them too), words with inner capitals (``BERT``,
``ImageNet``) are braced so styles that lower-case titles keep them, and ``$math$`` is kept
as it is. Our own BibTeX reader (``papersift.ingest.sources.bibtex``) reads every field back.

Atom (``atom_feed``): an Atom 1.0 document written with feedgen; one entry per paper, its id
stable across renders (the arXiv abs URL, else ``urn:papersift:paper:ID``), a Hit's reasons
appended to the content as a short list.
"""

from __future__ import annotations

import itertools
import re
import string
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from html import escape

from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.middlewares import AddEnclosingMiddleware
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat
from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from pylatexenc.latexencode import UnicodeToLatexEncoder

from papersift.links import absolute_url
from papersift.models import Hit, Paper

# ------------------------------------------------------------------------------- BibTeX

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: Words a citation key skips to find the title's first telling word (Google Scholar does too).
_KEY_STOPWORDS = frozenset(
    "a an the on of in for to and at by with from is are do does via we our this these it".split()
)
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
#: Letters NFKD does not take apart into an ASCII letter and an accent.
_ASCII_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe",
     "Œ": "OE", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ð": "d", "ı": "i"}
)  # fmt: skip
_ARXIV_CLASS = re.compile(
    r"^(?:astro-ph|cond-mat|gr-qc|hep-(?:ex|lat|ph|th)|math-ph|nlin|nucl-(?:ex|th)|physics"
    r"|quant-ph|math|cs|q-bio|q-fin|stat|econ|eess)(?:\.[A-Za-z-]+)?$"
)
_PROCEEDINGS = re.compile(r"\b(?:proceedings|proc\.|conference|workshop|symposium)", re.I)
#: Inline math as pandoc reads it: no space after the opening or before the closing ``$``,
#: no digit after it ("costs $5 and $10" is not math).
_MATH = re.compile(r"\$(?=\S)[^$]*?(?<=\S)\$(?!\d)")
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # Typographic punctuation as the LaTeX ligatures that make it (readable, 7-bit safe).
    "\u2018": "`",
    "\u2019": "'",
    "\u201c": "``",
    "\u201d": "''",
    "\u2013": "--",
    "\u2014": "---",
}
_BRACES_ESCAPED = (r"\{", r"\}")
#: BibTeX counts ``\{`` as a brace too: an unmatched one needs a brace-free spelling.
_BRACES_NAMED = (r"\textbraceleft{}", r"\textbraceright{}")
_ENCODER = UnicodeToLatexEncoder(
    non_ascii_only=True,
    replacement_latex_protection="braces-all",
    unknown_char_policy="keep",  # CJK and the like stay UTF-8
    unknown_char_warning=False,
)
_UNTITLED = "[Untitled]"
_UNTITLED_WORDS = 12
_UNTITLED_NOTE = "No title known: the title is the start of the abstract"


def to_bibtex(papers: Sequence[Paper]) -> str:
    """One BibTeX entry per paper, in order, with unique citation keys (see ``citation_keys``).

    ``@article`` (``@inproceedings`` for a proceedings venue) when there is a venue or a DOI,
    ``@misc`` for arXiv preprints and anything else.
    """
    if not papers:
        return ""
    library = Library(
        [_entry(p, key) for p, key in zip(papers, citation_keys(papers), strict=True)]
    )
    layout = BibtexFormat()  # type: ignore[no-untyped-call]
    layout.indent = "  "
    layout.value_column = "auto"
    layout.block_separator = "\n"
    enclose = AddEnclosingMiddleware(
        reuse_previous_enclosing=False, enclose_integers=False, default_enclosing="{"
    )
    text: str = write_string(library, unparse_stack=[enclose], bibtex_format=layout)
    return text if text.endswith("\n") else text + "\n"


def citation_keys(papers: Sequence[Paper]) -> list[str]:
    """Readable keys, unique within ``papers``: ``lovelace2024engines``; a repeated key gets a
    letter (``lovelace2024enginesa``, ``...b``) in the order the papers come."""
    bases = [citation_key(p) for p in papers]
    reserved = set(bases)  # never hand a suffixed key that is another paper's own key
    seen: set[str] = set()
    keys: list[str] = []
    for base in bases:
        key = base
        if key in seen:
            key = next(
                base + s for s in _suffixes() if base + s not in seen and base + s not in reserved
            )
        seen.add(key)
        keys.append(key)
    return keys


def citation_key(paper: Paper) -> str:
    """First author's last name + year + first telling title word, lower-case ASCII."""
    last = _ascii_word(_last_name(paper.authors[0])) if paper.authors else ""
    year = paper.date[:4] if paper.date and paper.date[:4].isdigit() else ""
    title = paper.title or paper.abstract or ""
    words = (_ascii_word(w) for w in re.findall(r"[^\W_]+", title))
    word = next((w for w in words if w and w not in _KEY_STOPWORDS), "")
    if not (last or year or word):
        return f"paper{paper.id}"
    return (last or "anon") + year + word


def _suffixes() -> Iterator[str]:
    """a, b, ..., z, aa, ab, ..."""
    for size in itertools.count(1):
        for letters in itertools.product(string.ascii_lowercase, repeat=size):
            yield "".join(letters)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_LETTERS))
    return re.sub(r"[^a-z0-9]", "", folded.encode("ascii", "ignore").decode().lower())


def _last_name(name: str) -> str:
    if "," in name:  # "Lovelace, Ada"
        return name.split(",")[0]
    words = name.split()
    while len(words) > 1 and words[-1].lower() in _NAME_SUFFIXES:
        words.pop()
    return words[-1] if words else ""


def _title(paper: Paper) -> tuple[str, bool]:
    """The title, or (marked, True) the start of the abstract for a paper without one."""
    if paper.title and paper.title.strip():
        return paper.title, False
    words = (paper.abstract or "").split()
    if not words:
        return f"{_UNTITLED} paper {paper.id}", True
    more = "..." if len(words) > _UNTITLED_WORDS else ""
    return f"{_UNTITLED} {' '.join(words[:_UNTITLED_WORDS])}{more}", True


def _entry(paper: Paper, key: str) -> Entry:
    entry_type, venue_field = _entry_type(paper)
    title, untitled = _title(paper)
    fields = [Field("title", escape_latex(title, protect=True))]
    if paper.authors:
        fields.append(Field("author", _author_field(paper)))
    if venue_field and paper.venue:
        fields.append(Field(venue_field, escape_latex(paper.venue, protect=True)))
    fields += _date_fields(paper.date)
    if paper.doi:
        fields.append(Field("doi", _verbatim(paper.doi)))
    fields += _arxiv_fields(paper)
    arxiv = f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else None
    if url := absolute_url(paper.url) or arxiv:  # never a javascript: URL (issue 13)
        fields.append(Field("url", _verbatim(url)))
    if paper.categories:
        fields.append(Field("keywords", escape_latex(", ".join(paper.categories))))
    if paper.abstract:
        fields.append(Field("abstract", escape_latex(paper.abstract)))
    if untitled:
        fields.append(Field("note", _UNTITLED_NOTE))
    return Entry(entry_type, key, fields)


def _entry_type(paper: Paper) -> tuple[str, str | None]:
    """The entry type and the field that names the venue."""
    if paper.venue:
        if _PROCEEDINGS.search(paper.venue):
            return "inproceedings", "booktitle"
        return "article", "journal"
    if paper.doi and not paper.doi.startswith("10.48550/"):  # an arXiv DOI is still a preprint
        return "article", None
    return "misc", None


def _author_field(paper: Paper) -> str:
    names = [_bibtex_name(n) for n in paper.authors]
    if paper.authors_truncated or (paper.n_authors or 0) > len(paper.authors):
        names.append("others")
    return " and ".join(names)


def _bibtex_name(name: str) -> str:
    """A name BibTeX would take apart wrongly ("Smith, Jr.", "Google and DeepMind") is braced."""
    escaped = escape_latex(name)
    if "," in name or re.search(r"\band\b", name, re.I) or name.strip().lower() == "others":
        return "{" + escaped + "}"
    return escaped


def _date_fields(date: str | None) -> list[Field]:
    if not date or not date[:4].isdigit():
        return []
    fields = [Field("year", date[:4])]
    month = date[5:7]
    if month.isdigit() and 1 <= int(month) <= 12:
        fields.append(Field("month", _MONTHS[int(month) - 1], enclosing="no-enclosing"))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        fields.append(Field("date", date))  # biblatex; BibTeX ignores it
    return fields


def _arxiv_fields(paper: Paper) -> list[Field]:
    if not paper.arxiv_id:
        return []
    fields = [Field("eprint", _verbatim(paper.arxiv_id)), Field("archivePrefix", "arXiv")]
    if (primary := next(iter(paper.categories), None)) and _ARXIV_CLASS.match(primary):
        fields.append(Field("primaryClass", primary))
    return fields


def _verbatim(value: str) -> str:
    """Identifiers and URLs go in as they are, less what would unbalance the entry."""
    return value.strip().replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def escape_latex(text: str, protect: bool = False) -> str:
    """Plain Unicode text as a BibTeX field value (LaTeX), ``$math$`` kept as it is.

    ``protect`` braces words with inner capitals and math, as titles need.
    """
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    pieces = _pieces(text)
    literal = "".join(piece for piece, is_math in pieces if not is_math)
    braces = _BRACES_ESCAPED if _balanced(literal) else _BRACES_NAMED
    out = []
    for piece, is_math in pieces:
        if is_math:
            out.append("{" + piece + "}" if protect else piece)
        else:
            out.append(_escape_words(piece, braces, protect))
    return "".join(out)


def _pieces(text: str) -> list[tuple[str, bool]]:
    """Text split into (piece, is_math); math with unbalanced braces counts as text."""
    pieces: list[tuple[str, bool]] = []
    start = 0
    for m in _MATH.finditer(text):
        if not _balanced(m.group()):
            continue
        pieces += [(text[start : m.start()], False), (m.group(), True)]
        start = m.end()
    pieces.append((text[start:], False))
    return [(piece, is_math) for piece, is_math in pieces if piece]


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in "{}":
            depth += 1 if ch == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def _escape_words(text: str, braces: tuple[str, str], protect: bool) -> str:
    out = []
    for word in re.split(r"(\s+)", text):
        escaped = "".join(_escape_char(ch, braces) for ch in word)
        if protect and _has_inner_capital(word):
            escaped = "{" + escaped + "}"
        out.append(escaped)
    return "".join(out)


def _has_inner_capital(word: str) -> bool:
    """'BERT', 'ImageNet', 'GPT-4' (kept as written); not 'Learning-Rate' (title case)."""
    return any(ch.isupper() for part in word.split("-") for ch in part[1:])


def _escape_char(ch: str, braces: tuple[str, str]) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ch == "{":
        return braces[0]
    if ch == "}":
        return braces[1]
    return ch if ch.isascii() else _non_ascii(ch)


@lru_cache(maxsize=4096)
def _non_ascii(ch: str) -> str:
    encoded: str = _ENCODER.unicode_to_latex(ch)
    return encoded


# ------------------------------------------------------------------------------- Atom

#: Characters XML 1.0 does not allow (lxml refuses them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def atom_feed(
    title: str,
    feed_url: str,
    site_url: str,
    items: Sequence[Hit] | Sequence[Paper],
    *,
    feed_id: str,
    updated: datetime | None = None,
) -> bytes:
    """An Atom 1.0 document (UTF-8 bytes) with one entry per paper, in order.

    ``feed_url`` is the feed's own address (``rel="self"``), ``site_url`` the page it
    mirrors; ``feed_id`` a permanent URI. ``updated`` defaults to the newest paper date (so
    the same items give the same bytes), else now; it also dates papers without a date.
    A Hit's reasons are appended to its entry's content as a list.
    """
    hits = [item if isinstance(item, Hit) else Hit(item, 0.0) for item in items]
    dates = [d for h in hits if (d := paper_datetime(h.paper.date))]
    when = _aware(updated) if updated else max(dates, default=None) or datetime.now(UTC)
    feed = FeedGenerator()
    feed.id(_xml(feed_id))
    feed.title(_xml(title))
    feed.link(href=_xml(feed_url), rel="self", type="application/atom+xml")
    feed.link(href=_xml(site_url), rel="alternate", type="text/html")
    feed.updated(when)
    feed.author({"name": "papersift"})  # entries without authors need one (RFC 4287 4.1.1)
    feed.generator("papersift")
    seen: set[str] = set()
    for hit in hits:
        if (entry_id := atom_entry_id(hit.paper)) not in seen:
            seen.add(entry_id)
            _add_entry(feed, hit, site_url, when)
    xml: bytes = feed.atom_str(pretty=True)
    return xml


def atom_entry_id(paper: Paper) -> str:
    """A permanent id: the arXiv abs URL, else a URN on the library's paper id."""
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    return f"urn:papersift:paper:{paper.id}"


def paper_link(paper: Paper, site_url: str) -> str:
    """Where a reader reads the paper: arXiv, else its own URL, else its page on the site."""
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    if url := absolute_url(paper.url):
        return url
    return f"{site_url.rstrip('/')}/papers/{paper.id}"


def paper_datetime(date: str | None) -> datetime | None:
    """'2024-05-17' / '2024-05' / '2024' -> midnight UTC of that day (or its first day)."""
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date or "")
    if not m:
        return None
    year, month, day = (int(g) if g else 1 for g in m.groups())
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def _add_entry(feed: FeedGenerator, hit: Hit, site_url: str, updated: datetime) -> None:
    paper = hit.paper
    entry = feed.add_entry(order="append")
    entry.id(_xml(atom_entry_id(paper)))
    entry.title(_xml(_title(paper)[0]))
    # One link only: feedgen 1.0 drops an entry link's rel and type, and a second link
    # would then be a second rel="alternate", which Atom forbids.
    entry.link(href=_xml(paper_link(paper, site_url)), rel="alternate")
    for name in paper.authors:
        entry.author({"name": _xml(name)})
    when = paper_datetime(paper.date) or updated
    entry.published(when)
    entry.updated(when)
    for category in paper.categories:
        entry.category({"term": _xml(category)})
    if paper.abstract:
        entry.summary(_xml(paper.abstract))
    if hit.reasons:
        entry.content(_xml(_content_html(hit)), type="html")


def _content_html(hit: Hit) -> str:
    abstract = f"<p>{escape(hit.paper.abstract)}</p>" if hit.paper.abstract else ""
    reasons = "".join(f"<li>{escape(r)}</li>" for r in hit.reasons)
    return f"{abstract}<p>Why this paper:</p><ul>{reasons}</ul>"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)
