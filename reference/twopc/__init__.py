"""Two-phase commit reference (docstring written below)."""
