"""Helpers for crawl tests: recorded readings, servers written straight into a
store with their get actions assigned, and a fleet of FakeTransports."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlmodel import select

from ssop.core.actions.scripts import RESAMPLE
from ssop.core.actions.spec import ActionSpec
from ssop.core.actions.stored import save_spec
from ssop.core.crawl.host_visit import FIRST_READINGS, READINGS
from ssop.core.models import Action, MetricSample, Server
from ssop.core.services import Services
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.fleet_repo import FleetRepo
from ssop.core.store.server_repo import ServerRepo
from ssop.core.transport.base import Transport
from ssop.core.transport.connection_spec import ConnectionSpec
from tests.fakes.fake_transport import FakeTransport, Outcome

FIXTURES = Path(__file__).parent.parent / "unit" / "actions" / "fixtures"
SAMPLE_A = (FIXTURES / "combined_a.txt").read_text()
SAMPLE_B = (FIXTURES / "combined_b.txt").read_text()
# What the first visit's two-sample command prints: a, a pause, then b.
FIRST_OUTPUT = SAMPLE_A.replace("==ssop:end==\n", "") + RESAMPLE + "\n" + SAMPLE_B
_CPU_LINE = re.compile(r"^cpu  .*$", re.MULTILINE)


def with_cpu(sample: str, busy: int, idle: int) -> str:
    """``sample`` with its aggregate cpu line replaced: user=busy, idle=idle."""
    return _CPU_LINE.sub(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0", sample)


def readings_fake(name: str, *later: str) -> FakeTransport:
    """A host answering the first visit with FIRST_OUTPUT, later visits in turn."""
    fake = FakeTransport(name=name).on(*FIRST_READINGS.argv, stdout=FIRST_OUTPUT)
    answers = list(later) or [SAMPLE_B]
    visits = iter(answers)

    def next_answer(_cmd: Any) -> Any:
        from ssop.core.transport.base import CommandResult

        return CommandResult(next(visits, answers[-1]), "", 0, 0.0)

    fake.script[READINGS.argv] = next_answer
    return fake


class FakeFleet:
    """Transports by server name, for ``build_services(transport_factory=...)``."""

    def __init__(self) -> None:
        self.transports: dict[str, FakeTransport] = {}
        self.built: list[str] = []

    def add(self, name: str, transport: FakeTransport) -> FakeTransport:
        self.transports[name] = transport
        return transport

    def script(self, name: str, argv: tuple[str, ...], outcome: Outcome) -> None:
        self.transports[name].script[argv] = outcome

    def build(self, server: ConnectionSpec) -> Transport:
        self.built.append(server.name)
        return self.transports[server.name]


def add_server(
    services: Services,
    name: str,
    *,
    builtin: bool = True,
    custom: Iterable[ActionSpec] = (),
    **fields: Any,
) -> None:
    """A server row with the built-in get actions (and ``custom``) assigned."""
    fields.setdefault("host", "127.0.0.1")
    with services.sessions() as s, s.begin():
        server = ServerRepo(s).add(Server(name=name, **fields))
        links = AssignmentRepo(s)
        actions: list[Action] = FleetRepo(s).builtin_get_actions() if builtin else []
        for spec in custom:
            repo = ActionRepo(s)
            actions.append(repo.find(spec.name) or save_spec(repo, spec))
        for action in actions:
            links.assign(server, action, automatic=False)


def samples(services: Services, name: str | None = None) -> list[MetricSample]:
    with services.sessions() as s:
        query = select(MetricSample).order_by(MetricSample.id)  # type: ignore[arg-type]
        if name is not None:
            query = query.where(MetricSample.server_name == name)
        return list(s.exec(query))
