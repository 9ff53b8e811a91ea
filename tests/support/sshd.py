"""A real OpenSSH sshd on loopback for tests, plus hosts that hang or refuse.

``start_sshd(workdir)`` generates host and client keys with ssh-keygen,
writes an sshd_config, starts ``/usr/sbin/sshd -D -e`` on a free port and
waits until it sends its banner. One sshd may listen on up to 16 loopback
addresses (OpenSSH's MAX_LISTEN_SOCKS), all on the same port; start several
for more. Commands run as the current user (root here), through the login
shell, with the shim directory first on PATH.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ssop.core.transport.base import Endpoint, HostKey
from ssop.core.transport.keys import fingerprint_of
from tests.support.shims import ShimDir

SSHD = Path("/usr/sbin/sshd")
# compiled into sshd; Debian creates it from the service unit, absent here
PRIVSEP_DIR = Path("/run/sshd")
START_TIMEOUT_S = 10.0

# name -> (ssh-keygen type, passphrase, listed in authorized_keys)
CLIENT_KEYS: dict[str, tuple[str, str, bool]] = {
    "ed25519": ("ed25519", "", True),
    "ed25519_encrypted": ("ed25519", "correct horse", True),
    "rsa": ("rsa", "", True),
    "ecdsa": ("ecdsa", "", True),
    "unauthorized": ("ed25519", "", False),
}

_CONFIG = """\
Port {port}
{listen}
HostKey {host_key}
PidFile {workdir}/sshd.pid
AuthorizedKeysFile {workdir}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 200:30:400
MaxSessions 100
PrintMotd no
# SHLVL=1: bash then counts itself as nested and skips ~/.bashrc, which on
# this machine runs pyenv init (slow) and puts its own dirs before the shims
SetEnv PATH={search_path} SHLVL=1
"""


@dataclass(frozen=True)
class ClientKey:
    """A client key pair on disk, and its private half as text."""

    path: Path
    pem: str
    passphrase: str | None
    fingerprint: str


@dataclass(kw_only=True)
class Sshd:
    """A running test sshd and everything needed to talk to it."""

    addresses: tuple[str, ...]
    port: int
    host_key: HostKey
    host_key_pub: Path
    other_host_key: HostKey  # never presented: pin it to provoke a mismatch
    keys: dict[str, ClientKey]
    shims: ShimDir
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def host(self) -> str:
        return self.addresses[0]

    def endpoint(
        self, name: str = "test-sshd", *, key: str = "ed25519", **changes: Any
    ) -> Endpoint:
        """An Endpoint that works (pinned key, authorized client key).

        ``changes`` override any Endpoint field, e.g. ``pinned_host_key=None``.
        """
        client = self.keys[key]
        base = Endpoint(
            name=name,
            host=self.host,
            port=self.port,
            username=getpass.getuser(),
            private_key=client.pem,
            passphrase=client.passphrase,
            pinned_host_key=self.host_key,
            connect_timeout=5.0,
        )
        return dataclasses.replace(base, **changes)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def require_sshd() -> None:
    """Fail (never skip) when OpenSSH's server is not installed or cannot run."""
    if not SSHD.exists():
        pytest.fail(
            f"{SSHD} is missing: install the Debian package openssh-server",
            pytrace=False,
        )
    try:
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
    except OSError as e:
        pytest.fail(f"sshd needs {PRIVSEP_DIR}: {e.strerror}", pytrace=False)


def start_sshd(workdir: Path, addresses: Sequence[str] = ("127.0.0.1",)) -> Sshd:
    """Start an sshd listening on ``addresses`` (same free port on each)."""
    require_sshd()
    workdir.mkdir(parents=True, exist_ok=True)
    host_key, host_key_pub = _host_key(workdir, "host_key")
    other_host_key, _ = _host_key(workdir, "other_host_key")
    keys = _client_keys(workdir)
    shims = ShimDir(workdir / "shims", workdir / "shim-calls.jsonl")
    for _attempt in range(3):  # another process may grab the port first
        port = free_port(addresses[0])
        process, log_path = _launch(workdir, tuple(addresses), port, shims)
        if _wait_ready(process, addresses, port):
            return Sshd(
                addresses=tuple(addresses),
                port=port,
                host_key=host_key,
                host_key_pub=host_key_pub,
                other_host_key=other_host_key,
                keys=keys,
                shims=shims,
                log_path=log_path,
                process=process,
            )
    pytest.fail(f"sshd did not start; its log:\n{log_path.read_text()}", pytrace=False)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def hung_host(host: str = "127.0.0.1") -> Iterator[tuple[str, int]]:
    """A port whose kernel completes the TCP handshake but nobody ever speaks.

    The socket listens and is never accept()ed: connects succeed (backlog),
    then the client waits forever for an SSH banner.
    """
    with socket.socket() as sock:
        sock.bind((host, 0))
        sock.listen(128)
        yield host, int(sock.getsockname()[1])


def dead_host(host: str = "127.0.0.1") -> tuple[str, int]:
    """A port nothing listens on (connections are refused)."""
    return host, free_port(host)


def _keygen(path: Path, key_type: str, passphrase: str = "") -> None:
    bits = ["-b", "2048"] if key_type == "rsa" else []
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-t",
            key_type,
            *bits,
            "-N",
            passphrase,
            "-C",
            path.name,
            "-f",
            str(path),
        ],
        check=True,
    )


def _host_key(workdir: Path, name: str) -> tuple[HostKey, Path]:
    path = workdir / name
    _keygen(path, "ed25519")
    pub = path.with_suffix(".pub")
    key_type, blob = pub.read_text().split()[:2]
    return HostKey(key_type, blob, fingerprint_of(key_type, blob)), pub


def _client_keys(workdir: Path) -> dict[str, ClientKey]:
    keys: dict[str, ClientKey] = {}
    authorized: list[str] = []
    for name, (key_type, passphrase, listed) in CLIENT_KEYS.items():
        path = workdir / f"client_{name}"
        _keygen(path, key_type, passphrase)
        public = path.with_suffix(".pub").read_text()
        if listed:
            authorized.append(public)
        fingerprint = fingerprint_of(*public.split()[:2])
        keys[name] = ClientKey(path, path.read_text(), passphrase or None, fingerprint)
    (workdir / "authorized_keys").write_text("".join(authorized))
    return keys


def _launch(
    workdir: Path, addresses: tuple[str, ...], port: int, shims: ShimDir
) -> tuple[subprocess.Popen[bytes], Path]:
    config = workdir / "sshd_config"
    config.write_text(
        _CONFIG.format(
            port=port,
            listen="\n".join(f"ListenAddress {a}" for a in addresses),
            host_key=workdir / "host_key",
            workdir=workdir,
            search_path=shims.search_path(),
        )
    )
    log_path = workdir / f"sshd-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    return process, log_path


def _wait_ready(
    process: subprocess.Popen[bytes], addresses: Sequence[str], port: int
) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    pending = list(addresses)
    while pending and time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if _sends_banner(pending[0], port):
            pending.pop(0)
        else:
            time.sleep(0.02)  # polling a real process: no clock to fake
    if pending:
        process.kill()
        process.wait()
    return not pending


def _sends_banner(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False
