"""Live sources: fetch listings over the network, remember how far each got, and feed the
records through the ingest pipeline (``papersift sync``).

``http`` is the polite client (spacing, retries, one error); ``arxiv`` harvests OAI-PMH
sets; ``hf`` reads Hugging Face Daily Papers. Parsing is pure and lives with the other
readers (``ingest/sources/oai_arxiv.py``, ``ingest/sources/hf_api.py``).
"""
