"""User-facing report labels in English and Chinese, kept in one table.

Every label a report shows (sheet names, headline names, column headers, chart titles,
data-quality rows) is looked up here by a stable key, so that the analysis code deals only in
keys (``recency_days``, ``dropped:missing_date``) and a new language or a new command adds
rows to :data:`LABELS` and nothing else.

Key families
------------
``sheet:<name>``
    Worksheet names (at most 31 characters, Excel's limit).
``column:<role>`` / ``dropped:<reason>``
    The data-quality rows produced by :meth:`crmkit.io.quality.DataQuality.as_rows`.
``title:<name>``, ``chart:<name>``, ``axis:<name>``, ``series:<name>``
    Captions of report blocks and charts.
``fmt:<name>``
    Sentence templates with ``str.format`` placeholders.
``msg:<key>``
    Notes and warnings: the templates of a :class:`crmkit.io.quality.Message` (by its ``key``) and
    of the report's own notes, rendered by :func:`message` and :func:`sentence`.
anything else
    A column name or a headline name, exactly as the library's frames and dicts spell it.
"""

from __future__ import annotations

from crmkit.io.options import LANGS, check_lang
from crmkit.report.catalogue_campaign import CAMPAIGN_LABELS
from crmkit.report.catalogue_clv import CLV_LABELS
from crmkit.report.catalogue_contract import CONTRACT_LABELS
from crmkit.report.catalogue_customers import CUSTOMER_LABELS
from crmkit.report.catalogue_economics import ECONOMICS_LABELS
from crmkit.report.catalogue_feedback import FEEDBACK_LABELS
from crmkit.report.catalogue_platforms import PLATFORM_LABELS
from crmkit.report.catalogue_pls import PLS_LABELS

__all__ = ["LABELS", "LANGS", "check_lang", "label", "message", "sentence", "translate_values"]

