"""Customer covariates for the CLV models: the design matrix from an attributes file, and the fits.

:func:`covariate_design` turns columns of a customer-attributes frame (channel of acquisition,
region, tier, age...) into a numeric matrix ``Z`` aligned with the rows of a repeat summary;
:func:`fit_covariate_models` fits Pareto/NBD or BG/NBD and Gamma-Gamma with those covariates
(:mod:`crmkit.models.covariates`) and returns predictors bound to the summary's customers.

Design choices (what an analyst reading the coefficient table expects):

* a **categorical** column (any value that does not read as a number) becomes 0/1 dummies, one
  per level except the **most frequent**, which is the reference (ties: the first in sorted
  order); each coefficient is that level's effect against the reference;
* a **numeric** column is kept in its own unit but **centred** at its mean over the summary's
  customers, so the baseline parameters (``r, alpha, ...``) are those of a customer at the mean
  of each numeric covariate and at the reference level of each categorical one, and a
  coefficient is the effect of one unit (not of one standard deviation);
* a customer of the summary who is **absent** from the attributes, or has no value in a chosen
  column, is an error (:class:`~crmkit.errors.DataError`) naming the file, the column and the
  first such customer: silently giving her the reference level would bias that level's
  coefficient towards the missing customers' behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crmkit.errors import DataError, FitError, UsageError

__all__ = ["CovariateFit", "CustomerPredictor", "covariate_design", "fit_covariate_models"]

COEFFICIENT_COLUMNS = ("process", "covariate", "estimate", "se", "z", "p_value")


def covariate_design(summary, covariates_frame, columns, *, source: str = "the attributes file", categorical=()):
    """The covariate matrix for the summary's customers, in the summary's row order.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`crmkit.summary.repeat_summary` output (its ``customer_id`` column is used).
    covariates_frame : pandas.DataFrame
        ``customer_id`` and the covariate columns (e.g. :func:`crmkit.io.attributes.read_attributes`'s
        frame); ids are compared as text.
    columns : sequence of str
        The columns to use.
    source : str
        The file the frame came from, for messages.
    categorical : sequence of str
        Columns to treat as categories even if every value reads as a number (a tier coded 1-3).

    Returns
    -------
    Z : numpy.ndarray
        ``len(summary) x k``.
    names : list of str
        One per column of Z: ``age`` for a numeric covariate, ``channel=web`` for a dummy.
    notes : list of str
        How each column was coded (reference level, centring mean), to show the user.

    Examples
    --------
    >>> import pandas as pd
    >>> summary = pd.DataFrame({"customer_id": ["a", "b", "c"]})
    >>> attrs = pd.DataFrame({"customer_id": ["c", "b", "a"], "channel": ["web", "shop", "web"]})
    >>> Z, names, notes = covariate_design(summary, attrs, ["channel"])
    >>> names, Z[:, 0].tolist()
    (['channel=shop'], [0.0, 1.0, 0.0])
    """
    import pandas as pd

    columns = list(columns)
    if not columns:
        return np.zeros((len(summary), 0)), [], []
    if "customer_id" not in covariates_frame.columns:
        raise UsageError(f"{source} has no customer id column")
    unknown = [c for c in columns if c not in covariates_frame.columns]
    if unknown:
        available = ", ".join(str(c) for c in covariates_frame.columns if c != "customer_id")
        raise UsageError(f"{source} has no column {unknown[0]!r} (columns: {available})")
    attrs = covariates_frame.assign(customer_id=covariates_frame["customer_id"].astype(str))
    attrs = attrs.drop_duplicates("customer_id").set_index("customer_id")
    ids = summary["customer_id"].astype(str)
    absent = ~ids.isin(attrs.index)
    if absent.any():
        raise DataError(
            f"{int(absent.sum())} customer(s) of the sales data are not in {source}, first {ids[absent].iloc[0]!r}: "
            "every customer needs the covariates",
            hint="add them to the attributes file, or leave out --covariate",
        )
    blocks, names, notes = [], [], []
    for column in columns:
        if pd.api.types.is_datetime64_any_dtype(attrs[column]):
            raise UsageError(f"{column!r} holds dates, which are not a covariate: use an age or a band of them")
        values = attrs[column].reindex(ids.to_numpy())
        text = values.astype("string").str.strip()
        missing = values.isna().to_numpy() | (text == "").fillna(True).to_numpy()
        if missing.any():
            raise DataError(
                f"{int(missing.sum())} customer(s) have no {column!r} in {source}, first {ids[missing].iloc[0]!r}",
                hint="fill the column in, or leave that covariate out",
            )
        numbers = pd.to_numeric(text, errors="coerce")
        if column not in categorical and numbers.notna().all():
            v = numbers.to_numpy(dtype=float)
            mean = float(v.mean())
            blocks.append((v - mean)[:, None])
            names.append(str(column))
            notes.append(f"{column}: numeric, centred at its mean {mean:.4g} (coefficients per unit)")
            continue
        counts = text.value_counts()
        if counts.size < 2:
            raise UsageError(f"covariate {column!r} has one value ({counts.index[0]!r}) for every customer")
        # most frequent level as reference; ties broken by the sorted level name, so reruns agree
        order = sorted(counts.index, key=lambda level: (-int(counts[level]), str(level)))
        reference, others = order[0], sorted(order[1:], key=str)
        blocks.append(np.column_stack([(text == level).to_numpy(dtype=float) for level in others]))
        names.extend(f"{column}={level}" for level in others)
        notes.append(f"{column}: categorical, reference level {reference!r} ({int(counts[reference])} customers)")
    return np.hstack(blocks), names, notes


class CustomerPredictor:
    """A covariate model bound to the covariates of one summary's customers, row by row.

    Predictions take the summary's columns in the same row order (no compression across
    customers: each has her own parameters); ``per_customer`` tells the CLV forecast so. Fit
    attributes (``params_``, ``se_``, ``cov_``, ``coef_``, ``log_likelihood_``, ``aic_``...)
    are the fitted model's.
    """

    per_customer = True

    def __init__(self, model, Z):
        self.model = model
        self.Z = Z

    def __getattr__(self, name: str) -> Any:
        model = self.__dict__.get("model")
        if model is not None and name.endswith("_") and not name.startswith("__"):
            return getattr(model, name)
        raise AttributeError(name)

    def _z(self, x):
        n = np.size(x)
        if n != self.Z.shape[0]:
            raise UsageError(f"this predictor is bound to {self.Z.shape[0]} customers; got {n} rows")
        return self.Z

    def p_alive(self, x, t_x, T) -> np.ndarray:
        """P(alive at T) of each customer of the summary."""
        return self.model.p_alive(x, t_x, T, self._z(x))

    def expected_purchases(self, t, x, t_x, T) -> np.ndarray:
        """Expected purchases in the next ``t`` periods of each customer of the summary."""
        return self.model.expected_purchases(t, x, t_x, T, self._z(x))

    def log_likelihood(self, *columns) -> np.ndarray:
        """Each customer's log-likelihood at her implied parameters."""
        return self.model.log_likelihood(*columns, self._z(columns[0]))

    def expected_spend(self, x, mean_value) -> np.ndarray:
        """Gamma-Gamma expected spend per transaction of each customer of the summary."""
        return self.model.expected_spend(x, mean_value, self._z(x))

    def with_params(self, params: dict) -> CustomerPredictor:
        """The same customers under other parameter values (a draw from ``cov_``)."""
        return CustomerPredictor(self.model.with_params(params), self.Z)

    def customer_params(self) -> dict:
        """Each customer's implied base-model parameters (``{name: array}``)."""
        return self.model.customer_params(self.Z)


