"""Readings parsers against recorded sample outputs (fixtures/)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ssop.core.actions.readings import (
    CpuCounters,
    DiskUsage,
    ProcessTicks,
    Readings,
    clean,
    cpu_percent,
    parse_combined,
    parse_two_samples,
    ticks_between,
    top_processes,
)
from ssop.core.actions.summary import (
    describe,
    parse_service_status,
    summarise_get,
)
from ssop.core.errors import AnalysisError

FIXTURES = Path(__file__).parent / "fixtures"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture
def first() -> Readings:
    return parse_combined(_text("combined_a.txt"), None)


def test_a_first_sample_has_everything_but_rates(first: Readings) -> None:
    assert first.cpu_percent is None
    assert first.cpu_count == 2
    assert first.cpu_counters == CpuCounters(total=9650, idle=8100)
    assert (first.load1, first.load5, first.load15) == (0.52, 0.58, 0.59)
    assert first.uptime_s == 350735.47
    assert first.memory_percent == 25.0 and first.swap_percent == 25.0
    assert (first.memory_total_kb, first.memory_available_kb) == (8000000, 6000000)
    assert first.systemd is True
    assert first.failed_units == ("logrotate.service", "php8.2-fpm.service")


def test_df_drops_pseudo_file_systems_and_duplicates(first: Readings) -> None:
    # tmpfs /run and /dev/shm fill like disks; udev and snaps stay out
    assert first.disks == (
        DiskUsage("/run", 0.2, 1500, 800000),
        DiskUsage("/", 84.3, 40000000, 50000000),
        DiskUsage("/dev/shm", 0.0, 0, 4000000),
        DiskUsage("/srv/data files", 21.1, 20000000, 100000000),
    )


def test_without_a_previous_sample_processes_sort_by_memory(first: Readings) -> None:
    names = [p.name for p in first.top_processes]
    assert names[:3] == ["nginx", "(sd-pam)", "systemd"]
    assert first.top_processes[0].rss_kb == 50000 * 4
    assert all(p.cpu_percent is None for p in first.top_processes)
    assert "tmux: server" in names


def test_a_second_sample_gives_cpu_rates(first: Readings) -> None:
    second = parse_combined(_text("combined_b.txt"), first.baseline())
    assert second.cpu_percent == 44.4  # 400 busy of 900 jiffies
    top = second.top_processes[0]
    # 225 ticks of nginx over 450 jiffies of one core
    assert (top.name, top.cpu_percent) == ("nginx", 50.0)
    by_pid = {p.pid: p for p in second.top_processes}
    assert by_pid[1300].name == "newproc" and by_pid[1300].cpu_percent is None
    assert by_pid[812].cpu_percent == 0.0


def test_counters_going_back_mean_a_reboot_not_a_rate(first: Readings) -> None:
    rebooted = parse_combined(
        _text("combined_a.txt"),
        parse_combined(_text("combined_b.txt"), None).baseline(),
    )
    assert rebooted.cpu_percent is None


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [
        (CpuCounters(200, 150), CpuCounters(100, 100), 50.0),
        (CpuCounters(100, 100), CpuCounters(100, 100), None),
        (CpuCounters(50, 10), CpuCounters(100, 100), None),
        (CpuCounters(200, 50), CpuCounters(100, 100), None),
        (CpuCounters(200, 150), None, None),
    ],
)
def test_cpu_percent_edges(
    now: CpuCounters, before: CpuCounters | None, expected: float | None
) -> None:
    assert cpu_percent(now, before) == expected


def test_two_samples_in_one_output() -> None:
    r = parse_two_samples(_text("cpu_two_samples.txt"))
    assert r.cpu_percent == 20.0 and r.cpu_count == 1


def test_untrusted_text_is_cleaned_and_fake_sections_are_ignored() -> None:
    r = parse_combined(_text("hostile.txt"), None)
    assert r.memory_total_kb == 1000  # the mount point's fake meminfo lost
    assert r.disks == (DiskUsage("/home/eve/mnt", 10.0, 10, 100),)
    assert r.failed_units == ("]0;pwnedbad.service",)
    # Names that print header lines neither end the list nor start a
    # section, and their own processes are still seen, name cleaned.
    assert [(p.pid, p.name) for p in r.top_processes] == [
        (90, "hidden"),
        (77, "[31mredevil"),
        (79, "a) R 1"),  # a ')' inside the name does not shift the fields
        (78, "==ssop:df=="),
        (82, "==ssop:end=="),
    ]


def test_clean_caps_and_strips() -> None:
    assert clean("a\x00b\x1bc\u200bd" + "x" * 100, 10) == "abcdxxxxxx"


def test_output_without_sections_is_an_analysis_error() -> None:
    with pytest.raises(AnalysisError, match="no ==ssop"):
        parse_combined("bash: sh: command not found\n", None)


def test_the_end_marker_closes_the_last_section() -> None:
    out = "==ssop:failed==\na.service loaded failed failed A\n==ssop:end==\n"
    r = parse_combined(out, None)
    assert r.systemd is True and r.failed_units == ("a.service",)


def test_systemd_unavailable_is_not_zero_failures() -> None:
    r = parse_combined("==ssop:failed==\n!unavailable\n==ssop:end==\n", None)
    assert r.systemd is False and r.failed_units == ()
    assert describe(r) == ["failed units: unknown (systemd not running)"]


def test_describe_reads_well(first: Readings) -> None:
    second = parse_combined(_text("combined_b.txt"), first.baseline())
    lines = describe(second)
    assert lines[:5] == [
        "cpu: 44.4% busy (2 cpus)",
        "memory: 25.0% used (1.9 GiB of 7.6 GiB)",
        "swap: 25.0% used",
        "load: 1.52 0.88 0.69, 0.76 per cpu",
        "uptime: 4d 1h 25m",
    ]
    assert "disk /: 84.3% used (38.1 GiB of 47.7 GiB)" in lines
    assert "failed units: logrotate.service, php8.2-fpm.service" in lines
    assert "     1200   50.0  199.2 MiB  nginx" in lines


def test_service_status_parses_and_reads_well() -> None:
    status = parse_service_status(_text("service_nginx.txt"))
    assert (status.unit, status.active_state, status.main_pid) == (
        "nginx.service",
        "active",
        1200,
    )
    assert summarise_get("get_service_status", _text("service_nginx.txt")) == (
        "nginx.service (A high performance web server and a reverse proxy server): "
        "active (running), enabled, pid 1200, since Mon 2024-05-06 10:11:12 UTC, "
        "2 restart(s)"
    )
    assert summarise_get("get_service_status", _text("service_missing.txt")) == (
        "nosuch.service: no such unit"
    )


def test_summarise_leaves_foreign_output_alone() -> None:
    assert (
        summarise_get("get_uptime", "sh: 1: cat: not found\n")
        == "sh: 1: cat: not found\n"
    )


def test_the_baseline_keeps_every_process_counter_in_12_bytes(first: Readings) -> None:
    baseline = first.baseline()
    assert baseline.cpu_counters == first.cpu_counters
    assert baseline.ticks_by_process() == {
        (p.pid, p.start): p.ticks for p in first.process_ticks
    }
    assert len(baseline.packed_ticks) == 12 * len(first.process_ticks) > 0


def test_counters_past_32_bits_still_give_exact_deltas() -> None:
    start, ticks = 5 * 2**32 + 77, 3 * 2**32 - 10  # years of uptime, CPU days
    before = ProcessTicks(pid=4242, start=start, ticks=ticks, name="db", rss_kb=1)
    now = ProcessTicks(pid=4242, start=start, ticks=ticks + 250, name="db", rss_kb=1)
    baseline = Readings(process_ticks=(before,)).baseline()
    (info,) = top_processes((now,), baseline, cpu_span=1000.0, top_n=5)
    assert info.cpu_percent == 25.0  # 250 ticks across the 2**32 wrap
    assert ticks_between(2**32 - 5, 2**32 + 5) == 10
    assert ticks_between(100, 40) == 0  # a counter going back gives no delta


def test_failed_logins_parse_per_valid_address_and_read_well() -> None:
    out = (
        "==ssop:auth==\n@j:s=ab;i=9\n30 203.0.113.7\n5 2001:DB8::5\n"
        "9 999.1.1.1\n4 ==ssop:df==\nlots 198.51.100.1\n==ssop:end==\n"
    )
    r = parse_combined(out, None)
    assert r.auth_marker == "j:s=ab;i=9"
    assert [(f.address, f.count) for f in r.auth_failures or ()] == [
        ("203.0.113.7", 30),
        ("2001:db8::5", 5),
    ]
    assert summarise_get("get_auth_failures", out) == (
        "failed SSH logins by address: 203.0.113.7 30, 2001:db8::5 5"
    )
    bad_marker = parse_combined("==ssop:auth==\n@j:$(reboot)\n==ssop:end==\n", None)
    assert bad_marker.auth_marker is None and bad_marker.auth_failures == ()
    gone = parse_combined("==ssop:auth==\n!unavailable\n==ssop:end==\n", None)
    assert gone.auth_failures is None


def test_the_largest_processes_are_listed_even_when_idle() -> None:
    busy = tuple(
        ProcessTicks(pid=i, start=1, ticks=100 + i, name=f"w{i}", rss_kb=10)
        for i in range(1, 13)
    )
    hog = ProcessTicks(pid=99, start=1, ticks=0, name="hog", rss_kb=9_000_000)
    baseline = Readings(process_ticks=(*busy, hog)).baseline()
    later = tuple(replace(p, ticks=p.ticks + p.pid) for p in busy)
    top = top_processes((*later, hog), baseline, cpu_span=100.0, top_n=10)
    assert [p.name for p in top][:10] == [f"w{i}" for i in range(12, 2, -1)]
    assert "hog" in [p.name for p in top[10:]]
