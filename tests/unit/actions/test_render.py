"""Rendering: validated values become exact argv tokens, URLs and JSON bodies."""

from __future__ import annotations

import json
import shlex
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssop.core.actions import scripts
from ssop.core.actions.builtin import (
    BUILTIN_ACTIONS,
    BUILTINS_BY_NAME,
    SERVICE_PROPERTIES,
    combined_readings_command,
)
from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.render import (
    SUDO_PREFIX,
    ValidatedParams,
    render_command,
    render_http,
    validate_params,
)
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.actions.toml_spec import spec_from_dict, spec_to_dict
from ssop.core.errors import InvalidInput
from ssop.core.models.action import ActionType

GUARDS = GuardConfig.from_strings(own_addresses=["198.51.100.10"])
SERVICE_ARGS = {"service": "nginx"}
ARGS: dict[str, dict[str, str]] = {
    "get_service_status": SERVICE_ARGS,
    "restart_service": SERVICE_ARGS,
    "stop_service": SERVICE_ARGS,
    "start_service": SERVICE_ARGS,
    "kill_process": {"process": "php-fpm"},
    "cleanup_temp_files": {"days": "7"},
    "cleanup_log_files": {"days": "30"},
    "block_ip_firewalld": {"ip": "2001:DB8::7"},
    "unblock_ip_firewalld": {"ip": "192.0.2.7"},
}


def _sections(*names: str) -> tuple[str, ...]:
    return ("sh", "-c", scripts.sections_script(*names), "sh")


EXPECTED: dict[str, tuple[str, ...]] = {
    "get_cpu_usage": ("sh", "-c", scripts.two_sample_script("stat"), "sh"),
    "get_memory_usage": _sections("meminfo"),
    "get_disk_usage": _sections("df"),
    "get_system_load": _sections("loadavg", "stat"),
    "get_top_processes": (
        "sh",
        "-c",
        scripts.two_sample_script("stat", "pagesize", "procs"),
        "sh",
    ),
    "get_service_status": (
        "systemctl",
        "show",
        "--no-pager",
        f"--property={SERVICE_PROPERTIES}",
        "--",
        "nginx",
    ),
    "get_failed_services": _sections("failed"),
    "get_uptime": _sections("uptime"),
    "get_auth_failures": (
        *_sections("auth"),
        "-",
        "600",
        "/run/systemd/journal",
        "/var/log/auth.log",
        "/var/log/secure",
    ),
    "restart_service": (*SUDO_PREFIX, "systemctl", "restart", "--", "nginx"),
    "stop_service": (*SUDO_PREFIX, "systemctl", "stop", "--", "nginx"),
    "start_service": (*SUDO_PREFIX, "systemctl", "start", "--", "nginx"),
    "reboot_system": (*SUDO_PREFIX, "sh", "-c", scripts.REBOOT_SCRIPT, "sh"),
    "kill_process": (*SUDO_PREFIX, "sh", "-c", scripts.KILL_SCRIPT, "sh", "php-fpm"),
    "cleanup_temp_files": (
        *SUDO_PREFIX,
        "sh",
        "-c",
        scripts.CLEANUP_TEMP_SCRIPT,
        "sh",
        "7",
        "/tmp",
        "/var/tmp",
    ),
    "cleanup_log_files": (
        *SUDO_PREFIX,
        "sh",
        "-c",
        scripts.CLEANUP_LOGS_SCRIPT,
        "sh",
        "30",
        "/var/log",
    ),
    "block_ip_firewalld": (
        *SUDO_PREFIX,
        "sh",
        "-c",
        scripts.BLOCK_SCRIPT,
        "sh",
        "2001:db8::7",
    ),
    "unblock_ip_firewalld": (
        *SUDO_PREFIX,
        "sh",
        "-c",
        scripts.UNBLOCK_SCRIPT,
        "sh",
        "192.0.2.7",
    ),
}


