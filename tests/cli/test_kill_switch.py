"""``ssop pause`` holds everything ssop runs by itself, approved requests included.

The request is approved while paused and ``ssop daemon --once`` runs every
step; the server sits on a closed port, so a run that did start would leave
an execution record (failed) and close the request.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from ssop.core.config.loader import load_config
from ssop.core.models import ApprovalRequest, Execution, Server
from ssop.core.services import Services, build_services
from ssop.core.store.server_repo import ServerRepo
from tests.cli.conftest import Cli, login
from tests.support.policy import assign, proposal


@pytest.fixture
def store(admin_cli: Cli) -> Iterator[Services]:
    """The same store as the CLI, with web1 on a port nothing listens on."""
    services = build_services(
        load_config(environ=admin_cli.env, system_config=Path("/x"))
    )
    with services.sessions() as s, s.begin():
        web1 = ServerRepo(s).add(
            Server(name="web1", host="127.0.0.1", port=1, username=getpass.getuser())
        )
        assign(s, web1, "restart_service", automatic=False)
    yield services
    services.close()


def queued(services: Services) -> int:
    decided = services.remediation.process([proposal(recommendation_id=1)]).decided
    assert decided[0].request_id is not None
    return decided[0].request_id


def request_status(services: Services, request_id: int) -> str:
    with services.sessions() as s:
        row = s.exec(
            select(ApprovalRequest).where(ApprovalRequest.id == request_id)
        ).one()
        return row.status


def executions(services: Services) -> list[Execution]:
    with services.sessions() as s:
        return list(s.exec(select(Execution)))


def as_operator(cli: Cli, name: str = "olga") -> None:
    password = f"{name}-password-1"
    cli("user", "add", name, "--role", "operator", "--password-stdin", input=password)
    assert login(cli, name, password).exit_code == 0


def test_an_approved_request_waits_while_paused(
    admin_cli: Cli, store: Services
) -> None:
    request_id = queued(store)
    paused = admin_cli("pause", "--reason", "incident 7")
    as_operator(admin_cli)
    approved = admin_cli("approve", str(request_id))

    held = admin_cli("daemon", "--once")
    status_while_paused = request_status(store, request_id)
    ran_while_paused = executions(store)

    login(admin_cli, "sysadmin", "Init-Secret-1")
    assert admin_cli("resume").exit_code == 0
    assert admin_cli("daemon", "--once").exit_code == 0

    assert paused.exit_code == 0 and approved.exit_code == 0, approved.stderr
    assert held.exit_code == 0, held.stderr
    assert status_while_paused == "approved" and ran_while_paused == []
    assert [e.request_id for e in executions(store)] == [request_id]
    assert request_status(store, request_id) != "approved"


def test_an_approved_request_expires_while_paused(
    admin_cli: Cli, store: Services
) -> None:
    request_id = queued(store)
    as_operator(admin_cli)
    admin_cli("pause")
    admin_cli("approve", str(request_id))
    with store.sessions() as s, s.begin():
        row = s.get(ApprovalRequest, request_id)
        assert row is not None
        row.expires_at = store.clock.now()
        s.add(row)

    assert admin_cli("daemon", "--once").exit_code == 0

    assert request_status(store, request_id) == "expired"
    assert executions(store) == []


def test_a_second_pause_keeps_the_first(admin_cli: Cli, store: Services) -> None:
    first = admin_cli("pause", "--reason", "incident 7")
    as_operator(admin_cli)
    second = admin_cli("pause", "--reason", "me too")
    status = admin_cli("policy", "status").stdout

    assert first.exit_code == 0 and "already" not in first.stdout
    assert second.exit_code == 0
    assert second.stdout.startswith("automation was already paused")
    assert "paused by sysadmin: incident 7" in second.stdout
    assert "paused by sysadmin: incident 7" in status


def test_pause_help_says_approved_requests_wait(cli: Cli) -> None:
    text = " ".join(cli("pause", "--help").stdout.split())
    assert "approved requests wait" in text
    assert "expire as usual" in text
