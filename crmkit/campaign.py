"""Did the campaign work? Each arm of a campaign against its control, over windows after contact.

For every customer of the campaign file (:func:`crmkit.io.campaigns.read_campaign`) and every
window ``w`` (``30d``, ``4w``, ``2m``), the purchases (:func:`crmkit.io.purchases.as_purchases`)
are counted in the window after contact, ``[contact, contact + w)``, and in the same window
before, ``[contact - w, contact)``:

* ``converted`` — bought at least once after (an order: an order id when the export has one, else
  a purchase day); ``revenue`` — net revenue after (returns subtract); ``orders``; ``aov`` — revenue
  per order among those who bought; ``retained`` — bought after, among those who bought before;
  ``upgraded`` — the RFM score sum (R + F + M, :func:`crmkit.segment.segment`) at the window's last
  day above the one the day before contact (a first purchase is an upgrade from no score).

With a control arm (randomised evidence) each other arm is compared with it: the difference, its
interval and p-value (:mod:`crmkit.models.effects`: Newcombe's interval for rates, Welch's or a
bootstrap interval for means), and beside the plain estimate the CUPED one (Deng et al. 2013),
which uses the pre-window value as covariate. Without one (everyone contacted) each contacted
customer is matched with a customer who was not, on recency, frequency, log monetary value and
tenure at contact (exact on the RFM segment where possible), and the effect is the mean of the
pairs' differences-in-differences, ``(post - pre)_contacted - (post - pre)_match``: observational
evidence, weaker, never causal, and labelled so on every row.

Economics: incremental revenue = difference × customers in the arm (and its interval);
incremental profit = × margin; ROI = (incremental profit - cost) / cost. Power: the minimum
detectable effect at the observed sizes and the customers per arm a future test needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from crmkit.errors import CrmkitError, UsageError
from crmkit.io.campaigns import CampaignFile, read_campaign
from crmkit.io.engine import money, unique_name
from crmkit.io.options import check_lang
from crmkit.io.purchases import as_purchases
from crmkit.io.quality import Message

#: The result's tables, in the order a report shows them (:meth:`CampaignResult.view`).
VIEWS = ("effects", "arms", "economics", "segments", "power", "balance", "customers")
#: Outcomes compared per arm: rates (Newcombe) and means (Welch / bootstrap).
RATES = ("conversion", "retention", "upgrade")
MEANS = ("revenue", "orders", "aov")
#: The outcome's per-customer column, and (for CUPED and differences-in-differences) its pre-window one.
OUTCOME = {"conversion": "converted", "revenue": "revenue", "orders": "orders", "aov": "aov",
           "retention": "retained", "upgrade": "upgraded"}  # fmt: skip
PRE = {"conversion": "pre_converted", "revenue": "pre_revenue", "orders": "pre_orders"}
#: Covariates of the matching and the balance check (at contact, from the purchases before it).
COVARIATES = ("recency_days", "frequency", "log_monetary", "tenure_days")
#: Above this |standardized difference| an arm is out of balance (Austin 2009).
BALANCE_LIMIT = 0.1
#: RFM upgrades are computed when the contact dates are this few (segment runs: dates × windows).
UPGRADE_DATES = 3
EFFECT_COLUMNS = (
    "window", "window_days", "arm", "versus", "metric", "adjustment", "method", "evidence", "n_treated",
    "n_control", "treated", "control", "treated_pre", "control_pre", "difference", "ci_low", "ci_high",
    "p_value", "relative_lift", "variance_reduction", "complete",
)  # fmt: skip


@dataclass
class CampaignResult:
    """What :func:`campaign` found.

    Attributes
    ----------
    effects : pandas.DataFrame
        One row per window, arm, metric and adjustment (:data:`EFFECT_COLUMNS`): ``difference`` =
        treated - control (matched: the mean difference-in-differences of the pairs), its
        ``ci_low``/``ci_high`` at 1 - alpha, ``p_value``, ``relative_lift`` = difference / control,
        ``adjustment`` ``none``, ``cuped`` or ``did``; ``complete`` False when some customers'
        windows run past the data's last day.
    arms : pandas.DataFrame
        Per window and arm: customers, the rates and means after and before contact.
    economics : pandas.DataFrame
        Per window and treated arm: incremental revenue and profit with intervals, cost, net, ROI.
    segments : pandas.DataFrame
        Per window, treated arm and RFM segment at contact: conversion and revenue differences;
        ``largest`` marks the segment with the largest conversion difference.
    power : pandas.DataFrame
        Per window, arm and metric: the minimum detectable effect and the customers per arm needed.
    balance : pandas.DataFrame
        Standardized differences of the covariates at contact between treated and comparison.
    customers : pandas.DataFrame
        One row per customer (and matched comparison customer) and window.
    headline : dict
        Plain JSON values: the first window's first arm.
    notes, warnings : list of Message
    evidence : str
        ``"randomised"`` or ``"matched"``.
    """

    effects: Any
    arms: Any
    economics: Any
    segments: Any
    power: Any
    balance: Any
    customers: Any
    headline: dict
    evidence: str
    control: str | None
    windows: tuple[str, ...]
    method: str
    alpha: float
    lang: str
    notes: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    VIEWS = VIEWS

    def view(self, name: str):
        """One of :data:`VIEWS` as a DataFrame (a copy)."""
        if name not in VIEWS:
            raise UsageError(f"--view takes {', '.join(VIEWS)}, not {name!r}")
        return getattr(self, name).copy()

    def rows(self):
        """The effects table, what ``crmkit campaign -f csv`` writes by default."""
        return self.view("effects")

    def to_dict(self) -> dict:
        """Everything as JSON-ready values."""
        from crmkit.io.engine import records

        return {
            "headline": dict(self.headline),
            **{name: records(getattr(self, name)) for name in VIEWS},
            "notes": [str(n) for n in self.notes],
            "warnings": [str(w) for w in self.warnings],
        }


def parse_window(window: int | str) -> tuple[str, int]:
    """A window's name and length in days: ``"30d"`` is 30, ``"4w"`` 28, ``"2m"`` 60 (30-day months).

    Examples
    --------
    >>> parse_window("30d"), parse_window("2m"), parse_window(14)
    (('30d', 30), ('2m', 60), ('14d', 14))
    """
    from crmkit.care import parse_within

    try:
        days = parse_within(window)
    except UsageError as exc:
        raise UsageError(str(exc).replace("--within", "--window")) from None
    name = f"{window}d" if isinstance(window, int | np.integer) else str(window).strip()
    return name, days


def plain(value) -> Any:
    """A JSON-safe scalar: numpy numbers as Python ones, NaN and NaT as None."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _campaign_file(source, contact_date, control) -> CampaignFile:
    import pandas as pd

    if isinstance(source, CampaignFile):
        return source
    if isinstance(source, pd.DataFrame) and {"customer_id", "group", "contact_date"} <= set(source.columns):
        source = source.astype({c: str for c in ("customer_id", "group") if c in source})
    return read_campaign(source, contact_date=contact_date, control=control)


