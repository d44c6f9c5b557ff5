import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from peuplement import SchemaError
from peuplement.schema import (
    fold,
    normalize_insee,
    normalize_qpv,
    place_key,
    resolve_columns,
    to_count,
)


def test_insee_repairs_leading_zero_and_keeps_corsica():
    check = normalize_insee(
        pd.Series(["1001", "01001", "2a004", "2B033", "59001.0", " 59574 ", "ABCDE", "123", None])
    )
    assert check.values.tolist()[:6] == ["01001", "01001", "2A004", "2B033", "59001", "59574"]
    assert check.repaired.tolist() == [True, False, True, False, True, False, False, False, False]
    assert check.invalid.tolist() == [False] * 6 + [True, True, False]
    assert check.missing.tolist() == [False] * 8 + [True]


@given(st.integers(min_value=1001, max_value=97699))
def test_insee_survives_integer_conversion(number):
    # A code read as an integer by a spreadsheet comes back with its leading zero.
    code = f"{number:05d}"
    assert normalize_insee(pd.Series([str(number)])).values.iloc[0] == code


def test_qpv_generations():
    codes = pd.Series(
        ["QP059034", "QN05901M", "QP02A001", "QN075033", "qp059001", "", "HQ", "QP59001"]
    )
    c2015 = normalize_qpv(codes, generation=2015)
    assert c2015.values.tolist()[:5] == ["QP059034", pd.NA, "QP02A001", pd.NA, "QP059001"]
    assert c2015.invalid.tolist() == [False, True, False, True, False, False, False, True]
    assert c2015.missing.tolist()[5:7] == [True, True]
    c2024 = normalize_qpv(codes, generation=2024)
    assert c2024.values.notna().tolist()[:4] == [False, True, False, True]
    with pytest.raises(SchemaError, match="génération de QPV inconnue 2030"):
        normalize_qpv(codes, generation=2030)


def test_fold_and_place_key():
    assert fold("Écaillon") == "ecaillon"
    assert fold("Rœulx") == "roeulx"
    assert place_key("Le Quesnoy") == place_key("Quesnoy") == "quesnoy"
    assert place_key("L'Épinette") == "epinette"


def test_resolve_columns_matches_aliases_case_and_space_insensitively():
    frame = pd.DataFrame(columns=["depcom ", "NB_LS", "Autre"])
    found = resolve_columns(
        frame,
        {"code_insee": ("DEPCOM",), "nb_lls": ("NB_LS",)},
        required=["code_insee"],
        source="f.csv",
    )
    assert found == {"code_insee": "depcom ", "nb_lls": "NB_LS"}


def test_resolve_columns_error_names_file_column_found_and_fix():
    frame = pd.DataFrame(columns=["commune", "NB_LOG"])
    with pytest.raises(
        SchemaError,
        match=r"rpls\.csv : colonne\(s\) manquante\(s\) `code_insee` \(ou 'DEPCOM'\) ; colonnes trouvées : \['commune', 'NB_LOG'\].*columns=\{",
    ):
        resolve_columns(
            frame, {"code_insee": ("DEPCOM",)}, required=["code_insee"], source="rpls.csv"
        )


def test_resolve_columns_explicit_mapping_wins_and_is_checked():
    frame = pd.DataFrame(columns=["c", "DEPCOM"])
    assert resolve_columns(
        frame,
        {"code_insee": ("DEPCOM",)},
        required=["code_insee"],
        source="f",
        columns={"c": "code_insee"},
    ) == {"code_insee": "c"}
    with pytest.raises(SchemaError, match="nomme une colonne absente du fichier"):
        resolve_columns(frame, {}, required=[], source="f", columns={"zz": "code_insee"})


def test_to_count_french_formats():
    values, bad = to_count(
        pd.Series(["1 234", "12", "-3", "2,5", "abc", None, "7,0", "1\u202f000"])
    )
    assert values.tolist() == [1234, 12, pd.NA, pd.NA, pd.NA, pd.NA, 7, 1000]
    assert bad.tolist() == [False, False, True, True, True, False, False, False]
