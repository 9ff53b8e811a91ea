"""Action specs: templates are checked at definition time; TOML files load."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from ssop.core.actions.spec import ActionSpec, HttpSpec, RiskLevel
from ssop.core.actions.toml_spec import (
    parse_param_decl,
    spec_from_dict,
    spec_from_toml,
    spec_to_dict,
)
from ssop.core.errors import InvalidInput
from ssop.core.models.action import ActionType

NGINX_TOML = """
name = "nginx_status"
description = "Show nginx's unit state"
type = "command_get"
risk = "low"
timeout_s = 20
command = "systemctl status --no-pager -- {service}"

[params.service]
type = "unit"
help = "the unit to show"
"""

HOOK_TOML = """
name = "notify_hook"
type = "http"
risk = "medium"

[params.service]
type = "unit"

[params.days]
type = "positive_int"
default = 7

[http]
method = "post"
url = "https://hooks.example.com/restart/{service}?days={days}"
headers = { X-Reason = "ssop {service}" }
body = { service = "{service}", days = "{days}", note = "keep {days} days" }
"""


def _load(text: str) -> ActionSpec:
    return spec_from_dict(tomllib.loads(text))


def _command(template: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "custom",
        "type": "command_execute",
        "risk": "medium",
        "command": template,
        "params": {"service": {"type": "unit"}},
    }
    data.update(extra)
    return data


def test_a_command_file_loads_into_a_split_template() -> None:
    spec = _load(NGINX_TOML)
    assert spec.command_template == (
        "systemctl",
        "status",
        "--no-pager",
        "--",
        "{service}",
    )
    assert spec.type is ActionType.COMMAND_GET and spec.risk is RiskLevel.LOW
    assert spec.timeout_s == 20 and not spec.builtin and not spec.needs_root
    assert spec.params[0].name == "service" and spec.params[0].required


def test_an_http_file_loads() -> None:
    spec = _load(HOOK_TOML)
    assert spec.http is not None and spec.http.method == "POST"
    assert spec.param("days") is not None and spec.param("days").default == "7"  # type: ignore[union-attr]
    assert not spec.param("days").required  # type: ignore[union-attr]


@pytest.mark.parametrize("text", [NGINX_TOML, HOOK_TOML])
def test_to_dict_round_trips(text: str) -> None:
    spec = _load(text)
    assert spec_from_dict(spec_to_dict(spec)) == spec


def test_a_file_cannot_claim_to_be_builtin() -> None:
    data = tomllib.loads(NGINX_TOML) | {"builtin": True}
    with pytest.raises(InvalidInput, match="builtin: Extra inputs"):
        spec_from_dict(data)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"risk": "extreme"}, "risk: Input should be"),
        ({"type": "shell"}, "type: Input should be"),
        ({"timeout_s": 0}, "timeout_s: Input should be greater than 0"),
        ({"timeout_s": 99999}, "timeout_s: Input should be less"),
        ({"name": "Bad Name"}, "a name is"),
        (
            {"params": {"service": {"type": "unit", "color": "red"}}},
            "params.service.color",
        ),
        ({"params": {"service": {"type": "text"}}}, "unknown type 'text'"),
        ({"argv": ["x"]}, "either command or argv"),
    ],
)
def test_bad_files_are_refused_naming_the_key(change: dict[str, Any], why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        spec_from_dict(_command("systemctl restart {service}") | change)


def test_a_missing_key_is_named() -> None:
    data = _command("systemctl restart {service}")
    del data["risk"]
    with pytest.raises(InvalidInput, match="risk: Field required"):
        spec_from_dict(data)


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("systemctl restart {svc}", r"undeclared placeholder\(s\) \['svc'\]"),
        ("systemctl restart nginx", r"parameter\(s\) \['service'\] never used"),
        ("systemctl status {service} | grep x", "shell operator '\\|'"),
        ("systemctl status {service}; reboot", "shell operator ';'"),
        ("systemctl status {service} && reboot", "shell operator '&&'"),
        ("systemctl status {service} > /tmp/x", "shell operator '>'"),
        ("echo $HOME {service}", r"\$ or `"),
        ("echo `id` {service}", r"\$ or `"),
        ("sh -c 'systemctl restart {service}'", "must not start with 'sh'"),
        ("/bin/bash -c 'x {service}'", "must not start with 'bash'"),
        ("sudo systemctl restart {service}", "must not start with 'sudo'"),
        ("env X=1 systemctl restart {service}", "must not start with 'env'"),
        ("timeout 5 sh -c 'x {service}'", "must not start with 'timeout'"),
        (
            "systemd-run --wait /bin/sh -c 'x {service}'",
            r"must not run a shell \('/bin/sh'\)",
        ),
        ("{service} --help", "program .* must be fixed"),
        ("systemctl restart {service!r}", "not a plain"),
        ("systemctl restart {service.x}", "not a plain"),
        ("systemctl restart {0}", "not a plain"),
        ("systemctl restart {service", "unbalanced|expected '}'"),
        ("systemctl restart 'unterminated {service}", "No closing quotation"),
        ("", "is empty"),
    ],
)
def test_templates_that_need_a_shell_or_mismatch_are_refused(
    template: str, why: str
) -> None:
    with pytest.raises(InvalidInput, match=why):
        spec_from_dict(_command(template))


def test_quoted_operators_are_plain_argv_text() -> None:
    spec = spec_from_dict(_command("journalctl -u {service} --grep 'a;b|c' -n 20"))
    assert spec.command_template == (
        "journalctl",
        "-u",
        "{service}",
        "--grep",
        "a;b|c",
        "-n",
        "20",
    )


def test_an_operator_as_an_argv_element_is_refused() -> None:
    data = _command("x") | {"argv": ["systemctl", "status", "{service}", "|", "less"]}
    del data["command"]
    with pytest.raises(InvalidInput, match="is a shell operator"):
        spec_from_dict(data)


def test_doubled_braces_are_literal() -> None:
    spec = spec_from_dict(_command("printf {{}} {service}"))
    assert spec.command_template == ("printf", "{{}}", "{service}")
    assert spec.template_fields() == {"service"}


@pytest.mark.parametrize(
    ("http", "why"),
    [
        ({"url": "https://{service}.example.com/"}, "host"),
        ({"url": "ftp://example.com/{service}"}, "absolute http"),
        ({"url": "/relative/{service}"}, "absolute http"),
        ({"url": "https://x.example/{service}", "method": "TRACE"}, "method"),
        (
            {"url": "https://x.example/{service}", "headers": {"Bad Name": "v"}},
            "header",
        ),
        ({"url": "https://x.example/{service}", "body": {"{service}": 1}}, "keys"),
        ({"url": "https://x.example/", "headers": {"X": "{nope}"}}, "undeclared"),
    ],
)
def test_bad_http_templates_are_refused(http: dict[str, Any], why: str) -> None:
    data = _command("x") | {"type": "http", "http": http}
    del data["command"]
    with pytest.raises(InvalidInput, match=why):
        spec_from_dict(data)


def test_http_spec_needs_a_json_object_body() -> None:
    with pytest.raises(InvalidInput, match="object or array"):
        HttpSpec("POST", "https://x.example/", body_template='"just text"')


def test_command_and_http_shapes_must_match_the_type() -> None:
    data = _command("systemctl restart {service}") | {"type": "http"}
    with pytest.raises(InvalidInput, match="http actions need"):
        spec_from_dict(data)


def test_risk_orders_by_severity_not_alphabet() -> None:
    assert RiskLevel.LOW < RiskLevel.MEDIUM < RiskLevel.HIGH
    assert RiskLevel.HIGH > RiskLevel.LOW  # alphabetically "high" < "low"
    assert RiskLevel.MEDIUM.at_most(RiskLevel.MEDIUM)
    assert not RiskLevel.HIGH.at_most(RiskLevel.MEDIUM)
    assert max([RiskLevel.LOW, RiskLevel.HIGH, RiskLevel.MEDIUM]) is RiskLevel.HIGH
    assert sorted(RiskLevel) == [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH]


@pytest.mark.parametrize(
    ("decl", "name", "type_", "default", "roots"),
    [
        ("service:unit", "service", "unit", None, ()),
        ("days:positive_int=7", "days", "positive_int", "7", ()),
        ("dir:path@/var/log,/srv/logs", "dir", "path", None, ("/var/log", "/srv/logs")),
    ],
)
def test_cli_param_declarations(
    decl: str, name: str, type_: str, default: str | None, roots: tuple[str, ...]
) -> None:
    spec = parse_param_decl(decl)
    assert (spec.name, spec.type, spec.default, spec.roots) == (
        name,
        type_,
        default,
        roots,
    )
    assert spec.required == (default is None)


@pytest.mark.parametrize("decl", ["service", "service:", ":unit", "dir:path@"])
def test_malformed_cli_param_declarations(decl: str) -> None:
    with pytest.raises(InvalidInput, match="--param"):
        parse_param_decl(decl)


def test_toml_text_loads_and_bad_toml_is_named() -> None:
    assert spec_from_toml(NGINX_TOML) == _load(NGINX_TOML)
    with pytest.raises(InvalidInput, match="nginx.toml: not valid TOML"):
        spec_from_toml("name = ", "nginx.toml")