def _people(con, people, days: int, key: str):
    """Per row of ``people`` (``k, customer_id, c`` the contact date): orders, revenue and the days
    bought in the window after contact and in the one before, and the covariates at contact."""
    orders = "coalesce(t.order_id, CAST(t.date AS VARCHAR))" if key else "CAST(t.date AS VARCHAR)"
    name = unique_name("campaign_people")
    con.register(name, people)
    try:
        frame = con.sql(f"""
            WITH p AS (SELECT k, customer_id, CAST(c AS DATE) AS c FROM {name})
            SELECT p.k,
              count(DISTINCT CASE WHEN NOT t.is_return AND t.date >= p.c AND t.date < p.c + {days} THEN {orders} END)
                AS orders,
              coalesce(sum(CASE WHEN t.date >= p.c AND t.date < p.c + {days} THEN {money("t.amount")} END), 0)::DOUBLE
                AS revenue,
              count(DISTINCT CASE WHEN NOT t.is_return AND t.date >= p.c - {days} AND t.date < p.c THEN {orders} END)
                AS pre_orders,
              coalesce(sum(CASE WHEN t.date >= p.c - {days} AND t.date < p.c THEN {money("t.amount")} END), 0)::DOUBLE
                AS pre_revenue,
              max(CASE WHEN NOT t.is_return AND t.date < p.c THEN t.date END) AS last_before,
              min(CASE WHEN NOT t.is_return AND t.date < p.c THEN t.date END) AS first_before,
              count(DISTINCT CASE WHEN NOT t.is_return AND t.date < p.c THEN t.date END) AS frequency,
              coalesce(sum(CASE WHEN t.date < p.c THEN {money("t.amount")} END), 0)::DOUBLE AS monetary
            FROM p LEFT JOIN tx t ON t.customer_id = p.customer_id AND t.date < p.c + {days}
            GROUP BY p.k ORDER BY p.k""").df()
    finally:
        con.unregister(name)
    return frame


