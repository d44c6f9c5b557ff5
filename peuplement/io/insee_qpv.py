"""INSEE thematic files of the 2015 QPV (DEMO, REVN, IPRO) and the department housing series.

INSEE publishes, each year, one file per theme for every quartier prioritaire of the
2015 generation (``QP0xxxxx`` codes). The files are read as published:

- ``;`` separator, UTF-8 with a BOM, numbers in INSEE's formatting (narrow no-break
  space between thousands, decimal comma);
- a **blank cell is statistical secrecy** and stays missing (``<NA>``/``NaN``), never 0;
- the first data row, ``Ensemble`` (all QPV of France), is a total, not a quartier: it
  is set aside (counted as rejected with its reason) unless ``total=True``;
- trailing empty columns (INSEE pads every line with ``;``) are dropped, and said so;
- the year of the file is INSEE's **diffusion year** (``annee``). The reference year of
  each variable differs (see :data:`REFERENCE_YEARS`): DEMO populations are the census
  2013 in the files 2017–2020 and the census 2018 from 2021 (column
  ``recensement_population``), so a population trend across 2020→2021 crosses a change
  of definition and :func:`peuplement.indicators.trends.changes` marks it.

Rates published in percent are returned as shares in [0, 1] (columns ``part_*``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from peuplement._cache import cached_loaded
from peuplement._config import reference_file
from peuplement._errors import PeuplementError, SchemaError
from peuplement.io._spec import Field, load_tabular
from peuplement.io._tabular import read_table
from peuplement.schema import normalize_qpv
from peuplement.validation import Loaded, LoadReport

__all__ = [
    "DEPARTEMENT_FIELDS",
    "INSEE_QPV_FIELDS",
    "INSEE_QPV_YEARS",
    "REFERENCE_YEARS",
    "census_of",
    "load_departements_logement",
    "load_insee_qpv",
    "load_insee_qpv_series",
]

_CODE = Field("code_qpv", "text", ("CODGEO",), required=True)
_NAME = Field("nom_qpv", "text", ("LIBGEO",))

#: Canonical variables of each theme (INSEE names as aliases). ``part_*`` fields are
#: published in percent and divided by 100 after loading. The theme's key column must
#: be present (a file of another theme is refused) but its cells may be blank: a blank
#: is statistical secrecy, kept missing, never a rejection.
INSEE_QPV_FIELDS: dict[str, list[Field]] = {
    "DEMO": [
        _CODE,
        _NAME,
        Field("population", "count", ("POP_MUN",), required=True, nullable=True),
        Field("population_communes_qp", "count", ("POP_COM_QP",)),
        Field("population_commune", "count", ("POP_COM",)),
        Field("nom_commune", "text", ("LIB_COM",)),
        Field("part_femmes", "nonneg", ("TX_F",)),
        Field("part_moins_25", "nonneg", ("TX_TOT_0A24",)),
        Field("part_60_plus", "nonneg", ("TX_TOT_60ETPLUS",)),
        Field("indice_jeunesse", "nonneg", ("IND_JEUNE",)),
        Field("part_menages_1p", "nonneg", ("TX_TOT_MEN1",)),
        Field("part_menages_6p", "nonneg", ("TX_TOT_MEN6",)),
        Field("part_etrangers", "nonneg", ("TX_TOT_ET",)),
        Field("nb_allocataires", "count", ("A",)),
        Field("nb_personnes_couvertes", "count", ("PERCOU",)),
        Field("nb_allocataires_monoparents", "count", ("AM",)),
        Field("nb_allocataires_isoles", "count", ("AI",)),
        Field("nb_allocataires_couples_sans_enfant", "count", ("ACSSENF",)),
        Field("nb_allocataires_couples_avec_enfants", "count", ("ACAVENF",)),
        Field("nb_enfants_couverts", "count", ("ENF",)),
    ],
    "REVN": [
        _CODE,
        _NAME,
        Field("part_pauvres", "nonneg", ("TP60",), required=True, nullable=True),
        Field("revenu_median_uc", "nonneg", ("DISP_Q2",)),
        Field("revenu_d1_uc", "nonneg", ("DISP_D1",)),
        Field("revenu_d9_uc", "nonneg", ("DISP_D9",)),
        Field("revenu_declare_median_uc", "nonneg", ("DECUC_Q2",)),
        Field("part_menages_imposes", "nonneg", ("PMIMP",)),
        Field("part_revenus_activite", "nonneg", ("PACT",)),
        Field("part_pensions", "nonneg", ("PPEN",)),
        Field("part_prestations_sociales", "nonneg", ("PPSOC",)),
        Field("nb_allocataires", "count", ("A",)),
        Field("nb_allocataires_rsa_socle", "count", ("ARSAS",)),
        Field("nb_allocataires_aah", "count", ("AAAH",)),
    ],
    "IPRO": [
        _CODE,
        _NAME,
        Field("part_emploi", "nonneg", ("TX_TOT_EMPL",)),
        Field("part_emploi_precaire", "nonneg", ("TX_TOT_EPREC",)),
        Field("nb_demandeurs_abc", "count", ("ABC",), required=True, nullable=True),
        Field("nb_demandeurs_a", "count", ("A",)),
        Field("nb_demandeurs_abcde", "count", ("ABCDE",)),
        Field("nb_demandeurs_abc_rsa", "count", ("ABC_RSA",)),
        Field("nb_demandeurs_abc_moins_26", "count", ("ABC_25",)),
    ],
}

#: Diffusion years stored in the reference data, per theme (2015 QPV generation).
INSEE_QPV_YEARS: dict[str, tuple[int, ...]] = {
    "DEMO": (2017, 2018, 2019, 2020, 2021, 2022),
    "REVN": (2017, 2018, 2019, 2021, 2022),
    "IPRO": (2017, 2018, 2019, 2020, 2021, 2022),
}

#: What the diffusion year ``annee`` of a file means for each group of variables (French,
#: shown beside every trend). Populations: checked on the data (the 2017–2020 files give
#: the census 2013 populations of ``insee_pop_qp_2013.csv``; 2021–2022 give different
#: ones, the census 2018). Incomes: INSEE diffuses Filosofi of year N−3 in year N
#: ("Revenus, pauvreté et niveau de vie en 2019", paru le 15/02/2022): probable, the file
#: does not say. CAF and France Travail counts: the latest year available at diffusion.
REFERENCE_YEARS: dict[str, str] = {
    "DEMO": (
        "population : recensement 2013 (fichiers 2017 à 2020) puis recensement 2018 "
        "(fichiers 2021 et 2022) ; allocataires CAF : dernière année connue à la diffusion"
    ),
    "REVN": (
        "revenus et pauvreté : Filosofi, probablement de l'année de diffusion moins 3 "
        "(le fichier ne le dit pas)"
    ),
    "IPRO": (
        "taux d'emploi : recensement ; demandeurs d'emploi : fin de l'année précédant la diffusion"
    ),
}

_FILES = "qpv/insee_qpv2015_series/{theme}_{annee}.csv"
#: Years stored only in INSEE's raw layout (plain integers, no ``LIBGEO``): same variables.
_RAW_FILES = {("DEMO", 2020): "qpv/insee_qpv2015_series/data_DEMO_2020_V1_QP.csv"}


def census_of(annee: int) -> int:
    """Return the census year of the DEMO populations in the INSEE file of diffusion year ``annee``.

    Parameters
    ----------
    annee
        The diffusion year of the INSEE file.

    Returns
    -------
    int
        The census year.

    Examples
    --------
    >>> census_of(2019), census_of(2022)
    (2013, 2018)
    """
    return 2013 if annee <= 2020 else 2018


def _empty_columns(frame: pd.DataFrame) -> list[str]:
    # INSEE pads each line with ';': pandas names those columns "Unnamed: n".
    return [
        str(c) for c in frame.columns if str(c).startswith("Unnamed:") and frame[c].isna().all()
    ]


def _load_file(
    source: str | os.PathLike[str], fields: Sequence[Field]
) -> tuple[pd.DataFrame, LoadReport]:
    """Read one INSEE file through the user cache (validated once, see peuplement._cache)."""
    loaded = cached_loaded(
        f"insee_qpv_{Path(source).stem}",
        lambda: Loaded(*_read_file(source, fields)),
        source=Path(source),
    )
    return loaded.data, loaded.report


def _read_file(
    source: str | os.PathLike[str], fields: Sequence[Field]
) -> tuple[pd.DataFrame, LoadReport]:
    """Read one INSEE file: drop the padding columns, validate, keep file line numbers."""
    name = Path(source).name
    scratch = LoadReport(name)
    table = read_table(source, report=scratch, expected=[a for f in fields for a in f.aliases])
    pad = _empty_columns(table.frame)
    frame = table.frame.drop(columns=pad)
    data, report = load_tabular(frame, fields, name=name)
    # load_tabular numbered the rows of the frame 1..n: give back the file's lines.
    line_of = dict(zip(range(1, len(table.rows) + 1), table.rows.tolist(), strict=True))
    data["ligne"] = data["ligne"].map(line_of)
    if len(report.rejections):
        report.rejections["ligne"] = report.rejections["ligne"].map(line_of)
    report.repairs[:0] = scratch.repairs
    report.notes[:0] = scratch.notes
    report.repair(
        "colonne(s) vide(s) de fin de ligne retirée(s) (l'INSEE termine chaque ligne par « ; »)",
        len(pad),
    )
    return data, report


def load_insee_qpv(
    theme: str,
    annee: int,
    *,
    path: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    total: bool = False,
) -> Loaded[pd.DataFrame]:
    """Load one INSEE thematic file of the 2015 QPV (``DEMO``, ``REVN`` or ``IPRO``).

    Parameters
    ----------
    theme
        ``"DEMO"`` (population, CAF allocataires and family structure), ``"REVN"``
        (Filosofi incomes, poverty rate, CAF benefits) or ``"IPRO"`` (employment, job
        seekers).
    annee
        INSEE's diffusion year of the file (the year in its name), written in ``annee``.
        It is not the reference year of the variables: see :data:`REFERENCE_YEARS`.
    path
        The file; default ``qpv/insee_qpv2015_series/{theme}_{annee}.csv`` of the
        reference-data directory (DEMO 2020 exists only in INSEE's raw layout,
        ``data_DEMO_2020_V1_QP.csv``, read the same way).
    data_dir
        Reference-data directory (``--data-dir``).
    total
        Keep the ``Ensemble`` row (all QPV of France) with ``code_qpv = "Ensemble"``.

    Returns
    -------
    Loaded
        One row per QPV: ``code_qpv``, ``nom_qpv``, ``annee``, the theme's variables
        (:data:`INSEE_QPV_FIELDS`; ``part_*`` as shares in [0, 1], secret cells missing),
        ``recensement_population`` for DEMO, ``ligne``; and the report.

    Raises
    ------
    SchemaError
        Unknown theme, or a file without the theme's key column (``POP_MUN``, ``TP60``,
        ``ABC``): probably the file of another theme.

    Examples
    --------
    >>> demo, report = load_insee_qpv("DEMO", 2022)
    >>> int(demo.loc[demo["code_qpv"] == "QP059040", "population"].iloc[0])
    1401
    """
    key = theme.upper()
    if key not in INSEE_QPV_FIELDS:
        raise SchemaError(
            f"thème INSEE {theme!r} inconnu ; thèmes possibles : {sorted(INSEE_QPV_FIELDS)}"
        )
    fields = INSEE_QPV_FIELDS[key]
    relative = _RAW_FILES.get((key, annee), _FILES.format(theme=key, annee=annee))
    source = path or reference_file(relative, data_dir_=data_dir)
    data, report = _load_file(source, fields)
    is_total = data["code_qpv"].str.casefold().eq("ensemble").fillna(False)
    if not total:
        data = report.drop(
            data,
            is_total,
            column="CODGEO",
            values=data["code_qpv"],
            reason="ligne « Ensemble » : total de tous les QPV, pas un quartier "
            "(écartée ; total=True la garde)",
        )
        is_total = pd.Series(False, index=data.index)
    check = normalize_qpv(data["code_qpv"].where(~is_total), generation=2015)
    data = report.drop(
        data,
        (check.invalid | check.missing) & ~is_total,
        column="CODGEO",
        values=data["code_qpv"],
        reason="code QPV de la génération 2015 attendu (QP suivi de 6 caractères)",
    )
    data = report.drop(
        data,
        data["code_qpv"].duplicated(keep="first"),
        column="CODGEO",
        values=data["code_qpv"],
        reason="QPV en double (première ligne gardée)",
    )
    shares = [f.name for f in fields if f.name.startswith("part_")]
    data[shares] = data[shares] / 100.0
    data.insert(2, "annee", pd.Series(annee, index=data.index, dtype="Int64"))
    if key == "DEMO":
        data["recensement_population"] = pd.array([census_of(annee)] * len(data), dtype="Int64")
    report.note(f"{key} {annee} : {REFERENCE_YEARS[key]}")
    return Loaded(data, report)


def _merge_reports(label: str, reports: Iterable[LoadReport]) -> LoadReport:
    merged = LoadReport(label)
    parts = list(reports)
    merged.n_read = sum(r.n_read for r in parts)
    frames = [r.rejections for r in parts if len(r.rejections)]
    if frames:
        merged.rejections = pd.concat(frames, ignore_index=True)
    for r in parts:
        merged.repairs += [f"{r.source} : {t}" for t in r.repairs]
        merged.notes += [f"{r.source} : {t}" for t in r.notes]
    # Rejected rows are counted per (file, line): lines repeat across files.
    n_rejected = (
        int(merged.rejections[["fichier", "ligne"]].drop_duplicates().shape[0]) if frames else 0
    )
    merged.n_kept = sum(r.n_kept for r in parts)
    if merged.n_read != merged.n_kept + n_rejected:
        raise PeuplementError(
            f"{label} : comptage des lignes incohérent ({merged.n_read} lues, {merged.n_kept} "
            f"retenues, {n_rejected} rejetées). C'est un défaut de peuplement ; signalez-le."
        )
    return merged


def load_insee_qpv_series(
    theme: str,
    annees: Sequence[int] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    qpv: Sequence[str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load several diffusion years of one theme into one long table (one row per QPV and year).

    Parameters
    ----------
    theme
        ``"DEMO"``, ``"REVN"`` or ``"IPRO"``.
    annees
        Diffusion years; default every year stored (:data:`INSEE_QPV_YEARS`).
    data_dir
        Reference-data directory.
    qpv
        Keep only these QPV codes (filtered after validation: the report counts every
        row of every file).

    Returns
    -------
    Loaded
        The rows of every year stacked (``annee`` tells them apart; columns absent from a
        year are missing there) and one report whose rejections name each file. Its
        ``n_rejected`` counts distinct lines, so compare per-file reports for accounting.

    Examples
    --------
    >>> revn, _ = load_insee_qpv_series("REVN", [2017, 2022], qpv=["QP059040"])
    >>> revn["part_pauvres"].round(3).tolist()
    [0.414, 0.441]
    """
    key = theme.upper()
    if key not in INSEE_QPV_YEARS:
        raise SchemaError(
            f"thème INSEE {theme!r} inconnu ; thèmes possibles : {sorted(INSEE_QPV_YEARS)}"
        )
    years = list(annees) if annees is not None else list(INSEE_QPV_YEARS[key])
    if not years:
        raise PeuplementError("load_insee_qpv_series : aucune année demandée (annees=[])")
    loaded = [load_insee_qpv(key, y, data_dir=data_dir) for y in years]
    frames = [f for f, _ in loaded]
    data = pd.concat(frames, ignore_index=True)
    if qpv is not None:
        data = data[data["code_qpv"].isin(list(qpv))].reset_index(drop=True)
    label = f"{key} {', '.join(map(str, years))}"
    return Loaded(data, _merge_reports(label, [r for _, r in loaded]))


