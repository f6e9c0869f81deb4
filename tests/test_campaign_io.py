"""crmkit.io.campaigns: campaign files and loyalty exports, read by Chinese or English headers."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from crmkit.errors import ColumnError, DataError, InputError, UsageError
from crmkit.io.campaigns import control_name, parse_number, read_campaign, read_loyalty

GBK = (
    "客户编号,分组,触达日期,触达成本,触达渠道,优惠券码\n001,优惠券,2025-03-03,￥1.50,微信,C1\n002,对照组,2025/3/3,0,,\n"
)


def test_chinese_headers_in_gbk(tmp_path):
    path = tmp_path / "campaign.csv"
    path.write_bytes(GBK.encode("gbk"))
    found = read_campaign(path)
    assert found.columns == {
        "customer_id": "客户编号",
        "group": "分组",
        "contact_date": "触达日期",
        "cost": "触达成本",
        "channel": "触达渠道",
        "coupon": "优惠券码",
    }
    assert found.control == "对照组" and found.groups == ("优惠券", "对照组")
    frame = found.frame
    assert frame["customer_id"].tolist() == ["001", "002"]  # ids stay text
    assert frame["is_control"].tolist() == [False, True]
    assert [d.date() for d in frame["contact_date"]] == [date(2025, 3, 3)] * 2
    assert frame["cost"].tolist() == [1.5, 0.0]
    assert frame["channel"].tolist() == ["微信", None] and frame["coupon"].tolist() == ["C1", None]
    assert found.quality.rows_read == 2 and found.quality.rows_used == 2


def test_bom_and_a_closing_total_row(tmp_path):
    path = tmp_path / "campaign.csv"
    text = "customer_id,arm,sent\na,treatment,2025-01-02\nb,holdout,2025-01-02\n合计,,\n"
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))
    found = read_campaign(path)
    assert found.control == "holdout"
    assert found.quality.rows_read == 3 and found.quality.rows_used == 2
    assert found.quality.dropped["total_row"] == 1
    assert "campaign_total_row" in [n.key for n in found.notes]


def test_dropped_rows_are_counted_with_their_first_row():
    sent = pd.DataFrame(
        {
            "会员编号": ["a", "a", None, "b", "c"],
            "组别": ["A", "A", "A", "对照", "A"],
            "发送日期": ["2025-01-02", "2025-01-02", "2025-01-02", "2025-01-02", None],
        }
    )
    found = read_campaign(sent)
    q = found.quality
    assert q.rows_read == 5 and q.rows_used == 2
    assert q.dropped == {"missing_customer_id": 1, "duplicate_customer_id": 1, "missing_date": 1, "total_row": 0}
    # a table's rows count from 1 (a file's from 2, below its header)
    assert q.first_rows == {"duplicate_customer_id": 2, "missing_customer_id": 3, "missing_date": 5}
    assert {n.key for n in found.notes} >= {"campaign_dropped_missing_customer_id", "campaign_dropped_missing_date"}
    assert q.rows_read == q.rows_used + q.rows_dropped


def test_contact_date_argument_fills_a_file_without_one():
    sent = pd.DataFrame({"customer_id": ["a", "b"], "group": ["control", "sms"]})
    with pytest.raises(UsageError, match="--contact-date"):
        read_campaign(sent)
    found = read_campaign(sent, contact_date="2025-03-01")
    assert [d.date() for d in found.frame["contact_date"]] == [date(2025, 3, 1)] * 2
    assert "campaign_one_date" in [n.key for n in found.notes]


def test_no_group_column_means_everyone_contacted():
    found = read_campaign(pd.DataFrame({"customer_id": ["a", "b"], "date": ["2025-01-02", "2025-01-03"]}))
    assert found.control is None and found.groups == ("contacted",)
    assert not found.frame["is_control"].any()
    assert "campaign_no_group" in [n.key for n in found.notes]


def test_the_control_arm_by_name_or_given():
    sent = pd.DataFrame({"customer_id": ["a", "b", "c"], "group": ["A", "B", "A"], "date": ["2025-01-02"] * 3})
    with pytest.raises(UsageError, match="--control"):
        read_campaign(sent)
    assert read_campaign(sent, control="B").frame["is_control"].tolist() == [False, True, False]
    with pytest.raises(UsageError, match="not a group"):
        read_campaign(sent, control="Z")


def test_missing_id_column_names_file_and_headers(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("who,分组\nx,A\n", encoding="utf-8")
    with pytest.raises(ColumnError) as caught:
        read_campaign(path, contact_date="2025-01-01")
    text = str(caught.value)
    assert "sent.csv" in text and "who, 分组" in text and caught.value.exit_code == 4


def test_an_unreadable_date_names_file_row_and_column(tmp_path):
    path = tmp_path / "sent.csv"
    path.write_text("客户编号,分组,触达日期\na,A,2025-01-02\nb,对照组,not a day\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_campaign(path)
    error = caught.value
    assert error.row == 3 and error.column == "触达日期" and "sent.csv" in str(error) and error.exit_code == 3


def test_an_unreadable_cost_is_a_data_error():
    sent = pd.DataFrame({"customer_id": ["a"], "group": ["A"], "cost": ["lots"]})
    with pytest.raises(DataError) as caught:
        read_campaign(sent, contact_date="2025-01-01")
    assert caught.value.row == 1 and caught.value.column == "cost"


def test_columns_override_and_a_missing_override():
    sent = pd.DataFrame({"kunde": ["a", "b"], "gruppe": ["x", "kontrolle"], "tag": ["2025-01-02"] * 2})
    found = read_campaign(
        sent, columns={"customer_id": "kunde", "group": "gruppe", "contact_date": "tag"}, control="kontrolle"
    )
    assert found.frame["customer_id"].tolist() == ["a", "b"]
    with pytest.raises(ColumnError, match="'nope'"):
        read_campaign(sent, columns={"customer_id": "nope"})


def test_loyalty_export():
    members = pd.DataFrame(
        {
            "会员编号": ["a", "b", "c"],
            "入会日期": ["2024-01-05", "2024/2/1", ""],
            "累计积分": ["1,200", "300", "5"],
            "已兑换积分": ["600", "0", "0"],
            "已过期积分": ["100", "", "0"],
        }
    )
    found = read_loyalty(members)
    frame = found.frame
    assert frame["customer_id"].tolist() == ["a", "b"]  # c has no join date: dropped and counted
    assert found.quality.dropped["missing_date"] == 1
    assert frame["points_earned"].tolist() == [1200.0, 300.0]
    assert frame["points_redeemed"].tolist() == [600.0, 0.0]
    assert frame["points_expired"].iloc[0] == 100.0 and pd.isna(frame["points_expired"].iloc[1])


def test_loyalty_without_join_date_or_points():
    with pytest.raises(ColumnError, match="join date"):
        read_loyalty(pd.DataFrame({"customer_id": ["a"], "points": ["1"]}))
    found = read_loyalty(pd.DataFrame({"customer_id": ["a"], "join_date": ["2024-01-01"]}))
    assert found.frame["points_earned"].isna().all()
    assert "loyalty_no_points" in [n.key for n in found.notes]


@pytest.mark.parametrize(
    ("text", "value"),
    [("¥1,200.50", 1200.5), ("35元", 35.0), ("(30)", -30.0), ("-2", -2.0), ("1 200", None), ("abc", None)],
)
def test_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("name", ["control", "Control Group", "hold-out", "对照组", "空白组", "不触达", "对照"])
def test_control_names(name):
    assert control_name(name)


@pytest.mark.parametrize("name", ["treatment", "优惠券", "A", "sms"])
def test_arm_names_are_not_control(name):
    assert not control_name(name)
