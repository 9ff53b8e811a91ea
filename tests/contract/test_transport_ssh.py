"""What only the SSH transport does: keep connections, pin host keys, authenticate.

All against the real sshd on loopback, or hosts that hang or refuse.
"""

from __future__ import annotations

import dataclasses
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from ssop.core.errors import (
    AuthFailed,
    CommandTimeout,
    HostKeyMismatch,
    HostKeyUnknown,
    TransportError,
)
from ssop.core.transport.base import (
    Command,
    Endpoint,
    RunInterrupted,
    RunTimedOut,
    Transport,
)
from ssop.core.transport.ssh import FabricTransport, scan_host_key
from ssop.core.transport.ssh_async import AsyncSshTransport
from tests.support.sshd import Sshd
from tests.support.stragglers import (
    ctrl_c_after,
    end,
    escaping_sleep,
    new_token,
    pids_with,
)

# sshd puts the client's address and source port in SSH_CLIENT: one per connection
CONNECTION_ID = Command.of("sh", "-c", "echo $SSH_CLIENT")
# kills the nearest sshd above the command: the process serving this connection
DROP_CONNECTION = Command.of(
    "sh",
    "-c",
    'p=$PPID; while [ "$(ps -o comm= -p "$p")" != sshd ]; do '
    'p=$(ps -o ppid= -p "$p" | tr -d " "); done; kill "$p"',
)

pytestmark = pytest.mark.sshd

Maker = Callable[[Endpoint], Transport]


@pytest.fixture(params=[AsyncSshTransport, FabricTransport], ids=["asyncssh", "fabric"])
def make(request: pytest.FixtureRequest) -> Maker:
    """Each SSH adapter: every test here holds for both."""
    maker: Maker = request.param
    return maker


def connection_id(transport: Transport) -> str:
    result = transport.run(CONNECTION_ID, timeout=10)
    assert result.ok, result.stderr
    return result.stdout.strip()


def connect_with(make: Maker, endpoint: Endpoint) -> None:
    transport = make(endpoint)
    try:
        transport.run(Command.of("true"), timeout=10)
    finally:
        transport.close()


def test_one_connection_serves_consecutive_commands(make: Maker, sshd: Sshd) -> None:
    transport = make(sshd.endpoint())
    first, second = connection_id(transport), connection_id(transport)
    transport.close()
    after_close = connection_id(transport)
    transport.close()

    assert first == second
    assert after_close != first


def test_concurrent_commands_share_the_connection(make: Maker, sshd: Sshd) -> None:
    transport = make(sshd.endpoint())
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(lambda _: connection_id(transport), range(16)))
    transport.close()

    assert len(ids) == 1


def test_a_dropped_connection_fails_that_command_then_reconnects(
    make: Maker, sshd: Sshd
) -> None:
    transport = make(sshd.endpoint())
    before = connection_id(transport)
    with pytest.raises(TransportError, match="test-sshd: connection lost"):
        transport.run(DROP_CONNECTION, timeout=10)
    after = connection_id(transport)
    transport.close()

    assert after != before


def test_a_timed_out_command_leaves_the_connection_usable(
    make: Maker, sshd: Sshd
) -> None:
    transport = make(sshd.endpoint())
    before = connection_id(transport)
    with pytest.raises(CommandTimeout):
        transport.run(Command.of("sleep", "30"), timeout=0.5)
    after = connection_id(transport)
    transport.close()

    assert after == before


def test_a_command_whose_end_cannot_be_confirmed_is_reported_so(
    make: Maker, sshd: Sshd
) -> None:
    transport = make(sshd.endpoint())
    command = escaping_sleep(new_token())
    seconds = command.argv[-1]
    try:
        started = time.monotonic()
        with pytest.raises(RunTimedOut, match="is not known") as caught:
            transport.run(command, timeout=1.5)
        elapsed = time.monotonic() - started
        assert pids_with(f"sleep {seconds}"), "the escaped child should still run"
    finally:
        transport.close()
        end(f"sleep {seconds}")

    assert not caught.value.ended_on_host
    assert caught.value.hint == "it may still be running on the host"
    assert elapsed < 1.5 + 1.0


def test_ctrl_c_while_connecting_runs_nothing(
    make: Maker, sshd: Sshd, hung_host: tuple[str, int]
) -> None:
    endpoint = sshd.endpoint(host=hung_host[0], port=hung_host[1])
    transport = make(endpoint)
    started = time.monotonic()
    try:
        with ctrl_c_after(0.5), pytest.raises(RunInterrupted) as caught:
            transport.run(Command.of("true"), timeout=10)
        elapsed = time.monotonic() - started
    finally:
        transport.close()

    assert caught.value.ended_on_host
    assert caught.value.partial.exit_code == -1
    assert elapsed < 0.5 + 1.0


def test_every_listen_address_is_reachable(make: Maker, sshd: Sshd) -> None:
    for address in sshd.addresses:
        connect_with(make, sshd.endpoint(host=address))


@pytest.mark.parametrize("key", ["ed25519", "ed25519_encrypted", "rsa", "ecdsa"])
def test_each_supported_key_type_logs_in(make: Maker, sshd: Sshd, key: str) -> None:
    connect_with(make, sshd.endpoint(key=key))


def test_unknown_host_key_is_refused_showing_its_fingerprint(
    make: Maker, sshd: Sshd
) -> None:
    with pytest.raises(HostKeyUnknown) as caught:
        connect_with(make, sshd.endpoint(pinned_host_key=None))

    fingerprint = sshd.host_key.fingerprint
    assert fingerprint in caught.value.message
    assert caught.value.hint is not None
    assert (
        f"ssop server trust test-sshd --fingerprint {fingerprint}" in caught.value.hint
    )


