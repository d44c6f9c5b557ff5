"""What the interactive and static maps share: classification, French number formats, web geometry."""

from __future__ import annotations

import functools
import html
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from peuplement._errors import SchemaError
from peuplement.fmt import fmt_fr

__all__ = ["Classes", "classify_values", "escape_frame", "fmt_fr", "palette", "web_geometry"]

SCHEMES = {
    "quantiles": "Quantiles",
    "fisherjenks": "FisherJenks",
    "equalinterval": "EqualInterval",
}


@functools.cache
def _mapclassify() -> Any:
    """Import mapclassify, without numba when numba is not imported yet.

    mapclassify compiles its Fisher-Jenks kernel with numba at import time (its
    ``@njit`` carries an explicit signature, so it is compiled eagerly and never cached):
    about two seconds on a 2-core machine, half the time budget of a whole report, to
    classify twenty communes. numba is optional for mapclassify, which falls back to plain
    Python when ``import numba`` fails; this import makes it fail for mapclassify only,
    then puts things back, so a later ``import numba`` elsewhere works as usual.
    """
    if "numba" in sys.modules or "mapclassify" in sys.modules:
        import mapclassify

        return mapclassify
    sys.modules["numba"] = None  # type: ignore[assignment]
    try:
        import mapclassify
    finally:
        del sys.modules["numba"]
    return mapclassify


#: Sequential palette (ColorBrewer YlOrRd), light to dark, enough for 7 classes.
PALETTE = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]
MISSING_COLOR = "#d9d9d9"
MISSING_LABEL = "Donnée manquante ou secrète"


def palette(n: int) -> list[str]:
    """Return ``n`` colours spread over the whole sequential palette, light to dark."""
    if n <= 1:
        return [PALETTE[3]] * n
    return [PALETTE[int(round(i * (len(PALETTE) - 1) / (n - 1)))] for i in range(n)]


@dataclass(frozen=True)
class Classes:
    """A classification of values: class index per value (−1 when missing), bounds and labels."""

    index: np.ndarray
    bounds: list[float]
    labels: list[str]
    colors: list[str]


def upper_bounds(
    x: np.ndarray, *, scheme: str, k: int = 5, breaks: Sequence[float] | None = None
) -> np.ndarray:
    """Return the upper bounds of the classes, as mapclassify computes them.

    Quantiles (linear interpolation, repeated bounds merged), equal intervals and
    user-defined bounds (the maximum added when above the last bound) are computed here
    with numpy: importing mapclassify loads scipy.stats and scikit-learn, one to two
    seconds, more than the rest of a map. Fisher-Jenks is mapclassify's.
    A value v is in class i when ``bins[i-1] < v <= bins[i]``.
    """
    if scheme == "user":
        bins = np.asarray(list(breaks or []), dtype="float64")
        return np.append(bins, x.max()) if bins[-1] < x.max() else bins
    if scheme == "quantiles":
        # mapclassify's percentiles (scipy's scoreatpercentile): x[i] + (x[i+1] - x[i]) f,
        # exact when x[i] == x[i+1] (numpy's interpolation may give 0.9999999999999982).
        width = 100.0 / k
        pct = np.arange(width, 100 + width, width)
        pct[-1] = min(pct[-1], 100.0)
        xs = np.sort(x)
        pos = pct / 100 * (len(xs) - 1)
        low = np.floor(pos).astype(np.int64)
        high = np.minimum(low + 1, len(xs) - 1)
        return np.unique(xs[low] + (xs[high] - xs[low]) * (pos - low))
    if scheme == "equalinterval":
        equal: np.ndarray = x.min() + (x.max() - x.min()) / k * np.arange(1, k + 1)
        equal[-1] = x.max()
        return equal
    with warnings.catch_warnings():
        # numba is kept away on purpose (see _mapclassify): its notice, in English, is not
        # for the reader of the map.
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        classifier = _mapclassify().FisherJenks(x, k=k)
    jenks: np.ndarray = np.asarray(classifier.bins, dtype="float64")
    return jenks