#: Canonical columns of the department series "Logements et logements sociaux dans les
#: départements" (data.gouv.fr, social-stock columns from RPLS).
DEPARTEMENT_FIELDS = [
    Field("annee", "year", ("annee_publication",), required=True),
    Field("code_departement", "text", required=True),
    Field("nom_departement", "text"),
    Field("code_region", "text"),
    Field("nom_region", "text"),
    Field("nb_habitants", "count", ("nombre_d_habitants",)),
    Field("taux_chomage_pct", "nonneg", ("taux_de_chomage_au_t4_en",)),
    Field("part_pauvres", "nonneg", ("taux_de_pauvrete_en",)),
    Field("nb_logements", "count", ("nombre_de_logements",)),
    Field("nb_residences_principales", "count", ("nombre_de_residences_principales",)),
    Field("part_logements_sociaux", "nonneg", ("taux_de_logements_sociaux_en",)),
    Field("part_logements_vacants", "nonneg", ("taux_de_logements_vacants_en",)),
    Field("nb_lls", "count", ("parc_social_nombre_de_logements",)),
    Field("nb_mises_en_location", "count", ("parc_social_logements_mis_en_location",)),
    Field("nb_demolitions", "count", ("parc_social_logements_demolis",)),
    Field("part_vacants_parc_social", "nonneg", ("parc_social_taux_de_logements_vacants_en",)),
    Field("loyer_moyen_m2", "nonneg", ("parc_social_loyer_moyen_en_eur_m2_mois",)),
    Field("age_moyen_parc", "nonneg", ("parc_social_age_moyen_du_parc_en_annees",)),
    Field("part_energivores", "nonneg", ("parc_social_taux_de_logements_energivores_e_f_g_en",)),
]

