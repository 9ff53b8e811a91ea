"""RoleService on both dialects: the matrix, grant, revoke and its guards."""

from __future__ import annotations

import pytest

from ssop.core.accounts.permissions import DEFAULT_MATRIX, Capability, Role
from ssop.core.errors import Conflict, InvalidInput, PermissionDenied
from ssop.core.services import Services
from tests.support.auth import add_user, admin, login


def test_the_seeded_matrix_is_the_default(services: Services) -> None:
    assert services.roles.matrix(admin(services)) == DEFAULT_MATRIX


def test_grant_and_revoke_change_the_matrix(services: Services) -> None:
    root = admin(services)
    assert services.roles.grant(root, "viewer", "actions.run") is True
    assert services.roles.grant(root, "viewer", "actions.run") is False
    assert Capability.ACTIONS_RUN in services.roles.matrix(root)[Role.VIEWER]
    assert services.roles.revoke(root, "viewer", "actions.run") is True
    assert services.roles.revoke(root, "viewer", "actions.run") is False
    assert services.roles.matrix(root)[Role.VIEWER] == DEFAULT_MATRIX[Role.VIEWER]


@pytest.mark.parametrize(
    ("role", "cap", "match"),
    [
        ("root", "servers.read", "unknown role"),
        ("viewer", "servers.nuke", "unknown capability"),
    ],
)
def test_unknown_names_are_invalid_input(
    services: Services, role: str, cap: str, match: str
) -> None:
    root = admin(services)
    with pytest.raises(InvalidInput, match=match):
        services.roles.grant(root, role, cap)
    with pytest.raises(InvalidInput, match=match):
        services.roles.revoke(root, role, cap)


def test_admin_always_keeps_users_manage(services: Services) -> None:
    root = admin(services)
    with pytest.raises(Conflict, match="always keeps users.manage"):
        services.roles.revoke(root, "admin", "users.manage")
    assert Capability.USERS_MANAGE in services.roles.matrix(root)[Role.ADMIN]


def test_viewers_cannot_change_the_matrix(services: Services) -> None:
    admin(services)
    add_user(services, "val", Role.VIEWER, "pw")
    val = login(services, "val", "pw")
    with pytest.raises(PermissionDenied):
        services.roles.grant(val, "viewer", "users.manage")
    with pytest.raises(PermissionDenied):
        services.roles.matrix(val)


def test_no_one_grants_what_they_lack_or_touches_a_higher_role(
    services: Services,
) -> None:
    root = admin(services)
    services.roles.grant(root, "operator", "users.manage")
    add_user(services, "olga", Role.OPERATOR, "pw")
    olga = login(services, "olga", "pw")
    services.roles.grant(olga, "viewer", "actions.run")
    with pytest.raises(PermissionDenied, match="does not hold"):
        services.roles.grant(olga, "operator", "settings.write")
    with pytest.raises(PermissionDenied, match="above its own"):
        services.roles.revoke(olga, "admin", "servers.read")
