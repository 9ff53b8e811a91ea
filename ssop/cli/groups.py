"""Which command modules make up ``ssop``; each module owns one Typer app."""

from __future__ import annotations

import importlib

import typer

# (module under ssop.cli, group name or None to add its commands at top level)
GROUPS: tuple[tuple[str, str | None], ...] = (
    ("init_cmd", None),
    ("auth_cmd", None),
    ("config_cmd", "config"),
    ("db_cmd", "db"),
    ("user_cmd", "user"),
    ("role_cmd", "role"),
    ("token_cmd", "token"),
    ("audit_cmd", "audit"),
    ("daemon_cmd", "daemon"),
    ("health_cmd", None),
    ("server_cmd", "server"),
    ("secrets_cmd", "secrets"),
    ("action_cmd", "action"),
    ("run_cmd", None),
    ("executions_cmd", "executions"),
    ("approvals_cmd", None),
    ("policy_cmd", None),
    ("analysis_cmd", "analysis"),
    ("analyze_cmd", None),
    ("crawl_cmd", None),
    ("quickstart_cmd", None),
)


def register(app: typer.Typer) -> None:
    for module_name, group in GROUPS:
        module = importlib.import_module(f"ssop.cli.{module_name}")
        sub: typer.Typer = module.app
        if group is None:
            app.registered_commands.extend(sub.registered_commands)
            app.registered_groups.extend(sub.registered_groups)
        else:
            app.add_typer(sub, name=group)
