"""Webhook bodies are built from events alone, redacted and mention-safe."""

from __future__ import annotations

from datetime import UTC, datetime

from ssop.core.notify import payloads
from ssop.core.notify.events import daemon_error

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_a_daemon_error_in_each_format() -> None:
    event = daemon_error(
        AT, "crawl", "mysql://ssop:pw@db/ssop unreachable", "host:1:ab"
    )

    generic = payloads.generic(event)
    slack = payloads.slack(event)
    discord = payloads.discord(event)

    assert (generic["event"], generic["title"], generic["actor"]) == (
        "daemon_error",
        "daemon step crawl failed",
        "host:1:ab",
    )
    assert generic["detail"] == "mysql://ssop:***@db/ssop unreachable"
    assert slack["text"] == "[ssop] daemon step crawl failed"
    assert discord["embeds"][0]["title"] == "daemon_error"
    assert all(":pw@" not in str(body) for body in (generic, slack, discord))
