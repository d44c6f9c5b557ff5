"""The tabular engine through the RPLS, SNE and reference loaders, on small files written here."""

import pandas as pd
import pytest

from peuplement import (
    SchemaError,
    load_attributions,
    load_demandes,
    load_parc_bailleurs,
    load_parc_communes,
    load_rpls,
    load_seuils_quartiles,
)
from peuplement.datasets import get_path

RPLS_HEADER = "DEPCOM;QPV;CONSTRUCT;FINAN;NBPIECE;SURFHAB;X;Y;RPLS_ID\n"


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_rpls_every_rejection_branch_and_accounting(tmp_path):
    rows = [
        "59574;QP059040;1965;PLUS;3;65,5;720000;7030000;A1",  # line 2: kept
        "1001;;1980;PLAI;2;45;720100;7030100;A2",  # line 3: kept, leading zero restored
        "2A004;;2001;PLS;4;80;1200000;6120000;A3",  # line 4: Corsica, kept
        "5957X;;1965;PLUS;3;60;720000;7030000;A4",  # line 5: bad commune code
        "59574;QN05901M;1965;PLUS;3;60;720000;7030000;A5",  # line 6: 2024 code in a 2015 analysis
        "59574;;1965;PLUS;trois;60;720000;7030000;A6",  # line 7: non-numeric rooms
        "59574;;1965;PLUS;3;-60;720000;7030000;A7",  # line 8: negative surface
        "59574;;1965;PLUS;3;60;720000;7030000;A1",  # line 9: duplicated id
        "59574;;1965;PLUS;3;60;3,1;50,4;A9",  # line 10: degrees, not Lambert-93
        ";;1965;PLUS;3;60;720000;7030000;A10",  # line 11: empty commune
    ]
    path = write(tmp_path / "rpls.csv", RPLS_HEADER + "\n".join(rows) + "\n")
    data, report = load_rpls(path, millesime=2023)
    assert data["id_logement"].tolist() == ["A1", "A2", "A3"]
    assert data["code_insee"].tolist() == ["59574", "01001", "2A004"]
    assert data["surface_m2"].tolist() == [65.5, 45.0, 80.0]
    assert data["millesime"].unique().tolist() == [2023]
    assert report.n_read == 10 and report.n_kept == 3 and report.n_rejected == 7
    reasons = report.rejections.set_index("ligne")["motif"].to_dict()
    assert reasons[5].startswith("attendu : un code commune INSEE à 5 caractères")
    assert reasons[6] == "attendu : un code QPV de la génération 2015"
    assert reasons[7] == "attendu : un nombre entier positif ou nul"
    assert reasons[8] == "attendu : un nombre positif ou nul"
    assert reasons[9] == "identifiant en double (première occurrence gardée)"
    assert reasons[10].startswith("valeur hors de la plage plausible [40000 ; 1.25e+06]")
    assert reasons[11] == "valeur vide dans une colonne obligatoire"
    assert report.rejections.loc[report.rejections["ligne"] == 5, "colonne"].item() == "DEPCOM"
    assert any("zéro initial rétabli" in r for r in report.repairs)


def test_latin1_file_is_read_and_said(tmp_path):
    text = "code_insee;commune;nb_lls\n59185;Écaillon;379\n59409;Monchecourt;183\n"
    path = write(tmp_path / "parc.csv", text, encoding="latin-1")
    data, report = load_parc_communes(path)
    assert data["nom"].tolist() == ["Écaillon", "Monchecourt"]
    assert any("lu en Windows-1252/latin-1" in r for r in report.repairs)


def test_comma_separator_detected(tmp_path):
    path = write(
        tmp_path / "parc.csv", "DEPCOM,NB_LS,NB_LS_EN_QPV\n59574,1635,900\n59456,1307,1400\n"
    )
    data, report = load_parc_communes(path)
    assert data["nb_lls"].tolist() == [1635]
    assert report.rejections["motif"].tolist() == ["plus de logements en QPV que dans la commune"]
    assert report.rejections["ligne"].tolist() == [3]


def test_empty_file_and_missing_column(tmp_path):
    with pytest.raises(SchemaError, match=r"empty\.csv est vide"):
        load_parc_communes(write(tmp_path / "empty.csv", ""))
    with pytest.raises(SchemaError, match=r"parc\.csv : colonne\(s\) manquante\(s\) `nb_lls`"):
        load_parc_communes(write(tmp_path / "parc.csv", "DEPCOM;LOGEMENTS\n59574;1\n"))


def test_excel_with_title_rows(tmp_path):
    path = tmp_path / "parc.xlsx"
    sheet = pd.DataFrame(
        [
            ["Parc social au 1er janvier 2023", None],
            [None, None],
            ["DEPCOM", "NB_LS"],
            ["59574", "1635"],
            ["1001", "12"],
        ]
    )
    sheet.to_excel(path, header=False, index=False)
    data, report = load_parc_communes(path)
    assert data["code_insee"].tolist() == ["59574", "01001"]
    assert data["ligne"].tolist() == [4, 5]  # spreadsheet rows
    assert any("ligne(s) de titre" in r for r in report.repairs)


