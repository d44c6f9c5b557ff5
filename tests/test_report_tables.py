"""Figures in the report's tables: right-aligned, tabular, with the typographic minus.

The reader compares figures down a column: they are right-aligned in tabular figures,
their header too, in every HTML table of the report and of the partial report. A negative
figure takes the minus sign (U+2212), a rise the « + »; a CSV export keeps the hyphen
« - » so that a spreadsheet reads a number. The helpers here parse a page's tables; the
report tests (test_report.py, test_partial_report.py) run them on real reports.
"""

import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from peuplement._report_html import text_table
from peuplement.evolutions import Block, evolutions_html
from peuplement.export import write_csv
from peuplement.fmt import MINUS, fmt_count, fmt_fr, fmt_pct, fmt_signed

NNBSP = "\u202f"
#: A figure, as the test reads one: digits grouped with narrow spaces, maybe a decimal
#: comma, a sign, a unit and a year in brackets; and at least one mark of a quantity (a
#: separator, comma, sign or unit), so that codes (59574) and years (2024) are not ones.
FIGURE = re.compile(
    r"[+\-\u2212]?\d[\d\u202f]*(,\d+)?([ \u202f](%|€|points?|pts?|ans))?( \(\d{4}\))?"
)
MARK = re.compile(r"[\u202f,+\-\u2212%€]|points?|ans|^\d{1,3}$")
NO_FIGURE = {"", "–", "secret", "non publié", "sans objectif"}


class _Tables(HTMLParser):
    """Every <table> of a page: headers and cells as (text, class)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"heads": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td") and self.tables:
            self._cell = [tag, "", dict(attrs).get("class") or ""]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            kind, text, css = self._cell
            table = self.tables[-1]
            cell = (text.strip(), css.split())
            (table["heads"] if kind == "th" else table["rows"][-1]).append(cell)
            self._cell = None


def html_tables(page: str) -> list[dict]:
    """Parse the tables of ``page``: ``heads`` and ``rows`` of (text, classes)."""
    parser = _Tables()
    parser.feed(page)
    for table in parser.tables:
        table["rows"] = [r for r in table["rows"] if r and not any("folded" in c for _, c in r)]
    return parser.tables


def figure_columns(table: dict) -> list[int]:
    """Indexes of the columns whose every given cell is a figure (one at least)."""
    out = []
    for i in range(len(table["heads"])):
        texts = [r[i][0] for r in table["rows"] if i < len(r) and r[i][0] not in NO_FIGURE]
        if texts and all(FIGURE.fullmatch(t) and MARK.search(t) for t in texts):
            out.append(i)
    return out


def check_figures_right_aligned(page: str) -> int:
    """Assert the figures of every table of ``page`` are right-aligned; count the columns."""
    tables = html_tables(page)
    assert tables
    checked = 0
    for table in tables:
        for i in figure_columns(table):
            head, css = table["heads"][i]
            assert "num" in css, (head, table["heads"])
            for row in table["rows"]:
                assert "num" in row[i][1], (head, row[i])
            checked += 1
        for row in table["rows"]:
            for text, _ in row:
                assert not re.search(r"(^|\s)-\d", text), (text, "hyphen-minus for a minus")
    return checked


def test_css_right_aligns_tabular_figures():
    from importlib.resources import files

    css = (files("peuplement") / "templates" / "report.css").read_text(encoding="utf-8")
    rule = re.search(r"th\.num,td\.num\{([^}]*)\}", css)
    assert rule and "text-align:right" in rule.group(1)
    assert "font-variant-numeric:tabular-nums" in rule.group(1)


def test_text_table_right_aligns_figure_columns_only():
    frame = pd.DataFrame(
        {
            "Code": ["59574", "59008"],
            "Année": ["2024", "2025"],
            "Quartier": ["QP059040 Somain", "QP059034 Aniche"],
            "Taux": [f"41,4{NNBSP}% (2017)", "secret"],
            "Variation": ["+2,7 points", f"{MINUS}0,3 points"],
            "Logements": [f"1{NNBSP}065", "392"],
        }
    )
    heads = text_table(frame, "t").heads()
    assert [css for _, css in heads] == ["", "", "", "num", "num", "num"]


def test_evolutions_html_right_aligns_figures():
    frame = pd.DataFrame({"Quartier": ["Somain"], "Indice": [f"{MINUS}0,29"]})
    page = evolutions_html([Block("titre", "Évolutions"), Block("tableau", "t", table=frame)])
    assert check_figures_right_aligned(page) == 1
    assert "text-align:right" in page


def test_french_numbers_take_the_minus_sign():
    # −1 234,5: U+2212, narrow no-break space between thousands, decimal comma.
    assert fmt_fr(-1234.5, digits=1) == f"{MINUS}1{NNBSP}234,5"
    assert fmt_count(-12.4) == f"{MINUS}12"
    assert fmt_pct(-0.036) == f"{MINUS}3,6{NNBSP}%"
    assert fmt_fr(-0.25, percent=True) == f"{MINUS}25,0{NNBSP}%"
    # A figure that rounds to zero is zero: no « −0,0 ».
    assert fmt_fr(-0.001, digits=2) == "0,00" and fmt_pct(-0.0001) == f"0,0{NNBSP}%"


def test_changes_are_signed():
    # +2,7 points: a rise; −0,07: a fall; 0,0: no change, no sign.
    assert fmt_signed(2.7, unit="points") == "+2,7 points"
    assert fmt_signed(-0.07, digits=2) == f"{MINUS}0,07"
    assert fmt_signed(0.0004, percent=True) == f"0,0{NNBSP}%"
    assert fmt_signed(0.016, percent=True) == f"+1,6{NNBSP}%"
    assert fmt_signed(float("nan")) == "–"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_fmt_fr_never_writes_a_hyphen_and_reads_back(value):
    text = fmt_fr(value, digits=2)
    assert "-" not in text
    back = float(text.replace(NNBSP, "").replace(",", ".").replace(MINUS, "-"))
    assert back == pytest.approx(round(value, 2), abs=0.006)


def test_csv_export_keeps_the_hyphen_for_spreadsheets(tmp_path):
    path = write_csv(pd.DataFrame({"variation": [-1.5, 2.0]}), tmp_path / "v.csv")
    text = path.read_text(encoding="utf-8-sig")
    assert "-1,5" in text and MINUS not in text
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert back["variation"].tolist() == [-1.5, 2.0]


#: Python in a text for people: a loader, a module path, a call.
PYTHON_NAMES = re.compile(r"\bload_[a-z_]+|\bpeuplement\.[a-z_]+|\b[a-z]+_[a-z_]+\(\)")


def check_no_python_names(page: str) -> None:
    """Assert the text a reader sees (scripts, styles and tags left out) cites no function."""
    shown = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    shown = re.sub(r"<[^>]+>", " ", shown)
    assert not PYTHON_NAMES.findall(shown), PYTHON_NAMES.findall(shown)


def test_evolutions_note_says_the_files_in_words():
    from peuplement.evolutions import compute_evolutions

    ev = compute_evolutions("200046977")  # Lyon: no synthetic stock, the note says why
    note = next(n for n in ev.notes if n.startswith("Pas de parc"))
    assert "répertoire RPLS" in note and "extraction du SNE" in note
    assert not PYTHON_NAMES.search(note), note


def test_commune_sentence_names_a_single_published_commune():
    """With one commune published, the sentence names it instead of a range "31,4 % à 31,4 %
    selon les 1 communes"; with several, it gives the range."""
    import pandas as pd

    from peuplement._report_html import commune_sentence

    def lec(rates):
        return pd.DataFrame(
            {
                "niveau": "commune",
                "objectif": "A",
                "unite": ["59574", "59350", "59009"],
                "taux": rates,
                "statut": [
                    "sans cible" if r == r else "effectif insuffisant"  # NaN: masked
                    for r in rates
                ],
            }
        )

    one = commune_sentence(lec([0.314, float("nan"), float("nan")]), names={"59574": "Somain"})
    assert one == (
        "Objectif A par commune : pas de cible légale à ce niveau ; une seule commune publiée "
        "(Somain : 31,4\u202f%), 2 non publiées (secret statistique)."
    )
    two = commune_sentence(lec([0.314, 0.2, float("nan")]))
    assert "le taux va de 20,0\u202f% à 31,4\u202f% selon les 2 communes publiées" in two
    assert "1 non publiée (secret statistique)" in two