@dataclass
class CovariateFit:
    """What :func:`fit_covariate_models` returns.

    Attributes
    ----------
    model : CustomerPredictor
        The transaction model (``p_alive(x, t_x, T)``, ``expected_purchases(t, x, t_x, T)``).
    spend : CustomerPredictor or None
        The Gamma-Gamma model (``expected_spend(x, m)``), None when spend has no covariates.
    coefficients : pandas.DataFrame
        ``process, covariate, estimate, se, z, p_value``, transaction model first.
    names : list of str
        The covariates (columns of Z).
    notes : list of str
        What the fit had to change (the drop-out process left without covariates).
    """

    model: CustomerPredictor
    spend: CustomerPredictor | None
    coefficients: Any
    names: list
    notes: list = field(default_factory=list)


def fit_covariate_models(summary, Z, names, name: str = "bgnbd", on=("purchase", "dropout", "spend")) -> CovariateFit:
    """Fit the transaction model (and Gamma-Gamma when ``"spend"`` is in ``on``) with covariates.

    Parameters
    ----------
    summary : pandas.DataFrame
        Repeat summary (``x, t_x, T``, and ``monetary`` for spend).
    Z, names
        From :func:`covariate_design`.
    name : {"bgnbd", "pnbd"}
    on : sequence of {"purchase", "dropout", "spend"}
        The processes the covariates act on.

    The spend model is fitted on the customers with a repeat purchase and a positive mean spend
    (as the CLV's Gamma-Gamma fit); it predicts for every row. When the transaction fit with
    covariates on the drop-out process fails (with few repeat buyers per level, BG/NBD's a and b
    can run off together: no heterogeneity left to explain), it is fitted again with covariates on
    the purchase process only, and a note says so. A fit that still fails raises
    :class:`~crmkit.errors.FitError`.
    """
    import pandas as pd

    from crmkit.models.covariates import BetaGeoCovariates, GammaGammaCovariates, ParetoNBDCovariates

    classes = {"bgnbd": BetaGeoCovariates, "pnbd": ParetoNBDCovariates}
    if name not in classes:
        raise UsageError(f"covariates work with the bgnbd and pnbd models, not {name!r}")
    on = tuple(on)
    bad = [p for p in on if p not in ("purchase", "dropout", "spend")]
    if bad:
        raise UsageError(f"covariates can act on purchase, dropout and spend, not {bad[0]!r}")
    Z = np.asarray(Z, dtype=float).reshape(len(summary), -1)
    x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
    on_transactions = tuple(p for p in on if p != "spend")
    notes = []
    try:
        fitted = classes[name](on=on_transactions, covariate_names=list(names) if on_transactions else None)
        fitted.fit(x, t_x, T, Z if on_transactions else None)
    except FitError as exc:
        if "dropout" not in on_transactions:
            raise
        on_transactions = tuple(p for p in on_transactions if p != "dropout")
        acting = " and ".join((*on_transactions, *(p for p in on if p == "spend")))
        rest = f"they act on {acting} only" if acting else "it is fitted without covariates"
        notes.append(f"the {name} fit with covariates on drop-out failed ({exc.message}); {rest}")
        fitted = classes[name](on=on_transactions, covariate_names=list(names) if on_transactions else None)
        fitted.fit(x, t_x, T, Z if on_transactions else None)
    model = CustomerPredictor(fitted, Z if on_transactions else np.zeros((len(summary), 0)))
    tables = [fitted.coef_]
    spend = None
    if "spend" in on:
        m = summary["monetary"].to_numpy(float)
        rows = (x > 0) & np.isfinite(m) & (m > 0)
        gg = GammaGammaCovariates(on=("spend",), covariate_names=list(names)).fit(x[rows], m[rows], Z[rows])
        spend = CustomerPredictor(gg, Z)
        tables.append(gg.coef_)
    coefficients = pd.concat(tables, ignore_index=True).rename(columns={"p": "p_value"})
    return CovariateFit(
        model=model, spend=spend, coefficients=coefficients[list(COEFFICIENT_COLUMNS)], names=list(names), notes=notes
    )
