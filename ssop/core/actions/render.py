"""Turn a request for an action into something runnable.

Two steps, always in this order: ``validate_params`` checks raw values
against the parameter types and guard rails and returns ``ValidatedParams``;
``render_command`` / ``render_http`` fill the spec's template with them.
Rendering takes only ``ValidatedParams``, so nothing unvalidated reaches an
argv, a URL or a body. The argv is quoted later, by ``Command.as_shell()``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import quote

from ssop.core.actions import template
from ssop.core.actions.guards.checks import GUARDS, GuardConfig
from ssop.core.actions.guards.paths import check_cleanup_path, confine
from ssop.core.actions.params import ParamSpec, ParamValue
from ssop.core.actions.spec import ActionSpec
from ssop.core.errors import InvalidInput
from ssop.core.models.action import ActionType
from ssop.core.transport.base import Command

# -n: never prompt for a password (there is no one to answer); --: the
# command that follows is not a sudo option.
SUDO_PREFIX = ("sudo", "-n", "--")


@dataclass(frozen=True)
class ValidatedParams:
    """Parameter values that passed their type and guard for ``action``.

    ``cleanup_roots`` are the roots the host checks a changing action's paths
    against (empty when it has none).
    """

    action: str
    values: Mapping[str, ParamValue] = field(default_factory=dict)
    cleanup_roots: tuple[str, ...] = ()

    def as_strings(self) -> dict[str, str]:
        """The values as the text that goes into templates (and records)."""
        return {name: arg_text(value) for name, value in self.values.items()}


@dataclass(frozen=True)
class HttpRequest:
    """A rendered HTTP call, ready for an HTTP client."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    timeout_s: float


def arg_text(value: ParamValue) -> str:
    """Addresses print in canonical (compressed) form, numbers in decimal."""
    return str(value)


def _raw_text(spec: ParamSpec, raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    raise InvalidInput(
        f"parameter {spec.name!r}: must be text, not {type(raw).__name__}"
    )


def validate_params(
    spec: ActionSpec, raw: Mapping[str, object], guards: GuardConfig
) -> ValidatedParams:
    """Check every raw value of a request against ``spec``.

    Raises:
        InvalidInput: an unknown or missing parameter, a value its type
            refuses, one its guard rail refuses, or a changing action's path
            outside ``guards.cleanup_roots``; the message names it.
    """
    known = [p.name for p in spec.params]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidInput(
            f"action {spec.name!r}: unknown parameter {unknown[0]!r}"
            f" (known: {', '.join(known) or 'none'})"
        )
    values: dict[str, ParamValue] = {}
    for p in spec.params:
        values[p.name] = _one(spec, p, raw, guards)
    confined = confined_paths(spec, values)
    for name, path in confined:
        check_cleanup_path(name, path, guards.cleanup_roots)
    roots = guards.cleanup_roots if confined else ()
    return ValidatedParams(spec.name, MappingProxyType(values), roots)


def confined_paths(
    spec: ActionSpec, values: Mapping[str, ParamValue]
) -> list[tuple[str, str]]:
    """(name, value) of each path a changing command must keep under the roots."""
    if spec.type is not ActionType.COMMAND_EXECUTE:
        return []
    return [(p.name, str(values[p.name])) for p in spec.params if p.type == "path"]


def _one(
    spec: ActionSpec, p: ParamSpec, raw: Mapping[str, object], guards: GuardConfig
) -> ParamValue:
    if p.name in raw:
        text = _raw_text(p, raw[p.name])
    elif p.default is not None:
        text = p.default
    else:
        raise InvalidInput(
            f"action {spec.name!r}: missing required parameter {p.name!r}"
        )
    value = p.parse(text)
    if p.guard is not None:
        GUARDS[p.guard].check(value, p.name, guards)
    return value


def _check_pair(spec: ActionSpec, params: ValidatedParams) -> dict[str, str]:
    if params.action != spec.name:
        raise InvalidInput(
            f"parameters were validated for {params.action!r}, not {spec.name!r}"
        )
    return params.as_strings()


def render_command(
    spec: ActionSpec, params: ValidatedParams, *, use_sudo: bool
) -> Command:
    """Fill the argv template; put a changing command's paths behind the
    host-side cleanup-root check; prefix ``sudo -n --`` when the action needs
    root and the login is not root (``use_sudo``). A read-only action is
    ended once its output passes the cap; one that changes the host runs on
    (``Command.end_at_cap``).

    Raises:
        InvalidInput: ``spec`` is an HTTP action, ``params`` belong to another,
            or a path has no cleanup roots to be checked against.
    """
    texts = _check_pair(spec, params)
    if spec.command_template is None:
        raise InvalidInput(f"action {spec.name!r} is an HTTP action, not a command")
    argv = tuple(
        template.fill(token, texts, f"action {spec.name!r}")
        for token in spec.command_template
    )
    for _, path in confined_paths(spec, params.values):
        argv = confine(argv, path, params.cleanup_roots)
    if spec.needs_root and use_sudo:
        argv = SUDO_PREFIX + argv
    return Command(argv, end_at_cap=spec.type is ActionType.COMMAND_GET)


def render_http(spec: ActionSpec, params: ValidatedParams) -> HttpRequest:
    """Fill the HTTP template: URL values percent-encoded, JSON body strings
    substituted inside the structure (a lone ``"{n}"`` keeps a number a number).

    Raises:
        InvalidInput: ``spec`` is a command action, or ``params`` belong to another.
    """
    texts = _check_pair(spec, params)
    http = spec.http
    if http is None:
        raise InvalidInput(f"action {spec.name!r} is a command action, not HTTP")
    url = template.fill_with(
        http.url_template, lambda f: quote(texts[f], safe=""), "url"
    )
    headers = tuple(
        (n, template.fill(v, texts, f"header {n}")) for n, v in http.headers
    )
    body = None
    if http.body_template is not None:
        filled = _fill_json(http.body(), params.values)
        body = json.dumps(filled, separators=(",", ":")).encode()
        if not any(n.lower() == "content-type" for n, _ in headers):
            headers += (("Content-Type", "application/json"),)
    return HttpRequest(http.method, url, headers, body, spec.timeout_s)


def _fill_json(node: object, values: Mapping[str, ParamValue]) -> object:
    if isinstance(node, str):
        pieces = template.parse(node, "http body")
        if len(pieces) == 1 and pieces[0][0] == "" and pieces[0][1] is not None:
            value = values[pieces[0][1]]
            return value if isinstance(value, int) else arg_text(value)
        texts = {k: arg_text(v) for k, v in values.items()}
        return template.fill(node, texts, "http body")
    if isinstance(node, list):
        return [_fill_json(n, values) for n in node]
    if isinstance(node, dict):
        return {k: _fill_json(v, values) for k, v in node.items()}
    return node
