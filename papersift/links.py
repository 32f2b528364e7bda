"""Which stored URLs may become links: only ``http``/``https`` ones and relative ones.

A paper's ``url`` comes from whatever file someone ingested or pasted, so it may say
``javascript:...`` or ``data:...``. It is stored as found (provenance), and every place
that renders it (pages, Atom, digests, BibTeX) asks :func:`safe_url` first: ``None`` means
"show it as text, or drop it". Browsers ignore tabs and newlines inside a URL and leading
control characters and spaces (WHATWG URL parsing), so ``java\\tscript:`` is a scheme too:
they are removed before the scheme is read.
"""

from __future__ import annotations

import re

SAFE_SCHEMES = ("http", "https")
_IGNORED_INSIDE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def safe_url(url: str | None) -> str | None:
    """``url`` as a browser would read it, when it is http(s) or relative; else ``None``."""
    if not url:
        return None
    cleaned = _IGNORED_INSIDE.sub("", url).lstrip("".join(map(chr, range(0x21)))).rstrip()
    if not cleaned or "\\" in cleaned.split("?", 1)[0]:
        return None  # browsers read "\" as "/" in a path: "/\evil" is not what it seems
    scheme = _SCHEME.match(cleaned)
    if scheme is None:
        return cleaned if ":" not in cleaned.split("/", 1)[0] else None
    return cleaned if scheme.group(1).lower() in SAFE_SCHEMES else None


def is_safe_url(url: str | None) -> bool:
    """True when ``url`` may be rendered as a link (an empty URL is not a link at all)."""
    return safe_url(url) is not None


def absolute_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) URL (what a feed, e-mail or BibTeX file can
    point to: a relative one means nothing there), else ``None``."""
    found = safe_url(url)
    return found if found and _SCHEME.match(found) else None
