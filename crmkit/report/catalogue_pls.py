"""The catalogue's entries for the PLS methods of ``crmkit satisfaction`` (PLSc, PLSpredict,
bootstrapped HTMT and indirect effects, multi-group analysis, MICOM): sheets, titles and columns,
in English and Chinese. Part of :data:`crmkit.report.i18n.LABELS`."""

from __future__ import annotations

PLS_LABELS: dict[str, dict[str, str]] = {
    # --- sheets and titles -------------------------------------------------------------------
    "sheet:prediction": {"en": "Prediction", "zh": "样本外预测"},
    "sheet:effects": {"en": "Indirect effects", "zh": "间接效应"},
    "sheet:mga": {"en": "Group comparison", "zh": "多群组分析"},
    "title:index_intervals": {
        "en": "Index per construct with bootstrap intervals",
        "zh": "各潜变量指数及自助法置信区间",
    },
    "title:htmt_ci": {"en": "HTMT with bootstrap intervals", "zh": "HTMT 及自助法置信区间"},
    "title:indirect": {"en": "Total indirect effects", "zh": "总间接效应"},
    "title:specific": {"en": "Specific indirect effects (each route)", "zh": "特定间接效应（逐条路径）"},
    "title:prediction_items": {
        "en": "PLSpredict: out-of-sample error per item against the linear-model benchmark",
        "zh": "PLSpredict：各题项样本外误差（与线性模型基准比较）",
    },
    "title:prediction_constructs": {"en": "PLSpredict per construct", "zh": "各潜变量 PLSpredict"},
    "title:mga": {
        "en": "Path differences between groups (permutation test)",
        "zh": "组间路径系数差异（置换检验）",
    },
    "title:micom": {
        "en": "Measurement invariance of composites (MICOM steps 1-2)",
        "zh": "复合体测量不变性（MICOM 第1-2步）",
    },
    # --- columns --------------------------------------------------------------------------------
    "group_a": {"en": "Group A", "zh": "组A"},
    "group_b": {"en": "Group B", "zh": "组B"},
    "estimate_a": {"en": "Estimate A", "zh": "组A估计值"},
    "estimate_b": {"en": "Estimate B", "zh": "组B估计值"},
    "pls:difference": {"en": "Difference (A - B)", "zh": "差值（A - B）"},
    "configural": {"en": "Configural invariance", "zh": "形态不变性"},
    "pls:c": {"en": "Correlation c", "zh": "相关系数 c"},
    "pls:c_quantile_05": {"en": "5% quantile of c", "zh": "c 的5%分位数"},
    "compositional": {"en": "Compositional invariance", "zh": "组成不变性"},
    "route": {"en": "Route", "zh": "路径"},
    "pls_rmse": {"en": "PLS RMSE", "zh": "PLS 均方根误差"},
    "pls_mae": {"en": "PLS MAE", "zh": "PLS 平均绝对误差"},
    "lm_rmse": {"en": "LM RMSE", "zh": "线性模型均方根误差"},
    "lm_mae": {"en": "LM MAE", "zh": "线性模型平均绝对误差"},
    "q2_predict": {"en": "Q² predict", "zh": "Q² predict"},
    "pls:index_ci_low": {"en": "Index, CI low", "zh": "指数置信区间下限"},
    "pls:index_ci_high": {"en": "Index, CI high", "zh": "指数置信区间上限"},
    "pls:estimation": {"en": "Estimation", "zh": "估计方法"},
    "pls:plsc": {"en": "Consistent PLS (PLSc)", "zh": "一致性 PLS（PLSc）"},
    "pls:pls": {"en": "PLS path modelling", "zh": "PLS 路径模型"},
    "pls:bootstrap": {"en": "Bootstrap resamples", "zh": "自助法重抽样次数"},
    "pls:predict_folds": {"en": "PLSpredict folds × repetitions", "zh": "PLSpredict 折数 × 重复次数"},
    "pls:yes": {"en": "yes", "zh": "是"},
    "pls:no": {"en": "no", "zh": "否"},
}
