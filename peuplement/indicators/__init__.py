"""Indicators: pure functions, tables in, tables out, every territory in one grouped pass."""

from __future__ import annotations

from peuplement.indicators.concentration import (
    commune_concentration,
    count_dwellings,
    gini,
    herfindahl,
    landlord_concentration,
    lorenz,
    territory_concentration,
    top_share,
)
from peuplement.indicators.demand import demand_pressure
from peuplement.indicators.occupation import household_shares, rotation_rate
from peuplement.indicators.segregation import (
    entropy_decomposition,
    multigroup_segregation,
    segregation,
)
from peuplement.labels import INDICATOR_COLUMNS, dictionary

__all__ = [
    "DICTIONARY",
    "commune_concentration",
    "count_dwellings",
    "demand_pressure",
    "entropy_decomposition",
    "gini",
    "herfindahl",
    "household_shares",
    "landlord_concentration",
    "lorenz",
    "multigroup_segregation",
    "rotation_rate",
    "segregation",
    "territory_concentration",
    "top_share",
]

#: Data dictionary of the indicator columns, with French labels (exported as CSV by the CLI);
#: the words are those of :data:`peuplement.labels.COLUMNS`, shared with every export.
DICTIONARY = dictionary(INDICATOR_COLUMNS)
