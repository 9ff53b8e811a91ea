"""What only the asyncssh adapter promises, beyond the shared SSH suite.

Against the real sshd on loopback.
"""

from __future__ import annotations

import threading
import time

import pytest

from ssop.core.errors import InvalidInput
from ssop.core.transport.base import Command, RunTimedOut
from ssop.core.transport.event_loop import EXECUTOR_THREADS, shared_loop
from ssop.core.transport.ssh_async import AsyncSshTransport, _imported_key
from tests.support.sshd import Sshd
from tests.support.stragglers import end, escaping_sleep, new_token

pytestmark = pytest.mark.sshd


def test_a_command_whose_end_is_not_confirmed_is_also_signalled(sshd: Sshd) -> None:
    # OpenSSH honours the signal only for logins under privilege separation,
    # not root's (these tests log in as root); its log shows it was asked.
    transport = AsyncSshTransport(sshd.endpoint())
    command = escaping_sleep(new_token())
    asked_before = sshd.log_path.read_text().count("session_signal_req")
    try:
        with pytest.raises(RunTimedOut) as caught:
            transport.run(command, timeout=1.0)
        asked = asked_before
        for _ in range(50):
            asked = sshd.log_path.read_text().count("session_signal_req")
            if asked > asked_before:
                break
            time.sleep(0.1)
    finally:
        transport.close()
        end(f"sleep {command.argv[-1]}")

    assert not caught.value.ended_on_host
    assert asked == asked_before + 1


def test_connections_share_one_loop_thread_instead_of_one_thread_each(
    sshd: Sshd,
) -> None:
    shared_loop()  # started before counting
    before = threading.active_count()
    transports = [AsyncSshTransport(sshd.endpoint()) for _ in range(24)]
    try:
        outputs = [
            t.run(Command.of("sh", "-c", "echo $SSH_CLIENT"), timeout=10)
            for t in transports
        ]
        during = threading.active_count()
    finally:
        for t in transports:
            t.close()

    assert all(o.ok for o in outputs)
    assert len({o.stdout for o in outputs}) == 24  # 24 connections
    # at most the loop's few helper threads, started on first use
    assert during - before <= EXECUTOR_THREADS


def test_close_ends_the_connection_on_the_server(sshd: Sshd) -> None:
    transport = AsyncSshTransport(sshd.endpoint())
    client = transport.run(Command.of("sh", "-c", "echo $SSH_CLIENT"), timeout=10)
    port = client.stdout.split()[1]
    transport.close()
    observer = AsyncSshTransport(sshd.endpoint())
    try:
        still = True
        for _ in range(50):
            listing = observer.run(Command.of("sh", "-c", "ss -tn"), timeout=10)
            still = f":{port} " in listing.stdout
            if not still:
                break
            time.sleep(0.1)
    finally:
        observer.close()

    assert not still, f"the connection from port {port} is still open"


def test_servers_sharing_a_key_share_one_decrypted_key_object(sshd: Sshd) -> None:
    endpoint = sshd.endpoint(key="ed25519_encrypted")
    assert endpoint.private_key is not None
    with pytest.raises(InvalidInput, match="passphrase"):
        _imported_key(endpoint.private_key, "wrong horse")
    first = _imported_key(endpoint.private_key, endpoint.passphrase)
    again = _imported_key(endpoint.private_key, endpoint.passphrase)
    assert again is first
    transports = [AsyncSshTransport(endpoint) for _ in range(2)]
    try:
        results = [t.run(Command.of("true"), timeout=10) for t in transports]
    finally:
        for t in transports:
            t.close()
    assert [r.exit_code for r in results] == [0, 0]
