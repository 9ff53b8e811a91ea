"""Issue 6, first done-when item, end to end with the real pieces.

One loopback server (real key, pinned host key) whose ``systemctl`` shim
remembers which units are failed. The daemon's steps run in order through
the services (crawl, analyse, remediate, execute approved, verify), the
fake clock moving one crawl interval per cycle: the crawl reads the failed
unit over SSH, the rule engine recommends ``restart_service`` once the
failure held in N of the last M readings, policy runs it (automatic) or
asks for approval (not automatic), and the verifier sees it cleared.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from ssop.core.config.loader import load_config
from ssop.core.errors import ExitCode
from ssop.core.models import (
    ApprovalRequest,
    Execution,
    PolicyDecision,
    RecommendationRecord,
    Verification,
)
from ssop.core.services import Services, build_services
from ssop.core.store.action_repo import AssignmentRepo
from ssop.core.store.fleet_repo import FleetRepo
from ssop.core.store.server_repo import ServerRepo
from tests.cli.conftest import ADMIN_PASSWORD, Cli, login
from tests.fakes.clock import FakeClock
from tests.support import services as support
from tests.support.auth import admin
from tests.support.processes import Process
from tests.support.servers import add_sshd_server, assign
from tests.support.shims import ShimDir
from tests.support.sshd import Sshd

pytestmark = [pytest.mark.sshd]

Row = TypeVar(
    "Row",
    ApprovalRequest,
    Execution,
    PolicyDecision,
    RecommendationRecord,
    Verification,
)
SERVER = "web1"
UNIT = "nginx.service"
RESTART = ["systemctl", "restart", "--", UNIT]
CYCLES_BEFORE_ADVICE = 2  # need_readings=3: the third reading triggers it


@pytest.fixture
def clock() -> FakeClock:
    """Starts now: ``ssop approve`` in the second test reads the real clock."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def environ(
    store_url: str, isolated_env: dict[str, str], tmp_path: Path
) -> dict[str, str]:
    """What both the in-process services and ``ssop`` itself see."""
    return dict(
        isolated_env,
        SSOP_DATABASE_URL=store_url,
        SSOP_CONFIG=support.empty_config_file(tmp_path),
        SSOP_SECRET_KEY=Fernet.generate_key().decode(),
    )


@pytest.fixture
def loop(environ: dict[str, str], clock: FakeClock) -> Iterator[Services]:
    config = load_config(
        environ=environ,
        system_config=Path("/nonexistent"),
        overrides={
            "analysis.need_readings": 3,
            "analysis.of_last": 5,
            "policy.cooldown_s": 900,
            "policy.verify_delay_s": 60,
            "app.crawler_delay": 60,
        },
    )
    services = build_services(config, clock=clock)
    services.store.seed()
    yield services
    services.close()


def watched_server(services: Services, sshd: Sshd, *, automatic: bool) -> None:
    """web1 on the test sshd, with the built-in get actions and restart_service."""
    add_sshd_server(services, sshd, SERVER)
    with services.sessions() as s, s.begin():
        server = ServerRepo(s).get(SERVER)
        links = AssignmentRepo(s)
        for action in FleetRepo(s).builtin_get_actions():
            links.assign(server, action, automatic=False)
    assign(services, SERVER, "restart_service", automatic=automatic)


def cycle(services: Services, clock: FakeClock) -> None:
    """One daemon pass over the loop's steps, then one crawl interval passes."""
    never = lambda: False  # noqa: E731
    crawl = services.crawler.crawl_fleet(never)
    assert crawl.failed == 0, crawl
    analysed = services.analysis.analyse_pending(never)
    assert analysed.failed == 0, analysed
    remediated = services.remediation.remediate_new(never)
    assert not remediated.errors, remediated.errors
    services.approvals.execute_approved(never)
    services.verifier.verify_due(never)
    clock.advance(services.config.settings.app.crawler_delay)


def restarts(shims: ShimDir) -> list[list[str]]:
    return [argv for argv in shims.calls("systemctl") if argv == RESTART]


def rows(services: Services, model: type[Row]) -> list[Row]:
    with services.sessions() as s:
        return list(s.exec(select(model).order_by(model.id)))  # type: ignore[arg-type]


