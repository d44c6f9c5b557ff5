"""The bad-input corpus (tests/data/bad/, made by make_corpus.py): each case's exact outcome.

Every loader either repairs what is unambiguous (and says so in its report) or rejects
with file, row, column and expectation; rows read = rows kept + rows rejected always.
"""

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from peuplement import CRSError, SchemaError
from peuplement._errors import DataNotFoundError
from peuplement.io import (
    load_attributions,
    load_communes,
    load_demandes,
    load_parc_bailleurs,
    load_parc_communes,
    load_qpv,
    load_rpls,
    load_seuils_quartiles,
)

BAD = Path(__file__).parent / "data" / "bad"


@dataclass(frozen=True)
class Case:
    file: str
    loader: object
    error: tuple[type, str] | None = None
    kept: int | None = None
    rejected: dict[int, str] = field(default_factory=dict)  # line -> exact reason
    column: dict[int, str] = field(default_factory=dict)  # row -> column named
    repair: str | None = None
    note: str | None = None
    names: list[str] | None = None  # landlord names kept, in order
    absent: bool = False  # the file deliberately does not exist


rpls = partial(load_rpls, millesime=2023)
INSEE = "attendu : un code commune INSEE à 5 caractères (ex. 59574 ou 2A004)"
NOT_COG = "code absent du COG 2025 (ni commune actuelle, ni ancien code rattaché à une commune)"
COUNT = "attendu : un nombre entier positif ou nul"
NONNEG = "attendu : un nombre positif ou nul"
CODE_REPAIR = "`DEPCOM` : code normalisé (zéro initial rétabli ou « .0 » retiré) (1)"
TWICE = "bailleur présent deux fois pour la même commune (première ligne gardée)"
BEYOND = "coordonnées non finies ou au-delà de 2 × 10⁷ : ni des mètres ni des degrés"


def _range(low: str, high: str, why: str) -> str:
    return f"valeur hors de la plage plausible [{low} ; {high}] ({why})"


