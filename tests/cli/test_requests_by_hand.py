"""Requests by hand, analyse-then-decide, and promoting one server from shadow mode."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from ssop.core.config.loader import load_config
from ssop.core.models import AnalysisRecord, Server
from ssop.core.services import Services, build_services
from ssop.core.store.server_repo import ServerRepo
from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line, login
from tests.support.analysis import add_server, reading, store_readings
from tests.support.policy import assign


@pytest.fixture
def store(admin_cli: Cli) -> Iterator[Services]:
    services = build_services(
        load_config(environ=admin_cli.env, system_config=Path("/x"))
    )
    yield services
    services.close()


def remote(services: Services, name: str, *actions: str) -> None:
    """A server on a port nothing listens on: nothing here may reach it."""
    with services.sessions() as s, s.begin():
        row = ServerRepo(s).add(
            Server(name=name, host="127.0.0.1", port=1, username=getpass.getuser())
        )
        for action in actions:
            assign(s, row, action, automatic=False)


def operator(cli: Cli, name: str) -> None:
    password = f"{name}-password-1"
    cli("user", "add", name, "--role", "operator", "--password-stdin", input=password)


def test_a_request_by_hand_waits_for_another_approver(
    admin_cli: Cli, store: Services
) -> None:
    remote(store, "web1", "reboot_system")
    operator(admin_cli, "olga")
    operator(admin_cli, "bob")
    login(admin_cli, "olga", "olga-password-1")

    made = admin_cli("approvals", "request", "web1", "reboot_system", "--reason", "k")
    request_id = made.stdout.split()[1].strip("#:")
    own = admin_cli("approve", request_id)
    login(admin_cli, "bob", "bob-password-1")
    other = admin_cli("approve", request_id)
    shown = json.loads(
        admin_cli("approvals", "show", request_id, "--format", "json").stdout
    )

    assert made.exit_code == 0, made.stderr
    assert made.stdout.startswith(f"requested #{request_id}: reboot_system on web1")
    assert "it waits for another user with approvals.decide" in made.stdout
    assert own.exit_code == 6 and "four-eyes" in error_line(own)
    assert other.exit_code == 0, other.stderr
    assert (shown["status"], shown["requested_by"], shown["decided_by"]) == (
        "approved",
        "olga",
        "bob",
    )
    assert (shown["trigger"], shown["reasoning"]) == ("manual", "k")


def test_a_request_by_hand_is_checked_like_a_run(
    admin_cli: Cli, store: Services
) -> None:
    remote(store, "web1", "restart_service")
    guarded = admin_cli(
        "approvals", "request", "web1", "restart_service", "--param", "service=sshd"
    )
    malformed = admin_cli(
        "approvals", "request", "web1", "restart_service", "--param", "x"
    )
    unassigned = admin_cli("approvals", "request", "web1", "reboot_system")
    missing = admin_cli("approvals", "request", "web9", "restart_service")

    assert guarded.exit_code == 2 and "sshd" in error_line(guarded)
    assert malformed.exit_code == 2 and "NAME=VALUE" in error_line(malformed)
    assert unassigned.exit_code == 6 and "not assigned" in error_line(unassigned)
    assert missing.exit_code == 3
    assert json.loads(admin_cli("approvals", "list", "--format", "json").stdout) == []


def test_analyze_says_the_daemon_decides_and_it_does(
    admin_cli: Cli, store: Services
) -> None:
    add_server(store, "web1", ("cleanup_temp_files",))
    store_readings(store, "web1", [reading(disk=97)] * 5)

    result = admin_cli("analyze", "web1")
    with store.sessions() as s:
        analysis_id = s.exec(select(AnalysisRecord.id)).one()
    before = admin_cli("explain", str(analysis_id))
    store.remediation.remediate_new()
    after = json.loads(
        admin_cli("explain", str(analysis_id), "--format", "json").stdout
    )

    assert result.exit_code == 0, result.stderr
    assert (
        "policy decides on 1 recommendation(s) at the daemon's next remediate step"
        in result.stdout
    )
    assert f"then: ssop explain {analysis_id}" in result.stdout
    assert before.exit_code == 3
    assert [(line["action"], line["gate"]) for line in after] == [
        ("cleanup_temp_files", "not_automatic")
    ]


def test_promoting_one_server_out_of_a_shadow_fleet(
    admin_cli: Cli, store: Services
) -> None:
    Path(admin_cli.env["SSOP_CONFIG"]).write_text('[policy]\nmode = "shadow"\n')
    remote(store, "web1")
    remote(store, "web2")
    login(admin_cli, "sysadmin", ADMIN_PASSWORD)

    promoted = admin_cli("policy", "promote", "--server", "web1")
    status = admin_cli("policy", "status")

    assert promoted.exit_code == 0, promoted.stderr
    assert "mode            shadow (settings)\n" in promoted.stdout
    assert "shadow servers  web2\n" in promoted.stdout
    assert "shadow servers  web2\n" in status.stdout
