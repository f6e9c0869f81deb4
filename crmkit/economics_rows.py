"""The economics table's rows, symbols and notes (:func:`crmkit.economics.economics`): its data, kept apart.

Every row of the table is ``(metric, unit, formula, English name, Chinese name)``; the formula uses
the :data:`SYMBOLS` and is shown in Chinese from :data:`FORMULAS_ZH` in a Chinese table.
"""

from __future__ import annotations

#: The symbols the formulas use.
SYMBOLS = {
    "P": "the period (as_of - period, as_of]",
    "P0": "the previous period of the same length, just before P",
    "N": "customers with a purchase in P",
    "N_new": "customers whose first purchase ever is in P",
    "N_rep": "customers of P with a purchase before P too",
    "N0": "customers with a purchase in P0",
    "K": "customers of P0 who bought again in P (retained)",
    "R": "net revenue in P (purchases less returns) of the customers of P",
    "M": "margin in P of the customers of P",
    "a": "acquisition cost per new customer",
    "c": "retention cost per retained customer",
    "m": "margin per retained customer in P (M_K / K)",
    "d": "discount rate per period from the annual rate: (1 + annual)^(years of P) - 1 (months / 12, or days / 365.25)",
    "r": "retention rate K / N0",
}
#: The table's rows in order: (metric, unit, formula in the :data:`SYMBOLS`, English name, Chinese name).
# fmt: off
ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    ("customers", "count", "N = |customers with a purchase in P|", "Customers in the period", "本期客户数"),
    ("new_customers", "count", "N_new = |customers of P whose first purchase is in P|", "New customers", "新客户数"),
    ("repeat_customers", "count", "N_rep = N - N_new", "Repeat customers", "老客户数"),
    ("new_customer_share", "share", "N_new / N", "Share of customers who are new", "新客户占比"),
    ("revenue", "money", "R = Σ net amount in P of the customers of P", "Revenue", "销售额"),
    ("revenue_new", "money", "R_new = Σ net amount in P of the new customers",
     "Revenue from new customers", "新客户销售额"),
    ("revenue_repeat", "money", "R_rep = R - R_new", "Revenue from repeat customers", "老客户销售额"),
    ("revenue_share_new", "share", "R_new / R", "Revenue share, new", "新客户销售额占比"),
    ("revenue_share_repeat", "share", "R_rep / R", "Revenue share, repeat", "老客户销售额占比"),
    ("margin", "money", "M = Σ margin in P of the customers of P", "Margin", "毛利"),
    ("margin_new", "money", "M_new = Σ margin in P of the new customers", "Margin from new customers", "新客户毛利"),
    ("margin_repeat", "money", "M_rep = M - M_new", "Margin from repeat customers", "老客户毛利"),
    ("margin_share_new", "share", "M_new / M", "Margin share, new", "新客户毛利占比"),
    ("margin_share_repeat", "share", "M_rep / M", "Margin share, repeat", "老客户毛利占比"),
    ("revenue_per_new", "money", "R_new / N_new", "Revenue per new customer", "每位新客户销售额"),
    ("revenue_per_repeat", "money", "R_rep / N_rep", "Revenue per repeat customer", "每位老客户销售额"),
    ("repeat_revenue_ratio", "ratio", "(R_rep / N_rep) / (R_new / N_new)",
     "Repeat vs new, revenue per customer", "老客户/新客户人均销售额之比"),
    ("margin_per_new", "money", "M_new / N_new", "Margin per new customer", "每位新客户毛利"),
    ("margin_per_repeat", "money", "M_rep / N_rep", "Margin per repeat customer", "每位老客户毛利"),
    ("repeat_margin_ratio", "ratio", "(M_rep / N_rep) / (M_new / N_new)",
     "Repeat vs new, margin per customer", "老客户/新客户人均毛利之比"),
    ("previous_customers", "count", "N0 = |customers with a purchase in P0|",
     "Customers in the previous period", "上期客户数"),
    ("retained_customers", "count", "K = |customers of P0 with a purchase in P|", "Retained customers", "留存客户数"),
    ("retention_rate", "share", "r = K / N0", "Retention rate", "客户保留率"),
    ("churn_rate", "share", "1 - r", "Churn rate", "客户流失率"),
    ("acquisition_cost", "money", "a (given)", "Acquisition cost per new customer", "每位新客户获客成本"),
    ("acquisition_spend", "money", "N_new × a", "Acquisition spend", "获客总成本"),
    ("margin_new_after_acquisition", "money", "M_new - N_new × a",
     "New customers' margin after acquisition", "扣除获客成本后的新客户毛利"),
    ("retention_cost", "money", "c (given)", "Retention cost per retained customer", "每位留存客户保留成本"),
    ("retention_spend", "money", "K × c", "Retention spend", "保留总成本"),
    ("cost_ratio", "ratio", "a / c", "Acquisition vs retention cost", "获客成本/保留成本之比"),
    ("margin_per_retained", "money", "m = M_K / K (M_K: margin in P of the K retained)",
     "Margin per retained customer (m)", "每位留存客户毛利(m)"),
    ("discount_rate", "share", "d = (1 + annual)^(years of P) - 1", "Discount rate per period (d)", "每期折现率(d)"),
    ("clv", "money", "CLV(r) = m r / (1 + d - r)", "Customer lifetime value", "客户终身价值"),
    ("clv_plus_point", "money", "CLV(r + 0.01)", "CLV at one point more retention", "保留率提高1个百分点时的终身价值"),
    ("clv_gain", "money", "ΔCLV = CLV(r + 0.01) - CLV(r)", "CLV gain per customer", "每位客户终身价值增量"),
    ("retention_point_value", "money", "ΔCLV × N", "Value of one point of retention", "保留率提高1个百分点的价值"),
    ("retention_point_value_net", "money", "(CLV_c(r + 0.01) - CLV_c(r)) × N, CLV_c = (m - c) r / (1 + d - r)",
     "Value of one point, net of retention cost", "保留率提高1个百分点的价值（扣除保留成本）"),
)
# fmt: on
#: The metrics' names in English and Chinese (the catalogue's ``economics:<metric>`` entries).
METRIC_LABELS: dict[str, dict[str, str]] = {row[0]: {"en": row[3], "zh": row[4]} for row in ROWS}

