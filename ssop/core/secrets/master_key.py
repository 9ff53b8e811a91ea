"""The master key that encrypts secrets at rest (SSH keys, passphrases).

The key is a Fernet key kept in ``secret.key`` (mode 0600), or given by
SSOP_SECRET_KEY / ``app.secret_key``, which wins over the file. Several keys
(comma- or line-separated) allow rotation: the first encrypts, all decrypt.
A missing or exposed key is an error, never a reason to fall back.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.fernet import Fernet

from ssop.core.config.loader import LoadedConfig
from ssop.core.errors import ConfigError, Conflict, PermissionDenied


def create_master_key(path: Path) -> None:
    """Write a new key to ``path`` (0600, folder 0700).

    Raises:
        Conflict: ``path`` already exists; it is never overwritten.
        PermissionDenied: the folder or file cannot be created by this user.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as e:
        raise Conflict(f"master key file {path} already exists") from e
    except PermissionError as e:
        raise PermissionDenied(
            f"cannot create the master key {path}: {e.strerror} ({e.filename})",
            hint="run as the user who owns that folder, or set XDG_CONFIG_HOME",
        ) from e
    with os.fdopen(fd, "wb") as fh:
        fh.write(Fernet.generate_key() + b"\n")


def generate_master_key() -> bytes:
    return Fernet.generate_key()


def write_master_keys(path: Path, keys: list[bytes]) -> None:
    """Replace the key file with ``keys``, one a line, atomically (0600).

    A reader sees either the old file or the new one, never a part of one.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"".join(k + b"\n" for k in keys))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself must survive a crash too
    finally:
        os.close(folder)


def load_master_keys(loaded: LoadedConfig) -> list[bytes]:
    """The master keys, current one first.

    Raises:
        ConfigError: no key, a key file readable by group or others, or a
            value that is not a Fernet key. Messages never show key material.
    """
    override = loaded.settings.app.secret_key
    if override is not None and override.get_secret_value().strip():
        source = f"app.secret_key ({loaded.origin('app.secret_key')})"
        return _parse(override.get_secret_value(), source)
    path = loaded.paths.secret_key_file
    return _parse(_read_key_file(path), f"key file {path}")


def _read_key_file(path: Path) -> str:
    try:
        if path.stat().st_mode & 0o077:
            raise ConfigError(
                f"key file {path} is readable by group or others",
                hint=f"run: chmod 600 {path}",
            )
        return path.read_text()
    except FileNotFoundError as e:
        raise ConfigError(
            f"no master key: {path} does not exist",
            hint="restore it from a backup (or set SSOP_SECRET_KEY); "
            "on a new installation run: ssop init",
        ) from e
    except PermissionError as e:
        raise ConfigError(f"key file {path}: not readable ({e.strerror})") from e


def _parse(text: str, source: str) -> list[bytes]:
    keys = [k.encode() for k in re.split(r"[\s,]+", text) if k]
    if not keys:
        raise ConfigError(f"{source}: holds no key")
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError as e:
            raise ConfigError(
                f"{source}: key {number} is not a valid Fernet key"
            ) from e
    return keys
