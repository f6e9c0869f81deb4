"""Seeded line-item order exports (baskets) with planted product, time and discount structure.

``examples/baskets.csv`` is made here: the orders of :func:`crmkit.synth.generate_sales` (same
seed, so the same order ids, customers, dates, channels and returns) exploded into product
lines whose amounts add up to each order's amount to the cent. RFM of the basket file is
therefore that of the sales file, and the preference and recommendation analyses (issue 13)
have known structure to recover.

Model (defaults in brackets; every draw from ``numpy.random.default_rng([seed, k])``):

* catalogue: ``n_products`` products [400], categories in synth's shares, a list price
  log-normal around the category median (:data:`PRICE_MEDIAN`: apparel 19, beauty 15,
  electronics 39, grocery 5, home 12, toys 10; sigma 0.7; ending in .90, so that a line of
  an order of synth's mean value 35 fits), a home taste group uniform over the
  :data:`TASTE_GROUPS` [8] groups, and Zipf popularity within the category (weight
  ``rank ** -0.8``, rank random);
* lines per order: ``1 + Poisson(0.8 log(1 + amount / 15))``, at least 2 when one product
  could not hold the whole amount; the first line has the order's category in ``sales``, the
  others synth's category shares;
* (a) taste: each customer has one taste group; a line comes from the products of the
  customer's group in its category with probability :data:`TASTE_SHARE` [0.9], else from
  the whole category; either way by popularity, keeping of 6 such draws the one closest in
  price to the line's budget (order amount / lines);
* (b) pair: an order with an ``electronics`` line and no ``toys`` line gets a toys line with
  probability :data:`PAIR_PROBABILITY` [0.8], so the lift of {electronics, toys} over orders
  is well above 2 while the other category pairs stay below 1 (orders of one line hold no
  pair, which pulls every independent pair under 1);
* (c) consumables: each customer has 2 staple grocery products from their group; a grocery
  line of an order of 2+ lines is one of them with probability :data:`STAPLE_PROBABILITY`
  [0.5];
* (d) time of day (``order_time``, on synth's date): hours by channel from
  :data:`HOUR_WEIGHTS`: store 10-21h only (weekends earlier and flatter, weekdays peaking
  after work), online and app evenings peaking at 20-22h, WeChat at lunchtime 11-13h;
  minutes and seconds uniform. Dates and so weekdays are synth's, since moving an order to
  another day would change RFM;
* (e) discounts: :data:`SEEKER_SHARE` [20%] of customers are discount-seekers; a line is on
  promotion with probability 0.75 for them and 0.08 for the others, at 10-50% off list
  (:data:`PROMO_DEPTHS`).

Exact amounts (all in integer cents): quantities follow the line budget; the line with the
highest unit price (not a staple when another line can be) becomes a one-unit remainder line
after units of the cheapest other line bring the remainder to within half a unit of its price
(other lines are dropped, cheapest first, when even one unit of each leaves less than the
category's cheapest price; a rare order that still does not fit becomes units of its
category's cheapest product plus the remainder). The remainder line's product is then
re-picked as the lowest list price at or above the remainder, in the customer's taste cell
when within :data:`REPICK_TOLERANCE` [15%], else in the whole category; it is paid the
remainder, a small discount like an order-level coupon allocated to one line, so most
orders carry one slightly discounted line (median 7% off for non-seekers). Whole returns
negate the order's lines; partial ones refund whole lines in order and the rest as a
refund on the next line (its last unit paid back in part).

Measured on ``examples/baskets.csv`` (26,014 lines, 1.93 per order): lift of {electronics,
toys} 2.41, every other pair 0.57-0.84; hit rate at 10 on each repeat customer's last order
0.37 for item-item co-occurrence against 0.22 for the 10 most popular products; discount /
list value 24.9% for discount-seekers against 8.0% for the others; 66% of lines from the
customer's own taste group; 11.5% of (customer, grocery product) pairs bought in 2+ orders
against 7.5% for other products.

:func:`basket_truth` gives the planted values for tests: taste group per customer, the
pair and its probability, the discount-seekers and the staples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmkit.errors import UsageError
from crmkit.synth import BENCHMARK_PARAMS, CATEGORIES, CATEGORY_EXTRA_QUANTITY, CATEGORY_SHARES, generate_sales

COLUMNS = [
    "order_id",
    "customer_id",
    "order_time",
    "channel",
    "product_id",
    "category",
    "quantity",
    "list_price",
    "unit_price",
    "discount",
    "amount",
    "status",
]
DEFAULT_SEED = 20261123

TASTE_GROUPS = 8
TASTE_SHARE = 0.9
PAIR = ("electronics", "toys")
PAIR_PROBABILITY = 0.8
STAPLES_PER_CUSTOMER = 2
STAPLE_PROBABILITY = 0.5
SEEKER_SHARE = 0.20
PROMO_PROBABILITY = {"seeker": 0.75, "other": 0.08}
PROMO_DEPTHS = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
PROMO_DEPTH_SHARES = np.array([0.25, 0.25, 0.25, 0.15, 0.10])
CANDIDATES = 6
ZIPF_EXPONENT = 0.8
# Median list price per category (yuan), in the order of crmkit.synth.CATEGORIES; the
# order values of synth average 35, so a line's budget is about 17.
PRICE_MEDIAN = np.array([19.0, 15.0, 39.0, 5.0, 12.0, 10.0])
PRICE_SIGMA = 0.7
REPICK_TOLERANCE = 0.15

#: Relative weight of each hour 0-23 by channel, for weekdays and weekends (illustrative).
HOUR_WEIGHTS: dict[str, dict[str, list]] = {
    "store": {
        "weekday": [0] * 10 + [3, 5, 6, 5, 4, 4, 5, 7, 8, 8, 6, 3] + [0, 0],
        "weekend": [0] * 10 + [4, 6, 7, 8, 9, 9, 8, 8, 7, 6, 4, 2] + [0, 0],
    },
    "online": {
        "weekday": [2, 1, 0.5, 0.3, 0.2, 0.3, 0.6, 1, 1.5, 2, 2.5, 3, 3, 2.5, 2.5, 2.5, 3, 3.5, 4, 5, 8, 9, 8, 4],
        "weekend": [3, 2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 4, 4, 4, 4, 4, 4, 4, 4.5, 5, 8, 9, 8, 5],
    },
    "app": {
        "weekday": [2, 1, 0.5, 0.3, 0.2, 0.3, 0.8, 1.5, 2, 2, 2, 3, 3.5, 2.5, 2, 2, 2.5, 3, 4, 5, 8, 9, 8, 4],
        "weekend": [3, 2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 4, 4, 4, 4, 4, 4, 4, 4.5, 5, 8, 9, 8, 5],
    },
    "wechat": {
        "weekday": [0.5, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1, 2, 2, 3, 8, 10, 8, 3, 2, 2, 2, 3, 3, 3, 2.5, 2, 1],
        "weekend": [0.5, 0.3, 0.1, 0.1, 0.1, 0.2, 0.5, 1, 2, 3, 4, 8, 9, 8, 4, 3, 3, 3, 3, 3, 3, 2.5, 2, 1],
    },
}


@dataclass(frozen=True)
class BasketTruth:
    """The planted structure of a basket export (see the module docstring).

    Attributes
    ----------
    taste_group : pandas.Series
        Taste group 0..K-1 per ``customer_id`` (index, text).
    discount_seekers : numpy.ndarray
        ``customer_id`` of the discount-seekers, sorted.
    pair : tuple of str
        (A, B): an order with an A line and no B line gets a B line with ``pair_probability``.
    pair_probability, taste_share, staple_probability, seeker_share : float
    staples : pandas.DataFrame
        ``customer_id, product_id``: each customer's staple grocery products.
    products : pandas.DataFrame
        The catalogue (:func:`generate_products`).
    """

    taste_group: pd.Series
    discount_seekers: np.ndarray
    pair: tuple[str, str]
    pair_probability: float
    taste_share: float
    staple_probability: float
    seeker_share: float
    staples: pd.DataFrame
    products: pd.DataFrame


def generate_products(n_products: int = 400, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The catalogue: ``product_id, category, list_price, taste_group, popularity``.

    Categories get ``round(n_products x share)`` products (the largest share absorbs the
    rounding); ``popularity`` is the Zipf weight ``1 / rank`` within the category.
    """
    if int(n_products) < len(CATEGORIES) * 2:
        raise UsageError(f"n_products must be at least {len(CATEGORIES) * 2}, got {n_products}")
    n_products = int(n_products)
    rng = np.random.default_rng([seed, 1])
    counts = np.maximum(2, np.round(CATEGORY_SHARES * n_products).astype(np.int64))
    counts[np.argmax(counts)] += n_products - counts.sum()
    category = np.repeat(np.arange(len(CATEGORIES)), counts)
    rng.shuffle(category)
    price = PRICE_MEDIAN[category] * np.exp(PRICE_SIGMA * rng.standard_normal(n_products))
    cents = np.maximum(1, np.round(price)).astype(np.int64) * 100 - 10  # 38.90, the shop's price ending
    group = rng.integers(0, TASTE_GROUPS, size=n_products)
    rank = np.empty(n_products, np.int64)
    for c in range(len(CATEGORIES)):
        members = np.flatnonzero(category == c)
        rank[members] = rng.permutation(members.size) + 1
    width = max(4, len(str(n_products)))
    return pd.DataFrame(
        {
            "product_id": np.char.add("P", np.char.zfill((np.arange(n_products) + 1).astype(str), width)),
            "category": CATEGORIES[category],
            "list_price": cents / 100.0,
            "taste_group": group,
            "popularity": rank**-ZIPF_EXPONENT,
        }
    )


