"""Bad input: one ``ssop: error:`` line, a non-zero exit, and nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from ssop.core.models import ApiToken, LoginSession
from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line, login, session_path
from tests.support.auth import snapshot

PAST = datetime(2020, 1, 1, tzinfo=UTC)
UNREACHABLE = "mysql+mysqldb://root:hunter2@127.0.0.1:1/x"


def config_path(cli: Cli) -> Path:
    return Path(cli.env["SSOP_CONFIG"])


def add_viewer(cli: Cli) -> None:
    result = cli(
        "user",
        "add",
        "vera",
        "--role",
        "viewer",
        "--password-stdin",
        input="vera-password-1\n",
    )
    assert result.exit_code == 0, result.stderr


def test_wrong_password(admin_cli: Cli, store_engine: Engine) -> None:
    admin_cli("logout")
    before = snapshot(store_engine)
    result = login(admin_cli, "sysadmin", "not-it")
    assert result.exit_code == 4
    assert error_line(result) == "ssop: error: invalid username or password"
    assert login(admin_cli, "nobody", "not-it").stderr == result.stderr
    assert snapshot(store_engine) == before
    assert not session_path(admin_cli).exists()


def test_locked_account(admin_cli: Cli, store_engine: Engine) -> None:
    admin_cli("logout")
    for _ in range(5):
        assert login(admin_cli, "sysadmin", "not-it").exit_code == 4
    before = snapshot(store_engine)
    result = login(admin_cli, "sysadmin", ADMIN_PASSWORD)
    assert result.exit_code == 4
    assert "account locked after too many failed logins" in error_line(result)
    assert snapshot(store_engine) == before
    assert not session_path(admin_cli).exists()


def test_expired_session(admin_cli: Cli, store_engine: Engine) -> None:
    with store_engine.begin() as conn:
        conn.execute(update(LoginSession).values(expires_at=PAST))
    before = snapshot(store_engine)
    result = admin_cli(
        "user", "add", "x", "--role", "viewer", "--password-stdin", input="pw\n"
    )
    assert result.exit_code == 4
    assert error_line(result) == "ssop: error: your session expired"
    assert "ssop login" in result.stderr
    assert snapshot(store_engine) == before


def test_revoked_session(admin_cli: Cli, store_engine: Engine) -> None:
    stolen = session_path(admin_cli).read_text()
    assert admin_cli("logout").exit_code == 0
    session_path(admin_cli).write_text(stolen)
    session_path(admin_cli).chmod(0o600)
    before = snapshot(store_engine)
    result = admin_cli(
        "user", "add", "x", "--role", "viewer", "--password-stdin", input="pw\n"
    )
    assert result.exit_code == 4
    assert error_line(result) == "ssop: error: your session was revoked"
    assert snapshot(store_engine) == before


@pytest.mark.parametrize("case", ["unknown", "expired", "revoked"])
def test_bad_ssop_token(admin_cli: Cli, store_engine: Engine, case: str) -> None:
    token = admin_cli("token", "create", "ci", "--role", "admin").stdout.strip()
    if case == "unknown":
        token = "ssopt_" + "x" * 43
    elif case == "expired":
        with store_engine.begin() as conn:
            conn.execute(update(ApiToken).values(expires_at=PAST))
    else:
        assert admin_cli("token", "revoke", "ci").exit_code == 0
    before = snapshot(store_engine)
    result = admin_cli(
        "user",
        "add",
        "x",
        "--role",
        "viewer",
        "--password-stdin",
        input="pw\n",
        SSOP_TOKEN=token,
    )
    assert result.exit_code == 4
    expected = {
        "unknown": "SSOP_TOKEN is not a known API token",
        "expired": "API token ci expired",
        "revoked": "API token ci was revoked",
    }[case]
    assert error_line(result) == f"ssop: error: {expected}"
    assert snapshot(store_engine) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("user", "add", "x", "--role", "root", "--password-stdin"),
            "unknown role 'root'",
        ),
        (("user", "set-role", "sysadmin", "god"), "unknown role 'god'"),
        (
            ("role", "grant", "viewer", "servers.nuke"),
            "unknown capability 'servers.nuke'",
        ),
        (("role", "revoke", "superuser", "servers.read"), "unknown role 'superuser'"),
        (("token", "create", "t", "--role", "boss"), "unknown role 'boss'"),
    ],
)
def test_unknown_role_or_capability(
    admin_cli: Cli, store_engine: Engine, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(store_engine)
    result = admin_cli(*args, input="pw\n")
    assert result.exit_code == 2
    assert message in error_line(result)
    assert snapshot(store_engine) == before


@pytest.mark.parametrize(
    ("args", "capability"),
    [
        (("user", "list"), "users.manage"),
        (("user", "set-role", "vera", "admin"), "users.manage"),
        (("user", "disable", "sysadmin"), "users.manage"),
        (("role", "grant", "viewer", "users.manage"), "users.manage"),
        (("token", "create", "t", "--role", "viewer"), "users.manage"),
        (("audit", "list"), "audit.read"),
        (("config", "set", "app.env", "x"), "settings.write"),
    ],
)
def test_a_viewer_running_an_admin_command(
    admin_cli: Cli, store_engine: Engine, args: tuple[str, ...], capability: str
) -> None:
    add_viewer(admin_cli)
    assert login(admin_cli, "vera", "vera-password-1").exit_code == 0
    before = snapshot(store_engine)
    config_before = config_path(admin_cli).read_bytes()
    result = admin_cli(*args)
    assert result.exit_code == 4
    assert (
        error_line(result)
        == f"ssop: error: permission denied: vera (role viewer) lacks {capability}"
    )
    assert snapshot(store_engine) == before
    assert config_path(admin_cli).read_bytes() == config_before


def test_a_demoted_admin_loses_access_at_once(admin_cli: Cli) -> None:
    admin_cli(
        "user",
        "add",
        "ann",
        "--role",
        "admin",
        "--password-stdin",
        input="ann-password-1\n",
    )
    assert login(admin_cli, "ann", "ann-password-1").exit_code == 0
    assert admin_cli("user", "list").exit_code == 0
    assert login(admin_cli, "sysadmin", ADMIN_PASSWORD).exit_code == 0
    assert admin_cli("user", "set-role", "ann", "viewer").exit_code == 0
    assert login(admin_cli, "ann", "ann-password-1").exit_code == 0
    assert admin_cli("user", "list").exit_code == 4


def test_a_corrupt_config_file(admin_cli: Cli, store_engine: Engine) -> None:
    config_path(admin_cli).write_text("[app\nname = ")
    before = snapshot(store_engine)
    result = admin_cli("user", "list")
    assert result.exit_code == 2
    assert "not valid TOML" in error_line(result)
    assert str(config_path(admin_cli)) in error_line(result)
    assert snapshot(store_engine) == before


def test_an_unreadable_config_file(cli: Cli, tmp_path: Path) -> None:
    config_path(cli).unlink()
    config_path(cli).mkdir()
    result = cli("whoami")
    assert result.exit_code == 2
    assert (
        error_line(result)
        == f"ssop: error: config file {config_path(cli)}: is a directory"
    )


def test_a_config_file_value_of_the_wrong_type(cli: Cli) -> None:
    config_path(cli).write_text('[app]\nport = "not-a-port"\n')
    result = cli("whoami")
    assert result.exit_code == 2
    assert "key app.port" in error_line(result)
    assert str(config_path(cli)) in error_line(result)


def test_config_set_with_a_value_of_the_wrong_type(admin_cli: Cli) -> None:
    before = config_path(admin_cli).read_bytes()
    result = admin_cli("config", "set", "app.port", "eighty")
    assert result.exit_code == 2
    assert "key app.port" in error_line(result)
    assert config_path(admin_cli).read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [("user", "list"), ("login", "--username", "x", "--password-stdin"), ("init",)],
)
def test_a_database_that_cannot_be_reached(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli(*args, input="pw\n", SSOP_DATABASE_URL=UNREACHABLE)
    assert result.exit_code == 5
    line = error_line(result)
    assert "cannot reach the database at 127.0.0.1:1" in line
    assert "hunter2" not in result.stderr + result.stdout
    assert config_path(cli).read_bytes() == b""
    assert not (Path(cli.env["XDG_CONFIG_HOME"]) / "ssop" / "secret.key").exists()


def test_a_password_over_72_bytes(admin_cli: Cli, store_engine: Engine) -> None:
    before = snapshot(store_engine)
    long_pw = "p" * 73
    result = admin_cli(
        "user", "add", "x", "--role", "viewer", "--password-stdin", input=long_pw + "\n"
    )
    assert result.exit_code == 2
    assert error_line(result) == (
        "ssop: error: the password is 73 bytes long; "
        "at most 72 bytes (UTF-8) are allowed"
    )
    result = login(admin_cli, "sysadmin", long_pw)
    assert result.exit_code == 2
    assert snapshot(store_engine) == before


def test_init_with_a_password_over_72_bytes_writes_nothing(
    cli: Cli, store_engine: Engine
) -> None:
    result = cli("init", "--admin-password-stdin", input="p" * 100 + "\n")
    assert result.exit_code == 2
    assert "at most 72 bytes" in error_line(result)
    assert snapshot(store_engine)["users"] == []
    assert config_path(cli).read_bytes() == b""
    assert not (Path(cli.env["XDG_CONFIG_HOME"]) / "ssop" / "secret.key").exists()


def test_init_on_an_initialised_store(admin_cli: Cli, store_engine: Engine) -> None:
    before = snapshot(store_engine)
    config_before = config_path(admin_cli).read_bytes()
    result = admin_cli("init", "--admin-password-stdin", input="other-password-1\n")
    assert result.exit_code == 1
    assert (
        error_line(result)
        == "ssop: error: ssop is already initialised; nothing changed"
    )
    assert snapshot(store_engine) == before
    assert config_path(admin_cli).read_bytes() == config_before


def test_commands_on_a_store_that_is_not_initialised(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    result = cli(
        "login",
        "--username",
        "x",
        "--password-stdin",
        input="pw\n",
        SSOP_DATABASE_URL=f"sqlite:///{tmp_path}/empty.db",
    )
    assert result.exit_code == 1
    assert error_line(result) == "ssop: error: the store is not initialised"
    assert "ssop init" in result.stderr
