"""The typer application, its console and the error-handling wrapper every command shares."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer import rich_utils
from typer.core import TyperCommand, TyperGroup, TyperOption

from peuplement._errors import PeuplementError, cli_options, os_reason

try:  # typer 0.2x carries its own copy of click
    from typer import _click as click
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer, on click itself
    import click  # type: ignore[no-redef]
    from click import get_current_context  # type: ignore[no-redef]

__all__ = [
    "FrenchCommand",
    "FrenchGroup",
    "add_row",
    "app",
    "command",
    "console",
    "err_console",
    "fail",
    "french_help",
    "get_current_context",
    "say",
    "table",
]

#: Text of ``--help`` in every help page.
HELP_OPTION_TEXT = "Affiche cette aide et quitte."
#: First words of the usage line.
USAGE_PREFIX = "Utilisation : "

# typer's rich help reads these module-level texts at each rendering. click and typer ship
# no French catalogue (their gettext calls have no translation to find), so the texts a
# help page shows besides ours are set here, once, for the ``peuplement`` command.
_RICH_TEXTS = {
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commandes",
    "ERRORS_PANEL_TITLE": "Erreur",
    "DEFAULT_STRING": "[défaut : {}]",
    "REQUIRED_LONG_STRING": "[obligatoire]",
    "ENVVAR_STRING": "[variable d'environnement : {}]",
    "DEPRECATED_STRING": "(obsolète) ",
    "ABORTED_TEXT": "Interrompu.",
    "RICH_HELP": "Aide : [blue]{command_path} {help_option}[/]",
}
# A typer that renamed one of them keeps its English text there, and the command still
# works: tests/test_cli_usage.py checks the help pages and fails on any English left.
for _name, _text in _RICH_TEXTS.items():
    if hasattr(rich_utils, _name):
        setattr(rich_utils, _name, _text)


def _french_option(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.help = HELP_OPTION_TEXT
    return option


def _write_usage(
    command: click.Command, ctx: click.Context, formatter: click.HelpFormatter
) -> None:
    pieces = " ".join(command.collect_usage_pieces(ctx))
    formatter.write_usage(ctx.command_path, pieces, prefix=USAGE_PREFIX)


#: What an option's value is, said in French in the help (typer shows the Python type);
#: a flag takes no value, so it shows none.
VALUE_KINDS = {"<int>": "<entier>", "<float>": "<nombre>", "<str>": "<texte>", "<path>": "<chemin>"}


def _french_kinds(command: click.Command, ctx: click.Context) -> None:
    """Give each option of ``command`` the French name of its kind of value (its metavar).

    An option's metavar is what the help shows as its kind of value; typer leaves it unset
    and shows the Python type. A metavar set by a command's own option is kept.
    """
    for param in command.get_params(ctx):
        # display_type is typer 0.2x's; an older typer keeps click's own metavars.
        display = getattr(param, "display_type", None)
        if isinstance(param, TyperOption) and param.metavar is None and callable(display):
            shown = str(display(ctx))
            param.metavar = "" if param.is_flag else VALUE_KINDS.get(shown, shown)


class _FrenchHelp(click.Command):
    """The help page of a command or group in French: usage line, ``--help``, value kinds.

    A mixin placed before typer's class: its ``super()`` calls reach typer's methods.
    """

    def get_help_option(self, ctx: click.Context) -> TyperOption | None:
        """Return the ``--help`` option, with its text in French."""
        return _french_option(super().get_help_option(ctx))

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the usage line, in French."""
        _write_usage(self, ctx, formatter)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the help page, the kinds of values in French."""
        _french_kinds(self, ctx)
        super().format_help(ctx, formatter)


class FrenchCommand(_FrenchHelp, TyperCommand):
    """A typer command whose help page says its usage line and ``--help`` in French.

    The help text (the command's docstring) is given as paragraphs: the line breaks of
    the source inside a paragraph are joined, so that the help page wraps the text to the
    terminal's width instead of breaking it twice.
    """

    def __init__(self, name: str | None, **attrs: Any) -> None:
        help_text = attrs.get("help")
        if isinstance(help_text, str):
            attrs["help"] = re.sub(r"(?<=\S)\n(?=\S)", " ", help_text)
        super().__init__(name, **attrs)


class FrenchGroup(_FrenchHelp, TyperGroup):
    """The typer group of ``peuplement``: usage line, ``--help`` and metavars in French."""

    def __init__(self, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]
        self.subcommand_metavar = "COMMANDE [ARGUMENTS]..."


app = typer.Typer(
    cls=FrenchGroup,
    help="peuplement : équilibre territorial du parc social (communes, QPV, bailleurs, attributions).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def french_help(application: typer.Typer) -> None:
    """Give every command registered on ``application`` its help page in French.

    Called once the command modules have registered themselves (``peuplement.cli``): typer
    builds the click commands at each run, from these registrations.

    Parameters
    ----------
    application
        The typer application.
    """
    for info in application.registered_commands:
        if info.cls in (None, TyperCommand):  # typer's default, given at registration
            info.cls = FrenchCommand


# Data (names, paths) may contain square brackets: nothing printed is read as rich markup
# unless a command builds a Text with explicit styles.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

_STATE = {"debug": False}

P = ParamSpec("P")
R = TypeVar("R")


class _FrenchLevels(logging.Formatter):
    """Log lines with the level said in French (« AVERTISSEMENT »), for ``--verbose``."""

    LEVELS = {"WARNING": "AVERTISSEMENT", "ERROR": "ERREUR", "CRITICAL": "CRITIQUE"}

    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)  # the handlers after us see the original
        record.levelname = self.LEVELS.get(record.levelname, record.levelname)
        return super().format(record)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Journal détaillé.")] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="En cas d'erreur, affiche aussi la trace Python (pour un signalement)."
        ),
    ] = False,
) -> None:
    _STATE["debug"] = debug
    handler = logging.StreamHandler()
    handler.setFormatter(_FrenchLevels("%(levelname)s %(name)s : %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


def say(message: str, *, style: str | None = None) -> None:
    """Print ``message`` as plain text (never as markup), optionally in one style.

    Lines are not wrapped (``soft_wrap``): paths and file names stay whole, to copy.
    """
    console.print(Text(message, style=style or ""), soft_wrap=True)


def table(title: str, **options: object) -> Table:
    """Make a rich table whose title is plain text (data in titles is never read as markup)."""
    return Table(title=Text(title), **options)  # type: ignore[arg-type]


def add_row(grid: Table, *cells: object) -> None:
    """Add a row of plain-text cells (a :class:`~rich.text.Text` keeps its own styles)."""
    grid.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in cells))


def fail(message: str, *, code: int = 2) -> typer.Exit:
    """Print a French error message on stderr and return the exit to raise."""
    err_console.print(Text("Erreur : ", style="bold red") + Text(message), soft_wrap=True)
    return typer.Exit(code=code)


def _os_message(exc: OSError) -> str:
    """Say in French what went wrong with a file: never the English text of the system."""
    name = f"« {exc.filename} »" if exc.filename else "un fichier"
    if isinstance(exc, FileNotFoundError):
        return f"{name} n'existe pas. Vérifiez le chemin donné en option."
    if isinstance(exc, IsADirectoryError):
        return f"{name} est un dossier ; un fichier est attendu."
    if isinstance(exc, NotADirectoryError):
        return f"{name} : un dossier est attendu, c'est un fichier."
    if isinstance(exc, PermissionError):
        return f"{name} : accès refusé. Vérifiez les droits ou choisissez un autre chemin."
    return f"{name} : {os_reason(exc)}. Vérifiez le chemin, ou choisissez-en un autre."


def _options() -> list[str]:
    """The options of the command running and of ``peuplement`` itself (``--debug``)."""
    options: list[str] = []
    ctx = get_current_context(silent=True)
    while ctx is not None:
        options += [o for p in ctx.command.params for o in (*p.opts, *p.secondary_opts)]
        ctx = ctx.parent
    return options


def command(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that it ends on a French message and an exit code, never a traceback.

    Exit codes: 0 success, 2 bad input or option (the message says what and where), 3
    unexpected error (the message asks to rerun with ``--debug`` and report it). While the
    command runs, messages say what to do with its own options (:func:`cli_options`),
    not with Python arguments.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with cli_options(_options()):
                return func(*args, **kwargs)
        except typer.Exit:
            raise
        except PeuplementError as exc:
            if _STATE["debug"]:
                raise
            raise fail(str(exc)) from exc
        except OSError as exc:
            if _STATE["debug"]:
                raise
            raise fail(_os_message(exc)) from exc
        except Exception as exc:
            # Last resort at the process boundary: a bug must still end on a French message.
            if _STATE["debug"]:
                raise
            raise fail(
                f"erreur inattendue ({type(exc).__name__} : {exc}). Relancez la commande avec "
                "--debug pour la trace technique et signalez-la aux développeurs de peuplement.",
                code=3,
            ) from exc

    return wrapper
