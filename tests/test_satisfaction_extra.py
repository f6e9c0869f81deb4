"""crmkit satisfaction's PLS methods: index intervals for every preset, MGA + MICOM by group,
PLSc / PLSpredict wiring, option checks, JSON contract, workbook sheets and terminal tables.

Oracles: the MGA / MICOM tables equal :func:`crmkit.models.pls.groups.group_comparison` on the
same rows; the index intervals are the bootstrap's index percentiles; numbers do not depend on the
order of the survey's rows.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from crmkit.errors import DataError, UsageError
from crmkit.models.pls import PLSPathModel
from crmkit.models.pls.groups import group_comparison
from crmkit.satisfaction import PRESETS, analyse_survey, load_model

EX = Path(__file__).resolve().parents[1] / "examples"
SURVEY = EX / "survey.csv"
HAS_PLSC = "consistent" in inspect.signature(PLSPathModel).parameters
try:
    from crmkit.models.pls.predict import pls_predict  # noqa: F401

    HAS_PREDICT = True
except ImportError:  # H5's PLSpredict not in this tree yet
    HAS_PREDICT = False


@pytest.fixture(autouse=True)
def pls_labels(monkeypatch):
    """The PLS catalogue in LABELS (a no-op once crmkit.report.i18n merges PLS_LABELS itself)."""
    from crmkit.report import i18n
    from crmkit.report.catalogue_pls import PLS_LABELS

    for key, entry in PLS_LABELS.items():
        if key not in i18n.LABELS:
            monkeypatch.setitem(i18n.LABELS, key, entry)


@pytest.fixture(scope="module")
def survey():
    return pd.read_csv(SURVEY, dtype={"customer_id": str})


@pytest.fixture(scope="module")
def by_channel(survey):
    return analyse_survey(survey, "ecsi", bootstrap=100, by="channel", mga=True, permutations=199, seed=3)


@pytest.mark.parametrize("preset", PRESETS)
def test_index_table_with_intervals_for_every_preset(survey, preset):
    result = analyse_survey(survey, preset, bootstrap=60, seed=1)
    table = result.index_table
    assert list(table.columns) == ["construct", "index", "ci_low", "ci_high"]
    assert list(table["construct"]) == list(load_model(preset).constructs)
    assert np.allclose(table["index"], list(result.index.values()))
    assert table[["ci_low", "ci_high"]].notna().all().all()
    assert ((table["ci_low"] <= table["index"]) & (table["index"] <= table["ci_high"])).all()
    assert ((table["ci_low"] >= 0) & (table["ci_high"] <= 100)).all()
    by_fit = {row["construct"]: row for row in result.fit["index_ci"]}
    assert all(by_fit[c]["lower"] == low for c, low in zip(table["construct"], table["ci_low"]))


def test_index_table_without_bootstrap_has_empty_intervals(survey):
    table = analyse_survey(survey, "acsi").index_table
    assert table["ci_low"].isna().all() and table["index"].between(0, 100).all()


def test_mga_and_micom_by_group(survey, by_channel):
    mga, micom = by_channel.mga, by_channel.micom
    groups = sorted(survey["channel"].unique())
    pairs = [(a, b) for i, a in enumerate(groups) for b in groups[i + 1 :]]
    spec = load_model("ecsi")
    assert len(mga) == len(pairs) * len(spec.paths)
    assert len(micom) == len(pairs) * len(spec.constructs)
    assert sorted(set(zip(mga["group_a"], mga["group_b"]))) == pairs
    assert ((mga["p_value"] > 0) & (mga["p_value"] <= 1)).all()
    assert micom["configural"].all() and (micom["c"] <= 1 + 1e-12).all()
    assert by_channel.fit["permutations"] == 199
    # the same as the model function on the survey's rows of one pair (estimates do not depend on order)
    answers = survey[list(spec.items)].astype(float)
    answers = answers.fillna(answers.mean())  # the default --missing mean, over the whole survey
    pair = survey["channel"].isin(["app", "store"]).to_numpy()
    items = answers[pair]
    direct, _ = group_comparison(spec.constructs, spec.paths, items, survey.loc[pair, "channel"].to_numpy(), n=9)
    mine = mga[(mga["group_a"] == "app") & (mga["group_b"] == "store")]
    assert np.allclose(mine["estimate_a"], direct["estimate_a"]) and np.allclose(
        mine["difference"], direct["difference"]
    )


def test_mga_does_not_depend_on_row_order(survey, by_channel):
    shuffled = survey.sample(frac=1.0, random_state=7).reset_index(drop=True)
    again = analyse_survey(shuffled, "ecsi", bootstrap=100, by="channel", mga=True, permutations=199, seed=3)
    pd.testing.assert_frame_equal(again.mga, by_channel.mga)
    pd.testing.assert_frame_equal(again.micom, by_channel.micom)


def test_small_groups_are_left_out_with_a_warning(survey):
    data = survey.copy()
    data.loc[:4, "channel"] = "kiosk"
    result = analyse_survey(data, "ecsi", by="channel", mga=True, permutations=19)
    assert "kiosk" not in set(result.mga["group_a"]) | set(result.mga["group_b"])
    assert any("kiosk (5)" in w for w in result.warnings)
    data["channel"] = np.where(np.arange(len(data)) < 5, "a", "b")
    with pytest.raises(DataError, match="at least two groups"):
        analyse_survey(data, "ecsi", by="channel", mga=True, permutations=19)


def test_option_checks(survey):
    with pytest.raises(UsageError, match="--mga .* --by"):
        analyse_survey(survey, "ecsi", mga=True)
    with pytest.raises(UsageError, match="--predict"):
        analyse_survey(survey, "ecsi", predict_folds=1)
    with pytest.raises(UsageError, match="--predict"):
        analyse_survey(survey, "ecsi", predict_folds=-2)
    with pytest.raises(UsageError, match="only 800 respondents"):
        analyse_survey(survey, "ecsi", predict_folds=801)
    with pytest.raises(UsageError, match="--repetitions"):
        analyse_survey(survey, "ecsi", repetitions=0)
    with pytest.raises(UsageError, match="--permutations"):
        analyse_survey(survey, "ecsi", by="channel", mga=True, permutations=0)
    with pytest.raises(UsageError, match="--permutations"):
        analyse_survey(survey, "ecsi", permutations=True)


def test_json_contract(by_channel):
    out = json.loads(json.dumps(by_channel.to_dict()))
    assert {"index_table", "mga", "micom"} <= set(out)
    assert set(out["mga"][0]) == {
        "group_a",
        "group_b",
        "from",
        "to",
        "estimate_a",
        "estimate_b",
        "difference",
        "p_value",
    }
    assert out["micom"][0]["configural"] is True
    assert out["fit"]["consistent"] is False and out["fit"]["predict_folds"] == 0


def test_workbook_has_the_method_sheets(tmp_path, by_channel):
    from crmkit.report.sheets import write_report

    for lang in ("en", "zh"):
        path = write_report(tmp_path / f"s_{lang}.xlsx", by_channel, lang=lang)
        book = openpyxl.load_workbook(path)
        from crmkit.report.i18n import label

        assert label("sheet:mga", lang) in book.sheetnames
        ws = book[label("sheet:mga", lang)]
        texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
        assert label("title:micom", lang) in texts or any(label("title:micom", lang) in t for t in texts)
        numbers = [c for row in ws.iter_rows() for c in row if isinstance(c.value, float)]
        assert numbers and all(c.number_format in ("0.000", "0.0000") for c in numbers)
        # MICOM's c and its 5% quantile at four places: three would show 0.998 against 0.998
        assert sum(c.number_format == "0.0000" for c in numbers) == 2 * len(by_channel.micom)
        index = book[label("sheet:index", lang)]
        headers = {c.value for row in index.iter_rows() for c in row}
        assert label("pls:index_ci_low", lang) in headers
        low = next(c for row in index.iter_rows() for c in row if c.value == label("pls:index_ci_low", lang))
        assert index.cell(low.row + 1, low.column).number_format == "0.0"


def test_terminal_shows_the_method_tables(by_channel):
    from rich.console import Console

    from crmkit.report.i18n import label
    from crmkit.report.terminal import render_satisfaction

    console = Console(record=True, width=220)
    render_satisfaction(by_channel, "en", console=console, quiet=True)
    text = console.export_text()
    assert label("title:mga", "en") in text and label("title:micom", "en") in text
    assert "CI low" in text


@pytest.mark.skipif(not HAS_PLSC, reason="PLSc (PLSPathModel(consistent=True)) not in this tree yet")
def test_consistent_paths_flow_through(survey):
    plain = analyse_survey(survey, "ecsi")
    plsc = analyse_survey(survey, "ecsi", consistent=True, by="channel", mga=True, permutations=19)
    assert plsc.fit["consistent"] is True
    assert not np.allclose(plain.paths["estimate"], plsc.paths["estimate"])
    assert len(plsc.mga) and plsc.mga["estimate_a"].notna().all()


@pytest.mark.skipif(not HAS_PREDICT, reason="PLSpredict (crmkit.models.pls.predict) not in this tree yet")
def test_prediction_tables(survey):
    result = analyse_survey(survey, "ecsi", predict_folds=5, repetitions=2)
    assert result.fit["predict_folds"] == 5 and result.fit["repetitions"] == 2
    out = json.loads(json.dumps(result.to_dict()))
    assert {"items", "constructs"} <= set(out["prediction"])
    assert "q2_predict" in result.prediction.items.columns


# --- the command line (the lead's flags: --consistent, --predict, --repetitions, --mga, --permutations) ---


def _cli_has(flag: str) -> bool:
    from typer.testing import CliRunner

    from crmkit.cli import app

    return flag in CliRunner().invoke(app, ["satisfaction", "--help"], env={"COLUMNS": "300"}).stdout


def test_cli_mga_json_and_usage_errors(tmp_path):
    from typer.testing import CliRunner

    from crmkit.cli import app

    if not _cli_has("--mga"):
        pytest.skip("crmkit satisfaction --mga not in this tree yet")
    runner = CliRunner()
    args = ["satisfaction", str(SURVEY), "--by", "channel", "--mga", "--permutations", "19", "-f", "json", "-q"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.stderr
    body = json.loads(out.stdout)
    assert {"mga", "micom"} <= set(body) and body["fit"]["permutations"] == 19
    no_by = runner.invoke(app, ["satisfaction", str(SURVEY), "--mga"])
    assert no_by.exit_code == 2 and "--by" in no_by.stderr
    one_fold = runner.invoke(app, ["satisfaction", str(SURVEY), "--predict", "1"])
    assert one_fold.exit_code == 2 and "--predict" in one_fold.stderr


MOBI = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mobi.csv"


@pytest.mark.skipif(not MOBI.is_file(), reason="../shared/datasets/mobi.csv is not here")
def test_an_inadmissible_plsc_solution_is_said_and_its_resamples_left_out():
    """ECSI on mobi: disattenuated, Image and Quality correlate past what a correlation matrix
    allows (smallest eigenvalue about -0.003), which cSEM's checks call inadmissible."""
    survey = pd.read_csv(MOBI)
    spec = load_model("ecsi")
    fitted = PLSPathModel(spec.constructs, spec.paths, consistent=True).fit(survey)
    assert not fitted.admissible_
    assert np.linalg.eigvalsh(fitted.construct_correlations_.to_numpy())[0] < 0
    assert PLSPathModel(spec.constructs, spec.paths).fit(survey).admissible_ is False  # the same check, PLS fit
    assert (
        PLSPathModel(load_model("scsb").constructs, load_model("scsb").paths, consistent=True).fit(survey).admissible_
    )
    result = analyse_survey(survey, "ecsi", consistent=True, bootstrap=100, seed=1)
    said = " ".join(result.warnings)
    assert "inadmissible" in said and "of 100 PLSc resamples" in said
    plain = analyse_survey(survey, "scsb", consistent=True, bootstrap=100, seed=1)
    assert not any("solution is inadmissible" in w for w in plain.warnings)
