"""``ssop approvals list|show|request``, ``ssop approve`` and ``ssop reject``.

``approve`` records the decision; the daemon's execute_approved step runs
the request (``ssop daemon --once`` does it on a host without a daemon).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import typer

from ssop.cli import render
from ssop.cli.state import state
from ssop.cli.usage import CommandApp
from ssop.core.policy.states import RequestStatus

if TYPE_CHECKING:
    from ssop.core.policy.request_view import RequestView

app = CommandApp(no_args_is_help=True)
approvals = CommandApp(
    help="List, show and make approval requests.", no_args_is_help=True
)
app.add_typer(approvals, name="approvals")

OPEN = (RequestStatus.PENDING_APPROVAL.value, RequestStatus.APPROVED.value)


@approvals.command("list")
def list_requests(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status", help="Repeatable; 'all' for every status (default: open)."
        ),
    ] = None,
    include_auto: Annotated[
        bool, typer.Option("--auto", help="Include automatic runs.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    fmt: render.FormatOption = render.Format.TABLE,
    out: render.OutputOpt = None,
) -> None:
    """Requests, newest first: pending and approved ones unless --status says."""
    st = state(ctx)
    wanted = () if status and "all" in status else tuple(status or OPEN)
    views = st.store().approvals.list(st.principal(), wanted, limit, include_auto)
    columns = [
        "id",
        "status",
        "server",
        "action",
        "params",
        "risk",
        "gate",
        "requested_by",
        "expires",
    ]
    data = [
        [
            v.id,
            v.status,
            v.server,
            v.action,
            _params(v.params),
            v.effective_risk,
            v.gate,
            v.requested_by,
            v.expires_at,
        ]
        for v in views
    ]
    render.rows(columns, data, fmt, out=out)


@approvals.command("show")
def show(
    ctx: typer.Context, request_id: int, fmt: render.FormatOption = render.Format.TABLE
) -> None:
    """Everything pinned on a request: the exact command, the evidence, its fate."""
    st = state(ctx)
    view = st.store().approvals.show(st.principal(), request_id)
    render.mapping(_details(view), fmt)


@approvals.command("request")
def request(
    ctx: typer.Context,
    server: str,
    action: str,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="NAME=VALUE (repeat).")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Kept on the request.")] = "",
) -> None:
    """Ask for ACTION on SERVER to be approved, then run by the daemon.

    Needs actions.run.

    With policy.four_eyes, someone else must approve a request at or above
    policy.four_eyes_min_risk.
    """
    from ssop.core.execution.manual_runs import parse_param_args

    st = state(ctx)
    params = parse_param_args(param or ())
    view = st.store().approvals.request(st.principal(), server, action, params, reason)
    who = "another user with approvals.decide" if view.four_eyes else "approvals.decide"
    render.ok(
        f"requested #{view.id}: {view.action} on {view.server} "
        f"({view.effective_risk} risk); it waits for {who}: ssop approve {view.id}"
    )


@app.command("approve")
def approve(
    ctx: typer.Context,
    request_id: int,
    comment: Annotated[str, typer.Option("--comment")] = "",
) -> None:
    """Approve a pending request (needs approvals.decide); the daemon runs it."""
    st = state(ctx)
    view = st.store().approvals.approve(st.principal(), request_id, comment)
    render.ok(
        f"approved request #{view.id}: {view.action} on {view.server}; "
        "it runs on the daemon's next execute_approved step"
    )


@app.command("reject")
def reject(
    ctx: typer.Context,
    request_id: int,
    reason: Annotated[str, typer.Option("--reason", help="Why; kept on the request.")],
) -> None:
    """Reject a pending or approved (not yet running) request."""
    st = state(ctx)
    view = st.store().approvals.reject(st.principal(), request_id, reason)
    render.ok(f"rejected request #{view.id}: {view.action} on {view.server}")


def _params(params: Mapping[str, str]) -> dict[str, str]:
    return dict(sorted(params.items()))


def _details(v: RequestView) -> dict[str, object]:
    return {
        "id": v.id,
        "status": v.status,
        "trigger": v.trigger,
        "server": v.server,
        "action": v.action,
        "params": _params(v.params),
        "command": v.command,
        "effective_risk": v.effective_risk,
        "confidence": v.confidence,
        "gate": v.gate,
        "analysis": v.analysis_id,
        "recommendation": v.recommendation_id,
        "reasoning": v.reasoning,
        "evidence": dict(v.evidence),
        "requested_by": v.requested_by,
        "created": v.created_at,
        "expires": v.expires_at,
        "decided_by": v.decided_by,
        "decided": v.decided_at,
        "comment": v.comment,
        "closed_reason": v.closed_reason,
        "execution": v.execution_id,
    }
