"""The typer application, its console and the error-handling wrapper every command shares."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from peuplement._errors import PeuplementError

__all__ = ["add_row", "app", "command", "console", "err_console", "fail", "say", "table"]

app = typer.Typer(
    help="peuplement : équilibre territorial du parc social (communes, QPV, bailleurs, attributions).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Data (names, paths) may contain square brackets: nothing printed is read as rich markup
# unless a command builds a Text with explicit styles.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

_STATE = {"debug": False}

P = ParamSpec("P")
R = TypeVar("R")


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
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


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
    name = f"« {exc.filename} »" if exc.filename else "un fichier"
    if isinstance(exc, FileNotFoundError):
        return f"{name} n'existe pas. Vérifiez le chemin donné en option."
    if isinstance(exc, IsADirectoryError):
        return f"{name} est un dossier ; un fichier est attendu."
    if isinstance(exc, NotADirectoryError):
        return f"{name} : un dossier est attendu, c'est un fichier."
    if isinstance(exc, PermissionError):
        return f"{name} : accès refusé. Vérifiez les droits ou choisissez un autre chemin."
    return f"{name} : erreur du système de fichiers ({exc.strerror or exc})."


def command(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so that it ends on a French message and an exit code, never a traceback.

    Exit codes: 0 success, 2 bad input or option (the message says what and where), 3
    unexpected error (the message asks to rerun with ``--debug`` and report it).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
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
