"""Run commands on a server over SSH: the Fabric/paramiko Transport adapter.

One connection per server, opened on first use and kept for later commands.
Host keys are pinned: an unknown or different key is refused, never added.
The private key is decrypted in memory; ``~/.ssh``, ssh_config files and the
agent are never consulted unless the endpoint asks for the agent.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import fabric
import paramiko

from ssop.core.errors import AuthFailed, InvalidInput, TransportError
from ssop.core.transport.base import (
    DEFAULT_OUTPUT_CAP,
    Command,
    CommandResult,
    Endpoint,
    HostKey,
)
from ssop.core.transport.ending import Ending, interrupted_unseen, settle
from ssop.core.transport.jumps import jump_unreachable
from ssop.core.transport.keys import (
    fingerprint_of,
    host_key_of,
    load_private_key,
    paramiko_public_key,
    public_key_fingerprint,
)
from ssop.core.transport.ssh_channel import execute
from ssop.core.transport.ssh_errors import (
    RejectUnknownHostKey,
    translate_connect_error,
    translate_session_error,
)

__all__ = [
    "FabricTransport",
    "fingerprint_of",
    "public_key_fingerprint",
    "scan_host_key",
]

log = logging.getLogger(__name__)

_CONNECT_ERRORS = (paramiko.SSHException, OSError, EOFError)
_SESSION_ERRORS = (paramiko.SSHException, OSError, EOFError)
# paramiko's reader thread wakes every 0.1 s on an idle connection to see
# whether it should stop: a daemon keeping a thousand connections open paid
# ~15 % of a core for that between crawls. close() does not wait for the
# wake-up (it marks the packetizer closed), so a long interval is safe once
# the handshake is over.
IDLE_WAKE_S = 10.0


class FabricTransport:
    """Runs commands on one server over a kept-open SSH connection.

    Args:
        endpoint: where to connect, as whom, and the pinned host key.
        output_cap: bytes kept per stream; the rest is read and dropped.
        via: the jump host's transport (``endpoint.via``), shared by every
            server behind it: its one connection carries their tunnels.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        output_cap: int = DEFAULT_OUTPUT_CAP,
        via: FabricTransport | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._cap = output_cap
        self._via = via
        self._where = f"{endpoint.host}:{endpoint.port}"
        self._connection: fabric.Connection | None = None
        self._pkey: paramiko.PKey | None = None
        self._lock = threading.Lock()

    def run(self, cmd: Command, *, timeout: float) -> CommandResult:
        """Run ``cmd`` on the server; see ``Transport.run``."""
        started = time.monotonic()
        try:
            channel = self._open_channel()
        except KeyboardInterrupt:
            ending = interrupted_unseen(self._cap, ended_on_host=True)
        else:
            ending = self._execute(channel, cmd, started, started + timeout)
        return settle(ending, f"server {self._endpoint.name}", cmd, timeout)

    def _execute(
        self, channel: paramiko.Channel, cmd: Command, started: float, deadline: float
    ) -> Ending:
        try:
            return execute(channel, cmd, started, deadline, self._cap)
        except _SESSION_ERRORS as e:
            raise self._lost(e, f"running {cmd.argv[0]}") from e
        finally:
            channel.close()

    def close(self) -> None:
        """Close the connection; the next ``run`` opens a new one."""
        with self._lock:
            self._drop()

    def _open_channel(self) -> paramiko.Channel:
        with self._lock:
            try:
                return self._session(self._live_transport())
            except paramiko.ChannelException as e:
                # the server refused this channel (MaxSessions); the connection
                # is fine and may carry other commands: do not drop it
                raise self._lost(e, "opening a session") from e
            except _SESSION_ERRORS as e:
                log.info("server %s: reconnecting once: %s", self._endpoint.name, e)
            self._drop()
            try:
                return self._session(self._live_transport())
            except _SESSION_ERRORS as e:
                raise self._lost(e, "opening a session") from e

    @property
    def name(self) -> str:
        return self._endpoint.name

    def open_tunnel(self, host: str, port: int, *, to: str) -> paramiko.Channel:
        """A direct-tcpip channel from this (jump) host to ``host:port``,
        for server ``to``.

        Raises:
            JumpUnreachable: this host could not be reached or logged into.
            TransportError: it could not connect on to ``host:port``.
        """
        with self._lock:
            try:
                transport = self._live_transport()
            except TransportError as e:
                raise jump_unreachable(to, self.name, e) from e
            try:
                return transport.open_channel(
                    "direct-tcpip",
                    (host, port),
                    ("127.0.0.1", 0),
                    timeout=self._endpoint.connect_timeout,
                )
            except _SESSION_ERRORS as e:
                raise TransportError(
                    f"server {to}: jump host {self.name} cannot reach "
                    f"{host}:{port}: {e}"
                ) from e

    def _session(self, transport: paramiko.Transport) -> paramiko.Channel:
        return transport.open_session(timeout=self._endpoint.connect_timeout)

    def _lost(self, error: BaseException, doing: str) -> TransportError:
        return translate_session_error(error, self._endpoint.name, doing)

    def _live_transport(self) -> paramiko.Transport:
        if self._connection is None or not self._connection.is_connected:
            self._drop()
            self._connection = self._connect()
        return self._connection.transport

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> fabric.Connection:
        endpoint = self._endpoint
        kwargs = self._connect_kwargs()
        if self._via is not None:
            kwargs["sock"] = self._via.open_tunnel(
                endpoint.host, endpoint.port, to=endpoint.name
            )
        connection = fabric.Connection(
            endpoint.host,
            user=endpoint.username,
            port=endpoint.port,
            config=_bare_config(),
            connect_kwargs=kwargs,
        )
        _pin_host_key(connection.client, endpoint)
        try:
            connection.open()
        except (TransportError, KeyboardInterrupt):  # our host-key policy; Ctrl-C
            connection.close()
            raise
        except _CONNECT_ERRORS as e:
            connection.close()
            raise translate_connect_error(
                e, endpoint.name, self._where, endpoint.connect_timeout
            ) from e
        log.debug("server %s: connected to %s", endpoint.name, self._where)
        connection.transport.sock.settimeout(IDLE_WAKE_S)
        return connection

    def _connect_kwargs(self) -> dict[str, Any]:
        seconds = self._endpoint.connect_timeout
        return {
            "timeout": seconds,
            "banner_timeout": seconds,
            "auth_timeout": seconds,
            "channel_timeout": seconds,
            "pkey": self._private_key(),
            "allow_agent": self._endpoint.use_agent,
            "look_for_keys": False,
        }

    def _private_key(self) -> paramiko.PKey | None:
        endpoint = self._endpoint
        if self._pkey is None and endpoint.private_key is not None:
            try:
                self._pkey = load_private_key(endpoint.private_key, endpoint.passphrase)
            except InvalidInput as e:
                raise AuthFailed(f"server {endpoint.name}: {e.message}") from e
        if self._pkey is None and not endpoint.use_agent:
            raise AuthFailed(
                f"server {endpoint.name}: no private key is stored and the SSH "
                "agent is not enabled for it"
            )
        return self._pkey


