import pandas as pd
import pytest

from peuplement import SchemaError
from peuplement.secrecy import apply_secrecy


def table():
    return pd.DataFrame(
        {
            "epci": ["A", "A", "A", "B", "B", "B"],
            "commune": ["a1", "a2", "a3", "b1", "b2", "b3"],
            "menages": [5, 40, 30, 4, 3, 50],
            "q1": [2, 10, 9, 1, 1, 20],
        }
    )


def test_primary_and_secondary():
    out = apply_secrecy(table(), count="menages", masked=["menages", "q1"], groups=["epci"])
    # a1 (5 < 11) is alone in A: the smallest other cell of A (a3, 30) goes too, so a1
    # cannot be recovered from A's total. B has two primary cells: nothing more.
    assert out["secret"].tolist() == ["primaire", "", "secondaire", "primaire", "primaire", ""]
    assert out["q1"].isna().tolist() == [True, False, True, True, True, False]
    assert out["menages"].notna().sum() == 2


def test_threshold_and_off():
    out = apply_secrecy(table(), count="menages", masked=["q1"], threshold=4)
    assert out["secret"].tolist() == ["", "", "", "", "primaire", ""]
    off = apply_secrecy(table(), count="menages", masked=["q1"], enabled=False)
    assert (off["secret"] == "désactivé").all() and off["q1"].tolist() == table()["q1"].tolist()


def test_missing_column():
    with pytest.raises(SchemaError, match="missing column"):
        apply_secrecy(table(), count="nb", masked=["q1"])


def test_a_unit_without_household_is_published():
    # A zero count reveals no household ("sans attribution"): it is published, and it is
    # never picked as the secondary cell either, since masking it would protect nothing
    # (its value, 0, is known from the unit having no attribution).
    t = pd.DataFrame(
        {"epci": ["A"] * 4, "commune": ["a0", "a1", "a2", "a3"], "menages": [0, 5, 40, 30],
         "q1": [0, 2, 10, 9]}
    )  # fmt: skip
    out = apply_secrecy(t, count="menages", masked=["menages", "q1"], groups=["epci"])
    assert out["secret"].tolist() == ["", "primaire", "", "secondaire"]
    assert out.loc[0, ["menages", "q1"]].tolist() == [0, 0]
