"""Seeded synthetic purchase exports whose customers follow BG/NBD and Gamma-Gamma.

The file ``examples/sales.csv`` and the benchmark inputs are made here, so that the
analysis commands have realistic data to run on and later CLV work can check that it
recovers the parameters the data were drawn from.

Generative model, per customer (time in weeks, as in the papers):

* acquisition: the first purchase falls at ``start + T * u`` with ``u ~ Beta(1, 1.5)``
  (more customers early in the window than late, none after ``end``);
* purchase rate ``λ ~ Gamma(r, α)`` (shape ``r``, rate ``α``) and drop-out probability
  ``p ~ Beta(a, b)``; while alive, repeat purchases arrive as a Poisson process with rate
  ``λ`` and after each repeat purchase the customer drops out with probability ``p``, so
  the drop-out point is geometric over repeat purchases (the BG/NBD model, Fader, Hardie
  & Lee 2005, assumptions (i)-(v));
* spend: ``ν ~ Gamma(q, γ)`` per customer and the value of each order ``z ~ Gamma(p, ν)``
  (the Gamma-Gamma model, Fader & Hardie 2013), so that the mean order value is
  ``E[z] = p γ / (q - 1)``.

The defaults of :func:`generate_sales` are the published CDNOW estimates of both models,
so a correct BG/NBD or Gamma-Gamma fit on the output should land near them (the spread
acquisition makes T differ per customer, as in any real export).

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting your customers" the easy
way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284.

Fader, P. S. and Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
http://www.brucehardie.com/notes/025/
"""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from crmkit.errors import UsageError
from crmkit.io.options import as_date

COLUMNS = ["order_id", "customer_id", "order_date", "channel", "category", "quantity", "unit_price", "amount", "status"]

# Channel mix of a mid-sized Chinese omnichannel retailer (illustrative, not measured):
# online dominates, WeChat mini-programme is the smallest.
CHANNELS = np.array(["online", "store", "app", "wechat"])
CHANNEL_SHARES = np.array([0.45, 0.25, 0.20, 0.10])
# Most customers stick to one channel; this share of their orders uses another one.
CHANNEL_SWITCH = 0.15

# Category shares and the mean of (quantity - 1): groceries come in baskets, electronics
# one at a time. Quantity only splits the order value into quantity x unit price; the
# order value itself is the Gamma-Gamma draw.
CATEGORIES = np.array(["apparel", "beauty", "electronics", "grocery", "home", "toys"])
CATEGORY_SHARES = np.array([0.24, 0.16, 0.10, 0.26, 0.14, 0.10])
CATEGORY_EXTRA_QUANTITY = np.array([0.5, 0.8, 0.1, 2.0, 0.4, 0.6])

# Beta(1, 1.5) density falls from 1.5 at the start to 0 at the end of the window:
# an established shop that keeps acquiring, more slowly than at launch.
ACQUISITION_BETA = (1.0, 1.5)

# Return rows: days after the purchase, and the chance that the whole order goes back.
RETURN_MAX_DAYS = 14
RETURN_WHOLE_ORDER = 0.75

# BG/NBD and Gamma-Gamma estimates for the CDNOW cohort, the papers' own example
# (Fader, Hardie & Lee 2005, section 5; Fader & Hardie 2013, section 4): about half of
# the customers buy once, mean order value p γ / (q - 1) = 35.6.
CDNOW_PARAMS = dict(r=0.243, alpha=4.414, a=0.793, b=2.426, p=6.25, q=3.74, gamma=15.44)
# A busier shop for benchmark files: same drop-out and spend, purchase rate E[λ] = 0.27
# per week instead of 0.055, giving about 6 rows per customer over two years (a group-by
# over many tiny groups is not the load we want to measure).
BENCHMARK_PARAMS = dict(CDNOW_PARAMS, r=0.8, alpha=3.0)
# Rows per customer with BENCHMARK_PARAMS over 2023-2024 (completed orders plus returns,
# measured on 160,000 customers); the first guess for sizing a chunk's cohort.
_ROWS_PER_CUSTOMER = 6.2


