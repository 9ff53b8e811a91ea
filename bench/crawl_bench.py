"""Crawl benchmark: ssop vs raw persistent Fabric vs Ansible ad hoc, on loopback.

    python -m bench.crawl_bench [--hosts 50] [--rounds 5] [--scale 1000]

Starts a loopback fleet (127.0.1.x, 16 addresses per sshd), then runs each
method in its own process (so each peak RSS is its own): ssop's
CrawlService.crawl_fleet through its default (asyncssh) transport, raw
Fabric running the same combined command, and ``ansible -m shell -f 50``
with pipelining and ControlPersist. Then what the monitored host pays per
crawl, and the large fleet: CrawlService alone, then the real ``ssop
daemon`` and its RSS. Prints a table and the ratios against the targets; it
asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.loopback import Fleet, start_fleet, stop_fleet

ROUNDS_ANSIBLE_MAX = 3  # each ansible round costs seconds of CPU on 2 cores
REPEATS = 2


def quieter(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The run less disturbed by other work on the box: lower client CPU."""
    if old is None or "error" in old:
        return new
    if "error" in new:
        return old
    return new if new["client_ms"] < old["client_ms"] else old


def child(method: str, fleet_file: Path, rounds: int) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "bench.crawl_bench",
        "--child",
        method,
        "--fleet",
        str(fleet_file),
        "--rounds",
        str(rounds),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=Path.cwd())
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"{method} failed: {tail}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(workdir: Path, hosts: int, rounds: int, ansible: bool) -> dict[str, Any]:
    from bench.crawl_methods import ansible_missing

    fleet, procs = start_fleet(workdir / "fleet", hosts)
    fleet_file = workdir / "fleet.json"
    fleet.save(fleet_file)
    results: dict[str, Any] = {}
    try:
        # ssop and Fabric alternate, twice; each keeps its quieter run
        for _ in range(REPEATS):
            for name in ("ssop", "fabric"):
                results[name] = quieter(
                    results.get(name), child(name, fleet_file, rounds)
                )
        missing = ansible_missing() if ansible else "skipped (--no-ansible)"
        results["ansible"] = (
            {"error": missing}
            if missing
            else child("ansible", fleet_file, min(rounds, ROUNDS_ANSIBLE_MAX))
        )
        results["hostcost"] = child("hostcost", fleet_file, 20)
    finally:
        stop_fleet(procs)
    return results


def scale(workdir: Path, hosts: int) -> dict[str, Any]:
    fleet, procs = start_fleet(workdir / f"scale{hosts}", hosts)
    fleet_file = workdir / f"scale{hosts}.json"
    fleet.save(fleet_file)
    try:
        result = child("ssop", fleet_file, 2)
        result["daemon"] = child("daemon", fleet_file, 2)
    finally:
        stop_fleet(procs)
    result["hosts"] = hosts
    return result


def _fmt(value: Any, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def _ratio(a: Any, b: Any) -> str:
    if not a or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def report(hosts: int, results: dict[str, Any], big: dict[str, Any] | None) -> None:
    print(f"\nSteady-state crawl of {hosts} loopback hosts (connections open)")
    head = f"{'method':<10}{'wall/crawl s':>14}{'client ms/host':>16}"
    print(head + f"{'sshd ms/host':>14}{'peak RSS MB':>13}  notes")
    for name in ("ssop", "fabric", "ansible"):
        r = results.get(name, {})
        if "error" in r:
            print(
                f"{name:<10}{'n/a':>14}{'n/a':>16}{'n/a':>14}{'n/a':>13}  {r['error']}"
            )
            continue
        note = f"{r.get('failed', 0)} failed host-crawls"
        print(
            f"{name:<10}{_fmt(r['wall_s'], '.3f'):>14}{_fmt(r['client_ms']):>16}"
            f"{_fmt(r['sshd_ms']):>14}{_fmt(r['peak_rss_mb'], '.0f'):>13}  {note}"
        )
    s, f, a = (results.get(k, {}) for k in ("ssop", "fabric", "ansible"))
    print("\nRatios (targets in brackets)")
    print(
        f"  ssop / raw Fabric client CPU  "
        f"{_ratio(s.get('client_ms'), f.get('client_ms'))}  [<= 1.3x]"
    )
    print(
        f"  Ansible / ssop client CPU     "
        f"{_ratio(a.get('client_ms'), s.get('client_ms'))}  [>= 15x]"
    )
    print(
        f"  Ansible / ssop sshd-side CPU  {_ratio(a.get('sshd_ms'), s.get('sshd_ms'))}"
    )
    h = results.get("hostcost", {})
    print("\nWhat the monitored host pays per crawl (sshd + shell + commands)")
    if "error" in h:
        print(f"  n/a: {h['error']}")
    else:
        print(f"  ssop combined command  {_fmt(h['combined_ms'])} ms")
        print(f"  reference set (6 cmds) {_fmt(h['reference_ms'])} ms")
        print(
            f"  ratio                  "
            f"{_ratio(h['combined_ms'], h['reference_ms'])}  [<= 0.5x]"
        )
    if big is not None:
        _report_scale(big)


def _report_scale(big: dict[str, Any]) -> None:
    print(
        f"\nLarge fleet: {big.get('hosts')} hosts, ssop alone, "
        "sshds on the same 2 cores"
    )
    if "error" in big:
        print(f"  n/a: {big['error']}")
        return
    print(
        f"  first crawl (connects every host)  {_fmt(big['first_crawl_s'])} s, "
        f"{big['first_failed']} failed"
    )
    print(f"  steady-state crawl                 {_fmt(big['wall_s'])} s  [<= 60 s]")
    print(f"  client CPU per host-crawl          {_fmt(big['client_ms'])} ms")
    print(f"  process RSS after crawling         {_fmt(big['rss_mb'], '.0f')} MB")
    print(f"  process peak RSS                   {_fmt(big['peak_rss_mb'], '.0f')} MB")
    d = big.get("daemon", {})
    print(f"\n`ssop daemon` on the same {big.get('hosts')} hosts (crawl every 20 s)")
    if "error" in d:
        print(f"  n/a: {d['error']}")
        return
    print(f"  first crawl done after start       {_fmt(d['first_crawl_done_s'])} s")
    print(f"  daemon CPU per steady interval     {_fmt(d['cpu_s_per_steady_crawl'])} s")
    print(
        f"  daemon RSS between crawls          "
        f"{_fmt(d['rss_mb'], '.0f')} MB  [<= 150 MB]"
    )
    print(f"  daemon peak RSS (during a crawl)   {_fmt(d['peak_rss_mb'], '.0f')} MB")
    print(f"  daemon threads                     {d['threads']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--scale", type=int, default=1000, help="0 skips the large fleet"
    )
    parser.add_argument("--no-ansible", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--fleet", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        from bench.crawl_methods import METHODS

        result = METHODS[args.child](Fleet.load(args.fleet), args.rounds)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="ssop-bench-") as tmp:
        results = compare(Path(tmp), args.hosts, args.rounds, not args.no_ansible)
        big = scale(Path(tmp), args.scale) if args.scale else None
    report(args.hosts, results, big)
    print("\nraw:", json.dumps({"compare": results, "scale": big}))


if __name__ == "__main__":
    main()
