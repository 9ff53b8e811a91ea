"""The two statements ssop's rollups write differently on SQLite and MariaDB:
an insert that merges into an existing row, and a time cut to its hour or day."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, SQLModel

Merge = Callable[[Any, Any], dict[str, ColumnElement[Any]]]


def merging_insert(
    s: Session, model: type[SQLModel], keys: Sequence[str], merge: Merge
) -> Any:
    """INSERT into ``model``'s table of rows that, where a row with the same
    ``keys`` exists, set the columns ``merge(existing, inserted)`` names instead."""
    table: Any = model.__table__  # type: ignore[attr-defined]
    if s.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(table)
        return lite.on_conflict_do_update(
            index_elements=list(keys), set_=merge(table.c, lite.excluded)
        )
    from sqlalchemy.dialects.mysql import insert as mysql_insert

    my = mysql_insert(table)
    return my.on_duplicate_key_update(merge(table.c, my.inserted))


def truncated(s: Session, at: Any, unit: str) -> ColumnElement[Any]:
    """``at``'s hour or day (``unit``) as the database stores a UTC datetime."""
    hour = "%H" if unit == "hour" else "00"
    if s.get_bind().dialect.name == "sqlite":
        return func.strftime(f"%Y-%m-%d {hour}:00:00.000000", at)
    return func.date_format(at, f"%Y-%m-%d {hour}:00:00")
