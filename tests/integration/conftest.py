"""Integration fixtures: child processes that never outlive their test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.processes import Process


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """Append each started Process; any still running is killed afterwards."""
    started: list[Process] = []
    yield started
    for proc in started:
        proc.kill()