def test_the_catalogue_is_the_issue_list() -> None:
    assert set(BUILTINS_BY_NAME) == set(EXPECTED)
    assert len(BUILTIN_ACTIONS) == len(EXPECTED)
    assert BUILTINS_BY_NAME["reboot_system"].risk is RiskLevel.HIGH
    for spec in BUILTIN_ACTIONS:
        assert spec.builtin
        is_get = spec.name.startswith("get_")
        assert spec.type is (
            ActionType.COMMAND_GET if is_get else ActionType.COMMAND_EXECUTE
        )
        assert spec.needs_root is not is_get
        assert (spec.risk is RiskLevel.LOW) if is_get else True


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_builtin_renders_to_its_exact_argv(name: str) -> None:
    spec = BUILTINS_BY_NAME[name]
    params = validate_params(spec, ARGS.get(name, {}), GUARDS)
    cmd = render_command(spec, params, use_sudo=True)
    assert cmd.argv == EXPECTED[name]
    assert shlex.split(cmd.as_shell()) == list(cmd.argv)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_root_login_gets_no_sudo(name: str) -> None:
    spec = BUILTINS_BY_NAME[name]
    params = validate_params(spec, ARGS.get(name, {}), GUARDS)
    argv = render_command(spec, params, use_sudo=False).argv
    assert "sudo" not in argv
    expected = EXPECTED[name]
    assert argv == (expected[3:] if expected[:3] == SUDO_PREFIX else expected)


@pytest.mark.parametrize(
    ("name", "raw", "why"),
    [
        ("restart_service", {"service": "nginx; rm -rf /"}, "'service'"),
        ("restart_service", {"service": "sshd"}, "'service': sshd is a protected unit"),
        ("stop_service", {"service": "ssh.service"}, "protected unit"),
        ("kill_process", {"process": "sshd"}, "protected process"),
        ("kill_process", {"process": ".*"}, "'process'"),
        ("block_ip_firewalld", {"ip": "127.0.0.1"}, "'ip': 127.0.0.1 is a loopback"),
        ("block_ip_firewalld", {"ip": "198.51.100.10"}, "ssop host"),
        ("block_ip_firewalld", {"ip": "0.0.0.0/0"}, "'ip'"),
        ("cleanup_temp_files", {"days": "$(reboot)"}, "'days'"),
        ("restart_service", {}, "missing required parameter 'service'"),
        (
            "restart_service",
            {"service": "a", "force": "1"},
            "unknown parameter 'force'",
        ),
        ("get_uptime", {"x": "1"}, r"unknown parameter 'x' \(known: none\)"),
        ("cleanup_temp_files", {"days": True}, "must be text"),
    ],
)
def test_validate_refuses_bad_requests(
    name: str, raw: dict[str, object], why: str
) -> None:
    with pytest.raises(InvalidInput, match=why):
        validate_params(BUILTINS_BY_NAME[name], raw, GUARDS)


def test_start_and_unblock_are_not_guarded() -> None:
    # Starting sshd or unblocking an address can only restore access.
    validate_params(BUILTINS_BY_NAME["start_service"], {"service": "sshd"}, GUARDS)
    validate_params(
        BUILTINS_BY_NAME["unblock_ip_firewalld"], {"ip": "127.0.0.1"}, GUARDS
    )


def test_integers_from_a_model_are_accepted_as_text() -> None:
    params = validate_params(
        BUILTINS_BY_NAME["cleanup_temp_files"], {"days": 3}, GUARDS
    )
    assert params.values["days"] == 3 and params.as_strings() == {"days": "3"}


def test_params_validated_for_one_action_do_not_render_another() -> None:
    params = validate_params(BUILTINS_BY_NAME["start_service"], SERVICE_ARGS, GUARDS)
    with pytest.raises(InvalidInput, match="validated for 'start_service'"):
        render_command(BUILTINS_BY_NAME["stop_service"], params, use_sudo=True)


def _custom(template: str, params: str = "service:unit") -> ActionSpec:
    name, type_ = params.split(":")
    return spec_from_dict(
        {
            "name": "custom",
            "type": "command_get",
            "risk": "low",
            "command": template,
            "params": {name: {"type": type_}},
        }
    )


