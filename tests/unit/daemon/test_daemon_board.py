"""The status board: a run that lasts too long is stalled, and says since when."""

from __future__ import annotations

from datetime import timedelta

from ssop.core.config.schema import AppSection
from ssop.core.ops.daemon_registry import STALL_MIN_S, stall_after_s
from ssop.daemon.board import StatusBoard, StepRun
from tests.fakes.clock import FakeClock


def test_the_stall_limit_is_one_crawl_period_but_at_least_a_minute() -> None:
    assert stall_after_s(AppSection(crawler_delay=3)) == STALL_MIN_S == 60
    assert stall_after_s(AppSection(crawler_delay=300)) == 300


def test_a_run_longer_than_the_limit_is_stalled_until_it_finishes() -> None:
    clock = FakeClock()
    board = StatusBoard("web1:1:aa", clock.now(), clock, stall_after_s=60)
    board.add_step("analyse", 300)
    started = clock.now()
    board.start("analyse", started)
    clock.advance(60)
    step = board.snapshot().step("analyse")
    assert step is not None and (step.running_for_s, step.stalled) == (60, False)
    clock.advance(35)
    snap = board.snapshot()
    step = snap.step("analyse")
    assert step is not None and (step.running_for_s, step.stalled) == (95, True)
    assert snap.degraded == ["analyse: stalled"] and not snap.healthy
    health = snap.as_dict()
    assert health["stall_after_s"] == 60
    assert health["steps"]["analyse"]["running_since"] == started.isoformat()
    assert health["steps"]["analyse"]["running_for_s"] == 95
    board.record("analyse", StepRun(started, clock.now(), 95.0))
    step = board.snapshot().step("analyse")
    assert step is not None and step.running_since is None and not step.stalled


def test_the_heartbeat_info_carries_each_steps_times() -> None:
    clock = FakeClock()
    board = StatusBoard("web1:1:aa", clock.now(), clock, stall_after_s=90)
    board.add_step("crawl", 60)
    board.add_step("analyse", 300)
    at = clock.now()
    board.record("crawl", StepRun(at, at + timedelta(seconds=2), 2.0))
    clock.advance(5)
    board.start("analyse", clock.now())
    info = board.snapshot().heartbeat_info()
    assert info["stall_after_s"] == 90
    assert info["steps"] == {
        "crawl": {
            "interval_s": 60,
            "last_started_at": at.isoformat(),
            "last_finished_at": (at + timedelta(seconds=2)).isoformat(),
            "running_since": None,
        },
        "analyse": {
            "interval_s": 300,
            "last_started_at": None,
            "last_finished_at": None,
            "running_since": clock.now().isoformat(),
        },
    }
    assert (info["degraded"], info["skipped"]) == ([], {"crawl": 0, "analyse": 0})