# One row per key: {"en": ..., "zh": ...}. Later commands (clv, satisfaction, ladder,
# retention, monthly) add their rows here, grouped under a comment naming the command.
LABELS: dict[str, dict[str, str]] = {
    **PLATFORM_LABELS,
    **CUSTOMER_LABELS,
    **CAMPAIGN_LABELS,
    **CLV_LABELS,
    **FEEDBACK_LABELS,
    **ECONOMICS_LABELS,
    **CONTRACT_LABELS,
    **PLS_LABELS,
    # --- worksheet names -----------------------------------------------------------------
    "sheet:summary": {"en": "Summary", "zh": "摘要"},
    "sheet:segments": {"en": "Segments", "zh": "客户分群"},
    "sheet:pareto": {"en": "Pareto", "zh": "帕累托分析"},
    "sheet:customers": {"en": "Customers", "zh": "客户明细"},
    "sheet:data_quality": {"en": "Data quality", "zh": "数据质量"},
    "sheet:clusters": {"en": "Clusters", "zh": "聚类"},
    # --- block titles ----------------------------------------------------------------------
    "title:segment_report": {"en": "Customer segmentation (RFM)", "zh": "客户分群(RFM)"},
    "title:concentration": {"en": "Revenue concentration", "zh": "销售额集中度"},
    "title:abc_classes": {"en": "ABC classes by cumulative revenue share", "zh": "按累计销售额占比的ABC分类"},
    "title:lorenz": {"en": "Lorenz curve and cumulative share", "zh": "洛伦兹曲线与累计占比"},
    "title:clusters": {"en": "K-means clusters on RFM scores", "zh": "基于RFM的K均值聚类"},
    "title:data_quality": {"en": "What was read from the input", "zh": "输入数据读取情况"},
    # --- headline numbers (SegmentResult.headline, ParetoResult) ---------------------------
    "customers": {"en": "Customers", "zh": "客户数"},
    "revenue": {"en": "Revenue", "zh": "销售额"},
    "repeat_customer_rate": {"en": "Repeat-customer rate", "zh": "复购客户占比"},
    "top20_share": {"en": "Revenue share of top 20% customers", "zh": "前20%客户销售额占比"},
    "gini": {"en": "Gini coefficient", "zh": "基尼系数"},
    "as_of": {"en": "Analysis date (as of)", "zh": "分析日期"},
    "scheme": {"en": "Segmentation scheme", "zh": "分群方案"},
    "bins": {"en": "Score levels (bins)", "zh": "评分档数"},
    "lang": {"en": "Language", "zh": "语言"},
    "top_share": {"en": "Revenue share of top customers", "zh": "头部客户销售额占比"},
    "top_fraction": {"en": "Top customers (share of all customers)", "zh": "头部客户占全部客户比例"},
    "threshold_a": {"en": "Class A: cumulative revenue share up to", "zh": "A类:累计销售额占比上限"},
    "threshold_b": {"en": "Class B: cumulative revenue share up to", "zh": "B类:累计销售额占比上限"},
    "pareto_statement": {"en": "In words", "zh": "解读"},
    "silhouette": {"en": "Silhouette score", "zh": "轮廓系数"},
    "n_clusters": {"en": "Number of clusters", "zh": "聚类数"},
    # --- SegmentResult.customers columns ---------------------------------------------------
    "customer_id": {"en": "Customer ID", "zh": "客户编号"},
    "recency_days": {"en": "Recency (days)", "zh": "最近购买间隔(天)"},
    "frequency": {"en": "Frequency (orders)", "zh": "购买次数"},
    "monetary": {"en": "Monetary (net revenue)", "zh": "消费金额"},
    "r_score": {"en": "R score", "zh": "R分"},
    "f_score": {"en": "F score", "zh": "F分"},
    "m_score": {"en": "M score", "zh": "M分"},
    # the key columns' codes: the csv/json/parquet outputs keep them to join on, workbooks show the names
    "segment": {"en": "Segment code", "zh": "分群代码"},
    "pareto_class": {"en": "ABC class", "zh": "ABC分类"},
    "rfm_score": {"en": "RFM score", "zh": "RFM得分"},
    "segment_label": {"en": "Segment name", "zh": "分群名称"},
    "action": {"en": "Suggested action", "zh": "建议行动"},
    "first_purchase": {"en": "First purchase", "zh": "首次购买日期"},
    "last_purchase": {"en": "Last purchase", "zh": "最近购买日期"},
    "tenure_days": {"en": "Tenure (days)", "zh": "客户时长(天)"},
    "avg_order_value": {"en": "Average order value", "zh": "客单价"},
    "gross_revenue": {"en": "Gross revenue (before returns)", "zh": "总销售额(未扣退货)"},
    "returns": {"en": "Returns", "zh": "退货金额"},
    "cluster": {"en": "Cluster", "zh": "聚类"},
    # --- SegmentResult.segments / .clusters and ParetoResult.classes columns ----------------
    "customer_share": {"en": "Share of customers", "zh": "客户占比"},
    "revenue_share": {"en": "Share of revenue", "zh": "销售额占比"},
    "mean_recency_days": {"en": "Mean recency (days)", "zh": "平均最近购买间隔(天)"},
    "mean_frequency": {"en": "Mean frequency (orders)", "zh": "平均购买次数"},
    "mean_monetary": {"en": "Mean monetary", "zh": "平均消费金额"},
    # --- ParetoResult.lorenz columns --------------------------------------------------------
    # the plain keys are the generic names; the lorenz: keys say which way the curve is read
    "top_customer_share": {"en": "Top customers (share)", "zh": "头部客户占比"},
    "top_revenue_share": {"en": "Their share of revenue", "zh": "头部客户销售额占比"},
    "lorenz:customer_share": {"en": "Cumulative share of customers (smallest first)", "zh": "累计客户占比(由小到大)"},
    "lorenz:revenue_share": {"en": "Cumulative share of revenue (Lorenz)", "zh": "累计销售额占比(洛伦兹)"},
    "lorenz:top_customer_share": {"en": "Top x% of customers (largest first)", "zh": "前x%客户(由大到小)"},
    "lorenz:top_revenue_share": {"en": "hold y% of revenue", "zh": "贡献y%销售额"},
    # --- DataQuality.as_rows() -------------------------------------------------------------
    "source": {"en": "Source file", "zh": "数据文件"},
    "file_format": {"en": "File format", "zh": "文件格式"},
    "encoding": {"en": "Text encoding", "zh": "文本编码"},
    "delimiter": {"en": "Delimiter", "zh": "分隔符"},
    "header_row": {"en": "Header row", "zh": "表头所在行"},
    "column:customer_id": {"en": "Column used for customer ID", "zh": "客户编号列"},
    "column:date": {"en": "Column used for date", "zh": "日期列"},
    "column:amount": {"en": "Column used for amount", "zh": "金额列"},
    "column:order_id": {"en": "Column used for order ID", "zh": "订单号列"},
    "column:quantity": {"en": "Column used for quantity", "zh": "数量列"},
    "column:unit_price": {"en": "Column used for unit price", "zh": "单价列"},
    "column:product": {"en": "Column used for product", "zh": "产品列"},
    "column:channel": {"en": "Column used for channel", "zh": "渠道列"},
    "column:margin": {"en": "Column used for margin", "zh": "毛利列"},
    "column:status": {"en": "Column used for order status", "zh": "订单状态列"},
    "rows_read": {"en": "Rows read", "zh": "读取行数"},
    "rows_used": {"en": "Rows used", "zh": "使用行数"},
    "dropped:missing_customer_id": {"en": "Rows dropped: no customer ID", "zh": "剔除行数:缺少客户编号"},
    "dropped:missing_date": {"en": "Rows dropped: no date", "zh": "剔除行数:缺少日期"},
    "dropped:missing_amount": {"en": "Rows dropped: no amount", "zh": "剔除行数:缺少金额"},
    "dropped:total_row": {"en": "Rows dropped: total or subtotal rows", "zh": "剔除行数:合计行"},
    "dropped:invalid_value": {"en": "Rows dropped: unreadable value", "zh": "剔除行数:无效数值"},
    "dropped:after_as_of": {"en": "Rows dropped: after the analysis date", "zh": "剔除行数:晚于分析日期"},
    "return_rows": {"en": "Return or cancellation rows", "zh": "退货/取消行数"},
    "return_amount": {"en": "Revenue removed by returns", "zh": "退货冲减金额"},
    "first_date": {"en": "First date in data", "zh": "数据最早日期"},
    "last_date": {"en": "Last date in data", "zh": "数据最晚日期"},
    "after_as_of": {"en": "Rows after the analysis date (left out)", "zh": "晚于分析日期的行数(未纳入分析)"},
    "returns_only": {"en": "Customers with only returns (left out)", "zh": "仅有退货的客户数(未纳入分析)"},
    "returns_only_amount": {"en": "Net revenue of those customers", "zh": "这些客户的净收入"},
    "note": {"en": "Note", "zh": "说明"},
    # --- charts ----------------------------------------------------------------------------
    "chart:customers_per_segment": {"en": "Customers per segment", "zh": "各分群客户数"},
    "chart:segment_shares": {
        "en": "Share of customers and share of revenue by segment",
        "zh": "各分群客户占比与销售额占比",
    },
    "chart:customers_per_cluster": {
        "en": "Share of customers and revenue by cluster",
        "zh": "各聚类客户占比与销售额占比",
    },
    "chart:lorenz": {"en": "Lorenz curve of revenue", "zh": "销售额洛伦兹曲线"},
    "chart:cumulative_share": {"en": "Top x% of customers hold y% of revenue", "zh": "前x%的客户贡献y%的销售额"},
    "axis:customers": {"en": "Customers", "zh": "客户数"},
    "axis:people": {"en": "People", "zh": "人数"},  # the ladder counts suspects and prospects too
    "axis:share": {"en": "Share", "zh": "占比"},
    "axis:customer_share": {"en": "Share of customers", "zh": "客户累计占比"},
    "axis:revenue_share": {"en": "Share of revenue", "zh": "销售额累计占比"},
    "series:lorenz": {"en": "Lorenz curve", "zh": "洛伦兹曲线"},
    "series:equality": {"en": "Perfect equality", "zh": "绝对平均线"},
    "series:top_share": {"en": "Revenue held by the top customers", "zh": "头部客户累计销售额占比"},
    # --- crmkit clv ------------------------------------------------------------------------
    "sheet:clv_model": {"en": "CLV model", "zh": "CLV模型"},
    "sheet:clv_deciles": {"en": "CLV deciles", "zh": "CLV十分位"},
    "sheet:p_alive": {"en": "P(alive)", "zh": "存活概率"},
    "sheet:holdout": {"en": "Holdout", "zh": "留出验证"},
    "sheet:clv_customers": {"en": "CLV customers", "zh": "客户价值明细"},
    "title:clv_model": {"en": "Transaction model and settings", "zh": "交易模型与设置"},
    "title:spend_model": {"en": "Spend model (Gamma-Gamma)", "zh": "消费金额模型（Gamma-Gamma）"},
    "title:warnings": {"en": "Warnings", "zh": "提示"},
    "title:holdout": {"en": "Calibration / holdout validation", "zh": "校准期 / 留出期验证"},
    "warning": {"en": "Warning", "zh": "提示"},
    "unit": {"en": "Model clock", "zh": "模型时间单位"},
    "horizon": {"en": "Horizon", "zh": "预测期"},
    "horizon_periods": {"en": "Horizon (periods)", "zh": "预测期（单位数）"},
    "discount_annual": {"en": "Discount rate (annual)", "zh": "年折现率"},
    "discount_per_period": {"en": "Discount rate (per period)", "zh": "每期折现率"},
    "margin": {"en": "Margin", "zh": "毛利率"},
    "occasion": {"en": "Purchase occasion", "zh": "购买次数口径"},
    "transaction_model": {"en": "Transaction model", "zh": "交易模型"},
    "spend_model": {"en": "Spend model", "zh": "金额模型"},
    "log_likelihood": {"en": "Log-likelihood", "zh": "对数似然"},
    "aic": {"en": "AIC", "zh": "AIC"},
    "bic": {"en": "BIC", "zh": "BIC"},
    "iterations": {"en": "Iterations", "zh": "迭代次数"},
    "converged": {"en": "Converged", "zh": "是否收敛"},
    "frequency_spend_correlation": {"en": "Frequency-spend correlation", "zh": "频次与金额相关系数"},
    "recency": {"en": "Recency t_x (periods)", "zh": "末次购买时点 t_x"},
    "T": {"en": "Age T (periods)", "zh": "客户年龄 T"},
    "p_alive": {"en": "P(alive)", "zh": "存活概率"},
    "expected_purchases": {"en": "Expected purchases", "zh": "预期购买次数"},
    "expected_spend": {"en": "Expected spend", "zh": "预期客单价"},
    "clv": {"en": "CLV", "zh": "客户终身价值"},
    "churn_risk": {"en": "Churn risk", "zh": "流失风险"},
    "clv_decile": {"en": "CLV decile", "zh": "CLV十分位"},
    "value_method": {"en": "Value method", "zh": "估值方法"},
    "referral_value": {"en": "Referral value", "zh": "推荐价值"},
    "customer_value": {"en": "Customer value", "zh": "客户总价值"},
    "clv_total": {"en": "Total CLV", "zh": "CLV合计"},
    "clv_mean": {"en": "Mean CLV", "zh": "平均CLV"},
    "clv_share": {"en": "Share of CLV", "zh": "CLV占比"},
    # ClvResult.customers: frequency counts repeat occasions (9 for 10 orders), monetary their mean value
    "clv:frequency": {"en": "Repeat purchases", "zh": "复购次数"},
    "clv:monetary": {"en": "Mean repeat spend", "zh": "平均复购金额"},
    # the deciles' rank column: which end is the top
    "clv:decile": {"en": "CLV decile (1 = top 10%)", "zh": "十分位（1 = 前10%）"},
    # the CLV column with a margin (crmkit.report.sheets.clv._clv_header): profit, while expected spend is revenue
    "fmt:clv_profit": {"en": "CLV (profit, margin {margin})", "zh": "客户终身价值（利润，毛利率{margin}）"},
    "clv:profit_from_data": {"en": "CLV (profit, margin from the data)", "zh": "客户终身价值（利润，按数据毛利）"},
    "margin:none": {"en": "None: CLV is revenue", "zh": "未设定：按销售额计算"},
    "margin:margin column": {"en": "From the margin column", "zh": "取自毛利列"},
    "horizon:day": {"en": "{n} days", "zh": "{n} 天"},
    "horizon:day:one": {"en": "{n} day", "zh": "{n} 天"},
    "horizon:week": {"en": "{n} weeks", "zh": "{n} 周"},
    "horizon:week:one": {"en": "{n} week", "zh": "{n} 周"},
    "horizon:month": {"en": "{n} months", "zh": "{n} 个月"},
    "horizon:month:one": {"en": "{n} month", "zh": "{n} 个月"},
    "horizon:quarter": {"en": "{n} quarters", "zh": "{n} 个季度"},
    "horizon:quarter:one": {"en": "{n} quarter", "zh": "{n} 个季度"},
    "horizon:year": {"en": "{n} years", "zh": "{n} 年"},
    "horizon:year:one": {"en": "{n} year", "zh": "{n} 年"},
    "answer:yes": {"en": "Yes", "zh": "是"},
    "answer:no": {"en": "No", "zh": "否"},
    "p_alive_range": {"en": "P(alive) range", "zh": "存活概率区间"},
    # the deciles rank customer_value (CLV + referral value) when referrals were given
    "value_total": {"en": "Total value incl. referrals", "zh": "总价值（含推荐）"},
    "value_mean": {"en": "Mean value incl. referrals", "zh": "平均价值（含推荐）"},
    "value_share": {"en": "Share of value incl. referrals", "zh": "价值占比（含推荐）"},
    "risk:low": {"en": "Low", "zh": "低"},
    "risk:medium": {"en": "Medium", "zh": "中"},
    "risk:high": {"en": "High", "zh": "高"},
    "value_method:model": {"en": "Model", "zh": "模型估算"},
    "value_method:historical": {"en": "Historical", "zh": "历史值"},
    "value_method:model, mean spend": {"en": "Model, mean spend", "zh": "模型估算，平均客单价"},
    "value_method:historical, mean spend": {"en": "Historical, mean spend", "zh": "历史值，平均客单价"},
    "date": {"en": "Date", "zh": "日期"},
    "phase": {"en": "Phase", "zh": "阶段"},
    "phase:calibration": {"en": "Calibration", "zh": "校准期"},
    "phase:holdout": {"en": "Holdout", "zh": "留出期"},
    "model:bgnbd": {"en": "BG/NBD", "zh": "BG/NBD"},
    "model:pnbd": {"en": "Pareto/NBD", "zh": "Pareto/NBD"},
    "model:mbgnbd": {"en": "MBG/NBD", "zh": "MBG/NBD"},
    "model:bgbb": {"en": "BG/BB", "zh": "BG/BB"},
    "model:gamma-gamma": {"en": "Gamma-Gamma", "zh": "Gamma-Gamma"},
    "model:historical": {"en": "Historical value (no model)", "zh": "历史值（未建模）"},
    "unit:day": {"en": "Day", "zh": "日"},
    "unit:week": {"en": "Week", "zh": "周"},
    "unit:month": {"en": "Month", "zh": "月"},
    "unit:quarter": {"en": "Quarter", "zh": "季度"},
    "unit:year": {"en": "Year", "zh": "年"},
    "occasion:day": {"en": "One per customer and day", "zh": "每客户每天计一次"},
    "occasion:order": {"en": "One per order", "zh": "每个订单计一次"},
    "scheme:standard": {"en": "Standard (11 RFM segments)", "zh": "标准（11个RFM分群）"},
    "scheme:cn8": {"en": "cn8 (8 RFM segments)", "zh": "cn8（8个RFM分群）"},
    "p_alive_from": {"en": "P(alive) from", "zh": "存活概率下限"},
    "p_alive_to": {"en": "P(alive) to", "zh": "存活概率上限"},
    "calibration_end": {"en": "Calibration end", "zh": "校准期截止"},
    "holdout_end": {"en": "Holdout end", "zh": "留出期截止"},
    "total_actual": {"en": "Actual repeat purchases", "zh": "实际复购次数"},
    "total_expected": {"en": "Expected repeat purchases", "zh": "预期复购次数"},
    "holdout_error": {"en": "Error (expected vs actual)", "zh": "误差（预期对实际）"},
    "frequency_group": {"en": "Repeat purchases in calibration", "zh": "校准期复购次数"},
    "actual_mean": {"en": "Actual (mean)", "zh": "实际均值"},
    "expected_mean": {"en": "Expected (mean)", "zh": "预期均值"},
    "actual_total": {"en": "Actual (total)", "zh": "实际合计"},
    "expected_total": {"en": "Expected (total)", "zh": "预期合计"},
    "week": {"en": "Week", "zh": "周"},
    "actual_cumulative": {"en": "Actual (cumulative)", "zh": "实际累计"},
    "expected_cumulative": {"en": "Expected (cumulative)", "zh": "预期累计"},
    "chart:clv_by_decile": {"en": "CLV by decile (1 = most valuable)", "zh": "各十分位CLV（1 = 价值最高）"},
    "chart:p_alive": {"en": "Customers by P(alive)", "zh": "存活概率分布"},
    "chart:holdout_by_frequency": {"en": "Holdout purchases: actual vs expected", "zh": "留出期购买：实际与预期"},
    "chart:tracking": {"en": "Cumulative repeat purchases: actual vs expected", "zh": "累计复购：实际与预期"},
    "axis:clv": {"en": "CLV", "zh": "客户终身价值"},
    "axis:purchases": {"en": "Purchases", "zh": "购买次数"},
    # --- crmkit satisfaction -----------------------------------------------------------------
    "sheet:index": {"en": "Index", "zh": "满意度指数"},
    "sheet:paths": {"en": "Paths", "zh": "路径系数"},
    "sheet:reliability": {"en": "Reliability", "zh": "信度与效度"},
    "sheet:drivers": {"en": "Drivers", "zh": "关键驱动因素"},
    "sheet:respondents": {"en": "Respondents", "zh": "受访者"},
    "sheet:groups": {"en": "Groups", "zh": "分组"},
    "title:satisfaction": {"en": "Customer satisfaction", "zh": "顾客满意度"},
    # the page header of each command's --report (crmkit.report.sheets.write_report)
    "title:clv_report": {"en": "Customer lifetime value (CLV)", "zh": "客户终身价值（CLV）"},
    "title:retention_report": {"en": "Cohort retention", "zh": "同期群留存"},
    "title:ladder_report": {"en": "Loyalty ladder", "zh": "忠诚度阶梯"},
    "title:htmt": {"en": "HTMT (discriminant validity)", "zh": "HTMT（区分效度）"},
    "title:fornell_larcker": {"en": "Fornell-Larcker criterion", "zh": "Fornell-Larcker 准则"},
    "title:weights": {"en": "Outer weights and loadings", "zh": "外部权重与载荷"},
    "construct": {"en": "Construct", "zh": "潜变量"},
    "index": {"en": "Index (0-100)", "zh": "指数（0-100）"},
    "r_squared": {"en": "R²", "zh": "R²"},
    "from": {"en": "From", "zh": "起点"},
    "to": {"en": "To", "zh": "终点"},
    "estimate": {"en": "Estimate", "zh": "估计值"},
    "ci_low": {"en": "CI low", "zh": "置信区间下限"},
    "ci_high": {"en": "CI high", "zh": "置信区间上限"},
    "alpha": {"en": "Cronbach's alpha", "zh": "Cronbach's α"},
    "rho_a": {"en": "rho_A", "zh": "ρA"},
    "rho_c": {"en": "Composite reliability (rho_C)", "zh": "组合信度 ρC"},
    "ave": {"en": "AVE", "zh": "平均提取方差 AVE"},
    "item": {"en": "Item", "zh": "题项"},
    "standardized_weight": {"en": "Standardized weight", "zh": "标准化权重"},
    "item_sd": {"en": "Item SD", "zh": "题项标准差"},
    "weight": {"en": "Index weight", "zh": "指数权重"},
    "loading": {"en": "Loading", "zh": "载荷"},
    "importance": {"en": "Importance (total effect)", "zh": "重要性（总效应）"},
    "total_effect": {"en": "Total effect (standardized)", "zh": "标准化总效应"},
    "performance": {"en": "Performance (0-100)", "zh": "表现（0-100）"},
    "quadrant": {"en": "Quadrant", "zh": "象限"},
    # the Drivers sheet's small table of where the map draws its guides (a chart's series must read cells)
    "title:ipma_data": {
        "en": "Chart data: where the map draws the mean lines and the quadrant names",
        "zh": "图表数据：矩阵中平均线与象限名称的位置",
    },
    "chart_element": {"en": "Chart element", "zh": "图表元素"},
    "ipma:importance_low": {"en": "Importance line, bottom", "zh": "平均重要性线（下端）"},
    "ipma:importance_high": {"en": "Importance line, top", "zh": "平均重要性线（上端）"},
    "ipma:performance_low": {"en": "Performance line, left", "zh": "平均表现线（左端）"},
    "ipma:performance_high": {"en": "Performance line, right", "zh": "平均表现线（右端）"},
    "quadrant:keep_up": {"en": "Keep up the good work", "zh": "继续保持"},
    "quadrant:concentrate_here": {"en": "Concentrate here", "zh": "重点改进"},
    "quadrant:low_priority": {"en": "Low priority", "zh": "次要改进"},
    "quadrant:possible_overkill": {"en": "Possible overkill", "zh": "过度投入"},
    "expectation_gap": {"en": "Expectation gap (quality - expectation)", "zh": "期望差距（质量-预期）"},
    "gap_class": {"en": "Against expectation", "zh": "与预期相比"},
    "gap:below": {"en": "Below expectation", "zh": "低于预期"},
    "gap:meets": {"en": "Meets expectation", "zh": "符合预期"},
    "gap:exceeds": {"en": "Exceeds expectation", "zh": "超出预期"},
    "respondents": {"en": "Respondents", "zh": "受访者数"},
    "model": {"en": "Model", "zh": "模型"},
    "scale": {"en": "Answer scale", "zh": "量表"},
    "nps": {"en": "NPS", "zh": "净推荐值 NPS"},
    "csat": {"en": "CSAT (top-2-box)", "zh": "CSAT（前两档占比）"},
    "ces": {"en": "Customer effort (mean)", "zh": "客户费力度（均值）"},
    "chart:index": {"en": "Index by construct", "zh": "各潜变量指数"},
    "chart:ipma": {"en": "Importance-performance map", "zh": "重要性-表现矩阵"},
    "series:drivers": {"en": "Drivers", "zh": "驱动因素"},
    "axis:index": {"en": "Index (0-100)", "zh": "指数（0-100）"},
    "axis:importance": {"en": "Importance", "zh": "重要性"},
    "axis:performance": {"en": "Performance", "zh": "表现"},
    # --- crmkit retention --------------------------------------------------------------------
    "sheet:retention": {"en": "Retention", "zh": "留存分析"},
    "title:retention_summary": {"en": "Cohort retention at a glance", "zh": "同期群留存概况"},
    "title:retention": {
        "en": "Cohort retention (rows: acquisition cohort; columns: k = periods since acquisition)",
        "zh": "同期群留存（行：获客批次；列：获客后第几期）",
    },
    "title:customers": {"en": "Active customers", "zh": "活跃客户数"},
    "title:revenue_retention": {"en": "Revenue retention", "zh": "收入留存率"},
    "title:repeat_rate": {"en": "Repeat-purchase rate (cumulative)", "zh": "累计复购率"},
    "title:churn_rate": {"en": "Churn rate", "zh": "流失率"},
    "cohort": {"en": "Cohort", "zh": "获客批次"},
    "cohort_size": {"en": "Cohort size", "zh": "批次客户数"},
    "period": {"en": "Period", "zh": "周期"},
    "period:day": {"en": "Day", "zh": "日"},
    "period:week": {"en": "Week", "zh": "周"},
    "period:month": {"en": "Month", "zh": "月"},
    "period:quarter": {"en": "Quarter", "zh": "季度"},
    "period:year": {"en": "Year", "zh": "年"},
    "cohorts": {"en": "Cohorts", "zh": "批次数"},
    "retention_1": {"en": "Retention after 1 period", "zh": "1期后留存率"},
    "retention_3": {"en": "Retention after 3 periods", "zh": "3期后留存率"},
    "retention_6": {"en": "Retention after 6 periods", "zh": "6期后留存率"},
    "retention_12": {"en": "Retention after 12 periods", "zh": "12期后留存率"},
    # --- crmkit ladder -----------------------------------------------------------------------
    "sheet:ladder": {"en": "Ladder", "zh": "忠诚度阶梯"},
    "sheet:migration": {"en": "Migration", "zh": "阶梯迁移"},
    "sheet:ladder_people": {"en": "Ladder people", "zh": "阶梯明细"},
    "title:ladder": {"en": "People on each rung", "zh": "各阶梯人数"},
    "title:lifecycle": {"en": "Lifecycle stages", "zh": "生命周期阶段"},
    "title:migration": {
        "en": "Migration from {before} to {after} (rows: rung on {before}; columns: rung on {after})",
        "zh": "从 {before} 到 {after} 的迁移（行：{before} 所在阶梯；列：{after} 所在阶梯）",
    },
    "chart:ladder": {"en": "The loyalty ladder", "zh": "忠诚度阶梯"},
    "rung": {"en": "Rung code", "zh": "阶梯代码"},
    "rung_label": {"en": "Rung", "zh": "阶梯"},
    "count": {"en": "People", "zh": "人数"},
    "share": {"en": "Share", "zh": "占比"},
    "lifecycle_stage": {"en": "Stage code", "zh": "阶段代码"},
    "stage_label": {"en": "Lifecycle stage", "zh": "生命周期阶段"},
    "reason": {"en": "Reason", "zh": "判定理由"},
    "basis:behaviour": {"en": "Behaviour", "zh": "行为"},
    "basis:survey": {"en": "Survey", "zh": "调查"},
    "basis:proxy": {"en": "Behavioural proxy", "zh": "行为代理"},
    "next_action": {"en": "Next step", "zh": "下一步行动"},
    "basis": {"en": "Basis", "zh": "依据类型"},
    "occasions": {"en": "Purchase occasions", "zh": "购买次数"},
    "mean_gap_days": {"en": "Mean days between purchases", "zh": "平均购买间隔(天)"},
    "satisfaction": {"en": "Satisfaction (0-100)", "zh": "满意度（0-100）"},
    "recommend": {"en": "Recommend (0-10)", "zh": "推荐意愿（0-10）"},
    "referrals": {"en": "Referrals", "zh": "推荐人数"},
    "from_rung": {"en": "Before \\ after", "zh": "之前 \\ 之后"},
    "rung:left": {"en": "Left the ladder", "zh": "离开阶梯"},
    "rung:new": {"en": "New on the ladder", "zh": "新进入阶梯"},
    "movement": {"en": "Movement", "zh": "变化"},
    "people": {"en": "People", "zh": "人数"},
    "movement:moved_up": {"en": "Moved up", "zh": "上升"},
    "movement:stayed": {"en": "Stayed", "zh": "保持"},
    "movement:slipped_down": {"en": "Slipped down", "zh": "下降"},
    "movement:new": {"en": "New", "zh": "新增"},
    "movement:left": {"en": "Left", "zh": "离开"},
    # --- crmkit report -----------------------------------------------------------------------
    "sheet:overview": {"en": "Overview", "zh": "总览"},
    "title:monthly_report": {"en": "Monthly customer report", "zh": "月度客户报告"},
    "title:overview": {
        "en": "Up to the as-of date: value, loyalty, retention, satisfaction",
        "zh": "截至分析日期：价值、忠诚、留存、满意",
    },
    # the Overview's first block: the as-of month alone (month_revenue, active_customers, new_customers)
    "title:overview_month": {"en": "This month: {start} to {end}", "zh": "本月：{start} 至 {end}"},
    # the ladder's base is everyone on it (members and referrers who never bought too), not the customers
    "title:overview_ladder": {
        "en": "Ladder rungs: shares of everyone on the ladder",
        "zh": "忠诚阶梯各层级占比（阶梯上全部人员）",
    },
    "ladder_people": {"en": "People on the ladder (the shares' base)", "zh": "阶梯总人数（占比的基数）"},
    "month_revenue": {"en": "Revenue in the month (net)", "zh": "当月销售额（净额）"},
    "active_customers": {"en": "Customers buying in the month", "zh": "当月购买客户数"},
    "new_customers": {"en": "New customers in the month", "zh": "当月新客户数"},
    "customers_to_date": {"en": "Customers to date", "zh": "累计客户数"},
    "revenue_to_date": {"en": "Revenue to date (net)", "zh": "累计销售额（净额）"},
    "title:trend": {"en": "The last 12 months", "zh": "近12个月趋势"},
    "month": {"en": "Month", "zh": "月份"},
    # total_clv is the sum of the customers' own repeat-purchase CLV: referral value never enters it
    "total_clv": {"en": "Total CLV (own purchases)", "zh": "客户终身价值合计（自身购买）"},
    "mean_p_alive": {"en": "Mean P(alive)", "zh": "平均存活概率"},
    "regular_or_above": {"en": "Regulars and above (share)", "zh": "常客及以上占比"},
    "net_upgrades": {"en": "Net ladder upgrades in the month", "zh": "当月阶梯净提升人数"},
    "satisfaction_index": {"en": "Satisfaction index", "zh": "满意度指数"},
    "chart:trend_revenue": {"en": "Monthly revenue (net)", "zh": "月度销售额（净额）"},
    "chart:trend_clv": {"en": "Total CLV", "zh": "客户终身价值合计"},
    "chart:trend_loyalty": {"en": "Repeat-customer rate", "zh": "复购客户占比"},
    "chart:trend_satisfaction": {"en": "Satisfaction index", "zh": "满意度指数"},
    # --- sentence templates ----------------------------------------------------------------
    "fmt:top_hold": {"en": "The top {x} of customers hold {y} of revenue", "zh": "前{x}的客户贡献了{y}的销售额"},
    # --- notes and warnings: msg:<key> of a crmkit.io.quality.Message, or of a note the report makes ------
    # The en text is the library's own (stderr says the same); 「」 mark what zh shows as it is: an
    # option, a command, the user's column names and values.
    "msg:amount_from_price": {
        "en": "amount computed as {quantity} x {unit_price}",
        "zh": "金额按「{quantity}」×「{unit_price}」计算",
    },
    "msg:decimal_comma": {
        "en": "amounts read with a decimal comma (1.234,50 = 1234.50); force with --decimal .",
        "zh": "金额按小数逗号读取（1.234,50 = 1234.50）；如需按小数点读取，请用「--decimal .」",
    },
    "msg:month_first": {
        "en": "dates like 01/02/2024 read as month/day/year (no value tells); use --dayfirst for day/month/year",
        "zh": "形如 01/02/2024 的日期按“月/日/年”读取（数据中没有可判断的值）；如为“日/月/年”，请用「--dayfirst」",
    },
    "msg:return_statuses": {
        "en": "statuses read as returns/cancellations: {statuses}",
        "zh": "以下订单状态按退货/取消处理：「{statuses}」",
    },
    "msg:clv_no_margin": {
        "en": "no --margin and no margin column: CLV is in revenue, not profit",
        "zh": "未指定「--margin」，数据中也没有毛利列：客户终身价值按销售额计算，不是利润",
    },
    "msg:clv_fit_failed": {
        # the reason is the fitting code's English diagnosis: stderr and the English workbook say it
        "en": "the {model} fit failed ({reason}); CLV is the historical value (average order value x purchase rate "
        "x margin x horizon)",
        "zh": "{model} 模型拟合失败：客户终身价值取历史值（客单价 × 购买频率 × 毛利率 × 预测期）",
    },
    "msg:clv_too_few_repeat_buyers": {
        "en": "only {buyers:,} repeat buyer(s): too few to fit {model}; CLV is the historical value (average order "
        "value x purchase rate x margin x horizon)",
        "zh": "复购客户仅 {buyers:,} 位，不足以拟合 {model} 模型："
        "客户终身价值取历史值（客单价 × 购买频率 × 毛利率 × 预测期）",
    },
    "msg:clv_spend_too_few": {
        "en": "too few repeat buyers with positive spend for Gamma-Gamma: expected spend is each customer's average "
        "order value",
        "zh": "消费金额为正的复购客户太少，无法拟合 Gamma-Gamma 模型：预期客单价取每位客户的平均订单金额",
    },
    "msg:clv_spend_failed": {
        "en": "the Gamma-Gamma spend model did not fit ({reason}): expected spend is each customer's average order "
        "value (value_method '{method}')",
        "zh": "Gamma-Gamma 金额模型拟合失败：预期客单价取每位客户的平均订单金额（估值方法注明“平均客单价”）",
    },
    "msg:clv_spend_correlated": {
        "en": "repeat frequency and spend are correlated (r = {r:.2f}): the Gamma-Gamma model assumes they are "
        "independent, so expected spend is biased for the heaviest buyers",
        "zh": "复购次数与消费金额相关（r = {r:.2f}）：Gamma-Gamma 模型假定两者独立，对购买最多的客户，预期客单价有偏差",
    },
    # the Overview's notes of a stale or empty period (crmkit.monthly.run.MonthlyReport.notes)
    "msg:stale_period": {
        "en": "the as-of date {as_of} is {days} days after the last purchase ({last}): the figures describe a "
        "period without purchases; check the as-of date (as_of, --as-of) or whether the export is complete",
        "zh": "分析日期 {as_of} 距最后一笔购买（{last}）已 {days} 天：本期没有购买记录，请检查分析日期"
        "（「as_of」、「--as-of」）或导出文件是否完整",
    },
    "msg:empty_months": {
        "en": "no purchases in {months} (of the 12 months up to the as-of date): check the export",
        "zh": "{months} 没有购买记录（分析日期前 12 个月内），请检查导出文件",
    },
    # a customer sheet cut to the top N by the --customers policy (crmkit.report.sheets._layout); {by} is an order_by:
    "msg:customers_cut": {
        "en": "Top {kept:,} of {total:,} by {by}; {left:,} left out: --customers all shows them all, "
        "the per-customer file (-o, or --customers-out for crmkit report) holds every customer.",
        "zh": "按{by}列出前 {kept:,} 位（共 {total:,} 位），另有 {left:,} 位未列出：「--customers all」列出全部，"
        "完整客户表见「-o」（「crmkit report」用「--customers-out」）写出的文件。",
    },
    "order_by:sheet:customers": {"en": "net revenue", "zh": "净收入"},
    "order_by:sheet:clv_customers": {"en": "CLV", "zh": "客户终身价值"},
    "order_by:sheet:ladder_people": {"en": "rung, then purchase occasions", "zh": "阶梯等级和购买次数"},
}


