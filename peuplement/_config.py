"""Where peuplement finds its reference data and its shipped raw files."""

from __future__ import annotations

import os
from pathlib import Path

from peuplement._errors import DataNotFoundError

__all__ = ["DEFAULT_EPCI", "ENV_DATA_DIR", "SOURCES", "data_dir", "raw_dir", "reference_file"]

#: SIREN of the default territory, the CA Cœur d'Ostrevent (Nord).
DEFAULT_EPCI = "245901152"

#: Environment variable naming the reference-data directory.
ENV_DATA_DIR = "PEUPLEMENT_DATA_DIR"

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent

#: Official sources of each reference file, quoted when a file is missing.
SOURCES: dict[str, str] = {
    "qpv/qp2015_national_shp/QP_METROPOLE_LB93.shp": (
        "QPV 2015 perimeters (ANCT, Licence Ouverte): "
        "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
    ),
    "qpv/qp2015_dep59_62_lb93.gpkg": (
        "QPV 2015 perimeters of Nord and Pas-de-Calais, a filter of the national ANCT file: "
        "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
    ),
    "qpv/insee_pop_qp_2013.csv": (
        "population of the 2015 QPV, INSEE (recensement 2013): "
        "https://www.insee.fr/fr/statistiques/2500477"
    ),
    "lec/seuils_quartiles_demandeurs_epci_2024_2026.csv": (
        "first-quartile thresholds per EPCI, from the yearly arrêté (JORF), compiled by the "
        "Union régionale pour l'habitat Hauts-de-France: https://calculette-lec.github.io/"
    ),
    "filosofi/insee_filosofi2019_disp_epci_france.csv": (
        "INSEE Filosofi 2019, disposable income per EPCI: https://www.insee.fr/fr/statistiques/6036907"
    ),
    "filosofi/insee_filosofi2019_disp_com_dep59_62.csv": (
        "INSEE Filosofi 2019, disposable income per commune: "
        "https://www.insee.fr/fr/statistiques/6036907"
    ),
}


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the reference-data directory.

    Resolution order: the ``path`` argument (``--data-dir`` on the command line), then
    the ``PEUPLEMENT_DATA_DIR`` environment variable, then ``../shared/data`` beside the
    repository checkout (the documented default of a development checkout).
    """
    if path is not None:
        return Path(path).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return (_REPO.parent / "shared" / "data").resolve()


def reference_file(relative: str, *, data_dir_: str | os.PathLike[str] | None = None) -> Path:
    """Return the path of a reference file, or raise a :class:`DataNotFoundError` saying where to get it."""
    base = data_dir(data_dir_)
    path = base / relative
    if not path.exists():
        source = SOURCES.get(relative, "see shared/data/PROVENANCE.md")
        raise DataNotFoundError(
            f"reference file {relative!r} not found in the data directory {str(base)!r}. "
            f"Source: {source}. Point peuplement at the directory that holds it with "
            f"--data-dir or the {ENV_DATA_DIR} environment variable."
        )
    return path


def raw_dir() -> Path:
    """Return the directory of the small raw files the project ships (``data/raw``).

    In a source checkout it is ``data/raw`` at the repository root; in an installed
    wheel the same files are packaged as ``peuplement/_raw``.
    """
    for candidate in (_REPO / "data" / "raw", _PACKAGE / "_raw"):
        if candidate.is_dir():
            return candidate
    raise DataNotFoundError(
        "the shipped raw files (data/raw) are missing from this installation; reinstall peuplement"
    )
