"""Options and helpers shared by several commands.

Every option is validated by its callback or parser here, before the command does any
work: a bad value ends at once on a French message and exit code 2 (never a traceback,
never minutes of work first). Every command accounts for each input it reads with
:class:`Inputs`: one line per input (read / kept / rejected / repaired) and one rejection
file per run covering all inputs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import pandas as pd
import typer

from peuplement._config import DEFAULT_EPCI
from peuplement._errors import DataNotFoundError, PeuplementError
from peuplement.cli._app import fail, say
from peuplement.datasets import get_path
from peuplement.export import write_csv
from peuplement.schema import CRS_LAMBERT93, SIREN_PATTERN
from peuplement.sources import SOURCES
from peuplement.validation import REJECTION_COLUMNS, Loaded, LoadReport

if TYPE_CHECKING:
    from peuplement.territory import Perimeter, Territory

__all__ = [
    "ATTRIBUTION_COLUMNS",
    "Annee",
    "CibleB",
    "DataDir",
    "Epci",
    "InputFile",
    "Inputs",
    "Millesime",
    "Out",
    "Parc",
    "QpvGeneration",
    "Seuil",
    "Sru",
    "check_epci",
    "check_input_file",
    "default_stock",
    "input_option",
    "load_stock",
    "require_rows",
    "load_territory",
    "missing_input",
    "out_option",
    "parse_generation",
    "parse_share",
    "parse_year",
    "record_renamed",
]

T = TypeVar("T")


# --- validators -------------------------------------------------------------------------


def check_epci(value: str) -> str:
    """Return ``value`` if it is the SIREN of an EPCI of the COG 2025; else end in French.

    The format is checked first (9 digits: nothing else, so no path can be smuggled
    into the output folder), then existence in the COG.
    """
    siren = value.strip()
    if not SIREN_PATTERN.fullmatch(siren):
        raise fail(
            f"--epci « {value} » n'est pas un SIREN d'EPCI : 9 chiffres attendus "
            "(ex. 245901152 pour la CA Cœur d'Ostrevent)."
        )
    from peuplement.io.communes import epci_sirens

    if siren not in epci_sirens():
        raise fail(
            f"--epci {siren} n'est pas un EPCI du COG 2025. Vérifiez le SIREN "
            "(pour le trouver par le nom de l'EPCI ou d'une commune : "
            '« peuplement epci "nom" »).'
        )
    return siren


def _number(value: str, option: str) -> float:
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value)).replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise fail(f"{option} « {value} » n'est pas un nombre.") from None
    if not math.isfinite(number):
        raise fail(f"{option} « {value} » : un nombre fini est attendu.")
    return number


def parse_share(value: str, option: str) -> float:
    """Read a share: a number in [0, 1] (``0,25``) or an explicit percentage (``25 %``).

    ``50`` is refused rather than read as 5 000 %: a percentage must say so.

    >>> parse_share("0,25", "--sru"), parse_share("25 %", "--sru")
    (0.25, 0.25)
    """
    text = str(value).strip()
    percent = text.endswith("%")
    number = _number(text.rstrip("%"), option)
    share = number / 100 if percent else number
    if not 0 <= share <= 1:
        hint = f" ; pour un pourcentage, écrivez « {text} % »" if not percent and number > 1 else ""
        raise fail(
            f"{option} « {value} » : une part entre 0 et 1 (ex. 0,5) ou un pourcentage "
            f"explicite entre 0 % et 100 % (ex. 50 %) est attendu{hint}."
        )
    return share


def _positive(value: str, option: str) -> float:
    number = _number(value, option)
    if number <= 0:
        raise fail(f"{option} « {value} » : un nombre strictement positif est attendu.")
    return number


def _year(value: str, option: str) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}", text) or not 1990 <= int(text) <= 2100:
        raise fail(f"{option} « {value} » : une année entre 1990 et 2100 est attendue.")
    return int(text)


def parse_generation(value: str) -> int:
    """Parser of ``--qpv-generation``: 2015 or 2024."""
    return _generation(value)


def _generation(value: str) -> int:
    if str(value).strip() not in {"2015", "2024"}:
        raise fail(f"--qpv-generation « {value} » : 2015 ou 2024 attendu.")
    return int(value)


def _check_out(value: Path | None, option: str) -> Path | None:
    if value is not None and value.exists() and not value.is_dir():
        raise fail(
            f"{option} « {value} » est un fichier : donnez un dossier (existant ou à créer)."
        )
    return value


def _check_input(value: Path | None, option: str) -> Path | None:
    if value is None:
        return None
    if not value.exists():
        raise fail(f"{option} : le fichier « {value} » n'existe pas. Vérifiez le chemin.")
    if value.is_dir():
        raise fail(f"{option} : « {value} » est un dossier ; un fichier est attendu.")
    return value


def _parser(func: Callable[[str, str], T], option: str) -> Callable[[str], T]:
    return lambda value: func(value, option)


def parse_year(option: str) -> Callable[[str], int]:
    """Parser of a year option (1990–2100), for ``typer.Option(parser=...)``."""
    return _parser(_year, option)


def check_input_file(value: Path) -> Path:
    """Callback of a file argument: the file must exist and not be a folder."""
    _check_input(value, "le fichier donné")
    return value


def input_option(option: str, help: str) -> typer.models.OptionInfo:
    """A ``--option FILE`` whose file must exist (checked before any work)."""
    info: typer.models.OptionInfo = typer.Option(
        option, help=help, callback=lambda v: _check_input(v, option)
    )
    return info


def out_option(option: str, help: str) -> typer.models.OptionInfo:
    """An output folder option: refused at once when it names an existing regular file."""
    info: typer.models.OptionInfo = typer.Option(
        option, help=help, callback=lambda v: _check_out(v, option)
    )
    return info


# --- shared options ---------------------------------------------------------------------

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Répertoire des données de référence (défaut : $PEUPLEMENT_DATA_DIR, sinon ../shared/data).",
    ),
]
Out = Annotated[Path, out_option("--out", "Répertoire de sortie.")]
Epci = Annotated[
    str,
    typer.Option(
        "--epci", help="SIREN de l'EPCI (défaut : CA Cœur d'Ostrevent).", callback=check_epci
    ),
]
Parc = Annotated[
    Path | None,
    input_option(
        "--parc",
        "Parc social par commune (CSV/Excel : code INSEE, nb de LLS). Défaut : chiffres 2014 du territoire par défaut.",
    ),
]
InputFile = Path | None
Millesime = Annotated[
    int | None,
    typer.Option(
        "--millesime",
        help="Millésime (année RPLS) des fichiers de parc.",
        parser=_parser(_year, "--millesime"),
    ),
]
Annee = Annotated[
    int, typer.Option("--annee", help="Année analysée.", parser=_parser(_year, "--annee"))
]
Seuil = Annotated[
    float | None,
    typer.Option(
        "--seuil",
        help="Seuil du premier quartile imposé (€ par UC et par an, nombre positif).",
        parser=_parser(_positive, "--seuil"),
    ),
]
CibleB = Annotated[
    float | None,
    typer.Option(
        "--cible-b",
        help="Cible de l'objectif B si la CIL en a fixé une autre que 50 % (0,4 ou 40 %).",
        parser=_parser(parse_share, "--cible-b"),
    ),
]
Sru = Annotated[
    float,
    typer.Option(
        "--sru",
        help="Taux SRU légal (0,20 ou 0,25, ou 20 %).",
        parser=_parser(parse_share, "--sru"),
    ),
]
QpvGeneration = Annotated[
    int,
    typer.Option("--qpv-generation", help="Génération des QPV : 2015 ou 2024.", parser=_generation),
]


# --- accounting -------------------------------------------------------------------------


class Inputs:
    """The inputs of one run: each load's report, printed and written as one rejection file.

    Examples
    --------
    >>> from peuplement.validation import LoadReport
    >>> inputs = Inputs()
    >>> r = LoadReport("parc.csv"); r.n_read = 2; _ = r.close(2)
    >>> inputs.account(r).n_kept
    2
    """

    def __init__(self) -> None:
        self.reports: list[LoadReport] = []

    def add(self, loaded: Loaded[T]) -> T:
        """Record the report of a load and return its data."""
        self.reports.append(loaded.report)
        return loaded.data

    def account(self, report: LoadReport) -> LoadReport:
        """Record a report built outside a loader (a cross-input check, synthetic data)."""
        self.reports.append(report)
        return report

    def rejections(self) -> pd.DataFrame:
        """The rejected rows of every input, in the order read (columns ``REJECTION_COLUMNS``)."""
        frames = [r.rejections for r in self.reports if len(r.rejections)]
        if not frames:
            return pd.DataFrame(columns=REJECTION_COLUMNS)
        return pd.concat(frames, ignore_index=True)[REJECTION_COLUMNS]

    def finish(self, folder: Path, name: str = "rejets_usage_interne.csv") -> Path:
        """Print one accounting line per input and write the run's one rejection file."""
        for report in self.reports:
            say(report.summary())
            for note in report.notes:
                say(f"  note : {note}")
        from peuplement.secrecy import public_rejections

        # No household identifier nor value beyond the field at fault; for internal use.
        path = write_csv(public_rejections(self.rejections()), folder / name)
        n = sum(r.n_rejected for r in self.reports)
        say(f"Lignes rejetées, toutes entrées : {n} (détail et motifs : {path})")
        return path


