"""``ssop report KIND``: overview, actions, servers, ai or errors over a window."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ssop.cli import report_view as view
from ssop.cli.render import emit
from ssop.cli.report_view import ReportFormat
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp()

Kind = Annotated[
    str,
    typer.Argument(metavar="KIND", help="overview, actions, servers, ai or errors."),
]
WindowOpt = Annotated[
    str | None,
    typer.Option("--window", help="The last 24h (default), 7d, 30d, 90d... up to now."),
]
SinceOpt = Annotated[
    str | None,
    typer.Option("--since", help="Start, ISO 8601 (UTC unless a zone is given)."),
]
UntilOpt = Annotated[
    str | None,
    typer.Option("--until", help="End, ISO 8601 (default: now)."),
]
ServerOpt = Annotated[
    list[str] | None,
    typer.Option("--server", help="Only this server (repeatable)."),
]
TagOpt = Annotated[
    str | None, typer.Option("--tag", help="Only servers with this tag.")
]
FormatOpt = Annotated[
    ReportFormat,
    typer.Option("--format", help="table (with charts), csv, json or markdown."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="PATH",
        help="Write to a file (replaced whole); for csv, a folder gets one file "
        "per table.",
    ),
]
TableOpt = Annotated[
    str | None, typer.Option("--table", help="Only this table of the report.")
]


@app.command("report")
def report(
    ctx: typer.Context,
    kind: Kind,
    window: WindowOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    server: ServerOpt = None,
    tag: TagOpt = None,
    fmt: FormatOpt = ReportFormat.TABLE,
    out: OutOpt = None,
    table: TableOpt = None,
) -> None:
    """Aggregates over a window, computed in the database (needs reports.read)."""
    from ssop.core.reports.service import report_kind

    st = state(ctx)
    report_kind(kind)
    built = st.store().reports.build(
        st.principal(),
        kind,
        window=window,
        since=since,
        until=until,
        servers=server or (),
        tag=tag,
    )
    if table is not None:
        built = view.only(built, table)
    _write(built, fmt, out)


def _write(built: view.Report, fmt: ReportFormat, out: Path | None) -> None:
    if fmt is ReportFormat.CSV:
        for note in built.notes:
            typer.echo(f"ssop: note: {note}", err=True)
        files = view.csv_files(built, out)
        if None in files:
            emit(files[None], out)
        else:
            view.write_all({p: t for p, t in files.items() if p is not None})
        return
    if fmt is ReportFormat.JSON:
        text = view.as_json(built)
    elif fmt is ReportFormat.MARKDOWN:
        text = view.as_markdown(built)
    else:
        text = view.as_text(built, to_terminal=out is None)
    emit(text, out)
