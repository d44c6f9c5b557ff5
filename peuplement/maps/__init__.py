"""Maps and charts: interactive (Folium, self-contained HTML) and static (matplotlib).

This is the only package that converts to EPSG:4326 (for web maps).
"""

from peuplement.fmt import fmt_fr
from peuplement.maps.interactive import Layer, interactive_map, notebook_view, save_map, to_html
from peuplement.maps.static import (
    landlord_bars,
    landlord_commune_bars,
    lec_chart,
    lorenz_chart,
    save_figure,
    static_map,
)

__all__ = [
    "Layer",
    "fmt_fr",
    "interactive_map",
    "landlord_bars",
    "landlord_commune_bars",
    "lec_chart",
    "lorenz_chart",
    "notebook_view",
    "save_figure",
    "save_map",
    "static_map",
    "to_html",
]
