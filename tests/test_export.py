"""Export: BibTeX that our own reader reads back, Atom feeds a feed reader accepts, the CLI."""

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from papersift.cli import main
from papersift.export import atom_entry_id, atom_feed, citation_keys, escape_latex, to_bibtex
from papersift.ingest.pipeline import ingest_file
from papersift.ingest.sources import bibtex
from papersift.models import Hit, Paper, Record
from papersift.store import Store, open_store

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
Capture = pytest.CaptureFixture[str]

SPECIAL = Paper(
    id=901,
    title="Schrödinger's {Braces} & 100% of #tags_and $\\mathcal{O}(n^2)$ GPT-4 tricks",
    abstract="Costs $5 and $10; 50% fewer {curly} & straight lines, naïvely.",
    authors=["Zoë Çelik", "Łukasz Nováková", "Johanna von Neumann"],
    date="2024-03-05",
    arxiv_id="2403.01234",
    categories=["cs.LG", "stat.ML"],
)


def read_back(text: str) -> list[Record]:
    items = list(bibtex.parse(io.StringIO(text), "export.bib"))
    assert all(isinstance(i, Record) for i in items), items
    return [i for i in items if isinstance(i, Record)]


def paper(pid: int, **fields: object) -> Paper:
    base: dict[str, object] = {"title": None, "abstract": None, "authors": [], "date": None}
    return Paper(id=pid, **{**base, **fields})  # type: ignore[arg-type]


@pytest.fixture
def library(store: Store) -> Iterator[list[Paper]]:
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix != ".md":
            ingest_file(store, path)
    yield list(store.iter_papers())


# ------------------------------------------------------------------------------- BibTeX


def test_examples_round_trip_through_our_reader(library: list[Paper]) -> None:
    records = read_back(to_bibtex(library))
    assert len(records) == len(library) == 37
    for p, r in zip(library, records, strict=True):
        assert r.title == p.title
        assert r.authors == p.authors
        cut = p.authors_truncated or (p.n_authors or 0) > len(p.authors)
        assert r.authors_truncated == (cut and bool(p.authors))  # no author field: no "others"
        assert (r.date or "")[:4] == (p.date or "")[:4]
        assert (r.date or "")[:7] == (p.date or "")[:7]
        assert r.arxiv_id == p.arxiv_id
        assert r.doi == p.doi
        assert r.venue == p.venue
        assert r.abstract == p.abstract


def test_ingesting_the_export_adds_no_paper(library: list[Paper], tmp_path: Path) -> None:
    exported = tmp_path / "export.bib"
    exported.write_text(to_bibtex(library), encoding="utf-8")
    store = open_store(tmp_path / "again.db")
    try:
        for path in sorted(EXAMPLES.iterdir()):
            if path.suffix != ".md":
                ingest_file(store, path)
        report = ingest_file(store, exported)
        assert report.read == 37 and report.new == 0 and not report.skipped
    finally:
        store.close()


def test_special_characters_and_accents_survive() -> None:
    text = to_bibtex([SPECIAL])
    assert r"\&" in text and r"100\%" in text and r"\#tags\_and" in text
    assert "{$\\mathcal{O}(n^2)$}" in text  # math kept, braced against lower-casing
    assert "{GPT-4}" in text and 'Schr{\\"o}dinger' in text and "{\\{Braces\\}}" in text
    assert text.isascii()
    (record,) = read_back(text)
    assert record.title == SPECIAL.title
    assert record.abstract == SPECIAL.abstract
    assert record.authors == SPECIAL.authors
    assert record.date == "2024-03-05"
    assert record.arxiv_id == "2403.01234"
    assert record.categories == ["cs.LG", "stat.ML"]
    assert record.extra["entry_type"] == "misc"
    assert "archivePrefix = {arXiv}" in text and "primaryClass  = {cs.LG}" in text


def test_title_protection_and_escapes() -> None:
    assert escape_latex("Reading Learning-Rate BERT and SE(3)-Nets", protect=True) == (
        "Reading Learning-Rate {BERT} and {SE(3)-Nets}"
    )
    assert escape_latex("a_b ~ c^d \\ e") == (
        r"a\_b \textasciitilde{} c\textasciicircum{}d \textbackslash{} e"
    )
    assert escape_latex("“Quoted” – and — dashes") == "``Quoted'' -- and --- dashes"


def test_unbalanced_brace_still_gives_a_valid_entry() -> None:
    (record,) = read_back(to_bibtex([paper(1, title="A { lonely brace", authors=["Ada Lovelace"])]))
    assert (
        record.title is not None and record.title.startswith("A") and "lonely brace" in record.title
    )


def test_entry_types() -> None:
    papers = [
        paper(1, title="Journal Paper", venue="Journal of Fictional Baking", doi="10.5555/x"),
        paper(2, title="Conference Paper", venue="Proceedings of the Fictional Conference"),
        paper(3, title="Doi Only", doi="10.5555/y"),
        paper(4, title="Preprint", arxiv_id="2401.00001", doi="10.48550/arxiv.2401.00001"),
        paper(5, title="Nothing Else"),
    ]
    types = [r.extra["entry_type"] for r in read_back(to_bibtex(papers))]
    assert types == ["article", "inproceedings", "article", "misc", "misc"]


