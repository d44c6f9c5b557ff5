"""QPV perimeters of the 2015 (``QP…``) and 2024 (``QN…``) generations.

The 2015 file is the official ANCT shapefile ``QP_METROPOLE_LB93`` (``CODE_QP``,
``NOM_QP``, ``COMMUNE_QP``: the commune names separated by commas). The 2024 file
published by the ANCT uses lower-case names (``code_qp``, ``lib_qp``, ``insee_com``,
``lib_com``) and ``QN…`` codes; both are mapped to the canonical columns ``code_qpv``,
``nom_qpv``, ``communes_qpv`` (names, as listed by the official file), ``insee_qpv``
(codes, when the file gives them), ``generation`` and ``geometry`` (Lambert-93).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from peuplement._config import QPV_2024_FILE, qpv_file_hint, reference_file
from peuplement._errors import DataNotFoundError, SchemaError
from peuplement.io._geo import (
    ABSURD,
    absurd_coordinates,
    check_layer_path,
    drop_outside_france,
    read_layer,
    to_lambert93,
)
from peuplement.schema import QPV_PATTERNS, CodeCheck, normalize_qpv, resolve_columns
from peuplement.validation import Loaded, LoadReport

__all__ = ["QPV_ALIASES", "QPV_COLUMNS", "load_qpv", "load_qpv_list", "repair_polygons"]

logger = logging.getLogger(__name__)

QPV_COLUMNS = ["code_qpv", "nom_qpv", "communes_qpv", "insee_qpv", "generation", "geometry"]

QPV_ALIASES: dict[str, Sequence[str]] = {
    "code_qpv": ("CODE_QP", "code_qp", "CODGEO", "qp", "code_quartier"),
    "nom_qpv": ("NOM_QP", "lib_qp", "LIBGEO", "nom_qp", "nom_quartier"),
    "communes_qpv": ("COMMUNE_QP", "lib_com", "liste_des_communes", "communes"),
    "insee_qpv": ("insee_com", "code_insee", "INSEE_COM", "depcom"),
}

#: Default perimeter files. The 2024 one is ANCT's official file cut to three EPCIs
#: (Cœur d'Ostrevent, CU d'Arras, Lens-Liévin): elsewhere pass the national file.
_DEFAULT_FILES = {
    2015: "qpv/qp2015_national_shp/QP_METROPOLE_LB93.shp",
    2024: QPV_2024_FILE,
}
#: The 2024 QPV codes per commune (ANCT list, incomplete: see PROVENANCE.md).
_LIST_2024 = "qpv/qpv2024/qpv2024_liste_par_commune_anct_wgs84.geojson"
_URL_2024 = (
    "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/ "
    "(ANCT, 'QP2024_France_Hexagonale_Outre_Mer')"
)

_POLYGONAL = {"Polygon", "MultiPolygon"}


def repair_polygons(geoms: gpd.GeoSeries) -> tuple[gpd.GeoSeries, np.ndarray, np.ndarray]:
    """Repair invalid polygons with :func:`shapely.make_valid`, keeping only polygonal parts.

    ``make_valid`` may return a GeometryCollection mixing the repaired polygons with
    stray lines or points (QP059030 in the official 2015 file); only the polygons are
    kept, so the result is a (Multi)Polygon of the same area.

    Parameters
    ----------
    geoms
        Polygons, some possibly invalid.

    Returns
    -------
    tuple
        The repaired series, the mask of repaired geometries, and the relative change of
        area of each repaired geometry (0 elsewhere).
    """
    values = geoms.to_numpy()
    invalid = ~shapely.is_valid(values) & ~shapely.is_missing(values)
    change = np.zeros(len(values))
    if invalid.any():
        fixed = shapely.make_valid(values[invalid])
        polygonal = []
        for geom in fixed:
            if geom.geom_type in _POLYGONAL:
                polygonal.append(geom)
            else:
                parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
                polygonal.append(shapely.multipolygons(shapely.get_parts(parts)))
        before = shapely.area(values[invalid])
        after = shapely.area(np.array(polygonal, dtype=object))
        change[invalid] = np.abs(after - before) / np.where(before > 0, before, 1)
        values = values.copy()
        values[invalid] = polygonal
    return gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs), invalid, change


def _file_bbox(
    path: str | os.PathLike[str], layer: str | None, bbox: tuple[float, float, float, float] | None
) -> tuple[float, float, float, float] | None:
    """Express a Lambert-93 box in the file's own CRS (the 2024 files are in CRS84)."""
    if bbox is None:
        return None
    import pyogrio
    from pyproj import CRS, Transformer

    crs = pyogrio.read_info(path, layer=layer).get("crs")
    if not crs or CRS.from_user_input(crs) == CRS.from_epsg(2154):
        return bbox
    to_file = Transformer.from_crs("EPSG:2154", crs, always_xy=True)
    return tuple(to_file.transform_bounds(*bbox))  # type: ignore[return-value]


