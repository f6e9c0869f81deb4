"""Did the loyalty programme pay? Members against matched non-members, before and after joining.

From a loyalty-programme export (:func:`crmkit.io.campaigns.read_loyalty`: member, join date,
points earned, redeemed, expired) and the purchases:

* redemption rate = points redeemed / points earned; breakage = 1 - redemption rate (points that
  will never cost anything), and the expired share = points expired / points earned when given;
* event-time matching on an observed anchor (Stuart 2010, "Matching methods for causal
  inference: a review and a look forward", Statist. Sci. 25(1); the event-study alignment of each
  member on their own join day): customers join at a checkout, so a member's anchor is the join
  day and their comparison pool the customers, not members then, who bought within ``anchor_days``
  (default 7) of it, anchored on that purchase (:func:`anchor_pool`; later members count until they
  join). Both sides are alive at the anchor: matched at a bare calendar date, members (alive by
  construction) met customers who may have stopped buying unseen, an effect where there was none;
* each member is matched with one candidate of the same join day on recency, frequency, log
  monetary value and tenure before the anchor (1:1 nearest neighbour with replacement on
  covariates standardised within the day, caliper :data:`CALIPER`, :func:`crmkit.models.effects.nearest_matches`);
  members who joined at their first purchase with candidates at their own;
* spend in ``[anchor - w, anchor)`` before and ``(anchor, anchor + w]`` after, the anchor day
  (a purchase for both, by construction) in neither; the difference-in-differences per pair,
  ``(after - before)_member - (after - before)_match``, its mean and paired-t interval
  (:func:`crmkit.models.effects.paired_difference`);
* incremental margin = mean DiD × members × margin (the matched members' effect taken for all
  members, whose redeemed points the cost counts); programme cost = points redeemed ×
  point value (+ ``programme_cost``); net = incremental margin - cost; ROI = net / cost.

Members chose to join: the comparison is observational, weaker evidence than a randomised test,
and every row says so (``evidence = "matched"``). It removes the selection that the purchase
history shows (heavier buyers have more checkouts to join at); it cannot remove a choice driven by
what the history does not show. This module also holds the window counting and the matching that
:func:`crmkit.campaign.campaign` uses for a campaign without a control arm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from crmkit.errors import UsageError
from crmkit.io.campaigns import LoyaltyFile, read_loyalty
from crmkit.io.engine import money, unique_name
from crmkit.io.options import check_lang
from crmkit.io.purchases import as_purchases
from crmkit.io.quality import Message
from crmkit.io.results import TableViews

#: The loyalty result's tables (:meth:`LoyaltyResult.view`).
VIEWS = ("summary", "points", "effects", "balance", "members")
#: Matching covariates, from the purchases before the contact or join date.
COVARIATES = ("recency_days", "frequency", "log_monetary", "tenure_days")
#: Largest distance of a pair, in standard deviations of the standardised covariates: Austin's
#: (2011) 0.25 SD is for one score; over four covariates a pair 0.25 SD apart on each is sqrt(4) x 0.25.
CALIPER = 0.5
#: The pool's covariates are computed on at most this many days (:func:`match_customers`).
MATCH_DATES = 60
#: The note every matched comparison carries.
MATCHED_TEXT = "this is weaker, observational evidence, not proof that the programme caused the difference"


def window_stats(con, people, days: int, key: bool, until=None):
    """Per row of ``people`` (``k, customer_id, c`` the contact date): orders and net revenue in
    ``[c, c + days)`` and ``[c - days, c)``, and the purchase history before ``c``.

    Orders are distinct order ids when the export has them (``key``), else purchase days; rows
    after ``until`` (the as-of date) are left out.
    """
    orders = "coalesce(t.order_id, CAST(t.date AS VARCHAR))" if key else "CAST(t.date AS VARCHAR)"
    bought = "NOT t.is_return"
    post, pre, before = (
        f"t.date >= p.c AND t.date < p.c + {days}",
        f"t.date >= p.c - {days} AND t.date < p.c",
        "t.date < p.c",
    )
    cut = f"AND t.date <= DATE '{until.isoformat()}'" if until is not None else ""
    name = unique_name("campaign_people")
    con.register(name, people)
    try:
        return con.sql(f"""
            WITH p AS (SELECT k, customer_id, CAST(c AS DATE) AS c FROM {name})
            SELECT p.k,
              count(DISTINCT CASE WHEN {bought} AND {post} THEN {orders} END) AS orders,
              coalesce(sum(CASE WHEN {post} THEN {money("t.amount")} END), 0)::DOUBLE AS revenue,
              count(DISTINCT CASE WHEN {bought} AND {pre} THEN {orders} END) AS pre_orders,
              coalesce(sum(CASE WHEN {pre} THEN {money("t.amount")} END), 0)::DOUBLE AS pre_revenue,
              max(CASE WHEN {bought} AND {before} THEN t.date END) AS last_before,
              min(CASE WHEN {bought} AND {before} THEN t.date END) AS first_before,
              count(DISTINCT CASE WHEN {bought} AND {before} THEN t.date END) AS frequency,
              coalesce(sum(CASE WHEN {before} THEN {money("t.amount")} END), 0)::DOUBLE AS monetary
            FROM p LEFT JOIN tx t ON t.customer_id = p.customer_id AND t.date < p.c + {days} {cut}
            GROUP BY p.k ORDER BY p.k""").df()
    finally:
        con.unregister(name)


def outcomes(frame, contact):
    """Per-customer outcomes and covariates from :func:`window_stats` rows (``contact``: the dates)."""
    import pandas as pd

    out = frame.copy()
    out["converted"] = (out["orders"] > 0).astype(float)
    out["pre_converted"] = (out["pre_orders"] > 0).astype(float)
    out["aov"] = np.where(out["orders"] > 0, out["revenue"] / out["orders"].where(out["orders"] > 0, 1), np.nan)
    out["retained"] = np.where(out["pre_orders"] > 0, out["converted"], np.nan)
    c = pd.to_datetime(pd.Series(contact)).to_numpy().astype("datetime64[D]")
    last = pd.to_datetime(out["last_before"]).to_numpy().astype("datetime64[D]")
    first = pd.to_datetime(out["first_before"]).to_numpy().astype("datetime64[D]")
    out["has_history"] = ~np.isnat(last)
    out["recency_days"] = np.where(out["has_history"], (c - last).astype("int64"), np.nan).astype(float)
    out["tenure_days"] = np.where(out["has_history"], (c - first).astype("int64"), np.nan).astype(float)
    out["log_monetary"] = np.log1p(np.maximum(out["monetary"].to_numpy(dtype=float), 0.0))
    return out.drop(columns=["last_before", "first_before"])


def histories(con, days, exclude):
    """The matching covariates of every customer not in ``exclude`` who bought before each of ``days``.

    One query over all the days (a customer appears once per day they had bought by), so a
    programme whose members joined on hundreds of days is one scan, not hundreds.
    """
    import pandas as pd

    excluded, wanted = unique_name("campaign_exclude"), unique_name("campaign_days")
    con.register(excluded, pd.DataFrame({"customer_id": pd.Series(list(exclude), dtype=object)}))
    con.register(wanted, pd.DataFrame({"day": pd.to_datetime(pd.Series(sorted(days))).astype("datetime64[s]")}))
    try:
        frame = con.sql(f"""
            WITH d AS (SELECT DISTINCT CAST(day AS DATE) AS day FROM {wanted})
            SELECT d.day, t.customer_id,
                   (d.day - max(t.date) FILTER (WHERE NOT t.is_return))::DOUBLE AS recency_days,
                   count(DISTINCT t.date) FILTER (WHERE NOT t.is_return)::DOUBLE AS frequency,
                   sum({money("t.amount")})::DOUBLE AS monetary,
                   (d.day - min(t.date) FILTER (WHERE NOT t.is_return))::DOUBLE AS tenure_days
            FROM d JOIN tx t ON t.date < d.day
            WHERE t.customer_id NOT IN (SELECT customer_id FROM {excluded})
            GROUP BY d.day, t.customer_id HAVING bool_or(NOT t.is_return)
            ORDER BY d.day, t.customer_id""").df()
    finally:
        con.unregister(excluded)
        con.unregister(wanted)
    frame["log_monetary"] = np.log1p(np.maximum(frame["monetary"].to_numpy(dtype=float), 0.0))
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


@dataclass
class Matched:
    """Matched comparison customers (:func:`match_customers`, :func:`match_at_anchors`).

    Attributes
    ----------
    treated_rows : numpy.ndarray
        Positions of the matched treated customers in the input frame.
    people : pandas.DataFrame
        ``k, customer_id, c``: each one's match, with the treated customer's date (the match's own
        anchor purchase in :func:`match_at_anchors`).
    segments : numpy.ndarray
        The matches' RFM segments (``no_history`` when unknown).
    unmatched : int
    before, after : tuple of numpy.ndarray
        (treated, pool) covariate matrices before and after matching, for the balance table.
    """

    treated_rows: np.ndarray
    people: Any
    segments: np.ndarray
    unmatched: int
    before: tuple
    after: tuple


def match_customers(con, treated, dates, exclude, rfm_before: dict | None = None, segment_of=None) -> Matched:
    """Each ``treated`` row (with a purchase before its date) matched with a customer not in ``exclude``.

    ``treated`` holds the :data:`COVARIATES` at each row's own date (:func:`outcomes`). The pool's
    are computed on at most :data:`MATCH_DATES` days: with more distinct dates, on the first day
    of the equal stretch of days each date falls in (a member who joined on the 10th is compared
    with customers as they were a few days before). Exact on the RFM segment
    (``rfm_before[date]``, ``segment_of``) first, then without it for those the exact pass left out.
    """
    import pandas as pd

    from crmkit.models import effects

    dates = np.asarray(dates, dtype=object)
    distinct = sorted(set(dates))
    step = max(1, -(-((distinct[-1] - distinct[0]).days + 1) // MATCH_DATES)) if distinct else 1
    bucket = np.array([d - timedelta(days=(d - distinct[0]).days % step) for d in dates], dtype=object)
    pools = histories(con, set(bucket), exclude) if len(dates) else pd.DataFrame(columns=["day"])
    x_all = treated[list(COVARIATES)].to_numpy(dtype=float)
    has = treated["has_history"].to_numpy(dtype=bool)
    rows, matched_ids, matched_dates, seg = [], [], [], []
    before_t, before_p, after_t, after_p = [], [], [], []
    by_day = dict(list(pools.groupby("day", sort=True)))
    for day in sorted(set(bucket)):
        here = np.flatnonzero((bucket == day) & has)
        pool = by_day.get(day)
        if not len(here) or pool is None or not len(pool):
            continue
        x_t, x_p = x_all[here], pool[list(COVARIATES)].to_numpy(dtype=float)
        before_t.append(x_t)
        before_p.append(x_p)
        rfm = (rfm_before or {}).get(day) if step == 1 else None
        pool_seg = (
            pool["customer_id"].map(rfm["segment"]).fillna("no_history").to_numpy(dtype=object)
            if rfm is not None
            else np.full(len(pool), "no_history", dtype=object)
        )
        mine_seg = (
            np.asarray(segment_of, dtype=object)[here]
            if segment_of is not None and rfm is not None
            else np.full(len(here), "no_history", dtype=object)
        )
        found = effects.nearest_matches(x_t, x_p, caliper=CALIPER, exact_treated=mine_seg, exact_pool=pool_seg)
        t_idx, p_idx = list(found.treated_index), list(found.pool_index)
        left = np.setdiff1d(np.arange(len(here)), found.treated_index)
        if len(left):  # no comparable customer in the same segment: the nearest in any
            second = effects.nearest_matches(x_t[left], x_p, caliper=CALIPER)
            t_idx += list(left[second.treated_index])
            p_idx += list(second.pool_index)
        order = np.argsort(np.asarray(t_idx, dtype=int), kind="stable")
        t_at, p_at = np.asarray(t_idx, dtype=int)[order], np.asarray(p_idx, dtype=int)[order]
        rows += list(here[t_at])
        matched_ids += list(pool["customer_id"].to_numpy()[p_at])
        matched_dates += list(dates[here[t_at]])  # the treated customer's own date: the match's pseudo date
        seg += list(pool_seg[p_at])
        after_t.append(x_t[t_at])
        after_p.append(x_p[p_at])

    def stack(parts):
        return np.vstack(parts) if parts else np.empty((0, len(COVARIATES)))

    order = np.argsort(np.asarray(rows, dtype=int), kind="stable")  # the treated frame's order
    rows_sorted = np.asarray(rows, dtype=int)[order]
    matched_people = pd.DataFrame(
        {
            "k": np.arange(len(rows)),
            "customer_id": pd.Series(np.asarray(matched_ids, dtype=object)[order], dtype=object),
            "c": pd.to_datetime(pd.Series(np.asarray(matched_dates, dtype=object)[order])).astype("datetime64[s]"),
        }
    )
    return Matched(
        rows_sorted,
        matched_people,
        np.asarray(seg, dtype=object)[order],
        len(dates) - len(rows),
        (stack(before_t), stack(before_p)),
        (stack(after_t), stack(after_p)),
    )


def anchor_pool(con, join_days, members, anchor_days: int, until=None, not_yet: bool = True):
    """Comparison candidates per join day ``d``: customers, not members then, who bought within ``anchor_days``.

    Each is anchored on their purchase day closest to ``d`` (the earlier on a tie), with the
    :data:`COVARIATES` before it. ``members`` (``customer_id, c`` the join date) count before their
    own join date with ``not_yet`` (the risk set of Li, Propert & Rosenbaum 2001; customers who never
    join are selected on having fewer purchases to come). One window-function pass gives every
    purchase day's covariates and one range join all the days: one query, not one per day.
    """
    import pandas as pd

    cut = f"AND date <= DATE '{until.isoformat()}'" if until is not None else ""
    days_name, members_name = unique_name("loyalty_days"), unique_name("loyalty_members")
    con.register(
        days_name, pd.DataFrame({"day": pd.to_datetime(pd.Series(sorted(set(join_days)))).astype("datetime64[s]")})
    )
    con.register(members_name, members[["customer_id", "c"]])
    allowed = "h.date < CAST(m.c AS DATE)" if not_yet else "FALSE"
    try:
        frame = con.sql(f"""
            WITH days AS (
              SELECT customer_id, date, bool_or(NOT is_return) AS bought, sum({money("amount")}) AS amount
              FROM tx WHERE TRUE {cut} GROUP BY customer_id, date),
            hist AS (
              SELECT customer_id, date, bought, coalesce(sum(amount) OVER w, 0)::DOUBLE AS monetary,
                     coalesce(sum(bought::INTEGER) OVER w, 0)::DOUBLE AS frequency,
                     max(CASE WHEN bought THEN date END) OVER w AS last_before,
                     min(CASE WHEN bought THEN date END) OVER w AS first_before
              FROM days
              WINDOW w AS (PARTITION BY customer_id ORDER BY date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
            SELECT d.day, h.customer_id, h.date AS anchor, h.monetary, h.frequency,
                   (h.date - h.last_before)::DOUBLE AS recency_days, (h.date - h.first_before)::DOUBLE AS tenure_days
            FROM (SELECT DISTINCT CAST(day AS DATE) AS day FROM {days_name}) d
            JOIN hist h ON h.bought AND h.date BETWEEN d.day - {int(anchor_days)} AND d.day + {int(anchor_days)}
            LEFT JOIN (SELECT CAST(customer_id AS VARCHAR) AS customer_id, min(c) AS c FROM {members_name} GROUP BY 1) m
              ON m.customer_id = h.customer_id
            WHERE m.customer_id IS NULL OR {allowed}
            QUALIFY row_number() OVER (PARTITION BY d.day, h.customer_id ORDER BY abs(h.date - d.day), h.date) = 1
            ORDER BY d.day, h.customer_id""").df()
    finally:
        con.unregister(days_name)
        con.unregister(members_name)
    frame["log_monetary"] = np.log1p(np.maximum(frame["monetary"].to_numpy(dtype=float), 0.0))
    frame["has_history"] = frame["frequency"].to_numpy() > 0
    frame["day"] = pd.to_datetime(frame["day"]).to_numpy().astype("datetime64[D]")  # not 10^6 date objects
    return frame


def anchor_windows(con, people, days: int, key: bool, until=None):
    """Per row of ``people`` (``k, customer_id, c`` the anchor): orders and net revenue in
    ``(c, c + days]`` and ``[c - days, c)``; the anchor day itself, a purchase for both sides of
    a pair by construction, is in neither."""
    orders = "coalesce(t.order_id, CAST(t.date AS VARCHAR))" if key else "CAST(t.date AS VARCHAR)"
    post, pre = f"t.date > p.c AND t.date <= p.c + {days}", f"t.date >= p.c - {days} AND t.date < p.c"
    cut = f"AND t.date <= DATE '{until.isoformat()}'" if until is not None else ""
    name = unique_name("loyalty_people")
    con.register(name, people)
    try:
        return con.sql(f"""
            WITH p AS (SELECT k, customer_id, CAST(c AS DATE) AS c FROM {name})
            SELECT p.k,
              count(DISTINCT CASE WHEN NOT t.is_return AND {post} THEN {orders} END) AS orders,
              coalesce(sum(CASE WHEN {post} THEN {money("t.amount")} END), 0)::DOUBLE AS revenue,
              count(DISTINCT CASE WHEN NOT t.is_return AND {pre} THEN {orders} END) AS pre_orders,
              coalesce(sum(CASE WHEN {pre} THEN {money("t.amount")} END), 0)::DOUBLE AS pre_revenue
            FROM p LEFT JOIN tx t ON t.customer_id = p.customer_id
              AND t.date >= p.c - {days} AND t.date <= p.c + {days} {cut}
            GROUP BY p.k ORDER BY p.k""").df()
    finally:
        con.unregister(name)


def match_at_anchors(treated, pool, seed: int = 0) -> Matched:
    """Each member (``treated``: ``c``, :data:`COVARIATES`, ``has_history``) matched with an
    :func:`anchor_pool` candidate of the same join day (:func:`crmkit.models.effects.nearest_matches`,
    standardised within the day, caliper :data:`CALIPER`); one who joined at their first purchase with
    a candidate at theirs. The pool is shuffled with ``seed``: ties go to a random candidate."""
    import pandas as pd
    from sklearn.metrics import pairwise_distances_argmin_min  # noqa: F401  (loaded, so the limit below reaches it)
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped, unused-ignore]

    from crmkit.models import effects

    cols = list(COVARIATES)
    pool = pool.iloc[np.random.default_rng(seed).permutation(len(pool))].reset_index(drop=True)
    x_t, x_p = treated[cols].to_numpy(dtype=float), pool[cols].to_numpy(dtype=float)
    has_t, has_p = treated["has_history"].to_numpy(dtype=bool), pool["has_history"].to_numpy(dtype=bool)
    days_t = pd.to_datetime(treated["c"]).to_numpy().astype("datetime64[D]")
    by_day = {day: np.asarray(rows) for day, rows in pool.groupby("day").indices.items()} if len(pool) else {}
    t_rows, p_rows = [], []
    # one thread: on a loaded 2-core machine starting an OpenMP team cost 0.1 s a day (measured), 50x the search
    with threadpool_limits(1):
        for day in sorted(set(days_t)):
            here, there = np.flatnonzero(days_t == day), by_day.get(day, np.empty(0, np.int64))
            for history in (True, False):
                mine, theirs = here[has_t[here] == history], there[has_p[there] == history]
                if not len(mine) or not len(theirs):
                    continue
                # without a history every covariate is 0 (recency and tenure undefined): any candidate
                use = slice(None) if history else slice(1, 2)
                found = effects.nearest_matches(x_t[mine][:, use], x_p[theirs][:, use], caliper=CALIPER)
                t_rows += list(mine[found.treated_index])
                p_rows += list(theirs[found.pool_index])
    order = np.argsort(np.asarray(t_rows, dtype=int), kind="stable")
    t_at, p_at = np.asarray(t_rows, dtype=int)[order], np.asarray(p_rows, dtype=int)[order]
    ids = pd.Series(pool["customer_id"].to_numpy(dtype=object)[p_at], dtype=object)
    at = pd.to_datetime(pd.Series(pool["anchor"].to_numpy()[p_at])).astype("datetime64[s]")
    people, segments = (
        pd.DataFrame({"k": np.arange(len(t_at)), "customer_id": ids, "c": at}),
        np.full(len(t_at), "no_history"),
    )
    return Matched(t_at, people, segments, len(treated) - len(t_at), (x_t, x_p), (x_t[t_at], x_p[p_at]))


def _trio(name: str) -> tuple[str, str, str]:
    return name, f"{name}_ci_low", f"{name}_ci_high"


def _balance_rows(arm: str, sample: str, treated, control) -> list[dict]:
    from crmkit.models import effects

    out = []
    for j, name in enumerate(COVARIATES):
        t, c = treated[:, j], control[:, j]
        t, c = t[~np.isnan(t)], c[~np.isnan(c)]
        d = (
            float(effects.standardized_differences(t[:, None], c[:, None])[0])
            if len(t) > 1 and len(c) > 1
            else math.nan
        )
        out.append(
            {
                "arm": arm,
                "sample": sample,
                "covariate": name,
                "treated_mean": float(t.mean()) if len(t) else math.nan,
                "control_mean": float(c.mean()) if len(c) else math.nan,
                "std_difference": d,
            }
        )
    return out


def balance_table(stats, matched: Matched | None, cfile=None, arm: str = "members"):
    """Standardized differences (Austin 2009) of the covariates at contact: treated arms against the
    control arm, or (matched) the contacted against all possible comparisons and against their matches."""
    import pandas as pd

    rows: list[dict] = []
    if matched is not None:
        name = str(stats["group"].iloc[0]) if "group" in stats and len(stats) else arm
        rows += _balance_rows(name, "before_matching", *matched.before)
        rows += _balance_rows(name, "after_matching", *matched.after)
    elif cfile is not None and len(stats):
        x = stats[list(COVARIATES)].to_numpy(dtype=float)
        control = cfile.frame["is_control"].to_numpy()
        for group in cfile.groups:
            if group != cfile.control:
                rows += _balance_rows(group, "randomised", x[stats["group"].to_numpy() == group], x[control])
    frame = pd.DataFrame(rows, columns=["arm", "sample", "covariate", "treated_mean", "control_mean", "std_difference"])
    frame["imbalanced"] = frame["std_difference"].abs() > 0.1
    return frame


@dataclass
class LoyaltyResult(TableViews):
    """What :func:`loyalty` found.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row: members, matched, redemption rate, breakage, expired share, incremental margin, cost, net, ROI.
    points : pandas.DataFrame
        Points earned, redeemed, expired: totals and per member.
    effects : pandas.DataFrame
        Spend (and orders) before and after joining, members and matches, and the DiD with its interval.
    balance, members : pandas.DataFrame
        Covariate balance before/after matching; one row per member and match.
    headline : dict
    notes, warnings : list of Message
    """

    summary: Any
    points: Any
    effects: Any
    balance: Any
    members: Any
    headline: dict
    window: str
    lang: str
    evidence: str = "matched"
    notes: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    VIEWS = VIEWS
    DEFAULT_VIEW = "effects"


def loyalty(
    purchases,
    members_file_or_frame,
    *,
    window="90d",
    margin: float | None = None,
    point_value: float | None = None,
    programme_cost: float | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    anchor_days: int = 7,
    lang: str = "en",
) -> LoyaltyResult:
    """The loyalty programme: redemption, breakage, and members' spend against matched non-members.

    Parameters
    ----------
    purchases : path, PurchaseData or table
    members_file_or_frame : LoyaltyFile, path or table
        :func:`crmkit.io.campaigns.read_loyalty`.
    window : str or int
        Spend is compared in this window before and after each anchor (:func:`crmkit.campaign.parse_window`).
    margin : float, optional
        Profit per unit of revenue in (0, 1]; default 1 (a note says the margin is revenue).
    point_value : float, optional
        What a redeemed point costs; without it (and ``programme_cost``) there is no cost or ROI.
    programme_cost : float, optional
        Fixed cost of running the programme, added to the points' cost.
    alpha, lang
    seed : int
        Shuffles the comparison pool, so that tied candidates are taken at random.
    anchor_days : int
        A comparison customer's anchor purchase is at most this many days from the join day.

    Returns
    -------
    LoyaltyResult

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "b"], "amount": [10, 20, 50, 10, 20, 5],
    ...     "date": ["2024-01-01", "2024-02-01", "2024-02-10", "2024-01-03", "2024-02-03", "2024-03-20"]})
    >>> members = pd.DataFrame({"customer_id": ["a"], "join_date": ["2024-02-01"], "points_earned": ["100"],
    ...                         "points_redeemed": ["25"]})
    >>> found = loyalty(sales, members, window="30d")
    >>> found.headline["redemption_rate"], found.headline["breakage"], found.headline["did"]
    (0.25, 0.75, 50.0)

    ``a`` joined at their 02-01 purchase; ``b`` bought two days later with the same history
    before (one purchase of 10, 31 days earlier): ``a`` spent 50 in ``(02-01, 03-02]`` and
    nothing in ``[01-02, 02-01)``, ``b`` nothing in either of its windows.
    """
    import pandas as pd

    from crmkit.campaign import parse_window, plain
    from crmkit.models import effects

    lang = check_lang(lang)
    if margin is not None and not 0 < margin <= 1:
        raise UsageError(f"--margin is a share of revenue in (0, 1], not {margin!r}")
    name, days = parse_window(window)
    if isinstance(anchor_days, bool) or not isinstance(anchor_days, int) or anchor_days < 0:
        raise UsageError(f"--anchor-days is a whole number of days, 0 or more, not {anchor_days!r}")
    data = as_purchases(purchases)
    lfile = (
        members_file_or_frame if isinstance(members_file_or_frame, LoyaltyFile) else read_loyalty(members_file_or_frame)
    )
    notes = list(lfile.notes)
    frame = lfile.frame.reset_index(drop=True)
    con = data.con
    key = "order_id" in set(con.sql("SELECT * FROM tx LIMIT 0").columns)
    until = data.quality.as_of  # set by the caller (the CLI's --as-of): rows after it are left out
    last_day = con.sql("SELECT max(date) FROM tx").fetchall()[0][0]
    last_day = min(last_day, until) if until is not None and last_day is not None else last_day
    ids, joined = frame["customer_id"].astype(str), frame["join_date"].astype("datetime64[s]")
    people = pd.DataFrame({"k": np.arange(len(frame)), "customer_id": ids, "c": joined})
    # covariates before the join day; the outcome windows, which leave the anchor day out, are anchor_windows'
    stats = outcomes(window_stats(con, people, 1, key, until), people["c"])
    stats["group"] = "members"
    candidates = anchor_pool(con, people["c"], people, anchor_days, until)
    matched = match_at_anchors(stats.assign(c=people["c"]), candidates, seed)
    notes.insert(
        0,
        Message(
            "members are compared with customers who were not members and bought within "
            f"{anchor_days} days of the join day, matched on recency, frequency, monetary value and "
            "tenure before that purchase; spend after it against spend before, the day itself left out; "
            f"{MATCHED_TEXT}",
            "loyalty_matched_evidence",
            anchor_days=anchor_days,
        ),
    )
    if matched.unmatched:
        text = f"{matched.unmatched:,} member(s) had no comparable customer buying near their join day"
        notes.append(
            Message(f"{text} and are left out of the comparison", "loyalty_unmatched", count=matched.unmatched)
        )
    windows = anchor_windows(con, people, days, key, until)
    members = pd.concat([stats.drop(columns=list(windows.columns)[1:]), windows.drop(columns="k")], axis=1)
    members = members.iloc[matched.treated_rows].reset_index(drop=True)
    pool = anchor_windows(con, matched.people, days, key, until)
    for side in (members, pool):
        side["converted"], side["pre_converted"] = (side["orders"] > 0) * 1.0, (side["pre_orders"] > 0) * 1.0
    ends = pd.to_datetime(people["c"]) + pd.Timedelta(days=days)
    incomplete = int((ends.dt.date > last_day).iloc[matched.treated_rows].sum()) if len(matched.treated_rows) else 0
    if incomplete:
        text = f"window {name}: {incomplete:,} member(s) joined less than {days} days before the data's last day"
        values = {"window": name, "count": incomplete, "days": days, "last_day": last_day}
        notes.append(Message(f"{text} ({last_day}): measured over the days there are", "campaign_incomplete", **values))
    rows = []
    did_revenue = None
    for metric, column, pre in (
        ("revenue", "revenue", "pre_revenue"),
        ("orders", "orders", "pre_orders"),
        ("conversion", "converted", "pre_converted"),
    ):
        diff = (members[column] - members[pre]).to_numpy(dtype=float) - (pool[column] - pool[pre]).to_numpy(dtype=float)
        effect = effects.paired_difference(diff, alpha=alpha)
        did_revenue = effect if metric == "revenue" else did_revenue
        rows.append(
            {
                "window": name,
                "window_days": days,
                "metric": metric,
                "adjustment": "did",
                "method": effect.method,
                "evidence": "matched",
                "n_pairs": int(effect.n_treated),
                "members_before": float(members[pre].mean()) if len(members) else math.nan,
                "members_after": float(members[column].mean()) if len(members) else math.nan,
                "matches_before": float(pool[pre].mean()) if len(pool) else math.nan,
                "matches_after": float(pool[column].mean()) if len(pool) else math.nan,
                "difference": float(effect.estimate),
                "ci_low": float(effect.ci_low),
                "ci_high": float(effect.ci_high),
                "p_value": float(effect.p_value),
                "complete": not incomplete,
            }
        )
    effects_table = pd.DataFrame(rows)
    earned, redeemed, expired = (
        float(np.nansum(frame[c].to_numpy(dtype=float))) for c in ("points_earned", "points_redeemed", "points_expired")
    )
    has_points = bool(frame["points_earned"].notna().any() and frame["points_redeemed"].notna().any())
    redemption = redeemed / earned if has_points and earned > 0 else math.nan
    expired_share = expired / earned if frame["points_expired"].notna().any() and earned > 0 else math.nan
    rate = 1.0 if margin is None else float(margin)
    if margin is None:
        notes.append(Message("no --margin: incremental margin is revenue, not profit", "campaign_no_margin"))
    n_pairs = len(matched.treated_rows)
    assert did_revenue is not None
    did = [float(v) for v in (did_revenue.estimate, did_revenue.ci_low, did_revenue.ci_high)]
    incremental = [v * len(frame) * rate for v in did]  # for every member, as the cost counts every member
    cost = math.nan
    if point_value is not None or programme_cost is not None:
        cost = (redeemed * point_value if point_value is not None and has_points else 0.0) + (programme_cost or 0.0)
    else:
        notes.append(Message("no --point-value or --programme-cost: no programme cost and no ROI", "loyalty_no_cost"))
    net = incremental[0] - cost
    roi = net / cost if cost and np.isfinite(cost) and cost > 0 else math.nan
    roi_ci = [(v - cost) / cost if cost and np.isfinite(cost) and cost > 0 else math.nan for v in incremental[1:]]
    summary = pd.DataFrame(
        [
            {
                "members": int(len(frame)),
                "matched": int(n_pairs),
                "window": name,
                "points_earned": earned,
                "points_redeemed": redeemed,
                "points_expired": expired if frame["points_expired"].notna().any() else math.nan,
                "redemption_rate": redemption,
                "breakage": 1 - redemption if np.isfinite(redemption) else math.nan,
                "expired_share": expired_share,
                **dict(zip(_trio("spend_did"), did)),
                "margin": rate,
                **dict(zip(_trio("incremental_margin"), incremental)),
                "cost": cost,
                "net": net,
                **dict(zip(_trio("roi"), (roi, *roi_ci))),
                "evidence": "matched",
            }
        ]
    )
    points = pd.DataFrame(
        {
            "measure": ["points_earned", "points_redeemed", "points_expired"],
            "total": [earned, redeemed, summary["points_expired"].iloc[0]],
            "per_member": [v / len(frame) if len(frame) else math.nan for v in (earned, redeemed, expired)],
            "share_of_earned": [1.0 if earned else math.nan, redemption, expired_share],
        }
    )
    shown = ["customer_id", "join_date", "pre_orders", "pre_revenue", "orders", "revenue"]
    member_rows = members.assign(
        customer_id=people["customer_id"].iloc[matched.treated_rows].to_numpy(),
        join_date=people["c"].iloc[matched.treated_rows].to_numpy(),
        role="member",
        matched_to=matched.people["customer_id"].to_numpy(),
    )
    match_rows = pool.assign(
        customer_id=matched.people["customer_id"].to_numpy(),
        join_date=matched.people["c"].to_numpy(),
        role="match",
        matched_to=member_rows["customer_id"].to_numpy(),
    )
    member_table = pd.concat([member_rows, match_rows], ignore_index=True)[["role", *shown, "matched_to"]]
    balance = balance_table(stats, matched, arm="members")
    if len(balance) and bool(balance.loc[balance["sample"] == "after_matching", "imbalanced"].any()):
        notes.append(
            Message(
                "members and their matches still differ before joining (standardized difference above 0.1)",
                "loyalty_imbalance",
            )
        )
    headline = {k: plain(v) for k, v in summary.iloc[0].items()}
    headline["did"] = headline.pop("spend_did")
    return LoyaltyResult(summary, points, effects_table, balance, member_table, headline, name, lang, notes=notes)


__all__ = [
    "VIEWS",
    "LoyaltyResult",
    "Matched",
    "anchor_pool",
    "anchor_windows",
    "balance_table",
    "loyalty",
    "match_at_anchors",
    "match_customers",
    "outcomes",
    "window_stats",
]
