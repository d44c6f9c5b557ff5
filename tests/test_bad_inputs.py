"""The bad-input corpus (tests/data/bad/, made by make_corpus.py): each case's exact outcome.

Every loader either repairs what is unambiguous (and says so in its report) or rejects
with file, row, column and expectation; rows read = rows kept + rows rejected always.
"""

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from peuplement import CRSError, SchemaError
from peuplement.io import (
    load_attributions,
    load_communes,
    load_demandes,
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
    rejected: dict[int, str] = field(default_factory=dict)  # row -> reason (substring)
    column: dict[int, str] = field(default_factory=dict)  # row -> column named
    repair: str | None = None
    note: str | None = None


rpls = partial(load_rpls, millesime=2023)
CASES = [
    Case("rpls_latin1.csv", rpls, kept=2, repair="not UTF-8"),
    Case("rpls_comma.csv", rpls, kept=2, note="separator ','"),
    Case("rpls_tab.csv", rpls, kept=1, note="separator '\\t'"),
    Case("rpls_leading_zero.csv", rpls, kept=2, repair="leading zero"),
    Case("rpls_float_codes.csv", rpls, kept=1, repair="leading zero restored or `.0` removed"),
    Case("rpls_corsica.csv", rpls, kept=2, repair="code normalised"),
    Case(
        "rpls_bad_commune.csv",
        rpls,
        kept=1,
        rejected={3: "not a commune code of the COG", 4: "5-character INSEE"},
        column={3: "DEPCOM"},
    ),
    Case(
        "rpls_duplicate_ids.csv",
        rpls,
        kept=2,
        rejected={3: "duplicated identifier"},
        column={3: "RPLS_ID"},
    ),
    Case(
        "rpls_negative_surface.csv",
        rpls,
        kept=1,
        rejected={2: "non-negative number"},
        column={2: "SURFHAB"},
    ),
    Case(
        "rpls_non_numeric_rooms.csv",
        rpls,
        kept=1,
        rejected={2: "non-negative whole number"},
        column={2: "NBPIECE"},
    ),
    Case(
        "rpls_missing_depcom.csv",
        rpls,
        error=(
            SchemaError,
            r"rpls_missing_depcom\.csv is missing column\(s\) `code_insee` \(or 'DEPCOM'",
        ),
    ),
    Case("rpls_extra_columns.csv", rpls, kept=1, note="2 column(s) not used: COULEUR, ETAGE"),
    Case(
        "rpls_points_outside_france.csv",
        rpls,
        kept=1,
        rejected={2: "coordinates outside metropolitan France"},
        column={2: "X/Y"},
    ),
    Case(
        "rpls_qpv_wrong_generation.csv",
        rpls,
        kept=1,
        rejected={2: "QPV code of the 2015 generation"},
        column={2: "QPV"},
    ),
    Case(
        "rpls_commune_nouvelle.csv", rpls, kept=2, note="2 `DEPCOM` code(s) of an older geography"
    ),
    Case(
        "communes_self_intersecting.gpkg",
        load_communes,
        kept=1,
        repair="invalid geometries made valid",
    ),
    Case(
        "rpls_bad_year.csv",
        rpls,
        kept=1,
        rejected={2: "a year (4 digits)"},
        column={2: "CONSTRUCT"},
    ),
    Case("empty.csv", load_parc_communes, error=(SchemaError, r"empty\.csv is empty")),
    Case("header_only.csv", load_parc_communes, kept=0),
    Case("parc_bom_thousands.csv", load_parc_communes, kept=2),
    Case(
        "parc_duplicate_commune.csv",
        load_parc_communes,
        kept=1,
        rejected={3: "commune listed twice"},
    ),
    Case(
        "parc_qpv_above_total.csv",
        load_parc_communes,
        kept=1,
        rejected={2: "more dwellings in QPV"},
        column={2: "nb_lls_qpv"},
    ),
    Case(
        "parc_decimal_count.csv",
        load_parc_communes,
        kept=1,
        rejected={2: "non-negative whole number"},
        column={2: "NB_LS"},
    ),
    Case(
        "parc_title_rows.xlsx",
        load_parc_communes,
        kept=2,
        repair="3 title row(s) above the table skipped",
    ),
    Case(
        "attributions_other_year.csv",
        partial(load_attributions, annee=2025),
        kept=1,
        rejected={3: "hors de l'année analysée 2025"},
    ),
    Case(
        "attributions_no_resources.csv",
        load_attributions,
        kept=1,
        rejected={3: "ressources non renseignées"},
    ),
    Case(
        "attributions_bad_flag.csv",
        load_attributions,
        kept=1,
        rejected={3: "yes/no flag"},
        column={3: "bail_signe"},
    ),
    Case(
        "attributions_children_ge_persons.csv",
        load_attributions,
        kept=1,
        rejected={3: "les enfants de moins de 14 ans doivent être moins nombreux"},
    ),
    Case(
        "attributions_missing_year.csv",
        load_attributions,
        error=(SchemaError, r"missing column\(s\) `annee`"),
    ),
    Case(
        "demandes_bad_date.csv",
        load_demandes,
        kept=2,
        rejected={3: "a date"},
        column={3: "dateCreationDemande"},
        repair="12 × ressources mensuelles",
    ),
    Case(
        "demandes_duplicate_id.csv",
        load_demandes,
        kept=1,
        rejected={3: "duplicated identifier"},
        column={3: "numUnique"},
    ),
    Case(
        "seuils_conflicting.csv",
        load_seuils_quartiles,
        kept=1,
        rejected={2: "different thresholds", 3: "different thresholds"},
    ),
    Case(
        "communes_bad_codes.geojson",
        load_communes,
        kept=1,
        rejected={2: "5-character INSEE", 3: "5-character INSEE"},
    ),
    Case(
        "communes_degrees_declared_l93.gpkg",
        load_communes,
        error=(CRSError, "declares a projected CRS .* degrees"),
    ),
    Case(
        "communes_metres_declared_wgs84.gpkg",
        load_communes,
        error=(CRSError, "declares a geographic CRS .* metres"),
    ),
    Case("communes_no_prj.shp", load_communes, kept=1, repair="missing .prj"),
    Case(
        "communes_unknown_crs.gpkg",
        load_communes,
        error=(CRSError, "neither Lambert-93 nor longitude/latitude"),
    ),
    Case("communes_duplicate.gpkg", load_communes, kept=1, rejected={2: "duplicated INSEE code"}),
    Case("qpv_self_intersecting.gpkg", load_qpv, kept=2, repair="made valid"),
    Case(
        "qpv_2024_with_2015_code.gpkg",
        partial(load_qpv, generation=2024),
        kept=1,
        rejected={2: "of the 2015 generation in a 2024 file"},
    ),
    Case("qpv_missing_geometry.gpkg", load_qpv, kept=1, rejected={2: "QPV without geometry"}),
    Case(
        "qpv_no_code_column.gpkg", load_qpv, error=(SchemaError, r"missing column\(s\) `code_qpv`")
    ),
]


def test_corpus_is_large_and_complete():
    assert len(CASES) >= 30
    files = {p.name for p in BAD.iterdir() if p.suffix not in {".py", ".dbf", ".shx", ".cpg"}}
    assert files == {c.file for c in CASES}


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
        assert reason in reasons[row], (row, reasons[row])
    columns = report.rejections.groupby("ligne")["colonne"].first().to_dict()
    for row, column in case.column.items():
        assert columns[row] == column
    assert (report.rejections["fichier"] == case.file).all()
    if case.repair:
        assert any(case.repair in r for r in report.repairs), report.repairs
    if case.note:
        assert any(case.note in n for n in report.notes), report.notes
