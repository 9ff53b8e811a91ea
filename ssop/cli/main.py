"""The ``ssop`` console script: ``run()``.

``ssop --version`` is answered here, before Typer is imported; every other
call goes to the Typer app in ``cli/app.py``, which loads only the module of
the command that runs (see ``cli/groups.py``). ``app`` and ``funnel`` are
reachable from here too, imported when first named.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ssop import __version__
from ssop.cli import collector

if TYPE_CHECKING:
    from ssop.cli.app import app, funnel

__all__ = ["app", "funnel", "run"]


def run() -> None:
    """Console-script entry point."""
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(f"ssop {__version__}\n")
        return
    collector.for_a_short_command()
    from ssop.cli.app import app

    app()


def __getattr__(name: str) -> object:
    if name in ("app", "funnel"):
        from ssop.cli import app as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
