"""``ssop crawl``: crawl servers now and show what they said."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import complete, crawl_view, render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp
from ssop.core.crawl.report import CrawlInterrupted

app = CommandApp()


@app.command("crawl")
def crawl(
    ctx: typer.Context,
    servers: Annotated[
        list[str] | None,
        typer.Argument(
            help="Servers to crawl (default: all enabled).",
            autocompletion=complete.servers,
        ),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag", help="Only servers with this tag.", autocompletion=complete.tags
        ),
    ] = None,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Crawl servers once now: store their readings and show them.

    Ctrl-C stops at once: no further server is started, commands still
    running are ended on their hosts, what finished is stored and shown,
    and the exit status is 130.
    """
    st = state(ctx)
    crawler = st.store().crawler
    who = st.principal()
    try:
        with crawl_view.progress_bar() as progress:
            report = crawler.crawl(who, servers or (), tag, progress)
    except CrawlInterrupted as e:
        crawl_view.show(e.report, fmt)
        crawl_view.interrupted(e.report)
        raise
    crawl_view.show(report, fmt)
    crawl_view.refuse_failures(report)
