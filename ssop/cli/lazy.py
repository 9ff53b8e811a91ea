"""A command group that imports a command's module only when it is used.

``ssop --help`` lists every command from the table in ``groups.py``, its
help line included, without importing any command module; ``ssop server
list`` imports ``server_cmd`` alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

from ssop.cli.groups import Entry
from ssop.cli.usage import UsageGroup

if TYPE_CHECKING:
    from typer._click import Command, Context, HelpFormatter


def load(entry: Entry) -> Command:
    """The Click command ``entry`` names, built from its module's Typer app."""
    module = importlib.import_module(f"ssop.cli.{entry.module}")
    app: typer.Typer = module.app
    built: TyperGroup = typer.main.get_group(app)
    if entry.is_group:
        built.name = entry.name
        return built
    found = built.commands.get(entry.name)
    if found is None:
        raise LookupError(f"ssop.cli.{entry.module} defines no command {entry.name!r}")
    return found


class LazyGroup(UsageGroup):
    """A group whose commands are the rows of ``table``, each loaded on first use."""

    table: ClassVar[tuple[Entry, ...]] = ()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._by_name = {entry.name: entry for entry in self.table}
        self._listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        return [*self._by_name, *(n for n in self.commands if n not in self._by_name)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        entry = self._by_name.get(cmd_name)
        if entry is None or cmd_name in self.commands:
            return self.commands.get(cmd_name)
        if self._listing:
            return TyperCommand(name=entry.name, help=entry.help)
        self.commands[cmd_name] = load(entry)
        return self.commands[cmd_name]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        # the listing needs each command's name and help line only: rows of
        # the table stand in for the commands, so no module is imported
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
