"""A seeded shop with a randomised campaign and a points programme, with known effects.

:func:`campaign_world` simulates every customer's purchases twice where it matters (potential
outcomes with common random numbers), so the effect of the campaign and of the loyalty
programme on each customer is known exactly, not only on average. ``examples/campaign_sales.csv``,
``examples/campaign.csv`` and ``examples/loyalty.csv`` are written by :func:`write_examples`.

Baseline (what every customer does without any campaign), from stream ``default_rng([seed, 0])``:

* first purchase on day ``floor(u (end - start))`` after ``start``, ``u ~ Beta(1, 1.3)``;
* a purchase rate per day ``lambda ~ Gamma(shape 0.9, mean 1/35)`` (heterogeneous buyers,
  the gamma-Poisson of repeat buying) while alive; alive for an ``Exponential(mean 450)``-day
  lifetime after the first purchase (churn), never past ``end``; repeat orders are a Poisson
  process on that span;
* order value ``exp(mu + 0.6 Z)``, ``mu ~ N(log 40, 0.4)`` per customer (lognormal, mean about
  52), rounded to the cent; a home channel (online 45%, store 25%, app 20%, wechat 10%), 15% of
  orders on another;
* each order is returned (the whole amount, status ``returned``, same ``order_id``) with
  probability 0.03, 1-14 days later, never after ``end``.

Campaign (streams 1-2): the customers with a completed order in the 365 days before ``contact``
are contacted (everyone else is absent from the campaign file); a complete randomisation gives
``round(share n)`` of them to each arm (the first arm is the control: in the file, not
contacted). Contact day: ``contact`` plus ``0..contact_spread_days`` days uniformly. For every
contacted customer one draw ``U ~ U(0, 1)``, one extra-order value ``V`` (the customer's own
lognormal) and one day ``D ~ U{0, window_days - 1}`` are shared by all arms (common random
numbers). Under arm ``a`` the campaign triggers an extra completed order of value
``extra_spend[a] * V`` on the contact day plus ``D`` when ``U < q_a``, with
``q_a = conversion_lift[a] / (1 - p0)``, ``p0`` the realised share of contacted customers who buy
in their window ``[contact day, contact day + window_days)`` anyway. So each customer's
conversion without the campaign ``Y(0)`` and under every arm ``Y(a)`` are both known.

Loyalty programme (streams 3-4): sign-up at checkout. At each of a customer's orders, in date
order, a customer who is not yet a member joins with probability 0.06, so the join day is the day
of one of their purchases, and heavier buyers, with more checkouts, join more often (a naive member
vs non-member comparison is biased upwards). Whether a customer joins at an order depends only on
their purchases so far, never on their rate or on orders to come: the selection is on the observed
history, the assumption under which matching on it removes the bias. From the join day each
baseline order's value is ``(1 + loyalty_lift)`` times its value without the programme (the join
order included; the campaign's extra orders are not raised). Points: 1 per yuan of net spend from
the join day (``floor``, the campaign's extra orders included);
redeemed a share ``r ~ Beta(6, 4)`` of them
(mean 60%), expired a share ``(1 - r) b`` with ``b ~ Beta(5, 3)`` (mean 25% of all points).

``truth`` (all exact, computed from both potential outcomes; money to the cent):

``window_days``, ``contact``, ``p0``, ``trigger_prob``: as above.
``conversion_lift[arm]["treated"]``: the arm's customers' mean of ``Y(a) - Y(0)``;
``conversion_lift[arm]["contacted"]``: the same over all contacted customers (the sample ATE).
``conversion_lift_population[arm]``: the expected lift over the trigger draws given the
baseline, which is exactly ``conversion_lift[arm]`` as passed in.
``revenue_lift[arm]``: the same for revenue per customer in the window (orders minus returns
dated in the window; only the extra order differs); ``revenue_lift_population[arm]`` its
expectation ``q_a extra_spend[a] mean(exp(mu + 0.18))`` over the contacted (before cents).
``orders_lift``, ``incremental_revenue`` (total over the arm's customers), ``cost`` (total).
``loyalty``: ``members``, ``spend_lift`` (relative: ``sum(Y(1) - Y(0)) / sum Y(0)`` over
members' spend from joining, = ``loyalty_lift`` up to cents), ``incremental_spend`` (total) and
``incremental_spend_per_member``, ``window_incremental_spend_per_member[w]`` (for ``w`` in
:data:`LOYALTY_TRUTH_WINDOWS`: the gain in orders and returns dated in ``(join, join + w]``, the
window after an anchor that a loyalty analysis measures, averaged over members), ``points_earned``,
``redemption_rate`` (redeemed / earned)
and ``breakage`` (expired / earned).

Which truth an interval should cover: the Newcombe or Welch interval of arm minus control
estimates the average effect over the population the contacted are a sample of; its target is
``conversion_lift_population[arm]`` (``revenue_lift_population[arm]``), and it is conservative
(covers at least as often) for the sample ATE ``conversion_lift[arm]["contacted"]``. With
``conversion_lift`` all 0 nothing is triggered: every truth is 0 and the interval should cover
0 in about 95% of seeds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from crmkit.errors import UsageError

DEFAULT_SEED = 20261202
EXAMPLE_CUSTOMERS = 3000

CHANNELS = ("online", "store", "app", "wechat")
_CHANNEL_SHARES = (0.45, 0.25, 0.20, 0.10)
_OTHER_CHANNEL = 0.15
_RATE_SHAPE, _RATE_MEAN = 0.9, 1 / 35
_LIFETIME_MEAN = 450.0
_VALUE_LOG_MEAN, _VALUE_LOG_SD_CUSTOMER, _VALUE_LOG_SD_ORDER = math.log(40.0), 0.4, 0.6
_RETURN_RATE = 0.03
_JOIN_PROBABILITY = 0.06
_ACTIVE_DAYS = 365
#: Windows (days after the join day) of ``truth["loyalty"]["window_incremental_spend_per_member"]``.
LOYALTY_TRUTH_WINDOWS = (30, 90, 180)

#: Campaign file: English group and channel names -> the Chinese of ``examples/campaign.csv``.
GROUP_ZH = {"control": "对照组", "sms": "短信", "coupon": "优惠券"}
CHANNEL_ZH = {"": "", "sms": "短信", "wechat": "微信"}
CAMPAIGN_COLUMNS_ZH = ["客户编号", "分组", "触达日期", "触达成本", "触达渠道", "优惠券码"]
LOYALTY_COLUMNS_ZH = ["客户编号", "入会日期", "累计积分", "已兑换积分", "已过期积分"]
SALES_COLUMNS = ["order_id", "customer_id", "order_date", "channel", "amount", "status"]
_CONTACT_CHANNEL = {"control": "", "sms": "sms", "coupon": "wechat"}


@dataclass
class CampaignWorld:
    """The frames of one simulated shop and the effects planted in them.

    Attributes
    ----------
    purchases : pandas.DataFrame
        ``order_id, customer_id, order_date (date), channel, amount (2 d.p.), status``
        (``completed``, or ``returned`` with a negative amount), sorted by date and order.
    campaign : pandas.DataFrame
        ``customer_id, group, contact_date, cost, channel, coupon``: one row per contacted
        customer, control included.
    loyalty : pandas.DataFrame
        ``customer_id, join_date, points_earned, points_redeemed, points_expired`` per member.
    truth : dict
        The planted effects (see the module docstring).
    outcomes : pandas.DataFrame
        Per contacted customer: ``customer_id, group, converted_0, revenue_0`` and, per arm,
        ``converted_<arm>``, ``revenue_<arm>`` (the potential outcomes in the window).
    """

    purchases: pd.DataFrame
    campaign: pd.DataFrame
    loyalty: pd.DataFrame
    truth: dict
    outcomes: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


def _check(arms, shares, conversion_lift, extra_spend, costs, window_days, start, contact, end, spread) -> None:
    if len(arms) < 2 or len(set(arms)) != len(arms):
        raise UsageError(f"arms must be at least two distinct names, the control first (got {list(arms)})")
    if len(shares) != len(arms) or any(s <= 0 for s in shares) or abs(sum(shares) - 1.0) > 1e-9:
        raise UsageError(f"shares must be one positive share per arm summing to 1 (got {list(shares)})")
    for name, mapping in (("conversion_lift", conversion_lift), ("extra_spend", extra_spend)):
        missing = [a for a in arms[1:] if a not in mapping]
        if missing:
            raise UsageError(f"{name} needs a value for every treated arm (missing {missing})")
    if any(a not in costs for a in arms):
        raise UsageError(f"costs needs a value for every arm, the control included (arms {list(arms)})")
    if not start < contact <= end:
        raise UsageError(f"dates must satisfy start < contact <= end (got {start}, {contact}, {end})")
    if window_days < 1 or spread < 0:
        raise UsageError("window_days must be at least 1 and contact_spread_days at least 0")
    if contact + timedelta(days=spread + window_days - 1) > end:
        raise UsageError(f"the last contact's {window_days}-day window ends after end ({end})")


def _baseline(rng: np.random.Generator, n: int, span: int, lift: float, loyalty_rng: np.random.Generator):
    """Customers' parameters and their baseline orders (days from ``start``)."""
    first = np.floor(rng.beta(1.0, 1.3, n) * span).astype(np.int64)
    rate = rng.gamma(_RATE_SHAPE, _RATE_MEAN / _RATE_SHAPE, n)
    alive_end = np.minimum(first + np.floor(rng.exponential(_LIFETIME_MEAN, n)).astype(np.int64), span)
    mu = rng.normal(_VALUE_LOG_MEAN, _VALUE_LOG_SD_CUSTOMER, n)
    home = rng.choice(len(CHANNELS), n, p=_CHANNEL_SHARES)
    repeats = rng.poisson(rate * (alive_end - first))
    counts = repeats + 1
    owner = np.repeat(np.arange(n), counts)
    starts = np.cumsum(counts) - counts
    offset = np.floor(rng.random(owner.size) * (alive_end - first)[owner] + 1).astype(np.int64)
    offset[starts] = 0  # the first purchase
    day = np.minimum(first[owner] + offset, span)
    cents = np.round(np.exp(mu[owner] + _VALUE_LOG_SD_ORDER * rng.standard_normal(owner.size)) * 100)
    other = rng.random(owner.size) < _OTHER_CHANNEL
    channel = np.where(other, rng.integers(0, len(CHANNELS), owner.size), home[owner])
    returned = rng.random(owner.size) < _RETURN_RATE
    return_day = day + rng.integers(1, 15, owner.size)
    returned &= return_day <= span
    # loyalty: sign-up at checkout; independent draws per order, so the first accepted order in date
    # order is the earliest accepted day. A join rate rising with the unseen purchase rate would be
    # selection no matching on the history removes (measured: +14 per member at no effect).
    accepted = loyalty_rng.random(owner.size) < _JOIN_PROBABILITY
    join = np.full(n, span + 1, np.int64)
    np.minimum.at(join, owner[accepted], day[accepted])
    member = join <= span
    after_join = member[owner] & (day >= join[owner])
    boosted = np.where(after_join, np.round(cents * (1.0 + lift)), cents)
    customers = {
        "first": first,
        "rate": rate,
        "mu": mu,
        "home": home,
        "member": member,
        "join": join,
    }
    orders = {
        "owner": owner,
        "day": day,
        "cents": boosted.astype(np.int64),
        "base_cents": cents.astype(np.int64),
        "channel": channel,
        "returned": returned,
        "return_day": return_day,
        "after_join": after_join,
    }
    return customers, orders


