"""Servers end to end against the loopback sshd, through build_services().

A person confirming a host key at a real terminal (``ssop`` in a pty), the
SSH agent instead of a stored key, and a long-running process that keeps
connecting across a master-key rotation.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ssop.core.accounts.permissions import Principal
from ssop.core.config.loader import LoadedConfig, load_config
from ssop.core.fleet.server_input import HostKeyDecision, KeySource, ServerCreate
from ssop.core.secrets.master_key import create_master_key
from ssop.core.services import Services, build_services
from ssop.core.store.server_repo import ServerRepo
from tests.support.auth import admin
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd

ROOT = Path(__file__).resolve().parents[2]
PTY_TIMEOUT_S = 60.0


@dataclass
class Env:
    config: LoadedConfig
    services: Services
    root: Principal
    environ: dict[str, str]


@pytest.fixture
def env(store_url: str, isolated_env: dict[str, str]) -> Iterator[Env]:
    environ = {**isolated_env, "SSOP_DATABASE_URL": store_url}
    config = load_config(environ=environ, system_config=Path("/nonexistent"))
    create_master_key(config.paths.secret_key_file)
    services = build_services(config)
    services.store.seed()
    root = admin(services)
    yield Env(config, services, root, environ)
    services.close()


def stored_host_key(services: Services, name: str) -> str | None:
    with services.sessions() as s:
        server = ServerRepo(s).find(name)
        return None if server is None else server.host_key_fingerprint


def ssop_in_a_terminal(
    args: list[str], environ: dict[str, str], answer: bytes
) -> tuple[int, str]:
    """Run ``python -m ssop ARGS`` on a pty, answer its [y/N] prompt once."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ssop", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env={**os.environ, **environ},
    )
    os.close(slave)
    seen, answered = b"", False
    deadline = time.monotonic() + PTY_TIMEOUT_S
    try:
        while True:
            ready, _, _ = select.select([master], [], [], deadline - time.monotonic())
            if not ready:
                proc.kill()
                raise AssertionError(f"ssop hung at a terminal; it showed: {seen!r}")
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(master, answer)
                answered = True
    finally:
        os.close(master)
    return proc.wait(timeout=10), seen.decode(errors="replace")


@pytest.mark.parametrize("answer", [b"y\n", b"n\n"])
def test_a_person_confirms_the_host_key_at_a_terminal(
    env: Env, sshd: Sshd, answer: bytes
) -> None:
    token = env.services.tokens.create(env.root, "pty", "admin", "1d").token
    args = [
        "server",
        "add",
        "web1",
        "--host",
        sshd.host,
        "--port",
        str(sshd.port),
        "--user",
        "root",
        "--key-file",
        str(sshd.keys["ed25519"].path),
    ]

    code, shown = ssop_in_a_terminal(args, {**env.environ, "SSOP_TOKEN": token}, answer)

    fingerprint = sshd.host_key.fingerprint
    assert f"server web1 presents host key ssh-ed25519 {fingerprint}" in shown
    assert "Pin this host key? [y/N]" in shown
    if answer == b"y\n":
        assert code == 0, shown
        assert f"pinned host key {fingerprint}" in shown
        assert stored_host_key(env.services, "web1") == fingerprint
    else:
        assert code == 5, shown
        assert "was not accepted; nothing was stored" in shown
        assert env.services.servers.list(env.root) == []


@pytest.fixture
def agent(tmp_path: Path, sshd: Sshd) -> Iterator[str]:
    """An ssh-agent holding the test client key; yields its socket path."""
    socket_path = tmp_path / "agent.sock"
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket_path)])
    deadline = time.monotonic() + 10
    while not socket_path.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "no ssh-agent"
        time.sleep(0.02)  # polling a real process: no clock to fake
    subprocess.run(
        ["ssh-add", "-q", str(sshd.keys["ed25519"].path)],
        env={**os.environ, "SSH_AUTH_SOCK": str(socket_path)},
        check=True,
    )
    yield str(socket_path)
    proc.terminate()
    proc.wait(timeout=5)


def test_the_agent_logs_in_and_no_key_is_stored(
    env: Env, sshd: Sshd, agent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSH_AUTH_SOCK", agent)
    spec = ServerCreate(
        "web1", sshd.host, port=sshd.port, username="root", use_agent=True
    )
    env.services.servers.add(env.root, spec, HostKeyDecision(sshd.host_key.fingerprint))

    result = env.services.servers.test(env.root, "web1")

    assert "Linux" in result.os
    with env.services.sessions() as s:
        server = ServerRepo(s).get("web1")
    assert (server.key_ciphertext, server.key_fingerprint) == (None, None)


def test_a_running_process_keeps_connecting_across_a_rotation(
    env: Env, sshd: Sshd
) -> None:
    decision = HostKeyDecision(sshd.host_key.fingerprint)
    for name, key in (("plain", "rsa"), ("locked", "ed25519_encrypted")):
        client = sshd.keys[key]
        source = KeySource(client.path, client.passphrase)
        spec = ServerCreate(
            name, sshd.host, port=sshd.port, username="root", key=source
        )
        env.services.servers.add(env.root, spec, decision)
    # a second process, as the daemon would be, with its own pool and services
    daemon = build_services(env.config)
    try:
        assert "Linux" in daemon.servers.test(env.root, "plain").os
        before = env.config.paths.secret_key_file.read_bytes()

        report = env.services.secrets_admin.rotate(env.root)

        assert report.secrets == 3
        assert env.config.paths.secret_key_file.read_bytes() != before
        for name in ("plain", "locked"):
            assert "Linux" in daemon.servers.test(env.root, name).os
    finally:
        daemon.close()
