"""A DataTable that applies a new set of rows by difference, and flashes changes.

Only rows whose cells changed are rewritten, so a round of updates over a
thousand servers touches the few that moved. Changed rows are shown
highlighted until the next ``settle``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

CHANGED_STYLE = "reverse"
FLASH_S = 2.0


@dataclass(frozen=True)
class Row:
    key: str
    cells: tuple[Any, ...]
    # what the filter matches (name, tags, ...), lower case
    search: str = ""


class LiveTable(DataTable[Any]):
    """Rows keyed by a string; ``sync`` returns the keys that changed."""

    DEFAULT_CSS = "LiveTable { height: 1fr; }"

    def __init__(self, columns: Sequence[str], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.column_names = tuple(columns)
        self._rows: dict[str, Row] = {}
        self._flashing: set[str] = set()
        self.needle = ""
        self.sort_column: int | None = None
        self.sort_reverse = False

    def on_mount(self) -> None:
        for name in self.column_names:
            self.add_column(name, key=name)

    @property
    def shown(self) -> list[str]:
        """The keys on screen, in display order."""
        return [str(r.key.value) for r in self.ordered_rows]

    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def sync(self, rows: Sequence[Row], *, flash: bool = True) -> list[str]:
        """Show ``rows`` (filtered by ``needle``); the keys added or changed."""
        wanted = {r.key: r for r in rows if self._matches(r)}
        for gone in [k for k in self._rows if k not in wanted]:
            self.remove_row(gone)
            del self._rows[gone]
        changed = [
            k
            for k, r in wanted.items()
            if k not in self._rows or _signature(self._rows[k]) != _signature(r)
        ]
        first = not self._rows
        for key in changed:
            self._put(wanted[key], highlight=flash and not first)
        if flash and not first and changed:
            self._flashing |= set(changed)
            self.set_timer(FLASH_S, self.settle)
        self._resort()
        return changed

    def settle(self) -> None:
        """Draw the flashed rows normally again."""
        for key in self._flashing & self._rows.keys():
            self._put(self._rows[key], highlight=False)
        self._flashing.clear()

    def refilter(self, needle: str, rows: Sequence[Row]) -> None:
        self.needle = needle.strip().lower()
        self.sync(rows, flash=False)

    def sort_by(self, column: int) -> None:
        if self.sort_column == column:
            self.sort_reverse = not self.sort_reverse
        self.sort_column = column
        self._resort()

    def _matches(self, row: Row) -> bool:
        return not self.needle or self.needle in (row.search or row.key).lower()

    def _put(self, row: Row, *, highlight: bool) -> None:
        cells = [_styled(c, CHANGED_STYLE if highlight else "") for c in row.cells]
        if row.key in self._rows:
            for name, cell in zip(self.column_names, cells, strict=True):
                self.update_cell(row.key, name, cell, update_width=True)
        else:
            self.add_row(*cells, key=row.key)
        self._rows[row.key] = row

    def _resort(self) -> None:
        if self.sort_column is None:
            return
        name = self.column_names[self.sort_column]
        self.sort(name, key=_sort_key, reverse=self.sort_reverse)


def _signature(row: Row) -> tuple[object, ...]:
    """What a row looks like (rich Text compares by identity, not content)."""
    return tuple(c.markup if isinstance(c, Text) else c for c in row.cells)


def _styled(cell: Any, style: str) -> Any:
    if not style:
        return cell
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.stylize(style)
    return text


def _sort_key(cell: Any) -> tuple[int, Any]:
    text = cell.plain if isinstance(cell, Text) else cell
    try:
        return (0, float(str(text).rstrip("%s")))
    except ValueError:
        return (1, str(text))
