"""What starting ``ssop`` costs: three CPU-time ratios against bare baselines.

    python -m bench.startup              # --runs 15 by default
    python -m bench.startup --runs 5     # a quick look

Each command runs in a fresh interpreter; its CPU time (user + system, from
``wait4``) is the figure, the minimum over the runs. The runs interleave the
six commands, so a busy moment on the machine hits all of them alike.

- ``ssop --help`` against a bare Typer app with as many top-level commands
  and groups as ``ssop`` lists (target 1.3x);
- ``ssop server list`` on an empty SQLite store (initialised, logged in)
  against ``python -c 'import typer, sqlmodel'`` (target 1.3x);
- ``ssop --version`` against ``python -c 'import typer'`` (target 1.2x).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ssop.cli.groups import COMMANDS

ADMIN_PASSWORD = "Bench-Startup-1"


@dataclass(frozen=True)
class Case:
    name: str
    argv: list[str]
    target: float


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """CPU time of one run of ``argv``, which must exit 0."""
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv} exited {proc.returncode}: {err.decode()}")
    return usage.ru_utime + usage.ru_stime


def ssop_argv() -> list[str]:
    """The installed console script when there is one, else the same call."""
    script = Path(sys.executable).with_name("ssop")
    if script.exists():
        return [sys.executable, str(script)]
    return [sys.executable, "-c", "import sys; from ssop.cli.main import run; run()"]


def bare_typer_app(folder: Path, groups: int) -> Path:
    """A Typer app with ``groups`` sub-apps of one command each."""
    lines = ["import typer", "app = typer.Typer()"]
    for i in range(groups):
        lines += [
            f"g{i} = typer.Typer(help='Group {i} manages things of kind {i}.')",
            f"@g{i}.command()",
            f"def do{i}(name: str) -> None:",
            "    '''Do it.'''",
            f"app.add_typer(g{i}, name='group{i}')",
        ]
    lines.append("app()")
    path = folder / "bare_app.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def bench_env(folder: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SSOP_", "MYSQL_", "REDIS_", "OPENAI_", "APP_", "XDG_"))
    }
    home = folder / "home"
    config = folder / "ssop.toml"
    config.touch(mode=0o600)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local/state"),
        XDG_DATA_HOME=str(home / ".local/share"),
        SSOP_CONFIG=str(config),
        SSOP_DATABASE_URL=f"sqlite:///{folder / 'ssop.db'}",
    )
    return env


def empty_store(env: dict[str, str]) -> None:
    """``ssop init`` then ``ssop login`` as the first admin."""
    ssop = ssop_argv()
    subprocess.run(
        [*ssop, "init"],
        env={**env, "APP_INIT_SECRET": ADMIN_PASSWORD},
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*ssop, "login", "--username", "sysadmin", "--password-stdin"],
        env=env,
        input=ADMIN_PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )


def pairs(folder: Path) -> list[tuple[Case, Case]]:
    py, ssop = sys.executable, ssop_argv()
    bare = bare_typer_app(folder, len(COMMANDS))
    return [
        (
            Case("ssop --help", [*ssop, "--help"], 1.3),
            Case(
                f"bare Typer app, {len(COMMANDS)} groups, --help",
                [py, str(bare), "--help"],
                0,
            ),
        ),
        (
            Case(
                "ssop server list (empty SQLite store)", [*ssop, "server", "list"], 1.3
            ),
            Case(
                "python -c 'import typer, sqlmodel'",
                [py, "-c", "import typer, sqlmodel"],
                0,
            ),
        ),
        (
            Case("ssop --version", [*ssop, "--version"], 1.2),
            Case("python -c 'import typer'", [py, "-c", "import typer"], 0),
        ),
    ]


def measure(cases: list[Case], env: dict[str, str], runs: int) -> dict[str, float]:
    best = {case.name: float("inf") for case in cases}
    for _ in range(runs):
        for case in cases:
            best[case.name] = min(best[case.name], cpu_seconds(case.argv, env))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ssop-startup-") as tmp:
        folder = Path(tmp)
        env = bench_env(folder)
        empty_store(env)
        table = pairs(folder)
        best = measure([case for pair in table for case in pair], env, args.runs)
    print(f"CPU time, minimum of {args.runs} runs\n")
    for ours, base in table:
        ratio = best[ours.name] / best[base.name]
        verdict = "ok" if ratio <= ours.target else "OVER"
        print(f"{ours.name:<45} {best[ours.name] * 1000:7.1f} ms")
        print(f"  vs {base.name:<41} {best[base.name] * 1000:7.1f} ms")
        print(f"  ratio {ratio:.2f}x (target <= {ours.target}x) {verdict}\n")


if __name__ == "__main__":
    main()
