"""The catalogue's entries for platform exports (:mod:`crmkit.io.platforms`): the Data quality
sheet's rows and the reader's notes, in English and Chinese. Part of :data:`crmkit.report.i18n.LABELS`."""

from __future__ import annotations

from crmkit.io.platforms import builtin


def _titles() -> dict[str, dict[str, str]]:
    """``export:<name>``: each built-in platform's export by its name in both languages (from its file)."""
    return {f"export:{p.name}": {"en": p.title, "zh": p.title_zh} for p in builtin()}


PLATFORM_LABELS: dict[str, dict[str, str]] = {
    **_titles(),
    "column:category": {"en": "Column used for category", "zh": "品类列"},
    "column:region": {"en": "Column used for region", "zh": "地区列"},
    "platform": {"en": "Platform export", "zh": "平台导出格式"},
    "orders:purchase": {"en": "Orders: purchases", "zh": "订单数:购买"},
    "orders:partly_refunded": {"en": "Orders: purchases partly refunded", "zh": "订单数:部分退款的购买"},
    "orders:refunded": {"en": "Orders: fully refunded (not purchases)", "zh": "订单数:全额退款(不计为购买)"},
    "orders:unpaid": {"en": "Orders: unpaid (not purchases)", "zh": "订单数:未付款(不计为购买)"},
    "orders:closed": {"en": "Orders: closed (not purchases)", "zh": "订单数:交易关闭(不计为购买)"},
    "orders:cancelled": {"en": "Orders: cancelled (not purchases)", "zh": "订单数:已取消(不计为购买)"},
    "refund_amount": {"en": "Refunds deducted from purchases", "zh": "购买订单中扣除的退款金额"},
    "dropped:header_row": {"en": "Rows dropped: the header repeated", "zh": "剔除行数:重复的表头行"},
    "dropped:duplicate_order": {"en": "Rows dropped: an order number repeated", "zh": "剔除行数:重复的订单号"},
    "dropped:unpaid_order": {"en": "Rows dropped: unpaid orders", "zh": "剔除行数:未付款订单"},
    "dropped:closed_order": {"en": "Rows dropped: closed orders", "zh": "剔除行数:交易关闭订单"},
    "dropped:cancelled_order": {"en": "Rows dropped: cancelled orders", "zh": "剔除行数:已取消订单"},
    "dropped:refunded_order": {"en": "Rows dropped: fully refunded orders", "zh": "剔除行数:全额退款订单"},
    "msg:platform": {
        "en": "read as {export} (--platform {platform}; --platform none reads it as a plain export): customer "
        "{customer}, date {date} (the first filled in), amount {amount}; {layout}",
        "zh": "按{export}读取（「--platform {platform}」；「--platform none」按普通导出读取）：客户「{customer}」，"
        "日期「{date}」（取第一个有值的），金额「{amount}」；{layout}",
    },
    "msg:platform_split": {
        "en": "an order's amount is split over its line items by {by}",
        "zh": "订单金额按「{by}」分摊到各商品行",
    },
    "layout:order": {"en": "one row per order", "zh": "每行一个订单"},
    "layout:lines": {
        "en": "one row per line item, the order's amount counted once",
        "zh": "每行一个商品，订单金额只计一次",
    },
    "layout:lines_first": {
        "en": "one row per line item, the order's fields from its first row",
        "zh": "每行一个商品，订单字段取自该订单的第一行",
    },
    "msg:platform_orders": {
        "en": "orders in the file: {purchases:,} purchases ({partly_refunded:,} partly refunded, {refunds:,.2f} "
        "refunded), {refunded:,} refunded, {unpaid:,} unpaid, {closed:,} closed, {cancelled:,} cancelled (only "
        "purchases count)",
        "zh": "文件中的订单：购买 {purchases:,} 笔（其中部分退款 {partly_refunded:,} 笔，退款 {refunds:,.2f}），"
        "全额退款 {refunded:,} 笔，未付款 {unpaid:,} 笔，交易关闭 {closed:,} 笔，已取消 {cancelled:,} 笔"
        "（只有购买订单计入分析）",
    },
    "msg:platform_statuses": {
        "en": "statuses not in the {platform} table, read as purchases (check them; a platform file can name "
        "them): {statuses}",
        "zh": "以下订单状态不在 {platform} 的状态表中，按购买处理（请核对；可在平台文件中列明）：「{statuses}」",
    },
    "msg:platform_masked": {
        "en": "{share} of purchase rows have a masked customer id (such as {example}): buyers masked alike are "
        "counted as one customer",
        "zh": "{share} 的购买行客户编号经过脱敏（如 {example}）：脱敏后相同的买家会被计为同一位客户",
    },
    "msg:platform_duplicate_column": {
        "en": "the export has two {column} columns: the first is used",
        "zh": "导出文件中有两列「{column}」：使用第一列",
    },
    "msg:platform_currencies": {
        "en": "purchase orders in several currencies ({currencies} orders): amounts are summed as exported, not "
        "converted",
        "zh": "购买订单涉及多种币种（{currencies} 笔）：金额按导出值直接相加，未做汇率换算",
    },
    "msg:platform_rounded_ids": {
        "en": "{rows:,} order numbers are in scientific notation (such as {example}): a spreadsheet re-saved the "
        "file and rounded them, so orders may be merged; export it again from the platform",
        "zh": "{rows:,} 个订单号为科学计数法（如 {example}）：文件经电子表格另存时被四舍五入，"
        "不同订单可能被合并；请从平台重新导出",
    },
    "msg:platform_unmasked": {
        "en": "the first customer column is masked (such as t**1): the customer is read from {column}",
        "zh": "第一个客户列经过脱敏（如 t**1）：客户改按「{column}」识别",
    },
    "msg:platform_emails": {
        "en": "{emails:,} customer email(s) differ from another only in case: read as one customer, by the first "
        "spelling",
        "zh": "{emails:,} 个客户邮箱与另一个只有大小写不同：按同一位客户读取，沿用首次出现的写法",
    },
}