_DEPT_SHARES = [
    "part_pauvres",
    "part_logements_sociaux",
    "part_logements_vacants",
    "part_vacants_parc_social",
    "part_energivores",
]


def load_departements_logement(
    path: str | os.PathLike[str] | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> Loaded[pd.DataFrame]:
    """Load the department series of population, housing and social housing (2018–2022).

    Default file: ``rpls/logements-et-logements-sociaux-dans-les-departements.csv`` of the
    reference-data directory (``;``, decimal point). The department polygons (``geom``)
    are not kept. Rates in percent become shares (``part_*``); ``taux_chomage_pct`` stays
    in percent (it is a rate of the active population, not a share of the units counted
    here). The reference date of the stock figures is not stated by the publisher; the
    year is the publication year (``annee``).

    Parameters
    ----------
    path
        The series file; ``None`` for the default file.
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    Loaded
        One row per department and year; rows without a department code (the file's
        blank line) and repeated (department, year) pairs are rejected.

    Examples
    --------
    >>> dep, _ = load_departements_logement()
    >>> nord = dep[dep["code_departement"] == "59"].set_index("annee")
    >>> int(nord.loc[2018, "nb_lls"]), int(nord.loc[2022, "nb_lls"])
    (263368, 275273)
    """
    if path is None:  # the reference file: validated once, then read from the user cache
        official = reference_file(
            "rpls/logements-et-logements-sociaux-dans-les-departements.csv", data_dir_=data_dir
        )
        return cached_loaded(
            "departements_logement",
            lambda: load_departements_logement(official),
            source=Path(official),
        )
    data, report = load_tabular(path, DEPARTEMENT_FIELDS)
    code = data["code_departement"].str.upper()
    data["code_departement"] = code.mask(code.str.fullmatch(r"\d").fillna(False), "0" + code)
    bad = ~data["code_departement"].str.fullmatch(r"\d{2,3}|2[AB]").fillna(False)
    data = report.drop(
        data,
        bad,
        column="code_departement",
        values=data["code_departement"],
        reason="code de département attendu (2 ou 3 caractères, 2A/2B)",
    )
    data = report.drop(
        data,
        data.duplicated(subset=["code_departement", "annee"], keep="first"),
        column="code_departement",
        values=data["code_departement"],
        reason="département et année en double (première ligne gardée)",
    )
    data[_DEPT_SHARES] = data[_DEPT_SHARES] / 100.0
    return Loaded(data.drop(columns="ligne"), report)
