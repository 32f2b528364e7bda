"""The command line: output shapes, exit codes, one-line errors without tracebacks."""

import json
from pathlib import Path

import pytest

from papersift.cli import main
from tests.support import FIXTURES

Capture = pytest.CaptureFixture[str]


def run(capsys: Capture, db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def filled(db_path: Path, capsys: Capture) -> Path:
    code, out, _ = run(
        capsys, db_path, "ingest", str(FIXTURES / "pubpage.txt"), str(FIXTURES / "hf_daily.txt")
    )
    assert code == 0
    assert "4 new" in out and "1 merged (1 by similar title)" not in out
    return db_path


def test_ingest_reports_each_file(db_path: Path, capsys: Capture) -> None:
    code, out, _ = run(
        capsys, db_path, "ingest", str(FIXTURES / "pubpage.txt"), str(FIXTURES / "hf_daily.txt")
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert "[pubpage, source 'pubpage']: 4 read, 4 new, 0 merged" in lines[0]
    assert (
        "[hf-daily, source 'hf_daily']: 3 read, 2 new, 1 merged (1 by title and abstract)"
        in lines[1]
    )
    code, out, _ = run(capsys, db_path, "ingest", str(FIXTURES / "pubpage.txt"))
    assert "0 new, 0 merged, 4 already in the library" in out


def test_papers_list_json_one_object_per_line(filled: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, filled, "papers", "list", "--format", "json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 6
    for key in (
        "id",
        "title",
        "abstract",
        "authors",
        "date",
        "arxiv_id",
        "doi",
        "upvotes",
        "sources",
    ):
        assert key in rows[0]
    assert rows[0]["upvotes"] == 17 and len(rows[0]["sources"]) == 2
    assert {"source", "file", "locator", "ingested_at"} <= set(rows[0]["sources"][0])


def test_papers_list_table_and_limit(filled: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, filled, "papers", "list", "--limit", "2")
    assert code == 0
    assert "Warm Starts" in out and "Tokenizers" in out
    assert "Lattice Decoding" not in out


def test_papers_show_all_fields_and_sources(filled: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, filled, "papers", "show", "1")
    assert code == 0
    assert "Warm Starts for Sparse Optimizers" in out
    assert "Ada Quinlan, Bo Lindgren, C. Daniel Ortiz et al." in out
    assert "upvotes  17" in out
    assert "sources  (2)" in out and "hf_daily [hf-daily]" in out
    assert "merged record" in out


def test_unknown_paper_is_one_line_and_exit_3(filled: Path, capsys: Capture) -> None:
    code, out, err = run(capsys, filled, "papers", "show", "424242")
    assert code == 3
    assert err.strip().count("\n") == 0 and "no paper '424242'" in err
    assert "Traceback" not in err + out


def test_bad_file_among_good_ones(db_path: Path, tmp_path: Path, capsys: Capture) -> None:
    empty = tmp_path / "empty.bib"
    empty.write_text("")
    code, out, err = run(capsys, db_path, "ingest", str(empty), str(FIXTURES / "pubpage.txt"))
    assert code == 2
    assert f"{empty}: the file is empty" in err
    assert "4 new" in out
    code, _, err = run(capsys, db_path, "ingest", str(empty))
    assert code == 2 and err.startswith("papersift: error:") and "Traceback" not in err


def test_unknown_format_option(db_path: Path, capsys: Capture) -> None:
    code, _, err = run(capsys, db_path, "ingest", "--format", "docx", str(FIXTURES / "pubpage.txt"))
    assert code == 2 and "unknown format 'docx'" in err


def test_stats(filled: Path, capsys: Capture) -> None:
    code, out, _ = run(capsys, filled, "stats", "--format", "json")
    assert code == 0
    stats = json.loads(out)
    assert stats["papers"] == 6 and stats["records"] == 7 and stats["merged_papers"] == 1
    code, out, _ = run(capsys, filled, "stats")
    assert "6 unique, from 7 records" in out


def test_formats_lists_every_reader(capsys: Capture) -> None:
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for name in (
        "pubpage",
        "abstracts",
        "hf-daily",
        "arxiv-atom",
        "oai-pmh",
        "arxiv-snapshot",
        "bibtex",
        "csv",
        "json",
    ):
        assert name in out


def test_db_from_environment(
    tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "env.db"
    monkeypatch.setenv("PAPERSIFT_DB", str(target))
    assert main(["ingest", str(FIXTURES / "pubpage.txt")]) == 0
    assert target.exists()


def test_columns_option_maps_csv_headers(db_path: Path, tmp_path: Path, capsys: Capture) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "Paper,Summary,Who\nTidal Models of Attention,We model attention as tides.,Ann Lee\n"
    )
    code, out, err = run(
        capsys,
        db_path,
        "ingest",
        "--columns",
        "title=Paper,abstract=Summary,authors=Who",
        str(sheet),
    )
    assert code == 0, err
    code, out, _ = run(capsys, db_path, "papers", "list", "--format", "json")
    paper = json.loads(out)
    assert (paper["title"], paper["abstract"], paper["authors"]) == (
        "Tidal Models of Attention",
        "We model attention as tides.",
        ["Ann Lee"],
    )


def test_columns_option_errors(db_path: Path, capsys: Capture) -> None:
    code, _, err = run(
        capsys, db_path, "ingest", "--columns", "title", str(FIXTURES / "pubpage.txt")
    )
    assert code == 2 and "FIELD=NAME" in err
    code, _, err = run(
        capsys, db_path, "ingest", "--columns", "title=T", str(FIXTURES / "pubpage.txt")
    )
    assert code == 2 and "applies to csv and json" in err


def test_ingest_a_folder_skips_notes(db_path: Path, tmp_path: Path, capsys: Capture) -> None:
    folder = tmp_path / "listings"
    (folder / "sub").mkdir(parents=True)
    (folder / "README.md").write_text("# notes, not a listing\n")
    (folder / ".hidden.txt").write_text("junk")
    (folder / "sub" / "page.txt").write_text((FIXTURES / "pubpage.txt").read_text())
    code, out, err = run(capsys, db_path, "ingest", str(folder))
    assert code == 0, err
    assert out.count(" read, ") == 1 and "4 new" in out


def test_index_search_similar_and_evaluate(db_path: Path, tmp_path: Path, capsys: Capture) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    assert main(["--model", "fake", "--db", str(db_path), "ingest", str(examples)]) == 0
    capsys.readouterr()
    code = main(["--model", "fake", "--db", str(db_path), "search", "--mode", "semantic", "warmup"])
    err = capsys.readouterr().err
    assert code == 5 and "run `papersift index` first" in err
    assert main(["--model", "fake", "--db", str(db_path), "index"]) == 0
    assert "37 embedded" in capsys.readouterr().out
    assert (
        main(
            [
                "--model",
                "fake",
                "--db",
                str(db_path),
                "search",
                "warm-up curvature",
                "--format",
                "json",
            ]
        )
        == 0
    )
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert hits[0]["paper"]["arxiv_id"] == "2502.11873" and hits[0]["reasons"]
    assert (
        main(["--model", "fake", "--db", str(db_path), "similar", "2502.11873", "--limit", "3"])
        == 0
    )
    out = capsys.readouterr().out
    assert "similar in meaning" in out and out.count("\n") >= 4
    queries = Path(__file__).resolve().parents[1] / "evaluation" / "example_queries.jsonl"
    assert (
        main(
            ["--model", "fake", "--db", str(db_path), "evaluate-search", "--queries", str(queries)]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "judged queries" in out and "hybrid" in out and "nDCG@10" in out


def test_missing_model_is_one_line(db_path: Path, tmp_path: Path, capsys: Capture) -> None:
    assert main(["--db", str(db_path), "ingest", str(FIXTURES / "pubpage.txt")]) == 0
    capsys.readouterr()
    code = main(["--model", str(tmp_path / "no-such-model"), "--db", str(db_path), "index"])
    err = capsys.readouterr().err
    assert code == 5 and "no-such-model" in err and "Traceback" not in err
    assert err.strip().count("\n") == 0


def test_bad_search_options(db_path: Path, capsys: Capture) -> None:
    assert main(["--db", str(db_path), "search", "x", "--since", "yesterday"]) == 2
    assert "--since wants a date" in capsys.readouterr().err
    assert main(["--db", str(db_path), "search", "()"]) == 2
    assert "no words" in capsys.readouterr().err


def test_reader_feedback_and_feed_commands(db_path: Path, capsys: Capture) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    base = ["--model", "fake", "--db", str(db_path)]
    assert main([*base, "ingest", str(examples)]) == 0
    assert main([*base, "reader", "add", "tomas", "--author", "Tomas Okafor"]) == 0
    out = capsys.readouterr().out
    assert "own papers found by author name" in out
    assert main([*base, "reader", "list"]) == 0
    assert "tomas" in capsys.readouterr().out
    window = ["--since", "2024-01-01", "--until", "2025-12-31"]
    assert main([*base, "feed", "tomas", *window, "--format", "json"]) == 0
    first = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert first and all(h["reasons"] for h in first)
    top = str(first[0]["paper"]["id"])
    assert main([*base, "feedback", "tomas", top, "down"]) == 0
    capsys.readouterr()
    assert main([*base, "feed", "tomas", *window, "--format", "json"]) == 0
    second = [json.loads(line)["paper"]["id"] for line in capsys.readouterr().out.splitlines()]
    assert int(top) not in second
    assert main([*base, "feed", "tomas", *window, "--format", "html"]) == 0
    assert capsys.readouterr().out.startswith("<!doctype html>")
    assert main([*base, "reader", "show", "tomas"]) == 0
    shown = capsys.readouterr().out
    assert "- down" in shown and "+ own" in shown
    assert main([*base, "feed", "nobody"]) == 3
    assert "no reader named 'nobody'" in capsys.readouterr().err
    assert main([*base, "reader", "add", "blank"]) == 0
    capsys.readouterr()
    assert main([*base, "feed", "blank"]) == 3
    err = capsys.readouterr().err
    assert "no papers or likes yet" in err and "Traceback" not in err
    assert main([*base, "reader", "remove", "tomas"]) == 0


def test_synthetic_and_evaluate_commands(tmp_path: Path, capsys: Capture) -> None:
    out_dir = tmp_path / "synthetic"
    assert main(["synthetic", str(out_dir), "--papers", "400", "--users", "6"]) == 0
    capsys.readouterr()
    scores = tmp_path / "scores.jsonl"
    args = ["--papers", str(out_dir / "papers.jsonl"), "--ratings", str(out_dir / "ratings.jsonl")]
    code = main(
        [
            "--model",
            "fake",
            "evaluate",
            *args,
            "--test-fraction",
            "0.3",
            "--scores-out",
            str(scores),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    for method in (
        "papersift",
        "random",
        "recency",
        "popularity",
        "bm25",
        "mean-cosine",
        "tfidf-svm",
    ):
        assert method in out
    assert "nDCG@10" in out and scores.read_text().count("\n") > 0
    assert (
        main(["evaluate", "--papers", str(tmp_path / "nope.jsonl"), "--ratings", str(scores)]) == 2
    )
