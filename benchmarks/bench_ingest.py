"""Ingest throughput and memory: a generated arXiv snapshot plus duplicates in other formats.

For each size N it writes (once, cached under benchmarks/data/):

* ``snapshot-N.jsonl``: N arXiv-snapshot lines (the 2.7M-paper dump's format);
* 5% of N duplicates of those papers, spread over three other formats and spelled the way
  those sources spell them: a BibTeX file (journal DOI, a typo in the title, LaTeX accents),
  a Hugging Face Daily Papers page (no id, abstract cut short, upvotes), and JSON lines
  (different capitalisation and punctuation).

Each size is ingested into a fresh SQLite library in a child process, so the peak RSS it
reports is that size's own. It prints records/s, peak RSS and whether dedup found every
duplicate (the library must end with exactly N papers).

    python benchmarks/bench_ingest.py                 # 50k and 200k
    python benchmarks/bench_ingest.py --sizes 20000   # a quick run
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
WORDS = (
    "adaptive attention batch bayesian benchmark calibration causal contrastive convergence "
    "curriculum data decoding diffusion distillation distributed efficient embedding energy "
    "ensemble equivariant estimation evaluation exploration feature federated few-shot flow "
    "generalization generative gradient graph hierarchical implicit inference invariant kernel "
    "language latent learning linear low-rank manifold markov memory meta mixture model "
    "molecular multimodal multilingual network neural noise nonconvex optimization optimal "
    "policy pretraining prior probabilistic protein pruning quantization random reasoning "
    "recurrent regression regularization reinforcement representation retrieval robust "
    "sampling scalable scaling segmentation self-supervised semantic sequence sparse spectral "
    "speech stochastic structured synthetic temporal tensor training transfer transformer "
    "uncertainty unsupervised variational vision weight zero-shot"
).split()
GLUE = "a an the of for with via on in and under towards beyond without".split()
FIRST = (
    "Ada Bo Chen Dana Elif Farid Greta Hiro Ines Jonas Kofi Lena Mara Nikhil Olga Priya "
    "Quentin Rosa Sven Tomás Uma Vera Wei Xavier Yara Zoltán"
).split()
LAST = (
    "Andersen Bauer Costa Dubois Eriksen Fischer García Hansen Ito Jansen Kowalski Lindqvist "
    "Müller Nakamura Okafor Petrov Quinn Rossi Schmidt Tanaka Ueda Varga Wójcik Xu Yilmaz Zhang"
).split()
CATEGORIES = "cs.LG cs.CL cs.CV stat.ML cs.AI q-bio.BM cs.RO math.OC".split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


SYLLABLES = "ka lo ri men tor vi sa ne qua bel dor fi gra hel ix jun ko lum mar nis".split()


def _vocabulary(size: int = 6000) -> tuple[list[str], list[float]]:
    """Common ML words plus invented terms, with Zipf-like weights (a few words are everywhere,
    most are rare), so title blocks collide about as often as real arXiv titles do."""
    rng = random.Random(0)
    invented = {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(size)}
    vocab = WORDS + sorted(invented)
    return vocab, list(itertools.accumulate(1.0 / (rank + 10) for rank in range(len(vocab))))


VOCAB, CUM_WEIGHTS = _vocabulary()
TEXT_VOCAB = VOCAB + GLUE
TEXT_CUM_WEIGHTS = list(
    itertools.accumulate([1.0 / (r + 10) for r in range(len(VOCAB))] + [0.05] * len(GLUE))
)


def _title(rng: random.Random) -> str:
    words = [
        w.capitalize() for w in rng.choices(VOCAB, cum_weights=CUM_WEIGHTS, k=rng.randint(5, 10))
    ]
    words.insert(rng.randint(1, len(words) - 1), rng.choice(GLUE))
    return " ".join(words)


def _abstract(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(5, 9)):
        body = " ".join(
            rng.choices(TEXT_VOCAB, cum_weights=TEXT_CUM_WEIGHTS, k=rng.randint(12, 24))
        )
        sentences.append(body.capitalize() + ".")
    return " ".join(sentences)


def _paper(i: int, rng: random.Random) -> dict[str, object]:
    year = 2007 + i % 18
    month = 1 + (i // 18) % 12
    day = 1 + i % 28
    authors = [(rng.choice(LAST), rng.choice(FIRST)) for _ in range(rng.randint(1, 6))]
    return {
        "id": f"{year % 100:02d}{month:02d}.{i % 100000:05d}",
        "submitter": f"{authors[0][1]} {authors[0][0]}",
        "authors": ", ".join(f"{f} {k}" for k, f in authors),
        "title": _title(rng),
        "comments": f"{rng.randint(5, 40)} pages",
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": " ".join(rng.sample(CATEGORIES, rng.randint(1, 3))),
        "license": None,
        "abstract": "  " + _abstract(rng) + "\n",
        "versions": [
            {"version": "v1", "created": f"Mon, {day} {MONTHS[month - 1]} {year} 10:00:00 GMT"}
        ],
        "update_date": f"{year}-{month:02d}-{day:02d}",
        "authors_parsed": [[k, f, ""] for k, f in authors],
    }


def _typo(title: str, rng: random.Random) -> str:
    words = title.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 7]
    if not long_words:
        return title.upper()
    i = rng.choice(long_words)
    w = words[i]
    j = rng.randint(1, len(w) - 3)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # swap two letters
    return " ".join(words)


def _bibtex(p: dict[str, object], i: int, rng: random.Random) -> str:
    authors = " and ".join(f"{k}, {f}" for k, f, _ in p["authors_parsed"])  # type: ignore[attr-defined]
    title = _typo(str(p["title"]), rng)
    return (
        f"@article{{dup{i},\n  title = {{{{{title}}}}},\n  author = {{{authors}}},\n"
        f"  journal = {{Journal of Generated Results}},\n  year = {{{p['update_date']!s:.4}}},\n"
        f"  eprint = {{{p['id']}}},\n  archiveprefix = {{arXiv}},\n"
        f"  doi = {{10.5555/jgr.{i}}},\n  abstract = {{{str(p['abstract']).strip()}}}\n}}\n\n"
    )


def _hf_entry(p: dict[str, object], rng: random.Random) -> str:
    abstract = str(p["abstract"]).strip()
    cut = abstract[: max(200, len(abstract) // 2)].rsplit(" ", 1)[0] + "…"
    n = len(p["authors_parsed"])  # type: ignore[arg-type]
    date = str(p["update_date"])
    y, m, d = date.split("-")
    return (
        f"{p['title']}\n\n{cut}\n\n  • {n} authors\n·\n"
        f"{MONTHS[int(m) - 1]} {int(d)}, {y} {rng.randint(1, 300)}\n\n"
    )


def _json_line(p: dict[str, object]) -> str:
    title = str(p["title"]).lower().replace(" ", " - ", 1)
    names = [f"{f} {k}" for k, f, _ in p["authors_parsed"]]  # type: ignore[attr-defined]
    return (
        json.dumps({"title": title, "abstract": str(p["abstract"]).strip(), "authors": names})
        + "\n"
    )


def generate(n: int) -> list[Path]:
    """Write (or reuse) the snapshot and the duplicate files for size n."""
    DATA.mkdir(parents=True, exist_ok=True)
    files = [
        DATA / f"snapshot-{n}.jsonl",
        DATA / f"dups-{n}.bib",
        DATA / f"dups-{n}-hf.txt",
        DATA / f"dups-{n}.jsonl",
    ]
    if all(f.exists() for f in files):
        return files
    rng = random.Random(n)
    dup_rng = random.Random(n + 1)
    with (
        files[0].open("w") as snap,
        files[1].open("w") as bib,
        files[2].open("w") as hf,
        files[3].open("w") as js,
    ):
        hf.write(
            "Get trending papers in your email inbox!\n\n"
            "byAK and the research community\n\nMar 3\n\n"
        )
        for i in range(n):
            p = _paper(i, rng)
            snap.write(json.dumps(p) + "\n")
            if i % 20 == 7:  # 5% duplicates, a third in each other format
                kind = (i // 20) % 3
                if kind == 0:
                    bib.write(_bibtex(p, i, dup_rng))
                elif kind == 1:
                    hf.write(_hf_entry(p, dup_rng))
                else:
                    js.write(_json_line(p))
    return files


def run_one(n: int) -> dict[str, object]:
    """Ingest size n into a fresh library in this process; report time, memory, counts."""
    from papersift.ingest.pipeline import ingest_file
    from papersift.store import open_store

    files = generate(n)
    db = DATA / f"bench-{n}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = open_store(db)
    rows = []
    total_records = 0
    start = time.perf_counter()
    for path in files:
        t0 = time.perf_counter()
        report = ingest_file(store, path)
        seconds = time.perf_counter() - t0
        total_records += report.read
        rows.append(
            (
                path.name,
                report.format,
                report.read,
                report.new,
                report.merged,
                len(report.skipped),
                seconds,
            )
        )
    elapsed = time.perf_counter() - start
    papers = store.stats().papers
    store.close()
    return {
        "n": n,
        "records": total_records,
        "seconds": elapsed,
        "records_per_s": total_records / elapsed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "papers": papers,
        "files": rows,
        "db_mb": db.stat().st_size / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--run-one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        print(json.dumps(run_one(args.run_one)))
        return
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, "
        f"{os.cpu_count()} cores, python {platform.python_version()}"
    )
    for n in args.sizes:
        generate(n)
        out = subprocess.run(
            [sys.executable, __file__, "--run-one", str(n)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout)
        for name, fmt, read, new, merged, skipped, seconds in r["files"]:
            print(
                f"  {name:24} {fmt:15} {read:8d} read {new:8d} new {merged:6d} merged "
                f"{skipped:4d} skipped {seconds:7.1f} s"
            )
        dups = r["records"] - n
        found = r["records"] - r["papers"]
        print(
            f"N={n:,}: {r['records']:,} records in {r['seconds']:.1f} s = "
            f"{r['records_per_s']:,.0f} records/s, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB "
            f"(parser process {r['worker_peak_rss_mb']:.0f} MB), "
            f"library {r['db_mb']:.0f} MB, "
            f"{r['papers']:,} papers ({found:,} of {dups:,} duplicates merged)"
        )


if __name__ == "__main__":
    main()
