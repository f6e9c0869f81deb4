"""Tests of the synthetic purchase generator (crmkit.synth)."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import UsageError
from crmkit.pareto import top_share
from crmkit.synth import CDNOW_PARAMS, COLUMNS, generate_sales, main, write_large_sales, write_sales

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sales.csv"


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return generate_sales()


def test_same_seed_same_frame_other_seed_other_frame():
    first = generate_sales(n_customers=300, seed=7)
    pd.testing.assert_frame_equal(first, generate_sales(n_customers=300, seed=7))
    other = generate_sales(n_customers=300, seed=8)
    assert not first.equals(other)


def test_defaults_are_the_published_cdnow_estimates():
    defaults = {name: param.default for name, param in inspect.signature(generate_sales).parameters.items()}
    assert {key: defaults[key] for key in CDNOW_PARAMS} == CDNOW_PARAMS
    assert defaults["seed"] == 20261123 and defaults["n_customers"] == 5000


def test_columns_and_types(sales):
    assert list(sales.columns) == COLUMNS
    for text in ("order_id", "customer_id", "order_date", "channel", "category", "status"):
        assert pd.api.types.is_string_dtype(sales[text]), text
    assert pd.api.types.is_integer_dtype(sales["quantity"])
    assert pd.api.types.is_float_dtype(sales["amount"])
    assert sales["customer_id"].str.fullmatch(r"\d{6}").all()
    assert sales["customer_id"].str.startswith("0").any()  # leading zeros kept
    assert sales["order_id"].str.fullmatch(r"SO\d{7}").all()
    assert sales["order_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert set(sales["channel"]) == {"online", "store", "app", "wechat"}
    assert set(sales["status"]) == {"completed", "returned"}
    assert sales["customer_id"].nunique() == 5000


def test_id_width_pads_customer_ids():
    ids = generate_sales(n_customers=20, seed=1, id_width=9)["customer_id"]
    assert ids.str.len().eq(9).all() and "000000001" in set(ids)
    with pytest.raises(UsageError):
        generate_sales(n_customers=100, id_width=2)


def test_amount_is_quantity_times_unit_price_in_cents(sales):
    assert np.allclose(sales["amount"], sales["quantity"] * sales["unit_price"], atol=0.005)
    assert np.allclose(sales["amount"], sales["amount"].round(2))
    assert np.allclose(sales["unit_price"], sales["unit_price"].round(2))
    assert (sales["unit_price"] > 0).all()


def test_rows_sorted_by_date_then_order(sales):
    keys = list(zip(sales["order_date"], sales["order_id"]))
    assert keys == sorted(keys)


def test_completed_orders_are_positive_and_unique(sales):
    completed = sales[sales["status"] == "completed"]
    assert (completed["quantity"] >= 1).all() and (completed["amount"] > 0).all()
    assert completed["order_id"].is_unique


def test_returns_follow_their_order_and_stay_in_window(sales):
    completed = sales[sales["status"] == "completed"].set_index("order_id")
    returns = sales[sales["status"] == "returned"]
    assert 0.02 < len(returns) / len(completed) < 0.04  # return_rate = 0.03
    assert (returns["quantity"] < 0).all() and (returns["amount"] < 0).all()
    assert returns["order_id"].is_unique
    bought = completed.loc[returns["order_id"]]
    assert (bought["customer_id"].to_numpy() == returns["customer_id"].to_numpy()).all()
    assert (returns["order_date"].to_numpy() >= bought["order_date"].to_numpy()).all()
    assert (-returns["quantity"].to_numpy() <= bought["quantity"].to_numpy()).all()
    assert (returns["order_date"] <= "2024-12-31").all()
    assert (sales["order_date"] >= "2023-01-01").all()


def test_return_rate_zero_means_no_returns():
    assert (generate_sales(n_customers=200, return_rate=0.0)["status"] == "completed").all()


def test_repeat_buying_and_revenue_concentration_are_plausible(sales):
    orders = sales[sales["status"] == "completed"].groupby("customer_id").size()
    one_time_share = float((orders == 1).mean())
    assert 0.40 <= one_time_share <= 0.60
    net_revenue = sales.groupby("customer_id")["amount"].sum()
    assert 0.60 <= top_share(net_revenue.to_numpy(), 0.2) <= 0.75
    # Gamma-Gamma mean order value p γ / (q - 1) = 35.22 with the CDNOW estimates.
    completed = sales.loc[sales["status"] == "completed", "amount"]
    assert 32 < completed.mean() < 39


def test_customers_are_acquired_across_the_window(sales):
    first = sales.groupby("customer_id")["order_date"].min()
    assert (first < "2024-01-01").mean() > 0.55  # more early than late
    assert (first >= "2024-07-01").any()


@pytest.mark.parametrize(
    "bad",
    [
        dict(n_customers=0),
        dict(return_rate=1.5),
        dict(q=1.0),
        dict(r=0),
        dict(start="2024-13-01"),
        dict(start="2024-01-02", end="2024-01-01"),
    ],
)
def test_bad_arguments_raise_usage_error(bad):
    with pytest.raises(UsageError):
        generate_sales(**bad)


def test_write_large_sales_exact_rows_unique_ids(tmp_path):
    path = tmp_path / "large.csv"
    assert write_large_sales(path, 2_500, seed=3, chunk_rows=700) == 2_500
    large = pd.read_csv(path, dtype=str)
    assert list(large.columns) == COLUMNS and len(large) == 2_500
    completed = large[large["status"] == "completed"]
    assert completed["order_id"].is_unique
    # Each chunk is date-sorted, so a chunk starts where the date goes back; ids of a
    # later chunk must all be above those of the one before (offset, never reused).
    chunk = (large["order_date"] < large["order_date"].shift()).cumsum()
    assert chunk.max() >= 3  # 2,500 rows / 700
    ids = large["customer_id"].astype(int).groupby(chunk).agg(["min", "max"])
    assert (ids["min"].iloc[1:].to_numpy() > ids["max"].iloc[:-1].to_numpy()).all()
    assert 4 <= len(large) / large["customer_id"].nunique() <= 10
    assert path.read_text(encoding="utf-8").count("order_id") == 1  # header once


def test_write_large_sales_is_deterministic(tmp_path):
    write_large_sales(tmp_path / "a.csv", 900, seed=5, chunk_rows=400)
    write_large_sales(tmp_path / "b.csv", 900, seed=5, chunk_rows=400)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_main_writes_the_same_file_as_the_library(tmp_path):
    assert main(["--customers", "120", "--seed", "9", "-o", str(tmp_path / "cli.csv")]) == 0
    write_sales(generate_sales(n_customers=120, seed=9), tmp_path / "lib.csv")
    assert (tmp_path / "cli.csv").read_bytes() == (tmp_path / "lib.csv").read_bytes()
    assert main(["--rows", "150", "--chunk-rows", "60", "-o", str(tmp_path / "rows.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "rows.csv")) == 150


def test_main_rejects_bad_values(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--customers", "0", "-o", str(tmp_path / "none.csv")])
    assert exit_info.value.code == 2
    assert "n_customers must be at least 1" in capsys.readouterr().err


@pytest.mark.skipif(not EXAMPLE.exists(), reason="examples/sales.csv not present")
def test_example_file_is_the_documented_default_output(sales):
    on_disk = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False, encoding="utf-8")
    expected = sales.astype({"quantity": str})
    for money in ("unit_price", "amount"):
        expected[money] = sales[money].map("{:.2f}".format)
    pd.testing.assert_frame_equal(on_disk, expected.astype(str), check_dtype=False)


def test_survey_is_seeded_linked_and_on_scale():
    from crmkit.satisfaction import load_model
    from crmkit.synth import generate_survey

    sales = generate_sales(n_customers=600, seed=3)
    a = generate_survey(sales, 200, seed=5)
    b = generate_survey(sales, 200, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["customer_id"]) <= set(sales["customer_id"]) and a["customer_id"].is_unique
    items = load_model("ecsi").items
    answers = a[items].stack()
    assert answers.between(1, 10).all()
    assert a["recommend"].between(0, 10).all() and a["csat"].between(1, 5).all()
    assert 0 < a[items].isna().mean().mean() < 0.06
    # items of one construct correlate more with each other than with another construct's
    within = a[["CUSA1", "CUSA2"]].corr().iloc[0, 1]
    across = a[["CUSA1", "IMAG5"]].corr().iloc[0, 1]
    assert within > across


def test_examples_survey_matches_the_generator():
    from crmkit.synth import generate_survey

    path = Path(__file__).resolve().parents[1] / "examples" / "survey.csv"
    if not path.is_file():
        pytest.skip("examples/survey.csv not generated")
    saved = pd.read_csv(path, dtype={"customer_id": str, "channel": str})
    fresh = generate_survey(generate_sales(), 800)
    assert saved["customer_id"].tolist() == fresh["customer_id"].tolist()
    assert (saved["CUSA1"].fillna(-1).to_numpy() == fresh["CUSA1"].fillna(-1).to_numpy()).all()
