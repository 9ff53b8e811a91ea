"""Manual runs: check, plan, confirm, then execute on one server or a tag.

A plan is made inside one transaction that checks, in order: the caller
holds actions.run, the server and action exist and are enabled, the action
is assigned to the server, and the parameters pass their types and guard
rails. Only then is the command rendered. A dry run stops there and writes
nothing; a real run of anything but a get action needs a confirmation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.guards.rails import GuardRails
from ssop.core.actions.render import ValidatedParams, validate_params
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.actions.stored import spec_of
from ssop.core.audit import AuditOutcome, AuditService, record_refusal
from ssop.core.clock import Clock
from ssop.core.errors import InvalidInput, NotFound, PolicyRefused, SsopError
from ssop.core.execution.executor import ExecutionRecord, ExecutionRunner, Trigger
from ssop.core.models import Action, Server
from ssop.core.models.action import ActionType
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.db import SessionFactory, translate_errors
from ssop.core.store.server_repo import ServerRepo

log = logging.getLogger(__name__)

RUN = Capability.ACTIONS_RUN


class NotConfirmed(SsopError):
    """A run that changes something was not confirmed."""


@dataclass(kw_only=True, frozen=True)
class RunPlan:
    """What a run would do on one server: exactly this command."""

    server: str
    action: str
    type: ActionType
    risk: RiskLevel
    params: dict[str, str]
    command: str
    timeout_s: float

    @property
    def needs_confirmation(self) -> bool:
        return self.type is not ActionType.COMMAND_GET


@dataclass(frozen=True)
class Refusal:
    server: str
    error: SsopError


@dataclass(frozen=True)
class FanoutPlan:
    """A run over every server with a tag: who would run it, who refuses."""

    tag: str
    action: str
    plans: tuple[RunPlan, ...]
    refused: tuple[Refusal, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        return any(p.needs_confirmation for p in self.plans)


@dataclass(frozen=True)
class FanoutItem:
    """One server's part of a fan-out: its record, or why it did not run."""

    server: str
    record: ExecutionRecord | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Prepared:
    plan: RunPlan
    server: Server
    spec: ActionSpec
    params: ValidatedParams
    actor: str


@dataclass
class _Fanout:
    plan: FanoutPlan
    prepared: list[_Prepared] = field(default_factory=list)


Confirm = Callable[[RunPlan], bool]
ConfirmFanout = Callable[[FanoutPlan], bool]
# (the server just finished, servers done so far, servers in all)
Progress = Callable[[FanoutItem, int, int], None]


def parse_param_args(items: Sequence[str]) -> dict[str, str]:
    """``--param k=v`` options as a dict; each name at most once.

    Raises:
        InvalidInput: an item without ``=`` or a repeated name.
    """
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InvalidInput(f"--param {item!r}: write NAME=VALUE")
        if name in out:
            raise InvalidInput(f"--param {name!r} is given twice")
        out[name] = value
    return out


