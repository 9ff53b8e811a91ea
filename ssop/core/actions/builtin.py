"""The built-in action catalogue and the one combined readings command.

Every built-in is an ``ActionSpec`` like a custom one, so it goes through
the same validation and rendering; only built-ins may use ``sh -c`` with a
constant script (see ``scripts.py``), values always as positional args.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ssop.core.actions import scripts
from ssop.core.actions.params import ParamSpec
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.actions.template import literal
from ssop.core.models.action import AUTH_READING, ActionType
from ssop.core.transport.base import Command

GET, EXECUTE = ActionType.COMMAND_GET, ActionType.COMMAND_EXECUTE
LOW, MEDIUM, HIGH = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH
TEMP_ROOTS = ("/tmp", "/var/tmp")
LOG_ROOTS = ("/var/log",)
# The folders each cleanup empties: a full file system holding one of them is
# what grounds the cleanup (analysis) and what its verification watches.
CLEANUP_ROOTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"cleanup_temp_files": TEMP_ROOTS, "cleanup_log_files": LOG_ROOTS}
)
# Where sshd's failures are read: the journal when journald runs, else the
# first of these syslog files that is readable.
AUTH_JOURNAL_DIR = "/run/systemd/journal"
AUTH_LOGS = ("/var/log/auth.log", "/var/log/secure")
NO_MARKER = "-"
# A manual get_auth_failures (no marker) looks back this far in the journal.
AUTH_LOOKBACK_S = 600
SERVICE_PROPERTIES = (
    "Id,Description,LoadState,ActiveState,SubState,UnitFileState,"
    "MainPID,ExecMainStartTimestamp,NRestarts,Result"
)

_SERVICE = ParamSpec("service", "unit", help="systemd unit, e.g. nginx")
_GUARDED_SERVICE = ParamSpec("service", "unit", help="systemd unit", guard="stoppable")
_PROCESS = ParamSpec("process", "process", help="exact process name", guard="killable")
_DAYS = ParamSpec("days", "positive_int", help="only files older than this many days")
_IP = ParamSpec("ip", "ip", help="one IPv4 or IPv6 address", guard="blockable")
_ANY_IP = ParamSpec("ip", "ip", help="one IPv4 or IPv6 address")


def _script(script: str, *args: str) -> tuple[str, ...]:
    return ("sh", "-c", literal(script), "sh", *args)


def auth_argv(
    marker: str,
    lookback_s: int,
    argv: tuple[str, ...],
    *,
    journal_dir: str = AUTH_JOURNAL_DIR,
    logs: tuple[str, ...] = AUTH_LOGS,
) -> tuple[str, ...]:
    """``argv`` (a ``sh -c`` script) with the failed-login section's arguments;
    ``journal_dir`` and ``logs`` are test hooks (catalogue: the real ones)."""
    return (*argv, marker, str(lookback_s), journal_dir, *logs)


def _get(
    name: str, description: str, argv: tuple[str, ...], *params: ParamSpec
) -> ActionSpec:
    return ActionSpec(
        name,
        description,
        GET,
        LOW,
        30.0,
        params=params,
        command_template=argv,
        builtin=True,
    )


def _execute(
    name: str,
    description: str,
    risk: RiskLevel,
    argv: tuple[str, ...],
    *params: ParamSpec,
) -> ActionSpec:
    return ActionSpec(
        name,
        description,
        EXECUTE,
        risk,
        120.0,
        params=params,
        command_template=argv,
        needs_root=True,
        builtin=True,
    )


def _sections(*names: str) -> tuple[str, ...]:
    return _script(scripts.sections_script(*names))


def cleanup_temp_action(roots: tuple[str, ...] = TEMP_ROOTS) -> ActionSpec:
    """The temp cleanup; ``roots`` is a test hook (catalogue: TEMP_ROOTS)."""
    return _execute(
        "cleanup_temp_files",
        "Delete regular files older than N days under /tmp and /var/tmp",
        MEDIUM,
        _script(scripts.CLEANUP_TEMP_SCRIPT, "{days}", *roots),
        _DAYS,
    )


def cleanup_logs_action(roots: tuple[str, ...] = LOG_ROOTS) -> ActionSpec:
    """The rotated-log cleanup; ``roots`` is a test hook (catalogue: LOG_ROOTS)."""
    return _execute(
        "cleanup_log_files",
        "Delete rotated logs (*.gz, *.1, *.old, ...) older than N days under /var/log",
        MEDIUM,
        _script(scripts.CLEANUP_LOGS_SCRIPT, "{days}", *roots),
        _DAYS,
    )


def _systemctl(verb: str) -> tuple[str, ...]:
    return ("systemctl", verb, "--", "{service}")


_CPU = scripts.two_sample_script("stat")
_TOP = scripts.two_sample_script("stat", "pagesize", "procs")
_SHOW = ("systemctl", "show", "--no-pager", f"--property={SERVICE_PROPERTIES}")

BUILTIN_ACTIONS: tuple[ActionSpec, ...] = (
    _get("get_cpu_usage", "CPU use over 0.2 s", _script(_CPU)),
    _get("get_memory_usage", "Memory and swap use", _sections("meminfo")),
    _get("get_disk_usage", "Use of each mounted file system", _sections("df")),
    _get("get_system_load", "Load averages, CPU count", _sections("loadavg", "stat")),
    _get("get_top_processes", "Processes using the most CPU", _script(_TOP)),
    _get(
        "get_service_status", "State of one unit", (*_SHOW, "--", "{service}"), _SERVICE
    ),
    _get("get_failed_services", "Units in the failed state", _sections("failed")),
    _get("get_uptime", "Time since boot", _sections("uptime")),
    _get(
        AUTH_READING,
        "Failed SSH logins per source address (in the crawl: since the last one)",
        auth_argv(NO_MARKER, AUTH_LOOKBACK_S, _sections("auth")),
    ),
    _execute(
        "restart_service",
        "Restart a systemd unit",
        MEDIUM,
        _systemctl("restart"),
        _GUARDED_SERVICE,
    ),
    _execute(
        "stop_service",
        "Stop a systemd unit",
        HIGH,
        _systemctl("stop"),
        _GUARDED_SERVICE,
    ),
    _execute(
        "start_service", "Start a systemd unit", LOW, _systemctl("start"), _SERVICE
    ),
    _execute(
        "reboot_system", "Reboot the server", HIGH, _script(scripts.REBOOT_SCRIPT)
    ),
    _execute(
        "kill_process",
        "Send SIGTERM to every process with exactly this name",
        MEDIUM,
        _script(scripts.KILL_SCRIPT, "{process}"),
        _PROCESS,
    ),
    cleanup_temp_action(),
    cleanup_logs_action(),
    _execute(
        "block_ip_firewalld",
        "Drop all traffic from one address (firewalld drop zone)",
        MEDIUM,
        _script(scripts.BLOCK_SCRIPT, "{ip}"),
        _IP,
    ),
    _execute(
        "unblock_ip_firewalld",
        "Undo block_ip_firewalld for one address",
        MEDIUM,
        _script(scripts.UNBLOCK_SCRIPT, "{ip}"),
        _ANY_IP,
    ),
)

BUILTINS_BY_NAME: Mapping[str, ActionSpec] = MappingProxyType(
    {a.name: a for a in BUILTIN_ACTIONS}
)

COMBINED_SECTIONS = (
    *("format", "loadavg", "uptime", "stat", "meminfo"),
    *("pagesize", "failed", "df", "procs"),
)


def combined_readings_command() -> Command:
    """One remote invocation that prints every section the crawl parses.

    It takes a single /proc/stat sample: ``readings.parse_combined`` computes
    CPU % against the previous crawl's counters, so the crawl never sleeps.
    Needs no root.
    """
    return Command(("sh", "-c", scripts.sections_script(*COMBINED_SECTIONS), "sh"))


def readings_command(*, first: bool, auth_marker: str | None) -> Command:
    """The crawl's one invocation for a server.

    ``first``: two /proc/stat samples 0.2 s apart (no earlier counters).
    ``auth_marker``: None leaves the failed logins out (get_auth_failures is
    not assigned); otherwise the marker the previous crawl printed, or
    ``NO_MARKER``, so only failures since then are counted.
    """
    names: tuple[str, ...] = COMBINED_SECTIONS
    if auth_marker is not None:
        names = (*COMBINED_SECTIONS[:-1], "auth", COMBINED_SECTIONS[-1])
    if first:
        script = scripts.two_sample_script(*COMBINED_SECTIONS, second=names)
    else:
        script = scripts.sections_script(*names)
    argv: tuple[str, ...] = ("sh", "-c", script, "sh")
    if auth_marker is not None:
        argv = auth_argv(auth_marker, 0, argv)
    return Command(argv)
