"""UserService on both dialects: accounts, the last-admin rule, rank rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from ssop.core.services import Services
from tests.fakes.clock import FakeClock
from tests.support.auth import add_user, admin, login


def test_add_and_list_users(services: Services) -> None:
    root = admin(services)
    added = services.users.add(root, "alice", "operator", "alice-password-1")
    assert (added.name, added.role, added.disabled) == ("alice", Role.OPERATOR, False)
    listed = {(u.name, u.role) for u in services.users.list(root)}
    assert listed == {("root", Role.ADMIN), ("alice", Role.OPERATOR)}
    assert login(services, "alice", "alice-password-1").role is Role.OPERATOR


@pytest.mark.parametrize(
    ("name", "role", "password", "match"),
    [
        ("Alice", "viewer", "pw", "invalid user name"),
        ("a b", "viewer", "pw", "invalid user name"),
        ("", "viewer", "pw", "invalid user name"),
        ("alice", "superuser", "pw", "unknown role"),
        ("alice", "viewer", "", "empty"),
        ("alice", "viewer", "p" * 73, "72 bytes"),
    ],
)
def test_add_rejects_bad_input(
    services: Services, name: str, role: str, password: str, match: str
) -> None:
    root = admin(services)
    with pytest.raises(InvalidInput, match=match):
        services.users.add(root, name, role, password)
    assert [u.name for u in services.users.list(root)] == ["root"]


def test_a_password_of_exactly_72_bytes_is_accepted(services: Services) -> None:
    root = admin(services)
    services.users.add(root, "alice", "viewer", "é" * 36)
    assert login(services, "alice", "é" * 36).name == "alice"


def test_add_refuses_a_taken_name(services: Services) -> None:
    root = admin(services)
    with pytest.raises(Conflict, match="already exists"):
        services.users.add(root, "root", "viewer", "password-1234")


def test_a_viewer_cannot_manage_users(services: Services) -> None:
    admin(services)
    add_user(services, "val", Role.VIEWER, "pw")
    val = login(services, "val", "pw")
    with pytest.raises(PermissionDenied, match="lacks users.manage"):
        services.users.add(val, "eve", "viewer", "password-1234")
    with pytest.raises(PermissionDenied):
        services.users.list(val)
    with pytest.raises(PermissionDenied):
        services.users.set_role(val, "val", "admin")


def test_nobody_hands_out_a_role_above_their_own(services: Services) -> None:
    root = admin(services)
    services.roles.grant(root, "operator", "users.manage")
    add_user(services, "olga", Role.OPERATOR, "pw")
    olga = login(services, "olga", "pw")
    services.users.add(olga, "vic", "viewer", "password-1234")
    with pytest.raises(PermissionDenied, match="above its own"):
        services.users.add(olga, "eve", "admin", "password-1234")
    with pytest.raises(PermissionDenied, match="above its own"):
        services.users.set_role(olga, "vic", "admin")
    with pytest.raises(PermissionDenied, match="above its own"):
        services.users.disable(olga, "root")


def test_the_last_active_admin_is_never_removed_disabled_or_demoted(
    services: Services,
) -> None:
    admin(services)
    add_user(services, "ann", Role.ADMIN, "pw")
    ann = login(services, "ann", "pw")
    services.users.set_role(ann, "root", "operator")
    with pytest.raises(Conflict, match="last active admin"):
        services.users.set_role(ann, "ann", "viewer")
    services.users.set_role(ann, "root", "admin")
    services.users.disable(ann, "root")
    with pytest.raises(Conflict, match="own account"):
        services.users.disable(ann, "ann")
    with pytest.raises(Conflict, match="own account"):
        services.users.remove(ann, "ann")
    services.users.enable(ann, "root")
    services.users.remove(ann, "root")
    assert [u.name for u in services.users.list(ann)] == ["ann"]


def test_a_disabled_admin_does_not_count_as_the_other_admin(
    services: Services,
) -> None:
    root = admin(services)
    add_user(services, "ann", Role.ADMIN, "pw")
    services.users.disable(root, "ann")
    with pytest.raises(Conflict, match="last active admin"):
        services.users.set_role(root, "root", "operator")


def test_unknown_users_are_not_found(services: Services) -> None:
    root = admin(services)
    with pytest.raises(NotFound, match="no user named 'ghost'"):
        services.users.remove(root, "ghost")
    with pytest.raises(NotFound):
        services.users.disable(root, "ghost")


def test_own_password_change_needs_the_current_one(services: Services) -> None:
    add_user(services, "alice", Role.VIEWER, "old-password-1")
    alice = login(services, "alice", "old-password-1")
    with pytest.raises(AuthenticationFailed, match="current password"):
        services.users.passwd(alice, None, "new-password-1", "wrong")
    assert (
        services.users.passwd(alice, None, "new-password-1", "old-password-1")
        == "alice"
    )
    assert login(services, "alice", "new-password-1").name == "alice"
    with pytest.raises(AuthenticationFailed):
        login(services, "alice", "old-password-1")


def test_own_password_change_ends_the_other_sessions_only(services: Services) -> None:
    add_user(services, "alice", Role.VIEWER, "old-password-1")
    here = services.auth.login("alice", "old-password-1")
    elsewhere = services.auth.login("alice", "old-password-1").token
    services.users.passwd(here.principal, None, "new-password-1", "old-password-1")
    assert services.auth.authenticate(here.token).name == "alice"
    with pytest.raises(PermissionDenied, match="revoked"):
        services.auth.authenticate(elsewhere)


def test_setting_someone_elses_password_needs_users_manage(
    services: Services,
) -> None:
    root = admin(services)
    add_user(services, "alice", Role.VIEWER, "alice-password-1")
    add_user(services, "bob", Role.VIEWER, "bob-password-1")
    bob_token = services.auth.login("bob", "bob-password-1").token
    alice = login(services, "alice", "alice-password-1")
    with pytest.raises(PermissionDenied, match="lacks users.manage"):
        services.users.passwd(alice, "bob", "stolen-password")
    services.users.passwd(root, "bob", "reset-password-1")
    assert login(services, "bob", "reset-password-1").name == "bob"
    with pytest.raises(PermissionDenied, match="revoked"):
        services.auth.authenticate(bob_token)


def test_a_token_must_name_the_user_whose_password_it_sets(
    services: Services,
) -> None:
    root = admin(services)
    token = services.tokens.create(root, "ci", "admin", "1d").token
    ci = services.auth.authenticate(token)
    with pytest.raises(InvalidInput, match="name the user"):
        services.users.passwd(ci, None, "pw")
    services.users.passwd(ci, "root", "new-root-password")
    assert login(services, "root", "new-root-password").name == "root"


def test_the_user_list_shows_a_lock_while_it_lasts(
    services: Services, clock: FakeClock
) -> None:
    root = admin(services)
    add_user(services, "alice", Role.VIEWER, "pw")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            services.auth.login("alice", "wrong")
    locks = {u.name: u.locked_until for u in services.users.list(root)}
    assert locks == {"root": None, "alice": clock.now() + timedelta(minutes=15)}
    clock.advance(15 * 60)
    assert all(u.locked_until is None for u in services.users.list(root))