CASES = [
    Case("rpls_latin1.csv", rpls, kept=2, repair="lu en Windows-1252/latin-1 (1)"),
    Case("rpls_comma.csv", rpls, kept=2, note="séparateur ',' détecté"),
    Case("rpls_tab.csv", rpls, kept=1, note="séparateur '\\t' détecté"),
    Case("rpls_leading_zero.csv", rpls, kept=2, repair=CODE_REPAIR),
    Case("rpls_float_codes.csv", rpls, kept=1, repair=CODE_REPAIR),
    Case("rpls_corsica.csv", rpls, kept=2, repair=CODE_REPAIR),
    Case(
        "rpls_bad_commune.csv",
        rpls,
        kept=1,
        rejected={3: NOT_COG, 4: INSEE},
        column={3: "DEPCOM"},
    ),
    Case(
        "rpls_duplicate_ids.csv",
        rpls,
        kept=2,
        rejected={3: "identifiant en double (première occurrence gardée)"},
        column={3: "RPLS_ID"},
    ),
    Case("rpls_negative_surface.csv", rpls, kept=1, rejected={2: NONNEG}, column={2: "SURFHAB"}),
    Case("rpls_non_numeric_rooms.csv", rpls, kept=1, rejected={2: COUNT}, column={2: "NBPIECE"}),
    Case(
        "rpls_missing_depcom.csv",
        rpls,
        error=(
            SchemaError,
            r"rpls_missing_depcom\.csv : colonne\(s\) manquante\(s\) `code_insee` \(ou 'DEPCOM'",
        ),
    ),
    Case(
        "rpls_extra_columns.csv", rpls, kept=1, note="2 colonne(s) non utilisée(s) : COULEUR, ETAGE"
    ),
    Case(
        "rpls_points_outside_france.csv",
        rpls,
        kept=1,
        rejected={2: _range("40000", "1.25e+06", "X en Lambert-93 : métropole et Corse")},
        column={2: "X"},
    ),
    Case(
        "rpls_qpv_wrong_generation.csv",
        rpls,
        kept=1,
        rejected={2: "attendu : un code QPV de la génération 2015"},
        column={2: "QPV"},
    ),
    Case(
        "rpls_commune_nouvelle.csv",
        rpls,
        kept=2,
        note="2 code(s) `DEPCOM` d'une géographie antérieure (commune fusionnée, arrondissement), "
        "ex. 59154 : gardé(s) et rattaché(s) à la commune du COG 2025 par Territory.align",
    ),
    Case(
        "communes_self_intersecting.gpkg",
        load_communes,
        kept=1,
        repair="géométries invalides rendues valides",
    ),
    Case(
        "rpls_bad_year.csv",
        rpls,
        kept=1,
        rejected={2: "attendu : une année (4 chiffres)"},
        column={2: "CONSTRUCT"},
    ),
    Case(
        "empty.csv",
        load_parc_communes,
        error=(SchemaError, r"^empty\.csv est vide : ni en-tête ni ligne de données\.$"),
    ),
    Case("header_only.csv", load_parc_communes, kept=0),
    Case("parc_bom_thousands.csv", load_parc_communes, kept=2),
    Case(
        "parc_duplicate_commune.csv",
        load_parc_communes,
        kept=1,
        rejected={3: "commune présente deux fois (première ligne gardée)"},
    ),
    Case(
        "parc_qpv_above_total.csv",
        load_parc_communes,
        kept=1,
        rejected={2: "plus de logements en QPV que dans la commune"},
        column={2: "nb_lls_qpv"},
    ),
    Case(
        "parc_decimal_count.csv",
        load_parc_communes,
        kept=1,
        rejected={2: COUNT},
        column={2: "NB_LS"},
    ),
    Case(
        "parc_title_rows.xlsx",
        load_parc_communes,
        kept=2,
        repair="3 ligne(s) de titre au-dessus du tableau ignorée(s) (3)",
    ),
    Case(
        "attributions_other_year.csv",
        partial(load_attributions, annee=2025),
        kept=1,
        rejected={3: "attribution hors de l'année analysée 2025"},
    ),
    Case(
        "attributions_no_resources.csv",
        load_attributions,
        kept=1,
        rejected={
            3: "ressources non renseignées (ni annuelles ni mensuelles ; le revenu fiscal de "
            "référence n'en tient pas lieu)"
        },
    ),
    Case(
        "attributions_bad_flag.csv",
        load_attributions,
        kept=1,
        rejected={3: "attendu : un indicateur oui/non (1/0, oui/non, true/false)"},
        column={3: "bail_signe"},
    ),
    Case(
        "attributions_children_ge_persons.csv",
        load_attributions,
        kept=1,
        rejected={
            3: "les enfants de moins de 14 ans doivent être moins nombreux que les personnes "
            "(un ménage a un adulte)"
        },
    ),
    Case(
        "attributions_missing_year.csv",
        load_attributions,
        error=(SchemaError, r"colonne\(s\) manquante\(s\) `annee`"),
    ),
    Case(
        "demandes_bad_date.csv",
        load_demandes,
        kept=2,
        rejected={3: "attendu : une date (AAAA-MM-JJ ou JJ/MM/AAAA)"},
        column={3: "dateCreationDemande"},
        repair="ressources annuelles = 12 × ressources mensuelles déclarées (2)",
    ),
    Case(
        "demandes_duplicate_id.csv",
        load_demandes,
        kept=1,
        rejected={3: "identifiant en double (première occurrence gardée)"},
        column={3: "numUnique"},
    ),
    Case(
        "seuils_conflicting.csv",
        load_seuils_quartiles,
        kept=1,
        rejected={
            2: "seuils différents pour le même EPCI et la même année",
            3: "seuils différents pour le même EPCI et la même année",
        },
    ),
    Case("communes_bad_codes.geojson", load_communes, kept=1, rejected={2: INSEE, 3: INSEE}),
    Case(
        "communes_degrees_declared_l93.gpkg",
        load_communes,
        error=(CRSError, "déclare un SCR projeté .* degrés"),
    ),
    Case(
        "communes_metres_declared_wgs84.gpkg",
        load_communes,
        error=(CRSError, "déclare un SCR géographique .* mètres"),
    ),
    Case("communes_no_prj.shp", load_communes, kept=1, repair=".prj manquant ?"),
    Case(
        "communes_unknown_crs.gpkg",
        load_communes,
        error=(CRSError, "ni du Lambert-93 ni des longitudes/latitudes"),
    ),
    Case(
        "communes_duplicate.gpkg",
        load_communes,
        kept=1,
        rejected={2: "code INSEE en double (première occurrence gardée)"},
    ),
    Case("qpv_self_intersecting.gpkg", load_qpv, kept=2, repair="rendues valides"),
    Case(
        "qpv_2024_with_2015_code.gpkg",
        partial(load_qpv, generation=2024),
        kept=1,
        rejected={2: "code QPV de la génération 2015 dans un fichier 2024"},
    ),
    Case("qpv_missing_geometry.gpkg", load_qpv, kept=1, rejected={2: "QPV sans géométrie"}),
    Case(
        "qpv_no_code_column.gpkg",
        load_qpv,
        error=(SchemaError, r"colonne\(s\) manquante\(s\) `code_qpv`"),
    ),
    # Issue 14. Tracebacks instead of messages: each ends in a French PeuplementError.
    Case(
        "does_not_exist.csv",
        load_parc_communes,
        absent=True,
        error=(DataNotFoundError, r"« .*does_not_exist\.csv » n'existe pas\. Vérifiez le chemin"),
    ),
    Case(
        "a_folder.csv",
        load_parc_communes,
        error=(SchemaError, r"a_folder\.csv » est un dossier ; un fichier CSV, Excel ou Parquet"),
    ),
    Case(
        "parc_csv_renamed.xlsx",
        load_parc_communes,
        error=(
            SchemaError,
            r"^parc_csv_renamed\.xlsx n'est pas un classeur Excel lisible\. .*renommé",
        ),
    ),
    Case(
        "rpls_corrupt.parquet",
        rpls,
        error=(SchemaError, r"^rpls_corrupt\.parquet n'est pas un fichier Parquet lisible"),
    ),
    Case(
        "communes_not_geographic.gpkg",
        load_communes,
        error=(SchemaError, r"^communes_not_geographic\.gpkg ne peut pas être lu comme une couche"),
    ),
    Case(
        "parc_only_blank_lines.csv",
        load_parc_communes,
        error=(SchemaError, r"^parc_only_blank_lines\.csv est vide"),
    ),
    # A row with too many fields is rejected with its line; the file's other rows load.
    Case(
        "parc_too_many_fields.csv",
        load_parc_communes,
        kept=2,
        rejected={
            3: "4 champs pour 2 colonnes dans l'en-tête (séparateur ';' dans une valeur non "
            "protégée par des guillemets ?)"
        },
        column={3: "*"},
    ),
    Case("attributions_header_only.csv", load_attributions, kept=0),
    # Wrong row numbers: the physical line, counting blank lines and quoted line breaks.
    Case(
        "parc_blank_lines.csv", load_parc_communes, kept=1, rejected={6: COUNT}, column={6: "NB_LS"}
    ),
    Case(
        "parc_multiline_name.csv",
        load_parc_communes,
        kept=1,
        rejected={4: COUNT},
    ),
    # Values that are not values.
    Case(
        "rpls_infinite.csv",
        rpls,
        kept=1,
        rejected={2: NONNEG, 3: "attendu : un nombre fini", 4: NONNEG},
        column={2: "SURFHAB", 3: "X", 4: "SURFHAB"},
    ),
    Case(
        "rpls_huge_rooms.csv",
        rpls,
        kept=1,
        rejected={2: _range("1", "20", "un logement social compte de 1 à 20 pièces")},
        column={2: "NBPIECE"},
    ),
    Case(
        "parc_huge_count.csv",
        load_parc_communes,
        kept=1,
        rejected={2: _range("0", "6e+06", "pas plus de logements sociaux que la France entière")},
    ),
    Case(
        "seuils_unordered.csv",
        load_seuils_quartiles,
        kept=1,
        rejected={2: "seuils non ordonnés : il faut Q1 ≤ Q2 ≤ Q3"},
    ),
    Case(
        "attributions_nan_resources.csv",
        load_attributions,
        kept=1,
        rejected={2: NONNEG},
        column={2: "ressources_annuelles"},
    ),
    Case("qpv_far_away.gpkg", load_qpv, kept=1, rejected={1: BEYOND}, column={1: "geometry"}),
    Case(
        "bailleurs_negative.csv",
        load_parc_bailleurs,
        kept=2,
        rejected={3: COUNT},
        names=["SIA Habitat", "Maisons & Cités"],
    ),
    # Names that split or merge: decoded line by line, normalised before duplicate checks.
    Case(
        "bailleurs_mixed_encoding.csv",
        load_parc_bailleurs,
        kept=2,
        rejected={3: TWICE},
        repair="décodé ligne par ligne, lignes lues en Windows-1252 (2)",
        names=["Logis Métropole", "Norévie"],
    ),
    Case(
        "bailleurs_nfd_zero_width.csv",
        load_parc_bailleurs,
        kept=2,
        rejected={3: TWICE, 4: TWICE},
        repair="`bailleur` : variantes d'un même nom (Unicode, espaces, caractères invisibles) "
        "écrites comme leur première occurrence (2)",
        names=["Norévie", "Norévie"],
    ),
    # Injection: markup, formulas and HTML in names load as plain text, unchanged.
    Case("parc_hostile_names.csv", load_parc_communes, kept=3),
]


