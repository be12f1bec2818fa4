"""The subsidy service (DESIGN.md §2)."""
