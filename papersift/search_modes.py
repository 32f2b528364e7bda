"""The three search modes, named for people (Keywords / Meaning / Both), and the older
names (lexical / semantic / hybrid) kept as aliases. Light on purpose: the CLI imports it
without loading numpy or a model."""

from __future__ import annotations

from typing import Literal

from papersift.errors import UsageError

Mode = Literal["hybrid", "lexical", "semantic"]
MODES: tuple[Mode, ...] = ("hybrid", "lexical", "semantic")
#: What a person sees, by mode.
MODE_LABELS: dict[Mode, str] = {"hybrid": "Both", "lexical": "Keywords", "semantic": "Meaning"}
_BY_NAME: dict[str, Mode] = {
    **{mode: mode for mode in MODES},
    **{label.lower(): mode for mode, label in MODE_LABELS.items()},
}
#: Every name a mode may be given by (CLI choices): the people's names first.
MODE_NAMES: tuple[str, ...] = ("both", "keywords", "meaning", *MODES)


def resolve_mode(name: str) -> Mode:
    """The mode a name stands for (case ignored), or a UsageError listing the names."""
    mode = _BY_NAME.get(name.strip().lower())
    if mode is None:
        raise UsageError(
            f"unknown search mode {name!r}: use keywords, meaning or both "
            "(or lexical, semantic, hybrid)"
        )
    return mode
