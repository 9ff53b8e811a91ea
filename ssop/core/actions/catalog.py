"""The action catalogue as a service: custom actions and server assignments.

Built-ins come from code: they can be disabled and enabled, never edited or
removed. Every change checks ``actions.write`` inside its own transaction
and leaves an audit row in that same transaction.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.actions.params import ParamSpec
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.actions.stored import save_spec, spec_of
from ssop.core.actions.toml_spec import (
    parse_param_decl,
    spec_from_dict,
    spec_from_toml,
    spec_to_dict,
)
from ssop.core.audit import record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.errors import Conflict, InvalidInput, NotFound
from ssop.core.models import Action
from ssop.core.models.action import ActionType
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.db import SessionFactory, translate_errors
from ssop.core.store.server_repo import ServerRepo

READ, WRITE = Capability.ACTIONS_READ, Capability.ACTIONS_WRITE
_PLAIN_TOKEN = re.compile(r"[\w@%+=:,./{}-]+")


@dataclass(kw_only=True, frozen=True)
class ActionView:
    """One catalogue entry as a user sees it."""

    name: str
    description: str
    type: ActionType
    risk: RiskLevel
    timeout_s: float
    builtin: bool
    enabled: bool
    needs_root: bool
    params: tuple[ParamSpec, ...]
    template: str
    servers: tuple[str, ...]
    spec: ActionSpec


@dataclass(kw_only=True, frozen=True)
class Assignment:
    """An action a server may run; ``automatic`` lets policy run it unasked."""

    server: str
    action: str
    type: ActionType
    risk: RiskLevel
    automatic: bool
    enabled: bool


Assignments = list[Assignment]


def template_text(spec: ActionSpec) -> str:
    if spec.http is not None:
        return f"{spec.http.method} {spec.http.url_template}"
    # shlex.join would quote every {placeholder}; a template reads better bare
    return " ".join(
        t if _PLAIN_TOKEN.fullmatch(t) else shlex.quote(t)
        for t in spec.command_template or ()
    )


def view_of(row: Action, servers: list[str]) -> ActionView:
    spec = spec_of(row)
    return ActionView(
        name=spec.name,
        description=spec.description,
        type=spec.type,
        risk=spec.risk,
        timeout_s=spec.timeout_s,
        builtin=spec.builtin,
        enabled=row.enabled,
        needs_root=spec.needs_root,
        params=spec.params,
        template=template_text(spec),
        servers=tuple(servers),
        spec=spec,
    )


@dataclass(frozen=True)
class ActionDraft:
    """A custom action as given on the command line; None means "not given".

    ``params`` are declarations ``name:type[=default]`` (``parse_param_decl``),
    ``guards`` are ``param=guard``, ``headers`` are ``Name: value`` and
    ``body`` is JSON text. Given params replace all of the old ones.
    """

    type: str | None = None
    risk: str | None = None
    description: str | None = None
    timeout_s: float | None = None
    needs_root: bool | None = None
    command: str | None = None
    params: tuple[str, ...] | None = None
    guards: tuple[str, ...] = ()
    method: str | None = None
    url: str | None = None
    headers: tuple[str, ...] | None = None
    body: str | None = None

    def spec(self, name: str, base: ActionSpec | None = None) -> ActionSpec:
        """The spec this draft describes, over ``base`` when editing.

        Raises:
            InvalidInput: naming the option or key that is wrong.
        """
        data: dict[str, Any] = spec_to_dict(base) if base else {"name": name}
        for key in ("type", "risk", "description", "timeout_s", "needs_root"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.command is not None:
            data.pop("http", None)
            data.pop("argv", None)
            data["command"] = self.command
        if self._touches_http():
            data.pop("argv", None)
            data["http"] = self._http(data.get("http") or {})
        if self.params is not None or self.guards:
            data["params"] = self._params(data.get("params") or {})
        return spec_from_dict(data)

    def _touches_http(self) -> bool:
        fields = (self.method, self.url, self.headers, self.body)
        return any(v is not None for v in fields)

    def _http(self, old: dict[str, Any]) -> dict[str, Any]:
        http = dict(old)
        if self.method is not None:
            http["method"] = self.method.upper()
        if self.url is not None:
            http["url"] = self.url
        if self.headers is not None:
            http["headers"] = dict(_header(h) for h in self.headers)
        if self.body is not None:
            http["body"] = _json_body(self.body)
        return http

    def _params(self, old: dict[str, Any]) -> dict[str, Any]:
        params = dict(old) if self.params is None else {}
        for decl in self.params or ():
            p = parse_param_decl(decl)
            params[p.name] = _param_dict(p)
        for item in self.guards:
            name, sep, guard = item.partition("=")
            if not sep or name not in params:
                raise InvalidInput(f"--guard {item!r}: write PARAM=GUARD for a param")
            params[name] = {**params[name], "guard": guard}
        return params


def _param_dict(p: ParamSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"type": p.type, "required": p.required}
    if p.default is not None:
        out["default"] = p.default
    if p.roots:
        out["roots"] = list(p.roots)
    return out


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise InvalidInput(f"--header {text!r}: write 'Name: value'")
    return name.strip(), value.strip()


def _json_body(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as e:
        raise InvalidInput(f"--body is not JSON ({e})") from e


def spec_from_file(text: str, source: str, name: str | None = None) -> ActionSpec:
    """A custom action from TOML text; ``name`` must match when given."""
    spec = spec_from_toml(text, source)
    if name is not None and spec.name != name:
        raise InvalidInput(f"{source} defines {spec.name!r}, not {name!r}")
    return spec


class ActionService:
    def __init__(self, engine: Engine, sessions: SessionFactory, clock: Clock) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock

    @refusals_audited("action.list")
    def list(self, who: Principal) -> list[ActionView]:
        """Built-ins first, then custom actions, by name (actions.read)."""
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, READ)
            links = AssignmentRepo(s)
            return [
                view_of(r, links.servers_with(r.id or 0)) for r in ActionRepo(s).list()
            ]

    @refusals_audited("action.show", "{name}")
    def show(self, who: Principal, name: str) -> ActionView:
        """Raises NotFound, PermissionDenied."""
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, READ)
            row = ActionRepo(s).get(name)
            return view_of(row, AssignmentRepo(s).servers_with(row.id or 0))

    @refusals_audited("action.create", "{spec.name}")
    def create(self, who: Principal, spec: ActionSpec) -> ActionView:
        """Add a custom action.

        Raises:
            PermissionDenied: no actions.write.
            Conflict: the name is taken (built-ins included).
            InvalidInput: ``spec`` claims to be a built-in.
        """
        if spec.builtin:
            raise InvalidInput("only ssop itself defines built-in actions")
        now = self.clock.now()
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            repo = ActionRepo(s)
            if repo.find(spec.name) is not None:
                raise Conflict(f"an action named {spec.name!r} already exists")
            row = save_spec(repo, spec)
            detail = f"type={spec.type} risk={spec.risk} {template_text(spec)}"
            record_in(s, now, current.actor, "action.create", spec.name, detail)
            return view_of(row, [])

    @refusals_audited("action.edit", "{name}")
    def edit(self, who: Principal, name: str, draft: ActionDraft) -> ActionView:
        """Change a custom action; the name stays.

        Raises:
            NotFound, PermissionDenied, InvalidInput.
            Conflict: ``name`` is a built-in.
        """
        return self._replace(who, name, lambda old: draft.spec(name, old))

    @refusals_audited("action.edit", "{name}")
    def replace(self, who: Principal, name: str, spec: ActionSpec) -> ActionView:
        """Replace a custom action by ``spec`` (from a file); same name only."""
        if spec.name != name or spec.builtin:
            raise InvalidInput(f"the new definition must be the custom action {name!r}")
        return self._replace(who, name, lambda _old: spec)

    def _replace(
        self, who: Principal, name: str, change: Callable[[ActionSpec], ActionSpec]
    ) -> ActionView:
        now = self.clock.now()
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            repo = ActionRepo(s)
            row = _custom(repo.get(name), "edited")
            spec: ActionSpec = change(spec_of(row))
            row = save_spec(repo, spec, row)
            detail = f"type={spec.type} risk={spec.risk} {template_text(spec)}"
            record_in(s, now, current.actor, "action.edit", name, detail)
            return view_of(row, AssignmentRepo(s).servers_with(row.id or 0))

    @refusals_audited("action.rm", "{name}")
    def remove(self, who: Principal, name: str, *, force: bool = False) -> None:
        """Remove a custom action; an assigned one only with ``force``.

        Raises:
            NotFound, PermissionDenied.
            Conflict: a built-in, or still assigned and not ``force``.
        """
        now = self.clock.now()
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            repo = ActionRepo(s)
            row = _custom(repo.get(name), "removed")
            servers = AssignmentRepo(s).servers_with(row.id or 0)
            if servers and not force:
                raise Conflict(
                    f"action {name!r} is assigned to {', '.join(servers)}",
                    hint="unassign it first, or pass --force",
                )
            repo.remove(row)
            detail = f"was assigned to {', '.join(servers)}" if servers else ""
            record_in(s, now, current.actor, "action.rm", name, detail)

    @refusals_audited("action.set_enabled", "{name}")
    def set_enabled(self, who: Principal, name: str, enabled: bool) -> ActionView:
        """Enable or disable any action; a disabled one is refused at run time."""
        now = self.clock.now()
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            row = ActionRepo(s).get(name)
            row.enabled = enabled
            row.updated_at = now
            s.add(row)
            event = "action.enable" if enabled else "action.disable"
            record_in(s, now, current.actor, event, name)
            return view_of(row, AssignmentRepo(s).servers_with(row.id or 0))

    @refusals_audited("action.assign", "{server}/{action}")
    def assign(
        self, who: Principal, server: str, action: str, *, automatic: bool = False
    ) -> Assignment:
        """Let ``server`` run ``action``; ``automatic`` lets policy run it unasked.

        Raises:
            NotFound: no such server or action.
            PermissionDenied: no actions.write.
        """
        now = self.clock.now()
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            server_row = ServerRepo(s).get(server)
            row = ActionRepo(s).get(action)
            link = AssignmentRepo(s).assign(server_row, row, automatic)
            detail = f"automatic={'yes' if automatic else 'no'}"
            record_in(
                s, now, current.actor, "action.assign", f"{server}/{action}", detail
            )
            return _assignment(server, row, link.automatic)

    @refusals_audited("action.unassign", "{server}/{action}")
    def unassign(self, who: Principal, server: str, action: str) -> None:
        """Raises NotFound (also when it was not assigned), PermissionDenied."""
        now = self.clock.now()
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            current = require_in(s, now, who, WRITE)
            server_row = ServerRepo(s).get(server)
            row = ActionRepo(s).get(action)
            if not AssignmentRepo(s).unassign(server_row, row):
                raise NotFound(f"action {action!r} is not assigned to {server!r}")
            record_in(s, now, current.actor, "action.unassign", f"{server}/{action}")

    @refusals_audited("action.for_server", "{server}")
    def for_server(self, who: Principal, server: str) -> Assignments:
        """The actions ``server`` may run, by name (actions.read)."""
        with translate_errors(self.engine), self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, READ)
            server_row = ServerRepo(s).get(server)
            return [
                _assignment(server, row, link.automatic)
                for row, link in AssignmentRepo(s).assigned(server_row.id or 0)
            ]


def _assignment(server: str, row: Action, automatic: bool) -> Assignment:
    return Assignment(
        server=server,
        action=row.name,
        type=ActionType(row.type),
        risk=RiskLevel(row.risk),
        automatic=automatic,
        enabled=row.enabled,
    )


def _custom(row: Action, verb: str) -> Action:
    if row.builtin:
        raise Conflict(
            f"{row.name} is a built-in action and cannot be {verb}",
            hint=f"it can be disabled: ssop action disable {row.name}",
        )
    return row
