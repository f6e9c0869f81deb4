"""crmkit retention through the command line: formats, the heat-map report, failures."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from crmkit.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sales.csv"


def test_retention_csv_json_and_report(tmp_path):
    result = runner.invoke(app, ["retention", str(EXAMPLE), "-f", "csv", "-q", "--period", "quarter"])
    assert result.exit_code == 0, result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert list(frame.columns[:3]) == ["cohort", "cohort_size", "k0"]
    assert (frame["k0"] == 1.0).all() and frame["cohort"].iloc[0] == "2023-Q1"
    assert frame.iloc[-1, 3:].isna().all()  # the newest cohort: nothing observable yet
    doc = json.loads(runner.invoke(app, ["retention", str(EXAMPLE), "-f", "json", "-q"]).stdout)
    assert doc["period"] == "month" and 0 < doc["summary"]["retention_1"] < 1
    assert doc["retention"][-1]["1"] is None  # blank, not zero
    report = tmp_path / "r.xlsx"
    assert (
        runner.invoke(
            app,
            [
                "retention",
                str(EXAMPLE),
                "-f",
                "csv",
                "-o",
                str(tmp_path / "r.csv"),
                "-q",
                "--report",
                str(report),
                "--lang",
                "zh",
            ],
        ).exit_code
        == 0
    )
    import openpyxl

    ws = openpyxl.load_workbook(report)["留存分析"]
    assert len(ws.conditional_formatting) == 1  # the heat map


def test_retention_failures(tmp_path):
    result = runner.invoke(app, ["retention", str(EXAMPLE), "-f", "csv", "--period", "year"])
    assert result.exit_code == 2 and "period" in result.stderr and "Traceback" not in result.stderr
    result = runner.invoke(app, ["retention", str(tmp_path / "none.csv"), "-f", "csv"])
    assert result.exit_code == 3 and "no such file" in result.stderr
