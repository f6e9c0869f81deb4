"""crmkit clv: the repeat-buying summary, time and discount conversions, referral value, the pipeline."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from crmkit.clv import parse_duration, period_rate, referral_values, repeat_summary
from crmkit.errors import UsageError


def tx(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["is_return"] = frame["amount"] < 0
    return frame


@pytest.mark.parametrize("text, days", [("52w", 364), ("365d", 365), ("12m", 365.25), ("1y", 365.25),
                                        ("2 weeks", 14), ("1.5y", 547.875), ("4q", 365.25)])
def test_parse_duration(text, days):
    assert parse_duration(text) == pytest.approx(days)


def test_parse_duration_rejects():
    with pytest.raises(UsageError, match="12m, 52w"):
        parse_duration("soon")


def test_period_rate_compounds_the_annual_rate():
    assert period_rate(0.10, "year") == pytest.approx(0.10)
    weekly = period_rate(0.10, "week")
    assert (1 + weekly) ** (365.25 / 7) == pytest.approx(1.10)
    assert period_rate(0.0, "month") == 0.0
    with pytest.raises(UsageError):
        period_rate(-2, "week")


def test_repeat_summary_hand_computed():
    t = tx([("a", "2024-01-01", 10.0), ("a", "2024-01-08", 20.0), ("a", "2024-01-08", 5.0),
            ("a", "2024-01-15", 40.0), ("a", "2024-01-20", -5.0), ("b", "2024-01-03", 5.0)])
    s = repeat_summary(t, date(2024, 1, 29), unit="week").set_index("customer_id")
    a = s.loc["a"]
    assert a.x == 2                                   # two repeat purchase days
    assert a["t_x"] == pytest.approx(2.0) and a["T"] == pytest.approx(4.0)
    assert a.monetary == pytest.approx((25.0 + 40.0) / 2)   # mean of the repeat days' purchases
    assert a.revenue == pytest.approx(70.0)            # net of the return
    assert s.loc["b"].x == 0 and np.isnan(s.loc["b"].monetary)
    # discrete periods for BG/BB: weeks 1 and 2 after the first purchase had purchases
    assert a.x_periods == 2 and a.t_x_period == 2 and a.n == 4


def test_repeat_summary_cdnow_matches_published_totals(shared_dataset):
    from crmkit.data import read_purchases

    data = read_purchases(str(shared_dataset("cdnow_sample.csv")))
    s = repeat_summary(data, date(1997, 9, 30), unit="week")
    assert len(s) == 2357 and s["customer_id"].iloc[0] == "0001"
    assert s["x"].sum() == 2457
    assert s["t_x"].sum() == pytest.approx(16135.57, abs=0.01)
    assert s["T"].sum() == pytest.approx(77111.29, abs=0.01)
    assert (s["x"] > 0).sum() == 946


def test_referral_values():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue": [100.0, 50.0, 10.0],
                              "clv": [20.0, 30.0, 5.0]})
    referrals = pd.DataFrame({"referrer_id": ["a", "a", "b"], "referred_id": ["b", "c", "zz"]})
    values = referral_values(customers, referrals, credit_share=0.5)
    # a brought b (50 + 30) and c (10 + 5); b brought someone who never bought
    assert values.tolist() == [pytest.approx(47.5), 0.0, 0.0]


def test_read_referrals_chinese_headers_and_duplicates(write):
    from crmkit.data import read_referrals

    path = write("ref.csv", "推荐人,被推荐人,日期\n0001,0002,2024-01-01\n0001,0003,2024-01-02\n0004,0002,2024-02-01\n"
                            "0005,,2024-02-02\n", "gb18030")
    frame = read_referrals(path)
    assert frame.values.tolist() == [["0001", "0002"], ["0001", "0003"]]


def test_read_referrals_unknown_columns(write):
    from crmkit.data import read_referrals
    from crmkit.errors import ColumnError

    with pytest.raises(ColumnError, match="referrer id"):
        read_referrals(write("r.csv", "a,b\n1,2\n"))
