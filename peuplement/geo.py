"""Spatial operations: QPV to communes, points to QPV and communes.

Every function works in a projected CRS (Lambert-93 in metropolitan France) and refuses
geographic or mismatched inputs with :class:`~peuplement.CRSError`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from peuplement._errors import CRSError
from peuplement.schema import place_key

__all__ = ["assign_points", "assign_xy", "check_projected", "qpv_communes"]

logger = logging.getLogger(__name__)


def check_projected(
    *frames: gpd.GeoDataFrame | gpd.GeoSeries, what: str = "this operation"
) -> None:
    """Raise :class:`CRSError` unless every frame has the same projected CRS."""
    crs = [f.crs for f in frames]
    if any(c is None for c in crs):
        raise CRSError(f"{what} needs a projected CRS; a layer has none (set it with set_crs)")
    if any(c.is_geographic for c in crs):
        raise CRSError(
            f"{what} measures areas or distances and needs a projected CRS; got "
            f"{[c.to_string() for c in crs]}. Reproject with to_crs('EPSG:2154')."
        )
    if any(c != crs[0] for c in crs[1:]):
        raise CRSError(
            f"{what}: layers have different CRS {[c.to_string() for c in crs]}; reproject one "
            "with to_crs() first"
        )


_SPLIT = re.compile(r"\s*[,;/]\s*")


def qpv_communes(
    qpv: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    *,
    min_share: float = 0.01,
) -> pd.DataFrame:
    """Attribute each QPV to its communes.

    The official list of the QPV file is authoritative (``COMMUNE_QP`` names in 2015,
    ``insee_com`` codes in 2024): a listed name is matched, accent- and case-
    insensitively, among the communes the QPV intersects, which settles homonyms. The
    overlay is the check: generalised commune outlines make a QPV spill a few metres
    into its neighbours, so an intersection below ``min_share`` of the QPV area is a
    sliver, reported and not retained. A commune that the QPV covers above
    ``min_share`` but that is not listed is retained only when a listed name could not
    be matched (a commune merged since, renamed), or when the file has no list.

    Parameters
    ----------
    qpv
        Canonical QPV layer (:func:`peuplement.load_qpv`).
    communes
        Canonical commune layer, same projected CRS.
    min_share
        Share of the QPV area below which an intersection is a sliver (default 1 %).

    Returns
    -------
    pandas.DataFrame
        One row per QPV × commune pair found by the list or the overlay: ``code_qpv``,
        ``code_insee``, ``nom``, ``surface_m2`` (area of the intersection),
        ``part_surface_qpv`` (share of the QPV area, in [0, 1]), ``liste_officielle``
        (listed by the official file), ``retenue`` (attribution kept) and ``controle``
        (``ok``, ``liseré ignoré``, ``hors liste retenue``, ``hors liste``,
        ``listée sans intersection``).
    """
    check_projected(qpv, communes, what="qpv_communes")
    q_idx, c_idx = communes.sindex.query(qpv.geometry.values, predicate="intersects")
    qgeom = qpv.geometry.values[q_idx]
    cgeom = communes.geometry.values[c_idx]
    inter = shapely.area(shapely.intersection(qgeom, cgeom))
    qarea = shapely.area(qgeom)
    pairs = pd.DataFrame(
        {
            "code_qpv": qpv["code_qpv"].to_numpy()[q_idx],
            "code_insee": communes["code_insee"].to_numpy()[c_idx],
            "nom": communes["nom"].to_numpy()[c_idx],
            "surface_m2": inter,
            "part_surface_qpv": np.where(qarea > 0, inter / np.where(qarea > 0, qarea, 1), 0.0),
        }
    )
    pairs = pairs[pairs["surface_m2"] > 0]
    # Official list, one row per listed commune.
    listed_rows = []
    for code, names, codes in zip(
        qpv["code_qpv"], qpv["communes_qpv"].fillna(""), qpv["insee_qpv"].fillna(""), strict=True
    ):
        for c in _SPLIT.split(str(codes)):
            if c:
                listed_rows.append((code, "code", c.zfill(5)))
        if not codes:
            for n in _SPLIT.split(str(names)):
                if n.strip():
                    listed_rows.append((code, "nom", place_key(n)))
    listed = pd.DataFrame(listed_rows, columns=["code_qpv", "kind", "key"])
    pairs["key_nom"] = pairs["nom"].map(lambda s: place_key(str(s)))
    by_code = listed[listed["kind"] == "code"]
    by_name = listed[listed["kind"] == "nom"]
    pair_codes = pd.MultiIndex.from_arrays([pairs["code_qpv"], pairs["code_insee"]])
    pair_names = pd.MultiIndex.from_arrays([pairs["code_qpv"], pairs["key_nom"]])
    in_list = pair_codes.isin(list(zip(by_code["code_qpv"], by_code["key"], strict=True))) | (
        pair_names.isin(list(zip(by_name["code_qpv"], by_name["key"], strict=True)))
    )
    pairs["liste_officielle"] = in_list
    # Listed entries that match no intersecting commune.
    matched_names = set(
        zip(pairs.loc[in_list, "code_qpv"], pairs.loc[in_list, "key_nom"], strict=True)
    )
    matched_codes = set(
        zip(pairs.loc[in_list, "code_qpv"], pairs.loc[in_list, "code_insee"], strict=True)
    )
    unmatched = [
        (q, k)
        for q, kind, k in listed.itertuples(index=False)
        if (q, k) not in (matched_codes if kind == "code" else matched_names)
    ]
    has_unmatched = {q for q, _ in unmatched}
    has_list = set(listed["code_qpv"])
    big = pairs["part_surface_qpv"] >= min_share
    fallback = (
        ~pairs["liste_officielle"]
        & big
        & (pairs["code_qpv"].isin(has_unmatched) | ~pairs["code_qpv"].isin(has_list))
    )
    pairs["retenue"] = pairs["liste_officielle"] | fallback
    pairs["controle"] = np.select(
        [
            pairs["liste_officielle"],
            fallback,
            big,
        ],
        ["ok", "hors liste retenue", "hors liste"],
        default="liseré ignoré",
    )
    missing = pd.DataFrame(
        {
            "code_qpv": [q for q, _ in unmatched],
            "code_insee": pd.NA,
            "nom": [k for _, k in unmatched],
            "surface_m2": 0.0,
            "part_surface_qpv": 0.0,
            "liste_officielle": True,
            "retenue": False,
            "controle": "listée sans intersection",
        }
    )
    if unmatched:
        logger.info(
            "%d listed commune(s) of QPV match no intersecting commune: %s",
            len(unmatched),
            unmatched[:5],
        )
    out = (
        pd.concat([pairs.drop(columns="key_nom"), missing], ignore_index=True)
        if unmatched
        else pairs.drop(columns="key_nom")
    )
    out = out.astype({"code_qpv": "string", "code_insee": "string", "nom": "string"})
    return out.sort_values(["code_qpv", "code_insee"], ignore_index=True)


def assign_points(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    *,
    key: str,
) -> pd.Series:
    """Return, for each point, the ``key`` of the polygon containing it (``<NA>`` outside all).

    Vectorised with the STRtree of shapely 2; a point on a shared boundary goes to the
    polygon of lowest row position, so every point gets at most one key.
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    check_projected(geoms, polygons, what="assign_points")
    p_idx, g_idx = polygons.sindex.query(geoms.values, predicate="within")
    first = pd.Series(g_idx).groupby(p_idx).min()
    out = pd.Series(pd.NA, index=geoms.index, dtype="string")
    out.iloc[first.index.to_numpy()] = polygons[key].to_numpy()[first.to_numpy()]
    return out