def test_keys_are_readable_and_unique() -> None:
    twins = [
        paper(1, title="Deep Sourdough", authors=["Hans Müller"], date="2021-03"),
        paper(2, title="Deep Sourdough Again", authors=["Hans Müller", "Ana García"], date="2021"),
        paper(3, title="The Deep End", authors=["H. Müller"], date="2021-07-01"),
        paper(4, title="Deepa", authors=["Hans Muller"], date="2021"),  # natural key "...deepa"
    ]
    keys = citation_keys(twins)
    assert keys == ["muller2021deep", "muller2021deepb", "muller2021deepc", "muller2021deepa"]
    records = read_back(to_bibtex(twins))
    assert [r.extra["bibtex_key"] for r in records] == keys
    assert citation_keys(twins) == keys  # stable
    odd = [paper(7), paper(8, title="Ünïcode", authors=["王小明"]), paper(9, title="On the")]
    assert citation_keys(odd) == ["paper7", "anonunicode", "paper9"]


def test_abstract_only_paper_gets_a_marked_title() -> None:
    abstract = (
        "We study how sourdough starters respond to being sung to, across twelve bakeries "
        "and three seasons, and find a small but reliable effect."
    )
    text = to_bibtex([paper(3, abstract=abstract, authors=["Ana García"], date="2023")])
    (record,) = read_back(text)
    assert record.title is not None and record.title.startswith("[Untitled] We study how")
    assert record.abstract == abstract
    assert "note" in text and "@misc{garcia2023study," in text
    (bare,) = read_back(to_bibtex([paper(4)]))
    assert bare.title == "[Untitled] paper 4"


def test_truncated_author_list_and_empty_input() -> None:
    (record,) = read_back(to_bibtex([paper(1, title="T", authors=["A B"], n_authors=5)]))
    assert record.authors == ["A B"] and record.authors_truncated
    assert to_bibtex([]) == ""


# ------------------------------------------------------------------------------- Atom


def render(items: list[Hit] | list[Paper], **kwargs: object) -> etree._Element:
    xml = atom_feed(
        "papersift: new for ada",
        "https://example.org/feeds/ada.atom",
        "https://example.org",
        items,
        feed_id="urn:papersift:feed:ada",
        **kwargs,  # type: ignore[arg-type]
    )
    assert xml.startswith(b"<?xml")
    return etree.fromstring(xml)


def test_atom_feed_of_hits(library: list[Paper]) -> None:
    no_arxiv = next(p for p in library if not p.arxiv_id)
    untitled = paper(999, abstract="An abstract \x0b with a control character.")
    papers = [*library[:5], no_arxiv, SPECIAL, untitled]
    hits = [Hit(p, 1 - i / 10, [f"close to your paper “{i}”", "new"]) for i, p in enumerate(papers)]
    root = render(hits)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "urn:papersift:feed:ada"
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == "https://example.org/feeds/ada.atom"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(hits)
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    assert ids == [e.findtext(f"{ATOM}id") for e in render(hits).findall(f"{ATOM}entry")]
    assert ids[0] == f"https://arxiv.org/abs/{library[0].arxiv_id}"
    assert ids[-1] == "urn:papersift:paper:999"
    links = [e.find(f"{ATOM}link") for e in entries]
    assert links[0] is not None and links[0].get("href") == ids[0]
    assert links[-1] is not None and links[-1].get("href") == "https://example.org/papers/999"
    for entry, hit in zip(entries, hits, strict=True):
        assert entry.findtext(f"{ATOM}title")
        content = entry.findtext(f"{ATOM}content") or ""
        assert all(reason in content for reason in hit.reasons)
        assert "<li>" in content  # html, escaped in the XML
        for tag in ("updated", "published"):
            assert RFC3339.match(entry.findtext(f"{ATOM}{tag}") or ""), tag
    special = entries[papers.index(SPECIAL)]
    assert special.findtext(f"{ATOM}title") == SPECIAL.title
    assert [a.findtext(f"{ATOM}name") for a in special.findall(f"{ATOM}author")] == SPECIAL.authors
    assert special.findtext(f"{ATOM}published", "").startswith("2024-03-05T00:00:00")
    assert entries[-1].findtext(f"{ATOM}title", "").startswith("[Untitled] An abstract")


