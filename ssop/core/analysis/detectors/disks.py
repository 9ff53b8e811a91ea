"""Full file systems: disks, and tmpfs mounts holding /tmp, /var/tmp, /run, /dev/shm.

A mount at or above ``analysis.disk_percent`` in N of the last M readings is
full (high risk from 98 %). The cleanup whose folders it holds is proposed:
``cleanup_temp_files`` for the mount holding /tmp or /var/tmp,
``cleanup_log_files`` for the one holding /var/log; a full /run or /dev/shm
is a finding only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ssop.core.actions.builtin import CLEANUP_ROOTS
from ssop.core.analysis.base import AnalysisContext, Disk, Finding, Sample
from ssop.core.analysis.detectors.window import (
    HIGH,
    MEDIUM,
    Detection,
    latest,
    n_of_m,
    propose,
    where,
)
from ssop.core.config.schema import AnalysisSection

DISK_CRITICAL = 98.0


def mount_holding(path: str, mounts: Iterable[str]) -> str | None:
    """The mount ``path`` lives on: the longest mount point above it."""
    above = [m for m in mounts if path == m or path.startswith(m.rstrip("/") + "/")]
    return max(above, key=len, default=None)


def folders_on(mount: str, disks: Iterable[Disk]) -> list[str]:
    """The cleanup folders that live on ``mount``, in catalogue order."""
    mounts = [d.mount for d in disks]
    roots = [r for roots in CLEANUP_ROOTS.values() for r in roots]
    return [r for r in roots if mount_holding(r, mounts) == mount]


def cleanups_for(folders: Iterable[str]) -> list[str]:
    held = set(folders)
    return [a for a, roots in CLEANUP_ROOTS.items() if held & set(roots)]


def _at_least(mount: str, percent: float) -> Callable[[Sample], bool]:
    return lambda s: any(d.mount == mount and d.percent >= percent for d in s.disks)


def detect_full_disks(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> Iterator[Detection]:
    now = latest(ctx)
    for disk in now.disks:
        held = n_of_m(ctx.samples, _at_least(disk.mount, cfg.disk_percent), cfg)
        if not held.sustained:
            continue
        folders = folders_on(disk.mount, now.disks)
        message = (
            f"disk {disk.mount} at {disk.percent:.0f}% "
            f"(>= {cfg.disk_percent:g}% in {held.text()})"
        )
        evidence = {
            "kind": "disk_full",
            "mount": disk.mount,
            "percent": disk.percent,
            "folders": folders,
            **where(now),
        }
        risk = HIGH if disk.percent >= DISK_CRITICAL else MEDIUM
        finding = Finding(
            "disk_full",
            disk.mount,
            risk,
            message,
            held=held.held,
            of=held.of,
            evidence=evidence,
        )
        why = f"{message}: delete files older than {cfg.cleanup_days} days"
        days = {"days": str(cfg.cleanup_days)}
        yield (
            finding,
            [
                p
                for i, action in enumerate(cleanups_for(folders))
                for p in propose(ctx, finding, action, days, reason=why, priority=i + 1)
            ],
        )
