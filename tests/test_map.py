"""The map of the library: layout, regions and their words (pure functions), building and
updating it in a library and its API on both backends, and who sees what on it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray

from papersift.accounts import Accounts
from papersift.cli import main
from papersift.config import Settings
from papersift.embed import FakeEmbedder
from papersift.errors import UsageError
from papersift.ingest.pipeline import ingest_file
from papersift.map.build import build_map, update_map
from papersift.map.labels import cluster_count, cluster_points, ctf_idf, title_words
from papersift.map.layout import (
    fit_unit_square,
    lay_out,
    neighbour_preservation,
    place_new,
    spread_pick,
)
from papersift.map.view import seed_from_region
from papersift.search import Searcher
from papersift.store import Store, open_store
from papersift.store.shared_map import MapBox
from papersift.web.app import create_app
from tests.conftest import BACKENDS, copy_of_library, module_library_location
from tests.support import EXAMPLES

MODEL = "fake-256"
PASSWORD = "correct horse battery"


def blobs(groups: int = 3, per: int = 40, dim: int = 32, seed: int = 0) -> NDArray[np.float32]:
    """``groups`` tight, well separated groups of unit vectors, ``per`` rows each."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dim))
    rows = np.repeat(centres, per, axis=0) + rng.normal(scale=0.15, size=(groups * per, dim))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows.astype(np.float32)


# ------------------------------------------------------------------ layout (pure)


def test_fit_unit_square_keeps_the_aspect_and_centres() -> None:
    xy = fit_unit_square(np.array([[0.0, 0.0], [4.0, 1.0], [2.0, 0.5]]))
    assert xy.min() >= 0 and xy.max() <= 1
    assert np.allclose(xy[:, 0], [0, 1, 0.5]) and np.allclose(xy[:, 1], [0.375, 0.625, 0.5])
    assert np.allclose(fit_unit_square(np.ones((3, 2))), 0.5)  # one place: the centre


