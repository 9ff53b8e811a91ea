"""The catalogue in the store: built-ins seeded and kept current, assignments."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.actions.builtin import BUILTINS_BY_NAME
from ssop.core.actions.stored import spec_of
from ssop.core.models import Server
from ssop.core.ops.store_admin import StoreService
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo


def seed(engine: Engine) -> None:
    StoreService(engine, lambda: Session(engine)).seed()


def test_seed_inserts_every_builtin_once(store_engine: Engine) -> None:
    seed(store_engine)
    seed(store_engine)
    with Session(store_engine) as s:
        rows = ActionRepo(s).list()
    assert sorted(r.name for r in rows) == sorted(BUILTINS_BY_NAME)
    reboot = next(r for r in rows if r.name == "reboot_system")
    assert (reboot.type, reboot.risk, reboot.builtin) == (
        "command_execute",
        "high",
        True,
    )


def test_seed_repairs_an_edited_builtin_row(store_engine: Engine) -> None:
    seed(store_engine)
    with Session(store_engine) as s, s.begin():
        row = ActionRepo(s).get("reboot_system")
        row.risk = "low"
        row.spec = {"command": ["sh", "-c", "evil"]}
    seed(store_engine)
    with Session(store_engine) as s:
        row = ActionRepo(s).get("reboot_system")
        assert row.risk == "high"
        assert spec_of(row) == BUILTINS_BY_NAME["reboot_system"]


def test_assignment_round_trip(store_engine: Engine) -> None:
    seed(store_engine)
    with Session(store_engine) as s, s.begin():
        server = Server(name="web1", host="127.0.0.1", local=True)
        s.add(server)
        s.flush()
        repo, actions = AssignmentRepo(s), ActionRepo(s)
        repo.assign(server, actions.get("get_uptime"), automatic=False)
        repo.assign(server, actions.get("restart_service"), automatic=True)
        repo.assign(server, actions.get("restart_service"), automatic=False)
        server_id = server.id or 0
    with Session(store_engine) as s:
        got = [
            (a.name, link.automatic)
            for a, link in AssignmentRepo(s).assigned(server_id)
        ]
        assert got == [("get_uptime", False), ("restart_service", False)]
        assert AssignmentRepo(s).servers_with(
            ActionRepo(s).get("get_uptime").id or 0
        ) == ["web1"]
