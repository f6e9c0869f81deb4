"""Issue 15's options through the command line (typer's CliRunner): ``crmkit clv --interval``,
``--window``, ``--horizon inf``, ``--covariate``, ``--spend-model``, ``--model sbg`` and ``crmkit
satisfaction --consistent``, ``--predict``, ``--mga``.

The data are the bundled, generated examples (``examples/sales.csv``, ``customers.csv``,
``renewals.csv``, ``survey.csv``); every output is written under ``tmp_path``.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit.cli import app

EX = Path(__file__).resolve().parents[1] / "examples"
SALES, ATTRIBUTES = str(EX / "sales.csv"), str(EX / "customers.csv")
RENEWALS, SURVEY = str(EX / "renewals.csv"), str(EX / "survey.csv")
runner = CliRunner()


def _run(args: list) -> object:
    return runner.invoke(app, [str(a) for a in args])


def _ok(args: list):
    result = _run(args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def with_intervals(tmp_path_factory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("clv") / "clv.csv"
    _ok(["clv", SALES, "--interval", "0.9", "--window", "1y-3y", "--margin", "0.3", "-q", "-f", "csv", "-o", out])
    return pd.read_csv(out, dtype={"customer_id": str})


def test_interval_columns_follow_their_estimates_and_bracket_them(with_intervals):
    columns = list(with_intervals.columns)
    for name in ("p_alive", "expected_purchases", "expected_spend", "clv"):
        at = columns.index(name)
        assert columns[at + 1 : at + 3] == [f"{name}_low", f"{name}_high"]
        low, mid, high = (with_intervals[c] for c in (f"{name}_low", name, f"{name}_high"))
        assert ((low <= mid + 1e-9) & (mid <= high + 1e-9)).all(), name
    assert {"next_purchase_median", "next_purchase_date", "next_purchase_low", "next_purchase_high"} <= set(columns)
    assert {"dert", "dert_value", "window_purchases", "window_value"} <= set(columns)
    # the window is part of the infinite horizon, and both are worth no less than nothing
    assert (with_intervals["window_purchases"] <= with_intervals["dert"] * 10).all()
    assert (with_intervals["dert_value"] >= 0).all()


def test_json_has_the_totals_and_a_holdout_verdict(tmp_path):
    out, params = tmp_path / "clv.json", tmp_path / "params.json"
    _ok(["clv", SALES, "--interval", "0.9", "--holdout", "26w", "-q", "-f", "json", "-o", out, "--params-out", params])
    assert "p_alive_low" in json.loads(out.read_text())[0]  # -f json: the customer rows
    doc = json.loads(params.read_text())
    totals = {row["quantity"]: row for row in doc["totals"]}
    assert {"expected_purchases", "clv", "holdout_purchases"} <= set(totals)
    holdout = totals["holdout_purchases"]
    assert holdout["low"] <= holdout["estimate"] <= holdout["high"]
    assert holdout["inside"] == (holdout["low"] <= holdout["actual"] <= holdout["high"])
    assert len(doc["model"]["cov"]) == len(doc["model"]["params"])


def test_infinite_horizon_values_customers_by_their_dert(tmp_path):
    finite, infinite = tmp_path / "finite.csv", tmp_path / "inf.csv"
    _ok(["clv", SALES, "--horizon", "10y", "--margin", "0.3", "-q", "-f", "csv", "-o", finite])
    _ok(["clv", SALES, "--horizon", "inf", "--margin", "0.3", "-q", "-f", "csv", "-o", infinite])
    a, b = (pd.read_csv(p, dtype={"customer_id": str}).set_index("customer_id") for p in (finite, infinite))
    pd.testing.assert_series_equal(b["clv"], b["dert_value"], check_names=False)
    assert (b["clv"] >= a["clv"] - 1e-6).all()  # ten years are part of forever


def test_covariates_give_a_coefficient_table(tmp_path):
    out = tmp_path / "cov.json"
    result = _ok(
        ["clv", SALES, "--model", "pnbd", "--covariate", "tier", "--attributes", ATTRIBUTES]
        + ["-f", "csv", "-o", tmp_path / "cov.csv", "--params-out", out]
    )
    assert "reference level" in result.output
    doc = json.loads(out.read_text())
    table = pd.DataFrame(doc["coefficients"])
    assert list(table.columns) == ["process", "covariate", "estimate", "se", "z", "p_value"]
    assert set(table["process"]) == {"purchase", "dropout", "spend"}
    assert table["covariate"].str.startswith("tier=").all() and (table["se"] > 0).all()


def test_normal_spend_model_runs_and_is_recorded(tmp_path):
    out = tmp_path / "normal.json"
    _ok(["clv", SALES, "--spend-model", "normal", "-q", "-f", "csv", "-o", tmp_path / "n.csv", "--params-out", out])
    doc = json.loads(out.read_text())
    assert doc["spend_model"]["model"] == "normal"
    assert set(doc["spend_model"]["params"]) == {"mu", "tau", "sigma"}


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["--interval", "1.5"], 2, "--interval"),
        (["--covariate", "tier"], 2, "--attributes"),
        (["--spend-model", "lognormal"], 2, "--spend-model"),
        (["--window", "3y-1y"], 2, "end after it starts"),
        (["--model", "bgbb", "--covariate", "tier", "--attributes", ATTRIBUTES], 2, "bgnbd and pnbd"),
        (["--covariate", "nosuch", "--attributes", ATTRIBUTES], 4, "nosuch"),
    ],
)
def test_bad_model_options_are_one_clear_line(args, code, text, tmp_path):
    result = _run(["clv", SALES, *args, "-q", "-f", "csv", "-o", tmp_path / "x.csv"])
    assert result.exit_code == code, result.output
    assert text in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.csv").exists()


def test_sbg_views_and_workbook(tmp_path):
    fit, book = tmp_path / "fit.csv", tmp_path / "contract.xlsx"
    _ok(["clv", RENEWALS, "--model", "sbg", "--view", "fit", "-q", "-f", "csv", "-o", fit, "--report", book])
    table = pd.read_csv(fit)
    assert list(table["cohort"]) == ["basic", "premium"]
    assert table.loc[0, "alpha"] == pytest.approx(0.98, abs=0.01) and table.loc[1, "beta"] == pytest.approx(
        8.92, abs=0.02
    )
    projection = tmp_path / "projection.csv"
    _ok(["clv", RENEWALS, "--model", "sbg", "--interval", "0.9", "-q", "-f", "csv", "-o", projection])
    survival = pd.read_csv(projection)
    for _, rows in survival.groupby("cohort"):
        assert rows["survival"].is_monotonic_decreasing and rows["survival"].between(0, 1).all()
    sheets = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert len(sheets) == 1 and "enewals" in sheets[0], sheets


def test_sbg_view_must_be_known(tmp_path):
    result = _run(["clv", RENEWALS, "--model", "sbg", "--view", "deciles", "-q", "-f", "csv", "-o", tmp_path / "x"])
    assert result.exit_code == 2 and "--view" in result.output


def test_satisfaction_methods_in_json(tmp_path):
    out = tmp_path / "sat.json"
    _ok(
        ["satisfaction", SURVEY, "--consistent", "--predict", "5", "--bootstrap", "100", "--seed", "3"]
        + ["--by", "channel", "--mga", "--permutations", "99", "-q", "-f", "json", "-o", out]
    )
    doc = json.loads(out.read_text())
    assert doc["fit"]["consistent"] is True
    for key in ("index_table", "htmt_ci", "indirect", "specific", "prediction", "mga", "micom"):
        assert doc.get(key), key
    mga = pd.DataFrame(doc["mga"])
    assert mga["p_value"].between(1 / 100, 1).all()
    micom = pd.DataFrame(doc["micom"])
    assert micom["configural"].all() and micom["c"].between(-1, 1 + 1e-12).all()


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--mga"], "--by"),
        (["--predict", "1"], "--predict"),
        (["--repetitions", "0", "--predict", "5"], "--repetitions"),
    ],
)
def test_bad_satisfaction_methods_are_usage_errors(args, text):
    result = _run(["satisfaction", SURVEY, *args, "-q", "-f", "json"])
    assert result.exit_code == 2, result.output
    assert text in result.output
