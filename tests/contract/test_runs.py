"""Manual runs through RunService and ExecutionRunner, on both dialects.

Servers are reached through FakeTransports (one per server, recording every
call), so "nothing ran" is ``calls == []`` and every record is read back
from the store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.actions.builtin import BUILTINS_BY_NAME
from ssop.core.actions.catalog import ActionDraft
from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.guards.rails import GuardRails
from ssop.core.actions.render import ValidatedParams, validate_params
from ssop.core.actions.spec import ActionSpec
from ssop.core.config.loader import LoadedConfig
from ssop.core.errors import (
    AuthFailed,
    CommandTimeout,
    HostKeyMismatch,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PolicyRefused,
    StoreError,
    TransportError,
)
from ssop.core.execution.executor import (
    ExecutionInterrupted,
    ExecutionStatus,
    Trigger,
)
from ssop.core.execution.manual_runs import (
    FanoutPlan,
    NotConfirmed,
    RunPlan,
    RunService,
)
from ssop.core.models import ApprovalRequest, Server
from ssop.core.services import Services, build_services
from ssop.core.store.execution_repo import ExecutionFilter, ExecutionRepo
from ssop.core.store.server_repo import ServerRepo
from ssop.core.transport.base import (
    Command,
    CommandResult,
    RunInterrupted,
    RunTimedOut,
)
from ssop.core.transport.connection_spec import ConnectionSpec
from tests.fakes.clock import FakeClock
from tests.fakes.fake_transport import FakeTransport
from tests.support.audit import reasons, refusals
from tests.support.auth import add_user, admin, login
from tests.support.servers import add_server, assign
from tests.support.stragglers import ctrl_c_after

UPTIME_ARGV = (
    "sh",
    "-c",
    "LC_ALL=C; export LC_ALL\necho '==ssop:uptime=='; "
    "read -r l < /proc/uptime && echo \"$l\"\necho '==ssop:end=='\n",
    "sh",
)
RESTART = ("systemctl", "restart", "--", "nginx")


@dataclass
class Fleet:
    services: Services
    transports: dict[str, FakeTransport] = field(default_factory=dict)

    def transport(self, name: str) -> FakeTransport:
        return self.transports.setdefault(name, FakeTransport(name=name))

    def calls(self) -> list[tuple[str, ...]]:
        return [argv for t in self.transports.values() for argv in t.argvs]

    def records(self) -> list[tuple[str, str, str]]:
        with self.services.sessions() as s:
            rows = ExecutionRepo(s).list(_all())
        return [(r.server_name, r.action_name, r.status) for r in rows]


def _all() -> ExecutionFilter:
    return ExecutionFilter(limit=1000)


@pytest.fixture
def fleet(loaded_config: LoadedConfig, clock: FakeClock) -> Iterator[Fleet]:
    holder = Fleet(None)  # type: ignore[arg-type]

    def factory(server: ConnectionSpec) -> FakeTransport:
        return holder.transport(server.name)

    holder.services = build_services(
        loaded_config, clock=clock, transport_factory=factory
    )
    holder.services.store.seed()
    yield holder
    holder.services.close()


@pytest.fixture
def root(fleet: Fleet) -> Principal:
    return admin(fleet.services)


def web(fleet: Fleet, name: str = "web1", *actions: str, **fields: object) -> None:
    add_server(fleet.services, name, **fields)  # type: ignore[arg-type]
    assign(fleet.services, name, *(actions or ("get_uptime", "restart_service")))


def yes(_plan: object) -> bool:
    return True


def test_a_get_action_runs_with_a_record(fleet: Fleet, root: Principal) -> None:
    web(fleet)
    fleet.transport("web1").on(*UPTIME_ARGV, stdout="12.5 3.0\n", duration_s=0.2)
    record = fleet.services.runs.run(root, "web1", "get_uptime", {})
    assert record.status is ExecutionStatus.SUCCEEDED
    assert (record.actor, record.trigger, record.exit_code) == ("root", "manual", 0)
    assert record.stdout == "12.5 3.0\n" and record.duration_s == 0.2
    assert record.command == Command(UPTIME_ARGV).as_shell()
    assert fleet.calls() == [UPTIME_ARGV]
    assert fleet.transport("web1").timeouts == [30.0]
    shown = fleet.services.executions.show(root, record.id)
    assert shown == record


def test_the_record_is_written_before_the_command_starts(
    fleet: Fleet, root: Principal
) -> None:
    web(fleet)
    seen: list[tuple[str, str, dict[str, object], str]] = []

    def restart(cmd: Command) -> CommandResult:
        with fleet.services.sessions() as s:
            (row,) = ExecutionRepo(s).list(_all())
            seen.append((row.status, row.command, row.params, row.actor))
        return CommandResult("", "", 0, 0.1)

    fleet.transport("web1").script[RESTART] = restart
    fleet.services.runs.run(
        root, "web1", "restart_service", {"service": "nginx"}, confirm=yes
    )
    assert seen == [
        ("running", "systemctl restart -- nginx", {"service": "nginx"}, "root")
    ]
    assert fleet.records() == [("web1", "restart_service", "succeeded")]


def test_execute_actions_need_a_confirmation(fleet: Fleet, root: Principal) -> None:
    web(fleet)
    asked: list[RunPlan] = []

    def decline(plan: RunPlan) -> bool:
        asked.append(plan)
        return False

    for confirm in (None, decline):
        with pytest.raises(NotConfirmed, match="needs a confirmation"):
            fleet.services.runs.run(
                root, "web1", "restart_service", {"service": "nginx"}, confirm=confirm
            )
    assert [p.command for p in asked] == ["systemctl restart -- nginx"]
    assert fleet.calls() == [] and fleet.records() == []


def test_a_dry_run_shows_the_command_and_runs_nothing(
    fleet: Fleet, root: Principal
) -> None:
    web(fleet, "web1", "restart_service", username="deploy")
    plan = fleet.services.runs.dry_run(
        root, "web1", "restart_service", {"service": "nginx"}
    )
    assert plan.command == "sudo -n -- systemctl restart -- nginx"
    assert plan.needs_confirmation and plan.params == {"service": "nginx"}
    assert fleet.calls() == [] and fleet.records() == []


@pytest.mark.parametrize(
    ("username", "use_sudo", "argv"),
    [
        ("deploy", True, ("sudo", "-n", "--", *RESTART)),
        ("root", True, RESTART),
        ("deploy", False, RESTART),
    ],
)
def test_sudo_only_for_a_non_root_login(
    loaded_config: LoadedConfig,
    clock: FakeClock,
    username: str,
    use_sudo: bool,
    argv: tuple[str, ...],
) -> None:
    loaded_config.settings.ssh.use_sudo = use_sudo
    fake = FakeTransport().on(*argv)
    services = build_services(
        loaded_config, clock=clock, transport_factory=lambda _s: fake
    )
    services.store.seed()
    try:
        root = admin(services)
        add_server(services, "web1", username=username)
        assign(services, "web1", "restart_service")
        services.runs.run(
            root, "web1", "restart_service", {"service": "nginx"}, confirm=yes
        )
    finally:
        services.close()
    assert fake.argvs == [argv]


BAD_INPUT = [
    ("restart_service", "service", "nginx; rm -rf /", "not a valid systemd unit"),
    ("restart_service", "service", "$(reboot)", "not a valid systemd unit"),
    ("restart_service", "service", "`id`", "not a valid systemd unit"),
    ("restart_service", "service", "-h", "must not start with '-'"),
    ("restart_service", "service", "a\nb", "control character"),
    ("restart_service", "service", "../../etc", "not a valid systemd unit"),
    ("restart_service", "service", ".*", "not a valid systemd unit"),
    ("restart_service", "service", "sshd.service", "protected unit"),
    ("block_ip_firewalld", "ip", "0.0.0.0/0", "single address"),
    ("block_ip_firewalld", "ip", "127.0.0.1", "loopback"),
    ("block_ip_firewalld", "ip", "1.2.3.4 && curl x", "not an IPv4 or IPv6"),
    ("list_dir", "path", "../../etc", "absolute path"),
    ("list_dir", "path", "/tmp/../etc", "absolute path"),
    ("list_dir", "path", "/etc", "allowed root"),
]


@pytest.mark.parametrize(("action", "param", "value", "match"), BAD_INPUT)
def test_bad_parameters_are_refused_before_anything_runs(
    fleet: Fleet, root: Principal, action: str, param: str, value: str, match: str
) -> None:
    fleet.services.actions.create(
        root,
        ActionDraft(
            type="command_get",
            risk="low",
            command="ls -la {path}",
            params=("path:path@/tmp",),
        ).spec("list_dir"),
    )
    web(fleet, "web1", action)
    with pytest.raises(InvalidInput, match=match):
        fleet.services.runs.run(root, "web1", action, {param: value}, confirm=yes)
    with pytest.raises(InvalidInput, match=match):
        fleet.services.runs.dry_run(root, "web1", action, {param: value})
    assert fleet.calls() == [] and fleet.records() == []
    refused = [
        e for e in fleet.services.audit_log.list(root) if e.event == "run.refused"
    ]
    assert refused and refused[0].target == f"web1/{action}" and not refused[0].ok


def test_unknown_missing_and_extra_parameters(fleet: Fleet, root: Principal) -> None:
    web(fleet)
    runs = fleet.services.runs
    with pytest.raises(InvalidInput, match="missing required parameter 'service'"):
        runs.run(root, "web1", "restart_service", {}, confirm=yes)
    with pytest.raises(InvalidInput, match="unknown parameter 'force'"):
        runs.run(root, "web1", "get_uptime", {"force": "1"})
    assert fleet.calls() == [] and fleet.records() == []


def test_refusals_by_name_assignment_and_state(fleet: Fleet, root: Principal) -> None:
    web(fleet, "web1", "get_uptime")
    add_server(fleet.services, "off", enabled=False)
    assign(fleet.services, "off", "get_uptime")
    runs, actions = fleet.services.runs, fleet.services.actions
    with pytest.raises(NotFound, match="no server named 'web9'"):
        runs.run(root, "web9", "get_uptime", {})
    with pytest.raises(NotFound, match="no action named 'nope'"):
        runs.run(root, "web1", "nope", {})
    with pytest.raises(PolicyRefused, match="get_cpu_usage is not assigned to web1"):
        runs.run(root, "web1", "get_cpu_usage", {})
    with pytest.raises(PolicyRefused, match="server off is disabled"):
        runs.run(root, "off", "get_uptime", {})
    actions.set_enabled(root, "get_uptime", False)
    with pytest.raises(PolicyRefused, match="action get_uptime is disabled"):
        runs.run(root, "web1", "get_uptime", {})
    with pytest.raises(PolicyRefused, match="disabled"):
        runs.dry_run(root, "web1", "get_uptime", {})
    assert fleet.calls() == [] and fleet.records() == []


def test_runs_need_actions_run(fleet: Fleet, root: Principal) -> None:
    web(fleet)
    add_user(fleet.services, "vera", Role.VIEWER, "pw")
    vera = login(fleet.services, "vera", "pw")
    with pytest.raises(PermissionDenied, match="lacks actions.run"):
        fleet.services.runs.run(vera, "web1", "get_uptime", {})
    with pytest.raises(PermissionDenied, match="lacks actions.run"):
        fleet.services.runs.dry_run(vera, "web1", "get_uptime", {})
    add_user(fleet.services, "olga", Role.OPERATOR, "pw")
    fleet.transport("web1").on(*UPTIME_ARGV, stdout="1 1\n")
    record = fleet.services.runs.run(
        login(fleet.services, "olga", "pw"), "web1", "get_uptime", {}
    )
    assert (record.actor, record.status) == ("olga", ExecutionStatus.SUCCEEDED)
    assert len(fleet.calls()) == 1


@pytest.mark.parametrize(
    ("outcome", "status", "error"),
    [
        (CommandResult("", "boom\n", 3, 0.1), ExecutionStatus.FAILED, ""),
        (
            AuthFailed("server web1: authentication failed"),
            ExecutionStatus.FAILED,
            "server web1: authentication failed",
        ),
        (
            HostKeyMismatch("server web1: host key changed"),
            ExecutionStatus.FAILED,
            "server web1: host key changed",
        ),
        (
            TransportError("server web1: connection refused"),
            ExecutionStatus.FAILED,
            "server web1: connection refused",
        ),
        (
            CommandTimeout("server web1: sh did not finish within 30s"),
            ExecutionStatus.TIMED_OUT,
            "server web1: sh did not finish within 30s",
        ),
    ],
)
def test_outcomes_complete_the_record(
    fleet: Fleet,
    root: Principal,
    outcome: CommandResult | Exception,
    status: ExecutionStatus,
    error: str,
) -> None:
    web(fleet)
    fleet.transport("web1").script[UPTIME_ARGV] = outcome
    record = fleet.services.runs.run(root, "web1", "get_uptime", {})
    assert (record.status, record.error) == (status, error)
    assert record.finished_at is not None
    assert fleet.services.executions.show(root, record.id).status is status


PARTIAL = CommandResult("started\n", "warming\n", 124, 29.5)


@pytest.mark.parametrize(
    ("ended_on_host", "status"),
    [(True, ExecutionStatus.TIMED_OUT), (False, ExecutionStatus.UNKNOWN)],
)
def test_a_command_stopped_at_its_deadline_keeps_its_output(
    fleet: Fleet, root: Principal, ended_on_host: bool, status: ExecutionStatus
) -> None:
    web(fleet)
    fleet.transport("web1").script[UPTIME_ARGV] = RunTimedOut(
        "server web1: sh did not finish within 30s ...",
        partial=PARTIAL,
        ended_on_host=ended_on_host,
    )
    record = fleet.services.runs.run(root, "web1", "get_uptime", {})
    assert (record.status, record.stdout, record.stderr) == (
        status,
        "started\n",
        "warming\n",
    )
    assert (record.exit_code, record.duration_s) == (None, 29.5)
    assert record.error == "server web1: sh did not finish within 30s ..."


@pytest.mark.parametrize(
    ("ended_on_host", "status"),
    [(True, ExecutionStatus.CANCELLED), (False, ExecutionStatus.UNKNOWN)],
)
def test_ctrl_c_completes_the_record_then_stops(
    fleet: Fleet, root: Principal, ended_on_host: bool, status: ExecutionStatus
) -> None:
    web(fleet)
    fleet.transport("web1").script[UPTIME_ARGV] = RunInterrupted(
        "server web1: sh was interrupted and was stopped there",
        partial=PARTIAL,
        ended_on_host=ended_on_host,
    )
    with pytest.raises(ExecutionInterrupted) as caught:
        fleet.services.runs.run(root, "web1", "get_uptime", {})
    record = caught.value.record
    assert isinstance(caught.value, KeyboardInterrupt)
    assert (record.status, record.stdout, record.finished_at is not None) == (
        status,
        "started\n",
        True,
    )
    assert fleet.services.executions.show(root, record.id).status is status


def test_a_read_only_command_cut_off_at_the_cap_succeeds_truncated(
    fleet: Fleet, root: Principal
) -> None:
    web(fleet)
    fleet.transport("web1").on(*UPTIME_ARGV, stdout="y\n" * (300 * 1024))
    record = fleet.services.runs.run(root, "web1", "get_uptime", {})
    assert (record.status, record.exit_code) == (ExecutionStatus.SUCCEEDED, None)
    assert record.stdout_truncated and len(record.stdout) == 256 * 1024
    (command,) = fleet.transport("web1").calls
    assert command.end_at_cap


def test_a_command_that_changes_the_host_is_not_cut_off_at_the_cap(
    fleet: Fleet, root: Principal
) -> None:
    web(fleet)
    fleet.transport("web1").on(*RESTART, stdout="y\n" * (300 * 1024))
    record = fleet.services.runs.run(
        root, "web1", "restart_service", {"service": "nginx"}, confirm=yes
    )
    assert (record.status, record.exit_code) == (ExecutionStatus.SUCCEEDED, 0)
    assert record.stdout_truncated
    (command,) = fleet.transport("web1").calls
    assert not command.end_at_cap


@pytest.mark.parametrize(
    ("refusal", "outcome"),
    [(HostKeyMismatch, "refused"), (AuthFailed, "denied")],
)
def test_a_host_key_or_ssh_login_refusal_is_audited(
    fleet: Fleet, root: Principal, refusal: type[TransportError], outcome: str
) -> None:
    web(fleet)
    fleet.transport("web1").script[UPTIME_ARGV] = refusal("server web1: said no")
    fleet.services.runs.run(root, "web1", "get_uptime", {})
    assert refusals(fleet.services) == [("root", "ssh.connect", "web1", outcome)]
    assert reasons(fleet.services, "ssh.connect") == ["server web1: said no"]


def test_an_unreachable_server_is_a_failure_not_a_refusal(
    fleet: Fleet, root: Principal
) -> None:
    web(fleet)
    fleet.transport("web1").script[UPTIME_ARGV] = TransportError("refused")
    fleet.services.runs.run(root, "web1", "get_uptime", {})
    assert refusals(fleet.services) == []


def test_a_record_that_cannot_be_written_means_nothing_runs(
    fleet: Fleet, root: Principal, store_engine: Engine
) -> None:
    web(fleet)
    fleet.transport("web1").on(*UPTIME_ARGV, stdout="1 1\n")
    with store_engine.begin() as conn:
        conn.execute(text("ALTER TABLE executions RENAME TO executions_gone"))
    try:
        with pytest.raises(StoreError, match="get_uptime was not run"):
            fleet.services.runs.run(root, "web1", "get_uptime", {})
        with pytest.raises(StoreError, match="was not run"):
            fleet.services.runner.execute(
                _server(fleet, "web1"),
                *_uptime(),
                actor="policy",
                trigger=Trigger.POLICY,
            )
    finally:
        with store_engine.begin() as conn:
            conn.execute(text("ALTER TABLE executions_gone RENAME TO executions"))
    assert fleet.calls() == []


def _server(fleet: Fleet, name: str) -> Server:
    with fleet.services.sessions() as s:
        return ServerRepo(s).get(name)


def _running_request(fleet: Fleet, server: str, action: str) -> int:
    """A request its runner has marked running (the executor's fence needs one)."""
    now = fleet.services.clock.now()
    row = ApprovalRequest(
        expires_at=now + timedelta(hours=1),
        status="running",
        trigger="auto",
        server_name=server,
        action_name=action,
        params_key="",
        spec_hash="",
        effective_risk="low",
        requested_by="policy",
    )
    with fleet.services.sessions() as s, s.begin():
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def _uptime() -> tuple[ActionSpec, ValidatedParams]:
    spec = BUILTINS_BY_NAME["get_uptime"]
    return spec, validate_params(spec, {}, GuardConfig())


def test_the_runner_records_policy_runs(fleet: Fleet) -> None:
    web(fleet)
    fleet.transport("web1").on(*UPTIME_ARGV, stdout="1 1\n")
    request_id = _running_request(fleet, "web1", "get_uptime")
    record = fleet.services.runner.execute(
        _server(fleet, "web1"),
        *_uptime(),
        actor="policy",
        trigger=Trigger.POLICY,
        reason="load above 8 for 10 min",
        request_id=request_id,
    )
    assert (record.actor, record.trigger, record.request_id) == (
        "policy",
        "policy",
        request_id,
    )
    assert record.reason == "load above 8 for 10 min"
    assert record.status is ExecutionStatus.SUCCEEDED


def test_an_interrupted_run_is_recorded_as_unknown(
    fleet: Fleet, root: Principal
) -> None:
    web(fleet)

    def interrupted(cmd: Command) -> CommandResult:
        raise KeyboardInterrupt

    fleet.transport("web1").script[UPTIME_ARGV] = interrupted
    with pytest.raises(KeyboardInterrupt):
        fleet.services.runs.run(root, "web1", "get_uptime", {})
    assert fleet.records() == [("web1", "get_uptime", "unknown")]


def test_guards_protect_own_addresses_never_block_and_configured_units(
    fleet: Fleet, root: Principal
) -> None:
    settings = fleet.services.config.settings
    settings.guards.never_block = ["203.0.113.0/24"]
    settings.guards.protected_units = ["payments.service"]
    runs = RunService(
        engine=fleet.services.engine,
        sessions=fleet.services.sessions,
        clock=fleet.services.clock,
        audit=fleet.services.audit,
        runner=fleet.services.runner,
        rails=GuardRails(settings.guards, own_addresses=lambda: ("198.51.100.7",)),
        max_parallel=8,
    )
    web(fleet, "web1", "block_ip_firewalld", "restart_service")
    cases = [
        ("block_ip_firewalld", {"ip": "198.51.100.7"}, "the ssop host's address"),
        ("block_ip_firewalld", {"ip": "203.0.113.9"}, "never-block"),
        ("restart_service", {"service": "payments"}, "protected unit"),
        ("restart_service", {"service": "sshd"}, "protected unit"),
    ]
    for action, params, match in cases:
        with pytest.raises(InvalidInput, match=match):
            runs.run(root, "web1", action, params, confirm=yes)
    plan = runs.dry_run(root, "web1", "block_ip_firewalld", {"ip": "198.51.100.8"})
    assert plan.params == {"ip": "198.51.100.8"}
    assert fleet.calls() == []


def test_guards_include_the_address_a_server_reaches_us_at(fleet: Fleet) -> None:
    server = Server(name="lo", host="127.0.1.9", port=22)
    config = fleet.services.runs.guard_config(server)
    assert "127.0.0.1" in {str(a) for a in config.own_addresses}


def test_fan_out_by_tag_is_bounded_and_reports_each_server(
    fleet: Fleet, root: Principal
) -> None:
    for n in range(1, 5):
        web(fleet, f"web{n}", "get_uptime", tags=["web"])
    add_server(fleet.services, "web5", tags=["web"])  # not assigned: refused
    add_server(fleet.services, "db1", tags=["db"])
    barrier = threading.Barrier(2, timeout=10)
    active, peak, lock = [0], [0], threading.Lock()

    def reply(cmd: Command) -> CommandResult:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        barrier.wait()  # two at a time must be in flight, or this times out
        with lock:
            active[0] -= 1
        return CommandResult("1 1\n", "", 0, 0.0)

    for n in range(1, 5):
        fleet.transport(f"web{n}").script[UPTIME_ARGV] = reply
    seen: list[tuple[str, int, int]] = []
    items = fleet.services.runs.run_tag(
        root,
        "web",
        "get_uptime",
        {},
        parallel=2,
        progress=lambda item, done, total: seen.append((item.server, done, total)),
    )
    assert peak[0] == 2
    assert [i.server for i in items] == ["web1", "web2", "web3", "web4", "web5"]
    assert all(i.record and i.record.ok for i in items[:4])
    assert items[4].record is None and "not assigned to web5" in (items[4].error or "")
    assert sorted(s for s, _, _ in seen) == [i.server for i in items]
    assert [(done, total) for _, done, total in seen] == [(n, 5) for n in range(1, 6)]
    assert "db1" not in fleet.transports


def test_ctrl_c_during_a_fan_out_starts_no_further_server(
    fleet: Fleet, root: Principal
) -> None:
    for n in (1, 2, 3):
        web(fleet, f"web{n}", "get_uptime", tags=["web"])
        fleet.transport(f"web{n}").script[UPTIME_ARGV] = slow_reply
    with ctrl_c_after(0.3), pytest.raises(KeyboardInterrupt):
        fleet.services.runs.run_tag(root, "web", "get_uptime", {}, parallel=1)
    # the one running finished and was recorded; no other one started
    assert fleet.records() == [("web1", "get_uptime", "succeeded")]
    assert fleet.calls() == [UPTIME_ARGV]


def slow_reply(_cmd: Command) -> CommandResult:
    time.sleep(1.0)
    return CommandResult("1 1\n", "", 0, 1.0)


def test_fan_out_confirms_once_and_refuses_when_nothing_can_run(
    fleet: Fleet, root: Principal
) -> None:
    for n in (1, 2):
        web(fleet, f"web{n}", "restart_service", tags=["web"])
        fleet.transport(f"web{n}").on(*RESTART)
    asked: list[FanoutPlan] = []

    def decline(plan: FanoutPlan) -> bool:
        asked.append(plan)
        return False

    runs = fleet.services.runs
    with pytest.raises(NotConfirmed):
        runs.run_tag(
            root, "web", "restart_service", {"service": "nginx"}, confirm=decline
        )
    assert [p.server for p in asked[0].plans] == ["web1", "web2"]
    assert fleet.calls() == []
    items = runs.run_tag(
        root, "web", "restart_service", {"service": "nginx"}, confirm=yes
    )
    assert [i.record.status for i in items if i.record] == ["succeeded"] * 2
    with pytest.raises(InvalidInput, match="protected unit"):
        runs.run_tag(root, "web", "restart_service", {"service": "sshd"}, confirm=yes)
    with pytest.raises(NotFound, match="no server has the tag 'nope'"):
        runs.plan_tag(root, "nope", "restart_service", {"service": "nginx"})
    with pytest.raises(InvalidInput, match="--parallel"):
        runs.run_tag(root, "web", "get_uptime", {}, parallel=0)
    assert len(fleet.calls()) == 2