def _window_sum(owner, day, cents, lo, hi, n) -> np.ndarray:
    inside = (day >= lo[owner]) & (day < hi[owner])
    return np.bincount(owner[inside], weights=cents[inside], minlength=n)


def campaign_world(
    n_customers: int = 3000,
    *,
    seed: int = 0,
    start: date = date(2024, 1, 1),
    contact: date = date(2025, 3, 3),
    end: date = date(2025, 6, 30),
    arms: Sequence[str] = ("control", "sms", "coupon"),
    shares: Sequence[float] = (0.2, 0.4, 0.4),
    conversion_lift: Mapping[str, float] | None = None,
    extra_spend: Mapping[str, float] | None = None,
    costs: Mapping[str, float] | None = None,
    window_days: int = 30,
    contact_spread_days: int = 0,
    loyalty_lift: float = 0.15,
) -> CampaignWorld:
    """Simulate a shop, a randomised campaign and a points programme with known effects.

    Parameters
    ----------
    n_customers : int
        Customers of the shop (about 80% are contacted with the defaults).
    seed : int
        Same seed, same frames. Streams ``default_rng([seed, k])`` keep the baseline and the
        assignment identical when only the effects change (a no-effect world with the same
        seed differs only in the extra orders).
    start, contact, end : datetime.date
        First day of the data, the contact day, the last day.
    arms, shares
        Arm names, the control first, and the share of the contacted in each.
    conversion_lift : mapping arm -> float
        Population increase of the window's conversion rate (default sms 0.03, coupon 0.08).
    extra_spend : mapping arm -> float
        Value of a triggered order as a multiple of the customer's usual order value
        (default sms 1.0, coupon 0.85: the coupon's discount).
    costs : mapping arm -> float
        Cost per contacted customer (default control 0, sms 0.05, coupon 1.5).
    window_days : int
        Days after the contact in which the campaign can trigger an order.
    contact_spread_days : int
        Contacts spread uniformly over ``contact`` ... ``contact + contact_spread_days``.
    loyalty_lift : float
        Relative increase of a member's order values from the join day.

    Returns
    -------
    CampaignWorld

    Examples
    --------
    >>> world = campaign_world(300, seed=1)
    >>> sorted(world.campaign["group"].unique())
    ['control', 'coupon', 'sms']
    >>> world.truth["conversion_lift_population"]
    {'sms': 0.03, 'coupon': 0.08}
    """
    arms = tuple(arms)
    conversion_lift = dict({"sms": 0.03, "coupon": 0.08} if conversion_lift is None else conversion_lift)
    extra_spend = dict({"sms": 1.0, "coupon": 0.85} if extra_spend is None else extra_spend)
    costs = dict({"control": 0.0, "sms": 0.05, "coupon": 1.5} if costs is None else costs)
    _check(arms, shares, conversion_lift, extra_spend, costs, window_days, start, contact, end, contact_spread_days)
    if n_customers < 1:
        raise UsageError(f"n_customers must be at least 1, not {n_customers}")
    n = int(n_customers)
    span = (end - start).days
    contact_day = (contact - start).days
    customers, orders = _baseline(
        np.random.default_rng([seed, 0]), n, span, loyalty_lift, np.random.default_rng([seed, 3])
    )
    owner, day, cents = orders["owner"], orders["day"], orders["cents"]

    # contacted: a completed order in the year before the contact
    recent = (day >= contact_day - _ACTIVE_DAYS) & (day < contact_day)
    contacted = np.flatnonzero(np.bincount(owner[recent], minlength=n) > 0)
    m = contacted.size
    assign_rng = np.random.default_rng([seed, 1])
    sizes = np.floor(np.asarray(shares) * m + 0.5).astype(np.int64)
    sizes[0] += m - sizes.sum()
    group = np.repeat(np.arange(len(arms)), sizes)[assign_rng.permutation(m)] if m else np.empty(0, np.int64)
    spread = assign_rng.integers(0, contact_spread_days + 1, m)
    own_contact = np.full(n, -1, np.int64)
    own_contact[contacted] = contact_day + spread

    # the window's baseline outcomes, returns included where dated in the window
    lo = np.where(own_contact >= 0, own_contact, span + 1)
    hi = lo + window_days
    ret = orders["returned"]
    completed_in = np.bincount(owner[(day >= lo[owner]) & (day < hi[owner])], minlength=n)[contacted] > 0
    revenue0 = _window_sum(owner, day, cents, lo, hi, n) - _window_sum(
        owner[ret], orders["return_day"][ret], cents[ret], lo, hi, n
    )
    revenue0 = revenue0[contacted]
    p0 = float(completed_in.mean()) if m else 0.0

    trigger_rng = np.random.default_rng([seed, 2])
    u = trigger_rng.random(m)
    value = np.exp(customers["mu"][contacted] + _VALUE_LOG_SD_ORDER * trigger_rng.standard_normal(m))
    extra_day = trigger_rng.integers(0, window_days, m)
    trigger_prob: dict[str, float] = {}
    outcome_cols: dict[str, np.ndarray] = {"converted_0": completed_in.astype(np.int64), "revenue_0": revenue0 / 100}
    extra_rows = []
    for k, arm in enumerate(arms[1:], start=1):
        lift = float(conversion_lift[arm])
        q = lift / (1.0 - p0) if p0 < 1.0 else (0.0 if lift == 0 else math.inf)
        if not 0.0 <= q <= 1.0:
            raise UsageError(
                f"conversion_lift[{arm!r}] = {lift} must be between 0 and the {1 - p0:.3f} who would not buy anyway"
            )
        trigger_prob[arm] = q
        fired = u < q
        extra_cents = np.where(fired, np.round(value * float(extra_spend[arm]) * 100), 0.0)
        outcome_cols[f"converted_{arm}"] = (completed_in | fired).astype(np.int64)
        outcome_cols[f"revenue_{arm}"] = (revenue0 + extra_cents) / 100
        placed = fired & (group == k)
        extra_rows.append((contacted[placed], own_contact[contacted[placed]] + extra_day[placed], extra_cents[placed]))

    purchases = _purchases(customers, orders, extra_rows, n, start)
    campaign = _campaign_frame(contacted, group, own_contact, arms, costs, start, seed)
    loyalty, loyalty_truth = _loyalty_frame(customers, orders, extra_rows, n, start, np.random.default_rng([seed, 4]))
    outcomes = pd.DataFrame(
        {"customer_id": _ids(contacted, n), "group": np.asarray(arms, dtype=object)[group], **outcome_cols}
    )
    truth = _truth(
        outcomes, arms, group, trigger_prob, conversion_lift, extra_spend, costs, customers["mu"][contacted], p0
    )
    truth.update({"window_days": window_days, "contact": contact, "loyalty": loyalty_truth})
    return CampaignWorld(purchases, campaign, loyalty, truth, outcomes)


