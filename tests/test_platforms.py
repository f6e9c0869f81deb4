"""Platform exports read by their platform's rules, checked against results worked out by hand.

Each built-in platform gets a tiny export in its real header names (crmkit/io/platforms/*.toml and the
research notes behind them) and its encoding; the comment next to each row says what that row must
become: its amount, its day, or the reason it is dropped. The totals under each table add those up.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import ColumnError, ConfigError, DataError
from crmkit.io.platforms import BUILTIN, detect, load
from crmkit.io.purchases import read_purchases

# Real header lists, in the platforms' order (trimmed at the tail where the tail names nothing read).
TAOBAO = (  # 2016 订单报表 (real); 收货地址 / 订单付款时间 / 宝贝标题 … really end with a space; 退款金额 is 2018+
    "订单编号|买家会员名|买家支付宝账号|买家应付货款|买家应付邮费|买家支付积分|总金额|返点积分|"
    "买家实际支付金额|买家实际支付积分|订单状态|买家留言|收货人姓名|收货地址 |运送方式|联系电话 |"
    "联系手机|订单创建时间|订单付款时间 |宝贝标题 |宝贝种类 |物流单号 |物流公司|订单备注|宝贝总数量|"
    "店铺Id|店铺名称|订单关闭原因|退款金额"
).split("|")
JD = (  # 2015-16, 30 columns (a real row)
    "订单号 商品ID 商品名称 订购数量 支付方式 下单时间 京东价 订单金额 结算金额 余额支付 应付金额 "
    "订单状态 订单类型 下单帐号 客户姓名 客户地址 联系电话 订单备注 发票类型 发票抬头 发票内容 "
    "商家备注 商家备注等级（等级1-5为由高到低） 运费金额 付款确认时间 增值税发票 货号 订单完成时间 "
    "订单来源 订单渠道"
).split()
PINDUODUO = (  # the 27-column default export, plus the fields a seller ticks (用户购买手机号, 省, 市)
    "商品,订单号,订单状态,商品总价(元),邮费(元),店铺优惠折扣(元),平台优惠折扣(元),"
    "多多支付立减金额(元),用户实付金额(元),商家实收金额(元),商品数量(件),发货时间,确认收货时间,"
    "商品id,商品规格,样式ID,商家编码-规格维度,商家编码-商品维度,商家备注,售后状态,快递单号,快递公司,"
    "订单成交时间,是否分期,分期期数,手续费承担方,分期方式,用户购买手机号,省,市"
).split(",")
YOUZAN = (  # 订单维度; 分销员 really is there twice
    "订单号,销售渠道,归属店铺,订单类型,订单状态,推广方式,订单来源,订单创建时间,买家付款时间,"
    "交易成功时间,付款方式,支付流水号,商品金额合计,运费,店铺优惠合计,应收订单金额,订单实付金额,"
    "支付优惠合计,订单实收金额,订单抵用积分数,店铺优惠方式,支付优惠方式,全部商品名称,商品种类数,"
    "订单配送方式,同城送达时间/提货时间,收货人省份,收货人城市,收货人地区,详细收货地址/提货地址,"
    "收货人/提货人,收货人手机号/提货人手机号,买家备注,订单星级,买家昵称,买家是否会员,买家手机号,"
    "下单网点,收银员,分销员,销售导购,专属导购,订单退款状态,订单已退款金额,商家订单备注,桌号,挂账主体,"
    "挂账手机号,团长订单,订单风险标签,分销员,分销员手机号"
).split(",")
WECHAT = (  # 微信小店, 57 columns
    "订单号,订单下单时间,订单发货时间,订单确认收货时间,订单完成结算时间,订单状态,发货方式,收件人姓名,"
    "收件人地址,省,市,区,收件人手机,买家备注,商家备注,打标颜色,商品总价,订单实际支付金额,"
    "订单实际收款金额,订单运费,商品优惠,跨店优惠,商品改价,积分抵扣,支付方式,支付时间,交易单号,"
    "物流公司,快递单号,技术服务费,技术服务费（将以人气卡形式返还）,运费险预计投保费用,带货方式,"
    "带货账号类型,带货账号昵称,带货费用渠道,带货费用类型,带货费用,带货佣金率,礼物单号,商品名称,"
    "商品编码(平台),商品编码(自定义),SKU编码(自定义),商品属性,商品价格(单件),商品实际价格(单件),"
    "商品实际价格(总共),是否预售,商品数量,商品平台券优惠,商品平均运费,定制信息,定制预览图,商品发货,"
    "商品售后,商品已退款金额"
).split(",")
SHOPIFY = (  # the current 79 columns
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,"
    "Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,"
    "Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,"
    "Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,Billing Address2,"
    "Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,"
    "Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,Payment Method,"
    "Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,Id,Tags,"
    "Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,"
    "Tax 4 Name,Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,"
    "Shipping Province Name,Payment ID,Payment Terms Name,Next Payment Due At,Payment References"
).split(",")
WOOCOMMERCE = (  # Advanced Order Export (a real 2018 header; its product field labelled Item Name, as in other files)
    "Order Number,Order Status,Order Date,Customer Note,First Name (Billing),Last Name (Billing),"
    "Company (Billing),Address 1&2 (Billing),City (Billing),State Code (Billing),Postcode (Billing),"
    "Country Code (Billing),Email (Billing),Phone (Billing),First Name (Shipping),Last Name (Shipping),"
    "Address 1&2 (Shipping),City (Shipping),State Code (Shipping),Postcode (Shipping),Country Code (Shipping),"
    "Item #,SKU,Item Name,Product Variation,Quantity,Quantity (- Refund),Item Cost,Order Line (w/o tax),"
    "Order Line Tax,Order Line Total,Order Line Total Refunded,Order Line Total (- Refund),Image URL,"
    "Coupon Code,Discount Amount,Discount Amount Tax,Payment Method Title,Coupons Used,Cart Discount Amount,"
    "Order Subtotal Amount,Order Tax Amount,Order Shipping Amount,Order Refund Amount,Order Total Amount"
).split(",")
HEADERS = dict(
    taobao=TAOBAO, jd=JD, pinduoduo=PINDUODUO, youzan=YOUZAN, wechat=WECHAT, shopify=SHOPIFY, woocommerce=WOOCOMMERCE
)


def _cell(value: str) -> str:
    # as the platforms write them: quoted only when needed, so ="123" stays bare as in a real export
    if any(c in value for c in ",\n\r") or value.startswith('"'):
        return '"' + value.replace('"', '""') + '"'
    return value


def export(path, headers, rows, encoding="utf-8"):
    """Write ``rows`` (dicts keyed by header, trailing spaces of headers ignored) as a CSV export."""
    lines = [",".join(map(_cell, headers))]
    lines += [",".join(_cell(str(r.get(h.strip(), ""))) for h in headers) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return str(path)


def summary(data):
    """Customers, purchase occasions (customer x day), net revenue, dropped rows, as hand counts give them."""
    tx = data.transactions
    occasions = len(tx[["customer_id", "date"]].drop_duplicates())
    return sorted(tx["customer_id"].unique()), occasions, round(float(tx["amount"].sum()), 2), data.quality.dropped


def day(text):
    return pd.Timestamp(text)


def table(columns: str, *rows: str) -> list[dict]:
    """Rows written ``a|b|c`` under ``columns`` (``x|y|z``), as dicts."""
    names = columns.split("|")
    return [dict(zip(names, row.split("|"), strict=True)) for row in rows]


def _taobao_rows():
    # one order per row; date = 订单付款时间, else 订单创建时间
    return table(
        "订单编号|买家会员名|买家支付宝账号|买家实际支付金额|订单状态|收货地址|联系手机|订单创建时间|订单付款时间|"
        "宝贝标题|宝贝总数量|退款金额",
        # purchase 598.00 on 2016-05-23 (time of day ignored), 收货地址 starts 吉林省 -> region 吉林
        '="1930679858170647"|幸福蔓岩1627|844677789@qq.com|598.00|买家已付款，等待卖家发货|'
        "吉林省 通化市 柳河县 柳河镇紫御府 201室(135300)|'18618486065|2016/5/23 22:02|2016/5/23 22:02|Funny宝贝|1|0",
        # purchase 100.00: created 05-24 23:50, paid 05-25 00:05 -> the payment's day 2016-05-25; 浙江
        '="1930679858170648"|Tb_Alice|alice@163.com|100.00|交易成功|浙江省 杭州市 西湖区 文三路1号||'
        "2016-05-24 23:50:00|2016-05-25 00:05:00|T恤|2|0.00",
        # partly refunded: 50.00 - 20.00 = 30.00, same buyer and day as the row above (one occasion)
        '="1930679858170649"|Tb_Alice|alice@163.com|50.00|交易成功|浙江省 宁波市||'
        "2016-05-25 08:59:00|2016-05-25 09:00:00|帽子|1|20.00",
        # order number with a trailing tab; tb_alice is another buyer than Tb_Alice (ids keep their case); 30.00, 上海
        "1930679858170650\t|tb_alice|TB@x.cn|30.00|卖家已发货，等待买家确认|上海 上海市 浦东新区||"
        "2016-05-26 08:00:00|2016-05-26 08:00:10|袜子|3|0",
        # unpaid (no payment time): dropped, unpaid_order
        "1930679858170651|bob||45.00|等待买家付款|||2016-05-26 10:00:00||鞋|1|",
        # closed before payment: dropped, closed_order
        "1930679858170652|carol||0.00|交易关闭|||2016-05-26 11:00:00||鞋|1|",
        # 交易成功 but refunded in full (80.00 of 80.00): dropped, refunded_order
        "1930679858170653|dan|Dan@x.com|80.00|交易成功|广东省 深圳市||"
        "2016-05-27 07:00:00|2016-05-27 07:01:00|包|1|80.00",
        # order number with a leading ': 12.50 on 2016-05-27, 广东
        "'1930679858170654|dan|Dan@x.com|12.50|交易成功|广东省 深圳市||2016-05-27 09:00:00|2016-05-27 09:00:05|伞|1|0",
    )


def test_taobao_gb18030(tmp_path):
    data = read_purchases(export(tmp_path / "ExportOrderList.csv", TAOBAO, _taobao_rows(), "gb18030"))
    # customers 4 (Tb_Alice and tb_alice are two), occasions 4, revenue 598 + 100 + 30 + 30 + 12.50 = 770.50
    assert summary(data) == (
        ["Tb_Alice", "dan", "tb_alice", "幸福蔓岩1627"], 4, 770.50,
        {"unpaid_order": 1, "closed_order": 1, "refunded_order": 1},
    )  # fmt: skip
    q, tx = data.quality, data.transactions
    assert q.platform == "taobao" and q.rows_read == 8 and q.rows_used == 5
    assert q.orders == {"purchase": 5, "partly_refunded": 1, "refunded": 1, "unpaid": 1, "closed": 1}
    assert q.refund_amount == 20.0
    assert tx["order_id"].tolist() == [f"19306798581706{n}" for n in (47, 48, 49, 50, 54)]
    assert tx["amount"].tolist() == [598.0, 100.0, 30.0, 30.0, 12.5]
    assert tx["date"].tolist() == [
        day(d) for d in ("2016-05-23", "2016-05-25", "2016-05-25", "2016-05-26", "2016-05-27")
    ]
    assert tx["region"].tolist() == ["吉林", "浙江", "浙江", "上海", "广东"]
    assert tx["product"].tolist() == ["Funny宝贝", "T恤", "帽子", "袜子", "伞"]
    assert tx["quantity"].tolist() == [1, 2, 1, 3, 1]
    assert [n.key for n in q.notes][:2] == ["platform", "platform_orders"]


def test_taobao_override_customer_and_new_paid_header(tmp_path):
    # 2024+ files name the paid column 买家实付金额; the user makes the Alipay account the customer
    headers = [h if h != "买家实际支付金额" else "买家实付金额" for h in TAOBAO]
    rows = [{**r, "买家实付金额": r.get("买家实际支付金额", "")} for r in _taobao_rows()]
    data = read_purchases(
        export(tmp_path / "t.csv", headers, rows, "gb18030"), columns={"customer_id": "买家支付宝账号"}
    )
    # the five purchases' accounts, case as written; same amounts as above
    ids = ["844677789@qq.com", "alice@163.com", "alice@163.com", "TB@x.cn", "Dan@x.com"]
    assert data.transactions["customer_id"].tolist() == ids and data.quality.columns["customer_id"] == "买家支付宝账号"
    assert round(data.transactions["amount"].sum(), 2) == 770.50


def test_taobao_missing_paid_column(tmp_path):
    headers = [h for h in TAOBAO if h != "买家实际支付金额"]
    with pytest.raises(ColumnError) as err:
        read_purchases(export(tmp_path / "t.csv", headers, _taobao_rows(), "gb18030"))
    assert "买家实际支付金额" in str(err.value) and "买家实付金额" in str(err.value)


def test_bad_amount_purchase_is_an_error_unpaid_is_not(tmp_path):
    rows = _taobao_rows()
    rows[4]["买家实际支付金额"] = "abc"  # the unpaid order: dropped as unpaid, its amount never read
    data = read_purchases(export(tmp_path / "unpaid.csv", TAOBAO, rows, "gb18030"))
    assert data.quality.dropped["unpaid_order"] == 1 and round(data.transactions["amount"].sum(), 2) == 770.50
    rows[2]["买家实际支付金额"] = "12,x5"  # a purchase: the third data row is file row 4
    path = export(tmp_path / "bad.csv", TAOBAO, rows, "gb18030")
    with pytest.raises(DataError) as err:
        read_purchases(path)
    e = err.value
    assert e.file.endswith("bad.csv") and e.row == 4 and "买家实际支付金额" in e.column and "12,x5" in e.message


def _jd_rows():
    # one row per SKU line, the order's fields on every line; date = 付款确认时间, else 下单时间
    parent = "rds3199358|2015-12-31 23:19:56|2015-12-31 23:20:30|江西南昌市青山湖区昌东工业区"
    return table(
        "订单号|商品名称|京东价|订购数量|应付金额|订单状态|下单帐号|下单时间|付款确认时间|客户地址",
        # the parent of a split order, (删除)…: cancelled_order, not counted next to its children
        f"11729384072|韩秘美套装|758.00|1|932.45|(删除)等待出库|{parent}",
        # child 1: 应付金额 27.00 said on both lines counted once, split 10 : 20 -> 9.00 and 18.00; region 江西
        f"11729439936|A|10.00|1|27.00|等待出库|{parent}",
        f"11729439936|B|20.00|1|27.00|等待出库|{parent}",
        # child 2: 10.00 over three equal lines -> 3.34, 3.33, 3.33 (a tie: the first line takes the cent)
        f"11749907506|C|5.00|1|10.00|完成|{parent}",
        f"11749907506|D|5.00|1|10.00|完成|{parent}",
        f"11749907506\t|E|5.00|1|10.00|完成|{parent}",  # a trailing tab does not make it another order
        # unpaid, order number with a leading ' and a trailing tab: dropped, unpaid_order
        "'11800000001\t|F|50.00|1|50.00|等待付款|jd_user_2\t|2016-01-01 10:00:00||",
        # 应付金额 differs by line: each line's own payment, 12.00 and 8.00 (order 20.00); 北京, 2016-01-02
        "11800000002|G|12.00|1|12.00|完成|jd_user_3|2016-01-02 09:59:00|2016-01-02 10:00:00|北京北京市朝阳区",
        "11800000002|H|4.00|2|8.00|完成|jd_user_3|2016-01-02 09:59:00|2016-01-02 10:00:00|北京北京市朝阳区",
        # no payment time: the creation day 2016-01-03; 99.90; 广东
        "'11800000003\t|I|99.90|1|99.90|完成|jd_user_4|2016-01-03 09:00:00||广东省深圳市南山区",
    )


def test_jd_gb18030(tmp_path):
    data = read_purchases(export(tmp_path / "jd.csv", JD, _jd_rows(), "gb18030"))
    # customers 3, occasions 3, revenue 27 + 10 + 20 + 99.90 = 156.90
    assert summary(data) == (
        ["jd_user_3", "jd_user_4", "rds3199358"], 3, 156.90, {"unpaid_order": 1, "cancelled_order": 1}
    )  # fmt: skip
    q, tx = data.quality, data.transactions
    assert q.platform == "jd" and q.rows_read == 10 and q.rows_used == 8
    assert q.orders == {"purchase": 4, "unpaid": 1, "cancelled": 1} and q.refund_amount == 0
    assert tx["amount"].tolist() == [9.0, 18.0, 3.34, 3.33, 3.33, 12.0, 8.0, 99.9]
    assert tx["order_id"].tolist() == ["11729439936"] * 2 + ["11749907506"] * 3 + ["11800000002"] * 2 + ["11800000003"]
    assert tx["region"].tolist() == ["江西"] * 5 + ["北京"] * 2 + ["广东"]
    assert tx["quantity"].tolist() == [1, 1, 1, 1, 1, 1, 2, 1] and tx["product"].tolist() == list("ABCDEGHI")
    assert tx["date"].iloc[-1] == day("2016-01-03") and tx["date"].iloc[0] == day("2015-12-31")


def _pdd_rows():
    # one row per order; date = 订单成交时间 (this export has no 支付时间); 省 -> its short name
    return table(
        "商品|订单号|订单状态|用户实付金额(元)|商家实收金额(元)|商品数量(件)|售后状态|订单成交时间|用户购买手机号|省",
        # 19.90 paid (商家实收金额 includes the platform's subsidy: not read), 浙江, 2025-01-01
        "纸巾|250101-100000000000001|待发货|19.90|21.90|2|无售后或售后取消|2025-01-01 20:00:00|13800000001|浙江省",
        # 已签收 but 售后状态 退款成功: refunded_order
        "毛巾|250101-100000000000002|已签收|29.90|29.90|1|退款成功|2025-01-01 21:00:00|13800000002|江苏省",
        "牙刷|250101-100000000000003|待支付|5.00||1||2025-01-01 22:00:00|13800000003|江苏省",  # unpaid_order
        "牙膏|250101-100000000000004|已取消|6.00||1||2025-01-01 23:00:00|13800000004|江苏省",  # cancelled_order
        # a masked phone is still one customer's id: 9.90, 上海, 2025-01-02
        "杯子|250102-100000000000005|已签收|9.90|9.90|1|无售后或售后取消|2025-01-02 08:00:00|138****0000|上海",
        # the first buyer again on another day (full-width comma in the status, tab padding): 15.00
        "纸巾|250103-100000000000006|已发货，待签收|15.00|15.00|1||\t2025-01-03 10:00:00|13800000001\t|浙江省",
        # +86 kept as written: 5.00, 广东
        "袋子|250103-100000000000007|已收货|5.00|5.00|1||2025-01-03 11:00:00|+8613900000009|广东省",
    )


def test_pinduoduo(tmp_path):
    data = read_purchases(export(tmp_path / "pdd.csv", PINDUODUO, _pdd_rows(), "utf-8-sig"))
    # customers 3, occasions 4 (13800000001 on two days), revenue 19.90 + 9.90 + 15 + 5 = 49.80
    assert summary(data) == (
        ["+8613900000009", "138****0000", "13800000001"], 4, 49.80,
        {"unpaid_order": 1, "cancelled_order": 1, "refunded_order": 1},
    )  # fmt: skip
    q, tx = data.quality, data.transactions
    assert q.platform == "pinduoduo" and q.orders == {"purchase": 4, "refunded": 1, "unpaid": 1, "cancelled": 1}
    assert tx["region"].tolist() == ["浙江", "上海", "浙江", "广东"] and tx["quantity"].tolist() == [2, 1, 1, 1]
    assert tx["order_id"].iloc[0] == "250101-100000000000001" and tx["date"].iloc[2] == day("2025-01-03")
    assert "platform_masked" in [n.key for n in q.warnings]


def test_pinduoduo_without_buyer_column_says_what_to_tick(tmp_path):
    headers = [h for h in PINDUODUO if h != "用户购买手机号"]
    with pytest.raises(ColumnError) as err:
        read_purchases(export(tmp_path / "pdd.csv", headers, _pdd_rows(), "utf-8-sig"))
    assert "用户购买手机号" in err.value.message and "用户购买手机号" in (err.value.hint or "")


def test_youzan(tmp_path):
    rows = table(  # one row per order; date = 买家付款时间, else 订单创建时间
        "订单号|订单状态|订单创建时间|买家付款时间|订单实付金额|订单已退款金额|全部商品名称|收货人省份|买家手机号",
        # 88.00 - 8.00 refunded = 80.00; a landline with its leading zero; 山东
        "E20240101000001|交易成功|2024-01-01 10:00:00|2024-01-01 10:00:30|88.00|8.00|"
        "长寿花(数量：1)|山东省|05718888000",
        "E20240101000002|待付款|2024-01-01 11:00:00||20.00||||13900000000",  # unpaid_order
        "E20240101000003|交易关闭|2024-01-01 12:00:00||0||||13900000000",  # closed_order
        "E20240101000004|已取消|2024-01-01 13:00:00||30.00||||13900000000",  # cancelled_order
        # 45.50 on 2024-01-02, 北京
        "E20240102000005|待发货|2024-01-02 09:00:00|2024-01-02 09:01:00|45.50|0|绿萝|北京|13900000000",
        # refund takes all it paid: refunded_order though the status says 交易成功
        "E20240102000006|交易成功|2024-01-02 10:00:00|2024-01-02 10:00:01|10.00|10.00|||13900000000",
    )
    data = read_purchases(export(tmp_path / "youzan.csv", YOUZAN, rows, "utf-8-sig"))
    # customers 2, occasions 2, revenue 80 + 45.50 = 125.50
    assert summary(data) == (
        ["05718888000", "13900000000"], 2, 125.50,
        {"unpaid_order": 1, "closed_order": 1, "cancelled_order": 1, "refunded_order": 1},
    )  # fmt: skip
    q, tx = data.quality, data.transactions
    assert q.platform == "youzan" and q.refund_amount == 8.0
    assert q.orders == {"purchase": 2, "partly_refunded": 1, "refunded": 1, "unpaid": 1, "closed": 1, "cancelled": 1}
    assert tx["region"].tolist() == ["山东", "北京"] and tx["product"].tolist() == ["长寿花(数量：1)", "绿萝"]


def _wechat_rows():
    # one row per line, the order's fields repeated; 商品已退款金额 per line, summed over the order
    a = "3720240501000000001|已完成|13800000000|2024-05-01 11:59:00|2024-05-01 12:00:00|30.00|广东省"
    b = "3720240502000000002|已发货|+8613900000000|2024-05-02 23:58:00|2024-05-02 23:59:59|40.00|北京市"
    unpaid = "3720240503000000003|待付款|13700000000|2024-05-03 10:00:00||12.00|"
    rows = table(
        "订单号|订单状态|收件人手机|订单下单时间|支付时间|订单实际支付金额|省|商品名称|商品已退款金额|单价|商品数量",
        # 30.00 over lines worth 20.00 (2 x 10.00) and 10.00 -> 20.00 and 10.00; 广东, 2024-05-01
        f"{a}|杯子|0|10.00|2",
        f"{a}|碟子|0|10.00|1",
        # 40.00 - (3.00 + 2.00) line refunds = 35.00, equal lines -> 17.50 each; 2024-05-02 (paid 23:59:59), 北京
        f"{b}|勺子|3.00|20.00|1",
        f"{b}|筷子|2.00|20.00|1",
        f"{unpaid}|碗||6.00|1",  # unpaid_order (2 rows)
        f"{unpaid}|盘||6.00|1",
        # cancelled_order
        "3720240503000000004|未付款用户主动取消或超时未付款订单自动取消|13700000000|"
        "2024-05-03 11:00:00||8.00||锅||8.00|1",
        # one line refunded in full, 15.00 of 15.00: refunded_order
        "3720240504000000005|已完成|13800000000||2024-05-04 09:00:00|15.00||壶|15.00|15.00|1",
        # 9.90, the first buyer again on 2024-05-01: the same occasion as her first order
        "3720240501000000006|待发货|13800000000||2024-05-01 18:00:00|9.90|广东省|盖子|0|9.90|1",
    )
    for row in rows:  # the 57-column export says a line's unit price (list and actual) and its total
        unit, qty = row.pop("单价"), int(row["商品数量"])
        row.update(
            {"商品价格(单件)": unit, "商品实际价格(单件)": unit, "商品实际价格(总共)": f"{float(unit) * qty:.2f}"}
        )
    return rows


def _check_wechat(data):
    # customers 2, occasions 2, revenue 30 + 35 + 9.90 = 74.90
    assert summary(data) == (
        ["+8613900000000", "13800000000"], 2, 74.90,
        {"unpaid_order": 2, "cancelled_order": 1, "refunded_order": 1},
    )  # fmt: skip
    q, tx = data.quality, data.transactions
    assert q.platform == "wechat" and q.refund_amount == 5.0 and q.rows_read == 9
    assert q.orders == {"purchase": 3, "partly_refunded": 1, "refunded": 1, "unpaid": 1, "cancelled": 1}
    assert tx["amount"].tolist() == [20.0, 10.0, 17.5, 17.5, 9.9]
    assert tx["region"].tolist() == ["广东", "广东", "北京", "北京", "广东"]
    assert tx["date"].tolist() == [day("2024-05-01")] * 2 + [day("2024-05-02")] * 2 + [day("2024-05-01")]
    assert tx["quantity"].tolist() == [2, 1, 1, 1, 1] and tx["product"].tolist() == [
        "杯子",
        "碟子",
        "勺子",
        "筷子",
        "盖子",
    ]


def test_wechat_csv(tmp_path):
    _check_wechat(read_purchases(export(tmp_path / "wx.csv", WECHAT, _wechat_rows(), "utf-8-sig")))


def test_wechat_line_total_is_not_multiplied_by_quantity(tmp_path):
    # an export whose only price column is the line's total (商品实际价格(总共)): 2 cups at 10.00 are 20.00,
    # so 30.00 is still split 20.00 / 10.00, not 40 : 10 (24.00 / 6.00)
    headers = [h for h in WECHAT if h not in ("商品价格(单件)", "商品实际价格(单件)")]
    data = read_purchases(export(tmp_path / "wx.csv", headers, _wechat_rows()[:2], "utf-8-sig"))
    assert data.transactions["amount"].tolist() == [20.0, 10.0]


def test_wechat_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(WECHAT)
    money = {
        "订单实际支付金额",
        "商品价格(单件)",
        "商品实际价格(单件)",
        "商品实际价格(总共)",
        "商品已退款金额",
        "商品数量",
    }
    for row in _wechat_rows():  # amounts as numbers, ids and phones as text, as the download centre writes them
        sheet.append([(float(row[h]) if h in money and row.get(h) else row.get(h) or None) for h in WECHAT])
    book.save(tmp_path / "wx.xlsx")
    _check_wechat(read_purchases(str(tmp_path / "wx.xlsx")))


def _shopify_rows():
    # one row per line item; Email, Financial Status, Total … only on an order's first line
    rows = table(
        "Name|Email|Financial Status|Paid at|Created at|Cancelled at|Total|Refunded Amount|Outstanding Balance|"
        "Lineitem quantity|Lineitem name|Lineitem price|Shipping Province Name",
        # #1001: 10.00 over three equal lines -> 3.34, 3.33, 3.33 (a tie: the first takes the cent);
        # 23:30 -0500 is still 2024-03-01
        "#1001|Alice@Example.com|paid|2024-03-01 23:30:00 -0500|2024-03-01 23:29:00 -0500||10.00|0.00|0.00|"
        "1|Mug A|2.00|New York",
        "#1001|||||||||1|Mug B|2.00|",
        "#1001|||||||||1|Mug C|2.00|",
        # #1002: partially_refunded, 50.00 - 15.00 = 35.00
        "#1002|bob@example.com|partially_refunded|2024-03-02 10:00:00 +0100|||50.00|15.00|0.00|1|Bag|50.00|",
        # #1003: refunded: refunded_order
        "#1003|carol@example.com|refunded|2024-03-02 11:00:00 +0100|||20.00|20.00|0.00|1|Hat|20.00|",
        # #1004: pending, never paid (no Paid at): unpaid_order
        "#1004|dave@example.com|pending||2024-03-03 09:00:00 +0000||9.00|0.00|0.00|1|Cap|9.00|",
        # #1005: voided and cancelled: cancelled_order
        "#1005|erin@example.com|voided||2024-03-03 10:00:00 +0000|2024-03-03 12:00:00 +0000|9.00|0.00|0.00|1|Cap|9.00|",
        # #1006: says paid, but Cancelled at is filled in: both lines cancelled_order
        "#1006|frank@example.com|paid|2024-03-04 07:00:00 +0000||2024-03-04 08:00:00 +0000|6.00|0.00|0.00|1|Pen|3.00|",
        "#1006|||||||||1|Ink|3.00|",
        # #1007: partially_paid, 100.00 with 40.00 outstanding = 60.00; 09:00 +0800 is 2024-03-04
        "#1007|gina@example.com|partially_paid|2024-03-04 09:00:00 +0800|||100.00|0.00|40.00|1|Desk|100.00|",
        # #1008: Alice again on 2024-03-01 (the same occasion); 12.00 over 4.00 x 2 and 4.00 x 1 -> 8.00 and 4.00
        "#1008|Alice@Example.com|paid|2024-03-01 08:00:00 -0500|||12.00|0.00|0.00|2|Spoon|4.00|",
        "#1008|||||||||1|Fork|4.00|",
    )
    for row in rows:  # the order's other fields, also on its first line only
        if row["Email"]:
            row["Currency"] = "USD"
    return rows


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])  # "CSV for Excel" starts with a BOM before Name
def test_shopify(tmp_path, encoding):
    data = read_purchases(export(tmp_path / "orders_export.csv", SHOPIFY, _shopify_rows(), encoding))
    # customers 3 (email case kept), occasions 3, revenue 10 + 35 + 60 + 12 = 117.00
    assert summary(data) == (
        ["Alice@Example.com", "bob@example.com", "gina@example.com"], 3, 117.0,
        {"unpaid_order": 1, "cancelled_order": 3, "refunded_order": 1},
    )  # fmt: skip
    q, tx = data.quality, data.transactions
    assert q.platform == "shopify" and q.rows_read == 12 and q.rows_used == 7 and q.refund_amount == 15.0
    assert q.orders == {"purchase": 4, "partly_refunded": 1, "refunded": 1, "unpaid": 1, "cancelled": 2}
    assert tx["amount"].tolist() == [3.34, 3.33, 3.33, 35.0, 60.0, 8.0, 4.0]
    alice = "Alice@Example.com"
    assert tx["customer_id"].tolist() == [alice] * 3 + ["bob@example.com", "gina@example.com", alice, alice]
    assert tx["order_id"].tolist() == ["#1001"] * 3 + ["#1002", "#1007", "#1008", "#1008"]
    assert tx["product"].tolist() == ["Mug A", "Mug B", "Mug C", "Bag", "Desk", "Spoon", "Fork"]
    assert tx["quantity"].tolist() == [1, 1, 1, 1, 1, 2, 1]
    days = ["2024-03-01"] * 3 + ["2024-03-02", "2024-03-04"] + ["2024-03-01"] * 2
    assert tx["date"].tolist() == [day(d) for d in days]
    assert tx["region"].iloc[0] == "New York"


def test_woocommerce(tmp_path):
    rows = table(  # one row per product, the order's columns repeated
        "Order Number|Order Status|Order Date|Email (Billing)|Order Total Amount|Order Refund Amount|"
        "Item Name|Quantity|Item Cost|State Code (Billing)|State Code (Shipping)",
        "501|Completed|2024-02-10 23:15|Jo@Shop.test|30.00|0.00|Tea|1|10.00|WA|CA",  # 30.00 split 10 : 20 -> 10.00
        "501|Completed|2024-02-10 23:15|Jo@Shop.test|30.00|0.00|Cups|2|10.00|WA|CA",  # -> 20.00 (not 30.00 again)
        "502|Processing|2024-02-11 09:00|sam@shop.test|45.00|5.00|Mug|1|45.00||NY",  # 45 - 5 = 40.00, 2024-02-11
        "503|Pending payment|2024-02-11 09:00|amy@shop.test|19.00|0|Mug|1|19.00||NY",  # unpaid_order
        "504|Cancelled|2024-02-11 09:00|amy@shop.test|19.00|0|Mug|1|19.00||NY",  # cancelled_order
        "505|Refunded|2024-02-11 09:00|amy@shop.test|25.00|25.00|Mug|1|25.00||NY",  # refunded_order
        "506|completed|2024-02-10 08:00|Jo@Shop.test|7.50|0|Tea|1|7.50||NY",  # the slug; Jo's 02-10 again: 7.50
    )
    data = read_purchases(export(tmp_path / "orders.csv", WOOCOMMERCE, rows))
    # customers 2, occasions 2, revenue 30 + 40 + 7.50 = 77.50
    assert summary(data) == (
        ["Jo@Shop.test", "sam@shop.test"], 2, 77.50, {"unpaid_order": 1, "cancelled_order": 1, "refunded_order": 1}
    )  # fmt: skip
    q, tx = data.quality, data.transactions
    assert q.platform == "woocommerce" and q.refund_amount == 5.0
    assert q.orders == {"purchase": 3, "partly_refunded": 1, "refunded": 1, "unpaid": 1, "cancelled": 1}
    assert tx["amount"].tolist() == [10.0, 20.0, 40.0, 7.5] and tx["quantity"].tolist() == [1, 2, 1, 1]
    assert tx["order_id"].tolist() == ["501", "501", "502", "506"]
    assert tx["region"].tolist() == ["CA", "CA", "NY", "NY"]  # shipping state first, as woocommerce.toml ranks it


# Detection


@pytest.mark.parametrize("name", BUILTIN)
@given(data=st.data())
def test_detection_does_not_depend_on_header_order(name, data):
    headers = data.draw(st.permutations(HEADERS[name]))
    assert detect(list(headers)).name == name


@pytest.mark.parametrize("headers", [["customer_id", "date", "amount"], ["客户编号", "订单日期", "金额"]])
def test_generic_export_is_no_platform(tmp_path, headers):
    assert detect(headers) is None
    lines = [",".join(headers), "C1,2024-01-05,10.00", "C2,2024-01-06,5.50"]
    data = read_purchases(_text(tmp_path, lines))
    assert data.quality.platform is None and data.quality.orders == {} and data.quality.rows_used == 2


def _text(tmp_path, lines):
    path = tmp_path / "generic.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_platform_none_reads_generically(tmp_path):
    # a WooCommerce file: by its rules the pending order is dropped; as a plain export every row is a purchase
    rows = table(
        "Order Number|Order Status|Order Date|Email (Billing)|Order Total Amount",
        "1|Completed|2024-02-10|a@b.c|5.00",
        "2|Pending payment|2024-02-11|b@b.c|7.00",
    )
    path = export(tmp_path / "w.csv", WOOCOMMERCE, rows)
    assert read_purchases(path).quality.dropped == {"unpaid_order": 1}
    with pytest.raises(ColumnError):  # no customer column the generic reader knows by name
        read_purchases(path, platform="none")
    plain = read_purchases(
        path, platform="none", columns={"customer_id": "Email (Billing)", "amount": "Order Total Amount"}
    )
    assert plain.quality.platform is None and plain.quality.orders == {} and plain.quality.dropped == {}
    assert plain.transactions["amount"].tolist() == [5.0, 7.0]


def test_forcing_a_platform_on_a_generic_file(tmp_path):
    path = _text(tmp_path, ["customer_id,date,amount", "C1,2024-01-05,10.00"])
    with pytest.raises(ColumnError) as err:
        read_purchases(path, platform="shopify")
    assert "Email" in err.value.message and "--platform none" in (err.value.hint or "")


# User platform files

USER_TOML = """
name = "myshop"
title = "My shop export"
rows = "order"
signature = ["会员", "实付"]
required = ["order_id", "status"]

