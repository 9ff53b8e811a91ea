"""Webhook bodies: generic JSON, Slack-compatible and Discord-compatible.

Every text is passed through the log redactor, and chat payloads escape
mention syntax: event text may quote untrusted output (unit or process
names), which must not page a whole channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ssop.core.logsetup import redact
from ssop.core.notify.events import Notification

DISCORD_CONTENT_MAX = 2000
DISCORD_DESCRIPTION_MAX = 4096
SLACK_TEXT_MAX = 3000


def _fields(event: Notification) -> list[tuple[str, str]]:
    params = ", ".join(f"{k}={v}" for k, v in sorted(event.params.items()))
    pairs = [
        ("server", event.server),
        ("action", event.action),
        ("params", params),
        ("status", event.status),
        ("risk", event.risk),
        ("by", event.actor),
        ("request", f"#{event.request_id}" if event.request_id else ""),
        ("execution", f"#{event.execution_id}" if event.execution_id else ""),
    ]
    return [(name, redact(value)) for name, value in pairs if value]


def generic(event: Notification) -> dict[str, Any]:
    return {
        "source": "ssop",
        "event": event.kind.value,
        "at": event.at.isoformat(),
        "title": redact(event.title),
        "server": redact(event.server),
        "action": event.action,
        "params": {k: redact(v) for k, v in event.params.items()},
        "request_id": event.request_id,
        "execution_id": event.execution_id,
        "status": event.status,
        "risk": event.risk,
        "actor": redact(event.actor),
        "detail": redact(event.detail),
    }


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(event: Notification) -> dict[str, Any]:
    title = _slack_escape(f"[ssop] {redact(event.title)}")[:SLACK_TEXT_MAX]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title}}
    ]
    fields = [
        {"type": "mrkdwn", "text": f"*{name}*\n{_slack_escape(value)}"}
        for name, value in _fields(event)[:10]
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if event.detail:
        detail = _slack_escape(redact(event.detail))[:SLACK_TEXT_MAX]
        blocks.append(
            {"type": "section", "text": {"type": "plain_text", "text": detail}}
        )
    return {"text": title, "blocks": blocks}


def _discord_escape(text: str) -> str:
    return text.replace("@", "@\u200b")


def discord(event: Notification) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": event.kind.value,
        "timestamp": event.at.isoformat(),
        "fields": [
            {"name": name, "value": _discord_escape(value)[:1024], "inline": True}
            for name, value in _fields(event)[:25]
        ],
    }
    if event.detail:
        embed["description"] = _discord_escape(redact(event.detail))[
            :DISCORD_DESCRIPTION_MAX
        ]
    content = _discord_escape(f"[ssop] {redact(event.title)}")[:DISCORD_CONTENT_MAX]
    # allowed_mentions with no parse list: Discord pings nobody, whatever the text
    return {"content": content, "embeds": [embed], "allowed_mentions": {"parse": []}}


BUILDERS: dict[str, Callable[[Notification], dict[str, Any]]] = {
    "generic": generic,
    "slack": slack,
    "discord": discord,
}
