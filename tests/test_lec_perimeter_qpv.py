"""LEC classification: the EPCI's perimeter, the QPV generation in force, unknown codes, missing perimeters, degrees."""

import numpy as np
import pandas as pd
import pytest
import shapely

from peuplement._errors import cli_options
from peuplement.io.communes import load_communes_france
from peuplement.io.qpv import load_qpv, load_qpv_list
from peuplement.lec import classify, lec_indicators, qpv_generation_in_force
from peuplement.validation import LoadReport

Q1 = 8772.0  # Cœur d'Ostrevent, arrêté 2026
SIREN = "245901152"


def frame(codes_insee, ruc, code_qpv=None, x=None, y=None, annee=2026):
    """Single-person households (1 UC): resources = RUC."""
    n = len(codes_insee)
    data = pd.DataFrame(
        {
            "id_attribution": [f"T{i}" for i in range(n)],
            "annee": annee,
            "code_insee": codes_insee,
            "code_qpv": pd.array(code_qpv or [None] * n, dtype="string"),
            "bailleur": "B",
            "reservataire": "Bailleur",
            "ressources_annuelles": np.asarray(ruc, dtype=float),
            "nb_personnes": 1,
            "nb_moins_14": 0,
            "bail_signe": True,
            "relogement_ru": False,
            "public_prioritaire": False,
        }
    )
    if x is not None:
        data["x"], data["y"] = x, y
    return data


@pytest.fixture(scope="module")
def communes():
    return load_communes_france(epci=SIREN)[0]["code_insee"].tolist()


def epci_a(classified):
    t = lec_indicators(classified, annee=2026, siren=SIREN, levels=("epci",), secret=False)
    row = t[t["objectif"] == "A"].iloc[0]
    return row["numerateur"], row["denominateur"]


def test_rows_outside_the_epci_are_rejected_not_counted(communes):
    # 22 attributions outside QPV in Somain (59574), 6 of them Q1 (RUC 5,000 ≤ 8,772):
    # A = 6/22. A Paris row and a Lens row, both Q1, would make it 8/24 if counted.
    codes = ["59574"] * 22 + ["75056", "62498"]
    ruc = [5000] * 6 + [15000] * 16 + [5000, 5000]
    report = LoadReport("a.csv")
    report.n_read = 24
    c = classify(
        frame(codes, ruc), q1=Q1, annee=2026, report=report, communes=communes, siren=SIREN
    )
    report.close(len(c))
    assert epci_a(c) == (6, 22)
    assert report.rejections.set_index("ligne")["motif"].to_dict() == {
        23: "commune hors du périmètre de l'EPCI 245901152 (COG de l'année)",
        24: "commune hors du périmètre de l'EPCI 245901152 (COG de l'année)",
    }
    # An older code of a commune now in the EPCI is mapped (as Territory.align does), not rejected.
    old = classify(
        frame(["59999"], [5000]), q1=Q1, communes=communes, code_changes={"59999": "59574"}
    )
    assert old["code_insee"].tolist() == ["59574"]


def test_generation_in_force_and_2024_codes_in_2026():
    assert [qpv_generation_in_force(y) for y in (2017, 2023, 2024, 2026)] == [
        2015,
        2015,
        2024,
        2024,
    ]
    listed, complete = load_qpv_list(2024)
    assert not complete and "QN05940M" in set(listed["code_qpv"])
    data = frame(["59574"] * 3, [15000] * 3, code_qpv=["QN05940M", "QP059040", None])
    report = LoadReport("a.csv")
    c = classify(data, q1=Q1, annee=2026, report=report, qpv_codes=set(listed["code_qpv"]))
    # 2026: the 2024 code is valid and in QPV; the 2015 code is rejected; no code = outside.
    assert c["code_qpv"].fillna("").tolist() == ["QN05940M", ""] and c["en_qpv"].tolist() == [
        True,
        False,
    ]
    (reason,) = report.rejections["motif"]
    assert reason.startswith(
        "code QPV de la génération 2015 : en 2026 la génération en vigueur est 2024 (décret 2023-1314)"
    )
    # In 2023 it is the other way round.
    report = LoadReport("a.csv")
    c = classify(data.assign(annee=2023), q1=Q1, annee=2023, report=report)
    assert c["code_qpv"].fillna("").tolist() == ["QP059040", ""]
    assert report.rejections["motif"].str.contains("génération 2024 : en 2023").all()