def test_lec_chart_names_the_reservataires_as_the_tables_do():
    """The chart's bars carry the réservataires' names (« État »), not the file's codes."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from peuplement._report_html import RESERVATAIRE_NAMES
    from peuplement.maps.static import lec_chart

    table = pd.DataFrame(
        {
            "niveau": "reservataire",
            "unite": ["Etat", "Action Logement"],
            "objectif": "A",
            "taux": [0.18, 0.25],
            "cible": 0.25,
        }
    )
    fig = lec_chart(table, names=RESERVATAIRE_NAMES)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    plt.close(fig)
    assert ticks == ["Action Logement", "État"]  # sorted by code; unnamed codes as they are


def test_unit_table_dashes_an_objective_the_unit_has_no_attribution_for():
    """A commune without QPV has no objective B: its cell reads « – », not an empty cell
    a reader takes for a missing figure."""
    import pandas as pd

    from peuplement._report_html import lec_unit_table

    lec = pd.DataFrame(
        {
            "niveau": "commune",
            "unite": ["59574", "59574", "59205"],
            "objectif": ["A", "B", "A"],
            "taux": [0.30, 0.62, 0.314],
            "cible": [0.25, 0.5, 0.25],
            "statut": ["atteint", "atteint", "atteint"],
        }
    )
    names = lec["unite"].map({"59574": "Somain", "59205": "Fenain"})
    table = lec_unit_table(lec, "commune", names=names)
    rows = {row[0][0]: [text for text, _ in row[1:]] for row in table.rows}
    assert rows == {"Fenain": ["31,4\u202f%", "–"], "Somain": ["30,0\u202f%", "62,0\u202f%"]}