#: The notes' English, by key; the catalogue holds them in every language as ``msg:<key>``
#: (:mod:`crmkit.report.catalogue_economics`).
# fmt: off
NOTE_TEXTS: dict[str, str] = {
    "economics_period_before_data": "the data start on {first}, after the previous period's start ({start}): "
    "the retention rate is of a partial previous period, and customers who bought before the data may count as new",
    "economics_margin_is_revenue": "no --margin and no margin column: margin = revenue",
    "economics_margin_missing": "{count:,} rows in the period have no margin: counted at the others' rate ({rate})",
    "economics_returns_outside": "{count:,} customer(s) returned goods in the period without buying in it: "
    "their {amount} is left out of the table's revenue",
    "economics_margin_not_positive": "the period's margin is {margin}: shares of margin are not shares of a profit",
    "economics_no_new": "no new customers in the period: per-new-customer figures are not defined",
    "economics_no_previous": "no customers bought in the previous period: retention rate and CLV are not defined",
    "economics_none_retained": "no customer of the previous period bought again: retention rate 0, CLV 0",
    "economics_clv_diverges": "retention {retention} is at least 1 + the discount rate: CLV has no finite sum",
    "economics_negative_margin": "the margin per retained customer is negative ({margin}): retention lowers value",
    "economics_no_point_up": "retention {retention} leaves no room for one point more: its value is not computed",
    "economics_serve_costs_unknown": "{count:,} customers of the serve costs bought nothing up to as-of: left out",
    "economics_unprofitable_segments": "margin after the cost to serve is negative in {segments}",
}
# fmt: on

#: The formulas in Chinese, for a table in ``lang="zh"``: the symbols' subscripts 新 (new) and 老 (repeat).
FORMULAS_ZH: dict[str, str] = {
    "customers": "N = |P 内有购买的客户|",
    "new_customers": "N_新 = |首次购买在 P 内的客户|",
    "repeat_customers": "N_老 = N - N_新",
    "new_customer_share": "N_新 / N",
    "revenue": "R = P 内本期客户的净销售额之和",
    "revenue_new": "R_新 = P 内新客户的净销售额之和",
    "revenue_repeat": "R_老 = R - R_新",
    "revenue_share_new": "R_新 / R",
    "revenue_share_repeat": "R_老 / R",
    "margin": "M = P 内本期客户的毛利之和",
    "margin_new": "M_新 = P 内新客户的毛利之和",
    "margin_repeat": "M_老 = M - M_新",
    "margin_share_new": "M_新 / M",
    "margin_share_repeat": "M_老 / M",
    "revenue_per_new": "R_新 / N_新",
    "revenue_per_repeat": "R_老 / N_老",
    "repeat_revenue_ratio": "(R_老 / N_老) / (R_新 / N_新)",
    "margin_per_new": "M_新 / N_新",
    "margin_per_repeat": "M_老 / N_老",
    "repeat_margin_ratio": "(M_老 / N_老) / (M_新 / N_新)",
    "previous_customers": "N0 = |上期 P0 内有购买的客户|",
    "retained_customers": "K = |P0 的客户中在 P 内再次购买的|",
    "retention_rate": "r = K / N0",
    "churn_rate": "1 - r",
    "acquisition_cost": "a（给定）",
    "acquisition_spend": "N_新 × a",
    "margin_new_after_acquisition": "M_新 - N_新 × a",
    "retention_cost": "c（给定）",
    "retention_spend": "K × c",
    "cost_ratio": "a / c",
    "margin_per_retained": "m = M_K / K（M_K：K 位留存客户在 P 内的毛利）",
    "discount_rate": "d = (1 + 年折现率)^(P 的年数) - 1",
    "clv": "CLV(r) = m r / (1 + d - r)",
    "clv_plus_point": "CLV(r + 0.01)",
    "clv_gain": "ΔCLV = CLV(r + 0.01) - CLV(r)",
    "retention_point_value": "ΔCLV × N",
    "retention_point_value_net": "(CLV_c(r + 0.01) - CLV_c(r)) × N，CLV_c = (m - c) r / (1 + d - r)",
}
