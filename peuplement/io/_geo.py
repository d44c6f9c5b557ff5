"""CRS checks shared by the geographic loaders."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.errors
from pyproj import CRS

from peuplement._errors import CRSError, DataNotFoundError, SchemaError, hint
from peuplement.schema import CRS_LAMBERT93
from peuplement.validation import LoadReport

__all__ = [
    "ABSURD",
    "absurd_coordinates",
    "drop_outside_france",
    "outside_france",
    "read_layer",
    "to_lambert93",
]

# Envelope of Lambert-93 coordinates in metropolitan France and Corsica, with a margin.
_L93_X = (-50_000.0, 1_300_000.0)
_L93_Y = (6_000_000.0, 7_200_000.0)
# Envelope of metropolitan France and Corsica in longitude/latitude, with a margin.
_LON = (-6.0, 10.5)
_LAT = (41.0, 51.6)


def check_layer_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` if it is an existing file; else a French error naming it."""
    file = Path(path)
    if not file.exists():
        raise DataNotFoundError(
            f"Le fichier « {file} » n'existe pas. Vérifiez le chemin et le nom."
        )
    if file.is_dir():
        raise SchemaError(f"« {file} » est un dossier ; un fichier géographique est attendu.")
    return file


def read_layer(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read a geographic file (GeoPackage, GeoJSON, Shapefile, GeoParquet) or fail in French.

    Raises
    ------
    DataNotFoundError
        When the file does not exist.
    SchemaError
        When it is a folder or cannot be read as a geographic layer.
    """
    file = check_layer_path(path)
    try:
        if file.suffix.lower() == ".parquet":
            return gpd.read_parquet(file)
        return gpd.read_file(file, layer=layer, engine="pyogrio", bbox=bbox)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as exc:
        raise SchemaError(
            f"{file.name} ne peut pas être lu comme une couche géographique. Donnez un "
            "GeoPackage, un GeoJSON, un Shapefile complet (.shp, .shx, .dbf, .prj) ou un GeoParquet."
        ) from exc


def outside_france(geoms: gpd.GeoSeries) -> pd.Series:
    """Mask of geometries with a coordinate outside the Lambert-93 envelope of France (or not finite).

    A geometry reaching x = 10³⁰⁰ is no commune or QPV outline: it would silently stretch
    every map and every spatial index built on the layer.
    """
    present = ~(geoms.isna() | geoms.is_empty)
    bounds = geoms.bounds.to_numpy()
    with np.errstate(invalid="ignore"):
        inside = (
            np.isfinite(bounds).all(axis=1)
            & (bounds[:, 0] >= _L93_X[0])
            & (bounds[:, 2] <= _L93_X[1])
            & (bounds[:, 1] >= _L93_Y[0])
            & (bounds[:, 3] <= _L93_Y[1])
        )
    return pd.Series(present.to_numpy() & ~inside, index=geoms.index)


def absurd_coordinates(geoms: gpd.GeoSeries) -> pd.Series:
    """Mask of geometries with a non-finite coordinate or one beyond 2 × 10⁷ (no CRS of the Earth reaches it)."""
    present = ~(geoms.isna() | geoms.is_empty)
    bounds = geoms.bounds.to_numpy()
    with np.errstate(invalid="ignore"):
        sane = np.isfinite(bounds).all(axis=1) & (np.abs(bounds) <= 2e7).all(axis=1)
    return pd.Series(present.to_numpy() & ~sane, index=geoms.index)


def drop_outside_france(
    frame: gpd.GeoDataFrame, rows: pd.Series, report: LoadReport, *, key: str
) -> gpd.GeoDataFrame:
    """Reject (with their row) the features of a Lambert-93 layer lying outside France."""
    far = outside_france(frame.geometry)
    report.reject(
        rows[frame.index[far]],
        column="geometry",
        values=frame.loc[far, key],
        reason="géométrie hors de la France métropolitaine (Lambert-93)",
    )
    return frame[~far]


#: Reason of the rejection of a geometry with absurd coordinates.
ABSURD = "coordonnées non finies ou au-delà de 2 × 10⁷ : ni des mètres ni des degrés"


def _within(bounds: np.ndarray, xs: tuple[float, float], ys: tuple[float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return bool(xs[0] <= minx and maxx <= xs[1] and ys[0] <= miny and maxy <= ys[1])


def _override_hint(crs: str) -> str:
    """Say how to declare the right CRS: in Python, or on the file for a command's user."""
    return hint(
        python=f"ou appelez set_crs('{crs}', allow_override=True).",
        cli=f"(en {crs}) ou réenregistrez la couche en {crs} (QGIS : Exporter, SCR de la couche).",
    )


def to_lambert93(frame: gpd.GeoDataFrame, *, report: LoadReport) -> gpd.GeoDataFrame:
    """Return ``frame`` in Lambert-93, checking that the declared CRS fits the coordinates.

    - A CRS equivalent to EPSG:2154 (the ``IGNF:LAMB93`` of official shapefiles) is
      relabelled EPSG:2154.
    - A missing CRS is assumed from the coordinates when that is unambiguous (all in the
      Lambert-93 envelope of France, or all in France's longitude/latitude envelope) and
      the assumption is recorded; otherwise :class:`CRSError`.
    - A declared CRS contradicted by the coordinates (degrees declared as Lambert-93, or
      metres declared as WGS84) raises :class:`CRSError`.
    """
    geoms = frame.geometry
    present = geoms[~(geoms.isna() | geoms.is_empty)]
    bounds = present.total_bounds if len(present) else np.array([0.0, 0.0, 0.0, 0.0])
    looks_l93 = _within(bounds, _L93_X, _L93_Y)
    looks_lonlat = _within(bounds, _LON, _LAT)
    crs = frame.crs
    if crs is None:
        if looks_l93:
            report.repair(
                "aucun SCR déclaré (.prj manquant ?) : coordonnées en Lambert-93, EPSG:2154 supposé",
                1,
            )
            return frame.set_crs(CRS_LAMBERT93)
        if looks_lonlat:
            report.repair(
                "aucun SCR déclaré (.prj manquant ?) : coordonnées en longitude/latitude, EPSG:4326 supposé",
                1,
            )
            return frame.set_crs("EPSG:4326").to_crs(CRS_LAMBERT93)
        raise CRSError(
            f"{report.source} n'a pas de SCR et ses coordonnées (emprise {np.round(bounds, 3).tolist()}) "
            "ne sont ni du Lambert-93 ni des longitudes/latitudes en France : ajoutez le fichier .prj "
            + hint(
                python="ou déclarez le SCR (GeoDataFrame.set_crs) avant le chargement.",
                cli="ou réenregistrez la couche avec son SCR (QGIS : Exporter, SCR de la couche).",
            )
        )
    crs = CRS.from_user_input(crs)
    if crs.is_geographic and looks_l93 and not looks_lonlat:
        raise CRSError(
            f"{report.source} déclare un SCR géographique ({crs.name}) "
            f"mais ses coordonnées (emprise {np.round(bounds).tolist()}) sont des mètres en "
            "Lambert-93 : le SCR déclaré est faux ; corrigez le .prj " + _override_hint("EPSG:2154")
        )
    if crs.is_projected and looks_lonlat and not looks_l93:
        raise CRSError(
            f"{report.source} déclare un SCR projeté ({crs.name}) mais "
            f"ses coordonnées (emprise {np.round(bounds, 3).tolist()}) sont des degrés de "
            "longitude/latitude : le SCR déclaré est faux ; corrigez le .prj "
            + _override_hint("EPSG:4326")
        )
    if crs.equals(CRS.from_epsg(2154)) or crs.to_epsg(min_confidence=70) == 2154:
        return frame.set_crs(CRS_LAMBERT93, allow_override=True)
    return frame.to_crs(CRS_LAMBERT93)
