"""Ingesting files: dedup across files, idempotence, one transaction per file, bad input."""

import json
import sqlite3
from pathlib import Path

import pytest

from papersift.errors import ParseError, UnknownFormatError, UsageError
from papersift.ingest.pipeline import ingest_file
from papersift.store import Store
from tests.support import FIXTURES


def dump(db: Path) -> list[tuple[object, ...]]:
    """Every row of every table, to compare a database before and after."""
    conn = sqlite3.connect(db)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    rows = [(t, *row) for t in sorted(tables) for row in conn.execute(f"SELECT * FROM {t}")]
    conn.close()
    return sorted(rows, key=repr)


def test_cross_format_duplicates_merge_with_provenance(store: Store) -> None:
    page = ingest_file(store, FIXTURES / "pubpage.txt")
    assert (page.format, page.new, page.merged) == ("pubpage", 4, 0)
    hf = ingest_file(store, FIXTURES / "hf_daily.txt", source="hf")
    assert (hf.format, hf.new, hf.merged) == ("hf-daily", 2, 1)
    abstracts = ingest_file(store, FIXTURES / "abstracts.txt")
    assert abstracts.format == "abstracts"
    assert (abstracts.new, abstracts.merged, len(abstracts.skipped)) == (0, 2, 1)

    paper_id = store.resolve_paper_id("1")
    assert paper_id is not None
    paper = store.get_paper(paper_id)
    assert paper is not None
    assert paper.title == "Warm Starts for Sparse Optimizers"
    assert paper.upvotes == 17  # from the HF page
    assert paper.n_authors == 6  # the page lists three "et al.", HF counts six
    assert paper.abstract is not None and paper.abstract.endswith("held-out data.")
    assert not paper.abstract_truncated  # the full abstract replaced HF's cut one
    assert {s.format for s in paper.sources} == {"pubpage", "hf-daily", "abstracts"}
    assert {s.source for s in paper.sources} == {"pubpage", "hf", "abstracts"}
    assert all(s.locator.startswith("line ") for s in paper.sources)
    assert len(store.merge_log(paper.id)) == 2
    assert store.stats().papers == 6


def test_ingesting_twice_changes_nothing(store: Store, db_path: Path) -> None:
    for name in ("pubpage.txt", "hf_daily.txt", "abstracts.txt"):
        ingest_file(store, FIXTURES / name)
    before = [row for row in dump(db_path) if row[0] != "schema_migrations"]
    for name in ("pubpage.txt", "hf_daily.txt", "abstracts.txt"):
        report = ingest_file(store, FIXTURES / name)
        assert report.new == report.merged == 0
        assert report.unchanged == report.read - len(report.skipped)
    assert [row for row in dump(db_path) if row[0] != "schema_migrations"] == before


def test_a_failing_file_leaves_the_database_as_it_was(
    store: Store, db_path: Path, tmp_path: Path
) -> None:
    ingest_file(store, FIXTURES / "pubpage.txt")
    before = dump(db_path)
    bad = tmp_path / "half.txt"
    good_block = (FIXTURES / "pubpage.txt").read_text().split("\n")[:3]
    bad.write_text(
        "\n".join(
            [
                "LGJan 1, 2024",
                "Fresh PaperAnn Lee",
                "Abstract.",
                *good_block,
                "LGJan 2, 2024",
                "broken",
                "",
            ]
        )
    )
    with pytest.raises(ParseError) as err:
        ingest_file(store, bad, strict=True)
    assert err.value.path == str(bad) and err.value.line == 8
    assert dump(db_path) == before
    report = ingest_file(store, bad)  # without --strict the bad entry is skipped and counted
    assert report.new == 1 and len(report.skipped) == 1


