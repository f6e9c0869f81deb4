"""The loyalty ladder as data rules: one rung per person, the rule that put them there, the next step.

Rungs, bottom to top (Christopher, Payne & Ballantyne's relationship-marketing ladder, as
Chinese CRM textbooks name them):

- **suspect** 潜在顾客 — known (member/contact list, referred by someone, a return without a
  purchase), no purchase occasion and no sign of interest;
- **prospect** 可能顾客 — no purchase yet, but a sign of interest: registered, enquired,
  answered a survey, or referred someone;
- **customer** 顾客 — one purchase occasion; or a repeat buyer who is no longer active;
- **regular** 常客 — a repeat buyer who is active: P(alive) >= ``p_alive_min`` or days since the
  last purchase <= ``cycle_multiple`` x their own mean inter-purchase gap;
- **supporter** 支持者 — a regular whose survey satisfaction >= ``satisfaction_min``; without an
  answer, the proxy: occasions and tenure both at least the ``supporter_quantile`` quantile among
  all regulars (and the floors ``supporter_min_occasions``, ``supporter_min_tenure_days``);
- **advocate** 拥护者 — a supporter with recommend >= ``recommend_min`` or at least
  ``min_referrals`` referrals; with neither a recommend answer nor referral data, the proxy:
  occasions at least the ``advocate_quantile`` quantile among regulars (floor
  ``advocate_min_occasions``) and a purchase within ``advocate_recency_cycles`` x own mean gap.
  A recommend answer below the bar, or referral data showing none, is evidence: no proxy
  overrides it.

Thresholds are the keys of ``crmkit/ladder/ladder_rules.toml`` (:func:`load_rules`).

The ``basis`` column says how much to trust the top rungs: ``"behaviour"`` for people below
regular (purchases and contact flags decide), ``"survey"`` for regulars and above whose
supporter/advocate tests all used what they told us or did for us (survey answers, referral
records), ``"proxy"`` when any of those tests fell back to a behavioural proxy.

Lifecycle stages (Dwyer, Schurr & Oh 1987, "Developing buyer-seller relationships", J. of
Marketing 51(2); the phases as Chinese CRM textbooks name them), for buyers only; people who
never bought have stage ``"none"``. Checked in order:

1. decline 退化期 — a repeat buyer with P(alive) < ``decline_p_alive`` (when a model is fitted)
   or days since the last purchase > ``decline_gap_multiple`` x their mean gap; a one-time
   buyer whose only purchase is older than ``exploration_days``;
2. exploration 考察期 — one purchase occasion at most ``exploration_days`` ago;
3. stability 稳定期 — a repeat buyer with >= ``stability_min_occasions`` occasions and
   >= ``stability_min_tenure_days`` days since the first purchase;
4. formation 形成期 — every other repeat buyer (few occasions or short tenure).

P(alive) comes from a BG/NBD fit (Fader, Hardie & Lee 2005) on the repeat-purchase summary
(:func:`crmkit.clv.repeat_summary`); with fewer than ``min_repeat_buyers`` repeat buyers, or
when the fit fails, activity and decline use the own-cycle rules alone and ``notes`` says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from crmkit.io.toml import read_toml
from crmkit.errors import ColumnError, ConfigError, DataError, UsageError

__all__ = ["RUNGS", "STAGES", "LadderResult", "ladder", "ladder_at_two_dates", "load_rules", "migration",
           "migration_summary"]

#: Rung keys, bottom to top.
RUNGS: tuple[str, ...] = ("suspect", "prospect", "customer", "regular", "supporter", "advocate")
#: Lifecycle stage keys in relationship order; ``none`` for people who never bought.
STAGES: tuple[str, ...] = ("exploration", "formation", "stability", "decline", "none")
STAGE_LABELS = {
    "exploration": {"en": "Exploration", "zh": "考察期"},
    "formation": {"en": "Formation", "zh": "形成期"},
    "stability": {"en": "Stability", "zh": "稳定期"},
    "decline": {"en": "Decline", "zh": "退化期"},
    "none": {"en": "No relationship yet", "zh": "尚未建立关系"},
}
_RANK = {rung: i for i, rung in enumerate(RUNGS)}

# --- rules -----------------------------------------------------------------------------------

# (type, lower, upper, lower-inclusive) per key; types are checked strictly (a bool is not a number,
# because TOML `true` where a threshold belongs is a typo, not 1).
_NUMBER = (int, float)
_SCHEMA: dict[str, dict[str, tuple]] = {
    "activity": {"unit": (str, None, None, True), "min_repeat_buyers": (int, 2, None, True),
                 "p_alive_min": (_NUMBER, 0.0, 1.0, True), "cycle_multiple": (_NUMBER, 0.0, None, False)},
    "survey": {"satisfaction_min": (_NUMBER, 0.0, 100.0, True), "recommend_min": (_NUMBER, 0.0, 10.0, True),
               "min_referrals": (int, 1, None, True)},
    "proxy": {"use_proxies": (bool, None, None, True), "supporter_quantile": (_NUMBER, 0.0, 1.0, True),
              "supporter_min_occasions": (int, 2, None, True),
              "supporter_min_tenure_days": (_NUMBER, 0.0, None, True),
              "advocate_quantile": (_NUMBER, 0.0, 1.0, True), "advocate_min_occasions": (int, 2, None, True),
              "advocate_recency_cycles": (_NUMBER, 0.0, None, False)},
    "lifecycle": {"exploration_days": (_NUMBER, 0.0, None, False), "stability_min_occasions": (int, 2, None, True),
                  "stability_min_tenure_days": (_NUMBER, 0.0, None, True),
                  "decline_p_alive": (_NUMBER, 0.0, 1.0, True), "decline_gap_multiple": (_NUMBER, 0.0, None, False)},
}
_RUNG_KEYS = ("label_en", "label_zh", "next_action_en", "next_action_zh")


def _check_value(name: str, value, spec, source: str):
    kind, low, high, low_inclusive = spec
    if isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"{name} must be a {'whole ' if kind is int else ''}number, not {value!r}", file=source)
    if not isinstance(value, kind):
        what = {bool: "true or false", str: "a string", int: "a whole number"}.get(kind, "a number")
        raise ConfigError(f"{name} must be {what}, not {value!r}", file=source)
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, not {value!r}", file=source)
    if low is not None and (value < low if low_inclusive else value <= low):
        raise ConfigError(f"{name} must be {'at least' if low_inclusive else 'greater than'} {low}, not {value!r}",
                          file=source)
    if high is not None and value > high:
        raise ConfigError(f"{name} must be at most {high}, not {value!r}", file=source)
    return float(value) if kind is _NUMBER else value


def _merge(rules: dict, data: Mapping, source: str) -> dict:
    """``data`` validated and laid over ``rules`` (a complete rule set), key by key."""
    from crmkit.clv import UNIT_DAYS

    allowed = sorted([*_SCHEMA, "rungs"])
    for section, table in data.items():
        if section not in _SCHEMA and section != "rungs":
            raise ConfigError(f"unknown section [{section}]", file=source, hint="allowed: " + ", ".join(allowed))
        if not isinstance(table, Mapping):
            raise ConfigError(f"{section} must be a table ([{section}]), not {table!r}", file=source)
        if section == "rungs":
            for rung, texts in table.items():
                if rung not in RUNGS:
                    raise ConfigError(f"unknown rung rungs.{rung}", file=source, hint="rungs: " + ", ".join(RUNGS))
                if not isinstance(texts, Mapping):
                    raise ConfigError(f"rungs.{rung} must be a table, not {texts!r}", file=source)
                for key, text in texts.items():
                    if key not in _RUNG_KEYS:
                        raise ConfigError(f"unknown key rungs.{rung}.{key}", file=source,
                                          hint="allowed: " + ", ".join(_RUNG_KEYS))
                    rules["rungs"][rung][key] = _check_value(f"rungs.{rung}.{key}", text, (str, None, None, True),
                                                             source)
            continue
        for key, value in table.items():
            if key not in _SCHEMA[section]:
                raise ConfigError(f"unknown key {section}.{key}", file=source,
                                  hint="allowed: " + ", ".join(_SCHEMA[section]))
            rules[section][key] = _check_value(f"{section}.{key}", value, _SCHEMA[section][key], source)
    if rules["activity"]["unit"] not in UNIT_DAYS:
        raise ConfigError(f"activity.unit must be one of {', '.join(UNIT_DAYS)}, not {rules['activity']['unit']!r}",
                          file=source)
    return rules


def _defaults() -> dict:
    data, _ = read_toml("ladder_rules", flag="--rules", what="rules file", package="crmkit.ladder",
                        builtins=("ladder_rules",))
    rules = {section: {} for section in _SCHEMA}
    rules["rungs"] = {rung: {} for rung in RUNGS}
    rules = _merge(rules, data, "ladder_rules.toml")
    # the shipped file is the single source of the defaults, so it must name every key
    for section, keys in _SCHEMA.items():
        for key in keys:
            if key not in rules[section]:
                raise ConfigError(f"missing key {section}.{key}", file="ladder_rules.toml")
    for rung in RUNGS:
        for key in _RUNG_KEYS:
            if key not in rules["rungs"][rung]:
                raise ConfigError(f"missing key rungs.{rung}.{key}", file="ladder_rules.toml")
    return rules


def load_rules(path: str | Path | Mapping | None = None) -> dict:
    """The ladder rules: the defaults in ``crmkit/ladder/ladder_rules.toml``, overridden by a user's file.

    Parameters
    ----------
    path : str, pathlib.Path, mapping or None
        ``None`` for the defaults; a TOML file (``--rules FILE``) or an already-parsed mapping
        holding only the keys to change (``{"survey": {"satisfaction_min": 80}}``).

    Returns
    -------
    dict
        ``{"activity": {...}, "survey": {...}, "proxy": {...}, "lifecycle": {...},
        "rungs": {rung: {"label_en", "label_zh", "next_action_en", "next_action_zh"}}}``, every
        key present, numbers as float (whole-number keys as int).

    Raises
    ------
    crmkit.errors.ConfigError
        A file that is unreadable or not TOML, an unknown section or key, a value of the wrong type
        or out of range; the message names the key (``survey.recommend_min must be at most 10.0``).
    crmkit.errors.UsageError
        ``path`` names no file.

    Examples
    --------
    >>> load_rules()["activity"]["p_alive_min"]
    0.5
    >>> load_rules({"survey": {"satisfaction_min": 80}})["survey"]["satisfaction_min"]
    80.0
    """
    rules = _defaults()
    if path is None:
        return rules
    if isinstance(path, Mapping):
        return _merge(rules, path, "rules")
    data, source = read_toml(str(path), flag="--rules", what="rules file")
    return _merge(rules, data, source)


# --- inputs ----------------------------------------------------------------------------------

def _as_date(value, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        import pandas as pd

        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        raise UsageError(f"{name} must be a date such as 2024-12-31, not {value!r}") from None


def _require(frame, columns, what: str):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ColumnError(f"{what} has no {', '.join(missing)} column",
                          hint="columns found: " + ", ".join(map(str, frame.columns)))


def _ids(series):
    # Exports read by crmkit.io.purchases keep ids as text; a caller's frame may hold numbers. One type
    # everywhere, or member 17 and customer "17" would be two people.
    return series.astype("string").str.strip()


def _dated(frame, as_of: date):
    """Rows on or before ``as_of`` when the frame has a ``date`` column (referrals, survey)."""
    import pandas as pd

    if frame is None or "date" not in frame.columns:
        return frame
    return frame[pd.to_datetime(frame["date"]).dt.date <= as_of]


def _flag(frame, column: str):
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).astype(bool).to_numpy()


# --- the ladder ------------------------------------------------------------------------------

@dataclass
class LadderResult:
    """Everything ``crmkit ladder`` computes.

    Attributes
    ----------
    people : pandas.DataFrame
        One row per person, sorted by rung (top first) then id: ``customer_id, rung, rung_label,
        lifecycle_stage, stage_label, reason, next_action, basis, p_alive, frequency, occasions,
        recency_days, tenure_days, mean_gap_days, satisfaction, recommend, referrals``.
        ``frequency`` = repeat occasions (occasions - 1, as in :mod:`crmkit.clv`); ``recency_days``
        = days from the last purchase to ``as_of``; ``p_alive`` is NaN without a model and for
        people who never bought.
    distribution : pandas.DataFrame
        ``rung, rung_label, count, share``, one row per rung in ladder order (bottom first).
    stages : pandas.DataFrame
        ``lifecycle_stage, stage_label, count, share`` in :data:`STAGES` order.
    notes : list of str
        How P(alive) was obtained and which proxies were used for how many people.
    as_of : datetime.date
    rules : dict
        The rules used (:func:`load_rules`).
    model : dict or None
        BG/NBD parameters and settings, or None when no model was fitted.
    """

    people: object
    distribution: object
    stages: object
    notes: list
    as_of: date
    rules: dict
    lang: str = "en"
    model: dict | None = None


_REASONS = {
    "en": {
        "suspect": "known contact ({source}); no purchase and no sign of interest",
        "prospect": "no purchase yet; sign of interest: {signs}",
        "one": "one purchase occasion, {recency:.0f} days ago",
        "lapsed": "{occasions} purchase occasions but not active: {activity}",
        "regular": "{occasions} purchase occasions and active: {activity}",
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
        "and": " and ", "or": " or ", "sep": "; ",
        "signs": {"registered": "registered", "enquired": "enquired", "survey": "answered a survey",
                  "referrer": "referred someone"},
        "sources": {"member": "member list", "referred": "referred by a customer", "purchases": "purchase file",
                    "survey": "survey", "referrer": "referral file"},
    },
    "zh": {
        "suspect": "已知联系人（{source}）；无购买、无兴趣表示",
        "prospect": "尚未购买；有兴趣表示：{signs}",
        "one": "购买 1 次，距今 {recency:.0f} 天",
        "lapsed": "购买 {occasions} 次但已不活跃：{activity}",
        "regular": "购买 {occasions} 次且仍活跃：{activity}",
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
        "and": "且", "or": "或", "sep": "；",
        "signs": {"registered": "已注册", "enquired": "已咨询", "survey": "参与调查", "referrer": "推荐过他人"},
        "sources": {"member": "会员名单", "referred": "由顾客推荐", "purchases": "购买记录", "survey": "调查",
                    "referrer": "推荐记录"},
    },
}


def _fit_p_alive(summary, rules: dict, notes: list) -> tuple[np.ndarray, dict | None]:
    """P(alive) per buyer from a BG/NBD fit, or NaN (and a note) when none can be fitted."""
    from crmkit.errors import FitError
    from crmkit.models import BetaGeoModel

    nan = np.full(len(summary), np.nan)
    repeaters = int((summary["x"] > 0).sum())
    minimum = rules["activity"]["min_repeat_buyers"]
    fallback = (f"activity judged by the own-cycle rule only (days since last purchase <= "
                f"{rules['activity']['cycle_multiple']:g} x own mean gap; decline beyond "
                f"{rules['lifecycle']['decline_gap_multiple']:g} x)")
    if repeaters < minimum:
        notes.append(f"only {repeaters} repeat buyer(s), fewer than {minimum}: no BG/NBD model; {fallback}")
        return nan, None
    x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
    try:
        model = BetaGeoModel().fit(x, t_x, T)
    except FitError as exc:
        notes.append(f"the BG/NBD fit failed ({exc.message}); {fallback}")
        return nan, None
    notes.append(f"P(alive) from a BG/NBD model fitted on {len(summary)} buyers ({repeaters} repeat buyers), "
                 f"unit {rules['activity']['unit']}")
    return (np.asarray(model.p_alive(x, t_x, T), dtype=float),
            {"model": "bgnbd", "unit": rules["activity"]["unit"], "params": dict(model.params_),
             "converged": bool(model.converged_)})


def _buyers(transactions, as_of: date, rules: dict, notes: list):
    """Per buyer: occasions, day-based recency/tenure/mean gap, model-clock x/t_x/T, P(alive)."""
    import pandas as pd

    from crmkit.clv import repeat_summary

    summary = repeat_summary(transactions, as_of, unit=rules["activity"]["unit"])
    p_alive, model = _fit_p_alive(summary, rules, notes) if len(summary) else (np.zeros(0), None)
    day = pd.Timestamp(as_of)
    buyers = pd.DataFrame({
        "customer_id": _ids(summary["customer_id"]).to_numpy(),
        "frequency": summary["x"].to_numpy(int),
        "recency_days": (day - pd.to_datetime(summary["last_purchase"])).dt.days.to_numpy(float),
        "tenure_days": (day - pd.to_datetime(summary["first_purchase"])).dt.days.to_numpy(float),
        "p_alive": p_alive,
    })
    buyers["occasions"] = buyers["frequency"] + 1
    span = buyers["tenure_days"] - buyers["recency_days"]
    # mean inter-purchase time; undefined for one-time buyers (no rhythm yet)
    buyers["mean_gap_days"] = np.where(buyers["frequency"] > 0, span / buyers["frequency"].clip(lower=1), np.nan)
    return buyers, model


def _known_people(transactions, as_of: date, members, survey, referrals):
    """Every person the ladder places, with where we know them from and their signs of interest."""
    import pandas as pd

    frames = []
    dates = pd.to_datetime(transactions["date"])
    seen = transactions.loc[(dates.dt.date <= as_of).to_numpy(), "customer_id"]
    frames.append(pd.DataFrame({"customer_id": _ids(seen), "source": "purchases"}))
    if members is not None:
        frames.append(pd.DataFrame({"customer_id": _ids(members["customer_id"]), "source": "member",
                                    "registered": _flag(members, "registered"),
                                    "enquired": _flag(members, "enquired")}))
    if survey is not None:
        frames.append(pd.DataFrame({"customer_id": _ids(survey["customer_id"]), "source": "survey",
                                    "survey": True}))
    if referrals is not None:
        frames.append(pd.DataFrame({"customer_id": _ids(referrals["referrer_id"]), "source": "referrer",
                                    "referrer": True}))
        frames.append(pd.DataFrame({"customer_id": _ids(referrals["referred_id"]), "source": "referred"}))
    known = pd.concat(frames, ignore_index=True)
    known = known[known["customer_id"].notna() & (known["customer_id"] != "")]
    for sign in ("registered", "enquired", "survey", "referrer"):
        known[sign] = known[sign].fillna(False).astype(bool) if sign in known else False
    # the first source listed wins: the member list is the most telling for a suspect
    order = {"member": 0, "referred": 1, "purchases": 2, "survey": 3, "referrer": 4}
    known["order"] = known["source"].map(order)
    return known.sort_values("order", kind="stable").groupby("customer_id", sort=True).agg(
        source=("source", "first"), registered=("registered", "any"), enquired=("enquired", "any"),
        survey=("survey", "any"), referrer=("referrer", "any")).reset_index()


def _survey_scores(survey):
    """Mean satisfaction and recommend answer per respondent (several responses are averaged)."""
    import pandas as pd

    if survey is None:
        return pd.DataFrame(columns=["customer_id", "satisfaction", "recommend"])
    out = pd.DataFrame({"customer_id": _ids(survey["customer_id"])})
    for column, high in (("satisfaction", 100.0), ("recommend", 10.0)):
        if column in survey.columns:
            values = pd.to_numeric(survey[column], errors="coerce")
            bad = values[(values < 0) | (values > high)]
            if len(bad):
                raise DataError(f"{column} must be between 0 and {high:g}, not {bad.iloc[0]!r}", column=column)
            out[column] = values.to_numpy(float)
        else:
            out[column] = np.nan
    return out.groupby("customer_id", sort=False)[["satisfaction", "recommend"]].mean().reset_index()


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else math.inf


def ladder(transactions, as_of, *, members=None, survey=None, referrals=None, rules=None,
           lang: str = "en") -> LadderResult:
    """Place every known person on the loyalty ladder and in a relationship lifecycle stage.

    Parameters
    ----------
    transactions : pandas.DataFrame or crmkit.io.purchases.PurchaseData
        One row per transaction: ``customer_id, date, amount, is_return``. Rows after ``as_of``
        are ignored.
    as_of : datetime.date or str
        The analysis date.
    members : pandas.DataFrame, optional
        The member/contact list: ``customer_id`` and optional boolean ``registered``, ``enquired``
        (a sign of interest). Without it the ladder knows only buyers, respondents and referrals.
    survey : pandas.DataFrame, optional
        One row per respondent: ``customer_id`` and optional ``satisfaction`` (0-100, e.g. the
        satisfaction index of :func:`crmkit.satisfaction.analyse_survey` ``.respondents``) and
        ``recommend`` (0-10); an optional ``date`` drops answers after ``as_of``. Several answers
        of one person are averaged. Answering at all is a sign of interest.
    referrals : pandas.DataFrame, optional
        ``referrer_id, referred_id`` (:func:`crmkit.io.inputs.read_referrals`), optional ``date``.
        Referring someone is a sign of interest; a referred person is a known contact.
    rules : str, pathlib.Path, mapping or None
        Rules file or overrides, see :func:`load_rules`.
    lang : {"en", "zh"}
        Language of ``rung_label``, ``stage_label``, ``reason`` and ``next_action``.

    Returns
    -------
    LadderResult

    Raises
    ------
    crmkit.errors.ColumnError
        An input lacks a required column.
    crmkit.errors.DataError
        A survey answer out of range.
    crmkit.errors.ConfigError
        Invalid rules.

    Examples
    --------
    >>> import pandas as pd, datetime
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-03-01"]),
    ...                    "amount": [10.0, 20.0, 40.0, 5.0], "is_return": [False] * 4})
    >>> result = ladder(tx, datetime.date(2024, 3, 10), members=pd.DataFrame({"customer_id": ["c"]}))
    >>> result.people.set_index("customer_id")["rung"].to_dict()
    {'a': 'regular', 'b': 'customer', 'c': 'suspect'}
    """
    import pandas as pd

    from crmkit.report.i18n import check_lang

    lang = check_lang(lang)
    rules = load_rules(rules)
    as_of = _as_date(as_of, "as_of")
    if hasattr(transactions, "con") and hasattr(transactions, "sql"):
        transactions = transactions.con.sql(transactions.sql).df()
    _require(transactions, ("customer_id", "date", "amount", "is_return"), "the transactions")
    if members is not None:
        _require(members, ("customer_id",), "the member list")
    if survey is not None:
        _require(survey, ("customer_id",), "the survey")
    if referrals is not None:
        _require(referrals, ("referrer_id", "referred_id"), "the referrals")
    survey, referrals = _dated(survey, as_of), _dated(referrals, as_of)

    notes: list[str] = []
    buyers, model = _buyers(transactions, as_of, rules, notes)
    people = _known_people(transactions, as_of, members, survey, referrals).merge(buyers, on="customer_id",
                                                                                   how="left")
    people = people.merge(_survey_scores(survey), on="customer_id", how="left")
    if referrals is not None:
        counts = _ids(referrals["referrer_id"]).value_counts()
        people["referrals"] = people["customer_id"].map(counts).fillna(0).astype(int)
    else:
        people["referrals"] = pd.array([pd.NA] * len(people), dtype="Int64")

    placed = _place(people, rules, lang, model is not None, referrals is not None)
    people = pd.concat([people, placed], axis=1)
    labels = {r: rules["rungs"][r][f"label_{lang}"] for r in RUNGS}
    people["rung_label"] = people["rung"].map(labels)
    people["stage_label"] = people["lifecycle_stage"].map({s: STAGE_LABELS[s][lang] for s in STAGES})
    people["next_action"] = people["rung"].map({r: rules["rungs"][r][f"next_action_{lang}"] for r in RUNGS})
    people["_rank"] = people["rung"].map(_RANK)
    people = people.sort_values(["_rank", "customer_id"], ascending=[False, True], kind="stable")
    columns = ["customer_id", "rung", "rung_label", "lifecycle_stage", "stage_label", "reason", "next_action",
               "basis", "p_alive", "frequency", "occasions", "recency_days", "tenure_days", "mean_gap_days",
               "satisfaction", "recommend", "referrals"]
    people = people[columns].reset_index(drop=True)
    for column in ("frequency", "occasions"):
        people[column] = people[column].astype("Int64")
    notes.extend(_proxy_notes(people, rules, survey, referrals))
    return LadderResult(people=people, distribution=_distribution(people, labels),
                        stages=_stage_table(people, lang), notes=notes, as_of=as_of, rules=rules, lang=lang,
                        model=model)


def _place(people, rules: dict, lang: str, fitted: bool, have_referrals: bool):
    """Rung, reason, basis and lifecycle stage per person (a row loop: each reason is a sentence)."""
    import pandas as pd

    text = _REASONS[lang]
    act, srv, prx, life = rules["activity"], rules["survey"], rules["proxy"], rules["lifecycle"]
    sep = text["sep"]

    def activity(p) -> tuple[bool, str]:
        # P(alive) or the own cycle: either shows an active repeat buyer (issue #5); both are
        # reported so a reader sees why a lapsed buyer is lapsed.
        parts, active = [], False
        if fitted:
            ok = p.p_alive >= act["p_alive_min"]
            active |= ok
            parts.append(text["p_alive"].format(value=p.p_alive, op=">=" if ok else "<", min=act["p_alive_min"]))
        ok = p.recency_days <= act["cycle_multiple"] * p.mean_gap_days
        active |= ok
        parts.append(text["cycle"].format(recency=p.recency_days, op="<=" if ok else ">", k=act["cycle_multiple"],
                                          gap=p.mean_gap_days))
        return bool(active), (text["or"] if active else text["and"]).join(parts)

    regulars = people[(people["frequency"] > 0)].copy()
    flags = [activity(p)[0] for p in regulars.itertuples()]
    regulars = regulars[np.array(flags, dtype=bool)] if len(regulars) else regulars
    sup_occ = max(prx["supporter_min_occasions"], _quantile(regulars["occasions"].to_numpy(float),
                                                              prx["supporter_quantile"]))
    sup_ten = max(prx["supporter_min_tenure_days"], _quantile(regulars["tenure_days"].to_numpy(float),
                                                                prx["supporter_quantile"]))
    adv_occ = max(prx["advocate_min_occasions"], _quantile(regulars["occasions"].to_numpy(float),
                                                             prx["advocate_quantile"]))

    rows = []
    for p in people.itertuples():
        stage, basis = "none", "behaviour"
        if pd.isna(p.frequency):
            signs = [text["signs"][s] for s in ("registered", "enquired", "survey", "referrer") if getattr(p, s)]
            if signs:
                rung, reason = "prospect", text["prospect"].format(signs=", ".join(signs) if lang == "en"
                                                                    else "、".join(signs))
            else:
                rung, reason = "suspect", text["suspect"].format(source=text["sources"][p.source])
            rows.append((rung, reason, basis, stage))
            continue
        occasions = int(p.occasions)
        if occasions == 1:
            rung, reason = "customer", text["one"].format(recency=p.recency_days)
            stage = "exploration" if p.recency_days <= life["exploration_days"] else "decline"
            rows.append((rung, reason, basis, stage))
            continue
        # repeat buyers: the stage first, it does not depend on the rung
        declining = p.recency_days > life["decline_gap_multiple"] * p.mean_gap_days or (
            fitted and p.p_alive < life["decline_p_alive"])
        if declining:
            stage = "decline"
        elif occasions >= life["stability_min_occasions"] and p.tenure_days >= life["stability_min_tenure_days"]:
            stage = "stability"
        else:
            stage = "formation"
        active, why = activity(p)
        if not active:
            rows.append(("customer", text["lapsed"].format(occasions=occasions, activity=why), basis, stage))
            continue
        rung, reasons = "regular", [text["regular"].format(occasions=occasions, activity=why)]
        # supporter: the survey when the person answered it, else the proxy
        if not pd.isna(p.satisfaction):
            basis = "survey"
            supporter = p.satisfaction >= srv["satisfaction_min"]
            reasons.append(text["sat_yes" if supporter else "sat_no"].format(value=p.satisfaction,
                                                                             min=srv["satisfaction_min"]))
        elif prx["use_proxies"]:
            basis = "proxy"
            supporter = occasions >= sup_occ and p.tenure_days >= sup_ten
            reasons.append(text["sup_proxy_yes" if supporter else "sup_proxy_no"].format(
                occasions=occasions, tenure=p.tenure_days))
        else:
            supporter = False
            reasons.append(text["no_proxy"])
        if supporter:
            rung = "supporter"
            answered = not pd.isna(p.recommend)
            refs = 0 if pd.isna(p.referrals) else int(p.referrals)
            if answered and p.recommend >= srv["recommend_min"]:
                rung = "advocate"
                reasons.append(text["rec_yes"].format(value=p.recommend, min=srv["recommend_min"]))
            elif have_referrals and refs >= srv["min_referrals"]:
                rung = "advocate"
                reasons.append(text["ref_yes"].format(value=refs))
            elif answered or have_referrals:
                # evidence that they do not (yet) recommend: no proxy overrides it
                reasons.append(text["rec_no"].format(value="-" if not answered else f"{p.recommend:.0f}",
                                                     refs=refs if have_referrals else "-"))
            elif prx["use_proxies"]:
                basis = "proxy"
                recent = p.recency_days <= prx["advocate_recency_cycles"] * p.mean_gap_days
                if occasions >= adv_occ and recent:
                    rung = "advocate"
                reasons.append(text["adv_proxy_yes" if rung == "advocate" else "adv_proxy_no"].format(
                    occasions=occasions, cycles=prx["advocate_recency_cycles"]))
            else:
                reasons.append(text["no_proxy"])
        rows.append((rung, sep.join(reasons), basis, stage))
    return pd.DataFrame(rows, columns=["rung", "reason", "basis", "lifecycle_stage"], index=people.index)


def _proxy_notes(people, rules: dict, survey, referrals) -> list[str]:
    prx = rules["proxy"]
    notes = []
    top = people[people["rung"].isin(("regular", "supporter", "advocate"))]
    proxied = top[top["basis"] == "proxy"]
    if survey is None:
        notes.append("no survey given: the supporter rung uses the behavioural proxy" if prx["use_proxies"]
                     else "no survey given and proxies are off: no one rises above regular")
    if survey is None and referrals is None:
        notes.append("no recommend answers or referrals given: the advocate rung uses the behavioural proxy"
                     if prx["use_proxies"] else "no recommend answers or referrals: no advocates can be named")
    if len(proxied):
        notes.append(
            f"{len(proxied)} of {len(top)} regular(s) or above placed by proxy (basis = proxy): supporter = "
            f"occasions and tenure both at least the {prx['supporter_quantile']:g} quantile among regulars "
            f"(floors {prx['supporter_min_occasions']} occasions, {prx['supporter_min_tenure_days']:g} days); "
            f"advocate = a supporter with occasions at least the {prx['advocate_quantile']:g} quantile (floor "
            f"{prx['advocate_min_occasions']}) and a purchase within {prx['advocate_recency_cycles']:g} x own "
            f"mean gap")
    return notes


def _distribution(people, labels: dict):
    import pandas as pd

    counts = people["rung"].value_counts().reindex(list(RUNGS), fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame({"rung": list(RUNGS), "rung_label": [labels[r] for r in RUNGS],
                         "count": counts.to_numpy(int),
                         "share": counts.to_numpy(float) / total if total else np.zeros(len(RUNGS))})


def _stage_table(people, lang: str):
    import pandas as pd

    counts = people["lifecycle_stage"].value_counts().reindex(list(STAGES), fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame({"lifecycle_stage": list(STAGES), "stage_label": [STAGE_LABELS[s][lang] for s in STAGES],
                         "count": counts.to_numpy(int),
                         "share": counts.to_numpy(float) / total if total else np.zeros(len(STAGES))})


# --- migration -------------------------------------------------------------------------------

def migration(before: LadderResult, after: LadderResult):
    """The migration matrix between two ladders: who moved from which rung to which.

    Rows are the rung at the earlier date plus ``new`` (people absent from ``before``); columns
    are the rung at the later date plus ``left`` (people absent from ``after``). The ``new`` /
    ``left`` cell is always 0. So each rung row sums to that rung's count in ``before``, the
    ``new`` row to the people only in ``after``; each rung column sums to that rung's count in
    ``after``, the ``left`` column to the people only in ``before``; the grand total is everyone
    in either ladder.

    Parameters
    ----------
    before, after : LadderResult
        Ladders at the earlier and the later date.

    Returns
    -------
    pandas.DataFrame
        Integer counts, index ``RUNGS + ("new",)`` named ``before``, columns
        ``RUNGS + ("left",)`` named ``after``.

    Examples
    --------
    >>> import pandas as pd, datetime
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-01"]),
    ...                    "amount": [1.0, 1.0, 1.0], "is_return": [False] * 3})
    >>> m = migration(ladder(tx, "2024-01-15"), ladder(tx, "2024-02-15"))
    >>> int(m.loc["customer", "regular"]), int(m.loc["new", "customer"])
    (1, 1)
    """
    import pandas as pd

    rows, cols = [*RUNGS, "new"], [*RUNGS, "left"]
    pairs = before.people[["customer_id", "rung"]].merge(after.people[["customer_id", "rung"]], on="customer_id",
                                                         how="outer", suffixes=("_before", "_after"))
    pairs["rung_before"] = pairs["rung_before"].fillna("new")
    pairs["rung_after"] = pairs["rung_after"].fillna("left")
    matrix = pd.crosstab(pairs["rung_before"], pairs["rung_after"]).reindex(index=rows, columns=cols,
                                                                            fill_value=0)
    matrix.index.name, matrix.columns.name = "before", "after"
    return matrix.astype(int)


def migration_summary(matrix):
    """Moved up / slipped down / stayed / left / new, from a :func:`migration` matrix.

    Returns
    -------
    pandas.DataFrame
        ``movement, people, share`` with movements ``moved_up, stayed, slipped_down, new, left``;
        shares are of everyone in either ladder.
    """
    import pandas as pd

    counts = dict.fromkeys(("moved_up", "stayed", "slipped_down", "new", "left"), 0)
    for r_before in RUNGS:
        for r_after in RUNGS:
            n = int(matrix.loc[r_before, r_after])
            step = _RANK[r_after] - _RANK[r_before]
            counts["moved_up" if step > 0 else "slipped_down" if step < 0 else "stayed"] += n
    counts["new"] = int(matrix.loc["new", list(RUNGS)].sum())
    counts["left"] = int(matrix.loc[list(RUNGS), "left"].sum())
    total = sum(counts.values())
    return pd.DataFrame({"movement": list(counts), "people": list(counts.values()),
                         "share": [n / total if total else 0.0 for n in counts.values()]})


def ladder_at_two_dates(transactions, as_of, compare_to, **kw):
    """Ladders at two dates and the migration between them.

    Parameters
    ----------
    transactions : pandas.DataFrame or crmkit.io.purchases.PurchaseData
    as_of, compare_to : datetime.date or str
        The two dates, in either order: the earlier one is ``before``.
    **kw
        Passed to :func:`ladder` for both dates (``members``, ``survey``, ``referrals``,
        ``rules``, ``lang``). Survey answers and referrals with a ``date`` column count only up
        to each date; a member list has no dates and is the same at both.

    Returns
    -------
    before, after : LadderResult
    matrix : pandas.DataFrame
        :func:`migration` of ``before`` to ``after``.
    """
    first, second = sorted((_as_date(compare_to, "compare_to"), _as_date(as_of, "as_of")))
    # read a rules file once, not once per date
    kw["rules"] = load_rules(kw.get("rules"))
    before = ladder(transactions, first, **kw)
    after = ladder(transactions, second, **kw)
    return before, after, migration(before, after)


def month_before(day: date) -> date:
    """The same day one month earlier (the month's last day when it has no such day): the default
    date the ladder is compared with."""
    import calendar

    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
