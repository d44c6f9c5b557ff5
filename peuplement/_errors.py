"""Exceptions raised by peuplement.

Every error subclasses :class:`PeuplementError`, itself a :class:`ValueError`, so
callers can catch bad input with one ``except`` clause. Messages say what is wrong,
where (file, column, rows), what was found and how to fix it.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar

__all__ = [
    "ENV_DATA_DIR",
    "CRSError",
    "DataNotFoundError",
    "PeuplementError",
    "SchemaError",
    "cli_options",
    "data_dir_hint",
    "hint",
    "in_cli",
    "missing_columns",
    "option_hint",
    "os_reason",
    "reason",
    "preview",
]


#: The environment variable that names the reference-data directory.
ENV_DATA_DIR = "PEUPLEMENT_DATA_DIR"

# The options of the ``peuplement`` command running now, or None when peuplement is used
# from Python: a message says what to do the way its reader can do it (an option of the
# command typed, or an argument of the function called).
_CLI_OPTIONS: ContextVar[frozenset[str] | None] = ContextVar("peuplement_cli", default=None)


@contextlib.contextmanager
def cli_options(options: Iterable[str]) -> Iterator[None]:
    """Mark the block as run by a ``peuplement`` command that has ``options``.

    Parameters
    ----------
    options
        The command's options (``--epci``, ``--data-dir``…), with the global ones.

    Examples
    --------
    >>> with cli_options(["--qpv"]):
    ...     option_hint("--qpv", "passez --qpv FICHIER", python="load_qpv(chemin)", otherwise="")
    'passez --qpv FICHIER'
    """
    token = _CLI_OPTIONS.set(frozenset(options))
    try:
        yield
    finally:
        _CLI_OPTIONS.reset(token)


def in_cli() -> bool:
    """Return ``True`` when a ``peuplement`` command runs (not a Python call)."""
    return _CLI_OPTIONS.get() is not None


def hint(*, python: str, cli: str) -> str:
    """Return what to do, said for the command line or for Python, as peuplement runs.

    Examples
    --------
    >>> hint(python="passez columns={...}", cli="renommez la colonne")
    'passez columns={...}'
    """
    return cli if in_cli() else python


def option_hint(option: str, cli: str, *, python: str, otherwise: str) -> str:
    """Return ``cli`` if the command running has ``option``; ``python`` outside the CLI.

    A hint never names an option the command lacks: a command without ``option`` gets
    ``otherwise``.

    Examples
    --------
    >>> option_hint("--qpv", "passez --qpv FICHIER", python="load_qpv(chemin)", otherwise="x")
    'load_qpv(chemin)'
    """
    options = _CLI_OPTIONS.get()
    if options is None:
        return python
    return cli if option in options else otherwise


def data_dir_hint() -> str:
    """Say how to give the reference-data directory, as peuplement runs.

    Examples
    --------
    >>> data_dir_hint()
    "l'argument data_dir ou la variable d'environnement PEUPLEMENT_DATA_DIR"
    """
    return option_hint(
        "--data-dir",
        f"--data-dir ou la variable d'environnement {ENV_DATA_DIR}",
        python=f"l'argument data_dir ou la variable d'environnement {ENV_DATA_DIR}",
        otherwise=f"la variable d'environnement {ENV_DATA_DIR}",
    )


class PeuplementError(ValueError):
    """Base class of every error raised by peuplement on bad input."""


class SchemaError(PeuplementError):
    """A table lacks a mandatory column, or a column has values of the wrong kind."""


class CRSError(PeuplementError):
    """A layer has a missing, geographic or inconsistent coordinate reference system."""


class DataNotFoundError(PeuplementError, FileNotFoundError):
    """A reference file is missing; the message names it and where to get it."""


def preview(values: Iterable[object], limit: int = 5) -> str:
    """Format up to ``limit`` values for an error message, with the total count.

    Examples
    --------
    >>> preview(["a", "b", "c"], limit=2)
    "['a', 'b', …] (3 en tout)"
    """
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    more = ", …" if len(items) > limit else ""
    return f"[{shown}{more}] ({len(items)} en tout)"


def missing_columns(
    who: str,
    missing: Sequence[str],
    found: Iterable[object],
    *,
    table: str = "la table",
    fix: str | None = None,
) -> SchemaError:
    """Return the French error of a table that lacks columns a function needs.

    Parameters
    ----------
    who
        The function (or command) that needs the columns.
    missing
        The columns missing, in the order the function needs them.
    found
        The table's columns.
    table
        How to name the table in the message (the argument's name, ``la table stock``).
    fix
        What to do, one sentence; by default, rename the column (in the file, from the
        command line; or pass the name of a column present, from Python).

    Returns
    -------
    SchemaError
        The error to raise.

    Examples
    --------
    >>> str(missing_columns("rotation_rate", ["nb_lls"], ["code_insee"], table="la table stock"))
    "rotation_rate : la table stock n'a pas la colonne `nb_lls` ; colonnes trouvées : ['code_insee'] (1 en tout). Renommez la colonne, ou passez en argument le nom d'une colonne présente."
    """
    if fix is None:
        fix = hint(
            python="Renommez la colonne, ou passez en argument le nom d'une colonne présente.",
            cli="Renommez la colonne dans le fichier (en-tête de la première ligne).",
        )
    names = ", ".join(f"`{c}`" for c in missing)
    what = "les colonnes" if len(missing) > 1 else "la colonne"
    return SchemaError(
        f"{who} : {table} n'a pas {what} {names} ; colonnes trouvées : {preview(found)}. {fix}"
    )


#: The reason of a system error, said in French: Python's text of an OSError (``strerror``)
#: is the C library's, in English, and must not reach a person.
OS_REASONS = {
    errno.ENOENT: "aucun fichier ou dossier de ce nom",
    errno.EACCES: "accès refusé (droits insuffisants)",
    errno.EPERM: "opération non permise (droits insuffisants)",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EDQUOT: "quota de disque dépassé",
    errno.ENOTDIR: "une partie du chemin est un fichier, pas un dossier",
    errno.EISDIR: "c'est un dossier, un fichier est attendu",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.EEXIST: "le fichier existe déjà",
    errno.ENOTEMPTY: "le dossier n'est pas vide",
    errno.ELOOP: "trop de liens symboliques dans le chemin",
    errno.EBUSY: "fichier ou dossier occupé par un autre programme",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.EXDEV: "déplacement impossible entre deux systèmes de fichiers",
    errno.EFBIG: "fichier trop volumineux",
}


def os_reason(exc: OSError) -> str:
    """Say in French why a file operation failed, from the error's number (``errno``).

    Parameters
    ----------
    exc
        The system error.

    Returns
    -------
    str
        The reason in French, without the English text of the C library.

    Examples
    --------
    >>> os_reason(OSError(errno.ENOSPC, "No space left on device"))
    'plus de place sur le disque'
    >>> os_reason(OSError("boom"))
    'erreur du système de fichiers'
    """
    if exc.errno in OS_REASONS:
        return OS_REASONS[exc.errno]
    if exc.errno:
        return f"erreur du système de fichiers (code {errno.errorcode.get(exc.errno, exc.errno)})"
    return "erreur du système de fichiers"


def reason(exc: BaseException) -> str:
    """Say in French why an operation failed, for a log line.

    A system error gives its reason; any other error its kind (its text, from a library,
    may be English).

    Examples
    --------
    >>> reason(PermissionError(errno.EACCES, "Permission denied"))
    'accès refusé (droits insuffisants)'
    >>> reason(ValueError("bad magic number"))
    'contenu illisible (ValueError)'
    """
    if isinstance(exc, OSError):
        return os_reason(exc)
    if isinstance(exc, PeuplementError):
        return str(exc)
    return f"contenu illisible ({type(exc).__name__})"
