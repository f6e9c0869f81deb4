"""Value of a subscription base: the sBG model on a renewal file (``crmkit clv --model sbg``).

Each cohort of a renewal file (:mod:`crmkit.io.renewals`) gets its own shifted-beta-geometric
fit (Fader & Hardie 2007, "How to project customer retention", *Journal of Interactive
Marketing* 21(1)): :class:`~crmkit.models.sbg.ShiftedBetaGeometricModel`. From it:

* ``fit`` -- per cohort ``alpha``, ``beta`` with standard errors, log-likelihood, mean churn
  probability ``alpha / (alpha + beta)``, expected lifetime, DEL and the value of a new
  customer ``value_per_period * DEL`` (Fader & Hardie 2010, "Customer-base valuation in a
  contractual setting", *Marketing Science* 29(1), eq. 3);
* ``projection`` -- per cohort and period ``0 .. horizon``: model survival ``S(t)`` and
  retention ``r(t)``, the observed survival (the counts for a cohort table; Kaplan-Meier over
  renewal decisions for subscriber rows, so later starters are not counted as churners),
  expected active customers, and with ``interval`` the ``S(t)`` interval from parametric draws of
  ``(log alpha, log beta)`` from the asymptotic normal of the fit (its ``cov_``);
* ``customers`` (subscriber rows) -- per active customer: renewals so far, probability of
  renewing at the next decision, DERL (FH 2010, eq. 6) and residual value ``fee * DERL``.

The annual ``discount`` rate is turned into a rate per period, ``(1 + d)^(period/year) - 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from crmkit.errors import FitError, UsageError
from crmkit.io.quality import Message
from crmkit.io.results import TableViews

__all__ = ["ContractValue", "contract_value", "period_rate"]

_PER_YEAR = {"week": 52.1775, "month": 12.0, "quarter": 4.0, "year": 1.0}


def period_rate(annual: float, period: str) -> float:
    """The discount rate per ``period`` equivalent to ``annual`` (compounded).

    Examples
    --------
    >>> round(period_rate(0.1, "month"), 6)
    0.007974
    """
    if not (math.isfinite(annual) and annual > 0):
        raise UsageError(f"discount must be an annual rate > 0 (0.1 = 10%), not {annual!r}")
    return (1.0 + annual) ** (1.0 / _PER_YEAR[period]) - 1.0


@dataclass
class ContractValue(TableViews):
    """What :func:`contract_value` found; tables as views (``--view fit|projection|customers``).

    Attributes
    ----------
    fit, projection : pandas.DataFrame
    customers : pandas.DataFrame or None
        Subscriber rows only.
    headline : dict
    models : dict
        Cohort -> fitted :class:`~crmkit.models.sbg.ShiftedBetaGeometricModel`.
    settings : dict
    notes, warnings : list of str
    """

    VIEWS = ("fit", "projection", "customers")
    DEFAULT_VIEW = "projection"

    fit: Any
    projection: Any
    customers: Any
    headline: dict
    models: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def missing_hint(self, name: str) -> str | None:
        if name == "customers":
            return "a cohort table has no customers; give one row per subscriber (customer_id, start, end)"
        return None

    def json_extra(self) -> dict[str, Any]:
        return {"settings": dict(self.settings)}


def contract_value(
    data,
    *,
    period: str = "month",
    discount: float = 0.10,
    value_per_period: float | None = None,
    horizon: int | None = None,
    interval: float | None = None,
    draws: int = 1000,
    seed: int = 0,
    as_of: date | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    columns: dict[str, str] | None = None,
) -> ContractValue:
    """Fit the sBG model per cohort of a renewal file and value the active customers.

    Parameters
    ----------
    data : str, path, DataFrame or :class:`~crmkit.io.renewals.Renewals`
        The renewal file (see :mod:`crmkit.io.renewals`), or one already read.
    period : {"week", "month", "quarter", "year"}, default "month"
        Contract period of subscriber rows (a cohort table's rows are its periods).
    discount : float, default 0.10
        Annual discount rate.
    value_per_period : float, optional
        Value of one period of a contract; default the file's fee column, else 1 (values then
        read as discounted periods).
    horizon : int, optional
        Last projected period (default: twice the periods observed, at least 12).
    interval : float, optional
        Level (0 < level < 1) of the projected survival interval.
    draws : int, default 1000
        Parametric draws for the interval.
    seed : int, default 0
    as_of, encoding, sheet, delimiter, columns
        Passed to :func:`~crmkit.io.renewals.read_renewals`.
    """
    import numpy as np
    import pandas as pd

    from crmkit.io.renewals import PERIODS, Renewals, read_renewals
    from crmkit.models.sbg import ShiftedBetaGeometricModel

    if period not in PERIODS:
        raise UsageError(f"--period must be one of {', '.join(PERIODS)}, not {period!r}")
    if interval is not None and not (0 < interval < 1):
        raise UsageError(f"--interval must be a level between 0 and 1 (0.9 = 90%), not {interval!r}")
    if value_per_period is not None and not math.isfinite(value_per_period):
        raise UsageError(f"value per period must be a number, not {value_per_period!r}")
    if horizon is not None and not (isinstance(horizon, int) and 1 <= horizon <= 10_000):
        raise UsageError(f"horizon must be a whole number of periods from 1 to 10000, not {horizon!r}")
    if draws < 10:
        raise UsageError(f"draws must be at least 10, not {draws}")
    renewals = (
        data
        if isinstance(data, Renewals)
        else read_renewals(
            data, period=period, as_of=as_of, encoding=encoding, sheet=sheet, delimiter=delimiter, columns=columns
        )
    )
    unit = "year" if renewals.kind == "cohorts" and _yearly(renewals) else period
    d = period_rate(discount, unit)
    notes: list[str] = []
    warnings: list[str] = []
    groups: dict[str, tuple] = {}
    if renewals.kind == "cohorts":
        from crmkit.models.sbg import counts_to_customers

        for cohort, counts in renewals.cohorts.items():
            groups[cohort] = (*counts_to_customers(counts), counts)
    else:
        frame = renewals.frame
        for cohort, part in frame.groupby("cohort", sort=True):
            groups[str(cohort)] = (part["renewals"].to_numpy(float), part["churned"].to_numpy(bool), None, None)
    fee_default = 1.0 if value_per_period is None else float(value_per_period)
    fit_rows, proj_parts, models = [], [], {}
    rng = np.random.default_rng(seed)
    for cohort, (r, c, w, counts) in groups.items():
        try:
            model = ShiftedBetaGeometricModel().fit(r, c, weights=w)
        except FitError as exc:
            text = f"cohort {cohort}: not fitted ({exc.message})"
            warnings.append(Message(text, "contract_not_fitted", cohort=cohort, reason=exc.message))
            continue
        models[cohort] = model
        alpha, beta = model.params_["alpha"], model.params_["beta"]
        observed = int(np.max(r))
        last = horizon if horizon is not None else max(12, 2 * observed)
        size = int(round(float(np.sum(w)))) if w is not None else int(r.size)  # people: a whole number
        del_value = model.discounted_expected_lifetime(d)
        fit_rows.append(
            {
                "cohort": cohort,
                "customers": size,
                "periods_observed": observed,
                "alpha": alpha,
                "alpha_se": model.se_["alpha"],
                "beta": beta,
                "beta_se": model.se_["beta"],
                "log_likelihood": model.log_likelihood_,
                "mean_churn": alpha / (alpha + beta),
                "expected_lifetime": model.expected_lifetime(),
                "del": del_value,
                "new_customer_value": fee_default * del_value if value_per_period is not None or
                renewals.kind == "cohorts" else _mean_fee(renewals, cohort, fee_default) * del_value,
            }
        )  # fmt: skip
        t = np.arange(last + 1, dtype=float)
        surv = model.survival(t)
        retention = np.concatenate([[np.nan], model.retention_rate(t[1:])])
        if counts is not None:
            actual = np.full(t.size, np.nan)
            actual[: len(counts)] = np.asarray(counts) / counts[0]
        else:
            actual = _kaplan_meier(r, c, last)
        part = pd.DataFrame(
            {
                "cohort": cohort,
                "period": t.astype(int),
                "survival": surv,
                "retention": retention,
                "actual": actual,
                "expected_active": size * surv,
                "observed": t <= observed,
            }
        )
        if interval is not None:
            low, high = _survival_band(model, t, interval, draws, rng)
            part.insert(3, "survival_low", low)
            part.insert(4, "survival_high", high)
        proj_parts.append(part)
    if not models:
        raise FitError(
            "no cohort of the renewal file could be fitted: " + "; ".join(warnings),
            hint="each cohort needs customers observed over at least two renewal decisions, some of them cancelling",
        )
    fit = pd.DataFrame(fit_rows)
    projection = pd.concat(proj_parts, ignore_index=True)
    customers = None
    if renewals.kind == "cohorts":
        # FH 2010 section 3: the base still active after k renewals is worth n_k * value * DERL(k)
        active_total = sum(renewals.cohorts[k][-1] for k in models)
        residual_total = float(
            sum(
                renewals.cohorts[k][-1] * fee_default * m.derl(d, len(renewals.cohorts[k]) - 1)[0]
                for k, m in models.items()
            )
        )
    else:
        customers = _customer_table(renewals.frame, models, d, value_per_period)
        residual_total = float(np.nansum(customers["residual_value"]))
        active_total = len(customers)
    headline = {
        "kind": renewals.kind,
        "cohorts": len(models),
        "customers": int(fit["customers"].sum()),
        "period": unit,
        "discount_per_period": d,
        "retention_next": float(
            np.average(
                [
                    m.retention_rate([int(fit.loc[fit.cohort == k, "periods_observed"].iloc[0]) + 1])[0]
                    for k, m in models.items()
                ],
                weights=fit["customers"],
            )
        ),  # fmt: skip
        "new_customer_value": float(np.average(fit["new_customer_value"], weights=fit["customers"])),
        "active": int(active_total),
        "residual_value": residual_total,
    }
    if renewals.kind == "customers":
        cancelled, subscribers = int(renewals.frame["churned"].sum()), len(renewals.frame)
        counted = f"renewals counted in {unit}s up to {renewals.as_of}"
        text = f"{cancelled:,} of {subscribers:,} subscribers cancelled; {counted}"
        params = {"cancelled": cancelled, "subscribers": subscribers, "unit": unit, "as_of": str(renewals.as_of)}
        notes.append(Message(text, "contract_cancelled", **params))
    if value_per_period is None and (renewals.kind == "cohorts" or renewals.frame["fee"].isna().all()):
        text = "no value per period given: values are discounted periods (value 1 per period)"
        notes.append(Message(text, "contract_no_value"))
    settings = {
        "period": unit,
        "discount": discount,
        "value_per_period": value_per_period,
        "horizon": horizon,
        "interval": interval,
        "draws": draws,
        "seed": seed,
        "as_of": None if renewals.as_of is None else str(renewals.as_of),
        "source": renewals.source,
    }
    return ContractValue(
        fit=fit,
        projection=projection,
        customers=customers,
        headline=headline,
        models=models,
        settings=settings,
        notes=notes,
        warnings=warnings,
    )


def _yearly(renewals) -> bool:
    from crmkit.io.columns import normalise_header

    header = normalise_header(renewals.columns.get("period", ""))
    return header in ("year", "年", "年份", "years")


def _mean_fee(renewals, cohort: str, default: float) -> float:
    import numpy as np

    fees = renewals.frame.loc[renewals.frame["cohort"].astype(str) == cohort, "fee"].to_numpy(float)
    fees = fees[np.isfinite(fees)]
    return float(fees.mean()) if fees.size else default


def _kaplan_meier(r, c, last: int):
    """Observed survival over renewal decisions with right censoring (Kaplan & Meier 1958): at
    decision ``t`` the customers at risk are those who passed ``t - 1`` and were observed at ``t``."""
    import numpy as np

    out = np.full(last + 1, np.nan)
    out[0] = 1.0
    s = 1.0
    for t in range(1, last + 1):
        at_risk = np.sum((r >= t - 1) & (c | (r >= t)))
        if at_risk == 0:
            break
        s *= float(np.sum(r >= t)) / float(at_risk)
        out[t] = s
    return out


def _survival_band(model, t, level: float, draws: int, rng):
    """Pointwise quantiles of ``S(t)`` over draws of the log-parameters from their asymptotic
    normal (delta method: ``cov(log p) = cov(p) / (p p')``), so draws stay positive."""
    import numpy as np
    from scipy.special import betaln

    p = np.array([model.params_["alpha"], model.params_["beta"]])
    cov_log = np.asarray(model.cov_) / np.outer(p, p)
    theta = rng.multivariate_normal(np.log(p), cov_log, size=draws)
    a, b = np.exp(theta[:, :1]), np.exp(theta[:, 1:])
    s = np.exp(betaln(a, b + t[None, :]) - betaln(a, b))
    q = (1 - level) / 2
    return np.quantile(s, q, axis=0), np.quantile(s, 1 - q, axis=0)


def _customer_table(frame, models, d: float, value_per_period):
    import numpy as np
    import pandas as pd

    active = frame[~frame["churned"]]
    parts = []
    for cohort, part in active.groupby("cohort", sort=True):
        model = models.get(str(cohort))
        if model is None:
            continue
        k = part["renewals"].to_numpy(float)
        derl = model.derl(d, k)
        fee = part["fee"].to_numpy(float)
        value = np.where(np.isfinite(fee), fee, 1.0) if value_per_period is None else np.full(k.size, value_per_period)
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": part["customer_id"].to_numpy(),
                    "cohort": str(cohort),
                    "start": part["start"].to_numpy(),
                    "renewals": k.astype(int),
                    "p_renew_next": model.retention_rate(k + 1),
                    "derl": derl,
                    "value_per_period": value,
                    "residual_value": value * derl,
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["customer_id", "cohort", "start", "renewals", "p_renew_next", "derl", "value_per_period",
                     "residual_value"]
        )  # fmt: skip
    return pd.concat(parts, ignore_index=True).sort_values("residual_value", ascending=False, ignore_index=True)
