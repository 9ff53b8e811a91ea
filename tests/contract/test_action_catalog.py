"""ActionService on both dialects: custom actions, built-in rules, assignments."""

from __future__ import annotations

import pytest

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.actions.builtin import BUILTINS_BY_NAME
from ssop.core.actions.catalog import ActionDraft, spec_from_file
from ssop.core.actions.spec import RiskLevel
from ssop.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ssop.core.models.action import ActionType
from ssop.core.services import Services
from tests.support.auth import add_user, admin, login
from tests.support.servers import add_server

STATUS = ActionDraft(
    type="command_get",
    risk="low",
    command="systemctl status --no-pager {service}",
    params=("service:unit",),
    timeout_s=10,
)
HOOK = ActionDraft(
    type="http",
    risk="medium",
    method="post",
    url="https://hooks.example.com/restart/{service}",
    headers=("X-Reason: ssop",),
    body='{"service": "{service}", "n": "{count}"}',
    params=("service:unit", "count:positive_int=1"),
)
FILE = """\
name = "nginx_status"
description = "Show nginx"
type = "command_get"
risk = "low"
command = "systemctl status --no-pager {service}"

[params.service]
type = "unit"
guard = "stoppable"
"""


def events(services: Services, root: Principal) -> list[tuple[str, str, str]]:
    return [(e.event, e.target, e.actor) for e in services.audit_log.list(root)][::-1]


def user(services: Services, name: str, role: Role) -> Principal:
    add_user(services, name, role, "pw")
    return login(services, name, "pw")


def test_create_list_show_a_command_action(services: Services) -> None:
    root = admin(services)
    created = services.actions.create(root, STATUS.spec("svc_status"))
    assert (created.type, created.risk, created.timeout_s) == (
        ActionType.COMMAND_GET,
        RiskLevel.LOW,
        10,
    )
    assert created.template == "systemctl status --no-pager {service}"
    names = [a.name for a in services.actions.list(root)]
    assert names[-1] == "svc_status"
    assert set(names[:-1]) == set(BUILTINS_BY_NAME)
    shown = services.actions.show(root, "svc_status")
    assert [(p.name, p.type, p.required) for p in shown.params] == [
        ("service", "unit", True)
    ]
    assert ("action.create", "svc_status", "root") in events(services, root)


def test_create_an_http_action(services: Services) -> None:
    root = admin(services)
    view = services.actions.create(root, HOOK.spec("restart_hook"))
    http = view.spec.http
    assert http is not None
    assert view.template == "POST https://hooks.example.com/restart/{service}"
    assert http.headers == (("X-Reason", "ssop"),)
    assert http.body() == {"n": "{count}", "service": "{service}"}
    assert view.spec.param("count").default == "1"  # type: ignore[union-attr]


def test_create_from_a_file_and_refuse_a_mismatched_name(services: Services) -> None:
    root = admin(services)
    services.actions.create(root, spec_from_file(FILE, "a.toml"))
    shown = services.actions.show(root, "nginx_status")
    assert shown.params[0].guard == "stoppable"
    with pytest.raises(InvalidInput, match="defines 'nginx_status', not 'other'"):
        spec_from_file(FILE, "a.toml", "other")


@pytest.mark.parametrize(
    ("draft", "match"),
    [
        (ActionDraft(type="command_get", risk="low", command="sh -c 'id'"), "sh"),
        (ActionDraft(type="command_get", risk="low", command="ls | wc"), "operator"),
        (ActionDraft(type="command_get", risk="low", command="echo $HOME"), r"\$"),
        (ActionDraft(type="command_get", risk="extreme", command="ls"), "risk"),
        (ActionDraft(type="run", risk="low", command="ls"), "type"),
        (ActionDraft(type="command_get", risk="low", command="ls {x}"), "undeclared"),
        (ActionDraft(type="http", risk="low", url="http://{host}/x"), "host"),
        (ActionDraft(type="http", risk="low", url="http://a/", body="{"), "JSON"),
        (
            ActionDraft(type="command_get", risk="low", command="ls", headers=("x",)),
            "Name: value",
        ),
        (
            STATUS.__class__(**{**vars(STATUS), "guards": ("nope=stoppable",)}),
            "--guard",
        ),
    ],
)
def test_create_refuses_bad_definitions(
    services: Services, draft: ActionDraft, match: str
) -> None:
    root = admin(services)
    with pytest.raises(InvalidInput, match=match):
        services.actions.create(root, draft.spec("bad_one"))
    with pytest.raises(NotFound):
        services.actions.show(root, "bad_one")


