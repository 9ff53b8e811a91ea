"""Interval slots: missed runs are skipped and counted, never stacked."""

from __future__ import annotations

import pytest

from ssop.daemon.schedule import Slots


def test_a_run_on_time_books_the_next_slot() -> None:
    slots = Slots(10, next_due=100)
    assert slots.complete(100, 102) == 0
    assert slots.next_due == 110


def test_a_run_that_overran_skips_the_slots_it_covered() -> None:
    slots = Slots(10, next_due=100)
    assert slots.complete(100, 135) == 3
    assert slots.next_due == 140


def test_a_late_start_serves_the_latest_slot_and_skips_the_older_ones() -> None:
    slots = Slots(10, next_due=100)
    assert slots.complete(135, 136) == 3
    assert slots.next_due == 140


def test_finishing_exactly_on_a_slot_does_not_skip_it() -> None:
    slots = Slots(10, next_due=100)
    assert slots.complete(100, 110) == 0
    assert slots.next_due == 110
    assert slots.is_due(110) and not slots.is_due(109.9)


def test_retime_never_waits_longer_than_the_new_interval() -> None:
    slots = Slots(300, next_due=400)
    slots.retime(30, now=110)
    assert (slots.interval_s, slots.next_due) == (30, 140)
    slots.retime(600, now=120)
    assert (slots.interval_s, slots.next_due) == (600, 140)


@pytest.mark.parametrize("interval", [0, -5])
def test_interval_must_be_positive(interval: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Slots(interval, next_due=0)


def test_an_instant_run_on_a_later_slot_serves_that_slot_not_the_next() -> None:
    slots = Slots(10, next_due=100)
    assert slots.complete(110, 110) == 1
    assert slots.next_due == 120
