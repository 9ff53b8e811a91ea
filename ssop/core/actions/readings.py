"""Parse what the get scripts print into ``Readings``.

CPU % needs two samples of /proc/stat. The crawl takes one per visit and
keeps each server's last raw counters as a compact ``Baseline`` (a few KB
at 1,000 hosts' scale, not the whole ``Readings``): ``parse_combined(out,
baseline)`` computes CPU % (host and per process) against it, and is
``None`` on a first visit or after a reboot (counters went back).
The single get actions take two samples 0.2 s apart in one invocation;
``parse_two_samples`` reads those.

Everything in the output is untrusted: names are cleaned (control and
format characters removed, length capped), counts are capped, and a line
that does not parse is skipped rather than trusted.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from array import array
from dataclasses import dataclass

from ssop.core.actions.scripts import END, RESAMPLE, TERMINAL_SECTION
from ssop.core.errors import AnalysisError

MAX_LINES_PER_SECTION = 20_000
_END_NAME = END[7:-2]
MAX_DISKS = 200
MAX_FAILED_UNITS = 200
TOP_BY_MEMORY = 5
MAX_AUTH_ADDRESSES = 100
MAX_AUTH_COUNT = 10_000_000
# Pseudo file systems df lists that are never a disk worth watching...
_PSEUDO_SOURCES = frozenset({"tmpfs", "devtmpfs", "udev", "none", "shm"})
_PSEUDO_MOUNTS = ("/proc", "/sys", "/dev", "/run", "/snap")
# ...except memory-backed ones that fill like a disk and stop programs when
# full (a full tmpfs /tmp); other tmpfs mounts (/run/user/N, ...) stay out.
FILLABLE_TMPFS = frozenset({"/tmp", "/var/tmp", "/run", "/dev/shm"})
# The marker the failed-login section printed: a journal cursor or
# inode:size of a log file. Passed back on the next crawl as an argument.
_AUTH_MARKER = re.compile(r"(j:[A-Za-z0-9=;_.-]{1,400}|f:[0-9]{1,20}:[0-9]{1,20})")


@dataclass(frozen=True, slots=True)
class CpuCounters:
    """Cumulative jiffies over all CPUs: all time, and idle + iowait."""

    total: int
    idle: int


@dataclass(frozen=True, slots=True)
class DiskUsage:
    mount: str
    percent: float
    used_kb: int
    size_kb: int


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    pid: int
    name: str
    cpu_percent: float | None  # of one core, like top; None without a previous sample
    rss_kb: int


@dataclass(frozen=True, slots=True)
class AuthFailures:
    """Failed SSH logins from one source address since the previous crawl."""

    address: str
    count: int


@dataclass(frozen=True, slots=True)
class ProcessTicks:
    """Raw per-process counters kept for the next delta."""

    pid: int
    start: int  # starttime: tells a reused PID from the old process
    ticks: int  # utime + stime
    rss_kb: int
    name: str


@dataclass(frozen=True, slots=True)
class Readings:
    """One server's readings. ``None`` means the section was missing."""

    cpu_percent: float | None = None
    memory_percent: float | None = None
    swap_percent: float | None = None
    memory_total_kb: int | None = None
    memory_available_kb: int | None = None
    load1: float | None = None
    load5: float | None = None
    load15: float | None = None
    cpu_count: int | None = None
    uptime_s: float | None = None
    disks: tuple[DiskUsage, ...] = ()
    df_failure: int | None = None  # df's exit status when it failed (124: hung)
    failed_units: tuple[str, ...] = ()
    systemd: bool | None = None  # None: not asked; False: systemctl unusable
    top_processes: tuple[ProcessInfo, ...] = ()
    cpu_counters: CpuCounters | None = None
    process_ticks: tuple[ProcessTicks, ...] = ()
    # None: not read (get_auth_failures not assigned) or no log to read.
    auth_failures: tuple[AuthFailures, ...] | None = None
    auth_marker: str | None = None  # where the next crawl's count starts

    def baseline(self) -> Baseline:
        """What the next sample's CPU % (and failed-login count) starts from."""
        packed = array("I")
        for p in self.process_ticks:
            packed.extend((p.pid % _WRAP, p.start % _WRAP, p.ticks % _WRAP))
        return Baseline(self.cpu_counters, packed.tobytes(), self.auth_marker)


