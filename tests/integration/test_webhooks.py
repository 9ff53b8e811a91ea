"""Webhooks against a loopback receiver that answers, fails, hangs, or is down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ssop.core.config.loader import load_config
from ssop.core.config.schema import NotifySection
from ssop.core.notify.events import EventKind, Notification
from ssop.core.notify.webhook import DeliveryFailure, WebhookNotifier
from tests.support.auth import admin
from tests.support.sshd import dead_host
from tests.support.webhook_receiver import Receiver

EVENT = Notification(
    EventKind.EXECUTION_FAILED,
    datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
    "restart_service ended failed on web1 <!channel> @everyone",
    server="web1",
    action="restart_service",
    params={"service": "nginx"},
    request_id=7,
    execution_id=9,
    status="failed",
    risk="medium",
    actor="olga",
    detail="Job failed. password=hunter2",
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def notifier(
    hooks: list[dict[str, Any]], **settings: Any
) -> tuple[WebhookNotifier, list[DeliveryFailure]]:
    failures: list[DeliveryFailure] = []
    section = NotifySection.model_validate(
        {"webhooks": hooks, "backoff_s": 0.01, **settings}
    )
    return WebhookNotifier(section, on_failure=failures.append), failures


def test_each_format_is_delivered_without_secrets(receiver: Receiver) -> None:
    hooks = [
        {"url": receiver.url(f"/ok/{fmt}/T0K3N-in-the-path"), "format": fmt}
        for fmt in ("generic", "slack", "discord")
    ]
    sender, failures = notifier(hooks)
    sender.notify(EVENT)
    assert sender.drain()
    sender.close()

    (generic,) = receiver.bodies("/ok/generic")
    (slack,) = receiver.bodies("/ok/slack")
    (discord,) = receiver.bodies("/ok/discord")
    assert failures == [] and sender.delivered == 3
    assert (generic["event"], generic["server"], generic["request_id"]) == (
        "execution_failed",
        "web1",
        7,
    )
    assert generic["params"] == {"service": "nginx"}
    assert slack["text"].startswith(
        "[ssop] restart_service ended failed on web1 &lt;!channel&gt;"
    )
    assert discord["allowed_mentions"] == {"parse": []}
    assert "@\u200beveryone" in discord["content"]
    for body in (generic, slack, discord):
        text = str(body)
        assert "hunter2" not in text and "T0K3N" not in text


def test_events_filter_per_hook(receiver: Receiver) -> None:
    sender, _ = notifier(
        [{"url": receiver.url("/ok/only-approvals"), "events": ["approval_requested"]}]
    )
    sender.notify(EVENT)
    assert sender.drain()
    sender.close()
    assert receiver.paths() == []


def test_a_failing_receiver_is_retried_then_recorded(receiver: Receiver) -> None:
    sender, failures = notifier([{"url": receiver.url("/fail/S3CRET")}], retries=2)
    sender.notify(EVENT)
    assert sender.drain()
    sender.close()

    assert receiver.paths() == ["/fail/S3CRET"] * 3
    host, port = receiver.server.server_address[:2]
    assert failures == [
        DeliveryFailure("execution_failed", f"http://{host!s}:{port}", 3, "HTTP 500")
    ]


def test_a_client_error_is_not_retried(receiver: Receiver) -> None:
    sender, failures = notifier([{"url": receiver.url("/reject")}], retries=3)
    sender.notify(EVENT)
    assert sender.drain()
    sender.close()
    assert len(receiver.paths()) == 1 and failures[0].error == "HTTP 400"


def test_a_hanging_receiver_never_blocks_notify_and_times_out(
    receiver: Receiver,
) -> None:
    sender, failures = notifier(
        [{"url": receiver.url("/hang"), "timeout": 0.3}], retries=0, queue_size=2
    )
    sender.notify(EVENT)
    assert receiver.hanging.wait(10)
    # the sender is stuck on the first delivery; notify still returns at once,
    # and what the bounded queue cannot hold is dropped and recorded
    for _ in range(5):
        sender.notify(EVENT)
    assert sender.drain(30)
    sender.close()

    assert sender.dropped == 3
    errors = sorted({f.error for f in failures})
    assert errors == ["no answer within 0.3s", "queue full"]


def test_a_url_that_is_down_is_recorded() -> None:
    host, port = dead_host()
    sender, failures = notifier([{"url": f"http://{host}:{port}/hook"}], retries=1)
    sender.notify(EVENT)
    assert sender.drain()
    sender.close()
    assert [(f.target, f.attempts, f.error) for f in failures] == [
        (f"http://{host}:{port}", 2, "ConnectError")
    ]


def test_services_record_failed_deliveries_in_the_audit_trail(
    store_url: str, isolated_env: dict[str, str], clock: Any
) -> None:
    from ssop.core.services import build_services

    host, port = dead_host()
    config = load_config(
        overrides={
            "notify.webhooks": [{"url": f"http://{host}:{port}/T0K3N"}],
            "notify.retries": 0,
        },
        environ=dict(isolated_env, SSOP_DATABASE_URL=store_url),
        system_config=Path("/nonexistent"),
    )
    services = build_services(config, clock=clock)
    services.store.seed()
    services.notifier.notify(EVENT)
    assert isinstance(services.notifier, WebhookNotifier) and services.notifier.drain()
    entries = services.audit_log.list(admin(services), event="notify.failed")
    services.close()

    assert [(e.target, e.ok) for e in entries] == [(f"http://{host}:{port}", False)]
    assert "T0K3N" not in entries[0].detail