def _outcomes(frame, contact):
    """Per-customer outcomes and covariates from :func:`_people` rows (``contact``: datetime64 days)."""
    import pandas as pd

    out = frame.copy()
    out["converted"] = (out["orders"] > 0).astype(float)
    out["pre_converted"] = (out["pre_orders"] > 0).astype(float)
    out["aov"] = np.where(out["orders"] > 0, out["revenue"] / out["orders"].where(out["orders"] > 0, 1), np.nan)
    out["retained"] = np.where(out["pre_orders"] > 0, out["converted"], np.nan)
    c = pd.to_datetime(pd.Series(contact)).to_numpy()
    last, first = pd.to_datetime(out["last_before"]).to_numpy(), pd.to_datetime(out["first_before"]).to_numpy()
    out["has_history"] = ~np.isnat(last)
    out["recency_days"] = (c - last).astype("timedelta64[D]").astype(float)
    out["tenure_days"] = (c - first).astype("timedelta64[D]").astype(float)
    out["log_monetary"] = np.log1p(np.maximum(out["monetary"].to_numpy(dtype=float), 0.0))
    out.loc[~out["has_history"], ["recency_days", "tenure_days"]] = np.nan
    return out.drop(columns=["last_before", "first_before"])


def _rfm_at(data, day: date, scheme: str, lang: str):
    """The RFM segment and score sum of every customer as of ``day``; None when no one bought by then."""
    from crmkit.segment import segment

    try:
        found = segment(data, day, scheme=scheme, lang=lang).customers
    except CrmkitError:
        return None
    score = found["r_score"].astype(int) + found["f_score"].astype(int) + found["m_score"].astype(int)
    return found.assign(score=score.to_numpy()).set_index(found["customer_id"].astype(str))[
        ["segment", "segment_label", "score"]
    ]


def _effect_row(effect, **extra) -> dict:
    control = effect.control
    lift = effect.estimate / control if control and np.isfinite(control) and control != 0 else math.nan
    row = {
        "method": effect.method, "n_treated": int(effect.n_treated), "n_control": int(effect.n_control),
        "treated": float(effect.treated), "control": float(control), "difference": float(effect.estimate),
        "ci_low": float(effect.ci_low), "ci_high": float(effect.ci_high), "p_value": float(effect.p_value),
        "relative_lift": float(lift),
        "variance_reduction": math.nan if effect.variance_reduction is None else float(effect.variance_reduction),
    }  # fmt: skip
    return {**extra, **row}


