"""Tests for crmkit.retention: hand-computed cohort tables, blank vs zero, invariants, labels."""

from __future__ import annotations

import doctest
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crmkit.retention
from crmkit.errors import UsageError
from crmkit.retention import RetentionResult, cohort_retention

NAN = np.nan


def transactions(rows):
    """A transactions frame from (customer_id, "YYYY-MM-DD", amount) rows; negative amounts are returns."""
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["amount"] = frame["amount"].astype(float)
    frame["is_return"] = frame["amount"] < 0
    return frame


# Four customers over January-April 2024, analysed on 15 April (April only partly observed).
# a: two purchases in January (a repeat within k = 0), one in March plus a return in March.
# b: January purchase, a return in February (not a purchase: b is inactive in February),
#    a purchase in the partial April.
# c: February and March purchases, and one in May, after as_of (ignored).
# d: one purchase in February.
TINY = transactions(
    [
        ("a", "2024-01-05", 10),
        ("a", "2024-01-20", 5),
        ("a", "2024-03-02", 20),
        ("a", "2024-03-10", -5),
        ("b", "2024-01-15", 30),
        ("b", "2024-02-01", -10),
        ("b", "2024-04-05", 7),
        ("c", "2024-02-10", 12),
        ("c", "2024-03-15", 8),
        ("c", "2024-05-01", 100),
        ("d", "2024-02-28", 4),
    ]
)
AS_OF = date(2024, 4, 15)


def expect(table, rows, columns=None):
    """Compare a result table with hand-computed rows (NaN where blank)."""
    columns = list(range(len(next(iter(rows.values()))))) if columns is None else columns
    expected = pd.DataFrame(
        list(rows.values()), index=pd.Index(list(rows), name="cohort"), columns=pd.Index(columns, name="k"), dtype=float
    )
    pd.testing.assert_frame_equal(table, expected, check_index_type=False, check_column_type=False)


@pytest.fixture(scope="module")
def tiny():
    return cohort_retention(TINY, AS_OF)


def test_tiny_cohort_size_and_customers(tiny):
    assert isinstance(tiny, RetentionResult)
    assert tiny.cohort_size.to_dict() == {"2024-01": 2, "2024-02": 2}
    # Jan cohort: both at k=0, nobody in February (b only returned), a in March.
    expect(tiny.customers, {"2024-01": [2, 0, 1], "2024-02": [2, 1, NAN]})


def test_tiny_retention(tiny):
    expect(tiny.retention, {"2024-01": [1.0, 0.0, 0.5], "2024-02": [1.0, 0.5, NAN]})


def test_tiny_revenue(tiny):
    # Returns reduce revenue in the period they happen: Feb -10 for b, March 20 - 5 for a.
    expect(tiny.revenue, {"2024-01": [45.0, -10.0, 15.0], "2024-02": [16.0, 8.0, NAN]})
    expect(tiny.revenue_retention, {"2024-01": [1.0, -10 / 45, 15 / 45], "2024-02": [1.0, 0.5, NAN]})


def test_tiny_repeat_rate(tiny):
    # a repeats in January (k=0); b only in April (not observable); c in March (k=1 of Feb).
    expect(tiny.repeat_rate, {"2024-01": [0.5, 0.5, 0.5], "2024-02": [0.0, 0.5, NAN]})


def test_tiny_churn_rate(tiny):
    # Jan k=1: both January actives are gone; k=2: nobody was active in k=1, undefined.
    # Feb k=1: d of {c, d} is gone.
    expect(tiny.churn_rate, {"2024-01": [1.0, NAN], "2024-02": [0.5, NAN]}, columns=[1, 2])


def test_tiny_summary(tiny):
    assert tiny.summary == {
        "customers": 4,
        "cohorts": 2,
        "retention_1": 0.25,
        "retention_3": None,
        "retention_6": None,
        "retention_12": None,
    }
    assert (tiny.period, tiny.occasion, tiny.as_of, tiny.include_partial) == ("month", "day", AS_OF, False)