def _ids(index: np.ndarray, n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.array([f"{i + 1:0{width}d}" for i in index], dtype=object)


def _dates(start: date, days: np.ndarray) -> np.ndarray:
    base = np.datetime64(start, "D")
    return (base + days.astype("timedelta64[D]")).astype(object)


def _purchases(customers, orders, extra_rows, n: int, start: date) -> pd.DataFrame:
    owner, day, cents, channel = orders["owner"], orders["day"], orders["cents"], orders["channel"]
    e_owner = np.concatenate([r[0] for r in extra_rows]) if extra_rows else np.empty(0, np.int64)
    e_day = np.concatenate([r[1] for r in extra_rows]) if extra_rows else np.empty(0, np.int64)
    e_cents = np.concatenate([r[2] for r in extra_rows]) if extra_rows else np.empty(0)
    all_owner = np.concatenate([owner, e_owner])
    all_day = np.concatenate([day, e_day])
    all_cents = np.concatenate([cents, e_cents]).astype(np.int64)
    all_channel = np.concatenate([channel, customers["home"][e_owner]])
    returned = np.concatenate([orders["returned"], np.zeros(e_owner.size, bool)])
    return_day = np.concatenate([orders["return_day"], e_day])
    # order ids increase with time; ties broken by customer, then by simulation order
    sequence = np.lexsort((np.arange(all_day.size), all_owner, all_day))
    order_no = np.empty(all_day.size, np.int64)
    order_no[sequence] = np.arange(1, all_day.size + 1)
    r = np.flatnonzero(returned)
    frame_owner = np.concatenate([all_owner, all_owner[r]])
    frame_day = np.concatenate([all_day, return_day[r]])
    frame_no = np.concatenate([order_no, order_no[r]])
    frame_cents = np.concatenate([all_cents, -all_cents[r]])
    frame_channel = np.concatenate([all_channel, all_channel[r]])
    status = np.concatenate([np.zeros(all_day.size, np.int64), np.ones(r.size, np.int64)])
    keep = np.lexsort((status, frame_no, frame_day))
    return pd.DataFrame(
        {
            "order_id": np.array([f"SO{k:07d}" for k in frame_no[keep]], dtype=object),
            "customer_id": _ids(frame_owner[keep], n),
            "order_date": _dates(start, frame_day[keep]),
            "channel": np.asarray(CHANNELS, dtype=object)[frame_channel[keep]],
            "amount": frame_cents[keep] / 100,
            "status": np.where(status[keep] == 1, "returned", "completed").astype(object),
        },
        columns=SALES_COLUMNS,
    )


def _campaign_frame(contacted, group, own_contact, arms, costs, start: date, seed: int) -> pd.DataFrame:
    names = np.asarray(arms, dtype=object)[group]
    rng = np.random.default_rng([seed, 5])
    alphabet = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))
    codes = ["CP" + "".join(row) for row in alphabet[rng.integers(0, alphabet.size, (contacted.size, 8))]]
    is_coupon = names == "coupon"
    frame = pd.DataFrame(
        {
            "customer_id": _ids(contacted, len(own_contact)),
            "group": names,
            "contact_date": _dates(start, own_contact[contacted]),
            "cost": np.array([float(costs[a]) for a in names], dtype=np.float64),
            "channel": np.array([_CONTACT_CHANNEL.get(a, "sms") if a != arms[0] else "" for a in names], dtype=object),
            "coupon": np.where(is_coupon, np.array(codes, dtype=object), ""),
        }
    )
    return frame.reset_index(drop=True)


