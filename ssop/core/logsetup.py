"""Logging configuration for the three shells, with secrets redacted.

Core modules only create loggers; each shell calls ``configure`` once.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

from ssop.core.settings_schema import AppSection

_SECRET_PATTERNS = (
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S
    ),
    re.compile(r"(?i)((?:password|passphrase|api[_-]?key|token|secret)\s*[=:]\s*)\S+"),
    re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)"),
    re.compile(r"\bssop[st]_[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),
)


def redact(text: str) -> str:
    """Mask private keys, passwords in URLs, tokens and key=value secrets."""
    text = _SECRET_PATTERNS[0].sub("[private key redacted]", text)
    text = _SECRET_PATTERNS[1].sub(r"\1***", text)
    text = _SECRET_PATTERNS[2].sub(r"\1***\2", text)
    text = _SECRET_PATTERNS[3].sub("[token redacted]", text)
    return _SECRET_PATTERNS[4].sub("[api key redacted]", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class KeyValueFormatter(logging.Formatter):
    """One journald-friendly line: level=... logger=... msg="..."."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage().replace("\\", "\\\\").replace('"', '\\"')
        line = f'level={record.levelname.lower()} logger={record.name} msg="{msg}"'
        if record.exc_info:
            exc = self.formatException(record.exc_info).replace("\n", " | ")
            line += f' exc="{redact(exc)}"'
        return line.replace("\n", " ")


def configure(
    app: AppSection, mode: str, *, verbose: int | bool = 0, log_file: Path | None = None
) -> None:
    """Install one handler on the ``ssop`` logger for ``mode`` (cli, daemon, tui)."""
    root = logging.getLogger("ssop")
    for old in list(root.handlers):
        root.removeHandler(old)
    handler: logging.Handler
    if mode == "tui":
        assert log_file is not None, "the TUI logs to a file only"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        )
    elif mode == "daemon":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(KeyValueFormatter())
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("ssop: %(levelname)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(_level(app, mode, verbose))
    root.propagate = False


def _level(app: AppSection, mode: str, verbose: int | bool) -> int:
    if app.debug or app.log_level == "DEBUG" or (verbose and int(verbose) > 1):
        return logging.DEBUG
    if verbose:
        return logging.INFO
    if mode == "daemon":
        return min(logging.INFO, int(logging.getLevelName(app.log_level)))
    return int(logging.getLevelName(app.log_level))
