"""The catalogue's entries for the economics table (:mod:`crmkit.economics`): its metrics, the segment
table's columns, the sheet's titles and charts and the notes, in English and Chinese. Part of
:data:`crmkit.report.i18n.LABELS`; every key is namespaced ``economics:`` (or ``msg:economics_``)."""

from __future__ import annotations

from crmkit.economics import METRIC_LABELS

ECONOMICS_LABELS: dict[str, dict[str, str]] = {
    # the table's rows: crmkit.economics.METRIC_LABELS, as economics:<metric>
    **{f"economics:{metric}": names for metric, names in METRIC_LABELS.items()},
    # the main table's columns and units
    "economics:metric": {"en": "Metric", "zh": "指标"},
    "economics:label": {"en": "Metric", "zh": "指标"},
    "economics:value": {"en": "Value", "zh": "数值"},
    "economics:unit": {"en": "Unit", "zh": "单位"},
    "economics:formula": {"en": "Formula", "zh": "计算公式"},
    "economics:unit:count": {"en": "count", "zh": "人数"},
    "economics:unit:money": {"en": "money", "zh": "金额"},
    "economics:unit:share": {"en": "share", "zh": "占比"},
    "economics:unit:ratio": {"en": "ratio", "zh": "倍数"},
    # the segment table's columns
    "economics:segment": {"en": "Segment", "zh": "分群"},
    "economics:segment_label": {"en": "Segment", "zh": "分群"},
    "economics:customers_segment": {"en": "Customers", "zh": "客户数"},
    "economics:orders": {"en": "Orders", "zh": "订单数"},
    "economics:segment_revenue": {"en": "Revenue", "zh": "销售额"},
    "economics:segment_margin": {"en": "Margin", "zh": "毛利"},
    "economics:cost_to_serve": {"en": "Cost to serve", "zh": "服务成本"},
    "economics:margin_after_serving": {"en": "Margin after serving", "zh": "扣除服务成本后的毛利"},
    "economics:margin_after_serving_per_customer": {
        "en": "Margin after serving per customer",
        "zh": "每位客户扣除服务成本后的毛利",
    },
    "economics:margin_share": {"en": "Share of margin", "zh": "毛利占比"},
    "economics:unprofitable": {"en": "Loss after serving", "zh": "扣除服务成本后亏损"},
    "economics:yes": {"en": "yes", "zh": "是"},
    "economics:no": {"en": "", "zh": ""},
    # titles, sheet, headline, charts
    "title:economics": {"en": "Customer economics", "zh": "客户经济效益"},
    "title:economics_table": {"en": "The economics table", "zh": "经济效益表"},
    "title:economics_segments": {"en": "Cost to serve per segment", "zh": "各分群的服务成本"},
    "title:economics_margin_segments": {"en": "Revenue and margin per segment", "zh": "各分群的销售额与毛利"},
    "title:economics_shares": {"en": "New vs repeat customers", "zh": "新客户与老客户"},
    "sheet:economics": {"en": "Economics", "zh": "经济效益"},
    "chart:economics_shares": {
        "en": "New vs repeat: share of customers, revenue and margin",
        "zh": "新老客户的人数、销售额与毛利占比",
    },
    "chart:economics_serving": {"en": "Margin and cost to serve per segment", "zh": "各分群毛利与服务成本"},
    "economics:share_axis": {"en": "Share", "zh": "占比"},
    "economics:money_axis": {"en": "Amount", "zh": "金额"},
    "economics:group": {"en": "Customers", "zh": "客户"},
    "economics:group:new": {"en": "New", "zh": "新客户"},
    "economics:group:repeat": {"en": "Repeat", "zh": "老客户"},
    "economics:share_customers": {"en": "Customers", "zh": "人数占比"},
    "economics:share_revenue": {"en": "Revenue", "zh": "销售额占比"},
    "economics:share_margin": {"en": "Margin", "zh": "毛利占比"},
    "economics:period": {"en": "Period", "zh": "本期"},
    "economics:previous_period": {"en": "Previous period", "zh": "上期"},
    "economics:period_days": {"en": "Days in the period", "zh": "本期天数"},
    "economics:margin_source": {"en": "Margin from", "zh": "毛利来源"},
    "economics:margin_source:argument": {"en": "the --margin rate", "zh": "「--margin」毛利率"},
    "economics:margin_source:margin column": {"en": "the margin column", "zh": "数据中的毛利列"},
    "economics:margin_source:none": {"en": "none: margin = revenue", "zh": "无：毛利按销售额计"},
    "economics:clv_model": {
        "en": "CLV = m r / (1 + d - r): constant retention, margin at each period's end, infinite horizon "
        "(Gupta & Lehmann 2003)",
        "zh": "CLV = m r / (1 + d - r)：保留率不变、每期期末计毛利、无限期（Gupta & Lehmann 2003）",
    },
    "economics:not_given": {"en": "not given", "zh": "未提供"},
    "economics:none": {"en": "no segments", "zh": "没有分群"},
    "order_by:sheet:economics": {"en": "segment", "zh": "分群"},
    # notes and warnings (crmkit.economics)
    "msg:economics_period_before_data": {
        "en": "the data start on {first}, after the previous period's start ({start}): the retention rate is "
        "of a partial previous period, and customers who bought before the data may count as new",
        "zh": "数据从 {first} 开始，晚于上期起始日（{start}）：保留率只基于部分上期数据，数据之前购买过的客户可能被计为新客户",
    },
    "msg:economics_margin_is_revenue": {
        "en": "no --margin and no margin column: margin = revenue (every margin row is revenue)",
        "zh": "未指定「--margin」，数据中也没有毛利列：毛利按销售额计算",
    },
    "msg:economics_margin_missing": {
        "en": "{count:,} rows in the period have no margin: counted at the margin rate of the others ({rate})",
        "zh": "本期有 {count:,} 行没有毛利：按其余行的毛利率（{rate}）计算",
    },
    "msg:economics_returns_outside": {
        "en": "{count:,} customers returned goods in the period without buying in it: their {amount} is left "
        "out of the table's revenue",
        "zh": "{count:,} 位客户本期只有退货没有购买：其 {amount} 不计入表中销售额",
    },
    "msg:economics_margin_not_positive": {
        "en": "the period's margin is {margin}: shares of margin are not shares of a profit",
        "zh": "本期毛利为 {margin}：毛利占比不代表利润占比",
    },
    "msg:economics_no_new": {
        "en": "no new customers in the period: per-new-customer figures are not defined",
        "zh": "本期没有新客户：新客户人均指标无法计算",
    },
    "msg:economics_no_previous": {
        "en": "no customers bought in the previous period: the retention rate and CLV are not defined",
        "zh": "上期没有客户购买：保留率和客户终身价值无法计算",
    },
    "msg:economics_none_retained": {
        "en": "no customer of the previous period bought again: retention rate 0, CLV 0",
        "zh": "上期客户本期都没有再次购买：保留率为 0，客户终身价值为 0",
    },
    "msg:economics_clv_diverges": {
        "en": "retention {retention} is at least 1 + the discount rate: the lifetime value has no finite sum",
        "zh": "保留率 {retention} 不低于 1 + 折现率：客户终身价值不收敛",
    },
    "msg:economics_negative_margin": {
        "en": "the margin per retained customer is negative ({margin}): keeping more customers lowers value",
        "zh": "每位留存客户的毛利为负（{margin}）：保留更多客户反而降低价值",
    },
    "msg:economics_no_point_up": {
        "en": "retention {retention} leaves no room for one point more: its value is not computed",
        "zh": "保留率 {retention} 已无法再提高 1 个百分点：不计算其价值",
    },
    "msg:economics_serve_costs_unknown": {
        "en": "{count:,} customers of the serve costs have no purchases up to the as-of date: left out",
        "zh": "服务成本中有 {count:,} 位客户截至分析日期没有购买记录：不计入",
    },
    "msg:economics_unprofitable_segments": {
        "en": "margin after the cost to serve is negative in {segments}",
        "zh": "以下分群扣除服务成本后毛利为负：{segments}",
    },
}
