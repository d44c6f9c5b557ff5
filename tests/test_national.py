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


CORPUS = sorted(p.name for p in BAD.glob("rpls_*.csv") if p.name != "rpls_missing_depcom.csv")

HEADER = "DEPCOM;QPV;CONSTRUCT;FINAN;NBPIECE;SURFHAB;X;Y;RPLS_ID\n"
# Plausible ranges (RPLS_FIELDS bounds): 1 to 20 rooms, 1 to 1,000 m².
RANGES = (
    HEADER
    + "59574;;1965;PLUS;3000000000;65;720000;7030000;A1\n"  # rejected: 3e9 rooms
    + "59574;;1965;PLUS;20;1000;720000;7030000;A2\n"  # kept: both at the upper bound
    + "59574;;1965;PLUS;21;65;720000;7030000;A3\n"  # rejected: 21 rooms
    + "59574;;1965;PLUS;0;65;720000;7030000;A4\n"  # rejected: 0 rooms
    + "59574;;1965;PLUS;1;1;720000;7030000;A5\n"  # kept: both at the lower bound
    + "59574;;1965;PLUS;2;1000,5;720000;7030000;A6\n"  # rejected: 1,000.5 m²
    + "59574;;1965;PLUS;2;1e6;720000;7030000;A7\n"  # rejected: a million m²
)


@pytest.fixture(params=[*CORPUS, "ranges"])
def rpls_case(request, tmp_path):
    if request.param == "ranges":
        path = tmp_path / "rpls_ranges.csv"
        path.write_text(RANGES, encoding="utf-8")
        return path
    return BAD / request.param


TRICKY = (
    "\ufeffRPLS_ID;DEPCOM;QPV;BAILLEUR;CONSTRUCT;FINAN;NBPIECE;SURFHAB;X;Y\n"
    + "".join(
        f"L{k};59350;;Bailleur {k % 3};1990;PLUS;{k % 5 + 1};50.5;700000.5;7000000.5\n"
        for k in range(40)
    )
    + 'L40;59350;;"Bailleur\ndu Nord";1990;PLUS;3;50,5;700000;7000000\n'  # quoted line break
    + "\n"  # a blank line
    + ";;;;;;;;;\n"  # a row of empty cells: skipped, as a blank line
    + "L41;1001;QP059001;Norévie;1990;PLUS;2;48;700000;7000000\n"  # accents, lost zero
    + "L42;59350;;Bailleur 1;1990;PLUS;2;48;700000;7000000;extra\n"  # one field too many
    + "L3;59350;;Bailleur 1;1990;PLUS;2;48;700000;7000000\n"  # duplicate of an early row
    + " L43 ;59350;;Nore\u0301vie;1990;PLUS;deux;48;700000;7000000\n"  # NFD, bad count
    + "L44;59350;hq;Bailleur  1;1990;PLUS;2;1 048,5;700000;7000000"  # no final line break
)


@pytest.fixture(params=["utf-8", "mixed", "crlf", "windows-1252"])
def tricky_csv(request, tmp_path):
    path = tmp_path / "rpls_tricky.csv"
    text = TRICKY.replace("\n", "\r\n") if request.param == "crlf" else TRICKY
    data = text.encode("utf-8")
    if request.param == "mixed":  # one line in Windows-1252 in a UTF-8 file
        data = data.replace("Norévie;1990".encode(), "Norévie;1990".encode("cp1252"))
    if request.param == "windows-1252":  # the whole file, without its BOM
        data = text.lstrip("\ufeff").encode("cp1252", errors="replace")
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("block_bytes", [None, 97, 300])
def test_ingest_blocks_agree_with_loader(tricky_csv, tmp_path, monkeypatch, block_bytes):
    """Cut into small blocks (a quoted line break, a blank line, a Windows-1252 line, a
    duplicate and a row with too many fields land in various blocks), the file is judged
    row by row as the loader judges it."""
    from peuplement.io import _stream

    if block_bytes:
        monkeypatch.setattr(_stream, "BLOCK_BYTES", block_bytes)
    assert_ingest_equals_loader(tricky_csv, tmp_path)


