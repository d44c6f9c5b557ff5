"""Interactive Folium maps, saved as self-contained HTML that draws with no network at all.

Folium points its scripts and stylesheets at CDNs. Planners send maps to elected
officials on networks that block them, so :func:`save_map` inlines Leaflet (from the
``xstatic-leaflet`` registry package: script, stylesheet and its images as data URIs)
and refuses to write a file that would still load anything from outside. Background
tiles are optional (``tiles=``); the map draws its layers without them.
"""

from __future__ import annotations

import base64
import html
import itertools
import os
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import xstatic.pkg.leaflet as xleaflet
from branca.element import Element

from peuplement._errors import PeuplementError, SchemaError, preview
from peuplement.export import write_text
from peuplement.lec import LecStatus
from peuplement.maps._common import (
    MISSING_COLOR,
    MISSING_LABEL,
    classify_values,
    escape_frame,
    fmt_fr,
    web_geometry,
)
from peuplement.territory import Territory

__all__ = ["Layer", "interactive_map", "notebook_view", "save_map", "to_html"]

#: Colours of the LEC statuses.
STATUS_COLORS = {
    LecStatus.ATTEINT.value: "#1a9850",
    LecStatus.NON_ATTEINT.value: "#d73027",
    LecStatus.EFFECTIF_INSUFFISANT.value: "#bdbdbd",
    LecStatus.SANS_ATTRIBUTION.value: "#f0f0f0",
    LecStatus.SANS_OBJECTIF.value: "#c6dbef",
}


@dataclass(frozen=True)
class Layer:
    """A commune layer of the map.

    Attributes
    ----------
    table
        One row per commune with ``code_insee`` and ``column``.
    column
        The value drawn.
    label
        French label of the value (legend and tooltip).
    percent
        The value is a share in [0, 1], shown as a percentage.
    categorical
        The value is a category (a LEC status); coloured with :data:`STATUS_COLORS`.
    show
        Layer visible when the map opens.
    tooltip
        Other columns of ``table`` shown in the tooltip, ``{column: French label}``.
    """

    table: pd.DataFrame
    column: str
    label: str
    percent: bool = False
    categorical: bool = False
    show: bool = True
    tooltip: dict[str, str] = field(default_factory=dict)


def _shown(value: float, *, percent: bool) -> str:
    return MISSING_LABEL if pd.isna(value) else fmt_fr(float(value), percent=percent)


def _legend_html(title: str, entries: list[tuple[str, str]], *, qpv: bool) -> str:
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;background:{color};'
        f'border:1px solid #777;margin-right:6px;vertical-align:middle"></span>{html.escape(label)}</div>'
        for color, label in entries
    )
    if qpv:
        rows += (
            '<div><span style="display:inline-block;width:14px;height:14px;border:2px dashed #542788;'
            'margin-right:6px;vertical-align:middle"></span>Quartier prioritaire (QPV)</div>'
        )
    return (
        '<div class="peuplement-legend" style="position:fixed;bottom:28px;right:12px;z-index:1000;'
        "background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;"
        f'font:12px sans-serif;max-width:260px"><b>{html.escape(title)}</b>{rows}</div>'
    )


