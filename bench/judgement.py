"""The judgement suite's table: per situation, what was recommended, the tier, what ran.

    python -m bench.judgement            # the rule engine alone
    python -m bench.judgement --hostile  # with a scripted hostile model advising too

Runs what ``tests/integration/test_judgement.py`` runs, without asserting:
eleven loopback hosts (127.0.3.1-11 on one test sshd; needs OpenSSH's
sshd and root, like the tests), each presenting one situation through shims
(``tests/support/presenter.py``), crawled, analysed and decided by the real
services on an embedded SQLite store in a temporary folder, nine crawl
intervals on a fake clock, thresholds at their defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography.fernet import Fernet

from ssop.core.config.loader import load_config
from ssop.core.services import build_services
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAI
from tests.support.judgement import (
    ADDRESSES,
    SETTINGS,
    Judgement,
    Row,
    hostile_answer,
    render,
)
from tests.support.presenter import Presenter
from tests.support.sshd import Sshd, start_sshd


@contextlib.contextmanager
def model_settings(hostile: bool) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """(environment, overrides) asking a hostile model on every analysis, or none."""
    if not hostile:
        yield {}, {}
        return
    with FakeOpenAI(responder=hostile_answer) as api:
        env = {"OPENAI_API_KEY": "sk-hostile", "OPENAI_BASE_URL": api.base_url}
        yield env, {"analysis.llm_mode": "always"}


def judge(work: Path, sshd: Sshd, hostile: bool) -> list[Row]:
    presenter = Presenter(work / "hosts", sshd.shims)
    presenter.install()
    clock = FakeClock()
    home = work / "home"
    environ = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "SSOP_DATABASE_URL": f"sqlite:///{work / 'ssop.db'}",
        "SSOP_SECRET_KEY": Fernet.generate_key().decode(),
    }
    with model_settings(hostile) as (env, overrides):
        config = load_config(
            environ={**environ, **env},
            system_config=Path("/nonexistent"),
            overrides={**SETTINGS, **overrides},
        )
        services = build_services(config, clock=clock)
        try:
            services.store.upgrade()
            services.store.seed()
            judgement = Judgement(services, sshd, presenter, clock)
            judgement.setup()
            judgement.run()
            return judgement.table()
        finally:
            services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.judgement")
    parser.add_argument(
        "--hostile", action="store_true", help="a scripted hostile model advises too"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ssop-judgement-") as tmp:
        work = Path(tmp)
        sshd = start_sshd(work / "sshd", ADDRESSES)
        try:
            rows = judge(work, sshd, args.hostile)
        finally:
            sshd.stop()
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
