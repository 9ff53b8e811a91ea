"""The host-side cleanup-root check, run for real on folders the tests made.

Each rendered command goes through ``Command.as_shell()`` and a POSIX shell
exactly as it would over SSH. The cleanup root is a tmp_path folder, never
this machine's /tmp or /var/tmp; the command only touches a marker file, so
a check that let something through would show it without harm.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.params import ParamSpec
from ssop.core.actions.render import render_command, validate_params
from ssop.core.actions.scripts import CONFINE_REFUSED
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.models.action import ActionType

SHELLS = ["dash", "bash"]


def mark(tmp_path: Path) -> ActionSpec:
    return ActionSpec(
        "mark_dir",
        "Leave a marker in one folder",
        ActionType.COMMAND_EXECUTE,
        RiskLevel.LOW,
        30.0,
        params=(ParamSpec("dir", "path", roots=(str(tmp_path),)),),
        command_template=("touch", "--", "{dir}/.ran"),
    )


def run(
    tmp_path: Path, root: Path, target: Path, shell: str = "sh"
) -> subprocess.CompletedProcess[str]:
    spec = mark(tmp_path)
    guards = GuardConfig(cleanup_roots=(str(root),))
    params = validate_params(spec, {"dir": str(target)}, guards)
    cmd = render_command(spec, params, use_sudo=False)
    return subprocess.run(
        [shell, "-c", cmd.as_shell()], capture_output=True, text=True, timeout=30
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "build").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    return tmp_path / "root"


@pytest.mark.parametrize("shell", SHELLS)
def test_a_folder_under_the_root_is_acted_on(
    tmp_path: Path, root: Path, shell: str
) -> None:
    result = run(tmp_path, root, root / "build", shell)
    assert (result.returncode, result.stderr) == (0, "")
    assert (root / "build" / ".ran").exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_a_symlink_out_of_the_root_is_refused_on_the_host(
    tmp_path: Path, root: Path, shell: str
) -> None:
    outside = tmp_path / "outside"
    (root / "escape").symlink_to(outside)
    result = run(tmp_path, root, root / "escape", shell)
    assert result.returncode == CONFINE_REFUSED
    assert f"refused: {root / 'escape'} leads to {outside}," in result.stderr
    assert "outside the cleanup roots" in result.stderr
    assert not (outside / ".ran").exists()


def test_a_symlinked_folder_higher_up_is_followed_too(
    tmp_path: Path, root: Path
) -> None:
    (tmp_path / "outside" / "deep").mkdir()
    (root / "via").symlink_to(tmp_path / "outside")
    result = run(tmp_path, root, root / "via" / "deep")
    assert result.returncode == CONFINE_REFUSED
    assert not (tmp_path / "outside" / "deep" / ".ran").exists()


def test_a_symlink_to_slash_is_refused(tmp_path: Path, root: Path) -> None:
    (root / "slash").symlink_to("/")
    result = run(tmp_path, root, root / "slash")
    assert result.returncode == CONFINE_REFUSED
    assert "leads to nowhere" in result.stderr


def test_a_symlink_that_stays_inside_the_root_is_fine(
    tmp_path: Path, root: Path
) -> None:
    (root / "alias").symlink_to(root / "build")
    result = run(tmp_path, root, root / "alias")
    assert result.returncode == 0, result.stderr
    assert (root / "build" / ".ran").exists()


def test_a_root_that_is_a_symlink_is_judged_where_it_leads(tmp_path: Path) -> None:
    real = tmp_path / "real-root"
    (real / "build").mkdir(parents=True)
    (tmp_path / "linked-root").symlink_to(real)
    linked = tmp_path / "linked-root"
    result = run(tmp_path, linked, linked / "build")
    assert result.returncode == 0, result.stderr
    assert (real / "build" / ".ran").exists()
