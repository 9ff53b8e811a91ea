"""Shell completion: installed for bash in a fresh shell, shown for zsh and
fish, and server, tag and action names completed from the store."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import Cli


@pytest.fixture
def named_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """Typer otherwise guesses the shell from the parent processes and takes
    no shell name; read when the command is built, so set in this process."""
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")


@pytest.fixture
def site(cli: Cli) -> Cli:
    result = cli("quickstart")
    assert result.exit_code == 0, result.stderr
    for name, tag in (("web1", "web"), ("web2", "web"), ("db1", "db")):
        added = cli("server", "add", name, "--local", "--tag", tag)
        assert added.exit_code == 0, added.stderr
    return cli


def offered(cli: Cli, line: str) -> list[str]:
    words = line.split(" ")
    result = cli(
        _SSOP_COMPLETE="complete_bash",
        COMP_WORDS=line,
        COMP_CWORD=str(len(words) - 1),
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout.split()


def test_server_tag_and_action_names_come_from_the_store(site: Cli) -> None:
    assert offered(site, "ssop server show web") == ["web1", "web2"]
    assert offered(site, "ssop crawl d") == ["db1"]
    assert offered(site, "ssop server list --tag w") == ["web"]
    assert offered(site, "ssop server rm local") == ["localhost"]
    assert offered(site, "ssop action show get_up") == ["get_uptime"]


def test_nothing_is_offered_when_logged_out(site: Cli) -> None:
    assert site("logout").exit_code == 0
    assert offered(site, "ssop server show web") == []


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o default -F _ssop_completion ssop"),
        ("zsh", "#compdef ssop"),
        ("fish", "complete --command ssop"),
    ],
)
@pytest.mark.usefixtures("named_shell")
def test_the_completion_script_is_shown_for_each_shell(
    cli: Cli, shell: str, marker: str
) -> None:
    result = cli("--show-completion", shell)
    assert result.exit_code == 0, result.stderr
    assert marker in result.stdout


@pytest.mark.usefixtures("named_shell")
def test_install_completion_bash_works_in_a_fresh_shell(
    cli: Cli, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = cli("--install-completion", "bash", HOME=str(home))
    assert result.exit_code == 0, result.stderr
    assert (home / ".bashrc").read_text().count("ssop") >= 1
    fresh = subprocess.run(
        ["bash", "-i", "-c", "complete -p ssop"],
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.strip() == "complete -o default -F _ssop_completion ssop"
