"""docs/policy-traceability.md stays true: every test a rule's row names exists, and carries
the rule's id (a `# R…` comment or its docstring), so `grep -rn R7.3 tests/` finds it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "policy-traceability.md"
NAMED = re.compile(r"`([\w/.]*)::(\w+)`")


def _tests_of_rows() -> list[tuple[str, Path, str]]:
    """(rule, file, test name) of every test the table names; ``::name`` continues the file
    named before it in the row."""
    named = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| (R\d+\.\d+) \|", line)
        if not match:
            continue
        rule, tests = match.group(1), line.rsplit(" | ", 1)[-1]
        current: Path | None = None
        for file, name in NAMED.findall(tests):
            if file:
                found = [ROOT / file] if "/" in file else [
                    p for p in (ROOT / "tests").rglob(file) if "browser" not in p.parts]
                assert len(found) == 1 and found[0].exists(), f"{rule}: no test file {file}"
                current = found[0]
            assert current is not None, f"{rule}: ::{name} names no file"
            named.append((rule, current, name))
    return named


def _body(source: str, name: str) -> str | None:
    """The text of test function ``name``: its def line to the next top-level statement (a
    signature's closing line belongs to it)."""
    match = re.search(rf"^def {name}\(.*?(?=^[A-Za-z_@#])", source + "\nend", re.S | re.M)
    return match.group(0) if match else None


def test_every_named_test_exists_and_carries_its_rule() -> None:
    named = _tests_of_rows()
    assert len(named) > 40
    missing, untagged = [], []
    for rule, file, name in named:
        body = _body(file.read_text(encoding="utf-8"), name)
        if body is None:
            missing.append(f"{rule}: {file.relative_to(ROOT)}::{name}")
        elif not re.search(rf"\b{re.escape(rule)}\b", body):
            untagged.append(f"{rule}: {file.relative_to(ROOT)}::{name}")
    assert missing == []
    assert untagged == []
