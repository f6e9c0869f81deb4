"""The data layer: every input quirk of issue #2 as a small generated file."""

from __future__ import annotations

import gzip
from datetime import date, datetime

import pandas as pd
import pytest

from crmkit.errors import ColumnError, DataError, InputError
from crmkit.io.columns import detect_columns, normalise_header
from crmkit.io.purchases import read_purchases


def rows(data):
    t = data.transactions
    return list(zip(t["customer_id"], t["date"].dt.date, t["amount"].round(4), t["is_return"]))


def test_gbk_chinese_headers_dates_title_rows_and_total_row(write):
    text = (
        "销售明细报表\n导出时间：2024-05-01\n\n"
        "客户编号,订单日期,金额（元）,状态\n"
        '00123,2024年3月5日,"￥1,234.50",完成\n'
        "00124,2024/3/6,(20.00),退货\n"
        "00125,2024年3月7日 14:30,88元,完成\n"
        '合计,,"1,302.50",\n'
    )
    data = read_purchases(write("gbk.csv", text, "gbk"))
    assert rows(data) == [
        ("00123", date(2024, 3, 5), 1234.5, False),
        ("00124", date(2024, 3, 6), -20.0, True),
        ("00125", date(2024, 3, 7), 88.0, False),
    ]
    q = data.quality
    assert q.encoding == "gb18030"
    assert q.header_row == 4
    assert q.dropped == {"total_row": 1}
    assert q.rows_read == q.rows_used + q.rows_dropped == 4
    assert q.return_rows == 1 and q.return_amount == 20.0


def test_utf8_bom_and_english_total_row(write):
    text = "\ufeffCustomerID,InvoiceDate,Sales\n001,2024-01-02,10\n002,2024-01-03,5.5\nTotal,,15.5\n"
    data = read_purchases(write("bom.csv", text))
    assert data.quality.columns["customer_id"] == "CustomerID"
    assert [r[0] for r in rows(data)] == ["001", "002"]
    assert data.quality.dropped == {"total_row": 1}


def test_a_total_row_padded_with_an_ideographic_space_is_dropped(write):
    """合计 followed by U+3000 (a full-width space, as Chinese spreadsheets pad) is still a total row."""
    text = "客户编号,订单日期,金额\nA1,2024-01-02,10\nA2,2024-01-03,20\n合计\u3000,,30\n"
    data = read_purchases(write("total.csv", text))
    assert [r[0] for r in rows(data)] == ["A1", "A2"]
    assert data.quality.dropped == {"total_row": 1}


def test_utf16_tab_separated_excel_unicode_text(write):
    text = "会员号\t下单时间\t实付金额\nA1\t2024-01-02\t10\nA2\t2024-01-03\t20\n"
    path = write("u16.txt", text.encode("utf-16"))
    data = read_purchases(path)
    assert data.quality.encoding == "utf-16" and data.quality.delimiter == "\t"
    assert rows(data)[1] == ("A2", date(2024, 1, 3), 20.0, False)


def test_semicolon_decimal_comma_and_currency(write):
    text = 'id;date;amount\n1;13/01/2024;1.234,50\n2;02/02/2024;"12,50 €"\n3;03/02/2024;-3,00\n'
    data = read_purchases(write("semi.csv", text))
    assert rows(data) == [
        ("1", date(2024, 1, 13), 1234.5, False),
        ("2", date(2024, 2, 2), 12.5, False),
        ("3", date(2024, 2, 3), -3.0, True),
    ]
    assert data.quality.delimiter == ";"
    assert any("decimal comma" in n for n in data.quality.notes)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("$1,234.50", 1234.5),
        ("¥88", 88.0),
        ("￥-5", -5.0),
        ("€12.00", 12.0),
        ("100元", 100.0),
        ("(20.00)", -20.0),
        ("20-", -20.0),
        ("1 234.5", 1234.5),
        ("USD 12", 12.0),
        ("+7", 7.0),
        ("0", 0.0),
    ],
)
def test_amount_formats(write, raw, expected):
    data = read_purchases(write("a.csv", f'customer_id,date,amount\nc1,2024-01-01,"{raw}"\n'))
    got = data.transactions["amount"].iloc[0]
    assert got == pytest.approx(-abs(expected) if expected < 0 else expected)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024-03-05 10:22:00", date(2024, 3, 5)),
        ("2024-03-05T10:22:00", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024.03.05", date(2024, 3, 5)),
        ("20240305", date(2024, 3, 5)),
        ("2024年3月5日", date(2024, 3, 5)),
        ("2024年3月5日 14:30", date(2024, 3, 5)),
        ("45356", date(2024, 3, 5)),
        ("5 Mar 2024", date(2024, 3, 5)),
        ("Mar 5, 2024", date(2024, 3, 5)),
        ("3/5/2024 8:26", date(2024, 3, 5)),
    ],
)
def test_date_formats(write, raw, expected):
    data = read_purchases(write("d.csv", f'customer_id,date,amount\nc1,"{raw}",1\n'))
    assert data.transactions["date"].dt.date.iloc[0] == expected


