"""Help screens that read like the rest of the CLI.

Typer prints a type after every parameter (``--debug <bool>``,
``--tag <list[str]>``) and wraps required arguments in braces in usage
lines (``ssop server show [OPTIONS] {name}``). Every command module builds
its Typer app with ``CommandApp``: flags then show no type, repeatable
parameters show their element's type, and usage lines name arguments the
way Click does (``NAME``, ``[NAME]``, ``SERVERS...``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, get_args

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

if TYPE_CHECKING:
    # the Click that typer vendors, whose Context its hooks are typed with
    from typer._click import Context


def _element_type(annotation: Any) -> str:
    (element,) = get_args(annotation) or (str,)
    return f"<{getattr(element, '__name__', element)}>"


class PlainArgument(TyperArgument):
    """An argument named ``NAME`` (required) or ``[NAME]``, never ``{name}``."""

    @property
    def display_name_raw(self) -> str:
        return self.metavar or (self.name or "").upper()

    def display_type_rich(self, ctx: Context) -> str | None:
        if self.type_descriptor.is_list:
            return _element_type(self.type_descriptor.annotation)
        return super().display_type_rich(ctx)

    def _usage_display_name(self) -> str:
        name = self._rich_display_name()
        if self.required:
            return name
        return f"[{name[:-3]}]..." if name.endswith("...") else f"[{name}]"


class PlainOption(TyperOption):
    """An option whose type is shown only when it takes a value."""

    def display_type_rich(self, ctx: Context) -> str | None:
        if self.metavar is not None:
            return self.metavar
        if self.is_flag or self.count:
            return None
        if self.type_descriptor.is_list:
            return _element_type(self.type_descriptor.annotation)
        return super().display_type_rich(ctx)


def _adopt(params: Sequence[Any]) -> None:
    # Typer builds its own parameter classes and takes no factory for them;
    # these subclasses only change how a parameter is shown, so re-classing
    # the instances Typer made is safe
    for param in params:
        if type(param) is TyperArgument:
            param.__class__ = PlainArgument
        elif type(param) is TyperOption:
            param.__class__ = PlainOption


class UsageCommand(TyperCommand):
    """A command whose help shows parameters the plain way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _adopt(self.params)

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        _adopt([option])
        return option


class UsageGroup(TyperGroup):
    """A group whose help shows its options the plain way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _adopt(self.params)

    def get_params(self, ctx: Context) -> list[Any]:
        # Typer appends --install-completion and --show-completion to the
        # root group's parameters after the group is made
        params: list[Any] = super().get_params(ctx)
        _adopt(params)
        return params

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        _adopt([option])
        return option


class CommandApp(typer.Typer):
    """A Typer app whose groups and commands have plain help screens."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", UsageGroup)
        super().__init__(**kwargs)

    def command(  # type: ignore[override]
        self, name: str | None = None, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        kwargs.setdefault("cls", UsageCommand)
        return super().command(name, **kwargs)
