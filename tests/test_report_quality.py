"""The Data quality sheet of every workbook says how many customers the analysis kept."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.report.i18n import label

runner = CliRunner()
EX = Path(__file__).resolve().parents[1] / "examples"


def _quality_rows(path: Path, lang: str) -> dict:
    ws = openpyxl.load_workbook(path)[label("sheet:data_quality", lang)]
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0] is not None}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_monthly_report_counts_its_customers_as_segment_does(tmp_path, lang):
    monthly, segment = tmp_path / "m.xlsx", tmp_path / "s.xlsx"
    args = ["--lang", lang, "-q"]
    result = runner.invoke(app, ["report", str(EX / "sales.csv"), "-o", str(monthly), *args])
    assert result.exit_code == 0, result.stderr
    rows = str(tmp_path / "s.csv")
    result = runner.invoke(app, ["segment", str(EX / "sales.csv"), "--report", str(segment), "-o", rows, *args])
    assert result.exit_code == 0, result.stderr
    customers = label("customers", lang)
    assert _quality_rows(monthly, lang)[customers] == _quality_rows(segment, lang)[customers] == 5000
