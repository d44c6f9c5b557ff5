"""Static maps and charts for reports (matplotlib), in Lambert-93, exportable to PNG and PDF."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from peuplement._errors import missing_columns
from peuplement.export import atomic_path
from peuplement.fmt import fmt_fr
from peuplement.geo import check_projected
from peuplement.labels import label as column_label
from peuplement.maps._common import MISSING_COLOR, MISSING_LABEL, classify_values
from peuplement.territory import Territory

__all__ = [
    "landlord_bars",
    "landlord_commune_bars",
    "lec_chart",
    "lorenz_chart",
    "save_figure",
    "static_map",
]


def _scale_bar(ax: Axes) -> None:
    """Add a metric scale bar (matplotlib's AnchoredSizeBar; the map is in metres)."""
    x0, x1 = ax.get_xlim()
    target = (x1 - x0) / 5
    length = max(v for v in (500, 1000, 2000, 5000, 10000, 20000, 50000) if v <= max(target, 500))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length} m"
    bar = AnchoredSizeBar(
        ax.transData,
        length,
        label,
        loc="lower left",
        pad=0.5,
        borderpad=0.8,
        sep=4,
        frameon=False,
        size_vertical=(x1 - x0) / 300,
        fontproperties=FontProperties(size=8),
    )
    ax.add_artist(bar)


def _north_arrow(ax: Axes) -> None:
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 3, "headwidth": 9},
    )


def static_map(
    territory: Territory,
    table: pd.DataFrame,
    column: str,
    *,
    label: str,
    percent: bool = False,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Sequence[float] | None = None,
    title: str | None = None,
    source: str | None = None,
    n_labels: int = 5,
) -> Figure:
    """Classed choropleth of communes with QPV outlined, labels, scale bar, north arrow and source.

    Parameters
    ----------
    territory
        Communes and QPV.
    table
        One row per commune with ``code_insee`` and ``column``.
    column
        The value drawn.
    label
        French label of the value (legend).
    percent
        The value is a share in [0, 1], shown as a percentage.
    scheme, k, breaks
        Classification (mapclassify: ``quantiles``, ``fisherjenks``, ``equalinterval``, or
        ``breaks``).
    title
        Title of the map.
    source
        Source line.
    n_labels
        Number of communes labelled, largest values first.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; :func:`save_figure` writes it.
    """
    if column not in table.columns or "code_insee" not in table.columns:
        raise missing_columns(
            "static_map",
            [c for c in ("code_insee", column) if c not in table.columns],
            table.columns,
            fix="Passez column= avec une colonne présente, dans une table par commune (code_insee).",
        )
    check_projected(territory.communes, what="static_map")
    data = territory.communes.merge(table[["code_insee", column]], on="code_insee", how="left")
    classes = classify_values(data[column], scheme=scheme, k=k, breaks=breaks, percent=percent)
    colors = [(classes.colors + [MISSING_COLOR])[i] for i in classes.index]
    fig, ax = plt.subplots(figsize=(8.27, 8.27))
    data.plot(ax=ax, color=colors, edgecolor="#555555", linewidth=0.6)
    if len(territory.qpv):
        territory.qpv.plot(
            ax=ax, facecolor="none", edgecolor="#542788", linewidth=1.2, hatch="////"
        )
    top = data.dropna(subset=[column]).nlargest(n_labels, column)
    for _, row in top.iterrows():
        point = row.geometry.representative_point()
        ax.annotate(
            str(row["nom"]),
            (point.x, point.y),
            ha="center",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.7},
        )
    handles = [
        Patch(facecolor=c, edgecolor="#555555", label=lab)
        for c, lab in zip(classes.colors, classes.labels, strict=True)
    ]
    if (classes.index < 0).any():
        handles.append(Patch(facecolor=MISSING_COLOR, edgecolor="#555555", label=MISSING_LABEL))
    if len(territory.qpv):
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="#542788",
                hatch="////",
                label="Quartier prioritaire (QPV)",
            )
        )
    ax.legend(
        handles=handles, title=label, loc="lower right", fontsize=8, title_fontsize=9, frameon=True
    )
    ax.set_axis_off()
    _scale_bar(ax)
    _north_arrow(ax)
    if title:
        ax.set_title(title, fontsize=13)
    if source:
        fig.text(0.02, 0.02, source, fontsize=7, color="#444444")
    fig.tight_layout()
    return fig


