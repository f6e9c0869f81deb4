"""``crmkit campaign``, ``feedback`` and ``economics`` through the command line (typer's CliRunner).

The data: a small campaign world of :mod:`crmkit.synth_campaigns` written under ``tmp_path``
(English sales headers, the Chinese campaign and loyalty headers the examples use), and the
bundled ``examples/complaints.csv`` with ``examples/sales.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.synth_campaigns import CAMPAIGN_COLUMNS_ZH, LOYALTY_COLUMNS_ZH, campaign_world

EX = Path(__file__).resolve().parents[1] / "examples"
SALES = str(EX / "sales.csv")
COMPLAINTS = str(EX / "complaints.csv")
runner = CliRunner()


def _run(args: list[str], **kwargs):
    return runner.invoke(app, [str(a) for a in args], **kwargs)


def _ok(args: list[str], **kwargs):
    result = _run(args, **kwargs)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """A 600-customer shop with a randomised campaign (planted +8 points for the coupon) and a programme."""
    folder = tmp_path_factory.mktemp("world")
    made = campaign_world(600, seed=3)
    paths = {"sales": folder / "sales.csv", "campaign": folder / "campaign.csv", "loyalty": folder / "loyalty.csv"}
    made.purchases.to_csv(paths["sales"], index=False, float_format="%.2f")
    campaign = made.campaign.copy()
    campaign.columns = CAMPAIGN_COLUMNS_ZH
    campaign.to_csv(paths["campaign"], index=False, encoding="utf-8-sig", float_format="%.2f")
    loyalty = made.loyalty.copy()
    loyalty.columns = LOYALTY_COLUMNS_ZH
    loyalty.to_csv(paths["loyalty"], index=False, encoding="utf-8-sig")
    return paths


# --- crmkit campaign ---------------------------------------------------------------------------
def test_campaign_effects_as_csv(world, tmp_path):
    out = tmp_path / "effects.csv"
    result = _ok(["campaign", world["sales"], "--campaign", world["campaign"], "--window", "30d,60d", "-o", out])
    effects = pd.read_csv(out)
    assert {"window", "arm", "metric", "difference", "ci_low", "ci_high", "p_value", "evidence"} <= set(effects)
    assert set(effects["window"]) == {"30d", "60d"} and set(effects["evidence"]) == {"randomised"}
    inside = effects.dropna(subset=["ci_low", "ci_high", "difference"])
    assert ((inside["ci_low"] <= inside["difference"]) & (inside["difference"] <= inside["ci_high"])).all()
    assert "crmkit: read" in result.stderr  # the read line on stderr, the rows in the file


def test_campaign_is_deterministic_and_reads_stdin(world, tmp_path):
    args = ["campaign", "-", "--campaign", world["campaign"], "-f", "csv", "-q"]
    first = _ok(args, input=world["sales"].read_bytes())
    again = _ok(["campaign", world["sales"], "--campaign", world["campaign"], "-f", "csv", "-q"])
    assert first.stdout == again.stdout and first.stdout.startswith("window,")


@pytest.mark.parametrize("view", ["arms", "economics", "segments", "power", "balance", "customers"])
def test_campaign_views(world, view):
    result = _ok(["campaign", world["sales"], "--campaign", world["campaign"], "--view", view, "-f", "csv", "-q"])
    assert len(result.stdout.splitlines()) > 1


def test_campaign_json_holds_every_table(world):
    result = _ok(["campaign", world["sales"], "--campaign", world["campaign"], "-f", "json", "-q", "--cost", "0.5"])
    payload = json.loads(result.stdout)
    assert {"effects", "economics", "power", "headline"} <= set(payload)
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout


def test_loyalty_programme(world, tmp_path):
    report = tmp_path / "loyalty.xlsx"
    args = ["campaign", world["sales"], "--loyalty", world["loyalty"], "--point-value", "0.01", "--report", report]
    result = _ok([*args, "-f", "csv", "-q"])
    assert "matched" in result.stdout
    book = openpyxl.load_workbook(report)
    assert any("oyalty" in name for name in book.sheetnames), book.sheetnames


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "give --campaign FILE"),
        (["CAMPAIGN", "--loyalty", "x.csv"], "give --campaign FILE"),
        (["CAMPAIGN", "--window", "soon"], "--window"),
        (["CAMPAIGN", "--ci", "jackknife"], "--ci must be welch or bootstrap"),
        (["CAMPAIGN", "--view", "nope"], "--view must be one of"),
        (["CAMPAIGN", "--margin", "3"], "--margin"),
        (["CAMPAIGN", "--cost", "-1"], "--cost must be zero or more"),
    ],
)
def test_campaign_usage_errors(world, extra, message):
    given = [a for part in extra for a in (["--campaign", world["campaign"]] if part == "CAMPAIGN" else [part])]
    result = _run(["campaign", world["sales"], *given])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_campaign_file_without_ids_is_a_column_error(world, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("分组,触达日期\n对照组,2025-03-03\n短信,2025-03-03\n", encoding="utf-8")
    result = _run(["campaign", world["sales"], "--campaign", bad])
    assert result.exit_code == 4, result.output
    assert result.stderr.count("crmkit: error:") == 1 and "bad.csv" in result.stderr


def test_campaign_input_is_never_overwritten(world):
    result = _run(["campaign", world["sales"], "--campaign", world["campaign"], "-o", world["campaign"]])
    assert result.exit_code == 7, result.output
    assert world["campaign"].read_bytes().startswith("\ufeff客户编号".encode())


# --- crmkit feedback ---------------------------------------------------------------------------
def test_feedback_without_purchases_counts_and_terms():
    result = _ok(["feedback", COMPLAINTS, "-f", "csv", "--view", "by_category"])
    table = pd.read_csv(pd.io.common.StringIO(result.stdout))
    assert table["complaints"].sum() == 352  # examples/README.md: 352 complaints
    assert "need" in result.stderr or "purchases" in result.stderr  # says what --purchases would add
    terms = _ok(["feedback", COMPLAINTS, "-f", "csv", "--view", "terms", "-q", "--terms", "3"])
    counted = pd.read_csv(pd.io.common.StringIO(terms.stdout))
    assert counted.groupby("category").size().max() <= 3


def test_feedback_outcomes_with_purchases():
    result = _ok(["feedback", COMPLAINTS, "--purchases", SALES, "--view", "outcomes", "-f", "csv", "-q"])
    outcomes = pd.read_csv(pd.io.common.StringIO(result.stdout)).set_index("group")
    assert list(outcomes.index) == ["resolved", "unresolved", "never"]
    # the planted service-recovery effect: resolved > never > unresolved
    assert outcomes.loc["resolved", "retention"] > outcomes.loc["never", "retention"]
    assert outcomes.loc["never", "retention"] > outcomes.loc["unresolved", "retention"]


def test_feedback_column_override_and_errors(tmp_path):
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "会员ID,创建时间,问题分类,状态\nA1,2024-03-01 10:00,物流,已解决\nA2,2024-03-02 11:00,质量,处理中\n",
        encoding="utf-8",
    )
    result = _ok(["feedback", tickets, "--column", "category=问题分类", "-f", "csv", "-q"])
    assert "物流" in result.stdout and "质量" in result.stdout
    bad = _run(["feedback", tickets, "--column", "category"])
    assert bad.exit_code == 2 and "ROLE=HEADER" in bad.stderr
    unknown = _run(["feedback", tickets, "--column", "colour=问题分类"])
    assert unknown.exit_code == 2 and "unknown role" in unknown.stderr
    no_date = tmp_path / "no_date.csv"
    no_date.write_text("客户编号,投诉类型\nA1,物流\n", encoding="utf-8")
    missing = _run(["feedback", no_date])
    assert missing.exit_code == 4 and missing.stderr.count("crmkit: error:") == 1


# --- crmkit economics --------------------------------------------------------------------------
def test_economics_table_and_segments():
    args = ["economics", SALES, "--margin", "0.3", "--acquisition-cost", "30", "--retention-cost", "6"]
    table = pd.read_csv(pd.io.common.StringIO(_ok([*args, "-f", "csv", "-q"]).stdout)).set_index("metric")
    assert table.loc["customers", "value"] == 2847 and table.loc["new_customers", "value"] == 1777
    assert table.loc["cost_ratio", "value"] == pytest.approx(5.0)
    assert table["formula"].notna().all()
    segments = _ok(["economics", SALES, "--serve-cost", "2.5", "--view", "segments", "-f", "csv", "-q"])
    frame = pd.read_csv(pd.io.common.StringIO(segments.stdout))
    assert frame["revenue"].sum() == pytest.approx(table.loc["revenue", "value"], abs=0.01)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--period", "abc"], "--period"),
        (["--acquisition-cost", "-5"], "--acquisition-cost must be zero or more"),
        (["--view", "customers"], "--view must be one of"),
    ],
)
def test_economics_usage_errors(extra, message):
    result = _run(["economics", SALES, *extra])
    assert result.exit_code == 2 and message in result.stderr, result.output


# --- the monthly report ------------------------------------------------------------------------
def test_monthly_report_adds_the_feedback_and_economics_sheets(tmp_path):
    out = tmp_path / "crm.xlsx"
    _ok(["report", SALES, "--complaints", COMPLAINTS, "-o", out, "--history", tmp_path / "h.sqlite", "-q"])
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert {"Feedback", "Economics"} <= set(names), names