def test_day_first_decided_from_whole_column(write):
    text = "customer_id,date,amount\n" + "".join(f"c{i},0{i}/02/2024,1\n" for i in range(1, 10)) + "c10,13/02/2024,1\n"
    data = read_purchases(write("dmy.csv", text))
    assert data.transactions["date"].dt.date.iloc[0] == date(2024, 2, 1)
    ambiguous = read_purchases(write("amb.csv", "customer_id,date,amount\nc1,01/02/2024,1\n"))
    assert ambiguous.transactions["date"].dt.date.iloc[0] == date(2024, 1, 2)
    assert any("--dayfirst" in n for n in ambiguous.quality.notes)
    forced = read_purchases(write("amb2.csv", "customer_id,date,amount\nc1,01/02/2024,1\n"), dayfirst=True)
    assert forced.transactions["date"].dt.date.iloc[0] == date(2024, 2, 1)


def test_ids_stay_text(write):
    text = "customer_id,date,amount\n00123,2024-01-01,1\n17850.0,2024-01-01,1\n 0042 ,2024-01-01,1\n"
    data = read_purchases(write("ids.csv", text))
    assert list(data.transactions["customer_id"]) == ["00123", "17850", "0042"]


def test_quantity_times_price_and_cancelled_invoices(write):
    text = (
        "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
        "536365,A,6,12/1/2010 8:26,2.55,17850.0\n"
        "536366,B,2,12/13/2010 9:00,1.50,17850.0\n"
        "C536379,A,-1,12/14/2010 9:41,2.55,17850.0\n"
        "536367,A,1,12/14/2010 10:00,2.55,\n"
    )
    data = read_purchases(write("retail.csv", text))
    assert rows(data) == [
        ("17850", date(2010, 12, 1), 15.3, False),
        ("17850", date(2010, 12, 13), 3.0, False),
        ("17850", date(2010, 12, 14), -2.55, True),
    ]
    assert data.quality.dropped == {"missing_customer_id": 1}
    assert any("Quantity x UnitPrice" in n for n in data.quality.notes)


def test_status_returns_offset_or_cancel(write):
    text = (
        "order_id,customer_id,date,amount,status\n"
        "o1,c1,2024-01-01,100,completed\n"
        "o1,c1,2024-01-05,40,returned\n"  # a return line of order o1: offsets revenue
        "o2,c2,2024-01-02,70,cancelled\n"  # an order that was cancelled: never revenue
        "o3,c2,2024-01-03,30,已完成\n"
        "o4,c2,2024-01-04,30,退货\n"
    )  # 退货 on its own order: cancelled
    data = read_purchases(write("status.csv", text))
    t = data.transactions
    assert t.groupby("customer_id")["amount"].sum().to_dict() == {"c1": 60.0, "c2": 30.0}
    assert data.quality.dropped == {"cancelled_order": 2}
    assert data.quality.return_rows == 1


def test_missing_values_are_dropped_and_counted(write):
    text = "customer_id,date,amount\n,2024-01-01,1\nc2,,1\nc3,2024-01-01,\nc4,2024-01-01,NULL\nc5,2024-01-01,2\n"
    data = read_purchases(write("missing.csv", text))
    assert data.quality.dropped == {"missing_customer_id": 1, "missing_date": 1, "missing_amount": 2}
    assert data.quality.rows_used == 1


def test_impossible_date_names_file_row_and_column(write):
    path = write("bad.csv", "customer_id,order_date,amount\nc1,2024-01-01,1\nc2,2024-02-30,1\nc3,soon,1\n")
    with pytest.raises(DataError) as err:
        read_purchases(path)
    msg = str(err.value)
    assert "bad.csv" in msg and "row 3" in msg and "'order_date'" in msg and "2024-02-30" in msg
    assert "1 more row" in msg
    data = read_purchases(path, skip_bad_rows=True)
    assert data.quality.dropped == {"invalid_value": 2} and data.quality.rows_used == 1


def test_bad_amount_names_row(write):
    path = write("bad_amount.csv", "customer_id,date,amount\nc1,2024-01-01,1\nc2,2024-01-02,twelve\n")
    with pytest.raises(DataError, match=r"row 3, column 'amount': cannot read amount 'twelve'"):
        read_purchases(path)


