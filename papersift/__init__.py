"""papersift: a self-hosted research-paper discovery and recommendation engine."""

import os

# Ranking is many small matrix products (a reader's model, a feed's few thousand
# candidates), for which OpenBLAS's threads spin more than they help: with one thread a
# feed over 100,000 papers took 128 ms instead of 215 (p95 142 instead of 305) while another
# job shared the cores. Read by numpy's OpenBLAS when numpy is first imported, so set here,
# before any of papersift's imports; a value the user set wins. (torch, which embeds, keeps
# its own threads.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
