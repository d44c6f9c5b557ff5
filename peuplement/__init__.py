"""peuplement: territorial balance of social housing in France.

Load communes, QPV, RPLS stock and SNE demand and attributions; compute concentration,
mixité and attribution-balance indicators per commune, landlord, QPV and EPCI; show
them in maps, charts and reports.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from peuplement._config import DEFAULT_EPCI, data_dir
from peuplement._errors import CRSError, DataNotFoundError, PeuplementError, SchemaError

if TYPE_CHECKING:
    from peuplement import export, fmt, geo, indicators, lec, secrecy, sources, synth, validation
    from peuplement.geo import assign_points, qpv_communes
    from peuplement.io import (
        LoadReport,
        load_attributions,
        load_communes,
        load_communes_france,
        load_demandes,
        load_departements_logement,
        load_epci_list,
        load_filosofi,
        load_insee_qpv,
        load_insee_qpv_series,
        load_parc_bailleurs,
        load_parc_communes,
        load_qpv,
        load_rpls,
        load_rpls_resultats,
        load_seuils_quartiles,
        load_sru,
    )
    from peuplement.territory import Perimeter, Territory

try:
    __version__ = version("peuplement")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: Where each public name lives. They are imported on first use (PEP 562), so that
#: ``peuplement --help`` and the light commands do not import geopandas, shapely and
#: their dependencies (half a second) for nothing.
_SUBMODULES = ("export", "fmt", "geo", "indicators", "lec", "secrecy", "sources", "synth")
_LAZY = {
    **{name: f"peuplement.{name}" for name in (*_SUBMODULES, "validation")},
    "assign_points": "peuplement.geo",
    "qpv_communes": "peuplement.geo",
    "Perimeter": "peuplement.territory",
    "Territory": "peuplement.territory",
    "LoadReport": "peuplement.io",
    **{
        name: "peuplement.io"
        for name in (
            "load_attributions",
            "load_communes",
            "load_communes_france",
            "load_demandes",
            "load_departements_logement",
            "load_epci_list",
            "load_filosofi",
            "load_insee_qpv",
            "load_insee_qpv_series",
            "load_parc_bailleurs",
            "load_parc_communes",
            "load_qpv",
            "load_rpls",
            "load_rpls_resultats",
            "load_seuils_quartiles",
            "load_sru",
        )
    },
}


def __getattr__(name: str) -> Any:
    """Import a public name of the package on first use (PEP 562)."""
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'peuplement' has no attribute {name!r}")
    module = importlib.import_module(where)
    value = module if where == f"peuplement.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "DEFAULT_EPCI",
    "CRSError",
    "DataNotFoundError",
    "LoadReport",
    "Perimeter",
    "PeuplementError",
    "SchemaError",
    "Territory",
    "assign_points",
    "data_dir",
    "export",
    "fmt",
    "geo",
    "indicators",
    "lec",
    "secrecy",
    "sources",
    "synth",
    "validation",
    "load_attributions",
    "load_communes",
    "load_communes_france",
    "load_demandes",
    "load_departements_logement",
    "load_epci_list",
    "load_filosofi",
    "load_insee_qpv",
    "load_insee_qpv_series",
    "load_parc_bailleurs",
    "load_parc_communes",
    "load_qpv",
    "load_rpls",
    "load_rpls_resultats",
    "load_seuils_quartiles",
    "load_sru",
    "qpv_communes",
]
