"""crmkit satisfaction: models, survey metrics, the pipeline and the command."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit import synth
from crmkit.cli import app
from crmkit.errors import ColumnError, ConfigError, DataError, UsageError
from crmkit.satisfaction import CES_SCALE, analyse_survey, effort, gap_class, load_model, nps, parse_scale, top_two_box

ROOT = Path(__file__).resolve().parents[1]
SURVEY = ROOT / "examples" / "survey.csv"
runner = CliRunner()

ECSI_PATHS = {
    ("Image", "Expectation"): 0.5049,
    ("Image", "Satisfaction"): 0.1787,
    ("Image", "Loyalty"): 0.1958,
    ("Expectation", "Quality"): 0.5567,
    ("Expectation", "Value"): 0.0500,
    ("Expectation", "Satisfaction"): 0.0625,
    ("Quality", "Value"): 0.5583,
    ("Quality", "Satisfaction"): 0.5120,
    ("Value", "Satisfaction"): 0.1948,
    ("Satisfaction", "Complaints"): 0.5281,
    ("Satisfaction", "Loyalty"): 0.4855,
    ("Complaints", "Loyalty"): 0.0669,
}
ECSI_R2 = {
    "Expectation": 0.2549,
    "Quality": 0.3100,
    "Value": 0.3453,
    "Satisfaction": 0.6811,
    "Complaints": 0.2789,
    "Loyalty": 0.4569,
}


def test_presets_load():
    for name, n in (("acsi", 6), ("ecsi", 7), ("scsb", 5), ("ccsi", 5)):
        assert len(load_model(name).constructs) == n


def test_model_file_errors(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('target = "B"\npaths = [["A", "B"], ["B", "A"]]\n[constructs]\nA = ["a"]\nB = ["b"]\n')
    with pytest.raises(ConfigError, match="cycle"):
        load_model(str(bad))
    bad.write_text('target = "Z"\npaths = [["A", "B"]]\n[constructs]\nA = ["a"]\nB = ["b"]\n')
    with pytest.raises(ConfigError, match="target 'Z'"):
        load_model(str(bad))
    bad.write_text('colour = "blue"\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_model(str(bad))
    with pytest.raises(UsageError):
        load_model(str(tmp_path / "missing.toml"))


def test_metrics_hand_computed():
    result = nps([10, 9, 8, 7, 6, 0, np.nan])
    assert result["nps"] == pytest.approx(100 * (2 / 6 - 2 / 6))
    assert nps([10, 10, 9])["nps"] == 100.0
    assert top_two_box([5, 4, 3, 1], 5)["csat"] == 0.5
    assert gap_class([-10, 0, 4.9, 6]).tolist() == ["below", "meets", "meets", "exceeds"]
    assert parse_scale("1-10") == (1.0, 10.0) and parse_scale("0 to 10") == (0.0, 10.0)
    with pytest.raises(UsageError):
        parse_scale("10-1")


def _tiny_survey(rows=60, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=rows)
    s = 0.7 * q + 0.5 * rng.normal(size=rows)
    to_scale = lambda z: np.clip(np.rint(4 + 1.2 * z), 1, 7)  # noqa: E731
    return pd.DataFrame(
        {
            "id": [f"r{i:03d}" for i in range(rows)],
            "Q1": to_scale(q + 0.3 * rng.normal(size=rows)),
            "Q2": to_scale(q + 0.3 * rng.normal(size=rows)),
            "S1": to_scale(s),
            "S2": to_scale(s + 0.3 * rng.normal(size=rows)),
        }
    )


def test_equal_answers_give_the_scale_position(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(
        'scale = [1, 7]\ntarget = "Sat"\npaths = [["Qual", "Sat"]]\n'
        '[constructs]\nQual = ["Q1", "Q2"]\nSat = ["S1", "S2"]\n'
    )
    survey = _tiny_survey()
    result = analyse_survey(survey.astype(str), str(model))
    # every index is a weighted mean of item means on 1-7, so it lies between the lowest and
    # highest item mean, rescaled to 0-100
    for construct, items in (("Qual", ["Q1", "Q2"]), ("Sat", ["S1", "S2"])):
        means = (survey[items].mean() - 1) / 6 * 100
        assert means.min() - 1e-9 <= result.index[construct] <= means.max() + 1e-9
    assert result.respondents.shape[0] == len(survey)
    assert ((result.respondents[["Qual", "Sat"]] >= 0) & (result.respondents[["Qual", "Sat"]] <= 100)).all().all()


def test_out_of_scale_and_non_numeric_answers_name_row_and_column(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(
        'scale = [1, 7]\ntarget = "Sat"\npaths = [["Qual", "Sat"]]\n'
        '[constructs]\nQual = ["Q1", "Q2"]\nSat = ["S1", "S2"]\n'
    )
    survey = _tiny_survey().astype(str)
    survey.loc[4, "S1"] = "9"
    with pytest.raises(DataError, match=r"row 6, column 'S1': answer 9 is outside the scale 1-7"):
        analyse_survey(survey, str(model))
    survey.loc[4, "S1"] = "good"
    with pytest.raises(DataError, match=r"row 6, column 'S1': answer 'good' is not a number"):
        analyse_survey(survey, str(model))
    with pytest.raises(ColumnError, match="CUSA1"):
        analyse_survey(survey, "ecsi")


def test_missing_answers_mean_and_listwise(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(
        'scale = [1, 7]\ntarget = "Sat"\npaths = [["Qual", "Sat"]]\n'
        '[constructs]\nQual = ["Q1", "Q2"]\nSat = ["S1", "S2"]\n'
    )
    survey = _tiny_survey().astype(object)
    survey.loc[[1, 2], "Q1"] = None
    mean = analyse_survey(survey, str(model))
    assert mean.treatment == {"method": "mean", "answers_replaced": 2, "respondents_affected": 2}
    listwise = analyse_survey(survey, str(model), missing="listwise")
    assert listwise.treatment["respondents_dropped"] == 2 and len(listwise.respondents) == 58


def test_mobi_oracle(shared_dataset):
    from crmkit.io.inputs import read_survey

    frame, first = read_survey(str(shared_dataset("mobi.csv")))
    result = analyse_survey(frame, "ecsi", first_row=first)
    got = {(r["from"], r["to"]): r["estimate"] for r in result.paths.to_dict(orient="records")}
    for path, value in ECSI_PATHS.items():
        assert got[path] == pytest.approx(value, abs=1e-3), path
    for construct, value in ECSI_R2.items():
        assert result.r_squared[construct] == pytest.approx(value, abs=1e-3)
    weights = result.weights.set_index("item")["standardized_weight"]
    assert weights[["CUSA1", "CUSA2", "CUSA3"]].tolist() == pytest.approx([0.3649, 0.3832, 0.4510], abs=1e-3)
    assert all(0 <= v <= 100 for v in result.index.values())


def test_cli_example_survey_all_formats(tmp_path):
    table = runner.invoke(app, ["satisfaction", str(SURVEY), "-f", "table"])
    assert table.exit_code == 0, table.stderr
    assert "Satisfaction" in table.stdout and "NPS" in table.stdout
    js = runner.invoke(
        app, ["satisfaction", str(SURVEY), "-f", "json", "-q", "--bootstrap", "100", "--seed", "3", "--by", "channel"]
    )
    doc = json.loads(js.stdout)
    assert set(doc) >= {"index", "paths", "r_squared", "reliability", "weights", "drivers", "nps", "csat", "groups"}
    assert all({"from", "to", "estimate", "ci_low", "ci_high"} <= set(p) for p in doc["paths"])
    assert all(p["ci_low"] <= p["estimate"] <= p["ci_high"] for p in doc["paths"])
    again = json.loads(
        runner.invoke(
            app,
            ["satisfaction", str(SURVEY), "-f", "json", "-q", "--bootstrap", "100", "--seed", "3", "--by", "channel"],
        ).stdout
    )
    assert again["paths"] == doc["paths"]  # reproducible with a seed
    rows = runner.invoke(app, ["satisfaction", str(SURVEY), "-f", "csv", "-q"])
    frame = pd.read_csv(io.StringIO(rows.stdout), dtype={"customer_id": str})
    assert frame["customer_id"].str.len().eq(6).all() and set(frame["gap_class"]) <= {"below", "meets", "exceeds"}
    report = tmp_path / "sat.xlsx"
    result = runner.invoke(
        app,
        [
            "satisfaction",
            str(SURVEY),
            "-f",
            "csv",
            "-o",
            str(tmp_path / "r.csv"),
            "-q",
            "--report",
            str(report),
            "--lang",
            "zh",
            "--by",
            "channel",
        ],
    )
    assert result.exit_code == 0, result.stderr
    import openpyxl

    wb = openpyxl.load_workbook(report)
    assert wb.sheetnames == ["满意度指数", "路径系数", "信度与效度", "关键驱动因素", "受访者", "分组"]
    assert len(wb["关键驱动因素"]._charts) == 1 and len(wb["满意度指数"]._charts) == 1


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--model", "nope"], 2, "--model must be acsi"),
        (["--scale", "ten"], 2, "--scale looks like"),
        (["--scale", "1-5"], 5, "outside the scale 1-5"),
        (["--missing", "drop"], 2, "--missing must be"),
        (["--by", "region"], 4, "--by names column 'region'"),
        (["--model", "acsi", "--scheme", "magic"], 2, "scheme"),
    ],
)
def test_cli_failures(args, code, message):
    result = runner.invoke(app, ["satisfaction", str(SURVEY), "-f", "csv", *args])
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert re.search(message, result.stderr) and "Traceback" not in result.stderr


# --- row order, customer effort, --bootstrap ---------------------------------------------------------


def _shufflable_survey():
    """A generated ECSI survey (blanks, NPS, CSAT, effort on 1-7, channel) and a fixed shuffle of it."""
    survey = synth.generate_survey(synth.generate_sales(n_customers=300, seed=4), n_respondents=200, seed=4)
    return survey, survey.iloc[np.random.default_rng(9).permutation(len(survey))]


@pytest.mark.parametrize("missing", ["mean", "listwise"])
def test_shuffled_rows_give_identical_numbers(missing):
    survey, shuffled = _shufflable_survey()
    options = {"bootstrap": 50, "seed": 7, "by": "channel", "ces_scale": "1-7", "missing": missing}
    first, again = analyse_survey(survey, "ecsi", **options), analyse_survey(shuffled, "ecsi", **options)
    doc = first.to_dict()
    assert {"nps", "csat", "ces", "groups"} <= set(doc) and "index_ci" in doc["fit"]
    assert again.to_dict() == doc  # exactly: ==, not approx
    for name in ("htmt", "fornell_larcker", "reliability", "drivers", "groups", "weights", "paths"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(first, name), check_exact=True)
    # respondents come back in the input's order, with their index labels and ids
    assert again.respondents.index.tolist() == shuffled.index[shuffled.index.isin(again.respondents.index)].tolist()
    assert (again.respondents["customer_id"].to_numpy() == shuffled.loc[again.respondents.index, "customer_id"]).all()
    pd.testing.assert_frame_equal(
        again.respondents.set_index("customer_id").sort_index(),
        first.respondents.set_index("customer_id").sort_index(),
        check_exact=True,
    )


def test_effort_easy_share_on_the_declared_scale():
    assert CES_SCALE == (1.0, 7.0)
    # 1-5: the lowest third is s <= 1 + 4/3, so 1 and 2
    assert effort([1, 2, 2, 3, 4, 5, np.nan], (1, 5)) == {"ces": 17 / 6, "easy_share": 0.5, "responses": 6}
    # 1-7: s <= 1 + 6/3 = 3, so 1, 2 and 3
    assert effort([1, 3, 4, 7], (1, 7))["easy_share"] == 0.5
    assert effort([3, 4, 5], (1, 7))["easy_share"] == 1 / 3
    assert effort([np.nan], (1, 5)) == {"ces": None, "easy_share": None, "responses": 0}


def _effort_survey(answers, column="ces"):
    survey = _tiny_survey(rows=len(answers))
    survey[column] = answers
    return survey


@pytest.fixture
def tiny_model(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(
        'scale = [1, 7]\ntarget = "Sat"\npaths = [["Qual", "Sat"]]\n'
        '[constructs]\nQual = ["Q1", "Q2"]\nSat = ["S1", "S2"]\n'
    )
    return model


def test_effort_all_in_the_upper_part_of_1_to_5_is_never_easy(tiny_model):
    # the data's own min/max (3-5) would call the 3s easy; on the declared 1-5 scale none is
    answers = [3, 4, 5] * 20
    result = analyse_survey(_effort_survey(answers), str(tiny_model), ces_scale="1-5")
    assert result.ces == {"column": "ces", "ces": 4.0, "easy_share": 0.0, "responses": 60}
    # undeclared, the scale is CES_SCALE (1-7): 1-3 are easy
    assert analyse_survey(_effort_survey(answers), str(tiny_model)).ces["easy_share"] == 1 / 3


def test_effort_scale_from_the_model_file(tiny_model):
    tiny_model.write_text("ces_scale = [1, 7]\n" + tiny_model.read_text())
    assert load_model(str(tiny_model)).ces_scale == (1, 7)
    result = analyse_survey(_effort_survey([2, 3, 6, 7] * 15), str(tiny_model))
    assert result.ces["easy_share"] == 0.5
    tiny_model.write_text('ces_scale = "1-7"\n' + tiny_model.read_text().split("\n", 1)[1])
    with pytest.raises(ConfigError, match="ces_scale must be"):
        load_model(str(tiny_model))


def test_effort_answer_off_its_scale_names_row_and_column(tiny_model):
    answers = [1, 2, 3, 4, 5] * 12
    answers[4] = 6
    survey = _effort_survey(answers, column="effort").astype(str)
    with pytest.raises(DataError, match=r"row 6, column 'effort': CES answer '6' is not a number from 1 to 5"):
        analyse_survey(survey, str(tiny_model), ces_scale="1-5")
    assert analyse_survey(survey, str(tiny_model)).ces["responses"] == 60
    survey.loc[2, "effort"] = "hard"
    with pytest.raises(DataError, match=r"row 4, column 'effort': CES answer 'hard' is not a number from 1 to 7"):
        analyse_survey(survey, str(tiny_model), ces_scale="1-7")
    with pytest.raises(UsageError, match="--ces-scale looks like 1-5 or 1-7, not 'seven'"):
        analyse_survey(survey, str(tiny_model), ces_scale="seven")


@pytest.mark.parametrize("value, shown", [(-1, "-1"), (10001, "10001"), (2.5, "2.5"), (True, "True"), ("50", "'50'")])
def test_bootstrap_must_be_a_whole_number_up_to_10000(value, shown):
    # checked before any work: the survey named here does not exist
    message = f"--bootstrap must be a whole number from 0 to 10000, not {re.escape(shown)}$"
    with pytest.raises(UsageError, match=message):
        analyse_survey("no-such-survey.csv", bootstrap=value)


def test_bootstrap_bounds_are_accepted(tiny_model):
    assert analyse_survey(_tiny_survey(), str(tiny_model), bootstrap=np.int64(0)).fit["bootstrap"] == 0