def test_include_partial_reports_the_running_period():
    result = cohort_retention(TINY, AS_OF, include_partial=True)
    expect(result.customers, {"2024-01": [2, 0, 1, 1], "2024-02": [2, 1, 0, NAN]})
    # c's May purchase of 100 is after as_of: February cohort's April revenue is 0, not 100.
    expect(result.revenue, {"2024-01": [45.0, -10.0, 15.0, 7.0], "2024-02": [16.0, 8.0, 0.0, NAN]})
    expect(result.repeat_rate, {"2024-01": [0.5, 0.5, 0.5, 1.0], "2024-02": [0.0, 0.5, 0.5, NAN]})
    # Jan k=3: a (active in March) is gone, b came back: churn 1.0 although retention stayed 0.5.
    expect(result.churn_rate, {"2024-01": [1.0, NAN, 1.0], "2024-02": [0.5, 1.0, NAN]}, columns=[1, 2, 3])


def test_as_of_on_last_day_of_a_period_makes_it_observable():
    result = cohort_retention(TINY, date(2024, 3, 31))
    assert list(result.retention.columns) == [0, 1, 2]
    one_day_earlier = cohort_retention(TINY, date(2024, 3, 30))
    assert list(one_day_earlier.retention.columns) == [0, 1]
    assert one_day_earlier.retention.loc["2024-02"].isna().tolist() == [False, True]


def test_later_as_of_counts_later_purchases():
    result = cohort_retention(TINY, date(2024, 5, 31))
    assert result.customers.loc["2024-02", 3] == 1.0
    assert result.revenue.loc["2024-02", 3] == 100.0


def test_blank_versus_zero():
    frame = transactions([("x", "2024-01-10", 5), ("y", "2024-03-03", 9)])
    result = cohort_retention(frame, date(2024, 3, 31))
    # January cohort: February and March observed, nobody came back -> 0.0, not NaN.
    assert result.retention.loc["2024-01"].tolist() == [1.0, 0.0, 0.0]
    assert result.revenue.loc["2024-01"].tolist() == [5.0, 0.0, 0.0]
    # March cohort: April and May are not observable yet -> NaN, not 0.0.
    assert result.retention.loc["2024-03", 0] == 1.0
    assert result.retention.loc["2024-03", [1, 2]].isna().all()
    assert result.customers.loc["2024-03", [1, 2]].isna().all()


def test_cohort_of_the_running_period_is_blank_by_default():
    frame = transactions([("x", "2024-01-10", 5), ("y", "2024-02-03", 9)])
    result = cohort_retention(frame, date(2024, 2, 10))
    assert result.cohort_size.to_dict() == {"2024-01": 1, "2024-02": 1}
    assert result.retention.loc["2024-02"].isna().all()
    assert cohort_retention(frame, date(2024, 2, 10), include_partial=True).retention.loc["2024-02", 0] == 1.0


def test_return_only_customer_is_not_a_cohort_member():
    frame = transactions([("x", "2024-01-10", 5), ("r", "2024-01-12", -3)])
    result = cohort_retention(frame, date(2024, 1, 31))
    assert result.cohort_size.to_dict() == {"2024-01": 1}
    assert result.revenue.loc["2024-01", 0] == 5.0


def test_no_purchases_gives_empty_tables():
    result = cohort_retention(TINY, date(2023, 12, 31))
    assert result.retention.empty and result.cohort_size.empty
    assert result.summary["customers"] == 0 and result.summary["retention_1"] is None


def test_order_occasions_count_two_orders_on_one_day_as_a_repeat():
    frame = transactions([("x", "2024-01-10", 5), ("x", "2024-01-10", 6), ("y", "2024-01-11", 2)])
    frame["order_id"] = ["o1", "o2", "o3"]
    by_order = cohort_retention(frame, date(2024, 1, 31), occasion="order")
    by_day = cohort_retention(frame, date(2024, 1, 31), occasion="day")
    assert by_order.repeat_rate.loc["2024-01", 0] == 0.5
    assert by_day.repeat_rate.loc["2024-01", 0] == 0.0
    assert by_order.revenue.loc["2024-01", 0] == by_day.revenue.loc["2024-01", 0] == 13.0


def test_week_labels_are_iso_weeks_starting_monday():
    frame = transactions(
        [
            ("a", "2024-01-29", 1),  # Monday of ISO week 5
            ("b", "2024-02-04", 1),  # Sunday: still week 5
            ("c", "2024-02-05", 1),  # Monday: week 6
            ("d", "2024-12-30", 1),  # ISO week 1 of 2025
            ("a", "2024-02-06", 1),
        ]
    )
    result = cohort_retention(frame, date(2025, 1, 5), period="week")  # a Sunday: the 2025-W01 week is complete
    assert result.cohort_size.to_dict() == {"2024-W05": 2, "2024-W06": 1, "2025-W01": 1}
    assert result.customers.loc["2024-W05", 1] == 1.0
    assert result.retention.loc["2025-W01", 0] == 1.0
    assert result.retention.loc["2025-W01", [1, 2]].isna().all()