def _customer_draws(n_customers: int, seed: int, products: pd.DataFrame):
    """Taste group, discount-seeker flag and staple products (indices) per customer."""
    rng = np.random.default_rng([seed, 2])
    group = rng.integers(0, TASTE_GROUPS, size=n_customers)
    seeker = rng.random(n_customers) < SEEKER_SHARE
    grocery = int(np.flatnonzero(CATEGORIES == "grocery")[0])
    sampler = _Sampler(products)
    cells = np.repeat(sampler.taste_cell(grocery, group), STAPLES_PER_CUSTOMER)
    staples = sampler.draw(rng, cells).reshape(n_customers, STAPLES_PER_CUSTOMER)
    return group, seeker, staples


class _Sampler:
    """Popularity-weighted draws from cells of the catalogue, vectorised by inverse CDF.

    Cell ``c x K + g`` holds the products of category ``c`` and taste group ``g``; cell
    ``C x K + c`` the whole category ``c``. Each cell's cumulative weights are shifted by its
    number, so one ``searchsorted`` draws from many cells at once.
    """

    def __init__(self, products: pd.DataFrame) -> None:
        category = pd.Categorical(products["category"], categories=CATEGORIES).codes.astype(np.int64)
        group = products["taste_group"].to_numpy(np.int64)
        weight = products["popularity"].to_numpy(float)
        n_cat = len(CATEGORIES)
        taste = category * TASTE_GROUPS + group
        general = n_cat * TASTE_GROUPS + category
        cell = np.concatenate([taste, general])
        item = np.concatenate([np.arange(len(products)), np.arange(len(products))])
        w = np.concatenate([weight, weight])
        order = np.lexsort((item, cell))
        cell, item, w = cell[order], item[order], w[order]
        n_cells = n_cat * TASTE_GROUPS + n_cat
        self.size = np.bincount(cell, minlength=n_cells)
        total = np.bincount(cell, weights=w, minlength=n_cells)
        start = np.cumsum(self.size) - self.size
        cum = np.cumsum(w) - np.repeat(np.cumsum(total) - total, self.size)
        self.keys = cell + cum / total[cell]
        self.item = item
        self.start = start
        self.n_cat = n_cat
        price = np.round(products["list_price"].to_numpy() * 100).astype(np.int64)[item]
        order = np.lexsort((price, cell))
        self.price_key = cell[order] * 10**12 + price[order]
        self.by_price = item[order]

    def taste_cell(self, category, group):
        cell = np.asarray(category) * TASTE_GROUPS + np.asarray(group)
        # A small catalogue can leave a (category, group) cell empty: use the whole category.
        return np.where(self.size[cell] > 0, cell, self.general_cell(category))

    def general_cell(self, category):
        return self.n_cat * TASTE_GROUPS + np.asarray(category)

    def cheapest_at_least(self, cells: np.ndarray, cents: np.ndarray) -> np.ndarray:
        """The product of each cell with the lowest list price >= ``cents`` (-1 when none)."""
        key = cells * 10**12 + cents
        pos = np.searchsorted(self.price_key, key, side="left")
        ok = (pos < self.price_key.size) & (self.price_key[np.minimum(pos, self.price_key.size - 1)] // 10**12 == cells)
        return np.where(ok, self.by_price[np.minimum(pos, self.price_key.size - 1)], -1)

    def draw(self, rng: np.random.Generator, cells: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.keys, cells + rng.random(cells.size), side="left")
        # float round-off can put u just past a cell's last key
        pos = np.minimum(pos, self.start[cells] + self.size[cells] - 1)
        return self.item[pos]


def _hours(rng: np.random.Generator, channel: np.ndarray, weekend: np.ndarray) -> np.ndarray:
    hour = np.zeros(channel.size, np.int64)
    for name, by_day in HOUR_WEIGHTS.items():
        for day_kind, weights in by_day.items():
            mask = (channel == name) & (weekend == (day_kind == "weekend"))
            w = np.asarray(weights, float)
            hour[mask] = rng.choice(24, size=int(mask.sum()), p=w / w.sum())
    return hour


def _cumsum_before(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Sum of the earlier ``values`` of the same run of ``group`` (rows sorted by group)."""
    total = np.cumsum(values) - values
    starts = np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1]
    return total - np.repeat(total[starts], np.diff(np.r_[starts, group.size]))


def _group_first(order: np.ndarray, key: np.ndarray, n_orders: int) -> np.ndarray:
    """Index of the line with the smallest ``key`` in each order (-1 when the order has none)."""
    idx = np.lexsort((key, order))
    first = np.full(n_orders, -1, np.int64)
    o = order[idx]
    is_first = np.ones(idx.size, bool)
    is_first[1:] = o[1:] != o[:-1]
    first[o[is_first]] = idx[is_first]
    return first


def generate_baskets(
    n_customers: int = 5000,
    n_products: int = 400,
    seed: int = DEFAULT_SEED,
    *,
    sales: pd.DataFrame | None = None,
    busy: bool = False,
) -> pd.DataFrame:
    """Explode the orders of :func:`crmkit.synth.generate_sales` into product lines.

    Parameters
    ----------
    n_customers : int
        Customers of the sales export drawn when ``sales`` is not given.
    n_products : int
        Products in the catalogue (:func:`generate_products`).
    seed : int
        Seed of the sales export and of every basket stream; the same arguments give the
        same frame.
    sales : pandas.DataFrame, optional
        A frame from :func:`generate_sales` to explode instead of drawing one.
    busy : bool
        Draw the sales with :data:`crmkit.synth.BENCHMARK_PARAMS` (about 6 orders per
        customer) for benchmark files.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, in the row order of ``sales`` (lines of an order by line number);
        money as floats with 2 decimals: ``amount = quantity x unit_price``, ``discount =
        (list_price - unit_price) x quantity``, both negative on returns.
    """
    if sales is None:
        params: dict[str, float] = BENCHMARK_PARAMS if busy else {}
        sales = generate_sales(n_customers, seed=seed, **params)  # type: ignore[arg-type]
    products = generate_products(n_products, seed)
    sampler = _Sampler(products)
    list_cents = np.round(products["list_price"].to_numpy() * 100).astype(np.int64)
    prod_cat = pd.Categorical(products["category"], categories=CATEGORIES).codes.astype(np.int64)
    customer_ids = np.sort(sales["customer_id"].unique())
    group, seeker, staples = _customer_draws(customer_ids.size, seed, products)
    rng = np.random.default_rng([seed, 3])

    # --- orders -------------------------------------------------------------------
    is_order = (sales["status"] == "completed").to_numpy()
    orders = sales[is_order]
    n_orders = len(orders)
    total = np.round(orders["amount"].to_numpy() * 100).astype(np.int64)
    cust = np.searchsorted(customer_ids, orders["customer_id"].to_numpy())
    cat0 = pd.Categorical(orders["category"], categories=CATEGORIES).codes.astype(np.int64)
    cat_max = np.array([list_cents[prod_cat == c].max() for c in range(len(CATEGORIES))])
    cat_min_product = np.array(
        [np.flatnonzero(prod_cat == c)[np.argmin(list_cents[prod_cat == c])] for c in range(len(CATEGORIES))]
    )
    k = 1 + rng.poisson(0.8 * np.log1p(total / 1500.0))
    # one line must hold the whole order at or under its list price
    k = np.where(total > 0.9 * cat_max[cat0], np.maximum(k, 2), k)

    line_order = np.repeat(np.arange(n_orders), k)
    slot = np.arange(line_order.size) - np.repeat(np.cumsum(k) - k, k)
    line_cat = np.where(slot == 0, cat0[line_order], rng.choice(len(CATEGORIES), line_order.size, p=CATEGORY_SHARES))
    a_cat, b_cat = (int(np.flatnonzero(CATEGORIES == name)[0]) for name in PAIR)
    has_a = np.bincount(line_order, weights=line_cat == a_cat, minlength=n_orders) > 0
    has_b = np.bincount(line_order, weights=line_cat == b_cat, minlength=n_orders) > 0
    add_b = np.flatnonzero(has_a & ~has_b & (rng.random(n_orders) < PAIR_PROBABILITY))
    line_order = np.concatenate([line_order, add_b])
    line_cat = np.concatenate([line_cat, np.full(add_b.size, b_cat)])
    k = k + np.bincount(add_b, minlength=n_orders)
    by_order = np.argsort(line_order, kind="stable")
    line_order, line_cat = line_order[by_order], line_cat[by_order]
    n_lines = line_order.size
    line_cust = cust[line_order]

    # --- products: staples, taste, popularity and price-awareness -------------------
    budget = total[line_order] / k[line_order]
    target = budget / (1.0 + CATEGORY_EXTRA_QUANTITY[line_cat])
    taste = rng.random(n_lines) < TASTE_SHARE
    cells = np.where(taste, sampler.taste_cell(line_cat, group[line_cust]), sampler.general_cell(line_cat))
    cand = sampler.draw(rng, np.repeat(cells, CANDIDATES)).reshape(n_lines, CANDIDATES)
    gap = np.abs(np.log(list_cents[cand]) - np.log(np.maximum(target, 1.0))[:, None])
    product = cand[np.arange(n_lines), np.argmin(gap, axis=1)]
    grocery = int(np.flatnonzero(CATEGORIES == "grocery")[0])
    staple = (line_cat == grocery) & (k[line_order] >= 2) & (rng.random(n_lines) < STAPLE_PROBABILITY)
    product = np.where(staple, staples[line_cust, rng.integers(0, STAPLES_PER_CUSTOMER, n_lines)], product)

    promo_p = np.where(seeker[line_cust], PROMO_PROBABILITY["seeker"], PROMO_PROBABILITY["other"])
    depth = np.where(rng.random(n_lines) < promo_p, rng.choice(PROMO_DEPTHS, n_lines, p=PROMO_DEPTH_SHARES), 0.0)
    unit = np.round(list_cents[product] * (1.0 - depth)).astype(np.int64)
    quantity = np.maximum(1, np.round(budget / unit)).astype(np.int64)

    # --- exact amounts -------------------------------------------------------------
    fit = _group_first(line_order, -(unit - staple * 10**12), n_orders)
    is_fit = np.zeros(n_lines, bool)
    is_fit[fit] = True
    quantity[is_fit] = 1
    rest = np.where(is_fit, np.int64(2**62), unit)
    cheap = _group_first(line_order, rest, n_orders)
    cheap = np.where(is_fit[np.maximum(cheap, 0)], -1, cheap)
    multi = cheap >= 0

    def remainder():
        paid = np.where(is_fit, 0, quantity * unit)
        return total - np.bincount(line_order, weights=paid, minlength=n_orders).astype(np.int64)

    left = remainder()
    c, f = cheap[multi], fit[multi]
    # Units of the cheapest other line bring the remainder to within half a unit of the
    # remainder line's price (so its re-picked product is close in price), or under that
    # price when no product of its category costs as much.
    extra = np.round((left[multi] - unit[f]) / unit[c]).astype(np.int64)
    over_max = (left[multi] - extra * unit[c] > cat_max[line_cat[f]]) | staple[f]
    extra = np.where(over_max, -((unit[f] - left[multi]) // unit[c]), extra)
    extra = np.maximum(extra, 1 - quantity[c])
    quantity[c] += extra
    left = remainder()
    floor = list_cents[cat_min_product[line_cat[fit]]]
    short = multi & (left < floor)
    if short.any():
        # One unit of each other line already leaves too little: drop the cheapest of them
        # until the remainder reaches the cheapest list price of the remainder line's category.
        idx = np.flatnonzero(np.isin(line_order, np.flatnonzero(short)) & ~is_fit)
        idx = idx[np.lexsort((unit[idx], line_order[idx]))]
        o = line_order[idx]
        before = _cumsum_before(quantity[idx] * unit[idx], o)
        quantity[idx[left[o] + before < floor[o]]] = 0
        left = remainder()

    # Rare leftovers (a remainder at or under zero or dearer than the category's dearest
    # product): the order becomes units of the category's cheapest product plus the remainder.
    fit_cat = line_cat[fit]
    cap = np.where(staple[fit] & multi, list_cents[product[fit]], cat_max[fit_cat])
    bad = np.flatnonzero(multi & ((left <= 0) | (left > cap)))
    if bad.size:
        quantity[np.isin(line_order, bad) & ~is_fit] = 0
        cheapest = cat_min_product[fit_cat[bad]]
        units = np.maximum(0, -((cat_max[fit_cat[bad]] - total[bad]) // list_cents[cheapest]))
        c = cheap[bad]
        product[c], line_cat[c], unit[c], quantity[c] = cheapest, fit_cat[bad], list_cents[cheapest], units
        staple[fit[bad]] = False
        left = remainder()

    # re-pick the remainder line's product: the list price closest at or above what it is paid
    fd = depth[fit]
    want = np.minimum(np.ceil(left / (1.0 - fd)).astype(np.int64), cat_max[line_cat[fit]])
    want = np.maximum(want, left)
    fit_cell = np.where(taste[fit], sampler.taste_cell(line_cat[fit], group[cust]), sampler.general_cell(line_cat[fit]))
    best = sampler.cheapest_at_least(fit_cell, want)
    best_ok = (best >= 0) & (list_cents[np.maximum(best, 0)] * (1.0 - REPICK_TOLERANCE) <= want)
    by_category = sampler.cheapest_at_least(sampler.general_cell(line_cat[fit]), want)
    repick = np.where(best_ok, best, by_category)
    keep = staple[fit] & multi
    product[fit] = np.where(keep, product[fit], repick)
    unit[fit] = left
    kept = quantity > 0
    line_order, line_cat, product, quantity, unit = (x[kept] for x in (line_order, line_cat, product, quantity, unit))

    # --- returns: whole orders negated, partial ones refund lines in order ---------
    ret = sales[~is_order]
    order_ix = pd.Index(orders["order_id"].to_numpy())
    ret_order = order_ix.get_indexer(ret["order_id"].to_numpy())
    refund = -np.round(ret["amount"].to_numpy() * 100).astype(np.int64)
    line_start = np.searchsorted(line_order, np.arange(n_orders))
    line_end = np.searchsorted(line_order, np.arange(n_orders), side="right")
    refunds: list[tuple[int, int, int, int]] = []  # (line, quantity, unit cents, return row)
    for j, (o, amount) in enumerate(zip(ret_order, refund)):
        lo, hi = int(line_start[o]), int(line_end[o])
        if amount == total[o]:
            refunds.extend((i, -int(quantity[i]), int(unit[i]), j) for i in range(lo, hi))
            continue
        for i in range(lo, hi):
            paid = int(quantity[i] * unit[i])
            if paid <= amount:
                refunds.append((i, -int(quantity[i]), int(unit[i]), j))
                amount -= paid
                if amount == 0:
                    break
                continue
            units = -(-amount // int(unit[i]))
            if units > 1:
                refunds.append((i, -(units - 1), int(unit[i]), j))
            refunds.append((i, -1, int(amount - (units - 1) * int(unit[i])), j))
            break
    refund_table = np.array(refunds, dtype=np.int64).reshape(-1, 4)
    r_src_a, r_qty, r_unit, r_row = refund_table.T

    # --- rows in the order of sales ------------------------------------------------
    sales_row = np.concatenate([np.flatnonzero(is_order)[line_order], np.flatnonzero(~is_order)[r_row]])
    prod_all = np.concatenate([product, product[r_src_a]])
    qty_all = np.concatenate([quantity, r_qty])
    unit_all = np.concatenate([unit, r_unit])
    line_no = np.arange(sales_row.size)
    rows = np.lexsort((line_no, sales_row))
    sales_row, prod_all, qty_all, unit_all = sales_row[rows], prod_all[rows], qty_all[rows], unit_all[rows]

    day = pd.to_datetime(sales["order_date"].to_numpy())
    channel = sales["channel"].to_numpy()
    hour = _hours(rng, channel, np.asarray(day.day_of_week >= 5))
    seconds = hour * 3600 + rng.integers(0, 3600, size=len(sales))
    stamp = (day + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S")
    list_all = list_cents[prod_all]
    return pd.DataFrame(
        {
            "order_id": sales["order_id"].to_numpy()[sales_row],
            "customer_id": sales["customer_id"].to_numpy()[sales_row],
            "order_time": np.asarray(stamp)[sales_row],
            "channel": channel[sales_row],
            "product_id": products["product_id"].to_numpy()[prod_all],
            "category": CATEGORIES[prod_cat[prod_all]],
            "quantity": qty_all,
            "list_price": list_all / 100.0,
            "unit_price": unit_all / 100.0,
            "discount": (list_all - unit_all) * qty_all / 100.0,
            "amount": qty_all * unit_all / 100.0,
            "status": sales["status"].to_numpy()[sales_row],
        },
        columns=COLUMNS,
    )


def basket_truth(
    n_customers: int = 5000, n_products: int = 400, seed: int = DEFAULT_SEED, *, sales: pd.DataFrame | None = None
) -> BasketTruth:
    """The planted structure of :func:`generate_baskets` with the same arguments.

    Only the customer ids of ``sales`` matter (customers ``1..n_customers`` zero-padded to
    6 digits when ``sales`` is not given, as :func:`generate_sales` numbers them).
    """
    if sales is None:
        ids = np.char.zfill((np.arange(int(n_customers)) + 1).astype(str), 6)
    else:
        ids = np.sort(sales["customer_id"].unique())
    products = generate_products(n_products, seed)
    group, seeker, staples = _customer_draws(ids.size, seed, products)
    return BasketTruth(
        taste_group=pd.Series(group, index=pd.Index(ids, name="customer_id"), name="taste_group"),
        discount_seekers=ids[seeker],
        pair=PAIR,
        pair_probability=PAIR_PROBABILITY,
        taste_share=TASTE_SHARE,
        staple_probability=STAPLE_PROBABILITY,
        seeker_share=SEEKER_SHARE,
        staples=pd.DataFrame(
            {
                "customer_id": np.repeat(ids, STAPLES_PER_CUSTOMER),
                "product_id": products["product_id"].to_numpy()[staples.ravel()],
            }
        ),
        products=products,
    )


def write_baskets(baskets: pd.DataFrame, path) -> None:
    """Write a frame from :func:`generate_baskets` as UTF-8 CSV (no BOM, ``\\n``, 2 decimals)."""
    # DuckDB writes the same bytes as pandas' to_csv(float_format="%.2f") several times faster
    # on a million rows; money is cast to DECIMAL(18, 2) so it prints with 2 decimals.
    import duckdb

    money = ("list_price", "unit_price", "discount", "amount")
    select = ", ".join(f"CAST({c} AS DECIMAL(18, 2)) AS {c}" if c in money else c for c in COLUMNS)
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        con.register("baskets", baskets[COLUMNS])
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT {select} FROM baskets) TO '{target}' (HEADER, DELIMITER ',')")
    finally:
        con.close()


def main(argv=None) -> int:
    """``python -m crmkit.synth_baskets``: write ``examples/baskets.csv`` or a benchmark file.

    Examples
    --------
    ``python -m crmkit.synth_baskets -o examples/baskets.csv``
    ``python -m crmkit.synth_baskets --customers 100000 --products 5000 --busy -o /tmp/baskets-1m.csv``
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m crmkit.synth_baskets",
        description="Write a seeded line-item order export (the orders of crmkit.synth with product lines).",
    )
    parser.add_argument("-o", "--output", required=True, help="CSV file to write")
    parser.add_argument("--customers", type=int, default=5000, help="customers of the sales export (default 5000)")
    parser.add_argument("--products", type=int, default=400, help="products in the catalogue (default 400)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default that of sales.csv)")
    parser.add_argument("--busy", action="store_true", help="about 6 orders per customer (benchmark population)")
    args = parser.parse_args(argv)
    try:
        baskets = generate_baskets(args.customers, args.products, args.seed, busy=args.busy)
    except UsageError as exc:
        parser.error(str(exc))
    write_baskets(baskets, args.output)
    return 0


if __name__ == "__main__":
    main()
