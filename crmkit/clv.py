"""Customer lifetime value: repeat value from a fitted buy-till-you-die model, plus referral value.

CLV of a customer over a horizon of K model-clock periods (Fader, Hardie & Lee 2005, "RFM and
CLV: using iso-value curves for customer base analysis", eq. 2, in discrete form):

    CLV = margin × E[spend] × Σₖ₌₁..K (E[X(tₖ)] − E[X(tₖ₋₁)]) / (1 + δ)^((tₖ₋₁ + tₖ) / 2)

where E[X(t)] is the model's conditional expectation of purchases in the next t periods given the
customer's history (x, t_x, T), t₀ = 0 < t₁ < … < t_K = horizon (at most 13 equal steps), E[spend]
the Gamma-Gamma conditional mean spend, and δ the
discount rate per period, converted from the annual rate: δ = (1 + d)^(period / 365.25 days) − 1.
Customer value = CLV + referral value (the value of the customers they brought). With an interval
level, each estimate gets an interval from the fits' parameter covariance and the totals one that
adds the purchase process (:mod:`crmkit.models.uncertainty`); the holdout validation lives in
:mod:`crmkit.clv_holdout`.
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from crmkit.clv_holdout import HoldoutResult, add_intervals, holdout_validation
from crmkit.errors import FitError, UsageError
from crmkit.io.engine import attach, records
from crmkit.io.options import as_date
from crmkit.io.purchases import as_purchases
from crmkit.io.quality import Message
from crmkit.pushdown import push_down
from crmkit.summary import UNIT_DAYS, quantile_scores, repeat_summary

if TYPE_CHECKING:
    import pandas as pd


_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(d|day|days|w|wk|week|weeks|m|mo|month|months|q|quarter|quarters|"
    r"y|yr|year|years)\s*$",
    re.I,
)
_DURATION_UNIT = {"d": "day", "w": "week", "m": "month", "q": "quarter", "y": "year"}
MODELS = ("bgnbd", "pnbd", "mbgnbd", "bgbb")
SPEND_MODELS = ("gamma-gamma", "normal")
#: ``horizon`` values meaning an infinite horizon (the CLV is then the value of the DERT).
INFINITE = ("inf", "infinite")
#: Columns :func:`crmkit.clv_forecast.forecast_columns` adds; NaN for the historical fallback.
FORECAST_COLUMNS = ("next_purchase_median", "next_purchase_date", "dert", "dert_value")
#: Fewer repeat buyers than this and no model is fitted: the historical value is used instead.
MIN_REPEAT_BUYERS = 20
#: ``value_method`` suffix when the Gamma-Gamma fit failed and spend is each customer's average order value.
MEAN_SPEND = "mean spend"
#: Longest span a CLV run models: history (first purchase to as-of date), horizon or holdout. The
#: models' likelihoods and the tracking curve step period by period, so a span of millennia (an
#: as-of date typed 8999) would run for hours; two centuries is the default purchase-date range.
MAX_SPAN_YEARS = 200
#: P(alive) limits of the churn-risk bands: high risk below the first, low risk from the second.
RISK_BANDS = (0.3, 0.7)


def parse_duration(text: str) -> float:
    """Days in a duration such as ``12m``, ``52w``, ``365d``, ``2y`` (months are 365.25/12 days)."""
    m = _DURATION.match(str(text))
    if not m:
        raise UsageError(f"a duration looks like 12m, 52w, 365d or 1y, not {text!r}")
    unit = _DURATION_UNIT[m.group(2)[0].lower()]
    return float(m.group(1)) * UNIT_DAYS[unit]


def period_rate(annual_rate: float, unit: str) -> float:
    """Discount rate per model-clock period equivalent to an annual rate (compounded)."""
    if not -1 < annual_rate < 10:
        raise UsageError(f"--discount is an annual rate such as 0.10, not {annual_rate}")
    return (1.0 + annual_rate) ** (UNIT_DAYS[unit] / 365.25) - 1.0


# --- the models ----------------------------------------------------------------------------


def _transaction_model(name: str):
    from crmkit import models

    return {
        "bgnbd": models.BetaGeoModel,
        "pnbd": models.ParetoNBDModel,
        "mbgnbd": models.ModifiedBetaGeoModel,
        "bgbb": models.BetaGeoBetaBinomModel,
    }[name]()


@dataclass
class ClvResult:
    """Everything ``crmkit clv`` computes.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer: ``customer_id, frequency, recency, T, monetary, p_alive,
        expected_purchases, expected_spend, clv, churn_risk, clv_decile, revenue, value_method``
        (+ ``referral_value, customer_value`` with referrals). ``frequency`` = repeat occasions,
        ``recency``/``T`` in model-clock periods, ``monetary`` = mean repeat spend; with an
        interval level ``*_low``/``*_high`` of the four estimates; the columns of
        :func:`crmkit.clv_forecast.forecast_columns` (next purchase, DERT, window).
    model : dict
        Model name, parameters, standard errors, log-likelihood, AIC, BIC, iterations,
        convergence, and the settings used (unit, horizon, discount, margin).
    spend_model : dict or None
        Gamma-Gamma parameters and fit statistics, and the frequency-spend correlation.
    deciles : pandas.DataFrame
        ``clv_decile, customers, clv_total, clv_mean, clv_share`` (decile 1 = most valuable).
    p_alive_bins : pandas.DataFrame
        ``p_alive_from, p_alive_to, customers, customer_share``.
    holdout : HoldoutResult or None
    totals : pandas.DataFrame or None
        With an interval level: ``quantity, estimate, low, high, method, actual, inside``
        (:func:`crmkit.clv_holdout.add_intervals`).
    coefficients : pandas.DataFrame or None
        With covariates: ``process, covariate, estimate, se, z, p_value``.
    warnings : list of str
        :class:`~crmkit.io.quality.Message` values: English text with a key a report translates by.
    """

    customers: pd.DataFrame
    model: dict
    spend_model: dict | None
    deciles: pd.DataFrame
    p_alive_bins: pd.DataFrame
    as_of: date
    holdout: HoldoutResult | None = None
    warnings: list = field(default_factory=list)
    totals: pd.DataFrame | None = None
    coefficients: pd.DataFrame | None = None

    def to_dict(self) -> dict:
        """Everything as JSON-ready values: ``customers`` is what ``crmkit clv -f json`` writes, ``model``
        and ``spend_model`` what ``--params-out`` writes."""
        holdout = None
        if self.holdout is not None:
            h = self.holdout
            holdout = {
                "calibration_end": h.calibration_end.isoformat(),
                "end": h.end.isoformat(),
                "total_actual": h.total_actual,
                "total_expected": h.total_expected,
                "error": h.error,
                "params": h.params,
                "interval": h.interval,
                "total_low": h.total_low,
                "total_high": h.total_high,
                "inside": h.inside,
                "by_frequency": records(h.by_frequency),
                "tracking": records(h.tracking),
            }
        return {
            "as_of": self.as_of.isoformat(),
            "model": self.model,
            "spend_model": self.spend_model,
            "customers": records(self.customers),
            "deciles": records(self.deciles),
            "p_alive_bins": records(self.p_alive_bins),
            "holdout": holdout,
            "totals": None if self.totals is None else records(self.totals),
            "coefficients": None if self.coefficients is None else records(self.coefficients),
            "warnings": list(self.warnings),
        }


def _deciles(clv: np.ndarray) -> np.ndarray:
    """CLV decile 1 (top 10%) .. 10, tie-safe: equal CLV, equal decile."""
    return 11 - quantile_scores(clv, 10)


def _risk(p_alive: np.ndarray) -> np.ndarray:
    low, high = RISK_BANDS
    return np.where(p_alive < low, "high", np.where(p_alive < high, "medium", "low"))


def discounted_purchases(model, horizon_periods: float, rate: float, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
    """Expected purchases in the horizon, undiscounted and discounted per period: at most 13 steps,
    each discounted at its midpoint (:func:`crmkit.models._forecast.discounted_forecast`)."""
    from crmkit.models._forecast import discounted_forecast

    return discounted_forecast(model, horizon_periods, rate, x, t_x, T)


def repeat_buyers(summary) -> int:
    """Customers with at least one repeat purchase in a :func:`crmkit.summary.repeat_summary` table."""
    return int((summary["x"] > 0).sum())


def fit_transaction_model(summary, name: str = "bgnbd", *, min_repeat_buyers: int = MIN_REPEAT_BUYERS):
    """A buy-till-you-die model fitted to a repeat summary, or None when too few customers repeat.

    The one rule the CLV and the loyalty ladder share: a model is fitted only when at least
    ``min_repeat_buyers`` customers bought again (fewer carry too little information about the
    purchase and drop-out rates for the maximum-likelihood fit to mean anything). The caller says
    what it does instead. A failed fit raises :class:`~crmkit.errors.FitError`.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`crmkit.summary.repeat_summary` output (with ``discrete=True`` for ``"bgbb"``).
    name : {"bgnbd", "pnbd", "mbgnbd", "bgbb"}
    min_repeat_buyers : int

    Notes
    -----
    The last few fits are remembered by a digest of the history they were fitted to, and a copy
    is returned: the monthly report fits BG/NBD on the same summary for the CLV and for the
    ladder's P(alive), and the same data always gives the same maximum-likelihood fit.
    """
    if repeat_buyers(summary) < min_repeat_buyers:
        return None
    history = _history(summary, name)
    digest = hashlib.blake2b(name.encode(), digest_size=16)
    for column in history:
        digest.update(np.ascontiguousarray(column, dtype=float).tobytes())
    key = digest.hexdigest()
    if key not in _FITS:
        _FITS[key] = _transaction_model(name).fit(*history)
        while len(_FITS) > 4:
            _FITS.pop(next(iter(_FITS)))
    return copy.deepcopy(_FITS[key])


#: Fitted transaction models by the digest of their history (:func:`fit_transaction_model`).
_FITS: dict[str, Any] = {}


def _fit(name: str, summary, warnings: list, *, fallback: bool = True):
    """The fitted transaction model, or None (with a warning) when there are too few repeat buyers.

    With ``fallback``, a fit that fails (a few ids holding most purchases, such as a shop's shared
    walk-in id, can drive BG/NBD's ``a`` to a boundary) also gives None and a warning, so the run
    reports the historical value instead of refusing a valid export.
    """
    from crmkit.errors import FitError

    try:
        model = fit_transaction_model(summary, name)
    except FitError as exc:
        if not fallback:
            raise
        warnings.append(
            Message(
                f"the {name} fit failed ({exc.message}); CLV is the historical value (average order "
                "value x purchase rate x margin x horizon)",
                "clv_fit_failed",
                model=name,
                reason=exc.message,
            )
        )
        return None
    if model is None:
        buyers = repeat_buyers(summary)
        warnings.append(
            Message(
                f"only {buyers} repeat buyer(s): too few to fit {name}; CLV is the "
                "historical value (average order value x purchase rate x margin x horizon)",
                "clv_too_few_repeat_buyers",
                buyers=buyers,
                model=name,
            )
        )
    return model


def _history(summary, name):
    if name == "bgbb":
        return (
            summary["x_periods"].to_numpy(float),
            summary["t_x_period"].to_numpy(float),
            summary["n"].to_numpy(float),
        )
    return summary["x"].to_numpy(float), summary["t_x"].to_numpy(float), summary["T"].to_numpy(float)


def _model_record(name: str, model, unit: str) -> dict:
    if model is None:
        return {"model": "historical", "unit": unit}
    record = _fit_record(model)
    record.update(model=name, unit=unit)
    return record


def _fit_record(model) -> dict:
    """Parameters, standard errors, covariance and fit statistics of a fitted model (JSON-ready)."""
    cov = getattr(model, "cov_", None)
    return {
        "model": None,
        "params": dict(model.params_),
        "se": dict(model.se_),
        "cov": None if cov is None else np.asarray(cov, dtype=float).tolist(),
        "log_likelihood": float(model.log_likelihood_),
        "aic": float(model.aic_),
        "bic": float(model.bic_),
        "iterations": int(getattr(model, "n_iter_", 0) or 0),
        "converged": bool(getattr(model, "converged_", True)),
        "customers": int(model.n_customers_),
    }


def customer_lifetime_value(
    transactions,
    as_of=None,
    *,
    model: str = "bgnbd",
    unit: str = "week",
    horizon: str = "52w",
    discount: float = 0.10,
    margin: float | None = None,
    occasion: str = "day",
    holdout: str | None = None,
    calibration_end: date | None = None,
    referrals=None,
    credit_share: float = 1.0,
    engine: str | None = None,
    interval: float | None = None,
    draws: int = 200,
    seed: int = 0,
    window: str | None = None,
    covariates=None,
    covariates_on=("purchase", "dropout", "spend"),
    spend_model: str = "gamma-gamma",
) -> ClvResult:
    """Per-customer P(alive), expected purchases and spend, CLV and customer value.

    Parameters
    ----------
    transactions : PurchaseData, pandas.DataFrame or pyarrow.Table
        Cleaned purchases (:func:`crmkit.io.purchases.read_purchases`).
    as_of : datetime.date
        End of the observation (the fit uses everything up to it).
    model : {"bgnbd", "pnbd", "mbgnbd", "bgbb"}
        Transaction model: BG/NBD (Fader, Hardie & Lee 2005), Pareto/NBD (Schmittlein et al.
        1987), MBG/NBD (Batislam et al. 2007), or BG/BB for discrete periods (Fader, Hardie &
        Shang 2010; one opportunity per ``unit``).
    unit : {"day", "week", "month", "quarter", "year"}
        The model clock.
    horizon : str
        Forecast horizon (``52w``, ``12m``, ``365d``), or ``inf``: the CLV is then the value of
        the discounted expected residual transactions (DERT, Fader, Hardie & Lee 2005, "RFM and
        CLV") and ``expected_purchases`` is NaN.
    discount : float
        Annual discount rate, converted to the model clock by :func:`period_rate`.
    margin : float, optional
        Profit margin on spend. Default: the data's margin column (margin / gross revenue per
        customer) when there is one, else 1.0 (CLV in revenue, with a warning).
    occasion : {"day", "order"}
        What counts as one purchase.
    holdout : str, optional
        Validate on the last part of the data (``26w``): fit up to ``as_of - holdout`` and compare
        forecasts with what happened. ``calibration_end`` gives the split date instead.
    referrals : str, os.PathLike or pandas.DataFrame, optional
        ``referrer_id, referred_id`` (or a referrals export to read with
        :func:`crmkit.io.inputs.read_referrals`): each referrer's referral value is ``credit_share``
        x the referred customers' net revenue to date plus their CLV.
    engine : {"duckdb", "db", "spark"}, optional
        Where the repeat-purchase summary is aggregated, as in :func:`crmkit.segment.segment`.
    interval, draws, seed : float, int, int
        Interval level (0.9): the ``*_low``/``*_high`` customer columns and
        :attr:`ClvResult.totals` (:func:`crmkit.clv_holdout.add_intervals`); ``draws`` futures
        per customer, seeded by ``seed``, simulate the purchase-process variance of the totals.
    window : str, optional
        A future window (``1y-3y``): its purchases and value (:mod:`crmkit.clv_forecast`).
    covariates, covariates_on : pandas.DataFrame, sequence of {"purchase", "dropout", "spend"}
        ``customer_id`` and time-invariant covariates, and the processes they act on (BG/NBD,
        Pareto/NBD; :mod:`crmkit.clv_covariates`).
    spend_model : {"gamma-gamma", "normal"}
        Gamma-Gamma (Fader & Hardie 2013; positive mean spend only) or the normal model of net
        values that can be negative (:class:`crmkit.models.normalspend.NormalSpendModel`).

    Returns
    -------
    ClvResult
    """
    import pandas as pd

    for ok, problem in (
        (model in MODELS, f"--model must be one of {', '.join(MODELS)}, not {model!r}"),
        (unit in UNIT_DAYS, f"--unit must be one of {', '.join(UNIT_DAYS)}, not {unit!r}"),
        (margin is None or -1 <= margin <= 1, f"--margin is a share such as 0.3, not {margin}"),
        (0 <= credit_share <= 1, f"--credit-share is a share between 0 and 1, not {credit_share}"),
        (interval is None or 0 < interval < 1, f"--interval is a level between 0 and 1 such as 0.9, not {interval}"),
        (int(draws) >= 2, f"--draws must be at least 2, not {draws}"),
        (spend_model in SPEND_MODELS, f"--spend-model must be one of {', '.join(SPEND_MODELS)}, not {spend_model!r}"),
    ):
        if not ok:
            raise UsageError(problem)
    infinite = str(horizon).strip().lower() in INFINITE
    max_days = MAX_SPAN_YEARS * 365.25
    for flag, span in (("--horizon", None if infinite else horizon), ("--holdout", holdout)):
        if span and parse_duration(span) > max_days:
            raise UsageError(f"{flag} {span} is longer than the {MAX_SPAN_YEARS} years a CLV run models")
    horizon_periods = math.inf if infinite else parse_duration(horizon) / UNIT_DAYS[unit]
    rate = period_rate(discount, unit)
    if infinite and rate <= 0:
        raise UsageError("--horizon inf needs a positive --discount (an undiscounted lifetime value can be infinite)")
    warnings: list[str] = []
    transactions = push_down(transactions, engine=engine) or as_purchases(transactions)
    as_of = transactions.resolve_as_of(None if as_of is None else as_date(as_of))
    first = transactions.quality.first_date
    if first is not None and (as_of - first).days > max_days:
        raise UsageError(
            f"the as-of date {as_of} is {(as_of - first).days / 365.25:,.0f} years after the first purchase "
            f"({first}): a CLV run models at most {MAX_SPAN_YEARS} years",
            hint="check --as-of",
        )
    if calibration_end is not None:
        calibration_end = as_date(calibration_end, "calibration_end")
    holdout_result = None
    split = calibration_end
    if split is None and holdout:
        split = as_of - timedelta(days=round(parse_duration(holdout)))
    if split is not None:
        if split >= as_of:
            raise UsageError(f"the calibration end {split} must be before the as-of date {as_of}")
        rows = as_purchases(transactions)
        holdout_result = holdout_validation(
            rows, attach(rows), model, unit, occasion, split, as_of, interval=interval, draws=draws, seed=seed
        )

    summary = repeat_summary(transactions, as_of, unit=unit, occasion=occasion, discrete=model == "bgbb")
    if summary.empty:
        raise UsageError("no customers with a purchase on or before the as-of date")
    fitted, spend_covariates, coefficients = (
        _fit_covariates(summary, covariates, model, covariates_on, warnings)
        if covariates is not None
        else (_fit(model, summary, warnings), None, None)
    )
    history = _history(summary, model)
    n = len(summary)

    def forecast(m):
        if infinite:
            from crmkit.models.dert import dert

            return np.full(n, np.nan), np.asarray(dert(m, rate, *history), dtype=float)
        return discounted_purchases(m, horizon_periods, rate, *history)

    if fitted is not None:
        expected, discounted = forecast(fitted)
        p_alive = np.clip(np.asarray(fitted.p_alive(*history), dtype=float), 0.0, 1.0)
        method = np.full(n, "model", dtype=object)
    else:
        # historical: purchases per period so far, carried over the horizon
        per_period = (summary["x"].to_numpy(float) + 1) / np.maximum(summary["T"].to_numpy(float), 1.0)
        if infinite:  # the sum over k >= 1 of (1 + rate)^-(k - 1/2)
            expected, discounted = np.full(n, np.nan), per_period * math.sqrt(1.0 + rate) / rate
        else:
            steps = np.arange(1, math.ceil(horizon_periods) + 1)
            width = horizon_periods / len(steps)
            expected = per_period * horizon_periods
            discounted = per_period * float(np.sum(1.0 / (1.0 + rate) ** (steps - 0.5))) * width
        p_alive = np.full(n, np.nan)
        method = np.full(n, "historical", dtype=object)

    spend_record, spend, spend_fit = _spend(summary, warnings, spend_model, spend_covariates)
    if spend_record is not None and spend_record["model"] == MEAN_SPEND:
        method = np.asarray([f"{m}, {MEAN_SPEND}" for m in method], dtype=object)
    if margin is not None:
        margin_rate = np.full(n, float(margin))
    elif "margin_rate" in summary.columns:
        overall = summary["margin_rate"].median()
        margin_rate = summary["margin_rate"].fillna(overall if pd.notna(overall) else 1.0).clip(-1, 1).to_numpy()
    else:
        margin_rate = np.ones(n)
        warnings.append(Message("no --margin and no margin column: CLV is in revenue, not profit", "clv_no_margin"))

    clv = margin_rate * spend * discounted
    customers = pd.DataFrame(
        {
            "customer_id": summary["customer_id"],
            "frequency": summary["x"],
            "recency": summary["t_x"],
            "T": summary["T"],
            "monetary": summary["monetary"],
            "p_alive": p_alive,
            "expected_purchases": expected,
            "expected_spend": spend,
            "clv": clv,
        }
    )
    totals = None
    if interval is not None:
        customers, totals = add_intervals(
            customers,
            fitted,
            forecast,
            history,
            spend_fit,
            margin_rate,
            horizon_periods,
            holdout_result,
            warnings,
            level=interval,
            draws=draws,
            seed=seed,
        )
    customers = _add_forecast(customers, fitted, history, unit, as_of, rate, spend, margin_rate, window, interval)
    customers["churn_risk"] = np.where(np.isnan(p_alive), "", _risk(np.nan_to_num(p_alive)))
    customers["revenue"] = summary["revenue"].to_numpy()
    customers["first_purchase"] = summary["first_purchase"]
    customers["last_purchase"] = summary["last_purchase"]
    customers["value_method"] = method
    value = clv
    if isinstance(referrals, (str, os.PathLike)):
        from crmkit.io.inputs import read_referrals

        referrals = read_referrals(os.fspath(referrals))
    if referrals is not None:
        customers["referral_value"] = referral_values(customers, referrals, credit_share)
        customers["customer_value"] = customers["clv"] + customers["referral_value"]
        value = customers["customer_value"].to_numpy()
    customers["clv_decile"] = _deciles(value)
    record = _model_record(model, fitted, unit)
    record.update(
        {
            "horizon": horizon,
            "horizon_periods": horizon_periods,
            "discount_annual": discount,
            "discount_per_period": rate,
            "margin": margin if margin is not None else ("margin column" if "margin_rate" in summary.columns else 1.0),
            "occasion": occasion,
            "window": window,
            "as_of": as_of.isoformat(),
            "customers": n,
        }
    )
    record.update({"interval": interval, "draws": int(draws), "seed": int(seed)} if interval is not None else {})
    if covariates is not None:
        record.update(
            covariates=[c for c in covariates.columns if c != "customer_id"], covariates_on=list(covariates_on)
        )
    return ClvResult(
        customers=customers,
        model=record,
        spend_model=spend_record,
        deciles=_decile_table(customers, value),
        p_alive_bins=_p_alive_table(p_alive),
        as_of=as_of,
        holdout=holdout_result,
        warnings=warnings,
        totals=totals,
        coefficients=coefficients,
    )


def _add_forecast(customers, fitted, history, unit, as_of, rate, spend, margin, window, interval):
    """The next-purchase, DERT and window columns (:func:`crmkit.clv_forecast.forecast_columns`);
    NaN without a fitted model."""
    from crmkit.clv_forecast import forecast_columns

    if fitted is not None and not getattr(fitted, "per_customer", False):
        settings = {"unit": unit, "as_of": as_of, "rate_per_period": rate, "window": window, "interval": interval}
        columns = forecast_columns(fitted, history, spend=spend, margin=margin, **settings)
    else:
        names = [*FORECAST_COLUMNS, *(["next_purchase_low", "next_purchase_high"] if interval else [])]
        names += ["window_purchases", "window_value"] if window else []
        nat = np.datetime64("NaT", "D")
        columns = {k: np.full(len(customers), nat if k.endswith("_date") else np.nan) for k in names}
    for name, values in columns.items():
        customers[name] = values
    return customers


def _fit_covariates(summary, covariates, model, on, warnings):
    """Transaction predictor, spend predictor (or None) and coefficients (:mod:`crmkit.clv_covariates`)."""
    from crmkit.clv_covariates import covariate_design, fit_covariate_models

    Z, names, notes = covariate_design(summary, covariates, [c for c in covariates.columns if c != "customer_id"])
    fit = fit_covariate_models(summary, Z, names, name=model, on=on)
    warnings.extend(Message(note, "clv_covariate_note", note=note) for note in [*notes, *fit.notes])
    return fit.model, fit.spend, fit.coefficients


def _spend(summary, warnings: list, spend_model: str = "gamma-gamma", covariate_spend=None):
    """Expected spend per customer from the spend model (historical average as fallback).

    Returns ``(record, spend, fit)``: ``fit`` is ``(model, predict)`` with ``predict(model) ->
    spend per customer`` for the intervals, or None (no model behind the spend).
    """
    from crmkit import models

    x = summary["x"].to_numpy(float)
    m = summary["monetary"].to_numpy(float)
    normal = spend_model == "normal"
    fit_rows = (x > 0) & np.isfinite(m) & (normal | (m > 0))
    average = np.where(summary["x"] >= 0, summary["revenue"].to_numpy(float) / (x + 1), 0.0)
    dropped = int(((x > 0) & np.isfinite(m) & (m <= 0)).sum()) if not normal else 0
    if dropped:
        warnings.append(
            Message(
                f"{dropped} repeat buyer(s) with a zero or negative net mean spend (returns, discounts) were "
                "left out of the Gamma-Gamma fit, which needs positive values; --spend-model normal models "
                "net values that can be negative",
                "clv_spend_nonpositive",
                customers=dropped,
            )
        )
    if fit_rows.sum() < MIN_REPEAT_BUYERS:
        warnings.append(
            Message(
                "too few repeat buyers with positive spend for Gamma-Gamma: expected spend is each "
                "customer's average order value",
                "clv_spend_too_few",
            )
        )
        return None, np.clip(average, 0, None), None
    xs, ms = np.where(fit_rows, x, 0.0), np.where(fit_rows, m, 0.0)
    try:
        if covariate_spend is not None:
            gg = covariate_spend
        elif normal:
            from crmkit.models.normalspend import NormalSpendModel

            gg = NormalSpendModel().fit(x[fit_rows], m[fit_rows])
        else:
            gg = models.GammaGammaModel().fit(x[fit_rows], m[fit_rows])
    except FitError as exc:
        # P(alive) and expected purchases do not depend on the spend model: keep them, and value
        # each customer at their own average order value, as with too few repeat buyers
        warnings.append(
            Message(
                f"the Gamma-Gamma spend model did not fit ({exc.message}): expected spend is each customer's "
                f"average order value (value_method '{MEAN_SPEND}')",
                "clv_spend_failed",
                reason=exc.message,
                method=MEAN_SPEND,
            )
        )
        return {"model": MEAN_SPEND, "gamma_gamma_error": exc.message}, np.clip(average, 0, None), None
    # The Gamma-Gamma independence check (|r| >= 0.3 is notable); the warning is worded for the CLV.
    check = models.spend_frequency_correlation(x[fit_rows], m[fit_rows])
    r = check.r
    if check.notable:
        warnings.append(
            Message(
                f"repeat frequency and spend are correlated (r = {r:.2f}): the Gamma-Gamma model assumes "
                "they are independent, so expected spend is biased for the heaviest buyers",
                "clv_spend_correlated",
                r=r,
            )
        )

    def predict(model):
        return np.asarray(model.expected_spend(xs, ms), dtype=float)

    spend = predict(gg)
    record = _fit_record(gg)
    record.update(model=spend_model, customers=int(fit_rows.sum()), frequency_spend_correlation=r)
    return record, spend, (gg, predict)


def referral_values(customers, referrals, credit_share: float = 1.0) -> np.ndarray:
    """Referral value per customer: credit share x (net revenue to date + CLV) of those they referred."""
    worth = customers.set_index("customer_id")["revenue"] + customers.set_index("customer_id")["clv"]
    brought = referrals.assign(worth=referrals["referred_id"].map(worth).fillna(0.0))
    # in one order whatever the file's: a sum's last digits depend on the order it adds in
    brought = brought.sort_values(["referrer_id", "referred_id"], kind="stable")
    per_referrer = brought.groupby("referrer_id")["worth"].sum() * credit_share
    return customers["customer_id"].map(per_referrer).fillna(0.0).to_numpy()


def _decile_table(customers, value):
    import pandas as pd

    frame = pd.DataFrame({"clv_decile": customers["clv_decile"], "value": value})
    total = frame["value"].sum()
    table = (
        frame.groupby("clv_decile")
        .agg(customers=("value", "size"), clv_total=("value", "sum"), clv_mean=("value", "mean"))
        .reset_index()
    )
    table["clv_share"] = table["clv_total"] / total if total else 0.0
    return table


def _p_alive_table(p_alive):
    import pandas as pd

    edges = np.linspace(0, 1, 11)
    valid = p_alive[np.isfinite(p_alive)]
    counts, _ = np.histogram(valid, bins=edges)
    return pd.DataFrame(
        {
            "p_alive_from": edges[:-1],
            "p_alive_to": edges[1:],
            "customers": counts,
            "customer_share": counts / max(1, valid.size),
        }
    )
