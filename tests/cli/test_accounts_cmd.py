"""Locks, unlocking, enabling and the password length, through ``ssop user``."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line, login
from tests.support.auth import snapshot

ALICE = "alice-password-1"


def add_alice(cli: Cli) -> None:
    added = cli(
        "user", "add", "alice", "--role", "viewer", "--password-stdin", input=ALICE
    )
    assert added.exit_code == 0, added.stderr


def lock_out(cli: Cli, name: str) -> None:
    for _ in range(5):
        assert login(cli, name, "not-the-password").exit_code == 4
    login(cli, "sysadmin", ADMIN_PASSWORD)


def test_enable_and_a_new_password_leave_a_lock_and_unlock_lifts_it(
    admin_cli: Cli,
) -> None:
    add_alice(admin_cli)
    admin_cli("user", "disable", "alice")
    lock_out(admin_cli, "alice")

    enabled = admin_cli("user", "enable", "alice")
    reset = admin_cli(
        "user", "passwd", "alice", "--password-stdin", input="new-" + ALICE
    )
    still_locked = login(admin_cli, "alice", "new-" + ALICE)
    login(admin_cli, "sysadmin", ADMIN_PASSWORD)
    unlocked = admin_cli("user", "unlock", "alice")
    again = admin_cli("user", "unlock", "alice")
    logged_in = login(admin_cli, "alice", "new-" + ALICE)

    assert enabled.exit_code == 0 and enabled.stdout.startswith("enabled alice\n")
    assert "alice is still locked after failed logins until" in enabled.stdout
    assert "ssop user unlock alice" in enabled.stdout
    assert reset.exit_code == 0
    assert still_locked.exit_code == 4 and "locked" in error_line(still_locked)
    assert unlocked.stdout == "unlocked alice\n"
    assert again.stdout == "alice was not locked\n"
    assert logged_in.exit_code == 0, logged_in.stderr


def test_enable_says_when_there_was_nothing_to_do(admin_cli: Cli) -> None:
    add_alice(admin_cli)
    assert admin_cli("user", "enable", "alice").stdout == "alice was not disabled\n"
    assert admin_cli("user", "disable", "alice").stdout == "disabled alice\n"
    assert (
        admin_cli("user", "disable", "alice").stdout == "alice was already disabled\n"
    )
    unlocked = admin_cli("user", "unlock", "alice").stdout
    assert unlocked == (
        "alice was not locked\nalice is disabled; to let it log in: "
        "ssop user enable alice\n"
    )


def test_after_an_unlock_old_failures_no_longer_count(admin_cli: Cli) -> None:
    add_alice(admin_cli)
    lock_out(admin_cli, "alice")
    admin_cli("user", "unlock", "alice")
    for _ in range(4):
        login(admin_cli, "alice", "not-the-password")
    assert login(admin_cli, "alice", ALICE).exit_code == 0


def test_short_passwords_are_refused(admin_cli: Cli, store_engine: Engine) -> None:
    before = snapshot(store_engine)
    added = admin_cli(
        "user",
        "add",
        "bob",
        "--role",
        "viewer",
        "--password-stdin",
        input="short-pw-11",
    )
    changed = admin_cli(
        "user", "passwd", "sysadmin", "--password-stdin", input="short-pw-11"
    )
    assert (added.exit_code, changed.exit_code) == (2, 2)
    assert error_line(added) == (
        "ssop: error: the password has 11 characters; at least 12 are needed"
    )
    assert "auth.min_password_length" in added.stderr
    assert snapshot(store_engine) == before


def test_the_minimum_is_a_setting(admin_cli: Cli) -> None:
    assert admin_cli("config", "set", "auth.min_password_length", "16").exit_code == 0
    refused = admin_cli(
        "user", "add", "bob", "--role", "viewer", "--password-stdin", input="x" * 15
    )
    assert refused.exit_code == 2 and "at least 16" in error_line(refused)
    described = admin_cli("config", "show", "--describe", "--format", "csv").stdout
    assert "auth.min_password_length,16" in described
    assert "Fewest characters a new password may have" in described


def test_init_refuses_a_short_admin_password(cli: Cli) -> None:
    result = cli("init", "--admin-password-stdin", input="short-pw")
    assert result.exit_code == 2 and "at least 12" in error_line(result)
