"""Names offered by shell completion: servers, actions and tags from the store.

Completion runs the CLI without invoking ``main``, so the state is built
here from the environment (SSOP_CONFIG, SSOP_TOKEN or the login session).
Anything that goes wrong (no store, not logged in, no permission) offers
nothing rather than printing into the user's shell.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated

import typer

from ssop.cli.state import CliState
from ssop.core.errors import SsopError

if TYPE_CHECKING:
    from ssop.core.fleet.servers import ServerView

log = logging.getLogger(__name__)


def _names(read: Callable[[CliState], Iterable[str]], incomplete: str) -> list[str]:
    state = CliState()
    try:
        found = sorted(set(read(state)))
    except (SsopError, OSError) as e:
        log.debug("completion: nothing offered: %s", e)
        return []
    finally:
        state.close()
    return [name for name in found if name.startswith(incomplete)]


def servers(incomplete: str) -> list[str]:
    return _names(lambda st: (v.name for v in _servers(st)), incomplete)


def tags(incomplete: str) -> list[str]:
    return _names(lambda st: (t for v in _servers(st) for t in v.tags), incomplete)


def actions(incomplete: str) -> list[str]:
    def read(st: CliState) -> Iterable[str]:
        return (a.name for a in st.store().actions.list(st.principal()))

    return _names(read, incomplete)


def _servers(st: CliState) -> Iterable[ServerView]:
    return st.store().servers.list(st.principal())


ServerName = Annotated[str, typer.Argument(autocompletion=servers)]
ActionName = Annotated[str, typer.Argument(autocompletion=actions)]
