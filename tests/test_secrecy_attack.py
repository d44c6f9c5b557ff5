"""An independent attack on statistical secrecy, as a reader holding every published table.

The promise (issue 13): no published figure reveals fewer than 11 households, judged over
every table published together. This file does not use :mod:`peuplement.secrecy`: it runs the
real commands (``peuplement lec`` and ``peuplement report`` on the default territory), reads
back what a reader gets (the French CSVs, the XLSX, the report's HTML tables) and writes every
published figure as a linear constraint over unknown non-negative household counts.

The attacker's model
--------------------
Unknowns (*atoms*): one per commune × (bailleur × réservataire) × QPV × quartile × rehousing ×
priority, where the communes and the bailleur × réservataire pairs are those that appear as
rows of the published LEC table (a unit without a row has no attribution: the rows are the
units with attributions), QPV ∈ {en, hors}, quartile ∈ {Q1..Q4}, rehoused (relogement RU) ∈
{oui, non}, prioritaire ∈ {oui, non}. The commune × bailleur crossing is not published, so
every pair is allowed: this gives the attacker *less* knowledge than the library's own model.
Atoms whose columns are identical in every constraint and target are merged (an exact
reduction of the linear programme: a sum of non-negative unknowns is any non-negative number).

Each published count is the sum of the atoms of its unit (EPCI, commune, bailleur,
réservataire, bailleur × réservataire) and of its objective's universe and condition, from the
README's definitions:

- A: universe hors QPV, condition Q1 or rehoused;
- A_hors_relogement: universe hors QPV, condition Q1;
- B: universe en QPV, condition quartile ≠ Q1;
- prioritaires: universe all attributions, condition prioritaire;
- quartile table: localisation × quartile.

Published rates give two inequalities (the rate within half a unit of its last printed digit,
``n − (t + ε)·d ≤ 0`` and ``(t − ε)·d − n ≤ 0``, linear even when ``d`` is masked); the
number of attributions missing to reach a target ``m = max(0, ⌈c·d⌉ − n)`` and the statuses
(atteint ⇒ ``n ≥ c·d``, non atteint ⇒ ``n ≤ c·d``) give inequalities too; a unit level's
missing row says its denominator is 0.

For each masked count, and each hidden count (the complement ``d − n`` of a row, the number of
rehoused households ``n_A − n_A_hors_relogement``), :func:`scipy.optimize.linprog` gives the
minimum and maximum over the LP relaxation (a superset of the integer solutions, so a narrow LP
interval is a real leak). A leak is an interval narrower than the threshold (``hi − lo < 11``)
for a count whose true value may be under the threshold, a published count from 1 to 10, a
published "0 of N" (or "N of N") with N ≥ 11, or a published complement from 1 to 10.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog
from typer.testing import CliRunner

from peuplement.cli import app

THRESHOLD = 11
EPCI = "245901152"
OBJECTIVES = ("A", "A_hors_relogement", "B", "prioritaires")
LEVELS = ("epci", "commune", "bailleur", "reservataire", "bailleur_reservataire")
#: Household attributes of an atom: en QPV, quartile (1..4), rehoused, prioritaire.
ATTRIBUTES = list(itertools.product((True, False), (1, 2, 3, 4), (True, False), (True, False)))


def _universe(objective: str, qpv: bool) -> bool:
    return {"A": not qpv, "A_hors_relogement": not qpv, "B": qpv, "prioritaires": True}[objective]


def _condition(objective: str, attr: tuple[bool, int, bool, bool]) -> bool:
    qpv, quart, relog, prio = attr
    if objective == "A":
        return quart == 1 or relog
    if objective == "A_hors_relogement":
        return quart == 1
    if objective == "B":
        return quart != 1
    return prio


def _plain(text: str) -> str:
    """Lower-case text without accents, to match labels between the CSV and the report."""
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if not unicodedata.combining(c)).lower().strip()


# --------------------------------------------------------------------------------- reading


@dataclass
class HtmlTable:
    caption: str
    cls: str | None
    rows: list[list[str]] = field(default_factory=list)


class _Tables(HTMLParser):
    """Every <table> of an HTML page as rows of cell texts (stdlib parser: lxml is absent)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[HtmlTable] = []
        self._stack: list[HtmlTable] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append(HtmlTable("", dict(attrs).get("class")))
        elif tag == "tr" and self._stack:
            self._stack[-1].rows.append([])
        elif tag in ("td", "th") and self._stack:
            self._cell = []
        elif tag == "caption":
            self._caption = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag in ("td", "th") and self._cell is not None:
            self._stack[-1].rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "caption" and self._caption is not None:
            self._stack[-1].caption = " ".join("".join(self._caption).split())
            self._caption = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def html_tables(path: Path) -> list[HtmlTable]:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def _number(text: object) -> float | None:
    """A French number of a report cell ('1 246', '21,2 %', '−3,8'), None if not a number."""
    t = str(text).replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("−", "-")
    t = t.replace("%", "").replace(",", ".")
    try:
        return float(t)
    except ValueError:
        return None


