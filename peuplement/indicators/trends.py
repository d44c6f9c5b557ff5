"""Indicators over several years: changes, demand against supply by size, financing, rents, mutations.

Every function takes tables that carry a year column (``annee`` or ``millesime``) and
computes all units and years in one grouped pass (no Python loop over territories or
years). Changes are given in **points** for shares (``part_*`` in [0, 1]: a share going
from 0.414 to 0.441 changes by +2.7 points), in **percent** for counts and amounts, or
as a plain **difference** in the unit of the value.

A change between two years whose values do not share a definition (INSEE's DEMO
populations: census 2013 in the files 2017–2020, census 2018 from 2021) is computed but
marked ``rupture = True``: never read it as a trend without saying so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from peuplement._errors import SchemaError, preview

__all__ = [
    "FINANCEMENTS",
    "TYPOLOGIES",
    "aggregate_departements",
    "changes",
    "compare_with_references",
    "epci_income_position",
    "financing_class",
    "first_last_changes",
    "mutations_rehousing",
    "pressure_by_size",
    "rents_vacancy_mobility",
    "stock_by_financing",
    "typology",
]

Kind = Literal["points", "percent", "difference"]

#: Dwelling-size classes (number of rooms): T1 … T5 and more.
TYPOLOGIES = ["T1", "T2", "T3", "T4", "T5+"]
#: Financing classes of the social stock.
FINANCEMENTS = ["PLAI", "PLUS", "PLS", "PLI", "autre"]

_UNITS = {"points": "points", "percent": "%", "difference": ""}


def _require(frame: pd.DataFrame, columns: Sequence[str], who: str, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{who} : la table {name} n'a pas la ou les colonnes {missing} ; trouvées : "
            f"{preview(map(str, frame.columns), 12)}. Renommez les colonnes ou passez by=… "
            "avec des colonnes présentes."
        )


def _variation(current: pd.Series, previous: pd.Series, kind: pd.Series) -> pd.Series:
    diff = current - previous
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (current / previous - 1.0) * 100.0
    pct = pct.where(previous != 0)
    return pd.Series(
        np.select(
            [kind.eq("points").to_numpy(), kind.eq("percent").to_numpy()],
            [(diff * 100.0).to_numpy(dtype="float64"), pct.to_numpy(dtype="float64")],
            default=diff.to_numpy(dtype="float64"),
        ),
        index=current.index,
    )


def _long(
    frame: pd.DataFrame,
    values: Mapping[str, Kind] | Sequence[str],
    by: Sequence[str],
    year: str,
    definition: str | None,
    who: str,
) -> pd.DataFrame:
    kinds: dict[str, Kind] = (
        dict(values)
        if isinstance(values, Mapping)
        else {v: ("points" if v.startswith("part_") else "percent") for v in values}
    )
    bad = {k: v for k, v in kinds.items() if v not in _UNITS}
    if bad:
        raise SchemaError(f"{who} : type de variation inconnu {bad} ; possibles : {list(_UNITS)}")
    keys = [*by, year] + ([definition] if definition else [])
    _require(frame, [*keys, *kinds], who, "des valeurs")
    long = frame[[*keys, *kinds]].melt(id_vars=keys, var_name="indicateur", value_name="valeur")
    long["valeur"] = pd.to_numeric(long["valeur"], errors="coerce").astype("float64")
    long["type_variation"] = long["indicateur"].map(kinds)
    if definition is None:
        long["_def"] = ""
    else:
        long["_def"] = long[definition].astype("string").fillna("")
    dup = long.duplicated([*by, year, "indicateur"])
    if dup.any():
        raise SchemaError(
            f"{who} : plusieurs lignes pour une même unité et une même année "
            f"({int(dup.sum())} en trop) ; agrégez d'abord ou ajoutez la colonne qui les "
            f"distingue à by (by={list(by)})."
        )
    return long.sort_values([*by, "indicateur", year], kind="stable").reset_index(drop=True)


def changes(
    frame: pd.DataFrame,
    values: Mapping[str, Kind] | Sequence[str],
    *,
    by: Sequence[str] = (),
    year: str = "annee",
    definition: str | None = None,
) -> pd.DataFrame:
    r"""Year-on-year change of several indicators for every unit, in one grouped pass.

    .. math::

        \Delta_{points} = 100\,(v_t - v_{t'}) \qquad
        \Delta_{\%} = 100\,\left(\frac{v_t}{v_{t'}} - 1\right) \qquad
        \Delta = v_t - v_{t'}

    where :math:`t'` is the previous year present for the unit (2019 before 2021 when
    2020 is missing: ``annee_precedente`` says which).

    Parameters
    ----------
    frame
        One row per unit and year.
    values
        Indicator columns, or ``{column: "points" | "percent" | "difference"}``. Given as
        a list, ``part_*`` columns change in points and the others in percent.
    by
        Unit columns (``code_qpv``, ``code_insee``, ``bailleur``…); empty for one series.
    year
        The year column (``annee`` or ``millesime``).
    definition
        Optional column naming the definition of the values of each year (e.g.
        ``recensement_population``); a change between two definitions gets
        ``rupture = True``.

    Returns
    -------
    pandas.DataFrame
        Long table: ``by`` columns, ``indicateur``, ``annee`` (named as ``year``),
        ``valeur``, ``annee_precedente``, ``valeur_precedente``, ``variation``,
        ``unite_variation`` and ``rupture``. The first year of each unit has no change.

    Examples
    --------
    >>> t = pd.DataFrame({"annee": [2017, 2022], "part_pauvres": [0.414, 0.441]})
    >>> changes(t, ["part_pauvres"])["variation"].round(1).tolist()
    [nan, 2.7]
    """
    long = _long(frame, values, by, year, definition, "changes")
    grouped = long.groupby([*by, "indicateur"], sort=False, dropna=False)
    long["annee_precedente"] = grouped[year].shift(1).astype("Int64")
    long["valeur_precedente"] = grouped["valeur"].shift(1)
    previous_def = grouped["_def"].shift(1)
    long["variation"] = _variation(
        long["valeur"], long["valeur_precedente"], long["type_variation"]
    )
    long["unite_variation"] = long["type_variation"].map(_UNITS)
    long["rupture"] = (previous_def.notna() & (previous_def != long["_def"])).astype(bool)
    return long.drop(columns=["_def", "type_variation"])


def first_last_changes(
    frame: pd.DataFrame,
    values: Mapping[str, Kind] | Sequence[str],
    *,
    by: Sequence[str] = (),
    year: str = "annee",
    definition: str | None = None,
) -> pd.DataFrame:
    """Change of each indicator between the first and the last year where it is known, per unit.

    Missing values (INSEE's secret cells) are skipped: the first year is the first one
    with a value. ``rupture`` is true when the definition of the first and last values
    differ (see :func:`changes`). Same parameters as :func:`changes`.

    Parameters
    ----------
    frame
        One row per unit and year.
    values
        The indicators, with their kind (``share``, ``count``…) or as a list.
    by
        Unit columns.
    year
        The year column.
    definition
        Column naming the definition each value was computed with; a change of definition is
        a ``rupture``.

    Returns
    -------
    pandas.DataFrame
        One row per unit and indicator: ``annee_debut``, ``annee_fin``, ``valeur_debut``,
        ``valeur_fin``, ``variation``, ``unite_variation``, ``nb_annees`` (years with a
        value) and ``rupture``.

    Examples
    --------
    >>> t = pd.DataFrame({"q": ["A", "A", "A"], "annee": [2017, 2019, 2022],
    ...                   "revenu_median_uc": [12000.0, None, 13200.0]})
    >>> first_last_changes(t, ["revenu_median_uc"], by=["q"])["variation"].round(1).tolist()
    [10.0]
    """
    long = _long(frame, values, by, year, definition, "first_last_changes")
    known = long[long["valeur"].notna()]
    g = known.groupby([*by, "indicateur"], sort=True, dropna=False)
    out = g.agg(
        annee_debut=(year, "first"),
        annee_fin=(year, "last"),
        valeur_debut=("valeur", "first"),
        valeur_fin=("valeur", "last"),
        nb_annees=("valeur", "size"),
        _def_debut=("_def", "first"),
        _def_fin=("_def", "last"),
        type_variation=("type_variation", "first"),
    ).reset_index()
    out["variation"] = _variation(out["valeur_fin"], out["valeur_debut"], out["type_variation"])
    out["unite_variation"] = out["type_variation"].map(_UNITS)
    out["rupture"] = (out["_def_debut"] != out["_def_fin"]).astype(bool)
    return out.drop(columns=["_def_debut", "_def_fin", "type_variation"])


def typology(rooms: pd.Series) -> pd.Series:
    """Size class from the number of rooms: 0 or 1 room is T1, 5 rooms or more T5+.

    Parameters
    ----------
    rooms
        Number of rooms of each dwelling.

    Returns
    -------
    pandas.Series
        ``T1`` … ``T4``, ``T5+``; missing where rooms are missing.

    Examples
    --------
    >>> typology(pd.Series([0, 1, 3, 5, 7])).tolist()
    ['T1', 'T1', 'T3', 'T5+', 'T5+']
    """
    n = pd.to_numeric(rooms, errors="coerce")
    labels = np.select([n <= 1, n == 2, n == 3, n == 4, n >= 5], TYPOLOGIES, default="").astype(
        object
    )
    out = pd.Series(labels, index=rooms.index, dtype="object").replace("", None)
    return out.astype(pd.CategoricalDtype(TYPOLOGIES, ordered=True))


def pressure_by_size(
    demandes: pd.DataFrame,
    attributions: pd.DataFrame,
    *,
    by: Sequence[str] = ("annee", "code_insee"),
    rooms_demande: str = "nb_pieces",
    rooms_attribution: str = "nb_pieces",
) -> pd.DataFrame:
    r"""Demand against supply by dwelling size: pressure and satisfaction rate per T1 … T5+.

    .. math::

        pression = \frac{demandes\ en\ attente}{attributions} \qquad
        taux\ de\ satisfaction = \frac{attributions}{demandes\ en\ attente + attributions}

    Parameters
    ----------
    demandes
        Pending requests, one row each, with ``by`` and the size wanted
        (``rooms_demande``, number of rooms).
    attributions
        Attributions, one row each, with ``by`` and the rooms of the dwelling attributed.
    by
        Unit and year columns present in both (``annee``; ``code_insee``; ``en_qpv`` where
        the requests carry it).
    rooms_demande, rooms_attribution
        Number-of-rooms columns.

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` value and ``typologie``: ``nb_demandes``, ``nb_attributions``,
        ``pression`` (``NaN`` without attribution) and ``taux_satisfaction``.
    """
    _require(demandes, [*by, rooms_demande], "pressure_by_size", "des demandes")
    _require(attributions, [*by, rooms_attribution], "pressure_by_size", "des attributions")
    keys = [*by, "typologie"]
    d = demandes[list(by)].assign(typologie=typology(demandes[rooms_demande]))
    a = attributions[list(by)].assign(typologie=typology(attributions[rooms_attribution]))
    out = pd.concat(
        [
            d.groupby(keys, observed=True).size().rename("nb_demandes"),
            a.groupby(keys, observed=True).size().rename("nb_attributions"),
        ],
        axis=1,
    )
    out = out.fillna(0).astype("int64").reset_index()
    n_a = out["nb_attributions"].to_numpy(dtype="float64")
    n_d = out["nb_demandes"].to_numpy(dtype="float64")
    out["pression"] = np.divide(n_d, n_a, out=np.full(len(out), np.nan), where=n_a > 0)
    total = n_d + n_a
    out["taux_satisfaction"] = np.divide(n_a, total, out=np.full(len(out), np.nan), where=total > 0)
    return out.sort_values(keys).reset_index(drop=True)


def financing_class(financement: pd.Series) -> pd.Series:
    """Map RPLS financing labels to PLAI, PLUS, PLS, PLI or ``autre``.

    Labels are compared without case, spaces or hyphens: ``PLA-I``, ``PLATS`` and
    ``PLALM`` (the older very-social loans) are PLAI; ``PLA`` and ``PLUS-CD`` are PLUS;
    HLM/O, ILN, PCL, PLA-CFF, numeric codes and missing values are ``autre``.

    Parameters
    ----------
    financement
        RPLS financing labels.

    Returns
    -------
    pandas.Series
        ``PLAI``, ``PLUS``, ``PLS``, ``PLI`` or ``autre``.

    Examples
    --------
    >>> financing_class(pd.Series(["PLA-I", "plus", "PLS", "PLI", "HLM/O", None])).tolist()
    ['PLAI', 'PLUS', 'PLS', 'PLI', 'autre', 'autre']
    """
    key = financement.astype("string").str.upper().str.replace(r"[\s\-_/]", "", regex=True)
    conditions = [
        key.isin(["PLAI", "PLAI", "PLATS", "PLALM", "PLAIADAPTE"]).fillna(False),
        key.isin(["PLUS", "PLA", "PLUSCD"]).fillna(False),
        key.eq("PLS").fillna(False),
        key.eq("PLI").fillna(False),
    ]
    labels = np.select([c.to_numpy() for c in conditions], FINANCEMENTS[:4], default="autre")
    return pd.Series(labels, index=financement.index).astype(
        pd.CategoricalDtype(FINANCEMENTS, ordered=True)
    )


def stock_by_financing(
    rpls: pd.DataFrame,
    *,
    by: Sequence[str] = ("millesime", "code_insee"),
    financement: str = "financement",
) -> pd.DataFrame:
    r"""Stock by financing class (PLAI, PLUS, PLS, PLI, other) per unit and year.

    .. math:: part_f = \frac{logements\ financés\ en\ f}{logements\ de\ l'unité}

    Parameters
    ----------
    rpls
        One row per dwelling (:func:`peuplement.load_rpls`, one or several vintages).
    by
        Year and unit columns (``code_insee``, ``bailleur``, ``code_qpv``, ``en_qpv``).
    financement
        The financing column (mapped by :func:`financing_class`).

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` value and ``financement`` class present: ``nb_lls`` and
        ``part`` (share of the unit's stock, in [0, 1]).
    """
    _require(rpls, [*by, financement], "stock_by_financing", "RPLS")
    frame = rpls[list(by)].assign(financement=financing_class(rpls[financement]))
    out = (
        frame.groupby([*by, "financement"], observed=True, dropna=False)
        .size()
        .rename("nb_lls")
        .reset_index()
    )
    out = out[out["nb_lls"] > 0].reset_index(drop=True)
    total = out.groupby(list(by), dropna=False)["nb_lls"].transform("sum")
    out["part"] = out["nb_lls"] / total
    return out


def rents_vacancy_mobility(
    rpls: pd.DataFrame,
    *,
    by: Sequence[str] = ("millesime", "bailleur"),
) -> pd.DataFrame:
    r"""Mean rent per m², vacancy and mobility per unit and year, from the RPLS fields present.

    .. math::

        loyer\_m2 = \frac{\sum loyer}{\sum surface} \qquad
        part\_vacants = \frac{vacants}{logements} \qquad
        part\_vacants\_3mois = \frac{vacants\ depuis\ plus\ de\ 3\ mois}{logements} \qquad
        taux\_mobilite = \frac{emménagements}{logements}

    The mean rent is the rent of the dwellings with both a rent and a surface, divided
    by their surface (a surface-weighted mean, as the SDES computes it). Measures whose
    fields are absent are not returned.

    Parameters
    ----------
    rpls
        One row per dwelling. Fields used where present: ``loyer`` (monthly main rent,
        €, RPLS ``LOYERPRINC``) with ``surface_m2``; ``vacant`` (bool) and
        ``vacance_mois`` (months vacant at 1 January); ``emmenagement`` (bool, a new
        lease during the year: RPLS ``BAIL`` date in the year).
    by
        Year and unit columns (``bailleur``, ``code_insee``, ``financement``…).

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` value: ``nb_logements`` and those of ``loyer_m2``,
        ``part_vacants``, ``part_vacants_3mois``, ``taux_mobilite`` whose fields exist.

    Raises
    ------
    SchemaError
        When none of the fields is present.
    """
    _require(rpls, list(by), "rents_vacancy_mobility", "RPLS")
    has_rent = {"loyer", "surface_m2"} <= set(rpls.columns)
    has_vac = "vacant" in rpls.columns
    has_mob = "emmenagement" in rpls.columns
    if not (has_rent or has_vac or has_mob):
        raise SchemaError(
            "rents_vacancy_mobility : aucune des colonnes loyer + surface_m2, vacant, "
            f"emmenagement n'est présente ; trouvées : {preview(map(str, rpls.columns), 12)}. "
            "Ces champs ne sont que dans le RPLS « version loi » (pas dans le fichier ouvert)."
        )
    work = rpls[list(by)].copy()
    work["_n"] = 1
    aggs: dict[str, tuple[str, str]] = {"nb_logements": ("_n", "sum")}
    if has_rent:
        ok = rpls["loyer"].notna() & rpls["surface_m2"].gt(0)
        work["_loyer"] = rpls["loyer"].where(ok, 0.0)
        work["_surface"] = rpls["surface_m2"].where(ok, 0.0)
        aggs |= {"_loyer": ("_loyer", "sum"), "_surface": ("_surface", "sum")}
    if has_vac:
        vacant = rpls["vacant"].fillna(False).astype(bool)
        work["_vac"] = vacant.astype("int64")
        months = rpls["vacance_mois"] if "vacance_mois" in rpls else pd.Series(np.nan, rpls.index)
        work["_vac3"] = (vacant & months.gt(3).fillna(False)).astype("int64")
        aggs |= {"_vac": ("_vac", "sum"), "_vac3": ("_vac3", "sum")}
    if has_mob:
        work["_mob"] = rpls["emmenagement"].fillna(False).astype(bool).astype("int64")
        aggs |= {"_mob": ("_mob", "sum")}
    out = work.groupby(list(by), dropna=False).agg(**aggs).reset_index()
    n = out["nb_logements"].astype("float64")
    if has_rent:
        surface = out.pop("_surface")
        out["loyer_m2"] = (out.pop("_loyer") / surface).where(surface > 0)
    if has_vac:
        out["part_vacants"] = out.pop("_vac") / n
        out["part_vacants_3mois"] = out.pop("_vac3") / n
    if has_mob:
        out["taux_mobilite"] = out.pop("_mob") / n
    return out


def mutations_rehousing(
    attributions: pd.DataFrame,
    *,
    by: Sequence[str] = ("annee",),
    destination: Sequence[str] = ("en_qpv",),
) -> pd.DataFrame:
    """Count mutations (internal, between landlords) and urban-renewal rehousings, and where they go.

    Parameters
    ----------
    attributions
        One row per attribution with ``by``, ``destination`` (``en_qpv`` is derived from
        ``code_qpv`` when absent), ``type_mutation`` (``"interne"``, ``"inter-bailleurs"`` or
        missing for a household not yet in the social stock) and ``relogement_ru``
        (bool).
    by
        Year (and unit) columns.
    destination
        Where the households go: ``en_qpv`` and/or ``code_insee``.

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` and ``destination`` value: ``nb_attributions``,
        ``nb_mutations_internes``, ``nb_mutations_inter_bailleurs``,
        ``nb_relogements_ru``, and ``part_mutations`` / ``part_relogements_ru`` (shares of
        the cell's attributions), ``part_relogements_ru_annee`` (share of the year's
        rehousings going to this destination).
    """
    frame = attributions.copy()
    if "en_qpv" in destination and "en_qpv" not in frame and "code_qpv" in frame:
        frame["en_qpv"] = frame["code_qpv"].notna()
    _require(
        frame,
        [*by, *destination, "type_mutation", "relogement_ru"],
        "mutations_rehousing",
        "des attributions",
    )
    kind = frame["type_mutation"].astype("string").str.lower()
    frame["_n"] = 1
    frame["_int"] = kind.eq("interne").fillna(False).astype("int64")
    frame["_inter"] = kind.eq("inter-bailleurs").fillna(False).astype("int64")
    frame["_ru"] = frame["relogement_ru"].fillna(False).astype(bool).astype("int64")
    keys = [*by, *destination]
    out = (
        frame.groupby(keys, dropna=False)
        .agg(
            nb_attributions=("_n", "sum"),
            nb_mutations_internes=("_int", "sum"),
            nb_mutations_inter_bailleurs=("_inter", "sum"),
            nb_relogements_ru=("_ru", "sum"),
        )
        .reset_index()
    )
    n = out["nb_attributions"].astype("float64")
    out["part_mutations"] = (out["nb_mutations_internes"] + out["nb_mutations_inter_bailleurs"]) / n
    out["part_relogements_ru"] = out["nb_relogements_ru"] / n
    year_ru = out.groupby(list(by), dropna=False)["nb_relogements_ru"].transform("sum")
    out["part_relogements_ru_annee"] = (out["nb_relogements_ru"] / year_ru).where(year_ru > 0)
    return out


#: How each department column is aggregated to a region or France: summed counts, and
#: means weighted by the column named (an approximation for rents, weighted by the
#: number of dwellings rather than their surface, and for poverty, weighted by
#: inhabitants rather than persons in ordinary households).
_DEPT_AGG: dict[str, str | None] = {
    "nb_habitants": None,
    "nb_residences_principales": None,
    "nb_lls": None,
    "nb_mises_en_location": None,
    "nb_demolitions": None,
    "part_pauvres": "nb_habitants",
    "part_logements_sociaux": "nb_residences_principales",
    "part_vacants_parc_social": "nb_lls",
    "loyer_moyen_m2": "nb_lls",
    "age_moyen_parc": "nb_lls",
}


def aggregate_departements(
    departements: pd.DataFrame, *, by: Sequence[str] = ("annee", "code_region")
) -> pd.DataFrame:
    """Aggregate the department series to regions (or France with ``by=("annee",)``) in one pass.

    Counts are summed; rates are means weighted as stated in ``_DEPT_AGG`` (rows with
    a missing rate or weight are left out of that rate's mean).

    Parameters
    ----------
    departements
        The department series (:func:`peuplement.io.insee_qpv.load_departements_logement`).
    by
        Grouping columns: year and region, or year only for France.

    Returns
    -------
    pandas.DataFrame
        One row per ``by`` value, counts summed and rates weighted.

    Examples
    --------
    >>> d = pd.DataFrame({"annee": [2022, 2022], "code_region": ["32", "32"],
    ...     "nb_lls": [100, 300], "loyer_moyen_m2": [5.0, 6.0]})
    >>> float(aggregate_departements(d)["loyer_moyen_m2"].iloc[0])
    5.75
    """
    _require(departements, list(by), "aggregate_departements", "des départements")
    cols = [c for c in _DEPT_AGG if c in departements.columns]
    work = departements[list(by)].copy()
    for c in cols:
        weight = _DEPT_AGG[c]
        if weight is None:
            work[c] = departements[c].astype("float64")
        elif weight in departements.columns:
            w = departements[weight].astype("float64")
            ok = departements[c].notna() & w.notna()
            work[f"_num_{c}"] = (departements[c].astype("float64") * w).where(ok, 0.0)
            work[f"_den_{c}"] = w.where(ok, 0.0)
    out = work.groupby(list(by), dropna=False).sum(min_count=1).reset_index()
    for c in cols:
        if f"_num_{c}" in out:
            den = out.pop(f"_den_{c}")
            out[c] = (out.pop(f"_num_{c}") / den).where(den > 0)
    return out


def _region_name(upper: str) -> str:
    """``HAUTS-DE-FRANCE`` → ``Hauts-de-France`` (the series writes regions in capitals)."""
    words = upper.title()
    for small in ("De", "Du", "Des", "La", "Et"):
        words = words.replace(f"-{small}-", f"-{small.lower()}-")
    return words.replace("D'", "d'").replace("'Azur", "'Azur")


def compare_with_references(
    epci: pd.DataFrame,
    departements: pd.DataFrame,
    *,
    code_departement: str,
    nom_epci: str = "EPCI",
) -> pd.DataFrame:
    """Put each headline indicator of an EPCI beside its department, region and France.

    Parameters
    ----------
    epci
        The EPCI's values, long: ``annee``, ``indicateur``, ``valeur`` (indicator names
        of the department series: ``nb_lls``, ``part_logements_sociaux``,
        ``part_vacants_parc_social``, ``loyer_moyen_m2``, ``part_pauvres``…). An
        indicator with no reference is kept with the EPCI alone.
    departements
        :func:`peuplement.io.insee_qpv.load_departements_logement` output.
    code_departement
        The EPCI's department (``"59"`` for the Nord); its region is read from the series.
    nom_epci
        Label of the EPCI in ``territoire``.

    Returns
    -------
    pandas.DataFrame
        Long: ``annee``, ``indicateur``, ``niveau`` (``EPCI``, ``département``,
        ``région``, ``France``), ``territoire``, ``valeur``.
    """
    _require(epci, ["annee", "indicateur", "valeur"], "compare_with_references", "de l'EPCI")
    mine = departements[departements["code_departement"] == code_departement]
    if mine.empty:
        raise SchemaError(
            f"compare_with_references : département {code_departement!r} absent de la série ; "
            f"départements présents : {preview(sorted(departements['code_departement'].unique()))}"
        )
    region = str(mine["code_region"].iloc[0])
    levels = [
        ("département", str(mine["nom_departement"].iloc[0]), mine),
        (
            "région",
            _region_name(str(mine["nom_region"].iloc[0])),
            aggregate_departements(
                departements[departements["code_region"] == region], by=("annee",)
            ),
        ),
        ("France", "France", aggregate_departements(departements, by=("annee",))),
    ]
    wanted = sorted(set(epci["indicateur"]))
    frames = [epci[["annee", "indicateur", "valeur"]].assign(niveau="EPCI", territoire=nom_epci)]
    for niveau, name, table in levels:
        cols = [c for c in wanted if c in table.columns]
        long = table[["annee", *cols]].melt(
            id_vars="annee", var_name="indicateur", value_name="valeur"
        )
        frames.append(long.assign(niveau=niveau, territoire=name))
    out = pd.concat(frames, ignore_index=True)
    out["annee"] = out["annee"].astype("int64")
    out["valeur"] = out["valeur"].astype("float64")
    order = {"EPCI": 0, "département": 1, "région": 2, "France": 3}
    out = out.sort_values(
        ["indicateur", "annee", "niveau"], key=lambda s: s.map(order) if s.name == "niveau" else s
    )
    return out[["annee", "indicateur", "niveau", "territoire", "valeur"]].reset_index(drop=True)


def epci_income_position(filosofi_epci: pd.DataFrame, siren: str) -> pd.DataFrame:
    """Place an EPCI's Filosofi median income and first decile among all EPCI of France.

    Parameters
    ----------
    filosofi_epci
        :func:`peuplement.load_filosofi` at the ``"epci"`` level (``code``,
        ``mediane_uc``, ``d1_uc``).
    siren
        The EPCI.

    Returns
    -------
    pandas.DataFrame
        One row per measure (``mediane_uc``, ``d1_uc``): ``valeur`` (the EPCI's),
        ``mediane_des_epci`` (median over the EPCI of France, unweighted),
        ``rang`` (1 = lowest), ``nb_epci`` and ``part_epci_plus_bas`` (share of EPCI
        with a lower value, in [0, 1]).

    Examples
    --------
    >>> f = pd.DataFrame({"code": ["1", "2", "3"], "mediane_uc": [10.0, 20.0, 30.0],
    ...                   "d1_uc": [5.0, 6.0, 7.0]})
    >>> epci_income_position(f, "1")["part_epci_plus_bas"].tolist()
    [0.0, 0.0]
    """
    _require(filosofi_epci, ["code", "mediane_uc", "d1_uc"], "epci_income_position", "Filosofi")
    row = filosofi_epci[filosofi_epci["code"] == siren]
    if row.empty:
        raise SchemaError(
            f"epci_income_position : EPCI {siren!r} absent du fichier Filosofi "
            f"({len(filosofi_epci)} EPCI) ; vérifiez le SIREN."
        )
    out = []
    for col in ("mediane_uc", "d1_uc"):
        values = filosofi_epci[col].dropna().astype("float64")
        mine = float(row[col].iloc[0])
        lower = int((values < mine).sum())
        out.append(
            {
                "mesure": col,
                "valeur": mine,
                "mediane_des_epci": float(values.median()),
                "rang": lower + 1,
                "nb_epci": int(len(values)),
                "part_epci_plus_bas": lower / len(values),
            }
        )
    return pd.DataFrame(out)