def test_mismatched_host_key_is_refused_naming_both(make: Maker, sshd: Sshd) -> None:
    with pytest.raises(HostKeyMismatch) as caught:
        connect_with(make, sshd.endpoint(pinned_host_key=sshd.other_host_key))

    message = caught.value.message
    assert "test-sshd" in message
    assert sshd.other_host_key.fingerprint in message
    assert sshd.host_key.fingerprint in message
    assert caught.value.hint is not None
    assert f"ssop server trust test-sshd --fingerprint {sshd.host_key.fingerprint}" in (
        caught.value.hint
    )


def test_a_key_the_server_does_not_know_is_auth_failed(make: Maker, sshd: Sshd) -> None:
    with pytest.raises(AuthFailed, match="test-sshd"):
        connect_with(make, sshd.endpoint(key="unauthorized"))


@pytest.mark.parametrize(
    ("passphrase", "says"),
    [("wrong horse", "passphrase does not decrypt"), (None, "no passphrase")],
)
def test_encrypted_key_without_the_right_passphrase_is_auth_failed(
    make: Maker, sshd: Sshd, passphrase: str | None, says: str
) -> None:
    endpoint = sshd.endpoint(key="ed25519_encrypted", passphrase=passphrase)
    with pytest.raises(AuthFailed, match=says) as caught:
        connect_with(make, endpoint)

    assert "PRIVATE KEY" not in str(caught.value)


def test_no_key_and_no_agent_is_auth_failed_before_connecting(
    make: Maker,
    dead_host: tuple[str, int],
) -> None:
    endpoint = Endpoint("keyless", dead_host[0], dead_host[1])
    with pytest.raises(AuthFailed, match="keyless: no private key"):
        connect_with(make, endpoint)


def test_agent_only_with_no_agent_still_tells_a_dead_host_apart(
    make: Maker, dead_host: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    endpoint = Endpoint("agentless", dead_host[0], dead_host[1], use_agent=True)
    with pytest.raises(TransportError, match="agentless: connection refused"):
        connect_with(make, endpoint)


def test_agent_only_with_no_agent_is_auth_failed_on_a_live_host(
    make: Maker, sshd: Sshd, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    endpoint = replace(sshd.endpoint(), private_key=None, use_agent=True)
    with pytest.raises(AuthFailed, match="test-sshd: the SSH agent offers no key"):
        connect_with(make, endpoint)


def test_a_host_that_never_answers_times_out_within_the_connect_timeout(
    make: Maker, sshd: Sshd, hung_host: tuple[str, int]
) -> None:
    endpoint = sshd.endpoint(host=hung_host[0], port=hung_host[1], connect_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match="test-sshd"):
        connect_with(make, endpoint)

    assert time.monotonic() - started < 1.0 + 1.0


def test_a_closed_port_is_a_transport_error(
    make: Maker, sshd: Sshd, dead_host: tuple[str, int]
) -> None:
    endpoint = sshd.endpoint(host=dead_host[0], port=dead_host[1])
    with pytest.raises(TransportError, match="test-sshd: connection refused") as caught:
        connect_with(make, endpoint)

    assert type(caught.value) is TransportError


def test_scan_shows_the_fingerprint_ssh_keygen_prints(sshd: Sshd) -> None:
    listed = subprocess.run(
        ["ssh-keygen", "-lf", str(sshd.host_key_pub)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[1]

    scanned = scan_host_key(sshd.host, sshd.port, timeout=5)

    assert scanned.fingerprint == listed
    assert dataclasses.astuple(scanned) == dataclasses.astuple(sshd.host_key)


def test_scan_of_a_closed_port_is_a_transport_error(dead_host: tuple[str, int]) -> None:
    with pytest.raises(TransportError, match="refused"):
        scan_host_key(*dead_host, timeout=2)


def test_scan_of_a_silent_port_times_out(hung_host: tuple[str, int]) -> None:
    started = time.monotonic()
    with pytest.raises(CommandTimeout):
        scan_host_key(*hung_host, timeout=1)

    assert time.monotonic() - started < 1.0 + 1.0


def test_nothing_under_home_is_consulted(
    make: Maker, sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a HOME that would make an unpinned, keyless login work if it were read
    dot_ssh = tmp_path / ".ssh"
    dot_ssh.mkdir()
    host_key = sshd.host_key
    known = f"[{sshd.host}]:{sshd.port} {host_key.key_type} {host_key.base64}\n"
    (dot_ssh / "known_hosts").write_text(known)
    (dot_ssh / "id_ed25519").write_text(sshd.keys["ed25519"].pem)
    (dot_ssh / "config").write_text(f"Host *\n  Port {sshd.port + 1}\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)

    with pytest.raises(HostKeyUnknown):
        connect_with(make, sshd.endpoint(pinned_host_key=None))
    with pytest.raises(AuthFailed, match="no private key"):
        connect_with(make, sshd.endpoint(private_key=None))
    connect_with(make, sshd.endpoint())  # the ssh config's Port was not used either


def test_an_idle_connection_does_not_wake_ten_times_a_second(sshd: Sshd) -> None:
    from ssop.core.transport.ssh import IDLE_WAKE_S

    transport = FabricTransport(sshd.endpoint())
    connection_id(transport)
    live = transport._connection
    assert live is not None
    assert live.transport.sock.gettimeout() == IDLE_WAKE_S
    started = time.monotonic()
    transport.close()
    assert time.monotonic() - started < 1.0  # close does not wait for a wake-up
    assert connection_id(transport)  # and a new connection works at once
    transport.close()
