"""The reader's two columns kept on request: ``hour`` (from the date's text) and ``discount`` (issue 13).

Each case is a hand-made export whose expected hour or discount is written next to it.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.io.columns import OVERRIDE_FLAGS, detect_columns
from crmkit.io.purchases import ON_REQUEST, read_purchases
from tests.test_platforms import SHOPIFY, TAOBAO, _shopify_rows, _taobao_rows, export

KEEP = ("hour", "discount")


def column(data, name):
    """One column of ``tx`` as a list, NULL as None."""
    return [row[0] for row in data.con.sql(f"SELECT {name} FROM tx").fetchall()]


def types(data) -> dict[str, str]:
    return {name: kind for name, kind, *_ in data.con.sql("DESCRIBE tx").fetchall()}


def frame(dates, **more):
    return pd.DataFrame({"customer_id": [f"c{i}" for i in range(len(dates))], "date": dates, "amount": 10, **more})


# --- hour ---------------------------------------------------------------------------------------

HOURS = [
    ("2024-03-05 14:22:01", date(2024, 3, 5), 14),
    ("2024/3/5 9:05", date(2024, 3, 5), 9),
    ("2024-03-05T14:22:01+08:00", date(2024, 3, 5), 14),  # the clock written, not converted
    ("2024-03-05T23:30:00-05:00", date(2024, 3, 5), 23),
    ("2024-03-05 00:10:00", date(2024, 3, 5), 0),
    ("2024-03-05", date(2024, 3, 5), None),  # no time of day
    ("2024年3月5日 14:22", date(2024, 3, 5), 14),
    ("2024年3月5日14时22分", date(2024, 3, 5), 14),
    ("2024.03.05 7:00:00.250", date(2024, 3, 5), 7),
    ("20240305", date(2024, 3, 5), None),
    ("5 Mar 2024 18:45", date(2024, 3, 5), 18),
    ("03/05/2024 2:05 PM", date(2024, 3, 5), 14),  # month first (no value tells)
    ("03/05/2024 12:30 am", date(2024, 3, 5), 0),
    ("03/05/2024 12:30 PM", date(2024, 3, 5), 12),
    ("2024-03-05 下午2:05", date(2024, 3, 5), 14),
    ("45356.6", date(2024, 3, 5), 14),  # an Excel serial: .6 of a day is 14:24
    ("45356", date(2024, 3, 5), None),
]


def test_hour_from_each_date_format_and_dates_unchanged():
    texts = [text for text, _, _ in HOURS]
    data = read_purchases(frame(texts), keep=KEEP)
    assert column(data, "hour") == [hour for _, _, hour in HOURS]
    assert column(data, "date") == [day for _, day, _ in HOURS]
    # the dates are exactly what the reader gives without the new columns
    assert column(read_purchases(frame(texts)), "date") == column(data, "date")
    assert types(data)["hour"] == "SMALLINT" and types(data)["discount"] == "DOUBLE"


def test_hour_with_day_first_dates_csv(write):
    text = "customer,date,amount\na,13/03/2024 08:15,5\nb,05/03/2024 21:00,5\nc,06/03/2024,5\n"
    data = read_purchases(write("dmy.csv", text), keep=("hour",))
    assert column(data, "date") == [date(2024, 3, 13), date(2024, 3, 5), date(2024, 3, 6)]
    assert column(data, "hour") == [8, 21, None]
    forced = read_purchases(write("dmy2.csv", "customer,date,amount\na,05/03/2024 21:00,5\n"), dayfirst=True, keep=KEEP)
    assert column(forced, "date") == [date(2024, 3, 5)] and column(forced, "hour") == [21]


def test_midnight_everywhere_is_no_time_of_day():
    # dates written as datetimes (pandas, a spreadsheet): 00:00:00 on every row says nothing of the hour
    days = pd.to_datetime(["2024-03-05", "2024-03-06"])
    assert column(read_purchases(frame(days), keep=KEEP), "hour") == [None, None]
    assert column(read_purchases(frame(["2024-03-05 00:00:00", "2024-03-06 00:00"]), keep=KEEP), "hour") == [
        None,
        None,
    ]
    # one real time makes the midnights real midnights
    assert column(read_purchases(frame(["2024-03-05 00:00:00", "2024-03-06 10:30"]), keep=KEEP), "hour") == [0, 10]


def test_hour_from_typed_timestamps():
    stamps = pd.to_datetime(["2024-03-05 14:22:01", "2024-03-06 09:00:00"])
    data = read_purchases(frame(stamps), keep=("hour",))
    assert column(data, "hour") == [14, 9]
    assert column(data, "date") == [date(2024, 3, 5), date(2024, 3, 6)]


def test_hour_from_xlsx_datetime_cells(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["会员号", "订单日期", "实付金额"])
    sheet.append(["a", datetime(2024, 3, 5, 14, 22, 1), 12.5])
    sheet.append(["b", datetime(2024, 3, 6, 9, 5), 8])
    sheet.append(["c", "2024-03-07", 8])  # text without a time
    path = tmp_path / "sales.xlsx"
    book.save(path)
    data = read_purchases(str(path), keep=KEEP)
    assert column(data, "hour") == [14, 9, None]
    assert column(data, "date") == [date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)]
    assert column(data, "discount") == [None, None, None]


def test_not_kept_unless_asked():
    data = read_purchases(frame(["2024-03-05 14:22"], discount=[3]))
    assert "hour" not in types(data) and "discount" not in types(data)
    assert data.quality.columns["discount"] == "discount"  # found and listed, like any optional column
    assert ON_REQUEST == ("hour", "discount")


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31)))
def test_hour_of_any_iso_datetime(moment):
    moment = moment.replace(microsecond=0)
    # a second row at 01:00 keeps the column from being all midnight
    data = read_purchases(frame([moment.isoformat(sep=" "), "2024-01-01 01:00:00"]), keep=("hour",))
    assert column(data, "hour")[0] == moment.hour
    assert column(data, "date")[0] == moment.date()


# --- discount -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["discount", "Discount Amount", "discounts", "coupon_amount", "优惠金额", "折扣金额（元）", "优惠", "店铺优惠",
     "优惠券金额", "平台优惠"],
)  # fmt: skip
def test_discount_headers(header):
    assert detect_columns(["客户编号", "订单日期", "金额", header]).roles["discount"] == header
    data = read_purchases(frame(["2024-03-05"], **{header: ["2.50"]}), keep=KEEP)
    assert column(data, "discount") == [2.5]
    assert data.quality.columns["discount"] == header


def test_discount_signs_blanks_and_unreadable_values(write):
    text = (
        "客户编号,订单日期,金额,优惠金额\n"
        'a,2024-03-05,100,"¥1,000.50"\n'  # 1000.50
        "b,2024-03-05,100,-5\n"  # money off written negative: 5
        "c,2024-03-05,100,(2.25)\n"  # accountants' negative: 2.25
        "d,2024-03-05,100,\n"  # blank: NULL
        "e,2024-03-05,100,--\n"  # a null word: NULL
        "f,2024-03-05,100,满100减5\n"  # unreadable: NULL, not an error
        "g,2024-03-05,-30,0\n"  # a return's discount is read as well
    )
    data = read_purchases(write("d.csv", text), keep=KEEP)
    assert column(data, "discount") == [1000.5, 5.0, 2.25, None, None, None, 0.0]
    assert column(data, "hour") == [None] * 7
    assert data.quality.rows_used == 7 and not data.quality.dropped
    assert data.quality.columns["discount"] == "优惠金额"


def test_discount_follows_the_decimal_comma(write):
    text = "customer;date;amount;discount\na;2024-03-05;12,50;1,25\nb;2024-03-05;1.234,50;-0,5\n"
    data = read_purchases(write("eu.csv", text), keep=KEEP)
    assert column(data, "amount") == [12.5, 1234.5]
    assert column(data, "discount") == [1.25, 0.5]
    forced = read_purchases(write("eu2.csv", "customer,date,amount,discount\na,2024-03-05,10,\"3,5\"\n"), decimal=",",
                            keep=KEEP)  # fmt: skip
    assert column(forced, "discount") == [3.5]


def test_discount_column_named_by_override():
    assert OVERRIDE_FLAGS["discount"] == "--discount-amount"
    data = read_purchases(frame(["2024-03-05"], 减免=["4"]), columns={"discount": "减免"}, keep=KEEP)
    assert column(data, "discount") == [4.0] and data.quality.columns["discount"] == "减免"


def test_other_kept_columns_unchanged():
    df = frame(["2024-03-05 10:00", "2024-03-06 11:00"], channel=["web", "shop"], quantity=[1, 2], discount=[1, 0])
    data = read_purchases(df, keep=("channel", "quantity", "hour", "discount"))
    assert list(types(data)) == [
        "customer_id",
        "date",
        "amount",
        "is_return",
        "channel",
        "quantity",
        "hour",
        "discount",
    ]
    assert column(data, "channel") == ["web", "shop"] and column(data, "hour") == [10, 11]


# --- platforms and databases --------------------------------------------------------------------


def test_platform_hour_from_the_payment_time(tmp_path):
    data = read_purchases(export(tmp_path / "orders_export.csv", SHOPIFY, _shopify_rows()), keep=KEEP)
    # Paid at as written (23:30 -0500 stays 23 on 2024-03-01), the same rows test_shopify keeps
    assert column(data, "hour") == [23, 23, 23, 10, 9, 8, 8]
    assert column(data, "date")[:3] == [date(2024, 3, 1)] * 3
    assert column(data, "discount") == [None] * 7  # platforms give no discount (their roles are fixed)
    taobao = read_purchases(
        export(tmp_path / "ExportOrderList.csv", TAOBAO, _taobao_rows(), "gb18030"), keep=(*KEEP, "order_id")
    )
    # 订单付款时间 of the five purchases: 22:02, 00:05 (created 23:50 the day before), 09:00, 08:00, 09:00
    assert column(taobao, "hour") == [22, 0, 9, 8, 9]
    assert column(taobao, "order_id")[1] == "1930679858170648"


def test_database_source_with_hour_and_discount(tmp_path):
    import sqlite3

    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (customer_id TEXT, order_date TEXT, amount REAL, discount REAL)")
        db.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?)",
            [("a", "2024-03-05 14:00:00", 10.0, -1.5), ("b", "2024-03-06 09:30:00", 5.0, None)],
        )
    pytest.importorskip("adbc_driver_sqlite")
    from crmkit.io.options import ReadOptions
    from crmkit.pushdown import push_down

    url = f"sqlite:///{path}"
    options = ReadOptions(table="orders")
    data = read_purchases(url, options=options, keep=KEEP)
    assert column(data, "hour") == [14, 9] and column(data, "discount") == [1.5, None]
    pushed = push_down(url, options=options)  # a discount column does not keep the rows from the engine
    if pushed is not None:
        assert pushed.quality.rows_used == 2
        pushed.release()
