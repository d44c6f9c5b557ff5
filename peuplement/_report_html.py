"""What the report shows and in which order: summary sentences, tables, the page from templates.

:mod:`peuplement.report` computes the figures; this module turns them into what an elected
official reads: a one-screen summary in plain French generated from the figures, then the
details, with French labels and names instead of codes, rows masked by statistical secrecy
folded into one line per table, and a colophon (generation date, product version, inputs
and vintages). The HTML comes from the Jinja2 templates of ``peuplement/templates`` with
autoescape on: every data string is shown as text, never run as markup.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import pandas as pd

from peuplement.fmt import fmt_count, fmt_fr, fmt_signed

__all__ = [
    "NIVEAU_LABELS",
    "OBJECTIVES",
    "Table",
    "generation_date",
    "lec_epci_table",
    "block_groups",
    "text_table",
    "lec_unit_table",
    "render",
    "summary_sentences",
    "unit_names",
]

#: Short label and plain-French meaning of each LEC objective.
OBJECTIVES: dict[str, tuple[str, str]] = {
    "A": (
        "Objectif A",
        "attributions hors QPV à des demandeurs du premier quartile de revenus ou relogés",
    ),
    "A_hors_relogement": (
        "Objectif A sans les relogements",
        "attributions hors QPV à des demandeurs du premier quartile, relogements exclus",
    ),
    "B": ("Objectif B", "attributions en QPV à des demandeurs des trois autres quartiles"),
    "prioritaires": (
        "Publics prioritaires",
        "attributions à des ménages prioritaires (DALO et critères de l'article L.441-1)",
    ),
}

#: French name of each level of the LEC table.
NIVEAU_LABELS = {
    "epci": "EPCI",
    "commune": "Commune",
    "bailleur": "Bailleur",
    "reservataire": "Réservataire",
    "bailleur_reservataire": "Bailleur × réservataire",
}

#: Réservataire codes of the SNE flat file and how a reader names them.
RESERVATAIRE_NAMES = {
    "Etat": "État",
    "Bailleur": "Bailleur (contingent propre)",
    "Collectivités": "Collectivités territoriales",
}

_STATUS_CSS = {"atteint": "ok", "non atteint": "ko"}
_STATUS_SYMBOL = {"atteint": "✔", "non atteint": "✘", "sans objectif légal": "·"}
_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@dataclass
class Table:
    """A table as shown: caption, French headers, rows of (text, css class) cells.

    ``folded`` rows were left out (secret statistique) and are said in one line.
    """

    caption: str
    headers: list[str]
    rows: list[list[tuple[str, str]]]
    folded: int = 0
    note: str = ""
    css: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def heads(self) -> list[tuple[str, str]]:
        """Return the headers with their css class: ``num`` over a column of numbers.

        A column of numbers is right-aligned, its header too, so that each header
        stands over its figures.
        """
        out = []
        for i, header in enumerate(self.headers):
            cells = [row[i][1].split() for row in self.rows if i < len(row)]
            numeric = bool(cells) and all("num" in css for css in cells)
            out.append((header, "num" if numeric else ""))
        return out


#: A figure as peuplement writes it for people (:mod:`peuplement.fmt`): a sign, digits
#: grouped by three with narrow no-break spaces, a decimal comma, a unit, a year in
#: brackets. A code (59574, QP059040) or a year alone (2024) is not one: it stays at left.
_QUANTITY = re.compile(
    r"[+\u2212]?\d{1,3}(?:\u202f\d{3})*(?:,\d+)?"
    r"(?:[ \u202f](?:%|€|points?|pts?|ans?))?(?: \(\d{4}\))?"
)
#: What a column of figures shows where a figure is not given.
_NO_FIGURE = {"", "–", "secret", "non publié", "sans objectif", "n.d."}


def text_table(frame: pd.DataFrame, caption: str) -> Table:
    """Make a :class:`Table` of a frame of texts, its columns of figures right-aligned.

    The sections of the report and of the partial report give their tables as texts
    already formatted (:mod:`peuplement.fmt`); a column whose every cell is a figure (or
    says that none is given) gets the ``num`` class: right-aligned, tabular figures.

    Parameters
    ----------
    frame
        The table, every cell a text.
    caption
        Its caption.

    Returns
    -------
    Table
        The table as shown.

    Examples
    --------
    >>> t = text_table(pd.DataFrame({"Code": ["59574"], "Taux": ["\u221241,4\u202f% (2017)"]}), "x")
    >>> t.heads()
    [('Code', ''), ('Taux', 'num')]
    """
    texts = [
        ["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in row]
        for row in frame.itertuples(index=False)
    ]
    numeric = []
    for i in range(frame.shape[1]):
        figures = [row[i] for row in texts if row[i] not in _NO_FIGURE]
        numeric.append(bool(figures) and all(_QUANTITY.fullmatch(v) for v in figures))
    rows = [[(v, "num" if numeric[i] else "") for i, v in enumerate(row)] for row in texts]
    return Table(caption=caption, headers=[str(c) for c in frame.columns], rows=rows)


def generation_date(value: dt.date | None = None) -> dt.date:
    """Return the report's date: ``value``, else ``$SOURCE_DATE_EPOCH`` (UTC), else today.

    ``SOURCE_DATE_EPOCH`` is the reproducible-builds convention: the same inputs then give
    a byte-identical report.

    Examples
    --------
    >>> generation_date(dt.date(2026, 11, 24))
    datetime.date(2026, 11, 24)
    """
    if value is not None:
        return value
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.datetime.now(tz=dt.UTC).date()


def fmt_date(day: dt.date) -> str:
    """Format a date the French way (« 24 novembre 2026 »), without depending on the locale.

    Examples
    --------
    >>> fmt_date(dt.date(2026, 1, 1))
    '1er janvier 2026'
    """
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[day.month - 1]} {day.year}"


def unit_names(
    niveau: str, units: pd.Series, *, communes: Mapping[str, str], epci_name: str
) -> pd.Series:
    """Name each unit of a LEC level as a reader knows it (commune name, « État »…)."""
    text = units.astype("string")
    if niveau == "epci":
        return text.map(lambda _: epci_name)
    if niveau == "commune":
        return text.map(lambda c: communes.get(str(c), str(c)))
    if niveau in ("reservataire", "bailleur_reservataire"):
        return text.map(
            lambda u: " × ".join(RESERVATAIRE_NAMES.get(p, p) for p in str(u).split(" × "))
        )
    return text


def _pct(value: Any) -> str:
    return "non publié" if pd.isna(value) else fmt_fr(float(value), percent=True)


def _signed_points(value: float) -> str:
    return fmt_signed(None if pd.isna(value) else value, digits=1)


def summary_sentences(lec: pd.DataFrame, *, annee: int, synthetic: bool) -> list[dict[str, str]]:
    """One plain-French sentence per objective of the EPCI, generated from its figures.

    Returns
    -------
    list of dict
        ``objectif``, ``statut``, ``css`` and ``texte`` for each objective.
    """
    rows = lec[lec["niveau"] == "epci"]
    out = []
    for code, (label, meaning) in OBJECTIVES.items():
        row = rows[rows["objectif"] == code]
        if row.empty:
            continue
        r = row.iloc[0]
        cible = fmt_fr(float(r["cible"]), percent=True)
        statut = str(r["statut"])
        if statut == "effectif insuffisant":
            text = f"{label} : non publié, moins de 11 attributions (secret statistique)."
        elif statut == "sans attribution":
            text = f"{label} : aucune attribution concernée en {annee} (cible {cible})."
        elif pd.isna(r["cible"]):  # « sans objectif légal » at this level
            text = (
                f"{label} : {_pct(r['taux'])} des {meaning} ({fmt_count(r['numerateur'])} sur "
                f"{fmt_count(r['denominateur'])}) en {annee} ; pas d'objectif légal pour "
                "l'ensemble de l'EPCI (voir le détail par réservataire)."
            )
        else:
            head = (
                f"{label} {statut} en {annee} : {_pct(r['taux'])} des {meaning} "
                f"({fmt_count(r['numerateur'])} sur {fmt_count(r['denominateur'])}), "
                f"pour une cible de {cible}"
            )
            if statut == "atteint":
                text = f"{head}, soit {_signed_points(float(r['ecart_points']))} points."
            else:
                needed = int(r["attributions_manquantes"])
                text = (
                    f"{head} : il manque {fmt_fr(abs(float(r['ecart_points'])), digits=1)} "
                    f"points, soit {fmt_count(needed)} attribution{'s' if needed > 1 else ''} "
                    "de ce type de plus à nombre total d'attributions égal."
                )
        if synthetic:
            text += " (Données synthétiques.)"
        out.append(
            {
                "objectif": code,
                "statut": statut,
                "css": _STATUS_CSS.get(statut, ""),
                "symbole": _STATUS_SYMBOL.get(statut, "–"),
                "texte": text,
            }
        )
    return out


def commune_sentence(
    lec: pd.DataFrame, *, objectif: str = "A", names: Mapping[str, str] | None = None
) -> str | None:
    """Say how many communes meet ``objectif``, miss it, or are not published.

    ``names`` gives the communes' names by INSEE code (the code is shown otherwise).
    """
    rows = lec[(lec["niveau"] == "commune") & (lec["objectif"] == objectif)]
    if rows.empty:
        return None
    counts = rows["statut"].value_counts()
    label = OBJECTIVES[objectif][0]
    met, missed = int(counts.get("atteint", 0)), int(counts.get("non atteint", 0))
    secret = int(counts.get("effectif insuffisant", 0))
    secret_text = f"{secret} non publiée{'s' if secret > 1 else ''} (secret statistique)"
    if met + missed == 0:
        rates = rows["taux"].dropna()
        if rates.empty:
            return f"{label} par commune : pas de cible légale à ce niveau ; {secret_text}."
        if len(rates) == 1:
            code = str(rows.loc[rates.index[0], "unite"])
            published = (names or {}).get(code, code)
            return (
                f"{label} par commune : pas de cible légale à ce niveau ; une seule commune "
                f"publiée ({published} : {_pct(rates.iloc[0])}), {secret_text}."
            )
        return (
            f"{label} par commune : pas de cible légale à ce niveau ; le taux va de "
            f"{_pct(rates.min())} à {_pct(rates.max())} selon les {len(rates)} communes "
            f"publiées, {secret_text}."
        )
    return (
        f"{label} par commune : {met} commune{'s' if met > 1 else ''} sur {len(rows)} "
        f"atteignent la cible, {missed} ne l'atteignent pas, {secret_text}."
    )


def lec_epci_table(lec: pd.DataFrame, *, epci_name: str) -> Table:
    """Tabulate the EPCI's objectives, one row each: rate, target, gap, attributions needed."""
    rows = []
    for code, (label, _) in OBJECTIVES.items():
        sub = lec[(lec["niveau"] == "epci") & (lec["objectif"] == code)]
        if sub.empty:
            continue
        r = sub.iloc[0]
        secret = pd.isna(r["taux"])
        rows.append(
            [
                (label, ""),
                ("–" if secret else fmt_count(r["numerateur"]), "num"),
                ("–" if secret else fmt_count(r["denominateur"]), "num"),
                (_pct(r["taux"]), "num"),
                (_pct(r["cible"]) if pd.notna(r["cible"]) else "sans objectif", "num"),
                ("–" if secret else _signed_points(float(r["ecart_points"])), "num"),
                (
                    "–"
                    if secret or pd.isna(r["attributions_manquantes"])
                    else fmt_count(r["attributions_manquantes"]),
                    "num",
                ),
                (str(r["statut"]), _STATUS_CSS.get(str(r["statut"]), "")),
            ]
        )
    return Table(
        caption=f"{epci_name} : objectifs de l'EPCI",
        headers=[
            "Objectif",
            "Attributions concernées",
            "Attributions",
            "Taux",
            "Cible",
            "Écart (points)",
            "Attributions manquantes",
            "Statut",
        ],
        rows=rows,
        css="lec-epci",
    )


