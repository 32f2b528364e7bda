"""The map of the library: the ``/map`` page and its API (``/api/map``, ``/api/map/region``).

Every route acts for the caller: the likes and feed drawn are the caller's own, and a
selected region seeds the caller's own profile. The points and regions are the library's,
the same for every reader.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from papersift.contributions import visible_ids
from papersift.errors import UsageError
from papersift.map.view import DEFAULT_LIMIT, MAX_LIMIT, check_box, map_view, seed_from_region
from papersift.recommend import FeedSettings
from papersift.store.shared_map import MapBox
from papersift.web import service
from papersift.web.app import Caller, Library, api_caller, library, page_caller, render

router = APIRouter()
Lib = Annotated[Library, Depends(library)]
Me = Annotated[Caller, Depends(page_caller)]
ApiMe = Annotated[Caller, Depends(api_caller)]
#: The feed drawn on the map: the best papers for the reader in the whole library (the map
#: shows the whole library; a week's window is often empty), more than a feed page shows.
MAP_FEED = 30
MAP_FEED_DAYS = 3650


class RegionIn(BaseModel):
    x0: float
    y0: float
    x1: float
    y1: float


@router.get("/map", response_class=HTMLResponse, include_in_schema=False)
def map_page(request: Request, me: Me, lib: Lib) -> Response:
    state = lib.store().map_state()
    return render(request, "map.html", me, built=state is not None)


def _feed(lib: Library, caller: Caller, days: int) -> list[Any]:
    ranked, _ = service.feed(lib, caller.user, FeedSettings(days, limit=MAP_FEED))
    return ranked.hits


@router.get("/api/map", tags=["api"])
def api_map(
    caller: ApiMe,
    lib: Lib,
    x0: float | None = None,
    y0: float | None = None,
    x1: float | None = None,
    y1: float | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    days: int = Query(MAP_FEED_DAYS, ge=1, le=3650),
    points_only: bool = False,
) -> dict[str, Any]:
    """The map: points in the box (all of the map without one; a sample of ``limit``, each
    ``[paper id, x, y, region]``), the regions with their words, and the caller's likes and
    feed (``days``: the feed's window, the whole library unless given) where they lie on it.
    ``points_only``: no feed (the page asks so for the detail of a zoomed-in view)."""
    bounds = (x0, y0, x1, y1)
    box: MapBox | None = None
    if any(v is not None for v in bounds):
        if any(v is None for v in bounds):
            raise UsageError("give all of x0, y0, x1, y1, or none")
        box = check_box(*(float(v) for v in bounds if v is not None))
    store = lib.store()
    feed = _feed(lib, caller, days) if store.map_state() and not points_only else []
    view = map_view(store, caller.user.reader_id, feed, box, limit)
    mine = visible_ids(store, caller.user.reader_id, [p[0] for p in view["points"]])
    view["points"] = [p for p in view["points"] if p[0] in mine]  # others' pastes: never
    return view


@router.post("/api/map/region", tags=["api"])
def api_map_region(body: RegionIn, caller: ApiMe, lib: Lib) -> dict[str, Any]:
    """Seed the caller's profile from a region of the map: up to 10 of its papers, spread
    over it, become likes."""
    seeded = seed_from_region(
        lib.store(), caller.user.reader_id, check_box(body.x0, body.y0, body.x1, body.y1)
    )
    store = lib.store()
    foreign = set(seeded.added) - visible_ids(store, caller.user.reader_id, seeded.added)
    with store.transaction():  # another reader's private paper is never a like of this one
        for pid in foreign:
            store.remove_signals(caller.user.reader_id, pid)
    lib.feedback_given(caller.user)
    added = [i for i in seeded.added if i not in foreign]
    titles = store.paper_titles(added)
    return {
        "added": [{"id": i, "title": titles.get(i) or ""} for i in added],
        "in_region": seeded.in_region,
    }
