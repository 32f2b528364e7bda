"""Server-rendered pages (Jinja2 + HTMX): what a reader sees in the browser."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papersift import digest
from papersift.contributions import upload_name
from papersift.errors import NotFoundError, PapersiftError, UsageError
from papersift.export import atom_feed, to_bibtex
from papersift.ingest.pipeline import ingest_file
from papersift.models import Paper
from papersift.search_modes import MODE_LABELS, MODES, resolve_mode
from papersift.store import Store
from papersift.web import service, windows
from papersift.web.app import (
    Caller,
    Library,
    admin_caller,
    library,
    optional_caller,
    page_caller,
    render,
    store,
)

router = APIRouter(include_in_schema=False)
Lib = Annotated[Library, Depends(library)]
Me = Annotated[Caller, Depends(page_caller)]
Maybe = Annotated[Caller | None, Depends(optional_caller)]
St = Annotated[Store, Depends(store)]


# ---------------------------------------------------------------------- library


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    me: Me,
    lib: Lib,
    q: str = "",
    mode: str = "hybrid",
    since: str = "",
    until: str = "",
    author: str = "",
) -> Response:
    """A query or filter that cannot be run comes back in the form, with the message."""
    mine, error = me.user.reader_id, None
    try:
        mode = resolve_mode(mode)
        found = service.search(lib, q, mode, since, until, author, reader_id=mine) if q else None
    except PapersiftError as exc:
        found, error = None, str(exc)
    hits, notes = found or ([], [])
    response = render(
        request,
        "search.html",
        me,
        error=error,
        q=q,
        mode=mode,
        modes=MODES,
        mode_labels=MODE_LABELS,
        since=since,
        until=until,
        author=author,
        hits=hits,
        notes=notes,
        verdicts=service.verdicts(lib.store(), me.user),
    )
    response.status_code = 400 if error else 200
    return response


@router.get("/papers/{ident}", response_class=HTMLResponse)
def paper_page(request: Request, ident: str, me: Me, lib: Lib) -> Response:
    paper, records = service.paper(lib.store(), ident, me.user.reader_id)
    similar = service.similar(lib, paper.id, reader_id=me.user.reader_id)
    return render(
        request,
        "paper.html",
        me,
        paper=paper,
        records=records,
        similar=similar,
        private=bool(lib.store().paper_owners([paper.id])),  # visible: so it is the reader's
        verdicts=service.verdicts(lib.store(), me.user),
    )


@router.get("/papers/{ident}/bibtex")
def paper_bibtex(ident: str, me: Me, lib: Lib) -> Response:
    """One paper as a BibTeX entry (a download named after the paper id)."""
    paper, _ = service.paper(lib.store(), ident, me.user.reader_id)
    return _bibtex([paper], f"papersift-{paper.id}.bib")


# ---------------------------------------------------------------------- feed


@router.get("/feed", response_class=HTMLResponse)
def feed_page(
    request: Request,
    me: Me,
    lib: Lib,
    days: int | None = None,
    until: str = "",
    limit: int = 10,
    part: str = "",
) -> Response:
    """The feed page, by default "since your last visit"; right after a 👍/👎 it shows the
    previous ranking at once and swaps in the new one (``part=list``: only the list, asked
    again until it is current). An empty window says what the library covers."""
    limit = max(1, min(limit, 100))
    store = lib.store()
    window = windows.choose(store, me.user, days, until, limit, visit=part != "list")
    settings = windows.settings(window, limit)
    ranked, problem = service.feed(lib, me.user, settings, wait=False)
    covers = store.stats() if not ranked.hits and problem is None and part != "list" else None
    return render(
        request,
        "_feed.html" if part == "list" else "feed.html",
        me,
        hits=ranked.hits,
        fresh=ranked.fresh,
        problem=problem,
        window=window,
        days=window.days,
        until=window.until.isoformat(),
        limit=settings.limit,
        links=windows.links(
            window, limit, windows.latest(store, covers.latest, limit) if covers else None
        ),
        covers=covers,
        verdicts=service.verdicts(store, me.user),
    )


@router.post("/feedback/{paper_id}/{verdict}", response_class=HTMLResponse)
def feedback(request: Request, paper_id: int, verdict: str, me: Me, lib: Lib) -> Response:
    """A vote (``up``/``down``), or ``undo`` of the reader's vote on the paper."""
    if verdict == "undo":
        service.undo_feedback(lib, me.user, paper_id)
        verdict = ""
    else:
        service.feedback(lib, me.user, paper_id, verdict)
    if request.headers.get("hx-request"):
        return render(request, "_verdict.html", me, pid=paper_id, verdict=verdict)
    return RedirectResponse(request.headers.get("referer") or "/feed", status_code=303)


# ---------------------------------------------------------------------- profile


@router.post("/profile/signals/{paper_id}/remove")
def remove_signal(me: Me, lib: Lib, paper_id: int) -> Response:
    service.remove_signal(lib.store(), me.user, paper_id)
    return RedirectResponse("/profile", status_code=303)


# ---------------------------------------------------------------------- saved searches


@router.post("/saved")
def save_search(
    me: Me,
    st: St,
    name: Annotated[str, Form()],
    q: Annotated[str, Form()],
    mode: Annotated[str, Form()] = "hybrid",
) -> Response:
    service.save_search(st, me.user, name, q, mode)
    return RedirectResponse("/profile", status_code=303)


