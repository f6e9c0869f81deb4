"""Platform exports through the command line: ``crmkit platforms``, detection on every command, forcing a platform."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.io.platforms import BUILTIN
from crmkit.report.catalogue_platforms import PLATFORM_LABELS

runner = CliRunner()

SHOPIFY_HEADER = (
    "Name,Email,Financial Status,Paid at,Currency,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,"
    "Cancelled at,Refunded Amount,Outstanding Balance,Id,Source"
)
# one row per line item, the order's fields on its first line only; hand counts in the comments
SHOPIFY_ROWS = [
    # #1001: ann, 10.00 on 2024-03-01 (23:30 -0500 is still the 1st), split 5.00 / 5.00
    "#1001,ann@example.com,paid,2024-03-01 23:30:00 -0500,USD,10.00,2024-03-01 23:29:00 -0500,1,Mug,5.00,,0,0,5601,web",
    "#1001,,,,,,,1,Cup,5.00,,,,,",
    # #1002: ben, 50.00 - 15.00 refunded = 35.00
    "#1002,ben@example.com,partially_refunded,2024-03-02 10:00:00 +0100,USD,50.00,,1,Bag,50.00,,15.00,0,5602,web",
    "#1003,cat@example.com,pending,,USD,9.00,2024-03-03 09:00:00 +0000,1,Cap,9.00,,0,0,5603,web",  # unpaid
    "#1004,ann@example.com,paid,2024-03-04 12:00:00 +0000,USD,7.00,,1,Pen,7.00,,0,0,5604,web",  # ann 7.00, 03-04
]

TAOBAO_HEADER = "订单编号,买家会员名,买家实际支付金额,订单状态,收货地址 ,订单创建时间,订单付款时间 ,宝贝标题 ,退款金额"
TAOBAO_ROWS = [  # one order a row: customer, amount, the day it was paid
    '="1000000000000001",tb_a,100.00,交易成功,浙江省 杭州市,2024-01-03 10:00:00,2024-01-03 10:01:00,T恤,0',  # 100
    '="1000000000000002",tb_b,50.00,交易成功,上海 上海市,2024-01-10 10:00:00,2024-01-10 10:01:00,帽子,10',  # 40
    '="1000000000000003",tb_c,30.00,等待买家付款,北京 北京市,2024-01-12 10:00:00,,袜子,0',  # unpaid_order
    '="1000000000000004",tb_a,60.00,交易成功,浙江省 杭州市,2024-02-05 10:00:00,2024-02-05 10:01:00,鞋,0',  # 60
    '="1000000000000005",tb_d,20.00,卖家已发货，等待买家确认,广东省,2024-02-20 09:00,2024-02-20 09:01,伞,0',  # 20
    '="1000000000000006",tb_b,25.00,交易成功,上海 上海市,2024-03-01 10:00:00,2024-03-01 10:01:00,包,0',  # 25
]


@pytest.fixture
def shopify(tmp_path):
    path = tmp_path / "orders_export.csv"
    path.write_text("\n".join([SHOPIFY_HEADER, *SHOPIFY_ROWS]) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def taobao(tmp_path):
    path = tmp_path / "ExportOrderList.csv"
    path.write_bytes(("\r\n".join([TAOBAO_HEADER, *TAOBAO_ROWS]) + "\r\n").encode("gb18030"))
    return str(path)


def test_platforms_help():
    result = runner.invoke(app, ["platforms", "--help"])
    assert result.exit_code == 0 and "platform" in result.stdout.lower()


def test_platforms_lists_the_seven():
    result = runner.invoke(app, ["platforms", "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout))
    assert table["platform"].tolist() == list(BUILTIN)
    assert table.set_index("platform").loc["shopify", "customer_id"] == "Email"


def test_platforms_one_as_json():
    result = runner.invoke(app, ["platforms", "shopify", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    items = {row["item"]: row["value"] for row in json.loads(result.stdout)}
    assert items["column:customer_id"] == "Email" and items["rows"] == "lines_first"


def test_platforms_unknown_and_broken(tmp_path):
    assert runner.invoke(app, ["platforms", "nope"]).exit_code == 2
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ntitle = "Bad"\nrows = "x"\nsignature = ["a"]\n[columns]\n', encoding="utf-8")
    result = runner.invoke(app, ["platforms", str(bad)])
    assert result.exit_code == 6 and "rows" in result.stderr


def test_segment_detects_shopify(shopify):
    result = runner.invoke(app, ["segment", shopify, "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout)).set_index("customer_id")
    # ann: 10.00 + 7.00 on two days; ben: 50.00 - 15.00; cat never paid
    assert sorted(table.index) == ["ann@example.com", "ben@example.com"]
    assert table.loc["ann@example.com", "monetary"] == 17.0 and table.loc["ben@example.com", "monetary"] == 35.0
    assert table.loc["ann@example.com", "frequency"] == 2
    assert "read as Shopify" in result.stderr


def test_platform_none_reads_shopify_generically(shopify):
    # as a plain export: no platform note, no order dropped for its status (the pending #1003 is a row like any)
    result = runner.invoke(app, ["segment", shopify, "-f", "csv", "--platform", "none"])
    assert result.exit_code == 0, result.stderr
    assert "read as Shopify" not in result.stderr and "unpaid order" not in result.stderr


def test_forcing_taobao_on_shopify(shopify):
    result = runner.invoke(app, ["segment", shopify, "--platform", "taobao"])
    assert result.exit_code == 4 and "买家会员名" in result.stderr


@pytest.mark.parametrize("command", ["segment", "clv", "retention", "ladder"])
def test_every_command_reads_taobao(taobao, command):
    result = runner.invoke(app, [command, taobao, "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    assert "dropped 1 (unpaid order 1)" in result.stderr  # the one unpaid order, whatever the command


def test_report_quality_sheet_has_the_platform(taobao, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", taobao, "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    sheet = openpyxl.load_workbook(out)["Data quality"]
    rows = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert "taobao" in rows[PLATFORM_LABELS["platform"]["en"]]
    assert rows[PLATFORM_LABELS["dropped:unpaid_order"]["en"]] == 1
    assert rows[PLATFORM_LABELS["orders:partly_refunded"]["en"]] == 1
    assert rows[PLATFORM_LABELS["refund_amount"]["en"]] == 10.0


def test_the_readme_says_every_platforms_rules_and_sources():
    from pathlib import Path

    from crmkit.io.platforms import builtin

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for platform in builtin():
        assert f"**{platform.title}** (`{platform.name}`, {platform.title_zh})" in readme
        for text in (*platform.notes, *platform.sources):
            assert text in readme, (platform.name, text)
