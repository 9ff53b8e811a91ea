"""The CLI's login session file: one token, mode 0600 in a 0700 folder."""

from __future__ import annotations

import os
from pathlib import Path

from ssop.core.errors import ConfigError


class SessionFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, token: str) -> None:
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
        self.path.chmod(0o600)

    def read(self) -> str | None:
        try:
            mode = self.path.stat().st_mode
            if mode & 0o077:
                raise ConfigError(
                    f"session file {self.path} is readable by others",
                    hint="run: ssop logout, then ssop login",
                )
            return self.path.read_text().strip() or None
        except FileNotFoundError:
            return None
        except PermissionError as e:
            raise ConfigError(f"session file {self.path}: not readable") from e

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
