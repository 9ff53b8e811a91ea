"""Helpers for auth tests: seed users straight into a store, snapshot its rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import ssop.core.models  # noqa: F401
from ssop.core.accounts.permissions import Principal, Role
from ssop.core.models import load_all
from ssop.core.services import Services
from ssop.core.store.user_repo import UserRepo

# Tables whose rows a refused command must leave alone; the audit trail is
# checked separately because refusals (failed logins) are recorded there.
STATE_TABLES = ("users", "role_capabilities", "login_sessions", "api_tokens")


def add_user(services: Services, name: str, role: Role, password: str) -> None:
    """A user written directly, for tests that need one before any admin exists."""
    with services.sessions() as s, s.begin():
        UserRepo(s).add(
            name, services.passwords.hash(password), role, services.clock.now()
        )


def login(services: Services, name: str, password: str) -> Principal:
    return services.auth.login(name, password).principal


def admin(
    services: Services, name: str = "root", password: str = "admin-pw"
) -> Principal:
    add_user(services, name, Role.ADMIN, password)
    return login(services, name, password)


def snapshot(engine: Engine, tables: tuple[str, ...] = STATE_TABLES) -> dict[str, Any]:
    """Every row of ``tables``, sorted, to compare before and after a command."""
    out: dict[str, Any] = {}
    load_all()
    with engine.connect() as conn:
        for name in tables:
            table = SQLModel.metadata.tables[name]
            rows = conn.execute(select(table)).all()
            out[name] = sorted(tuple(str(v) for v in row) for row in rows)
    return out


def unchanged_but_refusals(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The store as ``before`` but for refusals added to the audit trail.

    A refused command rolls its work back; its refusal stays on record
    (each audit row ends with its outcome, "ok" for a success).
    """
    old, new = before.get("audit_events", []), after.get("audit_events", [])
    added = [r for r in new if r not in old]
    rest_before = {k: v for k, v in before.items() if k != "audit_events"}
    rest_after = {k: v for k, v in after.items() if k != "audit_events"}
    kept = all(r in new for r in old)
    return kept and rest_before == rest_after and all(r[-1] != "ok" for r in added)
