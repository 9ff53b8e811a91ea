"""Readable text for what the built-in get actions print.

``ssop run SERVER get_memory_usage`` shows ``summarise_get(name, stdout)``
rather than raw /proc text; the raw output is still what gets recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssop.core.actions.readings import (
    DiskUsage,
    Readings,
    clean,
    parse_two_samples,
)
from ssop.core.errors import AnalysisError


@dataclass(frozen=True)
class ServiceStatus:
    """``systemctl show`` properties of one unit (cleaned untrusted text)."""

    unit: str
    description: str
    load_state: str
    active_state: str
    sub_state: str
    unit_file_state: str
    main_pid: int | None
    since: str
    restarts: int | None
    result: str


def _int_or_none(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def parse_service_status(output: str) -> ServiceStatus:
    """Parse ``systemctl show --property=...`` key=value lines."""
    props: dict[str, str] = {}
    for line in output.splitlines()[:100]:
        key, sep, value = line.partition("=")
        if sep:
            props.setdefault(key, clean(value, 256))
    pid = _int_or_none(props.get("MainPID", ""))
    return ServiceStatus(
        unit=props.get("Id", "?"),
        description=props.get("Description", ""),
        load_state=props.get("LoadState", "?"),
        active_state=props.get("ActiveState", "?"),
        sub_state=props.get("SubState", "?"),
        unit_file_state=props.get("UnitFileState", ""),
        main_pid=pid or None,
        since=props.get("ExecMainStartTimestamp", ""),
        restarts=_int_or_none(props.get("NRestarts", "")),
        result=props.get("Result", ""),
    )


def describe_service(s: ServiceStatus) -> str:
    if s.load_state == "not-found":
        return f"{s.unit}: no such unit"
    parts = [f"{s.active_state} ({s.sub_state})"]
    parts += [s.unit_file_state] if s.unit_file_state else []
    parts += [f"pid {s.main_pid}"] if s.main_pid else []
    parts += [f"since {s.since}"] if s.since else []
    parts += [f"{s.restarts} restart(s)"] if s.restarts else []
    parts += [f"result {s.result}"] if s.result and s.result != "success" else []
    title = f"{s.unit} ({s.description})" if s.description else s.unit
    return f"{title}: " + ", ".join(parts)


def _size(kb: int) -> str:
    value, unit = float(kb), "KiB"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{value:.1f} {unit}"


def _duration(seconds: float) -> str:
    minutes = int(seconds) // 60
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    return f"{days}d {hours}h {mins}m" if days else f"{hours}h {mins}m"


def _cpu_lines(r: Readings) -> list[str]:
    if r.cpu_percent is None:
        return []
    cpus = f" ({r.cpu_count} cpus)" if r.cpu_count else ""
    return [f"cpu: {r.cpu_percent:.1f}% busy{cpus}"]


def _memory_lines(r: Readings) -> list[str]:
    if r.memory_percent is None or r.memory_total_kb is None:
        return []
    used = _size(r.memory_total_kb - (r.memory_available_kb or 0))
    return [
        f"memory: {r.memory_percent:.1f}% used ({used} of {_size(r.memory_total_kb)})",
        f"swap: {r.swap_percent or 0.0:.1f}% used",
    ]


def _load_lines(r: Readings) -> list[str]:
    if r.load1 is None or r.load5 is None or r.load15 is None:
        return []
    per_cpu = f", {r.load1 / r.cpu_count:.2f} per cpu" if r.cpu_count else ""
    return [f"load: {r.load1:.2f} {r.load5:.2f} {r.load15:.2f}{per_cpu}"]


def _disk_line(d: DiskUsage) -> str:
    used, size = _size(d.used_kb), _size(d.size_kb)
    return f"disk {d.mount}: {d.percent:.1f}% used ({used} of {size})"


def _failed_lines(r: Readings) -> list[str]:
    if r.systemd is None:
        return []
    if not r.systemd:
        return ["failed units: unknown (systemd not running)"]
    return ["failed units: " + (", ".join(r.failed_units) or "none")]


def _process_lines(r: Readings) -> list[str]:
    if not r.top_processes:
        return []
    lines = [f"  {'PID':>7} {'CPU%':>6} {'RSS':>10}  NAME"]
    for p in r.top_processes:
        cpu = "-" if p.cpu_percent is None else f"{p.cpu_percent:.1f}"
        lines.append(f"  {p.pid:>7} {cpu:>6} {_size(p.rss_kb):>10}  {p.name}")
    return lines


def _login_lines(r: Readings) -> list[str]:
    if r.auth_failures is None:
        return []
    counts = ", ".join(f"{f.address} {f.count}" for f in r.auth_failures[:20])
    return ["failed SSH logins by address: " + (counts or "none")]


def describe(r: Readings) -> list[str]:
    """One line per reading present, processes as an indented table."""
    uptime = [f"uptime: {_duration(r.uptime_s)}"] if r.uptime_s is not None else []
    return [
        *_cpu_lines(r),
        *_memory_lines(r),
        *_load_lines(r),
        *uptime,
        *(_disk_line(d) for d in r.disks),
        *_failed_lines(r),
        *_login_lines(r),
        *_process_lines(r),
    ]


def summarise_get(action: str, stdout: str) -> str:
    """Readable text for a built-in get action's output; other text unchanged."""
    if action == "get_service_status":
        return describe_service(parse_service_status(stdout))
    try:
        lines = describe(parse_two_samples(stdout))
    except AnalysisError:
        return stdout
    return "\n".join(lines) if lines else stdout
