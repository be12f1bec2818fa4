"""The applications service (DESIGN.md §2)."""