def test_interrupted_ingest_rolls_back(store: Store, db_path: Path) -> None:
    before = dump(db_path)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    big = db_path.parent / "big.txt"
    block = "LGJan 1, 2024\nPaper Number {i} About ThingsAnn Lee\nAn abstract.\n"
    big.write_text("".join(block.format(i=i) for i in range(1500)))
    with pytest.raises(KeyboardInterrupt):
        ingest_file(store, big, progress=interrupt)
    assert dump(db_path) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"   \n\n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ],
)
def test_empty_and_binary_files(store: Store, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    with pytest.raises(ParseError, match=message) as err:
        ingest_file(store, path)
    assert str(path) in str(err.value)


def test_unknown_format(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Just some notes\nabout nothing in particular.\n")
    with pytest.raises(UnknownFormatError, match="--format"):
        ingest_file(store, path)
    with pytest.raises(UnknownFormatError, match="known formats"):
        ingest_file(store, FIXTURES / "pubpage.txt", format_name="docx")


def test_not_utf8_names_the_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    text = (FIXTURES / "pubpage.txt").read_text().replace("Lindgren", "Lindgrén")
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ParseError, match="not UTF-8") as err:
        ingest_file(store, path)
    assert err.value.line == 2


def test_missing_file(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        ingest_file(store, tmp_path / "nope.bib")


def test_forced_format(store: Store) -> None:
    report = ingest_file(store, FIXTURES / "abstracts.txt", format_name="abstracts")
    assert report.format == "abstracts" and report.new == 2


def _library(store: Store) -> list[tuple[object, ...]]:
    return [
        (p.id, p.title, p.abstract, p.authors, p.date, p.arxiv_id, p.doi, p.upvotes, len(p.sources))
        for p in store.iter_papers()
    ]


def test_parsing_in_a_worker_process_gives_the_same_library(tmp_path: Path) -> None:
    from papersift.store import open_store

    files = [FIXTURES / "pubpage.txt", FIXTURES / "hf_daily.txt", FIXTURES / "abstracts.txt"]
    libraries = []
    for parallel in (False, True):
        store = open_store(tmp_path / f"parallel-{parallel}.db")
        reports = [ingest_file(store, f, parallel=parallel) for f in files]
        libraries.append(([(r.new, r.merged, len(r.skipped)) for r in reports], _library(store)))
        store.close()
    assert libraries[0] == libraries[1]


def test_errors_in_the_worker_process_reach_the_user(
    store: Store, db_path: Path, tmp_path: Path
) -> None:
    before = dump(db_path)
    path = tmp_path / "latin1.txt"
    path.write_bytes((FIXTURES / "pubpage.txt").read_text().replace("Bo", "Bö").encode("latin-1"))
    with pytest.raises(ParseError, match="not UTF-8") as err:
        ingest_file(store, path, parallel=True)
    assert err.value.line == 2
    bad = tmp_path / "bad.txt"
    bad.write_text("LGJan 1, 2024\nno authors here\nAbstract.\n")
    with pytest.raises(ParseError, match="cannot tell the title"):
        ingest_file(store, bad, parallel=True, strict=True)
    assert dump(db_path) == before


def test_duplicates_across_batches_of_a_big_file(store: Store, tmp_path: Path) -> None:
    import json

    def line(i: int, title: str) -> str:
        abstract = (
            f"Paper {i} studies topic {i} with method {i * 7} and finds result {i * 13}. " * 3
        )
        return json.dumps({"title": title, "abstract": abstract, "arxiv_id": f"2401.{i:05d}"})

    lines = [line(i, f"Study number {i} of things") for i in range(2600)]
    lines += lines[:5]  # the same entries again, in later read and write batches
    lines += [line(i, f"Study number {i} of things, revised") for i in range(10, 15)]  # same ids
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = ingest_file(store, path)
    assert (report.read, report.new, report.unchanged, report.merged) == (2610, 2600, 5, 5)
    assert store.stats().papers == 2600
    again = ingest_file(store, path)
    assert (again.new, again.merged, again.unchanged) == (0, 0, 2610)


def test_a_record_that_bridges_two_papers_merges_them(store: Store, tmp_path: Path) -> None:
    import json

    abstract = "We measure how sparse routers balance load across experts in large models. " * 2
    a = {"title": "Routers for Sparse Experts", "arxiv_id": "2405.00001"}
    b = {"title": "Balanced Routing in Mixture Models", "abstract": abstract}
    bridge = {
        "title": "Balanced Routing in Mixture Models",
        "abstract": abstract,
        "arxiv_id": "2405.00001",
    }
    late = {"title": "Balanced routing in mixture models", "abstract": abstract, "upvotes": 9}
    for name, rows in (("a.jsonl", [a, b]), ("bridge.jsonl", [bridge]), ("late.jsonl", [late])):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert ingest_file(store, tmp_path / "a.jsonl").new == 2
    report = ingest_file(store, tmp_path / "bridge.jsonl")
    assert report.merged == 1
    papers = list(store.iter_papers())
    assert len(papers) == 1 and len(papers[0].sources) == 3
    assert store.resolve_paper_id("2") == store.resolve_paper_id("1") == papers[0].id
    assert store.resolve_paper_id("3") is None
    assert store.resolve_paper_id("99999999999999999999") is None  # too big for either database
    assert [m[2] for m in store.merge_log(papers[0].id) if m[2]] == [2]  # paper 2 was absorbed
    # the absorbed paper's keys now lead to the survivor
    assert ingest_file(store, tmp_path / "late.jsonl").merged == 1
    survivor = store.get_paper(papers[0].id)
    assert survivor is not None and survivor.upvotes == 9 and len(survivor.sources) == 4
    # a new paper never reuses the absorbed id
    (tmp_path / "new.jsonl").write_text(
        json.dumps({"title": "Something Else Entirely Here"}) + "\n"
    )
    ingest_file(store, tmp_path / "new.jsonl")
    assert max(p.id for p in store.iter_papers()) == 3


SHARED_DOI = """@inproceedings{pw,
  title = {Password Memorability and Security: Empirical Results},
  author = {Yan, Jeff and Blackwell, Alan and Anderson, Ross and Grant, Alasdair},
  doi = {10.1109/MSP.2004.81}, year = 2004
}
@article{pasted,
  title = {Toward a Theory of Deep Hashing},
  author = {Knuth, Donald},
  doi = {10.1109/MSP.2004.81}, year = 2004
}
"""


def test_a_doi_pasted_into_an_unrelated_entry_is_kept_apart_and_listed(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "shared_doi.bib"
    path.write_text(SHARED_DOI)
    report = ingest_file(store, path)
    assert (report.new, report.merged, report.conflicts) == (2, 0, 1)
    titles = {p.title: p.id for p in store.iter_papers()}
    assert "Password Memorability and Security: Empirical Results" in titles
    [conflict] = store.conflicts()
    first, second = (
        titles["Password Memorability and Security: Empirical Results"],
        titles["Toward a Theory of Deep Hashing"],
    )
    assert (conflict.identifier, conflict.paper_id, conflict.other_id) == (
        "DOI 10.1109/msp.2004.81",
        first,
        second,
    )
    assert store.conflicts(second) == [conflict] and store.conflicts(first) == [conflict]
    # Re-reading the file changes nothing; a third record with the DOI joins its own paper.
    assert ingest_file(store, path).conflicts == 0
    path.with_name("again.bib").write_text(
        "@article{x, title = {Password memorability and security: empirical results},"
        " author = {Jeff Yan}, doi = {10.1109/msp.2004.81}}\n"
    )
    again = ingest_file(store, path.with_name("again.bib"))
    assert (again.merged, again.merge_reasons["doi"]) == (1, 1)
    assert len(store.conflicts()) == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_a_file_with_a_byte_order_mark_is_read_in_its_encoding(
    sqlite_store: Store, tmp_path: Path, encoding: str
) -> None:
    text = (FIXTURES / "dblp.bib").read_text(encoding="utf-8")
    path = tmp_path / "windows.bib"
    bom = {"utf-16-be": b"\xfe\xff"}.get(encoding, b"")  # Python writes the others itself
    path.write_bytes(bom + text.encode(encoding))
    report = ingest_file(sqlite_store, path)
    assert report.format == "bibtex" and report.new >= 1
    reference = ingest_file(sqlite_store, FIXTURES / "dblp.bib", source="windows")
    assert reference.new == 0  # the same records, read the same way


def test_zero_bytes_without_a_byte_order_mark_are_still_binary(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "no_bom.bib"
    path.write_bytes((FIXTURES / "dblp.bib").read_text(encoding="utf-8").encode("utf-16-le"))
    with pytest.raises(ParseError, match="binary"):
        ingest_file(sqlite_store, path)


def test_an_explicit_format_that_does_not_fit_the_content_is_an_error(
    sqlite_store: Store, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="not oai-pmh but looks like arxiv-atom") as err:
        ingest_file(sqlite_store, FIXTURES / "arxiv_api.atom", format_name="oai-pmh")
    assert err.value.exit_code == 2
    other = tmp_path / "other.xml"
    other.write_text('<?xml version="1.0"?>\n<catalogue><book/></catalogue>\n')
    with pytest.raises(ParseError, match="no oai-pmh entries found") as parse_err:
        ingest_file(sqlite_store, other, format_name="oai-pmh")
    assert parse_err.value.exit_code == 2
    # Near misses: the format the content has, and an empty OAI-PMH answer, are fine.
    assert ingest_file(sqlite_store, FIXTURES / "oai_arxiv.xml", format_name="oai-pmh").new > 0
    assert (
        ingest_file(sqlite_store, FIXTURES / "oai_norecords.xml", format_name="oai-pmh").read == 0
    )


def test_strict_does_not_fail_on_an_oai_deleted_record(sqlite_store: Store, tmp_path: Path) -> None:
    deleted = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>
<record><header status="deleted"><identifier>oai:arXiv.org:2401.00001</identifier>
<datestamp>2024-01-02</datestamp></header></record>
</ListRecords></OAI-PMH>
"""
    path = tmp_path / "deleted.xml"
    path.write_text(deleted)
    report = ingest_file(sqlite_store, path, strict=True)
    assert (report.read, report.new, len(report.skipped)) == (1, 0, 1)
    # Near miss: a record without a title is a fault, and --strict fails on it.
    untitled = deleted.replace(' status="deleted"', "").replace(
        "</header>",
        '</header><metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>2401.00001</id></arXiv></metadata>',
    )
    path.write_text(untitled)
    with pytest.raises(ParseError, match="record without a title"):
        ingest_file(sqlite_store, path, strict=True)


def test_the_cli_reports_and_lists_identifier_conflicts(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from papersift.cli import main

    path = tmp_path / "shared_doi.bib"
    path.write_text(SHARED_DOI)
    assert main(["--db", str(db_path), "ingest", str(path)]) == 0
    assert "identifier conflicts: 1" in capsys.readouterr().out
    assert main(["--db", str(db_path), "stats"]) == 0
    out = capsys.readouterr().out
    assert "conflicts     1 identifiers shared by papers kept apart" in out
    assert "DOI 10.1109/msp.2004.81: papers 1 and 2" in out
    assert main(["--db", str(db_path), "papers", "show", "2"]) == 0
    assert (
        "conflict: shares DOI 10.1109/msp.2004.81 with paper 1, kept apart"
        in capsys.readouterr().out
    )
    assert main(["--db", str(db_path), "stats", "--format", "json"]) == 0
    [conflict] = json.loads(capsys.readouterr().out)["conflicts"]
    assert (conflict["paper_id"], conflict["other_id"]) == (1, 2)
    assert main(["--db", str(db_path), "papers", "show", "1", "--format", "json"]) == 0
    [shown] = json.loads(capsys.readouterr().out)["conflicts"]
    assert shown == conflict
