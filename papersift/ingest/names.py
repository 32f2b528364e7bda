"""Recognising person names in running text (used to split a title glued to its authors)."""

from __future__ import annotations

import re

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
