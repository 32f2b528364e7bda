"""The first hour of a new reader, in three steps: find your papers (by author name,
choosing among the spellings the library holds, or by giving papers: a file, pasted
abstracts with or without ``Abstract:``, arXiv ids, arXiv/DOI URLs), rate ten papers
chosen by active learning (papersift.rank.active; repeatable from the feed as "improve my
feed"), then the first feed. Forms re-render with their error (status 400)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift.contributions import visible_ids
from papersift.errors import PapersiftError, UsageError
from papersift.models import Hit, User
from papersift.onboarding import find_authors, no_author_error
from papersift.rank.active import choose_papers_to_rate
from papersift.web import service
from papersift.web.account_pages import PASTE_LIMIT, UPLOAD_LIMIT
from papersift.web.app import Caller, Library, library, page_caller, render

router = APIRouter(include_in_schema=False)
Lib = Annotated[Library, Depends(library)]
Me = Annotated[Caller, Depends(page_caller)]
Text = Annotated[str, Form()]
#: One round of ratings.
ROUND = 10
_RATING = re.compile(r"rate-(\d+)")


def _page(
    request: Request, me: Caller, template: str, status: int = 200, **ctx: object
) -> Response:
    response = render(request, template, me, **ctx)
    response.status_code = status
    return response


def _start(
    request: Request, me: Caller, lib: Library, status: int = 200, **ctx: object
) -> Response:
    defaults: dict[str, object] = {"asked": "", "candidates": None, "error": None, "text": ""}
    own = sum(1 for s in lib.store().signals(me.user.reader_id) if s.label > 0)
    return _page(
        request,
        me,
        "onboarding.html",
        status,
        known=own,
        paste_limit=PASTE_LIMIT,
        upload_limit=UPLOAD_LIMIT,
        **{**defaults, **ctx},
    )


@router.get("/onboarding", response_class=HTMLResponse)
def start(request: Request, me: Me, lib: Lib, name: str = "") -> Response:
    """Step 1. With ``name``: the spellings of that name in the library to pick from."""
    if not name.strip():
        return _start(request, me, lib)
    name = name.strip()[:200]
    try:
        candidates = find_authors(lib.store(), me.user.reader_id, name)
        if not candidates:
            raise no_author_error(lib.store(), me.user.reader_id, name)
    except PapersiftError as exc:
        return _start(request, me, lib, 400, asked=name, error=str(exc))
    return _start(request, me, lib, asked=name, candidates=candidates)


@router.post("/onboarding/authors")
def choose_authors(
    request: Request, me: Me, lib: Lib, authors: Annotated[list[str] | None, Form()] = None
) -> Response:
    chosen = [a.strip()[:200] for a in authors or [] if a.strip()][:20]
    if not chosen:
        return _start(request, me, lib, 400, error="tick the names that are you")
    try:
        own = 0
        for author in chosen:
            own = service.add_author(lib, me.user, author)
    except PapersiftError as exc:
        return _start(request, me, lib, 400, error=str(exc))
    return RedirectResponse(f"/onboarding/rate?added={own}", status_code=303)


async def _give(lib: Library, user: User, text: str, file: UploadFile | None) -> str:
    """Take a file or a paste into the profile; what was done, in words."""
    if file is not None and file.filename:
        data = await file.read(UPLOAD_LIMIT + 1)
        if len(data) > UPLOAD_LIMIT:
            raise UsageError(f"the file is over {UPLOAD_LIMIT >> 20} MB: ask an admin to add it")
        return service.add_papers(lib, user, file.filename, data).summary()
    if len(text.encode("utf-8")) > PASTE_LIMIT:
        raise UsageError(f"the paste is over {PASTE_LIMIT >> 20} MB: upload a file instead")
    return service.add_paste(lib, user, text)


@router.post("/onboarding/papers")
async def give_papers(
    request: Request, me: Me, lib: Lib, text: Text = "", file: UploadFile | None = None
) -> Response:
    try:
        note = await _give(lib, me.user, text, file)
    except PapersiftError as exc:
        return _start(request, me, lib, 400, error=str(exc), text=text[:PASTE_LIMIT])
    return _rate(request, me, lib, note=note)


def _rate(request: Request, me: Caller, lib: Library, status: int = 200, **ctx: object) -> Response:
    try:
        papers: list[Hit] = choose_papers_to_rate(lib.recommender(), me.user.name, ROUND)
    except PapersiftError as exc:
        papers, ctx = [], {**ctx, "error": str(exc)}
    allowed = visible_ids(lib.store(), me.user.reader_id, [h.paper.id for h in papers])
    defaults: dict[str, object] = {"note": None, "error": None, "round": 1}
    return _page(
        request,
        me,
        "onboarding_rate.html",
        status,
        papers=[h for h in papers if h.paper.id in allowed],
        verdicts={},
        **{**defaults, **ctx},
    )


@router.get("/onboarding/rate", response_class=HTMLResponse)
def rate_page(
    request: Request, me: Me, lib: Lib, added: int | None = None, round: int = 1
) -> Response:
    """Step 2: ten papers to rate (also "improve my feed", any time)."""
    note = f"{added} papers in the library are yours." if added is not None else None
    return _rate(request, me, lib, note=note, round=max(1, min(round, 99)))


@router.post("/onboarding/rate")
async def rate(request: Request, me: Me, lib: Lib) -> Response:
    """Votes from the rating form (``rate-<paper id>``: up, down or skip); then another
    round (``again``) or the feed."""
    form = await request.form()
    votes = {
        int(m.group(1)): str(value)
        for key, value in form.multi_items()
        if (m := _RATING.fullmatch(key)) and value in ("up", "down")
    }
    allowed = visible_ids(lib.store(), me.user.reader_id, list(votes))
    for pid in sorted(allowed):
        service.feedback(lib, me.user, pid, votes[pid])
    next_round = str(form.get("round", "1"))
    if form.get("again"):
        number = int(next_round) + 1 if next_round.isdigit() else 2
        return RedirectResponse(f"/onboarding/rate?round={number}", status_code=303)
    return RedirectResponse("/feed", status_code=303)
