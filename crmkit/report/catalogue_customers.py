"""The catalogue's entries for the customer side (:mod:`crmkit.io.attributes`): the notes a members
file's read writes, in English and Chinese. Part of :data:`crmkit.report.i18n.LABELS`."""

from __future__ import annotations

CUSTOMER_LABELS: dict[str, dict[str, str]] = {
    # crmkit profile (crmkit.profile): its tables' columns and the attributes
    "title:profile_ranking": {
        "en": "Attributes by how much they separate revenue (Kruskal-Wallis)",
        "zh": "各属性对客户价值的区分度（Kruskal-Wallis 检验）",
    },
    "profile:attribute": {"en": "Attribute", "zh": "属性"},
    "profile:value": {"en": "Value", "zh": "取值"},
    "profile:rank": {"en": "Rank", "zh": "排名"},
    "lift": {"en": "Lift", "zh": "提升度"},
    "repeat_rate": {"en": "Repeat rate", "zh": "复购率"},
    "epsilon_squared": {"en": "Effect size (ε²)", "zh": "效应量(ε²)"},
    "p_value": {"en": "p-value", "zh": "p 值"},
    "top_value": {"en": "Most valuable value", "zh": "价值最高的取值"},
    "top_lift": {"en": "Its lift", "zh": "其提升度"},
    "gender": {"en": "Gender", "zh": "性别"},
    "age_band": {"en": "Age band", "zh": "年龄段"},
    "province": {"en": "Province", "zh": "省份"},
    "city": {"en": "City", "zh": "城市"},
    "tier": {"en": "Membership tier", "zh": "会员等级"},
    "source_channel": {"en": "Source channel", "zh": "来源渠道"},
    "join_year": {"en": "Join year", "zh": "注册年份"},
    "msg:attributes_unknown": {
        "en": "{attribute} ({column}): {count:,} value(s) not recognised, read as unknown: {values}",
        "zh": "{column}：{count:,} 个值无法识别，按未知处理：「{values}」",
    },
    "msg:attributes_unreadable": {
        "en": "{attribute} ({column}): {count:,} value(s) cannot be read (the first at row {row}), read as unknown",
        "zh": "{column}：{count:,} 个值无法读取（第一个在第 {row} 行），按未知处理",
    },
    "msg:attributes_month_only": {
        "en": "{attribute} ({column}): {count:,} value(s) give only a year and month, read as the 1st of the month",
        "zh": "{column}：{count:,} 个值只有年月，按当月 1 日读取",
    },
    "msg:attributes_month_first": {
        "en": "{attribute} ({column}): dates like 01/02/1990 read as month/day/year (no value tells)",
        "zh": "{column}：形如 01/02/1990 的日期按“月/日/年”读取（数据中没有可判断的值）",
    },
    "msg:attributes_no_as_of": {
        "en": "no as-of date given: ages are not computed from the birth dates ({column})",
        "zh": "未给出分析日期：未按「{column}」计算年龄",
    },
    "msg:attributes_gender_codes": {
        "en": "gender ({column}): {count:,} value(s) are GB/T 2261.1 codes, read as 1 male, 2 female, 0 and 9 not "
        "stated",
        "zh": "{column}：{count:,} 个值为 GB/T 2261.1 代码，按 1 男、2 女、0 和 9 未说明读取",
    },
}
