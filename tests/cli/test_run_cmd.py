"""``ssop run`` against the real sshd on loopback, with records written.

The sshd puts shim commands (systemctl, firewall-cmd, reboot) first on PATH;
each records its argv, so "nothing reached the host" is an empty call log.
Other execute actions are real: a process this test started is killed,
files in a folder this test made are deleted.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ssop.core.config.loader import load_config
from ssop.core.models import Execution
from ssop.core.services import Services, build_services
from ssop.core.store.execution_repo import ExecutionFilter, ExecutionRepo
from tests.cli.conftest import Cli, error_line
from tests.support.servers import add_sshd_server
from tests.support.shims import ShimDir
from tests.support.sshd import Sshd
from tests.support.stragglers import (
    ctrl_c_once_running,
    end,
    gone_within,
    hang_script,
    new_token,
)

pytestmark = pytest.mark.sshd

SERVICE_SHOW = (
    "Id=nginx.service\nDescription=A web server\nLoadState=loaded\n"
    "ActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=4242\n"
)


@dataclass
class Site:
    cli: Cli
    services: Services
    shims: ShimDir

    def ok(self, *args: str, input: str | None = None, **env: str) -> str:
        result = self.cli(*args, input=input, **env)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return result.stdout

    def records(self) -> list[Execution]:
        with self.services.sessions() as s:
            return ExecutionRepo(s).list(ExecutionFilter(limit=100))


@pytest.fixture
def site(admin_cli: Cli, sshd: Sshd, shims: ShimDir) -> Iterator[Site]:
    config = load_config(environ=admin_cli.env, system_config=Path("/nonexistent"))
    services = build_services(config)
    add_sshd_server(services, sshd, "web1", tags=["web"])
    shims.write_shim("systemctl", stdout=SERVICE_SHOW)
    shims.write_shim("firewall-cmd")
    shims.write_shim("reboot")
    yield Site(admin_cli, services, shims)
    services.close()


def test_a_get_action_runs_over_ssh_and_is_recorded(site: Site) -> None:
    site.ok("action", "assign", "web1", "get_uptime")
    result = site.cli("run", "web1", "get_uptime", "--raw")
    assert result.exit_code == 0, result.stderr
    readable, raw = result.stdout.split("--- raw output ---\n")
    assert readable.startswith("uptime: ")
    assert raw.startswith("==ssop:uptime==\n")
    (record,) = site.records()
    assert (record.status, record.exit_code, record.actor) == (
        "succeeded",
        0,
        "sysadmin",
    )
    assert record.trigger == "manual" and record.server_name == "web1"
    assert record.command.startswith("sh -c ")
    assert f"execution #{record.id}" in result.stderr
    listed = site.ok(
        "executions", "list", "--server", "web1", "--since", "1h", "--format", "csv"
    )
    assert listed.splitlines()[1].split(",")[2:5] == ["web1", "get_uptime", "succeeded"]
    shown = site.ok("executions", "show", str(record.id))
    assert "==ssop:uptime==" in shown and "sysadmin" in shown


def test_service_status_is_readable_and_reaches_systemctl_exactly(site: Site) -> None:
    site.ok("action", "assign", "web1", "get_service_status")
    out = site.ok("run", "web1", "get_service_status", "--param", "service=nginx")
    assert out.strip() == (
        "nginx.service (A web server): active (running), enabled, pid 4242"
    )
    (argv,) = site.shims.calls("systemctl")
    assert argv[:3] == ["systemctl", "show", "--no-pager"]
    assert argv[-2:] == ["--", "nginx"]


def test_execute_actions_ask_first_and_reach_the_shims(site: Site) -> None:
    for action in ("restart_service", "block_ip_firewalld", "reboot_system"):
        site.ok("action", "assign", "web1", action)
    restart = ("run", "web1", "restart_service", "--param", "service=nginx")
    declined = site.cli.at_terminal(*restart, input="n\n")
    assert declined.exit_code == 1 and "systemctl restart -- nginx" in declined.stderr
    assert site.shims.calls() == [] and site.records() == []
    assert site.cli.at_terminal(*restart, input="y\n").exit_code == 0
    site.ok("run", "web1", "block_ip_firewalld", "--param", "ip=198.51.100.77", "--yes")
    site.ok("run", "web1", "reboot_system", "--yes")
    assert site.shims.calls() == [
        ["systemctl", "restart", "--", "nginx"],
        ["firewall-cmd", "--quiet", "--zone=drop", "--add-source=198.51.100.77"],
        [
            "firewall-cmd",
            "--quiet",
            "--permanent",
            "--zone=drop",
            "--add-source=198.51.100.77",
        ],
        ["systemctl", "reboot"],
    ]
    assert [(r.action_name, r.status) for r in site.records()] == [
        ("reboot_system", "succeeded"),
        ("block_ip_firewalld", "succeeded"),
        ("restart_service", "succeeded"),
    ]


def test_a_dry_run_prints_the_command_and_runs_nothing(site: Site) -> None:
    site.ok("action", "assign", "web1", "restart_service")
    result = site.cli(
        "run", "web1", "restart_service", "--param", "service=nginx", "--dry-run"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "systemctl restart -- nginx\n"
    assert "nothing ran" in result.stderr
    assert site.shims.calls() == [] and site.records() == []


BAD = [
    ("restart_service", "service=nginx; rm -rf /", 2, "not a valid systemd unit"),
    ("restart_service", "service=$(reboot)", 2, "not a valid systemd unit"),
    ("restart_service", "service=`id`", 2, "not a valid systemd unit"),
    ("restart_service", "service=-h", 2, "must not start with '-'"),
    ("restart_service", "service=a\nb", 2, "control character"),
    ("restart_service", "service=../../etc", 2, "not a valid systemd unit"),
    ("restart_service", "service=.*", 2, "not a valid systemd unit"),
    ("restart_service", "service=sshd", 2, "protected unit"),
    ("block_ip_firewalld", "ip=0.0.0.0/0", 2, "single address"),
    ("block_ip_firewalld", "ip=127.0.0.1", 2, "loopback"),
    ("block_ip_firewalld", "ip=1.2.3.4 && curl x", 2, "not an IPv4 or IPv6"),
    ("list_dir", "dir=../../etc", 2, "absolute path"),
    ("no_such_action", "x=1", 3, "no action named 'no_such_action'"),
    ("get_cpu_usage", "", 6, "get_cpu_usage is not assigned to web1"),
]


@pytest.mark.parametrize(("action", "param", "code", "message"), BAD)
def test_bad_input_is_refused_and_nothing_reaches_the_host(
    site: Site, action: str, param: str, code: int, message: str
) -> None:
    site.ok(
        "action",
        "create",
        "list_dir",
        "--type",
        "command_get",
        "--risk",
        "low",
        "--command",
        "systemctl list-dependencies {dir}",
        "--param",
        "dir:path@/tmp",
    )
    for name in ("restart_service", "block_ip_firewalld", "list_dir"):
        site.ok("action", "assign", "web1", name)
    params = ["--param", param] if param else []
    result = site.cli("run", "web1", action, *params, "--yes")
    assert result.exit_code == code, result.stderr
    assert message in error_line(result)
    assert site.shims.calls() == [] and site.records() == []


def test_unknown_server_is_refused(site: Site) -> None:
    result = site.cli("run", "web9", "get_uptime")
    assert result.exit_code == 3
    assert error_line(result) == "ssop: error: no server named 'web9'"
    assert site.records() == []


def test_a_disabled_action_is_refused(site: Site) -> None:
    site.ok("action", "assign", "web1", "restart_service")
    site.ok("action", "disable", "restart_service")
    result = site.cli(
        "run", "web1", "restart_service", "--param", "service=nginx", "-y"
    )
    assert result.exit_code == 6
    assert "action restart_service is disabled" in error_line(result)
    assert site.shims.calls() == [] and site.records() == []


def test_a_hung_host_ends_at_the_timeout_as_timed_out(
    site: Site, hung_host: tuple[str, int], sshd: Sshd
) -> None:
    host, port = hung_host
    add_sshd_server(site.services, sshd, "hung", address=host, port=port)
    site.ok("action", "assign", "hung", "get_uptime")
    result = site.cli("run", "hung", "get_uptime", SSOP_SSH__CONNECT_TIMEOUT="1")
    assert result.exit_code == 5, result.stderr
    (record,) = site.records()
    assert record.status == "timed_out", record.error
    assert record.error in error_line(result)
    assert record.duration_s is not None and record.duration_s < 5


def test_a_command_that_hangs_is_stopped_at_the_action_timeout(site: Site) -> None:
    site.ok(
        "action",
        "create",
        "nap",
        "--type",
        "command_get",
        "--risk",
        "low",
        "--command",
        "sleep 4",
        "--timeout",
        "1",
    )
    site.ok("action", "assign", "web1", "nap")
    result = site.cli("run", "web1", "nap")
    assert result.exit_code == 5
    assert "did not finish within 1s" in error_line(result)
    (record,) = site.records()
    assert record.status == "timed_out"
    # the host ends it a little early (here half a second), so it can say so
    assert record.duration_s is not None and 0.4 < record.duration_s < 3


def add_hang_action(site: Site, folder: Path, timeout: str) -> str:
    """A get action ``hang`` running a script that prints "working" and
    never ends; returns the token its processes carry."""
    token = new_token()
    script = hang_script(folder, token, say="working")
    site.ok(
        "action",
        "create",
        "hang",
        "--type",
        "command_get",
        "--risk",
        "low",
        "--command",
        str(script),
        "--timeout",
        timeout,
    )
    site.ok("action", "assign", "web1", "hang")
    return token


def test_a_hung_command_is_stopped_on_the_host_and_its_output_kept(
    site: Site, tmp_path: Path
) -> None:
    token = add_hang_action(site, tmp_path, timeout="2")
    try:
        result = site.cli("run", "web1", "hang")
        assert gone_within(token, seconds=2.0)
    finally:
        end(token)
    assert result.exit_code == 5
    assert "did not finish within 2s and was stopped there" in error_line(result)
    assert result.stdout == "working\n"
    (record,) = site.records()
    assert (record.status, record.stdout, record.exit_code) == (
        "timed_out",
        "working\n",
        None,
    )


def test_ctrl_c_ends_the_command_records_it_says_so_and_exits_130(
    site: Site, tmp_path: Path
) -> None:
    token = add_hang_action(site, tmp_path, timeout="60")
    try:
        with ctrl_c_once_running(token):
            result = site.cli("run", "web1", "hang")
        assert gone_within(token, seconds=2.0)
    finally:
        end(token)
    assert result.exit_code == 130, result.stderr
    (record,) = site.records()
    assert (record.status, record.stdout) == ("cancelled", "working\n")
    assert result.stdout == "working\n"
    assert (
        f"ssop: interrupted: server web1: {tmp_path}/ssop-hang-{token} was "
        "interrupted and was stopped there" in result.stderr
    )
    assert "web1: hang cancelled (" in result.stderr
    assert f"execution #{record.id}" in result.stderr


def test_ten_megabytes_of_output_are_recorded_truncated(site: Site) -> None:
    site.ok(
        "action",
        "create",
        "count",
        "--type",
        "command_get",
        "--risk",
        "low",
        "--command",
        "seq 1 1500000",
    )
    site.ok("action", "assign", "web1", "count")
    result = site.cli("run", "web1", "count")
    assert result.exit_code == 0, result.stderr
    assert "output truncated" in result.stderr
    (record,) = site.records()
    cap = site.services.config.settings.ssh.output_cap
    assert record.stdout_truncated and len(record.stdout) == cap
    assert record.stdout.startswith("1\n2\n3\n")


def test_kill_process_ends_a_process_this_test_started(
    site: Site, tmp_path: Path
) -> None:
    name = "ssop" + uuid.uuid4().hex[:8]
    program = tmp_path / name
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    sleeper = subprocess.Popen([str(program), "60"])
    try:
        site.ok("action", "assign", "web1", "kill_process")
        out = site.ok("run", "web1", "kill_process", "--param", f"process={name}", "-y")
        assert sleeper.wait(timeout=10) == -15
    finally:
        sleeper.kill()
        sleeper.wait()
    assert out.strip() == f"killed 1 process(es) named {name}"
    assert site.records()[0].params == {"process": name}


def test_a_custom_action_deletes_files_in_a_folder_this_test_made(
    site: Site, tmp_path: Path
) -> None:
    assert str(tmp_path).startswith("/tmp/")
    folder = tmp_path / "junk"
    folder.mkdir()
    for name in ("a.tmp", "b.tmp", "keep.txt"):
        (folder / name).write_text(name)
    site.ok(
        "action",
        "create",
        "clean_dir",
        "--type",
        "command_execute",
        "--risk",
        "medium",
        "--command",
        "find {dir} -xdev -type f -name *.tmp -delete",
        "--param",
        "dir:path@/tmp",
    )
    site.ok("action", "assign", "web1", "clean_dir")
    site.ok("run", "web1", "clean_dir", "--param", f"dir={folder}", "--yes")
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    (record,) = site.records()
    find = f"find {folder} -xdev -type f -name '*.tmp' -delete"
    # behind the host-side check that the folder leads under guards.cleanup_roots
    assert record.command.startswith("sh -c ") and record.command.endswith(find)
    assert f" sh {folder} /tmp /var/tmp -- " in record.command


def test_fan_out_by_tag_runs_on_every_tagged_server(site: Site, sshd: Sshd) -> None:
    add_sshd_server(
        site.services, sshd, "web2", address=sshd.addresses[1], tags=["web"]
    )
    for server in ("web1", "web2"):
        site.ok("action", "assign", server, "get_uptime")
    out = site.ok("run", "--tag", "web", "get_uptime")
    lines = [ln for ln in out.splitlines() if "web" in ln]
    assert len(lines) == 2 and all("succeeded" in ln for ln in lines)
    assert sorted(r.server_name for r in site.records()) == ["web1", "web2"]
    dry = site.ok("run", "--tag", "web", "get_uptime", "--dry-run")
    assert dry.startswith("web1: sh -c ") and "\nweb2: sh -c " in dry
    assert len(site.records()) == 2


def test_fan_out_shows_each_servers_readings_not_the_raw_output(
    site: Site, sshd: Sshd
) -> None:
    add_sshd_server(
        site.services, sshd, "web2", address=sshd.addresses[1], tags=["web"]
    )
    for server in ("web1", "web2"):
        site.ok("action", "assign", server, "get_memory_usage")
    out = site.ok("run", "--tag", "web", "get_memory_usage")
    assert "==ssop:" not in out
    assert out.count("memory: ") == 2 and out.count("swap: ") == 2
    rows = json.loads(
        site.ok("run", "--tag", "web", "get_memory_usage", "--format", "json")
    )
    assert [r["server"] for r in rows] == ["web1", "web2"]
    for row in rows:
        assert row["output"].startswith("memory: ") and "\nswap: " in row["output"]
        assert isinstance(row["seconds"], float) and row["exit"] == 0


def test_operators_run_but_viewers_and_operators_do_not_assign(site: Site) -> None:
    site.ok("action", "assign", "web1", "get_uptime")
    for name, role in (("olga", "operator"), ("vera", "viewer")):
        site.ok(
            "user",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            input="pw-1234567890\n",
        )
    olga = site.ok("token", "create", "olga-t", "--role", "operator").strip()
    vera = site.ok("token", "create", "vera-t", "--role", "viewer").strip()
    assert site.cli("run", "web1", "get_uptime", SSOP_TOKEN=olga).exit_code == 0
    refused = site.cli("run", "web1", "get_uptime", SSOP_TOKEN=vera)
    assert refused.exit_code == 4 and "lacks actions.run" in error_line(refused)
    for token in (olga, vera):
        result = site.cli("action", "assign", "web1", "get_cpu_usage", SSOP_TOKEN=token)
        assert result.exit_code == 4 and "lacks actions.write" in error_line(result)
    assert [r.actor for r in site.records()] == ["token:olga-t"]
