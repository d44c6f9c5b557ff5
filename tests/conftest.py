"""Shared fixtures: the reference-data directory and small hand-made layers.

The hand-made territory, in Lambert-93 (metres):

    y
    2000 +---------+---------+
         |  C3     |  C4     |
    1000 +---------+---------+        four 1 km squares, communes C1..C4
         |  C1  [Q]|  C2     |        QPV Q = box(500, 200, 1000.5, 700): in C1,
       0 +---------+---------+        with a 0.5 m sliver into C2 (area 250 m², 0.1 %)
         0       1000      2000  x
"""

from __future__ import annotations

import os
import shutil
import tempfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from peuplement import data_dir
from peuplement._cache import ENV_CACHE_DIR

X0, Y0 = 700_000.0, 6_600_000.0  # an origin inside France, so CRS sanity checks pass


# Tests measured over a few seconds (`pytest --durations=20`: 2.4 to 17 s each on the shared
# machine; 8 s of the PySAL one is the first import of numba), matched on the end of their node
# id, parameters ignored.
SLOW: tuple[str, ...] = (
    "test_trust.py::test_loader_round_trip",
    "test_segregation.py::test_agrees_with_pysal_segregation",
    "test_trust.py::test_full_run_leaks_no_household_and_is_reproducible",
    "test_official_formats.py::test_sru_rate_written_any_published_way",
    "test_evolutions.py::test_tendances_command",
    "test_evolutions.py::test_tables_real_and_synthetic",
    "test_evolutions.py::test_notebook_03_publishes_no_mutation_count_under_the_threshold",
    "test_fragility.py::test_default_territory_poverty_rise",
    "test_segregation.py::test_theil_within_plus_between_is_total",
    "test_lec_household.py::test_unknown_children_rule_property",
    "test_cli.py::test_map_command",
    "test_cache.py::test_report_identical_from_a_cold_and_a_warm_cache",
    "test_cache.py::test_evolutions_blocks_render_as_the_section_computed_directly",
)


def pytest_configure(config):
    """Point the persistent cache at a fresh folder for the whole session, removed at the end.

    Tests never read nor write the user's cache (``~/.cache/peuplement``): the session starts
    cold, so a table built by the code under test is what the tests read. Set here (rather
    than in a fixture) so that doctests, notebooks and the commands the tests run in
    subprocesses inherit it too.
    """
    folder = tempfile.mkdtemp(prefix="peuplement-test-cache-")
    previous = os.environ.get(ENV_CACHE_DIR)
    os.environ[ENV_CACHE_DIR] = folder

    def restore() -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if previous is None:
            os.environ.pop(ENV_CACHE_DIR, None)
        else:
            os.environ[ENV_CACHE_DIR] = previous

    config.add_cleanup(restore)


def pytest_collection_modifyitems(config, items):
    """Mark notebooks and browser tests `slow`, so `pytest -m "not slow"` is the quick loop.

    Markers are applied here rather than in each file: nbmake items (the notebooks) get
    `notebook`, tests using the `browser` fixture get `browser`, and both get `slow`, as do the
    tests listed in SLOW (measured over a few seconds with `pytest --durations`).
    """
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebook)
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        name = item.nodeid.split("[")[0]
        if (
            item.get_closest_marker("notebook")
            or item.get_closest_marker("browser")
            or name.endswith(SLOW)
        ):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shared_data():
    path = data_dir()
    # Tests on reference data must run, not skip, in CI: fail loudly if it is missing.
    assert (path / "PROVENANCE.md").exists(), (
        f"reference data not found in {path}; set PEUPLEMENT_DATA_DIR"
    )
    return path


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture()
def four_communes():
    return gpd.GeoDataFrame(
        {
            "code_insee": pd.array(["59001", "59002", "59003", "59004"], dtype="string"),
            "nom": pd.array(["Une", "Deux", "Trois", "Quatre"], dtype="string"),
            "population": pd.array([1000, 2000, 3000, 4000], dtype="Int64"),
        },
        geometry=[
            box(0, 0, 1000, 1000),
            box(1000, 0, 2000, 1000),
            box(0, 1000, 1000, 2000),
            box(1000, 1000, 2000, 2000),
        ],
        crs="EPSG:2154",
    )


@pytest.fixture()
def one_qpv():
    return gpd.GeoDataFrame(
        {
            "code_qpv": pd.array(["QP059999"], dtype="string"),
            "nom_qpv": pd.array(["Quartier"], dtype="string"),
            "communes_qpv": pd.array(["Une"], dtype="string"),
            "insee_qpv": pd.array([pd.NA], dtype="string"),
            "generation": [2015],
        },
        geometry=[box(500, 200, 1000.5, 700)],
        crs="EPSG:2154",
    )


@pytest.fixture(scope="session")
def browser():
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    # CI installs both (.ci/run); a missing browser is a failure, not a skip.
    assert chromium and driver_path, "install Debian packages chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,900",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    # No network at all: the map must draw from the file alone.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    yield driver
    driver.quit()
