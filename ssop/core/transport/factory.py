"""Build the right transport for a stored server, decrypting its key in memory."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ssop.core.config.schema import SshSection
from ssop.core.transport.base import Endpoint, HostKey, Transport
from ssop.core.transport.connection_spec import ConnectionSpec

if TYPE_CHECKING:
    from ssop.core.secrets.secretbox import SecretBox
    from ssop.core.transport.ssh import FabricTransport
    from ssop.core.transport.ssh_async import AsyncSshTransport

    SshTransport = AsyncSshTransport | FabricTransport


def endpoint_of(
    server: ConnectionSpec, box: SecretBox | None, ssh: SshSection
) -> Endpoint:
    key = passphrase = None
    if server.key_ciphertext:
        assert box is not None, "a stored key needs the master key"
        key = box.decrypt(server.key_ciphertext)
        if server.passphrase_ciphertext:
            passphrase = box.decrypt(server.passphrase_ciphertext)
    pinned = None
    if server.host_key and server.host_key_type and server.host_key_fingerprint:
        pinned = HostKey(
            server.host_key_type, server.host_key, server.host_key_fingerprint
        )
    return Endpoint(
        name=server.name,
        host=server.host,
        port=server.port,
        username=server.username,
        private_key=key,
        passphrase=passphrase,
        use_agent=server.use_agent,
        pinned_host_key=pinned,
        connect_timeout=ssh.connect_timeout,
        via=endpoint_of(server.via, box, ssh) if server.via else None,
    )


def _needs_box(server: ConnectionSpec | None) -> bool:
    while server is not None:
        if server.key_ciphertext:
            return True
        server = server.via
    return False


class JumpLinks:
    """One transport per jump host, shared by every server behind it, and
    rebuilt (the old one closed) when what it connects with changes."""

    def __init__(self, secrets: Callable[[], SecretBox], ssh: SshSection) -> None:
        self._secrets = secrets
        self._ssh = ssh
        # re-entered: building a jump's link builds the links before it
        self._lock = threading.RLock()
        self._open: dict[str, tuple[bytes, SshTransport]] = {}

    def ssh(self, server: ConnectionSpec) -> SshTransport:
        """A new transport for ``server``, through its jump host's shared one."""
        via = self._link(server.via) if server.via is not None else None
        box = self._secrets() if _needs_box(server) else None
        endpoint = endpoint_of(server, box, self._ssh)
        cap = self._ssh.output_cap
        if self._ssh.client == "fabric":
            from ssop.core.transport.ssh import FabricTransport

            assert via is None or isinstance(via, FabricTransport)
            return FabricTransport(endpoint, output_cap=cap, via=via)
        from ssop.core.transport.ssh_async import AsyncSshTransport

        assert via is None or isinstance(via, AsyncSshTransport)
        return AsyncSshTransport(endpoint, output_cap=cap, via=via)

    def _link(self, jump: ConnectionSpec) -> SshTransport:
        identity = jump.identity()
        with self._lock:
            entry = self._open.get(jump.name)
            if entry is not None and entry[0] == identity:
                return entry[1]
            link = self.ssh(jump)
            self._open[jump.name] = (identity, link)
        if entry is not None:
            entry[1].close()
        return link

    def close_all(self) -> None:
        with self._lock:
            links = [t for _, t in self._open.values()]
            self._open.clear()
        for link in links:
            link.close()


def transport_builder(
    secrets: Callable[[], SecretBox], ssh: SshSection
) -> Callable[[ConnectionSpec], Transport]:
    links = JumpLinks(secrets, ssh)

    def build(server: ConnectionSpec) -> Transport:
        if server.local:
            from ssop.core.transport.local import LocalTransport

            return LocalTransport(output_cap=ssh.output_cap)
        return links.ssh(server)

    return build


def scan_through(
    secrets: Callable[[], SecretBox], ssh: SshSection
) -> Callable[[ConnectionSpec, str, int, float], HostKey]:
    """A host-key scanner that reaches the host through a jump host (always
    over paramiko, as a direct scan is)."""

    def scan(via: ConnectionSpec, host: str, port: int, timeout: float) -> HostKey:
        from ssop.core.transport.ssh import FabricTransport, scan_host_key

        links = JumpLinks(secrets, ssh.model_copy(update={"client": "fabric"}))
        link = links.ssh(via)
        assert isinstance(link, FabricTransport)
        try:
            return scan_host_key(host, port, timeout, via=link)
        finally:
            link.close()
            links.close_all()

    return scan