def default_stock(epci: str) -> Path | None:
    """Return the shipped 2014 stock figures for the default territory, ``None`` elsewhere."""
    return get_path("coeur_ostrevent/parc_communes_2014") if epci == DEFAULT_EPCI else None


def load_territory(epci: str, data_dir: Path | None, *, qpv_generation: int = 2015) -> Territory:
    """Load the territory of ``epci``; without the QPV file, say so and use an empty QPV layer."""
    import geopandas as gpd

    from peuplement.io.qpv import QPV_COLUMNS
    from peuplement.territory import Territory

    try:
        return Territory.from_epci(epci, qpv_generation=qpv_generation, data_dir=data_dir)
    except DataNotFoundError as exc:
        say(f"QPV indisponibles : {exc}", style="yellow")
        empty = gpd.GeoDataFrame(
            {c: pd.Series(dtype="string") for c in QPV_COLUMNS if c != "geometry"},
            geometry=gpd.GeoSeries([], crs=CRS_LAMBERT93),
            crs=CRS_LAMBERT93,
        )
        return Territory.from_epci(epci, qpv_generation=qpv_generation, qpv=empty)


def record_renamed(split: Perimeter, report: LoadReport) -> None:
    """Keep the file's own spelling of commune names in the load report, and only there.

    Every table shows the COG name (Écaillon); the repair line says which spellings of
    the file were replaced (Ecaillon → Écaillon), with their row.
    """
    if len(split.renamed):
        examples = ", ".join(
            f"{r.nom_fichier} → {r.nom}" for r in split.renamed.head(5).itertuples()
        )
        report.repair(
            f"nom de commune remplacé par celui du COG 2025 : {examples}", len(split.renamed)
        )


