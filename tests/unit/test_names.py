"""A class name means one thing across ssop: each is defined in one module only.

Counts every module-level class and type alias (``X: TypeAlias = ...``,
``type X = ...``, and CapWords assignments such as ``X = Callable[...]``).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import ssop

ROOT = Path(ssop.__file__).parent


def is_type_name(name: str) -> bool:
    """CapWords, as PEP 8 names types; ALL_CAPS constants are not."""
    bare = name.lstrip("_")
    return bare[:1].isupper() and not bare.isupper()


def alias_target(node: ast.stmt) -> str | None:
    if (
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and ast.unparse(node.annotation).endswith("TypeAlias")
    ):
        return node.target.id
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name) and is_type_name(target.id):
            return target.id
    return None


def defined_names(tree: ast.Module) -> Iterator[str]:
    type_alias = getattr(ast, "TypeAlias", None)  # the ``type`` statement, 3.12+
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            yield node.name
        elif type_alias is not None and isinstance(node, type_alias):
            yield node.name.id
        elif (name := alias_target(node)) is not None:
            yield name


def definitions() -> dict[str, list[str]]:
    where: dict[str, list[str]] = defaultdict(list)
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for name in defined_names(tree):
            where[name].append(str(path.relative_to(ROOT.parent)))
    return where


def test_each_class_and_type_alias_name_is_defined_once() -> None:
    twice = {name: paths for name, paths in definitions().items() if len(paths) > 1}
    assert twice == {}


def test_the_walk_sees_classes_and_aliases() -> None:
    where = definitions()
    assert where["StepReport"] == ["ssop/core/work.py"]
    assert where["ShouldStop"] == ["ssop/core/work.py"]
    assert where["GateCheck"] == ["ssop/core/policy/gates.py"]
