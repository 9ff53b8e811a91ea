"""The circuit breaker on the fake clock: open, cool down, half-open trial."""

from __future__ import annotations

from ssop.core.analysis.breaker import CircuitBreaker
from tests.fakes.clock import FakeClock


def test_opens_after_n_failures_and_lets_one_trial_through_after_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(clock, failures=2, cooldown_s=60)
    breaker.failed()
    assert breaker.allow()
    breaker.failed()
    assert (breaker.state, breaker.allow()) == ("open", False)
    clock.advance(59)
    assert not breaker.allow()
    clock.advance(1)
    assert (breaker.state, breaker.allow()) == ("half-open", True)
    breaker.failed()  # the trial failed: open again at once
    assert not breaker.allow()
    clock.advance(60)
    breaker.succeeded()
    assert (breaker.state, breaker.failures) == ("closed", 0)


def test_a_long_retry_after_opens_at_once_for_that_long() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(clock, failures=5, cooldown_s=30)
    breaker.failed(retry_after=600)
    assert not breaker.allow()
    assert breaker.remaining_s() == 600
    clock.advance(599)
    assert not breaker.allow()
    clock.advance(1)
    assert breaker.allow()
