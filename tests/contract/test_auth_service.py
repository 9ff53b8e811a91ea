"""AuthService on both dialects: login, lockout, sessions, API tokens, require."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from ssop.core.accounts.permissions import Capability, Role
from ssop.core.errors import AuthenticationFailed, InvalidInput, PermissionDenied
from ssop.core.models import AuditEvent, LoginSession
from ssop.core.services import Services
from tests.fakes.clock import FakeClock
from tests.support.auth import add_user, admin, login

INVALID = "invalid username or password"


def audit_rows(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).order_by(col(AuditEvent.id))))


def test_login_opens_a_session_stored_only_as_a_hash(
    services: Services, store_engine: Engine
) -> None:
    add_user(services, "alice", Role.OPERATOR, "s3cret-pw")
    result = services.auth.login("alice", "s3cret-pw")
    assert result.token.startswith("ssops_") and len(result.token) > 40
    assert result.principal.name == "alice" and result.principal.role is Role.OPERATOR
    assert result.expires_at == services.clock.now() + timedelta(hours=12)
    with Session(store_engine) as s:
        hashes = list(s.exec(select(LoginSession.token_hash)))
    assert hashes == [hashlib.sha256(result.token.encode()).hexdigest()]
    assert "s3cret" not in repr(result)


def test_wrong_password_and_unknown_user_get_the_same_answer(
    services: Services,
) -> None:
    add_user(services, "alice", Role.VIEWER, "right-pw")
    with pytest.raises(AuthenticationFailed) as wrong:
        services.auth.login("alice", "wrong-pw")
    with pytest.raises(AuthenticationFailed) as unknown:
        services.auth.login("nobody", "wrong-pw")
    assert wrong.value.message == unknown.value.message == INVALID


@pytest.mark.parametrize("password", ["", "x" * 73, "é" * 37])
def test_login_rejects_unusable_passwords_clearly(
    services: Services, password: str
) -> None:
    with pytest.raises(InvalidInput, match="empty|72 bytes"):
        services.auth.login("alice", password)


def test_five_failures_lock_the_account_for_fifteen_minutes(
    services: Services, clock: FakeClock
) -> None:
    add_user(services, "alice", Role.VIEWER, "right-pw")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match=INVALID):
            services.auth.login("alice", "wrong")
        clock.advance(60)
    with pytest.raises(AuthenticationFailed, match="locked"):
        services.auth.login("alice", "wrong")
    clock.advance(14 * 60)
    with pytest.raises(AuthenticationFailed, match="locked"):
        services.auth.login("alice", "right-pw")
    clock.advance(60)
    assert login(services, "alice", "right-pw").name == "alice"


def test_failures_outside_the_window_do_not_add_up(
    services: Services, clock: FakeClock
) -> None:
    add_user(services, "alice", Role.VIEWER, "right-pw")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match=INVALID):
            services.auth.login("alice", "wrong")
    clock.advance(16 * 60)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match=INVALID):
            services.auth.login("alice", "wrong")
    assert login(services, "alice", "right-pw").name == "alice"


def test_a_successful_login_resets_the_count(services: Services) -> None:
    add_user(services, "alice", Role.VIEWER, "right-pw")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match=INVALID):
            services.auth.login("alice", "wrong")
    login(services, "alice", "right-pw")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match=INVALID):
            services.auth.login("alice", "wrong")
    login(services, "alice", "right-pw")


def test_unknown_names_lock_too_so_locking_reveals_nothing(services: Services) -> None:
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match=INVALID):
            services.auth.login("ghost", "wrong")
    with pytest.raises(AuthenticationFailed, match="locked"):
        services.auth.login("ghost", "wrong")


def test_a_password_typed_as_user_name_never_reaches_the_audit_trail(
    services: Services, store_engine: Engine
) -> None:
    typed = "hunter2-My-Password"
    with pytest.raises(AuthenticationFailed):
        services.auth.login(typed, "whatever")
    rows = audit_rows(store_engine)
    assert [r.event for r in rows] == ["login.failed"]
    assert all(typed not in f"{r.actor} {r.target} {r.detail}" for r in rows)


def test_a_disabled_user_cannot_log_in(services: Services) -> None:
    root = admin(services)
    add_user(services, "alice", Role.VIEWER, "right-pw")
    services.users.disable(root, "alice")
    with pytest.raises(AuthenticationFailed, match="disabled"):
        services.auth.login("alice", "right-pw")


def test_authenticate_a_session(services: Services) -> None:
    add_user(services, "alice", Role.OPERATOR, "pw")
    token = services.auth.login("alice", "pw").token
    who = services.auth.authenticate(token)
    assert (who.name, who.role, who.kind) == ("alice", Role.OPERATOR, "user")


@pytest.mark.parametrize(
    "token", [None, "", "garbage", "ssops_unknown", "ssopt_unknown"]
)
def test_authenticate_refuses_missing_or_unknown_credentials(
    services: Services, token: str | None
) -> None:
    with pytest.raises(PermissionDenied):
        services.auth.authenticate(token)


def test_an_expired_session_is_refused(services: Services, clock: FakeClock) -> None:
    add_user(services, "alice", Role.VIEWER, "pw")
    token = services.auth.login("alice", "pw").token
    clock.advance(12 * 3600)
    with pytest.raises(PermissionDenied, match="expired"):
        services.auth.authenticate(token)


def test_logout_revokes_the_session(services: Services) -> None:
    add_user(services, "alice", Role.VIEWER, "pw")
    token = services.auth.login("alice", "pw").token
    assert services.auth.logout(token) is True
    assert services.auth.logout(token) is False
    with pytest.raises(PermissionDenied, match="revoked"):
        services.auth.authenticate(token)


def test_require_reads_the_role_at_the_time_of_the_call(services: Services) -> None:
    root = admin(services)
    add_user(services, "alice", Role.ADMIN, "pw")
    alice = login(services, "alice", "pw")
    assert services.auth.require(alice, Capability.USERS_MANAGE).role is Role.ADMIN
    services.users.set_role(root, "alice", "viewer")
    with pytest.raises(PermissionDenied, match="lacks users.manage"):
        services.auth.require(alice, Capability.USERS_MANAGE)
    assert services.auth.require(alice, Capability.SERVERS_READ).role is Role.VIEWER


def test_require_refuses_a_user_disabled_after_login(services: Services) -> None:
    root = admin(services)
    add_user(services, "alice", Role.OPERATOR, "pw")
    alice = login(services, "alice", "pw")
    services.users.disable(root, "alice")
    with pytest.raises(PermissionDenied, match="disabled"):
        services.auth.require(alice, Capability.SERVERS_READ)


def test_require_follows_changes_to_the_matrix(services: Services) -> None:
    root = admin(services)
    add_user(services, "alice", Role.VIEWER, "pw")
    alice = login(services, "alice", "pw")
    with pytest.raises(PermissionDenied):
        services.auth.require(alice, Capability.ACTIONS_RUN)
    services.roles.grant(root, "viewer", "actions.run")
    services.auth.require(alice, Capability.ACTIONS_RUN)


def test_require_refuses_a_session_revoked_after_authentication(
    services: Services,
) -> None:
    add_user(services, "alice", Role.VIEWER, "pw")
    token = services.auth.login("alice", "pw").token
    alice = services.auth.authenticate(token)
    services.auth.logout(token)
    with pytest.raises(PermissionDenied, match="revoked"):
        services.auth.require(alice, Capability.SERVERS_READ)


def test_api_tokens_authenticate_and_record_their_use(
    services: Services, clock: FakeClock
) -> None:
    root = admin(services)
    created = services.tokens.create(root, "ci", "operator", "1d")
    who = services.auth.authenticate(created.token)
    assert (who.name, who.role, who.kind, who.actor) == (
        "ci",
        Role.OPERATOR,
        "token",
        "token:ci",
    )
    assert services.tokens.list(root)[0].last_used_at == clock.now()


def test_expired_and_revoked_api_tokens_are_refused(
    services: Services, clock: FakeClock
) -> None:
    root = admin(services)
    short = services.tokens.create(root, "short", "viewer", "1h").token
    gone = services.tokens.create(root, "gone", "viewer", "1d").token
    services.tokens.revoke(root, "gone")
    with pytest.raises(PermissionDenied, match="revoked"):
        services.auth.authenticate(gone)
    clock.advance(3600)
    with pytest.raises(PermissionDenied, match="expired"):
        services.auth.authenticate(short)


def test_whoami_reports_role_capabilities_and_expiry(services: Services) -> None:
    add_user(services, "alice", Role.VIEWER, "pw")
    result = services.auth.login("alice", "pw")
    me = services.auth.whoami(result.principal)
    assert (me.name, me.role, me.expires_at) == (
        "alice",
        Role.VIEWER,
        result.expires_at,
    )
    assert set(me.capabilities) == {
        Capability.SERVERS_READ,
        Capability.ACTIONS_READ,
        Capability.REPORTS_READ,
    }


def test_the_audit_trail_records_logins_and_failures(
    services: Services, store_engine: Engine
) -> None:
    add_user(services, "alice", Role.VIEWER, "pw")
    with pytest.raises(AuthenticationFailed):
        services.auth.login("alice", "nope")
    token = services.auth.login("alice", "pw").token
    services.auth.logout(token)
    events = [(r.actor, r.event, r.target, r.ok) for r in audit_rows(store_engine)]
    assert events == [
        ("alice", "login.failed", "alice", False),
        ("alice", "login", "alice", True),
        ("alice", "logout", "alice", True),
    ]
