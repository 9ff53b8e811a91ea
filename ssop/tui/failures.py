"""Sort a worker's failure: the store went away, or the core refused."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from ssop.core.errors import QueueUnavailable, SsopError, StoreError


@dataclass(frozen=True)
class Failure:
    message: str
    # True when the store (or Redis) is unreachable: shown as the banner,
    # which clears on the next successful load
    lost: bool


def classify(error: BaseException) -> Failure | None:
    """A Failure for the errors a screen can explain; None for a bug."""
    if isinstance(error, StoreError | QueueUnavailable):
        return Failure(error.message, lost=True)
    if isinstance(error, SsopError):
        text = error.message + (f" ({error.hint})" if error.hint else "")
        return Failure(text, lost=False)
    if isinstance(error, SQLAlchemyError):
        # Services that do not translate driver errors let these through
        first = str(getattr(error, "orig", None) or error)
        return Failure(f"store unreachable: {first.splitlines()[0][:120]}", lost=True)
    return None