def interactive_map(
    territory: Territory,
    layers: Sequence[Layer],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    title: str | None = None,
    source: str | None = None,
    tiles: str | None = None,
    tolerance: float = 30.0,
    points: gpd.GeoDataFrame | None = None,
    points_label: str = "Logements sociaux (adresses)",
) -> folium.Map:
    """Build a Folium map of a territory: commune layers, QPV overlay, legend, tooltips.

    Parameters
    ----------
    territory
        Communes and QPV (Lambert-93; converted to WGS84 here only).
    layers
        Commune layers; the first one gets the legend. Values missing or masked by
        secrecy are drawn grey with their own legend entry.
    scheme, k, breaks
        Classification of numeric layers (mapclassify: ``quantiles``, ``fisherjenks``,
        ``equalinterval``, or ``user`` with ``breaks``).
    title, source
        Title shown on the map, and source line (« Source : RPLS 2013… »).
    tiles
        Folium tiles name (``"OpenStreetMap"``, ``"CartoDB positron"``); ``None`` for no
        background, so the map needs no network.
    tolerance
        Simplification tolerance in metres (topology kept between communes).
    points
        Optional dwelling or residence points (projected, any columns; ``nb_logements``
        sizes the circles when present), drawn as a hidden layer with tooltips.
    """
    if not layers:
        raise SchemaError("interactive_map needs at least one layer")
    communes = web_geometry(
        territory.communes[["code_insee", "nom", "geometry"]], tolerance=tolerance
    )
    qpv = (
        web_geometry(
            territory.qpv[["code_qpv", "nom_qpv", "codes_insee", "geometry"]],
            tolerance=tolerance / 3,
        )
        if len(territory.qpv)
        else None
    )
    m = folium.Map(tiles=tiles, control_scale=True, zoom_control=True, prefer_canvas=False)
    # Only Leaflet is needed; the other defaults (jQuery, Bootstrap, Font Awesome) serve
    # Folium features not used here, and would be more files to inline.
    m.default_js = [("leaflet", "peuplement:leaflet.js")]
    m.default_css = [("leaflet_css", "peuplement:leaflet.css")]
    legend_entries: list[tuple[str, str]] = []
    for number, layer in enumerate(layers):
        if layer.column not in layer.table.columns or "code_insee" not in layer.table.columns:
            raise SchemaError(
                f"layer {layer.label!r}: the table needs columns 'code_insee' and {layer.column!r}; "
                f"found {preview(layer.table.columns)}"
            )
        extra = [c for c in layer.tooltip if c in layer.table.columns and c != layer.column]
        data = communes.merge(
            layer.table[["code_insee", layer.column, *extra]], on="code_insee", how="left"
        )
        values = data[layer.column]
        if layer.categorical:
            colors = values.map(STATUS_COLORS).fillna(MISSING_COLOR)
            shown = values.fillna(MISSING_LABEL).astype(str)
            entries = [(c, s) for s, c in STATUS_COLORS.items() if s in set(values.dropna())]
        else:
            classes = classify_values(
                values, scheme=scheme, k=k, breaks=breaks, percent=layer.percent
            )
            palette = classes.colors + [MISSING_COLOR]
            colors = pd.Series([palette[i] for i in classes.index], index=data.index)
            shown = values.map(partial(_shown, percent=layer.percent))
            entries = list(zip(classes.colors, classes.labels, strict=True))
        if values.isna().any():
            entries.append((MISSING_COLOR, MISSING_LABEL))
        props = pd.DataFrame(
            {
                "nom": data["nom"],
                "code_insee": data["code_insee"],
                "_valeur": shown,
                "_color": colors,
            }
        )
        for col in extra:
            v = data[col]
            props[col] = v.map(
                lambda x: (
                    fmt_fr(float(x))
                    if isinstance(x, int | float) and not pd.isna(x)
                    else ("–" if pd.isna(x) else str(x))
                )
            )
        feature = gpd.GeoDataFrame(escape_frame(props), geometry=data.geometry, crs="EPSG:4326")
        group = folium.FeatureGroup(name=html.escape(layer.label), show=layer.show)
        folium.GeoJson(
            feature.to_json(),
            name=html.escape(layer.label),
            style_function=lambda f: {
                "fillColor": f["properties"]["_color"],
                "color": "#555555",
                "weight": 0.8,
                "fillOpacity": 0.75,
            },
            highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(
                fields=["nom", "code_insee", "_valeur", *extra],
                aliases=[
                    "Commune",
                    "Code INSEE",
                    html.escape(layer.label),
                    *(html.escape(layer.tooltip[c]) for c in extra),
                ],
                localize=False,
                sticky=True,
            ),
        ).add_to(group)
        group.add_to(m)
        if number == 0:
            legend_entries = entries
    if qpv is not None:
        qgroup = folium.FeatureGroup(name="Quartiers prioritaires (QPV)", show=True)
        qprops = escape_frame(
            pd.DataFrame(
                {
                    "code_qpv": qpv["code_qpv"],
                    "nom_qpv": qpv["nom_qpv"].fillna(""),
                    "codes_insee": qpv["codes_insee"].fillna(""),
                }
            )
        )
        folium.GeoJson(
            gpd.GeoDataFrame(qprops, geometry=qpv.geometry, crs="EPSG:4326").to_json(),
            name="QPV",
            style_function=lambda f: {
                "fillColor": "#542788",
                "fillOpacity": 0.08,
                "color": "#542788",
                "weight": 2,
                "dashArray": "5 4",
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["code_qpv", "nom_qpv", "codes_insee"],
                aliases=["QPV", "Nom", "Communes"],
                sticky=True,
            ),
        ).add_to(qgroup)
        qgroup.add_to(m)
    if points is not None and len(points):
        _points_layer(points, points_label).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    minx, miny, maxx, maxy = communes.total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    root: Any = m.get_root()  # a branca Figure, which has .html
    root.html.add_child(Element(_legend_html(layers[0].label, legend_entries, qpv=qpv is not None)))
    header = f"<b>{html.escape(title)}</b>" if title else ""
    if source:
        header += f'<div style="font-size:11px;color:#555">{html.escape(source)}</div>'
    if header:
        root.html.add_child(
            Element(
                '<div class="peuplement-title" style="position:fixed;top:10px;left:60px;z-index:1000;background:white;'
                f'padding:6px 10px;border:1px solid #999;border-radius:4px;font:14px sans-serif">{header}</div>'
            )
        )
    return m


