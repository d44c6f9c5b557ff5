"""Small datasets shipped with peuplement (``data/raw``), found by name."""

from __future__ import annotations

from pathlib import Path

from peuplement._config import raw_dir
from peuplement._errors import DataNotFoundError

__all__ = ["available", "get_path"]


def available() -> list[str]:
    """List the shipped datasets, as ``territory/file`` without extension.

    Returns
    -------
    list of str
        Sorted names, each usable with :func:`get_path`.
    """
    base = raw_dir()
    return sorted(str(p.relative_to(base).with_suffix("")) for p in base.glob("*/*.csv"))


def get_path(name: str) -> Path:
    """Return the path of a shipped dataset.

    Parameters
    ----------
    name
        A name from :func:`available`, such as ``coeur_ostrevent/parc_communes_2014``.

    Returns
    -------
    pathlib.Path
        The CSV file inside the installed package.

    Examples
    --------
    >>> get_path("coeur_ostrevent/parc_communes_2014").name
    'parc_communes_2014.csv'
    """
    path = raw_dir() / f"{name}.csv"
    if not path.exists():
        raise DataNotFoundError(
            f"get_path : pas de jeu de données livré nommé {name!r} ; jeux disponibles : "
            f"{', '.join(available())}. Donnez l'un de ces noms (datasets.available())."
        )
    return path
