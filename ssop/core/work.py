"""What a unit of background work reports, and how it is told to stop.

The daemon runs services' methods as steps. Each takes a ``ShouldStop`` it
polls between items and returns a ``StepReport``; core cannot import the
daemon, so this is the whole contract between them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

ShouldStop = Callable[[], bool]
"""Polled between items (servers, requests); True asks the work to stop early."""


def never_stop() -> bool:
    """The ``ShouldStop`` of a caller that lets the work finish (the CLI)."""
    return False


class StepReport(Protocol):
    """What one pass of background work did, as the daemon's status shows it.

    A report may subclass this to take the defaults: nothing failed inside
    it and it was not degraded.
    """

    def summary(self) -> str:
        """One short line for systemd's STATUS and /health (``3 cleared``)."""
        ...

    @property
    def failed(self) -> int:
        """Items (servers, requests) that failed inside the finished work."""
        return 0

    @property
    def degraded(self) -> bool:
        """The work ran but could not do its job fully (the LLM is down)."""
        return False
