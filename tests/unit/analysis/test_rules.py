"""The rule engine over synthetic histories: N of M, spikes, flapping, allow-list."""

from __future__ import annotations

from datetime import timedelta

from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.base import AnalysisResult, CrawlFailure, ExecutionBrief
from ssop.core.analysis.detectors.units import refailures
from ssop.core.analysis.rules import RuleEngine, rule_risk
from ssop.core.config.schema import AnalysisSection
from tests.support.analysis import NOW, context, reading, times

CFG = AnalysisSection()  # need 3 of the last 5
ENGINE = RuleEngine(CFG)
OK = reading()


def actions_of(result: AnalysisResult) -> list[tuple[str, dict[str, object]]]:
    return [(p.action, dict(p.params)) for p in result.proposals]


def test_healthy_history_has_no_finding_and_no_proposal() -> None:
    result = ENGINE.analyse(context([OK] * 5))
    assert (result.findings, result.proposals) == ((), ())
    assert result.risk is RiskLevel.LOW
    assert not result.worth_a_look
    assert result.summary == "no problem found in the latest readings"


def test_full_disk_in_3_of_5_recommends_both_cleanups_with_configured_days() -> None:
    full = reading(disk=95)
    result = ENGINE.analyse(context([OK, full, OK, full, full]))
    assert actions_of(result) == [
        ("cleanup_temp_files", {"days": "7"}),
        ("cleanup_log_files", {"days": "7"}),
    ]
    finding = result.findings[0]
    assert (finding.kind, finding.subject, finding.held, finding.of) == (
        "disk_full",
        "/",
        3,
        5,
    )
    assert result.risk is RiskLevel.MEDIUM


def test_a_single_spike_is_ignored() -> None:
    result = ENGINE.analyse(context([OK, OK, OK, OK, reading(disk=99, memory=99)]))
    assert (result.findings, result.proposals) == ((), ())


def test_two_of_five_is_not_enough_and_a_recovered_condition_is_dropped() -> None:
    full = reading(disk=95)
    assert not ENGINE.analyse(context([OK, OK, OK, full, full])).findings
    # held 4 of 5, but the latest reading is fine again: nothing to do now.
    assert not ENGINE.analyse(context([full, full, full, full, OK])).findings


def test_failed_unit_recommends_restart_of_that_unit() -> None:
    down = reading(failed=("nginx.service",))
    result = ENGINE.analyse(context([OK, OK, down, down, down]))
    assert actions_of(result) == [("restart_service", {"service": "nginx.service"})]
    assert result.proposals[0].evidence["unit"] == "nginx.service"
    assert result.proposals[0].evidence["sample_id"] == 5


def test_only_assigned_actions_are_proposed() -> None:
    down = reading(failed=("nginx.service",), disk=95)
    result = ENGINE.analyse(context([down] * 5, actions=["cleanup_log_files"]))
    assert actions_of(result) == [("cleanup_log_files", {"days": "7"})]
    assert {f.kind for f in result.findings} == {"disk_full", "unit_failed"}
    assert not ENGINE.analyse(context([down] * 5, actions=[])).proposals


def test_unit_failing_again_after_restarts_is_flapping_and_not_restarted() -> None:
    down, up = reading(failed=("app.service",)), reading()
    history = [down, up, down, up, down, up, down, down, down]
    at = times(len(history))
    # a restart after each failure: the unit came back, then failed again
    restarts = [
        ExecutionBrief(
            at[i] + timedelta(seconds=5),
            "restart_service",
            {"service": "app"},
            "succeeded",
            0,
        )
        for i in (0, 2, 4)
    ]
    ctx = context(history, executions=restarts)
    assert refailures("app.service", ctx, CFG) == 3
    result = ENGINE.analyse(ctx)
    assert [f.kind for f in result.findings] == ["unit_flapping"]
    assert result.proposals == ()
    assert result.risk is RiskLevel.HIGH


def test_restarts_outside_the_window_do_not_make_flapping() -> None:
    cfg = AnalysisSection(flapping_window_s=600)
    down, up = reading(failed=("app.service",)), reading()
    history = [down, up, down, up, down] + [down] * 10
    ctx = context(history)  # recoveries 13 and 11 minutes ago, before the window
    assert refailures("app.service", ctx, cfg) == 0
    assert actions_of(RuleEngine(cfg).analyse(ctx)) == [
        ("restart_service", {"service": "app.service"})
    ]


def test_memory_pressure_proposes_killing_the_largest_process_as_high() -> None:
    hog = ("java", 4242, 5.0, 3_000_000)
    tight = reading(memory=96, procs=(hog, ("nginx", 7, 50.0, 8_000)))
    result = ENGINE.analyse(context([tight] * 5))
    assert actions_of(result) == [("kill_process", {"process": "java"})]
    assert result.proposals[0].risk is RiskLevel.HIGH
    assert result.proposals[0].evidence["pid"] == 4242
    (finding,) = result.findings
    assert (finding.kind, finding.subject, finding.risk) == (
        "memory_pressure",
        "java",
        RiskLevel.MEDIUM,
    )


def test_sustained_load_above_cores_times_factor_is_found() -> None:
    busy = reading(load1=4.5, cores=2)  # 2.25 per core > 2.0
    result = ENGINE.analyse(context([OK, busy, busy, OK, busy]))
    assert [f.kind for f in result.findings] == ["load_high"]
    assert not ENGINE.analyse(context([reading(load1=3.9, cores=2)] * 5)).findings


def test_unreachable_host_after_n_of_m_failed_crawls() -> None:
    at = times(5, NOW + timedelta(seconds=30))
    failures = [CrawlFailure(t, "timeout") for t in at[2:]]
    result = ENGINE.analyse(context([OK, OK], failures=failures))
    assert [f.kind for f in result.findings] == ["unreachable"]
    assert result.risk is RiskLevel.HIGH
    assert "timeout" in result.summary


def test_one_failed_crawl_makes_readings_stale_without_a_finding() -> None:
    down = reading(failed=("nginx.service",))
    failure = CrawlFailure(NOW + timedelta(seconds=30), "refused")
    result = ENGINE.analyse(context([down] * 5, failures=[failure]))
    assert (result.findings, result.proposals) == ((), ())
    assert "latest crawl failed" in result.summary


def test_no_readings_yet() -> None:
    result = ENGINE.analyse(context([]))
    assert result.summary == "no readings yet" and not result.findings


def test_rule_risk_is_floor_of_the_action_and_the_findings_about_it() -> None:
    down = reading(failed=("nginx.service",))
    findings = ENGINE.analyse(context([down] * 5)).findings
    assert (
        rule_risk("restart_service", {"service": "nginx"}, findings) is RiskLevel.MEDIUM
    )
    assert rule_risk("restart_service", {"service": "other"}, findings) is None
    assert rule_risk("reboot_system", {}, ()) is RiskLevel.HIGH
    # a kill's risk comes from what was seen of the process, not a floor
    assert rule_risk("kill_process", {"process": "x"}, ()) is None


def test_each_proposal_keeps_the_confidence_of_its_own_finding() -> None:
    down = reading(failed=("nginx.service",))
    both = reading(failed=("nginx.service",), disk=95)
    result = ENGINE.analyse(context([OK, down, both, both, both]))
    by_action = {p.action: p.confidence for p in result.proposals}
    assert by_action["restart_service"] == 0.8  # 4 of 5
    assert by_action["cleanup_temp_files"] == 0.6  # 3 of 5
    assert result.confidence == 0.6
