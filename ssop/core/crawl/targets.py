"""Which servers a crawl visits and what it runs on each.

A server with any built-in get action assigned gets the combined readings
command (counting failed SSH logins too when get_auth_failures is); each
assigned custom get action whose parameters all have defaults runs on its own
(one needing a value cannot run unattended). A server with neither is skipped,
not failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlmodel import Session

from ssop.core.actions.spec import ActionSpec
from ssop.core.actions.stored import spec_of
from ssop.core.crawl.host_visit import CrawlTarget
from ssop.core.errors import InvalidInput, NotFound
from ssop.core.fleet.jump_chain import spec_with_jumps
from ssop.core.models import Action, Server
from ssop.core.models.action import AUTH_READING
from ssop.core.store.fleet_repo import FleetRepo
from ssop.core.store.server_repo import ServerRepo
from ssop.core.transport.connection_spec import ConnectionSpec

log = logging.getLogger(__name__)


def load_targets(
    s: Session, names: Sequence[str] = (), tag: str | None = None
) -> tuple[list[CrawlTarget], tuple[str, ...]]:
    """Targets, and the names of servers skipped for having no get action.

    Named servers are crawled even when disabled; otherwise only enabled
    ones are.

    Raises:
        NotFound: a named server does not exist.
    """
    repo = FleetRepo(s)
    servers = repo.servers(names, None if names else tag, enabled_only=not names)
    _check_found(names, servers)
    if names and tag:
        servers = repo.servers(names, tag, enabled_only=False)
    actions = repo.get_actions([x.id for x in servers if x.id is not None])
    lookup = _jump_lookup(s)
    targets, skipped = [], []
    for server in servers:
        try:
            reach = spec_with_jumps(server, lookup)
        except (InvalidInput, NotFound) as e:
            log.warning("server %s: not crawled: %s", server.name, e.message)
            skipped.append(server.name)
            continue
        target = _target(reach, server, actions.get(server.id or 0, []))
        if target.readings or target.custom:
            targets.append(target)
        else:
            skipped.append(server.name)
    return targets, tuple(skipped)


def _check_found(names: Sequence[str], servers: list[Server]) -> None:
    missing = sorted(set(names) - {x.name for x in servers})
    if missing:
        raise NotFound(
            f"no server named {', '.join(map(repr, missing))}",
            hint="see: ssop server list",
        )


def _jump_lookup(s: Session) -> Callable[[str], Server | None]:
    """Find jump hosts by name, each read once per crawl."""
    repo = ServerRepo(s)
    seen: dict[str, Server | None] = {}

    def find(name: str) -> Server | None:
        if name not in seen:
            seen[name] = repo.find(name)
        return seen[name]

    return find


def _target(
    reach: ConnectionSpec, server: Server, actions: list[Action]
) -> CrawlTarget:
    readings = any(a.builtin for a in actions)
    custom = tuple(
        spec
        for a in actions
        if not a.builtin and (spec := _runnable(server, a)) is not None
    )
    auth = any(a.builtin and a.name == AUTH_READING for a in actions)
    return CrawlTarget(reach, readings, custom, auth)


def _runnable(server: Server, action: Action) -> ActionSpec | None:
    try:
        spec = spec_of(action)
    except InvalidInput as e:
        log.warning(
            "server %s: skipping get action %s: %s", server.name, action.name, e.message
        )
        return None
    if any(p.default is None for p in spec.params):
        log.debug(
            "server %s: get action %s needs parameter values, not crawled",
            server.name,
            action.name,
        )
        return None
    return spec
