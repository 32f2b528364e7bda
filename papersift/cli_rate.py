"""``papersift reader rate NAME``: a round of ratings in the terminal (active learning)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from papersift.cli_common import _recommender, err, out
from papersift.errors import UsageError

if TYPE_CHECKING:
    from papersift.models import Hit

ANSWERS = {"y": "up", "yes": "up", "n": "down", "no": "down", "s": "skip", "skip": "skip"}
QUIT = {"q", "quit"}
ABSTRACT_CHARS = 400


def stdin_is_terminal() -> bool:
    """Whether someone can answer (tests replace this)."""
    return sys.stdin.isatty()


@click.command("rate")
@click.argument("name")
@click.option(
    "--count",
    type=click.IntRange(1, 50),
    default=10,
    show_default=True,
    help="Papers in the round.",
)
@click.pass_context
def rate(ctx: click.Context, name: str, count: int) -> None:
    """Rate papers chosen to teach NAME's model most: y(es) / n(o) / s(kip) / q(uit)."""
    from papersift.rank.active import choose_papers_to_rate

    if not stdin_is_terminal():
        raise UsageError(
            "`reader rate` asks questions: run it in a terminal "
            f"(or rate one paper with `papersift feedback {name} ID up|down`)"
        )
    rec = _recommender(ctx)
    hits = choose_papers_to_rate(rec, name, count)
    if not hits:
        raise UsageError("no papers to rate: the library has no vectors yet (`papersift index`)")
    up = down = 0
    for number, hit in enumerate(hits, start=1):
        _show(hit, number, len(hits))
        verdict = _ask()
        if verdict in ("quit", "eof"):
            if verdict == "eof":
                err.print("end of input: stopping here")
            break
        if verdict == "skip":
            continue
        rec.feedback(name, str(hit.paper.id), verdict)
        up, down = up + (verdict == "up"), down + (verdict == "down")
    out.print(
        f"{name}: {up} 👍 and {down} 👎 recorded. "
        f"`papersift feed {name}` uses them; `papersift reader rate {name}` asks about more."
    )


def _show(hit: Hit, number: int, total: int) -> None:
    paper = hit.paper
    out.print(f"\n[{number}/{total}] {paper.title or '(untitled)'}")
    authors = ", ".join(paper.authors[:5]) + (" et al." if len(paper.authors) > 5 else "")
    meta = " · ".join(x for x in (authors, paper.date or "", f"id {paper.id}") if x)
    out.print(f"  {meta}")
    abstract = " ".join((paper.abstract or "").split())
    if abstract:
        cut = abstract[:ABSTRACT_CHARS].rsplit(" ", 1)[0] + "…"
        out.print(f"  {abstract if len(abstract) <= ABSTRACT_CHARS else cut}")
    for reason in hit.reasons:
        out.print(f"  why asked: {reason}")


def _ask() -> str:
    """``up``, ``down``, ``skip``, ``quit``, or ``eof`` when the input ends."""
    while True:
        click.echo("  interesting? [y]es / [n]o / [s]kip / [q]uit: ", nl=False)
        line = sys.stdin.readline()
        if not line:
            click.echo()
            return "eof"
        answer = line.strip().lower()
        if answer in QUIT:
            return "quit"
        if answer in ANSWERS:
            return ANSWERS[answer]
        click.echo("  please answer y, n, s or q")
