"""Live updates: the daemon's events reload the screen; pause; jump."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from ssop.core.errors import QueueUnavailable
from ssop.core.queue.base import LiveEvent, Subscription
from ssop.core.queue.memory import MemoryEventBus
from ssop.tui.live import listen
from ssop.tui.screens.executions import ExecutionsScreen
from ssop.tui.screens.fleet import FleetScreen
from ssop.tui.widgets.status_line import StatusLine
from tests.tui.conftest import SIZE, Seeded, settle


def event() -> LiveEvent:
    return LiveEvent("crawl.done", "web01", datetime(2026, 1, 15, tzinfo=UTC))


def test_each_event_reaches_the_dashboard_until_stopped() -> None:
    bus = MemoryEventBus()
    seen = threading.Event()
    stop = threading.Event()
    subscribed = threading.Event()
    real_subscribe = bus.subscribe

    def subscribe() -> Subscription:
        sub = real_subscribe()
        subscribed.set()
        return sub

    bus.subscribe = subscribe  # type: ignore[method-assign,assignment]
    thread = threading.Thread(
        target=listen,
        kwargs={
            "bus": bus,
            "on_event": seen.set,
            "on_lost": lambda why: None,
            "stopped": stop.is_set,
        },
    )
    thread.start()
    assert subscribed.wait(5)
    bus.publish(event())
    assert seen.wait(5)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_a_lost_event_bus_is_reported_and_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[str] = []
    lost: list[str] = []

    class Down:
        def publish(self, event: LiveEvent) -> None: ...

        def subscribe(self) -> Subscription:
            attempts.append("subscribe")
            raise QueueUnavailable("redis: connection refused")

    monkeypatch.setattr("ssop.tui.live.time.sleep", lambda s: None)
    listen(
        Down(),
        on_event=lambda: None,
        on_lost=lost.append,
        stopped=lambda: len(attempts) >= 2,
    )
    assert attempts == ["subscribe", "subscribe"]
    assert lost == ["events: redis: connection refused"] * 2


@pytest.mark.asyncio
async def test_p_pauses_automation_after_confirmation(seeded: Seeded) -> None:
    app = seeded.app("fleet")
    admin = seeded.user()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p", "n")
        await settle(pilot)
        assert not seeded.services.policy_admin.status(admin).paused

        await pilot.press("p", "y")
        await settle(pilot)
        assert seeded.services.policy_admin.status(admin).paused
        assert app.live.paused
        assert "PAUSED" in str(app.screen.query_one(StatusLine).render())

        # an operator may pause but not resume: the core refuses, nothing changes
        await pilot.press("p", "y")
        await settle(pilot)
        assert seeded.services.policy_admin.status(admin).paused


@pytest.mark.asyncio
async def test_colon_jumps_to_a_screen_by_name(seeded: Seeded) -> None:
    app = seeded.app("fleet")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("colon", *"exe", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ExecutionsScreen)
        await pilot.press("colon", *"nowhere", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ExecutionsScreen)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, FleetScreen)


@pytest.mark.asyncio
async def test_the_fleet_filter_matches_names_and_tags(seeded: Seeded) -> None:
    app = seeded.app("fleet")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"db", "enter")
        await settle(pilot)
        assert app.screen.query_one("#servers").shown == [  # type: ignore[attr-defined]
            n for n in sorted(seeded.names) if n.startswith("db")
        ]


@pytest.mark.asyncio
@pytest.mark.redis
async def test_with_redis_an_event_from_the_daemon_reloads_the_screen(
    seeded: Seeded, redis_db: int, isolated_env: dict[str, str]
) -> None:
    from pathlib import Path

    from ssop.core.config.loader import load_config
    from ssop.core.services import build_services
    from tests.support import report_rows
    from tests.tui.conftest import app_for, shown

    url = seeded.services.engine.url.render_as_string(hide_password=False)
    config = load_config(
        environ=dict(
            isolated_env,
            SSOP_DATABASE_URL=url,
            SSOP_REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
        ),
        system_config=Path("/nonexistent"),
    )
    services = build_services(config, clock=seeded.clock)
    assert services.queue.kind == "redis"
    app = app_for(services, seeded.user(), "fleet")
    app.events = True  # the listener, as ssop tui starts it; no poll timer
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.5)  # the listener subscribes
            before = len(shown(app))
            with seeded.services.sessions() as s, s.begin():
                report_rows.server(s, "new1", "web")
            services.queue.events.publish(event())  # as the daemon's crawl does
            for _ in range(50):
                await pilot.pause(0.1)
                if len(shown(app)) == before + 1:
                    break
            assert "new1" in shown(app)
            app.workers.cancel_group(app, "events")
    finally:
        services.close()
