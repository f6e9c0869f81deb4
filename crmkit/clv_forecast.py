"""The CLV table's forward-looking columns: next purchase date, DERT value, value over a window.

:func:`forecast_columns` turns a fitted transaction model and the customers' histories into the
columns :func:`crmkit.clv.customer_lifetime_value` adds:

* ``next_purchase_median`` (and ``next_purchase_low`` / ``next_purchase_high`` with an interval
  level): quantiles of the time to the next purchase given alive, in model-clock periods
  (:func:`crmkit.models.next_purchase.next_purchase_time`); ``next_purchase_date`` is the as-of
  date plus the median (``NaT`` past year 9999);
* ``dert``: discounted expected residual transactions over an infinite horizon (Fader, Hardie &
  Lee 2005, "RFM and CLV", JMR 42(4); :func:`crmkit.models.dert.dert`) and ``dert_value`` =
  margin x expected spend x DERT;
* with a window such as ``1y-3y``: ``window_purchases`` (expected purchases in the window,
  undiscounted) and ``window_value`` (margin x expected spend x the window's purchases discounted
  to the as-of date, :func:`crmkit.models.dert.window_purchases`).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from crmkit.errors import UsageError
from crmkit.summary import UNIT_DAYS

__all__ = ["dert_value_for", "forecast_columns", "parse_window"]

#: Last day a next-purchase date is given for (later medians are "not in any plan": NaT).
_LAST_DATE = date(9999, 12, 31)


def parse_window(text: str) -> tuple[float, float]:
    """Start and end, in days after the as-of date, of a window such as ``1y-3y`` or ``0-6m``.

    Each end is a duration as ``--horizon`` takes it (:func:`crmkit.clv.parse_duration`); the
    start may also be ``0``.

    Examples
    --------
    >>> parse_window("1y-3y")
    (365.25, 1095.75)
    >>> parse_window("0-26w")
    (0.0, 182.0)
    """
    from crmkit.clv import parse_duration

    parts = str(text).split("-")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise UsageError(f"a window looks like 1y-3y (from one year to three years ahead), not {text!r}")
    start_text, end_text = (p.strip() for p in parts)
    start = 0.0 if start_text in ("0", "0.0") else parse_duration(start_text)
    end = parse_duration(end_text)
    if not end > start:
        raise UsageError(f"the window {text!r} must end after it starts")
    return start, end


def _dates(as_of: date, periods: np.ndarray, unit: str) -> np.ndarray:
    days = periods * UNIT_DAYS[unit]
    limit = (_LAST_DATE - as_of).days
    ok = np.isfinite(days) & (days <= limit)
    out = np.full(periods.size, np.datetime64("NaT"), dtype="datetime64[D]")
    out[ok] = np.datetime64(as_of, "D") + np.round(days[ok]).astype("int64").astype("timedelta64[D]")
    return out


def dert_value_for(fitted, history, rate: float, spend, margin) -> np.ndarray:
    """Margin x expected spend x DERT per customer (``rate`` per model-clock period)."""
    from crmkit.models.dert import dert

    return np.asarray(margin, dtype=float) * np.asarray(spend, dtype=float) * dert(fitted, rate, *history)


def forecast_columns(
    fitted,
    history,
    *,
    unit: str,
    as_of: date,
    rate_per_period: float,
    spend,
    margin,
    window: str | None = None,
    interval: float | None = None,
) -> dict[str, np.ndarray]:
    """The next-purchase, DERT and window columns for every customer (see the module text).

    Parameters
    ----------
    fitted : fitted transaction model
        BG/NBD, MBG/NBD, Pareto/NBD or BG/BB.
    history : tuple of array_like
        ``(x, t_x, T)`` (for the BG/BB ``(x, t_x, n)``) in model-clock periods.
    unit : str
        The model clock (a key of :data:`crmkit.summary.UNIT_DAYS`).
    as_of : datetime.date
        The analysis date the forecast starts from.
    rate_per_period : float
        Discount rate per period (compounded per period, as for the finite-horizon CLV). With a
        rate of 0 the DERT columns are NaN (an undiscounted lifetime can be infinite).
    spend, margin : array_like
        Expected spend per purchase and margin share per customer.
    window : str, optional
        A window such as ``1y-3y`` (:func:`parse_window`).
    interval : float, optional
        Level of the next-purchase interval, e.g. 0.9 (the 5% and 95% quantiles).

    Returns
    -------
    dict of str to numpy.ndarray
        ``next_purchase_median``, ``next_purchase_date`` (``datetime64[D]``), with an interval
        ``next_purchase_low`` and ``next_purchase_high``, then ``dert``, ``dert_value`` and, with a
        window, ``window_purchases`` and ``window_value``.
    """
    from crmkit.models.dert import dert, window_purchases
    from crmkit.models.next_purchase import next_purchase_time

    if unit not in UNIT_DAYS:
        raise UsageError(f"unit must be one of {', '.join(UNIT_DAYS)}, not {unit!r}")
    if interval is not None and not 0 < interval < 1:
        raise UsageError(f"the interval is a level between 0 and 1 such as 0.9, not {interval}")
    value_per_purchase = np.asarray(margin, dtype=float) * np.asarray(spend, dtype=float)
    levels = [0.5] if interval is None else [0.5, (1 - interval) / 2, (1 + interval) / 2]
    x, t_x, T = history
    quantiles = next_purchase_time(fitted, x, t_x, T, q=levels)
    columns: dict[str, np.ndarray] = {
        "next_purchase_median": quantiles[0],
        "next_purchase_date": _dates(as_of, quantiles[0], unit),
    }
    if interval is not None:
        columns["next_purchase_low"] = quantiles[1]
        columns["next_purchase_high"] = quantiles[2]
    n = quantiles.shape[1]
    if rate_per_period > 0:
        expected_dert = np.asarray(dert(fitted, rate_per_period, *history), dtype=float)
    else:
        expected_dert = np.full(n, np.nan)
    columns["dert"] = expected_dert
    columns["dert_value"] = value_per_purchase * expected_dert
    if window:
        start, end = parse_window(window)
        periods = UNIT_DAYS[unit]
        purchases, discounted = window_purchases(fitted, start / periods, end / periods, rate_per_period, *history)
        columns["window_purchases"] = np.asarray(purchases, dtype=float)
        columns["window_value"] = value_per_purchase * np.asarray(discounted, dtype=float)
    return columns
