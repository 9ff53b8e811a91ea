"""Printing results: tables for people, JSON and CSV for scripts.

Every command that offers ``--format`` prints through ``rows`` (a list of
records) or ``mapping`` (one record), so each format means the same thing
everywhere: JSON keeps numbers, booleans and lists typed (times in ISO 8601),
CSV has one header line, and a table never cuts an identifier. ``-o FILE``
writes the same text to a file, whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ssop.cli import tables
from ssop.core.errors import SsopError


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


FormatOption = Annotated[
    Format, typer.Option("--format", help="table for people; json or csv for scripts.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE (replaced whole) instead of standard output.",
    ),
]


def rows(
    columns: Sequence[str],
    data: Sequence[Sequence[Any]],
    fmt: Format = Format.TABLE,
    title: str | None = None,
    *,
    out: Path | None = None,
) -> None:
    """Records sharing ``columns``: a table, a JSON list of objects, or CSV."""
    if fmt is Format.JSON:
        text = dumps([dict(zip(columns, r, strict=True)) for r in data]) + "\n"
    elif fmt is Format.CSV:
        text = _csv(columns, [[_csv_cell(v) for v in r] for r in data])
    else:
        cells = [[cell(v) for v in r] for r in data]
        text = tables.render(columns, cells, title, to_terminal=out is None)
    emit(text, out)


def mapping(
    data: Mapping[str, Any], fmt: Format = Format.TABLE, *, out: Path | None = None
) -> None:
    """One record: ``key  value`` lines, a JSON object, or CSV with one row."""
    if fmt is Format.JSON:
        text = dumps(data) + "\n"
    elif fmt is Format.CSV:
        text = _csv(list(data), [[_csv_cell(v) for v in data.values()]])
    else:
        width = max((len(k) for k in data), default=0)
        text = "".join(f"{k.ljust(width)}  {cell(v)}\n" for k, v in data.items())
    emit(text, out)


def dumps(value: Any) -> str:
    """JSON as every command prints it: typed values, times in ISO 8601."""
    return json.dumps(value, default=_json_default, indent=2)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def _csv(columns: Sequence[str], data: Sequence[Sequence[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows(data)
    return buf.getvalue()


def cell(value: Any) -> str:
    """A value as a table shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Mapping):
        return " ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return str(value)


def _csv_cell(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else cell(value)


def emit(text: str, out: Path | None = None) -> None:
    """Print ``text``, or write it to ``out`` through a temporary file and a rename."""
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        _replace(out, text)
    except OSError as e:
        raise SsopError(f"cannot write {out}: {e.strerror or e}") from e


def _replace(path: Path, text: str) -> None:
    # a temporary file beside the target, renamed over it: readers see the
    # old file or the new one, never a half-written one
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def ok(message: str) -> None:
    typer.echo(message)


def when(value: datetime | None) -> str:
    """A UTC time to the minute, as every command shows times."""
    return "" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"
