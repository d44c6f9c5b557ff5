"""Property: every loader, fed random bytes, random Unicode or random CSV shapes, either
raises a PeuplementError subclass (French message) or returns a load whose accounting
closes (rows read = kept + rejected, and the kept rows are the rows returned). Any other
exception is a bug (issue 14)."""

import tempfile
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peuplement._errors import PeuplementError
from peuplement.io import (
    load_attributions,
    load_communes,
    load_demandes,
    load_parc_bailleurs,
    load_parc_communes,
    load_qpv,
    load_rpls,
)
from peuplement.io.reference import (
    load_filosofi,
    load_key_figures,
    load_qpv_population,
    load_seuils_quartiles,
)
from peuplement.io.rpls_resultats import load_rpls_resultats
from peuplement.io.sne import load_engagements
from peuplement.io.sru import load_sru

TABULAR = {
    "rpls": partial(load_rpls, millesime=2023),
    "parc_communes": load_parc_communes,
    "parc_bailleurs": load_parc_bailleurs,
    "attributions": partial(load_attributions, annee=2025),
    "demandes": load_demandes,
    "seuils": load_seuils_quartiles,
    "filosofi": lambda p: load_filosofi("commune", path=p),
    "key_figures": load_key_figures,
    "qpv_population": load_qpv_population,
    "sru": load_sru,
    "engagements": load_engagements,
    "rpls_resultats": partial(load_rpls_resultats, annee=2023),
}
GEOGRAPHIC = {"communes": load_communes, "qpv": load_qpv}

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Column names the loaders look for, and a few they do not.
COLUMNS = [
    "DEPCOM",
    "QPV",
    "NBPIECE",
    "SURFHAB",
    "X",
    "Y",
    "RPLS_ID",
    "NB_LS",
    "NB_LS_EN_QPV",
    "RP",
    "bailleur",
    "code_insee",
    "id_attribution",
    "annee",
    "ressources_annuelles",
    "ressources_mensuelles",
    "nb_personnes",
    "nb_moins_14",
    "bail_signe",
    "numUnique",
    "dateCreationDemande",
    "commune_souhaitee_1",
    "epci_siren",
    "q1_annuel_uc",
    "q2_annuel_uc",
    "q3_annuel_uc",
    "CODGEO",
    "indicateur",
    "valeur",
    "qp",
    "population_municipale_2013",
    "Q119",
    "autre",
    "",
    "DEPCOM",
]
# Cells: valid values, edge values and hostile ones.
CELLS = st.one_of(
    st.sampled_from(
        [
            "59574",
            "2A004",
            "1001",
            "59X74",
            "QP059040",
            "QN05901M",
            "245901152",
            "2025",
            "3",
            "0",
            "-12",
            "65,5",
            "1 635",
            "1e999",
            "inf",
            "-Infinity",
            "nan",
            "NaN",
            "",
            "oui",
            "peut-être",
            "2025-03-15",
            "31/02/2025",
            "720000",
            "7030000",
            "1000000000000",
            '=HYPERLINK("x")',
            "[/bold]Etat",
            "<script>x</script>",
            "Nore\u0301vie",
            "Noré\u200bvie",
            '"',
            '""',
            "a;b",
            "\n",
            "\r\n",
            "\x00",
        ]
    ),
    st.text(max_size=12),
)


def _csv(draw_rows: list[list[str]], sep: str) -> str:
    return "\n".join(sep.join(row) for row in draw_rows) + "\n"


@st.composite
def csv_shapes(draw):
    sep = draw(st.sampled_from([";", ",", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=8))
    rows = draw(
        st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 2), min_size=0, max_size=8)
    )
    blank = draw(st.lists(st.integers(0, len(rows)), max_size=3))
    lines = [header, *rows]
    for at in sorted(blank, reverse=True):
        lines.insert(at + 1, [])
    text = _csv(lines, sep)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace")


def _check(loader, data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        try:
            frame, report = loader(path)
        except PeuplementError as exc:
            assert str(exc)  # a message, and (checked by type) a French PeuplementError
            return
        assert report.n_read == report.n_kept + report.n_rejected
        assert len(frame) == report.n_kept
        assert report.rejections["ligne"].notna().all()


@pytest.mark.parametrize("name", sorted(TABULAR))
@SETTINGS
@given(data=st.binary(max_size=400))
def test_tabular_loaders_on_random_bytes(name, data):
    _check(TABULAR[name], data, ".csv")


@pytest.mark.parametrize("name", sorted(TABULAR))
@SETTINGS
@given(text=st.text(max_size=300))
def test_tabular_loaders_on_random_unicode(name, text):
    _check(TABULAR[name], text.encode("utf-8", errors="surrogatepass"), ".csv")


@pytest.mark.parametrize("name", sorted(TABULAR))
@SETTINGS
@given(data=csv_shapes())
def test_tabular_loaders_on_random_csv_shapes(name, data):
    _check(TABULAR[name], data, ".csv")


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
@SETTINGS
@given(data=st.binary(max_size=300))
def test_spreadsheet_and_parquet_suffixes_on_random_bytes(suffix, data):
    _check(load_parc_communes, data, suffix)


@pytest.mark.parametrize("name", sorted(GEOGRAPHIC))
@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode)))
def test_geographic_loaders_on_random_bytes(name, suffix, data):
    _check(GEOGRAPHIC[name], data, suffix)