#: Keys of the form ``family:name`` whose name is shown as is (model parameters: r, alpha ...).
_FAMILIES = {
    # retention columns k0, k1, ...: periods since acquisition (the sheet's title says so)
    "since": {"en": "k{}", "zh": "第{}期"},
    "param": {"en": "Parameter {}", "zh": "参数 {}"},
    "se": {"en": "Std. error of {}", "zh": "{} 的标准误"},
}


#: Model parameters spelt out in Latin letters, written as the symbols a Chinese text uses.
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "theta": "θ", "lambda": "λ"}


#: Shorter column headers, for terminal tables the full labels would make too wide (:mod:`crmkit.report.terminal`).
SHORT_LABELS: dict[str, dict[str, str]] = {
    "segment_label": {"en": "Segment", "zh": "分群"},
    "customers": {"en": "Cust.", "zh": "客户数"},
    "customer_share": {"en": "Cust. %", "zh": "客户占比"},
    "revenue": {"en": "Revenue", "zh": "销售额"},
    "revenue_share": {"en": "Rev. %", "zh": "销售占比"},
    "mean_recency_days": {"en": "Recency (d)", "zh": "间隔天数"},
    "mean_frequency": {"en": "Freq.", "zh": "次数"},
    "mean_monetary": {"en": "Avg spend", "zh": "客单价"},
    "clv_decile": {"en": "Decile", "zh": "十分位"},
    "clv_total": {"en": "Total", "zh": "合计"},
    "clv_mean": {"en": "Mean", "zh": "均值"},
    "clv_share": {"en": "Share", "zh": "占比"},
    "frequency_group": {"en": "Repeats", "zh": "复购次数"},
    "actual_mean": {"en": "Actual", "zh": "实际"},
    "expected_mean": {"en": "Expected", "zh": "预期"},
    "actual_total": {"en": "Act. total", "zh": "实际合计"},
    "expected_total": {"en": "Exp. total", "zh": "预期合计"},
    "index": {"en": "Index", "zh": "指数"},
    "importance": {"en": "Importance", "zh": "重要性"},
    "performance": {"en": "Perform.", "zh": "表现"},
    "estimate": {"en": "Est.", "zh": "估计值"},
    "ci_low": {"en": "Low", "zh": "下限"},
    "ci_high": {"en": "High", "zh": "上限"},
    "cohort_size": {"en": "Size", "zh": "人数"},
    "count": {"en": "People", "zh": "人数"},
    "respondents": {"en": "n", "zh": "人数"},
    "rung:suspect": {"en": "Susp.", "zh": "潜在"},
    "rung:prospect": {"en": "Prosp.", "zh": "可能"},
    "rung:customer": {"en": "Cust.", "zh": "顾客"},
    "rung:regular": {"en": "Reg.", "zh": "常客"},
    "rung:supporter": {"en": "Supp.", "zh": "支持"},
    "rung:advocate": {"en": "Adv.", "zh": "拥护"},
}