def _check_model(n_customers, return_rate, r, alpha, a, b, p, q, gamma) -> None:
    if int(n_customers) < 1:
        raise UsageError(f"n_customers must be at least 1, got {n_customers}")
    if not 0.0 <= return_rate <= 1.0:
        raise UsageError(f"return_rate must be in [0, 1], got {return_rate}")
    for name, value in (("r", r), ("alpha", alpha), ("a", a), ("b", b), ("p", p), ("gamma", gamma)):
        if not value > 0:
            raise UsageError(f"{name} must be positive, got {value}")
    # E[1/ν] is finite only for q > 1; below that the mean order value is infinite.
    if not q > 1:
        raise UsageError(f"q must be greater than 1 for a finite mean order value, got {q}")


def _simulate(
    rng: np.random.Generator,
    n_customers: int,
    start: date,
    end: date,
    *,
    return_rate: float,
    r: float,
    alpha: float,
    a: float,
    b: float,
    p: float,
    q: float,
    gamma: float,
    customer_offset: int = 0,
    order_offset: int = 0,
    id_width: int = 6,
    order_width: int = 7,
) -> pd.DataFrame:
    """One cohort of ``n_customers``; ids start after ``customer_offset``/``order_offset``."""
    window_days = (end - start).days + 1

    # --- customers -----------------------------------------------------------------
    first_day = window_days * rng.beta(*ACQUISITION_BETA, size=n_customers)
    rate = rng.gamma(r, 1.0 / alpha, size=n_customers)  # λ per week
    # Beta draws can underflow to 0.0 with a < 1; geometric() needs p > 0.
    dropout = np.clip(rng.beta(a, b, size=n_customers), 1e-12, 1.0)
    spend_rate = rng.gamma(q, 1.0 / gamma, size=n_customers)  # ν
    home_channel = rng.choice(len(CHANNELS), size=n_customers, p=CHANNEL_SHARES)

    # --- repeat purchases (BG/NBD) ---------------------------------------------------
    # Given n Poisson arrivals in the remaining window, their times are n sorted
    # uniforms; the customer makes the first min(n, J) of them, J ~ Geometric(p) being
    # the repeat purchase after which they drop out. Equivalent to simulating the
    # exponential gaps one by one, but vectorised and bounded by n even when p ~ 0.
    remaining_weeks = (window_days - first_day) / 7.0
    arrivals = rng.poisson(rate * remaining_weeks)
    alive_for = rng.geometric(dropout)
    repeats = np.minimum(arrivals, alive_for)

    owner = np.repeat(np.arange(n_customers), arrivals)
    fraction = rng.random(owner.size)
    order = np.lexsort((fraction, owner))
    owner, fraction = owner[order], fraction[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < repeats[owner]
    owner, fraction = owner[keep], fraction[keep]
    repeat_day = first_day[owner] + fraction * (window_days - first_day[owner])

    customer = np.concatenate([np.arange(n_customers), owner])
    day = np.floor(np.concatenate([first_day, repeat_day])).astype(np.int64)
    day = np.minimum(day, window_days - 1)  # guards the float edge u -> 1
    n_orders = customer.size

    # --- order value (Gamma-Gamma) and its split into quantity x unit price ---------
    value = rng.gamma(p, 1.0 / spend_rate[customer])
    category = rng.choice(len(CATEGORIES), size=n_orders, p=CATEGORY_SHARES)
    quantity = 1 + rng.poisson(CATEGORY_EXTRA_QUANTITY[category])
    unit_price = np.maximum(np.round(value / quantity, 2), 0.01)
    switch = rng.random(n_orders) < CHANNEL_SWITCH
    channel = np.where(switch, rng.choice(len(CHANNELS), size=n_orders, p=CHANNEL_SHARES), home_channel[customer])

    # Order numbers follow time, as a shop's would.
    by_time = np.lexsort((customer, day))
    customer, day, category, quantity, unit_price, channel = (
        x[by_time] for x in (customer, day, category, quantity, unit_price, channel)
    )
    order_number = order_offset + 1 + np.arange(n_orders)

    # --- returns -------------------------------------------------------------------
    returned = np.flatnonzero(rng.random(n_orders) < return_rate)
    delay = rng.integers(1, RETURN_MAX_DAYS + 1, size=returned.size)
    return_day = np.minimum(day[returned] + delay, window_days - 1)  # never after end
    whole = rng.random(returned.size) < RETURN_WHOLE_ORDER
    part = 1 + np.floor(rng.random(returned.size) * quantity[returned]).astype(np.int64)
    return_quantity = np.where(whole, quantity[returned], part)

    rows_customer = np.concatenate([customer, customer[returned]])
    rows_day = np.concatenate([day, return_day])
    rows_number = np.concatenate([order_number, order_number[returned]])
    rows_quantity = np.concatenate([quantity, -return_quantity])
    rows_price = np.concatenate([unit_price, unit_price[returned]])
    rows_returned = np.concatenate([np.zeros(n_orders, bool), np.ones(returned.size, bool)])
    rows_category = np.concatenate([category, category[returned]])
    rows_channel = np.concatenate([channel, channel[returned]])
    # Date, then order, then the purchase before its same-day return.
    rows = np.lexsort((rows_returned, rows_number, rows_day))

    # Format each distinct id/date once and index into it: np.char on every row is slow.
    day_text = pd.date_range(start, periods=window_days, freq="D").strftime("%Y-%m-%d")
    id_text = np.char.zfill((customer_offset + 1 + np.arange(n_customers)).astype(str), id_width)
    order_text = np.char.add("SO", np.char.zfill(rows_number[rows].astype(str), order_width))
    quantity_out = rows_quantity[rows]
    price_out = rows_price[rows]
    return pd.DataFrame(
        {
            "order_id": order_text,
            "customer_id": id_text[rows_customer[rows]],
            "order_date": np.asarray(day_text)[rows_day[rows]],
            "channel": CHANNELS[rows_channel[rows]],
            "category": CATEGORIES[rows_category[rows]],
            "quantity": quantity_out.astype(np.int64),
            "unit_price": price_out,
            "amount": np.round(quantity_out * price_out, 2),
            "status": np.where(rows_returned[rows], "returned", "completed"),
        },
        columns=COLUMNS,
    )


def generate_sales(
    n_customers: int = 5000,
    start="2023-01-01",
    end="2024-12-31",
    seed: int = 20261123,
    return_rate: float = 0.03,
    id_width: int = 6,
    *,
    r: float = 0.243,
    alpha: float = 4.414,
    a: float = 0.793,
    b: float = 2.426,
    p: float = 6.25,
    q: float = 3.74,
    gamma: float = 15.44,
) -> pd.DataFrame:
    """Draw a purchase export of ``n_customers`` customers from BG/NBD and Gamma-Gamma.

    Parameters
    ----------
    n_customers : int
        Customers acquired in the window; every one buys at least once.
    start, end : str or datetime.date
        First and last day of the export, inclusive (ISO text ``YYYY-MM-DD`` or a date).
    seed : int
        Seed of ``numpy.random.default_rng``; the same arguments give the same frame.
    return_rate : float
        Probability that an order is later (partly) returned, adding one row.
    id_width : int
        Customer ids are the numbers 1..n_customers zero-padded to this width.
    r, alpha : float
        Shape and rate (in weeks) of the gamma distribution of the purchase rate λ across
        customers: E[λ] = r/α purchases per week (Fader, Hardie & Lee 2005, assumption
        (ii)). Default: their CDNOW estimates r = 0.243, α = 4.414.
    a, b : float
        Beta parameters of the drop-out probability p after each repeat purchase,
        E[p] = a/(a+b) (Fader, Hardie & Lee 2005, assumptions (iii)-(iv)). Default:
        their CDNOW estimates a = 0.793, b = 2.426.
    p, q, gamma : float
        Gamma-Gamma spend: order value ~ Gamma(shape p, rate ν) with ν ~ Gamma(shape q,
        rate γ) per customer, so E[order value] = p γ / (q - 1) (Fader & Hardie 2013;
        lifetimes' ``GammaGammaFitter`` calls γ ``v``). Default: their CDNOW estimates
        p = 6.25, q = 3.74, γ = 15.44, a mean order value of 35.22.

    Returns
    -------
    pandas.DataFrame
        One row per order and one per return, sorted by ``order_date`` then ``order_id``:
        ``order_id`` (text, ``SO0000123``), ``customer_id`` (zero-padded text),
        ``order_date`` (text ``YYYY-MM-DD``), ``channel`` (online/store/app/wechat, mostly
        fixed per customer), ``category``, ``quantity`` (int, negative on returns),
        ``unit_price`` (2 decimals), ``amount`` (= quantity x unit_price, 2 decimals,
        negative on returns) and ``status`` (``completed`` or ``returned``). A return row
        repeats its order's ``order_id`` and customer, 1-14 days later but never after
        ``end``.

    Notes
    -----
    With the defaults over 2023-2024, about 54% of the customers buy only once and the
    top 20% of customers hold about 64% of net revenue (seed 20261123: see
    ``examples/README.md``). Order values are rounded to the cent through
    ``unit_price``, so ``amount`` differs from the Gamma-Gamma draw by less than
    ``quantity`` x 0.005. Purchases on the same day stay separate orders: a model that
    counts purchase *days* (as BG/NBD fits usually do) sees slightly fewer.

    Examples
    --------
    >>> sales = generate_sales(n_customers=50, seed=1)
    >>> list(sales.columns)[:3]
    ['order_id', 'customer_id', 'order_date']
    >>> bool(sales["customer_id"].str.len().eq(6).all())
    True
    """
    start_day, end_day = as_date(start, "start"), as_date(end, "end")
    if end_day < start_day:
        raise UsageError(f"end {end_day} is before start {start_day}")
    _check_model(n_customers, return_rate, r, alpha, a, b, p, q, gamma)
    if int(n_customers) >= 10**id_width:
        raise UsageError(f"{n_customers} customers do not fit in ids of width {id_width}", hint="raise id_width")
    rng = np.random.default_rng(seed)
    return _simulate(
        rng,
        int(n_customers),
        start_day,
        end_day,
        return_rate=return_rate,
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        p=p,
        q=q,
        gamma=gamma,
        id_width=id_width,
    )


def write_sales(sales: pd.DataFrame, path, *, header: bool = True, mode: Literal["w", "a"] = "w") -> None:
    """Write a frame from :func:`generate_sales` as UTF-8 CSV with cents to 2 decimals."""
    sales.to_csv(
        path, index=False, header=header, mode=mode, encoding="utf-8", float_format="%.2f", lineterminator="\n"
    )


def write_large_sales(
    path,
    n_rows: int,
    seed: int = 20261123,
    chunk_rows: int = 1_000_000,
    *,
    start="2023-01-01",
    end="2024-12-31",
    return_rate: float = 0.03,
    **model,
) -> int:
    """Write a CSV of exactly ``n_rows`` rows in chunks, for benchmarks.

    Each chunk is a fresh cohort from the model of :func:`generate_sales` (``model``
    takes its ``r, alpha, a, b, p, q, gamma``), sized at about 5 rows per customer;
    customer and order ids continue from one chunk to the next, so they are unique in
    the file. Rows are date-sorted within a chunk, not across chunks. At most one chunk
    is in memory; the last customer of the last chunk may lose its latest rows so that
    the count is exact.

    Parameters
    ----------
    path : str or os.PathLike
        CSV to create (overwritten).
    n_rows : int
        Data rows to write, header not counted.
    seed : int
        Seed of the single ``numpy.random.default_rng`` that draws every chunk.
    chunk_rows : int
        Rows generated and written per step; bounds memory (peak under 1 GB
        with the default million).

    Returns
    -------
    int
        Rows written (``n_rows``).
    """
    if int(n_rows) < 1:
        raise UsageError(f"n_rows must be at least 1, got {n_rows}")
    if int(chunk_rows) < 1:
        raise UsageError(f"chunk_rows must be at least 1, got {chunk_rows}")
    start_day, end_day = as_date(start, "start"), as_date(end, "end")
    if end_day < start_day:
        raise UsageError(f"end {end_day} is before start {start_day}")
    params = dict(BENCHMARK_PARAMS)
    unknown = set(model) - set(params)
    if unknown:
        raise UsageError(f"unknown model parameter(s): {', '.join(sorted(unknown))}")
    params.update(model)
    _check_model(1, return_rate, **params)

    rng = np.random.default_rng(seed)
    # Every customer has at least one row, so n_rows bounds both id ranges.
    width = max(6, len(str(int(n_rows))))
    written = customers = orders = 0
    rows_per_customer = _ROWS_PER_CUSTOMER
    while written < n_rows:
        need = min(int(chunk_rows), int(n_rows) - written)
        # 5% head-room so a chunk rarely falls short and needs a small extra cohort.
        cohort = max(1, math.ceil(1.05 * need / rows_per_customer))
        chunk = _simulate(
            rng,
            cohort,
            start_day,
            end_day,
            return_rate=return_rate,
            customer_offset=customers,
            order_offset=orders,
            id_width=width,
            order_width=max(7, width),
            **params,
        )
        customers += cohort
        orders += int((chunk["status"] == "completed").sum())
        # Learn the yield from what was drawn: other model parameters give other sizes.
        rows_per_customer = max(1.0, len(chunk) / cohort)
        if len(chunk) > need:
            # Drop whole customers from the top of the id range, then the latest rows
            # of the one that straddles the limit; earlier rows stay date-sorted.
            ids = chunk["customer_id"].to_numpy()
            order_in_ids = np.argsort(ids, kind="stable")
            chunk = chunk.iloc[np.sort(order_in_ids[:need])]
        write_sales(chunk, path, header=written == 0, mode="w" if written == 0 else "a")
        written += len(chunk)
    return written


#: The ECSI structural model the survey generator draws from: (from, to) -> path coefficient,
#: close to the published mobile-phone estimates (Tenenhaus et al. 2005), so a PLS fit on the
#: generated survey has known targets.
SURVEY_PATHS = {
    ("Image", "Expectation"): 0.50,
    ("Image", "Satisfaction"): 0.20,
    ("Image", "Loyalty"): 0.20,
    ("Expectation", "Quality"): 0.55,
    ("Expectation", "Value"): 0.05,
    ("Expectation", "Satisfaction"): 0.05,
    ("Quality", "Value"): 0.55,
    ("Quality", "Satisfaction"): 0.50,
    ("Value", "Satisfaction"): 0.20,
    ("Satisfaction", "Complaints"): 0.50,
    ("Satisfaction", "Loyalty"): 0.50,
    ("Complaints", "Loyalty"): 0.05,
}


def generate_survey(
    sales: pd.DataFrame,
    n_respondents: int = 800,
    *,
    seed: int = 20261123,
    loading: float = 0.8,
    missing_rate: float = 0.02,
) -> pd.DataFrame:
    """A satisfaction survey of a sample of the customers in ``sales`` (ECSI items on 1-10).

    Latent constructs are standard normal and follow :data:`SURVEY_PATHS` (exogenous Image;
    each endogenous construct = Σ path × predecessor + noise scaled to unit variance). Each
    item is ``loading × construct + noise`` mapped to the 1-10 scale (5.5 + 1.8 z, rounded,
    clipped). Besides the ECSI items: ``recommend`` (0-10, the NPS question, driven by Loyalty),
    ``csat`` (1-5, driven by Satisfaction), ``effort`` (1-7, customer effort, driven by Quality,
    lower is better), the customer's ``channel``, and ``customer_id`` (text, as in ``sales``).
    About ``missing_rate`` of the item answers are left blank, as real surveys have.

    Parameters
    ----------
    sales : pandas.DataFrame
        The purchase export (:func:`generate_sales`); respondents are drawn from its customers.
    n_respondents : int
    seed : int
    loading : float
        Standardized loading of every item on its construct.
    missing_rate : float
    """
    from crmkit.satisfaction import load_model

    rng = np.random.default_rng(seed)
    customers = sales.drop_duplicates("customer_id")[["customer_id", "channel"]]
    if n_respondents > len(customers):
        raise UsageError(f"cannot survey {n_respondents} of {len(customers)} customers")
    picked = customers.iloc[np.sort(rng.choice(len(customers), n_respondents, replace=False))]
    order = ["Image", "Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"]
    latent: dict[str, np.ndarray] = {}
    for name in order:
        parents = [(src, coef) for (src, dst), coef in SURVEY_PATHS.items() if dst == name]
        if not parents:
            latent[name] = rng.standard_normal(n_respondents)
            continue
        systematic = sum(coef * latent[src] for src, coef in parents)
        noise_sd = math.sqrt(max(1.0 - float(np.var(systematic)), 0.05))
        value = systematic + noise_sd * rng.standard_normal(n_respondents)
        latent[name] = (value - value.mean()) / value.std()

    def scale(z, low, high, centre, spread):
        return np.clip(np.rint(centre + spread * z), low, high)

    out = {"customer_id": picked["customer_id"].to_numpy(), "channel": picked["channel"].to_numpy()}
    noise_sd = math.sqrt(1.0 - loading**2)
    for name, items in load_model("ecsi").constructs.items():  # the ECSI preset's item codes
        for item in items:
            z = loading * latent[name] + noise_sd * rng.standard_normal(n_respondents)
            answers = scale(z, 1, 10, 6.5, 1.8)
            answers[rng.random(n_respondents) < missing_rate] = np.nan
            out[item] = answers
    out["recommend"] = scale(0.85 * latent["Loyalty"] + 0.5 * rng.standard_normal(n_respondents), 0, 10, 7.2, 2.0)
    out["csat"] = scale(0.85 * latent["Satisfaction"] + 0.5 * rng.standard_normal(n_respondents), 1, 5, 3.8, 0.9)
    out["effort"] = scale(-0.7 * latent["Quality"] + 0.7 * rng.standard_normal(n_respondents), 1, 7, 3.0, 1.2)
    frame = pd.DataFrame(out)
    for col in frame.columns[2:]:
        frame[col] = frame[col].astype("Int64")
    return frame


def generate_members(
    sales: pd.DataFrame, n_contacts: int = 1500, *, seed: int = 20261123, id_width: int = 6
) -> pd.DataFrame:
    """A member / contact list: every buyer in ``sales`` plus ``n_contacts`` people who never bought.

    Buyers are registered members with probability 0.6; of the non-buyers 30% registered and a
    further 20% sent an enquiry (prospects on the loyalty ladder), the rest are plain contacts
    (suspects). Columns ``customer_id, registered, enquired`` (0/1); new ids continue after the
    largest id in ``sales`` with the same zero padding.
    """
    rng = np.random.default_rng(seed + 1)
    buyers = pd.Series(sales["customer_id"].unique())
    start = int(buyers.astype(int).max()) + 1
    contacts = pd.Series([f"{i:0{id_width}d}" for i in range(start, start + n_contacts)])
    u = rng.random(n_contacts)
    frame = pd.DataFrame(
        {
            "customer_id": pd.concat([buyers, contacts], ignore_index=True),
            "registered": np.concatenate([(rng.random(len(buyers)) < 0.6), u < 0.3]).astype(int),
            "enquired": np.concatenate([np.zeros(len(buyers), dtype=bool), (u >= 0.3) & (u < 0.5)]).astype(int),
        }
    )
    return frame


def generate_referrals(sales: pd.DataFrame, share: float = 0.08, *, seed: int = 20261123) -> pd.DataFrame:
    """Who referred whom: about ``share`` of customers were brought by an earlier customer.

    A referrer's first purchase precedes the referred customer's; a few referrers bring several.
    Columns ``referrer_id, referred_id, date`` (the referred customer's first purchase day).
    """
    rng = np.random.default_rng(seed + 2)
    first = sales.groupby("customer_id")["order_date"].min().sort_values()
    ids, days = first.index.to_numpy(), first.to_numpy()
    referred = np.flatnonzero(rng.random(len(ids)) < share)
    referred = referred[referred > 0]
    # referrers are drawn with a skew (power law over earlier customers), so some bring several
    referrers = (rng.random(referred.size) ** 2 * referred).astype(int)
    return pd.DataFrame({"referrer_id": ids[referrers], "referred_id": ids[referred], "date": days[referred]})


def main(argv=None) -> int:
    """``python -m crmkit.synth``: write ``examples/sales.csv`` or a benchmark file.

    Examples
    --------
    ``python -m crmkit.synth --customers 5000 --seed 20261123 -o examples/sales.csv``
    ``python -m crmkit.synth --rows 1000000 -o /tmp/sales-1m.csv``
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m crmkit.synth", description="Write a seeded synthetic purchase export (BG/NBD + Gamma-Gamma)."
    )
    parser.add_argument("-o", "--output", required=True, help="CSV file to write")
    parser.add_argument("--customers", type=int, default=5000, help="customers to simulate (default 5000)")
    parser.add_argument(
        "--rows", type=int, default=None, help="write exactly this many rows in chunks instead (benchmarks)"
    )
    parser.add_argument(
        "--chunk-rows", type=int, default=1_000_000, help="rows per chunk with --rows (default 1000000)"
    )
    parser.add_argument("--seed", type=int, default=20261123, help="random seed")
    parser.add_argument("--start", default="2023-01-01", help="first day, YYYY-MM-DD")
    parser.add_argument("--end", default="2024-12-31", help="last day, YYYY-MM-DD")
    parser.add_argument("--return-rate", type=float, default=0.03, help="share of orders later returned (default 0.03)")
    parser.add_argument(
        "--survey",
        type=int,
        default=None,
        metavar="N",
        help="write a survey of N customers of the --customers export instead",
    )
    parser.add_argument(
        "--members",
        type=int,
        default=None,
        metavar="N",
        help="write the member list (buyers plus N contacts who never bought) instead",
    )
    parser.add_argument(
        "--referrals", action="store_true", help="write who-referred-whom for the --customers export instead"
    )
    args = parser.parse_args(argv)
    try:
        if args.survey is not None or args.members is not None or args.referrals:
            sales = generate_sales(
                args.customers, start=args.start, end=args.end, seed=args.seed, return_rate=args.return_rate
            )
            if args.survey is not None:
                extra = generate_survey(sales, args.survey, seed=args.seed)
            elif args.members is not None:
                extra = generate_members(sales, args.members, seed=args.seed)
            else:
                extra = generate_referrals(sales, seed=args.seed)
            extra.to_csv(args.output, index=False)
        elif args.rows is not None:
            write_large_sales(
                args.output,
                args.rows,
                seed=args.seed,
                chunk_rows=args.chunk_rows,
                start=args.start,
                end=args.end,
                return_rate=args.return_rate,
            )
        else:
            sales = generate_sales(
                args.customers, start=args.start, end=args.end, seed=args.seed, return_rate=args.return_rate
            )
            write_sales(sales, args.output)
    except UsageError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    main()