def _compare(treated, control, metric: str, *, alpha, method, seed, adjust: bool):
    """The plain (and CUPED) effects of ``metric`` between two per-customer frames."""
    from crmkit.models import effects

    column = OUTCOME[metric]
    t, c = treated[column].to_numpy(dtype=float), control[column].to_numpy(dtype=float)
    t, c = t[~np.isnan(t)], c[~np.isnan(c)]
    if metric in RATES:
        found = [("none", effects.proportion_difference(t, c, alpha=alpha))]
    else:
        found = [("none", effects.mean_difference(t, c, alpha=alpha, method=method, seed=seed))]
    if adjust and metric in PRE:
        pre = PRE[metric]
        cuped = effects.cuped_difference(
            treated[column].to_numpy(dtype=float), treated[pre].to_numpy(dtype=float),
            control[column].to_numpy(dtype=float), control[pre].to_numpy(dtype=float),
            alpha=alpha, method=method, seed=seed,
        )  # fmt: skip
        found.append(("cuped", cuped))
    return found


def campaign(
    purchases,
    campaign_file_or_frame,
    *,
    windows=("30d",),
    control: str | None = None,
    contact_date=None,
    margin: float | None = None,
    cost_per_contact: float | None = None,
    method: str = "welch",
    alpha: float = 0.05,
    power: float = 0.8,
    target_lift: float | None = None,
    scheme: str = "standard",
    seed: int = 0,
    lang: str = "en",
) -> CampaignResult:
    """The effect of a campaign on its customers' purchases, per arm and window.

    Parameters
    ----------
    purchases : path, PurchaseData or table
        The purchase export (anything :func:`crmkit.io.purchases.as_purchases` takes).
    campaign_file_or_frame : CampaignFile, path or table
        Who was contacted, in which arm and when (:func:`crmkit.io.campaigns.read_campaign`).
    windows : sequence of str or int
        Windows after contact (:func:`parse_window`); each also measured in the same window before.
    control, contact_date
        The control arm's name and the contact date, for a file that does not say them.
    margin : float, optional
        Profit per unit of revenue in (0, 1]; default the purchases' margin column's share of
        revenue, else 1 (profit is then revenue, said in a note).
    cost_per_contact : float, optional
        Cost of contacting one customer, when the campaign file has no cost column.
    method : {"welch", "bootstrap"}
        The interval of mean differences (revenue, orders, AOV): Welch's t, or a BCa bootstrap.
    alpha, power : float
        1 - confidence of the intervals, and the power of the sample-size table.
    target_lift : float, optional
        The relative lift a future test should detect (default 0.1: +10% on each metric).
    scheme, seed, lang : str, int, str
        RFM scheme of the segments, bootstrap seed, labels' language.

    Returns
    -------
    CampaignResult

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "a", "c"], "amount": [10, 10, 10, 10, 30, 20],
    ...     "date": ["2024-01-05"] * 4 + ["2024-02-05", "2024-02-10"]})
    >>> sent = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "group": ["coupon", "coupon", "coupon", "control"],
    ...     "contact_date": ["2024-02-01"] * 4})
    >>> found = campaign(sales, sent, windows=["30d"])
    >>> found.evidence, found.headline["conversion_difference"]
    ('randomised', 0.6666666666666666)
    """
    import pandas as pd

    lang = check_lang(lang)
    if method not in ("welch", "bootstrap"):
        raise UsageError(f"--method takes welch or bootstrap, not {method!r}")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise UsageError("--alpha and --power must be between 0 and 1")
    if margin is not None and not 0 < margin <= 1:
        raise UsageError(f"--margin is a share of revenue in (0, 1], not {margin!r}")
    parsed = list(dict.fromkeys(parse_window(w) for w in ([windows] if isinstance(windows, str | int) else windows)))
    if not parsed:
        raise UsageError("--window needs at least one window such as 30d")
    data = as_purchases(purchases)
    cfile = _campaign_file(campaign_file_or_frame, contact_date, control)
    con = data.con
    tx_columns = set(con.sql("SELECT * FROM tx LIMIT 0").columns)
    last_day = con.sql("SELECT max(date) FROM tx").fetchall()[0][0]
    frame = cfile.frame.reset_index(drop=True)
    notes, warnings = list(cfile.notes), []
    evidence = "randomised" if cfile.control is not None else "matched"
    people = pd.DataFrame({"k": np.arange(len(frame)), "customer_id": frame["customer_id"].astype(str),
                           "c": frame["contact_date"].astype("datetime64[s]")})  # fmt: skip
    dates = sorted(set(pd.to_datetime(frame["contact_date"]).dt.date))
    rfm_before = {d: _rfm_at(data, d - timedelta(days=1), scheme, lang) for d in dates[:12]}
    if len(dates) > 12:
        notes.append(Message(f"{len(dates):,} contact dates: RFM segments at contact are those of the first 12",
                             "campaign_many_dates", count=len(dates)))  # fmt: skip
    segment_of = _segments(frame, rfm_before)
    from crmkit.campaign_match import balance_table, match_customers

    matched = None
    if evidence == "matched":
        matched = match_customers(data, frame, people, rfm_before, segment_of)
        notes.insert(0, Message(
            "no control arm: the contacted customers are compared with matched customers who were not contacted "
            "(recency, frequency, monetary value and tenure at contact); this is weaker, observational evidence, "
            "not proof that the campaign caused the difference", "campaign_matched_evidence"))  # fmt: skip
        if matched.unmatched:
            notes.append(Message(f"{matched.unmatched:,} contacted customer(s) found no comparable customer and "
                                 "are left out", "campaign_unmatched", count=matched.unmatched))  # fmt: skip
    key = "order_id" in tx_columns
    tables: dict[str, list] = {name: [] for name in VIEWS}
    upgrade_ok = len(dates) <= UPGRADE_DATES
    if not upgrade_ok:
        notes.append(Message(f"{len(dates):,} contact dates: RFM upgrades are not computed (at most "
                             f"{UPGRADE_DATES})", "campaign_no_upgrade", count=len(dates), limit=UPGRADE_DATES))  # fmt: skip
    for name, days in parsed:
        stats = _outcomes(_people(con, people, days, key), people["c"])
        stats["complete"] = (pd.to_datetime(people["c"]) + pd.Timedelta(days=days - 1)).dt.date <= last_day
        stats["upgraded"] = _upgrades(data, frame, rfm_before, days, scheme, lang) if upgrade_ok else np.nan
        stats.insert(0, "customer_id", people["customer_id"].to_numpy())
        stats["group"] = frame["group"].to_numpy()
        stats["contact_date"] = people["c"].to_numpy()
        stats["segment"] = segment_of
        incomplete = int((~stats["complete"]).sum())
        if incomplete:
            notes.append(Message(
                f"window {name}: {incomplete:,} customer(s) contacted less than {days} days before the data's last "
                f"day ({last_day}): measured over the days there are, marked incomplete",
                "campaign_incomplete", window=name, count=incomplete, days=days, last_day=last_day))  # fmt: skip
        context = {"window": name, "window_days": days, "evidence": evidence, "complete": not incomplete}
        if evidence == "randomised":
            _randomised(tables, stats, cfile, context, alpha=alpha, method=method, seed=seed)
        else:
            assert matched is not None
            pool = _outcomes(_people(con, matched.people, days, key), matched.people["c"])
            pool["upgraded"] = np.nan
            _matched(tables, stats, pool, matched, context, alpha=alpha)
    result_tables = {n: pd.DataFrame(rows) if rows and isinstance(rows[0], dict) else
                     (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()) for n, rows in tables.items()}  # fmt: skip
    effects_table = result_tables["effects"].reindex(columns=list(EFFECT_COLUMNS))
    rate, margin_note = _margin(con, tx_columns, margin)
    if margin_note:
        notes.append(margin_note)
    from crmkit.campaign_tables import economics_table, headline_of, power_table, segments_table

    economics, cost_notes = economics_table(effects_table, result_tables["customers"], frame, rate, cost_per_contact)
    notes.extend(cost_notes)
    segments = segments_table(result_tables["customers"], evidence, alpha=alpha, method=method, seed=seed)
    power_rows = power_table(result_tables["arms"], effects_table, alpha=alpha, power=power, target_lift=target_lift)
    balance = balance_table(stats, matched, cfile)
    if len(balance) and bool((balance["std_difference"].abs() > BALANCE_LIMIT).any()):
        worst = balance.loc[balance["std_difference"].abs().idxmax()]
        warnings.append(Message(
            f"arms differ before contact: {worst['covariate']} standardized difference {worst['std_difference']:.2f} "
            f"(above {BALANCE_LIMIT})", "campaign_imbalance", covariate=worst["covariate"],
            value=round(float(worst["std_difference"]), 3), limit=BALANCE_LIMIT))  # fmt: skip
    absent = int((~stats["has_history"]).sum()) if len(stats) else 0
    if absent:
        notes.append(Message(f"{absent:,} campaign customer(s) had bought nothing before contact",
                             "campaign_no_history", count=absent))  # fmt: skip
    headline = headline_of(effects_table, economics, frame, cfile, evidence, last_day)
    return CampaignResult(
        effects=effects_table, arms=result_tables["arms"], economics=economics, segments=segments,
        power=power_rows, balance=balance, customers=result_tables["customers"], headline=headline,
        evidence=evidence, control=cfile.control, windows=tuple(n for n, _ in parsed), method=method,
        alpha=alpha, lang=lang, notes=notes, warnings=warnings,
    )  # fmt: skip