def test_ingest_agrees_with_loader(rpls_case, tmp_path):
    assert_ingest_equals_loader(rpls_case, tmp_path)


def assert_ingest_equals_loader(rpls_case, tmp_path):
    """The streamed ingestion judges every row as the loader does: same kept rows and
    values, same rejections (line, column, value, reason), same repairs."""
    data, report = load_rpls(rpls_case, millesime=2023)
    ingested = ingest_rpls(rpls_case, tmp_path / "r.parquet", millesime=2023)
    assert (ingested.n_read, ingested.n_kept, ingested.n_rejected) == (
        report.n_read,
        report.n_kept,
        report.n_rejected,
    )
    kept = pd.read_parquet(ingested.parquet)
    assert kept.columns.tolist() == data.columns.tolist()
    for col in data.columns:
        if col == "millesime":
            assert set(kept[col]) <= {2023}
            continue
        theirs = data[col].astype("string").fillna("<NA>").tolist()
        assert kept[col].astype("string").fillna("<NA>").tolist() == theirs, col
    rejected = pd.read_parquet(ingested.rejections)
    expected = report.rejections.sort_values("ligne", kind="stable").reset_index(drop=True)
    assert rejected.astype("string").fillna("<NA>").values.tolist() == (
        expected.astype("string").fillna("<NA>").values.tolist()
    )
    assert [f"{k} ({v})" for k, v in ingested.repairs.items()] == report.repairs


def test_ingest_plausible_ranges(tmp_path):
    path = tmp_path / "rpls_ranges.csv"
    path.write_text(RANGES, encoding="utf-8")
    report = ingest_rpls(path, tmp_path / "r.parquet", millesime=2023)
    kept = pd.read_parquet(report.parquet)
    # Lines 3 (A2) and 6 (A5) are inside the ranges; the five others are not.
    assert kept["ligne"].tolist() == [3, 6]
    assert kept["nb_pieces"].tolist() == [20, 1]
    rooms = (
        "valeur hors de la plage plausible [1 ; 20] (un logement social compte de 1 à 20 pièces)"
    )
    surface = pd.read_parquet(report.rejections).query("colonne == 'SURFHAB'")["motif"].iloc[0]
    assert surface.startswith("valeur hors de la plage plausible [1 ; 1000]")
    assert report.reasons == {rooms: 3, surface: 2}
    data, loaded = load_rpls(path, millesime=2023)
    assert data["ligne"].tolist() == [3, 6] and loaded.n_rejected == 5


def test_ingest_names_are_data_not_sql(tmp_path, monkeypatch):
    """A quote in a file or folder name is not SQL: the ingestion reads it like any name."""
    monkeypatch.chdir(tmp_path)
    source = (BAD / "rpls_leading_zero.csv").read_text(encoding="utf-8")
    for name in ("rpls d'Aniche.csv", "x'); COPY (SELECT 1) TO 'pwned.csv'; --.csv"):
        folder = tmp_path / "sortie d'Aniche"
        path = tmp_path / name
        path.write_text(source, encoding="utf-8")
        report = ingest_rpls(path, folder / "r.parquet", millesime=2023)
        assert (report.n_read, report.n_kept) == (2, 2)
        rejected = pd.read_parquet(report.rejections)
        assert rejected.empty and report.source == name
    # The crafted name wrote nothing: no file but the inputs and the outputs.
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        [
            "rpls d'Aniche.csv",
            "x'); COPY (SELECT 1) TO 'pwned.csv'; --.csv",
            "r.parquet",
            "r_rejets.parquet",
        ]
    )


def test_ingest_hostile_header(tmp_path):
    """Header cells with quotes and SQL stay data: quoted identifiers, never SQL text."""
    path = tmp_path / "rpls.csv"
    path.write_text(
        'DEPCOM;NBPIECE;"X"" ; DROP TABLE known_codes; --";"a\'b"\n59574;3;1;2\n1001;2;3;4\n',
        encoding="utf-8",
    )
    report = ingest_rpls(path, tmp_path / "r.parquet", millesime=2023)
    kept = pd.read_parquet(report.parquet)
    assert kept["code_insee"].tolist() == ["59574", "01001"]  # 1001: leading zero restored
    assert kept["nb_pieces"].tolist() == [3, 2]


