"""ExecutionRunner over the real sshd: bounded memory, and a built-in with its hook."""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import pytest

from ssop.core.actions.builtin import cleanup_temp_action
from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.render import validate_params
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.execution.executor import ExecutionStatus, Trigger
from ssop.core.models.action import ActionType
from ssop.core.secrets.master_key import create_master_key
from ssop.core.services import Services
from tests.support.servers import add_sshd_server
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd

TEN_MB_OF_LINES = ActionSpec(
    "count",
    "",
    ActionType.COMMAND_GET,
    RiskLevel.LOW,
    60.0,
    command_template=("seq", "1", "1500000"),
)


@pytest.fixture
def keyed(services: Services) -> Services:
    create_master_key(services.config.paths.secret_key_file)
    return services


def test_ten_megabytes_cost_the_runner_about_the_cap(
    keyed: Services, sshd: Sshd
) -> None:
    server = add_sshd_server(keyed, sshd, "web1")
    params = validate_params(TEN_MB_OF_LINES, {}, GuardConfig())
    keyed.runner.execute(
        server, TEN_MB_OF_LINES, params, actor="t", trigger=Trigger.MANUAL
    )
    tracemalloc.start()
    try:
        record = keyed.runner.execute(
            server, TEN_MB_OF_LINES, params, actor="t", trigger=Trigger.MANUAL
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    cap = keyed.config.settings.ssh.output_cap
    assert record.status is ExecutionStatus.SUCCEEDED
    assert record.stdout_truncated and len(record.stdout) == cap
    # Bounded by the cap, not by the ~10 MB produced: storing the capped text
    # makes a few copies (the MySQL driver escapes it into the query), so the
    # bound (4 MiB) leaves room for those and stays well below the output.
    assert peak < 16 * cap, f"peak {peak} bytes for a {cap}-byte cap"


def test_the_temp_cleanup_built_in_deletes_only_old_files(
    keyed: Services, sshd: Sshd, tmp_path: Path
) -> None:
    root = tmp_path / "scratch"
    (root / "sub").mkdir(parents=True)
    old = time.time() - 10 * 86400
    for name in ("old.log", "sub/old.bin"):
        (root / name).write_text("x")
        os.utime(root / name, (old, old))
    (root / "new.log").write_text("x")
    spec = cleanup_temp_action(roots=(str(root),))
    params = validate_params(spec, {"days": "3"}, GuardConfig())
    server = add_sshd_server(keyed, sshd, "web1")
    record = keyed.runner.execute(
        server, spec, params, actor="policy", trigger=Trigger.POLICY, reason="disk"
    )
    assert record.status is ExecutionStatus.SUCCEEDED, record.stderr
    assert (
        record.stdout.strip() == f"deleted 2 file(s) older than 3 day(s) under {root}"
    )
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == [
        "new.log",
        "sub",
    ]
    assert (record.trigger, record.actor, record.params) == (
        "policy",
        "policy",
        {"days": "3"},
    )