class RunService:
    def __init__(
        self,
        *,
        engine: Engine,
        sessions: SessionFactory,
        clock: Clock,
        audit: AuditService,
        runner: ExecutionRunner,
        rails: GuardRails,
        max_parallel: int,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.clock = clock
        self.audit = audit
        self.runner = runner
        self.rails = rails
        self.max_parallel = max_parallel

    def dry_run(
        self, who: Principal, server: str, action: str, params: Mapping[str, str]
    ) -> RunPlan:
        """Every check a run makes, and the exact command; nothing runs or is written.

        Raises:
            PermissionDenied: no actions.run.
            NotFound: no such server or action.
            PolicyRefused: the action or server is disabled, or not assigned.
            InvalidInput: a parameter is refused.
        """
        return self._prepare_one(who, server, action, params).plan

    def run(
        self,
        who: Principal,
        server: str,
        action: str,
        params: Mapping[str, str],
        *,
        confirm: Confirm | None = None,
        reason: str = "",
    ) -> ExecutionRecord:
        """Check, confirm (anything but a get action), then execute with a record.

        Raises:
            everything ``dry_run`` raises; NotConfirmed; StoreError when the
            record could not be written (then nothing ran).
        """
        prepared = self._prepare_one(who, server, action, params)
        if prepared.plan.needs_confirmation and not (
            confirm and confirm(prepared.plan)
        ):
            raise NotConfirmed(
                f"{action} changes {server}: it needs a confirmation",
                hint="answer the prompt, or pass --yes",
            )
        return self._execute(prepared, reason)

    def plan_tag(
        self, who: Principal, tag: str, action: str, params: Mapping[str, str]
    ) -> FanoutPlan:
        """The plan for every server tagged ``tag`` (a dry run of ``run_tag``).

        Raises:
            PermissionDenied, NotFound (the action, or no server has the tag),
            and the first refusal when no server could run it.
        """
        return self._prepare_tag(who, tag, action, params).plan

    def run_tag(
        self,
        who: Principal,
        tag: str,
        action: str,
        params: Mapping[str, str],
        *,
        confirm: ConfirmFanout | None = None,
        progress: Progress | None = None,
        parallel: int = 8,
        reason: str = "",
    ) -> list[FanoutItem]:
        """Run on every server tagged ``tag``, at most ``parallel`` at a time.

        Servers that refuse (not assigned, disabled, a parameter their guard
        refuses) are reported, not run. ``progress`` is called in the
        caller's thread as each server finishes. Results are by server name.
        """
        if not 1 <= parallel <= self.max_parallel:
            raise InvalidInput(f"--parallel must be between 1 and {self.max_parallel}")
        fan = self._prepare_tag(who, tag, action, params)
        if fan.plan.needs_confirmation and not (confirm and confirm(fan.plan)):
            raise NotConfirmed(
                f"{action} changes {len(fan.prepared)} server(s) tagged {tag}: "
                "it needs a confirmation",
                hint="answer the prompt, or pass --yes",
            )
        total = len(fan.prepared) + len(fan.plan.refused)
        items: list[FanoutItem] = []

        def report(item: FanoutItem) -> None:
            items.append(item)
            if progress is not None:
                progress(item, len(items), total)

        for refusal in fan.plan.refused:
            report(FanoutItem(refusal.server, error=refusal.error.message))
        self._fan_out(fan.prepared, parallel, report, reason)
        return sorted(items, key=lambda i: i.server)

    def _fan_out(
        self,
        prepared: list[_Prepared],
        parallel: int,
        report: Callable[[FanoutItem], None],
        reason: str,
    ) -> None:
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="run") as pool:
            futures = [pool.submit(self._execute_item, p, reason) for p in prepared]
            try:
                for future in as_completed(futures):
                    report(future.result())
            except KeyboardInterrupt:
                # Ctrl-C starts no other server; those running finish and
                # are recorded (their commands' own deadlines bound that)
                for future in futures:
                    future.cancel()
                raise

    def _execute_item(self, prepared: _Prepared, reason: str) -> FanoutItem:
        try:
            return FanoutItem(prepared.plan.server, self._execute(prepared, reason))
        except SsopError as e:
            return FanoutItem(prepared.plan.server, error=e.message)

    def _execute(self, prepared: _Prepared, reason: str) -> ExecutionRecord:
        return self.runner.execute(
            prepared.server,
            prepared.spec,
            prepared.params,
            actor=prepared.actor,
            trigger=Trigger.MANUAL,
            reason=reason,
        )

    def _prepare_one(
        self, who: Principal, server: str, action: str, params: Mapping[str, str]
    ) -> _Prepared:
        try:
            with translate_errors(self.engine), self.sessions() as s, s.begin():
                actor = require_in(s, self.clock.now(), who, RUN).actor
                server_row = ServerRepo(s).get(server)
                row = ActionRepo(s).get(action)
                return self._prepare(s, actor, server_row, row, params)
        except SsopError as e:
            self._refused(who, f"{server}/{action}", e)
            raise

    def _prepare_tag(
        self, who: Principal, tag: str, action: str, params: Mapping[str, str]
    ) -> _Fanout:
        try:
            with translate_errors(self.engine), self.sessions() as s, s.begin():
                return self._plan_tag_in(s, who, tag, action, params)
        except SsopError as e:
            self._refused(who, f"tag:{tag}/{action}", e)
            raise

    def _plan_tag_in(
        self,
        s: Session,
        who: Principal,
        tag: str,
        action: str,
        params: Mapping[str, str],
    ) -> _Fanout:
        actor = require_in(s, self.clock.now(), who, RUN).actor
        row = ActionRepo(s).get(action)
        servers = ServerRepo(s).list(tag=tag)
        if not servers:
            raise NotFound(f"no server has the tag {tag!r}")
        prepared, refused = [], []
        for server in servers:
            try:
                prepared.append(self._prepare(s, actor, server, row, params))
            except SsopError as e:
                refused.append(Refusal(server.name, e))
        if not prepared:
            raise refused[0].error
        plans = tuple(p.plan for p in prepared)
        return _Fanout(FanoutPlan(tag, action, plans, tuple(refused)), prepared)

    def _prepare(
        self,
        s: Session,
        actor: str,
        server: Server,
        row: Action,
        raw: Mapping[str, str],
    ) -> _Prepared:
        _check_runnable(s, server, row)
        spec = spec_of(row)
        params = validate_params(spec, raw, self.guard_config(server))
        rendered = self.runner.render(server, spec, params)
        plan = RunPlan(
            server=server.name,
            action=spec.name,
            type=spec.type,
            risk=spec.risk,
            params=params.as_strings(),
            command=rendered.text,
            timeout_s=spec.timeout_s,
        )
        return _Prepared(plan, server, spec, params, actor)

    def guard_config(self, server: Server) -> GuardConfig:
        """Guard rails for ``server``: settings plus every address of ours."""
        return self.rails.for_server(server)

    def _refused(self, who: Principal, target: str, error: SsopError) -> None:
        log.info("run %s refused for %s: %s", target, who.actor, error.message)
        # a parameter refused here was refused by its type or a guard rail
        guarded = AuditOutcome.REFUSED if isinstance(error, InvalidInput) else None
        record_refusal(
            self.sessions, self.clock, who.actor, "run.refused", target, error, guarded
        )


def _check_runnable(s: Session, server: Server, row: Action) -> None:
    if not server.enabled:
        raise PolicyRefused(
            f"server {server.name} is disabled",
            hint=f"see: ssop server show {server.name}",
        )
    if not row.enabled:
        raise PolicyRefused(
            f"action {row.name} is disabled",
            hint=f"enable it: ssop action enable {row.name}",
        )
    if AssignmentRepo(s).find(server.id or 0, row.id or 0) is None:
        raise PolicyRefused(
            f"action {row.name} is not assigned to {server.name}",
            hint=f"assign it: ssop action assign {server.name} {row.name}",
        )
