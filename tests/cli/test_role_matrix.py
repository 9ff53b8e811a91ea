"""Every command, as admin, operator and viewer, against the README's tables.

The README says which capability each command needs and which role holds
it. Each command runs once per role, with arguments that reach its
permission check and then, where allowed, mostly stop at "not found". A
denied command must exit 4 with one ``ssop: error:`` line naming what is
lacking; an allowed one must not exit 4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.core

from ssop.core.accounts.permissions import DEFAULT_MATRIX, Capability, Role
from tests.cli import tree
from tests.cli.conftest import ADMIN_PASSWORD, Cli, login

README = Path(__file__).parents[2] / "README.md"
NOTHING, LOGIN = "–", "login"
FINGERPRINT = "SHA256:" + "A" * 43
PASSWORDS = {"sysadmin": ADMIN_PASSWORD, "olga": "olga-password-1"}
PASSWORDS["vera"] = "vera-password-1"
USERS = {Role.ADMIN: "sysadmin", Role.OPERATOR: "olga", Role.VIEWER: "vera"}
COLUMNS = (Role.VIEWER, Role.OPERATOR, Role.ADMIN)  # the README table's order


@dataclass(frozen=True)
class Sample:
    args: tuple[str, ...]
    input: str | None = None


def s(*args: str, input: str | None = None) -> Sample:
    return Sample(args, input)


# One invocation per command; "{me}" is the role's user. Allowed ones mostly
# end in "not found", so the run order matters little.
SAMPLES: dict[str, Sample] = {
    "init": s("init"),
    "quickstart": s("quickstart"),
    "login": s("login", "--username", "{me}", "--password-stdin", input="{pw}"),
    "logout": s("logout"),
    "whoami": s("whoami"),
    "config path": s("config", "path"),
    "config show": s("config", "show"),
    "config set": s("config", "set", "app.crawler_delay", "30"),
    "db current": s("db", "current"),
    "db upgrade": s("db", "upgrade"),
    "db prune": s("db", "prune"),
    "health": s("health"),
    "status": s("status"),
    "report": s("report", "overview"),
    "daemon": s("daemon", "--once"),
    "tui": s("tui", "--screen", "nowhere"),
    "daemon list": s("daemon", "list"),
    "user add": s(
        "user",
        "add",
        "zed",
        "--role",
        "viewer",
        "--password-stdin",
        input="zed-pw-12345",
    ),
    "user list": s("user", "list"),
    "user rm": s("user", "rm", "nobody"),
    "user passwd": s("user", "passwd", "nobody", "--password-stdin", input="x" * 12),
    "user set-role": s("user", "set-role", "nobody", "viewer"),
    "user disable": s("user", "disable", "nobody"),
    "user enable": s("user", "enable", "nobody"),
    "user unlock": s("user", "unlock", "nobody"),
    "role list": s("role", "list"),
    "role grant": s("role", "grant", "viewer", "servers.read"),
    "role revoke": s("role", "revoke", "viewer", "servers.write"),
    "token create": s("token", "create", "t-{me}", "--role", "viewer"),
    "token list": s("token", "list"),
    "token revoke": s("token", "revoke", "nobody"),
    "audit list": s("audit", "list"),
    "secrets rotate": s("secrets", "rotate"),
    "secrets new-key": s("secrets", "new-key"),
    "secrets reset": s("secrets", "reset", "--yes"),
    "server list": s("server", "list"),
    "server show": s("server", "show", "nobody"),
    "server test": s("server", "test", "nobody"),
    "server add": s("server", "add", "me", "--local"),
    "server edit": s("server", "edit", "nobody", "--description", "x"),
    "server rm": s("server", "rm", "nobody", "--yes"),
    "server trust": s("server", "trust", "nobody", "--fingerprint", FINGERPRINT),
    "docs man": s("docs", "man"),
    "server import": s("server", "import", "--ssh-config", "/nonexistent", "--dry-run"),
    "action list": s("action", "list"),
    "action show": s("action", "show", "nobody"),
    "action create": s(
        "action",
        "create",
        "chk",
        "--type",
        "command_get",
        "--command",
        "uptime",
        "--risk",
        "low",
        "--timeout",
        "10",
    ),
    "action edit": s("action", "edit", "nobody", "--risk", "low"),
    "action rm": s("action", "rm", "nobody"),
    "action enable": s("action", "enable", "nobody"),
    "action disable": s("action", "disable", "nobody"),
    "action assign": s("action", "assign", "nobody", "get_uptime"),
    "action unassign": s("action", "unassign", "nobody", "get_uptime"),
    "run": s("run", "nobody", "get_uptime"),
    "executions list": s("executions", "list"),
    "executions show": s("executions", "show", "999"),
    "crawl": s("crawl", "nobody"),
    "analyze": s("analyze", "nobody"),
    "analysis list": s("analysis", "list"),
    "analysis show": s("analysis", "show", "999"),
    "approvals list": s("approvals", "list"),
    "approvals show": s("approvals", "show", "999"),
    "approvals request": s(
        "approvals", "request", "nobody", "restart_service", "--param", "service=x"
    ),
    "approve": s("approve", "999"),
    "reject": s("reject", "999", "--reason", "no"),
    "pause": s("pause"),
    "resume": s("resume"),
    "explain": s("explain", "999"),
    "policy status": s("policy", "status"),
    "policy promote": s("policy", "promote", "--server", "nobody"),
    "policy shadow": s("policy", "shadow"),
    "policy shadow-report": s("policy", "shadow-report"),
    "policy reenable": s("policy", "reenable", "nobody", "get_uptime"),
    "maintenance add": s("maintenance", "add", "nobody", "--for", "1h"),
    "maintenance list": s("maintenance", "list"),
    "maintenance rm": s("maintenance", "rm", "999"),
}


def readme_commands() -> dict[str, str]:
    """Command -> what it needs, from the README's command table."""
    rows = re.findall(r"^\| `ssop ([a-z -]+)` \| ([^|]+) \|", README.read_text(), re.M)
    return {command: needs.strip() for command, needs in rows}


