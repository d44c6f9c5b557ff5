"""National runs: DuckDB ingestion agrees with the pandas loader, grid point-in-polygon agrees with
the STRtree join, all-France indicators and LEC agree with per-territory runs."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from peuplement import load_qpv, load_rpls
from peuplement.cli import app
from peuplement.france import indicators_france, lec_france
from peuplement.geo import assign_points, assign_xy
from peuplement.indicators import territory_concentration
from peuplement.io.national import ingest_rpls, read_stock_counts
from peuplement.lec import classify, lec_indicators
from peuplement.synth import SynthTargets, synth_rpls_france, synth_sne

BAD = Path(__file__).parent / "data" / "bad"
runner = CliRunner()


@pytest.mark.parametrize(
    "name", sorted(p.name for p in BAD.glob("rpls_*.csv") if p.name != "rpls_missing_depcom.csv")
)
def test_ingest_agrees_with_loader(name, tmp_path):
    data, report = load_rpls(BAD / name, millesime=2023)
    ingested = ingest_rpls(BAD / name, tmp_path / "r.parquet", millesime=2023)
    assert (ingested.n_read, ingested.n_kept, ingested.n_rejected) == (
        report.n_read,
        report.n_kept,
        report.n_rejected,
    )
    kept = pd.read_parquet(ingested.parquet)
    assert kept["code_insee"].tolist() == data["code_insee"].tolist()
    assert kept["ligne"].tolist() == data["ligne"].tolist()
    rejected = pd.read_parquet(ingested.rejections)
    assert sorted(rejected["ligne"]) == sorted(report.rejections["ligne"].unique())


def test_ingest_missing_column(tmp_path):
    from peuplement import SchemaError

    with pytest.raises(SchemaError, match=r"missing column\(s\) `code_insee`"):
        ingest_rpls(BAD / "rpls_missing_depcom.csv", tmp_path / "r.parquet", millesime=2023)


def test_assign_xy_agrees_with_strtree_join(shared_data, four_communes):
    qpv, _ = load_qpv(shared_data / "qpv" / "qp2015_dep59_62_lb93.gpkg")
    rng = np.random.default_rng(5)
    b = qpv.total_bounds
    x = rng.uniform(b[0], b[2], 60_000)
    y = rng.uniform(b[1], b[3], 60_000)
    # and points drawn inside the polygons' boxes, so that many fall inside
    k = rng.integers(0, len(qpv), 40_000)
    bb = qpv.geometry.bounds.to_numpy()
    x = np.r_[x, rng.uniform(bb[k, 0], bb[k, 2]), np.nan]
    y = np.r_[y, rng.uniform(bb[k, 1], bb[k, 3]), 7_000_000]
    fast = assign_xy(x, y, qpv, key="code_qpv", cell=1500)
    ok = ~np.isnan(x)
    slow = assign_points(gpd.GeoSeries(shapely.points(x[ok], y[ok]), crs=2154), qpv, key="code_qpv")
    assert pd.Series(fast[ok]).fillna("-").tolist() == slow.fillna("-").tolist()
    assert fast[-1] is None and (fast[ok] != None).sum() > 10_000  # noqa: E711
    # A point on the shared edge of two communes goes to the first, as assign_points does.
    edge = assign_xy(
        np.array([700_000.0 + 1000]), np.array([6_600_000.0 + 500]), four_communes, key="code_insee"
    )
    assert edge.tolist() == [None]  # on the boundary: inside neither interior


@pytest.fixture(scope="module")
def small_france(tmp_path_factory, shared_data):
    folder = tmp_path_factory.mktemp("france")
    rpls = synth_rpls_france(30_000, n_landlords=40, seed=3)
    rpls.loc[0, "DEPCOM"] = "59154"  # an older code (commune déléguée of 59588)
    rpls.loc[1, "BAILLEUR"] = "Société Immobilière Picarde"  # an accent, so latin-1 shows
    path = folder / "rpls.csv"
    rpls.to_csv(path, sep=";", index=False, encoding="latin-1")
    return rpls, path


def test_indicators_france_one_pass_equals_per_territory(small_france, tmp_path):
    rpls, path = small_france
    report = ingest_rpls(path, tmp_path / "r.parquet", millesime=2024)
    assert report.n_rejected == 0 and report.n_read == len(rpls) and report.encoding == "latin-1"
    counts = read_stock_counts(report.parquet)
    assert (
        counts["nb_lls"].sum() == len(rpls)
        and counts["nb_lls_qpv"].sum() == rpls["QPV"].notna().sum()
    )
    tables = indicators_france(report.parquet)
    epci = tables["epci"].set_index("siren_epci")
    assert epci["nb_lls"].sum() == len(rpls)  # conserved
    assert "59588" in set(tables["commune"]["code_insee"]) and "59154" not in set(
        tables["commune"]["code_insee"]
    )
    # One EPCI done alone gives the same figures as the national pass.
    siren = epci["nb_lls"].idxmax()
    from peuplement.france import commune_epci

    lookup = commune_epci().drop_duplicates("code").set_index("code")
    alone = rpls.assign(
        code_insee=rpls["DEPCOM"].map(lookup["code_insee"]),
        siren_epci=rpls["DEPCOM"].map(lookup["siren_epci"]),
    )
    alone = alone[alone["siren_epci"] == siren]
    per_commune = (
        alone.groupby("code_insee")
        .agg(nb_lls=("RPLS_ID", "size"), nb_lls_qpv=("QPV", "count"))
        .reset_index()
    )
    per_landlord = (
        alone.groupby(["code_insee", "BAILLEUR"])
        .size()
        .rename("nb_lls")
        .reset_index()
        .rename(columns={"BAILLEUR": "bailleur"})
    )
    single = territory_concentration(per_commune, landlords=per_landlord).iloc[0]
    for col in (
        "nb_lls",
        "part_top5_communes",
        "gini_communes",
        "part_lls_qpv",
        "hhi_bailleurs",
        "nb_bailleurs",
    ):
        assert epci.loc[siren, col] == pytest.approx(single[col]), col


def test_lec_france_uses_each_epci_threshold():
    site = pd.DataFrame(
        {
            "code_insee": ["59574", "62498"],
            "nb_lls": [100, 100],
            "nb_lls_qpv": [0, 0],
            "qpv": [None, None],
        }
    )
    landlords = pd.DataFrame({"bailleur": ["A"], "nb_lls": [1]})
    _, att = synth_sne(
        site,
        landlords,
        annee=2026,
        seuils=(9000, 13000, 18000),
        siren="x",
        n_attributions=400,
        targets=SynthTargets(part_sans_bail=0),
        seed=4,
    )
    att = att.drop(columns="siren_epci")
    seuils = pd.DataFrame(
        {
            "annee": [2026, 2026],
            "siren_epci": ["245901152", "246200364"],
            "q1_annuel_uc": [8772.0, 9189.0],
            "q2_annuel_uc": [12771.0, 13000.0],
            "q3_annuel_uc": [18000.0, 18500.0],
        }
    )
    table, left_out = lec_france(att, seuils, annee=2026, secret=False)
    assert left_out.empty
    for siren, code, q1 in (("245901152", "59574", 8772.0), ("246200364", "62498", 9189.0)):
        part = att[att["code_insee"] == code]
        expected = lec_indicators(
            classify(part, q1=q1, q2=None, q3=None),
            annee=2026,
            siren=siren,
            levels=("epci",),
            secret=False,
        )
        got = table[(table["niveau"] == "epci") & (table["unite"] == siren)]
        assert got["numerateur"].tolist() == expected["numerateur"].tolist()
        assert got["denominateur"].tolist() == expected["denominateur"].tolist()
    partial = lec_france(att, seuils.iloc[:1], annee=2026)[1]
    assert set(partial["code_insee"]) == {"62498"}  # Lens-Liévin has no threshold in that table


def test_cli_all_france(small_france, tmp_path, shared_data):
    _, path = small_france
    result = runner.invoke(
        app, ["ingest", str(path), "--millesime", "2024", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    parquet = tmp_path / "france" / "rpls_2024.parquet"
    result = runner.invoke(
        app, ["indicators", "--all-france", "--rpls", str(parquet), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    epci = pd.read_csv(
        tmp_path / "france" / "indicators_epci.csv", sep=";", dtype={"siren_epci": str}
    )
    assert epci["nb_lls"].sum() == 30_000 and len(epci) > 500
    assert (tmp_path / "france" / "indicators_commune.parquet").exists()
    missing = runner.invoke(app, ["indicators", "--all-france", "--out", str(tmp_path)])
    assert missing.exit_code == 2 and "--rpls" in missing.output