def _count(text: object) -> float:
    """The number a published cell holds (it must hold one)."""
    value = _number(text)
    if value is None:
        raise ValueError(f"not a number: {text!r}")
    return value


def _decimals(text: object) -> int:
    m = re.search(r"[.,](\d+)", str(text))
    return len(m.group(1)) if m else 0


def records(table: pd.DataFrame) -> list[dict[str, str]]:
    """Rows of a table read as text, as plain dictionaries."""
    return [{str(k): str(v) for k, v in r.items()} for r in table.to_dict("records")]


def read_csv_fr(path: Path) -> pd.DataFrame:
    """Read one of our CSVs keeping the raw text too (for the precision of each rate)."""
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return raw


# --------------------------------------------------------------------------------- the model


@dataclass
class Attack:
    """Atoms, published constraints and targets of one set of published tables."""

    communes: list[str]
    pairs: list[tuple[str, str]]  # (bailleur, réservataire)
    eq_rows: list[np.ndarray] = field(default_factory=list)
    eq_vals: list[float] = field(default_factory=list)
    ub_rows: list[np.ndarray] = field(default_factory=list)
    ub_vals: list[float] = field(default_factory=list)
    targets: dict[str, np.ndarray] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The commune × (bailleur × réservataire) crossing is never published, so it is
        # projected out: a non-negative table with given row and column sums exists iff the
        # sums agree (the transportation problem), so one family of atoms per side,
        # commune × attributes and pair × attributes, tied by "same total for each attribute
        # combination", has exactly the same feasible published figures and is ~30× smaller.
        rows = [("c", c, "", "", *a) for c, a in itertools.product(self.communes, ATTRIBUTES)]
        rows += [("p", "", b, r, *a) for (b, r), a in itertools.product(self.pairs, ATTRIBUTES)]
        self.atoms = pd.DataFrame(
            rows,
            columns=[
                "side",
                "commune",
                "bailleur",
                "reservataire",
                "qpv",
                "quartile",
                "relog",
                "prio",
            ],
        )
        side = self.atoms["side"].to_numpy()
        for attr in ATTRIBUTES:
            same = (
                self.atoms[["qpv", "quartile", "relog", "prio"]].apply(tuple, axis=1) == attr
            ).to_numpy()
            tie = ((side == "c") & same).astype(float) - ((side == "p") & same).astype(float)
            self.equal(tie, 0.0, "tie")

    # -- forms (0/1 vectors over the atoms)
    def unit_mask(self, level: str, unit: str) -> np.ndarray:
        a = self.atoms
        if level == "epci":
            return (a["side"] == "c").to_numpy()
        if level == "commune":
            return (a["commune"] == unit).to_numpy()
        if level == "bailleur":
            return (a["bailleur"] == unit).to_numpy()
        if level == "reservataire":
            return (a["reservataire"] == unit).to_numpy()
        bailleur, reservataire = unit.split(" × ")
        return ((a["bailleur"] == bailleur) & (a["reservataire"] == reservataire)).to_numpy()

    def forms(self, level: str, unit: str, objective: str) -> tuple[np.ndarray, np.ndarray]:
        """(denominator, numerator) of one LEC row as 0/1 vectors over the atoms."""
        if not hasattr(self, "_rules"):
            attrs = list(self.atoms[["qpv", "quartile", "relog", "prio"]].itertuples(index=False))
            self._rules = {
                o: (
                    np.array([_universe(o, t[0]) for t in attrs]),
                    np.array([_condition(o, tuple(t)) for t in attrs]),
                )
                for o in OBJECTIVES
            }
        univ, cond = self._rules[objective]
        den = self.unit_mask(level, unit) & univ
        return den.astype(float), (den & cond).astype(float)

    def quartile_form(self, en_qpv: bool | None, quartile: int | None) -> np.ndarray:
        a = self.atoms
        mask = (a["side"] == "c").to_numpy().copy()
        if en_qpv is not None:
            mask &= (a["qpv"] == en_qpv).to_numpy()
        if quartile is not None:
            mask &= (a["quartile"] == quartile).to_numpy()
        return mask.astype(float)

    # -- constraints
    def equal(self, form: np.ndarray, value: float, source: str) -> None:
        self.eq_rows.append(form)
        self.eq_vals.append(value)
        self.sources.append(source)

    def at_most(self, form: np.ndarray, value: float) -> None:
        self.ub_rows.append(form)
        self.ub_vals.append(value)

    def rate(self, num: np.ndarray, den: np.ndarray, rate: float, eps: float) -> None:
        """``rate`` printed to within ``eps``: (rate − eps)·d ≤ n ≤ (rate + eps)·d."""
        self.at_most(num - (rate + eps) * den, 0.0)
        self.at_most((rate - eps) * den - num, 0.0)