def restart_advice(services: Services) -> list[RecommendationRecord]:
    return [
        r
        for r in rows(services, RecommendationRecord)
        if r.action_name == "restart_service" and r.status == "accepted"
    ]


def test_an_automatic_restart_runs_once_is_verified_and_cooldown_holds(
    loop: Services, clock: FakeClock, sshd: Sshd, shims: ShimDir
) -> None:
    watched_server(loop, sshd, automatic=True)
    shims.write_systemctl_units(UNIT)
    for _ in range(CYCLES_BEFORE_ADVICE):
        cycle(loop, clock)
    assert restarts(shims) == [] and restart_advice(loop) == []

    cycle(loop, clock)  # third failed reading: advice, policy runs it
    assert restarts(shims) == [RESTART]
    assert shims.failed_units() == []
    cycle(loop, clock)  # the next crawl sees it active; verification due
    (verification,) = rows(loop, Verification)
    assert verification.cleared is True, verification
    assert verification.execution_id == rows(loop, Execution)[0].id

    shims.fail_unit(UNIT)  # it fails again, well within the cooldown
    for _ in range(4):
        cycle(loop, clock)

    assert restarts(shims) == [RESTART]
    advice = restart_advice(loop)
    assert len(advice) >= 3, advice  # the analysis kept recommending it
    (execution,) = rows(loop, Execution)
    assert (
        execution.status == "succeeded" and execution.action_name == "restart_service"
    )
    assert execution.trigger == "policy", execution.trigger
    decisions = rows(loop, PolicyDecision)
    assert [d.outcome for d in decisions].count("executed") == 1
    later = advice[-1]
    (line,) = loop.policy_admin.explain(admin(loop), later.analysis_id)
    assert (line.outcome, line.gate) == ("blocked", "cooldown"), line
    assert "cooldown 900s" in line.detail


def test_a_manual_restart_waits_for_one_approval_and_runs_once(
    loop: Services,
    clock: FakeClock,
    sshd: Sshd,
    shims: ShimDir,
    environ: dict[str, str],
) -> None:
    watched_server(loop, sshd, automatic=False)
    shims.write_systemctl_units(UNIT)
    for _ in range(CYCLES_BEFORE_ADVICE + 4):
        cycle(loop, clock)

    assert len(restart_advice(loop)) >= 3
    (request,) = rows(loop, ApprovalRequest)
    assert request.status == "pending_approval" and request.trigger == "policy"
    decisions = rows(loop, PolicyDecision)
    assert len(decisions) >= 3  # each new advice joined the one open request
    assert {(d.outcome, d.request_id) for d in decisions} == {("queued", request.id)}
    assert restarts(shims) == [] and rows(loop, Execution) == []

    cli = Cli(environ)
    assert cli("init", APP_INIT_SECRET=ADMIN_PASSWORD).exit_code == 0
    assert login(cli, "sysadmin", ADMIN_PASSWORD).exit_code == 0
    approved = cli("approve", str(request.id))
    assert approved.exit_code == 0, approved.stderr
    assert restarts(shims) == []  # approving records; the daemon runs it

    loop.approvals.execute_approved(lambda: False)
    loop.approvals.execute_approved(lambda: False)
    cycle(loop, clock)

    assert restarts(shims) == [RESTART]
    (execution,) = rows(loop, Execution)
    assert execution.status == "succeeded" and execution.request_id == request.id
    (done,) = rows(loop, ApprovalRequest)
    assert done.status == "succeeded", done.status


def test_one_daemon_pass_crawls_analyses_and_restarts(
    loop: Services,
    sshd: Sshd,
    shims: ShimDir,
    environ: dict[str, str],
    tmp_path: Path,
) -> None:
    watched_server(loop, sshd, automatic=True)
    shims.write_systemctl_units(UNIT)
    env = dict(environ, SSOP_ANALYSIS__NEED_READINGS="1", SSOP_ANALYSIS__OF_LAST="1")
    proc = Process(["-m", "ssop", "daemon", "--once"], env, tmp_path / "d.log")
    code, err = proc.finish(timeout=60)

    assert code == ExitCode.OK, err
    assert restarts(shims) == [RESTART]
    (execution,) = rows(loop, Execution)
    assert execution.status == "succeeded", execution
    (decision,) = rows(loop, PolicyDecision)
    assert (decision.outcome, decision.execution_id) == ("executed", execution.id)