def _default_qpv_file(generation: int, data_dir: str | os.PathLike[str] | None) -> Path:
    """Return the reference-data file of a QPV generation, or say where to get it."""
    if generation not in _DEFAULT_FILES:
        raise DataNotFoundError(
            f"aucun fichier par défaut pour les périmètres QPV {generation} : téléchargez-les "
            f"depuis {_URL_2024} et {qpv_file_hint()}"
        )
    try:
        path = reference_file(_DEFAULT_FILES[generation], data_dir_=data_dir)
    except DataNotFoundError as exc:
        if generation != 2024:
            raise
        raise DataNotFoundError(
            f"{exc} Périmètres officiels 2024 de toute la France : {_URL_2024} ; {qpv_file_hint()}."
        ) from exc
    return path


def _check_rows(
    raw: gpd.GeoDataFrame, code_col: str, rows: pd.Series, generation: int, report: LoadReport
) -> tuple[CodeCheck, pd.Series]:
    """Reject codes of the other generation or malformed, missing or absurd geometries, duplicates.

    Returns the normalised codes and the mask of rejected rows.
    """
    check = normalize_qpv(raw[code_col], generation=generation)
    other = [g for g in QPV_PATTERNS if g != generation][0]
    other_gen = normalize_qpv(raw[code_col], generation=other).values.notna()
    report.reject(
        rows[check.invalid & other_gen],
        column=code_col,
        values=raw.loc[check.invalid & other_gen, code_col],
        reason=f"code QPV de la génération {other} dans un fichier {generation}",
    )
    bad = (check.invalid & ~other_gen) | check.missing
    expected = (
        "QP + département + 3 chiffres (QP059034)"
        if generation == 2015
        else "QN + département + 3 caractères (QN05901M)"
    )
    report.reject(
        rows[bad],
        column=code_col,
        values=raw.loc[bad, code_col],
        reason=f"attendu : un code QPV {expected}",
    )
    rejected = check.invalid | check.missing
    no_geom = (raw.geometry.isna() | raw.geometry.is_empty) & ~rejected
    report.reject(
        rows[no_geom],
        column="geometry",
        values=raw.loc[no_geom, code_col],
        reason="QPV sans géométrie",
    )
    rejected |= no_geom
    absurd = absurd_coordinates(raw.geometry) & ~rejected
    report.reject(
        rows[absurd],
        column="geometry",
        values=raw.loc[absurd, code_col],
        reason=ABSURD,
    )
    rejected |= absurd
    dup = check.values.duplicated(keep="first") & ~rejected
    report.reject(
        rows[dup],
        column=code_col,
        values=raw.loc[dup, code_col],
        reason="code QPV en double (première occurrence gardée)",
    )
    rejected |= dup
    return check, rejected


def _clean_geometries(
    out: gpd.GeoDataFrame, rows: pd.Series, report: LoadReport, name: str
) -> gpd.GeoDataFrame:
    """Project to Lambert-93, drop QPV outside France, repair invalid outlines, refuse non-polygons."""
    out = to_lambert93(out, report=report)
    out = drop_outside_france(out, rows, report, key="code_qpv")
    repaired, invalid, change = repair_polygons(out.geometry)
    if invalid.any():
        codes = out.loc[invalid, "code_qpv"].tolist()
        report.repair(
            f"géométries invalides rendues valides, parties polygonales gardées, plus grand "
            f"écart relatif de surface {change.max():.2e} : {', '.join(codes)}",
            int(invalid.sum()),
        )
    out = out.set_geometry(repaired)
    non_polygon = ~out.geometry.geom_type.isin(list(_POLYGONAL))
    if non_polygon.any():
        raise SchemaError(
            f"{name} : {int(non_polygon.sum())} QPV ne sont pas des polygones "
            f"({out.loc[non_polygon, 'code_qpv'].head().tolist()}) ; une couche de QPV contient "
            "des polygones (contours)"
        )
    return out