def _pct_eps(text: object, percent: bool) -> float:
    """Half a unit of the last printed digit, as a share, plus float slack."""
    half = 0.5 * 10.0 ** (-_decimals(text))
    return (half / 100.0 if percent else half) + 1e-9


def add_lec_csv(attack: Attack, lec: pd.DataFrame, tag: str) -> None:
    """Write every figure of the LEC table as constraints, and its masked or hidden counts as targets."""
    present: set[tuple[str, str, str]] = set()
    for row in records(lec):
        level, unit, objective = row["niveau"], row["unite"], row["objectif"]
        present.add((level, unit, objective))
        den, num = attack.forms(level, unit, objective)
        key = f"{level}|{unit}|{objective}"
        d = _number(row["denominateur"]) if row["denominateur"] else None
        n = _number(row["numerateur"]) if row["numerateur"] else None
        if d is not None:
            attack.equal(den, d, f"{tag} d {key}")
        else:
            attack.targets[f"d|{key}"] = den
        if n is not None:
            attack.equal(num, n, f"{tag} n {key}")
        else:
            attack.targets[f"n|{key}"] = num
        if d is None or n is None:
            attack.targets[f"d-n|{key}"] = den - num
        if row["taux"]:
            attack.rate(num, den, _count(row["taux"]), _pct_eps(row["taux"], False))
        cible = _number(row["cible"]) if row["cible"] else None
        if cible is not None and row["ecart_points"] and not row["taux"]:
            t = cible + _count(row["ecart_points"]) / 100.0
            attack.rate(num, den, t, _pct_eps(row["ecart_points"], True))
        if cible is not None and row["attributions_manquantes"]:
            m = _count(row["attributions_manquantes"])
            # m = max(0, ⌈c·d⌉ − n): m = 0 ⇒ n ≥ c·d; m > 0 ⇒ n + m − 1 < c·d ≤ n + m.
            attack.at_most(cible * den - num, m)
            if m > 0:
                attack.at_most(num - cible * den, 1.0 - m)
        if cible is not None and row["statut"] == "atteint":
            attack.at_most(cible * den - num, 0.0)
        elif cible is not None and row["statut"] == "non atteint":
            attack.at_most(num - cible * den, 0.0)
    units = {lv: sorted({u for lv2, u, _ in present if lv2 == lv}) for lv in LEVELS}
    for level, objective in itertools.product(LEVELS, OBJECTIVES):
        for unit in units[level]:
            if (level, unit, objective) not in present:
                den, _ = attack.forms(level, unit, objective)
                attack.equal(den, 0.0, f"{tag} absent row {level}|{unit}|{objective}")
    for level in LEVELS:
        for unit in units[level]:
            a = f"n|{level}|{unit}|A"
            ahr = f"n|{level}|{unit}|A_hors_relogement"
            _, num_a = attack.forms(level, unit, "A")
            _, num_ahr = attack.forms(level, unit, "A_hors_relogement")
            if a in attack.targets or ahr in attack.targets:
                attack.targets[f"relog|{level}|{unit}"] = num_a - num_ahr


def add_quartiles(attack: Attack, table: pd.DataFrame, tag: str) -> None:
    for row in records(table):
        en_qpv = row["localisation"] == "en QPV"
        quartile = int(row["quartile"][1])
        form = attack.quartile_form(en_qpv, quartile)
        key = f"quartile|{row['localisation']}|{row['quartile']}"
        if row["nb_attributions"]:
            attack.equal(form, _count(row["nb_attributions"]), f"{tag} {key}")
        else:
            attack.targets[key] = form
        if row["part"]:
            total = attack.quartile_form(en_qpv, None)
            attack.rate(form, total, _count(row["part"]), _pct_eps(row["part"], False))


_REPORT_OBJECTIVES = {
    "objectif a sans les relogements": "A_hors_relogement",
    "objectif a": "A",
    "objectif b": "B",
    "publics prioritaires": "prioritaires",
}


def _objective_of(header: str) -> str | None:
    h = _plain(header)
    for prefix, objective in _REPORT_OBJECTIVES.items():
        if h.startswith(prefix):
            return objective
    return None