def test_unknown_but_well_formed_codes_are_rejected():
    listed, _ = load_qpv_list(2024)
    data = frame(["59574"] * 2, [15000] * 2, code_qpv=["QN05940M", "QN05999Z"])
    report = LoadReport("a.csv")
    c = classify(
        data,
        q1=Q1,
        annee=2026,
        report=report,
        qpv_codes=set(listed["code_qpv"]),
        qpv_list_complete=False,
    )
    assert c["code_qpv"].tolist() == ["QN05940M"]
    (reason,) = report.rejections["motif"]
    assert reason.startswith(
        "code QPV inconnu de la génération 2024 ; la liste fournie est incomplète"
    )
    assert reason.endswith("passez-les avec load_qpv(chemin, generation=2024)")  # from Python
    # 2015: QP059999 names no QPV of the (complete) official list: rejected, not counted in B.
    codes_2015 = set(load_qpv(generation=2015)[0]["code_qpv"])
    report = LoadReport("a.csv")
    c = classify(frame(["59574"], [15000], code_qpv=["QP059999"], annee=2023), q1=Q1, annee=2023,
                 report=report, qpv_codes=codes_2015)  # fmt: skip
    assert c.empty and report.rejections["motif"].tolist() == [
        "code QPV inconnu de la génération 2015"
    ]


@pytest.fixture(scope="module")
def somain_2024():
    layer = load_qpv(generation=2024)[0]
    return layer[layer["code_qpv"] == "QN05940M"].reset_index(drop=True)


def test_missing_perimeters_reject_located_rows(somain_2024):
    inside = shapely.get_coordinates(somain_2024.geometry.representative_point())[0]
    data = frame(["59574"] * 3, [15000] * 3, code_qpv=[None, None, "QN05940M"],
                 x=[inside[0], 720_000.0, np.nan], y=[inside[1], 7_030_000.0, np.nan])  # fmt: skip
    report = LoadReport("a.csv")
    c = classify(data, q1=Q1, annee=2026, report=report, qpv=None)
    # Both located rows need perimeters: rejected, never counted "hors QPV"; the coded row stays.
    assert c["id_attribution"].tolist() == ["T2"]
    assert (
        report.rejections["motif"].tolist()
        == [
            "périmètres QPV 2024 absents : logement localisé par ses coordonnées, non classable ; "
            "passez-les avec load_qpv(chemin, generation=2024)"
        ]
        * 2
    )
    assert epci_a(c) == (0, 0)
    # From the command line: lec has --qpv; report has not, it is told where the file goes.
    for options, said in (
        (["--qpv", "--data-dir"], "; passez-les avec --qpv FICHIER"),
        (["--data-dir"], "; enregistrez-les sous « qpv/qpv2024/"),
    ):
        report = LoadReport("a.csv")
        with cli_options(options):
            classify(data, q1=Q1, annee=2026, report=report, qpv=None)
        assert said in report.rejections["motif"].iloc[0]
    # With the perimeters: the first row is in QN05940M, the second outside.
    c = classify(data, q1=Q1, annee=2026, qpv=somain_2024)
    assert c["code_qpv"].fillna("").tolist() == ["QN05940M", "", "QN05940M"]
    assert c["en_qpv"].tolist() == [True, False, True]


def test_degrees_and_out_of_france_coordinates(somain_2024):
    # Somain's town hall is near 3.28° E, 50.36° N: given in degrees it is not Lambert-93.
    data = frame(
        ["59574"] * 3,
        [15000] * 3,
        x=[3.28, 5_000_000.0, 720_000.0],
        y=[50.36, 6_600_000.0, 7_030_000.0],
    )
    report = LoadReport("a.csv")
    c = classify(data, q1=Q1, annee=2026, report=report, qpv=somain_2024)
    assert c["id_attribution"].tolist() == ["T2"] and not c["en_qpv"].any()
    motifs = report.rejections.set_index("ligne")["motif"]
    assert (
        motifs[1]
        == "coordonnées en degrés (longitude/latitude ?) : attendues en mètres dans EPSG:2154"
    )
    assert motifs[2].startswith("coordonnées hors de l'emprise de la France dans EPSG:2154")
