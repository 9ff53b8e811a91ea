"""Import hosts read from an inventory or an ssh_config as servers.

Each host is planned (add, update, skip, and why) and, unless it is a dry
run, carried out through ``ServerService`` one by one, so each gets its own
checks, host-key decision and audit row; a failed host does not stop the
others.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.errors import InvalidInput, SsopError
from ssop.core.fleet.import_sources import Imported
from ssop.core.fleet.server_input import (
    HostKeyDecision,
    KeySource,
    ServerChanges,
    ServerCreate,
)
from ssop.core.fleet.servers import ServerService, ServerView


class Verb(StrEnum):
    ADD = "add"
    UPDATE = "update"
    SKIP = "skip"
    FAIL = "fail"


@dataclass(frozen=True)
class ImportLine:
    name: str
    verb: Verb
    detail: str


@dataclass(frozen=True)
class ImportSummary:
    lines: tuple[ImportLine, ...]
    dry_run: bool

    def count(self, verb: Verb) -> int:
        return sum(1 for x in self.lines if x.verb is verb)


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    update: bool = False
    only: str | None = None


class FleetImporter:
    def __init__(self, servers: ServerService) -> None:
        self.servers = servers

    def run(
        self,
        who: Principal,
        hosts: Sequence[Imported],
        options: ImportOptions,
        decision: HostKeyDecision,
    ) -> ImportSummary:
        """Plan every host and, unless a dry run, add or update it.

        Raises:
            PermissionDenied: the caller lacks servers.write.
            InvalidInput: no host (left) to import, or a ProxyJump loop.
        """
        self.servers.auth.require(who, Capability.SERVERS_WRITE)
        chosen = _chosen(hosts, options.only)
        existing = {v.name: v for v in self.servers.list(who)}
        lines = [
            self._one(who, host, existing, options, decision)
            for host in _jump_order(chosen)
        ]
        return ImportSummary(tuple(lines), options.dry_run)

    def _one(
        self,
        who: Principal,
        host: Imported,
        existing: dict[str, ServerView],
        options: ImportOptions,
        decision: HostKeyDecision,
    ) -> ImportLine:
        try:
            current = existing.get(host.name)
            if current is None:
                return self._add(who, host, options.dry_run, decision)
            if not options.update:
                return ImportLine(host.name, Verb.SKIP, "exists (use --update)")
            return self._update(who, host, current, options.dry_run)
        except SsopError as e:
            return ImportLine(host.name, Verb.FAIL, e.message)

    def _add(
        self, who: Principal, host: Imported, dry: bool, decision: HostKeyDecision
    ) -> ImportLine:
        spec = ServerCreate(
            host.name,
            host.host,
            host.port,
            host.user,
            use_agent=host.key_file is None,
            key=KeySource(host.key_file) if host.key_file else None,
            tags=host.tags,
            jump=host.jump,
        )
        where = _where(host)
        if dry:
            return ImportLine(host.name, Verb.ADD, where)
        view = self.servers.add(who, spec, decision)
        return ImportLine(
            host.name, Verb.ADD, f"{where}; pinned {view.host_key_fingerprint}"
        )

    def _update(
        self, who: Principal, host: Imported, current: ServerView, dry: bool
    ) -> ImportLine:
        changes = _changes(host, current)
        if not changes.changed:
            return ImportLine(host.name, Verb.SKIP, "unchanged")
        detail = "changed: " + ", ".join(changes.changed)
        if not dry:
            self.servers.edit(who, host.name, changes)
        return ImportLine(host.name, Verb.UPDATE, detail)


def _changes(host: Imported, current: ServerView) -> ServerChanges:
    def differs(new: object, old: object) -> bool:
        return new is not None and new != old

    names_only = all("@" not in h and ":" not in h for h in host.jump)
    return ServerChanges(
        host=host.host if differs(host.host, current.host) else None,
        port=host.port if differs(host.port, current.port) else None,
        username=host.user if differs(host.user, current.username) else None,
        tags=host.tags if set(host.tags) - set(current.tags) else None,
        jump=host.jump if names_only and host.jump != current.jump else None,
    )


def _chosen(hosts: Sequence[Imported], only: str | None) -> list[Imported]:
    if not hosts:
        raise InvalidInput("the source lists no host")
    chosen = [h for h in hosts if only is None or fnmatch.fnmatchcase(h.name, only)]
    if not chosen:
        raise InvalidInput(f"host pattern {only!r} matches no host of the source")
    return chosen


def _jump_order(hosts: list[Imported]) -> list[Imported]:
    """Jump hosts before the hosts behind them; a ProxyJump loop refused."""
    by_name = {h.name: h for h in hosts}
    done: dict[str, Imported] = {}

    def visit(host: Imported, path: tuple[str, ...]) -> None:
        if host.name in path:
            chain = " -> ".join((*path, host.name))
            raise InvalidInput(f"a loop in the jump hosts (ProxyJump): {chain}")
        for hop in host.jump:
            if hop in by_name and hop not in done:
                visit(by_name[hop], (*path, host.name))
        done.setdefault(host.name, host)

    for host in hosts:
        visit(host, ())
    return list(done.values())


def _where(host: Imported) -> str:
    user = f"{host.user}@" if host.user else ""
    port = f":{host.port}" if host.port else ""
    via = f" via {','.join(host.jump)}" if host.jump else ""
    tags = f" tags {','.join(host.tags)}" if host.tags else ""
    return f"{user}{host.host}{port}{via}{tags}"