# A fleet's baselines live between crawls: every counter is kept modulo
# 2**32, 12 bytes a process. A start time or pid that collides modulo 2**32
# is, in practice, the same process; a tick count wraps only after 497 CPU
# days and its delta over one crawl interval stays exact.
_WRAP = 1 << 32


@dataclass(frozen=True, slots=True)
class Baseline:
    """A sample's raw CPU counters, packed: (pid, start, ticks) as uint32
    triples (modulo 2**32) instead of a ``ProcessTicks`` object each."""

    cpu_counters: CpuCounters | None
    packed_ticks: bytes = b""
    auth_marker: str | None = None

    def ticks_by_process(self) -> dict[tuple[int, int], int]:
        """(pid, start) -> utime + stime, each modulo 2**32."""
        flat = array("I")
        flat.frombytes(self.packed_ticks)
        return {(flat[i], flat[i + 1]): flat[i + 2] for i in range(0, len(flat) - 2, 3)}


def ticks_between(before: int, now: int) -> int:
    """CPU ticks used between a baseline's counter and a full one now."""
    delta = (now - before) % _WRAP
    return delta if delta < _WRAP // 2 else 0  # went backwards: no delta


def clean(text: str, limit: int) -> str:
    """Untrusted text as data: drop control/format characters, cap the length."""
    if text.isprintable():  # the common case; it excludes every Cc and Cf
        return text[:limit]
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
    return kept[:limit]


def split_sections(output: str) -> dict[str, list[str]]:
    """Section name -> its lines. The first occurrence of a name wins, and
    after the terminal section's header (process names: free text any user
    sets) no header is honoured, so those lines can fake no section."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    # split("\n"), not splitlines(): names may hold \x1c, \x85 or \u2028,
    # which splitlines() would treat as line breaks.
    for line in output.split("\n"):
        name = None if TERMINAL_SECTION in found else _header(line)
        if name == _END_NAME:
            current = None
        elif name is not None:
            current = None if name in found else found.setdefault(name, [])
        elif current is not None and len(current) < MAX_LINES_PER_SECTION:
            current.append(line)
    return found


def _header(line: str) -> str | None:
    if line.startswith("==ssop:") and line.endswith("=="):
        name = line[7:-2]
        if name.isascii() and name.isalpha():
            return name
    return None


def _ints(fields: list[str]) -> list[int] | None:
    try:
        return [int(f) for f in fields]
    except ValueError:
        return None


def parse_stat(lines: list[str]) -> tuple[CpuCounters | None, int | None]:
    """Aggregate counters from the ``cpu`` line, and the count of ``cpuN`` lines."""
    counters, count = None, 0
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "cpu" and (nums := _ints(parts[1:9])) and len(nums) >= 4:
            # guest time is already inside user/nice: only fields 1-8 count.
            idle = nums[3] + (nums[4] if len(nums) > 4 else 0)
            counters = CpuCounters(sum(nums), idle)
        elif parts[0].startswith("cpu") and parts[0][3:].isdigit():
            count += 1
    return counters, count or None


def cpu_percent(now: CpuCounters | None, before: CpuCounters | None) -> float | None:
    if now is None or before is None:
        return None
    total, idle = now.total - before.total, now.idle - before.idle
    if total <= 0 or idle < 0 or idle > total:
        return None  # counters reset (reboot) or no time passed
    return round(100.0 * (total - idle) / total, 1)


def parse_meminfo(lines: list[str]) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in lines:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0])
    return values


def _memory(
    info: dict[str, int],
) -> tuple[float | None, float | None, int | None, int | None]:
    total = info.get("MemTotal")
    if not total:
        return None, None, None, None
    available = info.get("MemAvailable")
    if available is None:  # kernels before 3.14
        available = (
            info.get("MemFree", 0) + info.get("Buffers", 0) + info.get("Cached", 0)
        )
    mem = round(100.0 * (total - available) / total, 1)
    swap_total = info.get("SwapTotal", 0)
    swap = (
        round(100.0 * (swap_total - info.get("SwapFree", 0)) / swap_total, 1)
        if swap_total
        else 0.0
    )
    return mem, swap, total, available


def parse_loadavg(lines: list[str]) -> tuple[float | None, float | None, float | None]:
    try:
        a, b, c = (float(x) for x in lines[0].split()[:3])
    except (IndexError, ValueError):
        return None, None, None
    return a, b, c


def parse_uptime(lines: list[str]) -> float | None:
    try:
        return float(lines[0].split()[0])
    except (IndexError, ValueError):
        return None


def parse_df(lines: list[str]) -> tuple[DiskUsage, ...]:
    """``df -kP`` lines; pseudo file systems and duplicate mounts dropped."""
    disks: dict[str, DiskUsage] = {}
    for line in lines:
        parts = line.split(None, 5)
        nums = _ints(parts[1:4]) if len(parts) == 6 else None
        if nums is None or len(disks) >= MAX_DISKS:
            continue
        size, used, avail = nums
        mount = clean(parts[5], 512)
        if size <= 0 or not _fillable(parts[0], mount):
            continue
        percent = round(100.0 * used / (used + avail), 1) if used + avail else 0.0
        disks.setdefault(mount, DiskUsage(mount, percent, used, size))
    return tuple(disks.values())


def parse_df_failure(lines: list[str]) -> int | None:
    """The exit status a failed df left as the section's last line, if any."""
    parts = lines[-1].split() if lines else []
    if len(parts) == 2 and parts[0] == "!failed" and parts[1].isdigit():
        return int(parts[1])
    return None