def test_malformed_row(write):
    path = write("ragged.csv", "customer_id,date,amount\nc1,2024-01-01,1\nc2,2024-01-02,1,extra\n")
    with pytest.raises(InputError, match=r"row 3.*expected 3 fields, found 4"):
        read_purchases(path)


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "file is empty"),
        ("   \n\n", "file is empty"),
        ("customer_id,date,amount\n", "no data rows"),
    ],
)
def test_empty_inputs(write, content, message):
    with pytest.raises(InputError, match=message):
        read_purchases(write("empty.csv", content))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_purchases(str(tmp_path / "nope.csv"))
    with pytest.raises(InputError, match="directory"):
        read_purchases(str(tmp_path))


def test_unknown_columns_list_what_was_found(write):
    path = write("cols.csv", "who,when,how_much\na,2024-01-01,1\n")
    with pytest.raises(ColumnError) as err:
        read_purchases(path)
    assert "who, when, how_much" in str(err.value) and "--customer" in str(err.value)
    data = read_purchases(path, columns={"customer_id": "who", "date": "when", "amount": "how_much"})
    assert data.quality.rows_used == 1
    with pytest.raises(ColumnError, match="--amount names column 'cost'"):
        read_purchases(path, columns={"customer_id": "who", "date": "when", "amount": "cost"})


def test_header_normalisation_and_aliases():
    assert normalise_header("Customer ID") == normalise_header("customer_id") == "customerid"
    assert normalise_header("金额（元）") == "金额"
    cmap = detect_columns(["顾客ID", "交易时间", "销售额", "门店"])
    assert cmap.roles == {"customer_id": "顾客ID", "date": "交易时间", "amount": "销售额", "channel": "门店"}


def test_xlsx_with_title_rows_datetimes_and_float_ids(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2024年销售明细"])
    ws.append([])
    ws.append(["会员号", "订单日期", "实付金额"])
    ws.append([17850.0, datetime(2024, 3, 5, 10, 0), 12.5])
    ws.append(["00042", 45356, "¥8"])
    path = tmp_path / "sales.xlsx"
    wb.save(path)
    data = read_purchases(str(path))
    assert rows(data) == [("17850", date(2024, 3, 5), 12.5, False), ("00042", date(2024, 3, 5), 8.0, False)]
    assert data.quality.file_format == "xlsx" and data.quality.header_row == 3


def test_xlsx_named_sheet_and_bad_value_row(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    ws = wb.create_sheet("Orders")
    ws.append(["customer_id", "date", "amount"])
    ws.append(["a", "2024-01-01", 1])
    ws.append(["b", "2024-13-01", 1])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    with pytest.raises(DataError, match="row 3"):
        read_purchases(str(path), sheet="Orders")
    with pytest.raises(InputError, match="no sheet named 'Nope'"):
        read_purchases(str(path), sheet="Nope")


def test_parquet_and_gzip(tmp_path):
    frame = pd.DataFrame(
        {"customer_id": ["007", "008"], "date": pd.to_datetime(["2024-01-01", "2024-01-02"]), "amount": [1.5, 2.0]}
    )
    frame.to_parquet(tmp_path / "s.parquet")
    data = read_purchases(str(tmp_path / "s.parquet"))
    assert rows(data) == [("007", date(2024, 1, 1), 1.5, False), ("008", date(2024, 1, 2), 2.0, False)]
    gz = tmp_path / "s.csv.gz"
    gz.write_bytes(gzip.compress("客户编号,订单日期,金额\n001,2024-01-01,3\n".encode("gb18030")))
    data = read_purchases(str(gz))
    assert rows(data) == [("001", date(2024, 1, 1), 3.0, False)]


def test_cdnow_ids_intact(shared_dataset):
    data = read_purchases(str(shared_dataset("cdnow_sample.csv")))
    t = data.transactions
    assert t["customer_id"].nunique() == 2357
    assert "0001" in set(t["customer_id"])
    assert data.quality.rows_read == data.quality.rows_used == 6919


@pytest.mark.slow
def test_file_order_and_row_numbers_survive_parallel_scans(tmp_path):
    # Large enough for DuckDB to split the scan across threads; a bad value near the end must
    # still be reported at its own line, and rows must come back in file order.
    n, bad = 1_200_000, 1_100_000
    lines = ["customer_id,date,amount"] + [f"c{i % 5000:05d},2024-01-{1 + i % 28:02d},{i}" for i in range(n)]
    lines[bad] = "c00001,2024-02-30,1"
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=f"row {bad + 1}, column 'date'"):
        read_purchases(str(path))
    data = read_purchases(str(path), skip_bad_rows=True)
    amounts = [r[0] for r in data.con.sql("SELECT amount FROM tx").fetchall()]
    assert amounts == [float(i) for i in range(n) if i != bad - 1]
