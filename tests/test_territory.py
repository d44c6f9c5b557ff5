import pytest

from peuplement import SchemaError, Territory, load_parc_communes
from peuplement._errors import DataNotFoundError
from peuplement.datasets import available, get_path

DEFAULT_QPV = [
    "QP059001",
    "QP059034",
    "QP059035",
    "QP059036",
    "QP059037",
    "QP059038",
    "QP059039",
    "QP059040",
]


@pytest.fixture(scope="module")
def default(shared_data):
    return Territory.from_epci("245901152", data_dir=shared_data)


def test_default_territory(default):
    assert default.name == "Communauté d'agglomération Cœur d'Ostrevent"
    assert len(default.communes) == 20 and int(default.communes["population"].sum()) == 70_957
    assert default.qpv["code_qpv"].tolist() == DEFAULT_QPV
    # PROVENANCE.md: Aniche, Auberchicourt, Écaillon, Hornaing, Masny, Montigny, Pecquencourt, Somain.
    assert default.communes_qpv == [
        "59008",
        "59024",
        "59185",
        "59314",
        "59390",
        "59414",
        "59456",
        "59574",
    ]
    assert default.qpv.set_index("code_qpv").loc["QP059035", "codes_insee"] == "59024, 59185, 59390"
    assert default.crs.to_epsg() == 2154


def test_2014_figures_on_both_perimeters(default):
    stock, _ = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"))
    split = default.align(stock, value="nb_lls")
    assert int(split.inside["nb_lls"].sum()) + int(split.outside["nb_lls"].sum()) == 8713
    assert split.outside[["code_insee", "nb_lls"]].values.tolist() == [["59192", 26]]
    # The COG name, not the file's "Emerchicourt", and the EPCI it belongs to now.
    assert (
        "Émerchicourt (59192, aujourd'hui dans : Communauté d'agglomération de la Porte du Hainaut)"
        in split.summary()
    )
    # Said in words, not the column name: 26 dwellings of Émerchicourt (row above).
    assert "; 26 logements sociaux hors périmètre" in split.summary()
    assert "nb_lls" not in split.summary()


def test_align_takes_names_from_the_cog(default):
    stock, _ = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"))
    split = default.align(stock, value="nb_lls")
    names = dict(zip(split.inside["code_insee"], split.inside["nom"], strict=True))
    # The 2014 file writes "Ecaillon" (row 10) and "Emerchicourt" (row 16): every table
    # shows the COG names; the file's spellings are kept in `renamed` only.
    assert names["59185"] == "Écaillon"
    assert split.outside["nom"].tolist() == ["Émerchicourt"]
    assert split.renamed.values.tolist() == [
        [10, "59185", "Ecaillon", "Écaillon"],
        [16, "59192", "Emerchicourt", "Émerchicourt"],
    ]
    # The commune that left the EPCI is listed as such, with the EPCI it belongs to now.
    assert split.outside[["siren_epci_actuel", "nom_epci_actuel"]].values.tolist() == [
        ["200042190", "Communauté d'agglomération de la Porte du Hainaut"]
    ]
    both = split.both()
    # 20 communes inside + 1 outside = the 21 rows of the file, 8,713 dwellings in all.
    assert len(both) == 21 and int(both["nb_lls"].sum()) == 8713
    assert both.loc[~both["dans_perimetre_actuel"], "code_insee"].tolist() == ["59192"]


def test_align_adds_cog_names_to_a_table_without_them(default):
    import pandas as pd

    table = pd.DataFrame({"code_insee": ["59185", "62498"], "nb_lls": [379, 10]})
    split = default.align(table)
    assert split.inside["nom"].tolist() == ["Écaillon"] and split.renamed.empty
    # Lens (62498) is not in Cœur d'Ostrevent: outside, with its current EPCI.
    assert split.outside[["nom", "siren_epci_actuel"]].values.tolist() == [["Lens", "246200364"]]


def test_lens_lievin_qpv(shared_data):
    t = Territory.from_epci("246200364", data_dir=shared_data)
    # 22 QPV of 2015 touch the EPCI (PROVENANCE.md), shared ones included.
    assert len(t.qpv) == 22
    assert {"QP062016", "QP062043", "QP062045", "QP062047"} <= set(t.qpv["code_qpv"])


def test_from_communes(shared_data):
    t = Territory.from_communes(
        ["59574", "59456"], name="Somain et Pecquencourt", data_dir=shared_data
    )
    assert t.qpv["code_qpv"].tolist() == ["QP059038", "QP059039", "QP059040"]
    assert t.siren is None and t.slug == "communes_59456_59574"
    with pytest.raises(SchemaError, match="est vide"):
        Territory.from_communes([])


def test_align_needs_the_column(default):
    import pandas as pd

    with pytest.raises(SchemaError, match="pas de colonne 'code_insee'"):
        default.align(pd.DataFrame({"x": [1]}))


