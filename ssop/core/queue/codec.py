"""How queue values travel as text: stream fields for notices, JSON for the rest.

The in-process backend round-trips through the same codec, so both backends
accept and return exactly the same things.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ssop.core.errors import InvalidInput
from ssop.core.queue.base import CrawlNotice, LiveEvent


class Malformed(ValueError):
    """A stored entry could not be decoded (written by something else)."""


def notice_fields(notice: CrawlNotice) -> dict[str, str]:
    return {
        "server": notice.server,
        "sample_id": "" if notice.sample_id is None else str(notice.sample_id),
        "at": notice.at.isoformat(),
        "ok": "1" if notice.ok else "0",
        "digest": notice.digest,
    }


def notice_from_fields(fields: Mapping[str, str]) -> CrawlNotice:
    try:
        raw_id = fields["sample_id"]
        return CrawlNotice(
            server=fields["server"],
            sample_id=int(raw_id) if raw_id else None,
            at=datetime.fromisoformat(fields["at"]),
            ok=fields["ok"] == "1",
            digest=fields["digest"],
        )
    except (KeyError, ValueError, InvalidInput) as e:
        raise Malformed(f"crawl notice {dict(fields)!r}: {e}") from e


def dump_json(what: str, value: Mapping[str, Any]) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise InvalidInput(f"{what}: not JSON-serialisable ({e})") from e


def load_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise Malformed(f"not JSON: {e.msg}") from e
    if not isinstance(value, dict):
        raise Malformed(f"expected a JSON object, got {type(value).__name__}")
    return value


def event_json(event: LiveEvent) -> str:
    return dump_json(
        f"event {event.kind}",
        {
            "kind": event.kind,
            "server": event.server,
            "at": event.at.isoformat(),
            "data": dict(event.data),
        },
    )


def event_from_json(text: str) -> LiveEvent:
    raw = load_json(text)
    try:
        return LiveEvent(
            kind=str(raw["kind"]),
            server=raw["server"],
            at=datetime.fromisoformat(raw["at"]),
            data=dict(raw["data"]),
        )
    except (KeyError, TypeError, ValueError, InvalidInput) as e:
        raise Malformed(f"event {text[:200]!r}: {e}") from e
