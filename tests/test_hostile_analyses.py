"""Hostile option and config values reaching the analyses: a usage or config error naming the
option or key (exit 2 / 6), a data error naming row and column (exit 5), never an internal error.

Issue 9, section 3: ``--clusters 2 --seed -1``, extreme as-of dates, crmkit.toml values of the
wrong type, deeply nested TOML, NPS answers off 0-10, CSAT top-2-box on the declared scale, and
a Gamma-Gamma fit that does not converge.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.errors import ConfigError, DataError, FitError, UsageError
from crmkit.synth import generate_sales, generate_survey

runner = CliRunner()


@pytest.fixture(scope="module")
def sales(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "sales.csv"
    generate_sales(n_customers=400, seed=11).to_csv(path, index=False)
    return str(path)


@pytest.fixture(scope="module")
def survey_frame(tmp_path_factory):
    """A survey as read from its export: text cells, blanks as missing."""
    from crmkit.io.inputs import read_survey

    path = tmp_path_factory.mktemp("hostile") / "survey.csv"
    generate_survey(generate_sales(n_customers=300, seed=5), 150, seed=5).to_csv(path, index=False)
    frame, _ = read_survey(str(path))
    return frame


def _fails(args, code, message):
    result = runner.invoke(app, args)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.search(message, lines[0]), lines[0]
    assert "internal error" not in lines[0] and "np." not in lines[0]
    return lines[0]


# --- segment: --clusters and --seed ---------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--clusters", "2", "--seed", "-1"], r"--seed must be a whole number from 0 to 4294967295, not -1$"),
        (["--clusters", "2", "--seed", "99999999999"], r"--seed must be .* not 99999999999$"),
        (["--clusters", "0"], r"--clusters must be between 2 and .*not 0$"),
        (["--clusters", "-3"], r"--clusters must be between 2 and .*not -3$"),
        (["--clusters", "100000"], r"--clusters must be between 2 and .*not 100000$"),
    ],
)
def test_segment_bad_clusters_and_seed(sales, extra, message):
    _fails(["segment", sales, "-f", "csv", "-q", *extra], 2, message)


def test_segment_library_refuses_wrong_types(sales):
    from crmkit.segment import segment

    with pytest.raises(UsageError, match="--clusters must be a whole number, not '3'"):
        segment(sales, clusters="3")
    with pytest.raises(UsageError, match="--seed must be a whole number .* not 1.5"):
        segment(sales, clusters=3, seed=1.5)
    with pytest.raises(UsageError, match="--bins must be 3, 4 or 5, not True"):
        segment(sales, bins=True)
    # a NumPy integer is a whole number
    assert segment(sales, clusters=np.int64(3), seed=np.int64(1)).clusters is not None


# --- satisfaction: options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--bootstrap", "2", "--seed", "-1"], r"--seed must be a whole number from 0 to 4294967295, not -1$"),
        (["--gap-tolerance", "nan"], r"--gap-tolerance must be a finite number of index points >= 0, not nan$"),
        (["--gap-tolerance", "-1"], r"--gap-tolerance must be .* not -1$"),
        (["--csat-scale", "five"], r"--csat-scale looks like 1-5 or 1-7, not 'five'$"),
    ],
)
def test_satisfaction_bad_options(survey_frame, tmp_path, extra, message):
    path = tmp_path / "survey.csv"
    survey_frame.to_csv(path, index=False)
    _fails(["satisfaction", str(path), "-f", "csv", "-q", *extra], 2, message)


# --- NPS answers outside 0-10, CSAT on its declared scale --------------------------------------------


def test_nps_answer_outside_0_to_10_names_row_and_column(survey_frame, tmp_path):
    bad = survey_frame.copy()
    bad.loc[4, "recommend"] = "11"  # file row 6: the header is row 1
    path = tmp_path / "survey.csv"
    bad.to_csv(path, index=False)
    line = _fails(["satisfaction", str(path), "-f", "csv", "-q"], 5, r"NPS answer '11' is not a number from 0 to 10")
    assert "row 6, column 'recommend'" in line
    # the ladder reads the same column for "recommend": the same error
    sales = tmp_path / "sales.csv"
    generate_sales(n_customers=60, seed=1).to_csv(sales, index=False)
    _fails(["ladder", str(sales), "--survey", str(path), "-f", "csv", "-q"], 5, r"row 6, column 'recommend': NPS")


def test_nps_answer_as_a_number_is_shown_as_written(survey_frame):
    from crmkit.satisfaction import analyse_survey

    frame = survey_frame.copy()
    for column in frame.columns[2:]:
        frame[column] = pd.to_numeric(frame[column])
    frame.loc[0, "recommend"] = -1
    with pytest.raises(DataError, match=r"row 2, column 'recommend': NPS answer -1 is not") as caught:
        analyse_survey(frame)
    assert "np." not in str(caught.value)


def test_text_in_the_nps_column_is_an_error(survey_frame):
    from crmkit.satisfaction import analyse_survey

    with pytest.raises(DataError, match=r"column 'channel': NPS answer '\w+' is not a number"):
        analyse_survey(survey_frame, nps_column="channel")


def test_csat_top_two_box_uses_the_declared_scale(survey_frame):
    from crmkit.satisfaction import analyse_survey

    # a survey where nobody answered 5: top-2-box on 1-5 is the share answering 4 (not 3 and 4)
    frame = survey_frame.copy()
    frame["csat"] = pd.to_numeric(frame["csat"]).clip(upper=4).astype(str)
    answers = pd.to_numeric(frame["csat"])
    csat = analyse_survey(frame).csat
    assert csat["csat"] == pytest.approx(float((answers >= 4).mean()))
    assert csat["csat"] < float((answers >= 3).mean())
    # a CSAT question on its own scale: --csat-scale 1-4 makes 3 and 4 the top two
    assert analyse_survey(frame, csat_scale="1-4").csat["csat"] == pytest.approx(float((answers >= 3).mean()))
    # an answer off the declared scale is an error naming row and column
    with pytest.raises(DataError, match=r"column 'csat': CSAT answer '4' is not a number from 1 to 3"):
        analyse_survey(frame, csat_scale="1-3")


def test_csat_scale_from_the_model_file(survey_frame, tmp_path):
    from importlib import resources

    from crmkit.satisfaction import analyse_survey, load_model

    text = resources.files("crmkit.survey_models").joinpath("ecsi.toml").read_text(encoding="utf-8")
    model = tmp_path / "mine.toml"
    model.write_text(text.replace("scale = [1, 10]", "scale = [1, 10]\ncsat_scale = [1, 7]", 1), encoding="utf-8")
    assert load_model(str(model)).csat_scale == (1, 7)
    answers = pd.to_numeric(survey_frame["csat"])
    # on 1-7 the top two boxes are 6 and 7: nobody in a 1-5 survey
    assert analyse_survey(survey_frame, str(model)).csat["csat"] == 0.0
    assert analyse_survey(survey_frame).csat["csat"] == pytest.approx(float((answers >= 4).mean()))


def test_ladder_csat_fallback_uses_the_declared_scale():
    from crmkit.satisfaction import survey_signals

    # no model items: satisfaction comes from the CSAT column, rescaled from 1-5, not from its min/max
    frame = pd.DataFrame({"customer_id": ["a", "b"], "csat": ["3", "4"], "recommend": ["9", "10"]})
    signals = survey_signals(frame).set_index("customer_id")
    assert signals["satisfaction"].to_dict() == {"a": 50.0, "b": 75.0}
    assert signals["recommend"].to_dict() == {"a": 9.0, "b": 10.0}


# --- survey model files of the wrong shape ---------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("scale = [1, 10]", 'scale = [1, "a"]', r"scale must be \[min, max\], two numbers"),
        ("scale = [1, 10]", "scale = [1, inf]", r"scale must be \[min, max\]"),
        ('target = "Satisfaction"', 'target = ["Satisfaction"]', "target must be a string"),
        ('gap = ["Expectation", "Quality"]', 'gap = [["Expectation"], "Quality"]', "gap must be two construct names"),
        ('["Image", "Expectation"],', '[{a = 1}, "Expectation"],', r"paths must be a list of \[from, to\]"),
        ("[constructs]", "modes = 5\n[constructs]", "modes must be a table of strings"),
        ('Image = ["IMAG1"', 'Image = 5\nOther = ["IMAG1"', "constructs must be a table of item lists"),
        ("[constructs]", "csat_scale = [5, 1]\n[constructs]", r"csat_scale must be \[min, max\]"),
    ],
)
def test_survey_model_wrong_types(tmp_path, old, new, message):
    from importlib import resources

    from crmkit.satisfaction import load_model

    text = resources.files("crmkit.survey_models").joinpath("ecsi.toml").read_text(encoding="utf-8")
    assert old in text
    model = tmp_path / "bad.toml"
    model.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_model(str(model))


# --- deeply nested TOML -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 3000 + "1" + "}" * 3000, "a." * 5000 + "b = 1"]
)
def test_deeply_nested_toml_is_a_config_error(tmp_path, sales, text):
    path = tmp_path / "deep.toml"
    path.write_text(text, encoding="utf-8")
    for args in (
        ["report", "--config", str(path), "--check"],
        ["ladder", sales, "--rules", str(path)],
        ["segment", sales, "--scheme", str(path)],
    ):
        _fails(args, 6, r"deep\.toml: nested more than 32 levels deep$")
    from crmkit.satisfaction import load_model

    with pytest.raises(ConfigError, match="nested more than 32 levels deep"):
        load_model(str(path))


# --- crmkit.toml values of the wrong type ------------------------------------------------------------


@pytest.mark.parametrize(
    "body, message",
    [
        ('[segment]\nbins = "five"', r"'segment\.bins' must be a whole number, not 'five'$"),
        ("[segment]\nbins = true", r"'segment\.bins' must be a whole number, not true$"),
        ('[clv]\ndiscount = "abc"', r"'clv\.discount' must be a number, not 'abc'$"),
        ("[clv]\ndiscount = nan", r"'clv\.discount' must be a number, not nan$"),
        ('[clv]\nmargin = "x"', r"'clv\.margin' must be a number, not 'x'$"),
        ("[clv]\nhorizon = 12", r"'clv\.horizon' must be a string, not 12$"),
        ("lang = 3", r"'lang' must be a string, not 3$"),
        ('lang = "fr"', r"'lang' must be en or zh, not 'fr'$"),
        ("as_of = 2024-12-31T10:00:00", r"'as_of' must be a date such as .* not 2024-12-31T10:00:00$"),
        ("[ladder]\nrules = 5", r"'ladder\.rules' must be a string, not 5$"),
        ("[columns]\ncustomer = []", r"'columns\.customer' must be a string, not an array$"),
        ('[satisfaction]\nscale = [1, "a"]', r"'satisfaction\.scale' must be a scale such as"),
        ('[retention]\nperiod = ""', r"'retention\.period' is empty$"),
    ],
)
def test_config_value_of_the_wrong_type(tmp_path, sales, body, message):
    path = tmp_path / "crmkit.toml"
    path.write_text(f'sales = "{sales}"\noutput = "out.xlsx"\n{body}\n', encoding="utf-8")
    _fails(["report", "--config", str(path), "--check"], 6, r"crmkit\.toml: " + message)


def test_config_sales_as_an_array(tmp_path):
    path = tmp_path / "crmkit.toml"
    path.write_text('sales = ["a.csv", "b.csv"]\noutput = "out.xlsx"\n', encoding="utf-8")
    _fails(["report", "--config", str(path), "--check"], 6, r"'sales' must be a string, not an array$")


def test_config_toml_date_and_scale_array_are_read(tmp_path):
    from crmkit.monthly.config import load_config

    path = tmp_path / "crmkit.toml"
    path.write_text(
        'sales = "s.csv"\noutput = "o.xlsx"\nas_of = 2024-12-31\n[satisfaction]\nscale = [1, 10]\n'
        "[segment]\nbins = 4.0\n",
        encoding="utf-8",
    )
    config = load_config(str(path))
    assert config.as_of == "2024-12-31" and config.satisfaction == {"scale": "1-10"} and config.segment == {"bins": 4}


# --- extreme as-of dates: ladder, retention, clv --------------------------------------------------


@pytest.mark.parametrize("command", ["ladder", "retention", "clv", "segment"])
@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_extreme_as_of_is_a_usage_error(sales, command, as_of):
    _fails([command, sales, "--as-of", as_of, "-f", "csv", "-q"], 2, rf"--as-of {as_of} is outside the dates")


def test_ladder_library_extreme_dates():
    from crmkit.ladder import compare_ladders

    tx = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": pd.to_datetime(["2024-01-02", "2024-02-03"]), "amount": [5.0, 6.0]}
    )
    tx["is_return"] = False
    for as_of in (date(1, 1, 1), date.max):
        with pytest.raises(UsageError, match="outside the dates"):
            compare_ladders(tx, as_of)


def test_retention_bounds_the_number_of_periods(sales):
    # 83,000 months to 8999-12-31: refused at once instead of allocating tables of millions of cells
    _fails(
        ["retention", sales, "--as-of", "8999-12-31", "-f", "csv", "-q"],
        2,
        r"[\d,]+ months from the first cohort \(\d{4}-\d\d\) to the as-of date 8999-12-31 are more than the 2,000",
    )
    from crmkit.retention import MAX_PERIODS, cohort_retention

    tx = pd.DataFrame({"customer_id": ["a"], "date": pd.to_datetime(["2024-01-02"]), "amount": [5.0]})
    with pytest.raises(UsageError, match=r"weeks from the first cohort \(2024-W01\)"):
        cohort_retention(tx, date(2024, 1, 1).replace(year=2024 + MAX_PERIODS // 52 + 1), period="week")
    # the last day the calendar has ends no observable period and does not overflow
    assert cohort_retention(tx, "2100-12-31", period="quarter").summary["customers"] == 1


# --- a Gamma-Gamma fit that does not converge ------------------------------------------------------


def test_gamma_gamma_failure_keeps_the_clv_run(sales, monkeypatch):
    from crmkit import models
    from crmkit.clv import MEAN_SPEND, customer_lifetime_value
    from crmkit.io.purchases import read_purchases

    data = read_purchases(sales)
    as_of = data.resolve_as_of()
    normal = customer_lifetime_value(data, as_of, margin=0.3)

    def no_fit(self, *args, **kwargs):
        raise FitError("the optimiser did not converge in 1000 iterations")

    monkeypatch.setattr(models.GammaGammaModel, "fit", no_fit)
    result = customer_lifetime_value(data, as_of, margin=0.3)
    c, before = result.customers, normal.customers
    # P(alive) and expected purchases do not depend on the spend model
    np.testing.assert_allclose(c["p_alive"], before["p_alive"])
    np.testing.assert_allclose(c["expected_purchases"], before["expected_purchases"])
    assert set(c["value_method"]) == {f"model, {MEAN_SPEND}"}
    assert result.spend_model == {
        "model": MEAN_SPEND,
        "gamma_gamma_error": "the optimiser did not converge in 1000 iterations",
    }
    assert any("Gamma-Gamma spend model did not fit" in w for w in result.warnings)
    # the fallback spend is each customer's average order value (net revenue / purchases)
    average = (c["revenue"] / (c["frequency"] + 1)).clip(lower=0)
    np.testing.assert_allclose(c["expected_spend"], average)
    assert (c["clv"] >= 0).all() and result.to_dict()["spend_model"]["model"] == MEAN_SPEND


def test_gamma_gamma_failure_through_the_command(sales, monkeypatch, tmp_path):
    from crmkit import models

    def no_fit(self, *args, **kwargs):
        raise FitError("the optimiser did not converge")

    monkeypatch.setattr(models.GammaGammaModel, "fit", no_fit)
    out = tmp_path / "clv.csv"
    result = runner.invoke(app, ["clv", sales, "-o", str(out), "--report", str(tmp_path / "clv.xlsx")])
    assert result.exit_code == 0, result.stderr
    assert "warning: the Gamma-Gamma spend model did not fit" in result.stderr
    assert set(pd.read_csv(out)["value_method"]) == {"model, mean spend"}


# --- clv: spans the models cannot step through ------------------------------------------------------


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--holdout", "9999y"], r"--holdout 9999y is longer than the 200 years a CLV run models$"),
        (["--horizon", "99999999y"], r"--horizon 99999999y is longer than the 200 years a CLV run models$"),
        (["--as-of", "8999-12-31"], r"the as-of date 8999-12-31 is [\d,]+ years after the first purchase"),
    ],
)
def test_clv_refuses_spans_of_centuries(sales, extra, message):
    # at once, instead of an OverflowError or hours of period-by-period likelihoods
    _fails(["clv", sales, "-f", "csv", "-q", *extra], 2, message)


def test_clv_library_as_of_centuries_after_the_data():
    from crmkit.clv import customer_lifetime_value

    tx = pd.DataFrame({"customer_id": ["a", "a"], "date": ["2024-01-02", "2024-02-02"], "amount": [5.0, 6.0]})
    with pytest.raises(UsageError, match="years after the first purchase"):
        customer_lifetime_value(tx, "2300-01-01")


def test_a_transaction_model_that_does_not_converge_falls_back_to_the_historical_value(monkeypatch, sales):
    # a few ids holding most purchases (a shop's shared walk-in id) can drive BG/NBD to a boundary:
    # the run keeps going with the historical value and says why, instead of refusing a valid export
    import crmkit.clv as clv_module
    from crmkit.errors import FitError

    def fails(summary, name="bgnbd", **_):
        raise FitError("the BG/NBD fit did not converge after 31 iterations")

    monkeypatch.setattr(clv_module, "fit_transaction_model", fails)
    result = clv_module.customer_lifetime_value(str(sales))
    assert set(result.customers["value_method"]) <= {"historical", "historical, mean spend"}
    assert result.model["model"] == "historical"
    assert any("the bgnbd fit failed (the BG/NBD fit did not converge" in w for w in result.warnings)
    with pytest.raises(FitError):  # validation asked for the model itself: no silent fallback
        clv_module.customer_lifetime_value(str(sales), holdout="26w")


def test_a_later_return_is_not_the_default_as_of_of_the_ladder_or_the_monthly_report(tmp_path):
    import crmkit

    sales = tmp_path / "sales.csv"
    sales.write_text("customer_id,date,amount\nA,2024-01-05,10\nA,2024-02-05,10\nB,2024-02-10,5\nB,2024-03-20,-5\n")
    assert crmkit.ladder(str(sales)).as_of.isoformat() == "2024-02-10"
    assert crmkit.compare_ladders(str(sales)).as_of.isoformat() == "2024-02-10"
    frame = crmkit.read_purchases(str(sales)).transactions
    assert crmkit.ladder(frame).as_of.isoformat() == "2024-02-10"
    result = crmkit.report(str(sales), str(tmp_path / "crm.xlsx"), check=True)
    assert result.as_of.isoformat() == "2024-02-10"
