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


@pytest.mark.parametrize(
    "text, days",
    [("52w", 364), ("365d", 365), ("12m", 365.25), ("1y", 365.25), ("2 weeks", 14), ("1.5y", 547.875), ("4q", 365.25)],
)
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
    t = tx(
        [
            ("a", "2024-01-01", 10.0),
            ("a", "2024-01-08", 20.0),
            ("a", "2024-01-08", 5.0),
            ("a", "2024-01-15", 40.0),
            ("a", "2024-01-20", -5.0),
            ("b", "2024-01-03", 5.0),
        ]
    )
    s = repeat_summary(t, date(2024, 1, 29), unit="week").set_index("customer_id")
    a = s.loc["a"]
    assert a.x == 2  # two repeat purchase days
    assert a["t_x"] == pytest.approx(2.0) and a["T"] == pytest.approx(4.0)
    assert a.monetary == pytest.approx((25.0 + 40.0) / 2)  # mean of the repeat days' purchases
    assert a.revenue == pytest.approx(70.0)  # net of the return
    assert s.loc["b"].x == 0 and np.isnan(s.loc["b"].monetary)
    # discrete periods for BG/BB: weeks 1 and 2 after the first purchase had purchases
    d = repeat_summary(t, date(2024, 1, 29), unit="week", discrete=True).set_index("customer_id").loc["a"]
    assert d.x_periods == 2 and d.t_x_period == 2 and d.n == 4


def test_repeat_summary_cdnow_matches_published_totals(shared_dataset):
    from crmkit.io.purchases import read_purchases

    data = read_purchases(str(shared_dataset("cdnow_sample.csv")))
    s = repeat_summary(data, date(1997, 9, 30), unit="week")
    assert len(s) == 2357 and s["customer_id"].iloc[0] == "0001"
    assert s["x"].sum() == 2457
    assert s["t_x"].sum() == pytest.approx(16135.57, abs=0.01)
    assert s["T"].sum() == pytest.approx(77111.29, abs=0.01)
    assert (s["x"] > 0).sum() == 946


def test_referral_values():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue": [100.0, 50.0, 10.0], "clv": [20.0, 30.0, 5.0]})
    referrals = pd.DataFrame({"referrer_id": ["a", "a", "b"], "referred_id": ["b", "c", "zz"]})
    values = referral_values(customers, referrals, credit_share=0.5)
    # a brought b (50 + 30) and c (10 + 5); b brought someone who never bought
    assert values.tolist() == [pytest.approx(47.5), 0.0, 0.0]


def test_read_referrals_chinese_headers_and_duplicates(write):
    from crmkit.io.inputs import read_referrals

    path = write(
        "ref.csv",
        "推荐人,被推荐人,日期\n0001,0002,2024-01-01\n0001,0003,2024-01-02\n0004,0002,2024-02-01\n0005,,2024-02-02\n",
        "gb18030",
    )
    frame = read_referrals(path)
    assert frame.values.tolist() == [["0001", "0002"], ["0001", "0003"]]


def test_read_referrals_unknown_columns(write):
    from crmkit.errors import ColumnError
    from crmkit.io.inputs import read_referrals

    with pytest.raises(ColumnError, match="referrer id"):
        read_referrals(write("r.csv", "a,b\n1,2\n"))


# --- the pipeline and the command --------------------------------------------------------

import json  # noqa: E402
from pathlib import Path  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from crmkit.cli import app  # noqa: E402
from crmkit.clv import customer_lifetime_value  # noqa: E402
from crmkit.synth import generate_sales  # noqa: E402

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sales(tmp_path_factory):
    path = tmp_path_factory.mktemp("clv") / "sales.csv"
    generate_sales(n_customers=1500, seed=7).to_csv(path, index=False)
    return str(path)


def test_clv_pipeline_invariants(sales):
    from crmkit.io.purchases import read_purchases

    data = read_purchases(sales)
    as_of = data.resolve_as_of()
    result = customer_lifetime_value(data, as_of, horizon="52w", margin=0.3)
    c = result.customers
    assert c["p_alive"].between(0, 1).all()
    assert (c["expected_purchases"] >= 0).all() and (c["clv"] >= 0).all()
    assert set(c["churn_risk"]) <= {"low", "medium", "high"}
    assert c["clv_decile"].between(1, 10).all()
    # decile 1 holds the most valuable customers
    means = c.groupby("clv_decile")["clv"].mean()
    assert means.is_monotonic_decreasing
    assert result.deciles["customers"].sum() == len(c)
    # zero margin, zero CLV; a longer horizon, more expected purchases
    zero = customer_lifetime_value(data, as_of, margin=0.0)
    assert (zero.customers["clv"] == 0).all()
    longer = customer_lifetime_value(data, as_of, horizon="104w", margin=0.3)
    assert (longer.customers["expected_purchases"] >= c["expected_purchases"] - 1e-9).all()
    # a discount lowers CLV
    undiscounted = customer_lifetime_value(data, as_of, margin=0.3, discount=0.0)
    assert (undiscounted.customers["clv"] >= c["clv"] - 1e-9).all()


def test_clv_few_repeat_buyers_fall_back_to_history(write):
    from crmkit.io.purchases import read_purchases

    data = read_purchases(
        write("few.csv", "customer_id,date,amount\na,2024-01-01,10\na,2024-02-01,20\nb,2024-01-15,5\n")
    )
    result = customer_lifetime_value(data, date(2024, 3, 1), horizon="12m", margin=1.0, discount=0.0)
    c = result.customers.set_index("customer_id")
    assert set(c["value_method"]) == {"historical"}
    assert any("too few" in w for w in result.warnings)
    # a: 2 purchases in 60 days (8.57 weeks): 2/8.57 per week x 52.18 weeks x average order 15
    weeks = 60 / 7
    assert c.loc["a", "expected_purchases"] == pytest.approx(2 / weeks * 365.25 / 7, rel=1e-6)
    assert c.loc["a", "clv"] == pytest.approx(2 / weeks * 365.25 / 7 * 15, rel=1e-2)


