"""LaTeX in metadata ('Schr\\"{o}dinger', '{BERT}', 'Bal\\'azs') turned into plain Unicode."""

from __future__ import annotations

import re

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from papersift.ingest.normalize import clean_text

_BARE_SPECIAL = re.compile(r"(?<!\\)([%&])")
# What pylatexenc would change: commands, groups, ties, math, escapes, dash and quote ligatures.
_LATEX_SYNTAX = re.compile(r"[\\{}~$%&]|--|``|''")
# What needs pylatexenc (slow, about 10 µs a token): commands, ties, math, ligatures.
_LATEX_COMMANDS = re.compile(r"[\\~$]|--|``|''")


#: Macros pylatexenc drops (an unknown macro is dropped whole, so "\\TeX: The Program" became
#: ": The Program" in a real BibTeX test file): TeX logos, and abbreviations titles use.
#: ``\\today`` is pinned, or a title would say the day it was read. As in TeX, a macro eats
#: the space after it: biblatex's own examples write "The \\TeX book" for "The TeXbook".
TEXT_MACROS = {
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2e",
    "BibTeX": "BibTeX",
    "BibLaTeX": "BibLaTeX",
    "XeTeX": "XeTeX",
    "XeLaTeX": "XeLaTeX",
    "LuaTeX": "LuaTeX",
    "LuaLaTeX": "LuaLaTeX",
    "pdfTeX": "pdfTeX",
    "pdfLaTeX": "pdfLaTeX",
    "eTeX": "e-TeX",
    "ConTeXt": "ConTeXt",
    "AmS": "AMS",
    "AmSTeX": "AMS-TeX",
    "AmSLaTeX": "AMS-LaTeX",
    "SliTeX": "SliTeX",
    "METAFONT": "METAFONT",
    "MF": "METAFONT",
    "MP": "MetaPost",
    "PiCTeX": "PiCTeX",
    "ie": "i.e.",
    "eg": "e.g.",
    "etal": "et al.",
    "etc": "etc.",
    "vs": "vs.",
    "S": "§",
    "today": "",
}


def _latex_decoder() -> LatexNodes2Text:
    """pylatexenc's decoder as bibtexparser's LatexDecodingMiddleware builds it: braces
    dropped, math kept verbatim, ``\\url{x}`` -> ``x``; ``TEXT_MACROS`` spelled out."""
    context = get_default_latex_context_db()
    macros = [MacroTextSpec("url", simplify_repl="%s")]
    macros += [MacroTextSpec(name, simplify_repl=text) for name, text in TEXT_MACROS.items()]
    context.add_context_category("papersift", prepend=True, macros=macros)
    return LatexNodes2Text(latex_context=context, keep_braced_groups=False, math_mode="verbatim")


_DECODER = _latex_decoder()


def latex_to_text(value: str | None) -> str | None:
    """'{BERT}: Pre-training' -> 'BERT: Pre-training'; 'Schr\\"{o}dinger' -> 'Schrödinger'.

    Whitespace is collapsed; text without LaTeX syntax takes a fast path.
    """
    if not value:
        return None
    if not _LATEX_SYNTAX.search(value):  # fast path: most values are plain text
        return clean_text(value)
    if not _LATEX_COMMANDS.search(value):  # only grouping braces ("{{BERT}} rocks"), or % and &
        return clean_text(value.replace("{", "").replace("}", ""))
    escaped = _BARE_SPECIAL.sub(r"\\\1", value)  # "5%" is text in metadata, not a comment
    try:
        text: str = _DECODER.latex_to_text(escaped)
    except Exception:  # pylatexenc is tolerant; on anything it still rejects, keep the raw text
        text = value
    return clean_text(text)


def person_name(value: str | None) -> str | None:
    """A name as arXiv metadata spells it ('K. Nov\\'ak') in Unicode ('K. Novák')."""
    if value and ("\\" in value or "{" in value):
        return latex_to_text(value)
    return clean_text(value)