def label(key: str, lang: str = "en") -> str:
    """The label of ``key`` in ``lang``; never raises.

    A key missing from :data:`LABELS` comes back unchanged (so literal text passes through),
    and a key with no entry for ``lang`` falls back to its English label: a report with one
    English header is more useful than a crash.

    Parameters
    ----------
    key : str
        A key of :data:`LABELS` (``"recency_days"``, ``"sheet:summary"``) or any text.
    lang : str
        ``"en"`` or ``"zh"``.

    Returns
    -------
    str

    Examples
    --------
    >>> label("recency_days", "zh")
    '最近购买间隔(天)'
    >>> label("no such key", "zh")
    'no such key'
    """
    try:
        entry = LABELS.get(key)
    except TypeError:  # an unhashable "key" is still shown rather than crashing a report
        entry = None
    if entry is None:
        family, _, name = str(key).partition(":")
        template = _FAMILIES.get(family)
        if not (template and name):
            return str(key)
        return template[lang if lang in template else "en"].format(_GREEK.get(name, name) if lang == "zh" else name)
    text = entry.get(lang) or entry.get("en")
    return text if text is not None else str(key)


def sentence(key: str, lang: str = "en", /, **params: object) -> str:
    """The template ``key`` of :data:`LABELS` in ``lang``, filled in with ``params``; never raises.

    A text parameter named like a key family shows as that key's label when there is one
    (``model="bgnbd"`` becomes ``label("model:bgnbd")``). A template that cannot be filled in
    (a parameter missing) is shown in English, then as the key itself.

    Examples
    --------
    >>> sentence("msg:empty_months", "zh", months="2024-03")
    '2024-03 没有购买记录（分析日期前 12 个月内），请检查导出文件'
    """
    shown = {
        name: label(f"{name}:{value}", lang) if isinstance(value, str) and f"{name}:{value}" in LABELS else value
        for name, value in params.items()
    }
    for template in (label(key, lang), label(key, "en")):
        try:
            return template.format(**shown)
        except (KeyError, IndexError, ValueError):
            continue
    return key


