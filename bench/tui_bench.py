"""The dashboard with 1,000 servers: time to the first screen, and an update round.

    python -m bench.tui_bench               # --servers 1000 --runs 3 --rounds 20

First screen: a fresh ``python`` process (imports included) runs the
dashboard headless on a seeded SQLite store, from the parent's ``Popen``
until the fleet table holds every server. Update round: in one running
dashboard, a new status of the fleet in which a tenth of the servers
changed is applied to the screen (``FleetScreen.show``: the event loop's
share; the store query runs in a worker thread and is printed apart).
Targets (issue 16): first screen < 1.5 s, a round applied < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

# The child process's imports are part of what it measures: only what
# ``ssop tui`` itself loads is imported at the top.
from ssop.core.config.loader import load_config
from ssop.core.services import Services, build_services

if TYPE_CHECKING:
    from ssop.tui.screens.fleet import FleetData
    from tests.fakes.clock import FakeClock

PASSWORD = "bench-password-1"


def environ(work: Path) -> dict[str, str]:
    home = work / "home"
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "SSOP_DATABASE_URL": f"sqlite:///{work / 'ssop.db'}",
    }


def services_at(work: Path, clock: FakeClock | None = None) -> Services:
    config = load_config(environ=environ(work), system_config=Path("/nonexistent"))
    return build_services(config, clock=clock) if clock else build_services(config)


def prepare(work: Path, servers: int) -> str:
    """A store holding ``servers`` servers with readings; a login token."""
    from ssop.core.accounts.permissions import Role
    from tests.fakes.clock import FakeClock
    from tests.support.auth import add_user
    from tests.support.tui_seed import seed_fleet

    services = services_at(work, FakeClock(_now()))
    try:
        services.store.upgrade()
        services.store.seed()
        seed_fleet(services, _now(), servers)
        add_user(services, "bench", Role.OPERATOR, PASSWORD)
        return services.auth.login("bench", PASSWORD).token
    finally:
        services.close()


def _now() -> datetime:
    return datetime.now(UTC)


# -- first screen: runs in its own process --------------------------------


def child(work: Path, token: str, servers: int, started: float) -> None:
    from ssop.tui.app import Dashboard
    from ssop.tui.screens.fleet import FleetScreen
    from ssop.tui.session import open_session
    from ssop.tui.widgets.live_table import LiveTable

    services = services_at(work)
    app = Dashboard(open_session(services, token), clock=services.clock, poll_s=None)
    shown = FleetScreen.show

    def show(screen: FleetScreen, data: FleetData) -> None:
        shown(screen, data)
        if screen.query_one(LiveTable).row_count == servers:
            app.call_after_refresh(done)

    def done() -> None:
        print(f"{time.time() - started:.4f}", flush=True)
        app.exit()

    FleetScreen.show = show  # type: ignore[method-assign,assignment]
    app.run(headless=True, size=(120, 40))
    services.close()


def first_screen(work: Path, token: str, servers: int) -> float:
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "bench.tui_bench", "--child", str(work), token]
        + ["--servers", str(servers), "--started", repr(started)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


# -- update rounds: in this process -----------------------------------------


async def rounds(work: Path, token: str, count: int) -> tuple[list[float], list[float]]:
    from ssop.tui.app import Dashboard
    from ssop.tui.screens.fleet import FleetScreen
    from ssop.tui.session import open_session

    services = services_at(work)
    app = Dashboard(open_session(services, token), clock=services.clock, poll_s=None)
    fetches: list[float] = []
    applies: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FleetScreen)
        for i in range(count):
            t0 = time.perf_counter()
            data = screen.fetch()
            fetches.append(time.perf_counter() - t0)
            changed = _moved(data, i)
            t0 = time.perf_counter()
            screen.show(changed)
            applies.append(time.perf_counter() - t0)
            await pilot.pause()
    services.close()
    return fetches, applies


def _moved(data: FleetData, i: int) -> FleetData:
    """A tenth of the servers read a new CPU value (and their sparklines move)."""
    rows = list(data.status.rows)
    trends = dict(data.cpu_trends)
    for j in range(i % 10, len(rows), 10):
        cpu = ((rows[j].cpu_percent or 0.0) + 7 + i) % 100
        rows[j] = replace(rows[j], cpu_percent=cpu)
        trends[rows[j].server] = (*trends.get(rows[j].server, ())[1:], cpu)
    return replace(
        data, status=replace(data.status, rows=tuple(rows)), cpu_trends=trends
    )


def ms(values: list[float]) -> str:
    return (
        f"median {statistics.median(values) * 1000:7.1f} ms   "
        f"max {max(values) * 1000:7.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tui_bench")
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--child", nargs=2, metavar=("WORK", "TOKEN"))
    parser.add_argument("--started", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), args.child[1], args.servers, args.started)
        return 0
    with tempfile.TemporaryDirectory(prefix="ssop-tui-bench-") as tmp:
        work = Path(tmp)
        token = prepare(work, args.servers)
        firsts = [first_screen(work, token, args.servers) for _ in range(args.runs)]
        fetches, applies = asyncio.run(rounds(work, token, args.rounds))
    print(f"ssop tui, {args.servers} servers (SQLite store)")
    print(f"first fleet screen, process start to rows: {ms(firsts)}  (< 1500 ms)")
    print(f"update round, applied on the event loop:   {ms(applies)}  (< 50 ms)")
    print(f"update round, store query (worker thread): {ms(fetches)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
