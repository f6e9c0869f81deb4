"""Complaints in the customer structure: complainers and complaint rates per 1,000 customers of each value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmkit.feedback import complaint_signals
from crmkit.io.complaints import read_complaints
from crmkit.profile import COMPLAINT_MEASURES, MEASURES, customer_structure

EX = Path(__file__).resolve().parents[1] / "examples"
AS_OF = "2024-03-01"
SALES = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "c", "d", "e"],
        "amount": [10, 30, 15, 5, 20, 8],
        "date": ["2024-01-01", "2024-02-01", "2024-01-15", "2024-02-10", "2024-02-12", "2024-02-20"],
    }
)
MEMBERS = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "e", "z"], "性别": ["女", "女", "男", "男", "男", "女"]})
# a: open; b: two, both resolved; c: resolved after as_of (open at it); d: opened after as_of (not counted);
# z: bought nothing (in no table); e: never complained
EXPORT = pd.DataFrame(
    {
        "customer_id": ["a", "b", "b", "c", "d", "z"],
        "date": ["2024-02-02", "2024-01-20", "2024-02-05", "2024-02-25", "2024-03-05", "2024-02-01"],
        "status": ["open", "closed", "closed", "closed", "open", "open"],
        "resolved_at": [None, "2024-01-21", "2024-02-06", "2024-03-03", None, None],
    }
)


def _table(result, name="gender"):
    return result.tables[name].set_index("value")


def test_rates_by_hand():
    result = customer_structure(SALES, MEMBERS, AS_OF, complaints=EXPORT)
    table = _table(result)
    # female: a, b both complained (a open) -> 2 of 2 = 1000, open 1 of 2 = 500
    # male: c, d, e; only c complained by as_of, and c's complaint is open then -> 333.3 and 333.3
    assert table.loc["female", "complainers"] == 2
    assert table.loc["female", "complaint_rate"] == pytest.approx(1000.0)
    assert table.loc["female", "open_complaint_rate"] == pytest.approx(500.0)
    assert table.loc["male", "complainers"] == 1
    assert table.loc["male", "complaint_rate"] == pytest.approx(1000 / 3)
    assert table.loc["male", "open_complaint_rate"] == pytest.approx(1000 / 3)
    columns = list(result.tables["gender"].columns)
    assert columns[2 : 2 + len(MEASURES) + 3] == [*MEASURES, *COMPLAINT_MEASURES]
    assert result.complaints and result.to_dict()["complaints"] is True
    customers = result.customers.set_index("customer_id")
    assert customers["complaints"].to_dict() == {"a": 1, "b": 2, "c": 1, "d": 0, "e": 0}
    assert customers["open_complaints"].to_dict() == {"a": 1, "b": 0, "c": 1, "d": 0, "e": 0}
    keys = [note.key for note in result.notes]
    assert "profile_complaints" in keys and "profile_complainers_without_purchases" in keys
    note = next(n for n in result.notes if n.key == "profile_complaints")
    assert str(note) == "3 of 5 purchasing customers complained up to 2024-03-01, 2 with a complaint still open"


def test_ranking_and_measures_stay_as_they_are():
    plain = customer_structure(SALES, MEMBERS, AS_OF)
    found = customer_structure(SALES, MEMBERS, AS_OF, complaints=EXPORT)
    pd.testing.assert_frame_equal(plain.ranking, found.ranking)
    for name, table in plain.tables.items():
        kept = [c for c in table.columns if not c.startswith("rung:")]
        pd.testing.assert_frame_equal(found.tables[name][kept], table[kept])
    assert not plain.complaints and "complainers" not in plain.tables["gender"].columns


def test_every_form_of_complaints_agrees(tmp_path):
    expected = customer_structure(SALES, MEMBERS, AS_OF, complaints=EXPORT).tables["gender"]
    path = tmp_path / "complaints.csv"
    EXPORT.to_csv(path, index=False)
    read = read_complaints(EXPORT)
    for given in (read, complaint_signals(read, AS_OF), str(path)):
        table = customer_structure(SALES, MEMBERS, AS_OF, complaints=given).tables["gender"]
        pd.testing.assert_frame_equal(table, expected)


def test_rows_carry_the_complaint_columns():
    rows = customer_structure(SALES, MEMBERS, AS_OF, complaints=EXPORT).rows()
    assert set(COMPLAINT_MEASURES) <= set(rows.columns)


def test_examples_rates():
    result = customer_structure(
        str(EX / "sales.csv"), str(EX / "customers.csv"), complaints=str(EX / "complaints.csv"), rungs=False
    )
    tier = result.tables["gender"]
    assert int(tier["complainers"].sum()) == 299
    overall = 1000 * tier["complainers"].sum() / tier["customers"].sum()
    assert overall == pytest.approx(59.8)
    weighted = (tier["complaint_rate"] * tier["customers"]).sum() / tier["customers"].sum()
    assert weighted == pytest.approx(overall)
