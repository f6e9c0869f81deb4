"""The catalogue's entries for the contract-renewal (sBG) result (:mod:`crmkit.contract`): its
tables' columns, headline, the sheet's titles and chart, in English and Chinese. Part of
:data:`crmkit.report.i18n.LABELS`; every key is namespaced ``contract:`` (or ``title:contract``,
``sheet:contract``, ``chart:contract``)."""

from __future__ import annotations

# fmt: off
CONTRACT_LABELS: dict[str, dict[str, str]] = {
    # fit view
    "contract:cohort": {"en": "Cohort", "zh": "客群"},
    "contract:customers": {"en": "Customers", "zh": "客户数"},
    "contract:cohorts": {"en": "Cohorts", "zh": "客群数"},
    "contract:periods_observed": {"en": "Periods observed", "zh": "观察期数"},
    "contract:alpha": {"en": "α", "zh": "α"},
    "contract:alpha_se": {"en": "α s.e.", "zh": "α 标准误"},
    "contract:beta": {"en": "β", "zh": "β"},
    "contract:beta_se": {"en": "β s.e.", "zh": "β 标准误"},
    "contract:log_likelihood": {"en": "Log-likelihood", "zh": "对数似然"},
    "contract:mean_churn": {"en": "Mean churn probability", "zh": "平均流失概率"},
    "contract:expected_lifetime": {"en": "Expected lifetime (periods)", "zh": "期望生命周期(期)"},
    "contract:unbounded": {"en": "unbounded (α ≤ 1)", "zh": "无上限(α ≤ 1)"},
    "contract:del": {"en": "DEL (discounted periods)", "zh": "折现期望生命周期(DEL)"},
    "contract:new_customer_value": {"en": "Value of a new customer", "zh": "新客户价值"},
    # projection view
    "contract:period": {"en": "Period", "zh": "期"},
    "contract:survival": {"en": "Survival", "zh": "留存比例"},
    "contract:survival_low": {"en": "Survival low", "zh": "留存比例下限"},
    "contract:survival_high": {"en": "Survival high", "zh": "留存比例上限"},
    "contract:retention": {"en": "Retention rate", "zh": "续约率"},
    "contract:actual": {"en": "Observed survival", "zh": "实际留存比例"},
    "contract:expected_active": {"en": "Expected active", "zh": "预计在约客户"},
    "contract:observed": {"en": "In the data", "zh": "数据期内"},
    # customers view
    "contract:customer_id": {"en": "Customer", "zh": "客户编号"},
    "contract:start": {"en": "Start", "zh": "开始日期"},
    "contract:renewals": {"en": "Renewals", "zh": "续约次数"},
    "contract:p_renew_next": {"en": "P(renew next)", "zh": "下次续约概率"},
    "contract:derl": {"en": "DERL (discounted periods)", "zh": "折现剩余生命周期(DERL)"},
    "contract:value_per_period": {"en": "Value per period", "zh": "每期价值"},
    "contract:residual_value": {"en": "Residual value", "zh": "剩余价值"},
    # headline
    "contract:retention_next": {"en": "Next renewal rate", "zh": "下期续约率"},
    "contract:active": {"en": "Active customers", "zh": "在约客户"},
    "contract:discount_per_period": {"en": "Discount rate per period", "zh": "每期折现率"},
    "contract:value": {"en": "Value", "zh": "数值"},
    "contract:metric": {"en": "Metric", "zh": "指标"},
    "contract:yes": {"en": "yes", "zh": "是"},
    # sheet, titles, chart
    "sheet:contract": {"en": "Contract renewals", "zh": "续约分析"},
    "title:contract": {"en": "Contract renewals (shifted-beta-geometric model)", "zh": "合约续约分析(sBG 模型)"},
    "title:contract_fit": {"en": "sBG fit per cohort", "zh": "各客群的 sBG 拟合"},
    "title:contract_projection": {"en": "Projected survival", "zh": "留存预测"},
    "title:contract_customers": {"en": "Active customers by residual value", "zh": "在约客户剩余价值"},
    "chart:contract_survival": {"en": "Survival: observed and sBG projection", "zh": "留存比例：实际与 sBG 预测"},
    "axis:contract_period": {"en": "Period", "zh": "期"},
    "axis:contract_survival": {"en": "Share still active", "zh": "仍在约比例"},
    # --- notes (crmkit.contract) ----------------------------------------------------------------
    "msg:contract_cancelled": {
        "en": "{cancelled:,} of {subscribers:,} subscribers cancelled; renewals counted by contract period ({unit}) "
        "up to {as_of}",
        "zh": "{subscribers:,} 位订阅客户中 {cancelled:,} 位已退订；续约按合同期（{unit}）计算，截至 {as_of}",
    },
    "msg:contract_no_value": {
        "en": "no value per period given: values are discounted periods (value 1 per period)",
        "zh": "未给出每期价值：价值为折现期数（每期价值 1）",
    },
    "msg:contract_not_fitted": {
        "en": "cohort {cohort}: not fitted ({reason})",
        "zh": "客群 {cohort}：未能拟合（{reason}）",
    },
}
# fmt: on
