"""Deciding which records are the same paper, and merging them. Pure functions only.

Three steps, each a pure function the ingest pipeline calls around its database look-ups:

1. :func:`match_keys` gives a record's keys: exact identities (version-less arXiv id, DOI,
   normalized title, normalized abstract) and blocking keys that bring likely duplicates
   together cheaply (title prefix / suffix / first+last word, the abstract's first and second
   run of words, so a typo, a truncated abstract or a LaTeX spelling still meets its twin).
2. :func:`same_paper` verifies a candidate found through a key: identifiers decide when both
   sides have them; otherwise titles must be equal up to case, punctuation, LaTeX and typos,
   with no word added or changed ("Part II", "Scaling laws for X" vs "for Y"), and abstracts,
   when both are known, must agree (a workshop and a journal version with different abstracts
   stay apart). A title-less abstract matches a paper by its abstract alone.
3. :func:`merge_records` computes a paper from all of its records: the fullest abstract and
   author list, the earliest date, the highest upvotes, every category. It is independent of
   the order of its input.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from rapidfuzz.distance import OSA
from rapidfuzz.fuzz import partial_ratio_alignment, ratio

from papersift.ingest.titles import is_decorated, is_other_word, strip_decorations
from papersift.models import Keys, PaperView, Record, SourcedRecord

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho",
    "σ": "sigma", "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "gamma", "Δ": "delta", "Θ": "theta",
    "Λ": "lambda", "Ξ": "xi", "Π": "pi", "Σ": "sigma", "Φ": "phi", "Ψ": "psi", "Ω": "omega",
    "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i",
}  # fmt: skip
_GREEK_TABLE = str.maketrans(_GREEK)
# LaTeX accent commands glued to their letter (\"o, \'e, \`a, \^i, \~n, \=o, \.z, \c c, \v s).
_LATEX_ACCENT = re.compile(r"\\[\"'`^~=.]\s*\{?([A-Za-z])\}?|\\[cvuHkr]\s*\{([A-Za-z])\}")
_LATEX_FONT = re.compile(r"\\(?:text[a-z]*|math[a-z]*|emph|textsc|scriptsize|small|tiny|large)\b")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# ASCII bytes -> lower-case letters and digits, everything else a space.
_ASCII_WORDS = bytes(
    c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256)
)
_LATEX_MARKUP = re.compile(r"[$\\{}]")
_NUMBERISH = re.compile(r"^(?:\d+|[ivxlc]+|[a-z]?\d+[a-z]?)$")
_STOPWORDS = frozenset("a an the of on in for and to with by at from via".split())

#: Abstracts shorter than this carry too little text to match a title-less record on.
MIN_ABSTRACT_CHARS = 80
#: Normalized titles shorter than this are too generic to match on the title alone.
MIN_TITLE_CHARS = 12
ABSTRACT_HEAD_WORDS = 20
ABSTRACT_SIMILARITY = 88.0
#: A snippet must bring this much text of its own to match an abstract on.
MIN_SNIPPET_CHARS = 40
_ELLIPSIS = re.compile(r"\s*(?:\[\s*(?:\.\.\.|…)\s*\]|\.\s?\.\s?\.|…)\s*")
TITLE_TYPO_SIMILARITY = 0.75


@functools.lru_cache(maxsize=4096)  # a merge compares the same titles and abstracts often
def normalize_text(text: str | None) -> str:
    """Canonical text for comparison: LaTeX, accents, Greek, case and punctuation removed.

    'Schr\\"odinger $\\eta$-{BERT}' and 'Schrödinger η-BERT' both become 'schrodinger eta bert'.
    """
    if not text:
        return ""
    # Each step runs only when the text needs it: this is on the ingest hot path.
    if "\\" in text:
        text = _LATEX_ACCENT.sub(lambda m: m.group(1) or m.group(2), text)
        text = _LATEX_FONT.sub(" ", text)
    if "$" in text or "\\" in text or "{" in text or "}" in text:
        text = _LATEX_MARKUP.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_GREEK_TABLE))
        text = "".join(c for c in text if not unicodedata.combining(c))
    if text.isascii():  # bytes.translate is several times faster than a regex here
        return " ".join(text.encode().translate(_ASCII_WORDS).decode().split())
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def match_title(title: str | None) -> str:
    """The normalized title without its decorations (see ``titles``): what matching compares."""
    return normalize_text(strip_decorations(title)) if title else ""


def digest(text: str) -> int:
    """A stable signed 64-bit key for a string (SQLite INTEGER)."""
    value = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return value - (1 << 63)


def title_blocks(tokens: Sequence[str]) -> list[str]:
    """Blocking keys of a title such that any single-word typo leaves at least one intact.

    Stopwords are left out first, so "A survey on X" and "Survey of X" block together and
    the common openings ("on the", "towards a") do not make huge blocks.
    """
    tokens = [t for t in tokens if t not in _STOPWORDS] or list(tokens)
    n = len(tokens)
    if n < 2:
        return [" ".join(tokens)]
    k = min(3, n - 1)
    blocks = [" ".join(tokens[:k]), " ".join(tokens[-k:])]
    if 3 <= n <= 5:  # from 6 words on, the first and last three never share a word
        blocks.append(f"{tokens[0]} {tokens[-1]} /{n}")
    return blocks


def abstract_head(abstract: str | None) -> str | None:
    """The abstract's first words, normalized; None for an abstract too short to match on.

    Only the start of the text is normalized: on the ingest hot path, abstracts are long.
    """
    if not abstract:
        return None
    words = normalize_text(abstract[:400]).split()
    if len(words) <= ABSTRACT_HEAD_WORDS:  # short, or the last word may be cut: do it all
        words = normalize_text(abstract).split()
    if sum(map(len, words)) + len(words) - 1 < MIN_ABSTRACT_CHARS:
        return None
    return " ".join(words[:ABSTRACT_HEAD_WORDS])


def match_keys(record: Record) -> Keys:
    """Identity keys (arXiv id, DOI) and blocking keys (title blocks, abstract opening)."""
    exact: list[str] = []
    blocking: list[str] = []
    if record.arxiv_id:
        exact.append(f"arxiv:{record.arxiv_id.lower()}")
    if record.doi:
        exact.append(f"doi:{record.doi.lower()}")
    title = match_title(record.title)
    if len(title) >= MIN_TITLE_CHARS:
        blocking.extend(f"tb:{b}" for b in title_blocks(title.split()))
    if head := abstract_head(record.abstract):
        blocking.append("ah:" + head)
    return Keys(
        tuple(dict.fromkeys(digest(k) for k in exact)),
        tuple(dict.fromkeys(digest(k) for k in blocking)),
    )


def _tokens_are_typo(a: Sequence[str], b: Sequence[str]) -> bool:
    """Two differing runs of title words are one spelling: a typo, or a split/joined word."""
    if "".join(a) == "".join(b):
        return True
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if _NUMBERISH.match(x) or _NUMBERISH.match(y) or min(len(x), len(y)) < 4:
            return False
        if OSA.normalized_similarity(x, y) < TITLE_TYPO_SIMILARITY or is_other_word(x, y):
            return False
    return True


def titles_match(a: str | None, b: str | None) -> bool:
    """Equal up to case, punctuation, LaTeX and typos; a changed or extra word is a new paper."""
    na, nb = match_title(a), match_title(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    if ratio(na, nb) < 80:  # cheap rejection before aligning words
        return False
    ta, tb = na.split(), nb.split()
    matcher = difflib.SequenceMatcher(None, ta, tb, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and _tokens_are_typo(ta[i1:i2], tb[j1:j2]):
            continue
        if op in ("delete", "insert") and set(ta[i1:i2] + tb[j1:j2]) <= _STOPWORDS:
            continue
        return False
    return True


def is_snippet(abstract: str | None) -> bool:
    """A search engine's snippet ("… we propose X … results show Y …"): text that starts or
    ends with an ellipsis. An ellipsis inside ("x_1, ..., x_n") is the abstract's own."""
    text = abstract.strip() if abstract else ""
    return text.startswith(("...", "…")) or text.endswith(("...", "…"))


