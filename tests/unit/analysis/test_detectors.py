"""Each detector over synthetic histories: what it reads, its threshold, its advice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.base import AnalysisResult
from ssop.core.analysis.detectors.disks import folders_on, mount_holding
from ssop.core.analysis.rules import RuleEngine
from ssop.core.config.schema import AnalysisSection
from tests.support.analysis import context, reading

CFG = AnalysisSection()
ENGINE = RuleEngine(CFG)
OK = reading()
HIGH, MEDIUM = RiskLevel.HIGH, RiskLevel.MEDIUM
ATTACKER = "203.0.113.7"


def analyse(
    history: Sequence[dict[str, Any]],
    cfg: AnalysisSection = CFG,
    guards: GuardConfig | None = None,
) -> AnalysisResult:
    return RuleEngine(cfg).analyse(context(history, guards=guards))


def acts(result: AnalysisResult) -> list[tuple[str, dict[str, object], str | None]]:
    return [
        (p.action, dict(p.params), p.risk.value if p.risk else None)
        for p in result.proposals
    ]


def kinds(result: AnalysisResult) -> list[str]:
    return [f.kind for f in result.findings]


# -- full file systems -------------------------------------------------------


def test_a_mount_is_found_by_the_longest_mount_point_above_a_path() -> None:
    mounts = ["/", "/var", "/var/log", "/tmp"]
    assert mount_holding("/var/log", mounts) == "/var/log"
    assert mount_holding("/var/tmp", mounts) == "/var"
    assert mount_holding("/srv", mounts) == "/"
    assert mount_holding("/tmp", ["/tmpfoo", "/"]) == "/"


def test_a_full_tmpfs_tmp_gets_the_temp_cleanup_only() -> None:
    full = reading(mounts={"/tmp": 97.0})
    result = analyse([full] * 5)
    assert acts(result) == [("cleanup_temp_files", {"days": "7"}, "medium")]
    (finding,) = result.findings
    assert (finding.kind, finding.subject) == ("disk_full", "/tmp")
    assert finding.evidence["folders"] == ["/tmp"]


def test_a_full_log_partition_gets_the_log_cleanup_only() -> None:
    result = analyse([reading(mounts={"/var/log": 99.0})] * 5)
    assert acts(result) == [("cleanup_log_files", {"days": "7"}, "high")]
    assert result.findings[0].risk is HIGH  # 98 % and more is critical


def test_a_full_run_or_shm_is_a_finding_without_a_cleanup() -> None:
    result = analyse([reading(mounts={"/run": 95.0, "/dev/shm": 96.0})] * 5)
    assert kinds(result) == ["disk_full", "disk_full"]
    assert result.proposals == ()


def test_folders_on_a_mount_follow_the_catalogue() -> None:
    disks = context([reading(mounts={"/var/tmp": 1.0})]).samples[0].disks
    assert folders_on("/", disks) == ["/tmp", "/var/log"]
    assert folders_on("/var/tmp", disks) == ["/var/tmp"]


# -- runaway processes -------------------------------------------------------


def burning(name: str = "cruncher", cpu: float = 97.0) -> dict[str, Any]:
    return reading(procs=((name, 900, cpu, 20_000), ("nginx", 101, 2.0, 60_000)))


def test_a_process_busy_in_3_of_5_readings_is_a_runaway_to_kill() -> None:
    result = analyse([OK, burning(), OK, burning(), burning()])
    assert acts(result) == [("kill_process", {"process": "cruncher"}, "medium")]
    (finding,) = result.findings
    assert (finding.kind, finding.subject, finding.held, finding.of) == (
        "process_runaway",
        "cruncher",
        3,
        5,
    )
    assert result.proposals[0].confidence == 0.6
    assert result.proposals[0].evidence["pid"] == 900


def test_a_single_cpu_spike_or_a_busy_but_not_runaway_process_is_ignored() -> None:
    assert not analyse([OK, OK, OK, OK, burning()]).findings
    assert not analyse([burning(cpu=80.0)] * 5).findings
    assert analyse(
        [burning(cpu=80.0)] * 5, AnalysisSection(process_cpu_pct=75)
    ).findings


def test_protected_processes_and_our_own_session_are_never_proposed() -> None:
    for name in ("sshd", "systemd", "sh", "sudo"):
        result = analyse([burning(name)] * 5)
        assert kinds(result) == ["process_runaway"], name
        assert result.proposals == (), name
    guards = GuardConfig(protected_processes=("cruncher",))
    assert analyse([burning()] * 5, guards=guards).proposals == ()
    (finding,) = analyse([burning("sh")] * 5).findings
    assert finding.message.endswith("not proposed: sh may be ssop's own session")


# -- memory pressure ---------------------------------------------------------

HOG = ("java", 4242, 3.0, 3_000_000)


def tight(swap: float = 0.0, memory: float = 95.0) -> dict[str, Any]:
    return reading(memory=memory, swap=swap, procs=(HOG, ("nginx", 7, 40.0, 9_000)))


def test_low_available_memory_names_the_largest_process_for_approval() -> None:
    result = analyse([tight()] * 5)  # 5 % available < 10 %
    (finding,) = result.findings
    assert (finding.kind, finding.subject, finding.risk) == (
        "memory_pressure",
        "java",
        MEDIUM,
    )
    assert acts(result) == [("kill_process", {"process": "java"}, "high")]


def test_rising_swap_makes_memory_pressure_high() -> None:
    history = [tight(swap=s) for s in (10.0, 12.0, 15.0, 20.0, 30.0)]
    (finding,) = analyse(history).findings
    assert finding.risk is HIGH and finding.evidence["swap_rising"] is True


def test_enough_available_memory_is_no_pressure() -> None:
    assert not analyse([tight(memory=89.0)] * 5).findings  # 11 % available
    assert not analyse([OK, OK, OK, tight(), tight()]).findings


def test_a_protected_largest_process_is_named_but_not_proposed() -> None:
    procs = (("systemd", 1, 0.0, 9_000_000), ("nginx", 7, 1.0, 9_000))
    result = analyse([reading(memory=97, procs=procs)] * 5)
    assert result.findings[0].subject == "systemd" and result.proposals == ()


# -- SSH brute force ---------------------------------------------------------


def attacked(count: int = 8, address: str = ATTACKER) -> dict[str, Any]:
    return reading(logins={address: count, "198.51.100.20": 1})


def test_an_address_failing_again_and_again_is_blocked_at_approval() -> None:
    result = analyse([attacked()] * 5)  # 40 failures over 5 readings
    assert acts(result) == [("block_ip_firewalld", {"ip": ATTACKER}, "high")]
    (finding,) = result.findings
    assert (finding.kind, finding.subject, finding.risk) == (
        "ssh_brute_force",
        ATTACKER,
        MEDIUM,
    )
    assert finding.evidence["failures"] == 40


def test_few_failures_or_one_burst_is_not_brute_force() -> None:
    assert not analyse([attacked(count=3)] * 5).findings  # 15 < 20
    burst = [reading(logins={}), reading(logins={}), reading(logins={})]
    assert not analyse([*burst, reading(logins={}), attacked(count=500)]).findings
    assert not analyse([reading()] * 5).findings  # not read at all


def test_our_own_allow_listed_and_private_addresses_are_never_proposed() -> None:
    own = GuardConfig.from_strings(own_addresses=[ATTACKER])
    allowed = GuardConfig.from_strings(never_block=["203.0.113.0/24"])
    for guards in (own, allowed):
        result = analyse([attacked()] * 5, guards=guards)
        assert kinds(result) == ["ssh_brute_force"] and result.proposals == ()
    private = [attacked(address="10.1.2.3")] * 5
    assert analyse(private).proposals == ()
    assert "ssh_block_private is off" in analyse(private).findings[0].message
    opted_in = analyse(private, AnalysisSection(ssh_block_private=True))
    assert acts(opted_in) == [("block_ip_firewalld", {"ip": "10.1.2.3"}, "high")]
