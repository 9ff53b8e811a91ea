"""Turn a (server, action, raw parameters) triple into the concrete change.

Looks up the server, the action and its assignment, validates the
parameters with the action's guards, and renders the exact command a human
will see when asked to approve. Whatever fails is kept as a reason, not
raised: policy records it as the gate that dropped the proposal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session

from ssop.core.actions.guards.rails import GuardsFor
from ssop.core.actions.render import (
    ValidatedParams,
    render_command,
    render_http,
    validate_params,
)
from ssop.core.actions.spec import ActionSpec
from ssop.core.actions.stored import spec_of
from ssop.core.actions.toml_spec import spec_to_dict
from ssop.core.errors import InvalidInput
from ssop.core.models import Action, Server, ServerAction
from ssop.core.models.action import ActionType
from ssop.core.models.keys import params_key, spec_hash
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.server_repo import ServerRepo


@dataclass(kw_only=True, frozen=True)
class Prepared:
    """A proposal resolved against the store. ``invalid`` says what is wrong."""

    server: Server | None
    action: Action | None
    spec: ActionSpec | None
    link: ServerAction | None
    params: ValidatedParams | None
    strings: Mapping[str, str]
    key: str
    command: str = ""
    spec_hash: str = ""
    invalid: str | None = None

    @property
    def read_only(self) -> bool:
        return self.spec is not None and self.spec.type is ActionType.COMMAND_GET


def prepare(
    s: Session,
    server_name: str,
    action_name: str,
    raw: Mapping[str, str],
    guards: GuardsFor,
    use_sudo: bool,
) -> Prepared:
    raw_key = params_key(raw)
    server = ServerRepo(s).find(server_name)
    action = ActionRepo(s).find(action_name)
    if action is not None and not action.enabled:
        action = None
    if server is None or action is None:
        return Prepared(
            server=server,
            action=action,
            spec=None,
            link=None,
            params=None,
            strings=dict(raw),
            key=raw_key,
        )
    link = AssignmentRepo(s).find(server.id or 0, action.id or 0)
    try:
        spec = spec_of(action)
        params = validate_params(spec, raw, guards(server))
        command = command_text(spec, params, server, use_sudo)
    except InvalidInput as e:
        return Prepared(
            server=server,
            action=action,
            spec=None,
            link=link,
            params=None,
            strings=dict(raw),
            key=raw_key,
            invalid=e.message,
        )
    strings = params.as_strings()
    return Prepared(
        server=server,
        action=action,
        spec=spec,
        link=link,
        params=params,
        strings=strings,
        key=params_key(strings),
        command=command,
        spec_hash=spec_hash(spec_to_dict(spec)),
    )


def command_text(
    spec: ActionSpec, params: ValidatedParams, server: Server, use_sudo: bool
) -> str:
    """What will run, as a person reads it: a quoted argv, or METHOD URL."""
    if spec.type is ActionType.HTTP:
        request = render_http(spec, params)
        return f"{request.method} {request.url}"
    sudo = use_sudo and not server.local and server.username != "root"
    return render_command(spec, params, use_sudo=sudo).as_shell()
