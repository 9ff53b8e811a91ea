"""A report in each format: tables (and charts), CSV, JSON, Markdown.

JSON is one document (report, window, filters, generation time, notes,
tables by name); CSV is one table per output, a folder getting one file per
table; several files are all written to temporary names first and renamed
only when every one was written, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from ssop.cli import render, tables
from ssop.cli.report_charts import chart
from ssop.core.errors import InvalidInput, SsopError
from ssop.core.reports.tables import Report, ReportTable

__all__ = ["Report", "ReportFormat"]


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    MARKDOWN = "markdown"


def as_json(report: Report) -> str:
    w = report.window
    doc = {
        "report": report.name,
        "window": {"since": w.since, "until": w.until, "bucket": w.bucket},
        "filters": {"servers": report.servers, "tag": report.tag},
        "generated_at": report.generated_at,
        "notes": list(report.notes),
        "tables": {t.name: t.records() for t in report.tables},
    }
    return render.dumps(doc) + "\n"


def as_csv(t: ReportTable) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(t.columns)
    writer.writerows([[_csv_cell(v) for v in r] for r in t.rows])
    return buf.getvalue()


def as_markdown(report: Report) -> str:
    parts = [f"# ssop report {report.name}\n\n{heading(report)}\n"]
    parts += [f"\n> {note}\n" for note in report.notes]
    for t in report.tables:
        parts.append(f"\n## {t.name}\n\n")
        parts.append("| " + " | ".join(t.columns) + " |\n")
        parts.append("|" + "---|" * len(t.columns) + "\n")
        for r in t.rows:
            cells = [_md_cell(v) for v in r]
            parts.append("| " + " | ".join(cells) + " |\n")
    return "".join(parts)


def as_text(report: Report, *, to_terminal: bool) -> str:
    parts = [f"ssop report {report.name}: {heading(report)}\n"]
    parts += [f"note: {note}\n" for note in report.notes]
    for t in report.tables:
        cells = [[render.cell(v) for v in r] for r in t.rows]
        parts.append("\n" + tables.render(t.columns, cells, t.name, to_terminal=False))
        if t.series and t.rows:
            parts.append("\n" + chart(t, to_terminal=to_terminal))
    return "".join(parts)


def heading(report: Report) -> str:
    w = report.window
    scope = (
        f"tag {report.tag}"
        if report.tag
        else ", ".join(report.servers)
        if report.servers
        else "all servers"
    )
    per = "hourly" if w.bucket == "hour" else "daily"
    return (
        f"{render.when(w.since)} to {render.when(w.until)} ({per}), {scope}; "
        f"generated {render.when(report.generated_at)}"
    )


def only(report: Report, name: str) -> Report:
    """The report with its table ``name`` alone (--table)."""
    return replace(report, tables=(report.table(name),))


def csv_files(report: Report, folder: Path | None) -> Mapping[Path | None, str]:
    """The CSV text of each output: one table (to ``folder`` when it is a
    file), or one file per table when ``folder`` is a folder."""
    if folder is not None and folder.is_dir():
        return {
            folder / f"{report.name}-{t.name}.csv": as_csv(t) for t in report.tables
        }
    if len(report.tables) == 1:
        return {folder: as_csv(report.tables[0])}
    names = ", ".join(t.name for t in report.tables)
    raise InvalidInput(
        f"report {report.name} has {len(report.tables)} tables ({names}): "
        "name one with --table, or give -o a folder for one CSV file each"
    )


def write_all(files: Mapping[Path, str]) -> None:
    """Write every file or none: all to temporary names, then all renamed."""
    done: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            done.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
    except OSError as e:
        _remove(tmp for tmp, _ in done)
        raise SsopError(f"cannot write {path}: {e.strerror or e}") from e
    for i, (tmp, path) in enumerate(done):
        try:
            os.replace(tmp, path)
        except OSError as e:
            _remove(tmp for tmp, _ in done[i:])
            raise SsopError(f"cannot write {path}: {e.strerror or e}") from e


def _remove(paths: Iterable[str]) -> None:
    for tmp in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _csv_cell(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else render.cell(value)


def _md_cell(value: Any) -> str:
    return render.cell(value).replace("|", "\\|")
