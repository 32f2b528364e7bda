"""Reading listings into records (sources/), deduplicating them (dedup.py)."""
