"""Every command of ``ssop``, found by walking the Click tree Typer builds."""

from __future__ import annotations

from collections.abc import Iterator

import typer
from typer.core import TyperGroup

from ssop.cli.main import app

Path = tuple[str, ...]


def nodes() -> Iterator[tuple[Path, typer.core.TyperCommand | TyperGroup]]:
    """The root group, every sub-group and every command, with its path."""
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    yield from _walk(root, ())


def commands() -> Iterator[tuple[Path, typer.core.TyperCommand]]:
    """Every runnable command (no groups)."""
    for path, node in nodes():
        if isinstance(node, typer.core.TyperCommand):
            yield path, node


def with_option(option: str) -> list[Path]:
    """The paths of the commands that offer ``option``."""
    return [
        path
        for path, command in commands()
        if any(option in param.opts for param in command.params)
    ]


def _walk(
    node: typer.core.TyperCommand | TyperGroup, path: Path
) -> Iterator[tuple[Path, typer.core.TyperCommand | TyperGroup]]:
    yield path, node
    if isinstance(node, TyperGroup):
        ctx = typer.Context(node, info_name=path[-1] if path else "ssop")
        for name in node.list_commands(ctx):
            child = node.get_command(ctx, name)
            assert isinstance(child, (typer.core.TyperCommand, TyperGroup)), name
            yield from _walk(child, (*path, name))
