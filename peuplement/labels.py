"""One dictionary of columns: the French label, definition, unit and example of each.

Every place that names a column for a reader takes its words from :data:`COLUMNS`: the
data dictionary of the indicators (:data:`peuplement.indicators.DICTIONARY`), the
dictionary sheet of the exports (``observatoire.xlsx``) and the French tables of
:func:`peuplement.report.french_table`, the input templates of ``peuplement modele``, the
headers of the report's tables and the legends and tooltips of its maps. A column
documented once says the same thing everywhere.

Columns keep their canonical snake_case names (``nb_lls``, ``code_insee``); only what a
reader sees is here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "COLUMNS",
    "EXPORT_COLUMNS",
    "INDICATOR_COLUMNS",
    "Column",
    "dictionary",
    "label",
    "labels",
]


@dataclass(frozen=True)
class Column:
    """What a reader is told about a column.

    Attributes
    ----------
    libelle
        Short label: table header, legend, tooltip.
    definition
        One sentence: what the value is (data dictionaries, template sheets).
    unite
        Unit (``logements``, ``part [0, 1]``…); empty for codes and names.
    exemple
        A plausible (fictitious) value, for the input templates.
    saisie
        What a person filling in a template must know besides the definition.
    """

    libelle: str
    definition: str
    unite: str = ""
    exemple: str = ""
    saisie: str = ""


_SHARE = "part [0, 1]"

#: Every column a reader may see, by canonical name.
COLUMNS: dict[str, Column] = {
    # --- communes, territories, landlords
    "code_insee": Column(
        "Code INSEE",
        "Code officiel géographique (COG) de la commune, 5 caractères",
        exemple="59574",
    ),
    "nom": Column(
        "Commune",
        "Nom de la commune",
        exemple="Somain",
        saisie="facultatif : le nom du COG fait foi",
    ),
    "siren_epci": Column("SIREN de l'EPCI", "Identifiant de l'EPCI, 9 chiffres"),
    "bailleur": Column(
        "Bailleur", "Nom du bailleur social (organisme HLM, SEM…)", exemple="SIA Habitat"
    ),
    "millesime": Column("Millésime", "Année RPLS des chiffres de parc", "année"),
    # --- stock and concentration indicators
    "nb_lls": Column(
        "Logements sociaux",
        "Nombre de logements locatifs sociaux (au sens du RPLS)",
        "logements",
        exemple="1635",
    ),
    "part_territoire": Column(
        "Part du parc du territoire",
        "Logements de l'unité / logements du territoire",
        _SHARE,
    ),
    "rang": Column("Rang", "Rang de l'unité par parc décroissant (1 = plus grand parc)", "rang"),
    "part_cumulee": Column(
        "Part cumulée",
        "Part du parc détenue par les unités de rang inférieur ou égal",
        _SHARE,
    ),
    "nb_lls_qpv": Column(
        "Logements sociaux en QPV",
        "Logements sociaux situés dans un quartier prioritaire (compris dans nb_lls)",
        "logements",
        exemple="812",
    ),
    "part_lls_qpv": Column("Part du parc en QPV", "Logements en QPV / logements", _SHARE),
    "quotient_localisation_qpv": Column(
        "Quotient de localisation QPV",
        "Part du parc en QPV de l'unité / part du territoire (> 1 : surreprésentation)",
        "ratio",
    ),
    "residences_principales": Column(
        "Résidences principales", "Nombre de résidences principales", "logements", exemple="5120"
    ),
    "taux_sru": Column(
        "Taux SRU", "Logements sociaux / résidences principales (art. L.302-5 CCH)", _SHARE
    ),
    "cible_sru": Column("Taux SRU légal", "Taux légal de logements sociaux (20 % ou 25 %)", _SHARE),
    "deficit_sru": Column(
        "Déficit SRU",
        "Logements sociaux manquant pour atteindre le taux légal (0 si atteint)",
        "logements",
    ),
    "nb_communes": Column(
        "Communes",
        "Nombre de communes (ou, pour un bailleur, de communes où il a du patrimoine)",
        "communes",
    ),
    "nb_communes_avec_lls": Column(
        "Communes dotées de LLS", "Communes comptant au moins un logement social", "communes"
    ),
    "part_top5_communes": Column(
        "Part des 5 premières communes",
        "Part du parc dans les 5 communes au plus grand parc",
        _SHARE,
    ),
    "gini_communes": Column(
        "Gini du parc entre communes",
        "1 − 2 × aire sous la courbe de Lorenz du parc par commune",
        "indice [0, 1)",
    ),
    "gini_lls_population": Column(
        "Gini parc / population",
        "Gini du parc social rapporté à la population des communes",
        "indice [0, 1)",
    ),
    "taux_lls_rp": Column(
        "Logements sociaux / résidences principales",
        "Logements sociaux du territoire / résidences principales",
        _SHARE,
    ),
    "nb_bailleurs": Column(
        "Bailleurs présents", "Nombre de bailleurs ayant du patrimoine", "bailleurs"
    ),
    "part_premier_bailleur": Column(
        "Part du premier bailleur", "Part du parc du plus grand bailleur", _SHARE
    ),
    "part_3_premiers_bailleurs": Column(
        "Part des 3 premiers bailleurs", "Part du parc des 3 plus grands bailleurs", _SHARE
    ),
    "hhi_bailleurs": Column(
        "Indice de Herfindahl-Hirschman",
        "Somme des carrés des parts des bailleurs",
        "indice [1/n, 1]",
    ),
    "nb_equivalent_bailleurs": Column(
        "Nombre équivalent de bailleurs",
        "1 / HHI : nombre de bailleurs de même taille donnant la même concentration",
        "bailleurs",
    ),
    # --- segregation
    "dissimilarite": Column(
        "Indice de dissimilarité",
        "D = ½ Σ |xᵢ/X − yᵢ/Y| (Massey et Denton 1988)",
        "indice [0, 1]",
    ),
    "isolement": Column("Indice d'isolement", "xPx = Σ (xᵢ/X)(xᵢ/tᵢ)", "indice [P, 1]"),
    "exposition": Column("Indice d'exposition", "xPy = Σ (xᵢ/X)(yᵢ/tᵢ)", "indice [0, 1]"),
    "ratio_correlation": Column("Ratio de corrélation", "(xPx − P) / (1 − P)", "indice [0, 1]"),
    "entropie_h": Column(
        "Indice d'entropie de Theil", "H = Σ tᵢ (E − Eᵢ) / (T E)", "indice [0, 1]"
    ),
    "gini": Column(
        "Indice de Gini de ségrégation",
        "Σᵢ Σⱼ tᵢ tⱼ |pᵢ − pⱼ| / (2 T² P (1 − P))",
        "indice [0, 1]",
    ),
    "pression": Column(
        "Pression de la demande",
        "Demandes en attente / attributions de l'année",
        "demandes par attribution",
    ),
    # --- LEC objectives (peuplement lec, report exports, engagements template)
    "annee": Column("Année", "Année des attributions", "année", exemple="2025"),
    "niveau": Column("Niveau", "EPCI, commune, bailleur, réservataire ou bailleur × réservataire"),
    "unite": Column("Unité", "Code ou nom de l'unité (SIREN, code INSEE, bailleur, réservataire)"),
    "objectif": Column(
        "Objectif",
        "Objectif d'attribution de la loi Égalité et Citoyenneté : A (attributions hors QPV "
        "au premier quartile), A_hors_relogement (le même, relogements du renouvellement "
        "urbain exclus), B (attributions en QPV aux autres quartiles) ou prioritaires "
        "(publics prioritaires)",
        exemple="A",
    ),
    "numerateur": Column(
        "Attributions concernées", "Attributions remplissant le critère", "attributions"
    ),
    "denominateur": Column("Attributions", "Attributions du champ de l'objectif", "attributions"),
    "taux": Column("Taux", "Attributions concernées / attributions", _SHARE),
    "cible": Column(
        "Cible",
        "Taux d'attributions à atteindre, en part des attributions (CCH art. L.441-1)",
        _SHARE,
        exemple="0,25",
        saisie="0,25 ; « 25 » ou « 25 % » est lu 0,25 ; vide si la cible est un nombre",
    ),
    "cible_nombre": Column(
        "Cible (nombre)", "Cible exprimée en nombre d'attributions", "attributions"
    ),
    "nombre": Column(
        "Cible (nombre)",
        "Cible exprimée en nombre d'attributions",
        "attributions",
        saisie="vide si la cible est une part (l'une ou l'autre, pas les deux)",
    ),
    "source_cible": Column("Source de la cible", "Texte ou engagement qui fixe la cible"),
    "ecart_points": Column("Écart (points)", "100 × (taux − cible)", "points"),
    "attributions_manquantes": Column(
        "Attributions manquantes",
        "Attributions concernées de plus pour atteindre la cible, total égal",
        "attributions",
    ),
    "statut": Column("Statut", "atteint, non atteint, sans attribution, effectif insuffisant"),
    "secret": Column(
        "Secret",
        "« secret » : valeur masquée (moins de 11 ménages, ou calculable à partir des autres "
        "chiffres publiés)",
    ),
    "mutations": Column("Mutations", "Mutations internes incluses ou exclues du calcul"),
    # --- requests and attributions (SNE flat format)
    "id_demande": Column(
        "Demande",
        "Numéro unique de la demande (SNE, numUnique)",
        exemple="059112345678901",
    ),
    "date_depot": Column(
        "Date de dépôt",
        "Date de dépôt de la demande (SNE, dateCreationDemande)",
        exemple="2025-03-14",
    ),
    "ressources_annuelles": Column(
        "Ressources annuelles",
        "Ressources annuelles du ménage déclarées dans la demande (à défaut : 12 × les "
        "mensuelles) ; le revenu fiscal de référence n'en tient pas lieu",
        "€ par an",
        exemple="14400",
    ),
    "ressources_mensuelles": Column(
        "Ressources mensuelles",
        "Ressources mensuelles du ménage (si les annuelles manquent : × 12)",
        "€ par mois",
        exemple="1200",
    ),
    "revenu_fiscal_reference": Column(
        "Revenu fiscal de référence",
        "Revenu fiscal de référence N-1 (SNE : demandeur/revenuFiscal/montantMoins1) ; "
        "n'est pas utilisé comme ressources",
        "€ par an",
        exemple="13800",
    ),
    "nb_personnes": Column("Personnes", "Nombre de personnes du ménage", "personnes", exemple="3"),
    "nb_moins_14": Column(
        "Dont moins de 14 ans",
        "Dont enfants de moins de 14 ans (unités de consommation)",
        "personnes",
        exemple="1",
    ),
    "public_prioritaire": Column(
        "Public prioritaire",
        "Ménage reconnu prioritaire (DALO ou art. L.441-1 CCH)",
        exemple="non",
    ),
    "mutation": Column(
        "Mutation",
        "Attribution à un ménage déjà locataire du parc social (mutation)",
        exemple="non",
    ),
    "nb_pieces": Column("Pièces", "Nombre de pièces du logement attribué", "pièces", exemple="3"),
    "id_attribution": Column("Attribution", "Identifiant de l'attribution", exemple="A2025-0001"),
    "date_attribution": Column(
        "Date d'attribution",
        "Date de la décision de la commission d'attribution",
        exemple="2025-06-02",
    ),
    "code_qpv": Column(
        "Code QPV",
        "Code du quartier prioritaire (QPV) du logement ; vide hors QPV",
        exemple="QN05940M",
    ),
    "reservataire": Column(
        "Réservataire",
        "Réservataire du logement (État, Action Logement, collectivité, bailleur…)",
        exemple="Action Logement",
    ),
    "bail_signe": Column(
        "Bail signé", "Le bail a été signé à la suite de l'attribution", exemple="oui"
    ),
    "relogement_ru": Column(
        "Relogement RU",
        "Relogement lié au renouvellement urbain (NPNRU)",
        exemple="non",
    ),
    # --- quarters: fragility and moves over the years (Évolutions, notebook 03)
    "nom_qpv": Column("Quartier", "Nom du quartier prioritaire (QPV)"),
    "pauvrete_debut": Column(
        "Pauvreté (début)", "Taux de pauvreté du quartier au premier millésime", _SHARE
    ),
    "pauvrete_fin": Column(
        "Pauvreté (fin)", "Taux de pauvreté du quartier au dernier millésime", _SHARE
    ),
    "variation_pauvrete_points": Column(
        "Variation de la pauvreté",
        "Variation du taux de pauvreté entre le premier et le dernier millésime",
        "points",
    ),
    "indice_debut": Column(
        "Indice de fragilité (début)", "Indice composite de fragilité au premier millésime"
    ),
    "indice_fin": Column(
        "Indice de fragilité (fin)", "Indice composite de fragilité au dernier millésime"
    ),
    "en_voie_de_fragilisation": Column(
        "En voie de fragilisation", "Le quartier remplit la règle de fragilisation"
    ),
    "nb_attributions": Column("Attributions", "Nombre d'attributions", "attributions"),
    "nb_mutations_internes": Column(
        "Mutations internes", "Attributions à un locataire du même bailleur", "attributions"
    ),
    "nb_mutations_inter_bailleurs": Column(
        "Mutations inter-bailleurs",
        "Attributions à un locataire du parc social d'un autre bailleur",
        "attributions",
    ),
    "nb_relogements_ru": Column(
        "Relogements RU", "Relogements liés au renouvellement urbain (NPNRU)", "attributions"
    ),
    "x": Column("X (Lambert-93)", "Coordonnée X du logement en Lambert-93", "m", exemple="712345"),
    "y": Column("Y (Lambert-93)", "Coordonnée Y du logement en Lambert-93", "m", exemple="7029876"),
}

#: The indicator columns, in the order of :data:`peuplement.indicators.DICTIONARY`.
INDICATOR_COLUMNS = (
    "nb_lls",
    "part_territoire",
    "rang",
    "part_cumulee",
    "nb_lls_qpv",
    "part_lls_qpv",
    "quotient_localisation_qpv",
    "residences_principales",
    "taux_sru",
    "cible_sru",
    "deficit_sru",
    "nb_communes",
    "nb_communes_avec_lls",
    "part_top5_communes",
    "gini_communes",
    "gini_lls_population",
    "taux_lls_rp",
    "nb_bailleurs",
    "part_premier_bailleur",
    "part_3_premiers_bailleurs",
    "hhi_bailleurs",
    "nb_equivalent_bailleurs",
    "dissimilarite",
    "isolement",
    "exposition",
    "ratio_correlation",
    "entropie_h",
    "gini",
    "pression",
)

#: The other columns of the exported tables (LEC table, identifiers), after the indicators.
EXPORT_COLUMNS = (
    "annee",
    "niveau",
    "unite",
    "objectif",
    "numerateur",
    "denominateur",
    "taux",
    "cible",
    "ecart_points",
    "attributions_manquantes",
    "statut",
    "secret",
    "code_insee",
    "nom",
    "bailleur",
    "siren_epci",
    "millesime",
    "cible_nombre",
    "source_cible",
    "mutations",
)


def label(column: str) -> str:
    """Return the French label of a column, or its name when it has none.

    Parameters
    ----------
    column
        A canonical column name.

    Returns
    -------
    str
        The label (table header, legend, tooltip).

    Examples
    --------
    >>> label("nb_lls"), label("colonne_inconnue")
    ('Logements sociaux', 'colonne_inconnue')
    """
    found = COLUMNS.get(column)
    return found.libelle if found is not None else column


def labels(columns: Iterable[str]) -> dict[str, str]:
    """Return ``{column: label}`` for table headers, in the order given.

    Parameters
    ----------
    columns
        Canonical column names.

    Returns
    -------
    dict
        Each column's label (its name when it has none).

    Examples
    --------
    >>> labels(["code_insee", "nom"])
    {'code_insee': 'Code INSEE', 'nom': 'Commune'}
    """
    return {c: label(c) for c in columns}


def dictionary(columns: Iterable[str]) -> pd.DataFrame:
    """Return the data dictionary of some columns: ``colonne``, ``libelle``, ``definition``, ``unite``.

    Parameters
    ----------
    columns
        Canonical column names, each documented in :data:`COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        One row per column, in the order given.

    Examples
    --------
    >>> dictionary(["nb_lls"]).iloc[0].tolist()
    ['nb_lls', 'Logements sociaux', 'Nombre de logements locatifs sociaux (au sens du RPLS)', 'logements']
    """
    rows = [(c, COLUMNS[c].libelle, COLUMNS[c].definition, COLUMNS[c].unite) for c in columns]
    return pd.DataFrame(rows, columns=["colonne", "libelle", "definition", "unite"])
