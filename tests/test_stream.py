"""The streamed national ingestion's own parts: the set of identifiers met, block cutting."""

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
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
    """Runs merged after every second block."""

    MAX_RUNS = 1


class _Clashing(_Seen):
    """First hashes that collide on purpose (by length), so the one-by-one path runs."""

    MAX_RUNS = 2

    @staticmethod
    def hash(keys):
        a, b = _Seen.hash(keys)
        lengths = np.array([len(k) if k is not None else 0 for k in keys.to_pylist()])
        return lengths.astype(np.uint64), b


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
