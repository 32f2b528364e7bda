"""Whose papers these are: the one author most of a reader's given papers share."""

from papersift.rank.authorship import is_by, shared_author


def test_the_author_on_most_papers_is_taken_in_the_fullest_spelling() -> None:
    papers = [
        ["B. Ghorbani", "Ankush Garg", "Orhan Firat"],
        ["Behrooz Ghorbani", "Ankush Garg"],
        ["Ghorbani, Behrooz", "Yamini Bansal"],
        ["Jeremy M. Cohen", "Behrooz Ghorbani"],
        ["Someone Else"],
        [],  # no authors listed: not counted either way
    ]
    found = shared_author(papers)
    assert found is not None
    assert (found.name, found.papers, found.of) == ("Behrooz Ghorbani", 4, 5)


def test_no_name_when_nobody_is_on_most_papers() -> None:
    assert shared_author([["Ada Lovelace"], ["Alan Turing"], ["Grace Hopper"]]) is None
    # on 2 of 5: a frequent co-author, not the reader
    papers = [["Ada Lovelace", "X Y"], ["Ada Lovelace"], ["Alan Turing"], ["Grace Hopper"], ["Q"]]
    assert shared_author(papers) is None


def test_no_name_from_a_single_paper_or_a_tie() -> None:
    assert shared_author([["Ada Lovelace", "Alan Turing"]]) is None
    # two people on every paper together: which one is the reader cannot be told
    tie = [["Ada Lovelace", "Alan Turing"], ["Alan Turing", "A. Lovelace"], ["A. Turing"]]
    assert shared_author(tie[:2]) is None
    assert shared_author(tie) is not None  # Turing is on one more


def test_is_by_matches_spellings_of_one_person() -> None:
    assert is_by(["Okafor, Tomás", "Mei Ng"], ["Tomas Okafor"])  # accents and order aside
    assert is_by(["T. Okafor"], ["Tomas Okafor"])
    assert not is_by(["Chidi Okafor"], ["Tomas Okafor"])
    assert not is_by([], ["Tomas Okafor"])
