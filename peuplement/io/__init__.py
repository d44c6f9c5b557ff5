"""Loaders: the only place that reads files. Each returns ``(data, report)``."""

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
from peuplement.validation import REJECTION_COLUMNS, Loaded, LoadReport

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
