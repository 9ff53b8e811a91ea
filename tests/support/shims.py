"""Stand-in commands (systemctl, reboot, sudo, ...) that record how they were called.

A shim is a tiny script in a directory put first on PATH (the test sshd's
``SetEnv PATH=...``, or ``ShimDir.env()`` for LocalTransport). Each call
appends one JSON line ``{"argv": [name, arg, ...]}`` to the shared log, then
prints the scripted output and exits with the scripted code.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

# -S skips site-packages: a shim starts in a few ms
_PYTHON = f"{sys.executable} -S"

_SHIM = """#!{python}
import json, sys
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": [{name!r}, *sys.argv[1:]]}}) + "\\n")
sys.stdout.write({stdout!r})
sys.stderr.write({stderr!r})
sys.exit({exit_code})
"""

# drops sudo's options (-n and friends), then runs the command for real
_SUDO = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": ["sudo", *args]}}) + "\\n")
while args and args[0].startswith("-"):
    if args.pop(0) == "--":
        break
if not args:
    sys.exit("sudo: no command given")
try:
    os.execvp(args[0], args)
except OSError as e:
    sys.exit(f"sudo: {{args[0]}}: {{e.strerror}}")
"""


# systemctl with memory: units named in the state folder are failed until
# restarted or started; every other subcommand just succeeds.
_SYSTEMCTL_UNITS = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": ["systemctl", *args]}}) + "\\n")
state = {state!r}
if args[:1] == ["list-units"] and "--state=failed" in args:
    for unit in sorted(os.listdir(state)):
        print(unit, "loaded failed failed", unit)
elif args[:1] in (["restart"], ["start"]):
    for name in args[1:]:
        unit = name if "." in name else name + ".service"
        if name != "--" and os.path.exists(os.path.join(state, unit)):
            os.remove(os.path.join(state, unit))
sys.exit(0)
"""


HOST_CHANGING_COMMANDS = (
    "systemctl",
    "reboot",
    "shutdown",
    "poweroff",
    "halt",
    "firewall-cmd",
)


class ShimDir:
    """A directory of shim commands plus the log of their calls."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.log = log
        self.units = log.parent / f"{log.name}.units"
        self.reset()

    def write_shim(
        self, name: str, exit_code: int = 0, stdout: str = "", stderr: str = ""
    ) -> Path:
        """Create (or replace) the shim ``name``; returns its path."""
        text = _SHIM.format(
            python=_PYTHON,
            log=str(self.log),
            name=name,
            stdout=stdout,
            stderr=stderr,
            exit_code=exit_code,
        )
        return self._install(name, text)

    def write_systemctl_units(self, *failed: str) -> None:
        """A stateful ``systemctl``: ``failed`` units show in ``list-units
        --state=failed`` until a ``restart``/``start`` of them succeeds."""
        for unit in failed:
            self.fail_unit(unit)
        text = _SYSTEMCTL_UNITS.format(
            python=_PYTHON, log=str(self.log), state=str(self.units)
        )
        self._install("systemctl", text)

    def fail_unit(self, unit: str) -> None:
        """Mark ``unit`` (a full name: ``nginx.service``) failed again."""
        if "/" in unit or "." not in unit:
            raise ValueError(f"not a unit name: {unit!r}")
        (self.units / unit).touch()

    def failed_units(self) -> list[str]:
        return sorted(p.name for p in self.units.iterdir())

    def calls(self, name: str | None = None) -> list[list[str]]:
        """The argv of every shim call so far, oldest first; ``name`` filters."""
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        argvs = [list(json.loads(line)["argv"]) for line in lines if line]
        return [argv for argv in argvs if name is None or argv[0] == name]

    def reset(self) -> None:
        """Remove every shim and forget all calls; keep ``sudo`` and the guards.

        The commands that change the host (reboot, stop units, firewall) always
        have a recording stand-in, so no test can reach the real ones even if
        it forgets to write its own shim: the test sshd runs as root.
        """
        for folder in (self.path, self.units):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        self.log.write_text("")
        self._install("sudo", _SUDO.format(python=_PYTHON, log=str(self.log)))
        for name in HOST_CHANGING_COMMANDS:
            self.write_shim(name, exit_code=0)

    def search_path(self) -> str:
        """The PATH value the test sshd sets: shims first."""
        return f"{self.path}:/usr/local/bin:/usr/bin:/bin"

    def env(self) -> dict[str, str]:
        """An environment for LocalTransport that finds the shims first."""
        return {**os.environ, "PATH": self.search_path()}

    def _install(self, name: str, text: str) -> Path:
        if "/" in name or not name:
            raise ValueError(f"not a command name: {name!r}")
        target = self.path / name
        target.write_text(text)
        target.chmod(0o755)
        return target
