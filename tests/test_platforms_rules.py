"""The platform rules a first user's trial asked for: exports pasted together, odd signs, fallbacks, spellings.

Each case is a tiny export worked out by hand in its comments (the layouts of tests/test_platforms.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.errors import DataError, UsageError
from crmkit.io import platforms
from crmkit.io.platforms import detect, load
from crmkit.io.purchases import read_purchases
from tests.test_platforms import SHOPIFY, TAOBAO, WOOCOMMERCE, YOUZAN, export, summary, table

runner = CliRunner()

TAOBAO_COLUMNS = "订单编号|买家会员名|买家实际支付金额|订单状态|订单创建时间|订单付款时间|退款金额"
TAOBAO_ROWS = (
    '="100001"|amy|598.00|交易成功|2024-03-01 10:00:00|2024-03-01 10:01:00|0',  # 598.00 on 03-01
    '="100002"|amy|70.00|交易成功|2024-03-02 10:00:00|2024-03-02 10:01:00|0',  # 70.00 on 03-02
    '="100003"|ben|200.00|交易成功|2024-03-02 11:00:00|2024-03-02 11:01:00|0',  # 200.00
)


def test_an_export_pasted_twice_counts_each_order_once(tmp_path):
    rows = table(TAOBAO_COLUMNS, *TAOBAO_ROWS)
    once = read_purchases(export(tmp_path / "once.csv", TAOBAO, rows, "gb18030"))
    # the same three orders again under the same header: three duplicate_order rows, nothing more
    twice = read_purchases(export(tmp_path / "twice.csv", TAOBAO, rows + rows, "gb18030"))
    assert summary(twice)[:3] == summary(once)[:3] == (["amy", "ben"], 3, 868.0)
    assert twice.quality.dropped == {"duplicate_order": 3}
    assert twice.quality.orders == {"purchase": 3}  # the orders of the file, each once
    assert twice.quality.rows_read == twice.quality.rows_used + twice.quality.rows_dropped == 6


def test_two_exports_concatenated_with_their_headers(tmp_path):
    first = export(tmp_path / "a.csv", TAOBAO, table(TAOBAO_COLUMNS, *TAOBAO_ROWS[:2]), "gb18030")
    second = export(tmp_path / "b.csv", TAOBAO, table(TAOBAO_COLUMNS, TAOBAO_ROWS[2]), "gb18030")
    both = tmp_path / "both.csv"
    both.write_bytes(open(first, "rb").read() + open(second, "rb").read())  # cat a.csv b.csv
    data = read_purchases(str(both))
    assert summary(data)[:3] == (["amy", "ben"], 3, 868.0)
    assert data.quality.dropped == {"header_row": 1}


def test_a_refund_is_money_back_whatever_its_sign(tmp_path):
    rows = table(
        TAOBAO_COLUMNS, '="1"|amy|100.00|交易成功|2024-03-01|2024-03-01|-30', '="2"|amy|10元|交易成功||2024-03-02|'
    )
    data = read_purchases(export(tmp_path / "tb.csv", TAOBAO, rows, "gb18030"))
    assert summary(data)[:3] == (["amy"], 2, 80.0)  # 100 - 30, and 10
    assert data.quality.refund_amount == 30.0 and data.quality.orders == {"purchase": 2, "partly_refunded": 1}


def test_a_negative_paid_amount_is_named_not_taken_for_a_return(tmp_path):
    rows = table(TAOBAO_COLUMNS, '="1"|amy|100.00|交易成功||2024-03-01|0', '="2"|ben|-5.00|交易成功||2024-03-09|0')
    path = export(tmp_path / "tb.csv", TAOBAO, rows, "gb18030")
    with pytest.raises(DataError) as caught:
        read_purchases(path)
    assert caught.value.row == 3 and caught.value.column == "买家实际支付金额 - 退款金额"
    assert "paid amount '-5.00' is negative in a purchase order" in str(caught.value)
    skipped = read_purchases(path, skip_bad_rows=True)
    # dropped and counted, and the as-of date stays the last real purchase (a return would have been used)
    assert summary(skipped) == (["amy"], 1, 100.0, {"invalid_value": 1}) and skipped.quality.return_rows == 0
    # an unpaid order's amount does not matter
    rows[1]["订单状态"] = "等待买家付款"
    assert read_purchases(export(tmp_path / "tb2.csv", TAOBAO, rows, "gb18030")).quality.dropped == {"unpaid_order": 1}


def test_the_customer_falls_back_row_by_row(tmp_path):
    rows = table(
        "订单号|订单状态|订单创建时间|买家付款时间|订单实付金额|订单已退款金额|买家昵称|买家手机号",
        "E1|交易成功|2024-01-02 10:00:00|2024-01-02 10:00:05|50.00|0|小王|13800000000",  # 13800000000
        "E2|已发货|2024-01-03 10:00:00|2024-01-03 10:00:05|1e3|0|小李|",  # no phone: 小李, 1000.00
        "E3|交易成功|2024-01-04 10:00:00|2024-01-04 10:00:05|20.00|0||",  # nobody: missing customer id
    )
    data = read_purchases(export(tmp_path / "yz.csv", YOUZAN, rows, "utf-8-sig"))
    assert summary(data) == (["13800000000", "小李"], 2, 1050.0, {"missing_customer_id": 1})
    assert data.quality.columns["customer_id"] == "买家手机号 | 买家昵称 | 收货人手机号/提货人手机号"


def test_an_email_is_one_customer_whatever_its_case(tmp_path):
    rows = table(
        "Name|Email|Financial Status|Paid at|Created at|Total|Refunded Amount|Outstanding Balance|Lineitem name|"
        "Lineitem quantity|Lineitem price",
        "#1|Alice@Example.com|paid|2025-01-05 10:00:00 +0100|2025-01-05 10:00:00 +0100|100.00|0.00|0.00|Mug|1|100",
        "#2|alice@example.com|paid|2025-02-05 10:00:00 +0100|2025-02-05 10:00:00 +0100|35.00|0.00|0.00|Tee|1|35",
        "#3|+1 555-123-4567|paid|2025-02-06 10:00:00 +0100|2025-02-06 10:00:00 +0100|5.00|0.00|0.00|Cap|1|5",
    )
    data = read_purchases(export(tmp_path / "orders_export.csv", SHOPIFY, rows))
    # the first spelling stands for both; a phone id stays exactly as exported
    assert summary(data)[:3] == (["+1 555-123-4567", "Alice@Example.com"], 3, 140.0)
    assert any(n.key == "platform_emails" and n.params["emails"] == 1 for n in data.quality.notes)
    out = runner.invoke(app, ["segment", str(tmp_path / "orders_export.csv"), "-f", "csv"])
    assert out.exit_code == 0 and "\n+1 555-123-4567," in out.stdout  # no apostrophe in the id


def test_unknown_statuses_are_counted_with_their_revenue(tmp_path):
    rows = table(TAOBAO_COLUMNS, '="1"|amy|100.00|部分退款中||2024-03-01|0', '="2"|ben|10.00|交易成功||2024-03-02|0')
    data = read_purchases(export(tmp_path / "tb.csv", TAOBAO, rows, "gb18030"))
    note = next(n for n in data.quality.warnings if n.key == "platform_statuses")
    assert "部分退款中 (1 orders, 100.00)" in note and summary(data)[2] == 110.0


def test_masked_ids_are_shown_by_an_example_of_their_own(tmp_path):
    rows = table(TAOBAO_COLUMNS, '="1"|t**1|100.00|交易成功||2024-03-01|0', '="2"|ben|10.00|交易成功||2024-03-02|0')
    data = read_purchases(export(tmp_path / "tb.csv", TAOBAO, rows, "gb18030"))
    note = next(n for n in data.quality.warnings if n.key == "platform_masked")
    assert note.params == {"share": "50%", "example": "t**1"}


def test_a_repeated_column_is_said(tmp_path):
    header = [*WOOCOMMERCE, "Order Total Amount"]  # the reader names the second Order Total Amount_1
    rows = [{"Order Number": "7", "Order Status": "Completed", "Order Date": "2024-01-01 10:00",
             "Email (Billing)": "a@x", "Order Total Amount": "12.00", "Order Refund Amount": "0"}]  # fmt: skip
    data = read_purchases(export(tmp_path / "woo.csv", header, rows))
    notes = [n for n in data.quality.notes if n.key == "platform_duplicate_column"]
    assert [n.params["column"] for n in notes] == ["Order Total Amount"]


def test_platform_names_and_files():
    assert load("Taobao").name == "taobao" and detect(["a", "b"], "NONE") is None
    with pytest.raises(UsageError, match="auto, none, taobao"):
        load("tmall")
    with pytest.raises(UsageError, match="platform file 'missing.toml' not found"):
        load("missing.toml")


def test_a_users_file_named_like_a_builtin_is_reported_by_its_path(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text(
        'name = "taobao"\ntitle = "Mine"\nrows = "order"\nsignature = ["Buyer", "Paid"]\n'
        '[columns]\ncustomer_id = ["Buyer"]\npaid = ["Paid"]\ndate = ["Day"]\n',
        encoding="utf-8",
    )
    csv = tmp_path / "mine.csv"
    csv.write_text("Buyer,Paid,Day\na,1.00,2024-01-01\n", encoding="utf-8")
    data = read_purchases(str(csv), platform=str(path))
    assert f"--platform {path};" in data.quality.notes[0]


@pytest.mark.parametrize("command", ["retention", "ladder"])
def test_every_command_says_the_mapping(tmp_path, command):
    path = export(tmp_path / "tb.csv", TAOBAO, table(TAOBAO_COLUMNS, *TAOBAO_ROWS), "gb18030")
    out = runner.invoke(app, [command, path, "-f", "csv"])
    assert out.exit_code == 0, out.output
    assert "read as Taobao / Tmall order report" in out.stderr


def _shopify_file(tmp_path):
    rows = table(
        "Name|Email|Financial Status|Paid at|Created at|Total|Refunded Amount|Outstanding Balance|Lineitem name|"
        "Lineitem quantity|Lineitem price",
        "#1|a@x.com|paid|2025-01-05 10:00:00 +0100|2025-01-05 10:00:00 +0100|30.00|0.00|0.00|Mug|1|10",
        "#1||||2025-01-05 10:00:00 +0100||||Tee|1|20",  # the order's second line: its fields on the first
        "#2|b@x.com|partially_refunded|2025-02-05 10:00:00 +0100|2025-02-05 10:00:00 +0100|50.00|10.00|0.00|Cap|2|25",
        "#3|a@x.com|pending||2025-02-06 10:00:00 +0100|15.00|0.00|15.00|Mug|1|15",  # unpaid
    )
    return export(tmp_path / "orders_export.csv", SHOPIFY, rows)


def test_a_database_table_in_a_platforms_layout_is_read_by_its_rules(tmp_path):
    import sqlite3

    import pandas as pd

    path = _shopify_file(tmp_path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    with sqlite3.connect(tmp_path / "shop.db") as db:
        frame.to_sql("orders", db, index=False)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    from_file = runner.invoke(app, ["segment", path, "-f", "csv"])
    from_db = runner.invoke(app, ["segment", url, "--table", "orders", "-f", "csv"])
    assert from_file.exit_code == from_db.exit_code == 0, from_db.output
    assert from_db.stdout == from_file.stdout and "read as Shopify orders export" in from_db.stderr
    # a table in memory too, with typed columns (numbers, not text)
    typed = frame.replace("", None).astype({"Total": float, "Lineitem price": float})
    assert summary(read_purchases(typed))[:3] == summary(read_purchases(path))[:3] == (["a@x.com", "b@x.com"], 2, 70.0)


def test_the_monthly_config_names_a_platform(tmp_path):
    path = _shopify_file(tmp_path)
    mine = tmp_path / "shop.toml"
    mine.write_text((Path(platforms.__file__).parent / "shopify.toml").read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "crmkit.toml"
    config.write_text(f'sales = "{path}"\noutput = "r.xlsx"\nplatform = "shop.toml"\n', encoding="utf-8")
    done = runner.invoke(app, ["report", "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert f"--platform {tmp_path / 'shop.toml'};" in done.stderr  # the file, from the config's folder
    config.write_text(f'sales = "{path}"\noutput = "r.xlsx"\nplatform = "none"\n', encoding="utf-8")
    plain = runner.invoke(app, ["report", "--config", str(config)])  # read as a plain export: it is no such thing
    assert plain.exit_code in (4, 5) and "read as Shopify" not in plain.stderr


@pytest.mark.parametrize(
    "headers",
    [
        [
            "订单号",
            "商品数量",
            "商品总价",
            "售后状态",
            "客户编号",
            "订单日期",
            "金额",
        ],  # Pinduoduo's words, not its spelling
        ["Order Number", "Order Status", "customer_id", "date", "amount"],  # any shop's words
        ["customer_id", "date", "amount", "Paid at", "Refunded Amount"],  # two of Shopify's: chance, not Shopify
    ],
)
def test_a_plain_export_with_a_platforms_words_is_read_as_a_plain_export(headers):
    assert detect(headers) is None


def test_orders_in_several_currencies_are_said(tmp_path):
    rows = table(
        "Name|Email|Financial Status|Paid at|Currency|Total|Lineitem name|Lineitem quantity|Lineitem price",
        "#1|a@x.com|paid|2025-01-05 10:00:00 +0100|EUR|10.00|Mug|1|10",
        "#2|b@x.com|paid|2025-01-06 10:00:00 +0100|USD|20.00|Mug|1|20",
        "#3|c@x.com|paid|2025-01-07 10:00:00 +0100|EUR|30.00|Mug|1|30",
    )
    data = read_purchases(export(tmp_path / "orders_export.csv", SHOPIFY, rows))
    note = next(n for n in data.quality.warnings if n.key == "platform_currencies")
    assert note.params == {"currencies": "EUR 2, USD 1"} and summary(data)[2] == 60.0


def _csv(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


SHOPIFY_MINI = "Name,Email,Financial Status,Paid at,Total,Refunded Amount,Outstanding Balance,Lineitem quantity,Lineitem name,Lineitem price\n"  # noqa: E501
JD_MINI = "订单号,下单帐号,应付金额,付款确认时间,京东价,订购数量,订单状态,商品名称\n"


def test_an_order_split_over_its_lines_never_gives_a_line_less_than_nothing(tmp_path):
    # 0.04 over six equal lines: four lines of 0.01 would round up to six; by the largest remainder
    # four lines get a cent each (the first four, ties by row) and two get nothing
    rows = "#1,a@x.com,paid,2024-01-05 10:00:00,0.04,0,0,1,L0,1.00\n" + "".join(
        f"#1,,,,,,,1,L{i},1.00\n" for i in range(1, 6)
    )
    amounts = read_purchases(_csv(tmp_path, "s.csv", SHOPIFY_MINI + rows)).transactions["amount"].tolist()
    assert amounts == [0.01, 0.01, 0.01, 0.01, 0.0, 0.0] and sum(amounts) == pytest.approx(0.04)


@pytest.mark.parametrize("seed", range(5))
def test_the_lines_add_up_to_their_order_and_none_is_negative(tmp_path, seed):
    import random

    rng = random.Random(seed)
    lines, expected = [], 0
    for n in range(40):
        total = rng.choice([0.01, 0.05, 1, 9.99, 100, 12345.67])
        expected += round(total * 100)
        for i in range(rng.randint(1, 7)):
            first = f"#{n},c{n}@x.com,paid,2024-01-05 10:00:00,{total},0,0" if i == 0 else f"#{n},,,,,,"
            lines.append(f"{first},{rng.randint(1, 3)},L{i},{rng.choice(['0', '0.01', '3.33', '10', '99.99'])}\n")
    tx = read_purchases(_csv(tmp_path, "s.csv", SHOPIFY_MINI + "".join(lines))).transactions
    assert (tx["amount"] >= 0).all() and not tx["is_return"].any()
    by_order = (tx.groupby("order_id")["amount"].sum() * 100).round().astype(int)
    assert by_order.sum() == expected


def test_a_line_without_an_order_number_is_its_own_order(tmp_path):
    rows = "#1,a@x.com,paid,2024-01-05 10:00:00,100,0,0,1,A,100\n,b@x.com,paid,2024-01-06 10:00:00,40,0,0,1,B,40\n"
    data = read_purchases(_csv(tmp_path, "s.csv", SHOPIFY_MINI + rows))
    assert summary(data)[:3] == (["a@x.com", "b@x.com"], 2, 140.0)  # "#1" is an order's name, not row 1


def test_an_unreadable_order_is_dropped_whole(tmp_path):
    path = _csv(
        tmp_path,
        "w.csv",
        "Order Number,Email (Billing),Order Status,Order Date,Order Total Amount,Order Refund Amount,Item Name,"
        "Item Cost,Quantity,Phone (Billing)\n"
        "7,a@x.com,Completed,2024-01-05 10:00,100,40,A,50,1,1\n7,a@x.com,Completed,2024-01-05 10:00,abc,40,B,50,1,1\n"
        "8,b@x.com,Completed,2024-01-06 10:00,20,0,A,20,1,1\n",
    )
    with pytest.raises(DataError) as caught:
        read_purchases(path)
    assert caught.value.row == 2 and "'abc'" in str(caught.value)  # named on the order's first line
    skipped = read_purchases(path, skip_bad_rows=True)
    assert summary(skipped) == (["b@x.com"], 1, 20.0, {"invalid_value": 2})


def test_an_amount_said_twice_alike_is_one_amount(tmp_path):
    rows = (
        "1,u1,100,2024-01-05 10:00:00,50,1,完成,A\n1,u1,100.00,2024-01-05 10:00:00,50,1,完成,B\n"
        '2,u2,"1,000",2024-01-05 10:00:00,50,1,完成,A\n2,u2,1000,2024-01-05 10:00:00,50,1,完成,B\n'
    )
    assert summary(read_purchases(_csv(tmp_path, "jd.csv", JD_MINI + rows)))[2] == 1100.0


def test_an_order_still_owed_is_no_purchase(tmp_path):
    rows = (
        "#1,a@x.com,partially_paid,2024-01-05 10:00,50,0,80,1,A,50\n"  # owes more than its total: unpaid
        "#2,b@x.com,paid,2024-01-05 10:00,100,0,100,1,A,50\n"  # all of it owed: unpaid
        "#3,c@x.com,paid,2024-01-05 10:00,100,0,-20,1,A,50\n"  # owed back to the buyer: 100 paid, not 120
    )
    data = read_purchases(_csv(tmp_path, "s.csv", SHOPIFY_MINI + rows))
    assert summary(data) == (["c@x.com"], 1, 100.0, {"unpaid_order": 2})
    assert data.quality.orders == {"purchase": 1, "unpaid": 2}


def test_rounded_order_numbers_keep_different_buyers_apart(tmp_path):
    rows = (
        "2.81234E+11,u1,100,2024-01-05 10:00:00,100,1,完成,A\n"
        "2.81234E+11,u2,30,2024-02-06 10:00:00,30,1,已取消,C\n"
        "2.81234E+11,u3,30,2024-02-06 10:00:00,30,1,完成,C\n"
    )
    data = read_purchases(_csv(tmp_path, "jd.csv", JD_MINI + rows))
    assert summary(data) == (["u1", "u3"], 2, 130.0, {"cancelled_order": 1})
    assert [w.key for w in data.quality.warnings] == ["platform_rounded_ids"]


def test_a_western_export_resaved_by_excel_is_not_read_as_chinese(tmp_path):
    # cp1252 "ü" + "l" is a valid GB18030 pair: "Lea Müller" would read "Lea M黮ler"
    path = tmp_path / "orders_export.csv"
    rows = "#1,lea@x.de,paid,2025-01-05 10:00:00 +0100,30.00,0,0,1,Müller Tasse,30\n"
    path.write_bytes((SHOPIFY_MINI + rows).encode("cp1252"))
    data = read_purchases(str(path))
    assert data.quality.encoding == "cp1252" and data.transactions["product"].tolist() == ["Müller Tasse"]
    # and a Chinese export with a size letter beside its ideographs stays GB18030
    chinese = tmp_path / "tb.csv"
    rows = table(TAOBAO_COLUMNS, '="1"|amy|10.00|交易成功||2024-03-01|0')
    rows[0]["宝贝标题"] = "M码衬衫 XL码"
    assert read_purchases(export(chinese, TAOBAO, rows, "gb18030")).quality.encoding == "gb18030"
