"""papersift: a self-hosted research-paper discovery and recommendation engine."""

__version__ = "0.1.0"
