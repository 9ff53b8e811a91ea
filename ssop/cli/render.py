"""Printing results: tables for people, JSON and CSV for scripts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

# rich is imported where a table is drawn: `ssop daemon` runs through this
# CLI and would otherwise carry rich's modules all day.


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[Format, typer.Option("--format")]


def console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def rows(
    columns: Sequence[str],
    data: Sequence[Sequence[Any]],
    fmt: Format = Format.TABLE,
    title: str | None = None,
) -> None:
    if fmt is Format.JSON:
        typer.echo(
            json.dumps(
                [dict(zip(columns, r, strict=True)) for r in data],
                default=str,
                indent=2,
            )
        )
    elif fmt is Format.CSV:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(columns)
        writer.writerows([[_cell(v) for v in r] for r in data])
        typer.echo(buf.getvalue(), nl=False)
    else:
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for column in columns:
            table.add_column(column)
        for r in data:
            table.add_row(*(_cell(v) for v in r))
        console().print(table)


def mapping(data: dict[str, Any], fmt: Format = Format.TABLE) -> None:
    if fmt is Format.JSON:
        typer.echo(json.dumps(data, default=str, indent=2))
        return
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        typer.echo(f"{key.ljust(width)}  {_cell(value)}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def ok(message: str) -> None:
    typer.echo(message)


def when(value: datetime | None) -> str:
    """A UTC time to the minute, as every command shows times."""
    return "" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"
