"""Servers: add, edit, remove, list, test, and pin host keys."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ssop.core.audit import AuditService
from ssop.core.auth import AuthService
from ssop.core.clock import Clock
from ssop.core.errors import (
    Conflict,
    HostKeyMismatch,
    HostKeyUnknown,
    InvalidInput,
    SsopError,
)
from ssop.core.models import Server
from ssop.core.permissions import Capability, Principal
from ssop.core.secretbox import SecretBox
from ssop.core.server_input import (
    HostKeyDecision,
    KeySource,
    ServerChanges,
    ServerCreate,
)
from ssop.core.store.db import SessionFactory
from ssop.core.store.server_repo import ServerRepo
from ssop.core.transport.base import Command, HostKey
from ssop.core.transport.pool import TransportPool

log = logging.getLogger(__name__)

HostKeyScanner = Callable[[str, int, float], HostKey]
PROBE = Command.of("sh", "-c", "uname -srm; cat /etc/os-release 2>/dev/null || true")


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class ServerTestResult:
    name: str
    latency_ms: float
    os: str
    host_key_fingerprint: str | None


def view_of(server: Server, tags: list[str]) -> ServerView:
    auth = "local" if server.local else ("agent" if server.use_agent else "key")
    return ServerView(
        server.name, server.host, server.port, server.username, server.local, auth,
        server.key_fingerprint, server.host_key_fingerprint, tuple(tags),
        server.description, server.enabled,
    )  # fmt: skip


class ServerService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        auth: AuthService,
        audit: AuditService,
        secrets: Callable[[], SecretBox],
        pool: TransportPool,
        scan: HostKeyScanner,
        connect_timeout: float,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.auth = auth
        self.audit = audit
        self.secrets = secrets
        self.pool = pool
        self.scan = scan
        self.connect_timeout = connect_timeout

    def list(self, who: Principal, tag: str | None = None) -> list[ServerView]:
        self.auth.require(who, Capability.SERVERS_READ)
        with self.sessions() as s:
            repo = ServerRepo(s)
            tags = repo.tags_by_server()
            return [view_of(x, tags.get(x.id or 0, [])) for x in repo.list(tag)]

    def show(self, who: Principal, name: str) -> ServerView:
        self.auth.require(who, Capability.SERVERS_READ)
        with self.sessions() as s:
            repo = ServerRepo(s)
            server = repo.get(name)
            return view_of(server, repo.tags(server.id or 0))

    def probe(self, who: Principal, host: str, port: int) -> HostKey:
        """The host key a server presents, for a person to confirm."""
        self.auth.require(who, Capability.SERVERS_WRITE)
        return self.scan(host, port, self.connect_timeout)

    def add(
        self, who: Principal, spec: ServerCreate, decision: HostKeyDecision
    ) -> ServerView:
        self.auth.require(who, Capability.SERVERS_WRITE)
        with self.sessions() as s:
            if ServerRepo(s).find(spec.name) is not None:
                raise Conflict(f"a server named {spec.name!r} already exists")
        server = Server(
            name=spec.name, host=spec.host, port=spec.port, username=spec.username,
            local=spec.local, use_agent=spec.use_agent, description=spec.description,
        )  # fmt: skip
        if spec.key is not None:
            self._store_key(server, spec.key)
        if not spec.local:
            self._pin(
                server, self._accept(server.name, server.host, server.port, decision)
            )
        with self.sessions() as s, s.begin():
            repo = ServerRepo(s)
            repo.add(server)
            repo.set_tags(server.id or 0, spec.tags)
        self.audit.record(
            who.actor, "server.add", spec.name, f"host={spec.host}:{spec.port}"
        )
        return view_of(server, sorted(set(spec.tags)))

    def edit(self, who: Principal, name: str, changes: ServerChanges) -> ServerView:
        self.auth.require(who, Capability.SERVERS_WRITE)
        with self.sessions() as s, s.begin():
            repo = ServerRepo(s)
            server = repo.get(name)
            if server.local and (
                changes.moves_host or changes.key or changes.use_agent
            ):
                raise InvalidInput(f"server {name!r} is local: it has no host or key")
            self._apply(server, changes)
            server.updated_at = self.clock.now()
            if changes.tags is not None:
                repo.set_tags(server.id or 0, changes.tags)
            s.add(server)
            tags = repo.tags(server.id or 0)
        self.pool.discard(name)
        self.audit.record(who.actor, "server.edit", name, _changed_fields(changes))
        return view_of(server, tags)

    def _apply(self, server: Server, changes: ServerChanges) -> None:
        for attr in ("host", "port", "username", "use_agent", "description", "enabled"):
            value = getattr(changes, attr)
            if value is not None:
                setattr(server, attr, value)
        if changes.key is not None:
            self._store_key(server, changes.key)
        if changes.moves_host:
            # A new address is a new machine until someone trusts its key.
            server.host_key = server.host_key_type = server.host_key_fingerprint = None

    def remove(self, who: Principal, name: str) -> None:
        self.auth.require(who, Capability.SERVERS_WRITE)
        with self.sessions() as s, s.begin():
            repo = ServerRepo(s)
            repo.remove(repo.get(name))
        self.pool.discard(name)
        self.audit.record(who.actor, "server.rm", name)

    def trust(self, who: Principal, name: str, fingerprint: str) -> HostKey:
        """Pin the key the server presents now, if it matches ``fingerprint``."""
        self.auth.require(who, Capability.SERVERS_WRITE)
        with self.sessions() as s:
            server = ServerRepo(s).get(name)
        key = self._accept(name, server.host, server.port, HostKeyDecision(fingerprint))
        with self.sessions() as s, s.begin():
            server = ServerRepo(s).get(name)
            self._pin(server, key)
            s.add(server)
        self.pool.discard(name)
        self.audit.record(who.actor, "server.trust", name, key.fingerprint)
        return key

    def test(
        self, who: Principal, name: str, decision: HostKeyDecision | None = None
    ) -> ServerTestResult:
        """Connect, run a trivial command, report latency and OS.

        An unpinned remote server goes through ``decision`` first.
        """
        self.auth.require(who, Capability.SERVERS_READ)
        with self.sessions() as s:
            server = ServerRepo(s).get(name)
        if not server.local and server.host_key is None:
            if decision is None:
                raise HostKeyUnknown(f"server {name}: no host key is pinned yet")
            self.auth.require(who, Capability.SERVERS_WRITE)
            self.trust(
                who,
                name,
                self._accept(name, server.host, server.port, decision).fingerprint,
            )
            with self.sessions() as s:
                server = ServerRepo(s).get(name)
        started = self.clock.monotonic()
        result = self.pool.get(server).run(PROBE, timeout=self.connect_timeout)
        latency = (self.clock.monotonic() - started) * 1000
        return ServerTestResult(
            name, latency, _os_name(result.stdout), server.host_key_fingerprint
        )

    def _accept(
        self, name: str, host: str, port: int, decision: HostKeyDecision
    ) -> HostKey:
        presented = self.scan(host, port, self.connect_timeout)
        if decision.accept_fingerprint is not None:
            if decision.accept_fingerprint != presented.fingerprint:
                raise HostKeyMismatch(
                    f"server {name}: presented host key {presented.fingerprint} does not "
                    f"match the accepted {decision.accept_fingerprint}"
                )
            return presented
        if decision.trust_on_first_use:
            log.warning(
                "server %s: trusting host key %s on first use",
                name,
                presented.fingerprint,
            )
            return presented
        if decision.confirm is not None and decision.confirm(presented):
            return presented
        raise HostKeyUnknown(
            f"server {name}: host key {presented.fingerprint} was not accepted",
            hint="confirm it, or pass --accept-host-key SHA256:... or --trust-on-first-use",
        )

    @staticmethod
    def _pin(server: Server, key: HostKey) -> None:
        server.host_key_type = key.key_type
        server.host_key = key.base64
        server.host_key_fingerprint = key.fingerprint

    def _store_key(self, server: Server, source: KeySource) -> None:
        from ssop.core.transport.keys import public_key_fingerprint

        pem = source.read()
        try:
            fingerprint = public_key_fingerprint(pem, source.passphrase)
        except (SsopError, ValueError) as e:
            raise InvalidInput(f"key file {source.path}: {_key_error(e)}") from None
        box = self.secrets()
        server.key_ciphertext = box.encrypt(pem)
        server.passphrase_ciphertext = (
            box.encrypt(source.passphrase) if source.passphrase else None
        )
        server.key_fingerprint = fingerprint


def _key_error(e: Exception) -> str:
    message = getattr(e, "message", None) or str(e) or type(e).__name__
    return message.splitlines()[0]


def _os_name(probe_output: str) -> str:
    lines = probe_output.splitlines()
    pretty = next(
        (
            ln.split("=", 1)[1].strip('"')
            for ln in lines
            if ln.startswith("PRETTY_NAME=")
        ),
        "",
    )
    kernel = lines[0] if lines else ""
    return f"{pretty} ({kernel})" if pretty else kernel


def _changed_fields(changes: ServerChanges) -> str:
    names = [k for k, v in vars(changes).items() if v is not None and k != "extra"]
    return "changed: " + ", ".join(
        sorted(n if n != "key" else "key(new)" for n in names)
    )
