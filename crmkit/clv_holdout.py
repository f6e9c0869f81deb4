"""How sure a CLV run is: calibration/holdout validation and the intervals of its estimates.

:func:`holdout_validation` fits the transaction model on the purchases up to a calibration end,
forecasts each calibration customer's purchases over the holdout and compares with what they
did (Fader, Hardie & Lee 2005, Figures 3-4): by calibration frequency, week by week (the
tracking curve), and in total, with an interval for the total when asked.
:func:`add_intervals` gives the run's per-customer estimates and totals their intervals
(:mod:`crmkit.models.uncertainty`). :func:`crmkit.clv.customer_lifetime_value` calls both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from crmkit.errors import UsageError
from crmkit.io.engine import Frame, columns_of
from crmkit.summary import UNIT_DAYS, occasions_sql, repeat_summary

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["HoldoutResult", "add_intervals", "holdout_total_interval", "holdout_validation"]

#: The per-customer interval columns (``_low``/``_high`` of each, after the estimate).
INTERVAL_COLUMNS = ("p_alive", "expected_purchases", "expected_spend", "clv")
TOTALS_COLUMNS = ("quantity", "estimate", "low", "high", "method", "actual", "inside")


@dataclass
class HoldoutResult:
    """Calibration/holdout validation (Fader, Hardie & Lee 2005, Figures 3-4).

    ``by_frequency``: ``frequency_group`` (repeat purchases in calibration, 0..6 and "7+"),
    ``customers, actual_mean, expected_mean, actual_total, expected_total``. ``tracking``:
    ``week, date, phase, actual_cumulative, expected_cumulative``: cumulative repeat purchases of
    the calibration cohort by week from its first acquisition (BG/NBD, Pareto/NBD: the model's
    population curve), or over the holdout only (MBG/NBD, BG/BB: conditional expectations). ``total_actual``,
    ``total_expected`` and ``error`` ((expected − actual) / actual). With an interval level:
    ``total_low``/``total_high`` bound the total holdout purchases (parameter and purchase-process
    uncertainty, :mod:`crmkit.models.uncertainty`) and ``inside`` says whether the actual total
    falls in it.
    """

    calibration_end: date
    end: date
    by_frequency: pd.DataFrame
    tracking: pd.DataFrame
    total_actual: float
    total_expected: float
    error: float
    params: dict
    interval: float | None = None
    total_low: float | None = None
    total_high: float | None = None
    inside: bool | None = None
    interval_method: str | None = None


def holdout_validation(
    transactions,
    con_source,
    name,
    unit,
    occasion,
    calibration_end: date,
    end: date,
    *,
    interval: float | None = None,
    draws: int = 200,
    seed: int = 0,
) -> HoldoutResult:
    """Fit on the purchases up to ``calibration_end`` and compare the forecast with ``end``.

    With ``interval``, the total holdout purchases get an interval from the calibration fit's
    parameter covariance and each customer's posterior purchase process
    (:func:`holdout_total_interval`).
    """
    import pandas as pd

    from crmkit.clv import _fit, _history

    con, source = con_source
    cal = repeat_summary(transactions, calibration_end, unit=unit, occasion=occasion, discrete=name == "bgbb")
    model = _fit(name, cal, [], fallback=False)
    if model is None:
        raise UsageError("too few repeat buyers before the calibration end to validate a model")
    days = (end - calibration_end).days
    history = _history(cal, name)
    columns = columns_of(con, source)
    occasions = Frame(
        con,
        f"""
        SELECT customer_id, first_day FROM ({occasions_sql(source, end, occasion=occasion, columns=columns)})
        WHERE bought AND first_day > DATE '{calibration_end.isoformat()}'""",
    ).df()
    occasions = occasions[occasions["customer_id"].isin(set(cal["customer_id"]))]
    actual = occasions.groupby("customer_id").size().reindex(cal["customer_id"], fill_value=0).to_numpy()
    period = UNIT_DAYS[unit]
    expected = np.asarray(model.expected_purchases(days / period, *history), dtype=float)
    group = np.where(cal["x"] >= 7, "7+", cal["x"].clip(upper=7).astype(int).astype(str))
    frame = pd.DataFrame({"frequency_group": group, "actual": actual, "expected": expected})
    order = [str(i) for i in range(7)] + ["7+"]
    by_freq = frame.groupby("frequency_group").agg(
        customers=("actual", "size"),
        actual_mean=("actual", "mean"),
        expected_mean=("expected", "mean"),
        actual_total=("actual", "sum"),
        expected_total=("expected", "sum"),
    )
    by_freq = by_freq.reindex([g for g in order if g in by_freq.index]).reset_index()
    if hasattr(model, "expected_purchases_population"):
        tracking = _tracking_from_acquisition(
            con, source, columns, model, cal, occasion, calibration_end, end, UNIT_DAYS[unit]
        )
    else:
        # no closed-form population curve for this model: track the holdout with conditional expectations
        weeks = max(1, math.ceil(days / 7))
        first = pd.to_datetime(occasions["first_day"])
        rows = []
        for w in range(1, weeks + 1):
            horizon_days = min(7 * w, days)
            cutoff = pd.Timestamp(calibration_end + timedelta(days=horizon_days))
            rows.append(
                {
                    "week": w,
                    "date": cutoff.date(),
                    "phase": "holdout",
                    "actual_cumulative": int((first <= cutoff).sum()),
                    "expected_cumulative": float(np.sum(model.expected_purchases(horizon_days / period, *history))),
                }
            )
        tracking = pd.DataFrame(rows)
    total_actual, total_expected = float(actual.sum()), float(expected.sum())
    error = (total_expected - total_actual) / total_actual if total_actual else float("nan")
    bounds: dict = {}
    if interval is not None:
        low, high, method = holdout_total_interval(
            model, days / period, history, level=interval, draws=draws, seed=seed, base=expected
        )
        bounds = {
            "interval": interval,
            "total_low": low,
            "total_high": high,
            "inside": bool(low <= total_actual <= high),
            "interval_method": method,
        }
    return HoldoutResult(
        calibration_end=calibration_end,
        end=end,
        by_frequency=by_freq,
        tracking=tracking,
        total_actual=total_actual,
        total_expected=total_expected,
        error=error,
        params=dict(model.params_),
        **bounds,
    )


def _tracking_from_acquisition(con, source, columns, model, cal, occasion, calibration_end, end, period):
    """Cumulative repeat purchases of the calibration cohort, week by week from its first acquisition
    to ``end``: actual, and expected from the model's population curve (each customer's expected
    repeat purchases since their own first purchase; Fader, Hardie & Lee 2005, Figure 1)."""
    import pandas as pd

    cohort = set(cal["customer_id"])
    repeats = Frame(
        con,
        f"""
        SELECT customer_id, first_day FROM (
            SELECT customer_id, first_day,
                   row_number() OVER (PARTITION BY customer_id ORDER BY first_day, occasion) AS k
            FROM ({occasions_sql(source, end, occasion=occasion, columns=columns)}) WHERE bought)
        WHERE k > 1""",
    ).df()
    repeats = pd.to_datetime(repeats.loc[repeats["customer_id"].isin(cohort), "first_day"]).sort_values().to_numpy()
    births = pd.to_datetime(cal["first_purchase"]).value_counts()
    start = births.index.min()
    weeks = max(1, math.ceil((pd.Timestamp(end) - start).days / 7))
    rows = []
    for w in range(1, weeks + 1):
        cutoff = min(start + pd.Timedelta(days=7 * w), pd.Timestamp(end))
        ages = np.clip((cutoff - births.index).days.to_numpy() / period, 0.0, None)
        expected = float(np.dot(model.expected_purchases_population(ages), births.to_numpy()))
        rows.append(
            {
                "week": w,
                "date": cutoff.date(),
                "phase": "calibration" if cutoff.date() <= calibration_end else "holdout",
                "actual_cumulative": int(np.searchsorted(repeats, cutoff.to_datetime64(), side="right")),
                "expected_cumulative": expected,
            }
        )
    return pd.DataFrame(rows)


def holdout_total_interval(model, t: float, history, *, level: float, draws: int = 200, seed: int = 0, base=None):
    """Interval of the total purchases of the customers ``history`` in the next ``t`` periods.

    Variance = parameter part (the delta method: the gradient of the total in the
    log-parameters, by forward differences, with the fitted covariance) + purchase-process part
    (sum of each customer's conditional variance, simulated from her posterior:
    :func:`crmkit.models.uncertainty.process_variance`); the interval is normal, cut at 0.

    Returns
    -------
    low, high : float
    method : str
    """
    from crmkit.models import uncertainty

    def total(m):
        return np.sum(np.asarray(m.expected_purchases(t, *history), dtype=float))

    estimate = float(total(model) if base is None else np.sum(base))
    _, grad = uncertainty.parameter_gradient(model, total, base=estimate)
    param_var = float(grad @ uncertainty.log_covariance(model) @ grad)
    process_var, process = uncertainty.process_variance(model, t, *history, draws=draws, seed=seed)
    low, high = uncertainty.total_interval(estimate, param_var + process_var, level)
    return low, high, f"delta method + process {process}"


def add_intervals(
    customers, fitted, forecast, history, spend_fit, margin, horizon, holdout, warnings, *, level, draws=200, seed=0
):
    """The ``*_low``/``*_high`` customer columns and the totals table of a CLV run.

    Parameters
    ----------
    customers : pandas.DataFrame
        The run's customer table (``p_alive, expected_purchases, expected_spend, clv``).
    fitted : fitted transaction model or None
    forecast : callable
        ``forecast(model) -> (expected, discounted)`` per customer.
    history : tuple of ndarray
    spend_fit : tuple or None
        ``(spend model, predict)`` with ``predict(model) -> spend per customer``; None when the
        spend is each customer's own average (no parameter uncertainty then).
    margin : ndarray
    horizon : float
        Periods (``inf`` for DERT: the totals then carry parameter uncertainty only).
    holdout : HoldoutResult or None
        Its total with interval becomes the ``holdout_purchases`` row.
    warnings : list
        Gets a :class:`~crmkit.io.quality.Message` when no interval can be given.

    Returns
    -------
    customers : pandas.DataFrame
    totals : pandas.DataFrame
        ``quantity, estimate, low, high, method, actual, inside``.
    """
    import pandas as pd

    from crmkit.io.quality import Message
    from crmkit.models import uncertainty

    spend = customers["expected_spend"].to_numpy(float)
    rows: list = []
    if fitted is None or getattr(fitted, "per_customer", False) or not uncertainty.has_covariance(fitted):
        why = "no model was fitted" if fitted is None else "the covariate models have no intervals yet"
        warnings.append(Message(f"no intervals: {why}", "clv_no_intervals", reason=why))
        nan = np.full(len(customers), np.nan)
        bounds = dict.fromkeys(INTERVAL_COLUMNS, (nan, nan))
    else:
        spend_model = None if spend_fit is None else spend_fit[0]
        spend_of = (lambda m: spend) if spend_fit is None else spend_fit[1]
        bands = uncertainty.customer_bands(fitted, forecast, history, level, spend_model=spend_model, spend=spend_of)
        bounds = {
            "p_alive": bands["p_alive"][1:],
            "expected_purchases": bands["expected"][1:],
            "expected_spend": bands["spend"][1:],
            "clv": uncertainty.clv_band(bands, margin, level)[1:],
        }
        rows = uncertainty.clv_totals(
            fitted, bands, margin, history, horizon=horizon, level=level, draws=draws, seed=seed
        )
    for name in INTERVAL_COLUMNS:
        position = customers.columns.get_loc(name) + 1
        customers.insert(position, f"{name}_low", bounds[name][0])
        customers.insert(position + 1, f"{name}_high", bounds[name][1])
    if holdout is not None and holdout.total_low is not None:
        rows.append(
            {
                "quantity": "holdout_purchases",
                "estimate": holdout.total_expected,
                "low": holdout.total_low,
                "high": holdout.total_high,
                "method": holdout.interval_method,
                "actual": holdout.total_actual,
                "inside": holdout.inside,
            }
        )
    return customers, pd.DataFrame(rows, columns=list(TOTALS_COLUMNS))
