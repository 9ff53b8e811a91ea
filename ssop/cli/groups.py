"""Every top-level command of ``ssop``, in the order ``ssop --help`` lists them.

One row per name: ``group(name, module, help)`` when the module's Typer app
is the group ``ssop NAME``; ``command(name, module, help)`` when the module's
app defines a command (or group) of that name at the top level. The help line
is shown by ``ssop --help`` without importing the module, so it must equal
the command's own first help paragraph (tests/cli/test_groups.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str
    module: str
    """The module under ``ssop.cli`` whose ``app`` holds it."""
    help: str
    is_group: bool


def group(name: str, module: str, help: str) -> Entry:
    return Entry(name, module, help, is_group=True)


def command(name: str, module: str, help: str) -> Entry:
    return Entry(name, module, help, is_group=False)


COMMANDS: tuple[Entry, ...] = (
    command(
        "init",
        "init_cmd",
        "Set ssop up; the first admin's password comes from APP_INIT_SECRET if set.",
    ),
    command(
        "login",
        "auth_cmd",
        "Log in and keep a session token in a file only you can read.",
    ),
    command("logout", "auth_cmd", "End the login session and delete the session file."),
    command(
        "whoami",
        "auth_cmd",
        "Show who you are logged in as, your role and when the session ends.",
    ),
    command(
        "health",
        "health_cmd",
        "Exit 0 when all is well, 5 when a dependency or a server is unreachable, "
        "1 otherwise (a stale daemon or server, a stalled daemon step, an old schema).",
    ),
    command(
        "run",
        "run_cmd",
        "Run ACTION on SERVER (or on --tag T); asks before anything but a get action.",
    ),
    command(
        "approve",
        "approvals_cmd",
        "Approve a pending request (needs approvals.decide); the daemon runs it.",
    ),
    command(
        "reject",
        "approvals_cmd",
        "Reject a pending or approved (not yet running) request.",
    ),
    command(
        "pause",
        "policy_cmd",
        "Kill switch: nothing runs by itself until `ssop resume` "
        "(needs approvals.decide).",
    ),
    command(
        "resume", "policy_cmd", "Let automation run again (admin: settings.write)."
    ),
    command(
        "explain",
        "policy_cmd",
        "Per recommendation of an analysis: executed, queued or blocked, and the gate.",
    ),
    command(
        "analyze",
        "analyze_cmd",
        "Analyse servers now (needs actions.run; --dry-run alone needs reports.read).",
    ),
    command(
        "status",
        "status_cmd",
        "The fleet at a glance from stored readings, no SSH.",
    ),
    command(
        "report",
        "report_cmd",
        "Aggregates over a window, computed in the database (needs reports.read).",
    ),
    command(
        "tui",
        "tui_cmd",
        "A live dashboard: fleet, approvals, executions, insights and reports.",
    ),
    command(
        "crawl",
        "crawl_cmd",
        "Crawl servers once now: store their readings and show them.",
    ),
    command(
        "quickstart",
        "quickstart_cmd",
        "Initialise if needed, log in, watch this machine, crawl it once.",
    ),
    group("config", "config_cmd", "Show or change settings."),
    group("db", "db_cmd", "Manage the store (database)."),
    group("user", "user_cmd", "Manage users."),
    group("role", "role_cmd", "Show or change what each role may do."),
    group("token", "token_cmd", "Manage API tokens for scripts."),
    group("audit", "audit_cmd", "Read the audit trail."),
    group("server", "server_cmd", "Manage the servers ssop watches."),
    group(
        "secrets", "secrets_cmd", "Manage the master key that encrypts stored secrets."
    ),
    group("action", "action_cmd", "Manage actions and assign them to servers."),
    group("executions", "executions_cmd", "Read execution records."),
    command("approvals", "approvals_cmd", "List, show and make approval requests."),
    command(
        "policy", "policy_cmd", "Automation policy: status, shadow mode, demotions."
    ),
    command("maintenance", "policy_cmd", "Maintenance windows and silences."),
    group(
        "daemon",
        "daemon_cmd",
        "Run the daemon loop (no subcommand), or list the daemons.",
    ),
    group("docs", "docs_cmd", "Documentation generated from the CLI."),
    group("analysis", "analysis_cmd", "Read analyses and their recommendations."),
)