def test_corpus_is_large_and_complete():
    assert len(CASES) >= 60
    files = {p.name for p in BAD.iterdir() if p.suffix not in {".py", ".dbf", ".shx", ".cpg"}}
    assert files == {c.file for c in CASES if not c.absent}
    assert not any((BAD / c.file).exists() for c in CASES if c.absent)


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_bad_input(case):
    path = BAD / case.file
    if case.error is not None:
        kind, pattern = case.error
        with pytest.raises(kind, match=pattern):
            case.loader(path)
        return
    data, report = case.loader(path)
    # Accounting: every row is kept or rejected, never lost.
    assert report.n_read == report.n_kept + report.n_rejected == len(data) + report.n_rejected
    assert report.n_kept == case.kept
    reasons = report.rejections.groupby("ligne")["motif"].first().to_dict()
    assert set(reasons) == set(case.rejected)
    for row, reason in case.rejected.items():
        assert reasons[row] == reason, (row, reasons[row])
    columns = report.rejections.groupby("ligne")["colonne"].first().to_dict()
    for row, column in case.column.items():
        assert columns[row] == column
    assert (report.rejections["fichier"] == case.file).all()
    if case.repair:
        assert any(case.repair in r for r in report.repairs), report.repairs
    if case.note:
        assert case.note in report.notes, report.notes
    if case.names is not None:
        assert data["bailleur"].tolist() == case.names
