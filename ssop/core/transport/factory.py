"""Build the right transport for a stored server, decrypting its key in memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ssop.core.config.schema import SshSection
from ssop.core.transport.base import Endpoint, HostKey, Transport
from ssop.core.transport.connection_spec import ConnectionSpec

if TYPE_CHECKING:
    from ssop.core.secrets.secretbox import SecretBox


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
    )


def transport_builder(
    secrets: Callable[[], SecretBox], ssh: SshSection
) -> Callable[[ConnectionSpec], Transport]:
    def build(server: ConnectionSpec) -> Transport:
        if server.local:
            from ssop.core.transport.local import LocalTransport

            return LocalTransport(output_cap=ssh.output_cap)
        box = secrets() if server.key_ciphertext else None
        endpoint = endpoint_of(server, box, ssh)
        if ssh.client == "fabric":
            from ssop.core.transport.ssh import FabricTransport

            return FabricTransport(endpoint, output_cap=ssh.output_cap)
        from ssop.core.transport.ssh_async import AsyncSshTransport

        return AsyncSshTransport(endpoint, output_cap=ssh.output_cap)

    return build
