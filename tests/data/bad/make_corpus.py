"""Write the bad-input corpus of tests/data/bad/ (run from anywhere: python make_corpus.py).

Each file is one way partners' files go wrong; tests/test_bad_inputs.py says what each
must produce. The files are committed; this script documents how they were made.
"""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
SQ_L93 = shapely.box(720_000, 7_030_000, 721_000, 7_031_000)
SQ_DEG = shapely.box(3.25, 50.35, 3.26, 50.36)
BOWTIE = shapely.Polygon(
    [(720_000, 7_030_000), (720_500, 7_030_500), (720_500, 7_030_000), (720_000, 7_030_500)]
)


def text(name, content, encoding="utf-8"):
    (HERE / name).write_bytes(content.encode(encoding))


def main():
    rpls = "DEPCOM;QPV;CONSTRUCT;FINAN;NBPIECE;SURFHAB;X;Y;RPLS_ID\n"
    row = "59574;;1965;PLUS;3;65;720000;7030000;{id}\n"
    text(
        "rpls_latin1.csv",
        "DEPCOM;LIBCOM;NBPIECE;RPLS_ID\n59185;Écaillon;3;A1\n59008;Aniche;2;A2\n",
        "latin-1",
    )
    text("rpls_comma.csv", "DEPCOM,QPV,NBPIECE,RPLS_ID\n59574,QP059040,3,A1\n59456,,2,A2\n")
    text("rpls_tab.csv", "DEPCOM\tNBPIECE\tRPLS_ID\n59574\t3\tA1\n")
    text(
        "rpls_leading_zero.csv",
        rpls + "1001;;1965;PLUS;3;65;870000;6570000;A1\n59574;;1965;PLUS;3;65;720000;7030000;A2\n",
    )
    text("rpls_float_codes.csv", rpls + "59574.0;;1965;PLUS;3;65;720000;7030000;A1\n")
    text(
        "rpls_corsica.csv",
        rpls
        + "2A004;;1980;PLS;2;40;1180000;6100000;A1\n2b033;;1990;PLAI;3;55;1220000;6180000;A2\n",
    )
    text(
        "rpls_bad_commune.csv",
        rpls
        + row.format(id="A1")
        + "5957;;1965;PLUS;3;65;720000;7030000;A2\n59X74;;1965;PLUS;3;65;720000;7030000;A3\n",
    )
    text(
        "rpls_duplicate_ids.csv",
        rpls + row.format(id="A1") + row.format(id="A1") + row.format(id="A3"),
    )
    text(
        "rpls_negative_surface.csv",
        rpls + "59574;;1965;PLUS;3;-65;720000;7030000;A1\n" + row.format(id="A2"),
    )
    text(
        "rpls_non_numeric_rooms.csv",
        rpls + "59574;;1965;PLUS;trois;65;720000;7030000;A1\n" + row.format(id="A2"),
    )
    text("rpls_missing_depcom.csv", "COMMUNE;NBPIECE\nSomain;3\n")
    text("rpls_extra_columns.csv", "DEPCOM;NBPIECE;RPLS_ID;COULEUR;ETAGE\n59574;3;A1;bleu;2\n")
    text(
        "rpls_points_outside_france.csv",
        rpls + "59574;;1965;PLUS;3;65;3.25;50.35;A1\n" + row.format(id="A2"),
    )
    text(
        "rpls_qpv_wrong_generation.csv",
        rpls
        + "59574;QN05901M;1965;PLUS;3;65;720000;7030000;A1\n59574;QP059040;1965;PLUS;3;65;720000;7030000;A2\n",
    )
    text(
        "rpls_commune_nouvelle.csv",
        rpls + "59154;;1970;PLUS;3;65;650000;7100000;A1\n75101;;1930;PLUS;2;40;651000;6862000;A2\n",
    )
    gpd.GeoDataFrame({"INSEE_COM": ["59574"]}, geometry=[BOWTIE], crs=2154).to_file(
        HERE / "communes_self_intersecting.gpkg", engine="pyogrio"
    )
    text(
        "rpls_bad_year.csv",
        rpls + "59574;;19655;PLUS;3;65;720000;7030000;A1\n" + row.format(id="A2"),
    )
    text("empty.csv", "")
    text("header_only.csv", "DEPCOM;NB_LS\n")
    text("parc_bom_thousands.csv", "\ufeffDEPCOM;NB_LS\n59574;1 635\n59456;1\u202f307\n")
    text("parc_duplicate_commune.csv", "DEPCOM;NB_LS\n59574;1635\n59574;1635\n")
    text("parc_qpv_above_total.csv", "DEPCOM;NB_LS;NB_LS_EN_QPV\n59574;100;120\n59456;100;50\n")
    text("parc_decimal_count.csv", "DEPCOM;NB_LS\n59574;12,5\n59456;100\n")
    sheet = pd.DataFrame(
        [
            ["Parc social au 1er janvier 2023", None],
            ["Source : RPLS", None],
            [None, None],
            ["DEPCOM", "NB_LS"],
            ["59574", "1635"],
            ["1001", "12"],
        ]
    )
    sheet.to_excel(HERE / "parc_title_rows.xlsx", header=False, index=False)
    attr = "id_attribution;annee;code_insee;code_qpv;bailleur;reservataire;ressources_annuelles;nb_personnes;nb_moins_14;bail_signe;relogement_ru;public_prioritaire\n"
    ok = "T{n};2025;59574;;SIA Habitat;Etat;12000;2;0;oui;non;non\n"
    text(
        "attributions_other_year.csv",
        attr + ok.format(n=1) + "T2;2024;59574;;SIA Habitat;Etat;12000;2;0;oui;non;non\n",
    )
    text(
        "attributions_no_resources.csv",
        attr + ok.format(n=1) + "T2;2025;59574;;SIA Habitat;Etat;;2;0;oui;non;non\n",
    )
    text(
        "attributions_bad_flag.csv",
        attr + ok.format(n=1) + "T2;2025;59574;;SIA Habitat;Etat;12000;2;0;peut-être;non;non\n",
    )
    text(
        "attributions_children_ge_persons.csv",
        attr + ok.format(n=1) + "T2;2025;59574;;SIA Habitat;Etat;12000;2;2;oui;non;non\n",
    )
    text(
        "attributions_missing_year.csv",
        "id_attribution;code_insee;ressources_annuelles;nb_personnes\nT1;59574;12000;2\n",
    )
    dem = "numUnique;dateCreationDemande;commune_souhaitee_1;ressources_mensuelles;nb_personnes\n"
    text(
        "demandes_bad_date.csv",
        dem + "D1;2025-03-15;59574;900;1\nD2;2025-31-03;59574;900;1\nD3;15/03/2025;59574;900;1\n",
    )
    text(
        "demandes_duplicate_id.csv", dem + "D1;2025-03-15;59574;900;1\nD1;2025-03-16;59574;800;2\n"
    )
    text(
        "seuils_conflicting.csv",
        "annee,epci_siren,q1_annuel_uc,q2_annuel_uc,q3_annuel_uc\n2026,245901152,8772,12771,18000\n2026,245901152,8000,12771,18000\n2026,246200364,9189,13000,18500\n",
    )
    # Geographic files.
    gpd.GeoDataFrame(
        {"INSEE_COM": ["59574", "ABCDE", None]}, geometry=[SQ_DEG, SQ_DEG, SQ_DEG], crs=4326
    ).to_file(HERE / "communes_bad_codes.geojson", engine="pyogrio")
    gpd.GeoDataFrame({"INSEE_COM": ["59574"]}, geometry=[SQ_DEG], crs=2154).to_file(
        HERE / "communes_degrees_declared_l93.gpkg", engine="pyogrio"
    )
    gpd.GeoDataFrame({"INSEE_COM": ["59574"]}, geometry=[SQ_L93], crs=4326).to_file(
        HERE / "communes_metres_declared_wgs84.gpkg", engine="pyogrio"
    )
    gpd.GeoDataFrame({"INSEE_COM": ["59574"]}, geometry=[SQ_L93], crs=2154).to_file(
        HERE / "communes_no_prj.shp", engine="pyogrio"
    )
    (HERE / "communes_no_prj.prj").unlink()
    gpd.GeoDataFrame(
        {"INSEE_COM": ["59574"]}, geometry=[shapely.box(0, 0, 10, 10)], crs=None
    ).to_file(HERE / "communes_unknown_crs.gpkg", engine="pyogrio")
    gpd.GeoDataFrame(
        {"code_insee": ["59574", "59574"]}, geometry=[SQ_L93, SQ_L93], crs=2154
    ).to_file(HERE / "communes_duplicate.gpkg", engine="pyogrio")
    gpd.GeoDataFrame(
        {
            "CODE_QP": ["QP059040", "QP059034"],
            "NOM_QP": ["Somain", "Aniche"],
            "COMMUNE_QP": ["Somain", "Aniche"],
        },
        geometry=[BOWTIE, SQ_L93],
        crs=2154,
    ).to_file(HERE / "qpv_self_intersecting.gpkg", engine="pyogrio")
    gpd.GeoDataFrame(
        {"code_qp": ["QN05901M", "QP059001"], "lib_qp": ["Nouveau", "Ancien"]},
        geometry=[SQ_L93, SQ_L93],
        crs=2154,
    ).to_file(HERE / "qpv_2024_with_2015_code.gpkg", engine="pyogrio")
    gpd.GeoDataFrame(
        {"CODE_QP": ["QP059040", "QP059034"]}, geometry=[SQ_L93, None], crs=2154
    ).to_file(HERE / "qpv_missing_geometry.gpkg", engine="pyogrio")
    gpd.GeoDataFrame({"NOM": ["Somain"]}, geometry=[SQ_L93], crs=2154).to_file(
        HERE / "qpv_no_code_column.gpkg", engine="pyogrio"
    )
    hostile()


