"""Every runtime dependency in pyproject.toml is imported by ssop, on purpose.

A dependency nothing imports is installed on every server for nothing; the
few declared on purpose without an import say why in ``NOT_IMPORTED``.
"""

from __future__ import annotations

import ast
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]

NOT_IMPORTED: frozenset[str] = frozenset()


@cache
def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = (Requirement(r) for r in project["dependencies"])
    return {canonicalize_name(r.name): r for r in requirements}


@cache
def import_names() -> dict[str, set[str]]:
    """Top-level import names of each installed distribution."""
    names: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            names.setdefault(canonicalize_name(dist), set()).add(module)
    return names


def imports_of(dist: str) -> set[str]:
    return import_names().get(dist) or {dist.replace("-", "_")}


@cache
def imported() -> frozenset[str]:
    """Top-level names ssop's own modules import (absolute imports only)."""
    found: set[str] = set()
    for path in (ROOT / "ssop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return frozenset(found)


def test_every_runtime_dependency_is_imported() -> None:
    unused = [
        name
        for name in sorted(declared())
        if name not in NOT_IMPORTED and not imports_of(name) & imported()
    ]
    assert unused == [], "declared in pyproject.toml, imported by nothing in ssop"


def test_each_exception_is_still_declared_and_still_not_imported() -> None:
    stale = [
        name
        for name in sorted(NOT_IMPORTED)
        if name not in declared() or imports_of(name) & imported()
    ]
    assert stale == [], "drop these from NOT_IMPORTED"


def test_hiredis_comes_with_the_redis_extra_only() -> None:
    assert "hiredis" not in declared()
    assert declared()["redis"].extras == {"hiredis"}
