"""Harvest throughput and memory: `papersift sync arxiv` against a local OAI-PMH server.

A child process serves P generated ListRecords pages of R records each in arXiv's format
(structured authors, some affiliations and DOIs, 1 to 3 categories, datestamps spread over
a month), chained by resumption tokens; the pages are built before the clock starts, so the
figure is the harvester's: fetch over loopback, parse, filter, deduplicate and write, one
transaction per page, state saved with each page. A month of cs.* is about 25,000 records.

It prints records/s over the whole harvest, the parse share (``parse_page`` alone on one
page, times P), the peak RSS of the harvesting process (and how much the harvest added to
it), and that every record ended up as one paper. Then it harvests the last two pages again
(a daily run re-reads its boundary day) and prints how long that took.

    python benchmarks/bench_sync.py                      # 25 pages x 1000 records
    python benchmarks/bench_sync.py --pages 100          # 100,000 records
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).parent))
import bench_ingest

from papersift.store import Store
from papersift.store.base import SyncState
from papersift.sync.arxiv import ArxivHarvest, HarvestReport
from papersift.sync.http import PoliteClient

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    "<responseDate>2024-06-01T02:00:00Z</responseDate>\n"
    '<request verb="ListRecords">http://export.arxiv.org/oai2</request>\n<ListRecords>\n'
)
CATEGORIES = "cs.LG cs.CL cs.CV cs.AI cs.RO cs.CR cs.DS stat.ML".split()
AFFILIATIONS = ["Harbour Institute", "Delta University", "Quay Street Lab", "North Polytechnic"]


def _author(rng: random.Random) -> str:
    affiliation = (
        f"<affiliation>{rng.choice(AFFILIATIONS)}</affiliation>" if rng.random() < 0.2 else ""
    )
    return (
        f"<author><keyname>{rng.choice(bench_ingest.LAST)}</keyname>"
        f"<forenames>{rng.choice(bench_ingest.FIRST)}</forenames>{affiliation}</author>"
    )


def _record(n: int, total: int, rng: random.Random) -> str:
    day = 1 + n * 30 // total
    arxiv_id = f"2405.{n:05d}"
    authors = "".join(_author(rng) for _ in range(rng.randint(1, 8)))
    doi = f"<doi>10.5555/bench.{n}</doi>" if rng.random() < 0.15 else ""
    return (
        f"<record>\n<header>\n <identifier>oai:arXiv.org:{arxiv_id}</identifier>\n"
        f" <datestamp>2024-05-{day:02d}</datestamp>\n <setSpec>cs</setSpec>\n</header>\n"
        '<metadata>\n <arXiv xmlns="http://arxiv.org/OAI/arXiv/">\n'
        f" <id>{arxiv_id}</id><created>2024-05-{day:02d}</created><authors>{authors}</authors>"
        f"<title>{escape(bench_ingest._title(rng))}</title>"
        f"<categories>{' '.join(rng.sample(CATEGORIES, rng.randint(1, 3)))}</categories>"
        f"<comments>{rng.randint(5, 40)} pages</comments>{doi}"
        f"<abstract>{escape(bench_ingest._abstract(rng))}</abstract></arXiv>\n"
        "</metadata>\n</record>\n"
    )


def build_pages(pages: int, per_page: int) -> list[bytes]:
    rng = random.Random(pages * 7919 + per_page)
    total = pages * per_page
    built = []
    for p in range(pages):
        records = "".join(_record(p * per_page + i, total, rng) for i in range(per_page))
        token = f"bench|{(p + 1) * per_page}" if p + 1 < pages else ""
        tail = (
            f'<resumptionToken cursor="{p * per_page}" completeListSize="{total}">'
            f"{token}</resumptionToken>\n</ListRecords>\n</OAI-PMH>\n"
        )
        built.append((HEAD + records + tail).encode())
    return built


def serve(pages: int, per_page: int) -> None:
    """Child process: build the pages, print the port, answer until killed."""
    built = build_pages(pages, per_page)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = dict(parse_qsl(urlsplit(self.path).query))
            token = query.get("resumptionToken")
            body = built[int(token.split("|")[1]) // per_page if token else 0]
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], sum(len(b) for b in built), flush=True)
    server.serve_forever()


def reharvest_tail(
    store: Store, client: PoliteClient, url: str, categories: list[str], args: argparse.Namespace
) -> tuple[HarvestReport, float]:
    """Harvest the last two pages again, by resuming at the token that asks for them."""
    state = store.sync_state("arxiv", "cs")
    skip = max(0, args.pages - 2) * args.per_page
    with store.transaction():
        store.save_sync_state(
            SyncState("arxiv", "cs", state.high_water if state else None, f"bench|{skip}")
        )
    t0 = time.perf_counter()
    report = ArxivHarvest(store, client, "cs", categories=categories, endpoint=url).run()
    return report, time.perf_counter() - t0


def timed(function: Callable[..., object], *args: object) -> float:
    t0 = time.perf_counter()
    function(*args)
    return time.perf_counter() - t0


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=25)
    parser.add_argument("--per-page", type=int, default=1000)
    parser.add_argument("--categories", default="", help="e.g. cs.LG,stat.ML (default: all)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.pages, args.per_page)
        return

    from papersift.ingest.sources.oai_arxiv import parse_page
    from papersift.store import open_store

    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--pages",
            str(args.pages),
            "--per-page",
            str(args.per_page),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port, size = (int(x) for x in child.stdout.readline().split())
        url = f"http://127.0.0.1:{port}/oai"
        categories = [c for c in args.categories.split(",") if c]
        print(
            f"machine: {platform.machine()} {platform.processor() or ''}, "
            f"{os.cpu_count()} cores, python {platform.python_version()}"
        )
        with tempfile.TemporaryDirectory() as folder:
            store = open_store(Path(folder) / "sync.db")
            before = rss_mb()
            with PoliteClient(delay=0) as client:
                one = client.get(url)
                parse_one = min(timed(parse_page, one.text, url) for _ in range(3))
                harvest = ArxivHarvest(
                    store, client, "cs", categories=categories, since="2024-05-01", endpoint=url
                )
                t0 = time.perf_counter()
                report = harvest.run()
                seconds = time.perf_counter() - t0
                peak = rss_mb()
                again, again_s = reharvest_tail(store, client, url, categories, args)
            papers = store.stats().papers
            store.close()
        records = report.records
        print(
            f"{args.pages} pages x {args.per_page:,} records ({size / 2**20:.0f} MB of XML): "
            f"{records:,} records in {seconds:.1f} s = {records / seconds:,.0f} records/s "
            f"parsed+ingested ({parse_one * args.pages / seconds:.0%} of it parsing), "
            f"peak RSS {peak:.0f} MB ({peak - before:+.0f} MB during the harvest), "
            f"{report.new:,} new papers, {report.left_out:,} left out by category, "
            f"{papers:,} papers in the library"
        )
        print(
            f"the last {again.pages} pages again (a boundary re-read): {again.records:,} records "
            f"in {again_s:.1f} s = {again.records / again_s:,.0f} records/s, "
            f"{again.unchanged:,} already in the library, {again.new} new"
        )
    finally:
        child.kill()
        child.wait()


if __name__ == "__main__":
    main()