def test_names_are_unique_builtins_included(services: Services) -> None:
    root = admin(services)
    with pytest.raises(Conflict, match="already exists"):
        services.actions.create(root, STATUS.spec("get_uptime"))


def test_edit_changes_what_is_given_and_keeps_the_rest(services: Services) -> None:
    root = admin(services)
    services.actions.create(root, STATUS.spec("svc_status"))
    edited = services.actions.edit(
        root, "svc_status", ActionDraft(risk="medium", guards=("service=stoppable",))
    )
    assert (edited.risk, edited.timeout_s) == (RiskLevel.MEDIUM, 10)
    assert edited.template == "systemctl status --no-pager {service}"
    assert edited.params[0].guard == "stoppable"
    edited = services.actions.edit(
        root,
        "svc_status",
        ActionDraft(command="journalctl -u {unit}", params=("unit:unit",)),
    )
    assert edited.template == "journalctl -u {unit}"
    assert ("action.edit", "svc_status", "root") in events(services, root)


def test_builtins_cannot_be_edited_or_removed_only_disabled(services: Services) -> None:
    root = admin(services)
    with pytest.raises(Conflict, match="built-in action and cannot be edited"):
        services.actions.edit(root, "reboot_system", ActionDraft(risk="low"))
    with pytest.raises(Conflict, match="cannot be removed"):
        services.actions.remove(root, "reboot_system")
    assert services.actions.show(root, "reboot_system").risk is RiskLevel.HIGH
    assert not services.actions.set_enabled(root, "reboot_system", False).enabled
    assert services.actions.set_enabled(root, "reboot_system", True).enabled
    assert [e for e in events(services, root) if e[1] == "reboot_system"] == [
        ("action.edit", "reboot_system", "root"),  # refused, and audited as such
        ("action.rm", "reboot_system", "root"),
        ("action.disable", "reboot_system", "root"),
        ("action.enable", "reboot_system", "root"),
    ]
    refused = services.audit_log.list(root, failed=True)
    assert [(e.event, e.outcome) for e in refused] == [
        ("action.rm", "conflict"),
        ("action.edit", "conflict"),
    ]


def test_assign_unassign_and_automatic(services: Services) -> None:
    root = admin(services)
    add_server(services, "web1")
    services.actions.assign(root, "web1", "get_uptime")
    link = services.actions.assign(root, "web1", "restart_service", automatic=True)
    assert link.automatic and link.risk is RiskLevel.MEDIUM
    got = [(a.action, a.automatic) for a in services.actions.for_server(root, "web1")]
    assert got == [("get_uptime", False), ("restart_service", True)]
    assert services.actions.show(root, "get_uptime").servers == ("web1",)
    services.actions.unassign(root, "web1", "get_uptime")
    with pytest.raises(NotFound, match="not assigned"):
        services.actions.unassign(root, "web1", "get_uptime")
    assert ("action.assign", "web1/restart_service", "root") in events(services, root)
    with pytest.raises(NotFound, match="no server named 'web9'"):
        services.actions.assign(root, "web9", "get_uptime")
    with pytest.raises(NotFound, match="no action named 'nope'"):
        services.actions.assign(root, "web1", "nope")


def test_an_assigned_action_is_removed_only_with_force(services: Services) -> None:
    root = admin(services)
    add_server(services, "web1")
    services.actions.create(root, STATUS.spec("svc_status"))
    services.actions.assign(root, "web1", "svc_status")
    with pytest.raises(Conflict, match="assigned to web1"):
        services.actions.remove(root, "svc_status")
    services.actions.remove(root, "svc_status", force=True)
    assert services.actions.for_server(root, "web1") == []
    with pytest.raises(NotFound):
        services.actions.show(root, "svc_status")


def test_operators_read_and_run_but_do_not_write(services: Services) -> None:
    root = admin(services)
    add_server(services, "web1")
    olga = user(services, "olga", Role.OPERATOR)
    vera = user(services, "vera", Role.VIEWER)
    assert services.actions.show(vera, "get_uptime").name == "get_uptime"
    for who in (olga, vera):
        with pytest.raises(PermissionDenied, match="lacks actions.write"):
            services.actions.assign(who, "web1", "get_uptime")
        with pytest.raises(PermissionDenied, match="lacks actions.write"):
            services.actions.create(who, STATUS.spec("svc_status"))
        with pytest.raises(PermissionDenied, match="lacks actions.write"):
            services.actions.set_enabled(who, "get_uptime", False)
    assert services.actions.for_server(root, "web1") == []
    assert [a.name for a in services.actions.list(root)].count("svc_status") == 0