def scan_host_key(
    host: str,
    port: int = 22,
    timeout: float = 10.0,
    *,
    name: str | None = None,
    via: FabricTransport | None = None,
) -> HostKey:
    """Fetch the host key a server presents, without authenticating.

    For showing the fingerprint to a person before it is pinned. ``name``
    (the server's name in ssop) only labels error messages. ``via``: the
    jump host to reach it through (whose own key is pinned).

    Raises:
        CommandTimeout: no SSH handshake within ``timeout``.
        TransportError: the port is closed, or speaks no SSH.
    """
    where = f"{host}:{port}"
    transport: paramiko.Transport | None = None
    try:
        sock: socket.socket | paramiko.Channel = (
            socket.create_connection((host, port), timeout=timeout)
            if via is None
            else via.open_tunnel(host, port, to=name or where)
        )
        transport = paramiko.Transport(sock)
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        return host_key_of(transport.get_remote_server_key())
    except (paramiko.SSHException, OSError, EOFError) as e:
        raise translate_connect_error(e, name or where, where, timeout) from e
    finally:
        if transport is not None:
            transport.close()


def _bare_config() -> fabric.Config:
    # lazy + an explicit empty SSHConfig: read no fabric.yaml, no ssh_config
    return fabric.Config(lazy=True, ssh_config=paramiko.SSHConfig())


def _pin_host_key(client: paramiko.SSHClient, endpoint: Endpoint) -> None:
    client.set_missing_host_key_policy(RejectUnknownHostKey(endpoint.name))
    pinned = endpoint.pinned_host_key
    if pinned is None:
        return
    try:
        key = paramiko_public_key(pinned)
    except InvalidInput as e:
        raise TransportError(
            f"server {endpoint.name}: {e.message}",
            hint=f"pin it again: ssop server trust {endpoint.name} --fingerprint ...",
        ) from e
    # the same "[host]:port" name SSHClient.connect looks the key up under
    name = (
        endpoint.host if endpoint.port == 22 else f"[{endpoint.host}]:{endpoint.port}"
    )
    client.get_host_keys().add(name, key.get_name(), key)