def lec_unit_table(lec: pd.DataFrame, niveau: str, *, names: pd.Series) -> Table:
    """One row per unit of ``niveau``, one column per objective; secret units folded.

    A unit whose every objective is masked by secrecy is not listed: the table says how
    many there are in one line. A single masked objective reads « non publié »; an
    objective the unit has no attribution for (no QPV: no objective B) reads « – ».
    """
    rows = lec[lec["niveau"] == niveau].assign(_nom=names)
    objectives = [o for o in OBJECTIVES if o in set(rows["objectif"])]
    grid = rows.pivot_table(
        index="_nom",
        columns="objectif",
        values=["taux", "statut", "cible"],
        aggfunc="first",
        dropna=False,
    )
    # One target per objective goes in the header; targets that differ between units
    # (publics prioritaires: set per réservataire) go in each cell.
    single: dict[str, float | None] = {}
    for obj in objectives:
        values = rows.loc[rows["objectif"] == obj, "cible"].dropna().unique()
        single[obj] = float(values[0]) if len(values) == 1 else None
    secret_units = (rows["statut"] == "effectif insuffisant").groupby(rows["_nom"]).all()
    shown = [u for u in sorted(grid.index, key=str) if not secret_units.get(u, False)]
    body = []
    for unit in shown:
        cells = [(str(unit), "")]
        for obj in objectives:
            statut = grid.loc[unit, ("statut", obj)]
            if pd.isna(statut):  # no attribution of that kind in the unit: nothing to judge
                cells.append(("–", "num"))
                continue
            text = (
                "non publié"
                if statut == "effectif insuffisant"
                else _pct(grid.loc[unit, ("taux", obj)])
            )
            cible = grid.loc[unit, ("cible", obj)]
            if single[obj] is None and pd.notna(cible) and statut != "effectif insuffisant":
                text += f" (cible {_pct(cible)})"
            cells.append((text, "num " + _STATUS_CSS.get(str(statut), "")))
        body.append(cells)
    return Table(
        caption=f"Par {NIVEAU_LABELS[niveau].lower()}",
        headers=[NIVEAU_LABELS[niveau]] + [_objective_header(o, single[o]) for o in objectives],
        rows=body,
        folded=int(secret_units.sum()),
        css="lec-units",
    )


