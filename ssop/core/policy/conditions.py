"""Per-action conditions read from the latest readings.

A *baseline* is taken when a request is made (is the unit failed? is the
process among the busiest? how full is the fullest disk?). Just before an
approved request runs, its *precondition* is checked again: a unit that was
failed must still be failed, a process that was busy must still run. After
a change, *verification* says whether the condition cleared. Actions
without a rule here have no precondition and no verification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ssop.core.actions.guards.checks import unit_stem

# A server's latest readings as ReadingsSource.latest gives them (a sample as a dict).
ReadingsMap = Mapping[str, Any]
UNIT_ACTIONS = frozenset({"restart_service", "start_service"})
PROCESS_ACTIONS = frozenset({"kill_process"})
DISK_ACTIONS = frozenset({"cleanup_temp_files", "cleanup_log_files"})


@dataclass(frozen=True)
class Verdict:
    """``holds`` is None when the readings cannot tell."""

    holds: bool | None
    detail: str


def has_verification(action: str) -> bool:
    return action in UNIT_ACTIONS | PROCESS_ACTIONS | DISK_ACTIONS


def baseline(
    action: str, params: Mapping[str, str], readings: ReadingsMap | None
) -> dict[str, Any]:
    """What the readings say now about the thing ``action`` would change."""
    if readings is None:
        return {}
    if action in UNIT_ACTIONS:
        return {"unit_failed": _unit_failed(readings, params.get("service", ""))}
    if action in PROCESS_ACTIONS:
        return {"process_seen": _process_seen(readings, params.get("process", ""))}
    if action in DISK_ACTIONS:
        return {"disk_max_percent": readings.get("disk_max_percent")}
    return {}


def precondition(
    action: str,
    params: Mapping[str, str],
    before: Mapping[str, Any],
    readings: ReadingsMap | None,
) -> Verdict:
    """Does the reason for the change still hold?"""
    if readings is None:
        return Verdict(None, "no readings to check against")
    if action in UNIT_ACTIONS and before.get("unit_failed"):
        unit = params.get("service", "")
        if _unit_failed(readings, unit):
            return Verdict(True, f"{unit} is still failed")
        return Verdict(False, f"{unit} is no longer failed")
    if action in PROCESS_ACTIONS and before.get("process_seen"):
        name = params.get("process", "")
        if _process_seen(readings, name):
            return Verdict(True, f"{name} still runs")
        return Verdict(False, f"{name} no longer runs among the busiest processes")
    return Verdict(None, "no precondition for this action")


def verify(
    action: str,
    params: Mapping[str, str],
    before: Mapping[str, Any],
    readings: ReadingsMap,
) -> Verdict:
    """Did the condition clear? ``readings`` were taken after the change."""
    if action in UNIT_ACTIONS:
        unit = params.get("service", "")
        if _unit_failed(readings, unit):
            return Verdict(False, f"{unit} is still failed")
        return Verdict(True, f"{unit} is not failed")
    if action in PROCESS_ACTIONS:
        name = params.get("process", "")
        if _process_seen(readings, name):
            return Verdict(False, f"{name} still runs")
        return Verdict(True, f"{name} is gone")
    if action in DISK_ACTIONS:
        return _disk_fell(
            before.get("disk_max_percent"), readings.get("disk_max_percent")
        )
    return Verdict(None, "no verification for this action")


def _disk_fell(before: object, after: object) -> Verdict:
    if not isinstance(after, int | float):
        return Verdict(None, "no disk reading after the change")
    if not isinstance(before, int | float):
        return Verdict(None, f"disk use is {after:.1f} % (nothing to compare with)")
    if after < before:
        return Verdict(True, f"disk use fell from {before:.1f} % to {after:.1f} %")
    return Verdict(False, f"disk use did not fall ({before:.1f} % -> {after:.1f} %)")


def _unit_failed(readings: ReadingsMap, unit: str) -> bool:
    failed = readings.get("failed_units") or []
    stem = unit_stem(unit)
    return any(unit_stem(str(u)) == stem for u in failed)


def _process_seen(readings: ReadingsMap, name: str) -> bool:
    procs = readings.get("top_processes") or []
    return any(isinstance(p, Mapping) and p.get("name") == name for p in procs)