def readme_roles() -> dict[Role, set[Capability]]:
    """Role -> capabilities, from the README's ✓ table."""
    held: dict[Role, set[Capability]] = {role: set() for role in Role}
    rows = re.findall(r"^\| ([a-z., ]+) \|((?: *✓? *\|){3})$", README.read_text(), re.M)
    for names, marks in rows:
        ticks = [cell.strip() == "✓" for cell in marks.strip("|").split("|")]
        for role, tick in zip(COLUMNS, ticks, strict=True):
            if tick:
                held[role] |= {Capability(n.strip()) for n in names.split(",")}
    return held


def registered_commands() -> set[str]:
    return {
        " ".join(path)
        for path, node in tree.nodes()
        # a group that runs without a subcommand (ssop daemon) is a command too
        if path
        and (
            isinstance(node, typer.core.TyperCommand)
            or getattr(node, "invoke_without_command", False)
        )
    }


def test_the_readme_lists_every_command_and_the_samples_cover_them() -> None:
    assert set(readme_commands()) == registered_commands()
    assert set(SAMPLES) == registered_commands()
    needs = set(readme_commands().values())
    assert needs <= {NOTHING, LOGIN} | {c.value for c in Capability}


def test_the_readme_role_table_is_the_default_matrix() -> None:
    assert readme_roles() == {role: set(caps) for role, caps in DEFAULT_MATRIX.items()}


def as_role(cli: Cli, role: Role) -> str:
    name = USERS[role]
    if role is not Role.ADMIN:
        added = cli(
            "user",
            "add",
            name,
            "--role",
            role.value,
            "--password-stdin",
            input=PASSWORDS[name],
        )
        assert added.exit_code == 0, added.stderr
    assert login(cli, name, PASSWORDS[name]).exit_code == 0
    return name


def verdict(cli: Cli, name: str, command: str, needs: str, role: Role) -> str | None:
    """None when the command behaved as the README says, else what went wrong."""
    sample = SAMPLES[command]
    args = [a.replace("{me}", name) for a in sample.args]
    text = (sample.input or "").replace("{pw}", PASSWORDS[name])
    result = cli(*args, input=text + "\n" if sample.input else None)
    if command == "logout":
        login(cli, name, PASSWORDS[name])
    allowed = needs in (NOTHING, LOGIN) or Capability(needs) in DEFAULT_MATRIX[role]
    if allowed:
        return None if result.exit_code != 4 else f"denied: {result.stderr.strip()}"
    first = (result.stderr.splitlines() or [""])[0]
    if result.exit_code == 4 and first.startswith("ssop: error: ") and needs in first:
        return None
    return f"not denied: exit {result.exit_code}, {result.stderr.strip()[:200]}"


@pytest.mark.parametrize("role", list(Role))
def test_every_command_as_every_role(admin_cli: Cli, role: Role) -> None:
    name = as_role(admin_cli, role)
    wrong = {
        command: problem
        for command, needs in readme_commands().items()
        if (problem := verdict(admin_cli, name, command, needs, role)) is not None
    }
    assert wrong == {}


def test_ending_someone_elses_maintenance_needs_settings_write(
    admin_cli: Cli,
) -> None:
    for name in ("olga", "bob"):
        password = f"{name}-password-1"
        admin_cli(
            "user",
            "add",
            name,
            "--role",
            "operator",
            "--password-stdin",
            input=password,
        )
    login(admin_cli, "olga", "olga-password-1")
    olgas = admin_cli("maintenance", "add", "*", "--for", "2h").stdout.split()[1]
    login(admin_cli, "bob", "bob-password-1")
    bobs = admin_cli("maintenance", "add", "*", "--for", "2h").stdout.split()[1]

    refused = admin_cli("maintenance", "rm", olgas.lstrip("#"))
    own = admin_cli("maintenance", "rm", bobs.lstrip("#"))
    login(admin_cli, "sysadmin", ADMIN_PASSWORD)
    by_admin = admin_cli("maintenance", "rm", olgas.lstrip("#"))

    assert refused.exit_code == 4
    assert "lacks settings.write" in refused.stderr and "of olga" in refused.stderr
    assert own.exit_code == 0, own.stderr
    assert by_admin.exit_code == 0, by_admin.stderr
    failed = admin_cli("audit", "list", "--failed", "--format", "csv").stdout
    assert f"bob,maintenance.rm,window{olgas}" in failed
