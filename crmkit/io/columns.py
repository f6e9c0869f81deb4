"""Finding the customer, date and amount columns of an export from its headers (English and Chinese),
and reading the time of day a date column carries."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from crmkit.errors import ColumnError, UsageError

#: Role -> header aliases, most specific first. Headers are compared after :func:`normalise_header`
#: (NFKC, lower case, units in brackets and punctuation removed), so "Customer ID", "customer_id"
#: and "CustomerID" are one alias, and "金额（元）" matches "金额".
ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customerid",
        "customerno",
        "customernumber",
        "customercode",
        "custid",
        "custno",
        "customer",
        "clientid",
        "clientno",
        "client",
        "memberid",
        "memberno",
        "membernumber",
        "member",
        "userid",
        "user",
        "buyerid",
        "buyer",
        "accountid",
        "account",
        "contactid",
        "cardno",
        "membercard",
        "客户编号",
        "客户id",
        "客户号",
        "客户代码",
        "客户编码",
        "会员号",
        "会员编号",
        "会员id",
        "会员卡号",
        "会员代码",
        "顾客id",
        "顾客编号",
        "顾客号",
        "用户id",
        "用户编号",
        "买家id",
        "买家会员名",
        "买家",
        "客户",
        "顾客",
        "会员",
        "用户",
        "卡号",
        "id",
    ),
    "date": (
        "orderdate",
        "invoicedate",
        "purchasedate",
        "transactiondate",
        "txndate",
        "saledate",
        "salesdate",
        "orderdatetime",
        "ordertime",
        "purchasetime",
        "transactiontime",
        "paymentdate",
        "paidat",
        "createdat",
        "orderedat",
        "date",
        "datetime",
        "timestamp",
        "time",
        "day",
        "订单日期",
        "交易时间",
        "下单时间",
        "交易日期",
        "购买日期",
        "销售日期",
        "订单时间",
        "付款时间",
        "支付时间",
        "成交时间",
        "成交日期",
        "消费时间",
        "消费日期",
        "创建时间",
        "订单创建时间",
        "下单日期",
        "日期",
        "时间",
    ),
    "amount": (
        "amount",
        "netamount",
        "totalamount",
        "orderamount",
        "ordertotal",
        "ordervalue",
        "paidamount",
        "paymentamount",
        "netsales",
        "sales",
        "salesamount",
        "revenue",
        "netrevenue",
        "total",
        "totalprice",
        "linetotal",
        "subtotal",
        "value",
        "spend",
        "paid",
        "payment",
        "金额",
        "实付金额",
        "销售额",
        "订单金额",
        "消费金额",
        "支付金额",
        "实收金额",
        "付款金额",
        "成交金额",
        "总金额",
        "销售金额",
        "交易金额",
        "应付金额",
        "买家实付金额",
        "实付款",
        "总价",
        "合计金额",
    ),
    "quantity": ("quantity", "qty", "units", "unitssold", "cds", "数量", "购买数量", "销量", "件数", "商品数量"),
    "unit_price": ("unitprice", "price", "unitcost", "saleprice", "单价", "价格", "售价", "成交价", "商品单价"),
    "order_id": (
        "orderid",
        "orderno",
        "ordernumber",
        "invoiceno",
        "invoicenumber",
        "invoiceid",
        "invoice",
        "transactionid",
        "txnid",
        "receiptno",
        "receiptid",
        "order",
        "订单号",
        "订单编号",
        "订单id",
        "单号",
        "交易号",
        "交易单号",
        "发票号",
        "流水号",
        "小票号",
    ),
    "product": (
        "product",
        "productid",
        "productname",
        "productcode",
        "sku",
        "stockcode",
        "itemid",
        "item",
        "itemname",
        "description",
        "商品",
        "商品名称",
        "商品编号",
        "商品id",
        "商品编码",
        "产品",
        "产品名称",
        "品名",
        "货号",
    ),
    "category": (
        "category",
        "productcategory",
        "itemcategory",
        "categoryname",
        "producttype",
        "品类",
        "类目",
        "商品类别",
        "商品类目",
        "商品分类",
        "分类",
        "类别",
    ),  # fmt: skip
    "region": (
        "region",
        "province",
        "shippingprovince",
        "shippingstate",
        "shippingregion",
        "地区",
        "省份",
        "省",
        "区域",
        "所在地区",
        "收货省份",
        "所在省份",
    ),  # fmt: skip
    "channel": (
        "channel",
        "saleschannel",
        "store",
        "storeid",
        "storename",
        "shop",
        "shopname",
        "branch",
        "渠道",
        "销售渠道",
        "门店",
        "门店名称",
        "店铺",
        "店铺名称",
        "分店",
    ),
    "margin": ("margin", "grossmargin", "profit", "grossprofit", "毛利", "毛利额", "利润", "毛利润"),
    "status": (
        "status",
        "orderstatus",
        "transactionstatus",
        "transactiontype",
        "type",
        "状态",
        "订单状态",
        "交易状态",
        "退货状态",
        "类型",
    ),
    "discount": (
        "discountamount",
        "discount",
        "discounts",
        "couponamount",
        "优惠金额",
        "折扣金额",
        "店铺优惠",
        "优惠券金额",
        "平台优惠",
        "优惠",
    ),
}

REQUIRED = ("customer_id", "date")
#: Values that mean "nothing here" in exports, as a DuckDB list literal.
NULL_WORDS = "['', 'nan', 'NaN', 'NAN', 'null', 'NULL', 'None', 'none', 'N/A', 'n/a', 'NA', '#N/A', '-', '--', '—']"
OVERRIDE_FLAGS = {
    "customer_id": "--customer",
    "date": "--date",
    "amount": "--amount",
    "quantity": "--quantity",
    "unit_price": "--price",
    "order_id": "--order-id",
    "product": "--product",
    "channel": "--channel",
    "category": "--category",
    "region": "--region",
    "margin": "--margin",
    "status": "--status",
    "discount": "--discount-amount",
}


def normalise_header(name: object) -> str:
    """Comparable form of a header: NFKC, lower case, bracketed units and punctuation removed."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lower()
    text = re.sub(r"[(\[（【].*?[)\]）】]", "", text)
    return re.sub(r"[\W_]+", "", text)