def _fillable(source: str, mount: str) -> bool:
    if mount in FILLABLE_TMPFS:
        return True
    return source not in _PSEUDO_SOURCES and not _pseudo_mount(mount)


def _pseudo_mount(mount: str) -> bool:
    return any(mount == m or mount.startswith(m + "/") for m in _PSEUDO_MOUNTS)


def parse_auth(lines: list[str]) -> tuple[tuple[AuthFailures, ...] | None, str | None]:
    """The failed-login section: counts per address, and the marker.

    Counts are None when the host had no log to read. A line that is not a
    count and a valid address is skipped: the addresses came from log text.
    """
    if not lines or lines[0].strip() == "!unavailable":
        return None, None
    raw = lines[0].strip()
    marker = (
        raw[1:] if raw.startswith("@") and _AUTH_MARKER.fullmatch(raw[1:]) else None
    )
    counts: dict[str, int] = {}
    for line in lines[1:]:
        entry = _auth_entry(line)
        if entry is not None and len(counts) < MAX_AUTH_ADDRESSES:
            counts[entry.address] = counts.get(entry.address, 0) + entry.count
    found = (AuthFailures(a, min(n, MAX_AUTH_COUNT)) for a, n in counts.items())
    return tuple(sorted(found, key=lambda f: (-f.count, f.address))), marker


def _auth_entry(line: str) -> AuthFailures | None:
    parts = line.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) > 45:
        return None
    try:
        address = ipaddress.ip_address(parts[1])
    except ValueError:
        return None
    return AuthFailures(str(address), int(parts[0]))


def parse_failed(lines: list[str]) -> tuple[str, ...] | None:
    """Unit names from ``systemctl list-units --plain --no-legend``, or None
    when the script found systemctl missing or unusable."""
    if any(line.strip() == "!unavailable" for line in lines):
        return None
    units = []
    for line in lines[:MAX_FAILED_UNITS]:
        parts = line.replace("\u25cf", " ").split()
        if parts:
            units.append(clean(parts[0], 256))
    return tuple(units)


# One /proc/PID/stat record. comm is free text of at most 15 bytes that may
# hold ")", digits and even newlines, so a record is not a line: it is the
# shortest comm followed by a state letter and a run of numbers to a newline,
# which no 15-byte name can imitate.
_STAT_RE = re.compile(
    r"(\d+) \((.{0,64}?)\) ([A-Za-z]) ((?:-?\d+ ){20,80}-?\d+)\n", re.DOTALL
)


