"""Tests of the renewal-file reader, contract_value, the generator and the contract command."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.contract import contract_value, period_rate
from crmkit.errors import ColumnError, CrmkitError, DataError
from crmkit.io.renewals import read_renewals, renewals_between
from crmkit.synth_contracts import PLANS, write_example


@pytest.fixture
def contract_labels():
    """The contract catalogue in LABELS (until the lead merges it into crmkit.report.i18n)."""
    from crmkit.report import i18n
    from crmkit.report.catalogue_contract import CONTRACT_LABELS

    missing = {k: v for k, v in CONTRACT_LABELS.items() if k not in i18n.LABELS}
    i18n.LABELS.update(missing)
    yield CONTRACT_LABELS
    for key in missing:
        del i18n.LABELS[key]


def _csv(tmp_path, text, name="r.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_cohort_table_matches_published_fit(shared_dataset):
    result = contract_value(shared_dataset("sbg_retention.csv"), interval=0.9, draws=400)
    fit = result.fit.set_index("cohort")
    assert fit.loc["regular", "alpha"] == pytest.approx(0.704, abs=5e-4)
    assert fit.loc["high_end", "beta"] == pytest.approx(3.806, abs=5e-4)
    assert fit.loc["regular", "log_likelihood"] == pytest.approx(-1680.27, abs=5e-3)
    assert result.headline["period"] == "year"  # the header says year: the 10% is per year
    p = result.projection
    assert set(p.columns) >= {"survival", "survival_low", "survival_high", "actual", "retention"}
    assert np.all(p["survival_low"] <= p["survival"] + 1e-12)
    assert np.all(p["survival"] <= p["survival_high"] + 1e-12)
    assert result.customers is None
    with pytest.raises(CrmkitError):
        result.view("customers")
    # the survivors after 7 years are worth n_7 * DERL(7 renewals)
    m = result.models["regular"]
    expected = 241 * m.derl(0.1, 7)[0] + 491 * result.models["high_end"].derl(0.1, 7)[0]
    assert result.headline["residual_value"] == pytest.approx(expected)
    json.dumps(result.to_dict(), default=str)


def test_renewals_between_hand_cases():
    assert renewals_between(date(2024, 1, 15), date(2024, 2, 14), "month") == 0
    assert renewals_between(date(2024, 1, 15), date(2024, 2, 15), "month") == 1
    assert renewals_between(date(2024, 1, 1), date(2024, 12, 31), "quarter") == 3
    assert renewals_between(date(2024, 1, 1), date(2024, 1, 15), "week") == 2


def test_customer_rows_to_renewals(tmp_path):
    text = (
        "customer_id,start,end,fee\n"
        "a,2024-01-01,2024-03-15,10\n"  # passed Feb 1 and Mar 1, then cancelled: 2 renewals, churned
        "b,2024-01-01,2024-02-01,10\n"  # ended on her first renewal date: 0 renewals, churned
        "c,2024-01-10,,10\n"  # active at as-of 2024-06-01: Feb..May 10 -> 4 renewals
        "d,2024-05-01,2024-06-01,\n"
    )
    r = read_renewals(_csv(tmp_path, text), as_of=date(2024, 6, 1))
    f = r.frame.set_index("customer_id")
    assert f["renewals"].tolist() == [2, 0, 4, 0]
    assert f["churned"].tolist() == [True, True, False, True]
    assert np.isnan(f.loc["d", "fee"])


def test_chinese_headers_gbk(tmp_path):
    text = (
        "客户编号,套餐,开始日期,结束日期,月费\nA1,基础,2024-01-01,2024-03-15,30\nA2,基础,2024-01-01,,30\n合计,,,,60\n"
    )
    r = read_renewals(_csv(tmp_path, text, encoding="gbk"))
    assert r.kind == "customers" and r.frame["cohort"].tolist() == ["基础", "基础"]
    assert r.frame["fee"].tolist() == [30.0, 30.0]


@pytest.mark.parametrize(
    ("text", "row", "column"),
    [
        ("customer_id,start,end\na,2024-01-01,2023-12-01\n", 2, "end"),
        ("customer_id,start,end\na,someday,\n", 2, "start"),
        ("customer_id,start,end\na,2024-01-01,\na,2024-02-01,\n", 3, "customer_id"),
        ("customer_id,start,fee\na,2024-01-01,ten\n", 2, "fee"),
        ("year,regular\n0,100\n1,120\n", 3, "regular"),
        ("year,regular\n0,100\n1,x\n", 3, "regular"),
        ("year,regular\n0,100\n2,50\n", 3, "year"),
        ("year,regular\n1,100\n2,50\n", 2, "year"),
        ("year,regular\n0,100\n1,-5\n", 3, "regular"),
    ],
)
def test_bad_input_names_file_row_column(tmp_path, text, row, column):
    path = _csv(tmp_path, text)
    with pytest.raises(DataError) as info:
        contract_value(path)
    assert info.value.file == path and info.value.row == row and info.value.column == column


def test_unknown_layout_is_a_column_error(tmp_path):
    with pytest.raises(ColumnError):
        contract_value(_csv(tmp_path, "foo,bar\n1,2\n"))


def test_example_recovers_planted_parameters(tmp_path):
    path = write_example(tmp_path / "renewals.csv")
    result = contract_value(path, interval=0.9, draws=200)
    fit = result.fit.set_index("cohort")
    for plan, (alpha, beta, _fee) in PLANS.items():
        assert fit.loc[plan, "alpha"] == pytest.approx(alpha, abs=2.5 * fit.loc[plan, "alpha_se"])
        assert fit.loc[plan, "beta"] == pytest.approx(beta, abs=2.5 * fit.loc[plan, "beta_se"])
    c = result.customers
    assert len(c) == result.headline["active"] and (c["residual_value"] > 0).all()
    assert c["value_per_period"].isin([30.0, 80.0]).all()
    # the model's survival follows the Kaplan-Meier curve where many are at risk
    p = result.projection[(result.projection["cohort"] == "basic") & (result.projection["period"] <= 6)]
    assert np.max(np.abs(p["survival"] - p["actual"])) < 0.03


def test_zh_example_reads_the_same(tmp_path):
    en = contract_value(write_example(tmp_path / "en.csv", n=600))
    zh = contract_value(write_example(tmp_path / "zh.csv", n=600, lang="zh"))
    pd.testing.assert_frame_equal(en.fit, zh.fit)


def test_period_rate():
    assert period_rate(0.1, "year") == pytest.approx(0.1)
    assert (1 + period_rate(0.1, "month")) ** 12 == pytest.approx(1.1)


def test_value_per_period_scales_values(tmp_path):
    table = pd.DataFrame({"period": ["0", "1", "2", "3"], "a": ["500", "300", "220", "180"]})
    one = contract_value(table, period="year")
    ten = contract_value(table, period="year", value_per_period=10.0)
    assert ten.headline["residual_value"] == pytest.approx(10 * one.headline["residual_value"])


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet='ab1,"x-/ 年', max_size=6),
            st.sampled_from(["2024-01-01", "2024-13-01", "", "x", "2023-06-30"]),
            st.sampled_from(["", "2024-05-01", "2023-01-01", "bad", "2024-02-29"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_file_gives_a_result_or_a_crmkit_error(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("fuzz") / "r.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        import csv

        w = csv.writer(f)
        w.writerow(["customer_id", "start", "end"])
        w.writerows(rows)
    try:
        contract_value(str(path))
    except CrmkitError:
        pass


def test_contract_command_writes_views_and_report(tmp_path, capsys, contract_labels):
    from crmkit.report.commands import Output, Run
    from crmkit.report.contract_command import contract_command
    from crmkit.report.files import OutputPlan

    src = write_example(tmp_path / "renewals.csv", n=500)
    out_csv = tmp_path / "fit.csv"
    plan = OutputPlan()
    contract_command(
        str(src), out=Output(format="csv", output=str(out_csv)), run=Run(quiet=True, plan=plan), view="fit"
    )
    plan.commit()
    assert pd.read_csv(out_csv)["cohort"].tolist() == ["basic", "premium"]
    plan = OutputPlan()
    contract_command(str(src), out=Output(format="table"), run=Run(quiet=True, plan=plan), interval=0.8)
    plan.commit()
    shown = capsys.readouterr().out
    assert "sBG fit per cohort" in shown and "Survival 80%" in shown and "S0" in shown


def test_sheet_in_both_languages(tmp_path, contract_labels):
    from openpyxl import load_workbook

    from crmkit.report.excel import ReportWorkbook
    from crmkit.report.sheets.contract import add_contract_sheets

    result = contract_value(write_example(tmp_path / "r.csv", n=400), interval=0.9, draws=100)
    for lang in ("en", "zh"):
        book = ReportWorkbook(lang)
        add_contract_sheets(book, result)
        path = book.save(tmp_path / f"{lang}.xlsx")
        sheet = load_workbook(path).worksheets[0]
        assert sheet.title == contract_labels["sheet:contract"][lang]
        assert len(sheet._charts) == 1


def test_horizon_periods():
    from crmkit.errors import UsageError
    from crmkit.report.contract_command import horizon_periods

    assert horizon_periods("52w", "month") == 12
    assert horizon_periods(6, "year") == 6
    for bad in ("0", "soon", "-3m", "1x"):
        with pytest.raises(UsageError):
            horizon_periods(bad, "month")
