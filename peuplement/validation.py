"""Row accounting shared by the loaders and the analyses: what was rejected or repaired, and why.

Lives outside ``peuplement.io`` so that analysis modules (``lec``, ``indicators``) can record
rejections without importing loader internals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

import pandas as pd

from peuplement._errors import PeuplementError

__all__ = ["REJECTION_COLUMNS", "LoadReport", "Loaded", "drop_other_years"]

logger = logging.getLogger(__name__)

#: Columns of a rejection table: file, 1-based row (file line for text files, feature
#: number for geographic files), column at fault, value found, reason.
REJECTION_COLUMNS = ["fichier", "ligne", "colonne", "valeur", "motif"]

T = TypeVar("T")


@dataclass
class LoadReport:
    """What a loader read, kept, rejected and repaired.

    The accounting identity ``n_read == n_kept + n_rejected`` holds for every report;
    :meth:`close` checks it.
    """

    source: str
    n_read: int = 0
    n_kept: int = 0
    rejections: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=REJECTION_COLUMNS)
    )
    repairs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _repair_counts: list[int] = field(default_factory=list, repr=False)

    @property
    def n_rejected(self) -> int:
        """Number of input rows rejected (each counted once, whatever its number of faults).

        Returns
        -------
        int
            The count of distinct rejected row numbers.
        """
        return int(self.rejections["ligne"].nunique()) if len(self.rejections) else 0

    def reject(
        self, rows: pd.Series, *, column: str, values: pd.Series | None, reason: str
    ) -> None:
        """Record rejected rows: ``rows`` are their 1-based row numbers.

        Parameters
        ----------
        rows
            1-based row numbers of the rejected rows in the source file.
        column
            The column at fault.
        values
            The offending values, one per row; ``None`` when there is no single value.
        reason
            Why the rows are rejected.
        """
        if len(rows) == 0:
            return
        vals = values.astype("string").to_numpy() if values is not None else None
        frame = pd.DataFrame(
            {
                "fichier": self.source,
                "ligne": rows.to_numpy(),
                "colonne": column,
                "valeur": vals if vals is not None else pd.NA,
                "motif": reason,
            }
        )
        self.rejections = (
            frame
            if self.rejections.empty
            else pd.concat([self.rejections, frame], ignore_index=True)
        )
        logger.info(
            "%s : %d ligne(s) rejetée(s) : %s (colonne %s)", self.source, len(rows), reason, column
        )

    def drop(
        self,
        data: pd.DataFrame,
        mask: pd.Series,
        *,
        column: str,
        reason: str,
        values: pd.Series | None = None,
    ) -> pd.DataFrame:
        """Reject the kept rows of ``data`` selected by ``mask`` (after a cross-row check) and return the others.

        ``data`` must carry the ``ligne`` column of :func:`load_tabular`.

        Parameters
        ----------
        data
            The kept rows, with their ``ligne``.
        mask
            The rows to reject (missing counts as ``False``).
        column
            The column at fault.
        reason
            Why the rows are rejected.
        values
            The offending values, aligned with ``data``.

        Returns
        -------
        pandas.DataFrame
            The rows of ``data`` not rejected, with a fresh index.
        """
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return data
        self.reject(
            data.loc[mask, "ligne"],
            column=column,
            values=values[mask] if values is not None else None,
            reason=reason,
        )
        kept = data[~mask].reset_index(drop=True)
        self.close(len(kept))
        return kept

    def repair(self, message: str, count: int) -> None:
        """Record an unambiguous repair applied to ``count`` values.

        Parameters
        ----------
        message
            What was repaired.
        count
            How many values; nothing is recorded when 0.
        """
        if count:
            text = f"{message} ({count})"
            self.repairs.append(text)
            self._repair_counts.append(int(count))
            logger.info("%s : réparé : %s", self.source, text)

    def note(self, message: str) -> None:
        """Record a remark on the input that changed no value (ignored columns, assumptions).

        Parameters
        ----------
        message
            The remark.
        """
        self.notes.append(message)
        logger.info("%s : %s", self.source, message)

    def close(self, n_kept: int) -> LoadReport:
        """Set the kept count and check the accounting identity.

        Parameters
        ----------
        n_kept
            Rows kept.

        Returns
        -------
        LoadReport
            This report.
        """
        self.n_kept = int(n_kept)
        if self.n_read != self.n_kept + self.n_rejected:
            raise PeuplementError(
                f"{self.source} : comptage des lignes incohérent : {self.n_read} lues, "
                f"{self.n_kept} retenues, {self.n_rejected} rejetées. C'est une erreur de "
                "peuplement ; signalez-la aux développeurs avec le fichier."
            )
        return self

    @property
    def n_repaired(self) -> int:
        """Count the values repaired (the counts of :meth:`repair`, added up).

        Returns
        -------
        int
            The total.
        """
        return sum(self._repair_counts)

    def summary(self) -> str:
        """One line in French for the command line: read, kept, rejected, repaired.

        Returns
        -------
        str
            Rows read, kept, rejected and repaired.
        """
        text = (
            f"{self.source} : {self.n_read} lignes lues, {self.n_kept} retenues, "
            f"{self.n_rejected} rejetées, {self.n_repaired} valeurs réparées"
        )
        if self.repairs:
            text += f" ; réparations : {'; '.join(self.repairs)}"
        return text


class Loaded(NamedTuple, Generic[T]):
    """A loader's result: the normalised data and its :class:`LoadReport`."""

    data: T
    report: LoadReport


def drop_other_years(data: pd.DataFrame, report: LoadReport, annee: int) -> pd.DataFrame:
    """Reject, with their row, the attributions of another year than ``annee``.

    Parameters
    ----------
    data
        Attributions with ``annee`` and ``ligne``.
    report
        The report the rejections go to.
    annee
        The analysed year.

    Returns
    -------
    pandas.DataFrame
        The attributions of ``annee``.
    """
    return report.drop(
        data,
        data["annee"] != annee,
        column="annee",
        values=data["annee"],
        reason=f"attribution hors de l'année analysée {annee}",
    )
