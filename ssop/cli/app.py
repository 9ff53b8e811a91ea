"""The ``ssop`` Typer app: global options, the command table, and the error funnel.

Every error reaches the user through ``funnel``: ssop's own errors as one
``ssop: error: ...`` line on stderr with their exit code, Ctrl-C as 130, and
anything unexpected as one line pointing at the log (``--debug`` re-raises).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from ssop import __version__
from ssop.cli.groups import COMMANDS
from ssop.cli.lazy import LazyGroup
from ssop.cli.state import CliState
from ssop.core.errors import ExitCode, SsopError

log = logging.getLogger(__name__)


class FunnelGroup(LazyGroup):
    """Runs every invocation, CliRunner's included, through the error funnel."""

    table = COMMANDS

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)

        def invoke() -> Any:
            return super(FunnelGroup, self).main(
                argv, prog_name, complete_var, standalone_mode=False, **extra
            )

        code = funnel(invoke, debug="--debug" in argv)
        if standalone_mode:
            sys.exit(code)
        return code


def funnel(invoke: Callable[[], Any], *, debug: bool) -> int:
    try:
        result = invoke()
    except SsopError as e:
        if debug:
            raise
        _error_line(e.message, e.hint)
        return int(e.exit_code)
    except typer.Abort as e:
        if isinstance(e.__context__, KeyboardInterrupt):
            return int(ExitCode.INTERRUPTED)
        _error_line("aborted")
        return int(ExitCode.ERROR)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    except typer.TyperException as e:  # usage errors of the vendored click
        show = getattr(e, "show", None)
        if callable(show):
            show()
        else:
            _error_line(e.format_message())
        return int(e.exit_code)
    except Exception:
        if debug:
            raise
        log.exception("internal error")
        _error_line("internal error (details in log; rerun with --debug)")
        return int(ExitCode.ERROR)
    return result if isinstance(result, int) else int(ExitCode.OK)


def _error_line(message: str, hint: str | None = None) -> None:
    from ssop.core.logsetup import redact_credentials as redact

    # the last wall: a message quoting a URL or a token must not show its secret
    typer.echo(f"ssop: error: {redact(message)}", err=True)
    if hint:
        typer.echo(f"ssop: hint: {redact(hint)}", err=True)


app = typer.Typer(
    cls=FunnelGroup,
    name="ssop",
    help="Smart System Operator: watch a Linux fleet, analyse it, "
    "fix what policy allows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion, --show-completion
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ssop {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Config file (else SSOP_CONFIG, ...)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True)] = 0,
    version: Annotated[
        bool | None,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show version."
        ),
    ] = None,
) -> None:
    ctx.obj = CliState(config_path=config, debug=debug, verbose=verbose)
    ctx.call_on_close(ctx.obj.close)
