"""The public Python API as a notebook user meets it: ``import crmkit`` and call the analyses.

Every analysis takes a path, a PurchaseData or a pandas / polars / pyarrow table, and ``as_of``
in any of the usual date forms; bad input is a CrmkitError naming the column or value; results
have ``to_dict()`` matching what the CLI writes as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import crmkit
from crmkit.cli import app
from crmkit.errors import ColumnError, CrmkitError, DataError, InputError, UsageError

ROOT = Path(__file__).resolve().parents[1]
SALES = str(ROOT / "examples" / "sales.csv")
SURVEY = str(ROOT / "examples" / "survey.csv")
runner = CliRunner()

TINY = pd.DataFrame(
    {"customer_id": ["a", "a", "b"], "date": ["2024-01-01", "2024-02-01", "2024-01-15"], "amount": [10, 5, 7]}
)


def close(a, b, rel=1e-6) -> bool:
    """JSON-like values equal, floats to a relative tolerance (DuckDB's parallel sums vary in the 16th digit)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


# --- the example of the issue ------------------------------------------------------------------


def test_segment_a_plain_dataframe():
    result = crmkit.segment(TINY, as_of="2024-03-01")
    assert list(result.segments["segment"])[:2] == ["champions", "loyal"]
    customers = result.customers.set_index("customer_id")
    assert customers.loc["a", "frequency"] == 2 and customers.loc["a", "monetary"] == 15.0
    assert customers.loc["b", "recency_days"] == (dt.date(2024, 3, 1) - dt.date(2024, 1, 15)).days
    assert result.as_of == dt.date(2024, 3, 1)


def test_the_example_runs_in_a_fresh_interpreter():
    code = (
        "import crmkit, pandas as pd; print(crmkit.segment(pd.DataFrame({'customer_id':['a','a','b'], "
        "'date':['2024-01-01','2024-02-01','2024-01-15'],'amount':[10,5,7]}), as_of='2024-03-01').segments)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "champions" in out.stdout and out.stderr == ""


def test_import_crmkit_is_light():
    code = "import sys, crmkit; print(sorted(m for m in ('pandas', 'duckdb', 'sklearn', 'typer') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_resolves():
    for name in crmkit.__all__:
        assert getattr(crmkit, name) is not None, name
    assert set(crmkit.__all__) <= set(dir(crmkit))
    with pytest.raises(AttributeError):
        crmkit.no_such_thing  # noqa: B018


def test_analysis_modules_are_modules_and_can_be_called():
    import crmkit.segment as segment_module

    assert segment_module is crmkit.segment and callable(crmkit.segment)
    assert crmkit.segment.segment_customers is not None  # the module's other functions stay reachable
    for name in ("segment", "clv", "satisfaction", "retention", "ladder", "report"):
        assert callable(getattr(crmkit, name)), name
    assert crmkit.models.BetaGeo is crmkit.models.BetaGeoModel


# --- inputs ------------------------------------------------------------------------------------


def test_every_kind_of_input_gives_the_same_customers():
    import polars as pl
    import pyarrow as pa

    expected = crmkit.segment(SALES, "2024-12-31").customers
    frame = pd.read_csv(SALES, dtype={"customer_id": str})
    for data in (crmkit.read_purchases(SALES), frame, pl.from_pandas(frame), pa.Table.from_pandas(frame), Path(SALES)):
        got = crmkit.segment(data, "2024-12-31").customers
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize(
    "as_of",
    [
        "2024-03-01",
        dt.date(2024, 3, 1),
        dt.datetime(2024, 3, 1, 18, 30),
        pd.Timestamp("2024-03-01"),
        np.datetime64("2024-03-01"),
        "2024-03-01T09:00",
    ],
)
def test_as_of_in_any_date_form(as_of):
    assert crmkit.segment(TINY, as_of).as_of == dt.date(2024, 3, 1)
    assert crmkit.retention(TINY, as_of).as_of == dt.date(2024, 3, 1)
    assert crmkit.ladder(TINY, as_of).as_of == dt.date(2024, 3, 1)


def test_as_of_defaults_to_the_last_purchase():
    assert crmkit.segment(TINY).as_of == dt.date(2024, 2, 1)
    assert crmkit.clv(TINY).as_of == dt.date(2024, 2, 1)


@pytest.mark.parametrize("bad", ["yesterday", "2024-02-30", 20240301, pd.NaT, [2024, 3, 1]])
def test_a_bad_as_of_is_a_usage_error_naming_it(bad):
    for analysis in (crmkit.segment, crmkit.clv, crmkit.retention, crmkit.ladder, crmkit.customer_summary):
        with pytest.raises(UsageError, match="as_of must be a date"):
            analysis(TINY, bad)


def test_missing_columns_and_unknown_inputs_are_crmkit_errors():
    with pytest.raises(ColumnError, match="date column") as missing:
        crmkit.segment(TINY.drop(columns="date"), "2024-03-01")
    assert "customer_id, amount" in str(missing.value)
    with pytest.raises(InputError, match="cannot read a list"):
        crmkit.segment([("a", "2024-01-01", 10)], "2024-03-01")
    with pytest.raises(InputError, match="no such file"):
        crmkit.clv("no-such-file.csv")
    with pytest.raises(DataError, match="row 2, column 'amount'"):
        crmkit.segment(TINY.assign(amount=["10", "ten", "7"]), "2024-03-01")
    with pytest.raises(InputError, match="no data rows"):
        crmkit.segment(TINY.iloc[:0], "2024-03-01")


def test_is_return_is_optional_and_honoured():
    flagged = TINY.assign(is_return=[False, True, False])  # a positive amount flagged as a return
    data = crmkit.read_purchases(flagged)
    assert data.transactions["amount"].tolist() == [10.0, -5.0, 7.0]
    summary = crmkit.customer_summary(flagged, "2024-03-01").set_index("customer_id")
    assert summary.loc["a", "monetary"] == 5.0 and summary.loc["a", "returns"] == 5.0
    negative = crmkit.customer_summary(TINY.assign(amount=[10, -5, 7]), "2024-03-01").set_index("customer_id")
    assert negative.loc["a", "monetary"] == 5.0  # derived from the sign when there is no is_return


def test_satisfaction_takes_a_path_or_a_table():
    import polars as pl

    by_path = crmkit.satisfaction(SURVEY)
    table = pd.read_csv(SURVEY, dtype=str)
    assert crmkit.satisfaction(table).index == by_path.index
    assert crmkit.satisfaction(pl.from_pandas(table)).index == by_path.index


# --- results match the CLI's JSON --------------------------------------------------------------


def cli_json(*args) -> object:
    result = runner.invoke(app, [*args, "-f", "json", "-q"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_segment_to_dict_matches_the_cli():
    doc = crmkit.segment(SALES).to_dict()
    assert close(doc["customers"], cli_json("segment", SALES))
    assert json.dumps(doc, default=str) and doc["headline"]["customers"] == len(doc["customers"])


def test_clv_to_dict_matches_the_cli(tmp_path):
    params = tmp_path / "params.json"
    rows = cli_json("clv", SALES, "--params-out", str(params))
    doc = crmkit.clv(SALES).to_dict()
    # DuckDB's parallel sums differ in the 16th digit from run to run, and the fitted parameters
    # (an optimiser's stopping point) carry that to about 1e-6: compare to 1e-4
    assert close(doc["customers"], rows, rel=1e-4)
    written = json.loads(params.read_text())
    assert close({"model": doc["model"], "spend_model": doc["spend_model"]}, written, rel=1e-4)


def test_retention_to_dict_matches_the_cli():
    assert close(crmkit.retention(SALES).to_dict(), cli_json("retention", SALES))


def test_satisfaction_to_dict_matches_the_cli():
    assert close(json.loads(json.dumps(crmkit.satisfaction(SURVEY).to_dict())), cli_json("satisfaction", SURVEY))


def test_ladder_to_dict_matches_the_cli():
    doc = crmkit.compare_ladders(SALES).to_dict()
    assert close(doc["people"], cli_json("ladder", SALES))


@pytest.mark.slow
def test_crmkit_report_writes_the_monthly_workbook(tmp_path):
    import openpyxl

    result = crmkit.report(SALES, str(tmp_path / "crm-{yyyy}-{mm}.xlsx"), survey=SURVEY)
    assert Path(result.output).name == "crm-2024-12.xlsx"
    book = openpyxl.load_workbook(result.output, read_only=True)
    assert book.sheetnames[0] in ("Overview", "概览") and len(book.sheetnames) > 10
    assert Path(result.history).is_file()
    with pytest.raises(UsageError, match="today"):
        crmkit.report(SALES, str(tmp_path / "x.xlsx"), as_of="last-month-end")
    checked = crmkit.report(
        SALES, str(tmp_path / "y.xlsx"), as_of="last-month-end", today=dt.date(2025, 1, 15), check=True
    )
    assert checked.as_of == dt.date(2024, 12, 31) and not (tmp_path / "y.xlsx").exists()


def test_write_report_combines_results(tmp_path):
    import openpyxl

    data = crmkit.read_purchases(SALES)
    path = tmp_path / "both.xlsx"
    crmkit.write_report(path, crmkit.segment(data), crmkit.retention(data), quality=data.quality, lang="zh")
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    assert names[0] == "摘要" and any("留存" in n for n in names)


def test_library_errors_are_all_crmkit_errors():
    for error in (UsageError, InputError, ColumnError, DataError, crmkit.NotFittedError, crmkit.FitError):
        assert issubclass(error, CrmkitError)


def test_the_old_data_module_still_works_and_warns():
    sys.modules.pop("crmkit.data", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from crmkit.data import read_purchases
    assert read_purchases is crmkit.read_purchases
    assert any(issubclass(w.category, DeprecationWarning) and "crmkit.io" in str(w.message) for w in caught)


def test_segmenting_does_not_load_the_estimators():
    # scikit-learn's base class costs about a second to import: `crmkit segment` must not pay it
    code = "import sys, crmkit.segment, crmkit.retention; print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