def _loyalty_frame(customers, orders, extra_rows, n: int, start: date, rng: np.random.Generator):
    owner, after = orders["owner"], orders["after_join"]
    net = orders["cents"] * np.where(orders["returned"], 0, 1)  # a returned order earns no points
    net_base = orders["base_cents"] * np.where(orders["returned"], 0, 1)
    earned_cents = np.bincount(owner[after], weights=net[after], minlength=n)
    for who, day, cents in extra_rows:  # the campaign's extra orders earn points too
        counted = customers["member"][who] & (day >= customers["join"][who])
        earned_cents += np.bincount(who[counted], weights=cents[counted], minlength=n)
    members = np.flatnonzero(customers["member"])
    earned = np.floor(earned_cents[members] / 100).astype(np.int64)
    redeem_share = rng.beta(6.0, 4.0, members.size)
    expire_share = (1.0 - redeem_share) * rng.beta(5.0, 3.0, members.size)
    redeemed = np.floor(earned * redeem_share).astype(np.int64)
    expired = np.minimum(np.floor(earned * expire_share).astype(np.int64), earned - redeemed)
    frame = pd.DataFrame(
        {
            "customer_id": _ids(members, n),
            "join_date": _dates(start, customers["join"][members]),
            "points_earned": earned,
            "points_redeemed": redeemed,
            "points_expired": expired,
        }
    )
    gain = float((net[after] - net_base[after]).sum()) / 100
    # the same gain as a window analysis sees it: orders and returns dated in (join, join + w]
    extra = np.where(after, orders["cents"] - orders["base_cents"], 0)
    join_of = customers["join"][owner]
    returned = orders["returned"]
    by_window = {}
    for days in LOYALTY_TRUTH_WINDOWS:
        sold = (orders["day"] > join_of) & (orders["day"] <= join_of + days)
        back = returned & (orders["return_day"] > join_of) & (orders["return_day"] <= join_of + days)
        cents = float(extra[sold].sum() - extra[back].sum())
        by_window[days] = cents / 100 / members.size if members.size else 0.0
    base = float(net_base[after].sum()) / 100
    total = int(earned.sum())
    truth = {
        "members": int(members.size),
        "spend_lift": gain / base if base else 0.0,
        "incremental_spend": round(gain, 2),
        "incremental_spend_per_member": gain / members.size if members.size else 0.0,
        "window_incremental_spend_per_member": by_window,
        "points_earned": total,
        "redemption_rate": int(redeemed.sum()) / total if total else 0.0,
        "breakage": int(expired.sum()) / total if total else 0.0,
    }
    return frame, truth


