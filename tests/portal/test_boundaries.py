"""The portal talks to the platform over HTTP only, and ships what it needs to run."""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

PORTAL = Path(__file__).resolve().parents[2] / "portal"
FORBIDDEN = ("services", "gateway")


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_portal_imports_nothing_from_services_or_gateway() -> None:
    offenders = {
        str(path.relative_to(PORTAL)): sorted(
            n for n in _imported(ast.parse(path.read_text())) if n.split(".")[0] in FORBIDDEN)
        for path in PORTAL.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_compiled_english_catalogue_is_the_po_file() -> None:
    folder = PORTAL / "translations" / "en" / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as po, (folder / "messages.mo").open("rb") as mo:
        source = {m.id: m.string for m in read_po(po) if m.id and m.string}
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert compiled == source, "run: pybabel compile -d portal/translations"


def test_no_page_loads_anything_from_elsewhere() -> None:
    for path in [*PORTAL.rglob("*.html"), *PORTAL.rglob("*.css")]:
        text = path.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path
        assert "<script" not in text, f"{path}: no flow needs JavaScript"
