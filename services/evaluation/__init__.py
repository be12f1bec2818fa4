"""The evaluation service (DESIGN.md §2)."""
