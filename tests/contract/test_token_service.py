"""TokenService on both dialects: create once, hashed at rest, bounded role."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ssop.core.accounts.permissions import Role
from ssop.core.accounts.tokens import parse_duration
from ssop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ssop.core.models import ApiToken
from ssop.core.services import Services
from tests.fakes.clock import FakeClock
from tests.support.auth import add_user, admin, login


def test_create_returns_the_secret_once_and_stores_its_hash(
    services: Services, store_engine: Engine, clock: FakeClock
) -> None:
    root = admin(services)
    created = services.tokens.create(root, "ci", "operator", "30d")
    assert created.token.startswith("ssopt_")
    assert created.info.expires_at == clock.now() + timedelta(days=30)
    assert created.info.created_by == "root"
    assert created.token not in repr(created)
    with Session(store_engine) as s:
        row = s.exec(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(created.token.encode()).hexdigest()


def test_a_token_role_is_never_above_its_creator(services: Services) -> None:
    root = admin(services)
    services.roles.grant(root, "operator", "users.manage")
    add_user(services, "olga", Role.OPERATOR, "pw")
    olga = login(services, "olga", "pw")
    with pytest.raises(PermissionDenied, match="above its own"):
        services.tokens.create(olga, "sneaky", "admin", "1d")
    assert (
        services.tokens.create(olga, "fine", "operator", "1d").info.role
        is Role.OPERATOR
    )


def test_creating_tokens_needs_users_manage(services: Services) -> None:
    admin(services)
    add_user(services, "val", Role.VIEWER, "pw")
    with pytest.raises(PermissionDenied, match="lacks users.manage"):
        services.tokens.create(login(services, "val", "pw"), "t", "viewer", "1d")


def test_names_are_unique_and_revoke_needs_a_live_token(services: Services) -> None:
    root = admin(services)
    services.tokens.create(root, "ci", "viewer", "1d")
    with pytest.raises(Conflict):
        services.tokens.create(root, "ci", "viewer", "1d")
    assert services.tokens.revoke(root, "ci").revoked_at is not None
    with pytest.raises(Conflict, match="already revoked"):
        services.tokens.revoke(root, "ci")
    with pytest.raises(NotFound):
        services.tokens.revoke(root, "nope")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("12h", timedelta(hours=12)),
        ("30d", timedelta(days=30)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "d", "-1d", "1y", "0m", "367d", "never"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)
