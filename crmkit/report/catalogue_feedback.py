"""The catalogue's entries for ``crmkit feedback`` (:mod:`crmkit.feedback`, :mod:`crmkit.io.complaints`):
sheet, titles, columns, headline keys and the notes, in English and Chinese. Part of
:data:`crmkit.report.i18n.LABELS`."""

from __future__ import annotations

FEEDBACK_LABELS: dict[str, dict[str, str]] = {
    # --- sheet, titles, charts ----------------------------------------------------------------
    "sheet:feedback": {"en": "Feedback", "zh": "投诉反馈"},
    "title:feedback": {"en": "Complaints and feedback", "zh": "投诉与反馈"},
    "title:feedback_by_category": {"en": "Complaints by category", "zh": "按投诉类型"},
    "title:feedback_by_channel": {"en": "Complaints by channel", "zh": "按投诉渠道"},
    "title:feedback_by_month": {"en": "Complaints by month", "zh": "按月投诉量"},
    "title:feedback_rates": {"en": "Complaints per 1,000 customers", "zh": "每千名客户投诉数"},
    "title:feedback_repeat": {"en": "Customers by number of complaints", "zh": "按投诉次数的客户数"},
    "title:feedback_outcomes": {
        "en": "What happened next: retention and spend in the window after the complaint",
        "zh": "投诉之后：窗口期内的留存与消费",
    },
    "title:feedback_outcomes_spend": {
        "en": "Spend per customer in the window after the complaint",
        "zh": "投诉后窗口期内的人均消费",
    },
    "title:feedback_lost_revenue": {"en": "Revenue lost by category", "zh": "按投诉类型的流失收入"},
    "title:feedback_terms": {"en": "Most frequent terms by category", "zh": "各类型高频词"},
    "title:feedback_customers": {"en": "Complainers", "zh": "投诉客户"},
    "chart:feedback_by_category": {"en": "Complaints by category", "zh": "各类型投诉量"},
    "chart:feedback_by_channel": {"en": "Complaints by channel", "zh": "各渠道投诉量"},
    "chart:feedback_by_month": {"en": "Complaints per month", "zh": "每月投诉量"},
    "chart:feedback_retention": {"en": "Retention by outcome", "zh": "各结果组留存率"},
    "feedback:complaints_axis": {"en": "Complaints", "zh": "投诉数"},
    "feedback:retention_axis": {"en": "Retention", "zh": "留存率"},
    "feedback:none": {"en": "none", "zh": "无"},
    "feedback:formula_lost": {
        "en": "Lost revenue: net spend in the window before the complaint of complainers who bought nothing in "
        "the window after; excess: the share of it above the never-complained churn rate",
        "zh": "流失收入：投诉后窗口期内未再购买的投诉客户在投诉前窗口期内的净消费；"
        "超额部分：高于未投诉客户流失率的部分",
    },
    # --- columns ------------------------------------------------------------------------------
    "feedback:category": {"en": "Category", "zh": "投诉类型"},
    "feedback:channel": {"en": "Channel", "zh": "投诉渠道"},
    "feedback:month": {"en": "Month", "zh": "月份"},
    "feedback:complaints": {"en": "Complaints", "zh": "投诉数"},
    "feedback:complainers": {"en": "Complainers", "zh": "投诉客户数"},
    "feedback:share": {"en": "Share of complaints", "zh": "投诉占比"},
    "feedback:resolved": {"en": "Resolved", "zh": "已解决"},
    "feedback:open": {"en": "Open", "zh": "未解决"},
    "feedback:resolved_share": {"en": "Share resolved", "zh": "解决率"},
    "feedback:median_days": {"en": "Median days to resolve", "zh": "处理时长中位数（天）"},
    "feedback:p90_days": {"en": "90th percentile days", "zh": "处理时长90分位（天）"},
    "feedback:customers": {"en": "Customers", "zh": "客户数"},
    "feedback:complaints_per_1000": {"en": "Complaints per 1,000 customers", "zh": "每千客户投诉数"},
    "feedback:complainers_per_1000": {"en": "Complainers per 1,000 customers", "zh": "每千客户投诉人数"},
    "feedback:complaints_per_customer": {"en": "Complaints per customer", "zh": "每人投诉次数"},
    "feedback:customer_share": {"en": "Share of complainers", "zh": "占投诉客户比例"},
    "feedback:group": {"en": "Group", "zh": "分组"},
    "feedback:group:resolved": {"en": "Complained, resolved", "zh": "投诉已解决"},
    "feedback:group:unresolved": {"en": "Complained, unresolved", "zh": "投诉未解决"},
    "feedback:group:never": {"en": "Never complained", "zh": "从未投诉"},
    "feedback:retained": {"en": "Retained", "zh": "留存人数"},
    "feedback:retention": {"en": "Retention", "zh": "留存率"},
    "feedback:retention_low": {"en": "Retention, low", "zh": "留存率下限"},
    "feedback:retention_high": {"en": "Retention, high", "zh": "留存率上限"},
    "feedback:spend_per_customer": {"en": "Spend per customer", "zh": "人均消费"},
    "feedback:spend_low": {"en": "Spend, low", "zh": "人均消费下限"},
    "feedback:spend_high": {"en": "Spend, high", "zh": "人均消费上限"},
    "feedback:retention_diff": {"en": "Retention vs never complained", "zh": "留存率差（对比未投诉）"},
    "feedback:retention_diff_low": {"en": "Retention difference, low", "zh": "留存率差下限"},
    "feedback:retention_diff_high": {"en": "Retention difference, high", "zh": "留存率差上限"},
    "feedback:retention_p": {"en": "p (retention)", "zh": "p 值（留存）"},
    "feedback:spend_diff": {"en": "Spend vs never complained", "zh": "人均消费差（对比未投诉）"},
    "feedback:spend_diff_low": {"en": "Spend difference, low", "zh": "消费差下限"},
    "feedback:spend_diff_high": {"en": "Spend difference, high", "zh": "消费差上限"},
    "feedback:spend_p": {"en": "p (spend)", "zh": "p 值（消费）"},
    "feedback:lost": {"en": "Lost complainers", "zh": "流失投诉客户"},
    "feedback:churn_rate": {"en": "Churn rate", "zh": "流失率"},
    "feedback:never_churn_rate": {"en": "Churn, never complained", "zh": "未投诉客户流失率"},
    "feedback:lost_revenue": {"en": "Lost revenue", "zh": "流失收入"},
    "feedback:excess_lost_revenue": {"en": "Excess lost revenue", "zh": "超额流失收入"},
    "feedback:term": {"en": "Term", "zh": "词语"},
    "feedback:term_complaints": {"en": "Complaints mentioning", "zh": "提及的投诉数"},
    "feedback:term_share": {"en": "Share mentioning", "zh": "提及比例"},
    "feedback:count": {"en": "Occurrences", "zh": "出现次数"},
    "feedback:open_complaints": {"en": "Open complaints", "zh": "未解决投诉"},
    "feedback:first_complaint": {"en": "First complaint", "zh": "首次投诉"},
    "feedback:last_complaint": {"en": "Last complaint", "zh": "最近投诉"},
    "feedback:categories": {"en": "Categories", "zh": "投诉类型"},
    "feedback:segment": {"en": "Segment", "zh": "分群"},
    # --- headline -----------------------------------------------------------------------------
    "feedback:period": {"en": "Complaints from – to", "zh": "投诉期间"},
    "feedback:repeat_complainers": {"en": "Repeat complainers", "zh": "重复投诉客户"},
    "feedback:repeat_share": {"en": "Share of complainers who complained again", "zh": "重复投诉客户占比"},
    "feedback:window_days": {"en": "Outcome window (days)", "zh": "观察窗口（天）"},
    "feedback:retention_resolved": {"en": "Retention, complaint resolved", "zh": "投诉已解决客户留存率"},
    "feedback:retention_unresolved": {"en": "Retention, complaint unresolved", "zh": "投诉未解决客户留存率"},
    "feedback:retention_never": {"en": "Retention, never complained", "zh": "未投诉客户留存率"},
    # --- notes (crmkit.io.complaints, crmkit.feedback) ----------------------------------------
    "msg:feedback_missing_customer_id": {
        "en": "{count:,} complaint row(s) dropped: no customer id ({column}; the first at row {row})",
        "zh": "已剔除 {count:,} 行投诉：没有客户编号（{column}，第一个在第 {row} 行）",
    },
    "msg:feedback_missing_date": {
        "en": "{count:,} complaint row(s) dropped: no complaint date ({column}; the first at row {row})",
        "zh": "已剔除 {count:,} 行投诉：没有投诉时间（{column}，第一个在第 {row} 行）",
    },
    "msg:feedback_unreadable_date": {
        "en": "{count:,} complaint row(s) dropped: a complaint date that cannot be read ({column}; the first at "
        "row {row})",
        "zh": "已剔除 {count:,} 行投诉：投诉时间无法读取（{column}，第一个在第 {row} 行）",
    },
    "msg:feedback_total_row": {
        "en": "{count:,} total row(s) dropped (合计 / Total)",
        "zh": "已剔除 {count:,} 行合计行",
    },
    "msg:feedback_unreadable_resolved": {
        "en": "{count:,} resolution time(s) cannot be read ({column}; the first at row {row}): no resolution time "
        "for them",
        "zh": "{count:,} 个处理时间无法读取（{column}，第一个在第 {row} 行）：视为没有处理时间",
    },
    "msg:feedback_resolved_before_opened": {
        "en": "{count:,} resolution time(s) are before the complaint was opened (the first at row {row}): set missing",
        "zh": "{count:,} 个处理时间早于投诉时间（第一个在第 {row} 行）：视为缺失",
    },
    "msg:feedback_unknown_status": {
        "en": "status ({column}): {count:,} value(s) not recognised, read as resolved when a resolution time is "
        "given: {values}",
        "zh": "{column}：{count:,} 个状态无法识别，有处理时间的按已解决处理：{values}",
    },
    "msg:feedback_no_status": {
        "en": "no status column: a complaint with a resolution time is read as resolved, one without as open",
        "zh": "没有处理状态列：有处理时间的投诉视为已解决，否则视为未解决",
    },
    "msg:feedback_after_as_of": {
        "en": "{count:,} complaint(s) opened after {as_of} left out",
        "zh": "{count:,} 条投诉晚于 {as_of}，未计入",
    },
    "msg:feedback_no_purchases": {
        "en": "complaint rates, outcomes and lost revenue need the purchase export (--purchases)",
        "zh": "投诉率、投诉后留存与流失收入需要购买数据（「--purchases」）",
    },
    "msg:feedback_no_complaints": {
        "en": "no complaint up to {as_of}: nothing to connect to the purchases",
        "zh": "截至 {as_of} 没有投诉：无法与购买数据关联",
    },
    "msg:feedback_outside_rates": {
        "en": "{count:,} complaint(s) are from customers who bought nothing in the complaints' period: not in the "
        "rates",
        "zh": "{count:,} 条投诉来自投诉期间没有购买的客户：不计入投诉率",
    },
    "msg:feedback_censored": {
        "en": "{count:,} complainer(s) whose first complaint is less than {days} days before {as_of} are not in "
        "the outcomes",
        "zh": "{count:,} 位客户的首次投诉距 {as_of} 不足 {days} 天：不计入投诉后结果",
    },
    "msg:feedback_inactive": {
        "en": "{count:,} customer(s) without a purchase in the {days} days before their reference day are not in "
        "the outcomes",
        "zh": "{count:,} 位客户在参照日前 {days} 天内没有购买：不计入投诉后结果",
    },
    "msg:feedback_small_groups": {
        "en": "fewer than 30 customers in outcome group(s) {groups}: wide intervals",
        "zh": "结果组 {groups} 不足 30 位客户：置信区间较宽",
    },
    "msg:feedback_no_text": {"en": "no complaint text: no terms", "zh": "没有投诉内容：无高频词"},
}
