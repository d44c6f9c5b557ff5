"""One synthetic world: the year N of the default territory is the same rows everywhere.

The report's LEC section (``synth_default``) and its « Évolutions » section
(``synth_default_years``) once drew two different 2026s (A 21,2 % against 20,9 %); both
now read the years of one seeded world that starts in 2024, the first year of the QPV
generation in force.
"""

import pandas as pd
import pytest
from typer.testing import CliRunner

from peuplement import SchemaError
from peuplement._cache import ENV_CACHE_DIR
from peuplement.cli import app
from peuplement.evolutions import compute_evolutions
from peuplement.report import default_report_data
from peuplement.synth import synth_default, synth_default_years

EPCI = "245901152"
#: Q1 threshold of the EPCI in the 2026 arrêté (€ per UC and year, reference data).
Q1_2026 = 8772.0


def _rows(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    return frame[frame["annee"] == year].reset_index(drop=True)


def test_synth_default_is_one_year_of_the_multi_year_world(shared_data, monkeypatch):
    demandes, attributions = synth_default(annee=2026, data_dir=shared_data)
    all_demandes, all_attributions, _ = synth_default_years(
        annees=(2024, 2025, 2026), data_dir=shared_data
    )
    pd.testing.assert_frame_equal(attributions, _rows(all_attributions, 2026))
    pd.testing.assert_frame_equal(demandes, _rows(all_demandes, 2026))
    assert attributions["synthetique"].all() and demandes["synthetique"].all()
    # A year depends only on the years before it: the world generated up to 2025 only,
    # without the cache, gives the same 2025 rows as the world up to 2026.
    monkeypatch.setenv(ENV_CACHE_DIR, "off")
    short_demandes, short_attributions = synth_default(annee=2025, data_dir=shared_data)
    pd.testing.assert_frame_equal(short_attributions, _rows(all_attributions, 2025))
    pd.testing.assert_frame_equal(short_demandes, _rows(all_demandes, 2025))
    # Not one year repeated: round(715 × 0.99) = 708 attributions in 2025, 701 in 2026.
    assert len(short_attributions) != len(attributions)


def _independent_lec(attributions: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """(numerator, denominator) of each objective, recomputed with pandas only.

    Signed leases; UC = 1 for the first person, 0.5 per other person aged 14 or more, 0.3
    per child under 14 (OECD-modified scale, CCH R.441-1); first quartile when the
    resources per UC are at most the 2026 arrêté's 8,772 €; outside QPV when the dwelling
    has no QPV code (the synthetic rows give one to every dwelling in a QPV).
    """
    s = attributions[attributions["bail_signe"]]
    children = s["nb_moins_14"]
    uc = 1 + 0.5 * (s["nb_personnes"] - 1 - children) + 0.3 * children
    q1 = s["ressources_annuelles"] / uc <= Q1_2026
    out = s["code_qpv"].isna()
    return {
        "A": (int((out & (q1 | s["relogement_ru"])).sum()), int(out.sum())),
        "B": (int((~out & ~q1).sum()), int((~out).sum())),
        "prioritaires": (int(s["public_prioritaire"].sum()), len(s)),
    }


def _block_table(blocks, caption: str) -> pd.DataFrame:
    return next(b.table for b in blocks if b.kind == "tableau" and b.text.startswith(caption))


def test_report_lec_section_and_evolutions_show_the_same_2026(shared_data):
    data = default_report_data(annee=2026, data_dir=shared_data)
    evolutions = compute_evolutions(EPCI, data_dir=shared_data)
    columns = ["objectif", "numerateur", "denominateur", "taux", "statut", "secret"]
    lec = data.lec[data.lec["niveau"] == "epci"][columns].reset_index(drop=True)
    yearly = evolutions.synthetic["objectifs_lec"]
    evo = yearly[(yearly["annee"] == 2026) & (yearly["niveau"] == "epci")][columns]
    pd.testing.assert_frame_equal(lec, evo.reset_index(drop=True), check_dtype=False)
    # Both are the rows of synth_default(2026), counted here without peuplement.lec:
    # A 78 of 374 signed leases outside QPV (20,9 %), B 190 of 306, priority 190 of 680.
    _, attributions = synth_default(annee=2026, data_dir=shared_data)
    expected = _independent_lec(attributions)
    assert expected == {"A": (78, 374), "B": (190, 306), "prioritaires": (190, 680)}
    for objective, (n, d) in expected.items():
        row = lec[lec["objectif"] == objective].iloc[0]
        assert (row["numerateur"], row["denominateur"]) == (n, d)
    # What the reader sees: the key figure of the LEC section and the 2026 row of the
    # « Évolutions » table print the same rate, 78 / 374 = 20,86 % → « 20,9 % ».
    key = next(k for k in data.key_figures if k.label == "Objectif A 2026 (synthétique)")
    table = _block_table(data.evolutions, "Objectifs LEC de l'EPCI par année")
    a_2026 = table[(table["Année"] == "2026") & (table["Objectif"] == "A : 1er quartile hors QPV")]
    assert key.value == a_2026["Taux"].item() == "20,9\u202f%"
    # Internal transfers of 2026: the « Évolutions » table (43 outside QPV + 32 in QPV, both
    # published) counts the 75 rows of synth_default(2026) with type_mutation « interne ».
    moves = evolutions.synthetic["mutations_relogements"]
    assert moves.loc[moves["annee"] == 2026, "nb_mutations_internes"].sum() == 75
    assert (attributions["type_mutation"] == "interne").sum() == 75


def test_commands_read_the_same_year(tmp_path, shared_data):
    runner = CliRunner()
    result = runner.invoke(
        app, ["synth", "--annee", "2026", "--data-dir", str(shared_data), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    # 701 attributions and 1 830 requests: 715 and 1 725 in 2024, −1 % and +3 % a year.
    assert "1830 demandes au 31/12/2025, 701 attributions 2026" in result.output
    written = pd.read_csv(
        tmp_path / EPCI / "synthetique" / "attributions_synthetiques_2026.csv",
        sep=";",
        decimal=",",
        dtype={"id_attribution": str},
    )
    _, attributions = synth_default(annee=2026, data_dir=shared_data)
    assert written["id_attribution"].tolist() == attributions["id_attribution"].tolist()


def test_a_year_without_official_thresholds_is_refused_in_french(shared_data):
    # 2023 is of the 2015 generation: its world would start in 2015, and the reference
    # data has the Q2/Q3 thresholds of 2024–2026 only.
    with pytest.raises(SchemaError, match=r"pas de seuils officiels Q2/Q3 .*\(9 en tout\)"):
        synth_default(annee=2023, data_dir=shared_data)
    with pytest.raises(SchemaError, match="à cheval sur deux générations de QPV"):
        synth_default_years(annees=(2023, 2024), data_dir=shared_data)
