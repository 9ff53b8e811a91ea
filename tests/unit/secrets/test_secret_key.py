"""The master key: created 0600, loaded strictly, overridden by SSOP_SECRET_KEY."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ssop.core.config.loader import LoadedConfig, load_config
from ssop.core.errors import ConfigError, Conflict
from ssop.core.secrets.master_key import create_master_key, load_master_keys


def config(env: dict[str, str], **extra: str) -> LoadedConfig:
    return load_config(environ={**env, **extra}, system_config=Path("/nonexistent"))


def test_create_then_load(isolated_env: dict[str, str]) -> None:
    loaded = config(isolated_env)
    path = loaded.paths.secret_key_file
    create_master_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    keys = load_master_keys(loaded)
    assert (
        len(keys) == 1
        and Fernet(keys[0]).decrypt(Fernet(keys[0]).encrypt(b"x")) == b"x"
    )


def test_an_existing_key_is_never_overwritten(isolated_env: dict[str, str]) -> None:
    path = config(isolated_env).paths.secret_key_file
    create_master_key(path)
    before = path.read_bytes()
    with pytest.raises(Conflict):
        create_master_key(path)
    assert path.read_bytes() == before


def test_a_missing_key_is_an_error_not_a_fallback(isolated_env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_master_keys(config(isolated_env))


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_key_file_others_can_read_is_refused(
    isolated_env: dict[str, str], mode: int
) -> None:
    loaded = config(isolated_env)
    create_master_key(loaded.paths.secret_key_file)
    loaded.paths.secret_key_file.chmod(mode)
    with pytest.raises(ConfigError, match="readable by group or others"):
        load_master_keys(loaded)


def test_ssop_secret_key_overrides_the_file_and_allows_rotation(
    isolated_env: dict[str, str],
) -> None:
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    loaded = config(isolated_env, SSOP_SECRET_KEY=f"{new},{old}")
    create_master_key(loaded.paths.secret_key_file)
    loaded.paths.secret_key_file.chmod(0o644)  # ignored: the variable wins
    assert load_master_keys(loaded) == [new.encode(), old.encode()]


def test_an_invalid_key_is_named_but_never_shown(isolated_env: dict[str, str]) -> None:
    loaded = config(isolated_env, SSOP_SECRET_KEY="not-a-fernet-key")
    with pytest.raises(ConfigError, match="key 1 is not a valid Fernet key") as err:
        load_master_keys(loaded)
    assert "not-a-fernet-key" not in err.value.message
    assert "SSOP_SECRET_KEY" in err.value.message
