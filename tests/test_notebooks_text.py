"""What notebooks 02 and 03 show a reader: the EPCI's name, French headers, signed changes.

The notebooks are executed (as nbmake does) and the tables they display are read back
from their HTML outputs: no SIREN for a name, no snake_case header, a « + » on a rise.
"""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from peuplement.labels import COLUMNS

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
pytestmark = pytest.mark.slow


def _shown_tables(name: str) -> list[str]:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3").execute(cwd=str(NOTEBOOKS))
    return [
        out["data"]["text/html"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if "text/html" in out.get("data", {}) and "<table" in out["data"]["text/html"]
    ]


def _headers(html: str) -> list[str]:
    return [h.strip() for h in re.findall(r"<th[^>]*>([^<]*)</th>", html) if h.strip()]


def _cells(html: str) -> list[str]:
    return [c.strip() for c in re.findall(r"<td[^>]*>([^<]*)</td>", html)]


@pytest.fixture(scope="module")
def notebook_02():
    return _shown_tables("02_attribution_balance.ipynb")


@pytest.fixture(scope="module")
def notebook_03():
    return _shown_tables("03_evolutions.ipynb")


def test_notebook_02_names_the_epci(notebook_02):
    # The objectives table: the EPCI's row says its name, as the report does.
    cells = [c for table in notebook_02 for c in _cells(table)]
    assert "Communauté d'agglomération Cœur d'Ostrevent" in cells
    assert "245901152" not in cells


def test_notebook_03_headers_from_the_dictionary_and_signed_changes(notebook_03):
    headers = [h for table in notebook_03 for h in _headers(table)]
    assert "Code QPV" in headers and "Quartier" in headers
    # No canonical name left as a header (code_qpv, annee, part_logements_sociaux…).
    canonical = {*COLUMNS, "indicateur", "niveau", "typologie", "financement", "localisation"}
    raw = [h for h in headers if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h) or h in canonical]
    assert not raw, raw
    # Changes of the poverty rate: signed, a rise with « + », a fall with « − » (U+2212).
    changes = [c for table in notebook_03 for c in _cells(table) if re.search(r"\d points", c)]
    assert changes
    for change in changes:
        assert re.match(r"([+\u2212]\d|0,0 )", change), change
    assert any(c.startswith("+") for c in changes)
