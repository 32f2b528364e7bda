"""FTS5 match expressions, as papersift.index.lexical writes them, turned into tsquery text.

The query parser (``parse_query``, ``plan_match``, ``narrower_matches``,
``SearchFilters.author_match``) writes a small subset of FTS5's syntax, and nothing else
reaches the store:

* a part: ``"w1 w2"`` (a phrase; one word is a phrase of one) or ``"w1 w2"*`` (the last word
  a prefix);
* parts joined by `` OR `` or `` AND ``, or side by side (FTS5's implicit AND);
* ``title : (...)`` / ``authors : (...)``: only in that column.

In PostgreSQL a phrase is ``'w1' <-> 'w2'``, a prefix ``'w':*``, and a column a weight label
(title A, authors B, abstract C). ``to_tsquery`` then stems each quoted word with the same
configuration the documents were indexed with. Anything else in the input is left out, so
no text can make a tsquery syntax error.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r'"([^"]*)"(\*?)|\b(OR|AND)\b|\b(title|authors|abstract)\s*:\s*\(|(\))')
_WORD = re.compile(r"\w+")
WEIGHTS = {"title": "A", "authors": "B", "abstract": "C"}


def _operand(word: str, prefix: bool, weight: str) -> str:
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    label = ("*" if prefix else "") + weight
    return f"{quoted}:{label}" if label else quoted


def _phrase(text: str, prefix: bool, weight: str) -> str | None:
    words = _WORD.findall(text)
    if not words:
        return None
    operands = [_operand(w, prefix and i == len(words) - 1, weight) for i, w in enumerate(words)]
    return operands[0] if len(operands) == 1 else "(" + " <-> ".join(operands) + ")"


def tsquery_alternatives(expression: str) -> list[str]:
    """The expression as tsquery texts whose OR is the whole (one per top-level OR part).

    A part's own weight lets the store give rarer parts more say (as BM25's IDF does).
    """
    alternatives: list[list[str]] = [[]]
    weight = ""
    depth_weight: list[str] = []
    pending_or = False
    for m in _TOKEN.finditer(expression):
        phrase, star, operator, column, close = m.groups()
        if operator:
            pending_or = operator == "OR" and not depth_weight
            if operator == "OR" and depth_weight:
                alternatives[-1].append("|")
            continue
        if column:
            if pending_or and alternatives[-1]:
                alternatives.append([])
            pending_or = False
            depth_weight.append(weight)
            weight = WEIGHTS[column]
            alternatives[-1].append("(")
            continue
        if close:
            if depth_weight:
                weight = depth_weight.pop()
                alternatives[-1].append(")")
            continue
        operand = _phrase(phrase, bool(star), weight)
        if operand is None:
            continue
        if pending_or and alternatives[-1]:
            alternatives.append([])
        pending_or = False
        alternatives[-1].append(operand)
    return [text for tokens in alternatives if (text := _join(tokens))]


def _join(tokens: list[str]) -> str:
    """Operands and parentheses with ``&`` between neighbours (``|`` kept), balanced."""
    out: list[str] = []
    for token in tokens:
        if token == ")":
            while out and out[-1] in ("&", "|"):
                out.pop()
            if out and out[-1] == "(":
                out.pop()
                continue
            out.append(")")
            continue
        if out and token != "|" and out[-1] not in ("(", "&", "|"):
            out.append("&")
        if token == "|" and (not out or out[-1] in ("(", "&", "|")):
            continue
        out.append(token)
    while out and out[-1] in ("&", "|"):
        out.pop()
    depth = sum(1 if t == "(" else -1 if t == ")" else 0 for t in out)
    return " ".join(out + [")"] * depth)


def to_tsquery_text(expression: str) -> str:
    """The whole expression as one tsquery text ('' when it has no words)."""
    alternatives = tsquery_alternatives(expression)
    if len(alternatives) == 1:
        return alternatives[0]
    return " | ".join(f"({a})" for a in alternatives)
