"""The map of the library: a 2-D layout of the papers' vectors (layout.py), its regions
and their names (labels.py), building and updating it in the library (build.py), and what
a reader is shown on it (view.py)."""
