"""What a reader is shown on the map, and seeding a profile from a region of it.

A view sends at most ``limit`` points, the first by their random rank inside the box the
reader looks at: an even sample of the whole map at first, more detail as they zoom in
(a million points would be 30 MB of JSON; 20,000 are ~0.5 MB and draw in a frame). The
reader's own likes and feed are always sent, whatever the sample, and only theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from papersift.errors import UsageError
from papersift.map.layout import spread_pick
from papersift.models import Hit, Signal
from papersift.store import Store
from papersift.store.shared_map import MapBox, MapPoint

DEFAULT_LIMIT = 20_000
MAX_LIMIT = 100_000
#: A selected region adds this many of its papers as likes, spread over the region.
REGION_PICKS = 10
#: Papers of a region considered for the picks (an even sample of a crowded region).
REGION_SAMPLE = 5_000


@dataclass(frozen=True)
class RegionSeed:
    added: list[int]
    in_region: int


def check_box(x0: float, y0: float, x1: float, y1: float) -> MapBox:
    values = (x0, y0, x1, y1)
    if not all(np.isfinite(values)) or x1 < x0 or y1 < y0:
        raise UsageError("a map box needs x0 <= x1 and y0 <= y1 (finite numbers)")
    return MapBox(x0, y0, x1, y1)


def _mark(point: MapPoint, title: str | None, **extra: Any) -> dict[str, Any]:
    return {"id": point.paper_id, "x": point.x, "y": point.y, "title": title or "", **extra}


def map_view(
    store: Store,
    reader_id: int,
    feed: Sequence[Hit],
    box: MapBox | None = None,
    limit: int = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The points in ``box`` (a sample of ``limit``), the regions, and this reader's likes
    and feed where they lie on the map (those not on it yet are counted)."""
    state = store.map_state()
    if state is None:
        return {"built": False, "points": [], "clusters": [], "likes": [], "feed": []}
    points = store.map_points(box, limit)
    liked = list(dict.fromkeys(s.paper_id for s in store.signals(reader_id) if s.label > 0))
    feed_ids = [h.paper.id for h in feed]
    where = store.map_points_of(liked + feed_ids)
    titles = store.paper_titles([i for i in liked if i in where])
    return {
        "built": True,
        "model": state.model,
        "method": state.method,
        "built_at": state.built_at,
        "updated_at": state.updated_at,
        "total": store.map_size(),
        "points": [[p.paper_id, round(p.x, 5), round(p.y, 5), p.cluster] for p in points],
        "clusters": [
            {"id": c.id, "label": c.label, "words": c.words, "x": c.x, "y": c.y, "size": c.size}
            for c in store.map_clusters()
            if c.size  # a region of private papers only has no label for anyone
        ],
        "likes": [_mark(where[i], titles.get(i)) for i in liked if i in where],
        "feed": [
            _mark(where[h.paper.id], h.paper.title, score=round(h.score, 4))
            for h in feed
            if h.paper.id in where
        ],
        "unplaced": {
            "likes": sum(i not in where for i in liked),
            "feed": sum(i not in where for i in feed_ids),
        },
    }


def seed_from_region(
    store: Store, reader_id: int, box: MapBox, now: str | None = None
) -> RegionSeed:
    """Add up to ``REGION_PICKS`` papers of the region as likes of the reader (``like``
    signals, as a list of papers they gave would be): spread over the region, so a region
    spanning two topics seeds both. Papers the reader already rated are left as they are."""
    inside = store.map_points(box, REGION_SAMPLE)
    if not inside:
        raise UsageError("no papers in the selected region: select a part of the map with dots")
    rated = {s.paper_id for s in store.signals(reader_id)}
    fresh = [p for p in inside if p.paper_id not in rated]
    xy = np.array([[p.x, p.y] for p in fresh], np.float32).reshape(-1, 2)
    picked = [fresh[i].paper_id for i in spread_pick(xy, REGION_PICKS)]
    at = now or datetime.now(UTC).isoformat(timespec="seconds")
    if picked:
        with store.transaction():
            store.set_signals(reader_id, [Signal(pid, "like", 1, at) for pid in picked])
    return RegionSeed(picked, len(inside))
