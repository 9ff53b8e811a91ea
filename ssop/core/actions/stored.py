"""Catalogue rows and specs: what a stored action means, built-ins kept current."""

from __future__ import annotations

from sqlmodel import Session

from ssop.core.actions.builtin import BUILTINS_BY_NAME
from ssop.core.actions.spec import ActionSpec
from ssop.core.actions.toml_spec import spec_from_dict, spec_to_dict
from ssop.core.models import Action
from ssop.core.store.action_repo import ActionRepo


def spec_of(row: Action) -> ActionSpec:
    """The validated spec of a stored action.

    Built-ins always come from code, never from the stored JSON, so an edited
    row cannot change what a built-in runs.
    """
    if row.builtin:
        return BUILTINS_BY_NAME[row.name]
    return spec_from_dict(row.spec)


def row_values(spec: ActionSpec) -> dict[str, object]:
    return {
        "description": spec.description,
        "type": spec.type.value,
        "risk": spec.risk.value,
        "timeout_s": spec.timeout_s,
        "spec": spec_to_dict(spec),
        "builtin": spec.builtin,
    }


def save_spec(repo: ActionRepo, spec: ActionSpec, row: Action | None = None) -> Action:
    """Store ``spec`` as a new row, or over ``row``."""
    row = row or Action(name=spec.name, type=spec.type.value, risk=spec.risk.value)
    for key, value in row_values(spec).items():
        setattr(row, key, value)
    return repo.save(row)


def sync_builtins(session: Session) -> int:
    """Insert or refresh every built-in; returns how many rows changed."""
    repo = ActionRepo(session)
    changed = 0
    for spec in BUILTINS_BY_NAME.values():
        row = repo.find(spec.name)
        if row is not None and all(
            getattr(row, k) == v for k, v in row_values(spec).items()
        ):
            continue
        save_spec(repo, spec, row)
        changed += 1
    return changed
