"""The matching service (DESIGN.md §2)."""