def message(text, lang: str = "en") -> str:
    """A library note or warning in ``lang``: a :class:`crmkit.io.quality.Message` by its key and params.

    Text without a key, or with a key :data:`LABELS` has no ``msg:`` template for, is shown as it is
    (the library's English), so a new message reads in English until it is catalogued.

    Examples
    --------
    >>> from crmkit.io.quality import Message
    >>> message(Message("no --margin and no margin column: CLV is in revenue, not profit", "clv_no_margin"), "zh")
    '未指定「--margin」，数据中也没有毛利列：客户终身价值按销售额计算，不是利润'
    >>> message("any other text", "zh")
    'any other text'
    """
    key = getattr(text, "key", None)
    if not key or f"msg:{key}" not in LABELS:
        return str(text)
    return sentence(f"msg:{key}", lang, **getattr(text, "params", {}))


def translate_values(frame, families, lang: str = "en"):
    """A copy of ``frame`` whose categorical columns show labels instead of keys.

    Parameters
    ----------
    frame : pandas.DataFrame
    families : mapping
        ``column -> family``: a value ``v`` of ``column`` becomes ``label(f"{family}:{v}")``
        when that key is in :data:`LABELS`, and stays as it is otherwise (an empty or a
        user-defined value passes through).
    lang : str

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> translate_values(pd.DataFrame({"phase": ["holdout"]}), {"phase": "phase"}, "zh")["phase"].tolist()
    ['留出期']
    """
    changes = {}
    for column, family in families.items():
        if column in frame.columns:
            changes[column] = frame[column].map(
                lambda value, family=family: label(key, lang) if (key := f"{family}:{value}") in LABELS else value
            )
    return frame.assign(**changes) if changes else frame
