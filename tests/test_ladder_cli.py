"""crmkit ladder through the command line, on the bundled examples."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from contracts import MONTHLY_INPUTS
from typer.testing import CliRunner

from crmkit.cli import app

runner = CliRunner()
EX = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.slow
def test_ladder_with_every_input_and_report(tmp_path):
    report = tmp_path / "ladder.xlsx"
    result = runner.invoke(
        app,
        [
            "ladder",
            str(EX / "sales.csv"),
            *MONTHLY_INPUTS,
            "-f",
            "csv",
            "--report",
            str(report),
            "--lang",
            "zh",
        ],
    )
    assert result.exit_code == 0, result.stderr
    people = pd.read_csv(io.StringIO(result.stdout), dtype={"customer_id": str})
    assert {"customer_id", "rung", "rung_label", "lifecycle_stage", "reason", "next_action"} <= set(people.columns)
    assert people.columns[0] == "customer_id"
    assert set(people["rung"]) == {"suspect", "prospect", "customer", "regular", "supporter", "advocate"}
    members = pd.read_csv(EX / "members.csv", dtype=str)
    assert len(people) == members["customer_id"].nunique()  # everyone on the list has a rung
    assert people["rung_label"].str.contains("顾客|常客|支持者|拥护者|潜在|可能").all()
    import openpyxl

    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == ["忠诚度阶梯", "阶梯迁移", "阶梯明细"]
    grid = pd.DataFrame(wb["阶梯迁移"].values).dropna(how="all")
    assert len(wb["忠诚度阶梯"]._charts) == 1 and not grid.empty


def test_ladder_without_survey_uses_proxies_and_says_so():
    result = runner.invoke(app, ["ladder", str(EX / "sales.csv"), "-f", "csv", "--compare-to", "2024-06-30"])
    assert result.exit_code == 0, result.stderr
    assert "proxy" in result.stderr
    people = pd.read_csv(io.StringIO(result.stdout))
    assert set(people["basis"]) <= {"behaviour", "proxy", "survey"}


def test_ladder_bad_rules_file(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[activity]\np_alive_min = 3\n")
    result = runner.invoke(app, ["ladder", str(EX / "sales.csv"), "-f", "csv", "--rules", str(rules)])
    assert result.exit_code == 6 and "p_alive_min" in result.stderr and "Traceback" not in result.stderr