@pytest.mark.parametrize("method", ["tsne", "pca"])
def test_layout_keeps_groups_apart(method: str) -> None:
    vectors = blobs()
    xy = lay_out(vectors, method=method)
    assert xy.shape == (120, 2) and xy.min() >= 0 and xy.max() <= 1
    group = np.repeat(np.arange(3), 40)
    means = np.array([xy[group == g].mean(axis=0) for g in range(3)])
    nearest_group = np.argmin(((xy[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)
    assert (nearest_group == group).mean() > 0.95
    # within a group the neighbours are noise, so a few of ten is already good
    kept = neighbour_preservation(vectors, xy, np.arange(0, 120, 3))
    assert kept > (0.2 if method == "tsne" else 0.1)


def test_tsne_layout_is_deterministic_for_a_seed() -> None:
    vectors = blobs(per=15)
    assert np.array_equal(lay_out(vectors, seed=3), lay_out(vectors, seed=3))


def test_tiny_libraries_get_a_layout_too() -> None:
    assert lay_out(np.zeros((0, 8), np.float32)).shape == (0, 2)
    assert np.allclose(lay_out(blobs(1, 1)), 0.5)
    assert lay_out(blobs(2, 2)).shape == (4, 2)  # PCA below t-SNE's minimum


def test_new_papers_land_beside_their_neighbours() -> None:
    vectors = blobs()
    xy = lay_out(vectors, method="pca")
    regions = np.repeat(np.arange(3), 40).astype(np.int64)
    new = vectors[[5, 45, 85]] + 0.01
    new /= np.linalg.norm(new, axis=1, keepdims=True)
    placed, placed_regions = place_new(new, vectors, xy, regions)
    assert placed_regions.tolist() == [0, 1, 2]
    for row, source in zip(placed, [5, 45, 85], strict=True):
        group = xy[regions == regions[source]]
        span = np.ptp(group, axis=0).max()
        assert np.linalg.norm(row - group.mean(axis=0)) < span  # inside its group's patch
    empty = place_new(new[:0], vectors, xy, regions)
    assert empty[0].shape == (0, 2) and len(empty[1]) == 0


def test_spread_pick_covers_the_region() -> None:
    xy = np.array([[0, 0], [0.01, 0], [0, 0.01], [1, 1], [1.01, 1], [0.5, 0.5]], np.float32)
    picked = spread_pick(xy, 3)
    assert len(set(picked)) == 3
    assert {0, 1, 2} & set(picked) and {3, 4} & set(picked)  # both ends of the region
    assert spread_pick(xy, 0) == [] and spread_pick(xy[:0], 3) == []
    assert len(spread_pick(np.zeros((4, 2), np.float32), 3)) == 1  # one place: one paper


# ------------------------------------------------------------------ regions and words


def test_cluster_count_grows_slowly_and_is_bounded() -> None:
    assert cluster_count(0) == 0 and cluster_count(3) == 1
    assert cluster_count(400) == 10 and cluster_count(10**6) == 40


def test_regions_are_numbered_largest_first() -> None:
    rng = np.random.default_rng(1)
    xy = np.concatenate(
        [rng.normal(0, 0.01, (50, 2)), rng.normal(1, 0.01, (20, 2)), rng.normal(2, 0.01, (5, 2))]
    ).astype(np.float32)
    regions = cluster_points(xy, 3)
    assert np.bincount(regions).tolist() == [50, 20, 5]
    assert cluster_points(xy[:1]).tolist() == [0]


def test_ctf_idf_names_a_cluster_by_its_own_words() -> None:
    titles = [
        "Protein folding with attention",
        "Protein structure prediction at scale",
        "Learning protein structure from sequences",
        "A survey of protein design",
        "Graph neural networks for molecules",
        "Message passing graph networks",
        "Scaling graph networks to molecules",
        "The expressive power of graph networks",
    ]
    regions = np.array([0, 0, 0, 0, 1, 1, 1, 1], np.int64)
    words = ctf_idf(titles, regions, 2)
    assert words[0][0] == "protein" and "structure" in words[0]
    assert words[1][:2] == ["graph", "networks"] and "molecules" in words[1]
    assert "with" not in title_words("Protein folding with attention")
    # a word of one title only does not name a cluster of four or more
    assert "survey" not in words[0] and "folding" not in words[0]


# ------------------------------------------------------------------ in a library


def _build_library(location: str) -> None:
    store = open_store(location)
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix != ".md":
            ingest_file(store, path)
    Searcher(store, lambda: FakeEmbedder(256), MODEL).index()
    accounts = Accounts(store)
    accounts.add_user("ada", PASSWORD)
    accounts.add_user("bob", PASSWORD)
    build_map(store, MODEL)
    store.close()


@pytest.fixture(scope="module", params=BACKENDS)
def built_library(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    location = module_library_location(request, tmp_path_factory.mktemp("map"))
    _build_library(location)
    return location


@pytest.fixture
def mapped(request: pytest.FixtureRequest, built_library: str, tmp_path: Path) -> str:
    """A fresh copy of the example library, indexed, with ada and bob and a map."""
    return copy_of_library(request, built_library, tmp_path)


@pytest.fixture
def mapped_store(mapped: str) -> Iterator[Store]:
    store = open_store(mapped)
    yield store
    store.close()


def test_build_lays_out_every_vector_and_names_regions(mapped_store: Store) -> None:
    store = mapped_store
    ids = store.embedding_ids(MODEL)
    state = store.map_state()
    assert state is not None and state.model == MODEL and state.method == "tsne"
    points = store.map_points()
    assert sorted(p.paper_id for p in points) == sorted(ids.tolist())
    assert all(0 <= p.x <= 1 and 0 <= p.y <= 1 for p in points)
    assert sorted(p.rank for p in points) == list(range(len(points)))
    clusters = store.map_clusters()
    assert len(clusters) == cluster_count(len(points))
    assert sum(c.size for c in clusters) == len(points)
    assert all(c.words and c.label == " · ".join(c.words) for c in clusters)
    labels = " ".join(c.label for c in clusters)
    assert re.search(r"diffusion|translation|retrieval|protein", labels), labels
    # a box and a limit: an even sample of what is inside, by rank
    box = MapBox(0.0, 0.0, 0.5, 1.0)
    inside = store.map_points(box, limit=5)
    assert len(inside) == 5 and all(p.x <= 0.5 for p in inside)
    assert [p.rank for p in inside] == sorted(p.rank for p in points if p.x <= 0.5)[:5]
    # building again gives the same map (seeded), and replaces it whole
    before = {p.paper_id: (p.x, p.y) for p in points}
    build_map(store, MODEL)
    assert {p.paper_id: (p.x, p.y) for p in store.map_points()} == before


def test_update_places_new_papers_without_moving_the_others(
    mapped_store: Store, tmp_path: Path
) -> None:
    store = mapped_store
    before = {p.paper_id: (p.x, p.y) for p in store.map_points()}
    assert update_map(store, MODEL).placed == 0  # nothing new yet
    listing = tmp_path / "new.jsonl"
    listing.write_text(
        '{"title": "Diffusion models for protein structure generation", '
        '"abstract": "We generate protein backbones with a denoising diffusion model."}\n'
        '{"title": "Multilingual retrieval with dense translation", '
        '"abstract": "Cross-lingual dense retrieval for machine translation."}\n',
        encoding="utf-8",
    )
    ingest_file(store, listing)
    Searcher(store, lambda: FakeEmbedder(256), MODEL).index()
    report = update_map(store, MODEL)
    assert report.placed == 2 and report.points == len(before) + 2
    after = {p.paper_id: (p.x, p.y) for p in store.map_points()}
    assert {k: after[k] for k in before} == before
    assert sum(c.size for c in store.map_clusters()) == len(after)
    assert update_map(store, MODEL).placed == 0


def test_private_papers_never_name_a_region(mapped_store: Store, tmp_path: Path) -> None:
    store = mapped_store
    listing = tmp_path / "private.jsonl"
    listing.write_text(
        "".join(
            f'{{"title": "Zyzzyva quokka sampling {i}", "abstract": "Zyzzyva quokka {i}."}}\n'
            for i in range(6)
        ),
        encoding="utf-8",
    )
    ingest_file(store, listing)
    Searcher(store, lambda: FakeEmbedder(256), MODEL).index()
    build_map(store, MODEL)  # shared: six papers that share two rare words name a region
    assert any("zyzzyva" in c.words for c in store.map_clusters())
    titles = store.paper_titles([p.paper_id for p in store.map_points()])
    private = [i for i, t in titles.items() if (t or "").startswith("Zyzzyva")]
    reader = store.reader_id("ada")
    assert len(private) == 6 and reader is not None
    with store.transaction():
        store.set_paper_owner(private, reader)
    build_map(store, MODEL)
    clusters = store.map_clusters()
    assert not any({"zyzzyva", "quokka"} & set(c.words) for c in clusters)
    assert sum(c.size for c in clusters) == store.map_size() - 6  # nor count in a size


def test_a_library_without_vectors_has_no_map(store: Store) -> None:
    with pytest.raises(UsageError, match="papersift index"):
        build_map(store, MODEL)
    assert store.map_state() is None and store.map_points() == []


def test_a_region_seeds_likes_spread_over_it(mapped_store: Store) -> None:
    store = mapped_store
    reader = store.reader_id("ada")
    assert reader is not None
    seeded = seed_from_region(store, reader, MapBox(0, 0, 1, 1))
    assert len(seeded.added) == 10 and seeded.in_region == store.map_size()
    likes = [s for s in store.signals(reader) if s.kind == "like"]
    assert sorted(s.paper_id for s in likes) == sorted(seeded.added)
    again = seed_from_region(store, reader, MapBox(0, 0, 1, 1))
    assert not set(again.added) & set(seeded.added)  # the next ten, not the same
    with pytest.raises(UsageError, match="no papers in the selected region"):
        seed_from_region(store, reader, MapBox(2, 2, 3, 3))


# ------------------------------------------------------------------ the web, who sees what


def _client(location: str) -> TestClient:
    app = create_app(Settings(db=location, model=MODEL), embedder_factory=lambda: FakeEmbedder(256))
    return TestClient(app)


def _log_in(client: TestClient, name: str) -> str:
    r = client.post("/login", data={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text[:300]
    found = re.search(r'data-csrf="([^"]+)"', client.get("/map").text)
    assert found
    return found.group(1)


def test_api_map_shows_the_callers_likes_and_feed_only(mapped: str) -> None:
    with _client(mapped) as ada, _client(mapped) as bob:
        assert ada.get("/api/map").status_code == 401
        assert ada.get("/map", follow_redirects=False).status_code == 303
        csrf = _log_in(ada, "ada")
        _log_in(bob, "bob")
        whole = ada.get("/api/map").json()
        assert whole["built"] and whole["total"] == len(whole["points"]) == 37
        liked = whole["points"][0][0]
        r = ada.post("/api/feedback", json={"paper": str(liked), "verdict": "up"})
        assert r.status_code == 403  # a browser session needs its CSRF token
        r = ada.post(
            "/api/feedback",
            json={"paper": str(liked), "verdict": "up"},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 200
        mine = ada.get("/api/map", params={"days": 3650}).json()
        assert [m["id"] for m in mine["likes"]] == [liked] and mine["likes"][0]["title"]
        assert mine["feed"] and liked not in [f["id"] for f in mine["feed"]]
        theirs = bob.get("/api/map", params={"days": 3650}).json()
        assert theirs["likes"] == [] and theirs["feed"] == []  # bob's profile is empty
        assert theirs["points"] == whole["points"] and theirs["clusters"] == whole["clusters"]
        detail = ada.get("/api/map", params={"points_only": 1}).json()
        assert detail["points"] == whole["points"] and detail["feed"] == []


def test_api_map_box_limit_and_bad_boxes(mapped: str) -> None:
    with _client(mapped) as client:
        _log_in(client, "ada")
        part = client.get("/api/map", params={"x0": 0, "y0": 0, "x1": 0.5, "y1": 1, "limit": 4})
        points = part.json()["points"]
        assert len(points) == 4 and all(p[1] <= 0.5 for p in points)
        r = client.get("/api/map", params={"x0": 0, "y0": 0})
        assert r.status_code == 400 and "x0, y0, x1, y1" in r.json()["detail"]
        r = client.get("/api/map", params={"x0": 1, "y0": 0, "x1": 0, "y1": 1})
        assert r.status_code == 400 and "x0 <= x1" in r.json()["detail"]
        assert client.get("/api/map", params={"limit": 0}).status_code == 422


def test_api_region_seeds_the_callers_profile_only(mapped: str) -> None:
    with _client(mapped) as ada, _client(mapped) as bob:
        region = {"x0": 0, "y0": 0, "x1": 1, "y1": 1}
        assert ada.post("/api/map/region", json=region).status_code == 401
        csrf = _log_in(ada, "ada")
        _log_in(bob, "bob")
        assert ada.post("/api/map/region", json=region).status_code == 403  # no CSRF token
        r = ada.post("/api/map/region", json=region, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and len(r.json()["added"]) == 10
        added = {p["id"] for p in r.json()["added"]}
        profile = ada.get("/api/profile").json()
        assert {s["paper"] for s in profile["signals"] if s["kind"] == "like"} == added
        assert bob.get("/api/profile").json()["signals"] == []
        assert {m["id"] for m in ada.get("/api/map").json()["likes"]} == added
        r = ada.post(
            "/api/map/region",
            json={"x0": 5, "y0": 5, "x1": 6, "y1": 6},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 400 and "no papers in the selected region" in r.json()["detail"]


def test_map_page_loads_its_script_as_a_file(mapped: str) -> None:
    with _client(mapped) as client:
        _log_in(client, "ada")
        page = client.get("/map").text
        assert 'id="map-canvas"' in page and '<script src="/static/map.js" defer>' in page
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)
        assert ' style="' not in page.split("<main>", 1)[1]  # CSP: no inline style either
        assert client.get("/static/map.js").status_code == 200
        assert client.get("/static/map.css").status_code == 200


def test_map_page_without_a_map_says_how_to_make_one(tmp_path: Path) -> None:
    location = str(tmp_path / "lib.db")
    store = open_store(location)
    Accounts(store).add_user("ada", PASSWORD)
    store.close()
    with _client(location) as client:
        r = client.post("/login", data={"name": "ada", "password": PASSWORD})
        assert r.status_code == 200
        assert "papersift map build" in client.get("/map").text
        assert client.get("/api/map").json() == {
            "built": False,
            "points": [],
            "clusters": [],
            "likes": [],
            "feed": [],
        }


# ------------------------------------------------------------------ the command line


def test_cli_map_build_update_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "lib.db")
    open_store(db).close()
    base = ["--db", db, "--model", MODEL, "map"]
    assert main([*base, "build"]) == 2
    assert "run `papersift index` first" in capsys.readouterr().err
    assert main([*base, "show"]) == 0 and "no map yet" in capsys.readouterr().out
    _build_library(db)
    assert main([*base, "build"]) == 0
    assert "map of 37 papers (tsne), 3 regions" in capsys.readouterr().out
    assert main([*base, "update"]) == 0 and "up to date" in capsys.readouterr().out
    assert main([*base, "show"]) == 0
    shown = capsys.readouterr().out
    assert "37 papers laid out (tsne, fake-256)" in shown and "region" in shown
