"""Servers: add, edit, remove, list, show, test, and pin host keys.

Private keys and passphrases are encrypted with the master key before they
reach a session, and decrypted only by the transport factory when
connecting. A remote server's host key is pinned only after an explicit
decision (a matching fingerprint, trust on first use, or a person's yes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ssop.core.accounts.access import require_in
from ssop.core.accounts.auth import AuthService
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import AuditService, record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.errors import Conflict, HostKeyUnknown, InvalidInput
from ssop.core.fleet.jump_chain import (
    hop_names,
    require_no_riders,
    spec_with_jumps,
)
from ssop.core.fleet.jump_hops import JumpHops
from ssop.core.fleet.server_keys import (
    HostKeyGate,
    HostKeyScanner,
    JumpScanner,
    SealedKey,
    seal_key,
)
from ssop.core.models import Server
from ssop.core.store.db import SessionFactory
from ssop.core.store.server_repo import ServerRepo
from ssop.core.transport.base import Command, CommandResult, HostKey
from ssop.core.transport.connection_spec import ConnectionSpec
from ssop.core.transport.pool import TransportPool

if TYPE_CHECKING:
    from ssop.core.fleet.server_input import (
        HostKeyDecision,
        KeySource,
        ServerChanges,
        ServerCreate,
    )
    from ssop.core.secrets.secretbox import SecretBox

log = logging.getLogger(__name__)

READ, WRITE = Capability.SERVERS_READ, Capability.SERVERS_WRITE
# plain argvs, no shell: the local transport runs them as they are
PROBE_KERNEL = Command.of("uname", "-srm")
PROBE_RELEASE = Command.of("cat", "/etc/os-release")


@dataclass(kw_only=True, frozen=True)
class ServerView:
    """What a server looks like to a user: never any secret."""

    name: str
    host: str
    port: int
    username: str
    local: bool
    auth: str
    key_fingerprint: str | None
    host_key_fingerprint: str | None
    tags: tuple[str, ...]
    description: str
    enabled: bool
    jump: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssignedAction:
    name: str
    automatic: bool
    risk: str
    enabled: bool


@dataclass(frozen=True)
class ServerDetail:
    server: ServerView
    actions: tuple[AssignedAction, ...]


@dataclass(frozen=True)
class ServerTestResult:
    """``connect_ms`` covers connecting plus the first command;
    ``latency_ms`` one more command over the open connection."""

    name: str
    connect_ms: float
    latency_ms: float
    os: str
    host_key_fingerprint: str | None


def view_of(server: Server, tags: list[str]) -> ServerView:
    auth = "local" if server.local else ("agent" if server.use_agent else "key")
    return ServerView(
        name=server.name,
        host=server.host,
        port=server.port,
        username=server.username,
        local=server.local,
        auth=auth,
        key_fingerprint=server.key_fingerprint,
        host_key_fingerprint=server.host_key_fingerprint,
        tags=tuple(tags),
        description=server.description,
        enabled=server.enabled,
        jump=hop_names(server.jump),
    )


class ServerService:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        auth: AuthService,
        audit: AuditService,
        secrets: Callable[[], SecretBox],
        pool: TransportPool,
        scan: HostKeyScanner,
        connect_timeout: float,
        command_timeout: float = 30.0,
        scan_through: JumpScanner | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.auth = auth
        self.audit = audit
        self.secrets = secrets
        self.pool = pool
        self.scan = scan
        self.gate = HostKeyGate(scan, connect_timeout, scan_through)
        self.connect_timeout = connect_timeout
        self.command_timeout = command_timeout

    @refusals_audited("server.list", "{tag}")
    def list(self, who: Principal, tag: str | None = None) -> list[ServerView]:
        """Every server (with ``tag``, only those), by name.

        Raises:
            PermissionDenied: the caller lacks servers.read.
        """
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, READ)
            repo = ServerRepo(s)
            tags = repo.tags_by_server()
            return [view_of(x, tags.get(x.id or 0, [])) for x in repo.list(tag)]

    @refusals_audited("server.show", "{name}")
    def show(self, who: Principal, name: str) -> ServerDetail:
        """One server with the actions assigned to it.

        Raises:
            PermissionDenied: the caller lacks servers.read.
            NotFound: no server is called ``name``.
        """
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, READ)
            repo = ServerRepo(s)
            server = repo.get(name)
            from ssop.core.store.action_repo import AssignmentRepo

            assigned = AssignmentRepo(s).assigned(server.id or 0)
            actions = tuple(
                AssignedAction(a.name, link.automatic, a.risk, a.enabled)
                for a, link in assigned
            )
            return ServerDetail(view_of(server, repo.tags(server.id or 0)), actions)

    @refusals_audited("server.add", "{spec.name}")
    def add(
        self, who: Principal, spec: ServerCreate, decision: HostKeyDecision
    ) -> ServerView:
        """Store a new server; a remote one gets its host key pinned first.

        Raises:
            PermissionDenied: the caller lacks servers.write.
            Conflict: the name is taken.
            InvalidInput: the key file is missing, unreadable, no private
                key, or its passphrase is missing or wrong.
            ConfigError: a key is given and no usable master key exists.
            HostKeyUnknown, HostKeyMismatch: the host key was not accepted.
            TransportError: the host could not be reached to read its key.
        """
        self.auth.require(who, WRITE)
        self._require_free(spec.name)
        jumps = JumpHops(self.sessions, self.add).names(who, spec, decision)
        server = Server(
            name=spec.name,
            host=spec.host_or_default,
            port=spec.port_or_default,
            username=spec.user_or_default,
            local=spec.local,
            use_agent=spec.use_agent,
            description=spec.description,
            jump=",".join(jumps) or None,
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
        )
        if spec.key is not None:
            _put_key(server, self.seal(spec.key))
        if not spec.local:
            via = self._spec(server).via
            key = self.gate.accept(spec.name, server.host, server.port, decision, via)
            _pin(server, key)
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            repo = ServerRepo(s)
            repo.add(server)
            repo.set_tags(server.id or 0, spec.tags)
            if spec.default_actions:
                from ssop.core.store.action_repo import AssignmentRepo
                from ssop.core.store.fleet_repo import FleetRepo

                links = AssignmentRepo(s)
                for action in FleetRepo(s).builtin_get_actions():
                    links.assign(server, action, automatic=False)
            detail = f"{view_of(server, []).auth} {server.host}:{server.port}"
            record_in(s, now, current.actor, "server.add", spec.name, detail)
        return view_of(server, sorted(set(spec.tags)))

    @refusals_audited("server.edit", "{name}")
    def edit(self, who: Principal, name: str, changes: ServerChanges) -> ServerView:
        """Change only the fields given; the stored key stays unless a new one is.

        A new host or port unpins the host key: the next ``test`` asks again.

        Raises:
            PermissionDenied, NotFound, InvalidInput: as their names say;
                also InvalidInput for a change that leaves no way to log in.
        """
        if not changes.changed:
            raise InvalidInput("nothing to change", hint="see: ssop server edit --help")
        self.auth.require(who, WRITE)
        sealed = self.seal(changes.key) if changes.key is not None else None
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            repo = ServerRepo(s)
            server = repo.get(name)
            _check_edit(server, changes)
            _apply(server, changes, sealed)
            if changes.jump is not None:
                spec_with_jumps(server, repo.find)  # refuses loops, unknown hops
            server.updated_at = now
            s.add(server)
            if changes.tags is not None:
                repo.set_tags(server.id or 0, changes.tags)
            tags = repo.tags(server.id or 0)
            detail = "changed: " + ", ".join(changes.changed)
            record_in(s, now, current.actor, "server.edit", name, detail)
        self.pool.discard(name)
        return view_of(server, tags)

    @refusals_audited("server.rm", "{name}")
    def remove(self, who: Principal, name: str) -> None:
        """Raises PermissionDenied or NotFound."""
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            repo = ServerRepo(s)
            server = repo.get(name)
            require_no_riders(name, repo.list())
            repo.remove(server)
            record_in(s, now, current.actor, "server.rm", name)
        self.pool.discard(name)

    @refusals_audited("server.trust", "{name}")
    def trust(self, who: Principal, name: str, fingerprint: str) -> HostKey:
        """Pin the key the server presents now, if it matches ``fingerprint``.

        This is also how a changed host key is accepted again.

        Raises:
            InvalidInput: a malformed fingerprint, or a local server.
            HostKeyMismatch: the server presents another key; nothing changes.
            TransportError: the server cannot be reached.
        """
        from ssop.core.fleet.server_input import HostKeyDecision, check_fingerprint

        check_fingerprint(fingerprint)
        server = self._read(who, name, WRITE)
        if server.local:
            raise InvalidInput(f"server {name} is local: it has no host key")
        key = self.gate.accept(
            name,
            server.host,
            server.port,
            HostKeyDecision(fingerprint),
            self._spec(server).via,
        )
        self._save_pin(who, server, key)
        return key

    @refusals_audited("server.test", "{name}")
    def test(
        self, who: Principal, name: str, decision: HostKeyDecision | None = None
    ) -> ServerTestResult:
        """Connect afresh, run two trivial commands, report timing and OS.

        An unpinned remote server goes through ``decision`` first (and needs
        servers.write to pin its key).

        Raises:
            PermissionDenied, NotFound: as their names say.
            HostKeyUnknown: no key is pinned and none was accepted.
            HostKeyMismatch: the server presents another key than the pinned one.
            AuthFailed, CommandTimeout, TransportError: connecting failed.
        """
        server = self._read(who, name, READ)
        if not server.local and server.host_key is None:
            server = self._pin_first(who, server, decision)
        self.pool.discard(name)
        transport = self.pool.get(self._spec(server))
        started = self.clock.monotonic()
        kernel = transport.run(PROBE_KERNEL, timeout=self.command_timeout)
        connected = self.clock.monotonic()
        release = transport.run(PROBE_RELEASE, timeout=self.command_timeout)
        done = self.clock.monotonic()
        return ServerTestResult(
            name,
            (connected - started) * 1000,
            (done - connected) * 1000,
            _os_name(kernel, release),
            server.host_key_fingerprint,
        )

    def seal(self, source: KeySource) -> SealedKey:
        """Read, check and encrypt a key file; see ``server_keys.seal_key``."""
        return seal_key(source, self.secrets)

    def _spec(self, server: Server) -> ConnectionSpec:
        """How to reach ``server``, its jump hosts as stored now included."""
        with self.sessions() as s:
            return spec_with_jumps(server, ServerRepo(s).find)

    def _require_free(self, name: str) -> None:
        with self.sessions() as s:
            if ServerRepo(s).find(name) is not None:
                raise Conflict(f"a server named {name!r} already exists")

    def _read(self, who: Principal, name: str, capability: Capability) -> Server:
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, capability)
            return ServerRepo(s).get(name)

    def _pin_first(
        self, who: Principal, server: Server, decision: HostKeyDecision | None
    ) -> Server:
        if decision is None:
            raise HostKeyUnknown(
                f"server {server.name}: no host key is pinned yet",
                hint=f"run: ssop server test {server.name} (at a terminal, or with "
                "--accept-host-key SHA256:...)",
            )
        self.auth.require(who, WRITE)
        via = self._spec(server).via
        key = self.gate.accept(server.name, server.host, server.port, decision, via)
        return self._save_pin(who, server, key)

    def _save_pin(self, who: Principal, seen: Server, key: HostKey) -> Server:
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            server = ServerRepo(s).get(seen.name)
            if (server.host, server.port) != (seen.host, seen.port):
                raise Conflict(
                    f"server {seen.name} moved while its host key was checked; "
                    "nothing was pinned: try again"
                )
            _pin(server, key)
            server.updated_at = now
            s.add(server)
            record_in(s, now, current.actor, "server.trust", seen.name, key.fingerprint)
        self.pool.discard(seen.name)
        return server


def _check_edit(server: Server, changes: ServerChanges) -> None:
    if server.local and changes.touches_login:
        raise InvalidInput(
            f"server {server.name} is local: it has no host, port, user, key or agent"
        )
    has_key = server.key_ciphertext is not None or changes.key is not None
    agent = server.use_agent if changes.use_agent is None else changes.use_agent
    if not server.local and not (has_key or agent):
        raise InvalidInput(
            f"server {server.name} would have no way to log in: "
            "give --key-file PATH or keep --agent"
        )


def _apply(server: Server, changes: ServerChanges, sealed: SealedKey | None) -> None:
    for attr in ("host", "port", "username", "use_agent", "description", "enabled"):
        value = getattr(changes, attr)
        if value is not None:
            setattr(server, attr, value)
    if sealed is not None:
        _put_key(server, sealed)
    if changes.jump is not None:
        server.jump = ",".join(changes.jump) or None
    if changes.moves_host:
        # A new address is a new machine until someone trusts its key.
        server.host_key = server.host_key_type = server.host_key_fingerprint = None


def _put_key(server: Server, sealed: SealedKey) -> None:
    server.key_ciphertext = sealed.key_ciphertext
    server.passphrase_ciphertext = sealed.passphrase_ciphertext
    server.key_fingerprint = sealed.fingerprint


def _pin(server: Server, key: HostKey) -> None:
    server.host_key_type = key.key_type
    server.host_key = key.base64
    server.host_key_fingerprint = key.fingerprint


def _os_name(kernel: CommandResult, release: CommandResult) -> str:
    uname = kernel.stdout.strip() if kernel.ok else ""
    pretty = next(
        (
            line.split("=", 1)[1].strip().strip('"')
            for line in release.stdout.splitlines()
            if release.ok and line.startswith("PRETTY_NAME=")
        ),
        "",
    )
    if pretty and uname:
        return f"{pretty} ({uname})"
    return pretty or uname or "unknown"
