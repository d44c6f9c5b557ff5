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


def _hint(error: ce.UsageError, args: Sequence[str] = ()) -> str:
    ctx = error.ctx
    if ctx is not None:
        path = ctx.command_path
    else:  # an error of the option parser carries no context: the command is in the arguments
        names = getattr(typer.main.get_command(app), "commands", {})
        command = next((a for a in args if a in names), None)
        path = f"peuplement {command}" if command else "peuplement"
    return f"Aide : {path} --help"


#: What a value must be, by the kind of the validation error typer reports (pydantic's).
_EXPECTED = {
    "int": "un nombre entier est attendu",
    "float": "un nombre est attendu (point décimal : 0.25)",
    "bool": "oui ou non est attendu (true / false, 1 / 0)",
    "enum": "l'une des valeurs proposées est attendue",
    "literal": "l'une des valeurs proposées est attendue",
    "path": "un chemin de fichier est attendu",
    "date": "une date AAAA-MM-JJ est attendue",
}


def _bad_value(error: ce.BadParameter) -> str:
    """Say in French what was wrong with a value typer could not convert."""
    errors = getattr(error.__cause__, "errors", None)  # pydantic's ValidationError
    details = errors() if callable(errors) else []
    if not details:
        return "valeur de forme inattendue."
    first = details[0]
    kind = str(first.get("type", "")).split("_")[0]
    expected = _EXPECTED.get(kind, "valeur de forme inattendue")
    allowed = (first.get("ctx") or {}).get("expected")
    more = f" ({allowed})" if allowed else ""
    return f"« {first.get('input')} » : {expected}{more}."


def _name(error: ce.MissingParameter | ce.BadParameter) -> str:
    """Name of the parameter at fault: its options (``--annee``), or the argument's name."""
    if isinstance(error.param_hint, str):
        return error.param_hint
    param = error.param
    if param is None:
        return "un paramètre"
    opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    return " / ".join(opts) or (param.name or "un paramètre").upper()


def usage_message(error: ce.UsageError, args: Sequence[str] = ()) -> str:
    r"""Return the French message of a usage error.

    Parameters
    ----------
    error
        The error click raised.
    args
        The command line's arguments, to name the command in the help hint when the error
        does not (errors of the option parser).

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
        text = f"Valeur invalide pour {_name(error)} : {_bad_value(error)}"
    elif isinstance(error, ce.BadOptionUsage):
        match = re.search(r"'([^']+)'", error.message)
        name = match.group(1) if match else error.option_name
        if "does not take a value" in error.message:
            text = f"L'option {name} ne prend pas de valeur : écrivez {name} seule."
        else:  # "Option '--x' requires an argument."
            text = f"L'option {name} attend une valeur."
    elif isinstance(error, ce.BadArgumentUsage):
        text = f"Arguments incorrects : nombre de valeurs inattendu ({error.message})."
    else:
        message = error.message
        if m := re.match(r"No such command '([^']+)'", message):
            text = f"Commande inconnue : « {m.group(1)} »."
        elif m := re.match(r"Got unexpected extra argument.*\((.*)\)", message):
            text = f"Argument(s) en trop : {m.group(1)}."
        elif message.startswith("Missing command"):
            text = "Commande manquante."
        else:  # a case click adds later: said as a usage error, its own words in brackets
            text = f"Ligne de commande incorrecte ({message})."
    return f"{text}\n{_hint(error, args)}"


def main(args: Sequence[str] | None = None) -> None:
    """Run the ``peuplement`` command, usage errors said in French.

    Parameters
    ----------
    args
        Command-line arguments (``sys.argv[1:]`` by default).
    """
    arguments = list(args) if args is not None else sys.argv[1:]
    try:
        code = app(args=arguments, prog_name="peuplement", standalone_mode=False)
    except ce.UsageError as error:
        typer.echo(f"Erreur : {usage_message(error, arguments)}", err=True)
        sys.exit(error.exit_code)
    except typer.Abort:
        typer.echo("Interrompu.", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
