"""The catalogue's entries for what ``crmkit clv`` gained in issue 15: interval columns and the
totals table (:mod:`crmkit.clv_holdout`), the next-purchase, DERT and window columns
(:mod:`crmkit.clv_forecast`), covariates and the normal spend model, in English and Chinese.
Part of :data:`crmkit.report.i18n.LABELS`."""

from __future__ import annotations

_COLUMNS: dict[str, tuple[str, str]] = {
    # per-customer interval columns (parameter uncertainty)
    "p_alive_low": ("P(alive) low", "存活概率下限"),
    "p_alive_high": ("P(alive) high", "存活概率上限"),
    "expected_purchases_low": ("Expected purchases low", "预期购买次数下限"),
    "expected_purchases_high": ("Expected purchases high", "预期购买次数上限"),
    "expected_spend_low": ("Expected spend low", "预期客单价下限"),
    "expected_spend_high": ("Expected spend high", "预期客单价上限"),
    "clv_low": ("CLV low", "客户终身价值下限"),
    "clv_high": ("CLV high", "客户终身价值上限"),
    # next purchase, DERT, window
    "next_purchase_median": ("Next purchase in (median, periods)", "距下次购买（中位数，期）"),
    "next_purchase_date": ("Next purchase date (median)", "预计下次购买日期（中位数）"),
    "next_purchase_low": ("Next purchase in, low", "距下次购买下限"),
    "next_purchase_high": ("Next purchase in, high", "距下次购买上限"),
    "dert": ("Discounted expected residual purchases", "折现预期剩余购买次数"),
    "dert_value": ("Residual value (DERT)", "折现剩余价值"),
    "window_purchases": ("Expected purchases in the window", "窗口期预期购买次数"),
    "window_value": ("Value in the window", "窗口期价值"),
}

_WORDS: dict[str, tuple[str, str]] = {
    "title:clv_totals": ("Totals with intervals", "合计及区间"),
    "title:clv_coefficients": ("Covariate effects", "协变量效应"),
    "clv:quantity": ("Total", "合计项"),
    "clv:total_estimate": ("Estimated total", "估计合计"),
    "clv:low": ("Low", "下限"),
    "clv:high": ("High", "上限"),
    "clv:actual": ("Actual", "实际"),
    "clv:inside": ("Actual inside", "实际值落在区间内"),
    "clv:process": ("Process", "过程"),
    "clv:z": ("z", "z 值"),
    "clv:interval_level": ("Interval level", "区间水平"),
    "clv:draws": ("Simulated futures per customer", "每位客户模拟次数"),
    "clv:seed": ("Random seed", "随机种子"),
    "clv:window": ("Value window (after the as-of date)", "价值窗口（截至日之后）"),
    "quantity:expected_purchases": ("Expected purchases (horizon)", "预期购买次数（预测期）"),
    "quantity:clv": ("CLV", "客户终身价值"),
    "quantity:holdout_purchases": ("Holdout purchases", "留出期购买次数"),
    "total_low": ("Expected, low", "预期下限"),
    "total_high": ("Expected, high", "预期上限"),
    "holdout_inside": ("Actual inside the interval", "实际值落在区间内"),
    "model:normal": ("Normal (net values)", "正态（净值）"),
    "clv:method": ("Method", "方法"),
    "clv:horizon_inf": ("Unlimited (discounted, DERT)", "无限期（折现，DERT）"),
    # the phrases a totals row's method is made of (crmkit.report.sheets.clv._method_text)
    "clv_method:delta method": ("delta method", "德尔塔法（线性化）"),
    "clv_method:process simulation": ("process simulation", "购买过程模拟"),
    "clv_method:subsample of": ("subsample of", "抽样"),
    "clv_method:parameters only": ("parameters only", "仅参数不确定性"),
    "clv_method:poisson approximation": ("poisson approximation", "泊松近似"),
    "clv_method:process": ("process", "过程"),
}

_MESSAGES: dict[str, tuple[str, str]] = {
    "clv_spend_nonpositive": (
        "{customers:,} repeat buyer(s) with a zero or negative net mean spend (returns, discounts) were left out "
        "of the Gamma-Gamma fit, which needs positive values; --spend-model normal models net values that can be "
        "negative",
        "{customers:,} 位复购客户的平均净消费为零或负数（退货、折扣），未纳入 Gamma-Gamma 拟合（该模型要求正值）；"
        "「--spend-model normal」可处理可能为负的净值",
    ),
    "clv_no_intervals": ("no intervals: {reason}", "未给出区间：{reason}"),
    "clv_covariate_note": ("{note}", "{note}"),
}

CLV_LABELS: dict[str, dict[str, str]] = {
    **{key: {"en": en, "zh": zh} for key, (en, zh) in _COLUMNS.items()},
    **{key: {"en": en, "zh": zh} for key, (en, zh) in _WORDS.items()},
    **{f"msg:{key}": {"en": en, "zh": zh} for key, (en, zh) in _MESSAGES.items()},
}
