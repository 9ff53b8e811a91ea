"""Logging configuration for the three shells, with secrets redacted.

Core modules only create loggers; each shell calls ``configure`` once.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

from ssop.core.config.schema import AppSection

OWNED = "ssop"  # the name of handlers configure() installs and may replace

_SECRET_PATTERNS = (
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S
    ),
    re.compile(r"(?i)((?:password|passphrase|api[_-]?key|token|secret)\s*[=:]\s*)\S+"),
    re.compile(r"(://[^:/@\s]*:)[^@\s]+(@)"),
    re.compile(r"\bssop[st]_[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),
)


def redact(text: str) -> str:
    """Mask private keys, passwords in URLs, tokens and key=value secrets."""
    return redact_credentials(_SECRET_PATTERNS[1].sub(r"\1***", text))


def redact_credentials(text: str) -> str:
    """Mask private keys, passwords in URLs and tokens, but not key=value
    pairs: for ssop's own messages, which say "key openai.api_key: ..."."""
    text = _SECRET_PATTERNS[0].sub("[private key redacted]", text)
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
    """Install ssop's handlers for ``mode`` (cli, daemon, tui).

    ssop's own loggers log at the configured level. Libraries (paramiko,
    alembic, ...) go through the same redacting handler but only from WARNING
    in the daemon and the TUI, and only with ``-v`` in the CLI, so that a
    command's failure stays one ``ssop: error:`` line on stderr.
    """
    ours = logging.getLogger("ssop")
    root = logging.getLogger()
    for logger in (ours, root):
        for old in [h for h in logger.handlers if h.get_name() == OWNED]:
            logger.removeHandler(old)
    ours.addHandler(_handler(mode, log_file))
    ours.setLevel(_level(app, mode, verbose))
    ours.propagate = False
    libraries = _handler(mode, log_file)
    libraries.setLevel(_library_level(mode, verbose))
    root.addHandler(libraries)


def _handler(mode: str, log_file: Path | None) -> logging.Handler:
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
    handler.set_name(OWNED)
    return handler


def _library_level(mode: str, verbose: int | bool) -> int:
    if mode != "cli":
        return logging.WARNING
    return (
        logging.DEBUG
        if verbose and int(verbose) > 1
        else (logging.WARNING if verbose else logging.CRITICAL + 1)
    )


def _level(app: AppSection, mode: str, verbose: int | bool) -> int:
    if app.debug or app.log_level == "DEBUG" or (verbose and int(verbose) > 1):
        return logging.DEBUG
    if verbose:
        return logging.INFO
    if mode == "daemon":
        return min(logging.INFO, int(logging.getLevelName(app.log_level)))
    return int(logging.getLevelName(app.log_level))