def add_report(attack: Attack, tables: list[HtmlTable], names: dict[str, str]) -> None:
    """The report's LEC tables: counts and rates of the EPCI, rates of each unit."""
    units = {
        "commune": attack.communes,
        "bailleur": sorted({b for b, _ in attack.pairs}),
        "reservataire": sorted({r for _, r in attack.pairs}),
    }
    for table in tables:
        rows = table.rows
        if table.cls == "lec-epci":
            for cells in rows[1:]:
                objective = _objective_of(cells[0])
                if objective is None:
                    continue
                den, num = attack.forms("epci", EPCI, objective)
                n, d = _number(cells[1]), _number(cells[2])
                if n is not None:
                    attack.equal(num, n, f"report epci n {objective}")
                if d is not None:
                    attack.equal(den, d, f"report epci d {objective}")
                t = _number(cells[3])
                if t is not None:
                    attack.rate(num, den, t / 100.0, _pct_eps(cells[3], True))
        elif table.cls == "lec-units":
            header = rows[0]
            level = {"commune": "commune", "bailleur": "bailleur", "reservataire": "reservataire"}[
                _plain(header[0]).replace("é", "e")
            ]
            for cells in rows[1:]:
                if len(cells) != len(header):
                    continue  # the footnote row ("9 unités non publiées")
                unit = _unit_of(cells[0], level, units[level], names)
                for head, cell in zip(header[1:], cells[1:], strict=True):
                    objective = _objective_of(head)
                    first = re.match(r"\s*([−\-]?[\d\s\u202f]+(?:,\d+)?)\s*%", cell)
                    if objective is None or first is None:
                        continue
                    den, num = attack.forms(level, unit, objective)
                    value = _count(first.group(1))
                    attack.rate(num, den, value / 100.0, _pct_eps(first.group(1), True))


def _unit_of(label: str, level: str, units: Iterable[str], names: dict[str, str]) -> str:
    if level == "commune":
        return names[_plain(label)]
    matches = [u for u in units if _plain(label).startswith(_plain(u))]
    if len(matches) != 1:
        raise KeyError(f"report label {label!r} matches {matches}")
    return matches[0]


# --------------------------------------------------------------------------------- solving


@dataclass
class Interval:
    name: str
    lo: float
    hi: float
    exact: bool = True  # False: [lo, hi] is spanned by witness points, the interval is wider

    @property
    def width(self) -> float:
        return self.hi - self.lo


def _reduce(
    attack: Attack,
) -> tuple[
    sparse.csr_matrix, np.ndarray, sparse.csr_matrix, np.ndarray, sparse.csr_matrix, list[str]
]:
    """Drop atoms fixed at 0 and merge atoms with identical columns (exact for the LP)."""
    a_eq = np.vstack(attack.eq_rows)
    b_eq = np.asarray(attack.eq_vals)
    a_ub = np.vstack(attack.ub_rows) if attack.ub_rows else np.zeros((0, a_eq.shape[1]))
    b_ub = np.asarray(attack.ub_vals)
    names = list(attack.targets)
    t = np.vstack([attack.targets[k] for k in names])
    # An equation "sum of 0/1 atoms = 0" fixes each of its atoms at 0.
    zero = np.zeros(a_eq.shape[1], dtype=bool)
    for row, val in zip(a_eq, b_eq, strict=True):
        if val == 0 and (row >= 0).all():
            zero |= row > 0
    keep = ~zero
    stacked = np.vstack([a_eq[:, keep], a_ub[:, keep], t[:, keep]])
    # Identical columns: one representative each (x_rep stands for the sum of its class).
    _, first = np.unique(stacked.T, axis=0, return_index=True)
    cols = np.flatnonzero(keep)[np.sort(first)]
    a_eq_r = sparse.csr_matrix(a_eq[:, cols])
    a_ub_r = sparse.csr_matrix(a_ub[:, cols])
    t_r = sparse.csr_matrix(t[:, cols])
    return a_eq_r, b_eq, a_ub_r, b_ub, t_r, names


