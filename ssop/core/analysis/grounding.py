"""Grounded advice: every recommendation must point at something ssop observed.

What a recommendation may act on is matched against the readings:

- a unit parameter: the unit is failed in the latest reading;
- a process parameter: the process runs in the latest reading;
- an address (or network) parameter: it was seen in the failed-login
  readings of the window (the only addresses ssop observes);
- a cleanup: the file system holding its folders is at or above
  ``analysis.disk_percent`` in the latest reading;
- a change that names nothing on the host (a reboot, most custom actions):
  a detector found something in this analysis.

Advice without that evidence is refused as ``ungrounded``, the model's and
the rules' alike; the evidence found is kept with the recommendation.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ssop.core.actions.builtin import CLEANUP_ROOTS
from ssop.core.actions.guards.checks import unit_stem
from ssop.core.actions.spec import ActionSpec
from ssop.core.analysis.base import AnalysisContext, Finding, Sample
from ssop.core.analysis.detectors.disks import mount_holding
from ssop.core.config.schema import AnalysisSection
from ssop.core.errors import InvalidInput
from ssop.core.models.action import ActionType

UNGROUNDED = "ungrounded"


class Ungrounded(InvalidInput):
    """The advice points at nothing ssop observed."""

    def __init__(self, why: str) -> None:
        super().__init__(f"{UNGROUNDED}: {why}")


@dataclass(frozen=True)
class Observed:
    """What the readings show, for matching parameter values against."""

    sample: Sample | None = None
    failed_units: frozenset[str] = frozenset()  # unit stems
    processes: Mapping[str, int] = field(default_factory=dict)  # name -> a pid
    addresses: frozenset[str] = frozenset()  # seen failing to log in
    disks: Mapping[str, float] = field(default_factory=dict)  # mount -> %
    disk_percent: float = 100.0

    @classmethod
    def of(cls, ctx: AnalysisContext, cfg: AnalysisSection) -> Observed:
        latest = ctx.latest
        if latest is None:
            return cls(disk_percent=cfg.disk_percent)
        window = ctx.samples[-cfg.of_last :]
        return cls(
            sample=latest,
            failed_units=frozenset(unit_stem(u) for u in latest.failed_units),
            processes={p.name: p.pid for p in reversed(latest.processes)},
            addresses=frozenset(
                f.address for s in window for f in s.auth_failures or ()
            ),
            disks={d.mount: d.percent for d in latest.disks},
            disk_percent=cfg.disk_percent,
        )


def ground(
    spec: ActionSpec,
    values: Mapping[str, str],
    observed: Observed,
    findings: Sequence[Finding],
) -> dict[str, Any]:
    """The evidence behind one recommendation.

    Raises:
        Ungrounded: naming what was not observed.
    """
    seen: dict[str, Any] = {}
    for param in spec.params:
        what = _seen(param.type, values[param.name], observed)
        if what is not None:
            seen[param.name] = what
    if spec.name in CLEANUP_ROOTS:
        seen["mount"] = _full_mount(spec.name, CLEANUP_ROOTS[spec.name], observed)
    if not seen and spec.type is not ActionType.COMMAND_GET and not findings:
        raise Ungrounded(
            f"{spec.name} names nothing ssop observed and no detector found anything"
        )
    if seen and observed.sample is not None:
        seen.update(sample_id=observed.sample.id, at=observed.sample.at.isoformat())
    return seen


def _seen(type_: str, value: str, obs: Observed) -> Any:
    if type_ == "unit":
        if unit_stem(value) not in obs.failed_units:
            raise Ungrounded(f"unit {value} is not failed in the latest reading")
        return {"unit_failed": value}
    if type_ == "process":
        if value not in obs.processes:
            raise Ungrounded(f"process {value} is not running in the latest reading")
        return {"process_running": value, "pid": obs.processes[value]}
    if type_ in ("ip", "cidr"):
        return {"address_seen": _address_seen(value, obs)}
    return None


def _address_seen(value: str, obs: Observed) -> list[str]:
    net = ipaddress.ip_network(value, strict=False)
    seen = sorted(a for a in obs.addresses if ipaddress.ip_address(a) in net)
    if not seen:
        raise Ungrounded(f"address {value} was not seen in the failed-login readings")
    return seen


def _full_mount(action: str, roots: Sequence[str], obs: Observed) -> dict[str, Any]:
    for root in roots:
        mount = mount_holding(root, obs.disks)
        if mount is not None and obs.disks[mount] >= obs.disk_percent:
            return {"mount": mount, "percent": obs.disks[mount], "folder": root}
    folders = ", ".join(roots)
    raise Ungrounded(
        f"{action}: no file system holding {folders} is at or above "
        f"{obs.disk_percent:g}% in the latest reading"
    )