def lorenz_chart(
    points: pd.DataFrame,
    *,
    title: str = "Courbe de Lorenz du parc social",
    gini: float | None = None,
    xlabel: str = "Part cumulée des communes",
) -> Figure:
    """Lorenz curve (from :func:`peuplement.indicators.lorenz`) with the equality line.

    Parameters
    ----------
    points
        Output of :func:`peuplement.indicators.lorenz` for one territory.
    title
        Title of the figure.
    gini
        Gini coefficient written on the chart; ``None``: not written.
    xlabel
        Label of the horizontal axis.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; :func:`save_figure` writes it.
    """
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", label="Égalité parfaite")
    ax.plot(
        points["part_unites_cumulee"],
        points["part_cumulee"],
        color="#b10026",
        marker="o",
        markersize=3,
        label="Parc social",
    )
    ax.fill_between(
        points["part_unites_cumulee"],
        points["part_cumulee"],
        points["part_unites_cumulee"],
        color="#fd8d3c",
        alpha=0.2,
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Part cumulée des logements sociaux")
    ax.xaxis.set_major_formatter(lambda v, _: fmt_fr(v, percent=True))
    ax.yaxis.set_major_formatter(lambda v, _: fmt_fr(v, percent=True))
    ax.set_title(
        title + (f" (Gini {fmt_fr(gini, digits=2)})" if gini is not None else ""), fontsize=11
    )
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def landlord_bars(
    landlords: pd.DataFrame, *, top: int = 8, title: str = "Parc social par bailleur"
) -> Figure:
    """Horizontal bars of the landlords' shares (``bailleur``, ``part_territoire``), the rest grouped.

    Parameters
    ----------
    landlords
        Output of :func:`peuplement.indicators.landlord_concentration`.
    top
        Landlords shown apart; the others are grouped.
    title
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; :func:`save_figure` writes it.
    """
    frame = landlords.sort_values("part_territoire", ascending=False)
    shown = frame.head(top)[["bailleur", "part_territoire"]].copy()
    rest = frame["part_territoire"].iloc[top:].sum()
    if rest > 0:
        shown = pd.concat(
            [shown, pd.DataFrame({"bailleur": ["Autres bailleurs"], "part_territoire": [rest]})],
            ignore_index=True,
        )
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(shown) + 1.2))
    ax.barh(shown["bailleur"].astype(str)[::-1], shown["part_territoire"][::-1], color="#fd8d3c")
    for y, v in enumerate(shown["part_territoire"][::-1]):
        ax.text(v, y, " " + fmt_fr(v, percent=True), va="center", fontsize=8)
    ax.xaxis.set_major_formatter(lambda v, _: fmt_fr(v, percent=True))
    ax.set_xlim(0, shown["part_territoire"].max() * 1.2)
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig


