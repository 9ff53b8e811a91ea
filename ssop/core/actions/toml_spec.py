"""Custom action files: validate a TOML-shaped dict into an ``ActionSpec``.

The file shape (``ssop action add --file action.toml``)::

    name = "nginx_status"
    description = "Show nginx's unit state"
    type = "command_get"          # command_get | command_execute | http
    risk = "low"                  # low | medium | high
    timeout_s = 30
    needs_root = false
    command = "systemctl status --no-pager {service}"   # or argv = [...]

    [params.service]
    type = "unit"
    help = "the unit to show"     # optional: default = "...", guard = "stoppable"

    # for type = "http" instead of command/argv:
    # [http]
    # method = "POST"
    # url = "https://hooks.example.com/restart/{service}"
    # headers = { X-Reason = "ssop" }
    # body = { service = "{service}" }

pydantic checks the shape; ``ActionSpec`` then checks the meaning. Both kinds
of failure come out as one ``InvalidInput`` naming the key.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from ssop.core.actions import template
from ssop.core.actions.params import ParamSpec
from ssop.core.actions.spec import MAX_TIMEOUT_S, ActionSpec, HttpSpec, RiskLevel
from ssop.core.errors import InvalidInput
from ssop.core.models.action import ActionType


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamInput(_Input):
    type: str
    required: bool | None = None
    default: str | int | None = None
    help: str = ""
    roots: list[str] = []
    guard: str | None = None

    def to_spec(self, name: str) -> ParamSpec:
        default = None if self.default is None else str(self.default)
        required = default is None if self.required is None else self.required
        return ParamSpec(
            name,
            self.type,
            required=required,
            default=default,
            help=self.help,
            roots=tuple(self.roots),
            guard=self.guard,
        )


class HttpInput(_Input):
    method: str = "GET"
    url: str
    headers: dict[str, str] = {}
    body: dict[str, JsonValue] | list[JsonValue] | None = None

    def to_spec(self) -> HttpSpec:
        body = None if self.body is None else json.dumps(self.body, sort_keys=True)
        return HttpSpec(
            self.method.upper(), self.url, tuple(self.headers.items()), body
        )


class ActionInput(_Input):
    name: str
    description: str = ""
    type: ActionType
    risk: RiskLevel
    timeout_s: float = Field(default=30.0, gt=0, le=MAX_TIMEOUT_S)
    needs_root: bool = False
    command: str | None = None
    argv: list[str] | None = None
    params: dict[str, ParamInput] = {}
    http: HttpInput | None = None

    def to_spec(self) -> ActionSpec:
        if self.command is not None and self.argv is not None:
            raise InvalidInput("action file: give either command or argv, not both")
        argv = tuple(self.argv) if self.argv is not None else None
        if self.command is not None:
            argv = template.split_command(self.command)
        return ActionSpec(
            name=self.name,
            description=self.description,
            type=self.type,
            risk=self.risk,
            timeout_s=self.timeout_s,
            params=tuple(p.to_spec(n) for n, p in self.params.items()),
            command_template=argv,
            http=self.http.to_spec() if self.http else None,
            needs_root=self.needs_root,
            builtin=False,
        )


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(x) for x in item["loc"]) or "(top level)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def spec_from_dict(data: Mapping[str, Any]) -> ActionSpec:
    """Validate a parsed action file into a custom ``ActionSpec``.

    Raises:
        InvalidInput: the first line names the action (when known) and each bad key.
    """
    try:
        parsed = ActionInput.model_validate(dict(data))
    except ValidationError as e:
        raise InvalidInput(f"action file: {_describe(e)}") from e
    return parsed.to_spec()


def spec_from_toml(text: str, source: str = "action file") -> ActionSpec:
    """Parse TOML text (``--file action.toml``) into a custom ``ActionSpec``.

    Raises:
        InvalidInput: the text is not TOML, or its content is invalid.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InvalidInput(f"{source}: not valid TOML ({e})") from e
    return spec_from_dict(data)


def spec_to_dict(spec: ActionSpec) -> dict[str, Any]:
    """Inverse of ``spec_from_dict``: a dict without None values, TOML-writable."""
    out: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "type": spec.type.value,
        "risk": spec.risk.value,
        "timeout_s": spec.timeout_s,
        "needs_root": spec.needs_root,
        "params": {p.name: _param_to_dict(p) for p in spec.params},
    }
    if spec.command_template is not None:
        out["argv"] = list(spec.command_template)
    if spec.http is not None:
        out["http"] = _http_to_dict(spec.http)
    return out


def _param_to_dict(p: ParamSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"type": p.type, "required": p.required, "help": p.help}
    if p.default is not None:
        out["default"] = p.default
    if p.roots:
        out["roots"] = list(p.roots)
    if p.guard is not None:
        out["guard"] = p.guard
    return out


def _http_to_dict(h: HttpSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"method": h.method, "url": h.url_template}
    out["headers"] = dict(h.headers)
    if h.body_template is not None:
        out["body"] = json.loads(h.body_template)
    return out


def parse_param_decl(decl: str) -> ParamSpec:
    """Parse a CLI declaration ``name:type``, ``name:type=default`` or, for
    paths, ``name:path@/root1,/root2``.

    Raises:
        InvalidInput: the declaration is malformed or names an unknown type.
    """
    head, sep, default = decl.partition("=")
    name, colon, type_ = head.partition(":")
    type_, at, roots = type_.partition("@")
    if not colon or not name or not type_ or (at and not roots):
        raise InvalidInput(
            f"--param {decl!r}: write name:type, name:type=default or name:path@/root"
        )
    return ParamSpec(
        name,
        type_,
        required=not sep,
        default=default if sep else None,
        roots=tuple(roots.split(",")) if at else (),
    )
