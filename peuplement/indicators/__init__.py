"""Indicators: pure functions, tables in, tables out, every territory in one grouped pass."""

from __future__ import annotations

import pandas as pd

from peuplement.indicators.concentration import (
    commune_concentration,
    count_dwellings,
    gini,
    herfindahl,
    landlord_concentration,
    lorenz,
    territory_concentration,
    top_share,
)
from peuplement.indicators.demand import demand_pressure
from peuplement.indicators.occupation import household_shares, rotation_rate
from peuplement.indicators.segregation import (
    entropy_decomposition,
    multigroup_segregation,
    segregation,
)

__all__ = [
    "DICTIONARY",
    "commune_concentration",
    "count_dwellings",
    "demand_pressure",
    "entropy_decomposition",
    "gini",
    "herfindahl",
    "household_shares",
    "landlord_concentration",
    "lorenz",
    "multigroup_segregation",
    "rotation_rate",
    "segregation",
    "territory_concentration",
    "top_share",
]

_ROWS = [
    # colonne, libellé, définition, unité
    (
        "nb_lls",
        "Logements locatifs sociaux",
        "Nombre de logements locatifs sociaux (RPLS)",
        "logements",
    ),
    (
        "part_territoire",
        "Part du parc du territoire",
        "Logements de l'unité / logements du territoire",
        "part [0, 1]",
    ),
    ("rang", "Rang", "Rang de l'unité par parc décroissant (1 = plus grand parc)", "rang"),
    (
        "part_cumulee",
        "Part cumulée",
        "Part du parc détenue par les unités de rang inférieur ou égal",
        "part [0, 1]",
    ),
    (
        "nb_lls_qpv",
        "Logements sociaux en QPV",
        "Logements situés dans un quartier prioritaire",
        "logements",
    ),
    ("part_lls_qpv", "Part du parc en QPV", "Logements en QPV / logements", "part [0, 1]"),
    (
        "quotient_localisation_qpv",
        "Quotient de localisation QPV",
        "Part du parc en QPV de l'unité / part du territoire (> 1 : surreprésentation)",
        "ratio",
    ),
    (
        "residences_principales",
        "Résidences principales",
        "Nombre de résidences principales",
        "logements",
    ),
    (
        "taux_sru",
        "Taux SRU",
        "Logements sociaux / résidences principales (art. L.302-5 CCH)",
        "part [0, 1]",
    ),
    (
        "cible_sru",
        "Taux SRU légal",
        "Taux légal de logements sociaux (20 % ou 25 %)",
        "part [0, 1]",
    ),
    (
        "deficit_sru",
        "Déficit SRU",
        "Logements sociaux manquant pour atteindre le taux légal (0 si atteint)",
        "logements",
    ),
    (
        "nb_communes",
        "Communes",
        "Nombre de communes (ou, pour un bailleur, de communes où il a du patrimoine)",
        "communes",
    ),
    (
        "nb_communes_avec_lls",
        "Communes dotées de LLS",
        "Communes comptant au moins un logement social",
        "communes",
    ),
    (
        "part_top5_communes",
        "Part des 5 premières communes",
        "Part du parc dans les 5 communes au plus grand parc",
        "part [0, 1]",
    ),
    (
        "gini_communes",
        "Gini du parc entre communes",
        "1 − 2 × aire sous la courbe de Lorenz du parc par commune",
        "indice [0, 1)",
    ),
    (
        "gini_lls_population",
        "Gini parc / population",
        "Gini du parc social rapporté à la population des communes",
        "indice [0, 1)",
    ),
    (
        "taux_lls_rp",
        "Logements sociaux / résidences principales",
        "Logements sociaux du territoire / résidences principales",
        "part [0, 1]",
    ),
    ("nb_bailleurs", "Bailleurs présents", "Nombre de bailleurs ayant du patrimoine", "bailleurs"),
    (
        "part_premier_bailleur",
        "Part du premier bailleur",
        "Part du parc du plus grand bailleur",
        "part [0, 1]",
    ),
    (
        "part_3_premiers_bailleurs",
        "Part des 3 premiers bailleurs",
        "Part du parc des 3 plus grands bailleurs",
        "part [0, 1]",
    ),
    (
        "hhi_bailleurs",
        "Indice de Herfindahl-Hirschman",
        "Somme des carrés des parts des bailleurs",
        "indice [1/n, 1]",
    ),
    (
        "nb_equivalent_bailleurs",
        "Nombre équivalent de bailleurs",
        "1 / HHI : nombre de bailleurs de même taille donnant la même concentration",
        "bailleurs",
    ),
    (
        "dissimilarite",
        "Indice de dissimilarité",
        "D = ½ Σ |xᵢ/X − yᵢ/Y| (Massey et Denton 1988)",
        "indice [0, 1]",
    ),
    ("isolement", "Indice d'isolement", "xPx = Σ (xᵢ/X)(xᵢ/tᵢ)", "indice [P, 1]"),
    ("exposition", "Indice d'exposition", "xPy = Σ (xᵢ/X)(yᵢ/tᵢ)", "indice [0, 1]"),
    ("ratio_correlation", "Ratio de corrélation", "(xPx − P) / (1 − P)", "indice [0, 1]"),
    ("entropie_h", "Indice d'entropie de Theil", "H = Σ tᵢ (E − Eᵢ) / (T E)", "indice [0, 1]"),
    (
        "gini",
        "Indice de Gini de ségrégation",
        "Σᵢ Σⱼ tᵢ tⱼ |pᵢ − pⱼ| / (2 T² P (1 − P))",
        "indice [0, 1]",
    ),
    (
        "pression",
        "Pression de la demande",
        "Demandes en attente / attributions de l'année",
        "demandes par attribution",
    ),
]

#: Data dictionary of the indicator columns, with French labels (exported as CSV by the CLI).
DICTIONARY = pd.DataFrame(_ROWS, columns=["colonne", "libelle", "definition", "unite"])