def assign_xy(
    x: np.ndarray,
    y: np.ndarray,
    polygons: gpd.GeoDataFrame,
    *,
    key: str,
    cell: float | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Return, for each coordinate pair, the ``key`` of the polygon containing it (``None`` outside).

    Made for millions of dwellings: no Point object is built. Points are bucketed in a
    square grid (``cell`` metres) and sorted by bucket; the polygons' STRtree gives the
    candidate polygons of each occupied bucket, and :func:`shapely.contains_xy` tests the
    bucket's coordinates against each candidate, vectorised. shapely's STRtree only
    takes geometries, and building 5 million points costs more than the test itself,
    hence this bucketing written by hand.

    Parameters
    ----------
    x, y
        Projected coordinates (same CRS as ``polygons``); NaN gives ``None``.
    polygons
        Non-overlapping polygons (QPV, communes) in a projected CRS.
    key
        Column of ``polygons`` to return.
    cell
        Bucket size in metres; by default twice the median extent of the polygons'
        bounding boxes (about 1.5 km for QPV, 10 km for communes).
    progress
        Show a progress bar over the buckets.
    """
    check_projected(polygons, what="assign_xy")
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    found = np.full(len(x), -1, dtype=np.int64)
    if len(x) == 0 or len(polygons) == 0:
        return np.full(len(x), None, dtype=object)
    bounds = polygons.geometry.bounds.to_numpy()
    if cell is None:
        extent = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        cell = float(np.clip(2 * np.median(extent), 250.0, 20_000.0))
    # Cells touched by some polygon's bounding box, as a boolean grid over the polygons'
    # extent: points elsewhere are outside every polygon and are dropped in one indexing
    # pass, before any sort (most dwellings are outside QPV).
    x0, y0 = np.floor(bounds[:, 0].min() / cell), np.floor(bounds[:, 1].min() / cell)
    cx0 = (np.floor(bounds[:, 0] / cell) - x0).astype(np.int64)
    cy0 = (np.floor(bounds[:, 1] / cell) - y0).astype(np.int64)
    cx1 = (np.floor(bounds[:, 2] / cell) - x0).astype(np.int64)
    cy1 = (np.floor(bounds[:, 3] / cell) - y0).astype(np.int64)
    grid = np.zeros((int(cx1.max()) + 1, int(cy1.max()) + 1), dtype=bool)
    for a, b, c, d in zip(cx0.tolist(), cy0.tolist(), cx1.tolist(), cy1.tolist(), strict=True):
        grid[a : c + 1, b : d + 1] = True
    with np.errstate(invalid="ignore"):
        ix = np.floor(x / cell)
        ix -= x0
        iy = np.floor(y / cell)
        iy -= y0
        ok = (ix >= 0) & (iy >= 0) & (ix < grid.shape[0]) & (iy < grid.shape[1])
    idx = np.flatnonzero(ok)
    near = grid[ix[idx].astype(np.int64), iy[idx].astype(np.int64)]
    idx = idx[near]
    key_pt = ix[idx].astype(np.int64) * grid.shape[1] + iy[idx].astype(np.int64)
    if len(idx):
        order = np.argsort(key_pt, kind="stable")
        idx, key_pt = idx[order], key_pt[order]
        starts = np.flatnonzero(np.r_[True, key_pt[1:] != key_pt[:-1]])
        ends = np.r_[starts[1:], len(key_pt)]
        bx = np.floor(x[idx[starts]] / cell)
        by = np.floor(y[idx[starts]] / cell)
        boxes = shapely.box(bx * cell, by * cell, (bx + 1) * cell, (by + 1) * cell)
        geoms = polygons.geometry.to_numpy()
        shapely.prepare(geoms)
        box_i, poly_i = polygons.sindex.query(boxes, predicate="intersects")
        pairs: Iterable[tuple[int, int]] = list(zip(box_i.tolist(), poly_i.tolist(), strict=True))
        if progress:
            from rich.progress import track

            pairs = track(pairs, description="points dans polygones")
        for b, p in pairs:
            rows = idx[starts[b] : ends[b]]
            hit = rows[shapely.contains_xy(geoms[p], x[rows], y[rows])]
            # first polygon wins on a shared boundary, as in assign_points
            found[hit[found[hit] < 0]] = p
    keys = np.empty(len(polygons) + 1, dtype=object)
    keys[:-1] = polygons[key].to_numpy(dtype=object)
    return keys[found]  # index -1 is the trailing None: outside every polygon