def intervals(attack: Attack, rounds: int = 16) -> list[Interval]:
    """Min and max of every target over the published constraints (HiGHS, LP relaxation).

    Exact bounds cost two programmes per target; most targets are wide, and any feasible
    point lies inside every target's interval, so a few *witness* points (vertices that push
    the still-unproven targets up, then down, then in random directions) prove most targets
    at least ``THRESHOLD`` wide first. Only the others get their two programmes.
    """
    a_eq, b_eq, a_ub, b_ub, t, names = _reduce(attack)
    ub = {"A_ub": a_ub, "b_ub": b_ub} if a_ub.shape[0] else {}

    def solve(c: np.ndarray) -> np.ndarray:
        res = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs", **ub)
        if res.status != 0:
            raise AssertionError(f"published figures infeasible for the model: {res.message}")
        return np.asarray(res.x)

    rng = np.random.default_rng(0)
    seen_lo = np.full(len(names), np.inf)
    seen_hi = np.full(len(names), -np.inf)
    for k in range(rounds):
        open_ = (seen_hi - seen_lo) < THRESHOLD
        if not open_.any():
            break
        # Up, down, then each open target pushed up or down at random.
        signs = np.full(len(names), -1.0 if k == 0 else 1.0)
        if k >= 2:
            signs = rng.choice([-1.0, 1.0], len(names))
        values = t @ solve(t.T @ (open_ * signs))
        seen_lo, seen_hi = np.minimum(seen_lo, values), np.maximum(seen_hi, values)
    out = []
    for i, name in enumerate(names):
        if seen_hi[i] - seen_lo[i] >= THRESHOLD:
            out.append(Interval(name, float(seen_lo[i]), float(seen_hi[i]), exact=False))
            continue
        c = t[i].toarray().ravel()
        lo, hi = float(c @ solve(c)), float(c @ solve(-c))
        out.append(Interval(name, lo, hi, exact=True))
    return out


# --------------------------------------------------------------------------------- checks

_XLSX_COLUMNS = {
    "Année": "annee",
    "Niveau": "niveau",
    "Unité": "unite",
    "Objectif": "objectif",
    "Attributions concernées": "numerateur",
    "Attributions": "denominateur",
    "Taux": "taux",
    "Cible": "cible",
    "Écart (points)": "ecart_points",
    "Attributions manquantes": "attributions_manquantes",
    "Statut": "statut",
}


def xlsx_lec(path: Path) -> pd.DataFrame:
    """The LEC sheet of the report's workbook, with the CSV's column names, as text."""
    sheet = pd.read_excel(path, sheet_name="lec_2026", dtype=object)
    sheet = sheet.rename(columns=_XLSX_COLUMNS)[list(_XLSX_COLUMNS.values())]
    return sheet.map(lambda v: "" if pd.isna(v) else str(v)).assign(
        unite=lambda t: t["unite"].str.replace(r"\.0$", "", regex=True)
    )


@dataclass
class Published:
    """Every file of one secret run that carries household counts."""

    lec: pd.DataFrame
    quartiles: pd.DataFrame
    exports_lec: pd.DataFrame
    xlsx: pd.DataFrame
    report: list[HtmlTable]
    report_text: str

    @classmethod
    def read(cls, lec_dir: Path, report: Path, exports: Path) -> Published:
        return cls(
            lec=read_csv_fr(lec_dir / "lec_2026.csv"),
            quartiles=read_csv_fr(lec_dir / "lec_2026_quartiles.csv"),
            exports_lec=read_csv_fr(exports / "lec_2026.csv"),
            xlsx=xlsx_lec(exports / "observatoire_2026.xlsx"),
            report=html_tables(report),
            report_text=html.unescape(report.read_text(encoding="utf-8")),
        )


def build_attack(pub: Published) -> Attack:
    lec = pub.lec
    pairs = sorted(
        {tuple(u.split(" × ")) for u in lec.loc[lec["niveau"] == "bailleur_reservataire", "unite"]}
    )
    attack = Attack(sorted(set(lec.loc[lec["niveau"] == "commune", "unite"])), pairs)
    # The exports and the workbook first: the LEC CSV's masked cells stay targets even if
    # another file publishes them (its equation then pins the target: a leak).
    add_lec_csv(attack, pub.exports_lec, "exports csv")
    add_lec_csv(attack, pub.xlsx, "xlsx")
    add_lec_csv(attack, lec, "lec csv")
    add_quartiles(attack, pub.quartiles, "quartiles csv")
    names: dict[str, str] = {}
    for table in pub.report:
        if str(table.caption).startswith("Parc par commune"):
            for cells in table.rows[1:]:
                names[_plain(cells[1])] = cells[0]
    for m in re.finditer(r'"code_insee": "(\d{5})", "nom": "([^"]+)"', pub.report_text):
        names[_plain(m.group(2).encode().decode("unicode_escape"))] = m.group(1)
    add_report(attack, pub.report, names)
    return attack


def feasible(attack: Attack) -> bool:
    """Whether some non-negative atoms satisfy every constraint (one programme, no objective)."""
    a_eq, b_eq, a_ub, b_ub, t, _ = _reduce(attack)
    ub = {"A_ub": a_ub, "b_ub": b_ub} if a_ub.shape[0] else {}
    res = linprog(
        np.zeros(a_eq.shape[1]), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs", **ub
    )
    return bool(res.status == 0)


