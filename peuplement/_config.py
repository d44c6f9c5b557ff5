"""Where peuplement finds its reference data and its shipped raw files."""

from __future__ import annotations

import os
from pathlib import Path

from peuplement._errors import ENV_DATA_DIR, DataNotFoundError, data_dir_hint, option_hint

__all__ = [
    "DEFAULT_EPCI",
    "ENV_DATA_DIR",
    "QPV_2024_FILE",
    "SOURCES",
    "data_dir",
    "qpv_file_hint",
    "raw_dir",
    "reference_file",
]

#: SIREN of the default territory, the CA Cœur d'Ostrevent (Nord).
DEFAULT_EPCI = "245901152"

#: Environment variable naming the reference-data directory.

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent

#: Official sources of each reference file, quoted when a file is missing.
SOURCES: dict[str, str] = {
    "qpv/qp2015_national_shp/QP_METROPOLE_LB93.shp": (
        "périmètres des QPV 2015 (ANCT, Licence Ouverte) : "
        "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
    ),
    "qpv/qp2015_dep59_62_lb93.gpkg": (
        "périmètres des QPV 2015 du Nord et du Pas-de-Calais, extrait du fichier national de l'ANCT : "
        "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
    ),
    "qpv/insee_pop_qp_2013.csv": (
        "population des QPV 2015, INSEE (recensement 2013) : "
        "https://www.insee.fr/fr/statistiques/2500477"
    ),
    "lec/seuils_quartiles_demandeurs_epci_2024_2026.csv": (
        "seuils du premier quartile par EPCI, arrêté annuel (JORF), compilés par "
        "l'Union régionale pour l'habitat Hauts-de-France : https://calculette-lec.github.io/"
    ),
    "filosofi/insee_filosofi2019_disp_epci_france.csv": (
        "INSEE, Filosofi 2019, revenus disponibles par EPCI : https://www.insee.fr/fr/statistiques/6036907"
    ),
    "filosofi/insee_filosofi2019_disp_com_dep59_62.csv": (
        "INSEE, Filosofi 2019, revenus disponibles par commune : "
        "https://www.insee.fr/fr/statistiques/6036907"
    ),
}


#: The 2024 QPV perimeters in the reference-data directory (those of the EPCI shipped).
QPV_2024_FILE = "qpv/qpv2024/qpv2024_perimetres_coeur_ostrevent_arras_lens_lievin_wgs84.geojson"


def qpv_file_hint() -> str:
    """Say how to give the official 2024 QPV perimeters, as peuplement runs.

    From a command with ``--qpv``, that option; from one without, the file's place in the
    reference-data directory; from Python, :func:`peuplement.load_qpv`.

    Examples
    --------
    >>> qpv_file_hint()
    'passez-les avec load_qpv(chemin, generation=2024)'
    """
    return option_hint(
        "--qpv",
        "passez-les avec --qpv FICHIER",
        python="passez-les avec load_qpv(chemin, generation=2024)",
        otherwise=f"enregistrez-les sous « {QPV_2024_FILE} » dans le répertoire de données, "
        f"indiqué avec {data_dir_hint()}",
    )


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
        source = SOURCES.get(relative, "voir shared/data/PROVENANCE.md")
        raise DataNotFoundError(
            f"fichier de référence « {relative} » absent du répertoire de données « {base} ». "
            f"Source : {source}. Indiquez le dossier qui le contient avec {data_dir_hint()} "
            "(état de chaque source : « peuplement donnees »)."
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
        "les petits fichiers livrés avec peuplement (data/raw, ou peuplement/_raw une fois "
        "installé) manquent à cette installation : réinstallez peuplement "
        "(pip install --force-reinstall peuplement)."
    )
