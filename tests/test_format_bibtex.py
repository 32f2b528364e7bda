"""BibTeX: Zotero, Google Scholar and DBLP exports; LaTeX, macros, broken entries."""

import io
from pathlib import Path

import pytest

from papersift.errors import ParseError
from papersift.ingest.sources import bibtex
from papersift.models import ParseItem, Record, Skipped
from tests.support import FIXTURES

ZOTERO = FIXTURES / "zotero.bib"
SCHOLAR = FIXTURES / "scholar.bib"
DBLP = FIXTURES / "dblp.bib"


def parse_file(path: Path) -> list[ParseItem]:
    with path.open(encoding="utf-8") as f:
        return list(bibtex.parse(f, str(path)))


def parse_text(text: str) -> list[ParseItem]:
    return list(bibtex.parse(io.StringIO(text), "inline.bib"))


def records(items: list[ParseItem]) -> dict[str, Record]:
    return {r.extra["bibtex_key"]: r for r in items if isinstance(r, Record)}


def only_record(text: str) -> Record:
    (item,) = parse_text(text)
    assert isinstance(item, Record)
    return item


def test_zotero_entry_fields() -> None:
    entry = records(parse_file(ZOTERO))["muller_schrodingers_2021"]
    assert entry.title == "Schrödinger's Sourdough: BERT for Bread"
    assert entry.abstract == (
        "We ask a language model whether a sealed starter is alive. "
        "It answers correctly 97% of the time, and 100% of the time on Mondays."
    )
    assert entry.authors == ["Hans Müller", "Ana García", "Johanna von Neumann"]
    assert entry.authors_truncated is True
    assert entry.date == "2021-03"
    assert entry.doi == "10.5555/fict.2021.007"
    assert entry.arxiv_id is None
    assert entry.venue == "Journal of Fictional Baking"  # from the @string macro
    assert entry.url == "https://doi.org/10.5555/FICT.2021.007"
    assert entry.categories == ["fermentation", "language models"]
    assert entry.locator == "entry muller_schrodingers_2021 (line 6)"
    assert entry.extra == {"bibtex_key": "muller_schrodingers_2021", "entry_type": "article"}


def test_zotero_arxiv_preprint() -> None:
    entry = records(parse_file(ZOTERO))["okafor_tiny_2024"]
    assert entry.title == "Tiny Transformers Count Sheep"
    assert entry.abstract == (
        "We train a $4$-layer transformer to count sheep until it falls asleep."
    )
    assert entry.authors == ["Chidi Okafor", "The Fictional Sleep Consortium"]
    assert entry.authors_truncated is False
    assert entry.arxiv_id == "2401.01234"
    assert entry.date == "2024-01"
    assert entry.extra["entry_type"] == "misc"


def test_eprint_date_field_and_jr_names() -> None:
    entry = records(parse_file(ZOTERO))["lindqvist_kernel_2022"]
    assert entry.title == "Kernel Ridge for Ridge Kernels & Other Puns"
    assert entry.authors == ["Åsa Lindqvist", "Zaphod Beeblebrox IV"]
    assert entry.date == "2022-06-15"
    assert entry.arxiv_id == "2206.04321"
    assert entry.doi == "10.5555/fcw.2022.11"
    assert entry.venue == "Proceedings of the Fictional Conference on Wordplay"
    assert entry.categories == ["cs.LG"]


def test_broken_and_untitled_entries_are_skipped_in_file_order() -> None:
    items = parse_file(ZOTERO)
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["Record", "Record", "Record", "Skipped", "Skipped", "Record"]
    broken, untitled = items[3], items[4]
    assert isinstance(broken, Skipped) and isinstance(untitled, Skipped)
    assert broken.line == 42 and broken.locator == "line 42"
    assert "closing" in broken.reason
    assert untitled == Skipped("entry untitled_2019 (line 48)", "no title", 48)


def test_parenthesised_entry_after_a_broken_one() -> None:
    entry = records(parse_file(ZOTERO))["paren_2018"]
    assert entry.title == "Parenthesised Entries Still Count"
    assert entry.authors == ["Mei Ng"]
    assert entry.date == "2018-11-05"
    assert entry.locator == "entry paren_2018 (line 53)"


def test_google_scholar_export() -> None:
    items = records(parse_file(SCHOLAR))
    preprint, paper = items["hallett2023teaching"], items["quinlan2022warm"]
    assert preprint.title == "Teaching sourdough starters to count: Microbial arithmetic"
    assert preprint.authors == ["Wren Hallett", "Jun Brindle-Yu", "Osamu Nakamura"]
    assert preprint.arxiv_id == "2301.00042"
    assert preprint.date == "2023"
    assert paper.venue == "Proceedings of the Fictional Symposium on Optimization"
    assert paper.arxiv_id is None and paper.doi is None
    assert paper.locator == "entry quinlan2022warm (line 8)"