def recoverable(attack: Attack) -> list[Interval]:
    """Masked or hidden counts confined to fewer than THRESHOLD consecutive values."""
    return [iv for iv in intervals(attack) if iv.width < THRESHOLD - 1e-6]


def _small(value: float | None) -> bool:
    return value is not None and 0 < value < THRESHOLD


def primary_leaks(pub: Published) -> list[str]:
    """Published counts of 1 to 10 households, "0 of N" and "N of N" with N ≥ 11."""
    leaks: list[str] = []
    for name, table in (("lec csv", pub.lec), ("exports csv", pub.exports_lec), ("xlsx", pub.xlsx)):
        for row in records(table):
            key = f"{name} {row['niveau']}|{row['unite']}|{row['objectif']}"
            n = _number(row["numerateur"]) if row["numerateur"] else None
            d = _number(row["denominateur"]) if row["denominateur"] else None
            if _small(n) or _small(d):
                leaks.append(f"{key}: {n} sur {d}")
            if n is not None and d is not None and d >= THRESHOLD and (n == 0 or n == d):
                leaks.append(f"{key}: {n} sur {d} (tous les ménages ou aucun)")
            if n is not None and d is not None and _small(d - n):
                leaks.append(f"{key}: complément d − n = {d - n}")
        a = table[table["objectif"] == "A"].set_index(["niveau", "unite"])["numerateur"]
        ahr = table[table["objectif"] == "A_hors_relogement"].set_index(["niveau", "unite"])
        for idx, value in a.items():
            other = ahr["numerateur"].get(idx, "")
            if value and other and _small(_count(value) - _count(other)):
                leaks.append(f"{name} {idx}: relogés = {value} − {other}")
    totals: dict[str, float] = {}
    for row in records(pub.quartiles):
        if row["nb_attributions"]:
            totals[row["localisation"]] = totals.get(row["localisation"], 0.0) + _count(
                row["nb_attributions"]
            )
    for row in records(pub.quartiles):
        nb = _number(row["nb_attributions"]) if row["nb_attributions"] else None
        if _small(nb):
            leaks.append(f"quartiles {row['localisation']} {row['quartile']}: {nb}")
        if nb == 0 and totals.get(row["localisation"], 0) >= THRESHOLD:
            leaks.append(f"quartiles {row['localisation']} {row['quartile']}: 0 attribution")
    for html_table in pub.report:
        if html_table.cls == "lec-epci":
            for cells in html_table.rows[1:]:
                n, d = _number(cells[1]), _number(cells[2])
                if _small(n) or _small(d) or (d is not None and d >= THRESHOLD and n in (0, d)):
                    leaks.append(f"rapport {cells[0]}: {cells[1]} sur {cells[2]}")
    for m in re.finditer(r"\((\d[\d\s\u202f]*) sur (\d[\d\s\u202f]*)\)", pub.report_text):
        n, d = _number(m.group(1)), _number(m.group(2))
        if _small(n) or _small(d) or (d is not None and d >= THRESHOLD and n in (0, d)):
            leaks.append(f"rapport, texte : {m.group(0)}")
    return leaks


def evolution_leaks(tables: list[HtmlTable]) -> list[str]:
    """The report's yearly "Mutations et relogements" table: small counts and "0 of N"."""
    leaks: list[str] = []
    for table in tables:
        if not str(table.caption).startswith("Mutations et relogements"):
            continue
        rows = table.rows
        header = rows[0]
        for cells in rows[1:]:
            total = _number(cells[2])
            for head, cell in zip(header[3:], cells[3:], strict=True):
                value = _number(cell)
                if _small(value) or (value == 0 and total is not None and total >= THRESHOLD):
                    leaks.append(f"{cells[0]} {cells[1]} {head} : {cell} sur {cells[2]}")
    return leaks


# --------------------------------------------------------------------------------- the runs

runner = CliRunner()


