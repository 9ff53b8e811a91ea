"""A lost master key, on SQLite and MariaDB: ``init`` refuses to replace it
while secrets are sealed, ``reset`` drops them (admin only, audited), and the
health check says whether the key opens what is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.config.loader import LoadedConfig
from ssop.core.errors import ConfigError, PermissionDenied
from ssop.core.ops.checks import CheckState
from ssop.core.services import Services
from ssop.core.store.server_repo import ServerRepo
from tests.support.auth import add_user, login
from tests.support.servers import add_server


def never() -> str:
    raise AssertionError("the password prompt must not be used")


@pytest.fixture
def key_file(services: Services, loaded_config: LoadedConfig) -> Path:
    """An initialised store with one server whose key and passphrase are sealed."""
    services.init.run(lambda: "first-password")
    box = services.secret_box()
    add_server(
        services,
        "web1",
        key_ciphertext=box.encrypt("-----BEGIN OPENSSH PRIVATE KEY-----"),
        passphrase_ciphertext=box.encrypt("correct horse"),
        key_fingerprint="SHA256:x",
    )
    add_server(services, "agent", use_agent=True)
    return loaded_config.paths.secret_key_file


@pytest.fixture
def root(services: Services, key_file: Path) -> Principal:
    return login(services, "sysadmin", "first-password")


def master_key_check(services: Services) -> tuple[CheckState, str]:
    (check,) = [c for c in services.health.check().checks if c.name == "master key"]
    return check.state, check.detail


def test_init_will_not_create_a_key_over_sealed_secrets(
    services: Services, key_file: Path
) -> None:
    key_file.unlink()
    with pytest.raises(ConfigError) as refused:
        services.init.run(never)
    assert refused.value.message == (
        f"no master key at {key_file}, but the store holds the sealed keys of "
        "1 server(s) (web1); a new key would not open them, so none was created"
    )
    assert "restore the master key file from a backup" in (refused.value.hint or "")
    assert "ssop secrets reset" in (refused.value.hint or "")
    assert not key_file.exists()


def test_reset_drops_the_sealed_secrets_then_init_creates_a_key(
    services: Services, key_file: Path, root: Principal
) -> None:
    key_file.unlink()
    summary = services.sealed_secrets.summary(root)
    assert (summary.servers, summary.secrets) == (("web1",), 2)

    dropped = services.sealed_secrets.reset(root)

    assert dropped == summary
    with services.sessions() as s:
        web1 = ServerRepo(s).get("web1")
    assert (web1.key_ciphertext, web1.passphrase_ciphertext) == (None, None)
    assert web1.key_fingerprint is None
    (event,) = services.audit_log.list(root, event="secrets.reset")
    assert (event.actor, event.target) == ("sysadmin", "sealed keys")
    assert event.detail == "dropped 2 secrets of web1"
    report = services.init.run(never)
    assert report.done == (f"created master key {key_file}",)
    assert master_key_check(services) == (CheckState.OK, "no secrets stored")


def test_reset_is_for_admins_only(
    services: Services, key_file: Path, root: Principal
) -> None:
    add_user(services, "olga", Role.OPERATOR, "olga-pw")
    olga = login(services, "olga", "olga-pw")
    with pytest.raises(PermissionDenied, match="lacks settings.write"):
        services.sealed_secrets.reset(olga)
    services.roles.grant(root, "operator", "settings.write")
    with pytest.raises(
        PermissionDenied, match=r"olga \(role operator\) is not an admin"
    ):
        services.sealed_secrets.reset(olga)
    assert services.sealed_secrets.summary(root).secrets == 2


def test_health_says_whether_the_key_opens_the_stored_secrets(
    services: Services, key_file: Path
) -> None:
    assert master_key_check(services) == (
        CheckState.OK,
        "opens the 2 stored secret(s) of 1 server(s)",
    )
    key_file.write_bytes(Fernet.generate_key() + b"\n")
    assert master_key_check(services) == (
        CheckState.FAILED,
        "the master key does not open the stored keys of 1 server(s): web1",
    )
    assert not services.health.check().ok
    key_file.unlink()
    assert master_key_check(services) == (
        CheckState.FAILED,
        f"no master key: {key_file} does not exist",
    )
