"""Key handling: fingerprints as OpenSSH prints them, keys decrypted in memory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ssop.core.errors import InvalidInput
from ssop.core.transport.base import HostKey
from ssop.core.transport.keys import (
    fingerprint_of,
    host_key_of,
    load_private_key,
    paramiko_public_key,
    public_key_fingerprint,
)

KEY_TYPES = [("ed25519", ""), ("ed25519", "pass word"), ("ecdsa", ""), ("rsa", "pw")]


def keygen(
    directory: Path, key_type: str, passphrase: str, fmt: str = "RFC4716"
) -> Path:
    path = directory / f"{key_type}-{len(passphrase)}-{fmt}"
    bits = ["-b", "2048"] if key_type == "rsa" else []
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-t",
            key_type,
            *bits,
            "-m",
            fmt,
            "-N",
            passphrase,
            "-f",
            str(path),
        ],
        check=True,
    )
    return path


def ssh_keygen_fingerprint(pub: Path) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True, check=True
    ).stdout
    return out.split()[1]


@pytest.mark.parametrize(("key_type", "passphrase"), KEY_TYPES)
def test_fingerprints_match_ssh_keygen(
    tmp_path: Path, key_type: str, passphrase: str
) -> None:
    path = keygen(tmp_path, key_type, passphrase)
    pub = path.with_suffix(".pub")
    expected = ssh_keygen_fingerprint(pub)

    assert fingerprint_of(*pub.read_text().split()[:2]) == expected
    assert public_key_fingerprint(path.read_text(), passphrase or None) == expected
    assert host_key_of(
        load_private_key(path.read_text(), passphrase or None)
    ).fingerprint == (expected)


def test_legacy_pem_rsa_key_loads(tmp_path: Path) -> None:
    path = keygen(tmp_path, "rsa", "secret", fmt="PEM")

    key = load_private_key(path.read_text(), "secret")

    assert key.get_name() == "ssh-rsa"


def test_a_passphrase_given_for_a_plain_key_is_ignored(tmp_path: Path) -> None:
    path = keygen(tmp_path, "ed25519", "")

    assert load_private_key(path.read_text(), "unused").get_name() == "ssh-ed25519"


@pytest.mark.parametrize(
    ("passphrase", "says"),
    [
        (None, "encrypted and no passphrase"),
        ("", "encrypted and no passphrase"),
        ("wrong", "passphrase does not decrypt"),
    ],
)
def test_encrypted_key_needs_its_passphrase(
    tmp_path: Path, passphrase: str | None, says: str
) -> None:
    pem = keygen(tmp_path, "ed25519", "right").read_text()

    with pytest.raises(InvalidInput, match=says):
        load_private_key(pem, passphrase)
    with pytest.raises(InvalidInput, match=says):
        public_key_fingerprint(pem, passphrase)


def test_text_that_is_no_key_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="not valid OpenSSH or PEM"):
        load_private_key("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n", None)


def test_fingerprint_rejects_a_blob_of_another_type(tmp_path: Path) -> None:
    _, blob = (
        keygen(tmp_path, "ed25519", "").with_suffix(".pub").read_text().split()[:2]
    )

    with pytest.raises(InvalidInput, match="ssh-rsa"):
        fingerprint_of("ssh-rsa", blob)
    with pytest.raises(InvalidInput, match="base64"):
        fingerprint_of("ssh-ed25519", "not base64!")


def test_pinned_host_key_round_trips_through_paramiko(tmp_path: Path) -> None:
    key_type, blob = (
        keygen(tmp_path, "ecdsa", "").with_suffix(".pub").read_text().split()[:2]
    )
    pinned = HostKey(key_type, blob, fingerprint_of(key_type, blob))

    assert host_key_of(paramiko_public_key(pinned)) == pinned