def test_ingest_lines_of_a_file_read_in_parallel(tmp_path):
    """``ligne`` is the file's line even when DuckDB reads the file in parallel chunks.

    100,000 quoted rows (8 MB, as pyarrow writes them) are read by two threads; row k
    (from 0) carries the identifier ``L<k>`` and sits on line k + 2, after the header.
    Line numbers taken from the order rows reach a table were wrong here (every one).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    n = 100_000
    k = np.arange(n)
    frame = pd.DataFrame(
        {
            "RPLS_ID": np.char.add("L", k.astype(str)),
            "DEPCOM": np.array(["59350", "62041", "59009", "75056", "13055", "2A004"])[k % 6],
            "QPV": "",
            "BAILLEUR": "Bailleur 1",
            "CONSTRUCT": "1990",
            "FINAN": "PLUS",
            "NBPIECE": (k % 5 + 1).astype(str),
            "SURFHAB": "50.5",
            "X": "700000.5",
            "Y": "7000000.5",
        }
    )
    frame.loc[70_000, "RPLS_ID"] = "L3"  # a late duplicate of line 5: rejected, line 70,002
    path = tmp_path / "rpls.csv"
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pacsv.write_csv(table, path, pacsv.WriteOptions(delimiter=";"))
    report = ingest_rpls(path, tmp_path / "r.parquet", millesime=2024, threads=2)
    kept = pd.read_parquet(report.parquet, columns=["ligne", "id_logement"])
    assert len(kept) == n - 1
    assert (kept["ligne"] == kept["id_logement"].str[1:].astype(int) + 2).all()
    assert kept["ligne"].is_monotonic_increasing  # file order
    rejected = pd.read_parquet(report.rejections)
    assert rejected[["ligne", "motif"]].values.tolist() == [
        [70_002, "identifiant en double (première occurrence gardée)"]
    ]


def test_ingest_missing_column(tmp_path):
    from peuplement import SchemaError

    with pytest.raises(SchemaError, match=r"colonne\(s\) manquante\(s\) `code_insee`"):
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
    assert edge.tolist() == ["59001"]  # on the C1/C2 edge: C1 comes first


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
    # Two vintages in one pass: the second drops every other dwelling.
    older = tmp_path / "rpls_2023.parquet"
    pd.read_parquet(parquet).iloc[::2].assign(millesime=2023).to_parquet(older)
    result = runner.invoke(app, ["trends", str(older), str(parquet), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    evolution = pd.read_csv(
        tmp_path / "france" / "evolution_epci.csv", sep=";", dtype={"siren_epci": str}
    )
    per_year = pd.read_csv(
        tmp_path / "france" / "indicators_epci_millesimes.csv", sep=";", dtype={"siren_epci": str}
    ).pivot(index="siren_epci", columns="millesime", values="nb_lls")
    assert per_year[2023].sum() == 15_000 and per_year[2024].sum() == 30_000
    # Each EPCI's change is its 2024 stock minus its 2023 stock; EPCIs with no dwelling
    # left in 2023 have no previous vintage, hence no change row.
    both = per_year.dropna()
    assert set(evolution["millesime"]) == {2024}
    assert evolution.set_index("siren_epci")["delta_nb_lls"].sort_index().tolist() == (
        (both[2024] - both[2023]).sort_index().tolist()
    )
    alone = runner.invoke(app, ["trends", str(parquet), "--out", str(tmp_path)])
    assert alone.exit_code == 2 and "au moins 2" in alone.output


def hhi_bailleurs_dask(parquet_paths, lookup):
    """Herfindahl index of landlords per EPCI and vintage on dask: the grouped definition of
    ``territory_concentration`` (HHI = sum of squared shares), mapped step for step.

    1. stock per unit (vintage × EPCI × landlord): a partitioned ``groupby().size()``;
    2. each territory's total: ``groupby().sum()`` of step 1, joined back on the keys;
    3. the terms s² summed per territory: ``groupby().sum()``.
    The small commune look-up is broadcast to every partition by the merge.
    """
    import dask.dataframe as dd

    rows = dd.read_parquet(
        [str(p) for p in parquet_paths], columns=["millesime", "code_insee", "bailleur"]
    )
    rows = rows.merge(
        lookup[["code", "siren_epci"]], left_on="code_insee", right_on="code", how="left"
    )
    rows = rows.assign(
        siren_epci=rows["siren_epci"].fillna("sans EPCI"),
        bailleur=rows["bailleur"].fillna("(non renseigné)"),
    )
    keys = ["millesime", "siren_epci"]
    per = rows.groupby([*keys, "bailleur"]).size().rename("nb_lls").reset_index()
    total = per.groupby(keys)["nb_lls"].sum().rename("total").reset_index()
    per = per.merge(total, on=keys)
    per = per.assign(s2=(per["nb_lls"] / per["total"]) ** 2)
    return per.groupby(keys)["s2"].sum().compute(scheduler="synchronous")


# dask 2026.8 still passes inplace= to pandas 3.1 internally (a deprecation, not our code)
@pytest.mark.filterwarnings("ignore:The inplace keyword:pandas.errors.Pandas4Warning")
def test_hhi_on_dask_equals_pandas(small_france, tmp_path):
    import duckdb

    from peuplement.france import indicators_france_years
    from peuplement.io.national import commune_lookup

    _, path = small_france
    report = ingest_rpls(path, tmp_path / "rpls_2024.parquet", millesime=2024)
    older = tmp_path / "rpls_2023.parquet"
    # A second vintage: every third dwelling gone, so each EPCI's shares change.
    duckdb.read_parquet(str(report.parquet)).filter("ligne % 3 <> 0").project(
        "* REPLACE (2023::INTEGER AS millesime)"
    ).write_parquet(str(older))
    pandas_hhi = indicators_france_years([older, report.parquet])["epci"].set_index(
        ["millesime", "siren_epci"]
    )["hhi_bailleurs"]
    dask_hhi = hhi_bailleurs_dask([older, report.parquet], commune_lookup())
    joined = pandas_hhi.to_frame("pandas").join(dask_hhi.rename("dask"), how="outer")
    assert len(joined) == len(pandas_hhi) > 400  # two vintages of some 250 EPCI each
    np.testing.assert_allclose(joined["dask"], joined["pandas"], rtol=1e-12)


def test_ingest_command_says_rejections_and_repairs(tmp_path):
    """The command prints the accounting, each reason and each repair, in French."""
    path = tmp_path / "rpls_tricky.csv"
    data = TRICKY.encode("utf-8").replace("Norévie;1990".encode(), "Norévie;1990".encode("cp1252"))
    path.write_bytes(data)
    out = tmp_path / "sortie"
    result = runner.invoke(app, ["ingest", str(path), "--millesime", "2024", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # 46 rows read: L0-L39 (40), L40 (two physical lines: a quoted line break), L41, L42
    # (a field too many: read, rejected), the duplicate L3, L43, L44; the blank line and
    # the row of empty cells are skipped, as the loader skips them. 4 rejected, 42 kept.
    assert "rpls_tricky.csv : 46 lignes lues, 42 retenues, 4 rejetées" in result.output
    assert "utf-8 et windows-1252 mêlés" in result.output
    assert "rejet : identifiant en double (première occurrence gardée) (1)" in result.output
    assert "réparé : `DEPCOM` : code normalisé (zéro initial rétabli ou « .0 » retiré) (1)" in (
        result.output
    )
    rejected = pd.read_parquet(out / "france" / "rpls_2024_rejets.parquet")
    assert rejected.columns.tolist() == ["fichier", "ligne", "colonne", "valeur", "motif"]
    assert rejected["colonne"].tolist() == ["*", "RPLS_ID", "NBPIECE", "SURFHAB"]
