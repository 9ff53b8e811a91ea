"""InitService: everything missing is created; a second run changes nothing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.config.loader import LoadedConfig, load_config
from ssop.core.errors import Conflict, InvalidInput, StoreUnreachable
from ssop.core.secrets.master_key import load_master_keys
from ssop.core.services import Services, build_services
from tests.support.auth import login


def never() -> str:
    raise AssertionError("the password prompt must not be used")


def test_init_creates_config_key_admin_and_matrix(
    services: Services, loaded_config: LoadedConfig
) -> None:
    report = services.init.run(lambda: "first-password-1")
    assert report.admin == "sysadmin" and report.password_from == "input"
    paths = loaded_config.paths
    assert paths.config_file.exists()
    assert stat.S_IMODE(paths.secret_key_file.stat().st_mode) == 0o600
    assert len(load_master_keys(loaded_config)) == 1
    assert login(services, "sysadmin", "first-password-1").role is Role.ADMIN


def test_a_second_run_changes_nothing_and_says_so(
    services: Services, loaded_config: LoadedConfig
) -> None:
    services.init.run(lambda: "first-password-1")
    key = loaded_config.paths.secret_key_file.read_bytes()
    with pytest.raises(Conflict, match="already initialised"):
        services.init.run(never)
    assert loaded_config.paths.secret_key_file.read_bytes() == key


def test_the_admin_password_comes_from_app_init_secret(
    store_url: str, isolated_env: dict[str, str]
) -> None:
    env = dict(
        isolated_env, SSOP_DATABASE_URL=store_url, APP_INIT_SECRET="from-env-secret"
    )
    services = build_services(load_config(environ=env, system_config=Path("/x")))
    try:
        report = services.init.run(never)
        assert report.password_from == "APP_INIT_SECRET"
        assert login(services, "sysadmin", "from-env-secret").name == "sysadmin"
    finally:
        services.close()


def test_a_bad_password_stops_init_before_anything_is_written(
    services: Services, loaded_config: LoadedConfig
) -> None:
    with pytest.raises(InvalidInput, match="72 bytes"):
        services.init.run(lambda: "x" * 80)
    assert not loaded_config.paths.config_file.exists()
    assert not loaded_config.paths.secret_key_file.exists()


def test_init_migrates_a_new_sqlite_store(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    env = dict(isolated_env, SSOP_DATABASE_URL=f"sqlite:///{tmp_path}/new.db")
    services = build_services(load_config(environ=env, system_config=Path("/x")))
    try:
        report = services.init.run(lambda: "password-1234")
        assert any("migrated database" in line for line in report.done)
        assert services.store.status().up_to_date
        assert login(services, "sysadmin", "password-1234").role is Role.ADMIN
    finally:
        services.close()


def test_an_unreachable_database_stops_init_before_anything_is_written(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    env = dict(isolated_env, SSOP_DATABASE_URL="mysql+mysqldb://root@127.0.0.1:1/x")
    loaded = load_config(environ=env, system_config=Path("/x"))
    services = build_services(loaded)
    try:
        with pytest.raises(StoreUnreachable, match="127.0.0.1:1"):
            services.init.run(never)
    finally:
        services.close()
    assert not loaded.paths.config_file.exists()
    assert not loaded.paths.secret_key_file.exists()
