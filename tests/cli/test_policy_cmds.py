"""approvals, approve, reject, pause, resume, explain, policy, maintenance: the CLI.

Recommendations are fed to policy the way the daemon's remediate step
does; approved requests run through its execute_approved step, against the
loopback sshd whose ``systemctl`` shim records each call.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssop.core.config.loader import load_config
from ssop.core.services import Services, build_services
from tests.cli.conftest import Cli, error_line, login
from tests.support.policy import SshExecutor, fleet, proposal, sshd_builder, wire
from tests.support.shims import ShimDir
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def daemon(admin_cli: Cli, sshd: Sshd, shims: ShimDir) -> Iterator[Services]:
    """The daemon's side: same store and config file, real clock, the sshd executor."""
    services = build_services(
        load_config(environ=admin_cli.env, system_config=Path("/x"))
    )
    executor = SshExecutor(services.sessions, services.clock, sshd_builder(sshd))
    wire(services, executor)
    shims.write_shim("systemctl")
    yield services
    executor.close()
    services.close()


def operator(cli: Cli, name: str = "olga", role: str = "operator") -> None:
    added = cli(
        "user",
        "add",
        name,
        "--role",
        role,
        "--password-stdin",
        input=f"{name}-password-1\n",
    )
    assert added.exit_code == 0, added.stderr
    assert login(cli, name, f"{name}-password-1").exit_code == 0


def test_approve_from_the_cli_and_the_daemon_runs_it_once(
    admin_cli: Cli, daemon: Services, sshd: Sshd, shims: ShimDir
) -> None:
    fleet(daemon, ["web1"], {"restart_service": False}, sshd)
    daemon.remediation.process([proposal(recommendation_id=1, analysis_id=5)])
    operator(admin_cli)

    (row,) = table(admin_cli("approvals", "list", "--format", "csv").stdout)
    shown = json.loads(
        admin_cli("approvals", "show", row["id"], "--format", "json").stdout
    )
    approved = admin_cli("approve", row["id"], "--comment", "go ahead")
    twice = admin_cli("approve", row["id"])
    daemon.approvals.execute_approved()
    daemon.approvals.execute_approved()
    (done,) = table(
        admin_cli("approvals", "list", "--status", "all", "--format", "csv").stdout
    )

    assert (row["status"], row["action"], row["gate"]) == (
        "pending_approval",
        "restart_service",
        "not_automatic",
    )
    assert shown["command"] == "systemctl restart -- nginx" and shown["analysis"] == 5
    assert approved.exit_code == 0, approved.stderr
    assert approved.stdout.startswith(
        f"approved request #{row['id']}: restart_service on web1"
    )
    assert twice.exit_code == 1 and "already approved by olga" in error_line(twice)
    assert shims.calls("systemctl") == [["systemctl", "restart", "--", "nginx"]]
    assert done["status"] == "succeeded"


def test_refusals(admin_cli: Cli, daemon: Services, sshd: Sshd) -> None:
    fleet(daemon, ["web1"], {"restart_service": False}, sshd)
    daemon.remediation.process([proposal(recommendation_id=1)])
    (row,) = table(admin_cli("approvals", "list", "--format", "csv").stdout)
    missing = admin_cli("approve", "999")
    operator(admin_cli, "vic", "viewer")

    denied = admin_cli("approve", row["id"])
    no_reason = admin_cli("reject", row["id"])
    bad_status = admin_cli("approvals", "list", "--status", "bogus")

    assert denied.exit_code == 4 and "lacks approvals.decide" in error_line(denied)
    assert (
        missing.exit_code == 3
        and error_line(missing) == "ssop: error: no approval request #999"
    )
    assert no_reason.exit_code == 2
    assert bad_status.exit_code == 2 and "unknown status 'bogus'" in error_line(
        bad_status
    )


