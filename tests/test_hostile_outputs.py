"""Hostile names in every string of a map, concurrent runs writing the same output, points
given as outlines (issue 14)."""

import html
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from peuplement import SchemaError, Territory, load_parc_communes
from peuplement.datasets import get_path
from peuplement.geo import assign_points
from peuplement.indicators import commune_concentration
from peuplement.maps import Layer, interactive_map, to_html

# Each payload sets a distinct global if it ever runs; no payload may add a node either.
PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
    '"><svg onload="window.__xss=3">',
    "</script><script>window.__xss=4</script>",
    "'-alert(5)-'",
    "[/bold]Etat[red]",
]
# A point column name used nowhere else: it reaches the page only as a tooltip label.
COLUMN = '<b onmouseover="window.__xss=6">colonne</b>'


@pytest.fixture(scope="module")
def hostile_map(shared_data):
    territory = Territory.from_epci("245901152", data_dir=shared_data)
    stock, _ = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"))
    table = commune_concentration(territory.align(stock).inside)
    communes = territory.communes.copy()
    communes["nom"] = [PAYLOADS[i % len(PAYLOADS)] for i in range(len(communes))]
    qpv = territory.qpv.copy()
    qpv["nom_qpv"] = PAYLOADS[1]
    qpv["codes_insee"] = PAYLOADS[2]
    hostile = type(territory)(
        name=PAYLOADS[0], communes=communes, qpv=qpv, qpv_communes=territory.qpv_communes
    )
    table = table.assign(**{PAYLOADS[3]: PAYLOADS[0], "bailleur": PAYLOADS[2]})
    x, y = communes.geometry.representative_point().x, communes.geometry.representative_point().y
    n = len(communes)
    points = gpd.GeoDataFrame(
        {
            COLUMN: [PAYLOADS[1]] * n,  # a column named with markup, holding markup
            PAYLOADS[2]: [PAYLOADS[3]] * n,
            "nb_logements": [4] * n,
        },
        geometry=gpd.points_from_xy(x, y),
        crs=communes.crs,
    )
    m = interactive_map(
        hostile,
        [
            Layer(
                table,
                "nb_lls",
                PAYLOADS[1],
                tooltip={PAYLOADS[3]: PAYLOADS[4], "bailleur": PAYLOADS[2]},
            ),
            Layer(table, "part_territoire", PAYLOADS[2], percent=True, show=False),
        ],
        title=PAYLOADS[0],
        source=PAYLOADS[3],
        points=points,
        points_label=PAYLOADS[4],
        background=False,  # the online background is Leaflet's tiles, not data: left out offline
    )
    return to_html(m)


def test_hostile_strings_never_reach_the_page_as_markup(hostile_map):
    for payload in PAYLOADS[:4]:
        assert payload not in hostile_map


def test_browser_finds_no_injected_node(hostile_map, browser, tmp_path):
    path = tmp_path / "hostile.html"
    path.write_text(hostile_map, encoding="utf-8")
    browser.get(path.as_uri())
    time.sleep(0.5)
    # Open the hidden layers (points, second layer) so that their nodes are drawn too.
    for box in browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-selector"):
        if not box.is_selected():
            box.click()
    # No node made from a payload: no element carrying an event handler, no image or svg
    # from the data, no script whose code is a payload (payloads inside the page's JSON
    # data are strings, escaped).
    assert (
        browser.execute_script(
            "return document.querySelectorAll('[onerror], [onload], img, svg[onload]').length"
        )
        == 0
    )
    scripts = browser.execute_script(
        "return [...document.querySelectorAll('script')].map(s => s.textContent.trim())"
    )
    assert not [s for s in scripts if s.startswith("window.__xss")]
    texts = []
    # The commune layers are exclusive (radio buttons): hover each one's shapes in turn.
    for radio in browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base input"):
        radio.click()
        for p in browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path"):
            ActionChains(browser).move_to_element(p).perform()
            texts += [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip")]
    shown = " ".join(texts)
    # The payloads are shown as text in tooltips: commune names, tooltip labels and values.
    assert PAYLOADS[0] in shown and PAYLOADS[4] in shown
    assert PAYLOADS[0] in browser.find_element(By.CSS_SELECTOR, ".peuplement-title").text
    # One legend per layer, only the chosen layer's shown: read them all, hidden included.
    legends = " ".join(
        e.get_attribute("textContent")
        for e in browser.find_elements(By.CSS_SELECTOR, ".peuplement-legend")
    )
    assert PAYLOADS[1] in legends and PAYLOADS[2] in legends
    control = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-layers").text
    assert PAYLOADS[4] in control and PAYLOADS[2] in control
    assert browser.execute_script("return window.__xss === undefined")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_point_columns_reach_the_tooltip_as_text(hostile_map):
    # Column names are the tooltip labels: escaped like the values.
    assert COLUMN not in hostile_map
    # The label is HTML-escaped, then JSON-encoded into the script by Folium (jinja's
    # tojson writes & as \u0026): "&lt;b onmouseover=…" becomes "\u0026lt;b onmouseover=…".
    label = html.escape(COLUMN).replace("&", "\\u0026")
    assert label in hostile_map


def test_same_map_same_bytes(hostile_map, shared_data):
    territory = Territory.from_epci("245901152", data_dir=shared_data)
    stock, _ = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"))
    table = commune_concentration(territory.align(stock).inside)

    def page() -> str:
        return to_html(interactive_map(territory, [Layer(table, "nb_lls", "Logements")], title="t"))

    assert page() == page()


def test_points_given_as_outlines_are_refused(shared_data):
    territory = Territory.from_epci("245901152", data_dir=shared_data)
    with pytest.raises(
        SchemaError, match=r"attend des points ; reçu des géométries \['MultiPolygon'\]"
    ):
        assign_points(territory.communes, territory.qpv, key="code_qpv")
    points = gpd.GeoSeries([shapely.Point(720_000, 7_030_000)], crs=territory.communes.crs)
    assert assign_points(points, territory.communes, key="code_insee").notna().all()


def test_four_concurrent_territory_runs_leave_readable_outputs(tmp_path, shared_data):
    """Four processes write the same --out at once: every output is whole and readable."""
    command = [
        sys.executable,
        "-m",
        "peuplement",
        "territory",
        "--data-dir",
        str(shared_data),
        "--out",
        str(tmp_path),
    ]
    runs = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)
    ]
    outcomes = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0, 0], outcomes
    folder = Path(tmp_path) / "245901152"
    assert len(gpd.read_file(folder / "territoire.gpkg", layer="communes")) == 20
    assert len(gpd.read_file(folder / "territoire.gpkg", layer="qpv")) == 8
    parc = pd.read_csv(folder / "parc_communes.csv", sep=";", decimal=",")
    assert parc["nb_lls"].sum() == 8713 - 26  # Émerchicourt (26) left the EPCI
    assert not list(folder.glob(".*"))  # no temporary file left behind


def test_report_html_is_byte_identical_for_identical_inputs(tmp_path, shared_data):
    from typer.testing import CliRunner

    from peuplement.cli import app

    pages = []
    for run in ("a", "b"):
        result = CliRunner().invoke(
            app,
            ["report", "--data-dir", str(shared_data)]
            + ["--out", str(tmp_path / run), "--exports", str(tmp_path / f"e{run}")],
        )
        assert result.exit_code == 0, result.output
        pages.append((tmp_path / run / "245901152" / "rapport_2026.html").read_bytes())
    assert pages[0] == pages[1]
