r"""Statistical secrecy over every table published together, and the audit that proves it.

The promise: no published figure reveals fewer than :data:`SECRET_THRESHOLD` (11)
households, not even to someone holding every table of one run and writing each
published count as a linear equation.

Notes
-----
**The model.**
Each published count is a sum of households. The tables of one run are made from the
same households, so their counts are tied by linear relations: an EPCI total is the
sum of its communes, landlords or réservataires; a landlord is the sum of its
landlord × réservataire cells; ``d_prioritaires = d_A + d_B``; ``n_A − n_A_hors_relogement``
is the number of rehoused households; the quartile table's Q1 in QPV is ``d_B − n_B``…
Rather than listing these relations by hand (and forgetting one), the model derives
them all: a :class:`Model` states which unit columns are known (the combinations of
EPCI, commune, landlord and réservataire that exist) and which household attributes
each count depends on (in or out of QPV, quartile, rehousing, priority), each with its
whole domain. The *atoms* are the known unit combinations crossed with every attribute
combination, and every published cell is the sum of a set of atoms (:class:`Count`
says which). Any relation between published cells is a relation between these sums,
so a linear programme over the atoms sees every one of them.

**Primary rule.**
A household count ``c`` with ``0 < c < threshold`` is suppressed, numerators included.
**Zeros**: a zero *total* (a denominator, a number of households of a unit) is
published: it says that a unit has no household in a place, which reveals nothing about
a household. A zero *part of a positive total* (a numerator of 0 out of 11, or its
complement: 11 out of 11) is suppressed, because it reveals an attribute of every
household of the total (group disclosure). Complements (``d − n``) and the number of
rehoused households (``n_A − n_A_hors_relogement``, a part of ``d_A``: "0 rehoused of
98" is a zero part too) are never published but are protected all the same (*hidden*
counts). Rates, gaps and statuses computed from a
suppressed count are suppressed with it. Masked cells are all labelled ``secret``: the
output does not say which were primary, since that alone would tell a cell is under 11.

**Secondary suppression and its guarantee.**
Statistical offices solve this with τ-ARGUS: the *hypercube* method (a fast heuristic
over n-dimensional tables that suppresses the corners of a hypercube around each
primary cell) or the *modular* method (HiTaS: optimal suppression in each sub-table of
a hierarchy, repeated until the linked tables agree). Both assume tables defined by a
few crossed hierarchies; ours are linked by identities between objectives as well, so we
implement a three-stage heuristic, certified by the audit:

1. suppress every primary cell;
2. **relations** (:func:`_relations`): every cell that is exactly covered by the
   disjoint cells of one or two other counts gives a relation "whole = sum of parts"
   (EPCI = its communes, landlord = its landlord × réservataire cells,
   ``d_prioritaires = d_A + d_B``, ``d = n + (d − n)``, quartiles in QPV = ``d_B``…),
   found from the atoms rather than listed. Over them, **exact propagation** (a relation
   with one unknown member gives it) and **interval propagation** (feasibility-based
   bound tightening) find, in a few sparse products, the cells recovered exactly or
   confined to fewer than ``threshold`` values; each takes with it the smallest
   published positive member of its relations ("preferring to mask the smallest
   cells"), until nothing moves. This is the hypercube idea generalised to any relation
   and settles most cells;
3. **linear programmes** decide the rest: for each masked or hidden sensitive cell, the
   minimum and maximum over the non-negative atoms compatible with every published
   figure (:func:`scipy.optimize.linprog`, HiGHS). Most cells are proven at once by
   *witness points* (feasible points maximising and minimising the sum of the cells not
   yet proven: any feasible point bounds every cell's interval from inside); each cell
   left gets its own two programmes, and a cell narrower than the margin takes with it
   the smallest published cell among the constraints that bind its interval (non-zero
   dual values), the loop of Fischetti & Salazar's single-cell protection (2001).

Suppressing a cell only removes constraints, so the loop ends (each round suppresses at
least one more cell). Its result is certified by :func:`audit`, not assumed: the
heuristic is not optimal (it may mask more cells than a minimal pattern) but it never
publishes a set of tables that the audit rejects.

**The audit and its margin.**
:func:`audit` takes the tables *as published* (masked cells missing) and, for each
suppressed cell and each hidden sensitive count, computes the interval of values
compatible with every published figure. The **protection margin** is the threshold:
the interval must be at least ``threshold`` wide (``hi − lo ≥ 11``), so a masked count
of 3 cannot be placed in fewer than 12 consecutive values. Intervals come from the LP
relaxation, rounded inwards to integers; atoms are limited to the unit combinations
that exist, which gives the attacker *more* knowledge than they have, so an audit that
passes is conservative. The audit also checks the primary rule on published cells.

Examples
--------
>>> import pandas as pd
>>> households = pd.DataFrame({"commune": ["a"] * 3 + ["b"] * 30 + ["c"] * 20})
>>> table = households.groupby("commune").size().rename("nb").reset_index()
>>> model = Model(
...     households,
...     units=("commune",),
...     counts=(Count("t", {"commune": "commune"}, column="nb", total=True),),
...     totals={"t": ()},
... )
>>> out = protect({"t": table}, model)["t"]
>>> out["nb"].isna().tolist()  # a (3) is primary; c (20) goes with it, else a = total − b − c
[True, False, True]
>>> audit({"t": out}, model)
[]
"""

from __future__ import annotations

import hashlib
import io
import itertools
import logging
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from peuplement._errors import PeuplementError, SchemaError, missing_columns, reason

if TYPE_CHECKING:
    from scipy import sparse
# scipy (0.25 s to import) is imported where a table is protected, not by every command.

__all__ = [
    "DISABLED",
    "INSUFFICIENT",
    "INTERNAL",
    "PRIMARY",
    "PUBLISHED",
    "SECONDARY",
    "SECRET",
    "SECRET_THRESHOLD",
    "Count",
    "Leak",
    "apply_secrecy",
    "Model",
    "SecrecyError",
    "audit",
    "check",
    "is_masked",
    "diffusion",
    "mark_internal",
    "lec_microdata",
    "lec_tables",
    "lec_model",
    "protect",
    "protect_lec",
    "protect_parts",
    "public_rejections",
    "secrecy_sentence",
]

logger = logging.getLogger(__name__)

#: Default minimum number of households behind a published figure.
SECRET_THRESHOLD = 11
#: What a masked figure shows, in tables, the report, maps and notebooks.
SECRET = "secret"
#: ``secret`` column of a published row.
PUBLISHED = ""
#: ``secret`` column when the rule was turned off (internal use only).
DISABLED = "désactivé"
#: ``secret`` column of the single-table rule (:func:`apply_secrecy`), which tells
#: primary from secondary; the joint model writes :data:`SECRET` for both.
PRIMARY = "primaire"
SECONDARY = "secondaire"
#: Status of a LEC row whose rate is masked.
INSUFFICIENT = "effectif insuffisant"
#: Mark of an output for internal use (file names and the ``diffusion`` column).
INTERNAL = "usage interne"
#: Suffix of the file names of internal outputs.
INTERNAL_SUFFIX = "_usage_interne"


class SecrecyError(PeuplementError):
    """A set of tables would reveal a masked cell; nothing is written."""


@dataclass(frozen=True)
class Count:
    """One count of a published table, as a sum of households of the model.

    Attributes
    ----------
    table
        Name of the table (a key of the ``tables`` given to :func:`protect`).
    unit
        ``{table column: model column}``: which unit a row stands for.
    flag
        Flag column (from :attr:`Model.flags`) selecting the households counted;
        ``None`` counts every household of the unit.
    column
        The count column; ``None`` for a figure the table implies without printing it
        (the total behind a share) or never publishes (a hidden count, see ``published``).
    rows
        ``{table column: value}`` selecting the rows holding this count.
    blanks
        Columns masked with the count (rates, gaps, statuses computed from it).
    total
        A total (a denominator): zero is published.
    margin
        ``(flag, model columns)`` of the total this count is a part of: a zero part of
        a positive total is suppressed.
    positive
        The table lists a row only when this count is positive: the attacker knows a
        masked one is at least 1.
    published
        ``False`` for a hidden count (a complement ``d − n``): protected, never printed.
    complement_of
        ``(total column, part column)`` of the same rows when this hidden count is their
        difference: the audit then solves its interval only when both are masked (with
        one published, its width is the other's; with both published the part is primary).
    label
        French name of the count in audit messages.
    """

    table: str
    unit: Mapping[str, str]
    flag: str | None = None
    column: str | None = None
    rows: Mapping[str, object] = field(default_factory=dict)
    blanks: tuple[str, ...] = ()
    total: bool = False
    margin: tuple[str | None, tuple[str, ...]] | None = None
    positive: bool = False
    published: bool = True
    label: str = ""
    complement_of: tuple[str, str] | None = None