[columns]
order_id = ["单号"]
customer_id = ["会员"]
paid = ["实付"]
date = ["付款时间", "下单时间"]
status = ["状态"]

[statuses]
purchase = ["完成"]
unpaid = ["待付"]
"""


def test_user_platform_file(tmp_path):
    toml = tmp_path / "myshop.toml"
    toml.write_text(USER_TOML, encoding="utf-8")
    lines = ["单号,会员,实付,付款时间,下单时间,状态", "1,m1,10.00,2024-01-02 10:00,2024-01-01 09:00,完成"]
    path = _text(tmp_path, [*lines, "2,m2,5.00,,2024-01-03 09:00,待付", "3,m1,2.50,,2024-01-04 09:00,完成"])
    data = read_purchases(path, platform=str(toml))
    # order 1 paid 01-02; order 2 unpaid, dropped; order 3 no payment time -> creation day 01-04
    assert data.quality.platform == "myshop" and data.quality.dropped == {"unpaid_order": 1}
    assert data.transactions["date"].tolist() == [day("2024-01-02"), day("2024-01-04")]
    assert data.transactions["amount"].tolist() == [10.0, 2.5]
    assert detect(["单号", "会员", "实付", "付款时间", "下单时间", "状态"]) is None  # a user's file only when asked for


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('status = ["状态"]', 'status = ["状态"]\nbuyer = ["x"]'),  # unknown role
        ('unpaid = ["待付"]', 'unpaid = ["待付"]\npaidish = ["x"]'),  # unknown class
        ('rows = "order"', 'rows = "x"'),
        ('name = "myshop"', ""),  # no name
        ('unpaid = ["待付"]', 'unpaid = ["待付", "完成"]'),  # one status in two classes
        ('purchase = ["完成"]', 'purchase = ["Completed"]\ncancelled = ["completed"]'),  # case does not separate them
    ],
)
def test_broken_platform_files(tmp_path, old, new):
    assert old in USER_TOML
    toml = tmp_path / "bad.toml"
    toml.write_text(USER_TOML.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError):
        load(str(toml))
    path = _text(tmp_path, ["单号,会员,实付,付款时间,状态", "1,m1,10.00,2024-01-02,完成"])
    with pytest.raises(ConfigError):
        read_purchases(path, platform=str(toml))
