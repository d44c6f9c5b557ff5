"""The persistent cache of the national reference tables."""

import geopandas as gpd
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import box

from peuplement import _cache
from peuplement.io import communes as communes_io


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(_cache.ENV_CACHE_DIR, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _layer():
    return gpd.GeoDataFrame(
        {"code_insee": pd.array(["01001", "2A004"], dtype="string"), "n": [1, 2]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs="EPSG:2154",
    )


def test_built_once_then_read_back_equal(cache):
    calls = []

    def build():
        calls.append(1)
        return _layer()

    first = _cache.cached_frame("t", build, package="pandas")
    second = _cache.cached_frame("t", build, package="pandas")
    assert len(calls) == 1  # the second call reads the file
    assert_geodataframe_equal(second, first)
    assert second["code_insee"].tolist() == ["01001", "2A004"]  # text codes keep their zeros
    assert [p.name.split("-")[0] for p in cache.iterdir()] == ["t"]


def test_new_key_when_the_source_changes_and_old_entry_removed(cache, tmp_path):
    source = tmp_path / "source.csv"
    source.write_text("a\n1\n")
    frames = iter([pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [2]})])
    first = _cache.cached_frame("s", lambda: next(frames), package="pandas", source=source)
    source.write_text("a\n2\n3\n")  # another size: another key
    second = _cache.cached_frame("s", lambda: next(frames), package="pandas", source=source)
    assert first["a"].tolist() == [1] and second["a"].tolist() == [2]
    assert len(list(cache.glob("s-*.parquet"))) == 1


def test_key_depends_on_the_package_version(monkeypatch):
    before = _cache.cache_key("c", package="pandas")
    monkeypatch.setattr(_cache.importlib.metadata, "version", lambda name: "0.0.0-other")
    assert _cache.cache_key("c", package="pandas") != before


def test_disabled_cache_builds_every_time(monkeypatch):
    monkeypatch.setenv(_cache.ENV_CACHE_DIR, "off")
    calls = []
    _cache.cached_frame("x", lambda: calls.append(1) or pd.DataFrame(), package="pandas")
    _cache.cached_frame("x", lambda: calls.append(1) or pd.DataFrame(), package="pandas")
    assert calls == [1, 1] and _cache.cache_dir() is None


def test_unreadable_entry_is_rebuilt(cache):
    _cache.cached_frame("u", lambda: pd.DataFrame({"a": [1]}), package="pandas")
    (entry,) = cache.glob("u-*.parquet")
    entry.write_bytes(b"not parquet")
    again = _cache.cached_frame("u", lambda: pd.DataFrame({"a": [5]}), package="pandas")
    assert again["a"].tolist() == [5]


def test_communes_from_the_cache_equal_the_package_tables(cache):
    communes_io._france.cache_clear()
    try:
        cached, epci = communes_io._france()  # builds the cache entries
        communes_io._france.cache_clear()
        again, epci_again = communes_io._france()  # reads them
        built, epci_built = communes_io._build_france()
        assert_geodataframe_equal(again, built)
        pd.testing.assert_frame_equal(epci_again, epci_built)
        assert len(list(cache.glob("communes_france-*.parquet"))) == 1
        # 20 communes, 70 957 inhabitants for the default EPCI, as from the package.
        sel = again[again["siren_epci"] == "245901152"]
        assert len(sel) == 20 and int(sel["population"].sum()) == 70957
    finally:
        communes_io._france.cache_clear()


def test_thresholds_and_their_report_come_back_from_the_cache(cache, tmp_path, shared_data):
    from peuplement.io.reference import load_seuils_quartiles

    official = shared_data / "lec" / "seuils_quartiles_demandeurs_epci_2024_2026.csv"
    direct = load_seuils_quartiles(official)  # a path: read and validated, never cached
    first = load_seuils_quartiles(data_dir=shared_data)  # builds the cache
    again = load_seuils_quartiles(data_dir=shared_data)  # reads it
    assert len(list(cache.glob("seuils_quartiles_*.parquet"))) == 3
    for loaded in (first, again):
        pd.testing.assert_frame_equal(loaded.data, direct.data)
        assert loaded.report.summary() == direct.report.summary()
        assert loaded.report.n_read == direct.report.n_read == len(direct.data)


@pytest.mark.parametrize("name", ["DEMO_2022", "REVN_2019", "IPRO_2017"])
def test_insee_qpv_files_come_back_from_the_cache_unchanged(cache, shared_data, name):
    from peuplement.io import insee_qpv

    source = shared_data / "qpv" / "insee_qpv2015_series" / f"{name}.csv"
    fields = insee_qpv.INSEE_QPV_FIELDS[name.split("_")[0]]
    direct, direct_report = insee_qpv._read_file(source, fields)
    for _ in range(2):  # builds the cache, then reads it
        data, report = insee_qpv._load_file(source, fields)
        pd.testing.assert_frame_equal(data, direct)
        assert report.summary() == direct_report.summary()
        assert report.repairs == direct_report.repairs and report.notes == direct_report.notes
        assert len(report.rejections) == len(direct_report.rejections)