def test_atom_feed_of_papers_and_dates() -> None:
    dated = paper(1, title="Dated", date="2024-02", url="https://example.com/p1")
    undated = paper(2, title="Undated", abstract="Words.")
    moment = datetime(2025, 1, 2, 3, 4, 5)  # naive: taken as UTC
    root = render([dated, undated, dated], updated=moment)
    assert RFC3339.match(root.findtext(f"{ATOM}updated") or "")
    assert root.findtext(f"{ATOM}updated") == "2025-01-02T03:04:05+00:00"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2  # the same paper twice is one entry
    assert entries[0].findtext(f"{ATOM}published") == "2024-02-01T00:00:00+00:00"
    assert entries[1].findtext(f"{ATOM}updated") == "2025-01-02T03:04:05+00:00"  # the feed's
    link = entries[0].find(f"{ATOM}link")
    assert link is not None and link.get("href") == "https://example.com/p1"
    assert entries[1].findtext(f"{ATOM}summary") == "Words."
    assert entries[1].find(f"{ATOM}content") is None  # no reasons, no content
    assert atom_entry_id(dated) == "urn:papersift:paper:1"
    # Without `updated`: the newest paper's date, so two renders are the same bytes.
    assert render([dated]).findtext(f"{ATOM}updated") == "2024-02-01T00:00:00+00:00"
    empty = render([], updated=datetime(2025, 1, 1, tzinfo=UTC))
    assert empty.findall(f"{ATOM}entry") == []


# ------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_db(db_path: Path, capsys: Capture) -> Path:
    base = ["--db", str(db_path), "--model", "fake"]
    assert main([*base, "ingest", str(EXAMPLES)]) == 0
    assert main([*base, "reader", "add", "tomas", "--author", "Tomas Okafor"]) == 0
    assert (
        main([*base, "reader", "add", "ines", "--like", "2502.07731", "--like", "2504.02276"]) == 0
    )
    assert main([*base, "reader", "add", "blank"]) == 0
    capsys.readouterr()
    return db_path


def run(capsys: Capture, db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "--model", "fake", "export", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_bibtex_liked_feed_and_search(cli_db: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, cli_db, "bibtex", "--liked", "ines")
    assert code == 0
    assert {r.arxiv_id for r in read_back(out)} == {"2502.07731", "2504.02276"}
    code, out, _ = run(capsys, cli_db, "bibtex", "--feed", "tomas", "--since", "2024-01-01")
    assert code == 0 and 0 < len(read_back(out)) <= 10
    code, out, _ = run(
        capsys, cli_db, "bibtex", "--search", "protein", "--mode", "lexical", "--limit", "2"
    )
    assert code == 0 and len(records := read_back(out)) == 2
    assert all("rotein" in f"{r.title} {r.abstract}" for r in records)


def test_cli_atom_and_out_file(cli_db: Path, tmp_path: Path, capsys: Capture) -> None:
    target = tmp_path / "tomas.atom"
    args = ["atom", "--feed", "tomas", "--since", "2024-01-01", "--base-url", "https://ps.example"]
    code, out, err = run(capsys, cli_db, *args, "--out", str(target))
    assert code == 0 and out == "" and "wrote an Atom feed" in err
    root = etree.fromstring(target.read_bytes())
    entries = root.findall(f"{ATOM}entry")
    assert entries and all(e.findtext(f"{ATOM}content") for e in entries)
    assert root.findtext(f"{ATOM}id") == "urn:papersift:feed:tomas"
    code, out, _ = run(capsys, cli_db, *args)
    assert code == 0 and etree.fromstring(out.encode()).tag == f"{ATOM}feed"
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["bibtex", "--liked", "nobody"], 3, "no reader named 'nobody'"),
        (["bibtex", "--feed", "nobody"], 3, "no reader named 'nobody'"),
        (["atom", "--feed", "nobody"], 3, "no reader named 'nobody'"),
        (["bibtex"], 2, "exactly one of --feed READER, --search QUERY, --liked READER"),
        (["bibtex", "--liked", "ines", "--search", "x"], 2, "exactly one of"),
        (["bibtex", "--liked", "ines", "--days", "3"], 2, "--days and --since go with --feed"),
        (["bibtex", "--feed", "tomas", "--days", "3", "--since", "2024-01-01"], 2, "not both"),
        (["bibtex", "--feed", "tomas", "--since", "soon"], 2, "--since wants a date"),
        (["bibtex", "--liked", "ines", "--mode", "lexical"], 2, "--mode goes with --search"),
        (["bibtex", "--liked", "blank"], 2, "no liked papers"),
        (["bibtex", "--feed", "tomas", "--since", "2099-01-01"], 2, "nothing to export"),
        (["bibtex", "--search", "zzzqqq", "--mode", "lexical"], 2, "nothing to export"),
        (["atom"], 2, "export atom wants --feed READER"),
        (["atom", "--feed", "tomas", "--base-url", "example.org"], 2, "--base-url"),
    ],
)
def test_cli_errors_are_one_line(
    cli_db: Path, capsys: Capture, args: list[str], code: int, message: str
) -> None:
    got, out, err = run(capsys, cli_db, *args)
    assert got == code
    assert err.startswith("papersift: error:") and message in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert out == ""


def test_cli_unwritable_out(cli_db: Path, tmp_path: Path, capsys: Capture) -> None:
    for target in (tmp_path / "no" / "such" / "dir.bib", tmp_path):
        code, out, err = run(capsys, cli_db, "bibtex", "--liked", "ines", "--out", str(target))
        assert code == 2 and out == ""
        assert err.startswith("papersift: error: cannot write") and err.count("\n") == 1
    assert all(f.name.startswith("library.db") for f in tmp_path.iterdir())