def parse_procs(text: str, page_kb: int) -> tuple[ProcessTicks, ...]:
    """Every well-formed /proc/PID/stat record in ``text``; the rest is skipped."""
    procs = []
    for m in _STAT_RE.finditer(text):
        # after the state (field 3): utime 14, stime 15, starttime 22, rss 24
        fields = m.group(4).split()
        utime, stime, start, rss = (int(fields[i]) for i in (10, 11, 18, 20))
        name = clean(m.group(2), 64)
        procs.append(
            ProcessTicks(int(m.group(1)), start, utime + stime, rss * page_kb, name)
        )
    return tuple(procs)


def _page_kb(lines: list[str]) -> int:
    size = _ints(lines[:1]) if lines else None
    return max(1, size[0] // 1024) if size and size[0] > 0 else 4


def top_processes(
    procs: tuple[ProcessTicks, ...],
    before: Baseline | None,
    cpu_span: float | None,
    top_n: int,
    top_rss: int = TOP_BY_MEMORY,
) -> tuple[ProcessInfo, ...]:
    """The ``top_n`` busiest (largest memory first when no delta exists), plus
    the ``top_rss`` largest by memory, so an idle memory hog is seen too.

    ``cpu_span`` is the jiffies one core had between the samples.
    """
    old = before.ticks_by_process() if before and cpu_span else {}
    infos = []
    for p in procs:
        pct = None
        key = (p.pid % _WRAP, p.start % _WRAP)
        if cpu_span and key in old:
            pct = round(100.0 * ticks_between(old[key], p.ticks) / cpu_span, 1)
        infos.append(ProcessInfo(p.pid, p.name, pct, p.rss_kb))
    infos.sort(key=lambda i: (i.cpu_percent or 0.0, i.rss_kb), reverse=True)
    largest = sorted(infos[top_n:], key=lambda i: i.rss_kb, reverse=True)
    return tuple(infos[:top_n] + largest[:top_rss])


def _cpu_span(
    now: CpuCounters | None, before: Baseline | None, cpus: int | None
) -> float | None:
    if now is None or before is None or before.cpu_counters is None or not cpus:
        return None
    span = (now.total - before.cpu_counters.total) / cpus
    return span if span > 0 else None


def parse_combined(
    output: str, previous: Baseline | None, *, top_n: int = 10
) -> Readings:
    """Parse one sample (the combined crawl, or a single get action);
    ``previous`` is the last sample's ``Readings.baseline()``.

    Raises:
        AnalysisError: the output holds none of the ssop sections at all.
    """
    sec = split_sections(output)
    if not sec:
        raise AnalysisError("readings output holds no ==ssop:...== sections")
    counters, cpus = parse_stat(sec.get("stat", []))
    before = previous.cpu_counters if previous else None
    mem, swap, total, available = _memory(parse_meminfo(sec.get("meminfo", [])))
    load1, load5, load15 = parse_loadavg(sec.get("loadavg", []))
    procs_text = "\n".join(sec.get("procs", [])) + "\n"
    procs = parse_procs(procs_text, _page_kb(sec.get("pagesize", [])))
    span = _cpu_span(counters, previous, cpus)
    failed = parse_failed(sec["failed"]) if "failed" in sec else None
    auth, marker = parse_auth(sec["auth"]) if "auth" in sec else (None, None)
    return Readings(
        cpu_percent=cpu_percent(counters, before),
        memory_percent=mem,
        swap_percent=swap,
        memory_total_kb=total,
        memory_available_kb=available,
        load1=load1,
        load5=load5,
        load15=load15,
        cpu_count=cpus,
        uptime_s=parse_uptime(sec.get("uptime", [])),
        disks=parse_df(sec.get("df", [])),
        df_failure=parse_df_failure(sec.get("df", [])),
        failed_units=failed or (),
        systemd=None if "failed" not in sec else failed is not None,
        top_processes=top_processes(procs, previous, span, top_n),
        cpu_counters=counters,
        process_ticks=procs,
        auth_failures=auth,
        auth_marker=marker or (previous.auth_marker if previous else None),
    )


def parse_two_samples(output: str, *, top_n: int = 10) -> Readings:
    """Parse a get action that printed two samples split by RESAMPLE."""
    first, sep, second = output.partition(RESAMPLE)
    if not sep:
        return parse_combined(output, None, top_n=top_n)
    before = parse_combined(first, None, top_n=top_n).baseline()
    return parse_combined(second, before, top_n=top_n)
