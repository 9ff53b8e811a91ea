"""Readings become sample columns, a digest, and a failure cause."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ssop.core.actions.readings import DiskUsage, Readings, parse_combined
from ssop.core.crawl.parse import (
    Cause,
    CommandFailed,
    classify,
    gauges,
    readings_digest,
    sample_values,
)
from ssop.core.errors import (
    AnalysisError,
    AuthFailed,
    CommandTimeout,
    HostKeyMismatch,
    HostKeyUnknown,
    StoreError,
    TransportError,
)
from tests.support.crawl import SAMPLE_A, SAMPLE_B


@pytest.fixture
def readings() -> Readings:
    return parse_combined(SAMPLE_B, parse_combined(SAMPLE_A, None).baseline())


def test_sample_values_hold_every_reading(readings: Readings) -> None:
    values = sample_values(readings)
    assert values["cpu_percent"] == 44.4
    assert (values["load1"], values["load5"], values["load15"]) == (1.52, 0.88, 0.69)
    assert values["memory_percent"] == 25.0 and values["swap_percent"] == 25.0
    assert values["cpu_count"] == 2 and values["uptime_s"] == 350735.47
    assert values["failed_unit_count"] == 2
    assert values["failed_units"] == ["logrotate.service", "php8.2-fpm.service"]
    assert values["disk_max_percent"] == max(d["percent"] for d in values["disks"])
    assert {
        "mount": "/",
        "percent": 84.3,
        "used_kb": 40000000,
        "size_kb": 50000000,
    } in (values["disks"])
    top = values["top_processes"][0]
    assert set(top) == {"pid", "name", "cpu_percent", "rss_kb"}


def test_no_systemd_means_an_unknown_failed_count_not_zero() -> None:
    values = sample_values(Readings(systemd=False))
    assert values["failed_unit_count"] is None
    assert sample_values(Readings(systemd=True))["failed_unit_count"] == 0


def test_no_disks_means_no_fullest_disk() -> None:
    assert sample_values(Readings())["disk_max_percent"] is None


def test_digest_is_stable_ignores_uptime_and_sees_everything_else(
    readings: Readings,
) -> None:
    values = sample_values(readings)
    same = sample_values(replace(readings, uptime_s=1.0))
    assert readings_digest(values) == readings_digest(dict(reversed(values.items())))
    assert readings_digest(values) == readings_digest(same)
    fuller = replace(readings, disks=(DiskUsage("/", 99.0, 1, 2),))
    assert readings_digest(sample_values(fuller)) != readings_digest(values)
    assert len(readings_digest(values)) == 32


def test_gauges_are_the_single_numbers_present(readings: Readings) -> None:
    g = gauges(sample_values(readings))
    assert g["cpu_percent"] == 44.4 and g["failed_unit_count"] == 2.0
    assert "disks" not in g and "top_processes" not in g
    assert "failed_unit_count" not in gauges(sample_values(Readings(systemd=False)))


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (AuthFailed("server a: refused our key"), Cause.AUTH),
        (HostKeyMismatch("server a: HOST KEY MISMATCH"), Cause.HOST_KEY),
        (HostKeyUnknown("server a: no host key is pinned"), Cause.HOST_KEY),
        (CommandTimeout("server a: no SSH handshake"), Cause.TIMEOUT),
        (TransportError("server a: connection refused by 1.2.3.4:22"), Cause.REFUSED),
        (TransportError("server a: cannot resolve x: Name unknown"), Cause.UNREACHABLE),
        (
            CommandFailed("server a: the readings command exited 2"),
            Cause.COMMAND_FAILED,
        ),
        (StoreError("database error"), Cause.OTHER),
        (AnalysisError("odd"), Cause.OTHER),
        (RuntimeError("bug"), Cause.OTHER),
    ],
)
def test_classify(error: BaseException, cause: Cause) -> None:
    assert classify(error) is cause


def test_a_refused_os_error_in_the_chain_counts_as_refused() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as e:
            raise TransportError("server a: cannot talk SSH with b") from e
    except TransportError as error:
        assert classify(error) is Cause.REFUSED
