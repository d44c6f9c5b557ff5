"""peuplement: territorial balance of social housing in France.

Load communes, QPV, RPLS stock and SNE demand and attributions; compute concentration,
mixité and attribution-balance indicators per commune, landlord, QPV and EPCI; show
them in maps, charts and reports.
"""

from importlib.metadata import PackageNotFoundError, version

from peuplement import export, fmt, geo, indicators, lec, secrecy, sources, synth, validation
from peuplement._config import DEFAULT_EPCI, data_dir
from peuplement._errors import CRSError, DataNotFoundError, PeuplementError, SchemaError
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
