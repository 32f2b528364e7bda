"""Real files from other projects' test suites (tests/fixtures/real, sources in its README):
each is ingested without a traceback, with the expected counts, and fields are spot-checked."""

import pytest

from papersift.errors import PapersiftError
from papersift.ingest.pipeline import ingest_file
from papersift.models import Paper
from papersift.store import Store
from tests.support import FIXTURES

REAL = FIXTURES / "real"

#: file -> (format, read, new, merged, skipped)
COUNTS = {
    "arxiv_api/checkerboard.atom": ("arxiv-atom", 1, 1, 0, 0),
    "arxiv_api/del_maestro.atom": ("arxiv-atom", 10, 10, 0, 0),
    "arxiv_api/two_ids.atom": ("arxiv-atom", 1, 1, 0, 0),
    "bibtex/article_with_strings.bib": ("bibtex", 1, 1, 0, 0),
    # 21 entries without a title (@set, sorting and alias examples, a duplicate key); the
    # three spellings of "angenendt" merge by title, baez/article and baez/online by arXiv id
    "bibtex/biber-examples.bib": ("bibtex", 118, 94, 3, 21),
    "bibtex/book_bom.bib": ("bibtex", 1, 1, 0, 0),
    "bibtex/book_capital_AND.bib": ("bibtex", 1, 1, 0, 0),
    # 14 papers: "Title of proceeding" and "Title of inproceeding" are two of them
    "bibtex/crossref_entries.bib": ("bibtex", 14, 14, 0, 0),
    "bibtex/features2.bib": ("bibtex", 1, 1, 0, 0),
    "bibtex/string.bib": ("bibtex", 1, 1, 0, 0),
    "bibtex/traps.bib": ("bibtex", 1, 1, 0, 0),
    "jabref/BibtexImporter.examples.bib": ("bibtex", 4, 2, 0, 2),  # two @set entries
    "jabref/arXiv-minimal.bib": ("bibtex", 1, 1, 0, 0),
    # UTF-16BE with a byte-order mark, lines ended by a bare CR, an entry without a key
    "jabref/encoding-utf-16BE-with-header.bib": ("bibtex", 1, 1, 0, 0),
    "oai_pmh/GetRecord_utf8test.xml": ("oai-pmh", 1, 1, 0, 0),
    "oai_pmh/ListRecords.xml": ("oai-pmh", 2, 1, 0, 1),  # one deleted record
    "oai_pmh/noRecordsMatch.xml": ("oai-pmh", 0, 0, 0, 0),
    "semantic_scholar/Citation.json": ("json", 1, 1, 0, 0),  # the paper under "citingPaper"
    "semantic_scholar/Reference.json": ("json", 1, 1, 0, 0),  # the paper under "citedPaper"
    "semantic_scholar/paper_batch.json": ("json", 4, 3, 0, 1),  # null for an unknown id
    # six papers twice (arXiv preprint and venue version): five pairs merge; "Spectral
    # Normalization" stays two, its OpenReview TL;DR and its arXiv abstract disagreeing
    "zotero/better-biblatex-arxiv-and-venue.bib": ("bibtex", 12, 7, 5, 0),
    "zotero/better-biblatex-eprint.bib": ("bibtex", 1, 1, 0, 0),
}

#: file -> (exit code, what the one-line error says)
REFUSED = {
    "arxiv_api/error_bad_id.atom": (2, "arXiv API error: incorrect id format for abc"),
    "bibtex/wrong.bib": (2, "no entry could be read (2 skipped)"),
    "jabref/encoding-windows-1252-with-header.bib": (2, "not UTF-8 text; convert the file"),
    "oai_pmh/ListRecordsBroken.xml": (2, "cannot tell the format"),
    "oai_pmh/badArgument.xml": (2, "OAI-PMH error badArgument"),
    "oai_pmh/idDoesNotExist.xml": (2, "OAI-PMH error idDoesNotExist"),
    # a search asked only for openAccessPdf: no record has a title or an abstract
    "semantic_scholar/search_open_access.json": (2, "no entry could be read (100 skipped)"),
}


def test_every_real_file_is_listed_here_and_in_the_readme() -> None:
    every = {str(p.relative_to(REAL)) for p in REAL.rglob("*") if p.is_file()}
    files = {f for f in every if f != "README.md" and not f.startswith("LICENSES/")}
    assert files == set(COUNTS) | set(REFUSED)
    readme = (REAL / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in files)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_real_file_ingests_with_the_expected_counts(store: Store, name: str) -> None:
    report = ingest_file(store, REAL / name)
    counts = (report.format, report.read, report.new, report.merged, len(report.skipped))
    assert counts == COUNTS[name]
    assert report.conflicts == 0


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_real_file_is_refused_with_one_clear_error(sqlite_store: Store, name: str) -> None:
    code, message = REFUSED[name]
    with pytest.raises(PapersiftError) as err:
        ingest_file(sqlite_store, REAL / name)
    assert err.value.exit_code == code and message in str(err.value)
    assert sqlite_store.stats().papers == 0


def papers_by_title(store: Store) -> dict[str, Paper]:
    return {p.title or "": p for p in store.iter_papers()}


def test_bibtex_values_as_bibtex_reads_them(sqlite_store: Store) -> None:
    for name in ("features2.bib", "article_with_strings.bib", "string.bib", "book_bom.bib"):
        ingest_file(sqlite_store, REAL / "bibtex" / name)
    papers = papers_by_title(sqlite_store)
    cool = papers["Cool Stuff"]  # author = "John " # mynamE; booktitle = myconf (nested)
    assert (cool.authors, cool.venue, cool.date) == (
        ["John Doe"],
        "My International Conference",
        "2014",
    )
    amazing = papers["An amazing title"]  # author = jean # " " # cesar, month = jan
    assert (amazing.authors, amazing.venue, amazing.date) == (
        ["Jean César"],
        "Nice Journal",
        "2013-01",
    )
    fuzzing = papers["Program-Adaptive Mutational Fuzzing"]
    assert fuzzing.venue == "Proceedings of the IEEE Symposium on Security and Privacy"
    polymers = papers["Dynamics of Polymeric Liquid"]  # behind a UTF-8 byte-order mark
    assert polymers.authors == ["R.B. Bird", "R.C. Armstrong", "O. Hassager"]