def _clear_process_caches():
    """Forget what this process memoised, so the next calls read (or build) the cache."""
    from peuplement import territory

    territory._official_epci.cache_clear()
    for fn in (
        communes_io._france,
        communes_io._commune_table,
        communes_io._code_changes,
        communes_io.known_commune_codes,
    ):
        fn.cache_clear()


def test_data_stamp_follows_the_reference_files(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    first = _cache.data_stamp(tmp_path)
    assert _cache.data_stamp(tmp_path) == first  # nothing changed
    (tmp_path / "a.csv").write_text("x\n1\n2\n")  # another size
    second = _cache.data_stamp(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.csv").write_text("y\n")  # a file added
    assert len({first, second, _cache.data_stamp(tmp_path)}) == 3


def test_cached_frames_build_once_and_again_when_params_or_data_change(cache, tmp_path):
    data = tmp_path / "data"  # beside the cache folder, not holding it
    data.mkdir()
    (data / "ref.csv").write_text("x\n1\n")
    calls = []

    def build():
        calls.append(1)
        return [pd.DataFrame({"a": [len(calls)]}), pd.DataFrame({"b": ["x"]})]

    def run(**params):
        return _cache.cached_frames("c", build, parts=["p", "q"], params=params, data_dir=data)

    first = run(seed=0)
    again = run(seed=0)  # both entries read back: no build
    assert len(calls) == 1
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert run(seed=1)[0]["a"].tolist() == [2]  # other parameters: built again
    (data / "ref.csv").write_text("x\n1\n2\n")
    assert run(seed=1)[0]["a"].tolist() == [3]  # a reference file changed: built again


def test_synthetic_generator_output_cold_warm_and_uncached_equal(cache, monkeypatch):
    from peuplement import synth

    _clear_process_caches()
    cold = synth.synth_default(annee=2026)  # the world 2024–2026 generated, then stored
    # One entry, the world's: demand, attributions and RPLS stock of synth_default_years.
    assert sorted(p.name.split("-")[0] for p in cache.glob("synth_default*.parquet")) == [
        "synth_default_years_attributions",
        "synth_default_years_demandes",
        "synth_default_years_rpls",
    ]

    def no_generation(**_):
        raise AssertionError("generated again instead of read from the cache")

    with monkeypatch.context() as patch:
        patch.setattr(synth, "_synth_default_years", no_generation)
        warm = synth.synth_default(annee=2026)  # read back: the generator is not called
        # The Évolutions years are the same entry, read back too.
        years = synth.synth_default_years(annees=(2024, 2025, 2026))
    monkeypatch.setenv(_cache.ENV_CACHE_DIR, "off")
    direct = synth.synth_default(annee=2026)  # generated, no cache
    for c, w, d in zip(cold, warm, direct, strict=True):
        pd.testing.assert_frame_equal(w, c)
        pd.testing.assert_frame_equal(w, d)
    assert (years[1]["annee"] == 2026).sum() == len(warm[1])
    # The world starts in 2024 with the CIL's published figures (715 attributions, 1 725
    # requests); 2026 is two years of the default drift later: round(715 × 0.99²) =
    # round(700.77) = 701 attributions and round(1 725 × 1.03²) = round(1 830.05) = 1 830
    # requests (the stock is topped up to its target size each year).
    assert len(warm[1]) == 701 and len(warm[0]) == 1830
    first = synth.synth_default(annee=2024)
    assert len(first[1]) == 715 and len(first[0]) == 1725


def test_territory_cold_and_warm_equal(cache, shared_data):
    from peuplement import Territory

    _clear_process_caches()
    cold = Territory.from_epci("245901152", qpv_generation=2024, data_dir=shared_data)
    assert len(list(cache.glob("territoire_245901152_qpv2024_*.parquet"))) == 4
    _clear_process_caches()
    warm = Territory.from_epci("245901152", qpv_generation=2024, data_dir=shared_data)
    assert_geodataframe_equal(warm.communes, cold.communes)
    assert_geodataframe_equal(warm.qpv, cold.qpv)
    pd.testing.assert_frame_equal(warm.qpv_communes, cold.qpv_communes)
    assert (warm.name, warm.siren, warm.qpv_generation, warm.cog, warm.notes) == (
        cold.name,
        cold.siren,
        cold.qpv_generation,
        cold.cog,
        cold.notes,
    )


def test_report_identical_from_a_cold_and_a_warm_cache(cache):
    import datetime as dt

    from peuplement.report import build_report, default_report_data

    def report() -> str:
        _clear_process_caches()
        return build_report(default_report_data(), generated=dt.date(2026, 1, 15))

    cold = report()  # builds every entry: what the uncached code computes
    names = {p.name.split("-")[0] for p in cache.glob("*.parquet")}
    assert {
        "synth_default_years_attributions",
        "synth_default_years_rpls",
        "insee_qpv_panel_france",
    } <= names
    assert {"territoire_245901152_qpv2015_communes", "evolutions_245901152"} <= names
    warm = report()  # reads them
    assert warm == cold


@pytest.mark.parametrize(
    ("load", "relative"),
    [
        ("filosofi_epci", "filosofi/insee_filosofi2019_disp_epci_france.csv"),
        ("filosofi_commune", "filosofi/insee_filosofi2019_disp_com_dep59_62.csv"),
        ("departements", "rpls/logements-et-logements-sociaux-dans-les-departements.csv"),
    ],
)
def test_reference_tables_come_back_from_the_cache_unchanged(cache, shared_data, load, relative):
    from peuplement.io import load_departements_logement, load_filosofi

    def read(path=None):
        if load == "departements":
            return load_departements_logement(path, data_dir=shared_data)
        return load_filosofi(load.split("_")[1], path=path, data_dir=shared_data)

    direct = read(shared_data / relative)  # a path: read and validated, never cached
    for _ in range(2):  # builds the cache, then reads it
        loaded = read()
        pd.testing.assert_frame_equal(loaded.data, direct.data)
        assert loaded.report.summary() == direct.report.summary()
        assert loaded.report.repairs == direct.report.repairs
    assert len(list(cache.glob("*.parquet"))) == 3  # data, rejections, report


def test_evolutions_blocks_render_as_the_section_computed_directly(cache, shared_data):
    from peuplement import evolutions

    direct = evolutions.evolutions_section(
        evolutions.compute_evolutions("245901152", data_dir=shared_data)
    )
    for _ in range(2):  # computed and stored, then read back: both through the cache format
        blocks = evolutions.evolutions_blocks("245901152", data_dir=shared_data)
        assert evolutions.evolutions_html(blocks) == evolutions.evolutions_html(direct)
    assert [b.kind for b in blocks] == [b.kind for b in direct]


def test_evolutions_table_of_other_than_text_is_refused():
    from peuplement import PeuplementError, evolutions

    assert evolutions._table_json(None) == ""
    text = pd.DataFrame({"Année": ["2024"], "Taux": ["41,4 %"]})
    assert (
        evolutions._table_json(text)
        == '{"columns": ["Année", "Taux"], "data": [["2024", "41,4 %"]]}'
    )
    with pytest.raises(PeuplementError, match="autre chose que du texte formaté"):
        evolutions._table_json(pd.DataFrame({"Taux": [0.414]}))  # a number, not its French text


def test_builds_are_told_on_the_callers_progress_line_nested_builds_included(cache):
    lines = []

    def outer():
        _cache.cached_frame(
            "inner", lambda: pd.DataFrame({"a": [1]}), package="pandas", description="Interne"
        )
        return pd.DataFrame({"b": [2]})

    with _cache.progress_line(lines.append):
        _cache.cached_frame("outer", outer, package="pandas", description="Externe")
        _cache.cached_frame("outer", outer, package="pandas", description="Externe")  # read
    # The inner build shows its line, then the outer one again; nothing once built.
    assert lines == ["Externe", "Interne", "Externe", ""]


def test_key_stamps_the_sidecars_of_a_shapefile(tmp_path):
    # A shapefile's attributes are in the .dbf and its CRS in the .prj: each enters the key.
    shp = tmp_path / "q.shp"
    shp.write_bytes(b"geometry")
    before = _cache.cache_key("q", package="pandas", source=shp)
    (tmp_path / "q.dbf").write_bytes(b"names")
    with_dbf = _cache.cache_key("q", package="pandas", source=shp)
    (tmp_path / "q.dbf").write_bytes(b"other names")
    changed_dbf = _cache.cache_key("q", package="pandas", source=shp)
    (tmp_path / "q.prj").write_bytes(b"EPSG:2154")
    with_prj = _cache.cache_key("q", package="pandas", source=shp)
    assert len({before, with_dbf, changed_dbf, with_prj}) == 4
    # A CSV has no sidecar: a .dbf beside it changes nothing.
    csv = tmp_path / "t.csv"
    csv.write_text("a\n1\n")
    alone = _cache.cache_key("t", package="pandas", source=csv)
    (tmp_path / "t.dbf").write_bytes(b"x")
    assert _cache.cache_key("t", package="pandas", source=csv) == alone
