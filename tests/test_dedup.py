"""Deduplication rules: normalization, title and abstract matching, near-misses, merging."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papersift.ingest.dedup import (
    abstracts_match,
    earliest_date,
    identifier_conflict,
    is_snippet,
    match_keys,
    merge_records,
    normalize_text,
    same_paper,
    titles_match,
)
from papersift.ingest.reading import canonical
from papersift.models import PaperView, Record, SourcedRecord

ABSTRACT = (
    "We train sparse mixtures of experts with a router that balances load by design, and show "
    "that with step size $\\eta$ and momentum $\\beta_1 = 0.9$ training stays stable at scale "
    "while matching dense baselines on six language modelling benchmarks."
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ('Schr\\"odinger Bridges', "Schrödinger bridges"),
        ("{BERT}: Pre-training of Deep Transformers", "BERT - pre-training of deep transformers"),
        ("$\\mu$Param scaling", "μParam Scaling"),
        ("Learning  with\nNoisy Labels.", "learning with noisy labels"),
        ("\\textit{Attention} Is All", "Attention is all"),
    ],
)
def test_normalize_text_equates_spellings(a: str, b: str) -> None:
    assert normalize_text(a) == normalize_text(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Scaling Laws for Neural Machine Translation",
            "Scaling laws for neural machine translation.",
        ),
        (
            "Scaling Laws for Neural Machine Translation",
            "Scaling Laws for Nueral Machine Translation",
        ),
        ("Pre-training Transformers at Scale", "Pretraining Transformers at Scale"),
        ("A Survey of Retrieval Augmented Generation", "Survey of Retrieval Augmented Generation"),
    ],
)
def test_titles_match_same_paper(a: str, b: str) -> None:
    assert titles_match(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Unraveling the Mystery of Scaling Laws: Part I",
            "Unraveling the Mystery of Scaling Laws: Part II",
        ),
        (
            "Scaling Laws for Neural Machine Translation",
            "Scaling Laws for Multilingual Neural Machine Translation",
        ),
        ("Scaling Laws for Retrieval", "Scaling Laws for Reasoning"),
        ("Scaling Laws for Transfer", "Scaling Laws for Transformers"),
        ("GPT-3 System Card", "GPT-4 System Card"),
        ("Deep Learning in 2023", "Deep Learning in 2024"),
    ],
)
def test_near_miss_titles_do_not_match(a: str, b: str) -> None:
    assert not titles_match(a, b)


def test_abstract_with_latex_spelled_differently_matches() -> None:
    other = ABSTRACT.replace("$\\eta$", "$η$").replace("$\\beta_1", "$β_1")
    assert abstracts_match(ABSTRACT, other)


def test_truncated_abstract_matches_its_full_version() -> None:
    cut = ABSTRACT[:140]
    assert abstracts_match(cut, ABSTRACT, a_truncated=True)
    assert not abstracts_match(cut, "An entirely different abstract about proteins. " * 5, True)


def test_title_less_abstract_matches_titled_paper() -> None:
    titled = PaperView("Balanced Routers for Sparse Experts", ABSTRACT)
    assert same_paper(PaperView(None, ABSTRACT), titled) == "abstract"


def test_workshop_and_journal_versions_with_different_abstracts_stay_apart() -> None:
    workshop = PaperView("Balanced Routers for Sparse Experts", ABSTRACT)
    journal = PaperView(
        "Balanced routers for sparse experts",
        "An extended study of routing in sparse models: we add theory for load balancing, "
        "experiments on vision and speech, and an analysis of expert specialisation over time.",
    )
    assert same_paper(workshop, journal) is None


def test_identifiers_decide_when_both_sides_have_them() -> None:
    a = PaperView("Some Title About Things", None, arxiv_id="2401.00001")
    b = PaperView("Completely Different Words", None, arxiv_id="2401.00001")
    c = PaperView("Some Title About Things", None, arxiv_id="2401.00002")
    assert same_paper(a, b) == "arxiv id"
    assert same_paper(a, c) is None
    d1 = PaperView("Some Title About Things", None, doi="10.1/a")
    d2 = PaperView("Some Title About Things", None, doi="10.1/b")
    assert same_paper(d1, d2) is None


def test_same_title_different_authors_without_abstracts_stay_apart() -> None:
    a = PaperView("Graph Networks for Weather", None, authors=["Ann Lee", "Bo Chen"])
    b = PaperView("Graph Networks for Weather", None, authors=["Carl Diaz"])
    c = PaperView("Graph Networks for Weather", None, authors=["A. Lee"])
    assert same_paper(a, b) is None
    assert same_paper(a, c) == "title"


def test_keys_of_a_typo_title_share_a_blocking_key() -> None:
    a = match_keys(Record(title="Scaling Laws for Neural Machine Translation"))
    b = match_keys(Record(title="Scaling Laws for Nueral Machine Translation"))
    assert set(a.blocking) & set(b.blocking)
    assert not set(a.exact) & set(b.exact)


def test_keys_of_a_truncated_abstract_share_the_head_key() -> None:
    full = match_keys(Record(abstract=ABSTRACT))
    cut = match_keys(Record(abstract=ABSTRACT[:160], abstract_truncated=True))
    assert set(full.blocking) & set(cut.blocking)


def test_earliest_date_prefers_precise_dates() -> None:
    assert earliest_date(["2023", "2023-05-02", "2023-07-01"]) == "2023-05-02"
    assert earliest_date(["2022", "2023-05-02"]) == "2022"
    assert earliest_date([None]) is None


def test_merge_keeps_the_best_of_each_field() -> None:
    hf = Record(
        title="Balanced Routers for Sparse Experts",
        abstract=ABSTRACT[:100],
        abstract_truncated=True,
        n_authors=5,
        upvotes=40,
    )
    page = Record(
        title="Balanced routers for sparse experts",
        abstract=ABSTRACT,
        authors=["Ann Lee", "Bo Chen", "Carl Diaz"],
        authors_truncated=True,
        date="2024-03-02",
        organizations=["lab"],
    )
    arxiv = Record(
        title="Balanced Routers for Sparse Experts",
        authors=["Ann Lee", "Bo Chen", "Carl Diaz", "Dee Eke", "Fay Goh"],
        date="2024-02-27",
        arxiv_id="2402.12345",
        upvotes=12,
    )
    merged = merge_records(
        [
            SourcedRecord(hf, "hf-daily"),
            SourcedRecord(page, "pubpage"),
            SourcedRecord(arxiv, "arxiv-atom"),
        ]
    )
    assert merged.abstract == ABSTRACT and not merged.abstract_truncated
    assert len(merged.authors) == 5 and not merged.authors_truncated
    assert merged.date == "2024-02-27"
    assert merged.upvotes == 40
    assert merged.arxiv_id == "2402.12345"
    assert merged.n_authors == 5
    assert merged.organizations == ["lab"]
    assert merged.title == "Balanced Routers for Sparse Experts"


# ----------------------------------------------------------------------------- properties

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", min_size=1, max_size=10)
titles = st.lists(words, min_size=1, max_size=12).map(" ".join)


@given(
    titles,
    st.sampled_from([str.upper, str.lower, str.title, lambda s: s]),
    st.sampled_from(["", ".", "!", " ?"]),
)
def test_title_normalizer_ignores_case_and_punctuation(title: str, case, punct: str) -> None:  # type: ignore[no-untyped-def]
    assert normalize_text(case(title) + punct) == normalize_text(title)
    assert normalize_text(title.replace(" ", " - ")) == normalize_text(title)


@given(st.text(max_size=200))
def test_title_normalizer_is_idempotent_and_canonical(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert once == once.strip() and "  " not in once
    assert all(c.isascii() and (c.isalnum() or c == " ") for c in once)


@given(titles)
def test_titles_match_is_reflexive(title: str) -> None:
    if normalize_text(title):
        assert titles_match(title, title)


records = st.builds(
    Record,
    title=st.one_of(st.none(), titles),
    abstract=st.one_of(st.none(), st.text(min_size=1, max_size=60)),
    abstract_truncated=st.booleans(),
    authors=st.lists(st.sampled_from(["Ann Lee", "Bo Chen", "Carl Diaz", "Dee Eke"]), max_size=4),
    authors_truncated=st.booleans(),
    n_authors=st.one_of(st.none(), st.integers(1, 30)),
    date=st.one_of(st.none(), st.sampled_from(["2020", "2020-05", "2020-05-04", "2021-01-02"])),
    arxiv_id=st.one_of(st.none(), st.sampled_from(["2401.00001", "2401.00002"])),
    doi=st.one_of(st.none(), st.sampled_from(["10.1/a", "10.1/b"])),
    upvotes=st.one_of(st.none(), st.integers(0, 500)),
    categories=st.lists(st.sampled_from(["cs.LG", "cs.CL", "stat.ML"]), max_size=3),
    url=st.one_of(st.none(), st.sampled_from(["https://a", "https://b"])),
)
sourced = st.builds(
    SourcedRecord, records, st.sampled_from(["hf-daily", "pubpage", "bibtex", "arxiv-atom"])
)


@given(st.lists(sourced, min_size=1, max_size=6), st.randoms())
def test_merge_is_order_independent(items: list[SourcedRecord], rnd: random.Random) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert merge_records(items) == merge_records(shuffled)


@given(sourced)
def test_merge_of_one_record_is_the_general_merge(item: SourcedRecord) -> None:
    from papersift.ingest import dedup

    assert merge_records([item]) == dedup._merge_general([item])


def test_merged_title_prefers_the_spelling_the_abstract_uses() -> None:
    abstract = "We rewrite queries before retrieval; rewriting helps sparse retrievers most."
    typo = Record(title="Query Rewritting for Sparse Retrieval", abstract=abstract)
    right = Record(title="Query Rewriting for Sparse Retrieval", abstract=abstract)
    for order in ([typo, right], [right, typo]):
        merged = merge_records(
            [SourcedRecord(order[0], "bibtex"), SourcedRecord(order[1], "hf-daily")]
        )
        assert merged.title == "Query Rewriting for Sparse Retrieval"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Behrooz Ghorbani", "B. Ghorbani", True),
        ("Tomás Okafor", "Tomas Okafor", True),
        ("Jeremy M. Cohen", "Jeremy Cohen", True),
        ("Okafor, Tomás", "T. Okafor", True),
        ("Jean-Luc Picard", "J.-L. Picard", True),
        ("Ben Adlam", "Ben Adams", False),
        ("Anna Lee", "Bo Lee", False),
        ("Anna Lee", "et al.", False),
    ],
)
def test_author_name_matching(a: str, b: str, same: bool) -> None:
    from papersift.ingest.names import same_person

    assert same_person(a, b) is same
    assert same_person(b, a) is same


# ------------------------------------------------------- a careful librarian (issue 16)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        # A changed prefix or morpheme on a content word is another word...
        ("Title of proceeding", "Title of inproceeding", False),
        (
            "Supervised Contrastive Learning of Speech",
            "Unsupervised Contrastive Learning of Speech",
            False,
        ),
        ("Monotone Operators for Games", "Monotonic Operators for Games", False),
        ("Linear Attention in Transformers", "Nonlinear Attention in Transformers", False),
        # ...its near misses are typos and spelling variants of one word.
        ("Title of proceeding", "Title of procedeing", True),
        (
            "Supervised Contrastive Learning of Speech",
            "Supervsied Contrastive Learning of Speech",
            True,
        ),
        ("Graph Neural Network Pruning", "Graph Neural Networks Pruning", True),
        ("Optimisation of Sparse Models", "Optimization of Sparse Models", True),
        ("Modelling Long Sequences", "Modeling Long Sequences", True),
    ],
)
def test_a_changed_morpheme_is_a_new_word_a_typo_is_not(a: str, b: str, same: bool) -> None:
    assert titles_match(a, b) is same
    assert titles_match(b, a) is same
    view_a = PaperView(a, None, authors=["Ann Lee"])
    view_b = PaperView(b, None, authors=["Ann Lee"])
    assert (same_paper(view_a, view_b) is not None) is same


@pytest.mark.parametrize(
    ("decorated", "plain", "same"),
    [
        (
            "Deep Residual Learning for Image Recognition [arXiv]",
            "Deep residual learning for image recognition",
            True,
        ),
        (
            "Scaling Laws for Neural Language Models (preprint)",
            "Scaling Laws for Neural Language Models",
            True,
        ),
        (
            "Research on sparse attention for long text [J]",
            "Research on sparse attention for long text",
            True,
        ),
        (
            "Masked Autoencoders Are Scalable Vision Learners (CVPR 2022)",
            "Masked Autoencoders Are Scalable Vision Learners",
            True,
        ),
        ("[PDF] Attention is all you need", "Attention Is All You Need", True),
        (
            "Denoising Diffusion Probabilistic Models - arXiv",
            "Denoising Diffusion Probabilistic Models",
            True,
        ),
        # Near misses: a trailing acronym of the paper's own, and words in brackets, stay.
        (
            "Bidirectional Encoder Representations from Transformers (BERT)",
            "Bidirectional Encoder Representations from Transformers",
            False,
        ),
        ("Boson Sampling With Photons [in 2D]", "Boson Sampling With Photons", False),
    ],
)
def test_title_decorations_are_ignored_for_matching(decorated: str, plain: str, same: bool) -> None:
    assert titles_match(decorated, plain) is same
    abstract = ABSTRACT
    a, b = PaperView(decorated, abstract), PaperView(plain, abstract)
    assert (same_paper(a, b) is not None) is same
    if same:  # and they meet: a blocking key in common
        assert set(match_keys(Record(title=decorated)).blocking) & set(
            match_keys(Record(title=plain)).blocking
        )


def test_merged_title_drops_the_decoration() -> None:
    decorated = Record(
        title="Deep Residual Learning for Image Recognition [arXiv]", abstract=ABSTRACT
    )
    plain = Record(title="Deep Residual Learning for Image Recognition", abstract=ABSTRACT)
    for order in ([decorated, plain], [plain, decorated]):
        merged = merge_records([SourcedRecord(order[0], "csv"), SourcedRecord(order[1], "csv")])
        assert merged.title == "Deep Residual Learning for Image Recognition"


FULL = (
    "We train sparse mixtures of experts with a router that balances load by design. The "
    "router assigns tokens with a learned capacity factor, and we show that training stays "
    "stable at scale while matching dense baselines on six language modelling benchmarks."
)


def test_a_snippet_abstract_counts_as_partial() -> None:
    snippet = (
        "… a router that balances load by design. The router assigns tokens … matching dense "
        "baselines on six …"
    )
    title = "Balanced Routers for Sparse Experts"
    assert is_snippet(snippet) and not is_snippet(FULL)
    assert abstracts_match(snippet, FULL) and abstracts_match(FULL, snippet)
    assert same_paper(PaperView(title, FULL), PaperView(title, snippet)) == "title and abstract"
    # Near misses: a snippet of another text, and an ellipsis that is the abstract's own.
    other = "… we prune attention heads after training … perplexity rises by less than one point …"
    assert same_paper(PaperView(title, FULL), PaperView(title, other)) is None
    listing = (
        "Given points x_1, ..., x_n in the plane we find the shortest tour ... in linear time."
    )
    assert not is_snippet(listing)
    record = Record(title=title, abstract=snippet)
    assert canonical(record).abstract_truncated
    full = merge_records(
        [SourcedRecord(record, "pubpage"), SourcedRecord(Record(title=title, abstract=FULL), "csv")]
    )
    assert full.abstract == FULL and not full.abstract_truncated


PASSWORDS = PaperView(
    "Password Memorability and Security: Empirical Results",
    None,
    doi="10.1109/msp.2004.81",
    authors=["Jeff Yan", "Alan Blackwell", "Ross Anderson", "Alasdair Grant"],
)


def test_an_identifier_shared_by_two_plainly_different_papers_is_a_conflict() -> None:
    pasted = PaperView(
        "Toward a Theory of Deep Hashing", None, doi="10.1109/MSP.2004.81", authors=["Donald Knuth"]
    )
    assert same_paper(PASSWORDS, pasted) is None
    assert identifier_conflict(PASSWORDS, pasted) == "DOI 10.1109/msp.2004.81"
    arxiv_a = PaperView("Sparse Routers", None, arxiv_id="2401.00001", authors=["Ann Lee"])
    arxiv_b = PaperView("Quantum Walks on Graphs", None, arxiv_id="2401.00001", authors=["Bo Wu"])
    assert identifier_conflict(arxiv_a, arxiv_b) == "arXiv 2401.00001"


@pytest.mark.parametrize(
    "near_miss",
    [
        # a shared title word: a retitled version of the same paper
        PaperView(
            "Memorability of Passwords", None, doi="10.1109/msp.2004.81", authors=["Donald Knuth"]
        ),
        # a shared author: the same people's paper, titled differently in one index
        PaperView(
            "Toward a Theory of Deep Hashing",
            None,
            doi="10.1109/msp.2004.81",
            authors=["R. Anderson"],
        ),
        # no authors to compare: the identifier decides (arXiv titles change between versions)
        PaperView("Toward a Theory of Deep Hashing", None, doi="10.1109/msp.2004.81"),
    ],
)
def test_an_identifier_still_decides_when_titles_or_authors_agree_at_all(
    near_miss: PaperView,
) -> None:
    assert identifier_conflict(PASSWORDS, near_miss) is None
    assert same_paper(PASSWORDS, near_miss) == "doi"


def test_merged_authors_are_the_list_most_records_agree_on() -> None:
    agreed = ["Jean Dupont", "Ana Ruiz"]
    longest = ["Jean-Baptiste Dupont", "Ana Ruiz-Gómez de la Cruz"]
    items = [
        SourcedRecord(Record(title="T", authors=list(agreed)), "bibtex"),
        SourcedRecord(Record(title="T", authors=list(longest)), "arxiv-atom"),
        SourcedRecord(Record(title="T", authors=list(agreed)), "csv"),
    ]
    for _ in range(3):
        random.shuffle(items)
        assert merge_records(items).authors == agreed
    # Near miss: lists cut short ("et al.") do not outvote a whole list.
    short = [
        SourcedRecord(Record(title="T", authors=["Jean Dupont"], authors_truncated=True), "csv"),
        SourcedRecord(Record(title="T", authors=["Jean Dupont"], authors_truncated=True), "json"),
        SourcedRecord(Record(title="T", authors=list(agreed)), "bibtex"),
    ]
    merged = merge_records(short)
    assert merged.authors == agreed and not merged.authors_truncated


def test_the_primary_arxiv_category_stays_first() -> None:
    arxiv = SourcedRecord(Record(title="T", categories=["stat.ML", "cs.LG"]), "arxiv-atom")
    bib = SourcedRecord(Record(title="T", categories=["cs.AI", "ai"]), "bibtex")
    assert merge_records([arxiv]).categories == ["stat.ML", "cs.LG"]
    for order in ([arxiv, bib], [bib, arxiv]):
        assert merge_records(order).categories == ["stat.ML", "ai", "cs.AI", "cs.LG"]
    # Near miss: without an arXiv record there is no primary category: sorted...
    assert merge_records([bib]).categories == ["ai", "cs.AI"]
    # ...unless a BibTeX entry named its primaryClass (Zotero: "cs, math, stat").
    zotero = Record(title="T", categories=["cs", "math", "Computer Science - AI"])
    zotero.extra["primary_class"] = "cs"
    merged = merge_records(
        [SourcedRecord(zotero, "bibtex"), SourcedRecord(Record(title="T"), "csv")]
    )
    assert merged.categories == ["cs", "Computer Science - AI", "math"]


def test_a_snippet_that_disagrees_leaves_the_decision_to_title_and_authors() -> None:
    # From a real Zotero export of OpenReview pages: the paper's TL;DR, and a snippet.
    title = "Stochastic Gradient Descent Performs Variational Inference, Converges to Limit Cycles"
    authors = ["Pratik Chaudhari", "Stefano Soatto"]
    tldr_text = (
        "SGD implicitly performs variational inference; gradient noise is highly non-isotropic, "
        "so SGD does not even converge to critical points of the original loss"
    )
    snippet_text = (
        "Stochastic gradient descent (SGD) is widely believed to perform implicit regularization "
        "when used to train deep neural networks, but the precise manner in which this occurs "
        "has thus far been..."
    )
    tldr = PaperView(title, tldr_text, authors=authors)
    snippet = PaperView(title, snippet_text, authors=authors)
    assert same_paper(tldr, snippet) == "title"
    # Near misses: no author in common, no authors to compare, or two full abstracts.
    stranger = PaperView(title, snippet.abstract, authors=["Ada Quinlan"])
    assert same_paper(tldr, stranger) is None
    assert same_paper(PaperView(title, tldr.abstract), PaperView(title, snippet.abstract)) is None
    full = PaperView(title, snippet_text.rstrip("."), authors=authors)
    assert same_paper(tldr, full) is None
