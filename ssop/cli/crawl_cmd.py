"""``ssop crawl``: crawl servers now and show what they said."""

from __future__ import annotations

from typing import Annotated

import typer

from ssop.cli import crawl_view, render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp

app = CommandApp()


@app.command("crawl")
def crawl(
    ctx: typer.Context,
    servers: Annotated[
        list[str] | None,
        typer.Argument(help="Servers to crawl (default: all enabled)."),
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", help="Only servers with this tag.")
    ] = None,
    fmt: render.FormatOption = render.Format.TABLE,
) -> None:
    """Crawl servers once now: store their readings and show them."""
    st = state(ctx)
    crawler = st.store().crawler
    who = st.principal()
    with crawl_view.progress_bar() as progress:
        report = crawler.crawl(who, servers or (), tag, progress)
    crawl_view.show(report, fmt)
    crawl_view.refuse_failures(report)
