"""What one host's crawl becomes: stored sample values, a digest, a failure cause.

``sample_values`` maps parsed ``Readings`` onto the metric_samples columns;
``readings_digest`` is a stable hash of those values, so the analysis step
can tell a reading it has already judged; ``classify`` names why a crawl
failed, in the words the crawl_errors table and the reports use.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from ssop.core.actions.readings import Readings
from ssop.core.errors import (
    AuthFailed,
    CommandTimeout,
    HostKeyMismatch,
    HostKeyUnknown,
    JumpUnreachable,
    SsopError,
    TransportError,
)

# Columns a gauge (the daemon's /metrics, the CLI table) reads as one number.
GAUGES = (
    "cpu_percent",
    "memory_percent",
    "swap_percent",
    "disk_max_percent",
    "load1",
    "load5",
    "load15",
    "failed_unit_count",
    "uptime_s",
)


class Cause(StrEnum):
    """Why a crawl of one server failed (``timeout``: the readings command
    or a custom get action ran past its deadline)."""

    AUTH = "auth"
    HOST_KEY = "host_key"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    JUMP = "jump"
    COMMAND_FAILED = "command_failed"
    DF_FAILED = "df_failed"
    SUDO_PASSWORD = "sudo_password"
    OTHER = "other"


class CommandFailed(SsopError):
    """The readings command ran but gave no readings (non-zero exit, no sections)."""


class DfFailed(SsopError):
    """df failed or hung: the disk readings are missing."""


class SudoWantsPassword(SsopError):
    """``sudo -n`` refused to run a custom get action: it wants a password."""


def classify(error: BaseException) -> Cause:
    """The cause to record for an error raised while crawling one server."""
    if isinstance(error, JumpUnreachable):
        return Cause.JUMP
    if isinstance(error, AuthFailed):
        return Cause.AUTH
    if isinstance(error, HostKeyMismatch | HostKeyUnknown):
        return Cause.HOST_KEY
    if isinstance(error, CommandTimeout):
        return Cause.TIMEOUT
    if isinstance(error, TransportError):
        return Cause.REFUSED if _refused(error) else Cause.UNREACHABLE
    if isinstance(error, CommandFailed):
        return Cause.COMMAND_FAILED
    if isinstance(error, DfFailed):
        return Cause.DF_FAILED
    if isinstance(error, SudoWantsPassword):
        return Cause.SUDO_PASSWORD
    return Cause.OTHER


def _refused(error: TransportError) -> bool:
    # The SSH adapter says "connection refused"; the cause chain, when kept,
    # holds the OS error itself.
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__
    return "refused" in error.message.lower()


def sample_values(readings: Readings) -> dict[str, Any]:
    """The metric_samples columns (all but id, server and time) for ``readings``."""
    disks = [
        {
            "mount": d.mount,
            "percent": d.percent,
            "used_kb": d.used_kb,
            "size_kb": d.size_kb,
        }
        for d in readings.disks
    ]
    processes = [
        {"pid": p.pid, "name": p.name, "cpu_percent": p.cpu_percent, "rss_kb": p.rss_kb}
        for p in readings.top_processes
    ]
    auth = readings.auth_failures
    return {
        "cpu_percent": readings.cpu_percent,
        "memory_percent": readings.memory_percent,
        "swap_percent": readings.swap_percent,
        "load1": readings.load1,
        "load5": readings.load5,
        "load15": readings.load15,
        "cpu_count": readings.cpu_count,
        "uptime_s": readings.uptime_s,
        "disk_max_percent": max((d.percent for d in readings.disks), default=None),
        "failed_unit_count": _failed_count(readings),
        "disks": disks,
        "failed_units": list(readings.failed_units),
        "top_processes": processes,
        "auth_failures": None
        if auth is None
        else [{"address": a.address, "count": a.count} for a in auth],
    }


def _failed_count(readings: Readings) -> int | None:
    # None when systemd could not be asked: "0 failed units" would be a claim.
    return None if readings.systemd is False else len(readings.failed_units)


def readings_digest(values: Mapping[str, Any]) -> str:
    """A stable hash of sample values: equal readings give an equal digest.

    Uptime is left out: it always moves, and a host whose every other
    reading stayed the same shows the analysis nothing new.
    """
    stable = {k: v for k, v in values.items() if k != "uptime_s"}
    text = json.dumps(stable, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def failure_digest(cause: Cause, message: str) -> str:
    text = f"{cause.value}\n{message}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def gauges(values: Mapping[str, Any]) -> dict[str, float]:
    """The single-number readings of a sample, skipping those it lacks."""
    return {k: float(values[k]) for k in GAUGES if values.get(k) is not None}
