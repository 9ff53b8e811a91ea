"""The first-run story on SQLite and MariaDB: init, login, add a user, refuse a
viewer, log out; and no password or token ever stored in clear."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import datetime, timedelta

from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line, login, session_path
from tests.support.at_rest import bytes_at_rest


def test_init_login_add_user_refuse_viewer_logout(cli: Cli) -> None:
    result = cli("init", "--admin-password-stdin", input=f"{ADMIN_PASSWORD}\n")
    assert result.exit_code == 0, result.stderr
    assert "created admin sysadmin" in result.stdout
    assert ADMIN_PASSWORD not in result.stdout + result.stderr

    result = login(cli, "sysadmin", ADMIN_PASSWORD)
    assert result.exit_code == 0, result.stderr
    assert "logged in as sysadmin (admin)" in result.stdout

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
    assert "vera" in cli("user", "list", "--format", "csv").stdout

    assert cli("logout").stdout.strip() == "logged out"
    assert not session_path(cli).exists()
    assert login(cli, "vera", "vera-password-1").exit_code == 0
    result = cli(
        "user", "add", "mallory", "--role", "admin", "--password-stdin", input="x\n"
    )
    assert result.exit_code == 4
    assert (
        error_line(result)
        == "ssop: error: permission denied: vera (role viewer) lacks users.manage"
    )
    assert cli("logout").exit_code == 0
    assert "mallory" not in _login_and_list(cli)


def _login_and_list(cli: Cli) -> str:
    assert login(cli, "sysadmin", ADMIN_PASSWORD).exit_code == 0
    result = cli("user", "list", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_session_file_is_0600_in_a_0700_folder(admin_cli: Cli) -> None:
    path = session_path(admin_cli)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_text().startswith("ssops_")


def test_whoami_shows_user_role_and_expiry(admin_cli: Cli) -> None:
    result = admin_cli("whoami", "--format", "json")
    assert result.exit_code == 0, result.stderr
    who = json.loads(result.stdout)
    assert (who["user"], who["role"]) == ("sysadmin", "admin")
    assert datetime.fromisoformat(who["expires"]).utcoffset() == timedelta(0)


def test_no_password_or_token_is_stored_in_clear(
    admin_cli: Cli, store_url: str
) -> None:
    user_pw = "Plain-Text-Pw-42"
    result = admin_cli(
        "user",
        "add",
        "alice",
        "--role",
        "operator",
        "--password-stdin",
        input=user_pw + "\n",
    )
    assert result.exit_code == 0, result.stderr
    created = admin_cli("token", "create", "ci", "--role", "viewer")
    assert created.exit_code == 0, created.stderr
    api_token = created.stdout.strip()
    session_token = session_path(admin_cli).read_text().strip()
    assert api_token.startswith("ssopt_") and session_token.startswith("ssops_")

    at_rest = bytes_at_rest(store_url)
    assert b"alice" in at_rest  # the bytes really hold the tables
    for token in (api_token, session_token):
        assert hashlib.sha256(token.encode()).hexdigest().encode() in at_rest
        assert token.encode() not in at_rest
    for secret in (user_pw, ADMIN_PASSWORD, api_token, session_token):
        assert secret.encode() not in at_rest
