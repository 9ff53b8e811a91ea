"""guards.cleanup_roots: a changing action's path stays under the roots.

The text is checked before anything runs; the command is also wrapped in
the host-side check (``test_cleanup_roots_local`` runs that one for real).
"""

from __future__ import annotations

import pytest

from ssop.core.actions import scripts
from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.guards.paths import check_cleanup_path, confine, is_clean_root
from ssop.core.actions.guards.rails import GuardRails
from ssop.core.actions.params import ParamSpec
from ssop.core.actions.render import (
    SUDO_PREFIX,
    ValidatedParams,
    render_command,
    validate_params,
)
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.config.schema import GuardsSection
from ssop.core.errors import InvalidInput
from ssop.core.models import Server
from ssop.core.models.action import ActionType

ROOTS = ("/tmp", "/var/tmp")
GUARDS = GuardConfig(cleanup_roots=ROOTS)


def shred(kind: ActionType = ActionType.COMMAND_EXECUTE) -> ActionSpec:
    return ActionSpec(
        "shred_dir",
        "Remove one folder",
        kind,
        RiskLevel.MEDIUM,
        30.0,
        params=(ParamSpec("dir", "path", roots=("/tmp", "/var/tmp", "/srv")),),
        command_template=("rm", "-rf", "--", "{dir}"),
        needs_root=True,
    )


@pytest.mark.parametrize(
    ("root", "clean"),
    [
        ("/tmp", True),
        ("/var/tmp", True),
        ("/", False),
        ("//tmp", False),
        ("tmp", False),
        ("/tmp/", False),
        ("/var/../etc", False),
        ("/var//tmp", False),
    ],
)
def test_a_root_is_a_clean_absolute_path_other_than_slash(
    root: str, clean: bool
) -> None:
    assert is_clean_root(root) is clean


@pytest.mark.parametrize("path", ["/tmp", "/tmp/x", "/var/tmp/a/b"])
def test_paths_at_or_under_a_root_pass(path: str) -> None:
    check_cleanup_path("dir", path, ROOTS)


@pytest.mark.parametrize("path", ["/tmpx", "/srv/tmp", "/var", "/etc/passwd"])
def test_paths_beside_or_outside_the_roots_are_refused(path: str) -> None:
    with pytest.raises(InvalidInput, match=r"'dir': .* outside the cleanup roots"):
        check_cleanup_path("dir", path, ROOTS)


def test_without_roots_nothing_passes() -> None:
    with pytest.raises(InvalidInput, match="none configured"):
        check_cleanup_path("dir", "/tmp/x", ())
    with pytest.raises(InvalidInput, match="no cleanup roots"):
        confine(("rm", "/tmp/x"), "/tmp/x", ())


def test_a_changing_action_is_refused_outside_the_roots() -> None:
    with pytest.raises(InvalidInput, match="'dir': /srv/app is outside"):
        validate_params(shred(), {"dir": "/srv/app"}, GUARDS)


def test_a_read_only_action_is_held_by_its_own_roots_only() -> None:
    spec = shred(ActionType.COMMAND_GET)
    params = validate_params(spec, {"dir": "/srv/app"}, GUARDS)
    assert params.cleanup_roots == ()
    argv = render_command(spec, params, use_sudo=False).argv
    assert argv == ("rm", "-rf", "--", "/srv/app")


def test_the_command_runs_behind_the_host_side_check_inside_sudo() -> None:
    params = validate_params(shred(), {"dir": "/tmp/build"}, GUARDS)
    assert params.cleanup_roots == ROOTS
    argv = render_command(shred(), params, use_sudo=True).argv
    assert argv == (
        *SUDO_PREFIX,
        *("sh", "-c", scripts.CONFINE_SCRIPT, "sh", "/tmp/build", *ROOTS, "--"),
        *("rm", "-rf", "--", "/tmp/build"),
    )


def test_params_built_without_roots_never_render_unchecked() -> None:
    params = ValidatedParams("shred_dir", {"dir": "/tmp/build"})
    with pytest.raises(InvalidInput, match="no cleanup roots"):
        render_command(shred(), params, use_sudo=False)


def test_the_configured_roots_reach_every_server_guard() -> None:
    section = GuardsSection(cleanup_roots=["/srv/scratch"])
    rails = GuardRails(section, own_addresses=lambda: ())
    guards = rails.for_server(Server(name="me", host="127.0.0.1", local=True))
    assert guards.cleanup_roots == ("/srv/scratch",)


@pytest.mark.parametrize("root", ["/", "tmp", "/tmp/../etc"])
def test_a_bad_root_is_refused_in_the_settings_and_the_guard_config(
    root: str,
) -> None:
    with pytest.raises(ValueError, match="clean absolute path"):
        GuardsSection(cleanup_roots=[root])
    with pytest.raises(InvalidInput, match="cleanup root"):
        GuardConfig.from_strings(cleanup_roots=[root])
