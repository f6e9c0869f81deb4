"""How each platform writes an order book: its header list in its order, its cells, its encoding and quirks.

Sources are the research notes the platform files cite (``crmkit platforms NAME``); where a
source left a gap (a cell's exact wording, a column's position) the plainest choice is made and
said here.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from crmkit.synth_platforms.model import (
    CN_PLACES,
    DE_PLACES,
    END,
    US_PLACES,
    Customer,
    Order,
    OrderBook,
    _split,
    customer_of,
)

_HEADER_TEXT = {
    # 2018-2019 订单报表 (54 columns; six headers really end with a space)
    "taobao": "订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,买家支付积分,总金额,返点积分,"
    "买家实际支付金额,买家实际支付积分,订单状态,买家留言,收货人姓名,收货地址 ,运送方式,联系电话 ,联系手机,"
    "订单创建时间,订单付款时间 ,宝贝标题 ,宝贝种类 ,物流单号 ,物流公司,订单备注,宝贝总数量,店铺Id,店铺名称,"
    "订单关闭原因,卖家服务费,买家服务费,发票抬头,是否手机订单,分阶段订单信息,特权订金订单id,是否上传合同照片,"
    "是否上传小票,是否代付,定金排名,修改后的sku,修改后的收货地址,异常信息,天猫卡券抵扣,集分宝抵扣,是否是O2O交易,"
    "新零售交易类型,新零售导购门店名称,新零售导购门店id,新零售发货门店名称,新零售发货门店id,退款金额,预约门店,"
    "确认收货时间,打款商家金额,含应开票给个人的个人红包",
    # 2015-2017 订单明细: the 30 columns of a real row and the five 2017 added
    "jd": "订单号,商品ID,商品名称,订购数量,支付方式,下单时间,京东价,订单金额,结算金额,余额支付,应付金额,订单状态,"
    "订单类型,下单帐号,客户姓名,客户地址,联系电话,订单备注,发票类型,发票抬头,发票内容,商家备注,"
    "商家备注等级（等级1-5为由高到低）,运费金额,付款确认时间,增值税发票,货号,订单完成时间,订单来源,订单渠道,"
    "送装服务,服务费,仓库id,仓库名称,普通发票纳税编号",
    # position in a real file is not known)
    "pinduoduo": "商品,订单号,订单状态,商品总价(元),邮费(元),店铺优惠折扣(元),平台优惠折扣(元),"
    "多多支付立减金额(元),用户实付金额(元),商家实收金额(元),商品数量(件),发货时间,确认收货时间,商品id,商品规格,"
    "样式ID,商家编码-规格维度,商家编码-商品维度,商家备注,售后状态,快递单号,快递公司,订单成交时间,是否分期,分期期数,"
    "手续费承担方,分期方式,用户购买手机号,省,市,区,商品一级类目",
    # 订单维度, 60 columns (分销员 twice, as exported)
    "youzan": "订单号,销售渠道,归属店铺,订单类型,订单状态,推广方式,订单来源,订单创建时间,买家付款时间,交易成功时间,"
    "付款方式,支付流水号,商品金额合计,运费,店铺优惠合计,应收订单金额,订单实付金额,支付优惠合计,订单实收金额,"
    "订单抵用积分数,店铺优惠方式,支付优惠方式,全部商品名称,商品种类数,订单配送方式,同城送达时间/提货时间,"
    "收货人省份,收货人城市,收货人地区,详细收货地址/提货地址,收货人/提货人,收货人手机号/提货人手机号,买家备注,"
    "订单星级,买家昵称,买家是否会员,买家手机号,下单网点,收银员,分销员,销售导购,专属导购,订单退款状态,"
    "订单已退款金额,商家订单备注,桌号,挂账主体,挂账手机号,团长订单,订单风险标签,分销员,分销员手机号,分销员所属店铺,"
    "分销员所属团队,分销员所属分组,分销员等级,订单佣金类型,订单佣金金额,订单下级卖货提成类型,订单下级卖货提成金额",
    # 微信小店, 57 columns
    "wechat": "订单号,订单下单时间,订单发货时间,订单确认收货时间,订单完成结算时间,订单状态,发货方式,收件人姓名,"
    "收件人地址,省,市,区,收件人手机,买家备注,商家备注,打标颜色,商品总价,订单实际支付金额,订单实际收款金额,订单运费,"
    "商品优惠,跨店优惠,商品改价,积分抵扣,支付方式,支付时间,交易单号,物流公司,快递单号,技术服务费,"
    "技术服务费（将以人气卡形式返还）,运费险预计投保费用,带货方式,带货账号类型,带货账号昵称,带货费用渠道,"
    "带货费用类型,带货费用,带货佣金率,礼物单号,商品名称,商品编码(平台),商品编码(自定义),SKU编码(自定义),商品属性,"
    "商品价格(单件),商品实际价格(单件),商品实际价格(总共),是否预售,商品数量,商品平台券优惠,商品平均运费,定制信息,"
    "定制预览图,商品发货,商品售后,商品已退款金额",
    # orders_export.csv, 79 columns
    "shopify": "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,"
    "Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,"
    "Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,"
    "Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,Billing Address2,"
    "Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,"
    "Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,Payment Method,"
    "Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,Id,Tags,Risk Level,"
    "Source,Lineitem discount,Tax 1 Name,Tax 1 Value,Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,"
    "Tax 4 Value,Tax 5 Name,Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References",
    # Advanced Order Export For WooCommerce, a real 2018 user's field set (48 columns)
    "woocommerce": "Order Number,Order Status,Order Date,Customer Note,First Name (Billing),Last Name (Billing),"
    "Company (Billing),Address 1&2 (Billing),City (Billing),State Code (Billing),Postcode (Billing),"
    "Country Code (Billing),Email (Billing),Phone (Billing),First Name (Shipping),Last Name (Shipping),"
    "Address 1&2 (Shipping),City (Shipping),State Code (Shipping),Postcode (Shipping),Country Code (Shipping),"
    "Item #,SKU,Name,Product Variation,Quantity,Quantity (- Refund),Item Cost,Order Line (w/o tax),Order Line Tax,"
    "Order Line Total,Order Line Total Refunded,Order Line Total (- Refund),Image URL,Coupon Code,Discount Amount,"
    "Discount Amount Tax,Payment Method Title,Coupons Used,Cart Discount Amount,Order Subtotal Amount,"
    "Order Tax Amount,Order Shipping Amount,Order Refund Amount,Order Total Amount,Order Total Tax Amount,"
    "Total items,Total products",
}
#: Each platform's full header list, in its order.
HEADERS = {p: text.split(",") for p, text in _HEADER_TEXT.items()}


class Raw(str):
    """A CSV cell written as it is, never quoted (Taobao's ``="…"`` order numbers)."""


def _m(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _t(when: datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S}" if when else ""


def _stage(order: Order) -> int:
    """0 paid and waiting, 1 shipped, 2 received: how far an order got by the export (END)."""
    age = (END - (order.paid_at or order.created)).days
    return 0 if age < 2 else 1 if age < 9 else 2


def _shipped(order: Order) -> datetime | None:
    return order.paid_at + timedelta(hours=20) if order.paid_at and _stage(order) else None


def _received(order: Order) -> datetime | None:
    return order.paid_at + timedelta(days=7, hours=3) if order.paid_at and _stage(order) == 2 else None


def _place(customer: Customer) -> tuple[str, str, str, str, str]:
    return CN_PLACES[customer.place % len(CN_PLACES)]


def _short(province: str) -> str:
    return province.removesuffix("省").removesuffix("壮族自治区")


def _taobao(book: OrderBook) -> list[dict[str, str]]:
    rows = []
    for o in book.orders:
        c, (prov, city, dist, post, street) = o.customer, _place(o.customer)
        paid = o.total if o.paid_at else 0  # 0 until paid; a full refund stays in 退款金额
        done = _stage(o) == 2 and o.kind in ("paid", "partly_refunded")
        status = {"unpaid": "等待买家付款", "closed": "交易关闭", "closed_refunded": "交易关闭"}.get(o.kind)
        reason = {"closed": "买家不想买了", "closed_refunded": "退款"}.get(o.kind, "订单未关闭")
        rows.append(
            {
                "订单编号": Raw(f'="{o.number}"'),
                "买家会员名": c.nick,
                "买家支付宝账号": c.email,
                "买家应付货款": _m(o.goods - o.discount),
                "买家应付邮费": _m(o.shipping),
                "买家支付积分": "0",
                "总金额": _m(o.total),
                "返点积分": "0",
                "买家实际支付金额": _m(paid),
                "买家实际支付积分": "0",
                "订单状态": status or ("买家已付款，等待卖家发货", "卖家已发货，等待买家确认", "交易成功")[_stage(o)],
                "收货人姓名": c.name,
                "收货地址 ": f"{prov} {city} {dist} {street}{c.place + 1}号({post})",
                "运送方式": "快递",
                "联系手机": "'" + c.phone,
                "订单创建时间": _t(o.created),
                "订单付款时间 ": _t(o.paid_at),
                "宝贝标题 ": "，".join(x.product for x in o.lines),
                "宝贝种类 ": str(len(o.lines)),
                "物流单号 ": f"No:7{o.number[-11:]}" if _shipped(o) else "",
                "物流公司": "中通快递" if _shipped(o) else "",
                "宝贝总数量": str(sum(x.quantity for x in o.lines)),
                "店铺Id": "0",
                "店铺名称": "山野小铺",
                "订单关闭原因": reason,
                "卖家服务费": "0",
                "买家服务费": "0元",
                "是否手机订单": "手机订单",
                "是否上传合同照片": "否",
                "是否上传小票": "否",
                "是否代付": "否",
                "退款金额": _m(o.refund),
                "确认收货时间": _t(_received(o)) if done else "",
                "打款商家金额": _m(paid - o.refund if done else 0) + "元",
            }
        )
    return rows


def _jd(book: OrderBook) -> list[dict[str, str]]:
    rows = []
    for o in book.orders:
        c, (prov, city, dist, _, street) = o.customer, _place(o.customer)
        stage = ("等待出库", "等待确认收货", "完成")[_stage(o)]
        status = {"unpaid": "等待付款", "cancelled": "已取消", "split": "(删除)等待出库"}.get(o.kind, stage)
        town = city if city[:-1] != _short(prov) else ""  # 北京朝阳区…, 江西南昌市青山湖区…
        for x in o.lines:
            rows.append(
                {
                    "订单号": o.number,
                    "商品ID": f"10{x.code:03d}5266{x.code:03d}",
                    "商品名称": f"{x.product} {x.variant}",
                    "订购数量": str(x.quantity),
                    "支付方式": "在线支付",
                    "下单时间": _t(o.created),
                    "京东价": _m(x.price),
                    "订单金额": _m(o.goods + o.shipping),
                    "结算金额": _m(o.total),
                    "余额支付": "0.00",
                    "应付金额": _m(o.total),
                    "订单状态": status,
                    "订单类型": "销售订单",
                    "下单帐号": customer_of("jd", c),
                    "客户姓名": c.name,
                    "客户地址": f"{_short(prov)}{town}{dist}{street}{c.place + 1}号",
                    "联系电话": c.phone,
                    "商家备注": o.note,
                    "运费金额": _m(o.shipping),
                    "付款确认时间": _t(o.paid_at),
                    "订单完成时间": _t(_received(o)) if status == "完成" else "",
                    "订单来源": "移动端订单",
                    "订单渠道": "暂无来源",
                }
            )
    # every value padded with a tab, as JD does to keep Excel from reformatting numbers
    return [{k: v + "\t" if v else v for k, v in row.items()} for row in rows]


PDD_CATEGORIES = [
    "服饰内衣",
    "家居日用",
    "食品保健",
    "数码电器",
    "食品保健",
    "母婴",
    "厨具",
    "宠物",
    "箱包皮具",
    "美妆",
]


def _pinduoduo(book: OrderBook) -> list[dict[str, str]]:
    rows = []
    for o in book.orders:
        (x,), (prov, city, dist, _, _) = o.lines, _place(o.customer)
        stage = ("待发货", "已发货，待签收", "已签收")[_stage(o)]
        after = "无售后或售后取消"
        if o.kind == "refunded":  # refunded before or after shipping, or after receipt (售后状态 says it)
            stage, after = ("未发货，退款成功", "已发货，退款成功", "已签收")[int(o.number[-1]) % 3], "退款成功"
        status = {"unpaid": "待支付", "cancelled": "已取消"}.get(o.kind, stage)
        shipped = _shipped(o) if status != "未发货，退款成功" else None
        padded = {
            "订单号": o.number,
            "商品总价(元)": _m(o.goods),
            "邮费(元)": _m(o.shipping),
            "店铺优惠折扣(元)": _m(o.discount),
            "平台优惠折扣(元)": "0.00",
            "多多支付立减金额(元)": "0.00",
            "用户实付金额(元)": _m(o.total),
            "商家实收金额(元)": _m(o.total),
            "商品数量(件)": str(x.quantity),
            "发货时间": _t(shipped),
            "确认收货时间": _t(_received(o)) if status == "已签收" else "",
            "商品id": f"5{x.code:02d}08813{x.code:04d}",
            "样式ID": f"1{x.code:02d}7735{x.code:05d}",
            "商家编码-规格维度": x.sku,
            "商家编码-商品维度": x.sku[:6],
            "快递单号": f"7{o.number[-12:]}" if shipped else "",
            "订单成交时间": _t(o.paid_at or o.created),
            "用户购买手机号": customer_of("pinduoduo", o.customer),
        }
        # number-like cells padded with a tab, as the export does against Excel's number formats
        row = {k: v + "\t" if v else v for k, v in padded.items()}
        row.update(
            {
                "商品": x.product,
                "订单状态": status,
                "商品规格": x.variant.split(":")[-1],
                "售后状态": after,
                "快递公司": "中通快递" if shipped else "",
                "是否分期": "否",
                "省": prov,
                "市": city,
                "区": dist,
                "商品一级类目": PDD_CATEGORIES[x.code],
            }
        )
        rows.append(row)
    return rows


def _youzan(book: OrderBook) -> list[dict[str, str]]:
    rows = []
    for o in book.orders:
        c, (prov, city, dist, _, street) = o.customer, _place(o.customer)
        paid = o.total if o.paid_at else 0
        status = {"unpaid": "待付款", "closed": "交易关闭", "closed_refunded": "交易关闭", "refunded": "交易成功"}.get(
            o.kind, ("待发货", "已发货", "交易成功")[_stage(o)]
        )
        refund_state = (
            "退款成功（部分退款）" if o.kind == "partly_refunded" else "退款成功（全额退款）" if o.refund else ""
        )
        names = ";".join(f"{x.product}({x.variant.split(':')[-1]})(数量：{x.quantity})" for x in o.lines)
        rows.append(
            {
                "订单号": o.number,
                "销售渠道": "网店",
                "归属店铺": "山野小铺",
                "订单类型": "普通订单",
                "订单状态": status,
                "订单来源": "商家小程序",
                "订单创建时间": _t(o.created),
                "买家付款时间": _t(o.paid_at),
                "交易成功时间": _t(_received(o)) if status == "交易成功" else "",
                "付款方式": "微信支付" if paid else "",
                "支付流水号": f"4200{o.number[-14:]}" if paid else "",
                "商品金额合计": _m(o.goods),
                "运费": _m(o.shipping),
                "店铺优惠合计": _m(o.discount),
                "应收订单金额": _m(o.total),
                "订单实付金额": _m(paid),
                "支付优惠合计": "0.00",
                "订单实收金额": _m(paid),
                "订单抵用积分数": "0",
                "店铺优惠方式": "优惠券" if o.discount else "",
                "全部商品名称": names,
                "商品种类数": str(len(o.lines)),
                "订单配送方式": "快递发货",
                "收货人省份": prov,
                "收货人城市": city,
                "收货人地区": dist,
                "详细收货地址/提货地址": f"{street}{c.place + 1}号",
                "收货人/提货人": c.name,
                "收货人手机号/提货人手机号": c.phone,
                "买家昵称": c.nick,
                "买家是否会员": "是" if c.place % 3 else "否",
                "买家手机号": c.phone,
                "订单退款状态": refund_state,
                "订单已退款金额": _m(o.refund),
                "团长订单": "否",
                "订单风险标签": "——",
            }
        )
    return rows


def _wechat(book: OrderBook) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for o in book.orders:
        c, (prov, city, dist, _, street) = o.customer, _place(o.customer)
        status = {"unpaid": "待付款", "cancelled": "已取消", "cancelled_refunded": "已取消"}.get(
            o.kind, ("待发货", "待收货", "已完成")[_stage(o)]
        )
        paid = o.total if o.paid_at else 0
        for x in o.lines:
            rows.append(
                {
                    "订单号": o.number,
                    "订单下单时间": _t(o.created),
                    "订单发货时间": _t(_shipped(o)),
                    "订单确认收货时间": _t(_received(o)) if status == "已完成" else "",
                    "订单状态": status,
                    "发货方式": "快递",
                    "收件人姓名": c.name,
                    "收件人地址": f"{street}{c.place + 1}号",
                    "省": prov,
                    "市": city,
                    "区": dist,
                    "收件人手机": c.phone,
                    "商品总价": o.goods / 100,
                    "订单实际支付金额": paid / 100,
                    "订单实际收款金额": paid / 100,
                    "订单运费": o.shipping / 100,
                    "商品优惠": o.discount / 100,
                    "跨店优惠": 0,
                    "商品改价": 0,
                    "积分抵扣": 0,
                    "支付方式": "微信支付" if paid else "",
                    "支付时间": _t(o.paid_at),
                    "交易单号": f"4200002{o.number[-14:]}" if paid else "",
                    "技术服务费": round(paid * 0.02) / 100,
                    "带货方式": "商品卡",
                    "带货账号类型": "商家自营",
                    "商品名称": x.product,
                    "商品编码(平台)": f"10000{x.code:04d}",
                    "商品编码(自定义)": x.sku[:6],
                    "SKU编码(自定义)": x.sku,
                    "商品属性": x.variant,
                    "商品价格(单件)": x.price / 100,
                    "商品实际价格(单件)": round(x.share / x.quantity) / 100,
                    "商品实际价格(总共)": x.share / 100,
                    "是否预售": "否",
                    "商品数量": x.quantity,
                    "商品平台券优惠": 0,
                    "商品发货": "已发货" if _shipped(o) else "未发货",
                    "商品售后": "退款成功" if x.refund else "",
                    "商品已退款金额": x.refund / 100,
                }
            )
    return rows


def _offset(when: datetime) -> str:
    """Europe/Berlin's UTC offset on a day: summer time from the last Sunday of March to that of October."""
    last_sunday = [max(d for d in (date(when.year, m, k) for k in range(25, 32)) if d.weekday() == 6) for m in (3, 10)]
    return "+0200" if last_sunday[0] <= when.date() < last_sunday[1] else "+0100"


def _shop_t(when: datetime | None) -> str:
    return f"{_t(when)} {_offset(when)}" if when else ""


def _shopify(book: OrderBook) -> list[dict[str, str]]:
    rows = []
    statuses = {
        "paid": "paid", "partly_refunded": "partially_refunded", "partially_paid": "partially_paid",
        "refunded": "refunded", "unpaid": "pending", "cancelled": "voided", "cancelled_refunded": "refunded",
    }  # fmt: skip
    for o in book.orders:
        c = o.customer
        city, post, street = DE_PLACES[c.place % len(DE_PLACES)]
        cancelled = o.kind.startswith("cancelled")
        shipped = None if cancelled else _shipped(o)
        reference = f"c{o.number[1:]}{c.place:02d}7731.1"
        address = {"Name": c.name, "Street": f"{street} {c.place + 1}", "Address1": f"{street} {c.place + 1}",
                   "City": city, "Zip": "'" + post, "Country": "DE"}  # fmt: skip
        for j, x in enumerate(o.lines):
            row = {
                "Name": o.number,
                "Lineitem quantity": str(x.quantity),
                "Lineitem name": f"{x.product} - {x.variant}",
                "Lineitem price": _m(x.price),
                "Lineitem sku": x.sku,
                "Lineitem requires shipping": "true",
                "Lineitem taxable": "true",
                "Lineitem fulfillment status": "fulfilled" if shipped else "pending",
                "Vendor": "Nordlicht Goods",
                "Lineitem discount": "0.00",
            }
            if j == 0:  # the order's fields are on its first line item only
                row.update(
                    {
                        "Email": c.email,
                        "Financial Status": statuses[o.kind],
                        "Paid at": _shop_t(o.paid_at),
                        "Fulfillment Status": "fulfilled" if shipped else "unfulfilled",
                        "Fulfilled at": _shop_t(shipped),
                        "Accepts Marketing": "yes" if c.place % 2 else "no",
                        "Currency": "EUR",
                        "Subtotal": _m(o.goods - o.discount),
                        "Shipping": _m(o.shipping),
                        "Taxes": _m(o.tax),
                        "Total": _m(o.total),
                        "Discount Code": "WELCOME" if o.discount else "",
                        "Discount Amount": _m(o.discount),
                        "Shipping Method": "DHL Paket",
                        "Created at": _shop_t(o.created),
                        **{f"Billing {k}": v for k, v in address.items()},
                        **{f"Shipping {k}": v for k, v in address.items()},
                        "Cancelled at": _shop_t(o.created + timedelta(hours=5)) if cancelled else "",
                        "Payment Method": "Shopify Payments",
                        "Payment Reference": reference,
                        "Refunded Amount": _m(o.refund),
                        "Outstanding Balance": _m(o.total if o.kind == "unpaid" else o.outstanding),
                        "Id": f"74109{o.number[1:]}{c.place:04d}",
                        "Risk Level": "Low",
                        "Source": "web",
                        "Tax 1 Name": "DE MwSt 19%",
                        "Tax 1 Value": _m(o.tax),
                        "Payment ID": reference[:-2],
                        "Payment References": reference[:-2],
                    }
                )
            rows.append(row)
    return rows


def _woocommerce(book: OrderBook) -> list[dict[str, str]]:
    rows = []
    for o in book.orders:
        c = o.customer
        state, city, post, _ = US_PLACES[c.place % len(US_PLACES)]
        first, last = c.name.split(" ", 1)
        status = {"partly_refunded": "Completed", "refunded": "Refunded", "cancelled": "Cancelled"}.get(o.kind)
        status = status or ("Processing" if _stage(o) < 2 else "Completed")
        if o.kind == "unpaid":
            status = ("Pending payment", "On hold", "Failed")[int(o.number) % 3]
        taxes = _split(o.tax, [x.share for x in o.lines])
        person = {"First Name": first, "Last Name": last, "Address 1&2": f"{c.place + 100} Main St",
                  "City": city, "State Code": state, "Postcode": post, "Country Code": "US"}  # fmt: skip
        for j, (x, tax) in enumerate(zip(o.lines, taxes), start=1):
            back = x.share + tax if o.kind == "refunded" else x.refund  # a full refund returns the line's tax too
            rows.append(
                {
                    "Order Number": o.number,
                    "Order Status": status,
                    "Order Date": f"{o.created:%Y-%m-%d %H:%M}",
                    **{f"{k} (Billing)": v for k, v in person.items()},
                    **{f"{k} (Shipping)": v for k, v in person.items()},
                    "Email (Billing)": c.email,
                    "Phone (Billing)": f"(510) 555-{c.phone[-4:]}",
                    "Item #": str(j),
                    "SKU": x.sku,
                    "Name": x.product,
                    "Product Variation": x.variant,
                    "Quantity": str(x.quantity),
                    "Quantity (- Refund)": str(0 if o.kind == "refunded" else x.quantity),
                    "Item Cost": _m(x.price),
                    "Order Line (w/o tax)": _m(x.share),
                    "Order Line Tax": _m(tax),
                    "Order Line Total": _m(x.share + tax),
                    "Order Line Total Refunded": _m(back),
                    "Order Line Total (- Refund)": _m(x.share + tax - back),
                    "Image URL": f"https://shop.example.com/wp-content/uploads/{x.sku.lower()}.jpg",
                    "Coupon Code": "welcome5" if o.discount else "",
                    "Discount Amount": _m(o.discount),
                    "Discount Amount Tax": "0.00",
                    "Payment Method Title": "Credit Card (Stripe)",
                    "Coupons Used": "welcome5" if o.discount else "",
                    "Cart Discount Amount": _m(o.discount),
                    "Order Subtotal Amount": _m(o.goods),
                    "Order Tax Amount": _m(o.tax),
                    "Order Shipping Amount": _m(o.shipping),
                    "Order Refund Amount": _m(o.refund),
                    "Order Total Amount": _m(o.total),
                    "Order Total Tax Amount": _m(o.tax),
                    "Total items": str(sum(y.quantity for y in o.lines)),
                    "Total products": str(len(o.lines)),
                }
            )
    return rows


#: Each platform's rows: header -> cell (text; numbers in WeChat Shop's workbook).
WRITERS: dict[str, Callable[[OrderBook], list[dict[str, Any]]]] = {
    "taobao": _taobao, "jd": _jd, "pinduoduo": _pinduoduo, "youzan": _youzan, "wechat": _wechat,
    "shopify": _shopify, "woocommerce": _woocommerce,
}  # fmt: skip
#: The file's encoding: GB18030 for Taobao and JD; a BOM where the file is made for Excel (Shopify's
#: "CSV for Excel", Youzan's downloads); none from Pinduoduo and the WooCommerce plugin's default.
ENCODINGS = {"taobao": "gb18030", "jd": "gb18030", "pinduoduo": "utf-8", "youzan": "utf-8-sig",
             "shopify": "utf-8-sig", "woocommerce": "utf-8"}  # fmt: skip
#: Which cells are quoted: JD quotes every cell; the WooCommerce plugin every cell with a space; the
#: others only where CSV needs it.
QUOTING = {"jd": "all", "woocommerce": "spaces"}


def _cell(value: object, quoting: str) -> str:
    """A CSV cell: quoted where CSV needs it or the platform always quotes, a :class:`Raw` cell as it is."""
    if isinstance(value, Raw):
        return str(value)
    value = str(value)
    needs = any(ch in value for ch in ',"\r\n') or quoting == "all" or (quoting == "spaces" and " " in value)
    return '"' + value.replace('"', '""') + '"' if needs else value


def export_bytes(book: OrderBook) -> bytes:
    """The export of ``book`` as the platform writes it: CSV in its encoding, or WeChat Shop's .xlsx."""
    headers, rows = HEADERS[book.platform], WRITERS[book.platform](book)
    if book.platform == "wechat":
        return _xlsx(headers, [[row.get(h, "") for h in headers] for row in rows])
    quoting = QUOTING.get(book.platform, "minimal")
    lines = [",".join(_cell(v, quoting) for v in headers)]
    lines += [",".join(_cell(row.get(h, ""), quoting) for h in headers) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(ENCODINGS[book.platform])


def _xlsx(headers: list[str], rows: list[list[object]]) -> bytes:
    """A one-sheet workbook whose bytes depend only on its cells: fixed document dates and zip entry times."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(headers)
    for row in rows:
        ws.append([None if v == "" else v for v in row])
    wb.properties.created = wb.properties.modified = datetime(2026, 1, 1)
    wb.properties.creator = "crmkit.synth_platforms"
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()  # not wb.save: it stamps the clock
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0)), src.read(info.filename),
                         compress_type=zipfile.ZIP_DEFLATED)  # fmt: skip
    return out.getvalue()
