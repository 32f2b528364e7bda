"""Onboarding: author candidates and pastes (pure), and the three steps through the
TestClient (sign-up lands on them; names with their paper counts; a name with no papers is
an error with suggestions; ids, URLs and plain abstracts are read; ten papers to rate)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.config import Settings
from papersift.embed import FakeEmbedder
from papersift.models import Paper
from papersift.onboarding import group_candidates, identifier_of, read_paste
from papersift.store import open_store
from papersift.web.app import create_app
from tests.support import example_library

PASSWORD = "correct horse battery"


def _paper(pid: int, authors: list[str], date: str, title: str) -> Paper:
    return Paper(pid, title, None, authors, date)


def test_candidates_group_spellings_with_counts_and_a_sample() -> None:
    papers = [
        _paper(1, ["Tomás Okafor", "A. Lee"], "2025-01-02", "Old"),
        _paper(2, ["Tomas Okafor"], "2025-03-01", "Newest"),
        _paper(3, ["Nkem Okafor"], "2025-02-01", "Other"),
        _paper(4, ["T. Okafor"], "2024-01-01", "Initial"),
    ]
    found = group_candidates("Tomas Okafor", papers)
    assert [(c.name, c.papers) for c in found][:1] == [("Tomás Okafor", 2)]
    assert found[0].sample == "Newest"
    assert "Nkem Okafor" not in [c.name for c in found]
    assert "T. Okafor" in [c.name for c in found]  # an initial may be the same person
    everyone = group_candidates("Okafor", papers)
    assert {c.name for c in everyone} >= {"Tomás Okafor", "Nkem Okafor"}


@pytest.mark.parametrize(
    ("line", "ident"),
    [
        ("2502.11873", "arXiv:2502.11873"),
        ("https://arxiv.org/abs/2502.11873v2", "arXiv:2502.11873"),
        ("https://arxiv.org/pdf/2502.11873", "arXiv:2502.11873"),
        ("arXiv:hep-th/9901001", "arXiv:hep-th/9901001"),
        ("https://doi.org/10.5555/fjsb.2025.0093", "doi:10.5555/fjsb.2025.0093"),
        ("10.48550/arXiv.2401.01234", "arXiv:2401.01234"),
        ("We cite 2502.11873 in a long sentence of prose that goes on and on", None),
    ],
)
def test_identifiers_in_a_paste(line: str, ident: str | None) -> None:
    assert identifier_of(line) == ident


def test_a_paste_is_split_into_ids_abstracts_and_the_rest() -> None:
    paste = read_paste(
        "2502.11873\nhttps://doi.org/10.5555/fjsb.2025.0093\n\n"
        "We study warmup as a trust region and show that the learning rate schedule "
        "controls curvature during the first steps of training.\n\nthanks!"
    )
    assert paste.identifiers == ["arXiv:2502.11873", "doi:10.5555/fjsb.2025.0093"]
    assert len(paste.abstracts) == 1 and paste.abstracts[0].startswith("We study")
    assert paste.unread == ["thanks!"]
    assert paste.abstracts_listing().startswith("Abstract: We study")
    assert read_paste("@article{x, title={T}}").listing is not None
    assert read_paste("Abstract: prefixed as before").listing is not None


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    db = tmp_path / "lib.db"
    example_library(db)
    return Settings(db=str(db), model="fake-256")


@pytest.fixture
def newcomer(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    app = create_app(settings, embedder_factory=FakeEmbedder)
    with TestClient(app) as client:
        r = client.post("/signup", data={"name": "nia", "password": PASSWORD})
        assert r.url.path == "/onboarding"  # sign-up lands on the first step
        found = re.search(r'name="csrf" value="([^"]+)"', r.text)
        assert found
        yield client, found.group(1)


def test_find_yourself_by_name_then_rate_ten(newcomer: tuple[TestClient, str]) -> None:
    client, csrf = newcomer
    page = client.get("/onboarding", params={"name": "Okafor"}).text
    names = re.findall(r'name="authors" value="([^"]+)"', page)
    assert names and any("Okafor" in n for n in names)
    assert re.search(r"\d+ papers?<br>", page) and "e.g. “" in page
    r = client.post("/onboarding/authors", data={"authors": names[:1], "csrf": csrf})
    assert r.url.path == "/onboarding/rate" and "papers in the library are yours" in r.text
    ids = re.findall(r'name="rate-(\d+)" value="up"', r.text)
    assert len(ids) == 10
    votes = {f"rate-{ids[0]}": "up", f"rate-{ids[1]}": "down", f"rate-{ids[2]}": "skip"}
    r = client.post("/onboarding/rate", data={**votes, "csrf": csrf, "round": "1"})
    assert r.url.path == "/feed" and "<article" in r.text
    store = open_store(client.app.state.library.settings.db)  # type: ignore[attr-defined]
    user = store.user_by_name("nia")
    assert user is not None
    kinds = {s.paper_id: s.kind for s in store.signals(user.reader_id)}
    store.close()
    assert kinds[int(ids[0])] == "up" and kinds[int(ids[1])] == "down"
    assert int(ids[2]) not in kinds
    again = client.get("/onboarding/rate", params={"round": 2}).text
    assert "Ten more" in again
    assert not set(re.findall(r'name="rate-(\d+)" value="up"', again)) & set(ids[:2])


def test_a_name_with_no_papers_is_an_error_with_suggestions(
    newcomer: tuple[TestClient, str],
) -> None:
    client, csrf = newcomer
    r = client.get("/onboarding", params={"name": "Nobody Atall"})
    assert r.status_code == 400 and "no paper in the library has an author named" in r.text
    assert "give your papers" in r.text
    r = client.get("/onboarding", params={"name": "Nkem Okafor"})
    assert r.status_code == 400 and "with the family name" in r.text and "Okafor (" in r.text
    r = client.post("/profile/authors", data={"name": "Nobody Atall", "csrf": csrf})
    assert r.status_code == 400 and "no paper in the library has an author named" in r.text
    r = client.post("/profile/authors", data={"name": "Tomas Okafor", "csrf": csrf})
    assert r.status_code == 200 and re.search(r"Tomas Okafor: \d+ papers in the library", r.text)


def test_give_ids_urls_and_plain_abstracts(newcomer: tuple[TestClient, str]) -> None:
    client, csrf = newcomer
    text = (
        "2502.11873\nhttps://arxiv.org/abs/2503.02561v1\nhttps://doi.org/10.5555/jfc.2025.0088\n"
        "2401.99999\n\n"
        "Sparse mixture of experts models route each token to a few experts; we show that "
        "routing collapse is predicted by the gradient noise of the router early on."
    )
    r = client.post("/onboarding/papers", data={"text": text, "csrf": csrf})
    assert r.status_code == 200 and "3 of your ids found (3 new)" in r.text
    assert "not in the library: arXiv:2401.99999" in r.text and "abstracts: 1 read" in r.text
    bad = client.post("/onboarding/papers", data={"text": "hello there", "csrf": csrf})
    assert bad.status_code == 400 and "paste arXiv ids" in bad.text
    assert "hello there" in bad.text  # the form keeps what was typed


def test_give_a_file_or_prefixed_abstracts(newcomer: tuple[TestClient, str]) -> None:
    client, csrf = newcomer
    examples = Path(__file__).resolve().parents[1] / "examples"
    with (examples / "zotero_export.csv").open("rb") as f:
        r = client.post(
            "/onboarding/papers",
            data={"csrf": csrf},
            files={"file": ("zotero_export.csv", f, "text/csv")},
        )
    assert r.status_code == 200 and re.search(r"\d+ read; \d+ found in the library", r.text)
    assert len(re.findall(r'name="rate-(\d+)" value="up"', r.text)) == 10
    prefixed = "Abstract: We study warmup of the learning rate as a trust region in training."
    r = client.post("/onboarding/papers", data={"text": prefixed, "csrf": csrf})
    assert r.status_code == 200 and "1 read" in r.text


def test_the_profile_paste_reads_ids_and_plain_abstracts_too(
    newcomer: tuple[TestClient, str],
) -> None:
    client, csrf = newcomer
    r = client.post("/profile/papers", data={"text": "2502.11873\n2503.02561", "csrf": csrf})
    assert r.status_code == 200 and "2 of your ids found (2 new)" in r.text
    plain = (
        "Tokenizers split rare scripts into many pieces, and we show that this fertility "
        "predicts the gap between languages on downstream tasks across many models."
    )
    r = client.post("/profile/papers", data={"text": plain, "csrf": csrf})
    assert r.status_code == 200 and "abstracts: 1 read" in r.text