def test_tex_logos_and_crossrefs_of_the_biblatex_examples(sqlite_store: Store) -> None:
    ingest_file(sqlite_store, REAL / "bibtex" / "biber-examples.bib")
    papers = papers_by_title(sqlite_store)
    assert {"TeX: The Program", "The TeXbook", "The LaTeX Companion"} <= set(papers)
    assert papers["TeX: The Program"].authors == ["Donald E. Knuth"]
    baez = papers["Higher-Dimensional Algebra V: 2-Groups"]
    assert baez.arxiv_id == "math/0307200" and len(baez.sources) == 2


def test_a_changed_prefix_keeps_two_real_entries_apart(sqlite_store: Store) -> None:
    ingest_file(sqlite_store, REAL / "bibtex" / "crossref_entries.bib")
    papers = papers_by_title(sqlite_store)
    proceeding, inproceeding = papers["Title of proceeding"], papers["Title of inproceeding"]
    assert proceeding.id != inproceeding.id
    assert inproceeding.venue == "Manual booktitle"  # its own booktitle, not the parent's
    child = papers["Great and Good Graphs"]  # inherits from the book cr_m
    assert (child.venue, child.date) == ("Graphs of the Continent", "1974")


def test_arxiv_api_and_oai_fields(sqlite_store: Store) -> None:
    ingest_file(sqlite_store, REAL / "arxiv_api" / "checkerboard.atom")
    ingest_file(sqlite_store, REAL / "oai_pmh" / "GetRecord_utf8test.xml")
    papers = papers_by_title(sqlite_store)
    stripes = papers[
        "From stripe to checkerboard order on the square lattice in the presence of quenched "
        "disorder"
    ]
    assert stripes.arxiv_id == "cond-mat/0603029"
    assert stripes.doi == "10.1103/physrevb.74.024520"
    assert stripes.categories[0] == "cond-mat.str-el"  # the primary category first
    assert stripes.authors == ["Adrian Del Maestro", "Bernd Rosenow", "Subir Sachdev"]
    assert papers["Sample Title"].authors == ["某人"]


def test_semantic_scholar_batch_fields(sqlite_store: Store) -> None:
    ingest_file(sqlite_store, REAL / "semantic_scholar" / "paper_batch.json")
    papers = papers_by_title(sqlite_store)
    did = papers["How Much Should We Trust Differences-in-Differences Estimates?"]
    assert did.doi == "10.2139/ssrn.288970"
    assert did.venue == "Experimental & Empirical Studies eJournal"  # journal.name
    assert did.authors == ["Marianne Bertrand", "E. Duflo", "S. Mullainathan"]
    assert did.date == "2001-10-01"
    ingest_file(sqlite_store, REAL / "semantic_scholar" / "Reference.json")
    cited = papers_by_title(sqlite_store)[
        "Neural Variational Inference and Learning in Belief Networks"
    ]
    assert (cited.arxiv_id, cited.venue) == (
        "1402.0030",
        "International Conference on Machine Learning",
    )


def test_reingesting_every_real_file_adds_nothing(sqlite_store: Store) -> None:
    names = sorted(COUNTS)
    for name in names:
        ingest_file(sqlite_store, REAL / name)
    before = sqlite_store.stats()
    for name in names:
        assert ingest_file(sqlite_store, REAL / name).new == 0
    after = sqlite_store.stats()
    assert (after.papers, after.records) == (before.papers, before.records)


def test_a_zotero_export_of_preprints_and_their_venue_versions(sqlite_store: Store) -> None:
    ingest_file(sqlite_store, REAL / "zotero" / "better-biblatex-arxiv-and-venue.bib")
    papers = papers_by_title(sqlite_store)
    crelu = papers[
        "Understanding and Improving Convolutional Neural Networks via Concatenated Rectified "
        "Linear Units"
    ]  # ICML's snippet ("... the prop...") met the arXiv abstract; the full one is kept
    assert len(crelu.sources) == 2 and crelu.arxiv_id == "1603.05201"
    assert not crelu.abstract_truncated and (crelu.abstract or "").endswith("modification.")
    sgd = papers[
        "Stochastic Gradient Descent Performs Variational Inference, Converges to Limit Cycles for "
        "Deep Networks"
    ]  # a TL;DR and a snippet: the title and both authors decide
    assert len(sgd.sources) == 2
    hopfield = papers["Hopfield Networks Is All You Need"]
    assert len(hopfield.sources) == 2 and hopfield.arxiv_id == "2008.02217"
    minimax = papers["On Solving Minimax Optimization Locally: A Follow-the-Ridge Approach"]
    assert minimax.categories[0] == "cs"  # eprintclass = {cs, math, stat}: the first leads
    assert {"math", "stat"} <= set(minimax.categories)
    spectral = [p for p in sqlite_store.iter_papers() if p.title and p.title.startswith("Spectral")]
    assert len(spectral) == 2  # two full abstracts that disagree: kept apart (see COUNTS)


def test_a_utf16_file_with_bare_cr_lines(sqlite_store: Store) -> None:
    ingest_file(sqlite_store, REAL / "jabref" / "encoding-utf-16BE-with-header.bib")
    assert set(papers_by_title(sqlite_store)) == {"Ü ist ein Umlaut"}