def snippet_matches(snippet: str, full: str) -> bool:
    """Every run of words between the snippet's ellipses is in the full abstract, in order
    (exactly, or at ``ABSTRACT_SIMILARITY`` for a LaTeX or punctuation difference)."""
    target = normalize_text(full)
    runs = [r for part in _ELLIPSIS.split(snippet) if len((r := normalize_text(part)).split()) >= 3]
    if sum(map(len, runs)) < MIN_SNIPPET_CHARS:
        return False
    position = 0
    for run in runs:
        found = target.find(run, position)
        if found >= 0:
            position = found + len(run)
            continue
        rest = target[position:]
        if len(run) > len(rest):
            return False
        alignment = partial_ratio_alignment(run, rest)
        if alignment is None or alignment.score < ABSTRACT_SIMILARITY:
            return False
        position += alignment.dest_end
    return True


def abstracts_match(
    a: str | None, b: str | None, a_truncated: bool = False, b_truncated: bool = False
) -> bool:
    """Same abstract up to LaTeX/punctuation/small edits; a cut-short one matches its start,
    a snippet (see :func:`is_snippet`) the runs of words it quotes."""
    na, nb = normalize_text(a), normalize_text(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    a_snippet, b_snippet = is_snippet(a), is_snippet(b)
    if a and b and a_snippet != b_snippet:
        return snippet_matches(a, b) if a_snippet else snippet_matches(b, a)
    if len(na) > len(nb):
        na, nb, a_truncated, b_truncated = nb, na, b_truncated, a_truncated
    if a_truncated or len(na) < 0.9 * len(nb):
        # The shorter one may be the start of the longer: compare it with that start.
        return len(na) >= MIN_ABSTRACT_CHARS and ratio(na, nb[: len(na)]) >= ABSTRACT_SIMILARITY
    return ratio(na, nb) >= ABSTRACT_SIMILARITY


def _surnames(authors: Iterable[str]) -> set[str]:
    return {words[-1] for name in authors if (words := normalize_text(name).split())}


def view_of(record: Record) -> PaperView:
    return PaperView(
        record.title,
        record.abstract,
        record.arxiv_id,
        record.doi,
        record.authors,
        record.abstract_truncated,
    )


def shared_identifier(a: PaperView, b: PaperView) -> str | None:
    """'arXiv 2401.01234' or 'DOI 10.1/x' when both descriptions carry that identifier."""
    if a.arxiv_id and b.arxiv_id and a.arxiv_id.lower() == b.arxiv_id.lower():
        return f"arXiv {a.arxiv_id.lower()}"
    if a.doi and b.doi and a.doi.lower() == b.doi.lower():
        return f"DOI {a.doi.lower()}"
    return None


def _content_words(title: str) -> set[str]:
    return set(match_title(title).split()) - _STOPWORDS


def identifier_conflict(a: PaperView, b: PaperView) -> str | None:
    """The identifier two descriptions share although they are plainly two papers, or None.

    Plainly two papers: their titles share no word but stopwords, and their author lists
    no surname. A real export had one DOI pasted into two entries ("Password Memorability
    and Security: Empirical Results" and an unrelated paper): the identifier rule merged them
    and a paper vanished. Kept apart, and reported instead. Without both author lists the
    identifier still decides: arXiv papers are retitled between versions.
    """
    shared = shared_identifier(a, b)
    if shared is None or not (a.title and b.title and a.authors and b.authors):
        return None
    if _content_words(a.title) & _content_words(b.title):
        return None
    if _surnames(a.authors) & _surnames(b.authors):
        return None
    return shared


def same_paper(a: PaperView, b: PaperView) -> str | None:
    """Why two descriptions are one paper ("arxiv id", "doi", "title", ...), or None.

    See the module docstring for the rules.
    """
    if identifier_conflict(a, b):
        return None
    if a.arxiv_id and b.arxiv_id:
        return "arxiv id" if a.arxiv_id.lower() == b.arxiv_id.lower() else None
    if a.doi and b.doi:
        return "doi" if a.doi.lower() == b.doi.lower() else None
    both_abstracts = bool(normalize_text(a.abstract)) and bool(normalize_text(b.abstract))
    abstracts_agree = both_abstracts and abstracts_match(
        a.abstract, b.abstract, a.abstract_truncated, b.abstract_truncated
    )
    if not (a.title and b.title):
        return "abstract" if abstracts_agree else None
    if not titles_match(a.title, b.title):
        return None
    exact = match_title(a.title) == match_title(b.title)
    reason = "title" if exact else "similar title"
    if both_abstracts and abstracts_agree:
        return f"{reason} and abstract"
    if both_abstracts and not _snippet_disagrees(a, b):
        return None
    if a.authors and b.authors and not _surnames(a.authors) & _surnames(b.authors):
        return None
    return reason if len(match_title(a.title)) >= MIN_TITLE_CHARS else None


def _snippet_disagrees(a: PaperView, b: PaperView) -> bool:
    """Abstracts that disagree where one is a snippet: a fragment says too little to tell two
    papers apart, so the title decides with the authors, who must be known on both sides and
    share a surname. Zotero exports of OpenReview pages pair a snippet ("... has thus far
    been...") with the paper's TL;DR or its arXiv abstract: 2 of 6 real same-paper pairs stayed
    apart on it (tests/fixtures/real/zotero). Two full abstracts that disagree still part
    a workshop from a journal version."""
    if not (is_snippet(a.abstract) or is_snippet(b.abstract)):
        return False
    return bool(a.authors and b.authors and _surnames(a.authors) & _surnames(b.authors))


# ----------------------------------------------------------------------------- merging


#: Formats whose titles and metadata are the most trustworthy come first.
FORMAT_RANK = {
    "arxiv-snapshot": 0,
    "oai-pmh": 0,
    "arxiv-atom": 0,
    "bibtex": 1,
    "csv": 2,
    "json": 2,
    "hf-api": 2,
    "pubpage": 3,
    "hf-daily": 4,
    "abstracts": 5,
}


def _rank(item: SourcedRecord) -> int:
    return FORMAT_RANK.get(item.format, 9)


def _best_title(items: Sequence[SourcedRecord]) -> str | None:
    titled = [(i.record.title, _rank(i)) for i in items if i.record.title]
    if len(titled) <= 1:
        return titled[0][0] if titled else None
    votes = Counter(match_title(t) for t, _ in titled)
    # Spelling evidence: a title whose words the abstracts use is not the one with a typo.
    abstracts = " ".join(i.record.abstract for i in items if i.record.abstract)
    vocabulary = set(normalize_text(abstracts).split())

    def preference(title_rank: tuple[str, int]) -> tuple[int, bool, int, int, str]:
        title, rank = title_rank
        words = match_title(title).split()
        spelled = sum(w in vocabulary for w in words)
        return (-votes[" ".join(words)], is_decorated(title), -spelled, rank, title)

    return min(titled, key=preference)[0]


def _best_abstract(items: Sequence[SourcedRecord]) -> tuple[str | None, bool]:
    found = [(i.record.abstract, i.record.abstract_truncated) for i in items if i.record.abstract]
    if not found:
        return None, False
    text, truncated = min(found, key=lambda at: (at[1], -len(at[0]), at[0]))
    return text, truncated


def _author_key(authors: Sequence[str]) -> tuple[str, ...]:
    return tuple(normalize_text(name) for name in authors)


def _best_authors(items: Sequence[SourcedRecord]) -> tuple[list[str], bool]:
    """The list most complete records agree on (spelling included); ties go to the longer
    list, then the more trusted format, then the fuller spelling ("Jean Dupont" over
    "J. Dupont"). A list cut short ("et al.") only wins when no record has a whole list."""
    lists = [(i.record.authors, i.record.authors_truncated, _rank(i)) for i in items]
    known = [entry for entry in lists if entry[0]]
    if not known:
        return [], False
    candidates = [entry for entry in known if not entry[1]] or known
    votes = Counter(_author_key(entry[0]) for entry in candidates)

    def preference(entry: tuple[list[str], bool, int]) -> tuple[int, int, int, int, list[str]]:
        authors, _, rank = entry
        return (-votes[_author_key(authors)], -len(authors), rank, -len("".join(authors)), authors)

    authors, truncated, _ = min(candidates, key=preference)
    return list(authors), truncated


def _categories(items: Sequence[SourcedRecord]) -> list[str]:
    """Every category, sorted, but the primary arXiv category first: the first category of
    the arXiv records (arXiv's own formats list it first), by vote; without an arXiv record,
    the class a BibTeX entry names (``primaryClass``, kept as ``extra["primary_class"]``)."""
    every = {c for i in items for c in i.record.categories}
    primaries = Counter(
        i.record.categories[0] for i in items if _rank(i) == 0 and i.record.categories
    ) or Counter(
        c for i in items if isinstance(c := i.record.extra.get("primary_class"), str) and c in every
    )
    if not primaries:
        return sorted(every)
    primary = min(primaries, key=lambda c: (-primaries[c], c))
    return [primary, *sorted(every - {primary})]


def earliest_date(dates: Iterable[str | None]) -> str | None:
    """The earliest date, ignoring a less precise date that a more precise one refines."""
    known = sorted({d for d in dates if d})
    precise = [d for d in known if not any(o != d and o.startswith(d) for o in known)]
    return min(precise) if precise else None


def _most_common(values: Iterable[str | None]) -> str | None:
    votes = Counter(v for v in values if v)
    return min(votes, key=lambda v: (-votes[v], v)) if votes else None


def _first_ranked(items: Sequence[SourcedRecord], attr: str) -> str | None:
    values = [(_rank(i), v) for i in items if (v := getattr(i.record, attr))]
    return min(values)[1] if values else None


def _as_paper(item: SourcedRecord) -> Record:
    """merge_records of a single record, without the voting (the ingest hot path)."""
    r = item.record
    return Record(
        title=r.title,
        abstract=r.abstract,
        abstract_truncated=bool(r.abstract) and r.abstract_truncated,
        authors=list(r.authors),
        authors_truncated=bool(r.authors) and r.authors_truncated,
        n_authors=max(r.n_authors or 0, len(r.authors)) or None,
        date=r.date,
        arxiv_id=r.arxiv_id,
        doi=r.doi,
        upvotes=r.upvotes,
        categories=_categories([item]),
        organizations=sorted(set(r.organizations)),
        url=r.url,
        venue=r.venue,
    )


def merge_records(items: Sequence[SourcedRecord]) -> Record:
    """The best value of each field over all records of one paper; order-independent."""
    if not items:
        raise ValueError("merge_records needs at least one record")
    if len(items) == 1:
        return _as_paper(items[0])
    return _merge_general(items)


def _merge_general(items: Sequence[SourcedRecord]) -> Record:
    abstract, abstract_truncated = _best_abstract(items)
    authors, authors_truncated = _best_authors(items)
    counts = [i.record.n_authors for i in items if i.record.n_authors] + [len(authors)]
    upvotes = [i.record.upvotes for i in items if i.record.upvotes is not None]
    return Record(
        title=_best_title(items),
        abstract=abstract,
        abstract_truncated=abstract_truncated,
        authors=authors,
        authors_truncated=authors_truncated,
        n_authors=max(counts) or None,
        date=earliest_date(i.record.date for i in items),
        arxiv_id=_most_common(i.record.arxiv_id for i in items),
        doi=_most_common(i.record.doi for i in items),
        upvotes=max(upvotes) if upvotes else None,
        categories=_categories(items),
        organizations=sorted({o for i in items for o in i.record.organizations}),
        url=_first_ranked(items, "url"),
        venue=_first_ranked(items, "venue"),
    )