def _no_flags(atoms: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(index=atoms.index)


@dataclass(frozen=True)
class Model:
    """What someone holding the tables knows about how they were made.

    Attributes
    ----------
    microdata
        One row per household with the ``units`` and ``attributes`` columns.
    units
        Columns whose existing combinations are taken as known (EPCI, commune, landlord…).
    counts
        Every count of the tables published together.
    attributes
        ``{column: domain}``: household attributes, each with all its possible values.
    flags
        Function of a frame of atoms (``units`` and ``attributes`` columns) returning
        boolean flag columns (``n_a``, ``d_b``…) on the same index.
    totals
        ``{table: model columns}``: the table's counts add up to totals published
        elsewhere in the run (an EPCI total…), taken as known by the audit.
    """

    microdata: pd.DataFrame
    units: tuple[str, ...]
    counts: tuple[Count, ...]
    attributes: Mapping[str, tuple[object, ...]] = field(default_factory=dict)
    flags: Callable[[pd.DataFrame], pd.DataFrame] = _no_flags
    totals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Leak:
    """A cell the audit found recoverable: its table, label, interval and why it fails."""

    table: str
    label: str
    low: float
    high: float
    reason: str

    def message(self) -> str:
        """Return the leak in French, for the command line.

        Returns
        -------
        str
            Table, cell and reason.
        """
        return f"table « {self.table} », {self.label} : {self.reason}"


# --------------------------------------------------------------------------- cells

#: Kinds of cells: a printed count, a figure the table implies (the total behind its
#: shares), a zero implied by a missing row, a total published elsewhere, a hidden count.
_PRINTED, _IMPLIED, _ZERO, _KNOWN, _HIDDEN = range(5)


@dataclass
class _Cells:
    """Every count of the model as a sum of atoms, with where it sits in the tables."""

    incidence: sparse.csr_matrix  # cells × atoms
    value: np.ndarray  # true value
    sensitive: np.ndarray  # under the primary rule
    kind: np.ndarray
    positive: np.ndarray
    total: np.ndarray
    shown: np.ndarray  # value read in the published table (NaN: masked)
    spec: np.ndarray  # index of the Count in ``specs``
    key: np.ndarray  # index of the key in ``keys[spec]``
    row: np.ndarray  # position of the table row holding a printed count (-1: none)
    specs: list[Count]
    keys: list[pd.DataFrame]
    implied_rows: dict[int, np.ndarray]  # rows holding an implied figure
    pair: np.ndarray  # (total cell, part cell) of a hidden complement, -1 otherwise
    atom_value: np.ndarray  # true number of households of each atom (a feasible point)

    def label(self, i: int) -> str:
        """French description of cell ``i`` for messages."""
        spec = self.specs[self.spec[i]]
        key = self.keys[self.spec[i]].iloc[self.key[i]]
        where = [f"{c} {v}" for c, v in zip(spec.unit, key, strict=True)]
        where += [f"{c} {v}" for c, v in spec.rows.items()]
        what = spec.column or spec.label or "effectif"
        return f"{what} ({', '.join(where) or 'ensemble'})"


def _atoms(model: Model) -> pd.DataFrame:
    """Known unit combinations × every attribute combination, with the true counts ``_n``."""
    units, attrs = list(model.units), list(model.attributes)
    missing = [c for c in (*units, *attrs) if c not in model.microdata.columns]
    if missing:
        raise missing_columns(
            "modèle de secret",
            missing,
            model.microdata.columns,
            table="la table des ménages (microdata)",
            fix="Chaque unité (units) et chaque attribut (attributes) du modèle doit être une "
            "colonne des ménages.",
        )
    known = model.microdata[units].drop_duplicates().reset_index(drop=True)
    if attrs:
        grid = pd.DataFrame(list(itertools.product(*model.attributes.values())), columns=attrs)
        atoms = known.merge(grid, how="cross")
    else:
        atoms = known
    true = model.microdata.groupby([*units, *attrs], dropna=False).size().rename("_n")
    atoms = atoms.merge(true.reset_index(), on=[*units, *attrs], how="left")
    atoms["_n"] = atoms["_n"].fillna(0).astype("int64")
    if int(atoms["_n"].sum()) != len(model.microdata):
        raise SecrecyError(
            "modèle de secret : des ménages ont une valeur hors du domaine déclaré de leurs "
            f"attributs {attrs} ; c'est un défaut de peuplement, signalez-le."
        )
    return pd.concat([atoms, model.flags(atoms)], axis=1)


def _groups(
    atoms: pd.DataFrame, flag: str | None, cols: list[str]
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Keys of the groups of flagged atoms, and (group id, atom position) of each member."""
    sel = atoms[flag].to_numpy(bool) if flag else np.ones(len(atoms), bool)
    pos = np.flatnonzero(sel)
    if not cols:
        return pd.DataFrame(index=[0]), np.zeros(len(pos), "int64"), pos
    # Group the atoms once per set of columns (cached on the frame), then keep the
    # groups the flag selects: the same keys and ids as grouping the flagged atoms.
    cache = atoms.attrs.setdefault("_groups", {})
    if tuple(cols) not in cache:
        g = atoms.groupby(cols, dropna=False, sort=True)
        cache[tuple(cols)] = (g.size().reset_index()[cols], g.ngroup().to_numpy())
    keys, gid = cache[tuple(cols)]
    present, local = np.unique(gid[pos], return_inverse=True)
    return keys.iloc[present].reset_index(drop=True), local.ravel().astype("int64"), pos


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype("string").fillna("<NA>")


def _table_rows(spec: Count, table: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """(key index, table row position) of the rows holding each key."""
    cols = list(spec.unit)
    need = [*cols, *spec.rows, *spec.blanks, *([spec.column] if spec.column else [])]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise missing_columns(
            "secret",
            missing,
            table.columns,
            table=f"la table « {spec.table} »",
            fix="Protégez la table telle que calculée, avant d'en renommer ou d'en retirer "
            "des colonnes.",
        )
    where = np.ones(len(table), bool)
    for col, value in spec.rows.items():
        where &= (table[col] == value).to_numpy()
    rows = _text(table.loc[where, cols])
    rows["_pos"] = np.flatnonzero(where)
    k = _text(keys.set_axis(cols, axis=1)) if cols else pd.DataFrame(index=[0])
    k["_key"] = np.arange(len(k))
    if not cols:
        return pd.DataFrame({"_key": 0, "_pos": rows["_pos"].to_numpy()})
    return k.merge(rows, on=cols, how="inner")[["_key", "_pos"]]


def _spec_cells(
    spec: Count,
    atoms: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    threshold: int,
    known: bool,
) -> dict[str, object]:
    """Return the cells of one :class:`Count`: keys, values, kinds and table rows, vectorised."""
    n = atoms["_n"].to_numpy()
    keys, gid, members = _groups(atoms, spec.flag, list(spec.unit.values()))
    k = len(keys)
    vals = np.bincount(gid, weights=n[members], minlength=k).astype("int64")
    margin = np.full(k, -1.0)
    if spec.margin is not None:
        mflag, mcols = spec.margin
        mkeys, mgid, mmem = _groups(atoms, mflag, list(mcols))
        mk = mkeys.assign(_m=np.bincount(mgid, weights=n[mmem], minlength=len(mkeys)))
        margin = keys.merge(mk, on=list(mcols), how="left")["_m"].fillna(0).to_numpy()
    part = margin > 0
    sensitive = (
        ((vals > 0) & (vals < threshold))
        # a part of a positive total: zero ("0 of 11"), or the whole total but a few
        # ("11 of 11", "9 of 12": the others are a count under the threshold)
        | (part & (vals == 0) & (not spec.total))
        | (part & (margin - vals < threshold) & (not spec.total) & spec.published)
    )
    row = np.full(k, -1, "int64")
    shown = np.full(k, np.nan)
    implied: dict[int, np.ndarray] = {}
    table = tables[spec.table]
    if known:
        # A total under the threshold is masked wherever it is published: not known.
        kind = np.where((vals == 0) | (vals >= threshold), _KNOWN, _HIDDEN)
        shown = vals.astype("float64")
        sensitive[:] = False
    elif not spec.published:
        kind = np.full(k, _HIDDEN)
    else:
        hit = _table_rows(spec, table, keys)
        if spec.column is None:
            kind = np.full(k, _ZERO)
            for key_, group in hit.groupby("_key")["_pos"]:
                key = int(key_)  # type: ignore[arg-type]
                rows = group.to_numpy("int64")
                implied[key] = rows
                kind[key] = _IMPLIED
                printed = table[list(spec.blanks)].iloc[rows].notna().any().any()
                shown[key] = float(vals[key]) if printed else np.nan
            shown[kind == _ZERO] = 0.0
        else:
            if hit["_key"].duplicated().any():
                raise SecrecyError(
                    f"secret : la table « {spec.table} » a plusieurs lignes pour une même cellule "
                    f"({spec.column}) ; c'est un défaut de peuplement, signalez-le."
                )
            row[hit["_key"].to_numpy()] = hit["_pos"].to_numpy()
            kind = np.where(row >= 0, _PRINTED, _ZERO)
            column = pd.to_numeric(table[spec.column], errors="coerce").to_numpy("float64")
            shown = np.where(row >= 0, column[np.maximum(row, 0)], 0.0)
        _check_values(spec, keys, vals, shown, kind)
    return {
        "keys": keys, "gid": gid, "members": members, "value": vals, "sensitive": sensitive,
        "kind": kind, "row": row, "shown": shown, "implied": implied,
    }  # fmt: skip


def _check_values(
    spec: Count, keys: pd.DataFrame, vals: np.ndarray, shown: np.ndarray, kind: np.ndarray
) -> None:
    """Raise when the table and the model disagree: the secrecy model must describe the table."""
    bad = np.flatnonzero((kind == _ZERO) & (vals > 0))
    if len(bad):
        raise SecrecyError(
            f"secret : la table « {spec.table} » n'a pas de ligne pour {dict(keys.iloc[bad[0]])} "
            f"alors que le modèle y compte des ménages ({spec.column or spec.label}) ; "
            "c'est un défaut de peuplement, signalez-le."
        )
    bad = np.flatnonzero((kind == _PRINTED) & ~np.isnan(shown) & (shown != vals))
    if len(bad):
        raise SecrecyError(
            f"secret : la table « {spec.table} », colonne {spec.column}, ne donne pas pour "
            f"{dict(keys.iloc[bad[0]])} la valeur du modèle : les définitions divergent ; "
            "c'est un défaut de peuplement, signalez-le."
        )


def _cells(model: Model, tables: Mapping[str, pd.DataFrame], threshold: int) -> _Cells:
    atoms = _atoms(model)
    specs: list[Count] = []
    known: list[bool] = []
    for spec in model.counts:
        if spec.table in tables:
            specs.append(spec)
            known.append(False)
    for name, over in model.totals.items():
        if name in tables:
            specs.append(Count(name, {c: c for c in over}, published=False, label="total"))
            known.append(True)
    built = [
        _spec_cells(s, atoms, tables, threshold, kn) for s, kn in zip(specs, known, strict=True)
    ]
    sizes = [len(b["value"]) for b in built]  # type: ignore[arg-type]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype("int64")
    r = np.concatenate([b["gid"] + off for b, off in zip(built, offsets, strict=False)])
    c = np.concatenate([b["members"] for b in built])
    n_cells = int(offsets[-1])
    implied = {
        int(off) + key: rows
        for b, off in zip(built, offsets, strict=False)
        for key, rows in b["implied"].items()  # type: ignore[attr-defined]
    }

    def cat(name: str) -> np.ndarray:
        return np.concatenate([np.asarray(b[name]) for b in built]) if built else np.empty(0)

    from scipy import sparse

    return _Cells(
        incidence=sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(n_cells, len(atoms))),
        value=cat("value").astype("int64"),
        sensitive=cat("sensitive").astype(bool),
        kind=cat("kind").astype("int8"),
        positive=np.repeat([s.positive for s in specs], sizes).astype(bool)
        & (cat("kind") == _PRINTED),
        total=np.repeat([s.total for s in specs], sizes).astype(bool),
        shown=cat("shown").astype("float64"),
        spec=np.repeat(np.arange(len(specs)), sizes),
        key=np.concatenate([np.arange(s) for s in sizes]).astype("int64")
        if sizes
        else np.empty(0, "int64"),
        row=cat("row").astype("int64"),
        specs=specs,
        keys=[b["keys"] for b in built],  # type: ignore[misc]
        implied_rows=implied,
        pair=_pairs(specs, built, offsets),
        atom_value=atoms["_n"].to_numpy("float64"),
    )


def _pairs(specs: list[Count], built: list[dict[str, object]], offsets: np.ndarray) -> np.ndarray:
    """For each hidden complement, the cells of its total and part (-1 where none)."""
    n_cells = int(offsets[-1])
    pair = np.full((n_cells, 2), -1, "int64")
    for h, spec in enumerate(specs):
        if spec.complement_of is None:
            continue
        keys = _text(built[h]["keys"])  # type: ignore[arg-type]
        keys["_h"] = np.arange(len(keys)) + offsets[h]
        for side, column in enumerate(spec.complement_of):
            for j, other in enumerate(specs):
                same = (other.table, dict(other.unit), dict(other.rows), other.column)
                if same != (spec.table, dict(spec.unit), dict(spec.rows), column):
                    continue
                ok = _text(built[j]["keys"])  # type: ignore[arg-type]
                ok["_o"] = np.arange(len(ok)) + offsets[j]
                hit = keys.merge(ok, on=list(spec.unit.values()), how="inner")
                pair[hit["_h"].to_numpy(), side] = hit["_o"].to_numpy()
    return pair


# --------------------------------------------------------------------------- relations

#: Cap on the witness programmes of one round (each proves many cells at once).
_WITNESS_ROUNDS = 40


def _relations(cells: _Cells, alive: np.ndarray) -> sparse.csr_matrix:
    """Return the additive relations between cells (relations × cells: −1 the whole, 1 its parts).

    A relation is a cell and a family of disjoint cells that exactly cover its atoms
    (atoms known to be empty left aside): an EPCI and its communes, a landlord and its
    landlord × réservataire cells, ``d`` and ``n`` plus the hidden ``d − n``,
    ``d_prioritaires`` and ``d_A`` plus ``d_B``, the quartile cells in QPV and ``d_B``…
    They are found, not listed: the family is the cells of one count (its cells are
    disjoint) or of two disjoint counts contained in the cell. With every member but one
    known, the last is known too; :func:`_structural` uses them for exact propagation.
    """
    from scipy import sparse

    inc = cells.incidence[:, np.flatnonzero(alive)].tocsr()
    size = np.asarray(inc.sum(axis=1)).ravel()
    n_cells, n_specs = len(size), len(cells.specs)
    overlap = (inc @ inc.T).tocoo()
    inside = (overlap.data == size[overlap.col]) & (overlap.row != overlap.col)
    inside &= size[overlap.col] > 0
    parent, child = overlap.row[inside], overlap.col[inside]
    child_spec = cells.spec[child]
    mass = np.zeros((n_cells, n_specs))
    np.add.at(mass, (parent, child_spec), size[child])
    covers = mass > 0
    single = np.argwhere((mass == size[:, None]) & (size[:, None] > 0))
    # Two counts whose cells never share an atom (flags that exclude each other).
    one_hot = sparse.csr_matrix(
        (np.ones(n_cells), (np.arange(n_cells), cells.spec)), shape=(n_cells, n_specs)
    )
    spec_overlap = (one_hot.T @ (inc @ inc.T) @ one_hot).toarray()
    # Two counts of the same units (one level of one table): d = n + (d − n),
    # d_prioritaires = d_A + d_B… Mixed levels follow from these and the hierarchies.
    level = [(c.table, tuple(c.unit.items()), c.rows.get("niveau")) for c in cells.specs]
    pairs = []
    for a, b in zip(*np.nonzero(np.triu(spec_overlap == 0, k=1)), strict=True):
        if level[a] != level[b]:
            continue
        hit = np.flatnonzero(
            covers[:, a] & covers[:, b] & (mass[:, a] + mass[:, b] == size) & (size > 0)
        )
        same = np.array([level[k] == level[a] for k in cells.spec[hit]], bool)
        pairs += [(p, a, b) for p in hit[same]]
    key = parent * n_specs + child_spec
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    # One row per family: its whole (-1), then the cells of its one or two counts (+1),
    # found as runs of the (parent, count) keys sorted above.
    pairs_arr = np.array(pairs, dtype=np.int64).reshape(-1, 3)
    n_single = len(single)
    whole = np.concatenate([single[:, 0], pairs_arr[:, 0]]).astype(np.int64)
    if not len(whole):
        return sparse.csr_matrix((0, n_cells))
    n_fam = len(whole)
    fam = np.concatenate([np.arange(n_single), n_single + np.arange(len(pairs_arr)).repeat(2)])
    spec = np.concatenate([single[:, 1], pairs_arr[:, 1:].ravel()]).astype(np.int64)
    first = whole[fam] * n_specs + spec
    lo = np.searchsorted(key_sorted, first)
    count = np.searchsorted(key_sorted, first + 1) - lo
    start = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
    rows = np.concatenate([np.arange(n_fam), np.repeat(fam, count)])
    cols = np.concatenate([whole, child[order[start]]])
    signs = np.concatenate([-np.ones(n_fam), np.ones(int(count.sum()))])
    return sparse.csr_matrix((signs, (rows, cols)), shape=(n_fam, n_cells))


def _derive(relations: sparse.csr_matrix, unknown: np.ndarray) -> np.ndarray:
    """Exact propagation: the relation that gives each unknown cell's value, or -1.

    A relation with a single unknown member gives it; repeated until nothing moves.
    """
    by = np.full(len(unknown), -1, "int64")
    left = unknown.astype("float64")
    relations = abs(relations)
    while True:
        count = relations @ left
        rel = np.flatnonzero(count == 1)
        if not len(rel):
            return by
        sub = relations[rel].multiply(left[None, :]).tocsr()
        sub.eliminate_zeros()
        derived = sub.indices  # one unknown per relation, in relation order
        first = np.unique(derived, return_index=True)[1]
        by[derived[first]] = rel[first]
        left[derived] = 0.0


def _tighten(
    relations: sparse.csr_matrix, low: np.ndarray, high: np.ndarray, passes: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Interval propagation over the relations: bounds that every feasible point obeys.

    In ``Σ a_k x_k = 0`` each member's term lies within minus the range of the others'
    sum (feasibility-based bound tightening). The bounds are outer ones: a cell found
    narrower than the margin here is narrower still for the linear programme, so it
    certainly needs a partner; a wide one still goes to the programmes.
    """
    coo = relations.tocoo()
    r, j, a = coo.row, coo.col, coo.data
    n_rel, up = relations.shape[0], a > 0
    low, high = low.copy(), high.copy()
    for _ in range(passes):
        tmin = np.where(up, low[j], -high[j])
        tmax = np.where(up, high[j], -low[j])
        out_min, out_max = np.isinf(tmin), np.isinf(tmax)
        fmin, fmax = np.where(out_min, 0.0, tmin), np.where(out_max, 0.0, tmax)
        smin, smax = np.bincount(r, fmin, n_rel), np.bincount(r, fmax, n_rel)
        cmin = np.bincount(r, out_min, n_rel)[r] - out_min
        cmax = np.bincount(r, out_max, n_rel)[r] - out_max
        rest_min = np.where(cmin > 0, -np.inf, smin[r] - fmin)
        rest_max = np.where(cmax > 0, np.inf, smax[r] - fmax)
        # a_j x_j lies in [−rest_max, −rest_min].
        new_low = np.where(up, -rest_max, rest_min)
        new_high = np.where(up, -rest_min, rest_max)
        cand_low = np.full(len(low), -np.inf)
        cand_high = np.full(len(high), np.inf)
        np.maximum.at(cand_low, j, new_low)
        np.minimum.at(cand_high, j, new_high)
        next_low, next_high = np.maximum(low, cand_low), np.minimum(high, cand_high)
        moved = (next_low > low + 1e-9).any() or (next_high < high - 1e-9).any()
        low, high = next_low, next_high
        if not moved:
            break
    return low, high


def _structural(cells: _Cells, masked: np.ndarray, threshold: int) -> np.ndarray:
    """Mask until no masked or hidden sensitive cell is pinned down by the relations.

    The fast first pass of secondary suppression (a generalised "no lone cell in a
    relation" rule, as in τ-ARGUS's hypercube method). A cell recovered exactly takes
    with it the smallest published positive member of the relation that gives it; a
    cell that interval propagation (:func:`_tighten`) confines to fewer than
    ``threshold`` values takes the smallest published positive member of the relations
    it belongs to. What it leaves is for the linear programmes, which decide.
    """
    masked = masked.copy()
    suppressible = (cells.kind == _PRINTED) | (cells.kind == _IMPLIED)
    need_hidden = (cells.kind == _HIDDEN) & cells.sensitive
    zero = ~masked & (cells.value == 0) & (cells.kind != _HIDDEN)
    alive = np.asarray(cells.incidence[np.flatnonzero(zero)].sum(axis=0)).ravel() == 0
    relations = _relations(cells, alive)
    by_cell = relations.tocsc()
    for _ in range(10_000):
        unknown = masked | (cells.kind == _HIDDEN)
        need = (masked & suppressible) | need_hidden
        free = suppressible & ~masked & (cells.value > 0)
        by = _derive(relations, unknown)
        added: set[int] = set()
        for i in np.flatnonzero((by >= 0) & need):
            span = slice(relations.indptr[by[i]], relations.indptr[by[i] + 1])
            got = _smallest(cells, relations.indices[span], relations.data[span], free)
            if logger.isEnabledFor(logging.DEBUG):
                for j in got:
                    logger.debug("exact %s -> %s", cells.label(int(i)), cells.label(j))
            added |= got
        if not added:
            low = np.where(unknown, np.where(masked & cells.positive, 1.0, 0.0), cells.value)
            high = np.where(unknown, np.inf, cells.value.astype("float64"))
            low, high = _tighten(relations, low, high)
            touched: set[int] = set()
            # Published cells only, and only siblings as partners: a hidden difference
            # is narrow because its parts are, and a margin is the programmes' call.
            narrow = np.flatnonzero(masked & suppressible & (high - low < threshold))
            for i in narrow[np.argsort(cells.value[narrow], kind="stable")]:
                rels = by_cell.indices[by_cell.indptr[i] : by_cell.indptr[i + 1]]
                if touched.intersection(rels.tolist()):
                    continue
                picked = _sibling(cells, relations, rels, int(i), free)
                if picked:
                    if logger.isEnabledFor(logging.DEBUG):
                        for j in picked:
                            logger.debug(
                                "narrow %s [%s, %s] -> %s",
                                cells.label(int(i)),
                                low[i],
                                high[i],
                                cells.label(j),
                            )
                    added |= picked
                    touched.update(rels.tolist())
        if not added:
            break
        masked[np.fromiter(added, "int64")] = True
    return masked


def _smallest(cells: _Cells, members: np.ndarray, signs: np.ndarray, free: np.ndarray) -> set[int]:
    """Return the partner to mask among relation members: the smallest free part.

    Parts (a commune, ``d_B`` beside ``d_A``) go before wholes (the EPCI, a landlord's
    total), as in a table one masks a cell of the same row rather than its margin: the
    EPCI's own figures, the ones a CIL reads first, go last.
    """
    ok = free[members]
    members, whole = members[ok], signs[ok] < 0
    if not len(members):
        return set()
    order = np.lexsort((members, cells.total[members], cells.value[members], whole))
    return {int(members[order[0]])}


def _sibling(
    cells: _Cells, relations: sparse.csr_matrix, rels: np.ndarray, i: int, free: np.ndarray
) -> set[int]:
    """Return the partner of cell ``i`` confined by its relations ``rels``: its smallest free sibling.

    A sibling is another part of a whole ``i`` is a part of (another commune of the
    EPCI, ``d_B`` beside ``d_A``); with none free, the choice is left to the programmes.
    """
    sub = relations[rels].tocsr()
    coo = sub.tocoo()
    as_part = np.zeros(sub.shape[0], bool)
    as_part[coo.row[(coo.col == i) & (coo.data > 0)]] = True
    part_rows = as_part[coo.row]
    pick = part_rows & (coo.data > 0) & (coo.col != i)
    return _smallest(cells, coo.col[pick], coo.data[pick], free)


# --------------------------------------------------------------------------- intervals


@dataclass
class _Interval:
    low: float
    high: float
    binding: np.ndarray  # cells whose constraint binds the interval


class _Solver:
    """Intervals of cells over the atoms, one connected block of the tables at a time.

    Atoms that appear in exactly the same published constraints are interchangeable:
    they are merged into one class (their sum), which divides the size of every
    programme. The maximum of a cell sums the classes it meets (their whole mass can sit
    on its atoms), the minimum the classes it contains (else the mass can sit elsewhere).
    Every programme solved leaves a feasible point (atom masses): a witness of values
    the cells can take, which proves many cells at once (:meth:`ranges`).
    """

    def __init__(self, cells: _Cells, masked: np.ndarray) -> None:
        from scipy import sparse
        from scipy.sparse.csgraph import connected_components

        self.cells = cells
        inc = cells.incidence
        kept = ~masked & (cells.kind != _HIDDEN)
        # Atoms in a published zero are zero: removing them shrinks every programme.
        zero_rows = np.flatnonzero(kept & (cells.shown == 0))
        alive = np.ones(inc.shape[1], bool)
        if len(zero_rows):
            alive = np.asarray(inc[zero_rows].sum(axis=0)).ravel() == 0
        self.alive = alive
        self.kept = np.flatnonzero(kept & (cells.shown != 0))
        self.lower = np.flatnonzero(masked & cells.positive)
        rows = np.concatenate([self.kept, self.lower])
        self.live = live = np.flatnonzero(alive)
        r = inc[rows].tocsc()[:, live]
        cls, first = _column_classes(r)
        self.atom_class = np.full(inc.shape[1], -1, "int64")
        self.atom_class[live] = cls
        n_classes = len(first)
        self.class_size = np.bincount(cls, minlength=n_classes)
        reduced = r[:, first].tocsr()
        self.eq_matrix = reduced[: len(self.kept)]
        self.ub_matrix = reduced[len(self.kept) :]
        # Classes in no published equality are unbounded above.
        self.free = np.diff(self.eq_matrix.tocsc().indptr) == 0
        # Blocks: connected components of the bipartite graph constraints–classes.
        m = reduced.shape[0]
        graph = sparse.bmat([[None, reduced], [reduced.T, None]], format="csr")
        if graph.shape[0]:
            _, labels = connected_components(graph, directed=False)
            self.comp = labels[m:]
        else:
            self.comp = np.zeros(0, "int64")
        self.blocks: dict[int, tuple[Any, ...]] = {}
        # Cells × classes: how many of a cell's atoms each class holds.
        member = sparse.csr_matrix(
            (np.ones(len(live)), (np.arange(len(live)), cls)), shape=(len(live), n_classes)
        )
        self.cell_class = (inc[:, live] @ member).tocsr()

    def _block(self, comp: int) -> tuple[Any, ...]:
        """Return the equalities and lower bounds of one connected block, restricted to its classes."""
        if comp not in self.blocks:
            self.blocks[comp] = self._system(np.flatnonzero(self.comp == comp))
        return self.blocks[comp]

    def _system(self, cols: np.ndarray) -> tuple[Any, ...]:
        """Return the equalities and lower bounds over the classes ``cols`` (whole blocks)."""
        a_eq = self.eq_matrix[:, cols]
        live = np.flatnonzero(np.diff(a_eq.indptr) > 0)
        a_ub = self.ub_matrix[:, cols]
        ub = np.flatnonzero(np.diff(a_ub.indptr) > 0)
        eq = self.kept[live]
        return (
            cols,
            eq,
            a_eq[live],
            self.cells.shown[eq],
            -a_ub[ub] if len(ub) else None,
            -np.ones(len(ub)) if len(ub) else None,
        )

    def point_of(self, cols: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Return the atom masses of a feasible point: ``x`` on ``cols``, true values elsewhere.

        Each class is spread evenly over its atoms: every published row holds whole classes.
        """
        mass = np.bincount(
            self.atom_class[self.live],
            weights=self.cells.atom_value[self.live],
            minlength=len(self.class_size),
        )
        mass[cols] = x
        out = np.zeros(len(self.alive))
        out[self.live] = (mass / np.maximum(self.class_size, 1))[self.atom_class[self.live]]
        return out

    def ranges(self, targets: np.ndarray, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lowest and highest values of ``targets`` reachable from a feasible atom point.

        Mass moves freely within a class: a cell can take all of each class it meets,
        and must keep only the classes it contains.
        """
        mass = np.bincount(
            self.atom_class[self.live], weights=point[self.live], minlength=len(self.class_size)
        )
        sub = self.cell_class[targets]
        meets = sub.copy()
        meets.data[:] = 1.0
        contains = sub.multiply(1.0 / np.maximum(self.class_size, 1)[None, :]).tocsr()
        contains.data = (contains.data >= 1 - 1e-9).astype("float64")
        high = meets @ mass
        high[np.asarray((meets @ self.free.astype("float64")) > 0).ravel()] = np.inf
        return contains @ mass, high

    def witness(
        self, weights: np.ndarray, *, maximise: bool
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Return a feasible point optimising ``weights`` · class masses, and the binding cells.

        The blocks with a weight are solved together, as one programme: blocks share no
        class, so optimising the sum optimises each block's part (one programme for the
        EPCIs of a national run rather than one each). ``None`` if it is unbounded.
        """
        weights = np.where(self.free, 0.0, weights)
        comps = np.unique(self.comp[weights != 0])
        if not len(comps):
            return self.cells.atom_value.copy(), np.empty(0, "int64")
        if len(comps) == 1:
            cols, eq, a_eq, b_eq, a_ub, b_ub = self._block(int(comps[0]))
        else:
            cols, eq, a_eq, b_eq, a_ub, b_ub = self._system(
                np.flatnonzero(np.isin(self.comp, comps))
            )
        binding: list[np.ndarray] = []
        c = weights[cols] * (-1.0 if maximise else 1.0)
        solved = self._solve(c, a_eq, b_eq, a_ub, b_ub, eq, binding)
        if solved is None:
            return None
        return self.point_of(cols, solved[1]), _cat(binding)

    @staticmethod
    def _solve(
        c: np.ndarray,
        a_eq: sparse.csr_matrix,
        b_eq: np.ndarray,
        a_ub: sparse.csr_matrix | None,
        b_ub: np.ndarray | None,
        eq: np.ndarray,
        binding: list[np.ndarray],
    ) -> tuple[float, np.ndarray] | None:
        from scipy.optimize import linprog

        res = linprog(
            c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq if len(eq) else None,
            b_eq=b_eq if len(eq) else None, bounds=(0, None), method="highs-ds", options={"presolve": False},
        )  # fmt: skip
        if res.status == 3:  # unbounded
            return None
        if res.status != 0:
            raise SecrecyError(
                f"secret : le programme linéaire de l'audit n'a pas abouti ({res.message}) ; "
                "les tables publiées sont incohérentes entre elles."
            )
        if len(eq):
            duals = np.asarray(res.eqlin.marginals)
            binding.append(eq[np.abs(duals) > 1e-9])
        return float(res.fun), np.maximum(np.asarray(res.x, "float64"), 0.0)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, "int64")


def _column_classes(r: sparse.csc_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Group identical columns of a 0/1 sparse matrix: (class of each column, first column of each class).

    Columns are hashed by two random projections, then the grouping is checked exactly
    (each column against its class's first column), so a collision cannot merge atoms
    that published figures tell apart.
    """
    n_rows, n_cols = r.shape
    if n_cols == 0:
        return np.zeros(0, "int64"), np.zeros(0, "int64")
    rng = np.random.default_rng(0)
    proj = np.asarray(r.T @ rng.random((n_rows, 2)))
    nnz = np.diff(r.indptr)
    key = np.column_stack([nnz, proj])
    _, first, cls = np.unique(key, axis=0, return_index=True, return_inverse=True)
    cls = cls.ravel()
    same = r - r[:, first[cls]]
    same.eliminate_zeros()
    if same.nnz:  # a collision (never seen): fall back to the exact patterns
        signature: dict[bytes, int] = {}
        cls = np.array(
            [
                signature.setdefault(
                    r.indices[r.indptr[j] : r.indptr[j + 1]].tobytes(), len(signature)
                )
                for j in range(n_cols)
            ],
            "int64",
        )
        first = np.zeros(len(signature), "int64")
        first[cls[::-1]] = np.arange(n_cols)[::-1]
    return cls.astype("int64"), first.astype("int64")


# --------------------------------------------------------------------------- protect, audit


def _targets(cells: _Cells, masked: np.ndarray) -> np.ndarray:
    """Cells whose interval must reach the margin: masked ones and sensitive hidden ones.

    A hidden complement ``total − part`` is solved only when both are masked: with one
    published its interval is the other's shifted, so it has the same width.
    """
    # An implied figure (the total behind shares) is masked when all its shares are,
    # often as a side effect: it must be protected only when it is itself under the rule.
    suppressible = (cells.kind == _PRINTED) | ((cells.kind == _IMPLIED) & cells.sensitive)
    hidden = (cells.kind == _HIDDEN) & cells.sensitive
    linked = (cells.pair >= 0).all(axis=1)
    both = np.ones(len(masked), bool)
    both[linked] = masked[cells.pair[linked, 0]] & masked[cells.pair[linked, 1]]
    return np.flatnonzero((masked & suppressible) | (hidden & both))


def _prove(
    solver: _Solver, targets: np.ndarray, threshold: int, witnesses: Sequence[np.ndarray] = ()
) -> tuple[np.ndarray, dict[int, _Interval], list[np.ndarray]]:
    """Split ``targets`` into proven (interval ≥ ``threshold``) and failing cells.

    Witness points first: the given ones (checked feasible by the caller), then points
    maximising and minimising the sum of the cells not yet proven, a dozen programmes
    that settle most cells together. Each cell left then gets its own maximum (and
    minimum if needed); cells of different blocks are solved in one programme, since
    blocks share nothing (a national run: one cell per EPCI in each programme).

    Returns
    -------
    tuple
        Proven cells, ``{failing cell: interval}``, and the witness points that give some
        cell its lowest or highest value (the certificate of the proven cells).
    """
    value = solver.cells.value[targets].astype("float64")
    low, high = value.copy(), value.copy()
    points: list[np.ndarray] = [solver.cells.atom_value]
    src_low = np.zeros(len(targets), "int64")
    src_high = np.zeros(len(targets), "int64")

    def seen(point: np.ndarray) -> None:
        points.append(point)
        lo, hi = solver.ranges(targets, point)
        src_low[lo < low] = len(points) - 1
        src_high[hi > high] = len(points) - 1
        np.minimum(low, lo, out=low)
        np.maximum(high, hi, out=high)

    def short() -> np.ndarray:
        # Counts are whole: the interval's integer ends are what an attacker can tell.
        return np.asarray(np.floor(high + 1e-6) - np.ceil(low - 1e-6) < threshold)

    for point in witnesses:
        seen(point)
    for _ in range(_WITNESS_ROUNDS):
        todo = np.flatnonzero(short())
        before = len(todo)
        if not before:
            break
        sub = solver.cell_class[targets[todo]]
        up = np.asarray((sub > 0).sum(axis=0), "float64").ravel()
        for maximise in (True, False):
            found = solver.witness(up, maximise=maximise)
            if found is not None:
                seen(found[0])
        if before - int(short().sum()) < max(2, before // 20):
            break
    failing = {
        int(targets[k]): _Interval(
            float(np.ceil(low[k] - 1e-6)) + 0.0, float(np.floor(high[k] + 1e-6)), bind
        )
        for k, bind in _one_by_one(solver, targets, np.flatnonzero(short()), seen, short).items()
    }
    ok = ~short()
    used = sorted((set(src_low[ok]) | set(src_high[ok])) - {0})
    return targets[ok], failing, [points[k] for k in used]


def _one_by_one(
    solver: _Solver,
    targets: np.ndarray,
    pending: np.ndarray,
    seen: Callable[[np.ndarray], None],
    short: Callable[[], np.ndarray],
) -> dict[int, np.ndarray]:
    """Each cell's own maximum, then minimum if still short; several blocks per programme.

    Returns the cells still short (positions in ``targets``) with the published cells
    binding their programmes, in their own blocks (the partners' pool).
    """
    failing: dict[int, np.ndarray] = {}
    sub = solver.cell_class[targets].tocsr()
    queue = [int(k) for k in pending]
    while queue:
        batch: list[int] = []
        used: set[int] = set()
        rest: list[int] = []
        for k in queue:
            comps = set(solver.comp[sub.indices[sub.indptr[k] : sub.indptr[k + 1]]].tolist())
            if comps & used:
                rest.append(k)
            else:
                batch.append(k)
                used |= comps
        binding: dict[int, list[np.ndarray]] = {k: [] for k in batch}
        for maximise in (True, False):
            todo = [k for k in batch if short()[k]]
            if not todo:
                break
            weights = np.zeros(len(solver.class_size))
            for k in todo:
                met = sub.indices[sub.indptr[k] : sub.indptr[k + 1]]
                counts = sub.data[sub.indptr[k] : sub.indptr[k + 1]]
                # The maximum takes every class the cell meets, the minimum those it holds.
                keep = np.ones(len(met), bool) if maximise else counts >= solver.class_size[met]
                weights[met[keep]] = 1.0
            found = solver.witness(weights, maximise=maximise)
            if found is None:  # cannot happen (free classes carry no weight): be safe
                raise SecrecyError(
                    "secret : un programme linéaire de l'audit est non borné ; "
                    "c'est un défaut de peuplement, signalez-le."
                )
            seen(found[0])
            bind = found[1]
            rows = solver.cell_class[bind]
            bind_comp = solver.comp[rows.indices[rows.indptr[:-1]]] if len(bind) else bind
            for k in todo:
                mine = solver.comp[sub.indices[sub.indptr[k] : sub.indptr[k + 1]]]
                binding[k].append(bind[np.isin(bind_comp, mine)])
        for k in batch:
            if short()[k]:
                failing[k] = _cat(binding[k])
        queue = rest
    return failing


def _partner(cells: _Cells, masked: np.ndarray, i: int, iv: _Interval) -> int | None:
    """Return the published cell to mask with failing cell ``i``: the smallest binding one."""
    suppressible = ((cells.kind == _PRINTED) | (cells.kind == _IMPLIED)) & ~masked
    pool = np.unique(iv.binding)
    pool = pool[suppressible[pool]]
    if not len(pool):
        # Degenerate duals: any published cell of the same block will do.
        solver_atoms = cells.incidence[i].indices
        if not len(solver_atoms):
            return None
        linked = np.asarray(cells.incidence[:, solver_atoms].sum(axis=1)).ravel() > 0
        pool = np.flatnonzero(suppressible & linked)
        if not len(pool):
            return None
    order = np.lexsort((pool, cells.total[pool], cells.value[pool]))
    return int(pool[order[0]])


def _suppress(
    cells: _Cells, threshold: int, *, secondary: bool
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Primary then (optionally) secondary suppression: (masked, primary, witness points)."""
    suppressible = (cells.kind == _PRINTED) | (cells.kind == _IMPLIED)
    primary = cells.sensitive & suppressible
    masked = primary.copy()
    if not secondary:
        return masked, primary, []
    masked = _structural(cells, masked, threshold)
    proven = np.zeros(len(masked), bool)
    witnesses: list[np.ndarray] = []
    for round_ in range(1, 10_000):
        solver = _Solver(cells, masked)
        todo = _targets(cells, masked)
        ok, fail, points = _prove(solver, todo[~proven[todo]], threshold, witnesses)
        # Masking more only removes constraints: a proven cell stays proven, and every
        # witness point stays feasible.
        proven[ok] = True
        witnesses += points
        if not fail:
            break
        added = {j for i, iv in fail.items() if (j := _partner(cells, masked, i, iv)) is not None}
        if not added:
            raise SecrecyError(
                f"secret : {len(fail)} cellule(s) ne peuvent être protégées par suppression "
                f"secondaire, dont {cells.label(next(iter(fail)))} ; publiez des tables moins "
                "détaillées (moins de niveaux) ou avec un seuil plus bas."
            )
        masked[np.fromiter(added, "int64")] = True
        masked = _structural(cells, masked, threshold)
        logger.debug("secrecy round %d: %d failing, %d masked", round_, len(fail), len(added))
    return masked, primary, witnesses


def _apply(
    tables: Mapping[str, pd.DataFrame], cells: _Cells, masked: np.ndarray
) -> dict[str, pd.DataFrame]:
    out = {name: t.copy() for name, t in tables.items()}
    # Rows to blank per (table, column), gathered first and blanked in one assignment.
    blank: dict[tuple[str, str], list[int]] = {}
    for i in np.flatnonzero(masked):
        spec = cells.specs[cells.spec[i]]
        found = cells.implied_rows.get(int(i), np.array([cells.row[i]]))
        rows = found[found >= 0].tolist()
        for col in (*([spec.column] if spec.column else []), *spec.blanks, "secret"):
            blank.setdefault((spec.table, col), []).extend(rows)
    for name, t in out.items():
        secret = np.full(len(t), PUBLISHED, dtype=object)
        secret[blank.pop((name, "secret"), [])] = SECRET
        for (table, col), rows in blank.items():
            if table != name:
                continue
            values = t[col].to_numpy(copy=True)
            if pd.api.types.is_numeric_dtype(t[col]):
                values = values.astype("float64")
                values[rows] = np.nan
            else:
                values = values.astype(object)
                values[rows] = INSUFFICIENT
            t[col] = values
        t["secret"] = secret
    return out


def _position(table: pd.DataFrame, column: str) -> int:
    return int(table.columns.get_loc(column))  # type: ignore[arg-type]


def protect(
    tables: Mapping[str, pd.DataFrame],
    model: Model,
    *,
    threshold: int = SECRET_THRESHOLD,
    enabled: bool = True,
    secondary: bool = True,
) -> dict[str, pd.DataFrame]:
    """Mask every table published together so that :func:`audit` finds nothing.

    Parameters
    ----------
    tables
        ``{name: table}`` as computed, unmasked.
    model
        How the tables are made from the households (:class:`Model`).
    threshold
        Minimum number of households behind a published figure (11).
    enabled
        ``False`` publishes everything, for internal use only: every table then says so
        in its ``secret`` column (``"désactivé"``).
    secondary
        ``False`` stops after primary suppression (to show what the audit then finds).
        With it (the default) the result goes through :func:`check` before it is returned.

    Returns
    -------
    dict
        The same tables, masked figures missing, with a ``secret`` column (``""`` or
        ``"secret"``).

    Raises
    ------
    SecrecyError
        When the audit finds a recoverable cell (a defect: the heuristic's result is
        certified, not assumed).
    """
    if not enabled:
        logger.info(
            "secret statistique DÉSACTIVÉ : des chiffres sur moins de %d ménages sont publiés",
            threshold,
        )
        return {name: t.assign(secret=DISABLED) for name, t in tables.items()}
    out, witnesses = _protect(tables, model, threshold=threshold, secondary=secondary)
    if secondary:
        check(out, model, threshold=threshold, witnesses=witnesses)
    return out


def _protect(
    tables: Mapping[str, pd.DataFrame], model: Model, *, threshold: int, secondary: bool
) -> tuple[dict[str, pd.DataFrame], list[np.ndarray]]:
    cells = _cells(model, tables, threshold)
    path = _cache_file(tables, model, threshold) if secondary else None
    found = _read_pattern(path, len(cells.value), cells.incidence.shape[1])
    if found is None:
        masked, primary, witnesses = _suppress(cells, threshold, secondary=secondary)
        _write_pattern(path, masked, primary, witnesses, cells.incidence.shape[1])
    else:
        masked, primary, witnesses = found
    logger.info(
        "secret : %d cellule(s) masquée(s) au primaire et %d au secondaire, sur %d",
        int(primary.sum()),
        int((masked & ~primary).sum()),
        int(((cells.kind == _PRINTED) | (cells.kind == _IMPLIED)).sum()),
    )
    return _apply(tables, cells, masked), witnesses


def _cache_file(tables: Mapping[str, pd.DataFrame], model: Model, threshold: int) -> Path | None:
    """Cache entry of a suppression pattern, named by everything it depends on.

    The pattern (masked cells and the witness points of the audit) is a pure function of
    the tables, the model and the code: the same observatoire run twice gets it back
    instead of solving the programmes again. The audit still runs on every output.
    """
    from peuplement._cache import _code_stamp, cache_dir

    root = cache_dir()
    if root is None:
        return None
    digest = hashlib.sha256(f"{_code_stamp()}|{threshold}".encode())
    frames = [(name, tables[name]) for name in sorted(tables)]
    for name, frame in [*frames, ("_microdata", model.microdata)]:
        digest.update(f"{name}|{'|'.join(map(str, frame.columns))}".encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    described = (model.units, model.counts, dict(model.attributes), dict(model.totals))
    digest.update(f"{described!r}|{getattr(model.flags, '__qualname__', '')}".encode())
    return root / "secret" / f"{digest.hexdigest()[:32]}.npz"


def _read_pattern(
    path: Path | None, n_cells: int, n_atoms: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]] | None:
    if path is None or not path.exists():
        return None
    try:
        with np.load(path) as saved:
            masked, primary, points = saved["masked"], saved["primary"], saved["points"]
    except (OSError, ValueError, KeyError) as exc:
        logger.info("secret : entrée de cache %s illisible (%s) ; recalculée", path, reason(exc))
        return None
    if masked.shape != (n_cells,) or points.ndim != 2 or points.shape[1] != n_atoms:
        return None
    return masked.astype(bool), primary.astype(bool), list(points)


def _write_pattern(
    path: Path | None,
    masked: np.ndarray,
    primary: np.ndarray,
    witnesses: list[np.ndarray],
    n_atoms: int,
) -> None:
    if path is None:
        return
    from peuplement.export import write_bytes

    buffer = io.BytesIO()
    points = np.vstack(witnesses) if witnesses else np.zeros((0, n_atoms))
    # An .npz (a zip of .npy, read by np.load) deflated at level 1: a national pattern
    # holds 50 million witness values, which numpy's savez_compressed (level 6) takes
    # 2.9 s to pack against 1.1 s here (a file 1.8 times larger, read as fast).
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as npz:
        for name, array in (("masked", masked), ("primary", primary), ("points", points)):
            with npz.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)
    try:
        write_bytes(buffer.getvalue(), path)
    except OSError as exc:
        logger.info(
            "secret : cache non écrit (%s) ; le calcul sera refait la prochaine fois", reason(exc)
        )


def audit(
    tables: Mapping[str, pd.DataFrame],
    model: Model,
    *,
    threshold: int = SECRET_THRESHOLD,
    witnesses: Sequence[np.ndarray] = (),
) -> list[Leak]:
    """Prove that no masked figure of ``tables`` can be recovered; return what can.

    For every masked count and every hidden count under the threshold, the interval of
    values compatible with every published figure (over the atoms of ``model``) must be
    at least ``threshold`` wide. Published counts must obey the primary rule.

    Intervals are bounded from inside by feasible points: atom counts that reproduce
    every published figure exactly. The true counts are one; ``witnesses`` may offer
    more (those :func:`protect` found), each checked here against the published tables
    and ignored if it does not reproduce them, so they speed the audit up without being
    trusted. Cells that the points do not settle get their own two linear programmes
    (minimum and maximum, :func:`scipy.optimize.linprog`, HiGHS), which decide.

    Parameters
    ----------
    tables
        The tables as they would be published (masked figures missing).
    model
        How they are made from the households.
    threshold
        The protection margin and primary threshold (11).
    witnesses
        Candidate feasible points (atom counts), checked before use.

    Returns
    -------
    list of Leak
        Empty when the tables are safe.
    """
    cells = _cells(model, tables, threshold)
    leaks = []
    printed = cells.kind == _PRINTED
    masked = np.isnan(cells.shown) & ((cells.kind == _PRINTED) | (cells.kind == _IMPLIED))
    for j in np.flatnonzero(printed & ~masked & cells.sensitive):
        leaks.append(
            Leak(
                cells.specs[cells.spec[j]].table,
                cells.label(int(j)),
                cells.shown[j],
                cells.shown[j],
                f"publiée alors qu'elle compte moins de {threshold} ménages "
                "(ou révèle une caractéristique de tous les ménages de son total)",
            )
        )
    solver = _Solver(cells, masked)
    valid = [p for p in witnesses if _feasible(cells, masked, solver, p)]
    _, failing, _ = _prove(solver, _targets(cells, masked), threshold, valid)
    for i, iv in failing.items():
        hidden = bool(cells.kind[i] == _HIDDEN)
        leaks.append(
            Leak(
                cells.specs[cells.spec[i]].table,
                cells.label(i) + (" (non publiée, déduite des autres)" if hidden else ""),
                iv.low,
                iv.high,
                f"les chiffres publiés la placent entre {iv.low:g} et {iv.high:g}, "
                f"un intervalle de moins de {threshold} (marge de protection)",
            )
        )
    return leaks


def _feasible(cells: _Cells, masked: np.ndarray, solver: _Solver, point: np.ndarray) -> bool:
    """Whether atom counts reproduce every published figure (and the known lower bounds)."""
    if point.shape != (cells.incidence.shape[1],) or (point < -1e-9).any():
        return False
    values = cells.incidence @ point
    published = ~masked & (cells.kind != _HIDDEN)
    return bool(
        np.allclose(values[published], cells.shown[published], rtol=0, atol=1e-6)
        and (values[solver.lower] >= 1 - 1e-6).all()
    )


def check(
    tables: Mapping[str, pd.DataFrame],
    model: Model,
    *,
    threshold: int = SECRET_THRESHOLD,
    witnesses: Sequence[np.ndarray] = (),
) -> None:
    """Run :func:`audit` and raise :class:`SecrecyError` (in French) if any cell leaks.

    Parameters
    ----------
    tables
        The tables as they would be published.
    model
        How they are made from the households.
    threshold
        The protection margin and primary threshold (11).
    witnesses
        Candidate feasible points, checked before use (see :func:`audit`).

    Raises
    ------
    SecrecyError
        Naming up to five recoverable cells and why; nothing must then be written.
    """
    leaks = audit(tables, model, threshold=threshold, witnesses=witnesses)
    if leaks:
        shown = "\n".join(f"- {leak.message()}" for leak in leaks[:5])
        more = f"\n… et {len(leaks) - 5} autre(s)" if len(leaks) > 5 else ""
        raise SecrecyError(
            f"Secret statistique : {len(leaks)} cellule(s) masquée(s) pourraient être retrouvées "
            f"à partir des tableaux publiés ; rien n'est écrit.\n{shown}{more}\n"
            "Relancez sans modifier les tables après leur protection, ou signalez le défaut."
        )


def protect_parts(
    table: pd.DataFrame,
    households: pd.DataFrame,
    *,
    units: Sequence[str],
    total: str,
    parts: Mapping[str, tuple[str, tuple[str, ...]]],
    total_blanks: tuple[str, ...] = (),
    known: Sequence[str] | None = (),
    threshold: int = SECRET_THRESHOLD,
    enabled: bool = True,
) -> pd.DataFrame:
    """Protect a table of households per unit and of flagged parts of them (shares, kinds).

    The common case of a single table: a total per unit (``nb_menages``,
    ``nb_attributions``) and counts of households with a flag among them (Q1, APL,
    mutations, rehousings), each with the shares computed from it. Every count obeys the
    primary rule (a part of 0 or all of a total included: "0 of 323" says something of
    all 323), the hidden complements ``total − part`` are protected, and the units add up
    to totals known from elsewhere (``known``: per year, or the whole table with ``()``).

    Parameters
    ----------
    table
        One row per unit, with ``units``, ``total`` and the ``parts`` columns.
    households
        One row per household with ``units`` and the boolean flag columns of ``parts``.
    units
        Unit columns.
    total
        Column of the number of households per unit.
    parts
        ``{count column: (flag column of households, columns computed from the count)}``.
    total_blanks
        Columns computed from the total (masked with it).
    known
        Unit columns whose totals are published elsewhere (``()``: the grand total;
        ``None``: none).
    threshold
        Minimum number of households behind a published figure (11).
    enabled
        ``False`` publishes everything, marked for internal use.

    Returns
    -------
    pandas.DataFrame
        ``table`` masked, with a ``secret`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"annee": [2026] * 40, "qpv": [True] * 25 + [False] * 15,
    ...                   "ru": [False] * 40})
    >>> t = h.groupby(["annee", "qpv"]).agg(n=("ru", "size"), n_ru=("ru", "sum")).reset_index()
    >>> out = protect_parts(t, h, units=["annee", "qpv"], total="n", parts={"n_ru": ("ru", ())})
    >>> out["n_ru"].isna().tolist()  # "0 of 15" and "0 of 25" say it of every household
    [True, True]
    """
    keys = list(units)
    unit = {k: k for k in keys}
    columns = {flag: f"_f{i}" for i, (flag, _) in enumerate(parts.values())}
    micro = households[keys].copy()
    for flag, col in columns.items():
        micro[col] = households[flag].fillna(False).astype(bool).to_numpy()
    counts = [Count("t", unit, column=total, total=True, blanks=tuple(total_blanks))]
    for column, (flag, blanks) in parts.items():
        col = columns[flag]
        counts += [
            Count("t", unit, flag=col, column=column, margin=(None, tuple(keys)), blanks=blanks),
            Count("t", unit, flag=f"{col}_non", published=False, margin=(None, tuple(keys)),
                  label=f"{total} − {column}"),
        ]  # fmt: skip
    flag_cols = list(columns.values())
    model = Model(
        micro,
        units=tuple(keys),
        counts=tuple(counts),
        attributes={c: (False, True) for c in flag_cols},
        flags=lambda atoms: pd.DataFrame(
            {f"{c}_non": ~atoms[c].to_numpy(bool) for c in flag_cols}, index=atoms.index
        ),
        totals={} if known is None else {"t": tuple(known)},
    )
    return protect({"t": table}, model, threshold=threshold, enabled=enabled)["t"]


# --------------------------------------------------------------------------- labels


def is_masked(secret: pd.Series) -> pd.Series:
    """Return whether each row's ``secret`` label says its figures are masked.

    Parameters
    ----------
    secret
        The ``secret`` column of a table from :func:`protect` or :func:`apply_secrecy`.

    Returns
    -------
    pandas.Series
        ``True`` on masked rows.

    Examples
    --------
    >>> is_masked(pd.Series(["", "secret", "primaire", "secondaire", "désactivé"])).tolist()
    [False, True, True, True, False]
    """
    return secret.isin([SECRET, PRIMARY, SECONDARY])


def secrecy_sentence(*, secret: bool, threshold: int = SECRET_THRESHOLD) -> str:
    """Return the sentence every output carries about statistical secrecy (French).

    Parameters
    ----------
    secret
        Whether secrecy was applied.
    threshold
        Its threshold.

    Returns
    -------
    str
        What was done, or that the output is for internal use only.
    """
    if secret:
        return (
            f"Secret statistique appliqué (seuil : {threshold} ménages) : aucun chiffre calculé "
            f"sur moins de {threshold} ménages n'est publié, ni ne peut être retrouvé à partir "
            "des tableaux publiés ensemble (suppression primaire et secondaire, vérifiée par un audit)."
        )
    return (
        "Secret statistique DÉSACTIVÉ : des chiffres calculés sur moins de "
        f"{threshold} ménages sont publiés ; USAGE INTERNE UNIQUEMENT, ne pas diffuser."
    )


def diffusion(*, secret: bool, threshold: int = SECRET_THRESHOLD) -> str:
    """Return the value of the ``diffusion`` column of every table written (French).

    Parameters
    ----------
    secret
        Whether secrecy was applied.
    threshold
        Its threshold.

    Returns
    -------
    str
        ``"secret statistique appliqué (seuil 11 ménages)"`` or the internal-use mark.
    """
    if secret:
        return f"secret statistique appliqué (seuil {threshold} ménages)"
    return f"{INTERNAL} : secret statistique désactivé"


def mark_internal(name: str, *, secret: bool) -> str:
    """Return the file name of an output, marked for internal use without secrecy.

    Parameters
    ----------
    name
        The file name, e.g. ``lec_2026.csv``.
    secret
        Whether secrecy was applied.

    Returns
    -------
    str
        ``name`` itself, or ``lec_2026_usage_interne.csv`` without secrecy.
    """
    if secret:
        return name
    stem, dot, ext = name.rpartition(".")
    return f"{stem}{INTERNAL_SUFFIX}{dot}{ext}" if dot else f"{name}{INTERNAL_SUFFIX}"


# --------------------------------------------------------------------------- LEC tables

#: Each LEC objective: (numerator flag, denominator flag, complement flag).
LEC_OBJECTIVES = {
    "A": ("n_a", "d_a", "c_a"),
    "A_hors_relogement": ("n_a_hr", "d_a", "c_a_hr"),
    "B": ("n_b", "d_b", "c_b"),
    "prioritaires": ("n_p", "d_p", "c_p"),
}
#: Columns of a LEC row computed from its numerator and denominator.
LEC_DERIVED = ("taux", "ecart_points", "attributions_manquantes", "statut")
_LEVEL_UNITS = ("epci", "commune", "bailleur", "reservataire", "bailleur_reservataire")


def _lec_flags(atoms: pd.DataFrame) -> pd.DataFrame:
    """Return the LEC objectives' flags (signed leases only) and the quartile table's cells."""
    qpv = atoms["en_qpv"].to_numpy(bool)
    q1 = (atoms["q1"] if "q1" in atoms.columns else atoms["quartile"] == 1).to_numpy(bool)
    relog = atoms["relogement_ru"].to_numpy(bool)
    prio = atoms["public_prioritaire"].to_numpy(bool)
    flags = {
        "d_a": ~qpv,
        "n_a": ~qpv & (q1 | relog),
        "c_a": ~qpv & ~(q1 | relog),
        "n_a_hr": ~qpv & q1,
        "c_a_hr": ~qpv & ~q1,
        "r_a": ~qpv & relog & ~q1,  # n_A − n_A_hors_relogement: the rehoused households
        "d_b": qpv,
        "n_b": qpv & ~q1,
        "c_b": qpv & q1,
        "d_p": np.ones(len(atoms), bool),
        "n_p": prio,
        "c_p": ~prio,
        "localisation": np.where(qpv, "en QPV", "hors QPV"),
    }
    out = pd.DataFrame(flags, index=atoms.index)
    if "quartile" in atoms.columns:
        out["quartile_label"] = "Q" + atoms["quartile"].astype(str)
    return out


def _lec_flags_without_mutations(atoms: pd.DataFrame) -> pd.DataFrame:
    """Return :func:`_lec_flags` with internal transfers out of the LEC objectives only."""
    flags = _lec_flags(atoms)
    keep = ~atoms["mutation"].to_numpy(bool)
    for col in flags.columns:
        if flags[col].dtype == bool:
            flags[col] = flags[col].to_numpy() & keep
    return flags


def lec_microdata(classified: pd.DataFrame, *, siren: str | None) -> pd.DataFrame:
    """Return the signed attributions of :func:`peuplement.lec.classify`, LEC units as columns.

    Parameters
    ----------
    classified
        Output of :func:`peuplement.lec.classify`.
    siren
        The EPCI, or ``None`` to take each row's ``siren_epci`` (national runs).

    Returns
    -------
    pandas.DataFrame
        One row per signed lease: ``epci``, ``commune``, ``bailleur``, ``reservataire``,
        ``bailleur_reservataire`` and the household attributes of the secrecy model.
    """
    signed = classified[classified["bail_signe"].fillna(False).astype(bool)]
    out = pd.DataFrame(index=signed.index)
    out["epci"] = signed["siren_epci"] if siren is None else siren
    out["commune"] = signed["code_insee"]
    for col in ("bailleur", "reservataire"):
        out[col] = signed[col] if col in signed.columns else pd.NA
    out["bailleur_reservataire"] = (
        out["bailleur"].astype("string") + " × " + out["reservataire"].astype("string")
    )
    out["en_qpv"] = signed["en_qpv"].astype(bool)
    out["quartile"] = signed["quartile"].astype("int64")
    out["q1"] = signed["q1"].astype(bool)
    for col in ("relogement_ru", "public_prioritaire"):
        out[col] = signed[col].fillna(False).astype(bool) if col in signed.columns else False
    if "annee" in signed.columns:
        out["annee"] = signed["annee"]
    mutation = signed["mutation"] if "mutation" in signed.columns else False
    out["mutation"] = pd.Series(mutation, index=signed.index).fillna(False).astype(bool)
    return out.reset_index(drop=True)


def _lec_counts(table: pd.DataFrame, name: str) -> list[Count]:
    counts = []
    objectives = sorted(set(table["objectif"]))
    unknown = [o for o in objectives if o not in LEC_OBJECTIVES]
    if unknown:
        raise SchemaError(
            f"secret : objectif(s) {unknown} de la table « {name} » (colonne objectif) "
            f"inconnu(s) du modèle de secret ; connus : {list(LEC_OBJECTIVES)}. Ajoutez leurs "
            "indicateurs à peuplement.secrecy.LEC_OBJECTIVES."
        )
    for level in sorted(set(table["niveau"])):
        if level not in _LEVEL_UNITS:
            raise SchemaError(
                f"secret : niveau {level!r} de la table « {name} » (colonne niveau) inconnu "
                f"du modèle de secret ; connus : {list(_LEVEL_UNITS)}. Ajoutez-le à "
                "peuplement.secrecy._LEVEL_UNITS avec les colonnes de son unité."
            )
        unit = {"unite": level}
        margin_cols = (level,)
        for obj in objectives:
            num, den, comp = LEC_OBJECTIVES[obj]
            rows = {"niveau": level, "objectif": obj}
            common = {"table": name, "unit": unit, "rows": rows, "blanks": LEC_DERIVED}
            counts += [
                Count(**common, flag=num, column="numerateur", margin=(den, margin_cols)),  # type: ignore[arg-type]
                Count(**common, flag=den, column="denominateur", total=True, positive=level != "epci"),  # type: ignore[arg-type]
                Count(name, unit, flag=comp, rows=rows, published=False, margin=(den, margin_cols), label=f"{obj} : dénominateur − numérateur", complement_of=("denominateur", "numerateur")),
            ]  # fmt: skip
            if obj == "A_hors_relogement" and "A" in objectives:
                # A part of d_A too: "0 rehoused of 98" says it of every household (group
                # disclosure), like a zero numerator, so the zero-part rule applies.
                counts.append(
                    Count(name, unit, flag="r_a", rows=rows, published=False, margin=(den, margin_cols), label="A − A sans relogement : ménages relogés")
                )  # fmt: skip
    return counts


def _quartile_counts(table: pd.DataFrame, name: str) -> list[Count]:
    keys = {"localisation": "localisation", "quartile": "quartile_label"}
    by = {c: c for c in ("annee",) if c in table.columns}
    return [
        Count(name, {**by, **keys}, column="nb_attributions", blanks=("part",),
              margin=(None, (*by.values(), "localisation"))),
        Count(name, {**by, "localisation": "localisation"}, blanks=("part",), total=True,
              label="total de la localisation (déduit des parts)"),
    ]  # fmt: skip


def lec_model(
    classified: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    *,
    siren: str | None,
    exclude_mutations: bool = False,
) -> Model:
    """Build the secrecy :class:`Model` of LEC tables published together.

    Parameters
    ----------
    classified
        Output of :func:`peuplement.lec.classify`.
    tables
        ``{name: table}``: LEC tables (:func:`peuplement.lec.lec_indicators`, recognised by
        their ``objectif`` column) and quartile distributions
        (:func:`peuplement.lec.quartile_distribution`, by their ``quartile`` column).
    siren
        The EPCI, or ``None`` when ``classified`` has a ``siren_epci`` column (national runs).
    exclude_mutations
        The LEC table leaves internal transfers (``mutation``) out; the quartile table
        counts them: a ``mutation`` attribute then tells the two populations apart.

    Returns
    -------
    Model
        Units, household attributes, flags and every count of the tables.
    """
    micro = lec_microdata(classified, siren=siren)
    counts: list[Count] = []
    levels: set[str] = set()
    quartiles = False
    for name, table in tables.items():
        if "objectif" in table.columns:
            counts += _lec_counts(table, name)
            levels |= set(table["niveau"])
        elif "quartile" in table.columns:
            counts += _quartile_counts(table, name)
            quartiles = True
    units = tuple(u for u in _LEVEL_UNITS if u in levels or u == "epci")
    if quartiles and "annee" in micro.columns:
        units = (*units, "annee")
    attributes: dict[str, tuple[object, ...]] = {
        "en_qpv": (False, True),
        "relogement_ru": (False, True),
        "public_prioritaire": (False, True),
    }
    if quartiles:
        attributes["quartile"] = tuple(sorted({1, 2, 3, 4} | set(micro["quartile"])))
    else:
        attributes["q1"] = (False, True)
    flags = _lec_flags
    if exclude_mutations:
        attributes["mutation"] = (False, True)
        flags = _lec_flags_without_mutations
    return Model(micro, units=units, counts=tuple(counts), attributes=attributes, flags=flags)


def _complete_quartiles(table: pd.DataFrame) -> pd.DataFrame:
    """Give a quartile table a row for every location × quartile, zeros included.

    A missing row says "zero" and cannot be masked: "no household above Q1 outside QPV"
    would be published by omission. With every row present, a zero part of a positive
    location is a cell like the others, masked by the primary rule.
    """
    if "quartile" not in table.columns or "localisation" not in table.columns:
        return table
    by = [
        c
        for c in table.columns
        if c not in {"localisation", "quartile", "nb_attributions", "part", "secret"}
    ]
    keys = table[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    grid = keys.merge(
        pd.DataFrame(
            itertools.product(["en QPV", "hors QPV"], ["Q1", "Q2", "Q3", "Q4"]),
            columns=["localisation", "quartile"],
        ),
        how="cross",
    )
    full = grid.merge(table, on=[*by, "localisation", "quartile"], how="left")
    full["nb_attributions"] = full["nb_attributions"].fillna(0).astype("int64")
    full["part"] = full["part"].fillna(0.0)
    if "secret" in table.columns:
        full["secret"] = full["secret"].fillna(table["secret"].iloc[0] if len(table) else "")
    return full[table.columns]


def protect_lec(
    tables: Mapping[str, pd.DataFrame],
    classified: pd.DataFrame,
    *,
    siren: str | None,
    threshold: int = SECRET_THRESHOLD,
    enabled: bool = True,
    secondary: bool = True,
    exclude_mutations: bool = False,
) -> dict[str, pd.DataFrame]:
    """Protect LEC tables published together, then audit them (:func:`protect`, :func:`check`).

    Parameters
    ----------
    tables
        ``{name: table}``: LEC tables and quartile distributions, unmasked.
    classified
        Output of :func:`peuplement.lec.classify` the tables were computed from.
    siren
        The EPCI, or ``None`` for a national run (each row's ``siren_epci``).
    threshold
        Minimum number of households behind a published figure (11).
    enabled
        ``False`` publishes everything, marked for internal use.
    secondary
        ``False`` stops after primary suppression (no audit: to show the leaks).
    exclude_mutations
        The LEC tables leave internal transfers out (``--mutations exclure``).

    Returns
    -------
    dict
        The masked tables.

    Raises
    ------
    SecrecyError
        If the audit finds a recoverable cell.
    """
    if not enabled:
        return protect(tables, lec_model(classified, {}, siren=siren), enabled=False)
    tables = {name: _complete_quartiles(t) for name, t in tables.items()}
    model = lec_model(classified, tables, siren=siren, exclude_mutations=exclude_mutations)
    return protect(tables, model, threshold=threshold, secondary=secondary)


def public_rejections(rejections: pd.DataFrame) -> pd.DataFrame:
    """Return a rejection table fit to be written: file, line, column, reason, no household.

    The offending value is kept only when it is the field at fault and not an identifier
    (``id_attribution``, ``id_demande``…): an identifier points at a household. Anything a
    reason adds about the household (its RUC…) is cut. The table is marked for internal use.

    Parameters
    ----------
    rejections
        Rejection table (:data:`peuplement.validation.REJECTION_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        The same rows, values cut as said, with a ``diffusion`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"fichier": ["a.csv"] * 2, "ligne": [2, 3],
    ...                   "colonne": ["id_attribution", "premier_quartile"],
    ...                   "valeur": ["ATT-000000", "True (RUC 12000)"], "motif": ["x", "y"]})
    >>> public_rejections(r)["valeur"].tolist()
    ['(identifiant masqué)', 'True']
    """
    out = rejections.copy()
    column = out["colonne"].astype("string").fillna("")
    value = out["valeur"].astype("string")
    identifier = column.str.contains(r"(?:^|/)id_|identifiant", regex=True)
    value = value.str.replace(r"\s*\(.*\)\s*$", "", regex=True)
    value = value.mask(identifier & value.notna(), "(identifiant masqué)")
    out["valeur"] = value
    out["diffusion"] = INTERNAL
    return out


def lec_tables(
    classified: pd.DataFrame,
    *,
    annee: int,
    siren: str,
    secret: bool = True,
    threshold: int = SECRET_THRESHOLD,
    **options: Any,
) -> dict[str, pd.DataFrame]:
    """Compute the LEC table and quartile distribution of one EPCI, protected together.

    Every command that publishes LEC figures (``peuplement lec``, ``peuplement report``)
    goes through here, so the masking pattern of the LEC table is the same in every
    output and two outputs cannot be combined to undo it. ``options`` go to
    :func:`peuplement.lec.lec_indicators` (``cible_a``, ``cible_b``, ``engagements``,
    ``mutations``).

    Parameters
    ----------
    classified
        Output of :func:`peuplement.lec.classify`.
    annee
        Year of the attributions.
    siren
        The EPCI.
    secret
        Apply statistical secrecy (default).
    threshold
        Minimum number of households behind a published figure (11).
    **options
        Passed to :func:`peuplement.lec.lec_indicators`.

    Returns
    -------
    dict
        ``lec`` (:func:`peuplement.lec.lec_indicators`) and ``quartiles``
        (:func:`peuplement.lec.quartile_distribution`), audited.
    """
    from peuplement import lec  # lec calls this module: imported here, not at the top

    raw = {
        "lec": lec.lec_indicators(classified, annee=annee, siren=siren, secret=False, **options),
        "quartiles": lec.quartile_distribution(classified, secret=False),
    }
    return protect_lec(
        raw,
        classified,
        siren=siren,
        threshold=threshold,
        enabled=secret,
        exclude_mutations=options.get("mutations") == "exclure",
    )


# --------------------------------------------------------------------------- legacy


def apply_secrecy(
    table: pd.DataFrame,
    *,
    count: str,
    masked: Sequence[str],
    groups: Sequence[str] = (),
    threshold: int = SECRET_THRESHOLD,
    enabled: bool = True,
) -> pd.DataFrame:
    """Mask the cells of ``table`` computed on fewer than ``threshold`` households (one table).

    The single-table rule kept for the tables not yet described by a :class:`Model`
    (:mod:`peuplement.evolutions`): primary suppression, and within each group of
    ``groups`` a lone masked cell takes the next smallest with it. It ignores every
    relation with other tables and is not audited: use :func:`protect` where you can.

    Parameters
    ----------
    table
        One row per published cell.
    count
        Column with the number of households behind each row (a denominator).
    masked
        Columns to blank on a secret row (the count itself, numerators, rates…).
    groups
        Columns defining the sets of rows that add up to a published total; secondary
        suppression works within each set. Empty: no secondary suppression.
    threshold
        Minimum number of households (11 by default).
    enabled
        ``False`` turns the rule off, for internal use only: the output then says so
        in its ``secret`` column (``"désactivé"``).

    Returns
    -------
    pandas.DataFrame
        A copy with ``masked`` columns set to missing on secret rows and a ``secret``
        column: ``""`` (published), ``"primaire"``, ``"secondaire"`` or ``"désactivé"``.
    """
    missing = [c for c in (count, *masked, *groups) if c not in table.columns]
    if missing:
        raise missing_columns(
            "apply_secrecy",
            missing,
            table.columns,
            fix="Passez count=, masked= et groups= avec des colonnes présentes.",
        )
    out = table.copy()
    if not enabled:
        out["secret"] = DISABLED
        logger.warning(
            "secret statistique DÉSACTIVÉ : des cellules de moins de %d ménages sont publiées",
            threshold,
        )
        return out
    n = pd.to_numeric(out[count], errors="coerce")
    primary = (n < threshold) & (n > 0)
    secondary = pd.Series(False, index=out.index)
    if groups and primary.any():
        keys = list(groups)
        # Position of each row, its group, and how many primary cells its group holds.
        work = out[keys].reset_index(drop=True).copy()
        work["_n"] = n.to_numpy()
        work["_primary"] = primary.to_numpy()
        work["_row"] = np.arange(len(out))
        n_primary = work.groupby(keys, dropna=False)["_primary"].transform("sum").to_numpy()
        # In each group with a single primary cell, the smallest published cell goes too.
        candidates = work[(n_primary == 1) & ~work["_primary"] & (work["_n"] > 0)]
        picked = candidates.sort_values(["_n", "_row"], kind="mergesort").drop_duplicates(
            subset=keys
        )
        secondary.iloc[picked["_row"].to_numpy()] = True
    out["secret"] = np.select([primary, secondary], [PRIMARY, SECONDARY], default=PUBLISHED)
    hidden = primary | secondary
    for col in masked:
        out[col] = (
            out[col].astype("float64") if pd.api.types.is_integer_dtype(out[col]) else out[col]
        )
        out.loc[hidden, col] = np.nan
    if hidden.any():
        logger.info(
            "secret : %d cellule(s) masquée(s) au primaire et %d au secondaire",
            int(primary.sum()),
            int(secondary.sum()),
        )
    return out
