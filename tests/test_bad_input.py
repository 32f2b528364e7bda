"""Bad input through the command line: one readable line naming file and line, a non-zero
exit, no traceback, and the library exactly as it was."""

import sqlite3
from pathlib import Path

import pytest

from papersift.cli import main
from papersift.errors import StoreError
from papersift.ingest.pipeline import ingest_file
from papersift.store import open_store
from tests.support import FIXTURES

Capture = pytest.CaptureFixture[str]


def snapshot(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    rows = sorted(conn.execute("SELECT id, title FROM papers"))
    rows += sorted(conn.execute("SELECT id, fingerprint FROM records"))
    conn.close()
    return rows


@pytest.fixture
def library(db_path: Path, capsys: Capture) -> Path:
    assert main(["--db", str(db_path), "ingest", str(FIXTURES / "pubpage.txt")]) == 0
    capsys.readouterr()
    return db_path


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        (
            "cut.xml",
            '<?xml version="1.0"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
            "<ListRecords>\n<record><header><identifier>oai:arXiv.org:2401.00001",
            4,
            "",
        ),
        ("broken.json", '[\n {"title": "A fine paper"},\n {"title": "Oops",,}\n]\n', 3, ""),
        (
            "unclosed.bib",
            "@article{key,\n  title = {Unclosed brace,\n  year = 2020\n",
            1,
            "no entry",
        ),
        ("notes.txt", "Some notes\nthat are no listing at all.\n", None, "cannot tell the format"),
        ("api.atom", (FIXTURES / "arxiv_api_error.atom").read_text(), None, ""),
    ],
)
def test_malformed_files(
    library: Path,
    tmp_path: Path,
    capsys: Capture,
    name: str,
    content: str,
    line: int | None,
    message: str,
) -> None:
    before = snapshot(library)
    path = tmp_path / name
    path.write_text(content)
    code = main(["--db", str(library), "ingest", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"papersift: error: {path}")
    if line is not None:
        assert f"{path}:{line}:" in err
    assert message in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert snapshot(library) == before


def test_strict_fails_on_the_first_bad_entry(
    library: Path, tmp_path: Path, capsys: Capture
) -> None:
    before = snapshot(library)
    path = tmp_path / "dump.jsonl"
    good = '{"id": "2401.0000%d", "title": "Paper %d on things", "update_date": "2024-01-01"}'
    path.write_text("\n".join([good % (1, 1), "{not json", good % (2, 2)]) + "\n")
    code = main(["--db", str(library), "ingest", "--strict", str(path)])
    assert code == 2 and f"{path}:2: line 2:" in capsys.readouterr().err
    assert snapshot(library) == before
    assert main(["--db", str(library), "ingest", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 new" in out and "1 skipped" in out and "skipped line 2:" in out


def test_full_disk_rolls_back_with_one_message(tmp_path: Path) -> None:
    db = tmp_path / "small.db"
    store = open_store(db)
    ingest_file(store, FIXTURES / "pubpage.txt")
    before = snapshot(db)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]  # type: ignore[attr-defined]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # type: ignore[attr-defined]
    big = tmp_path / "big.jsonl"
    big.write_text(
        "".join(
            f'{{"title": "Paper number {i}", "abstract": "{"words " * 200}"}}\n' for i in range(300)
        )
    )
    with pytest.raises(StoreError, match="disk is full"):
        ingest_file(store, big)
    store.close()
    assert snapshot(db) == before


def test_unwritable_database_is_one_line(tmp_path: Path, capsys: Capture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["--db", str(blocker / "lib.db"), "stats"])
    err = capsys.readouterr().err
    assert code == 4 and "cannot create the library" in err and "Traceback" not in err