def landlord_commune_bars(
    stock: pd.DataFrame, *, top_landlords: int = 5, title: str = "Bailleurs par commune"
) -> Figure:
    """Stacked bars: each commune's stock split by landlord (``nom``, ``bailleur``, ``nb_lls``).

    The ``top_landlords`` largest landlords of the territory get their own colour, the
    others are grouped; communes sorted by stock.

    Parameters
    ----------
    stock
        Stock per landlord × commune (``nom``, ``bailleur``, ``nb_lls``).
    top_landlords
        Landlords with their own colour.
    title
        Title of the figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; :func:`save_figure` writes it.
    """
    missing = [c for c in ("nom", "bailleur", "nb_lls") if c not in stock.columns]
    if missing:
        raise missing_columns(
            "landlord_commune_bars",
            missing,
            stock.columns,
            table="la table stock",
            fix="Donnez le parc par commune et par bailleur (load_rpls puis count_dwellings).",
        )
    biggest = stock.groupby("bailleur")["nb_lls"].sum().nlargest(top_landlords).index
    frame = stock.assign(
        bailleur=stock["bailleur"].where(stock["bailleur"].isin(biggest), "Autres bailleurs")
    )
    grid = frame.pivot_table(
        index="nom", columns="bailleur", values="nb_lls", aggfunc="sum", fill_value=0
    )
    grid = grid.loc[grid.sum(axis=1).sort_values().index]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(grid) + 1.5))
    left = np.zeros(len(grid))
    colors = [plt.get_cmap("tab10")(i) for i in range(10)]
    for i, col in enumerate(grid.columns):
        ax.barh(grid.index.astype(str), grid[col], left=left, label=str(col), color=colors[i % 10])
        left += grid[col].to_numpy()
    ax.xaxis.set_major_formatter(lambda v, _: fmt_fr(v))
    ax.set_xlabel(column_label("nb_lls"))
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def lec_chart(
    table: pd.DataFrame,
    *,
    niveau: str = "reservataire",
    title: str = "Objectifs d'attribution (loi Égalité et Citoyenneté)",
    names: Mapping[str, str] | None = None,
) -> Figure:
    """Draw the rate of each objective against its target, one group of bars per unit of ``niveau``.

    Parameters
    ----------
    table
        Output of :func:`peuplement.lec.lec_indicators`.
    niveau
        The level of units drawn (``reservataire``, ``bailleur``, ``commune``).
    title
        Title of the figure.
    names
        How a reader names each unit (``{"Etat": "État"}``…); the unit's code otherwise.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; :func:`save_figure` writes it.
    """
    rows = table[(table["niveau"] == niveau) & table["taux"].notna()]
    objectives = [
        o for o in ("A", "A_hors_relogement", "B", "prioritaires") if o in set(rows["objectif"])
    ]
    units = sorted(rows["unite"].astype(str).unique())
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / max(1, len(objectives))
    colors = {
        "A": "#2166ac",
        "A_hors_relogement": "#67a9cf",
        "B": "#ef8a62",
        "prioritaires": "#7fbc41",
    }
    labels = {
        "A": "A : 1er quartile hors QPV",
        "A_hors_relogement": "A sans relogements",
        "B": "B : hors 1er quartile en QPV",
        "prioritaires": "Publics prioritaires",
    }
    x = np.arange(len(units))
    for i, obj in enumerate(objectives):
        sub = rows[rows["objectif"] == obj].set_index(
            rows.loc[rows["objectif"] == obj, "unite"].astype(str)
        )
        vals = sub["taux"].reindex(units).to_numpy()
        ax.bar(x + i * width, vals, width, color=colors[obj], label=labels[obj])
        target = float(sub["cible"].iloc[0]) if len(sub) else np.nan
        ax.hlines(
            target,
            x[0] - 0.1 + i * width,
            x[-1] + 0.1 + i * width,
            colors=colors[obj],
            linestyles="--",
            linewidth=1,
        )
    ticks = [(names or {}).get(unit, unit) for unit in units]
    ax.set_xticks(x + width * (len(objectives) - 1) / 2, ticks, fontsize=8)
    ax.yaxis.set_major_formatter(lambda v, _: fmt_fr(v, percent=True))
    ax.set_ylim(0, 1)
    ax.set_title(title + " — cibles en pointillés", fontsize=10)
    ax.legend(fontsize=7, ncols=2, loc="upper right")
    fig.tight_layout()
    return fig


def save_figure(
    fig: Figure,
    path: str | os.PathLike[str],
    *,
    formats: Sequence[str] = ("png", "pdf"),
    dpi: int = 300,
) -> list[Path]:
    """Write a figure to PNG (300 dpi) and PDF next to ``path`` (its suffix is replaced); close it.

    Parameters
    ----------
    fig
        The figure; it is closed.
    path
        The file name; its suffix is replaced by each format.
    formats
        Formats written.
    dpi
        Resolution of raster formats.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    base = Path(path).with_suffix("")
    written = []
    for fmt in formats:
        out = base.with_suffix(f".{fmt}")
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
        written.append(out)
    plt.close(fig)
    return written
