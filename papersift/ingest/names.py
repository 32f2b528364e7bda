"""Recognising person names in running text (used to split a title glued to its authors)."""

from __future__ import annotations

import re
import unicodedata

_PARTICLES = frozenset(
    "van von der den de del della di da du la le dos das ten ter bin ibn al el y".split()
)
_INNER_CAPS_PREFIXES = ("Mc", "Mac", "O'", "D'", "O’", "D’", "De", "Di", "La", "Le", "Van")
_INITIAL = re.compile(r"^(?:[A-Z]\.)(?:-?[A-Z]\.)*$")


def _is_capitalized_part(part: str) -> bool:
    """'Zhang', 'Adam', 'Schrödinger', 'McDonald', "D'Amour" (one hyphen-free piece)."""
    if not part or not part[0].isupper():
        return False
    rest = part[1:]
    if all(c.islower() or c in "'’" for c in rest):
        return True
    for prefix in _INNER_CAPS_PREFIXES:
        if part.startswith(prefix) and len(part) > len(prefix):
            tail = part[len(prefix) :]
            return tail[0].isupper() and all(c.islower() or c in "'’" for c in tail[1:])
    return False


def is_name_token(token: str) -> bool:
    """One word of a person's name: a capitalized word, an initial, or a particle."""
    if _INITIAL.match(token):
        return True
    if token.lower() in _PARTICLES and token.islower():
        return True
    return all(_is_capitalized_part(p) for p in token.split("-"))


def looks_like_person_name(text: str) -> bool:
    """'Adam P. Goucher', 'C. Daniel Freeman', "Alexander D'Amour" -> True.

    Two to five tokens, the last a capitalized word (not an initial, not a particle).
    """
    tokens = text.split()
    if not 2 <= len(tokens) <= 5:
        return False
    last = tokens[-1]
    if _INITIAL.match(last) or last.lower() in _PARTICLES:
        return False
    if tokens[0].islower():
        return False
    return all(is_name_token(t) for t in tokens)


def _name_tokens(name: str) -> list[str]:
    """'Tomás  Okafor' -> ['tomas', 'okafor']; 'Okafor, T.' -> ['t', 'okafor']."""
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.findall(r"[a-z0-9]+", folded.replace("'", "").replace("’", ""))


def same_person(a: str, b: str) -> bool:
    """Whether two spellings can be one author: same surname, compatible given names.

    Accents, case and punctuation are ignored; an initial matches a name it starts
    ("B. Ghorbani" = "Behrooz Ghorbani"); middle names may be present on one side only
    ("Jeremy M. Cohen" = "Jeremy Cohen"); "et al." is not a name.
    """
    ta, tb = _name_tokens(a), _name_tokens(b)
    if not ta or not tb or {"et", "al"} >= set(ta) or ta[-1] != tb[-1]:
        return False
    given_a, given_b = ta[:-1], tb[:-1]
    if not given_a or not given_b:
        return True  # a bare surname matches any given name
    first_a, first_b = given_a[0], given_b[0]
    if len(first_a) == 1 or len(first_b) == 1:
        return first_a[0] == first_b[0]
    return first_a == first_b


_GENERATIONS = frozenset({"II", "III", "IV", "VI", "VII", "VIII", "IX"})
# "Liu R.", "Smith JA", "van der Berg J.-P.": a surname, then one to three capital initials.
_SURNAME_INITIALS = re.compile(
    r"^(?P<surname>[^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’-]*){0,3}?)\s+"
    r"(?P<initials>[A-Z](?:\.?-?[A-Z]){0,2}\.?)$"
)


def given_names_first(name: str) -> str:
    """'Liu R.' / 'Liu R' / 'Smith JA' (Embase, PubMed and Vancouver style) -> 'R. Liu' /
    'J. A. Smith'; any other name is returned as it is ('Ruth Liu', 'R. Liu', 'IBM RA').

    Without this, "Liu R." had the surname "R." and matched no other spelling of Liu.
    """
    match = _SURNAME_INITIALS.match(name.strip())
    if not match or not any(c.islower() for c in match["surname"]):
        return name
    letters = re.findall(r"[A-Z]", match["initials"])
    if "".join(letters) in _GENERATIONS:  # "Zaphod Beeblebrox IV" is a name, not initials
        return name
    return " ".join([*(f"{letter}." for letter in letters), match["surname"]])
