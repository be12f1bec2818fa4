"""Benchmarks (DESIGN.md §8): each ``bench/<name>.py`` measures its figure beside a baseline in
the same run, prints one JSON object on its last line and exits 1 when a target is missed;
``--smoke`` runs it small."""
