"""The catalogue's entries for the economics table (:mod:`crmkit.economics`): its metrics, the segment
table's columns, the sheet's titles and charts and the notes, in English and Chinese. Part of
:data:`crmkit.report.i18n.LABELS`; every key is namespaced ``economics:`` (or ``msg:economics_``)."""

from __future__ import annotations

from crmkit.economics import METRIC_LABELS, NOTE_TEXTS

#: The notes' Chinese, by key (their English is :data:`crmkit.economics.NOTE_TEXTS`).
# fmt: off
_NOTES_ZH: dict[str, str] = {
    "economics_period_before_data": "数据从 {first} 开始，晚于上期起始日（{start}）："
    "保留率只基于部分上期数据，数据之前购买过的客户可能被计为新客户",
    "economics_margin_is_revenue": "未指定「--margin」，数据中也没有毛利列：毛利按销售额计算",
    "economics_margin_missing": "本期有 {count:,} 行没有毛利：按其余行的毛利率（{rate}）计算",
    "economics_returns_outside": "{count:,} 位客户本期只有退货没有购买：其 {amount} 不计入表中销售额",
    "economics_margin_not_positive": "本期毛利为 {margin}：毛利占比不代表利润占比",
    "economics_no_new": "本期没有新客户：新客户人均指标无法计算",
    "economics_no_previous": "上期没有客户购买：保留率和客户终身价值无法计算",
    "economics_none_retained": "上期客户本期都没有再次购买：保留率为 0，客户终身价值为 0",
    "economics_clv_diverges": "保留率 {retention} 不低于 1 + 折现率：客户终身价值不收敛",
    "economics_negative_margin": "每位留存客户的毛利为负（{margin}）：保留更多客户反而降低价值",
    "economics_no_point_up": "保留率 {retention} 已无法再提高 1 个百分点：不计算其价值",
    "economics_serve_costs_unknown": "服务成本中有 {count:,} 位客户截至分析日期没有购买记录：不计入",
    "economics_unprofitable_segments": "以下分群扣除服务成本后毛利为负：{segments}",
}
# fmt: on

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
    "economics:segment_margin": {"en": "Gross margin", "zh": "毛利额"},
    "economics:cost_to_serve": {"en": "Cost to serve", "zh": "服务成本"},
    "economics:margin_after_serving": {"en": "Margin after serving", "zh": "扣除服务成本后的毛利"},
    "economics:margin_after_serving_per_customer": {
        "en": "Margin after serving per customer",
        "zh": "每位客户扣除服务成本后的毛利",
    },
    "economics:margin_share": {"en": "Share of margin", "zh": "毛利占比"},
    "economics:unprofitable": {"en": "Loss after serving", "zh": "扣除服务成本后亏损"},
    "economics:yes": {"en": "yes", "zh": "是"},
    # titles, sheet, headline, charts
    "title:economics": {"en": "Customer economics", "zh": "客户经济效益"},
    "title:economics_table": {"en": "The economics table", "zh": "经济效益表"},
    "title:economics_segments": {"en": "Cost to serve per segment", "zh": "各分群的服务成本"},
    "title:economics_margin_segments": {"en": "Revenue and margin per segment", "zh": "各分群的销售额与毛利"},
    "title:economics_shares": {"en": "New vs repeat customers", "zh": "新客户与老客户"},
    "sheet:economics": {"en": "Economics", "zh": "经济效益"},
    "sheet:economics_segments": {"en": "Segment economics", "zh": "分群经济效益"},
    "chart:economics_margin": {"en": "Margin per segment", "zh": "各分群毛利"},
    "chart:economics_shares": {
        "en": "New vs repeat: share of customers, revenue and margin",
        "zh": "新老客户的人数、销售额与毛利占比",
    },
    "chart:economics_serving": {"en": "Margin and cost to serve per segment", "zh": "各分群毛利与服务成本"},
    "economics:share_axis": {"en": "Share", "zh": "占比"},
    "economics:money_axis": {"en": "Amount", "zh": "金额"},
    "economics:group": {"en": "Group", "zh": "客户类型"},
    "economics:group:new": {"en": "New", "zh": "新客户"},
    "economics:group:repeat": {"en": "Repeat", "zh": "老客户"},
    "economics:share_customers": {"en": "Share of customers", "zh": "人数占比"},
    "economics:share_revenue": {"en": "Share of revenue", "zh": "销售额占比"},
    "economics:share_margin": {"en": "Share of margin", "zh": "毛利占比"},
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
    "economics:none": {"en": "no segments", "zh": "没有分群"},
    # notes and warnings (crmkit.economics.NOTE_TEXTS)
    **{f"msg:{key}": {"en": text, "zh": _NOTES_ZH[key]} for key, text in NOTE_TEXTS.items()},
}