def _truth(outcomes, arms, group, trigger_prob, conversion_lift, extra_spend, costs, mu, p0) -> dict:
    expected_value = float(np.mean(np.exp(mu + _VALUE_LOG_SD_ORDER**2 / 2))) if mu.size else 0.0
    truth: dict = {
        "p0": p0,
        "trigger_prob": dict(trigger_prob),
        "conversion_lift": {},
        "conversion_lift_population": {a: float(conversion_lift[a]) for a in arms[1:]},
        "revenue_lift": {},
        "revenue_lift_population": {a: trigger_prob[a] * float(extra_spend[a]) * expected_value for a in arms[1:]},
        "orders_lift": {},
        "incremental_revenue": {},
        "cost": {a: round(float(costs[a]) * int((group == k).sum()), 2) for k, a in enumerate(arms)},
    }
    for k, arm in enumerate(arms[1:], start=1):
        in_arm = group == k
        conv = outcomes[f"converted_{arm}"].to_numpy() - outcomes["converted_0"].to_numpy()
        rev = outcomes[f"revenue_{arm}"].to_numpy() - outcomes["revenue_0"].to_numpy()
        fired = rev != 0
        truth["conversion_lift"][arm] = {"treated": _mean(conv[in_arm]), "contacted": _mean(conv)}
        truth["revenue_lift"][arm] = {"treated": _mean(rev[in_arm]), "contacted": _mean(rev)}
        truth["orders_lift"][arm] = {"treated": _mean(fired[in_arm]), "contacted": _mean(fired)}
        truth["incremental_revenue"][arm] = round(float(np.round(rev[in_arm] * 100).sum()) / 100, 2)
    return truth


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if values.size else 0.0


