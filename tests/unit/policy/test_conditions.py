"""Baselines, preconditions and verification read from plain readings."""

from __future__ import annotations

from ssop.core.policy import conditions

UNIT = {"service": "nginx"}


def test_a_unit_restart_is_judged_by_the_failed_units() -> None:
    before = conditions.baseline(
        "restart_service", UNIT, {"failed_units": ["nginx.service"]}
    )
    still = conditions.precondition(
        "restart_service", UNIT, before, {"failed_units": ["nginx.service"]}
    )
    gone = conditions.precondition(
        "restart_service", UNIT, before, {"failed_units": []}
    )
    cleared = conditions.verify(
        "restart_service", UNIT, before, {"failed_units": ["x.service"]}
    )

    assert before == {"unit_failed": True}
    assert (still.holds, gone.holds, cleared.holds) == (True, False, True)
    assert gone.detail == "nginx is no longer failed"


def test_a_restart_of_a_healthy_unit_has_no_precondition() -> None:
    before = conditions.baseline("restart_service", UNIT, {"failed_units": []})
    verdict = conditions.precondition(
        "restart_service", UNIT, before, {"failed_units": []}
    )
    assert verdict.holds is None


def test_a_kill_needs_the_process_still_running() -> None:
    params = {"process": "runaway"}
    seen = {"top_processes": [{"name": "runaway", "pid": 7}]}
    before = conditions.baseline("kill_process", params, seen)

    assert conditions.precondition("kill_process", params, before, seen).holds is True
    assert (
        conditions.precondition(
            "kill_process", params, before, {"top_processes": []}
        ).holds
        is False
    )
    assert conditions.verify("kill_process", params, before, seen).holds is False


def test_a_cleanup_is_judged_by_disk_use_falling() -> None:
    params = {"days": "7"}
    before = conditions.baseline(
        "cleanup_temp_files", params, {"disk_max_percent": 93.0}
    )

    fell = conditions.verify(
        "cleanup_temp_files", params, before, {"disk_max_percent": 71.5}
    )
    same = conditions.verify(
        "cleanup_temp_files", params, before, {"disk_max_percent": 93.0}
    )
    blind = conditions.verify(
        "cleanup_temp_files", params, {}, {"disk_max_percent": 50.0}
    )

    assert (fell.holds, same.holds, blind.holds) == (True, False, None)
    assert fell.detail == "disk use fell from 93.0 % to 71.5 %"


def test_no_readings_means_no_verdict() -> None:
    assert (
        conditions.precondition(
            "restart_service", UNIT, {"unit_failed": True}, None
        ).holds
        is None
    )
    assert conditions.baseline("reboot_system", {}, {"failed_units": []}) == {}
    assert conditions.has_verification("reboot_system") is False
