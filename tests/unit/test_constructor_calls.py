"""Constructors with more than five parameters are called by keyword.

Six positional values in a row are easy to swap unnoticed; such classes take
keyword-only arguments (``*``, ``kw_only=True`` or a ``KW_ONLY`` marker).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_POSITIONAL = 5


@cache
def sources() -> tuple[tuple[Path, ast.Module], ...]:
    paths = sorted(
        p for top in ("ssop", "tests", "bench") for p in (ROOT / top).rglob("*.py")
    )
    return tuple((p.relative_to(ROOT), ast.parse(p.read_text())) for p in paths)


def our_classes() -> set[str]:
    return {
        node.name
        for _, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }


def called_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def test_no_class_of_ours_gets_more_than_five_positional_arguments() -> None:
    classes = our_classes()
    offenders = [
        f"{path}:{node.lineno}: {called_name(node)}"
        for path, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and called_name(node) in classes
        and len(node.args) > MAX_POSITIONAL
    ]
    assert offenders == []


def test_no_init_takes_more_than_five_positional_parameters() -> None:
    offenders = [
        f"{path}:{node.lineno}"
        for path, tree in sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and node.name == "__init__"
        and len(node.args.posonlyargs + node.args.args) - 1 > MAX_POSITIONAL
    ]
    assert offenders == []