def test_dblp_export() -> None:
    (entry,) = records(parse_file(DBLP)).values()
    assert entry.authors == ["Priya Raman", "Tomasz Wiśniewski"]
    assert entry.arxiv_id == "2312.09876"
    assert entry.venue == "CoRR"
    assert entry.extra["bibtex_key"] == "DBLP:journals/corr/abs-2312-09876"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("{BERT}: Pre-training", "BERT: Pre-training"),
        ('Schr\\"{o}dinger', "Schrödinger"),
        ("\\emph{Very} {F}ast~Sorting", "Very Fast Sorting"),
        ("Caf{\\'e} --- a study", "Café — a study"),
        ("Up to 5% faster", "Up to 5% faster"),
        ("$O(n \\log n)$ merging", "$O(n \\log n)$ merging"),
    ],
)
def test_latex_in_titles(title: str, expected: str) -> None:
    assert only_record(f"@article{{k, title = {{{title}}}}}").title == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("year = 2020, month = mar", "2020-03"),
        ("year = {2020}, month = {3}", "2020-03"),
        ("year = {2020}, month = {March}, day = {9}", "2020-03-09"),
        ("year = {2020}, month = {Feb}, day = {31}", "2020-02"),
        ("year = {2020}, month = spring", "2020"),
        ("year = {in press}", None),
        ("date = {2019-12-01}, year = {2020}", "2019-12-01"),
        ("date = {2019-12/2020-01}", "2019-12"),
    ],
)
def test_dates(fields: str, expected: str | None) -> None:
    assert only_record(f"@article{{k, title = {{T}}, {fields}}}").date == expected


def test_month_macro_from_string() -> None:
    items = parse_text('@string{fall = "October"}\n@article{k, title={T}, year=2020, month=fall}')
    assert [r.date for r in items if isinstance(r, Record)] == ["2020-10"]


@pytest.mark.parametrize(
    ("fields", "arxiv_id", "doi"),
    [
        ("eprint = {2401.01234v3}, eprinttype = {arxiv}", "2401.01234", None),
        ("eprint = {2401.01234}", None, None),  # no archive prefix: could be anything
        ("url = {https://arxiv.org/pdf/2401.01234v1}", "2401.01234", None),
        ("url = {https://doi.org/10.1145/3600000.1}", None, "10.1145/3600000.1"),
        ("doi = {https://doi.org/10.5555/ABC}", None, "10.5555/abc"),
        ("journal = {arXiv preprint arXiv:hep-th/9901001}", "hep-th/9901001", None),
        ("howpublished = {arXiv: 2402.00002}", "2402.00002", None),
    ],
)
def test_ids(fields: str, arxiv_id: str | None, doi: str | None) -> None:
    entry = only_record(f"@misc{{k, title = {{T}}, {fields}}}")
    assert (entry.arxiv_id, entry.doi) == (arxiv_id, doi)


def test_duplicate_key_is_skipped_with_its_line() -> None:
    items = parse_text("@article{a, title={First}}\n\n@article{a, title={Second}}\n")
    first, second = items
    assert isinstance(first, Record) and first.title == "First"
    assert second == Skipped("line 3", "duplicate entry key 'a' (first used on line 1)", 3)


def test_single_author_and_brace_protected_names() -> None:
    entry = only_record(
        "@article{k, title={T},"
        " author={{Fictional Bread Collective} and Ng, Mei and Ana Garc{\\'i}a}}"
    )
    assert entry.authors == ["Fictional Bread Collective", "Mei Ng", "Ana García"]


def test_comments_strings_and_preambles_only() -> None:
    text = '% nothing here\n@comment{just a note}\n@string{x = "y"}\n@preamble{"z"}\n'
    assert parse_text(text) == []
    assert parse_text("") == []
    assert parse_text("\n  \n") == []


def test_not_bibtex_raises_parse_error() -> None:
    with pytest.raises(ParseError) as err:
        parse_text("Title: Some paper\nAbstract: Not BibTeX at all.\n")
    assert err.value.line == 1
    assert err.value.path == "inline.bib"
    assert "no BibTeX entries found" in str(err.value)


