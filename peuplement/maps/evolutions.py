"""Charts and a map of the observatoire over time: trends, comparisons, fragility of quartiers.

Static matplotlib figures with French labels, percentages shown as percentages, and
changes of definition marked on every trend (a dashed line and a note).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from peuplement._errors import SchemaError, preview
from peuplement.fmt import fmt_fr, fmt_signed
from peuplement.geo import check_projected
from peuplement.maps._common import MISSING_COLOR, MISSING_LABEL, classify_values
from peuplement.territory import Territory

__all__ = ["comparison_chart", "fragility_bars", "fragility_map", "trend_chart"]

_LEVEL_STYLE = {
    "EPCI": ("#b2182b", "-"),
    "département": ("#2166ac", "--"),
    "région": ("#4d9221", "-."),
    "France": ("#404040", ":"),
}


def _percent_axis(ax: Axes, percent: bool) -> None:
    if percent:
        ax.yaxis.set_major_formatter(lambda v, _: fmt_fr(v, percent=True))
    else:
        ax.yaxis.set_major_formatter(lambda v, _: fmt_fr(v, digits=None))


def trend_chart(
    changes: pd.DataFrame,
    indicateur: str,
    *,
    by: str | None = None,
    labels: pd.Series | None = None,
    label: str,
    percent: bool = False,
    year: str = "annee",
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Line chart of one indicator over the years, one line per unit, ruptures marked.

    Parameters
    ----------
    changes
        Output of :func:`peuplement.indicators.trends.changes`.
    indicateur
        The indicator drawn.
    by
        The unit column (one line each); ``None`` for a single series.
    labels
        Names of the units (indexed by the ``by`` values), for the legend.
    label
        French label of the value (y axis).
    percent
        The value is a share in [0, 1].
    year
        The year column.
    title
        Title of the figure; a default one when ``None``.
    source
        Source line under the figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; :func:`peuplement.maps.save_figure` writes it.
    """
    rows = changes[changes["indicateur"] == indicateur]
    if rows.empty:
        raise SchemaError(
            f"trend_chart : indicateur {indicateur!r} absent ; présents : "
            f"{preview(sorted(changes['indicateur'].unique()))}"
        )
    fig, ax = plt.subplots(figsize=(8, 4.5))
    groups = rows.groupby(by, sort=True) if by else [(None, rows)]
    for key, sub in groups:
        name = str(labels.get(key, key)) if labels is not None and key is not None else key
        ax.plot(sub[year], sub["valeur"], marker="o", label=name)
    ruptures = sorted(rows.loc[rows["rupture"], year].unique())
    for r in ruptures:
        ax.axvline(r - 0.5, color="#7f7f7f", linestyle="--", linewidth=1)
        ax.annotate(
            "changement de définition",
            (r - 0.5, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            ha="center",
            va="bottom",
            color="#555555",
        )
    years = sorted(rows[year].dropna().unique())
    ax.set_xticks(years, [str(int(y)) for y in years])
    _percent_axis(ax, percent)
    ax.set_ylabel(label)
    ax.grid(axis="y", color="#e0e0e0")
    if by:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    if title:
        ax.set_title(title, fontsize=11)
    if source:
        fig.text(0.01, 0.01, source, fontsize=7, color="#444444")
    fig.tight_layout()
    return fig


def comparison_chart(
    comparison: pd.DataFrame,
    indicateur: str,
    *,
    label: str,
    percent: bool = False,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Draw the EPCI beside its department, region and France over the years, for one indicator.

    ``comparison`` is :func:`peuplement.indicators.trends.compare_with_references` output.

    Parameters
    ----------
    comparison
        :func:`peuplement.indicators.trends.compare_with_references` output.
    indicateur
        The indicator drawn.
    label
        French label of the value (y axis).
    percent
        The value is a share in [0, 1].
    title
        Title of the figure; a default one when ``None``.
    source
        Source line under the figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; :func:`peuplement.maps.save_figure` writes it.
    """
    rows = comparison[
        (comparison["indicateur"] == indicateur) & comparison["valeur"].notna()
    ].sort_values("annee")
    if rows.empty:
        raise SchemaError(f"comparison_chart : aucune valeur pour l'indicateur {indicateur!r}")
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for niveau, sub in rows.groupby("niveau", sort=False):
        color, style = _LEVEL_STYLE.get(str(niveau), ("#999999", "-"))
        name = f"{niveau} — {sub['territoire'].iloc[0]}" if niveau != "France" else "France"
        ax.plot(sub["annee"], sub["valeur"], marker="o", color=color, linestyle=style, label=name)
    years = sorted(rows["annee"].unique())
    ax.set_xticks(years, [str(int(y)) for y in years])
    _percent_axis(ax, percent)
    ax.set_ylabel(label)
    ax.grid(axis="y", color="#e0e0e0")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=11)
    if source:
        fig.text(0.01, 0.01, source, fontsize=7, color="#444444")
    fig.tight_layout()
    return fig


def fragility_bars(
    table: pd.DataFrame,
    *,
    title: str = "Évolution du taux de pauvreté des quartiers prioritaires",
    source: str | None = None,
) -> Figure:
    """Draw the change in poverty rate (points) of each quartier, those "en voie de fragilisation" in red.

    ``table`` is :func:`peuplement.indicators.fragility.fragilisation` output.

    Parameters
    ----------
    table
        :func:`peuplement.indicators.fragility.fragilisation` output.
    title
        Title of the figure; a default one when ``None``.
    source
        Source line under the figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; :func:`peuplement.maps.save_figure` writes it.
    """
    rows = table.dropna(subset=["variation_pauvrete_points"]).iloc[::-1]
    names = rows["nom_qpv"] if "nom_qpv" in rows else rows["code_qpv"]
    colors = np.where(rows["en_voie_de_fragilisation"], "#b2182b", "#92c5de")
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.5))
    ax.barh(names.astype(str), rows["variation_pauvrete_points"], color=colors)
    for y, v in enumerate(rows["variation_pauvrete_points"]):
        text = fmt_signed(v, digits=1, unit="pt")
        ax.annotate(text, (v, y), ha="left" if v >= 0 else "right", va="center", fontsize=8)
    ax.axvline(0, color="#404040", linewidth=0.8)
    ax.margins(x=0.18)  # room for the value labels beyond the longest bars
    ax.set_xlabel("Variation du taux de pauvreté entre le premier et le dernier millésime (points)")
    ax.legend(
        handles=[
            Patch(color="#b2182b", label="En voie de fragilisation"),
            Patch(color="#92c5de", label="Autres quartiers"),
        ],
        fontsize=8,
        loc="lower right",
    )
    ax.set_title(title, fontsize=11)
    if source:
        fig.text(0.01, 0.01, source, fontsize=7, color="#444444")
    fig.tight_layout()
    return fig


def fragility_map(
    territory: Territory,
    table: pd.DataFrame,
    column: str,
    *,
    label: str,
    percent: bool = False,
    breaks: Sequence[float] | None = None,
    k: int = 4,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Map the quartiers of a territory coloured by ``column`` (one row per ``code_qpv``), communes outlined.

    Parameters
    ----------
    territory
        Communes and QPV.
    table
        One row per ``code_qpv``.
    column
        The value drawn.
    label
        French label of the value (legend).
    percent
        The value is a share in [0, 1].
    breaks
        Class bounds; by default ``k`` quantile classes.
    k
        Number of classes.
    title
        Title of the figure; a default one when ``None``.
    source
        Source line under the figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; :func:`peuplement.maps.save_figure` writes it.
    """
    if "code_qpv" not in table.columns or column not in table.columns:
        raise SchemaError(
            f"fragility_map : la table doit avoir 'code_qpv' et {column!r} ; trouvées "
            f"{preview(map(str, table.columns))}"
        )
    check_projected(territory.qpv, what="fragility_map")
    data = territory.qpv.merge(table[["code_qpv", column]], on="code_qpv", how="left")
    scheme = "quantiles" if breaks is None else "user"
    classes = classify_values(data[column], scheme=scheme, k=k, breaks=breaks, percent=percent)
    colors = [(classes.colors + [MISSING_COLOR])[i] for i in classes.index]
    fig, ax = plt.subplots(figsize=(8.27, 7))
    territory.communes.plot(ax=ax, facecolor="#f7f7f7", edgecolor="#9e9e9e", linewidth=0.5)
    data.plot(ax=ax, color=colors, edgecolor="#404040", linewidth=0.8)
    for _, row in data.iterrows():
        point = row.geometry.representative_point()
        ax.annotate(str(row["code_qpv"]), (point.x, point.y), fontsize=6, ha="center")
    handles = [
        Patch(facecolor=c, edgecolor="#404040", label=lab)
        for c, lab in zip(classes.colors, classes.labels, strict=True)
    ]
    if (classes.index < 0).any():
        handles.append(Patch(facecolor=MISSING_COLOR, label=MISSING_LABEL))
    ax.legend(handles=handles, title=label, loc="lower right", fontsize=8, title_fontsize=9)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=12)
    if source:
        fig.text(0.02, 0.02, source, fontsize=7, color="#444444")
    fig.tight_layout()
    return fig
