"""The streamed national ingestion's own parts: the set of identifiers met, block cutting."""

import numpy as np
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from peuplement.io._stream import _Seen

KEYS = st.one_of(st.none(), st.sampled_from(["A", "B", "C", "L1", "L2", "é", "x y", ""]))
BLOCKS = st.lists(st.lists(KEYS, max_size=30), min_size=1, max_size=5)


def expected_first(blocks):
    """A Python set, row by row: the reference."""
    seen, out = set(), []
    for block in blocks:
        flags = []
        for key in block:
            flags.append(key is None or key not in seen)
            if key is not None:
                seen.add(key)
        out.append(flags)
    return out


class _Merging(_Seen):
    """Runs merged after every second block, and a slot table that grows from 4 slots."""

    MAX_RUNS = 1
    MIN_BITS = 2


class _Clashing(_Seen):
    """Hashes that collide on purpose (by length), so every look-up goes to the text."""

    MAX_RUNS = 2

    @staticmethod
    def hash(keys):
        lengths = [len(k) if k is not None else 0 for k in keys.to_pylist()]
        return np.array(lengths, dtype=np.uint64)


@settings(max_examples=150, deadline=None)
@given(BLOCKS)
def test_seen_is_a_set_of_keys(blocks):
    for kind in (_Seen, _Merging, _Clashing):
        seen = kind()
        got = [seen.first_time(pa.array(b, pa.string())).tolist() for b in blocks]
        assert got == expected_first(blocks)


def test_seen_by_hand():
    seen = _Clashing()  # "A" and "B" share their first hash (length 1)
    assert seen.first_time(pa.array(["A", "B", "A", None, "CC"])).tolist() == [
        True,
        True,
        False,  # A again
        True,  # no key: never a duplicate
        True,
    ]
    assert seen.first_time(pa.array(["B", "C", "CC", "DD"])).tolist() == [False, True, False, True]


NUMBERS = st.lists(
    st.one_of(
        st.none(),
        st.integers(-5, 3000).map(str),
        st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.2f}"),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(
            [
                "",
                " ",
                "12,5",
                "1 234",
                "1\u202f234,5",
                "-0",
                "+7",
                "3.0",
                "1e3",
                "inf",
                "-inf",
                "nan",
                "deux",
                "0x10",
                "9007199254740993",
                "١٢",
                " 42 ",
                "1e999",
                "-12,5",
                ".5",
            ]
        ),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(NUMBERS)
@example(["nan"])  # Arrow reads it as NaN, the loader rejects it: found by this test
@example(["3", "deux", "12,5", None])
def test_numbers_parse_as_the_loader_parses(cells):
    """Arrow's cast for plain numbers and the loader's parser for the others give, together,
    exactly the loader's values, faults and empty cells, for every kind of number."""
    import pandas as pd

    from peuplement.io._spec import PARSERS, Field
    from peuplement.io._stream import RowRules
    from peuplement.validation import LoadReport

    raw = pa.array(cells, pa.string())
    for kind in ("count", "year", "number", "nonneg"):
        f = Field("v", kind)
        rules = RowRules([f], {"v": "V"}, LoadReport("t"), None, frozenset())
        got = rules._parse_number(f, raw)
        expected = PARSERS[kind](pd.Series(cells, dtype="string"), None)
        wrong = expected.wrong.to_numpy(dtype=bool)
        values = np.array(expected.values.astype("float64").to_numpy(na_value=np.nan))
        values[wrong] = np.nan
        mine = np.asarray(pa.array(got.values).cast(pa.float64()).to_numpy(zero_copy_only=False))
        assert got.wrong.tolist() == wrong.tolist(), kind
        np.testing.assert_array_equal(mine, values)
        assert got.missing.tolist() == expected.missing.fillna(False).to_numpy(bool).tolist(), kind
