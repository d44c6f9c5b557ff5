"""INSEE QPV thematic files and the department series: real files, and malformed copies written here."""

import pandas as pd
import pytest

from peuplement._errors import SchemaError
from peuplement.io.insee_qpv import (
    census_of,
    load_departements_logement,
    load_insee_qpv,
    load_insee_qpv_series,
)

COEUR_OSTREVENT = ["QP059001", *[f"QP0590{i}" for i in range(34, 41)]]
NNBSP = "\u202f"


def test_demo_population_of_default_territory_and_census_change(shared_data):
    demo, report = load_insee_qpv_series("DEMO", qpv=COEUR_OSTREVENT)
    totals = demo.groupby("annee")["population"].sum()
    # PROVENANCE.md: 12,411 (census 2013, as insee_pop_qp_2013.csv) then 12,109 (census 2018).
    # (2020 read from INSEE's raw layout, data_DEMO_2020_V1_QP.csv.)
    assert totals.to_dict() == {
        2017: 12411, 2018: 12411, 2019: 12411, 2020: 12411, 2021: 12109, 2022: 12109
    }  # fmt: skip
    census = demo.groupby("annee")["recensement_population"].first().to_dict()
    assert census == {2017: 2013, 2018: 2013, 2019: 2013, 2020: 2013, 2021: 2018, 2022: 2018}
    # Row accounting over the six files: 1346 + 1346 + 1346 + 1400 + 1400 + 1400 lines
    # read; the 2017–2019 files each set aside their "Ensemble" row (the raw 2020 has none).
    assert report.n_read == 8238
    assert report.n_kept == 8238 - 3


def test_revn_poverty_rate_somain(shared_data):
    revn, _ = load_insee_qpv_series("REVN", [2017, 2022], qpv=["QP059040"])
    # TP60 of QP059040 (Somain): 41,4 in REVN_2017, 44,1 in REVN_2022, as shares.
    assert revn["part_pauvres"].tolist() == pytest.approx([0.414, 0.441])
    # Thousands with a narrow no-break space: DISP_Q2 "12 841" then "13 750".
    assert revn["revenu_median_uc"].tolist() == [12841.0, 13750.0]


def test_ipro_blank_is_missing_not_zero(shared_data):
    ipro, report = load_insee_qpv("IPRO", 2020)
    # Blank ABC cells are secrecy: kept as missing; the only line set aside is "Ensemble".
    assert ipro["nb_demandeurs_abc"].isna().sum() == 43
    # Line 29, "QP003002;Les Ailes;36;31,2;;…": ABC blank → missing; rates read.
    row = ipro.set_index("code_qpv").loc["QP003002"]
    assert pd.isna(row["nb_demandeurs_abc"]) and row["part_emploi"] == pytest.approx(0.36)
    assert report.n_read == report.n_kept + report.n_rejected == 1345


def test_total_row_kept_on_request(shared_data):
    demo, report = load_insee_qpv("DEMO", 2017, total=True)
    first = demo.iloc[0]
    # "Ensemble;Ensemble des QPV;5 019 573": 5,019,573 inhabitants in all QPV.
    assert first["code_qpv"] == "Ensemble" and first["population"] == 5_019_573
    assert report.n_rejected == 0


def _write(path, lines):
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def test_malformed_copy(tmp_path):
    header = "CODGEO;LIBGEO;TP60;DISP_Q2;A;;;"
    lines = [
        header,
        "Ensemble;Ensemble des QPV;;;1" + NNBSP + "193" + NNBSP + "700;;;",  # line 2: total
        f"QP059040;Somain;44,1;13{NNBSP}750;495;;;",  # line 3: kept
        "QP059001;Hornaing;;15 260;;;;",  # line 4: secret TP60 and A, kept as missing
        "QP059040;Somain bis;40,0;1;1;;;",  # line 5: duplicated code
        "QN05940M;Somain 2024;40,0;1;1;;;",  # line 6: 2024 code in a 2015 file
        "QP059034;Aniche;beaucoup;1;1;;;",  # line 7: not a number
        "QP059035;Auberchicourt;-3,0;1;1;;;",  # line 8: negative rate
    ]
    data, report = load_insee_qpv("REVN", 2022, path=_write(tmp_path / "REVN_2022.csv", lines))
    assert data["code_qpv"].tolist() == ["QP059040", "QP059001"]
    assert data["part_pauvres"].iloc[0] == pytest.approx(0.441)
    assert data["revenu_median_uc"].tolist() == [13750.0, 15260.0]
    assert pd.isna(data["part_pauvres"].iloc[1]) and pd.isna(data["nb_allocataires"].iloc[1])
    assert data["ligne"].tolist() == [3, 4]
    assert sorted(report.rejections["ligne"]) == [2, 5, 6, 7, 8]
    assert report.n_read == 7 == report.n_kept + report.n_rejected
    # Three padding columns dropped.
    assert any("3)" in r and "de fin de ligne" in r for r in report.repairs)


def test_file_of_another_theme_is_refused(tmp_path):
    path = _write(tmp_path / "x.csv", ["CODGEO;LIBGEO;POP_MUN", "QP059040;Somain;1401"])
    with pytest.raises(SchemaError, match="TP60"):
        load_insee_qpv("REVN", 2022, path=path)
    with pytest.raises(SchemaError, match="thème INSEE"):
        load_insee_qpv("LOGT", 2022, path=path)


def test_census_of():
    assert [census_of(y) for y in (2017, 2020, 2021)] == [2013, 2013, 2018]


def test_departements_series(shared_data):
    dep, report = load_departements_logement()
    nord = dep[dep["code_departement"] == "59"].set_index("annee")
    # PROVENANCE.md: Nord 263,368 (2018) → 275,273 (2022), rent 5.6 → 5.7 €/m²/month.
    assert int(nord.loc[2018, "nb_lls"]) == 263_368 and int(nord.loc[2022, "nb_lls"]) == 275_273
    assert nord.loc[2022, "loyer_moyen_m2"] == pytest.approx(5.7)
    pdc = dep[dep["code_departement"] == "62"].set_index("annee")
    assert pdc.loc[2022, "part_vacants_parc_social"] == pytest.approx(0.0153)  # 1.53 %
    assert len(dep) == 500 and report.n_read == 501 and report.n_rejected == 1  # blank line


def test_departements_malformed(tmp_path):
    text = (
        "annee_publication;code_departement;nom_departement;code_region;parc_social_nombre_de_logements\n"
        "2022;1;Ain;84;30000\n"  # line 2: "1" → "01"
        "2022;01;Ain;84;30001\n"  # line 3: same department and year
        "2022;999x;Nulle part;00;1\n"  # line 4: bad code
    )
    path = tmp_path / "dep.csv"
    path.write_text(text, encoding="utf-8")
    dep, report = load_departements_logement(path)
    assert dep["code_departement"].tolist() == ["01"] and dep["nb_lls"].tolist() == [30000]
    assert sorted(report.rejections["ligne"]) == [3, 4]
