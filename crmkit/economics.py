"""The economics table: new vs repeat customers, retention vs acquisition, and what a point of retention is worth.

For the period ``P = (as_of - period, as_of]`` and the previous period ``P0`` of the same length
before it, from the purchases (:func:`crmkit.io.purchases.as_purchases`, rows up to ``as_of``):

* the customers of ``P`` (a purchase in it), split into **new** (first purchase ever in ``P``) and
  **repeat** (a purchase before ``P`` too), with their net revenue and margin in ``P`` and shares;
  revenue and margin per new and per repeat customer, and the ratio of the two (the CRM texts'
  "repeat customers bring 20-85% more profit");
* the **retention rate** ``r`` = customers of ``P0`` who bought again in ``P`` / customers of ``P0``,
  and churn ``1 - r``;
* **acquisition vs retention** given an acquisition cost per new customer and a retention cost per
  retained customer: spends, and the ratio of the two costs (the texts' "five times");
* **customer lifetime value under constant retention** (Gupta & Lehmann 2003): the margin per
  retained customer per period ``m``, ``CLV = m r / (1 + d - r)``, its value at ``r + 0.01`` and
  the value of that point of retention over the customers of ``P``;
* **cost to serve per RFM segment** (:func:`crmkit.segment.segment` at ``as_of``): orders in ``P``
  times a cost per order, or a cost per customer, against the segment's margin.

Every row of :attr:`Economics.table` carries its formula (the symbols are defined in
:data:`SYMBOLS`), so a reader can recompute it by hand.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from crmkit.economics_rows import FORMULAS_ZH, METRIC_LABELS, NOTE_TEXTS, ROWS, SYMBOLS
from crmkit.errors import InputError, UsageError
from crmkit.io.engine import columns_of, money
from crmkit.io.options import as_date, check_lang
from crmkit.io.purchases import as_purchases
from crmkit.io.quality import Message
from crmkit.io.results import TableViews

__all__ = ["Economics", "METRIC_LABELS", "ROWS", "SYMBOLS", "TABLE_COLUMNS", "SEGMENT_COLUMNS", "VIEWS", "economics"]

#: The one-point step of the retention-rate sensitivity.
RETENTION_STEP = 0.01
#: The longest period: ten years (a previous period of the same length must fit in the calendar).
MAX_PERIOD_DAYS = 3653
#: Columns of :attr:`Economics.table`.
TABLE_COLUMNS = ("metric", "label", "value", "unit", "formula")
#: Columns of :attr:`Economics.segments`.
SEGMENT_COLUMNS = (
    "segment", "segment_label", "customers", "orders", "revenue", "margin", "cost_to_serve", "margin_after_serving",
    "margin_after_serving_per_customer", "margin_share", "unprofitable",
)  # fmt: skip
#: What :meth:`Economics.view` shows.
VIEWS = ("table", "segments")


def _note(key: str, **params: object) -> Message:
    return Message(NOTE_TEXTS[key].format(**params), key, **params)


_PERIOD = re.compile(
    r"^(\d+)\s*(d|days?|天|日|w|wks?|weeks?|周|星期|m|mos?|months?|个月|月|q|quarters?|季度?|y|yrs?|years?|年)?$",
    re.IGNORECASE,
)
_UNIT = {"天": "d", "日": "d", "周": "w", "星期": "w", "个月": "m", "月": "m", "季": "q", "季度": "q", "年": "y"}


def months_before(day: date, months: int) -> date:
    """``day`` moved back ``months`` calendar months, the day of month kept or the month's last day.

    Examples
    --------
    >>> months_before(date(2024, 3, 31), 1), months_before(date(2024, 12, 31), 12)
    (datetime.date(2024, 2, 29), datetime.date(2023, 12, 31))
    """
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    if year < 1:
        raise UsageError(f"--period of {months} months runs past the calendar from {day.isoformat()}")
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _parse_period(period: int | str) -> tuple[int, str]:
    """``(count, unit)`` of a period, unit one of d, w, m, q, y."""
    if isinstance(period, (int, np.integer)) and not isinstance(period, bool):
        return int(period), "d"
    match = _PERIOD.match(str(period).strip())
    if match is None:
        raise UsageError(f"--period looks like 12m, 1y, 13w or 90d, not {period!r}")
    word = (match.group(2) or "d").lower()
    return int(match.group(1)), _UNIT.get(word, word[0])


def period_years(period: int | str) -> float:
    """The period's length in years, for the discount rate: months / 12, or days / 365.25.

    Examples
    --------
    >>> period_years("12m"), period_years("1q"), period_years("730d")
    (1.0, 0.25, 1.998631074606434)
    """
    count, unit = _parse_period(period)
    if unit in ("d", "w"):
        return count * (7 if unit == "w" else 1) / 365.25
    return count * {"m": 1, "q": 3, "y": 12}[unit] / 12


def period_bounds(as_of: date, period: int | str) -> tuple[date, date]:
    """The last day before ``P`` and the last day before ``P0``: ``P = (start, as_of]``, ``P0 = (start0, start]``.

    ``period`` is days (``365``) or text: ``90d``, ``13w``, ``12m``, ``4q``, ``1y`` (or 90天, 12个月,
    1年); months, quarters and years are calendar months back from ``as_of``.

    Raises
    ------
    crmkit.errors.UsageError
        Text that is no duration, or a period of 0 days or longer than ten years.

    Examples
    --------
    >>> period_bounds(date(2024, 12, 31), "12m")
    (datetime.date(2023, 12, 31), datetime.date(2022, 12, 31))
    >>> period_bounds(date(2024, 12, 31), 30)
    (datetime.date(2024, 12, 1), datetime.date(2024, 11, 1))
    """
    count, unit = _parse_period(period)
    if count < 1:
        raise UsageError(f"--period must be at least one day, not {period!r}")
    days = count * {"d": 1, "w": 7}.get(unit, 0)
    months = count * {"m": 1, "q": 3, "y": 12}.get(unit, 0)
    if days > MAX_PERIOD_DAYS or months > 120:
        raise UsageError(f"--period must be at most 10 years, not {period!r}")
    if days:
        return as_of - timedelta(days=days), as_of - timedelta(days=2 * days)
    return months_before(as_of, months), months_before(as_of, 2 * months)


def lifetime_value(margin: float, retention: float, discount: float) -> float:
    """Customer lifetime value under constant retention, margin at each period's end, infinite horizon.

    Gupta & Lehmann (2003), "Customers as assets", *Journal of Interactive Marketing* 17(1), eq. 3:

    .. math:: CLV = \\sum_{t=1}^{\\infty} \\frac{m\\, r^t}{(1 + d)^t} = \\frac{m\\, r}{1 + d - r}

    a customer retained now is still a customer after ``t`` periods with probability ``r^t`` and
    then brings ``m``, discounted ``t`` periods. The current period's margin and the acquisition
    cost are not in it (Berger & Nasr 1998, case 1, counts the first margin at t = 0 instead:
    ``m (1 + d) / (1 + d - r)``).

    Returns ``nan`` when ``r`` is undefined or outside [0, 1] and ``inf`` (times the sign of ``m``)
    when ``r >= 1 + d``, where the series diverges.

    Examples
    --------
    >>> lifetime_value(100.0, 0.8, 0.1)  # 100 x 0.8 / 0.3
    266.66666666666663
    >>> round(sum(100.0 * 0.8**t / 1.1**t for t in range(1, 400)), 6)
    266.666667
    """
    if not (math.isfinite(margin) and math.isfinite(retention) and 0 <= retention <= 1):
        return math.nan
    if retention >= 1 + discount:
        return math.copysign(math.inf, margin) if margin else 0.0
    return margin * retention / (1 + discount - retention)


@dataclass
class Economics(TableViews):
    """The economics table (:func:`economics`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per metric, :data:`TABLE_COLUMNS`: ``metric`` (a key), ``label`` (its name in
        ``lang``), ``value`` (float, ``nan`` when it cannot be computed or its input was not
        given), ``unit`` (``count``, ``money``, ``share``, ``ratio``) and ``formula`` (in the
        :data:`SYMBOLS`).
    segments : pandas.DataFrame
        Per RFM segment at ``as_of``, :data:`SEGMENT_COLUMNS`: customers (of the segment),
        orders, revenue and margin in ``P`` of its customers of ``P`` (so that they add up to the
        table's ``R`` and ``M``); ``cost_to_serve`` (``nan`` when no costs were given),
        margin after serving, per customer, the segment's share of ``M`` and ``unprofitable``
        (margin after serving below 0).
    headline : dict
        JSON-safe: the period bounds, then every metric's value (``None`` for ``nan``).
    notes, warnings : list of Message
    start, end, previous_start : datetime.date
        ``P = (start, end]``, ``P0 = (previous_start, start]``; ``end`` is ``as_of``.
    settings : dict
        The arguments, as given (for the JSON contract and the report).
    lang : str
    """

    table: Any
    segments: Any
    headline: dict
    start: date
    end: date
    previous_start: date
    settings: dict
    lang: str
    notes: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    VIEWS = VIEWS
    DEFAULT_VIEW = "table"

    @property
    def as_of(self) -> date:
        return self.end

    def value(self, metric: str) -> float:
        """The value of ``metric`` (a key of the table)."""
        rows = self.table.loc[self.table["metric"] == metric, "value"]
        if not len(rows):
            raise KeyError(metric)
        return float(rows.iloc[0])

    def json_extra(self) -> dict:
        return {"settings": dict(self.settings), "lang": self.lang}


def _plain_number(value: float, unit: str) -> float | int | None:
    if value is None or not math.isfinite(value):
        return None
    return int(value) if unit == "count" else float(value)


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def _costs(name: str, value: float | None) -> float:
    if value is None:
        return math.nan
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"--{name.replace('_', '-')} is an amount such as 50, not {value!r}") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"--{name.replace('_', '-')} is an amount of 0 or more, not {value!r}")
    return value


def economics(
    purchases,
    as_of=None,
    *,
    period: int | str = "12m",
    margin: float | None = None,
    acquisition_cost: float | None = None,
    retention_cost: float | None = None,
    serve_cost_per_order: float | None = None,
    serve_costs=None,
    discount: float = 0.10,
    scheme: str = "standard",
    lang: str = "en",
) -> Economics:
    """New vs repeat customers, retention vs acquisition, the value of a point of retention, cost to serve.

    Parameters
    ----------
    purchases : path, PurchaseData or table
        Anything :func:`crmkit.io.purchases.as_purchases` takes: one row per purchase line
        (``customer_id, date, amount``; optional ``order_id``, ``margin``).
    as_of : date or ISO text, optional
        The period's last day; default the last purchase date.
    period : int or str
        The length of ``P`` (:func:`period_bounds`: ``12m``, ``1y``, ``13w``, ``90d``); default 12 months.
    margin : float, optional
        Margin as a share of revenue (0.3), for every row. Default: the data's ``margin`` column
        (a row's margin in money; a missing one at the rate of the rows that have it), else 1.0 (the
        margin rows then equal revenue, with a note).
    acquisition_cost, retention_cost : float, optional
        Cost of one new customer, and of keeping one customer for a period.
    serve_cost_per_order : float, optional
        Cost to serve one order (distinct ``order_id``, else purchase day per customer) in ``P``.
    serve_costs : pandas.DataFrame or Series, optional
        Cost to serve each customer in ``P``: a Series indexed by customer id, or a frame with
        ``customer_id`` and ``cost``; added to ``serve_cost_per_order`` when both are given.
    discount : float
        Annual discount rate (0.10), turned into a rate per period (:data:`SYMBOLS` ``d``).
    scheme, lang : str
        The RFM scheme for the segments (:func:`crmkit.segment.segment`) and the labels' language.

    Returns
    -------
    Economics

    Raises
    ------
    crmkit.errors.UsageError
        A bad ``period``, ``margin``, cost, ``discount`` or ``lang``.
    crmkit.errors.InputError
        ``serve_costs`` that is not a customer -> cost table.

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"], "amount": [10, 20, 10, 30, 40],
    ...                       "date": ["2023-03-01", "2024-03-01", "2023-05-01", "2023-06-01", "2024-06-01"]})
    >>> found = economics(sales, "2024-12-31", period="12m", margin=0.5)
    >>> [found.value(k) for k in ("customers", "new_customers", "retention_rate", "margin_per_retained")]
    [2.0, 1.0, 0.5, 10.0]
    >>> round(found.value("clv"), 4)  # 10 x 0.5 / (1 + 0.1 - 0.5)
    8.3333
    """
    import pandas as pd

    from crmkit.segment import segment

    lang = check_lang(lang)
    if margin is not None and not (isinstance(margin, (int, float)) and -1 <= margin <= 1):
        raise UsageError(f"--margin is a share of revenue such as 0.3, not {margin!r}")
    if not (isinstance(discount, (int, float)) and -1 < discount < 10):
        raise UsageError(f"--discount is an annual rate such as 0.10, not {discount!r}")
    a_cost = _costs("acquisition_cost", acquisition_cost)
    c_cost = _costs("retention_cost", retention_cost)
    per_order = _costs("serve_cost_per_order", serve_cost_per_order)

    data = as_purchases(purchases)
    day = data.resolve_as_of(None if as_of is None else as_date(as_of, "as_of"))
    start, previous_start = period_bounds(day, period)
    period_days = (day - start).days
    years = period_years(period)  # a whole year is the annual rate itself, without a last-digit error
    d = float(discount) if years == 1.0 else (1.0 + float(discount)) ** years - 1.0
    notes: list[Message] = []
    warnings: list[Message] = []

    customers, margin_source = _customer_frame(data, day, start, previous_start, margin, notes)
    first_day = data.con.sql(f"SELECT min(date) FROM tx WHERE date <= DATE '{day}'").fetchall()[0][0]
    p0_first = previous_start + timedelta(days=1)
    if first_day is not None and first_day > p0_first:
        notes.append(_note("economics_period_before_data", first=first_day.isoformat(), start=p0_first.isoformat()))

    values = _metrics(customers, a_cost, c_cost, d, notes, warnings)
    if margin_source == "none":
        notes.append(_note("economics_margin_is_revenue"))
    shown = [
        (key, en if lang == "en" else zh, float(values[key]), unit, text if lang == "en" else FORMULAS_ZH[key])
        for key, unit, text, en, zh in ROWS
    ]
    table = pd.DataFrame(shown, columns=list(TABLE_COLUMNS))

    rfm = segment(data, day, scheme=scheme, lang=lang)
    extra = _serve_costs(serve_costs, customers, notes) if serve_costs is not None else None
    segments = _segment_table(customers, rfm, per_order, extra, values["margin"], warnings)

    settings = {
        "as_of": day.isoformat(),
        "period": period if isinstance(period, (int, np.integer)) else str(period),
        "period_days": period_days,
        "margin": margin if margin is not None else margin_source,
        "acquisition_cost": acquisition_cost,
        "retention_cost": retention_cost,
        "serve_cost_per_order": serve_cost_per_order,
        "serve_costs": serve_costs is not None,
        "discount": float(discount),
        "scheme": scheme,
    }
    headline: dict[str, Any] = {
        "as_of": day.isoformat(),
        "period_start": (start + timedelta(days=1)).isoformat(),
        "period_end": day.isoformat(),
        "previous_start": p0_first.isoformat(),
        "previous_end": start.isoformat(),
        "period_days": period_days,
    }
    headline.update({key: _plain_number(values[key], unit) for key, unit, *_ in ROWS})
    headline["unprofitable_segments"] = [str(s) for s in segments.loc[segments["unprofitable"], "segment"]]
    return Economics(
        table=table,
        segments=segments,
        headline=headline,
        start=start,
        end=day,
        previous_start=previous_start,
        settings=settings,
        lang=lang,
        notes=notes,
        warnings=warnings,
    )


def _customer_frame(data, day: date, start: date, previous_start: date, margin, notes: list):
    """One row per customer with a row up to ``day``: first purchase, in P / in P0, revenue, margin, orders in P."""
    con = data.con
    present = columns_of(con, "tx")
    lit = {"day": f"DATE '{day}'", "start": f"DATE '{start}'", "p0": f"DATE '{previous_start}'"}
    in_p = f"date > {lit['start']} AND date <= {lit['day']}"
    source = "none"
    if margin is not None:
        margin_expr, source = f"amount * {float(margin)!r}", "argument"
    elif "margin" in present:
        rate, missing = con.sql(
            f"SELECT sum({money('margin')})::DOUBLE / nullif(sum({money('amount')}) FILTER (WHERE margin IS NOT NULL),"
            f" 0), count(*) FILTER (WHERE margin IS NULL) FROM tx WHERE {in_p}"
        ).fetchall()[0]
        if rate is None:
            margin_expr = "amount"
        else:
            margin_expr, source = f"coalesce(margin, amount * {float(rate)!r})", "margin column"
        if missing:
            notes.append(
                _note("economics_margin_missing", count=int(missing), rate="n/a" if rate is None else f"{rate:.1%}")
            )
    else:
        margin_expr = "amount"
    order = "coalesce(order_id, CAST(date AS VARCHAR))" if "order_id" in present else "CAST(date AS VARCHAR)"
    frame = con.sql(
        f"""SELECT customer_id,
                   coalesce(min(date) FILTER (WHERE NOT is_return) > {lit["start"]}, false) AS first_in_p,
                   coalesce(bool_or(NOT is_return AND date > {lit["start"]}), false) AS in_p,
                   coalesce(bool_or(NOT is_return AND date > {lit["p0"]} AND date <= {lit["start"]}), false) AS in_p0,
                   coalesce(sum({money("amount")}) FILTER (WHERE date > {lit["start"]}), 0)::DOUBLE AS revenue,
                   coalesce(sum({money(margin_expr)}) FILTER (WHERE date > {lit["start"]}), 0)::DOUBLE AS margin,
                   count(DISTINCT {order}) FILTER (WHERE NOT is_return AND date > {lit["start"]}) AS orders
            FROM tx WHERE date <= {lit["day"]}
            GROUP BY customer_id ORDER BY customer_id"""
    ).df()
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["new"] = frame["in_p"] & frame["first_in_p"]
    returns_only = frame[~frame["in_p"] & (frame["revenue"] != 0)]
    if len(returns_only):
        notes.append(
            _note("economics_returns_outside", count=len(returns_only), amount=f"{returns_only['revenue'].sum():,.2f}")
        )
    return frame, source


def _metrics(customers, a_cost: float, c_cost: float, d: float, notes: list, warnings: list) -> dict[str, float]:
    """Every metric of :data:`ROWS` from the customer frame (sums in customer-id order: deterministic)."""
    in_p = customers[customers["in_p"]]
    new, repeat = in_p[in_p["new"]], in_p[~in_p["new"]]
    n, n_new, n_rep = len(in_p), len(new), len(repeat)
    revenue, revenue_new = float(in_p["revenue"].sum()), float(new["revenue"].sum())
    margin, margin_new = float(in_p["margin"].sum()), float(new["margin"].sum())
    revenue_rep, margin_rep = float(repeat["revenue"].sum()), float(repeat["margin"].sum())
    previous = customers[customers["in_p0"]]
    kept = previous[previous["in_p"]]
    n0, k = len(previous), len(kept)
    r = _ratio(k, n0)
    m = _ratio(float(kept["margin"].sum()), k)
    v: dict[str, float] = {
        "customers": n,
        "new_customers": n_new,
        "repeat_customers": n_rep,
        "new_customer_share": _ratio(n_new, n),
        "revenue": revenue,
        "revenue_new": revenue_new,
        "revenue_repeat": revenue_rep,
        "revenue_share_new": _ratio(revenue_new, revenue),
        "revenue_share_repeat": _ratio(revenue_rep, revenue),
        "margin": margin,
        "margin_new": margin_new,
        "margin_repeat": margin_rep,
        "margin_share_new": _ratio(margin_new, margin),
        "margin_share_repeat": _ratio(margin_rep, margin),
        "revenue_per_new": _ratio(revenue_new, n_new),
        "revenue_per_repeat": _ratio(revenue_rep, n_rep),
        "margin_per_new": _ratio(margin_new, n_new),
        "margin_per_repeat": _ratio(margin_rep, n_rep),
        "previous_customers": n0,
        "retained_customers": k,
        "retention_rate": r,
        "churn_rate": 1.0 - r,
        "acquisition_cost": a_cost,
        "acquisition_spend": n_new * a_cost,
        "margin_new_after_acquisition": margin_new - n_new * a_cost,
        "retention_cost": c_cost,
        "retention_spend": k * c_cost,
        "cost_ratio": _ratio(a_cost, c_cost) if math.isfinite(a_cost) and math.isfinite(c_cost) else math.nan,
        "margin_per_retained": m,
        "discount_rate": d,
    }
    v["repeat_revenue_ratio"] = _ratio(v["revenue_per_repeat"], v["revenue_per_new"])
    v["repeat_margin_ratio"] = _ratio(v["margin_per_repeat"], v["margin_per_new"])
    if margin < 0 or (n and margin == 0):
        warnings.append(_note("economics_margin_not_positive", margin=f"{margin:,.2f}"))
    if not n_new:
        notes.append(_note("economics_no_new"))
    if not n0:
        notes.append(_note("economics_no_previous"))
    elif not k:
        notes.append(_note("economics_none_retained"))
    v.update(_clv_rows(m, r, d, c_cost, n, notes, warnings))
    return v


def _clv_rows(m: float, r: float, d: float, c_cost: float, n: int, notes: list, warnings: list) -> dict[str, float]:
    """CLV at r and at r + 0.01, and the value of that point over the N customers of P."""
    out = dict.fromkeys(
        ("clv", "clv_plus_point", "clv_gain", "retention_point_value", "retention_point_value_net"), math.nan
    )
    if r == 0:  # nobody retained: no margin per retained customer, and no future either
        out["clv"] = 0.0
    if not (math.isfinite(r) and math.isfinite(m)):
        return out
    if r >= 1 + d:
        warnings.append(_note("economics_clv_diverges", retention=f"{r:.1%}"))
        return out
    out["clv"] = lifetime_value(m, r, d)
    if m < 0:
        warnings.append(_note("economics_negative_margin", margin=f"{m:,.2f}"))
    up = r + RETENTION_STEP
    if up > 1 + 1e-12:
        notes.append(_note("economics_no_point_up", retention=f"{r:.1%}"))
        return out
    up = min(up, 1.0)
    if up >= 1 + d:
        return out
    out["clv_plus_point"] = lifetime_value(m, up, d)
    out["clv_gain"] = out["clv_plus_point"] - out["clv"]
    out["retention_point_value"] = out["clv_gain"] * n
    if math.isfinite(c_cost):
        net = m - c_cost
        out["retention_point_value_net"] = (lifetime_value(net, up, d) - lifetime_value(net, r, d)) * n
    return out


def _serve_costs(serve_costs, customers, notes: list):
    """``serve_costs`` as a Series customer id (text) -> cost, checked."""
    import pandas as pd

    if isinstance(serve_costs, pd.DataFrame):
        if "customer_id" not in serve_costs.columns or "cost" not in serve_costs.columns:
            raise InputError(
                f"serve costs need columns customer_id and cost, not {', '.join(map(str, serve_costs.columns))}"
            )
        series = pd.Series(serve_costs["cost"].to_numpy(), index=serve_costs["customer_id"].astype(str).to_numpy())
    elif isinstance(serve_costs, pd.Series):
        series = pd.Series(serve_costs.to_numpy(), index=serve_costs.index.astype(str))
    else:
        raise InputError(f"serve costs are a customer_id -> cost table, not {type(serve_costs).__name__}")
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan)) | (values < 0)
    if bad.any():
        first = str(series.index[np.flatnonzero(bad.to_numpy())[0]])
        raise InputError(f"serve costs: customer {first!r} has no cost of 0 or more ({series[bad].iloc[0]!r})")
    if values.index.duplicated().any():
        first = str(values.index[values.index.duplicated()][0])
        raise InputError(f"serve costs: customer {first!r} is listed twice")
    unknown = int((~values.index.isin(customers["customer_id"])).sum())
    if unknown:
        notes.append(_note("economics_serve_costs_unknown", count=unknown))
    return values.astype(float)


def _segment_table(customers, rfm, per_order: float, extra, total_margin: float, warnings: list):
    """Per RFM segment: customers, orders, revenue and margin in P, cost to serve and what is left."""
    import pandas as pd

    seg = rfm.customers[["customer_id", "segment", "segment_label"]].copy()
    seg["customer_id"] = seg["customer_id"].astype(str)
    # the customers of P only, as in the table: a return in P of one who bought nothing in it is left out
    bought = customers[customers["in_p"]]
    frame = seg.merge(bought[["customer_id", "orders", "revenue", "margin"]], on="customer_id", how="left")
    frame[["orders", "revenue", "margin"]] = frame[["orders", "revenue", "margin"]].fillna(0)
    have_costs = math.isfinite(per_order) or extra is not None
    cost = np.zeros(len(frame))
    if math.isfinite(per_order):
        cost += frame["orders"].to_numpy(dtype=float) * per_order
    if extra is not None:
        cost += frame["customer_id"].map(extra).fillna(0.0).to_numpy(dtype=float)
    frame["cost_to_serve"] = cost
    frame = frame.sort_values("customer_id", kind="mergesort")
    grouped = frame.groupby("segment", sort=False, observed=True)
    table = grouped.agg(
        segment_label=("segment_label", "first"),
        customers=("customer_id", "size"),
        orders=("orders", "sum"),
        revenue=("revenue", "sum"),
        margin=("margin", "sum"),
        cost_to_serve=("cost_to_serve", "sum"),
    )
    order = [str(s) for s in rfm.segments["segment"]]
    table.index = table.index.astype(str)
    table = table.reindex([s for s in order if s in table.index]).reset_index()
    table["customers"] = table["customers"].astype("int64")
    table["orders"] = table["orders"].astype("int64")
    if not have_costs:
        table["cost_to_serve"] = np.nan
    table["margin_after_serving"] = table["margin"] - table["cost_to_serve"]
    table["margin_after_serving_per_customer"] = table["margin_after_serving"] / table["customers"].where(
        table["customers"] > 0
    )
    table["margin_share"] = table["margin"] / total_margin if total_margin else np.nan
    table["unprofitable"] = (table["margin_after_serving"] < 0).fillna(False).astype(bool)
    losing = table.loc[table["unprofitable"], "segment_label"].astype(str).tolist()
    if losing:
        warnings.append(_note("economics_unprofitable_segments", segments=", ".join(losing)))
    return pd.DataFrame(table[list(SEGMENT_COLUMNS)]).reset_index(drop=True)