def _run(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


@dataclass
class Runs:
    root: Path
    output: dict[str, str]  # what each command printed


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The default territory's `lec` and `report`, with and without secrecy."""
    root = tmp_path_factory.mktemp("attaque")
    out = Runs(root, {})
    for mode, flag in (("secret", "--secret"), ("interne", "--sans-secret")):
        out.output[f"lec_{mode}"] = _run(["lec", flag, "--out", str(root / f"lec_{mode}")])
        out.output[f"report_{mode}"] = _run(
            [
                "report",
                flag,
                "--out",
                str(root / f"rep_{mode}"),
                "--exports",
                str(root / f"exp_{mode}"),
            ]
        )
    return out


def _published(runs: Runs, lec_dir: Path | None = None) -> Published:
    root = runs.root
    return Published.read(
        lec_dir or root / "lec_secret" / EPCI,
        root / "rep_secret" / EPCI / "rapport_2026.html",
        root / "exp_secret" / EPCI,
    )


def _truth(runs: Runs) -> pd.DataFrame:
    root = runs.root
    return read_csv_fr(root / "lec_interne" / EPCI / "lec_2026_usage_interne.csv")


@pytest.mark.slow
def test_no_masked_count_can_be_recovered(runs: Runs) -> None:
    """Every masked or hidden count spans at least 11 values over all published tables."""
    pub = _published(runs)
    attack = build_attack(pub)
    assert len(attack.targets) > 300  # the run masks cells: the attack has work to do
    leaks = recoverable(attack)
    assert not leaks, "\n".join(f"{iv.name}: [{iv.lo:g}, {iv.hi:g}]" for iv in leaks)


@pytest.mark.slow
def test_model_holds_the_truth(runs: Runs) -> None:
    """The attacker's model is sound: the unmasked figures of the same run satisfy it.

    The internal (--sans-secret) run publishes every figure; written into the same model
    together with the secret run's tables, the programme must stay feasible, else the model
    assumes something false (and a "no leak" verdict would mean nothing).
    """
    pub = _published(runs)
    attack = build_attack(pub)
    root = runs.root
    add_lec_csv(attack, _truth(runs), "truth")
    add_quartiles(
        attack,
        read_csv_fr(root / "lec_interne" / EPCI / "lec_2026_quartiles_usage_interne.csv"),
        "truth",
    )
    assert feasible(attack)
    # And the check can fail: one true figure off by one household contradicts the others
    # (the EPCI's A without rehousing is the sum of its communes' in the internal table).
    n = _count(
        _truth(runs)
        .set_index(["niveau", "unite", "objectif"])
        .loc[("epci", EPCI, "A_hors_relogement"), "numerateur"]
    )
    attack.equal(attack.forms("epci", EPCI, "A_hors_relogement")[1], n + 1, "off by one")
    assert not feasible(attack)


def _republish(runs: Runs, tmp_path: Path, cells: list[tuple[str, str, str, str]]) -> Path:
    """A copy of the secret LEC CSV with some masked cells filled in from the internal run."""
    root = runs.root
    src = root / "lec_secret" / EPCI
    dst = tmp_path / "lec"
    dst.mkdir()
    lec = read_csv_fr(src / "lec_2026.csv")
    truth = _truth(runs).set_index(["niveau", "unite", "objectif"])
    for level, unit, objective, column in cells:
        hit = (lec["niveau"] == level) & (lec["unite"] == unit) & (lec["objectif"] == objective)
        assert hit.sum() == 1 and lec.loc[hit, column].iloc[0] == ""  # a masked cell
        lec.loc[hit.to_numpy(), column] = str(truth.loc[(level, unit, objective), column])
    lec.to_csv(dst / "lec_2026.csv", sep=";", index=False, encoding="utf-8-sig")
    (dst / "lec_2026_quartiles.csv").write_bytes((src / "lec_2026_quartiles.csv").read_bytes())
    return dst


@pytest.mark.slow
def test_attack_finds_a_republished_denominator(runs: Runs, tmp_path: Path) -> None:
    """Publish one masked cell and the attack recovers another: the test can fail.

    Auberchicourt (59024) publishes its number of attributions (prioritaires: 54) and its B
    numerator (22) but masks its attributions hors QPV (A) and en QPV (B). Publishing the
    first gives the second: d_B = d_prioritaires − d_A, an interval of width 0.
    """
    lec_dir = _republish(runs, tmp_path, [("commune", "59024", "A", "denominateur")])
    leaks = {iv.name: iv for iv in recoverable(build_attack(_published(runs, lec_dir)))}
    truth = _truth(runs).set_index(["niveau", "unite", "objectif"])
    d_b = _count(truth.loc[("commune", "59024", "B"), "denominateur"])
    assert leaks["d|commune|59024|B"].lo == pytest.approx(d_b)
    assert leaks["d|commune|59024|B"].hi == pytest.approx(d_b)


@pytest.mark.slow
def test_attack_finds_a_republished_small_numerator(runs: Runs, tmp_path: Path) -> None:
    """A masked numerator under 11 published again is caught by the primary check."""
    truth = _truth(runs)
    lec = read_csv_fr(runs.root / "lec_secret" / EPCI / "lec_2026.csv")
    masked = lec[(lec["numerateur"] == "") & (lec["niveau"] == "commune")]
    small = truth.merge(masked[["niveau", "unite", "objectif"]])
    small = small[small["numerateur"].astype(int).between(1, THRESHOLD - 1)]
    level, unit, objective = small.iloc[0][["niveau", "unite", "objectif"]]
    lec_dir = _republish(runs, tmp_path, [(level, unit, objective, "numerateur")])
    leaks = primary_leaks(_published(runs, lec_dir))
    assert any(f"lec csv {level}|{unit}|{objective}" in leak for leak in leaks), leaks


@pytest.mark.slow
def test_no_small_count_published(runs: Runs) -> None:
    """No published count of 1 to 10 households, no "0 of N" or "N of N" with N ≥ 11."""
    assert primary_leaks(_published(runs)) == []


@pytest.mark.slow
def test_no_small_count_in_yearly_tables(runs: Runs) -> None:
    assert evolution_leaks(_published(runs).report) == []


@pytest.mark.slow
def test_sans_secret_is_said_everywhere(runs: Runs) -> None:
    """--sans-secret: files marked internal and the message says so; the secret run does not."""
    root = runs.root
    internal = sorted(p.name for p in (root / "lec_interne" / EPCI).iterdir())
    assert internal and all("_usage_interne" in n for n in internal), internal
    assert (
        "DÉSACTIVÉ" in runs.output["lec_interne"] and "USAGE INTERNE" in runs.output["lec_interne"]
    )
    assert "DÉSACTIVÉ" not in runs.output["lec_secret"]
    assert "Secret statistique appliqué (seuil : 11 ménages)" in runs.output["lec_secret"]
    assert not any(
        "usage_interne" in p.name for p in (root / "lec_secret" / EPCI).glob("lec_2026.csv")
    )
    secret_html = (root / "rep_secret" / EPCI / "rapport_2026.html").read_text(encoding="utf-8")
    internal_html = (root / "rep_interne" / EPCI / "rapport_2026_usage_interne.html").read_text(
        encoding="utf-8"
    )
    assert "Secret statistique DÉSACTIVÉ" in internal_html
    assert "USAGE INTERNE" in internal_html
    assert "aucun chiffre calculé sur moins de 11 ménages n&#39;est publié" not in internal_html
    assert "DÉSACTIVÉ" not in secret_html and "USAGE INTERNE" not in secret_html
    assert "Secret statistique appliqué (seuil : 11 ménages)" in html.unescape(secret_html)


@pytest.mark.slow
def test_sans_secret_report_exports_are_marked(runs: Runs) -> None:
    root = runs.root
    workbooks = [p.name for p in (root / "exp_interne" / EPCI).glob("*.xlsx")]
    assert workbooks and all("usage_interne" in n for n in workbooks), workbooks
    # Every export of an internal run says so in its name, tables of counts or not.
    exported = sorted(p.name for p in (root / "exp_interne" / EPCI).iterdir())
    assert exported and all("usage_interne" in n for n in exported), exported


#: Offending values written into a synthetic attributions file: (row, column, value).
_BAD = [
    (2, "ressources_annuelles", "beaucoup"),
    (3, "nb_personnes", "-4"),
    (5, "code_insee", "99999"),
    (7, "date_attribution", "2026-13-45"),
    (11, "public_prioritaire", "peut-être"),
]


@pytest.mark.slow
def test_rejections_hold_no_household(tmp_path: Path) -> None:
    """Rejected rows name file, line, column and reason: no identifier, no other value."""
    _run(["synth", "--out", str(tmp_path / "synth")])
    (src,) = (tmp_path / "synth").rglob("attributions_synthetiques_2026.csv")
    table = pd.read_csv(src, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    originals = table.iloc[[row for row, _, _ in _BAD]].copy()
    for row, column, value in _BAD:
        table.loc[table.index[row], column] = value
    bad = tmp_path / "attributions.csv"
    table.to_csv(bad, sep=";", index=False, encoding="utf-8-sig")
    _run(["lec", "--attributions", str(bad), "--out", str(tmp_path / "out")])
    files = sorted((tmp_path / "out").rglob("*rejets*"))
    assert files and all("usage_interne" in f.name for f in files), files
    text = "\n".join(f.read_text(encoding="utf-8-sig") for f in files)
    rejected = pd.concat(
        pd.read_csv(f, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for f in files
    )
    assert len(rejected) >= 1, text
    assert not re.search(r"SYN-[ADL]-", text), text
    assert not re.search(r"ATT-\d", text), text
    # Each row's other values (identifiers, income, size, dates, commune…) never appear.
    offending = {value for _, _, value in _BAD}
    for (_, original), (_, column, _) in zip(originals.iterrows(), _BAD, strict=True):
        for col, value in original.items():
            if col in (column, "annee", "siren_epci", "synthetique") or value in (
                "",
                "True",
                "False",
            ):
                continue
            if len(value) >= 4 and value not in offending:
                assert value not in rejected["valeur"].tolist(), (col, value, text)
                assert value not in text, (col, value, text)
