"""Run commands on a server over SSH with asyncssh: the fleet's transport.

The same contract as ``ssh.FabricTransport``: one kept-open connection per
server, host keys pinned (an unknown or different key is refused, never
added), the private key decrypted in memory, nothing under ``~/.ssh`` and
no ssh_config consulted, the agent only when the endpoint asks for it.

What differs is the cost of keeping a connection: every connection lives
on one shared event loop (``event_loop.shared_loop``) instead of holding a
paramiko reader thread, which at 1,000 hosts is the difference between
~150 KB and ~40 KB per server. Callers stay synchronous: a Ctrl-C reaches
them, and ``run`` then asks the loop to end the command on the host.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from concurrent.futures import Future
from contextlib import asynccontextmanager, suppress
from functools import lru_cache
from typing import TypeVar, cast

import asyncssh

from ssop.core.errors import AuthFailed, InvalidInput, TransportError
from ssop.core.transport.base import (
    DEFAULT_OUTPUT_CAP,
    Command,
    CommandResult,
    Endpoint,
    RunTimedOut,
)
from ssop.core.transport.ending import Ending, interrupted_unseen, settle
from ssop.core.transport.event_loop import LoopStalled, LoopThread, shared_loop
from ssop.core.transport.jumps import jump_unreachable
from ssop.core.transport.keys import plain_private_key
from ssop.core.transport.refusals import no_agent_key
from ssop.core.transport.remote_deadline import MAX_GRACE_S, RemoteDeadline
from ssop.core.transport.ssh_async_errors import (
    HostKeyWitness,
    SessionLost,
    translate_connect_error,
    translate_session_error,
)
from ssop.core.transport.ssh_async_session import (
    WIND_DOWN_MARGIN_S,
    Capture,
    RemoteRun,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# What may break on an established connection while opening or running a
# session; asyncssh.Error covers ChannelOpenError, DisconnectError, ConnectionLost.
_SESSION_ERRORS = (asyncssh.Error, OSError, SessionLost)
# Beyond its own deadlines, how long a caller waits for a wedged loop.
_STALL_MARGIN_S = 5.0
_CLOSE_WAIT_S = 2.0
# After a Ctrl-C, the longest a caller waits for the host to end the command.
MAX_WIND_DOWN_S = MAX_GRACE_S / 2 + WIND_DOWN_MARGIN_S + _STALL_MARGIN_S


class AsyncSshTransport:
    """Runs commands on one server over a kept-open asyncssh connection.

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
        via: AsyncSshTransport | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._cap = output_cap
        self._via = via
        self._where = f"{endpoint.host}:{endpoint.port}"
        # touched only on the loop thread
        self._connection: asyncssh.SSHClientConnection | None = None
        self._connecting: asyncio.Lock | None = None
        self._key: asyncssh.SSHKey | None = None

    def run(self, cmd: Command, *, timeout: float) -> CommandResult:
        """Run ``cmd`` on the server; see ``Transport.run``."""
        loop, stop = shared_loop(), asyncio.Event()
        future = loop.start(self._run(cmd, timeout, stop))
        limit = self._endpoint.connect_timeout + timeout + _STALL_MARGIN_S
        try:
            ending = self._wait(loop, future, cmd, limit)
        except KeyboardInterrupt:
            loop.loop.call_soon_threadsafe(stop.set)
            ending = self._wind_down(loop, future, cmd)
        return settle(ending, f"server {self._endpoint.name}", cmd, timeout)

    def close(self) -> None:
        """Close the connection; the next ``run`` opens a new one."""
        try:
            shared_loop().call(self._drop(), _CLOSE_WAIT_S + _STALL_MARGIN_S)
        except LoopStalled:
            log.warning("server %s: closing took too long", self._endpoint.name)

    def _wait(
        self, loop: LoopThread, future: Future[Ending], cmd: Command, limit: float
    ) -> Ending:
        try:
            return loop.wait(future, limit)
        except LoopStalled as e:
            raise RunTimedOut(
                f"server {self._endpoint.name}: {cmd.argv[0]} gave no answer "
                f"within {limit:g}s",
                partial=interrupted_unseen(self._cap, ended_on_host=False).result(),
                ended_on_host=False,
            ) from e

    def _wind_down(
        self, loop: LoopThread, future: Future[Ending], cmd: Command
    ) -> Ending:
        """After a Ctrl-C: wait while the command is ended on the host; a
        second Ctrl-C (or a failure) leaves its end unconfirmed."""
        limit = self._endpoint.connect_timeout + MAX_WIND_DOWN_S
        try:
            return self._wait(loop, future, cmd, limit)
        except (KeyboardInterrupt, RunTimedOut, TransportError) as e:
            log.info("server %s: no confirmed end: %s", self._endpoint.name, e)
            future.cancel()
            return interrupted_unseen(self._cap, ended_on_host=False)

    # --- on the loop ---------------------------------------------------------

    async def _run(self, cmd: Command, timeout: float, stop: asyncio.Event) -> Ending:
        started = time.monotonic()
        run = await self._open_session(cmd, started + timeout, stop)
        if run is None:
            return interrupted_unseen(self._cap, ended_on_host=True)
        try:
            if cmd.stdin:
                run.channel.write(cmd.stdin)
                run.channel.write_eof()
            return await run.until_end(started, started + timeout, stop)
        except _SESSION_ERRORS as e:
            raise self._lost(e, f"running {cmd.argv[0]}") from e
        finally:
            run.channel.close()

    async def _open_session(
        self, cmd: Command, deadline: float, stop: asyncio.Event
    ) -> RemoteRun | None:
        """The command's session; None when stopped before it was sent."""
        connection = await _unless_stopped(self._live_connection(), stop)
        if connection is None:
            return None
        try:
            return await self._session(connection, cmd, deadline)
        except asyncssh.ChannelOpenError as e:
            if not connection.is_closed():
                # the server refused this channel (MaxSessions); the connection
                # is fine and may carry other commands: do not drop it
                raise self._lost(e, "opening a session") from e
            log.info("server %s: reconnecting once: %s", self._endpoint.name, e)
        except _SESSION_ERRORS as e:
            log.info("server %s: reconnecting once: %s", self._endpoint.name, e)
        await self._drop()
        connection = await _unless_stopped(self._live_connection(), stop)
        if connection is None:
            return None
        try:
            return await self._session(connection, cmd, deadline)
        except _SESSION_ERRORS as e:
            raise self._lost(e, "opening a session") from e

    async def _session(
        self, connection: asyncssh.SSHClientConnection, cmd: Command, deadline: float
    ) -> RemoteRun:
        cap, end_at_cap = self._cap, cmd.end_at_cap
        remote = RemoteDeadline.within(deadline - time.monotonic())
        channel, session = await connection.create_session(
            lambda: Capture(cap, end_at_cap), remote.wrap(cmd).as_shell(), encoding=None
        )
        return RemoteRun(channel, cast(Capture, session), remote, not cmd.stdin)

    async def _live_connection(self) -> asyncssh.SSHClientConnection:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._connection is None or self._connection.is_closed():
                await self._drop()
                self._connection = await self._connect()
            return self._connection

    async def _connect(self) -> asyncssh.SSHClientConnection:
        endpoint = self._endpoint
        own = [self._private_key(endpoint.private_key)] if endpoint.private_key else []
        if not own and not endpoint.use_agent:
            raise AuthFailed(
                f"server {endpoint.name}: no private key is stored and the SSH "
                "agent is not enabled for it"
            )
        if not endpoint.use_agent:
            return await self._login(own)
        # the agent signs during the login, so it stays open until then
        async with _agent_keys() as offered:
            try:
                return await self._login([*own, *offered])
            except AuthFailed as e:
                if own or offered:
                    raise
                # connected (so not down or refused) but had nothing to offer
                raise no_agent_key(endpoint.name) from e

    async def _login(
        self, keys: Sequence[asyncssh.SSHKey | asyncssh.SSHKeyPair]
    ) -> asyncssh.SSHClientConnection:
        endpoint = self._endpoint
        witness = HostKeyWitness(endpoint)
        tunnel = await self._tunnel()
        try:
            connection = await asyncssh.connect(
                endpoint.host,
                endpoint.port,
                tunnel=tunnel,
                username=endpoint.username,
                client_factory=witness.client,
                known_hosts=witness.known_hosts(),
                server_host_key_algs=witness.host_key_algorithms(),
                client_keys=keys,
                agent_path=None,
                config=[],
                connect_timeout=endpoint.connect_timeout,
                password_auth=False,
                kbdint_auth=False,
                gss_auth=False,
                host_based_auth=False,
            )
        except TransportError:
            raise
        except (asyncssh.Error, OSError, TimeoutError) as e:
            raise translate_connect_error(
                e, witness, self._where, endpoint.connect_timeout
            ) from e
        log.debug("server %s: connected to %s", endpoint.name, self._where)
        return connection

    async def _tunnel(self) -> asyncssh.SSHClientConnection | None:
        """The jump host's open connection (made now if it is not open)."""
        if self._via is None:
            return None
        try:
            return await self._via._live_connection()
        except TransportError as e:
            raise jump_unreachable(self._endpoint.name, self._via.name, e) from e

    @property
    def name(self) -> str:
        return self._endpoint.name

    def _private_key(self, pem: str) -> asyncssh.SSHKey:
        if self._key is None:
            try:
                self._key = _imported_key(pem, self._endpoint.passphrase)
            except InvalidInput as e:
                raise AuthFailed(f"server {self._endpoint.name}: {e.message}") from e
        return self._key

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
            # it is gone from here on either way
            with suppress(TimeoutError, asyncssh.Error, OSError):
                await asyncio.wait_for(connection.wait_closed(), _CLOSE_WAIT_S)

    def _lost(self, error: BaseException, doing: str) -> TransportError:
        return translate_session_error(error, self._endpoint.name, doing)


@lru_cache(maxsize=256)
def _imported_key(pem: str, passphrase: str | None) -> asyncssh.SSHKey:
    """One key object per distinct key, however many servers use it; the
    passphrase KDF runs once per key, not per server or login.

    Raises:
        InvalidInput: the key cannot be read or decrypted (not cached).
    """
    plain, _ = plain_private_key(pem, passphrase)
    return asyncssh.import_private_key(plain)


@asynccontextmanager
async def _agent_keys() -> AsyncIterator[list[asyncssh.SSHKeyPair]]:
    """The agent's keys while its connection is open (asyncssh finds the
    agent through SSH_AUTH_SOCK); none when there is no agent to ask."""
    try:
        agent = await asyncssh.connect_agent()
    except (asyncssh.Error, OSError, ValueError) as e:
        log.info("the SSH agent could not be reached: %s", e)
        yield []
        return
    try:
        keys = list(await agent.get_keys())
    except (asyncssh.Error, OSError, ValueError) as e:
        log.info("the SSH agent could not be asked for keys: %s", e)
        keys = []
    try:
        yield keys
    finally:
        agent.close()
        await agent.wait_closed()


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """``work``'s result, or None (``work`` cancelled) when ``stop`` is set first."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    return None
