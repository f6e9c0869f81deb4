"""Why a person stands on their rung: the tests behind a placement, rendered as one sentence.

:mod:`crmkit.ladder.placement` decides every rung at once and records, per person, which tests
it ran and whether each passed (:class:`Outcomes`, columns rather than objects: the ladder of a
million-row export places 160,000 people twice a month); :func:`reasons` turns those outcomes
and the values compared into the ``reason`` column in English or Chinese. Deciding never depends
on the language, and a sentence never decides anything.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from crmkit.io.options import check_lang

__all__ = [
    "HELD",
    "REASONS",
    "SIGNS",
    "STAGE_LABELS",
    "Outcomes",
    "complaint_notes",
    "proxy_notes",
    "reasons",
    "sentences",
]

#: The signs of interest a person who never bought may show, in the order a reason lists them.
SIGNS = ("registered", "enquired", "survey", "referrer")

#: Lifecycle stage names per language.
STAGE_LABELS: dict[str, dict[str, str]] = {
    "exploration": {"en": "Exploration", "zh": "考察期"},
    "formation": {"en": "Formation", "zh": "形成期"},
    "stability": {"en": "Stability", "zh": "稳定期"},
    "decline": {"en": "Decline", "zh": "退化期"},
    "none": {"en": "No relationship yet", "zh": "尚未建立关系"},
}

#: The reason catalogues: one sentence template per reason key, plus the joining words and the
#: names of signs of interest and of contact sources. A test's reason key is its name, with
#: ``_yes`` / ``_no`` for a test that passed or failed (``p_alive`` and ``cycle`` print the
#: comparison instead: ``ops`` gives the operator shown when the test passed and when it failed;
#: the thresholds are inclusive bounds).
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
        "ops": {"p_alive": (">=", "<"), "cycle": ("<=", ">")},
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
        "p_alive": "存活概率 {value:.2f} {op} {min:.2f}",
        "cycle": "距上次购买 {recency:.0f} 天 {op} {k:g} × 平均间隔 {gap:.0f} 天",
        "and": "，且",
        "or": "，或",
        "ops": {"p_alive": ("≥", "<"), "cycle": ("≤", ">")},
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

#: The sentences of a hold (:attr:`Outcomes.held`): not a test on the way up the ladder but a cap
#: over it, said after the tests it overrules, in the same template syntax as :data:`REASONS`.
HELD: dict[str, dict[str, str]] = {
    "en": {
        "held_open": "held at regular: {open} open complaint(s), an expectation still unmet",
        "held_recent": "held at regular: a complaint {days:.0f} days ago (within {recent:g} days)",
    },
    "zh": {
        "held_open": "保持在常客：{open} 件投诉未解决，期望尚未满足",
        "held_recent": "保持在常客：{days:.0f} 天前有投诉（{recent:g} 天内）",
    },
}


@dataclass(frozen=True)
class Outcomes:
    """The tests behind every placement, one array element per person (:func:`~crmkit.ladder.placement.place`).

    Attributes
    ----------
    first : numpy.ndarray of str
        The person's first test: ``suspect`` or ``prospect`` (never bought), ``one`` (one
        purchase occasion) or ``active`` (a repeat buyer: the activity test).
    p_alive_ok, cycle_ok, active : numpy.ndarray of bool
        The two activity checks and their result (either passing makes a repeat buyer active);
        ``p_alive_ok`` is only a test when ``fitted``.
    supporter, advocate : numpy.ndarray of str
        Which supporter test ran (``sat``, ``sup_proxy``, ``no_proxy``; ``""`` none) and which
        advocate test (``rec``, ``ref``, ``adv_proxy``, ``no_proxy``; ``""`` none).
    supporter_ok, advocate_ok : numpy.ndarray of bool
        Whether they passed.
    fitted, have_referrals : bool
        P(alive) came from a model; referral data was given (so no referral is evidence).
    held : numpy.ndarray of str, optional
        Why a person who passed the supporter test was held at regular by a complaint: ``open``
        (a complaint open at the analysis date), ``recent`` (one within ``recent_days``) or ``""``
        (not held); None when no complaints were given.
    """

    first: np.ndarray
    p_alive_ok: np.ndarray
    cycle_ok: np.ndarray
    active: np.ndarray
    supporter: np.ndarray
    supporter_ok: np.ndarray
    advocate: np.ndarray
    advocate_ok: np.ndarray
    fitted: bool
    have_referrals: bool
    held: np.ndarray | None = None


def _formatted(values: Any, spec: str, n: int) -> np.ndarray:
    """``format(value, spec)`` for each of ``n`` values (or one scalar), as an object array.

    Each distinct value is formatted once: days, counts and two-decimal probabilities repeat a
    great deal among 100,000 people, and ``format`` per person was most of the ladder's time.
    """
    if np.ndim(values) == 0:
        return np.full(n, format(values, spec), dtype=object)
    array = np.asarray(values)
    if array.dtype == object and not spec:
        return array  # already text (an operator, a joined sub-sentence)
    distinct, inverse = np.unique(array, return_inverse=True)
    return np.array([format(v.item() if hasattr(v, "item") else v, spec) for v in distinct], dtype=object)[
        inverse.reshape(-1)
    ]


def sentences(key: str, lang: str = "en", n: int | None = None, **values: Any) -> np.ndarray:
    """The sentence of reason ``key`` for each person, from columns (or scalars) of its values.

    Parameters
    ----------
    key : str
        A template of :data:`REASONS` (e.g. ``"one"`` or ``"sat_yes"``) or of :data:`HELD`.
    lang : {"en", "zh"}
    n : int, optional
        How many sentences; default the length of the first array among ``values``.
    **values
        The template's fields: arrays (one value per person) or scalars (the same for all).

    Returns
    -------
    numpy.ndarray of str (object dtype)

    Examples
    --------
    >>> sentences("one", recency=[3.0, 40.4]).tolist()
    ['one purchase occasion, 3 days ago', 'one purchase occasion, 40 days ago']
    >>> sentences("sat_no", "zh", value=55.0, min=70.0, n=1).tolist()
    ['满意度 55 < 70（调查）']
    """
    lang = check_lang(lang)
    template = REASONS[lang][key] if key in REASONS[lang] else HELD[lang][key]
    if n is None:
        n = next((len(v) for v in values.values() if np.ndim(v)), 1)
    out = np.full(n, "", dtype=object)
    for literal, name, spec, _ in string.Formatter().parse(template):
        out = out + literal
        if name is not None:
            out = out + _formatted(values[name], spec or "", n)
    return out


def _joined(parts: list[np.ndarray], joiner: str) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = out + joiner + part
    return out


def reasons(people, outcomes: Outcomes, rules: Mapping[str, Any], lang: str = "en") -> np.ndarray:
    """The ``reason`` sentence of every placement: each test's sentence, joined in the order they ran.

    Parameters
    ----------
    people : pandas.DataFrame
        The people table the placement read (``source``, the signs of interest, ``occasions,
        recency_days, tenure_days, mean_gap_days, p_alive, satisfaction, recommend, referrals``).
    outcomes : Outcomes
        Which tests ran for whom and how they came out.
    rules : mapping
        The ladder rules (the thresholds the sentences name).
    lang : {"en", "zh"}

    Returns
    -------
    numpy.ndarray of str (object dtype), one per row of ``people``.
    """
    text = REASONS[check_lang(lang)]
    n = len(people)
    out = np.full(n, "", dtype=object)
    first = outcomes.first

    never = first == "suspect"
    known = {source: text["suspect"].format(source=name) for source, name in text["sources"].items()}
    out[never] = people["source"].map(known).to_numpy(object)[never]
    keen = np.flatnonzero(first == "prospect")
    if len(keen):
        flags = np.column_stack([people[sign].to_numpy(bool)[keen] for sign in SIGNS])
        combos, inverse = np.unique(flags, axis=0, return_inverse=True)
        signs = [text["list"].join(text["signs"][s] for s, on in zip(SIGNS, row, strict=True) if on) for row in combos]
        out[keen] = np.array([text["prospect"].format(signs=s) for s in signs], dtype=object)[inverse.reshape(-1)]
    one = first == "one"
    out[one] = sentences("one", lang, recency=people["recency_days"].to_numpy(float)[one])

    rep = np.flatnonzero(first == "active")
    if not len(rep):
        return out
    act, srv, prx = rules["activity"], rules["survey"], rules["proxy"]

    columns: dict[str, np.ndarray] = {}

    def col(name: str, rows: np.ndarray, whole: bool = False) -> np.ndarray:
        """Column ``name`` at ``rows`` (converted once per call of :func:`reasons`), as whole numbers with ``whole``."""
        if name not in columns:
            columns[name] = people[name].to_numpy(float, na_value=np.nan)
        picked = columns[name][rows]
        return picked.astype(int) if whole else picked

    def op(test: str, passed: np.ndarray) -> np.ndarray:
        return np.where(passed, *text["ops"][test]).astype(object)

    cycle = sentences(
        "cycle",
        lang,
        recency=col("recency_days", rep),
        op=op("cycle", outcomes.cycle_ok[rep]),
        k=act["cycle_multiple"],
        gap=col("mean_gap_days", rep),
    )
    checks = [cycle]
    if outcomes.fitted:
        p_alive = col("p_alive", rep)
        checks.insert(
            0,
            sentences(
                "p_alive", lang, value=p_alive, op=op("p_alive", outcomes.p_alive_ok[rep]), min=act["p_alive_min"]
            ),
        )
    active = outcomes.active[rep]
    # P(alive) and the own cycle are both reported, so a reader sees why a lapsed buyer is lapsed
    activity = np.where(active, _joined(checks, text["or"]), _joined(checks, text["and"]))
    occasions = col("occasions", rep, whole=True)
    out[rep[active]] = sentences("active_yes", lang, occasions=occasions[active], activity=activity[active])
    out[rep[~active]] = sentences("active_no", lang, occasions=occasions[~active], activity=activity[~active])

    def values(name: str, passed: bool, rows: np.ndarray) -> dict[str, Any]:
        if name == "sat":
            return {"value": col("satisfaction", rows), "min": srv["satisfaction_min"]}
        if name == "sup_proxy":
            return {"occasions": col("occasions", rows, whole=True), "tenure": col("tenure_days", rows)}
        if name == "adv_proxy":
            return {"occasions": col("occasions", rows, whole=True), "cycles": prx["advocate_recency_cycles"]}
        if name == "ref":
            return {"value": col("referrals", rows, whole=True)}
        if name == "rec" and passed:
            return {"value": col("recommend", rows), "min": srv["recommend_min"]}
        if name == "rec":
            # a missing answer, or referral data that is not there, prints as "-"
            recommend = col("recommend", rows)
            shown = np.where(np.isnan(recommend), "-", _formatted(recommend, ".0f", len(rows))).astype(object)
            if not outcomes.have_referrals:
                return {"value": shown, "refs": "-"}
            return {"value": shown, "refs": np.nan_to_num(col("referrals", rows)).astype(int)}
        return {}  # no_proxy

    # the supporter test's sentence before the advocate test's, as they ran
    for tests, passes in ((outcomes.supporter, outcomes.supporter_ok), (outcomes.advocate, outcomes.advocate_ok)):
        for name in ("sat", "sup_proxy", "rec", "ref", "adv_proxy", "no_proxy"):
            for passed in (True, False):
                rows = np.flatnonzero((tests == name) & (passes == passed))
                if len(rows):
                    key = name if name == "no_proxy" else f"{name}_{'yes' if passed else 'no'}"
                    said = sentences(key, lang, n=len(rows), **values(name, passed, rows))
                    out[rows] = out[rows] + text["sep"] + said
    if outcomes.held is not None:
        # the hold after the tests it overrules, so the sentence reads "passed ...; held at regular: ..."
        for why in ("open", "recent"):
            rows = np.flatnonzero(outcomes.held == why)
            if not len(rows):
                continue
            if why == "open":
                said = sentences("held_open", lang, open=col("open_complaints", rows, whole=True))
            else:
                recent = rules["complaints"]["recent_days"]
                said = sentences("held_recent", lang, days=col("complaint_days", rows), recent=recent)
            out[rows] = out[rows] + text["sep"] + said
    return out


def complaint_notes(people, found, rules: Mapping[str, Any], held: np.ndarray | None, as_of: date) -> list[str]:
    """The ladder's notes on complaints: how many of the people placed complained, how many were held.

    ``people`` is the placed table (``customer_id, open_complaints``), ``found`` the complaint
    counts per complainer, ``held`` the :attr:`Outcomes.held` of the placement.
    """
    held = np.full(len(people), "", dtype=object) if held is None else held
    cmp = rules["complaints"]
    placed = people["customer_id"].isin(found["customer_id"])
    notes = [
        f"complaints up to {as_of.isoformat()}: {int(placed.sum())} of the people placed complained, "
        f"{int((people['open_complaints'] > 0).sum())} with a complaint still open"
    ]
    outside = int((~found["customer_id"].isin(people["customer_id"])).sum())
    if outside:
        notes.append(f"{outside} complainer(s) are not in the purchases, member list, survey or referrals: not placed")
    rule = "a complaint open at the analysis date" if cmp["cap_open"] else ""
    if cmp["recent_days"] > 0:
        recent = f"a complaint in the last {cmp['recent_days']:g} days"
        rule = f"{rule} or {recent}" if rule else recent
    if rule:
        n_open, n_recent = int((held == "open").sum()), int((held == "recent").sum())
        detail = f" ({n_open} open, {n_recent} recent)" if cmp["recent_days"] > 0 else ""
        held_count = n_open + n_recent
        who = "person" if held_count == 1 else "people"
        notes.append(
            f"{held_count} {who} held at regular by a complaint{detail}: {rule} is an unmet expectation, "
            "so no one with one is a supporter or advocate"
        )
    else:
        notes.append("complaints given but both complaint rules are off (cap_open = false, recent_days = 0)")
    return notes


def proxy_notes(people, rules: Mapping[str, Any], survey, referrals) -> list[str]:
    """The ladder's notes on the behavioural proxies: when they stood in for a survey, and for how many."""
    prx = rules["proxy"]
    notes = []
    top = people[people["rung"].isin(("regular", "supporter", "advocate"))]
    proxied = top[top["basis"] == "proxy"]
    if survey is None:
        notes.append(
            "no survey given: the supporter rung uses the behavioural proxy"
            if prx["use_proxies"]
            else "no survey given and proxies are off: no one rises above regular"
        )
    if survey is None and referrals is None:
        notes.append(
            "no recommend answers or referrals given: the advocate rung uses the behavioural proxy"
            if prx["use_proxies"]
            else "no recommend answers or referrals: no advocates can be named"
        )
    if len(proxied):
        notes.append(
            f"{len(proxied)} of {len(top)} regular(s) or above placed by proxy (basis = proxy): supporter = "
            f"occasions and tenure both at least the {prx['supporter_quantile']:g} quantile among regulars "
            f"(floors {prx['supporter_min_occasions']} occasions, {prx['supporter_min_tenure_days']:g} days); "
            f"advocate = a supporter with occasions at least the {prx['advocate_quantile']:g} quantile (floor "
            f"{prx['advocate_min_occasions']}) and a purchase within {prx['advocate_recency_cycles']:g} x own "
            f"mean gap"
        )
    return notes