def test_reject_closes_the_request(
    admin_cli: Cli, daemon: Services, sshd: Sshd
) -> None:
    fleet(daemon, ["web1"], {"restart_service": False}, sshd)
    daemon.remediation.process([proposal(recommendation_id=1)])
    (row,) = table(admin_cli("approvals", "list", "--format", "csv").stdout)

    rejected = admin_cli("reject", row["id"], "--reason", "not now")
    after = admin_cli("approve", row["id"])

    assert (
        rejected.stdout.strip()
        == f"rejected request #{row['id']}: restart_service on web1"
    )
    assert after.exit_code == 1 and "rejected by sysadmin: not now" in error_line(after)
    assert table(admin_cli("approvals", "list", "--format", "csv").stdout) == []


def test_explain_pause_and_resume(admin_cli: Cli, daemon: Services, sshd: Sshd) -> None:
    fleet(daemon, ["web1"], {"restart_service": True}, sshd)
    paused = admin_cli("pause", "--reason", "incident 7")
    daemon.remediation.process([proposal(recommendation_id=1, analysis_id=3)])
    resumed = admin_cli("resume")
    daemon.remediation.process([proposal(recommendation_id=2, analysis_id=3)])

    lines = json.loads(admin_cli("explain", "3", "--format", "json").stdout)
    unknown = admin_cli("explain", "4")

    assert "paused by sysadmin: incident 7" in paused.stdout
    assert "running" in resumed.stdout
    assert [(ln["verdict"], ln["gate"]) for ln in lines] == [
        ("blocked", "paused"),
        ("executed", "passed"),
    ]
    assert "incident 7" in lines[0]["detail"]
    assert (
        unknown.exit_code == 3
        and "no policy decisions for analysis #4" in error_line(unknown)
    )


def test_shadow_mode_report_and_promote(
    admin_cli: Cli, sshd: Sshd, shims: ShimDir
) -> None:
    Path(admin_cli.env["SSOP_CONFIG"]).write_text('[policy]\nmode = "shadow"\n')
    services = build_services(
        load_config(environ=admin_cli.env, system_config=Path("/x"))
    )
    wire(services, None)
    fleet(services, ["web1"], {"restart_service": True}, sshd)
    services.remediation.process([proposal(recommendation_id=1)])

    report = table(admin_cli("policy", "shadow-report", "--format", "csv").stdout)
    before = admin_cli("policy", "status").stdout
    promoted = admin_cli("policy", "promote").stdout
    services.close()

    assert [(r["server"], r["verdict"]) for r in report] == [
        ("web1", "would have executed (shadow mode)")
    ]
    assert "shadow (settings)" in before and "web1" in before
    assert "live (override)" in promoted
    assert shims.calls() == []


def test_maintenance_windows(admin_cli: Cli, daemon: Services, sshd: Sshd) -> None:
    fleet(daemon, ["web1"], {"restart_service": True}, sshd)

    added = admin_cli(
        "maintenance", "add", "web1", "--for", "2h", "--reason", "disk swap"
    )
    listed = table(admin_cli("maintenance", "list", "--format", "csv").stdout)
    blocked = daemon.remediation.process([proposal(recommendation_id=1)]).decided[0]
    removed = admin_cli("maintenance", "rm", listed[0]["id"])
    nowhere = admin_cli("maintenance", "add", "web9", "--for", "1h")
    bad = admin_cli("maintenance", "add", "web1", "--for", "soon")

    assert added.stdout.startswith("maintenance #") and "on web1 until" in added.stdout
    assert [(w["server"], w["reason"], w["by"]) for w in listed] == [
        ("web1", "disk swap", "sysadmin")
    ]
    assert blocked.gate == "maintenance"
    assert removed.stdout.strip() == f"removed maintenance #{listed[0]['id']} on web1"
    assert nowhere.exit_code == 3
    assert bad.exit_code == 2


def test_reenable_needs_a_demotion(admin_cli: Cli) -> None:
    result = admin_cli("policy", "reenable", "web1", "restart_service")
    assert result.exit_code == 3
    assert error_line(result) == "ssop: error: restart_service is not demoted on web1"
