"""Why a person stands on their rung: the tests behind a placement, rendered as one sentence.

:mod:`crmkit.ladder.placement` decides a rung and records each test it ran as a :class:`Fact`
(which test, whether it passed, the values compared); :func:`reason` turns those facts into the
``reason`` column in English or Chinese. Deciding never depends on the language, and a sentence
never decides anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crmkit.io.options import check_lang

__all__ = ["Fact", "REASONS", "STAGE_LABELS", "reason"]

#: Lifecycle stage names per language.
STAGE_LABELS: dict[str, dict[str, str]] = {
    "exploration": {"en": "Exploration", "zh": "考察期"},
    "formation": {"en": "Formation", "zh": "形成期"},
    "stability": {"en": "Stability", "zh": "稳定期"},
    "decline": {"en": "Decline", "zh": "退化期"},
    "none": {"en": "No relationship yet", "zh": "尚未建立关系"},
}

#: The reason catalogues: one sentence template per reason key, plus the joining words and the
#: names of signs of interest and of contact sources. A fact's reason key is its test, with
#: ``_yes`` / ``_no`` for a test that passed or failed (``p_alive`` and ``cycle`` print the
#: comparison instead).
REASONS: dict[str, dict[str, Any]] = {
    "en": {
        "suspect": "known contact ({source}); no purchase and no sign of interest",
        "prospect": "no purchase yet; sign of interest: {signs}",
        "one": "one purchase occasion, {recency:.0f} days ago",
        "active_no": "{occasions} purchase occasions but not active: {activity}",
        "active_yes": "{occasions} purchase occasions and active: {activity}",
        "sat_yes": "satisfaction {value:.0f} >= {min:.0f} (survey)",
        "sat_no": "satisfaction {value:.0f} < {min:.0f} (survey)",
        "sup_proxy_yes": "proxy: {occasions} occasions and {tenure:.0f} days tenure in the top tier of regulars",
        "sup_proxy_no": "proxy: {occasions} occasions / {tenure:.0f} days tenure below the top tier of regulars",
        "no_proxy": "no survey answer (proxies off)",
        "rec_yes": "recommend {value:.0f} >= {min:.0f} (survey)",
        "ref_yes": "{value} referral(s)",
        "rec_no": "recommend {value} and {refs} referral(s): not a recommender",
        "adv_proxy_yes": "proxy: {occasions} occasions in the top tier and bought within {cycles:g} x own cycle",
        "adv_proxy_no": "proxy: not both top-tier frequency and a purchase within {cycles:g} x own cycle",
        "p_alive": "P(alive) {value:.2f} {op} {min:.2f}",
        "cycle": "{recency:.0f} days since last purchase {op} {k:g} x mean gap {gap:.0f} days",
        "and": " and ",
        "or": " or ",
        "sep": "; ",
        "list": ", ",
        "signs": {
            "registered": "registered",
            "enquired": "enquired",
            "survey": "answered a survey",
            "referrer": "referred someone",
        },
        "sources": {
            "member": "member list",
            "referred": "referred by a customer",
            "purchases": "purchase file",
            "survey": "survey",
            "referrer": "referral file",
        },
    },
    "zh": {
        "suspect": "已知联系人（{source}）；无购买、无兴趣表示",
        "prospect": "尚未购买；有兴趣表示：{signs}",
        "one": "购买 1 次，距今 {recency:.0f} 天",
        "active_no": "购买 {occasions} 次但已不活跃：{activity}",
        "active_yes": "购买 {occasions} 次且仍活跃：{activity}",
        "sat_yes": "满意度 {value:.0f} ≥ {min:.0f}（调查）",
        "sat_no": "满意度 {value:.0f} < {min:.0f}（调查）",
        "sup_proxy_yes": "代理规则：购买 {occasions} 次、关系时长 {tenure:.0f} 天，均居常客前列",
        "sup_proxy_no": "代理规则：购买 {occasions} 次 / 关系时长 {tenure:.0f} 天，未居常客前列",
        "no_proxy": "无调查回答（未启用代理规则）",
        "rec_yes": "推荐意愿 {value:.0f} ≥ {min:.0f}（调查）",
        "ref_yes": "推荐了 {value} 人",
        "rec_no": "推荐意愿 {value}，推荐 {refs} 人：未达推荐标准",
        "adv_proxy_yes": "代理规则：购买 {occasions} 次居前列，且在自身周期 {cycles:g} 倍内有购买",
        "adv_proxy_no": "代理规则：购买频次未居前列或未在自身周期 {cycles:g} 倍内购买",
        "p_alive": "活跃概率 {value:.2f} {op} {min:.2f}",
        "cycle": "距上次购买 {recency:.0f} 天 {op} {k:g} × 平均间隔 {gap:.0f} 天",
        "and": "且",
        "or": "或",
        "sep": "；",
        "list": "、",
        "signs": {"registered": "已注册", "enquired": "已咨询", "survey": "参与调查", "referrer": "推荐过他人"},
        "sources": {
            "member": "会员名单",
            "referred": "由顾客推荐",
            "purchases": "购买记录",
            "survey": "调查",
            "referrer": "推荐记录",
        },
    },
}

# The comparison a passed / failed threshold test prints (the thresholds are inclusive bounds).
_OPS = {"p_alive": (">=", "<"), "cycle": ("<=", ">")}


@dataclass(frozen=True, slots=True)
class Fact:
    """One test behind a placement: which test, whether it passed, and the values it compared.

    Attributes
    ----------
    test : str
        ``suspect, prospect, one`` (the only fact of a non-buyer or a one-time buyer, ``passed``
        None); ``active`` (values ``occasions`` and ``checks``, the ``p_alive`` and ``cycle``
        facts; a repeat buyer is active when either check passed); ``sat``, ``sup_proxy``,
        ``no_proxy`` (the supporter test); ``rec``, ``ref``, ``adv_proxy``, ``no_proxy`` (the
        advocate test).
    passed : bool or None
        None for a fact that is no test (a non-buyer's source or signs, a one-time buyer).
    values : mapping
        The numbers and keys the sentence names, e.g. ``{"value": 80.0, "min": 70.0}``.

    Examples
    --------
    >>> Fact("sat", True, {"value": 82.4, "min": 70.0}).key
    'sat_yes'
    """

    test: str
    passed: bool | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The fact's reason key in :data:`REASONS`."""
        if self.passed is None or self.test in _OPS:
            return self.test
        return f"{self.test}_{'yes' if self.passed else 'no'}"


def _sentence(fact: Fact, text: Mapping[str, Any]) -> str:
    values, template = fact.values, text[fact.key]
    if fact.test in _OPS:
        return template.format(op=_OPS[fact.test][0 if fact.passed else 1], **values)
    if fact.test == "active":
        # P(alive) and the own cycle are both reported, so a reader sees why a lapsed buyer is lapsed
        checks = (text["or"] if fact.passed else text["and"]).join(_sentence(check, text) for check in values["checks"])
        return template.format(occasions=values["occasions"], activity=checks)
    if fact.test == "prospect":
        return template.format(signs=text["list"].join(text["signs"][sign] for sign in values["signs"]))
    if fact.test == "suspect":
        return template.format(source=text["sources"][values["source"]])
    if fact.key == "rec_no":
        # a missing answer or referral data that is not there prints as "-"
        recommend, referrals = values["recommend"], values["referrals"]
        return template.format(
            value="-" if recommend is None else f"{recommend:.0f}", refs="-" if referrals is None else referrals
        )
    return template.format(**values)


def reason(facts: Iterable[Fact], lang: str = "en") -> str:
    """The ``reason`` sentence of a placement: each fact's sentence, joined.

    Parameters
    ----------
    facts : iterable of Fact
        The tests behind one person's rung, in the order they were run.
    lang : {"en", "zh"}

    Returns
    -------
    str

    Examples
    --------
    >>> active = Fact("active", True, {"occasions": 4, "checks": (
    ...     Fact("cycle", True, {"recency": 12.0, "k": 1.5, "gap": 30.0}),)})
    >>> reason([active, Fact("sat", False, {"value": 55.0, "min": 70.0})], "zh")
    '购买 4 次且仍活跃：距上次购买 12 天 <= 1.5 × 平均间隔 30 天；满意度 55 < 70（调查）'
    >>> reason([Fact("prospect", None, {"signs": ("registered", "survey")})])
    'no purchase yet; sign of interest: registered, answered a survey'
    """
    text = REASONS[check_lang(lang)]
    return text["sep"].join(_sentence(fact, text) for fact in facts)