@dataclass
class ColumnMap:
    """Role -> the file's header for that role; ``amount`` may be absent when it is quantity x price."""

    roles: dict[str, str] = field(default_factory=dict)
    amount_from_price: bool = False

    def get(self, role: str) -> str | None:
        return self.roles.get(role)


def source_name(source) -> str:
    """How a message names an input: its path, ``<stdin>`` for ``-``, else the kind of table it is."""
    import os

    if isinstance(source, str | os.PathLike):
        text = os.fspath(source)
        return "<stdin>" if text == "-" else str(text)
    return type(source).__name__


def find_roles(
    headers: list[str],
    aliases: dict[str, tuple[str, ...]],
    given: dict[str, str] | None = None,
    *,
    source: str = "",
    what: str = "file",
) -> dict[str, str]:
    """Role -> header of a side file (campaign, complaints, renewals, members).

    The ``given`` roles first (``--column ROLE=HEADER``: the header as written, else matched
    normalised; a role not in ``aliases`` is a :class:`~crmkit.errors.UsageError`, a header not
    in the file a :class:`~crmkit.errors.ColumnError` naming ``source``, calling it the ``what``),
    then every other role by its aliases in priority order, each header in one role only.
    """
    normalised = [(normalise_header(h), h) for h in headers]
    found: dict[str, str] = {}
    for role, name in (given or {}).items():
        if role not in aliases:
            raise UsageError(f"columns: unknown role {role!r}; roles are {', '.join(aliases)}")
        header = name if name in headers else next((h for n, h in normalised if n == normalise_header(name)), None)
        if header is None:
            raise ColumnError(
                f"the {role.replace('_', ' ')} column '{name}' is not in the {what}",
                file=source,
                column=name,
                hint="columns found: " + ", ".join(headers),
            )
        found[role] = header
    for role, names in aliases.items():
        if role in found:
            continue
        hit = next((h for alias in names for n, h in normalised if n == alias and h not in found.values()), None)
        if hit is not None:
            found[role] = hit
    return found


def resolve_override(role: str, wanted: str, headers: list[str], source: str) -> str:
    if wanted in headers:
        return wanted
    by_norm = {normalise_header(h): h for h in headers}
    if normalise_header(wanted) in by_norm:
        return by_norm[normalise_header(wanted)]
    raise ColumnError(
        f"{OVERRIDE_FLAGS[role]} names column '{wanted}', which is not in the file",
        file=source,
        hint="columns found: " + ", ".join(map(str, headers)),
    )