def test_a_value_inside_a_token_never_splits_it() -> None:
    spec = _custom("journalctl --unit={service} -n 5")
    params = validate_params(spec, {"service": "getty@tty1.service"}, GUARDS)
    cmd = render_command(spec, params, use_sudo=True)
    assert cmd.argv == ("journalctl", "--unit=getty@tty1.service", "-n", "5")


def test_a_custom_action_gets_sudo_only_when_it_needs_root() -> None:
    spec = spec_from_dict(
        spec_to_dict(_custom("systemctl reload {service}")) | {"needs_root": True}
    )
    params = validate_params(spec, SERVICE_ARGS, GUARDS)
    assert render_command(spec, params, use_sudo=True).argv[:3] == SUDO_PREFIX


def test_combined_readings_is_one_sh_invocation() -> None:
    argv = combined_readings_command().argv
    assert argv[:2] == ("sh", "-c") and argv[3:] == ("sh",)
    for name in ("loadavg", "meminfo", "stat", "uptime", "df", "failed", "procs"):
        assert scripts.header(name) in argv[2]


HOOK = """
name = "hook"
type = "http"
risk = "low"
timeout_s = 5
[params.service]
type = "unit"
[params.days]
type = "positive_int"
[params.ip]
type = "ip"
[http]
method = "POST"
url = "https://hooks.example.com/r/{service}?ip={ip}&d={days}"
headers = { X-Reason = "restart {service}" }
body = { service = "{service}", days = "{days}", note = "{days} days", ip = "{ip}" }
"""


def test_http_renders_encoded_url_headers_and_typed_json() -> None:
    spec = spec_from_dict(tomllib.loads(HOOK))
    raw = {"service": "getty@tty1", "days": "7", "ip": "2001:db8::1"}
    req = render_http(spec, validate_params(spec, raw, GUARDS))
    assert req.method == "POST" and req.timeout_s == 5
    assert (
        req.url == "https://hooks.example.com/r/getty%40tty1?ip=2001%3Adb8%3A%3A1&d=7"
    )
    assert ("X-Reason", "restart getty@tty1") in req.headers
    assert ("Content-Type", "application/json") in req.headers
    assert req.body is not None
    assert json.loads(req.body) == {
        "service": "getty@tty1",
        "days": 7,
        "note": "7 days",
        "ip": "2001:db8::1",
    }


def test_http_and_command_renderers_refuse_the_other_kind() -> None:
    spec = spec_from_dict(tomllib.loads(HOOK))
    params = validate_params(
        spec, {"service": "a", "days": "1", "ip": "192.0.2.1"}, GUARDS
    )
    with pytest.raises(InvalidInput, match="HTTP action"):
        render_command(spec, params, use_sudo=False)
    cmd_spec = BUILTINS_BY_NAME["get_uptime"]
    with pytest.raises(InvalidInput, match="command action"):
        render_http(cmd_spec, ValidatedParams("get_uptime"))


@given(st.text(max_size=80))
def test_any_value_is_refused_or_stays_inside_its_token(raw: str) -> None:
    spec = _custom("journalctl --unit={service} -n 5")
    try:
        params = validate_params(spec, {"service": raw}, GUARDS)
    except InvalidInput as e:
        assert "'service'" in e.message
        return
    cmd = render_command(spec, params, use_sudo=True)
    assert cmd.argv == ("journalctl", f"--unit={raw}", "-n", "5")
    assert shlex.split(cmd.as_shell()) == list(cmd.argv)


@given(st.text(max_size=60))
def test_any_kill_target_is_refused_or_one_positional_argument(raw: str) -> None:
    spec = BUILTINS_BY_NAME["kill_process"]
    try:
        params = validate_params(spec, {"process": raw}, GUARDS)
    except InvalidInput:
        return
    cmd = render_command(spec, params, use_sudo=False)
    assert cmd.argv[:3] == ("sh", "-c", scripts.KILL_SCRIPT)
    assert cmd.argv[3:] == ("sh", raw)


def test_process_lines_always_come_last() -> None:
    with pytest.raises(ValueError, match="last"):
        scripts.sections_script("procs", "df")