def test_duplicate_commune_rejected(tmp_path):
    data, report = load_parc_communes(
        write(tmp_path / "p.csv", "DEPCOM;NB_LS\n59574;10\n59574;12\n")
    )
    assert data["nb_lls"].tolist() == [10]
    assert report.rejections["motif"].tolist() == [
        "commune présente deux fois (première ligne gardée)"
    ]


def test_default_territory_figures_reproduce_8713():
    communes, rc = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"))
    bailleurs, rb = load_parc_bailleurs(get_path("coeur_ostrevent/parc_bailleurs_2014"))
    assert int(communes["nb_lls"].sum()) == 8713 == int(bailleurs["nb_lls"].sum())
    assert (rc.n_read, rc.n_rejected, rb.n_read, rb.n_rejected) == (21, 0, 13, 0)
    assert communes.set_index("code_insee").loc["59192", "nb_lls"] == 26


ATTR_HEADER = "id_attribution;annee;code_insee;code_qpv;bailleur;reservataire;ressources_annuelles;nb_personnes;nb_moins_14;bail_signe;relogement_ru;public_prioritaire\n"


def test_attributions_rejections(tmp_path):
    rows = [
        "T1;2025;59574;QP059040;SIA Habitat;Etat;12000;3;1;oui;non;non",  # kept
        "T2;2025;59456;;Norevie;Action Logement;;2;0;1;0;1",  # no resources: rejected
        "T3;2024;59456;;Norevie;Action Logement;9000;2;0;1;0;1",  # other year: rejected
        "T4;2025;59456;;Norevie;Bailleur;9000;2;2;1;0;1",  # children = persons: rejected
        "T5;2025;59456;;Norevie;Bailleur;9000;0;0;1;0;1",  # no person: rejected
        "T6;2025;59456;;Norevie;Bailleur;9000;2;0;peut-être;0;1",  # bad flag
    ]
    data, report = load_attributions(
        write(tmp_path / "a.csv", ATTR_HEADER + "\n".join(rows)), annee=2025
    )
    assert data["id_attribution"].tolist() == ["T1"]
    assert data["bail_signe"].tolist() == [True] and data["relogement_ru"].tolist() == [False]
    motifs = report.rejections.set_index("ligne")["motif"].to_dict()
    assert motifs == {
        7: "attendu : un indicateur oui/non (1/0, oui/non, true/false)",
        3: "ressources non renseignées (ni annuelles ni mensuelles ; le revenu fiscal de référence n'en tient pas lieu)",
        4: "attribution hors de l'année analysée 2025",
        # 0 persons falls outside FIELD_RANGES["nb_personnes"] = [1, 30], checked at parse time.
        6: "valeur hors de la plage plausible [1 ; 30] (un ménage compte de 1 à 30 personnes)",
        5: "les enfants de moins de 14 ans doivent être moins nombreux que les personnes (un ménage a un adulte)",
    }
    assert report.n_read == report.n_kept + report.n_rejected == 6


def test_demandes_monthly_resources_and_official_names(tmp_path):
    text = "numUnique;dateCreationDemande;commune_souhaitee_1;ressources_mensuelles;nb_personnes\n1110318016982G1104;2018-03-15;59574;1000;2\nX2;15/03/2019;59008;850,5;1\n"
    data, report = load_demandes(write(tmp_path / "d.csv", text))
    assert data["id_demande"].tolist() == ["1110318016982G1104", "X2"]
    assert data["ressources_annuelles"].tolist() == [12000.0, 10206.0]
    assert data["date_depot"].dt.year.tolist() == [2018, 2019]
    # No children column: the count stays unknown (never read as 0, which overstates UC).
    assert data["nb_moins_14"].isna().all()
    assert any("12 × ressources mensuelles" in r for r in report.repairs)


def test_official_thresholds_of_default_territory(shared_data):
    seuils, report = load_seuils_quartiles(data_dir=shared_data)
    row = seuils[(seuils["siren_epci"] == "245901152") & (seuils["annee"] == 2026)].iloc[0]
    assert (row["q1_annuel_uc"], row["q2_annuel_uc"], row["q3_annuel_uc"]) == (8772, 12771, 18000)
    assert report.n_read == 1391 == report.n_kept
    q1 = seuils[seuils["siren_epci"] == "245901152"].sort_values("annee")["q1_annuel_uc"].tolist()
    assert q1 == [8353, 8484, 8772]


def test_attributions_empty_lease_flag_is_rejected_not_read_as_signed(tmp_path):
    # L.441-1 counts "attributions suivies de baux signés": in an extract that carries the
    # flag, an empty one cannot be read as signed (a refused proposal would be counted).
    rows = [
        "T1;2025;59574;;SIA Habitat;Etat;12000;1;0;oui;non;non",
        "T2;2025;59574;;SIA Habitat;Etat;12000;1;0;;non;non",  # lease flag empty: rejected
        "T3;2025;59574;;SIA Habitat;Etat;12000;1;0;non;non;non",  # refused: kept, not signed
    ]
    data, report = load_attributions(write(tmp_path / "a.csv", ATTR_HEADER + "\n".join(rows)))
    assert data["id_attribution"].tolist() == ["T1", "T3"]
    assert data["bail_signe"].tolist() == [True, False]
    (motif,) = report.rejections.loc[report.rejections["ligne"] == 3, "motif"]
    assert motif.startswith("bail signé non renseigné")
    assert report.n_read == report.n_kept + report.n_rejected == 3