@router.post("/saved/{search_id}/remove")
def remove_saved(me: Me, st: St, search_id: int) -> Response:
    service.remove_saved_search(st, me.user, search_id)
    return RedirectResponse("/profile", status_code=303)


# ---------------------------------------------------------------------- admin


@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    request: Request, me: Annotated[Caller, Depends(admin_caller)], st: St, report: str = ""
) -> Response:
    return render(request, "admin.html", me, users=st.users(), stats=st.stats(), report=report)


@router.post("/admin/library")
async def upload_library(
    me: Annotated[Caller, Depends(admin_caller)], lib: Lib, file: UploadFile
) -> Response:
    if not file.filename:
        raise UsageError("choose a file to add to the library")
    name = upload_name(file.filename)  # "..", "." or a path: a plain name (issue 13)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        with path.open("wb") as f:
            while chunk := await file.read(1 << 20):
                f.write(chunk)
        report = ingest_file(lib.store(), path, source=f"admin upload {Path(name).stem}")
    summary = f"{name}: {report.read} read, {report.new} new, {report.merged} merged"
    return RedirectResponse(f"/admin?report={summary}", status_code=303)


# ---------------------------------------------------------------------- e-mail links
# Signed links from digests: they work without logging in (the signature is the
# permission). A GET only shows what the link would do: mail scanners open links.


@router.get("/r/{token}", response_class=HTMLResponse)
def feedback_link_page(request: Request, token: str, caller: Maybe, lib: Lib) -> Response:
    name, paper, verdict = digest.read_feedback_link(lib.store(), token)
    return render(
        request, "link.html", caller, action="feedback", reader=name, paper=paper, verdict=verdict
    )


@router.post("/r/{token}", response_class=HTMLResponse)
def feedback_link(request: Request, token: str, caller: Maybe, lib: Lib) -> Response:
    name, paper, verdict = digest.apply_feedback_link(lib.store(), lib.recommender(), token)
    return render(
        request, "link.html", caller, action="done", reader=name, paper=paper, verdict=verdict
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str, caller: Maybe, lib: Lib) -> Response:
    name = digest.read_unsubscribe_link(lib.store(), token)
    return render(request, "link.html", caller, action="unsubscribe", reader=name)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str, caller: Maybe, lib: Lib) -> Response:
    """Also the one-click unsubscribe of mail clients (RFC 8058)."""
    name = digest.unsubscribe_link(lib.store(), token)
    return render(request, "link.html", caller, action="unsubscribed", reader=name)


# ---------------------------------------------------------------------- Atom and BibTeX


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/atom/{token}")
def reader_atom(
    request: Request,
    token: str,
    lib: Lib,
    days: int | None = None,
    until: str = "",
    limit: int = 10,
) -> Response:
    """The reader's feed for feed readers; the secret token in the URL is the permission.
    The window as on the feed page (``days`` up to ``until``); by default the last week,
    widened until it holds ``limit`` papers (a feed reader has no "last visit")."""
    user = lib.store().user_by_feed_token(token)
    if user is None:
        raise NotFoundError("no feed at this address (it may have been reset)")
    limit = max(1, min(limit, 100))
    window = windows.choose(lib.store(), None, days, until, limit, visit=False)
    hits = service.feed(lib, user, windows.settings(window, limit))[0].hits
    body = atom_feed(
        f"papersift: new for {user.name}",
        f"{_base(request)}/atom/{token}",
        _base(request),
        hits,
        feed_id=f"urn:papersift:feed:{user.name}",
    )
    return Response(body, media_type="application/atom+xml")


@router.get("/atom/search/{token}")
def search_atom(request: Request, token: str, lib: Lib) -> Response:
    saved = lib.store().saved_search_by_feed_token(token)
    if saved is None:
        raise NotFoundError("no saved search at this address")
    owner = lib.store().user_by_id(saved.user_id)
    reader = owner.reader_id if owner else None
    hits, _ = service.search(lib, saved.query, saved.mode, reader_id=reader)
    body = atom_feed(
        f"papersift: {saved.name}",
        f"{_base(request)}/atom/search/{token}",
        _base(request),
        hits,
        feed_id=f"urn:papersift:search:{saved.id}",
    )
    return Response(body, media_type="application/atom+xml")


def _bibtex(papers: list[Paper], name: str) -> Response:
    if not papers:
        raise UsageError("nothing to export")
    return Response(
        to_bibtex(papers),
        media_type="application/x-bibtex; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/export/feed.bib")
def feed_bibtex(
    me: Me, lib: Lib, days: int | None = None, until: str = "", limit: int = 10
) -> Response:
    limit = max(1, min(limit, 100))
    window = windows.choose(lib.store(), None, days, until, limit, visit=False)
    hits = service.feed(lib, me.user, windows.settings(window, limit))[0].hits
    return _bibtex([h.paper for h in hits], "papersift-feed.bib")


@router.get("/export/liked.bib")
def liked_bibtex(me: Me, lib: Lib) -> Response:
    return _bibtex(service.liked_papers(lib.store(), me.user), "papersift-liked.bib")


@router.get("/export/search.bib")
def search_bibtex(me: Me, lib: Lib, q: str, mode: str = "hybrid") -> Response:
    hits, _ = service.search(lib, q, mode, reader_id=me.user.reader_id)
    return _bibtex([h.paper for h in hits], "papersift-search.bib")
