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
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
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