def test_quarter_labels():
    frame = transactions([("a", "2024-02-10", 1), ("b", "2024-11-30", 1), ("a", "2024-05-01", 1)])
    result = cohort_retention(frame, date(2024, 12, 31), period="quarter")
    assert list(result.cohort_size.index) == ["2024-Q1", "2024-Q4"]
    expect(result.retention, {"2024-Q1": [1.0, 1.0, 0.0, 0.0], "2024-Q4": [1.0, NAN, NAN, NAN]})


@pytest.mark.parametrize("period", ["day", "year", "Month", ""])
def test_bad_period_is_a_usage_error(period):
    with pytest.raises(UsageError, match="period"):
        cohort_retention(TINY, AS_OF, period=period)


def test_bad_occasion_and_as_of_are_usage_errors():
    with pytest.raises(UsageError, match="occasion"):
        cohort_retention(TINY, AS_OF, occasion="week")
    with pytest.raises(UsageError, match="as_of"):
        cohort_retention(TINY, "15/04/2024")


def test_as_of_accepts_timestamp_and_iso_text(tiny):
    for as_of in (pd.Timestamp("2024-04-15"), "2024-04-15"):
        pd.testing.assert_frame_equal(cohort_retention(TINY, as_of).retention, tiny.retention)


def test_purchase_data_input(write):
    from crmkit.io.purchases import read_purchases

    path = write(
        "sales.csv",
        "customer_id,date,amount\n"
        + "".join(
            f"{c},{d},{a}\n" for c, d, a in zip(TINY.customer_id, TINY.date.dt.strftime("%Y-%m-%d"), TINY.amount)
        ),
    )
    result = cohort_retention(read_purchases(path), AS_OF)
    expect(result.retention, {"2024-01": [1.0, 0.0, 0.5], "2024-02": [1.0, 0.5, NAN]})


def test_docstring_example_runs():
    failures, _ = doctest.testmod(crmkit.retention, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


# --- invariants ---------------------------------------------------------------------------

_START = date(2023, 1, 1)
_rows = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 400), st.floats(0.5, 500), st.booleans()), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(
    rows=_rows,
    as_of_day=st.integers(0, 450),
    period=st.sampled_from(["week", "month", "quarter"]),
    include_partial=st.booleans(),
)
def test_invariants(rows, as_of_day, period, include_partial):
    frame = transactions([(f"c{c}", (_START + timedelta(days=d)).isoformat(), -a if r else a) for c, d, a, r in rows])
    as_of = _START + timedelta(days=as_of_day)
    result = cohort_retention(frame, as_of, period=period, include_partial=include_partial)

    seen = frame[frame.date.dt.date <= as_of]
    buyers = seen.loc[~seen.is_return, "customer_id"].nunique()
    assert result.cohort_size.sum() == buyers == result.summary["customers"]
    assert (result.cohort_size > 0).all()

    retention = result.retention.to_numpy()
    observed = ~np.isnan(retention)
    assert ((retention[observed] >= 0) & (retention[observed] <= 1)).all()
    assert (retention[observed[:, 0], 0] == 1.0).all()
    # Blank cells form each row's tail: once a period is unobservable, later ones are too.
    assert (np.diff(observed.astype(int), axis=1) <= 0).all()

    customers = result.customers.to_numpy()
    size = result.cohort_size.to_numpy()[:, None]
    assert (customers[observed] <= np.broadcast_to(size, customers.shape)[observed]).all()
    for name in ("customers", "revenue", "revenue_retention", "repeat_rate"):
        assert (np.isnan(getattr(result, name).to_numpy()) >= ~observed).all(), name
    assert (np.isnan(result.revenue.to_numpy()) == ~observed).all()

    repeat = result.repeat_rate.to_numpy()
    assert ((repeat[observed] >= 0) & (repeat[observed] <= 1)).all()
    steps = np.diff(repeat, axis=1)
    assert (steps[~np.isnan(steps)] >= -1e-12).all()

    churn = result.churn_rate.to_numpy()
    assert ((churn[~np.isnan(churn)] >= 0) & (churn[~np.isnan(churn)] <= 1 + 1e-12)).all()
