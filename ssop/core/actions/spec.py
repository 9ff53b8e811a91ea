"""What an action is: its type, risk, parameters and command or HTTP template.

``ActionSpec`` is a frozen value checked when it is built, so every spec
that exists is renderable: placeholders match the declared parameters, the
argv template was split once, and custom templates need no shell.
"""

from __future__ import annotations

import json
import re
from dataclasses import KW_ONLY, dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from ssop.core.actions import template
from ssop.core.actions.params import ParamSpec
from ssop.core.errors import InvalidInput
from ssop.core.models.action import ActionType

ACTION_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_TIMEOUT_S = 3600.0
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
_HEADER_NAME_RE = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")


_RISK_RANK = {"low": 0, "medium": 1, "high": 2}


class RiskLevel(StrEnum):
    """Intrinsic risk of an action; compares by severity, not alphabetically."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RISK_RANK[self.value]

    def at_most(self, limit: RiskLevel) -> bool:
        return self.rank <= limit.rank

    # str ordering would put "high" < "low"; a policy check must never use it.
    def __lt__(self, other: str) -> bool:
        return self.rank < RiskLevel(other).rank

    def __le__(self, other: str) -> bool:
        return self.rank <= RiskLevel(other).rank

    def __gt__(self, other: str) -> bool:
        return self.rank > RiskLevel(other).rank

    def __ge__(self, other: str) -> bool:
        return self.rank >= RiskLevel(other).rank


@dataclass(frozen=True)
class HttpSpec:
    """An HTTP request template. Placeholders may appear in the URL path and
    query, in header values and in JSON body strings, never in the host."""

    method: str
    url_template: str
    headers: tuple[tuple[str, str], ...] = ()
    body_template: str | None = None  # JSON text

    def __post_init__(self) -> None:
        if self.method not in HTTP_METHODS:
            raise InvalidInput(
                f"http: method {self.method!r} is not one of {HTTP_METHODS}"
            )
        _check_url(self.url_template)
        for name, value in self.headers:
            if not _HEADER_NAME_RE.fullmatch(name) or not value.isprintable():
                raise InvalidInput(
                    f"http: header {name!r} has an invalid name or value"
                )
        self.body()

    def body(self) -> object:
        """The parsed JSON body template (None when there is no body)."""
        if self.body_template is None:
            return None
        try:
            body = json.loads(self.body_template)
        except ValueError as e:
            raise InvalidInput(f"http: body is not JSON ({e})") from e
        if not isinstance(body, dict | list):
            raise InvalidInput("http: body must be a JSON object or array")
        return body

    def fields(self) -> set[str]:
        found = template.fields(self.url_template, "http url")
        for name, value in self.headers:
            found |= template.fields(value, f"http header {name}")
        return found | json_fields(self.body())


def json_fields(node: object) -> set[str]:
    """Placeholders in the string leaves of a JSON structure (never in keys)."""
    if isinstance(node, str):
        return template.fields(node, "http body")
    if isinstance(node, list):
        return set().union(*(json_fields(n) for n in node))
    if isinstance(node, dict):
        if any(template.fields(k, "http body key") for k in node):
            raise InvalidInput("http body: placeholders are not allowed in keys")
        return set().union(*(json_fields(v) for v in node.values()))
    return set()


def _check_url(url: str) -> None:
    if not url.isprintable() or " " in url:
        raise InvalidInput("http: url must not contain spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"http: url {url!r} must be an absolute http(s) URL")
    if "{" in parts.netloc or "}" in parts.netloc:
        raise InvalidInput("http: placeholders are not allowed in the URL's host")
    template.fields(url, "http url")


@dataclass(frozen=True)
class ActionSpec:
    """One action of the catalogue. ``command_template`` is an argv whose
    tokens may hold ``{param}`` placeholders; it was split exactly once."""

    name: str
    description: str
    type: ActionType
    risk: RiskLevel
    timeout_s: float
    _: KW_ONLY
    params: tuple[ParamSpec, ...] = ()
    command_template: tuple[str, ...] | None = None
    http: HttpSpec | None = None
    needs_root: bool = False
    builtin: bool = False

    def __post_init__(self) -> None:
        _check_identity(self)
        _check_body(self)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    def template_fields(self) -> set[str]:
        if self.http is not None:
            return self.http.fields()
        found: set[str] = set()
        for i, token in enumerate(self.command_template or ()):
            found |= template.fields(token, f"command template token {i + 1}")
        return found


def _check_identity(spec: ActionSpec) -> None:
    where = f"action {spec.name!r}"
    if not ACTION_NAME_RE.fullmatch(spec.name):
        raise InvalidInput(
            f"{where}: a name is a-z, 0-9 and _ (at most 64), from a letter"
        )
    if len(spec.description) > 500 or not spec.description.isprintable():
        raise InvalidInput(f"{where}: description must be one printable line (<= 500)")
    if not 0 < spec.timeout_s <= MAX_TIMEOUT_S:
        raise InvalidInput(f"{where}: timeout_s must be in (0, {MAX_TIMEOUT_S:.0f}]")
    names = [p.name for p in spec.params]
    if len(set(names)) != len(names):
        raise InvalidInput(f"{where}: a parameter is declared twice")


def _check_body(spec: ActionSpec) -> None:
    where = f"action {spec.name!r}"
    is_http = spec.type is ActionType.HTTP
    if is_http != (spec.http is not None) or is_http == (
        spec.command_template is not None
    ):
        raise InvalidInput(
            f"{where}: http actions need [http], command actions a command"
        )
    if spec.command_template is not None:
        _check_argv(spec, where)
    used, declared = spec.template_fields(), {p.name for p in spec.params}
    if used - declared:
        raise InvalidInput(
            f"{where}: undeclared placeholder(s) {sorted(used - declared)}"
        )
    if declared - used:
        raise InvalidInput(
            f"{where}: parameter(s) {sorted(declared - used)} never used"
        )


def _check_argv(spec: ActionSpec, where: str) -> None:
    argv = spec.command_template or ()
    if not argv or template.fields(argv[0], f"{where} program"):
        raise InvalidInput(f"{where}: the program (first token) must be fixed text")
    if not spec.builtin:
        template.check_custom_argv(argv)