def _segments(frame, rfm_before: dict) -> np.ndarray:
    """Each campaign customer's RFM segment the day before contact (``no_history`` when none)."""
    import pandas as pd

    out = np.full(len(frame), "no_history", dtype=object)
    days = pd.to_datetime(frame["contact_date"]).dt.date.to_numpy()
    ids = frame["customer_id"].astype(str).to_numpy()
    for day, rfm in rfm_before.items():
        if rfm is None:
            continue
        mask = days == day
        found = pd.Series(ids[mask]).map(rfm["segment"])
        out[mask] = found.where(found.notna(), "no_history").to_numpy(dtype=object)
    return out


def _upgrades(data, frame, rfm_before: dict, days: int, scheme: str, lang: str) -> np.ndarray:
    """1.0 where the RFM score sum at the window's last day exceeds the one the day before contact."""
    import pandas as pd

    out = np.full(len(frame), np.nan)
    contact = pd.to_datetime(frame["contact_date"]).dt.date.to_numpy()
    ids = pd.Series(frame["customer_id"].astype(str).to_numpy())
    for day, before in rfm_before.items():
        after = _rfm_at(data, day + timedelta(days=days - 1), scheme, lang)
        if after is None:
            continue
        mask = contact == day
        score_before = ids[mask].map(before["score"]).fillna(0) if before is not None else 0
        score_after = ids[mask].map(after["score"]).fillna(0)
        out[mask] = (score_after.to_numpy() > np.asarray(score_before)).astype(float)
    return out


