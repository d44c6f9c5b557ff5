"""The observatoire over time for the default territory: ``peuplement tendances`` and the report section."""

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from typer.testing import CliRunner

from peuplement.cli import app
from peuplement.evolutions import compute_evolutions, evolutions_html, evolutions_section

runner = CliRunner()


@pytest.fixture(scope="module")
def evolutions():
    return compute_evolutions()


def test_tables_real_and_synthetic(evolutions):
    f = evolutions.fragilisation.set_index("code_qpv")
    # REVN 2017 → 2022: Somain 41.4 → 44.1 %, +2.7 points, the only QPV flagged.
    assert f.loc["QP059040", "variation_pauvrete_points"] == pytest.approx(2.7)
    assert f.index[f["en_voie_de_fragilisation"]].tolist() == ["QP059040"]
    evo = evolutions.evolution_qpv
    pop = evo[evo["indicateur"] == "population"].set_index("code_qpv")
    # Somain: 1,633 (census 2013) → 1,401 (census 2018): −14.2 %, marked as a rupture.
    assert pop.loc["QP059040", "variation"] == pytest.approx((1401 / 1633 - 1) * 100)
    assert pop["rupture"].all()
    assert not evo.loc[evo["indicateur"] == "part_pauvres", "rupture"].any()
    levels = evolutions.niveaux.set_index(["code_qpv", "code_insee"])
    somain = levels.loc[("QP059040", "59574")]
    # REVN 2022: 13,750 € vs Somain 18,130 € (Filosofi 2019); 44.1 % vs Nord 18.4 % (2022).
    assert somain["rapport_commune"] == pytest.approx(13750 / 18130)
    assert somain["ecart_departement_points"] == pytest.approx(44.1 - 18.4)
    assert len(levels) == 12  # 8 QPV over 12 (QPV, commune) pairs
    comp = evolutions.comparaison
    nord = comp[(comp["niveau"] == "département") & (comp["annee"] == 2022)]
    assert nord.set_index("indicateur").loc["loyer_moyen_m2", "territoire"] == "Nord"
    epci = comp[comp["niveau"] == "EPCI"]
    # Real EPCI row: CIL 2017, 8,713 social dwellings / 28,247 principal residences.
    real = epci[~epci["synthetique"]]
    assert real["valeur"].tolist() == pytest.approx([8713 / 28247])
    assert epci.loc[epci["synthetique"], "territoire"].str.contains("SYNTHÉTIQUES").all()
    for table in evolutions.synthetic.values():
        assert table["synthetique"].all()
    moves = evolutions.synthetic["mutations_relogements"]
    # No published count of households between 1 and 10.
    counts = moves.filter(like="nb_").stack()
    assert not counts.between(1, 10).any()


def test_section_blocks(evolutions):
    blocks = evolutions_section(evolutions)
    kinds = [b.kind for b in blocks]
    assert kinds[0] == "titre" and blocks[0].text == "Évolutions"
    assert "synthetique" in kinds and kinds.count("figure") == 4
    first = next(b for b in blocks if b.kind == "tableau").table
    assert first.iloc[0]["Quartier"].startswith("QP059040")
    assert first.iloc[0]["Variation"] == "+2,7 points"
    assert first.iloc[0]["Taux de pauvreté (début)"] == "41,4\u202f% (2017)"
    assert all(b.image.startswith("data:image/png;base64,") for b in blocks if b.kind == "figure")
    html = evolutions_html(blocks)
    assert html.startswith('<section id="evolutions"><h2>Évolutions</h2>')
    assert "<td>QP059040 Quartier Prioritaire De Somain</td>" in html
    assert "d&#39;au moins 1 point de pourcentage" in html  # text escaped by Jinja2
    assert html.count("<img ") == 4 and html.count("<table>") == 6
    # The LEC objectives per year, each with its own arrêté's threshold (2024–2026).
    objectives = next(b for b in blocks if b.text.startswith("Objectifs LEC")).table
    assert objectives.groupby("Année")["Seuil du 1er quartile"].first().tolist() == [
        "8\u202f353 €", "8\u202f484 €", "8\u202f772 €",
    ]  # fmt: skip
    assert set(objectives["Objectif"]) >= {
        "A : 1er quartile hors QPV",
        "B : autres quartiles en QPV",
    }


def test_section_without_synthetic_data_says_what_to_add_once(shared_data):
    # Lens-Liévin (246200364) has no synthetic multi-year stock: the section used to print
    # "Pas de parc ni d'attributions pluriannuels…" twice (once in place of the synthetic
    # tables, once again among the notes).
    ev = compute_evolutions("246200364", data_dir=shared_data)
    assert not ev.synthetic
    texts = [b.text for b in evolutions_section(ev) if b.kind == "texte"]
    missing = [t for t in texts if t.startswith("Pas de parc ni d'attributions pluriannuels")]
    assert len(missing) == 1
    assert len(texts) == len(set(texts))  # no paragraph repeated
    assert "synthetique" not in {b.kind for b in evolutions_section(ev)}


def test_tendances_command(tmp_path, shared_data):
    result = runner.invoke(
        app, ["tendances", "--data-dir", str(shared_data), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "QP059040" in result.output and "+2,7 *" in result.output
    assert "DONNÉES SYNTHÉTIQUES" in result.output
    folder = tmp_path / "245901152" / "evolutions"
    frag = pd.read_csv(folder / "qpv_fragilisation.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert frag["code_qpv"].head(3).tolist() == ["QP059040", "QP059037", "QP059036"]
    assert (folder / "mutations_relogements_synthetique.csv").exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [(["--annees", "2024,deux"], "virgules"), (["--annees", "2025,2024"], "croissantes")],
)
def test_tendances_bad_options(tmp_path, option, message):
    result = runner.invoke(app, ["tendances", *option, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output


def test_notebook_03_publishes_no_mutation_count_under_the_threshold(shared_data, monkeypatch):
    # Notebook 03 printed the raw mutations table (7 and 8 rehousings hors QPV, 0 en QPV,
    # 10 inter-landlord mutations in 2026) that the report masks: it now shows the table
    # protected by peuplement.evolutions.protected_moves.
    monkeypatch.setenv("PEUPLEMENT_DATA_DIR", str(shared_data))
    path = Path(__file__).resolve().parents[1] / "notebooks" / "03_evolutions.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, resources={"metadata": {"path": path.parent}}).execute()
    html = next(
        "".join(o["data"]["text/html"])
        for c in notebook.cells
        if "protected_moves(" in c.source
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    )
    assert "Mutations et relogements" in html and "secret" in html
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    counts = [int(c.replace("\u202f", "")) for c in cells if c.replace("\u202f", "").isdigit()]
    years = {2024, 2025, 2026}
    # Every published number is a year or a count of at least 11 households.
    assert counts and all(n in years or n >= 11 for n in counts)
