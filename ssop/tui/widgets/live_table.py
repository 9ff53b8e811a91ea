"""A DataTable that applies a new set of rows by difference, and flashes changes.

Each row carries the data it is drawn from; a row is drawn again only when
its data changed, and then only the cells that differ are rewritten, so a
round of updates over a thousand servers touches the few that moved. The
rewritten cells are shown highlighted for ``FLASH_S`` seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

CHANGED_STYLE = "reverse"
FLASH_S = 2.0


@dataclass(frozen=True)
class LiveRow:
    key: str
    # compared with ==: what the row is drawn from (a frozen view, a tuple)
    data: Any


Cells = tuple[Any, ...]


class LiveTable(DataTable[Any]):
    """Rows keyed by a string; ``sync`` returns the keys that changed."""

    DEFAULT_CSS = "LiveTable { height: 1fr; }"

    def __init__(
        self,
        columns: Sequence[str],
        *,
        cells: Callable[[Any], Cells],
        search: Callable[[Any], str],
        widths: Sequence[int | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.column_names = tuple(columns)
        self.cells_of = cells
        self.search_of = search
        # Fixed widths spare measuring every cell of a thousand rows
        self.widths: tuple[int | None, ...] = (
            tuple(widths) if widths else (None,) * len(columns)
        )
        self._known: dict[str, Any] = {}
        self._drawn: dict[str, Cells] = {}
        self._flashing: dict[str, set[int]] = {}
        self.needle = ""
        self.sort_column: int | None = None
        self.sort_reverse = False

    def on_mount(self) -> None:
        for name, width in zip(self.column_names, self.widths, strict=True):
            self.add_column(name, key=name, width=width)

    @property
    def shown(self) -> list[str]:
        """The keys on screen, in display order."""
        return [str(r.key.value) for r in self.ordered_rows]

    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def sync(self, rows: Sequence[LiveRow], *, flash: bool = True) -> list[str]:
        """Show ``rows`` (those matching ``needle``); the keys added or changed."""
        wanted = [r for r in rows if self._matches(r)]
        keep = {r.key for r in wanted}
        for gone in [k for k in self._known if k not in keep]:
            self.remove_row(gone)
            del self._known[gone], self._drawn[gone]
            self._flashing.pop(gone, None)
        flash = flash and bool(self._known)
        changed: list[str] = []
        added = False
        for row in wanted:
            if self._changed(row):
                changed.append(row.key)
                added = self._put(row, flash=flash) or added
        if flash and changed:
            self.set_timer(FLASH_S, self.settle)
        if self.sort_column is None:
            if added and self.shown != [r.key for r in wanted]:
                self._reorder(wanted)
        else:
            self._resort()
        return changed

    def settle(self) -> None:
        """Draw the flashed cells normally again."""
        for key, columns in self._flashing.items():
            for i in columns:
                self.update_cell(key, self.column_names[i], self._drawn[key][i])
        self._flashing.clear()

    def refilter(self, needle: str, rows: Sequence[LiveRow]) -> None:
        self.needle = needle.strip().lower()
        self.sync(rows, flash=False)

    def sort_by(self, column: int) -> None:
        if self.sort_column == column:
            self.sort_reverse = not self.sort_reverse
        self.sort_column = column
        self._resort()

    def _matches(self, row: LiveRow) -> bool:
        return not self.needle or self.needle in self.search_of(row.data).lower()

    def _changed(self, row: LiveRow) -> bool:
        return row.key not in self._known or self._known[row.key] != row.data

    def _put(self, row: LiveRow, *, flash: bool) -> bool:
        """Draw ``row``; True when it is new (added at the end)."""
        cells = self.cells_of(row.data)
        before = self._drawn.get(row.key)
        self._known[row.key], self._drawn[row.key] = row.data, cells
        if before is None:
            self.add_row(*cells, key=row.key)
            return True
        for i, (new, old) in enumerate(zip(cells, before, strict=True)):
            if _same(new, old):
                continue
            shown = _flashed(new) if flash else new
            name, fixed = self.column_names[i], self.widths[i]
            self.update_cell(row.key, name, shown, update_width=fixed is None)
            if flash:
                self._flashing.setdefault(row.key, set()).add(i)
        return False

    def _reorder(self, rows: Sequence[LiveRow]) -> None:
        """Draw ``rows`` in their order (new rows were added at the end, e.g. a
        new run that belongs on top); the cursor stays on its row."""
        at = self.selected_key()
        self.clear()
        for row in rows:
            flashing = self._flashing.get(row.key, set())
            cells = [
                _flashed(c) if i in flashing else c
                for i, c in enumerate(self._drawn[row.key])
            ]
            self.add_row(*cells, key=row.key)
        if at is not None and at in self._known:
            self.move_cursor(row=self.get_row_index(at))

    def _resort(self) -> None:
        if self.sort_column is None:
            return
        name = self.column_names[self.sort_column]
        self.sort(name, key=_sort_key, reverse=self.sort_reverse)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Text) and isinstance(b, Text):
        return (a.plain, a.style, a.spans) == (b.plain, b.style, b.spans)
    return bool(a == b)


def _flashed(cell: Any) -> Text:
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.stylize(CHANGED_STYLE)
    return text


def _sort_key(cell: Any) -> tuple[int, Any]:
    text = str(cell.plain if isinstance(cell, Text) else cell)
    # a number sorts by its value, also after a sparkline ("▂▅▇  74%")
    last = text.split()[-1] if text.strip() else text
    try:
        return (0, float(last.rstrip("%s")))
    except ValueError:
        return (1, str(text))
