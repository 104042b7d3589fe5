"""The house's dependencies point one way: web → domain → models, with parsers, builders, mail and storage
as leaves that the domain or the web layer call, and one clock below them all. Read from the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "comments"
# What the domain must never import: those call the domain or read its values, never the reverse.
ABOVE_OR_BESIDE_THE_DOMAIN = (
    "comments.blueprints",
    "comments.exports",
    "comments.ingestion",
    "comments.mail",
    "comments.worker",
    "comments.cli",
    "comments.demo",
)
# Leaves know nothing of the web layer, the worker or the commands that call them.
ABOVE_THE_LEAVES = ("comments.blueprints", "comments.worker", "comments.cli", "comments.demo")


def module_name(path: Path) -> str:
    if not path.is_relative_to(PACKAGE):
        return path.stem
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, as absolute names."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules_under(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (PACKAGE / package).rglob("*.py"))


def offending(paths: list[Path], forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        bad = sorted(name for name in imports_of(path) if name.startswith(forbidden))
        if bad:
            found[module_name(path)] = bad
    return found


def test_the_domain_imports_no_web_layer_parser_builder_or_mail():
    assert offending(modules_under("domain"), ABOVE_OR_BESIDE_THE_DOMAIN) == {}


def test_no_model_imports_the_domain():
    assert offending(modules_under("models"), ("comments.domain", *ABOVE_OR_BESIDE_THE_DOMAIN)) == {}


@pytest.mark.parametrize("leaf", ["ingestion", "exports", "mail"])
def test_leaves_know_nothing_of_what_calls_them(leaf):
    assert offending(modules_under(leaf), ABOVE_THE_LEAVES) == {}


def test_the_modules_below_the_domain_import_nothing_above_them():
    below = [
        PACKAGE / name
        for name in ("clock.py", "text.py", "storage.py", "transactions.py", "permissions.py", "sandbox.py")
    ]
    assert offending(below, ("comments.domain", "comments.models", *ABOVE_OR_BESIDE_THE_DOMAIN)) == {}


def test_one_clock_read_through_its_module():
    """Only comments/clock.py reads the system clock, and nobody binds its ``now`` at import: a frozen
    test clock then holds for every line of the service."""
    readers, bound = [], []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("now", "utcnow", "today")
                and isinstance(node.value, ast.Name)
                and node.value.id in ("datetime", "date")
                and path.name != "clock.py"
            ):
                readers.append(f"{module_name(path)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "comments.clock":
                bound.extend(f"{module_name(path)}:{node.lineno}" for alias in node.names if alias.name == "now")
    assert readers == []
    assert bound == []


def test_the_layer_check_sees_a_wrong_way_import(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def build():\n    from comments.exports.packet_csv import packet_csv\n", encoding="utf-8")
    assert imports_of(wrong) >= {"comments.exports.packet_csv", "comments.exports.packet_csv.packet_csv"}
    assert offending([wrong], ABOVE_OR_BESIDE_THE_DOMAIN) != {}
