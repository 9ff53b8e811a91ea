"""``ssop server import``: servers from an Ansible inventory or an ssh_config."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ssop.cli import prompts, render
from ssop.cli.state import authorize, state
from ssop.core.accounts.permissions import Capability
from ssop.core.errors import InvalidInput, SsopError

if TYPE_CHECKING:
    from ssop.core.fleet.import_sources import Imported
    from ssop.core.fleet.importer import ImportSummary, Verb
    from ssop.core.transport.base import HostKey

SSH_CONFIG = Path("~/.ssh/config")
_DONE = {"add": "added", "update": "updated", "skip": "skipped", "fail": "failed"}


def import_hosts(
    ctx: typer.Context,
    inventory: Annotated[
        Path | None,
        typer.Option("--inventory", help="An Ansible inventory (read by Ansible)."),
    ] = None,
    ansible_json: Annotated[
        str | None,
        typer.Option(
            "--ansible-json",
            metavar="FILE|-",
            help="What `ansible-inventory -i FILE --list` printed.",
        ),
    ] = None,
    ssh_config: Annotated[
        Path | None,
        typer.Option(
            "--ssh-config", help="An OpenSSH client config (default ~/.ssh/config)."
        ),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--only", metavar="PATTERN", help="Only these hosts.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; write nothing.")
    ] = False,
    update: Annotated[
        bool, typer.Option("--update", help="Change servers that exist already.")
    ] = False,
    trust_on_first_use: Annotated[
        bool,
        typer.Option(
            "--trust-on-first-use",
            help="Pin every new host's key as presented (each fingerprint is shown).",
        ),
    ] = False,
) -> None:
    """Add servers from an Ansible inventory or ~/.ssh/config; groups become tags.

    Existing servers change only with --update. Host keys are asked for one by
    one unless --trust-on-first-use. Exits 1 when any host failed.
    """
    from ssop.core.fleet.importer import FleetImporter, ImportOptions
    from ssop.core.fleet.server_input import HostKeyDecision

    principal = authorize(ctx, Capability.SERVERS_WRITE)
    hosts = _read(inventory, ansible_json, ssh_config)
    decision = HostKeyDecision(None, trust_on_first_use, confirm=_ask)
    options = ImportOptions(dry_run=dry_run, update=update, only=only)
    importer = FleetImporter(state(ctx).store().servers)
    _show(importer.run(principal, hosts, options, decision))


def _read(
    inventory: Path | None, ansible_json: str | None, ssh_config: Path | None
) -> list[Imported]:
    from ssop.core.fleet import import_sources as src

    given = [x for x in (inventory, ansible_json, ssh_config) if x is not None]
    if len(given) > 1:
        raise InvalidInput("give one of --inventory, --ansible-json, --ssh-config")
    if inventory is not None:
        return src.from_ansible_json(
            src.ansible_inventory_json(inventory), str(inventory)
        )
    if ansible_json is not None:
        return src.from_ansible_json(_text(ansible_json), ansible_json)
    return src.from_ssh_config((ssh_config or SSH_CONFIG).expanduser())


def _text(path: str) -> str:
    if path == "-":
        return typer.get_text_stream("stdin").read()
    try:
        return Path(path).read_text()
    except OSError as e:
        raise InvalidInput(f"{path}: {e.strerror or e}") from e


def _ask(key: HostKey) -> bool:
    if not prompts.can_ask():
        raise InvalidInput(
            f"cannot ask whether to pin host key {key.key_type} {key.fingerprint}: "
            "standard input is not a terminal",
            hint="use --trust-on-first-use, or add such servers one by one",
        )
    typer.echo(f"the host presents host key {key.key_type} {key.fingerprint}", err=True)
    return typer.confirm("Pin this host key?", default=False, err=True)


def _show(summary: ImportSummary) -> None:
    from ssop.core.fleet.importer import Verb

    for line in summary.lines:
        typer.echo(f"{_verb(line.verb, summary.dry_run)} {line.name}: {line.detail}")
    counts = ", ".join(f"{_DONE[v.value]} {summary.count(v)}" for v in Verb)
    render.ok(f"{'dry run: ' if summary.dry_run else ''}{counts}")
    failed = summary.count(Verb.FAIL)
    if failed:
        raise SsopError(f"{failed} of {len(summary.lines)} host(s) failed to import")


def _verb(verb: Verb, dry_run: bool) -> str:
    if verb.value == "fail":
        return "failed"
    return f"would {verb.value}" if dry_run else _DONE[verb.value]