def test_shipped_datasets_listed_on_a_wrong_name():
    assert "coeur_ostrevent/parc_communes_2014" in available()
    with pytest.raises(
        DataNotFoundError,
        match=r"get_path : pas de jeu de données livré nommé 'nope' ; jeux disponibles : "
        r"coeur_ostrevent/chiffres_cles_2014",
    ):
        get_path("nope")


def test_older_cog_codes_are_mapped_not_lost(shared_data):
    import pandas as pd

    t = Territory.from_communes(["59588", "59183", "75056"], data_dir=shared_data)
    stock = pd.DataFrame(
        {
            "code_insee": ["59154", "59588", "59248", "75101", "75102", "59574"],
            "nom": [
                "Coudekerque-Village",
                "Téteghem-Coudekerque-Village",
                "Fort-Mardyck",
                "Paris 1er",
                "Paris 2e",
                "Somain",
            ],
            "nb_lls": [10, 100, 50, 3, 4, 7],
        }
    )
    split = t.align(stock, value="nb_lls")
    # Commune déléguée, commune associée and Paris arrondissements go to their COG 2025 commune.
    assert split.inside.set_index("code_insee")["nb_lls"].to_dict() == {
        "59588": 110,
        "59183": 50,
        "75056": 7,
    }
    assert (
        split.inside.set_index("code_insee").loc["59588", "nom"] == "Téteghem-Coudekerque-Village"
    )
    assert split.mapped["type"].tolist() == ["COMD", "COMA", "ARM", "ARM"]
    assert split.outside["code_insee"].tolist() == ["59574"]
    assert int(split.inside["nb_lls"].sum() + split.outside["nb_lls"].sum()) == int(
        stock["nb_lls"].sum()
    )
    assert "59154 → 59588" in split.summary()


def test_official_territory_built_once_per_process_and_given_as_copies(shared_data):
    from geopandas.testing import assert_geodataframe_equal

    from peuplement import territory as territory_module

    first = Territory.from_epci("245901152", data_dir=shared_data)
    hits = territory_module._official_epci.cache_info().hits
    first.communes["changed"] = 1  # a caller's change stays in its own copy
    first.notes.append("note of the caller")
    second = Territory.from_epci("245901152", data_dir=shared_data)
    assert territory_module._official_epci.cache_info().hits == hits + 1  # not rebuilt
    assert "changed" not in second.communes.columns and "note of the caller" not in second.notes
    # The memoised territory is the one an explicit build gives.
    built = Territory._from_epci("245901152", qpv_generation=2015, qpv=None, data_dir=shared_data)
    assert_geodataframe_equal(second.communes, built.communes)
    assert_geodataframe_equal(second.qpv, built.qpv)
    assert second.qpv_communes.equals(built.qpv_communes) and second.notes == built.notes
    # Another generation is another territory: 2024 codes (QN…) on the same communes.
    newer = Territory.from_epci("245901152", qpv_generation=2024, data_dir=shared_data)
    assert newer.qpv_generation == 2024 and newer.qpv["code_qpv"].str.startswith("QN").all()
    assert newer.communes["code_insee"].tolist() == built.communes["code_insee"].tolist()


def test_a_changed_dbf_beside_the_same_shp_builds_the_territory_anew(shared_data, tmp_path):
    # The QPV names are attributes, in the .dbf beside the .shp: a new .dbf (same .shp)
    # must not give back the territory cached with the old names.
    import shutil

    from peuplement._cache import cache_key

    folder = tmp_path / "data" / "qpv" / "qp2015_national_shp"
    folder.mkdir(parents=True)
    for part in (shared_data / "qpv" / "qp2015_national_shp").glob("QP_METROPOLE_LB93.*"):
        shutil.copy2(part, folder / part.name)
    shp, dbf = folder / "QP_METROPOLE_LB93.shp", folder / "QP_METROPOLE_LB93.dbf"
    first = Territory.from_epci("245901152", data_dir=tmp_path / "data")
    names = first.qpv.set_index("code_qpv")["nom_qpv"]
    assert names["QP059001"] == "Quartier Prioritaire De Hornaing"
    key = cache_key("q", package="pandas", source=shp)
    shp_stat = shp.stat()
    # Same length, so the .dbf keeps its size and fixed-width layout: only its content
    # (and date) change.
    dbf.write_bytes(
        dbf.read_bytes().replace(b"Prioritaire De Hornaing", b"Prioritaire DE HORNAING")
    )
    assert (shp.stat().st_size, shp.stat().st_mtime_ns) == (shp_stat.st_size, shp_stat.st_mtime_ns)
    assert cache_key("q", package="pandas", source=shp) != key
    second = Territory.from_epci("245901152", data_dir=tmp_path / "data")
    assert second.qpv.set_index("code_qpv")["nom_qpv"]["QP059001"] == (
        "Quartier Prioritaire DE HORNAING"
    )