def hostile():
    """Cases of issue 14: each class of input that once ended in a traceback, a silent
    loss, a wrong line number, a value that is not a value, a split name or an injection."""
    rpls = "DEPCOM;QPV;CONSTRUCT;FINAN;NBPIECE;SURFHAB;X;Y;RPLS_ID\n"
    row = "59574;;1965;PLUS;3;65;720000;7030000;{id}\n"
    # Tracebacks instead of messages.
    (HERE / "a_folder.csv").mkdir(exist_ok=True)
    (HERE / "a_folder.csv" / ".keep").write_text("a folder given where a file is expected\n")
    text("parc_csv_renamed.xlsx", "DEPCOM;NB_LS\n59574;1635\n")
    (HERE / "rpls_corrupt.parquet").write_bytes(b"PAR1\x00\x01garbage, not a parquet file")
    text("communes_not_geographic.gpkg", "INSEE_COM;nom\n59574;Somain\n")
    text(
        "parc_too_many_fields.csv",
        "DEPCOM;NB_LS\n59574;1635\n59456;1;307;extra\n59008;1200\n",
    )
    attr = "id_attribution;annee;code_insee;code_qpv;bailleur;reservataire;ressources_annuelles;nb_personnes;nb_moins_14;bail_signe;relogement_ru;public_prioritaire\n"
    text("attributions_header_only.csv", attr)
    text("parc_only_blank_lines.csv", "\n\n  \n")
    # Wrong row numbers: report the physical line.
    text("parc_blank_lines.csv", "DEPCOM;NB_LS\n\n59574;1635\n\n\n59456;douze\n")
    text(
        "parc_multiline_name.csv",
        'DEPCOM;nom;NB_LS\n59574;"Somain\n(centre)";1635\n59456;"Fenain";-3\n',
    )
    # Values that are not values (tests/test_national.py also runs the DuckDB ingest on
    # every rpls_*.csv: both loaders apply the same ranges, Field.bounds).
    text(
        "rpls_infinite.csv",
        rpls
        + "59574;;1965;PLUS;3;inf;720000;7030000;A1\n"
        + "59574;;1965;PLUS;3;65;-Infinity;7030000;A2\n"
        + "59574;;1965;PLUS;3;1e999;720000;7030000;A3\n"
        + row.format(id="A4"),
    )
    text(
        "rpls_huge_rooms.csv",
        rpls + "59574;;1965;PLUS;3000000000;65;720000;7030000;A1\n" + row.format(id="A2"),
    )
    text("parc_huge_count.csv", "DEPCOM;NB_LS\n59574;1000000000000\n59456;1307\n")
    text(
        "seuils_unordered.csv",
        "annee,epci_siren,q1_annuel_uc,q2_annuel_uc,q3_annuel_uc\n"
        "2026,245901152,18000,12771,8772\n2026,246200364,9189,13000,18500\n",
    )
    text(
        "attributions_nan_resources.csv",
        attr
        + "T1;2025;59574;;SIA;Etat;nan;2;0;oui;non;non\n"
        + "T2;2025;59574;;SIA;Etat;12000;2;0;oui;non;non\n",
    )
    far = shapely.box(720_000, 7_030_000, 1e300, 7_031_000)
    gpd.GeoDataFrame(
        {"CODE_QP": ["QP059040", "QP059034"]}, geometry=[far, SQ_L93], crs=2154
    ).to_file(HERE / "qpv_far_away.gpkg", engine="pyogrio")
    text(
        "bailleurs_negative.csv",
        "bailleur;NB_LS\nSIA Habitat;1200\nNorevie;-12\nMaisons & Cités;800\n",
    )
    # Names that split or merge.
    (HERE / "bailleurs_mixed_encoding.csv").write_bytes(
        "bailleur;code_insee;NB_LS\nLogis Métropole;59574;10\n".encode()
        + "Logis Métropole;59574;10\nNorévie;59456;5\n".encode("cp1252")
    )
    text(
        "bailleurs_nfd_zero_width.csv",
        "bailleur;code_insee;NB_LS\n"
        "Norévie;59574;85\n"  # NFC
        "Nore\u0301vie;59574;85\n"  # NFD
        "Noré\u200bvie ;59574;85\n"  # zero-width space, trailing space
        "Norévie;59456;10\n",
    )
    # Injection: markup, formulas and HTML in names load as plain text.
    text(
        "parc_hostile_names.csv",
        "DEPCOM;nom;NB_LS\n"
        '59574;"[/bold]Etat[red]";1635\n'
        '59456;"=HYPERLINK(""http://x"",""y"")";1307\n'
        "59008;<img src=x onerror=alert(1)>;1200\n",
    )


if __name__ == "__main__":
    import sys

    hostile() if sys.argv[1:] == ["hostile"] else main()