def load_qpv(
    path: str | os.PathLike[str] | gpd.GeoDataFrame | None = None,
    *,
    generation: int = 2015,
    data_dir: str | os.PathLike[str] | None = None,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> Loaded[gpd.GeoDataFrame]:
    """Load QPV perimeters of one generation.

    Parameters
    ----------
    path
        The QPV file (Shapefile, GeoPackage, GeoJSON) or a GeoDataFrame. By default, the
        official 2015 shapefile of the reference-data directory.
    generation
        2015 (codes ``QP…``, décret 2014-1750) or 2024 (codes ``QN…``, décret 2023-1314).
        Codes of the other generation are rejected.
    data_dir
        Reference-data directory (see :func:`peuplement.data_dir`).
    layer, columns
        Layer of a multi-layer file; explicit ``{file_column: canonical_name}`` mapping.
    bbox
        Read only the features intersecting this Lambert-93 box (faster for one territory).

    Returns
    -------
    Loaded
        The perimeters (canonical columns, Lambert-93, valid polygons) and the report,
        listing repaired geometries, rejected codes and duplicates.
    """
    if generation not in QPV_PATTERNS:
        raise SchemaError(
            f"generation={generation!r} : génération de QPV inconnue ; attendu l'une de "
            f"{sorted(QPV_PATTERNS)}"
        )
    if path is None:
        path = _default_qpv_file(generation, data_dir)
    if isinstance(path, gpd.GeoDataFrame):
        raw, name = path.copy(), "<GeoDataFrame>"
    else:
        name = os.path.basename(os.fspath(path))
        check_layer_path(path)
        raw = read_layer(path, layer=layer, bbox=_file_bbox(path, layer, bbox))
    report = LoadReport(name)
    report.n_read = len(raw)
    found = resolve_columns(raw, QPV_ALIASES, required=["code_qpv"], source=name, columns=columns)
    rows = pd.Series(np.arange(1, len(raw) + 1), index=raw.index)
    check, rejected = _check_rows(raw, found["code_qpv"], rows, generation, report)
    out = gpd.GeoDataFrame(
        {
            "code_qpv": check.values,
            "nom_qpv": raw[found["nom_qpv"]].astype("string") if "nom_qpv" in found else pd.NA,
            "communes_qpv": raw[found["communes_qpv"]].astype("string")
            if "communes_qpv" in found
            else pd.NA,
            "insee_qpv": raw[found["insee_qpv"]].astype("string")
            if "insee_qpv" in found
            else pd.NA,
            "generation": generation,
        },
        geometry=raw.geometry.values,
        crs=raw.crs,
        index=raw.index,
    )[~rejected]
    out = out.astype({"nom_qpv": "string", "communes_qpv": "string", "insee_qpv": "string"})
    out = _clean_geometries(out, rows, report, name)
    out = out.sort_values("code_qpv").reset_index(drop=True)
    report.close(len(out))
    return Loaded(out[QPV_COLUMNS], report)


def load_qpv_list(
    generation: int = 2024,
    *,
    path: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Return the QPV codes of a generation per commune, and whether the list is complete.

    For 2024, the ANCT list per commune (``code_qp`` comma-separated per ``insee_com``;
    1,493 of the 1,584 codes: **incomplete**); for 2015, the codes of the official
    national perimeters (complete for metropolitan France). A ``path`` to the official
    national 2024 perimeters (``code_qp``, ``insee_com``) gives a complete list.

    Parameters
    ----------
    generation
        2015 or 2024.
    path
        The official national perimeters of that generation; ``None``: the list of the
        reference data.
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

    Returns
    -------
    tuple
        A frame ``code_qpv``, ``code_insee`` (one row per QPV × commune listed) and
        ``True`` when the list is the official complete one.
    """
    if generation == 2015 and path is None:
        layer = load_qpv(generation=2015, data_dir=data_dir).data
        return pd.DataFrame({"code_qpv": layer["code_qpv"], "code_insee": pd.NA}), True
    if generation != 2024:
        raise SchemaError(f"génération QPV {generation!r} ; attendue 2015 ou 2024")
    source = path or reference_file(_LIST_2024, data_dir_=data_dir)
    raw = pd.DataFrame(gpd.read_file(source, engine="pyogrio").drop(columns="geometry"))
    found = resolve_columns(raw, QPV_ALIASES, required=["code_qpv"], source=str(source))
    codes = raw[found["code_qpv"]].astype("string").str.split(r"\s*,\s*")
    insee = raw[found["insee_qpv"]].astype("string") if "insee_qpv" in found else pd.NA
    frame = pd.DataFrame({"code_qpv": codes, "code_insee": insee}).explode("code_qpv")
    frame["code_qpv"] = frame["code_qpv"].str.strip().str.upper()
    frame = frame[frame["code_qpv"].str.match(QPV_PATTERNS[2024].pattern).fillna(False)]
    return frame.drop_duplicates().reset_index(drop=True), path is not None
