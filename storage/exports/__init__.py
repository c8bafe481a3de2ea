"""Exports: datasets (`dataset.py`, `registry.py`), files (`writers.py`), the audit (`log.py`)."""
