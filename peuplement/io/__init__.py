"""Loaders: the only place that reads files. Each returns ``(data, report)``."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from peuplement.validation import REJECTION_COLUMNS, Loaded, LoadReport

if TYPE_CHECKING:
    from peuplement.io.communes import load_communes, load_communes_france, load_epci_list
    from peuplement.io.insee_qpv import (
        load_departements_logement,
        load_insee_qpv,
        load_insee_qpv_series,
    )
    from peuplement.io.qpv import load_qpv
    from peuplement.io.reference import load_filosofi, load_seuils_quartiles
    from peuplement.io.rpls import load_parc_bailleurs, load_parc_communes, load_rpls
    from peuplement.io.rpls_resultats import load_rpls_resultats
    from peuplement.io.sne import load_attributions, load_demandes, load_engagements, read_sne_xml
    from peuplement.io.sru import load_sru

#: The module of each loader, imported on first use (PEP 562): reading a CSV of stock
#: need not import geopandas for the QPV and commune loaders.
_LAZY = {
    "load_communes": "communes",
    "load_communes_france": "communes",
    "load_epci_list": "communes",
    "load_departements_logement": "insee_qpv",
    "load_insee_qpv": "insee_qpv",
    "load_insee_qpv_series": "insee_qpv",
    "load_qpv": "qpv",
    "load_filosofi": "reference",
    "load_seuils_quartiles": "reference",
    "load_parc_bailleurs": "rpls",
    "load_parc_communes": "rpls",
    "load_rpls": "rpls",
    "load_rpls_resultats": "rpls_resultats",
    "load_attributions": "sne",
    "load_demandes": "sne",
    "load_engagements": "sne",
    "read_sne_xml": "sne",
    "load_sru": "sru",
}


def __getattr__(name: str) -> Any:
    """Import a loader on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'peuplement.io' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"peuplement.io.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "REJECTION_COLUMNS",
    "LoadReport",
    "Loaded",
    "load_attributions",
    "load_communes",
    "load_communes_france",
    "load_demandes",
    "load_departements_logement",
    "load_engagements",
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
    "read_sne_xml",
]
