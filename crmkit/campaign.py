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

Economics: incremental revenue = difference × customers (and its interval), profit = × margin, ROI =
(profit - cost) / cost. Power: the minimum detectable effect, the customers per arm a test needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from crmkit.errors import CrmkitError, UsageError
from crmkit.io.campaigns import CampaignFile, read_campaign
from crmkit.io.engine import money
from crmkit.io.options import check_lang
from crmkit.io.purchases import as_purchases
from crmkit.io.quality import Message
from crmkit.io.results import TableViews

#: The result's tables, in the order a report shows them (:meth:`CampaignResult.view`).
VIEWS = ("effects", "arms", "economics", "segments", "power", "balance", "customers")
#: Outcomes compared per arm: rates (Newcombe) and means (Welch / bootstrap).
RATES = ("conversion", "retention", "upgrade")
MEANS = ("revenue", "orders", "aov")
METRICS = ("conversion", "revenue", "orders", "aov", "retention", "upgrade")
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
class CampaignResult(TableViews):
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
    DEFAULT_VIEW = "effects"


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


def _rfm_at(data, day: date, scheme: str, lang: str):
    """The RFM segment and score sum of every customer as of ``day``; None when no one bought by then.

    :func:`crmkit.segment.segment` records its as-of date in the data's quality account; the
    caller's is put back, so the run reports the as-of date it was given.
    """
    from crmkit.segment import segment

    quality = data.quality
    kept = (quality.as_of, quality.after_as_of, quality.returns_only, quality.returns_only_amount)
    try:
        found = segment(data, day, scheme=scheme, lang=lang).customers
    except CrmkitError:
        return None
    finally:
        quality.as_of, quality.after_as_of, quality.returns_only, quality.returns_only_amount = kept
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
    until = data.quality.as_of  # set by the caller (the CLI's --as-of): rows after it are left out
    last_day = con.sql("SELECT max(date) FROM tx").fetchall()[0][0]
    last_day = min(last_day, until) if until is not None and last_day is not None else last_day
    frame = cfile.frame.reset_index(drop=True)
    notes, warnings = list(cfile.notes), list[Message]()
    evidence = "randomised" if cfile.control is not None else "matched"
    people = pd.DataFrame({"k": np.arange(len(frame)), "customer_id": frame["customer_id"].astype(str),
                           "c": frame["contact_date"].astype("datetime64[s]")})  # fmt: skip
    dates = sorted(set(pd.to_datetime(frame["contact_date"]).dt.date))
    rfm_before = {d: _rfm_at(data, d - timedelta(days=1), scheme, lang) for d in dates[:12]}
    if len(dates) > 12:
        notes.append(Message(f"{len(dates):,} contact dates: RFM segments at contact are those of the first 12",
                             "campaign_many_dates", count=len(dates)))  # fmt: skip
    segment_of = _segments(frame, rfm_before)
    from crmkit.loyalty import balance_table, match_customers, outcomes, window_stats

    matched = None
    if evidence == "matched":
        at_contact = outcomes(window_stats(con, people, 1, "order_id" in tx_columns, until), people["c"])
        contact_days = pd.to_datetime(frame["contact_date"]).dt.date.to_numpy()
        matched = match_customers(con, at_contact, contact_days, set(people["customer_id"]), rfm_before, segment_of)
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
        text = f"{len(dates):,} contact dates: RFM upgrades are not computed (at most {UPGRADE_DATES})"
        notes.append(Message(text, "campaign_no_upgrade", count=len(dates), limit=UPGRADE_DATES))
    for name, days in parsed:
        stats = outcomes(window_stats(con, people, days, key, until), people["c"])
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
            pool = outcomes(window_stats(con, matched.people, days, key, until), matched.people["c"])
            pool["upgraded"] = np.nan
            _matched(tables, stats, pool, matched, context, alpha=alpha)
    result_tables = {
        n: pd.concat(rows, ignore_index=True) if rows and not isinstance(rows[0], dict) else pd.DataFrame(rows)
        for n, rows in tables.items()
    }
    effects_table = result_tables["effects"].reindex(columns=list(EFFECT_COLUMNS))
    rate, margin_note = _margin(con, tx_columns, margin)
    if margin_note:
        notes.append(margin_note)
    economics, cost_notes = economics_table(effects_table, result_tables["customers"], frame, rate, cost_per_contact)
    notes.extend(cost_notes)
    labels = {"no_history": "no purchase before" if lang == "en" else "触达前无购买"}
    for rfm in rfm_before.values():
        if rfm is not None:
            labels.update(zip(rfm["segment"].astype(str), rfm["segment_label"].astype(str)))
    people_table = result_tables["customers"]
    if len(people_table):
        people_table.insert(6, "segment_label", people_table["segment"].map(labels).to_numpy())
    segments = segments_table(result_tables["customers"], evidence, labels, alpha=alpha, method=method, seed=seed)
    power_rows = power_table(effects_table, people_table, alpha=alpha, power=power, target_lift=target_lift)
    balance = balance_table(stats, matched, cfile)
    checked = balance[balance["sample"] != "before_matching"]
    if len(checked) and bool((checked["std_difference"].abs() > BALANCE_LIMIT).any()):
        worst = checked.loc[checked["std_difference"].abs().idxmax()]
        notes.append(Message(
            f"arms differ before contact: {worst['covariate']} standardized difference {worst['std_difference']:.2f} "
            f"(above {BALANCE_LIMIT})", "campaign_imbalance", campaign_covariate=worst["covariate"],
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
        for metric in METRICS:
            if treated[OUTCOME[metric]].isna().all() and control[OUTCOME[metric]].isna().all():
                continue  # upgrades not computed
            for adjustment, effect in _compare(treated, control, metric, alpha=alpha, method=method, seed=seed,
                                               adjust=True):  # fmt: skip
                pre = PRE.get(metric)
                tables["effects"].append(_effect_row(
                    effect, **context, arm=arm, versus=cfile.control, metric=metric, adjustment=adjustment,
                    treated_pre=float(treated[pre].mean()) if pre else math.nan,
                    control_pre=float(control[pre].mean()) if pre else math.nan))  # fmt: skip
    roles = np.where(cfile.frame["is_control"].to_numpy(), "control", "treated")
    tables["customers"].append(_customers(stats, "treated", context).assign(role=roles))


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


def _arm_customers(customers, window: str, arm: str, evidence: str):
    """The treated arm's and its comparison's customer rows of one window (matched: aligned pairs)."""
    rows = customers[customers["window"] == window]
    treated = rows[(rows["role"] == "treated") & (rows["group"] == arm)]
    comparison = rows[rows["role"] == ("matched" if evidence == "matched" else "control")]
    return treated.reset_index(drop=True), comparison.reset_index(drop=True)


def economics_table(effects_table, customers, frame, rate: float, cost_per_contact: float | None):
    """Incremental revenue = revenue difference × customers; profit = × margin; ROI = (profit - cost) / cost."""
    import pandas as pd

    notes: list[Message] = []
    has_cost = bool(frame["cost"].notna().any())
    cost_of = frame.set_index(frame["customer_id"].astype(str))["cost"].fillna(0.0)
    if has_cost and bool(frame.loc[frame["is_control"], "cost"].fillna(0).ne(0).any()):
        notes.append(Message("costs given for control customers are left out: they were not contacted",
                             "campaign_control_cost"))  # fmt: skip
    rows = []
    revenue = effects_table[(effects_table["metric"] == "revenue") & effects_table["adjustment"].isin(["none", "did"])]
    for effect in revenue.itertuples(index=False):
        n = int(effect.n_treated)
        treated, _ = _arm_customers(customers, effect.window, effect.arm, effect.evidence)
        if cost_per_contact is not None:  # the flag, given on purpose, wins over the file's column
            cost, source = float(cost_per_contact) * n, "per_contact"
        elif has_cost:
            cost, source = float(treated["customer_id"].astype(str).map(cost_of).fillna(0.0).sum()), "file"
        else:
            cost, source = math.nan, "none"
        incremental = [v * n for v in (effect.difference, effect.ci_low, effect.ci_high)]
        profit = [v * rate for v in incremental]
        paid = np.isfinite(cost) and cost > 0
        rows.append({
            "window": effect.window, "arm": effect.arm, "evidence": effect.evidence, "customers": n,
            "revenue_difference": effect.difference, "incremental_revenue": incremental[0],
            "incremental_revenue_ci_low": incremental[1], "incremental_revenue_ci_high": incremental[2],
            "margin": rate, "incremental_profit": profit[0], "incremental_profit_ci_low": profit[1],
            "incremental_profit_ci_high": profit[2], "cost": cost, "cost_source": source,
            "net_profit": profit[0] - cost if paid else math.nan,
            "roi": (profit[0] - cost) / cost if paid else math.nan,
            "roi_ci_low": (profit[1] - cost) / cost if paid else math.nan,
            "roi_ci_high": (profit[2] - cost) / cost if paid else math.nan, "complete": effect.complete,
        })  # fmt: skip
    if not has_cost and cost_per_contact is None:
        notes.append(Message("no cost column and no --cost: no ROI", "campaign_no_cost"))
    return pd.DataFrame(rows), notes


_SEGMENT_VALUES = ("treated", "control", "difference", "ci_low", "ci_high", "p_value")
_SEGMENT_COLUMNS = ("window", "arm", "segment", "segment_label", "evidence", "n_treated", "n_control",
                    *(f"{m}_{v}" for m in ("conversion", "revenue") for v in _SEGMENT_VALUES))  # fmt: skip


def segments_table(customers, evidence: str, labels: dict, *, alpha, method, seed):
    """Per window, arm and RFM segment at contact: the conversion and revenue differences."""
    import pandas as pd

    from crmkit.models import effects

    rows = []
    if not len(customers):
        return pd.DataFrame()
    for window in dict.fromkeys(customers["window"]):
        here = customers[customers["window"] == window]
        for arm in dict.fromkeys(here.loc[here["role"] == "treated", "group"]):
            treated, comparison = _arm_customers(customers, window, arm, evidence)
            for seg in sorted(set(treated["segment"])):
                t = treated[treated["segment"] == seg]
                row: dict[str, Any] = {"window": window, "arm": arm, "segment": seg,
                                       "segment_label": labels.get(seg, seg), "evidence": evidence}  # fmt: skip
                if evidence == "matched":
                    c = comparison.iloc[t.index]
                else:
                    c = comparison[comparison["segment"] == seg]
                row.update(n_treated=len(t), n_control=len(c))
                for metric, column in (("conversion", "converted"), ("revenue", "revenue")):
                    yt, yc = t[column].to_numpy(dtype=float), c[column].to_numpy(dtype=float)
                    if evidence == "matched":
                        pre = PRE[metric]
                        change = (yt - t[pre].to_numpy(dtype=float)) - (yc - c[pre].to_numpy(dtype=float))
                        found = effects.paired_difference(change, alpha=alpha)
                    elif metric == "conversion":
                        found = effects.proportion_difference(yt, yc, alpha=alpha)
                    else:
                        found = effects.mean_difference(yt, yc, alpha=alpha, method=method, seed=seed)
                    means = [float(y.mean()) if len(y) else math.nan for y in (yt, yc)]
                    found_values = (*means, found.estimate, found.ci_low, found.ci_high, found.p_value)
                    row.update({f"{metric}_{name}": float(v) for name, v in zip(_SEGMENT_VALUES, found_values)})
                rows.append(row)
    table = pd.DataFrame(rows, columns=list(_SEGMENT_COLUMNS))  # the columns also when no segment has a row
    table["largest"] = False
    usable = table[(table["n_treated"] >= 2) & (table["n_control"] >= 2) & (table["conversion_p_value"] < alpha)]
    for _, part in usable.groupby(["window", "arm"], sort=False):
        table.loc[part["conversion_difference"].idxmax(), "largest"] = True
    return table


def power_table(effects_table, customers, *, alpha, power, target_lift):
    """Minimum detectable effects at the observed sizes and the customers per arm a future test needs.

    MDE = (z_{1-alpha/2} + z_power) * sqrt(s2 / n_t + s2 / n_c), with s2 = p(1 - p) of the control's
    conversion or the control's revenue variance; n per arm from the same formula solved for n.
    """
    import pandas as pd

    from crmkit.models import effects

    lift = 0.1 if target_lift is None else float(target_lift)
    rows = []
    plain_rows = effects_table[effects_table["adjustment"].isin(["none", "did"])]
    for effect in plain_rows[plain_rows["metric"].isin(["conversion", "revenue"])].itertuples(index=False):
        _, comparison = _arm_customers(customers, effect.window, effect.arm, effect.evidence)
        n_t, n_c = int(effect.n_treated), int(effect.n_control)
        if effect.metric == "conversion":
            baseline = float(comparison["converted"].mean()) if len(comparison) else math.nan
            spread: dict[str, float] = {"rate": baseline}
            sd = math.sqrt(baseline * (1 - baseline)) if np.isfinite(baseline) else math.nan
        else:
            baseline = float(comparison["revenue"].mean()) if len(comparison) else math.nan
            sd = float(comparison["revenue"].std(ddof=1)) if len(comparison) > 1 else math.nan
            spread = {"sd": sd}
        usable = np.isfinite(sd) and n_t > 0 and n_c > 0
        mde = effects.minimum_detectable_effect(n_t, n_c, alpha=alpha, power=power, **spread) if usable else math.nan
        target = lift * baseline if np.isfinite(baseline) else math.nan

        def needed(size, usable=usable, spread=spread):
            if not usable or not np.isfinite(size) or size == 0:
                return None
            return int(effects.sample_size(abs(size), alpha=alpha, power=power, **spread)) or None

        rows.append({
            "window": effect.window, "arm": effect.arm, "metric": effect.metric, "evidence": effect.evidence,
            "n_treated": n_t, "n_control": n_c, "baseline": baseline, "sd": sd, "mde": mde,
            "mde_relative": mde / baseline if baseline else math.nan, "observed_difference": float(effect.difference),
            "n_per_arm_observed": needed(effect.difference), "target_lift": lift, "target_difference": target,
            "n_per_arm_target": needed(target), "alpha": alpha, "power": power,
        })  # fmt: skip
    table = pd.DataFrame(rows)
    for column in ("n_per_arm_observed", "n_per_arm_target"):
        if column in table:
            table[column] = table[column].astype("Int64")
    return table


def headline_of(effects_table, economics, frame, cfile: CampaignFile, evidence: str, last_day) -> dict:
    """The first window's first arm in plain JSON values."""
    import pandas as pd

    contact = pd.to_datetime(frame["contact_date"])
    head: dict[str, Any] = {
        "evidence": evidence, "control": cfile.control, "arms": [g for g in cfile.groups if g != cfile.control],
        "customers": int(len(frame)), "first_contact": contact.min().date().isoformat() if len(frame) else None,
        "last_contact": contact.max().date().isoformat() if len(frame) else None,
        "data_last_day": last_day.isoformat() if last_day is not None else None,
    }  # fmt: skip
    if not len(effects_table):
        return head
    first = effects_table.iloc[0]
    head.update(window=first["window"], arm=first["arm"], complete=bool(first["complete"]))
    plain_rows = effects_table[(effects_table["window"] == first["window"]) & (effects_table["arm"] == first["arm"])
                               & effects_table["adjustment"].isin(["none", "did"])]  # fmt: skip
    for row in plain_rows.itertuples(index=False):
        if row.metric in ("conversion", "revenue"):
            for name in ("treated", "control", "difference", "ci_low", "ci_high", "p_value"):
                head[f"{row.metric}_{name}"] = plain(getattr(row, name))
    if len(economics):
        money_row = economics.iloc[0]
        for name in ("incremental_revenue", "incremental_profit", "cost", "net_profit", "roi", "roi_ci_low",
                     "roi_ci_high"):  # fmt: skip
            head[name] = plain(money_row[name])
    return {k: plain(v) for k, v in head.items()}