def classify_values(
    values: pd.Series,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    percent: bool = False,
) -> Classes:
    """Classify values with mapclassify; labels are French (« de 0 à 1 635 »).

    Parameters
    ----------
    scheme
        ``quantiles``, ``fisherjenks``, ``equalinterval`` or ``user`` (with ``breaks``:
        upper bounds of the classes).
    k
        Number of classes (reduced, and said in the labels, when there are fewer
        distinct values).
    percent
        Format bounds of shares in [0, 1] as percentages.
    """
    x = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    present = ~np.isnan(x)
    index = np.full(len(x), -1, dtype=np.int64)
    if not present.any():
        return Classes(index, [], [], [])
    distinct = np.unique(x[present])
    if scheme == "user":
        if not breaks:
            raise SchemaError(
                "scheme='user' demande breaks=[...] : les bornes supérieures des classes, "
                "croissantes (ex. breaks=[0.1, 0.2, 0.4]) ; ou choisissez une autre méthode "
                f"de classes parmi {list(SCHEMES)}."
            )
        bins = upper_bounds(x[present], scheme="user", breaks=breaks)
    elif scheme in SCHEMES:
        k_eff = int(min(k, len(distinct)))
        if k_eff < 2:
            index[present] = 0
            label = f"{fmt_fr(distinct.max(), percent=percent)}"
            return Classes(index, [float(distinct.max())], [label], [PALETTE[3]])
        bins = upper_bounds(x[present], scheme=scheme, k=k_eff)
    else:
        raise SchemaError(
            f"scheme={scheme!r} : méthode de classes inconnue ; choisissez l'une de "
            f"{[*SCHEMES, 'user']} (--scheme en ligne de commande)."
        )
    counts = not percent and bool(np.all(x[present] == np.round(x[present])))
    if counts:
        # Counts get whole-number edges. An integer is at most an edge e exactly when it
        # is at most floor(e): rounding each upper edge down keeps every value in its
        # class, the last edge (the maximum) still covers the data, and the next class
        # starts at the edge plus one.
        bins = np.unique(np.floor(bins + 1e-9))  # 0.9999999999 is the edge 1
    index[present] = np.searchsorted(bins, x[present], side="left")
    first = float(np.nanmin(x))
    if counts:
        lower = [first] + (bins[:-1] + 1).tolist()
    else:
        lower = [first] + bins[:-1].tolist()
    labels = [
        f"de {fmt_fr(lo, percent=percent)} à {fmt_fr(hi, percent=percent)}"
        for lo, hi in zip(lower, bins.tolist(), strict=True)
    ]
    colors = palette(len(bins))
    return Classes(index, bins.tolist(), labels, colors)


def web_geometry(
    frame: gpd.GeoDataFrame, *, tolerance: float = 30.0, digits: int = 5
) -> gpd.GeoDataFrame:
    """Simplify a projected layer for the web, keeping shared boundaries shared, then to WGS84.

    Commune outlines form a coverage: :func:`shapely.coverage_simplify` simplifies
    each shared edge once, so neighbours keep no gap and no overlap. Coordinates are
    then rounded to ``digits`` decimals of degree (about 1 m at 5); rounding is the
    same for the same vertex, so shared edges stay identical.
    """
    if frame.crs is None or frame.crs.is_geographic:
        raise SchemaError(
            f"web_geometry : la couche doit être en coordonnées projetées (Lambert-93) ; "
            f"SCR reçu : {frame.crs}. Reprojetez-la avec to_crs('EPSG:2154') ou déclarez "
            "son SCR avec set_crs."
        )
    geoms = frame.geometry.to_numpy()
    valid = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    out = frame.copy()
    simplified = geoms.copy()
    if valid.any():
        simplified[valid] = shapely.coverage_simplify(geoms[valid], tolerance)
    out = out.set_geometry(gpd.GeoSeries(simplified, index=frame.index, crs=frame.crs)).to_crs(
        "EPSG:4326"
    )
    out = out.set_geometry(
        gpd.GeoSeries(
            shapely.transform(out.geometry.to_numpy(), lambda c: np.round(c, digits)),
            index=out.index,
            crs="EPSG:4326",
        )
    )
    return out


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """HTML-escape every text column: data strings are shown as text, never run as markup."""
    out = frame.copy()
    for col in out.columns:
        if col == "geometry":
            continue
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = out[col].map(lambda v: html.escape(str(v)) if isinstance(v, str) else v)
    return out
