"""The layers (DESIGN.md §5): contracts ← servicekit ← services ← gateway ← portal. Checked on
the imports every module's source names, function-local ones included."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir()
                  if (p / "__init__.py").exists())


def _package_of(path: Path) -> list[str]:
    return list(path.relative_to(ROOT).parent.parts)


def _imports(path: Path, package: list[str]) -> Iterator[str]:
    """Every module ``path`` imports, relative imports resolved against ``package``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            if node.module:
                yield module
            else:  # from . import x: each name may be a module
                yield from (f"{module}.{alias.name}" for alias in node.names)


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in _imports(path, _package_of(path)):
            if any(name == f or name.startswith(f"{f}.") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)}: {name}")
    return found


def test_the_import_parser_sees_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom . import matching\nfrom ..subsidy import domain\n"
                      "def f():\n    from gateway.rpc import call\n", encoding="utf-8")
    assert set(_imports(sample, ["services", "evaluation"])) == {
        "os", "services.evaluation.matching", "services.subsidy", "gateway.rpc"}


def test_the_gateway_imports_no_service() -> None:
    assert _violations("gateway", ("services",)) == []


def test_contracts_import_no_service() -> None:
    assert _violations("contracts", ("services",)) == []


def test_the_kit_imports_no_service_and_no_gateway() -> None:
    assert _violations("servicekit", ("services", "gateway")) == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = tuple(f"services.{other}" for other in SERVICES if other != service)
    assert _violations(f"services/{service}", others) == []


@pytest.mark.skipif(not (ROOT / "portal").is_dir(), reason="no portal in this tree")
def test_the_portal_imports_no_service_and_no_gateway() -> None:
    assert _violations("portal", ("services", "gateway")) == []
