"""The test sshd itself: shims on its PATH, the sudo shim, failing loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssop.core.transport.base import Command
from ssop.core.transport.local import LocalTransport
from ssop.core.transport.ssh import FabricTransport
from tests.support import sshd as sshd_support
from tests.support.shims import HOST_CHANGING_COMMANDS, ShimDir
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd


def test_remote_path_puts_the_shims_first(sshd: Sshd, shims: ShimDir) -> None:
    transport = FabricTransport(sshd.endpoint())
    result = transport.run(Command.of("sh", "-c", "echo $PATH"), timeout=10)
    transport.close()

    assert result.stdout == shims.search_path() + "\n"


def test_shims_record_argv_and_answer_as_scripted(sshd: Sshd, shims: ShimDir) -> None:
    shims.write_shim("systemctl", exit_code=3, stdout="inactive\n")
    transport = FabricTransport(sshd.endpoint())
    result = transport.run(
        Command.of("sudo", "-n", "systemctl", "is-active", "nginx web"), timeout=10
    )
    transport.close()

    assert (result.stdout, result.exit_code) == ("inactive\n", 3)
    assert shims.calls() == [
        ["sudo", "-n", "systemctl", "is-active", "nginx web"],
        ["systemctl", "is-active", "nginx web"],
    ]
    assert shims.calls("systemctl") == [["systemctl", "is-active", "nginx web"]]


def test_sudo_shim_runs_real_commands(sshd: Sshd, shims: ShimDir) -> None:
    transport = LocalTransport(env=shims.env())

    result = transport.run(Command.of("sudo", "-n", "printf", "%s", "ok"), timeout=10)

    assert (result.stdout, result.exit_code) == ("ok", 0)


def test_shims_start_with_only_sudo_and_host_guards(shims: ShimDir) -> None:
    assert shims.calls() == []
    assert sorted(p.name for p in shims.path.iterdir()) == sorted(
        ["sudo", *HOST_CHANGING_COMMANDS]
    )


def test_host_changing_commands_never_reach_the_real_ones(
    sshd: Sshd, shims: ShimDir
) -> None:
    transport = LocalTransport(env=shims.env())
    for name in HOST_CHANGING_COMMANDS:
        result = transport.run(Command.of(name, "--now"), timeout=10)
        assert result.exit_code == 0
    assert [argv[0] for argv in shims.calls()] == list(HOST_CHANGING_COMMANDS)


def test_missing_sshd_fails_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sshd_support, "SSHD", Path("/nonexistent/sshd"))

    with pytest.raises(pytest.fail.Exception, match="openssh-server"):
        sshd_support.require_sshd()