def write_examples(folder, *, n_customers: int = EXAMPLE_CUSTOMERS, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write ``campaign_sales.csv``, ``campaign.csv`` and ``loyalty.csv`` into ``folder``.

    The sales file has the English headers of ``examples/sales.csv`` (UTF-8, no BOM); the
    campaign and loyalty files have the Chinese headers of a CRM export (UTF-8 with a BOM, so
    that Excel opens them as UTF-8) and Chinese group names (对照组 / 短信 / 优惠券).

    Returns
    -------
    dict
        ``{"sales": path, "campaign": path, "loyalty": path}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    world = campaign_world(n_customers, seed=seed)
    paths = {
        "sales": folder / "campaign_sales.csv",
        "campaign": folder / "campaign.csv",
        "loyalty": folder / "loyalty.csv",
    }
    world.purchases.to_csv(paths["sales"], index=False, encoding="utf-8", float_format="%.2f", lineterminator="\n")
    campaign = world.campaign.assign(
        group=world.campaign["group"].map(lambda g: GROUP_ZH.get(g, g)),
        channel=world.campaign["channel"].map(lambda c: CHANNEL_ZH.get(c, c)),
    )
    campaign.columns = CAMPAIGN_COLUMNS_ZH
    campaign.to_csv(paths["campaign"], index=False, encoding="utf-8-sig", float_format="%.2f", lineterminator="\n")
    loyalty = world.loyalty.copy()
    loyalty.columns = LOYALTY_COLUMNS_ZH
    loyalty.to_csv(paths["loyalty"], index=False, encoding="utf-8-sig", lineterminator="\n")
    return paths


def main(argv=None) -> int:
    """``python -m crmkit.synth_campaigns``: write the campaign examples.

    Examples
    --------
    ``python -m crmkit.synth_campaigns -o examples``
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m crmkit.synth_campaigns",
        description="Write a seeded campaign example: campaign_sales.csv, campaign.csv and loyalty.csv.",
    )
    parser.add_argument("-o", "--output", required=True, help="folder to write into")
    parser.add_argument("--customers", type=int, default=EXAMPLE_CUSTOMERS, help="customers (default 3000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    try:
        write_examples(args.output, n_customers=args.customers, seed=args.seed)
    except UsageError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    main()