def _points_layer(points: gpd.GeoDataFrame, label: str) -> folium.FeatureGroup:
    """Circles for dwelling points; their size grows with ``nb_logements`` when given."""
    pts = points.to_crs("EPSG:4326")
    props = escape_frame(pd.DataFrame(pts.drop(columns="geometry")).reset_index(drop=True))
    fields = [c for c in props.columns if c != "nb_logements"][:4]
    if "nb_logements" in props.columns:
        fields.append("nb_logements")
    group = folium.FeatureGroup(name=html.escape(label), show=False)
    folium.GeoJson(
        gpd.GeoDataFrame(
            props, geometry=pts.geometry.reset_index(drop=True), crs="EPSG:4326"
        ).to_json(),
        marker=folium.CircleMarker(radius=4, fill=True, weight=1),
        style_function=lambda f: {
            "color": "#08519c",
            "fillColor": "#3182bd",
            "fillOpacity": 0.7,
            "radius": 3 + min(12, (f["properties"].get("nb_logements") or 1) ** 0.5),
        },
        # Column names are the tooltip's labels, inserted as HTML by Leaflet: escape them
        # like the values (escape_frame above).
        tooltip=folium.GeoJsonTooltip(
            fields=fields, aliases=[html.escape(str(c)) for c in fields], sticky=True
        )
        if fields
        else None,
    ).add_to(group)
    return group


def _leaflet_assets() -> tuple[str, str]:
    base = Path(xleaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        image = base / "images" / match.group(1)
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    return js, css


_EXTERNAL = re.compile(r"""<(?:script|link)[^>]+(?:src|href)=["']?(https?:)?//""", re.IGNORECASE)


def _deterministic_ids(root: Element) -> None:
    """Give every element of the page an id from its position in the tree.

    branca draws each element's id from ``uuid4`` (the JavaScript variable names
    ``geo_json_3f2a…``), so two renderings of the same map differed on every line that
    names one. Numbering the elements depth-first in their (insertion-ordered) tree makes
    the page a function of the map alone; the children's dictionary keys, which are
    their names, are rebuilt to match.
    """
    counter = itertools.count()

    def walk(element: Element) -> None:
        element._id = f"{next(counter):032x}"
        children = list(element._children.items())
        for _, child in children:
            walk(child)
        element._children = OrderedDict((child.get_name(), child) for _, child in children)

    walk(root)


def to_html(m: folium.Map) -> str:
    """Render a map built by :func:`interactive_map` to one self-contained HTML string.

    The page is byte-identical for identical maps (element ids are deterministic).
    """
    root: Any = m.get_root()
    _deterministic_ids(root)
    page = root.render()
    js, css = _leaflet_assets()
    page = re.sub(
        r'<script src="peuplement:leaflet\.js"></script>', lambda _: f"<script>{js}</script>", page
    )
    page = re.sub(
        r'<link rel="stylesheet" href="peuplement:leaflet\.css"/>',
        lambda _: f"<style>{css}</style>",
        page,
    )
    leftover = _EXTERNAL.findall(page)
    if leftover or "peuplement:leaflet" in page:
        raise PeuplementError(
            "the map still loads a script or stylesheet from outside; this is a bug in peuplement"
        )
    return page


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map as a self-contained HTML file (no CDN, no network needed) and return its path."""
    return write_text(to_html(m), path)


def notebook_view(m: folium.Map, *, height: int = 560) -> object:
    """Show a map inline in Jupyter from the self-contained page (Folium's own display loads CDNs)."""
    from IPython.display import HTML

    page = html.escape(to_html(m), quote=True)
    return HTML(
        f'<div><iframe srcdoc="{page}" style="width:100%;height:{height}px;border:1px solid #ccc"></iframe></div>'
    )
