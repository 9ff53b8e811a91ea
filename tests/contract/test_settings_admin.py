"""SettingsAdminService: settings.write while the store is up, bootstrap otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.config.loader import LoadedConfig, load_config, read_toml
from ssop.core.errors import ConfigError, PermissionDenied
from ssop.core.services import Services, build_services
from tests.support.auth import add_user, admin, login


def test_an_admin_sets_a_value_and_only_the_key_is_audited(
    services: Services, loaded_config: LoadedConfig
) -> None:
    root = admin(services)
    written = services.settings_admin.set(root, "mysql.password", "s3cr3t-value")
    assert written.secret is True
    assert (
        read_toml(loaded_config.paths.config_file)["mysql"]["password"]
        == "s3cr3t-value"
    )
    entry = services.audit_log.list(root, event="config.set")[0]
    assert (entry.actor, entry.target) == ("root", "mysql.password")
    assert "s3cr3t" not in entry.detail


def test_without_a_login_or_settings_write_nothing_is_written(
    services: Services, loaded_config: LoadedConfig
) -> None:
    admin(services)
    add_user(services, "olga", Role.OPERATOR, "pw")
    with pytest.raises(PermissionDenied, match="needs a login"):
        services.settings_admin.set(None, "app.env", "x")
    with pytest.raises(PermissionDenied, match="lacks settings.write"):
        services.settings_admin.set(login(services, "olga", "pw"), "app.env", "x")
    assert not loaded_config.paths.config_file.exists()


def test_a_wrong_type_is_refused_and_the_file_kept(
    services: Services, loaded_config: LoadedConfig
) -> None:
    root = admin(services)
    services.settings_admin.set(root, "app.port", "9000")
    before = loaded_config.paths.config_file.read_bytes()
    with pytest.raises(ConfigError, match="app.port"):
        services.settings_admin.set(root, "app.port", "not-a-port")
    assert loaded_config.paths.config_file.read_bytes() == before


def test_database_urls_are_shown_without_their_password(services: Services) -> None:
    written = services.settings_admin.set(
        admin(services), "database.url", "mysql+mysqldb://u:pw@127.0.0.1/x"
    )
    assert written.value == "mysql+mysqldb://u:***@127.0.0.1/x"


def test_with_the_store_unreachable_anyone_may_repair_the_config(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    env = dict(isolated_env, SSOP_DATABASE_URL="mysql+mysqldb://root:pw@127.0.0.1:1/x")
    loaded = load_config(environ=env, system_config=Path("/nonexistent"))
    services = build_services(loaded)
    try:
        written = services.settings_admin.set(None, "app.env", "staging")
    finally:
        services.close()
    assert written.value == "staging"
    assert read_toml(loaded.paths.config_file) == {"app": {"env": "staging"}}
