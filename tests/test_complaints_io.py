"""crmkit.io.complaints: a complaints export read, every dropped row and odd value counted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import ColumnError, InputError
from crmkit.io.complaints import FRAME_COLUMNS, parse_times, read_complaints, status_class

HEADER = "投诉编号,客户编号,投诉时间,投诉类型,投诉渠道,处理状态,处理时间,投诉内容\n"
ROWS = [
    "T1,C001,2024-03-01 09:30,物流慢,电话,已解决,2024-03-02 15:30,物流太慢",  # file row 2
    "T2,,2024-03-01 10:00,价格,电话,已解决,,价格贵",  # 3: no customer id
    "T3,C002,,价格,微信,处理中,,价格贵",  # 4: no date
    "T4,C003,soon,价格,微信,处理中,,价格贵",  # 5: unreadable date
    "T5,C004,2024/3/5,商品质量,微信,神秘状态,2024-03-06,质量差",  # 6: unknown status, resolved at given
    "T6,C005,2024-03-06 18:00,商品质量,微信,待定,,质量差",  # 7: unknown status, no resolution: open
    "T7,C006,2024-03-07 12:00,客服态度,App,已关闭,2024-03-06 08:00,客服差",  # 8: resolved before opened
    "T8,C001,2024年3月8日 08:15,物流慢,App,Pending,,物流慢",  # 9: English status, Chinese date + time
]


def _file(tmp_path, text: str, encoding: str = "utf-8", name: str = "complaints.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


@pytest.fixture
def export(tmp_path):
    return read_complaints(_file(tmp_path, HEADER + "\n".join(ROWS) + "\n"))


def test_rows_kept_and_dropped_by_hand(export):
    q = export.quality
    assert list(export.frame.columns) == list(FRAME_COLUMNS)
    assert export.frame["ticket_id"].tolist() == ["T1", "T5", "T6", "T7", "T8"]
    assert export.frame["row"].tolist() == [2, 6, 7, 8, 9]
    assert (q.rows_read, q.rows_used) == (8, 5)
    assert q.dropped == {"missing_customer_id": 1, "missing_date": 1, "unreadable_date": 1, "total_row": 0}
    assert q.first_row == {"missing_customer_id": 3, "missing_date": 4, "unreadable_date": 5}
    assert q.rows_read == q.rows_used + q.rows_dropped
    keys = [n.key for n in export.notes]
    assert "feedback_missing_customer_id" in keys and "feedback_unreadable_date" in keys
    assert "row 5" in next(n for n in export.notes if n.key == "feedback_unreadable_date")


def test_times_states_and_odd_values(export):
    f = export.frame.set_index("ticket_id")
    assert f.at["T1", "opened_at"] == pd.Timestamp("2024-03-01 09:30")
    assert f.at["T1", "resolved_at"] == pd.Timestamp("2024-03-02 15:30")
    assert f.at["T8", "opened_at"] == pd.Timestamp("2024-03-08 08:15")
    assert f["state"].to_dict() == {"T1": "resolved", "T5": "resolved", "T6": "open", "T7": "resolved", "T8": "open"}
    assert export.quality.unknown_status == {"待定": 1, "神秘状态": 1}
    assert export.quality.resolved_before_opened == 1
    assert pd.isna(f.at["T7", "resolved_at"])  # set missing, the status still says resolved
    assert export.columns["resolved_at"] == "处理时间" and export.columns["date"] == "投诉时间"
    assert {n.key for n in export.notes} >= {"feedback_unknown_status", "feedback_resolved_before_opened"}


def test_gbk_file_with_total_row(tmp_path):
    text = HEADER + ROWS[0] + "\n" + ROWS[-1] + "\n合计,,,,,,,\n"
    found = read_complaints(_file(tmp_path, text, "gbk"))
    assert found.frame["category"].tolist() == ["物流慢", "物流慢"]
    assert found.quality.dropped["total_row"] == 1 and found.quality.rows_read == 3
    assert any(n.key == "feedback_total_row" for n in found.notes)


def test_bom_and_english_headers_without_status(tmp_path):
    text = "\ufeffTicket ID,Customer ID,Created,Type,Channel,Resolved,Description\n"
    text += "a,1,2024-01-01 10:00,late,web,2024-01-01 16:00,The parcel was late\nb,2,2024-01-02,broken,web,,Broken\n"
    found = read_complaints(_file(tmp_path, text))
    assert found.columns["ticket_id"] == "Ticket ID" and found.columns["text"] == "Description"
    assert found.frame["state"].tolist() == ["resolved", "open"]  # no status column: by resolution time
    assert any(n.key == "feedback_no_status" for n in found.notes)
    assert found.frame["customer_id"].tolist() == ["1", "2"]


def test_leading_zero_ids_stay_text(tmp_path):
    found = read_complaints(_file(tmp_path, "客户编号,投诉时间\n000123,2024-01-01\n000456,2024-01-02\n"))
    assert found.frame["customer_id"].tolist() == ["000123", "000456"]


def test_missing_columns_name_file_and_headers(tmp_path):
    path = _file(tmp_path, "客户编号,投诉类型\nA,物流\n")
    with pytest.raises(ColumnError) as err:
        read_complaints(path)
    assert "complaints.csv" in str(err.value) and "complaint date" in str(err.value)
    assert "客户编号, 投诉类型" in str(err.value)
    with pytest.raises(ColumnError, match="customer id"):
        read_complaints(_file(tmp_path, "投诉时间,投诉类型\n2024-01-01,物流\n", name="b.csv"))
    assert ColumnError.exit_code == 4


def test_column_override_and_unknown_override(tmp_path):
    path = _file(tmp_path, "who,when\nA,2024-01-01\n")
    found = read_complaints(path, columns={"customer_id": "who", "date": "WHEN"})
    assert found.frame["customer_id"].tolist() == ["A"]
    with pytest.raises(ColumnError, match="not in the complaints file"):
        read_complaints(path, columns={"customer_id": "nobody", "date": "when"})


def test_header_only_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no rows"):
        read_complaints(_file(tmp_path, HEADER))


def test_dataframe_and_status_vocabulary():
    frame = pd.DataFrame({"会员ID": ["x"], "反馈时间": ["2024-05-05T07:05:09Z"], "状态": ["In Progress"]})
    found = read_complaints(frame)
    assert found.frame["opened_at"].tolist() == [pd.Timestamp("2024-05-05 07:05:09")]
    assert found.frame["state"].tolist() == ["open"]
    for text in (
        "已解决",
        "已处理",
        "处理完成",
        "已完成",
        "已关闭",
        "resolved",
        "Closed",
        "solved",
        "done",
        "completed",
    ):
        assert status_class(text) == "resolved", text
    for text in ("处理中", "待处理", "未处理", "未解决", "新建", "open", "pending", "new", "in progress", "escalated"):
        assert status_class(text) == "open", text
    assert status_class(None) is None and status_class("?") is None


def test_parse_times_keeps_time_and_rejects_bad_times():
    times, bad = parse_times(["2024-01-31 23:59:59", "2024-01-31 25:00", "20240131", None])
    assert times[0] == np.datetime64("2024-01-31T23:59:59")
    assert bad.tolist() == [False, True, False, False]  # 25:00 is no time, and the text no date
    assert times[2] == np.datetime64("2024-01-31T00:00:00")
