"""``ssop quickstart``: the whole loop on this machine, and harmless when repeated."""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import Session, create_engine, select

from ssop.core.models import MetricSample, Server, ServerAction, User
from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line, session_path

GENERATED = re.compile(r"password of sysadmin: (\S+)")


def rows(cli: Cli, model: type) -> int:
    engine = create_engine(cli.env["SSOP_DATABASE_URL"])
    try:
        with Session(engine) as s:
            return int(s.exec(select(func.count()).select_from(model)).one())
    finally:
        engine.dispose()


def test_first_run_sets_up_logs_in_adds_this_machine_and_shows_readings(
    cli: Cli,
) -> None:
    result = cli("quickstart")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "created admin sysadmin" in out
    assert "logged in as sysadmin" in out
    assert "added server localhost" in out
    assert (
        "added server localhost (this machine, no SSH) with the built-in get actions"
        in out
    )
    assert re.search(r"memory %\s+\d", out) and re.search(r"load 1/5/15\s+\d", out)
    assert "disk /" in out
    assert "ssop daemon" in out and "ssop analysis list" in out
    password = GENERATED.search(out)
    assert password is not None
    assert session_path(cli).exists()
    assert cli("whoami").exit_code == 0
    assert login_works(cli, password.group(1))
    assert rows(cli, Server) == 1 and rows(cli, MetricSample) == 1


def login_works(cli: Cli, password: str) -> bool:
    result = cli(
        "login", "--username", "sysadmin", "--password-stdin", input=password + "\n"
    )
    return result.exit_code == 0


def test_a_second_run_is_harmless_and_says_what_already_existed(cli: Cli) -> None:
    assert cli("quickstart").exit_code == 0
    links = rows(cli, ServerAction)
    result = cli("quickstart")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "ssop is already initialised" in out
    assert "already logged in as sysadmin" in out
    assert "server localhost already exists" in out
    assert "assigned" not in out and GENERATED.search(out) is None
    assert re.search(r"memory %\s+\d", out)
    assert rows(cli, Server) == 1 and rows(cli, User) == 1
    assert rows(cli, ServerAction) == links
    assert rows(cli, MetricSample) == 2


def test_the_admin_password_from_app_init_secret_is_never_printed(cli: Cli) -> None:
    result = cli("quickstart", APP_INIT_SECRET=ADMIN_PASSWORD)
    assert result.exit_code == 0, result.stderr
    assert ADMIN_PASSWORD not in result.stdout + result.stderr
    assert GENERATED.search(result.stdout) is None
    assert login_works(cli, ADMIN_PASSWORD)


def test_set_up_before_and_logged_out_it_refuses_and_changes_nothing(cli: Cli) -> None:
    assert cli("init", APP_INIT_SECRET=ADMIN_PASSWORD).exit_code == 0
    result = cli("quickstart")
    assert result.exit_code == 4
    assert error_line(result) == (
        "ssop: error: ssop was set up before and you are not logged in"
    )
    assert rows(cli, Server) == 0 and rows(cli, MetricSample) == 0
    result = cli("quickstart", APP_INIT_SECRET=ADMIN_PASSWORD)
    assert result.exit_code == 0, result.stderr
    assert "logged in as sysadmin" in result.stdout
    assert rows(cli, Server) == 1
