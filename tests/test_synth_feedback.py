"""crmkit.synth_feedback: the example complaints export, its planted effect and its truth reproduced."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmkit.feedback import feedback
from crmkit.io.complaints import read_complaints
from crmkit.synth_feedback import COLUMNS, PLANTED_TERMS, complaints_for, write_complaints, write_example

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def sales():
    return pd.read_csv(EXAMPLES / "sales.csv", dtype=str)


@pytest.fixture(scope="module")
def generated(sales):
    return complaints_for(sales)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, generated):
    path = tmp_path_factory.mktemp("complaints") / "complaints.csv"
    write_complaints(generated[0], path)
    return feedback(str(path), str(EXAMPLES / "sales.csv"), window="90d")


def test_the_committed_example_is_the_generated_one(tmp_path, sales):
    (tmp_path / "sales.csv").write_bytes((EXAMPLES / "sales.csv").read_bytes())
    before = sales.copy()
    path, _ = write_example(tmp_path)
    assert path.read_bytes() == (EXAMPLES / "complaints.csv").read_bytes()
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    pd.testing.assert_frame_equal(sales, before)  # the purchases are not touched


def test_deterministic_and_shaped(sales, generated):
    frame, truth = generated
    again, truth_again = complaints_for(sales)
    pd.testing.assert_frame_equal(frame, again)
    assert truth == truth_again
    assert list(frame.columns) == list(COLUMNS)
    assert frame["投诉时间"].str.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$").all()
    assert frame["客户编号"].isin(set(sales["customer_id"])).all()
    other = complaints_for(sales, seed=1)[0]
    assert not frame.equals(other)
    assert 0.05 < truth["complainers"] / sales["customer_id"].nunique() < 0.07


def test_analysis_reproduces_the_truth_tables(generated, analysed):
    _, truth = generated
    r = analysed
    assert dict(zip(r.by_category["category"], r.by_category["complaints"])) == truth["by_category"]
    assert dict(zip(r.by_channel["channel"], r.by_channel["complaints"])) == truth["by_channel"]
    assert dict(zip(r.by_month["month"], r.by_month["complaints"])) == truth["by_month"]
    assert r.headline["complaints"] == truth["complaints"] and r.headline["complainers"] == truth["complainers"]
    assert r.headline["repeat_complainers"] == truth["repeat_complainers"]
    assert r.headline["resolved_share"] == pytest.approx(truth["resolved_share"])
    by_cat = dict(zip(r.by_category["category"], r.by_category["resolved_share"]))
    assert by_cat == pytest.approx(truth["resolved_share_by_category"])
    assert r.headline["median_days"] * 24 == pytest.approx(truth["median_resolution_hours"])
    out = r.outcomes.set_index("group")
    for group in ("resolved", "unresolved"):
        assert out.at[group, "customers"] == truth["customers"][group]
        assert out.at[group, "retention"] == pytest.approx(truth["retention"][group])


def test_planted_service_recovery_effect(analysed):
    out = analysed.outcomes.set_index("group")
    assert out.at["resolved", "retention"] > out.at["never", "retention"] > out.at["unresolved", "retention"]
    assert out.at["resolved", "retention_diff_low"] > 0 > out.at["unresolved", "retention_diff_high"]
    assert out.at["resolved", "spend_per_customer"] > out.at["unresolved", "spend_per_customer"]


def test_planted_terms_top_each_category(analysed):
    terms = analysed.terms
    top = terms.groupby("category", sort=False).head(1)
    assert dict(zip(top["category"], top["term"])) == PLANTED_TERMS
    assert (top["share"] == 1.0).all()


def test_reader_reads_every_generated_row(generated, tmp_path):
    path = tmp_path / "c.csv"
    write_complaints(generated[0], path)
    found = read_complaints(str(path))
    assert found.quality.rows_used == len(generated[0]) and not found.quality.unknown_status
    assert found.quality.resolved_before_opened == 0