def _arm_row(frame, context: dict, arm: str, role: str) -> dict:
    def mean(column):
        values = frame[column].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        return float(values.mean()) if len(values) else math.nan

    return {
        "window": context["window"], "window_days": context["window_days"], "arm": arm, "role": role,
        "customers": int(len(frame)), "conversion_rate": mean("converted"), "revenue_per_customer": mean("revenue"),
        "orders_per_customer": mean("orders"), "aov": mean("aov"), "retention_rate": mean("retained"),
        "upgrade_rate": mean("upgraded"), "pre_conversion_rate": mean("pre_converted"),
        "pre_revenue_per_customer": mean("pre_revenue"), "evidence": context["evidence"],
        "complete": context["complete"],
    }  # fmt: skip


def _customers(stats, role, context, matched_to=None):
    columns = ["customer_id", "group", "contact_date", "segment", "pre_orders", "pre_revenue", "orders", "revenue",
               "converted", "pre_converted", "aov", "retained", "upgraded", "complete"]  # fmt: skip
    out = stats.reindex(columns=columns).copy()
    out.insert(0, "window", context["window"])
    out.insert(3, "role", role)
    out["matched_to"] = matched_to if matched_to is not None else None
    return out


def _randomised(tables, stats, cfile: CampaignFile, context, *, alpha, method, seed) -> None:
    control = stats[cfile.frame["is_control"].to_numpy()]
    tables["arms"].append(_arm_row(control, context, cfile.control or "", "control"))
    for arm in cfile.groups:
        if arm == cfile.control:
            continue
        treated = stats[stats["group"].to_numpy() == arm]
        tables["arms"].append(_arm_row(treated, context, arm, "treated"))
        for metric in (*RATES, *MEANS):
            for adjustment, effect in _compare(treated, control, metric, alpha=alpha, method=method, seed=seed,
                                               adjust=True):  # fmt: skip
                pre = PRE.get(metric)
                tables["effects"].append(_effect_row(
                    effect, **context, arm=arm, versus=cfile.control, metric=metric, adjustment=adjustment,
                    treated_pre=float(treated[pre].mean()) if pre else math.nan,
                    control_pre=float(control[pre].mean()) if pre else math.nan))  # fmt: skip
    tables["customers"].append(_customers(stats.assign(_r=np.where(cfile.frame["is_control"], "control", "treated")),
                                          None, context).assign(role=lambda f: np.where(
                                              cfile.frame["is_control"].to_numpy(), "control", "treated")))  # fmt: skip


