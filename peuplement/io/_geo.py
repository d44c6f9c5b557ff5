"""CRS checks shared by the geographic loaders."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj import CRS

from peuplement._errors import CRSError
from peuplement.schema import CRS_LAMBERT93
from peuplement.validation import LoadReport

__all__ = ["to_lambert93"]

# Envelope of Lambert-93 coordinates in metropolitan France and Corsica, with a margin.
_L93_X = (-50_000.0, 1_300_000.0)
_L93_Y = (6_000_000.0, 7_200_000.0)
# Envelope of metropolitan France and Corsica in longitude/latitude, with a margin.
_LON = (-6.0, 10.5)
_LAT = (41.0, 51.6)


def _within(bounds: np.ndarray, xs: tuple[float, float], ys: tuple[float, float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return bool(xs[0] <= minx and maxx <= xs[1] and ys[0] <= miny and maxy <= ys[1])


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
                "no CRS declared (missing .prj?); coordinates are Lambert-93, assumed EPSG:2154", 1
            )
            return frame.set_crs(CRS_LAMBERT93)
        if looks_lonlat:
            report.repair(
                "no CRS declared (missing .prj?); coordinates are longitude/latitude, assumed EPSG:4326",
                1,
            )
            return frame.set_crs("EPSG:4326").to_crs(CRS_LAMBERT93)
        raise CRSError(
            f"{report.source} has no CRS and its coordinates (bounds {np.round(bounds, 3).tolist()}) "
            "are neither Lambert-93 nor longitude/latitude in France; add the .prj file or "
            "set the CRS (GeoDataFrame.set_crs) before loading."
        )
    crs = CRS.from_user_input(crs)
    if crs.is_geographic and looks_l93 and not looks_lonlat:
        raise CRSError(
            f"{report.source} declares a geographic CRS ({crs.name}) but its coordinates "
            f"(bounds {np.round(bounds).tolist()}) are metres in Lambert-93; the declared CRS is "
            "wrong: fix the .prj or call set_crs('EPSG:2154', allow_override=True)."
        )
    if crs.is_projected and looks_lonlat and not looks_l93:
        raise CRSError(
            f"{report.source} declares a projected CRS ({crs.name}) but its coordinates "
            f"(bounds {np.round(bounds, 3).tolist()}) are degrees of longitude/latitude; the "
            "declared CRS is wrong: fix the .prj or call set_crs('EPSG:4326', allow_override=True)."
        )
    if crs.equals(CRS.from_epsg(2154)) or crs.to_epsg(min_confidence=70) == 2154:
        return frame.set_crs(CRS_LAMBERT93, allow_override=True)
    return frame.to_crs(CRS_LAMBERT93)