def _objective_header(objectif: str, cible: float | None) -> str:
    label = OBJECTIVES[objectif][0]
    return label if cible is None else f"{label} (cible {_pct(cible)})"


def frame_table(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    caption: str,
    percent: Sequence[str] = (),
    counts: Sequence[str] = (),
) -> Table:
    """Tabulate ``columns`` (``{column: French header}``) with French numbers."""
    body = []
    for record in frame[list(columns)].to_dict("records"):
        cells = []
        for col in columns:
            value = record[col]
            if isinstance(value, int | float) and not isinstance(value, bool):
                if col in counts:
                    text = fmt_count(value)
                else:
                    text = fmt_fr(float(value), percent=col in percent)
                cells.append((text, "num"))
            else:
                cells.append(("" if value is None or pd.isna(value) else str(value), ""))
        body.append(cells)
    return Table(caption=caption, headers=list(columns.values()), rows=body)


def block_groups(blocks: Sequence[Any]) -> list[list[Any]]:
    """Group each title block with the block after it, so that print never strands a title.

    Blocks are those of :func:`peuplement.evolutions.evolutions_section` (``kind``,
    ``text``, ``image``, ``table``).
    """
    groups: list[list[Any]] = []
    pending: list[Any] = []
    for block in blocks:
        pending.append(block)
        if block.kind != "titre":
            groups.append(pending)
            pending = []
    if pending:
        groups.append(pending)
    return groups


def render(template: str, **context: object) -> str:
    """Render a template of ``peuplement/templates`` with autoescape on."""
    return _environment().get_template(template).render(**context)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("peuplement", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["text_table"] = text_table
    return env
