"""French messages for command-line usage errors (unknown option or command, missing value).

Click writes these in English, with no catalogue to translate them. The ``peuplement``
command runs the application in non-standalone mode and says them in French here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

import typer

from peuplement.cli._app import app

try:  # typer 0.2x carries its own copy of click: its errors are those of that copy
    from typer._click import exceptions as ce
except ImportError:  # pragma: no cover - older typer, on click itself
    from click import exceptions as ce  # type: ignore[no-redef]

__all__ = ["main", "usage_message"]


def _hint(error: ce.UsageError) -> str:
    ctx = error.ctx
    path = ctx.command_path if ctx is not None else "peuplement"
    return f"Aide : {path} --help"


def _name(error: ce.MissingParameter | ce.BadParameter) -> str:
    """Name of the parameter at fault: its options (``--annee``), or the argument's name."""
    if isinstance(error.param_hint, str):
        return error.param_hint
    param = error.param
    if param is None:
        return "un paramètre"
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    return " / ".join(opts) or (param.name or "un paramètre").upper()


def usage_message(error: ce.UsageError) -> str:
    r"""Return the French message of a usage error.

    Parameters
    ----------
    error
        The error click raised.

    Returns
    -------
    str
        What was wrong and where to find help.

    Examples
    --------
    >>> usage_message(ce.NoSuchOption("--foo", possibilities=["--out"]))
    'Option inconnue : --foo (options proches : --out).\nAide : peuplement --help'
    """
    if isinstance(error, ce.NoSuchOption):
        close = sorted(error.possibilities or ())
        near = f" (options proches : {', '.join(close)})" if close else ""
        text = f"Option inconnue : {error.option_name}{near}."
    elif isinstance(error, ce.MissingParameter):
        argument = getattr(error.param, "param_type_name", "") == "argument"
        what = "Argument manquant" if argument else "Valeur manquante"
        text = f"{what} : {_name(error)}."
    elif isinstance(error, ce.BadParameter):
        text = f"Valeur invalide pour {_name(error)} : {error.message}"
    elif isinstance(error, ce.BadOptionUsage):
        # "Option '--x' requires an argument." and the like.
        match = re.search(r"'([^']+)'", error.message)
        name = match.group(1) if match else error.option_name
        text = f"L'option {name} attend une valeur."
    else:
        message = error.message
        if m := re.match(r"No such command '([^']+)'", message):
            text = f"Commande inconnue : « {m.group(1)} »."
        elif m := re.match(r"Got unexpected extra argument.*\((.*)\)", message):
            text = f"Argument(s) en trop : {m.group(1)}."
        elif message.startswith("Missing command"):
            text = "Commande manquante."
        else:
            text = message
    return f"{text}\n{_hint(error)}"


def main(args: Sequence[str] | None = None) -> None:
    """Run the ``peuplement`` command, usage errors said in French.

    Parameters
    ----------
    args
        Command-line arguments (``sys.argv[1:]`` by default).
    """
    try:
        code = app(
            args=list(args) if args is not None else None,
            prog_name="peuplement",
            standalone_mode=False,
        )
    except ce.UsageError as error:
        typer.echo(f"Erreur : {usage_message(error)}", err=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        typer.echo("Interrompu.", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