def _matched(tables, stats, pool, matched, context, *, alpha) -> None:
    from crmkit.models import effects

    treated = stats.iloc[matched.treated_rows].reset_index(drop=True)
    pool = pool.reset_index(drop=True)
    arm = str(stats["group"].iloc[0]) if len(stats) else "contacted"
    tables["arms"].append(_arm_row(treated, context, arm, "treated"))
    tables["arms"].append(_arm_row(pool, context, "matched", "matched"))
    for metric in ("conversion", "revenue", "orders"):
        column, pre = OUTCOME[metric], PRE[metric]
        change_t = treated[column].to_numpy(dtype=float) - treated[pre].to_numpy(dtype=float)
        change_m = pool[column].to_numpy(dtype=float) - pool[pre].to_numpy(dtype=float)
        effect = effects.paired_difference(change_t - change_m, alpha=alpha)
        row = _effect_row(effect, **context, arm=arm, versus="matched", metric=metric, adjustment="did",
                          treated_pre=float(treated[pre].mean()), control_pre=float(pool[pre].mean()))  # fmt: skip
        row.update(treated=float(treated[column].mean()), control=float(pool[column].mean()))
        post_control = row["control"]
        row["relative_lift"] = row["difference"] / post_control if post_control else math.nan
        tables["effects"].append(row)
    chosen = stats.iloc[matched.treated_rows]
    tables["customers"].append(_customers(chosen, "treated", context, matched.people["customer_id"].to_numpy()))
    comparison = pool.assign(customer_id=matched.people["customer_id"].to_numpy(), group="matched",
                             contact_date=matched.people["c"].to_numpy(), segment=matched.segments,
                             complete=chosen["complete"].to_numpy())  # fmt: skip
    tables["customers"].append(_customers(comparison, "matched", context, chosen["customer_id"].to_numpy()))


def _margin(con, tx_columns: set, margin: float | None) -> tuple[float, Message | None]:
    """The profit per unit of revenue: given, else the margin column's share of revenue, else 1."""
    if margin is not None:
        return float(margin), None
    if "margin" in tx_columns:
        total, margins = con.sql(
            f"SELECT sum({money('amount')})::DOUBLE, sum({money('margin')})::DOUBLE FROM tx WHERE margin IS NOT NULL"
        ).fetchall()[0]
        if total and margins is not None and total > 0:
            rate = float(margins) / float(total)
            return rate, Message(f"profit at the margin column's {rate:.1%} of revenue", "campaign_margin_column",
                                 rate=round(rate, 4))  # fmt: skip
    return 1.0, Message("no --margin and no margin column: incremental profit is revenue, not profit",
                        "campaign_no_margin")  # fmt: skip