def test_sniff() -> None:
    for path in (ZOTERO, SCHOLAR, DBLP):
        assert bibtex.sniff(path.read_text(encoding="utf-8"), path.name)
    assert bibtex.sniff("  @Article (key,\n title = {x})", "x.txt")
    others = ["zotero.csv", "custom.tsv", "papers.json", "papers.jsonl", "export.jsonl"]
    others += ["abstracts.txt", "hf_daily.txt", "pubpage.txt", "oai_dc.xml", "arxiv_api.atom"]
    for name in others:
        assert not bibtex.sniff((FIXTURES / name).read_text(encoding="utf-8"), name), name
    assert not bibtex.sniff("mail me @ home {soon}", "x.txt")


def test_format_spec() -> None:
    assert bibtex.FORMAT.name == "bibtex"
    assert bibtex.FORMAT.extensions == (".bib", ".bibtex")
    assert bibtex.FORMAT.parse is bibtex.parse


# ------------------------------------------------ values read the BibTeX way (issue 16)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        # From a real test file: "\TeX: The Program" became ": The Program".
        ("{\\TeX}: The Program", "TeX: The Program"),
        ("The \\LaTeX\\ Companion", "The LaTeX Companion"),
        ("Tame \\BibTeX{} and \\XeTeX\\ and \\LaTeXe", "Tame BibTeX and XeTeX and LaTeX2e"),
        ("The \\TeX book", "The TeXbook"),  # biblatex's examples: a macro eats the space
        ("The {\\TeX}book", "The TeXbook"),
        ("Sorting, \\ie, \\S 3 of \\AmS-\\TeX", "Sorting, i.e., §3 of AMS-TeX"),
        # Near misses: a macro name inside a word, and ordinary markup, are left as they were.
        ("\\textbf{TeX} as a word", "TeX as a word"),
        ("TeXnology and \\emph{LaTeX}", "TeXnology and LaTeX"),
    ],
)
def test_tex_logos_and_common_macros_become_text(title: str, text: str) -> None:
    (item,) = parse_text(f"@book{{k, title = {{{title}}}, year = 1986}}")
    assert isinstance(item, Record) and item.title == text


def test_string_macros_and_concatenation() -> None:
    # bibtexparser's own test file writes `author = jean # " " # cesar`; it was kept literally.
    items = parse_text(
        '@string{jean = "Jean"}\n@STRING{cesar = "C{\\\'e}sar"}\n'
        "@string{full = jean # { } # cesar}\n"
        '@article{a, title = "Concatenated" # { titles}, author = jean # " " # cesar,\n'
        "  journal = full, year = 2001, month = jan # {~1}}\n"
        "@article{b, title = {Unknown # macro}, author = nobody # { Else}, year = 2001}\n"
    )
    a, b = items
    assert isinstance(a, Record) and isinstance(b, Record)
    assert (a.title, a.authors, a.venue) == ("Concatenated titles", ["Jean César"], "Jean César")
    assert a.date == "2001-01"
    # Near misses: '#' inside braces is text; an unknown macro name is kept as it is written.
    assert b.title == "Unknown # macro" and b.authors == ["nobody Else"]


def test_crossref_inheritance() -> None:
    items = parse_text(
        "@inproceedings{paper, title = {A Child Paper}, author = {Doe, Jane},\n"
        "  crossref = {PROC}, pages = {1--10}}\n"
        "@inproceedings{own, title = {Own Venue}, booktitle = {Own Workshop}, crossref = {proc}}\n"
        "@proceedings{proc, title = {Proceedings of the Parent Conference}, year = 2010,\n"
        "  doi = {10.1145/1234567}, publisher = {ACM}}\n"
    )
    paper, own, proc = records(items).values()
    assert (paper.title, paper.venue, paper.date) == (
        "A Child Paper",
        "Proceedings of the Parent Conference",
        "2010",
    )
    assert paper.authors == ["Jane Doe"]
    # Near misses: an entry keeps its own fields, the parent's DOI is the parent's alone
    # (its papers would all merge on it), and the parent stays a record of its own.
    assert own.venue == "Own Workshop" and own.title == "Own Venue"
    assert paper.doi is None and own.doi is None
    assert proc.title == "Proceedings of the Parent Conference" and proc.doi == "10.1145/1234567"


def test_surname_initials_names_in_bibtex() -> None:
    (item,) = parse_text(
        "@article{k, title = {T}, author = {Liu R. and Smith JA and Beeblebrox IV, Zaphod}}"
    )
    assert isinstance(item, Record)
    assert item.authors == ["R. Liu", "J. A. Smith", "Zaphod Beeblebrox IV"]