def detect_columns(
    headers: list[str], overrides: dict[str, str | None] | None = None, *, source: str = "input"
) -> ColumnMap:
    """Map roles to headers: explicit overrides first, then aliases by priority.

    Parameters
    ----------
    headers : list of str
        Column names as they appear in the file.
    overrides : dict, optional
        Role -> header given by the user (``--customer`` etc.); ``None`` values are ignored.
    source : str
        File name for error messages.

    Raises
    ------
    ColumnError
        When a required role (customer id, date, and amount or quantity x price) is not found,
        listing the columns that were found and the flag to name the column.
    """
    given: dict[str, str] = {k: v for k, v in (overrides or {}).items() if v}
    cmap = ColumnMap()
    taken: set[str] = set()
    for role, wanted in given.items():
        header = resolve_override(role, wanted, headers, source)
        cmap.roles[role] = header
        taken.add(header)

    normalised = [(normalise_header(h), h) for h in headers]
    for role, aliases in ALIASES.items():
        if role in cmap.roles:
            continue
        found = None
        for alias in aliases:
            for norm, header in normalised:
                if norm == alias and header not in taken:
                    found = header
                    break
            if found:
                break
        if found is None and role in ("customer_id", "date", "amount"):
            # Fallback: a header *containing* a strong alias ("下单时间(北京)", "order_date_utc").
            strong = {
                "customer_id": ("customerid", "客户编号", "会员号", "客户id"),
                "date": ("date", "日期", "时间"),
                "amount": ("amount", "金额", "销售额", "revenue"),
            }[role]
            for norm, header in normalised:
                if header not in taken and any(s in norm for s in strong):
                    found = header
                    break
        if found:
            cmap.roles[role] = found
            taken.add(found)

    for role in REQUIRED:
        if role not in cmap.roles:
            raise ColumnError(
                f"cannot find the {role.replace('_', ' ')} column",
                file=source,
                hint="columns found: " + ", ".join(map(str, headers)) + f"; name it with {OVERRIDE_FLAGS[role]} COLUMN",
            )
    if "amount" not in cmap.roles:
        if "quantity" in cmap.roles and "unit_price" in cmap.roles:
            cmap.amount_from_price = True
        else:
            raise ColumnError(
                "cannot find the amount column (nor quantity and unit price to compute it)",
                file=source,
                hint="columns found: " + ", ".join(map(str, headers)) + "; name it with --amount COLUMN",
            )
    return cmap


#: A time of day after the date (or first): ``14:22``, ``9:05:30.5``, ``14时22分``; group 1 the time, 2 the hour.
_TIME = (
    "(?:^|[\\sT日,午])(([0-9]{1,2})\\s*(?:[:：]\\s*[0-5][0-9](?:\\s*[:：]\\s*[0-5][0-9](?:[.,][0-9]+)?)?"
    "|时(?:\\s*[0-5]?[0-9]\\s*分)?))"
)


def hour_exprs(col: str) -> dict[str, str]:
    """The hour (0-23) of a (trimmed) date text, for the staging query: alias -> expression, in order.

    The hour is the clock as written, not converted: ``2024-03-05T14:22:01+08:00`` is 14 whatever the
    offset, as :func:`crmkit.io.purchases.date_expr` keeps the day written. ``2:05 PM`` / ``下午2:05`` is
    14; an Excel serial's fraction is its time (``45356.6`` is 14:24). Text with no time of day gives NULL.
    ``_timed`` lets the reader tell a column of midnight datetimes (``2024-03-05 00:00:00``, a
    spreadsheet's or pandas' dates) from one with times. Later expressions use earlier aliases (DuckDB
    reads a select list's aliases); ``_hm``, ``_meridiem`` and ``_serial`` are not kept in the staged table.
    """
    low, hm, meridiem, serial = f"lower({col})", "_hm", "_meridiem", "_serial"
    # ISO and Y/M/D with a two-digit month and day (most exports) need no regular expression: the
    # hour is characters 12-13. An Excel serial has its point at character 6. Measured on 1M rows.
    iso = f"(substr({col}, 14, 1) = ':' AND (substr({col}, 11, 1) = ' ' OR substr({col}, 11, 1) = 'T'))"
    found = f"CASE WHEN {iso} THEN {{'t': substr({col}, 12, 8), 'h': substr({col}, 12, 2)}} "
    found += f"ELSE regexp_extract({col}, '{_TIME}', ['t', 'h']) END"
    worded = " OR ".join(f"contains({col}, '{c}')" for c in ("m", "M", "午", "晚", "晨"))
    pm = f"regexp_matches({low}, '[0-9]\\s*p\\.?m\\.?(\\W|$)|下午|晚上')"
    am = f"regexp_matches({low}, '[0-9]\\s*a\\.?m\\.?(\\W|$)|上午|凌晨')"
    is_serial = f"substr({col}, 6, 1) = '.' AND regexp_matches({col}, '^\\d{{5}}\\.\\d+$')"
    seconds = f"CAST(round((CAST({col} AS DOUBLE) % 1) * 86400) AS INTEGER)"
    h = f"TRY_CAST(nullif({hm}['h'], '') AS INTEGER)"
    clock = (
        f"CASE WHEN {hm}['h'] = '' THEN NULL WHEN {h} < 12 AND {meridiem} = 'p' THEN {h} + 12 "
        f"WHEN {h} = 12 AND {meridiem} = 'a' THEN 0 WHEN {h} <= 23 THEN {h} END"
    )
    return {
        hm: found,
        meridiem: f"CASE WHEN {worded} THEN (CASE WHEN {pm} THEN 'p' WHEN {am} THEN 'a' END) END",
        serial: f"CASE WHEN {is_serial} THEN {seconds} END",
        "hour": f"CAST(CASE WHEN {serial} IS NOT NULL THEN least({serial} // 3600, 23) ELSE {clock} END AS SMALLINT)",
        # midnight is zeros and separators only (a regular expression: 5x faster than translate here)
        "_timed": f"coalesce({serial} > 0, regexp_matches({hm}['t'], '[1-9]'))",
    }
