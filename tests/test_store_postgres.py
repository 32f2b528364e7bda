"""What only the PostgreSQL store has: its migrations, errors, transactions, the FTS5 ->
tsquery translation, accent folding and the pgvector HNSW search.

Every test that takes the ``store`` fixture (test_store, test_ingest, test_search, ...) runs
on PostgreSQL too; these cover the rest.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest

from papersift.embed import FakeEmbedder
from papersift.errors import StoreError
from papersift.index.database import DatabaseIndex
from papersift.ingest.pipeline import ingest_file
from papersift.models import SearchFilters
from papersift.search import Searcher
from papersift.store import Store, open_store
from papersift.store.pgcluster import PgCluster
from papersift.store.postgres import PostgresStore, _masked
from papersift.store.postgres_tsquery import to_tsquery_text, tsquery_alternatives
from tests.support import FIXTURES


@pytest.fixture
def pg(pg_url: str) -> Iterator[PostgresStore]:
    store = open_store(pg_url)
    assert isinstance(store, PostgresStore)
    yield store
    store.close()


def test_migrations_are_recorded_and_applied_once(pg_url: str) -> None:
    first = open_store(pg_url)
    version = first.schema_version()
    first.close()
    store = open_store(pg_url)
    assert store.schema_version() == version == migration_files("migrations_pg")[-1][0]
    assert isinstance(store, PostgresStore)
    rows = store.conn.execute("SELECT version, name FROM schema_migrations ORDER BY 1").fetchall()
    assert rows == migration_files("migrations_pg")
    store.close()


def migration_files(folder: str) -> list[tuple[int, str]]:
    """(number, name) of each migration file, e.g. (1, 'initial') for 0001_initial.sql."""
    path = Path(__file__).parents[1] / "papersift" / "store" / folder
    return sorted((int(f.stem[:4]), f.stem[5:]) for f in path.glob("*.sql"))


def test_both_backends_have_the_same_migrations() -> None:
    """Every schema step exists for both engines under one number and name."""
    assert migration_files("migrations") == migration_files("migrations_pg")


def test_newer_schema_is_refused(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'now')")
    with pytest.raises(StoreError, match="newer than this papersift"):
        open_store(pg_url)


def test_a_server_that_is_not_there(pg_cluster: PgCluster) -> None:
    url = f"postgresql://someone:secret@127.0.0.1:{pg_cluster.port + 1}/nothing"
    with pytest.raises(StoreError, match="cannot open the library") as caught:
        open_store(url)
    assert "secret" not in str(caught.value)
    assert _masked(url) == f"postgresql://someone:***@127.0.0.1:{pg_cluster.port + 1}/nothing"


def test_transactions_roll_back_and_do_not_nest(pg: PostgresStore) -> None:
    with pytest.raises(RuntimeError), pg.transaction():
        pg.add_reader("ada", "2024-01-01")
        raise RuntimeError
    assert pg.reader_id("ada") is None
    with pytest.raises(StoreError, match="within a transaction"), pg.transaction():  # noqa: SIM117
        with pg.transaction():
            pass
    with pg.transaction():
        pg.add_reader("ada", "2024-01-01")
    assert pg.reader_id("ada") is not None


def test_a_failing_statement_becomes_a_store_error(pg: PostgresStore) -> None:
    reader = pg.add_reader("ada", "2024-01-01")
    with pytest.raises(StoreError, match="database error"), pg.transaction():
        pg.add_user(reader, None, "h", "nobody-role", "tok", "2024-01-01")  # CHECK fails
    assert pg.users() == []


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('"warmup"', ["'warmup'"]),
        ('"learning rate" OR "warm"*', ["('learning' <-> 'rate')", "'warm':*"]),
        ('"a" AND "b c"', ["'a' & ('b' <-> 'c')"]),
        ('title : ("a" AND "b")', ["( 'a':A & 'b':A )"]),
        ('title : ("opt"*)', ["( 'opt':*A )"]),
        ('authors : ("tomas" "okafor")', ["( 'tomas':B & 'okafor':B )"]),
        ("", []),
        ('"" OR ")"', []),
    ],
)
def test_fts5_expressions_become_tsqueries(expression: str, expected: list[str]) -> None:
    assert tsquery_alternatives(expression) == expected


def test_the_whole_expression_is_one_tsquery() -> None:
    assert to_tsquery_text('"a" OR "b"') == "('a') | ('b')"
    assert to_tsquery_text('"it\'s"') == "('it' <-> 's')"  # no quote reaches the tsquery


def _library(store: Store) -> Searcher:
    ingest_file(store, FIXTURES / "pubpage.txt")
    ingest_file(store, FIXTURES / "hf_daily.txt")
    searcher = Searcher(store, lambda: FakeEmbedder(64), "fake-64")
    searcher.index()
    return searcher


def test_accents_hyphens_and_stems_match_as_in_sqlite(pg: PostgresStore, tmp_path: Path) -> None:
    csv = tmp_path / "papers.csv"
    csv.write_text(
        "title,authors,date\n"
        "Pre-training Schrödinger bridges,Tomás Okafor,2024-01-01\n"
        "Warm starts for rewarmed optimizers,Ada Lovelace,2024-01-02\n"
    )
    sqlite = open_store(tmp_path / "library.db")
    for store in (pg, sqlite):
        ingest_file(store, csv)
        searcher = Searcher(store, lambda: FakeEmbedder(64), "fake-64")
        found = {
            query: [h.paper.title for h in searcher.search(query, mode="lexical")]
            for query in ("schrodinger", "pre-training", "rewarming", "author:okafor bridges")
        }
        assert found["schrodinger"] == ["Pre-training Schrödinger bridges"], store.location
        assert found["pre-training"] == ["Pre-training Schrödinger bridges"], store.location
        assert found["rewarming"] == ["Warm starts for rewarmed optimizers"], store.location
        assert found["author:okafor bridges"] == ["Pre-training Schrödinger bridges"]
    hit = Searcher(pg, lambda: FakeEmbedder(64), "fake-64").search("schrodinger", "lexical")[0]
    assert hit.matched_terms == ["schrödinger"]  # shown as written, accent and all
    sqlite.close()


def test_semantic_search_runs_in_the_database(pg: PostgresStore) -> None:
    searcher = _library(pg)
    index = searcher.vectors()
    assert isinstance(index, DatabaseIndex) and index.kind == "pgvector-hnsw"
    assert len(index) == 6 and index.dim == 64
    pg.conn.execute("SET enable_seqscan = off")  # six rows: a scan is cheaper, unless forbidden
    plan = pg.conn.execute(
        "EXPLAIN SELECT paper_id FROM embeddings WHERE model = 'fake-64' "
        "ORDER BY vector::vector(64) <=> %s::vector(64) LIMIT 5",
        (np.ones(64, np.float32),),
    ).fetchall()
    assert "embeddings_hnsw_" in " ".join(r[0] for r in plan)
    pg.conn.execute("RESET enable_seqscan")
    vector = pg.embedding_of(1, "fake-64")
    assert vector is not None
    hits = index.search(vector, 3)
    assert hits[0][0] == 1 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    exact = pg.vector_search("fake-64", vector, 6, exact=True)
    assert [p for p, _ in exact][:1] == [1] and len(exact) == 6
    only = pg.vector_search("fake-64", vector, 6, candidates=np.array([2, 3], np.int64))
    assert sorted(p for p, _ in only) == [2, 3]


def test_ann_over_fetches_when_candidates_are_many(pg: PostgresStore, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import papersift.store.postgres_search as pgs

    searcher = _library(pg)
    monkeypatch.setattr(pgs, "EXACT_MAX", 0)
    vector = pg.embedding_of(2, "fake-64")
    assert vector is not None
    everything = np.array([1, 2, 3, 4, 5, 6], np.int64)
    assert next(p for p, _ in pg.vector_search("fake-64", vector, 3, everything)) == 2
    hits = searcher.search("warm", "semantic", SearchFilters(since="2000-01-01"))
    assert hits


def test_exact_index_kind_skips_the_hnsw_index(pg: PostgresStore) -> None:
    _library(pg)
    searcher = Searcher(pg, lambda: FakeEmbedder(64), "fake-64", index_kind="exact")
    assert searcher.vectors().kind == "pgvector-exact"
    assert searcher.search("warm starts", mode="semantic")


def test_saving_a_vector_again_moves_its_seq(pg: PostgresStore) -> None:
    _library(pg)
    _, _, before = pg.embeddings_since("fake-64", 0)
    with pg.transaction():
        pg.save_embeddings("fake-64", [(1, "new", np.ones(64, np.float32))])
    ids, matrix, after = pg.embeddings_since("fake-64", before)
    assert ids.tolist() == [1] and after > before
    assert np.allclose(matrix[0], 1.0)


def test_the_hnsw_build_never_lowers_the_servers_memory(pg: PostgresStore) -> None:
    from papersift.store.postgres_search import INDEX_BUILD_MEMORY, index_build_memory

    pg.conn.execute("SET maintenance_work_mem = '64MB'")
    assert index_build_memory(pg.conn) == INDEX_BUILD_MEMORY
    pg.conn.execute("SET maintenance_work_mem = '3GB'")  # a server set up for a big library
    assert index_build_memory(pg.conn) is None
    _library(pg).vectors()  # builds the index within that setting
    assert pg.conn.execute("SHOW maintenance_work_mem").fetchone() == ("3GB",)


def _terms(pg: PostgresStore) -> dict[str, int]:
    rows = pg.conn.execute("SELECT word, ndoc FROM fts_terms WHERE ndoc > 0").fetchall()
    return dict(rows)


def _recounted(pg: PostgresStore) -> dict[str, int]:
    return dict(pg.conn.execute("SELECT word, ndoc FROM ts_stat('SELECT tsv FROM papers_fts')"))


def test_word_counts_follow_every_change_of_the_index(pg: PostgresStore, tmp_path: Path) -> None:
    csv = tmp_path / "papers.csv"
    csv.write_text(
        "title,abstract,date\n"
        "Warmup schedules,Warmup helps large batches train.,2024-01-01\n"
        "Scaling warmup,Scaling laws for warmup.,2024-01-02\n"
        "Tokenizers,Byte pair encodings.,2024-01-03\n"
    )
    ingest_file(pg, csv)
    pg.sync_lexical()
    assert _terms(pg) == _recounted(pg) and _terms(pg)["warmup"] == 2
    # a changed paper (a fuller abstract replaces it) and a merge (a paper deleted)
    more = tmp_path / "more.csv"
    more.write_text(
        "title,abstract,date\nTokenizers,Byte pair encodings and warmup of embeddings.,2024-01-03\n"
    )
    ingest_file(pg, more)
    pg.sync_lexical()
    assert _terms(pg) == _recounted(pg) and _terms(pg)["warmup"] == 3
    with pg.transaction():
        pg.conn.execute("DELETE FROM papers WHERE title = 'Scaling warmup'")
    assert _terms(pg) == _recounted(pg) and _terms(pg)["warmup"] == 2
    # plain words and phrases are answered from the counts, the rest is counted
    counts, _ = pg.match_counts(['"warmup"', '"scaling"', '"large batches"', '"warm"*'], 10)
    assert counts == [2, 0, 1, 2]
    assert pg.match_counts(['"warmup"'], 1)[0] == [1]  # capped


def test_title_only_queries_use_the_title_index(pg: PostgresStore, tmp_path: Path) -> None:
    csv = tmp_path / "papers.csv"
    csv.write_text(
        "title,abstract,date\n"
        "Bayesian memory networks,Networks with memory.,2024-01-01\n"
        "Memory for agents,A Bayesian view of memory.,2024-01-02\n"
        "Bayesian optimisation,Nothing else here.,2024-01-03\n"
    )
    ingest_file(pg, csv)
    pg.sync_lexical()
    query = 'title : ("memory" AND "bayesian")'
    assert pg.match_counts([query], 10)[0] == [1]  # the second paper has both, not in its title
    hits = pg.lexical_search(query, 10)
    title = pg.conn.execute("SELECT title FROM papers WHERE id = %s", (hits[0][0],)).fetchone()
    assert len(hits) == 1 and title == ("Bayesian memory networks",)
    assert len(pg.lexical_search('"memory" AND "bayesian"', 10)) == 2
    pg.conn.execute("SET enable_seqscan = off")  # three rows: a scan is cheaper, unless forbidden
    plan = pg.conn.execute(
        "EXPLAIN SELECT 1 FROM papers t WHERE to_tsvector('papersift', "
        "papersift_fold(coalesce(t.title, ''))) @@ to_tsquery('papersift', 'memory')"
    ).fetchall()
    assert "papers_title_tsv" in " ".join(r[0] for r in plan)


def test_sessions_get_enough_work_mem(pg: PostgresStore, pg_url: str) -> None:
    from papersift.store.postgres_search import QUERY_MEMORY, memory_setting

    assert memory_setting(pg.conn, "work_mem") == QUERY_MEMORY
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER DATABASE " + pg_url.rsplit("/", 1)[1] + " SET work_mem = '256MB'")
    generous = open_store(pg_url)
    assert isinstance(generous, PostgresStore)
    assert memory_setting(generous.conn, "work_mem") == 256 * 2**20  # never lowered
    generous.close()


def test_filtered_ann_recall_follows_the_shared_rule(pg: PostgresStore, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """pgvector's HNSW under papersift.index.filtered's over-fetch finds >= 0.98 of the exact
    top 10 among the candidates (the usearch side: tests/test_vector_index.py)."""
    import papersift.store.postgres_search as pgs
    from tests.test_vector_index import clustered

    monkeypatch.setattr(pgs, "EXACT_MAX", 0)  # the over-fetch path at a test's size
    n = 3000
    vecs = clustered(n, seed=1)
    with pg.transaction():
        pg.conn.execute(
            "INSERT INTO papers (id, title, created_at, updated_at) "
            "SELECT g, 'p' || g, 'now', 'now' FROM generate_series(1, %s) g",
            (n,),
        )
    pg.save_embeddings("fake-64", [(i + 1, "h", vecs[i]) for i in range(n)])
    pg.conn.execute("ANALYZE embeddings")
    rng = np.random.default_rng(11)
    found = total = 0
    for share in (0.1, 0.3, 0.6):
        cand = np.sort(rng.choice(np.arange(1, n + 1), int(share * n), replace=False))
        for q in clustered(20, seed=2):
            truth = {p for p, _ in pg.vector_search("fake-64", q, 10, cand, exact=True)}
            hits = {p for p, _ in pg.vector_search("fake-64", q, 10, cand)}
            found += len(truth & hits)
            total += len(truth)
    assert found / total >= 0.98
