"""Official formats by vintage, read directly: files written here with the published
headers, encodings and separators, then read back; and the real files of ../shared/data.

The headers below use only column names seen in published files or in public code that
reads them (see ../shared/data/PROVENANCE.md, "Field names of official files seen in
public code", and docs/formats.md); columns not listed there are not invented.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peuplement import Territory
from peuplement._errors import SchemaError
from peuplement.io import load_qpv, load_rpls
from peuplement.io.rpls import load_parc_communes
from peuplement.io.rpls_resultats import load_rpls_resultats
from peuplement.io.sru import load_sru

# --- RPLS dwelling-level file (SDES, DiDo) --------------------------------------------

# 2023 and 2024 vintages of the DiDo model: `*_CODE` / `*_LIBELLE` pairs, DEPCOM_CODE.
RPLS_2024_HEADER = [
    "REG_CODE",
    "DEP_CODE",
    "EPCI_CODE",
    "DROIT_CODE",
    "DEPCOM_CODE",
    "CODEPOSTAL",
    "QPV_CODE",
    "TYPECONST_LIBELLE",
    "NBPIECE",
    "SURFHAB",
    "CONSTRUCT",
    "FINAN_CODE",
    "DPEENERGIE",
]
# From the 2025 vintage the commune column is DEPCOM.
RPLS_2025_HEADER = [c if c != "DEPCOM_CODE" else "DEPCOM" for c in RPLS_2024_HEADER]
# The 2023 Hauts-de-France regional file adds geolocation fields.
RPLS_2023_HDF_HEADER = [*RPLS_2024_HEADER, "PLG_QP", "PLG_IRIS2022_CODE", "QUALITE_QP", "COMAQP"]

_ROWS = [
    # Somain (59574), a dwelling in QPV; Aniche (59008) one outside any QPV.
    [
        "32",
        "59",
        "245901152",
        "1",
        "59574",
        "59490",
        "{qpv}",
        "Collectif",
        "3",
        "67",
        "1972",
        "13",
        "D",
    ],
    [
        "32",
        "59",
        "245901152",
        "1",
        "59008",
        "59580",
        "",
        "Individuel",
        "4",
        "81,5",
        "1930",
        "10",
        "E",
    ],
]


def _rpls_csv(path, header, qpv, extra=()):
    lines = [";".join(header)]
    for row in _ROWS:
        lines.append(";".join([c.format(qpv=qpv) for c in row] + list(extra)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("header", "qpv", "generation", "extra"),
    [
        (RPLS_2024_HEADER, "QP059040", 2015, ()),
        (RPLS_2025_HEADER, "QN05940M", 2024, ()),
        (RPLS_2023_HDF_HEADER, "QP059040", 2015, ("QP059040", "595740101", "1", "1")),
    ],
    ids=["dido-2024-DEPCOM_CODE", "dido-2025-DEPCOM", "regional-2023-hdf"],
)
def test_rpls_dwelling_file_by_vintage(tmp_path, header, qpv, generation, extra):
    path = _rpls_csv(tmp_path / "rpls.csv", header, qpv, extra)
    data, report = load_rpls(path, millesime=2024, qpv_generation=generation)
    assert report.n_read == 2 and report.n_rejected == 0
    assert data["code_insee"].tolist() == ["59574", "59008"]
    assert data["code_qpv"].tolist()[0] == qpv and pd.isna(data["code_qpv"].iloc[1])
    assert data["nb_pieces"].tolist() == [3, 4]
    assert data["annee_construction"].tolist() == [1972, 1930]
    assert data["surface_m2"].tolist() == [67.0, 81.5]  # "81,5": decimal comma
    assert data["financement"].tolist() == ["13", "10"]
    assert data["type_construction"].tolist() == ["Collectif", "Individuel"]
    assert data["dpe_energie"].tolist() == ["D", "E"]
    # The regional fields are not read (their meaning is not documented here): listed as unused.
    if extra:
        assert any("PLG_QP" in note and "QUALITE_QP" in note for note in report.notes)


def test_rpls_dwelling_file_latin1(tmp_path):
    path = tmp_path / "rpls.csv"
    text = (
        ";".join(RPLS_2025_HEADER)
        + "\n"
        + ";".join(c.format(qpv="") for c in _ROWS[1][:7])
        + ";Logement collectif à étages;4;81;1930;10;E\n"
    )
    path.write_bytes(text.encode("cp1252"))
    data, report = load_rpls(path, millesime=2025)
    assert data["type_construction"].tolist() == ["Logement collectif à étages"]
    assert any("Windows-1252" in r for r in report.repairs)


# --- RPLS results workbook (SDES) ------------------------------------------------------


def _workbook(path, rows):
    """resultats_rpls_<année>.xlsx: a first sheet, then "Commune" with title rows above the table."""
    header = ["DEPCOM_ARM", "LIBCOM", "nb_ls", "nb_loues", "nb_vacants", "nb_vides",
              "nb_ls_en_qpv", "tx_vac", "tx_vac3", "tx_mob", "densite"]  # fmt: skip
    sheet = pd.DataFrame(
        [["Le parc locatif social au 1er janvier 2024"] + [None] * 10, [None] * 11, header, *rows]
    )
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Région": ["Hauts-de-France"]}).to_excel(writer, sheet_name="Région")
        sheet.to_excel(writer, sheet_name="Commune", index=False, header=False)
    return path


def test_rpls_results_workbook_commune_sheet(tmp_path):
    path = _workbook(
        tmp_path / "resultats_rpls_2024.xlsx",
        [
            ["59574", "Somain", 1635, 1580, 30, 25, 812, 1.8, 0.9, 8.4, 31.9],
            ["59008", "Aniche", 1246, 1200, 20, 26, 0, 1.6, 0.7, 7.9, 27.1],
            ["59008", "Aniche", 999, 1, 1, 1, 0, 1, 1, 1, 1],  # listed twice: rejected
            ["59390", "Masny", 100, 90, 5, 5, 120, 5, 2, 9, 10],  # more in QPV than in all
        ],
    )
    data, report = load_rpls_resultats(path, annee=2024)
    assert data["code_insee"].tolist() == ["59574", "59008"]
    assert data["nb_lls"].tolist() == [1635, 1246]
    assert data["nb_lls_qpv"].tolist() == [812, 0]
    assert data["taux_vacance_pct"].tolist() == [1.8, 1.6]
    assert data["taux_mobilite_pct"].tolist() == [8.4, 7.9]
    assert data["millesime"].tolist() == [2024, 2024]
    # Rows 1-2 are the title and a blank row, row 3 the header: the data start on row 4.
    assert data["ligne"].tolist() == [4, 5]
    assert report.n_read == 4 and report.n_rejected == 2
    assert sorted(report.rejections["ligne"].tolist()) == [6, 7]
    # tx_vac3 (label seen as both "> 3 mois" and "> 3 ans") is not read.
    assert any("tx_vac3" in note for note in report.notes)
    assert "tx_vac3" not in data.columns


def test_results_workbook_feeds_the_commune_stock_loader(tmp_path):
    # The loader's output has the commune stock columns: the stock loader takes it as is.
    path = _workbook(
        tmp_path / "resultats_rpls_2024.xlsx", [["59574", "Somain", 1635, 0, 0, 0, 812, 1, 1, 1, 1]]
    )
    data, _ = load_rpls_resultats(path, annee=2024)
    stock, report = load_parc_communes(data.drop(columns="ligne"), millesime=2024)
    assert stock[["code_insee", "nb_lls", "nb_lls_qpv"]].values.tolist() == [["59574", 1635, 812]]


def test_results_workbook_without_commune_sheet(tmp_path):
    path = tmp_path / "resultats_rpls_2024.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(path, sheet_name="Région")
    with pytest.raises(ValueError, match="Commune"):
        load_rpls_resultats(path, annee=2024)


# --- SRU inventory (DGALN, data.gouv.fr) ----------------------------------------------

SRU_HEADER = [
    "Code_Departement",
    "Code_INSEE_commune",
    "Nom_commune",
    "Nom_EPCI",
    "Population_municipale_01_01_2025",
    "Taux_SRU_au_01_01_2024",
    "Nombre_lls_ Inventaire_au_01_01_2024",  # the stray space is in the source
    "Commune_carencée",
    "commune_deficitaire",
    "Taux_cible_commune_2023_2025",
    "Prélèvement_net_2025_dont_majoration",
]


def _sru_file(path, rows, header=SRU_HEADER):
    text = "\n".join([";".join(header), *(";".join(r) for r in rows)]) + "\n"
    path.write_bytes(text.encode("cp1252"))  # published in Windows-1252
    return path


def test_sru_inventory_as_published(tmp_path):
    path = _sru_file(
        tmp_path / "donnees-sru-data-gouv-2025.csv",
        [
            [
                "59",
                "59574",
                "Somain",
                "CA du Cœur d'Ostrevent",
                "12 047",
                "27,51",
                "1 635",
                "Non",
                "Non",
                "20",
                "0",
            ],
            [
                "59",
                "59008",
                "Aniche",
                "CA du Cœur d'Ostrevent",
                "10 000",
                "18,2 %",
                "1 246",
                "Oui",
                "Oui",
                "25",
                "12 345,67",
            ],
            [
                "59",
                "59390",
                "Masny",
                "CA du Cœur d'Ostrevent",
                "4 000",
                "n.c.",
                "100",
                "Non",
                "Non",
                "20",
                "0",
            ],
        ],
    )
    data, report = load_sru(path)
    assert data["code_insee"].tolist() == ["59574", "59008"]
    assert data["nom"].tolist() == ["Somain", "Aniche"]  # accents survive cp1252
    assert data["nom_epci"].iloc[0] == "CA du Cœur d'Ostrevent"  # œ is in cp1252, not latin-1
    assert data["taux_sru_pct"].tolist() == [27.51, 18.2]  # "18,2 %": sign and comma
    assert data["nb_lls_inventaire"].tolist() == [1635, 1246]  # "1 635": thousands space
    assert data["population"].tolist() == [12047, 10000]
    assert data["commune_carencee"].tolist() == [False, True]
    assert data["commune_deficitaire"].tolist() == [False, True]
    assert data["taux_cible_pct"].tolist() == [20.0, 25.0]
    assert data["prelevement_net_eur"].tolist() == [0.0, 12345.67]
    # The years come from the headers, never from today's date.
    assert data["annee_inventaire"].unique().tolist() == [2024]
    assert data["periode_triennale"].unique().tolist() == ["2023-2025"]
    assert data["annee_prelevement"].unique().tolist() == [2025]
    assert data["annee_population"].unique().tolist() == [2025]
    # "n.c." is not a rate: row 4 of the file (header on row 1) is rejected, with its value.
    assert report.n_read == 3 and report.n_rejected == 1
    rejected = report.rejections.iloc[0]
    assert rejected["ligne"] == 4 and rejected["valeur"] == "n.c."
    assert any("Windows-1252" in r for r in report.repairs)


def test_sru_flag_values_not_understood_are_not_guessed(tmp_path):
    path = _sru_file(
        tmp_path / "sru.csv",
        [["59", "59574", "Somain", "CA", "1", "27,51", "1635", "exemptée", "Non", "20", "0"]],
    )
    data, report = load_sru(path)
    assert pd.isna(data["commune_carencee"].iloc[0])
    assert any("exemptée" in note for note in report.notes)


def test_sru_two_inventories_need_a_year(tmp_path):
    header = ["Code_INSEE_commune", "Taux_SRU_au_01_01_2023", "Taux_SRU_au_01_01_2024"]
    path = _sru_file(tmp_path / "sru.csv", [["59574", "26,0", "27,51"]], header=header)
    with pytest.raises(SchemaError, match="2023, 2024"):
        load_sru(path)
    data, _ = load_sru(path, annee=2023)
    assert data["taux_sru_pct"].tolist() == [26.0] and data["annee_inventaire"].tolist() == [2023]
    with pytest.raises(SchemaError, match="Taux_SRU_au_01_01_2022"):
        load_sru(path, annee=2022)


def test_sru_not_an_inventory(tmp_path):
    path = _sru_file(tmp_path / "autre.csv", [["59574", "1"]], header=["Code_INSEE_commune", "x"])
    with pytest.raises(SchemaError, match="inventaire SRU"):
        load_sru(path)


@settings(max_examples=60, deadline=None)
@given(
    st.decimals(min_value=0, max_value=100, places=2),
    st.sampled_from(["{}", "{} %", "{}\u00a0%"]),
    st.sampled_from([",", "."]),
)
def test_sru_rate_written_any_published_way(rate, template, decimal):
    # Property: a rate written with a decimal comma or point, with or without a "%" sign,
    # reads back as the same number.
    cell = template.format(str(rate).replace(".", decimal))
    raw = pd.DataFrame({"Code_INSEE_commune": ["59574"], "Taux_SRU_au_01_01_2024": [cell]})
    data, report = load_sru(raw)
    assert report.n_rejected == 0
    assert data["taux_sru_pct"].iloc[0] == pytest.approx(float(rate))


def test_sru_shares_instead_of_percentages_are_flagged(tmp_path):
    header = ["Code_INSEE_commune", "Taux_SRU_au_01_01_2024"]
    path = _sru_file(tmp_path / "sru.csv", [["59574", "0,2751"]], header=header)
    _, report = load_sru(path)
    assert any("parts" in note for note in report.notes)


# --- QPV 2024 (ANCT), real extract ----------------------------------------------------

QPV2024 = "qpv/qpv2024/qpv2024_perimetres_coeur_ostrevent_arras_lens_lievin_wgs84.geojson"


def test_qpv_2024_official_perimeters(shared_data):
    qpv, report = load_qpv(shared_data / QPV2024, generation=2024)
    # PROVENANCE: 36 features, 8 + 6 + 22, 329.4 + 183.8 + 1,441.0 = 1,954.2 ha.
    assert len(qpv) == 36 and report.n_rejected == 0
    assert qpv.crs.to_epsg() == 2154  # published in CRS84, returned in Lambert-93
    assert qpv.geometry.area.sum() / 1e4 == pytest.approx(1954.2, abs=0.1)
    somain = qpv.set_index("code_qpv").loc["QN05940M"]
    # Somain's 2024 QPV extends into Rieulay (59501), as PROVENANCE notes.
    assert somain["nom_qpv"] == "Quartier Prioritaire De Somain"
    assert somain["insee_qpv"] == "59501, 59574"


@pytest.mark.parametrize(
    ("siren", "n_qpv", "hectares"),
    [("245901152", 8, 329.4), ("200033579", 6, 183.8), ("246200364", 22, 1441.0)],
)
def test_territory_with_2024_perimeters(shared_data, siren, n_qpv, hectares):
    # The file is in CRS84: the Lambert-93 box of the territory must be converted before
    # filtering the read (without it, no QPV was found).
    terr = Territory.from_epci(siren, qpv_generation=2024, qpv=shared_data / QPV2024)
    assert len(terr.qpv) == n_qpv
    assert terr.qpv.geometry.area.sum() / 1e4 == pytest.approx(hectares, abs=0.1)


def test_qpv_2024_list_is_not_a_perimeter_file(shared_data):
    # The ANCT list gives one centroid per commune: refused as perimeters, with the reason.
    path = shared_data / "qpv/qpv2024/qpv2024_liste_par_commune_anct_wgs84.geojson"
    with pytest.raises(SchemaError, match="ne sont pas des polygones"):
        load_qpv(path, generation=2024)


def test_qpv_2024_written_with_published_columns(tmp_path):
    # Published columns in CRS84; a QPV spanning two EPCIs lists both SIRENs.
    import shapely

    layer = gpd.GeoDataFrame(
        {
            "fid": [1, 2],
            "code_qp": ["QN06216M", "QN05940M"],
            "lib_qp": ["Quartier A", "Quartier B"],
            "insee_reg": ["32", "32"],
            "lib_reg": ["Hauts-de-France"] * 2,
            "insee_dep": ["62", "59"],
            "lib_dep": ["Pas-de-Calais", "Nord"],
            "insee_com": ["62510, 62563", "59574"],
            "lib_com": ["Liévin, Noyelles", "Somain"],
            "siren_epci": ["200072460, 246200364", "245901152"],
        },
        geometry=[shapely.box(2.77, 50.42, 2.78, 50.43), shapely.box(3.28, 50.35, 3.29, 50.36)],
        crs="OGC:CRS84",
    )
    path = tmp_path / "QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson"
    layer.to_file(path, driver="GeoJSON")
    qpv, report = load_qpv(path, generation=2024)
    assert qpv["code_qpv"].tolist() == ["QN05940M", "QN06216M"]
    assert qpv["insee_qpv"].tolist() == ["59574", "62510, 62563"]
    assert qpv.crs.to_epsg() == 2154 and report.n_rejected == 0