def load_stock(path: Path, millesime: int | None) -> tuple[pd.DataFrame, LoadReport]:
    """Load the commune stock given with ``--parc``: a commune table, or the SDES results workbook.

    The workbook ``resultats_rpls_<année>.xlsx`` is recognised by its "Commune" sheet; its
    vintage is then required (``--millesime``), never read from the file name.
    """
    from peuplement.io.rpls import load_parc_communes
    from peuplement.io.rpls_resultats import is_rpls_resultats, load_rpls_resultats

    if is_rpls_resultats(path):
        if millesime is None:
            raise PeuplementError(
                f"{path.name} est un classeur de résultats RPLS (feuille « Commune ») : "
                "précisez son millésime avec --millesime AAAA (parc au 1er janvier de cette année)"
            )
        data, report = load_rpls_resultats(path, annee=millesime)
        return data, report
    data, report = require_rows(
        load_parc_communes(path, millesime=millesime),
        path,
        option="--parc",
        modele="parc",
        columns="code_insee et nb_lls",
    )
    return data, report


#: The columns an attribution needs, as :func:`require_rows` says them.
ATTRIBUTION_COLUMNS = "id_attribution, annee, code_insee, nb_personnes et ressources"


def require_rows(
    loaded: Loaded[pd.DataFrame], path: Path, *, option: str, modele: str, columns: str
) -> Loaded[pd.DataFrame]:
    """Return ``loaded`` when the file kept a row; else stop with each reason and what to do.

    With nothing kept, a command would go on with an empty table: a stock of 0, an empty
    objectives table, or an unexpected error further on.

    Parameters
    ----------
    loaded
        A loader's ``(data, report)``.
    path
        The file given with ``option``.
    option, modele, columns
        The command-line option, the name for ``peuplement modele`` and the columns a row
        needs at least (said in the message).

    Returns
    -------
    Loaded
        ``loaded`` itself.
    """
    data, report = loaded
    if len(data):
        return loaded
    template = f"modèle vide avec son dictionnaire : « peuplement modele {modele} »."
    if report.n_read == 0:
        raise PeuplementError(
            f"{option} {path.name} : aucune ligne de données sous l'en-tête. Remplissez le "
            f"fichier (colonnes {columns} au moins) ; {template}"
        )
    reasons = []
    for motif, rows in report.rejections.groupby("motif", sort=False)["ligne"]:
        lines = ", ".join(str(n) for n in rows.unique()[:5])
        more = "…" if rows.nunique() > 5 else ""
        reasons.append(f"{motif} ({rows.nunique()} ligne(s) : {lines}{more})")
    raise PeuplementError(
        f"{option} {path.name} : aucune des {report.n_read} ligne(s) lues n'est retenue ; "
        f"motifs : {' ; '.join(reasons[:5])}. Vérifiez le séparateur (« ; » ou « , », une "
        f"valeur qui contient le séparateur entre guillemets) et les colonnes {columns} ; "
        f"{template}"
    )


def missing_input(key: str, epci: str, command: str) -> PeuplementError:
    """Return the French error for a missing input: what, which option, where to get it, which template.

    Built from the source registry (:mod:`peuplement.sources`), so the message names the
    official source, its URL and the template that the option accepts.
    """
    source = SOURCES[key]
    text = f"il manque « {source.nom} » pour l'EPCI {epci} : passez {source.option} FICHIER"
    if source.modele:
        text += f" (modèle vide avec son dictionnaire : « peuplement modele {source.modele} »)"
    if key == "parc_communes":
        official = SOURCES["rpls_resultats"]
        text += (
            f". Chiffres officiels : {official.nom} ({official.producteur}), {official.url} ; "
            "le classeur resultats_rpls_<année>.xlsx se passe tel quel à --parc avec --millesime"
        )
    elif source.acces != "ouvert":
        text += f". Source : {source.producteur}, {source.url} (accès restreint)"
    text += f". Commande : « {source.command_line(command, epci)} »"
    text += f". Sources disponibles ici : « peuplement donnees --epci {epci} »."
    return PeuplementError(text)
