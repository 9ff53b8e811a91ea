"""Logging set-up: library noise stays off a CLI user's stderr."""

from __future__ import annotations

import logging

import pytest

from ssop.core.config.schema import AppSection
from ssop.core.logsetup import configure, redact


def test_cli_hides_library_errors_unless_verbose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(AppSection(), "cli")
    logging.getLogger("paramiko.transport").error("Error reading SSH protocol banner")
    logging.getLogger("ssop.core.x").warning("server web1: slow")
    assert capsys.readouterr().err == "ssop: WARNING: server web1: slow\n"
    configure(AppSection(), "cli", verbose=1)
    logging.getLogger("paramiko.transport").error("Error reading SSH protocol banner")
    assert "protocol banner" in capsys.readouterr().err


def test_daemon_logs_library_warnings_as_key_value_lines_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(AppSection(), "daemon")
    logging.getLogger("paramiko.transport").warning("auth password=hunter2 failed")
    err = capsys.readouterr().err
    assert err.startswith("level=warning logger=paramiko.transport msg=")
    assert "hunter2" not in err


def test_reconfiguring_does_not_stack_handlers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for _ in range(3):
        configure(AppSection(), "cli")
    logging.getLogger("ssop.x").warning("once")
    assert capsys.readouterr().err.count("once") == 1


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("mysql+mysqldb://root:hunter2@db/ssop", "hunter2"),
        ("cannot reach redis://:hunter2@db:6379/0", "hunter2"),
        ("token=ssopt_abcdefghijklmnopqrstuvwxyz123", "abcdefghijklmnop"),
        ("OPENAI key sk-abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnop"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"
            "-----END OPENSSH PRIVATE KEY-----",
            "AAAA",
        ),
    ],
)
def test_redact_masks_secrets(text: str, secret: str) -> None:
    assert secret not in redact(text)
