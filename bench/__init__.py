"""Performance benchmark of the alanews crawler: ``python -m bench`` (see bench/__main__.py)."""
