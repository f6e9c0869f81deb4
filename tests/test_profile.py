"""crmkit.profile: customer structure tables and the Kruskal–Wallis ranking of attributes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from crmkit.clv import customer_lifetime_value
from crmkit.errors import ColumnError, UsageError
from crmkit.io.attributes import read_attributes
from crmkit.io.purchases import as_purchases
from crmkit.ladder import RUNGS
from crmkit.profile import MEAN_CLV, MEASURES, NO_ATTRIBUTES, RANKING_COLUMNS, UNKNOWN, customer_structure
from crmkit.segment import segment

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
AS_OF = "2024-03-31"

# Ten purchasing customers. Per customer (as of 2024-03-31): frequency, monetary, recency_days
#   c01 2 150 11 | c02 1 80 59 | c03 1 300 1 | c04 3 60 21 | c05 1 10 0
#   c06 1 40 90  | c07 1 25 45 | c08 2 100 6 | c09 1 15 26 | c10 1 5 3      total revenue 785
PURCHASES = [
    ("c01", "2024-03-01", 100), ("c01", "2024-03-20", 50),
    ("c02", "2024-02-01", 80),
    ("c03", "2024-03-30", 300),
    ("c04", "2024-01-10", 20), ("c04", "2024-02-10", 20), ("c04", "2024-03-10", 20),
    ("c05", "2024-03-31", 10),
    ("c06", "2024-01-01", 40),
    ("c07", "2024-02-15", 25),
    ("c08", "2024-03-15", 70), ("c08", "2024-03-25", 30),
    ("c09", "2024-03-05", 15),
    ("c10", "2024-03-28", 5),
    ("c11", "2024-04-02", 99),  # after as_of: c11 has bought nothing by then
]  # fmt: skip
# c10 is not in the file; c08's province and c09's gender are blank; c11 and c12 have no purchases to as_of
MEMBERS = [
    ("c01", "女", "浙江"), ("c02", "女", "浙江"), ("c03", "男", "上海"), ("c04", "女", "浙江"),
    ("c05", "男", "上海"), ("c06", "女", "江苏"), ("c07", "男", "江苏"), ("c08", "女", ""),
    ("c09", "", "上海"), ("c11", "男", "浙江"), ("c12", "女", "北京"),
]  # fmt: skip


def tiny_purchases() -> pd.DataFrame:
    return pd.DataFrame(PURCHASES, columns=["customer_id", "date", "amount"])


def tiny_members() -> pd.DataFrame:
    return pd.DataFrame(MEMBERS, columns=["会员编号", "性别", "省份"])


@pytest.fixture(scope="module")
def tiny():
    return customer_structure(tiny_purchases(), tiny_members(), AS_OF, min_group_size=3)


def test_tiny_gender_table_every_number(tiny):
    table = tiny.tables["gender"]
    assert list(table.columns[:12]) == ["attribute", "value", *MEASURES]
    assert table["attribute"].unique().tolist() == ["gender"]
    assert table["value"].tolist() == ["female", "male", UNKNOWN, NO_ATTRIBUTES]
    assert table["customers"].tolist() == [5, 3, 1, 1]
    # female: c01 c02 c04 c06 c08; male: c03 c05 c07; unknown: c09; no attributes: c10
    expected = {
        "customer_share": [0.5, 0.3, 0.1, 0.1],
        "revenue": [430.0, 335.0, 15.0, 5.0],
        "revenue_share": [430 / 785, 335 / 785, 15 / 785, 5 / 785],
        "lift": [860 / 785, 335 / 785 / 0.3, 150 / 785, 50 / 785],
        "revenue_per_customer": [86.0, 335 / 3, 15.0, 5.0],
        "repeat_rate": [0.6, 0.0, 0.0, 0.0],
        "mean_recency_days": [187 / 5, 46 / 3, 26.0, 3.0],
        "mean_frequency": [1.8, 1.0, 1.0, 1.0],
        "mean_monetary": [86.0, 335 / 3, 15.0, 5.0],
    }
    for column, values in expected.items():
        np.testing.assert_allclose(table[column].to_numpy(dtype=float), values, rtol=1e-12, err_msg=column)
    # the segment mix: each value's customers by their RFM segment, as segment() assigns them
    assigned = segment(tiny_purchases(), AS_OF).customers.set_index("customer_id")["segment"]
    groups = {"female": ["c01", "c02", "c04", "c06", "c08"], "male": ["c03", "c05", "c07"],
              UNKNOWN: ["c09"], NO_ATTRIBUTES: ["c10"]}  # fmt: skip
    mix_columns = [f"segment:{k}" for k in tiny.segments]
    assert [c for c in table.columns if c.startswith("segment:")] == mix_columns
    for row in table.itertuples(index=False):
        members = assigned[groups[row.value]]
        for key in tiny.segments:
            assert table.loc[table["value"] == row.value, f"segment:{key}"].item() == pytest.approx(
                (members == key).mean()
            )
    np.testing.assert_allclose(table[mix_columns].sum(axis=1), 1.0)


def test_tiny_province_table_order_and_counts(tiny):
    table = tiny.tables["province"]
    assert table["value"].tolist() == ["上海", "浙江", "江苏", UNKNOWN, NO_ATTRIBUTES]
    assert table["customers"].tolist() == [3, 3, 2, 1, 1]
    assert table["revenue"].tolist() == [325.0, 290.0, 65.0, 100.0, 5.0]
    assert list(tiny.tables) == ["gender", "province"]


def test_tiny_ranking_by_hand(tiny):
    ranking = tiny.ranking
    assert list(ranking.columns) == list(RANKING_COLUMNS)
    # province (groups of >= 3: 浙江 150 80 60, 上海 300 10 15): ranks 5 4 3 | 6 1 2, n = 6
    #   H = 12 / (6 * 7) * (12^2 / 3 + 9^2 / 3) - 3 * 7 = 3/7, epsilon^2 = H / 5 = 3/35
    # gender (female 150 80 60 40 100, male 300 10 25): ranks 7 5 4 3 6 | 8 1 2, n = 8
    #   H = 12 / (8 * 9) * (25^2 / 5 + 11^2 / 3) - 3 * 9 = 5/9, epsilon^2 = H / 7 = 5/63
    assert ranking["attribute"].tolist() == ["province", "gender"]
    assert ranking["rank"].tolist() == [1, 2]
    assert ranking["testable"].tolist() == [True, True]
    assert ranking["groups"].tolist() == [2, 2]
    assert ranking["customers"].tolist() == [6, 8]
    np.testing.assert_allclose(ranking["h"], [3 / 7, 5 / 9], rtol=1e-12)
    np.testing.assert_allclose(ranking["epsilon_squared"], [3 / 35, 5 / 63], rtol=1e-12)
    np.testing.assert_allclose(ranking["p_value"], [stats.chi2.sf(3 / 7, 1), stats.chi2.sf(5 / 9, 1)], rtol=1e-9)
    assert ranking["top_value"].tolist() == ["上海", "male"]
    np.testing.assert_allclose(ranking["top_lift"], [325 / 785 / 0.3, 335 / 785 / 0.3], rtol=1e-12)


def test_tiny_default_group_size_is_not_testable():
    found = customer_structure(tiny_purchases(), tiny_members(), AS_OF)
    ranking = found.ranking
    assert ranking["attribute"].tolist() == ["gender", "province"]
    assert ranking["testable"].tolist() == [False, False]
    assert ranking["rank"].isna().all()
    assert ranking["groups"].tolist() == [1, 0]  # only female has 5 customers
    assert ranking["epsilon_squared"].isna().all()


def test_unknown_and_no_attributes_are_counted(tiny):
    assert tiny.total_customers == 10
    assert tiny.total_revenue == 785.0
    assert tiny.without_attributes == 1  # c10
    assert tiny.without_purchases == 2  # c11 (bought after as_of only) and c12
    assert {n.key for n in tiny.notes} >= {"profile_without_attributes", "profile_without_purchases"}
    by_id = tiny.customers.set_index("customer_id")
    assert by_id.loc["c10", "gender"] == NO_ATTRIBUTES and by_id.loc["c10", "province"] == NO_ATTRIBUTES
    assert by_id.loc["c09", "gender"] == UNKNOWN and by_id.loc["c08", "province"] == UNKNOWN
    assert "c11" not in by_id.index and "c12" not in by_id.index
    # a value the reader cannot normalise is unknown too, and the reader's note is carried along
    members = tiny_members()
    members.loc[0, "性别"] = "???"
    found = customer_structure(tiny_purchases(), members, AS_OF)
    gender = found.tables["gender"].set_index("value")
    assert gender.loc[UNKNOWN, "customers"] == 2
    assert "attributes_unknown" in {n.key for n in found.notes}


def test_read_attributes_alike_and_ids_as_text():
    members = tiny_members()
    read = read_attributes(members, as_of=AS_OF)
    a = customer_structure(tiny_purchases(), read, AS_OF)
    b = customer_structure(tiny_purchases(), members, AS_OF)
    pd.testing.assert_frame_equal(a.tables["province"], b.tables["province"])
    # numeric-looking ids: a float export's 17850.0 is the purchases' 17850
    sales = pd.DataFrame({"customer_id": [17850, 17851], "date": ["2024-01-01", "2024-01-02"], "amount": [10, 30]})
    people = pd.DataFrame({"customer_id": [17850.0, 17851.0], "gender": ["F", "M"]})
    found = customer_structure(sales, people, "2024-01-31")
    assert found.without_attributes == 0
    assert found.tables["gender"]["value"].tolist() == ["male", "female"]


def test_unknown_by_column_is_a_column_error():
    with pytest.raises(ColumnError, match="shoe_size"):
        customer_structure(tiny_purchases(), read_attributes(tiny_members()), AS_OF, by="shoe_size")


def test_tiny_pair_cross_tab():
    found = customer_structure(tiny_purchases(), tiny_members(), AS_OF, by="gender,province")
    assert list(found.pairs) == ["gender,province"]
    pair = found.pairs["gender,province"]
    assert list(pair.columns[:3]) == ["attribute", "value", "value_2"]
    assert list(zip(pair["value"], pair["value_2"], pair["customers"], pair["revenue"])) == [
        ("male", "上海", 2, 310.0),
        ("female", "浙江", 3, 290.0),
        ("female", "江苏", 1, 40.0),
        ("male", "江苏", 1, 25.0),
        ("female", UNKNOWN, 1, 100.0),
        (UNKNOWN, "上海", 1, 15.0),
        (NO_ATTRIBUTES, NO_ATTRIBUTES, 1, 5.0),
    ]
    assert pair["customer_share"].sum() == pytest.approx(1.0)


# --- the ladder-rung mix and the mean CLV ------------------------------------------------------------


def test_tiny_rung_mix_by_hand(tiny):
    # 3 repeat buyers, fewer than 20: no BG/NBD model, activity by the own cycle. c01 (gap 19 days, last
    # 11 days ago), c04 (gaps 31 and 29, last 21 ago) and c08 (gap 10, last 6 ago) buy within 1.5 x their
    # gap: regulars; their tenures (30, 81, 16 days) are under the supporter floor of 180. The rest bought once.
    table = tiny.tables["gender"]
    segment_columns = [f"segment:{k}" for k in tiny.segments]
    rung_columns = [f"rung:{k}" for k in RUNGS]
    assert list(table.columns) == ["attribute", "value", *MEASURES, *segment_columns, *rung_columns]
    assert tiny.rungs == RUNGS and tiny.rung_labels["regular"] == "Regular" and not tiny.clv
    expected = {  # female c01 c02 c04 c06 c08, male c03 c05 c07, unknown c09, no attributes c10
        "rung:customer": [0.4, 1.0, 1.0, 1.0],
        "rung:regular": [0.6, 0.0, 0.0, 0.0],
    }
    for column, values in expected.items():
        np.testing.assert_allclose(table[column].to_numpy(dtype=float), values, err_msg=column)
    for column in ("rung:suspect", "rung:prospect", "rung:supporter", "rung:advocate"):
        assert (table[column] == 0).all()
    by_id = tiny.customers.set_index("customer_id")
    assert by_id.loc[["c01", "c04", "c08"], "rung"].tolist() == ["regular"] * 3
    assert list(tiny.customers.columns[-1:]) == ["rung"]
    assert list(tiny.pairs) == [] and "rung:regular" in tiny.rows().columns


def test_tiny_mean_clv_given_per_customer():
    clv = pd.Series([10.0, 20, 30, 40, 50, 60, 70, 80, 90], index=[f"c0{i}" for i in range(1, 10)])  # none for c10
    found = customer_structure(tiny_purchases(), tiny_members(), AS_OF, clv=clv, min_group_size=3)
    table = found.tables["gender"]
    assert table.columns[-1] == MEAN_CLV and found.clv
    # female (10 + 20 + 40 + 60 + 80) / 5, male (30 + 50 + 70) / 3, unknown c09, no attributes: c10 has none
    np.testing.assert_allclose(table[MEAN_CLV].to_numpy(dtype=float), [42.0, 50.0, 90.0, np.nan])
    missing = next(n for n in found.notes if n.key == "profile_clv_missing")
    assert missing.params == {"count": 1, "customers": 10}
    assert found.customers.set_index("customer_id").loc["c03", "clv"] == 30.0
    frame = pd.DataFrame({"customer_id": clv.index, "clv": clv.to_numpy()})
    again = customer_structure(tiny_purchases(), tiny_members(), AS_OF, clv=frame, rungs=False)
    np.testing.assert_allclose(again.tables["gender"][MEAN_CLV], table[MEAN_CLV])
    assert not any(c.startswith("rung:") for c in again.tables["gender"].columns) and again.rungs == ()
    with pytest.raises(ColumnError, match="customer_id and clv"):
        customer_structure(tiny_purchases(), tiny_members(), AS_OF, clv=frame.rename(columns={"clv": "value"}))
    with pytest.raises(UsageError, match="clv is True"):
        customer_structure(tiny_purchases(), tiny_members(), AS_OF, clv="yes")


def test_tiny_clv_too_few_repeat_buyers_is_left_out():
    found = customer_structure(tiny_purchases(), tiny_members(), AS_OF, clv=True)
    assert not found.clv and MEAN_CLV not in found.tables["gender"].columns and "clv" not in found.customers
    note = next(n for n in found.notes if n.key == "profile_clv_unavailable")
    assert "repeat buyer" in note and note.startswith("mean CLV not tabled")


def test_example_mean_clv_is_the_group_mean_of_the_clv():
    found = customer_structure(EXAMPLES / "sales.csv", EXAMPLES / "customers.csv", clv=True)
    # the defaults: BG/NBD, weekly clock, Gamma-Gamma spend, 52 weeks at 10 % a year, in revenue (no margin column)
    clv = customer_lifetime_value(as_purchases(EXAMPLES / "sales.csv"), found.as_of).customers
    gender = found.customers.set_index("customer_id")["gender"]
    means = clv.set_index("customer_id")["clv"].groupby(gender).mean()
    table = found.tables["gender"].set_index("value")
    np.testing.assert_allclose(table[MEAN_CLV].to_numpy(), means.reindex(table.index).to_numpy(), rtol=1e-9)
    assert {n.key for n in found.notes} >= {"clv_no_margin"}
    np.testing.assert_allclose(found.tables["province"][[f"rung:{k}" for k in RUNGS]].sum(axis=1), 1.0)


# --- the planted structure of examples/customers.csv ------------------------------------------


@pytest.fixture(scope="module")
def example():
    return customer_structure(EXAMPLES / "sales.csv", EXAMPLES / "customers.csv", by="province,age_band")


def test_example_zhejiang_spends_twice(example):
    provinces = example.tables["province"]
    large = provinces[(provinces["customers"] >= 100) & ~provinces["value"].isin([UNKNOWN, NO_ATTRIBUTES])]
    top = large.sort_values("lift", ascending=False).iloc[0]
    assert top["value"] == "浙江"
    assert 1.6 < top["lift"] < 2.4
    others = provinces[provinces["value"] != "浙江"]
    ratio = top["revenue_per_customer"] / (others["revenue"].sum() / others["customers"].sum())
    assert 1.7 < ratio < 2.4  # the generator's "2x the others on average"


def test_example_ranking_province_above_age(example):
    ranking = example.ranking.set_index("attribute")
    assert ranking.loc["province", "rank"] < ranking.loc["age_band", "rank"]
    assert ranking.loc["province", "p_value"] < 1e-6
    age = ranking.loc["age_band"]
    assert age["epsilon_squared"] < 0.005 or age["p_value"] > 0.05
    assert example.total_customers == 5000
    assert example.without_attributes == 0


def test_example_pair_cross_tab(example):
    pair = example.pairs["province,age_band"]
    assert pair["customers"].sum() == example.total_customers
    zhejiang = pair[pair["value"] == "浙江"]
    assert zhejiang["customers"].sum() == example.tables["province"].set_index("value").loc["浙江", "customers"]
    assert pair["revenue"].sum() == pytest.approx(example.total_revenue)


def test_example_to_dict_is_json_ready(example):
    import json

    payload = json.loads(json.dumps(example.to_dict(), ensure_ascii=False))
    assert payload["total_customers"] == 5000
    assert payload["ranking"][0]["rank"] == 1
    assert set(payload["tables"]) >= {"province", "age_band", "gender"}


# --- invariants ----------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 14), st.integers(0, 60), st.integers(1, 500)), min_size=1, max_size=40),
    st.lists(st.sampled_from(["女", "男", "", "x"]), min_size=15, max_size=15),
    st.integers(0, 15),
)
def test_shares_sum_to_one_and_lift_is_the_ratio(rows, genders, listed):
    sales = pd.DataFrame(
        {
            "customer_id": [f"k{c}" for c, _, _ in rows],
            "date": [(pd.Timestamp("2024-01-01") + pd.Timedelta(days=d)).date().isoformat() for _, d, _ in rows],
            "amount": [float(a) for _, _, a in rows],
        }
    )
    members = pd.DataFrame({"customer_id": [f"k{i}" for i in range(listed)], "gender": genders[:listed]})
    if listed == 0:
        members = pd.DataFrame({"customer_id": ["nobody"], "gender": ["女"]})
    found = customer_structure(sales, members, "2024-03-31")
    table = found.tables["gender"]
    assert table["customers"].sum() == found.total_customers == sales["customer_id"].nunique()
    assert table["customer_share"].sum() == pytest.approx(1.0)
    assert table["revenue_share"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(table["lift"] * table["customer_share"], table["revenue_share"], rtol=1e-12)
    mix = table[[f"segment:{k}" for k in found.segments]].sum(axis=1)
    np.testing.assert_allclose(mix, 1.0)
    np.testing.assert_allclose(table[[f"rung:{k}" for k in RUNGS]].sum(axis=1), 1.0)
    assert table["repeat_rate"].between(0, 1).all()


def test_the_profile_command(tmp_path):
    from typer.testing import CliRunner

    from crmkit.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["profile", "--help"]).exit_code == 0
    out = tmp_path / "profile.csv"
    done = runner.invoke(
        app,
        ["profile", str(EXAMPLES / "sales.csv"), "--attributes", str(EXAMPLES / "customers.csv"), "--by",
         "province,age_band", "-o", str(out)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    import pandas as pd

    rows = pd.read_csv(out, dtype={"value": str, "value_2": str})
    top = rows[rows["attribute"] == "province"].iloc[0]
    assert (top["value"], round(top["lift"], 2)) == ("浙江", 1.81)
    assert "province,age_band" in set(rows["attribute"])
    as_json = runner.invoke(
        app, ["profile", str(EXAMPLES / "sales.csv"), "--attributes", str(EXAMPLES / "customers.csv"), "-f", "json"]
    )
    import json

    assert json.loads(as_json.stdout)["ranking"][0]["attribute"] == "tier"
    missing = runner.invoke(app, ["profile", str(EXAMPLES / "sales.csv"), "--attributes", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 3 and "nope.csv" in missing.stderr
    report = runner.invoke(
        app, ["profile", str(EXAMPLES / "sales.csv"), "--attributes", str(EXAMPLES / "customers.csv"), "--report",
              str(tmp_path / "r.xlsx")],
    )  # fmt: skip
    assert report.exit_code == 0, report.output  # profile writes a report now (it refused one, exit 2, before)
    assert (tmp_path / "r.xlsx").exists()
