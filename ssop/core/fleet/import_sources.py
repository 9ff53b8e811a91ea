"""Read a fleet described elsewhere: an Ansible inventory (its JSON, as
``ansible-inventory --list`` prints it) or an OpenSSH client config.

Each source becomes ``Imported`` hosts; nothing here touches the store.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssop.core.errors import InvalidInput

ANSIBLE_INVENTORY = "ansible-inventory"
_NO_TAG_GROUPS = {"all", "ungrouped"}
_CONFIG_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(\S.*)$")
_INVENTORY_TIMEOUT_S = 120.0
_UNPARSED = "Unable to parse"


@dataclass(frozen=True)
class Imported:
    """One host as a source describes it; what it does not say is None."""

    name: str
    host: str
    port: int | None = None
    user: str | None = None
    key_file: Path | None = None
    jump: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def ansible_inventory_json(path: Path) -> str:
    """``ansible-inventory -i PATH --list``: Ansible's own parser.

    Raises:
        InvalidInput: Ansible is not installed, or the inventory does not parse.
    """
    program = shutil.which(ANSIBLE_INVENTORY)
    if program is None:
        raise InvalidInput(
            f"{ANSIBLE_INVENTORY} is not installed",
            hint="run it elsewhere and pipe its output: "
            f"{ANSIBLE_INVENTORY} -i FILE --list | ssop server import --ansible-json -",
        )
    if not path.is_file():
        raise InvalidInput(f"inventory {path} does not exist")
    argv = [program, "-i", str(path), "--list"]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=_INVENTORY_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InvalidInput(f"inventory {path}: {ANSIBLE_INVENTORY} failed: {e}") from e
    # an inventory no plugin could parse is only a warning to Ansible (exit 0)
    if done.returncode != 0 or _UNPARSED in done.stderr:
        raise InvalidInput(f"inventory {path}: {_first_error(done.stderr)}")
    return done.stdout


def _first_error(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    why = next((ln for ln in lines if "Failed to parse" in ln), None)
    where = next((ln for ln in lines if ln.startswith("Origin:")), None)
    found = [x.removeprefix("[WARNING]: ") for x in (why, where) if x]
    return "; ".join(found) or (lines[0] if lines else "it does not parse")


def from_ansible_json(text: str, source: str) -> list[Imported]:
    """Hosts of an inventory's ``--list`` JSON: groups become tags.

    Raises:
        InvalidInput: not that JSON; the message names ``source`` and the line.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"{source}:{e.lineno}: not JSON: {e.msg}") from e
    if not isinstance(data, dict) or not isinstance(data.get("_meta", {}), dict):
        raise InvalidInput(f"{source}: not an ansible-inventory --list document")
    hostvars = data.get("_meta", {}).get("hostvars", {})
    groups = _groups_of(data)
    names = sorted(set(hostvars) | set(groups))
    return [_ansible_host(n, hostvars.get(n, {}), groups.get(n, ())) for n in names]


def _groups_of(data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each host's groups, the groups its groups belong to included."""
    parents: dict[str, set[str]] = {}
    for group, body in data.items():
        for child in (body or {}).get("children", []) if group != "_meta" else []:
            parents.setdefault(child, set()).add(group)
    out: dict[str, set[str]] = {}
    for group, body in data.items():
        if group == "_meta" or not isinstance(body, dict):
            continue
        for host in body.get("hosts", []):
            out.setdefault(host, set()).update(_ancestry(group, parents))
    return {h: tuple(sorted(g - _NO_TAG_GROUPS)) for h, g in out.items()}


def _ancestry(group: str, parents: Mapping[str, set[str]]) -> set[str]:
    seen, todo = set(), [group]
    while todo:
        g = todo.pop()
        if g not in seen:
            seen.add(g)
            todo.extend(parents.get(g, ()))
    return seen


def _ansible_host(name: str, hv: Mapping[str, Any], tags: tuple[str, ...]) -> Imported:
    key = hv.get("ansible_ssh_private_key_file")
    port = hv.get("ansible_port", hv.get("ansible_ssh_port"))
    return Imported(
        name=name,
        host=str(hv.get("ansible_host", name)),
        port=int(port) if port is not None else None,
        user=hv.get("ansible_user", hv.get("ansible_ssh_user")),
        key_file=Path(key).expanduser() if key else None,
        tags=tags,
    )


def from_ssh_config(path: Path) -> list[Imported]:
    """One host per concrete name on a ``Host`` line, its options merged as
    OpenSSH merges them (wildcard blocks apply; ``Host *`` alone adds nothing).

    Raises:
        InvalidInput: unreadable, a line that does not parse, or a name on
            two Host lines; the message names the file and line.
    """
    import paramiko

    try:
        text = path.read_text()
    except OSError as e:
        raise InvalidInput(f"ssh config {path}: {e.strerror or e}") from e
    names = _concrete_names(text, path)
    config = paramiko.SSHConfig.from_text(text)
    return [_ssh_host(name, config.lookup(name)) for name in names]


def _concrete_names(text: str, path: Path) -> list[str]:
    """Names on Host lines without wildcards, in order. A name that is the
    only one on two Host lines is defined twice: refused (a name shared with
    other names or patterns is merged, as OpenSSH merges it)."""
    names: list[str] = []
    alone: dict[str, int] = {}
    for number, keyword, value in _config_lines(text, path):
        if keyword.lower() != "host":
            continue
        patterns = value.split()
        if len(patterns) == 1 and patterns[0] in alone:
            raise InvalidInput(
                f"{path}:{number}: duplicate name {patterns[0]!r} "
                f"(a Host block of its own on line {alone[patterns[0]]} too)"
            )
        if len(patterns) == 1:
            alone[patterns[0]] = number
        names += [n for n in patterns if not any(c in n for c in "*?!")]
    return list(dict.fromkeys(names))


def _config_lines(text: str, path: Path) -> Iterator[tuple[int, str, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _CONFIG_LINE.match(line)
        if match is None:
            raise InvalidInput(f"{path}:{number}: does not parse: {line.strip()!r}")
        yield number, match[1], match[2]


def _ssh_host(name: str, options: Mapping[str, Any]) -> Imported:
    keys = options.get("identityfile") or []
    jump = options.get("proxyjump")
    port = options.get("port")
    return Imported(
        name=name,
        host=str(options.get("hostname", name)),
        port=int(port) if port else None,
        user=options.get("user"),
        key_file=Path(keys[0]).expanduser() if keys else None,
        jump=tuple(h.strip() for h in jump.split(",")) if jump else (),
    )