def test_clv_cli_run_params_and_report(sales, tmp_path):
    params = tmp_path / "params.json"
    report = tmp_path / "clv.xlsx"
    result = runner.invoke(
        app,
        [
            "clv",
            sales,
            "-f",
            "csv",
            "--margin",
            "0.3",
            "--holdout",
            "26w",
            "--params-out",
            str(params),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0].split(",")
    assert header[:9] == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
    ]
    saved = json.loads(params.read_text())
    assert set(saved["model"]["params"]) == {"r", "alpha", "a", "b"}
    assert set(saved["spend_model"]["params"]) == {"p", "q", "gamma"}
    assert saved["model"]["unit"] == "week" and saved["model"]["horizon"] == "52w"
    import openpyxl

    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames[:4] == ["CLV model", "CLV deciles", "P(alive)", "Holdout"]
    assert len(wb["CLV deciles"]._charts) == 1 and len(wb["Holdout"]._charts) == 2


@pytest.mark.parametrize(
    "model, names",
    [
        ("pnbd", {"r", "alpha", "s", "beta"}),
        ("mbgnbd", {"r", "alpha", "a", "b"}),
        ("bgbb", {"alpha", "beta", "gamma", "delta"}),
    ],
)
def test_clv_cli_other_models(sales, tmp_path, model, names):
    params = tmp_path / "p.json"
    unit = "month" if model == "bgbb" else "week"
    result = runner.invoke(
        app, ["clv", sales, "-f", "json", "-q", "--model", model, "--unit", unit, "--params-out", str(params)]
    )
    assert result.exit_code == 0, result.stderr
    assert set(json.loads(params.read_text())["model"]["params"]) == names
    assert all(0 <= r["p_alive"] <= 1 for r in json.loads(result.stdout))


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--model", "xyz"], 2, "--model must be one of"),
        (["--horizon", "soon"], 2, "12m, 52w"),
        (["--unit", "fortnight"], 2, "--unit must be one of"),
        (["--margin", "3"], 2, "--margin is a share"),
        (["--holdout", "600w"], 2, "too few repeat buyers|calibration"),
    ],
)
def test_clv_cli_failures(sales, args, code, message):
    import re

    result = runner.invoke(app, ["clv", sales, "-f", "csv", *args])
    assert result.exit_code == code, result.stderr
    assert re.search(message, result.stderr) and "Traceback" not in result.stderr


def test_clv_referrals_cli(sales, tmp_path):
    frame = pd.read_csv(sales, dtype=str)
    ids = frame["customer_id"].unique()
    referrals = tmp_path / "referrals.csv"
    referrals.write_text(f"referrer_id,referred_id\n{ids[0]},{ids[1]}\n{ids[0]},{ids[2]}\n")
    result = runner.invoke(app, ["clv", sales, "-f", "csv", "-q", "--margin", "0.3", "--referrals", str(referrals)])
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(__import__("io").StringIO(result.stdout), dtype={"customer_id": str}).set_index("customer_id")
    expected = out.loc[[ids[1], ids[2]], "revenue"].sum() + out.loc[[ids[1], ids[2]], "clv"].sum()
    assert out.loc[ids[0], "referral_value"] == pytest.approx(expected)
    assert out.loc[ids[0], "customer_value"] == pytest.approx(out.loc[ids[0], "clv"] + expected)


def test_cdnow_oracle_through_the_command(shared_dataset, tmp_path):
    params = tmp_path / "p.json"
    path = str(shared_dataset("cdnow_sample.csv"))
    for model, published, ll in [
        ("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, -9582.4),
        ("pnbd", {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}, -9595.0),
    ]:
        result = runner.invoke(
            app,
            [
                "clv",
                path,
                "--as-of",
                "1997-09-30",
                "--unit",
                "week",
                "--model",
                model,
                "-f",
                "csv",
                "-o",
                str(tmp_path / "out.csv"),
                "-q",
                "--params-out",
                str(params),
            ],
        )
        assert result.exit_code == 0, result.stderr
        saved = json.loads(params.read_text())
        for name, value in published.items():
            assert saved["model"]["params"][name] == pytest.approx(value, rel=0.005), (model, name)
        assert saved["model"]["log_likelihood"] == pytest.approx(ll, abs=0.1)
        gg = saved["spend_model"]["params"]
        for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
            assert gg[name] == pytest.approx(value, rel=0.005)


def test_cdnow_tracking_curve(shared_dataset):
    from crmkit.io.purchases import read_purchases

    data = read_purchases(str(shared_dataset("cdnow_sample.csv")))
    result = customer_lifetime_value(data, date(1998, 6, 30), calibration_end=date(1997, 9, 30), margin=1.0)
    tracking = result.holdout.tracking
    assert len(tracking) == 78 and tracking["actual_cumulative"].iloc[-1] == 2457 + 1882
    assert tracking["actual_cumulative"].is_monotonic_increasing
    assert tracking["expected_cumulative"].is_monotonic_increasing
    # the model tracks the cohort's cumulative repeat purchases within 5% at the end of week 78
    assert tracking["expected_cumulative"].iloc[-1] == pytest.approx(4339, rel=0.05)
    assert result.holdout.total_actual == 1882
