"""A circuit breaker, so a dead model endpoint does not slow every analysis.

Closed: calls go through. After ``failures`` failures in a row it opens and
refuses calls for ``cooldown_s`` (or longer, when the endpoint asked for a
longer Retry-After). Then it lets one trial call through (half-open): a
success closes it, a failure opens it again. Time is the injected clock's
monotonic time.
"""

from __future__ import annotations

import logging

from ssop.core.clock import Clock

log = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(self, clock: Clock, failures: int, cooldown_s: float) -> None:
        self.clock = clock
        self.threshold = failures
        self.cooldown_s = cooldown_s
        self.failures = 0
        self.open_until: float | None = None

    @property
    def state(self) -> str:
        if self.open_until is None:
            return "closed"
        return "open" if self.clock.monotonic() < self.open_until else "half-open"

    def allow(self) -> bool:
        """Whether a call may go through now."""
        return self.state != "open"

    def succeeded(self) -> None:
        self.failures = 0
        self.open_until = None

    def failed(self, retry_after: float | None = None) -> None:
        """Count one failure; ``retry_after`` opens at once for at least that long."""
        self.failures += 1
        half_open = self.open_until is not None
        if half_open or self.failures >= self.threshold or retry_after:
            pause = max(self.cooldown_s, retry_after or 0.0)
            self.open_until = self.clock.monotonic() + pause
            log.warning("model endpoint: circuit open for %.0fs", pause)

    def remaining_s(self) -> float:
        if self.open_until is None:
            return 0.0
        return max(0.0, self.open_until - self.clock.monotonic())
