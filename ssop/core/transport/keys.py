"""SSH key material: decrypt private keys in memory and fingerprint keys.

Private keys arrive as PEM/OpenSSH text that was decrypted from the store;
they are never written to disk. Fingerprints use OpenSSH's format,
``SHA256:`` + unpadded base64 of the SHA-256 of the key blob, so they can be
compared with what ``ssh-keygen -lf`` prints.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from typing import TYPE_CHECKING

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from ssop.core.errors import InvalidInput
from ssop.core.transport.base import HostKey

if TYPE_CHECKING:  # paramiko is imported only by the functions that need it
    import paramiko

SUPPORTED_KEY_CLASSES = (
    ed25519.Ed25519PrivateKey,
    ec.EllipticCurvePrivateKey,
    rsa.RSAPrivateKey,
)


def fingerprint_of(key_type: str, base64_blob: str) -> str:
    """OpenSSH's SHA256 fingerprint of a public key given as in known_hosts.

    Raises:
        InvalidInput: the base64 is malformed or names another key type.
    """
    blob = _public_blob(key_type, base64_blob)
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii")
    return "SHA256:" + digest.rstrip("=")


def host_key_of(key: paramiko.PKey) -> HostKey:
    """The ``HostKey`` value for a key paramiko received or loaded."""
    key_type, blob = key.get_name(), key.get_base64()
    return HostKey(key_type, blob, fingerprint_of(key_type, blob))


def paramiko_public_key(host_key: HostKey) -> paramiko.PKey:
    """A pinned ``HostKey`` as the paramiko key object ``HostKeys`` expects.

    Raises:
        InvalidInput: the stored key is not a usable public key.
    """
    import paramiko

    blob = _public_blob(host_key.key_type, host_key.base64)
    try:
        return paramiko.PKey.from_type_string(host_key.key_type, blob)
    except (paramiko.SSHException, paramiko.UnknownKeyType, ValueError) as e:
        raise InvalidInput(
            f"the pinned host key is not a usable {host_key.key_type} key"
        ) from e


def load_private_key(pem: str, passphrase: str | None) -> paramiko.PKey:
    """Decrypt ``pem`` in memory into a paramiko key (Ed25519, ECDSA or RSA).

    Raises:
        InvalidInput: the text is no private key, the key type is not
            supported, or the passphrase is missing or wrong.
    """
    # re-encoded without encryption, so paramiko skips a second slow KDF
    plain, private = plain_private_key(pem, passphrase)
    return _paramiko_class(private).from_private_key(io.StringIO(plain))


def plain_private_key(pem: str, passphrase: str | None) -> tuple[str, PrivateKeyTypes]:
    """``pem`` decrypted in memory, as unencrypted OpenSSH text and as a key object.

    Raises:
        InvalidInput: as for ``load_private_key``.
    """
    private = _supported(_decrypt(pem, passphrase))
    plain = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    return plain.decode("ascii"), private


def public_key_fingerprint(private_key_pem: str, passphrase: str | None = None) -> str:
    """The SHA256 fingerprint of the public half of a private key.

    Raises:
        InvalidInput: as for ``load_private_key``.
    """
    private = _supported(_decrypt(private_key_pem, passphrase))
    line = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    key_type, blob = line.decode("ascii").split()[:2]
    return fingerprint_of(key_type, blob)


def _public_blob(key_type: str, base64_blob: str) -> bytes:
    try:
        blob = base64.b64decode(base64_blob, validate=True)
    except binascii.Error as e:
        raise InvalidInput("a public key is not valid base64") from e
    if _blob_type(blob) != key_type:
        raise InvalidInput(f"a public key is not of the stated type {key_type!r}")
    return blob


def _blob_type(blob: bytes) -> str:
    size = int.from_bytes(blob[:4], "big")
    return blob[4 : 4 + size].decode("ascii", "replace")


def _decrypt(pem: str, passphrase: str | None) -> PrivateKeyTypes:
    data = pem.strip().encode("utf-8") + b"\n"
    try:
        return _parse(data, None)
    except TypeError:
        pass  # encrypted: the passphrase is needed below
    except (ValueError, UnsupportedAlgorithm) as e:
        raise InvalidInput("the private key is not valid OpenSSH or PEM text") from e
    if not passphrase:
        raise InvalidInput("the private key is encrypted and no passphrase was given")
    try:
        return _parse(data, passphrase.encode("utf-8"))
    except (ValueError, TypeError) as e:
        raise InvalidInput("the passphrase does not decrypt the private key") from e


def _parse(data: bytes, password: bytes | None) -> PrivateKeyTypes:
    if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data:
        return serialization.load_ssh_private_key(data, password)
    return serialization.load_pem_private_key(data, password)


def _supported(private: PrivateKeyTypes) -> PrivateKeyTypes:
    if not isinstance(private, SUPPORTED_KEY_CLASSES):
        raise InvalidInput(
            f"unsupported private key type {type(private).__name__}; "
            "use Ed25519, ECDSA or RSA"
        )
    return private


def _paramiko_class(private: PrivateKeyTypes) -> type[paramiko.PKey]:
    import paramiko

    classes: tuple[tuple[type, type[paramiko.PKey]], ...] = (
        (ed25519.Ed25519PrivateKey, paramiko.Ed25519Key),
        (ec.EllipticCurvePrivateKey, paramiko.ECDSAKey),
    )
    for crypto_class, key_class in classes:
        if isinstance(private, crypto_class):
            return key_class
    return paramiko.RSAKey  # type: ignore[no-any-return]
