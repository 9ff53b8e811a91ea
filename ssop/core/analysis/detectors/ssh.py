"""SSH brute force: one address failing to log in again and again.

Needs get_auth_failures assigned (the crawl then counts sshd's failed
logins per source address since the previous crawl). An address with at
least ``analysis.ssh_failures`` failures over the last M readings, failing
in N of them and in the latest, is brute-forcing: a medium-risk finding and
``block_ip_firewalld`` of it at high risk (approval). Never proposed for an
address the guard rails protect (ssop's own, loopback, ``guards.never_block``)
nor, unless ``analysis.ssh_block_private``, for a private one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Sequence

from ssop.core.actions.guards.checks import check_blockable
from ssop.core.analysis.base import AnalysisContext, Finding, Sample
from ssop.core.analysis.detectors.window import (
    HIGH,
    MEDIUM,
    Detection,
    latest,
    n_of_m,
    propose,
    where,
    withheld,
)
from ssop.core.config.schema import AnalysisSection
from ssop.core.errors import InvalidInput

PRIVATE_NETS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "fc00::/7",
    )
)


def failed_logins(window: Sequence[Sample]) -> dict[str, int]:
    """Failed logins per address over ``window``, most first."""
    totals: dict[str, int] = {}
    for sample in window:
        for f in sample.auth_failures or ():
            totals[f.address] = totals.get(f.address, 0) + f.count
    return dict(sorted(totals.items(), key=lambda t: (-t[1], t[0])))


def _failing(address: str) -> Callable[[Sample], bool]:
    return lambda s: s.failed_logins(address) > 0


def why_not_block(
    address: str, ctx: AnalysisContext, cfg: AnalysisSection
) -> str | None:
    """Why ``address`` must not be proposed for a block, or None."""
    ip = ipaddress.ip_address(address)
    try:
        check_blockable(ip, "ip", ctx.guards)
    except InvalidInput as e:
        return e.message
    private = any(ip.version == n.version and ip in n for n in PRIVATE_NETS)
    if private and not cfg.ssh_block_private:
        return f"{address} is private (analysis.ssh_block_private is off)"
    return None


def detect_brute_force(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> Iterator[Detection]:
    now = latest(ctx)
    if now.auth_failures is None:
        return
    window = ctx.samples[-cfg.of_last :]
    for address, total in failed_logins(window).items():
        if total < cfg.ssh_failures:
            continue
        held = n_of_m(ctx.samples, _failing(address), cfg)
        if not held.sustained:
            continue
        message = (
            f"{total} failed SSH logins from {address} over the last {len(window)} "
            f"readings (>= {cfg.ssh_failures}; failing in {held.text()})"
        )
        evidence = {
            "kind": "ssh_brute_force",
            "address": address,
            "failures": total,
            **where(now),
        }
        finding = Finding(
            "ssh_brute_force",
            address,
            MEDIUM,
            message,
            held=held.held,
            of=held.of,
            evidence=evidence,
            remedy_risk=HIGH,
        )
        why_not = why_not_block(address, ctx, cfg)
        if why_not is not None:
            yield withheld(finding, why_not)
            continue
        yield finding, propose(ctx, finding, "block_ip_firewalld", {"ip": address})
