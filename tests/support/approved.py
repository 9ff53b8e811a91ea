"""Approved requests waiting for a daemon, written straight into the store:
a harmless change action (``true``) assigned to some hosts, one approved
request each, for the exactly-once checks of the scale-out tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.actions.stored import save_spec
from ssop.core.models import ApprovalRequest
from ssop.core.models.action import ActionType
from ssop.core.models.keys import open_key
from ssop.core.policy.prepare import prepare
from ssop.core.services import Services
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.server_repo import ServerRepo

NOOP = ActionSpec(
    "scaleout_noop",
    "changes nothing (exactly-once checks)",
    ActionType.COMMAND_EXECUTE,
    RiskLevel.LOW,
    10.0,
    command_template=("true",),
)


def approve_noop(services: Services, servers: Sequence[str]) -> list[int]:
    """One approved request per server to run NOOP; their ids.

    Called again for other servers, it adds requests to the same action.
    """
    now = services.clock.now()
    with services.sessions() as s, s.begin():
        actions = ActionRepo(s)
        action = save_spec(actions, NOOP, actions.find(NOOP.name))
        for name in servers:
            AssignmentRepo(s).assign(ServerRepo(s).get(name), action, automatic=False)
        s.flush()
        ids = noop_requests(
            s,
            services,
            servers,
            expires_at=now + timedelta(hours=1),
            status="approved",
            requested_by="scaleout-test",
            decided_by="scaleout-test",
            decided_at=now,
        )
    return ids


def noop_requests(
    s: Session, services: Services, servers: Sequence[str], **fields: Any
) -> list[int]:
    """One manual request per server to run NOOP (assigned already), with
    ``fields`` (status, expiry, who asked and decided); their ids."""
    use_sudo = services.config.settings.ssh.use_sudo
    guards = services.guard_rails.for_server
    ids = []
    for name in servers:
        prep = prepare(s, name, NOOP.name, {}, guards, use_sudo)
        row = ApprovalRequest(
            trigger="manual",
            server_name=name,
            action_name=NOOP.name,
            params_key=prep.key,
            command=prep.command,
            spec_hash=prep.spec_hash,
            effective_risk=NOOP.risk.value,
            open_key=open_key(name, NOOP.name, prep.key),
            **fields,
        )
        s.add(row)
        s.flush()
        assert row.id is not None
        ids.append(row.id)
    return ids
