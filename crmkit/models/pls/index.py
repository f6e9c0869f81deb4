"""ACSI-style 0-100 construct indices from PLS outer weights (Fornell et al. 1996).

:func:`construct_index` turns standardized outer weights and the item standard deviations
into unstandardized weights that sum to 1 per construct, and the weighted item means on the
answer scale into an index from 0 to 100, per construct and per respondent; the bootstrap
uses :func:`_index_from_moments` for every resample at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmkit.errors import DataError, UsageError
from crmkit.models.pls.algorithm import _Design, _item_answers

__all__ = ["ConstructIndex", "construct_index"]


@dataclass
class ConstructIndex:
    """0-100 construct indices (ACSI / ECSI style).

    Attributes
    ----------
    constructs : Series
        Index per construct, from the sample means of its items.
    respondents : DataFrame
        Index per respondent (rows like X_raw) and construct, from the same weights; its
        column means equal ``constructs``.
    weights : DataFrame
        Columns ``construct, item, standardized_weight, item_sd, weight``: ``weight`` is the
        unstandardized weight (standardized weight / item SD) normalized to sum 1 per construct.
    negative_weights : DataFrame
        The rows of ``weights`` whose weight is negative (empty when none). Such a construct's
        index still includes the negative weight, so it may leave [0, 100]; report it with
        this flag. A construct whose unstandardized weights sum to 0 or less cannot be
        normalized: its index is NaN.
    scale : (float, float)
    """

    constructs: pd.Series
    respondents: pd.DataFrame
    weights: pd.DataFrame
    negative_weights: pd.DataFrame
    scale: tuple

    @property
    def has_negative_weights(self) -> bool:
        """True when any construct's index uses a negative weight."""
        return not self.negative_weights.empty


def _scale_pair(scale):
    if isinstance(scale, str) or not hasattr(scale, "__len__") or len(scale) != 2:
        raise UsageError(f"scale must be (min, max), e.g. (1, 10), got {scale!r}")
    return _check_scale(scale[0], scale[1])


def _check_scale(scale_min, scale_max):
    try:
        lo, hi = float(scale_min), float(scale_max)
    except (TypeError, ValueError):
        raise UsageError(f"scale must be two numbers, got {scale_min!r}, {scale_max!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise UsageError(f"scale minimum must be below its maximum, got {scale_min!r}, {scale_max!r}")
    return lo, hi


def construct_index(X_raw, weights_standardized, item_sd, scale_min, scale_max) -> ConstructIndex:
    """ACSI-style index: the weighted item mean rescaled to 0-100.

    Fornell, Johnson, Anderson, Cha & Bryant (1996), "The American Customer Satisfaction
    Index", Journal of Marketing 60(4): with unstandardized outer weights
    wᵢ = (standardized weight)ᵢ / sdᵢ normalized to Σwᵢ = 1 within the construct,

        index = 100 · Σᵢ wᵢ (x̄ᵢ − min) / (max − min),

    on the sample means x̄ᵢ; the per-respondent index puts that respondent's answers in
    place of x̄ᵢ. With all weights positive every index lies in [0, 100]. Negative weights
    are kept in the sum (the index is what the model says) and listed in
    ``negative_weights``; see :class:`ConstructIndex`.

    Parameters
    ----------
    X_raw : DataFrame
        Answers on the original scale; must hold every weighted item.
    weights_standardized : DataFrame or Series
        Items x constructs (as ``PLSPathModel.weights_``; 0 = not in the construct), or a
        Series of one construct's weights (its ``name`` names the construct).
    item_sd : Series or mapping
        Item -> standard deviation used to standardize it.
    scale_min, scale_max : float
        The answer scale, e.g. 1 and 10.

    Returns
    -------
    ConstructIndex

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1, 10, 7], "b": [4, 7, 10]})
    >>> w = pd.Series({"a": 0.5, "b": 0.5}, name="Satisfaction")
    >>> result = construct_index(X, w, {"a": 3.0, "b": 3.0}, 1, 10)
    >>> round(float(result.constructs["Satisfaction"]), 2)
    61.11
    """
    lo, hi = _check_scale(scale_min, scale_max)
    if isinstance(weights_standardized, pd.Series):
        weights_standardized = weights_standardized.to_frame(weights_standardized.name or "index")
    if not isinstance(weights_standardized, pd.DataFrame):
        raise UsageError("weights_standardized must be a DataFrame (items x constructs) or a Series")
    if not isinstance(X_raw, pd.DataFrame):
        raise UsageError(f"X_raw must be a pandas DataFrame, got {type(X_raw).__name__}")
    sd_of = dict(item_sd.items()) if isinstance(item_sd, (pd.Series, Mapping)) else None
    if sd_of is None:
        raise UsageError("item_sd must be a Series or a mapping item -> standard deviation")

    weight_rows, index_rows, names, columns = [], {}, [], {}
    for construct in weights_standardized.columns:
        block = weights_standardized[construct]
        block = block[block.to_numpy(dtype=float) != 0]
        if block.empty:
            continue
        items = list(block.index)
        for item in items:
            if item not in sd_of:
                raise UsageError(f"no standard deviation given for item '{item}'")
            if item not in columns:
                columns[item] = _scale_column(X_raw, item, lo, hi)
        sd = np.array([float(sd_of[item]) for item in items])
        if not (np.isfinite(sd).all() and (sd > 0).all()):
            raise DataError(f"construct '{construct}': item standard deviations must be positive")
        raw = block.to_numpy(dtype=float) / sd
        total = raw.sum()
        weight = raw / total if total > 0 else np.full(raw.shape, np.nan)
        for item, std_w, s, w in zip(items, block.to_numpy(dtype=float), sd, weight):
            weight_rows.append((construct, item, std_w, s, w))
        answers = np.column_stack([columns[item] for item in items])
        index = 100 * ((answers - lo) / (hi - lo)) @ weight
        if (weight > 0).all():
            # A convex combination of values in [0, 100] is in [0, 100]; only rounding (an
            # answer of 10 everywhere giving 100.00000000000001) can step out, so clip that.
            index = np.clip(index, 0.0, 100.0)
        index_rows[construct] = index
        names.append(construct)
    weights = pd.DataFrame(weight_rows, columns=["construct", "item", "standardized_weight", "item_sd", "weight"])
    respondents = pd.DataFrame(index_rows, index=X_raw.index, columns=names)
    # Index of the means = mean of the per-respondent indices (the index is linear in answers).
    constructs = pd.Series(
        {name: float(np.mean(index_rows[name])) if len(X_raw) else np.nan for name in names}, name="index", dtype=float
    )
    negative = weights[(weights["standardized_weight"] < 0) | weights["weight"].isna()].reset_index(drop=True)
    return ConstructIndex(
        constructs=constructs, respondents=respondents, weights=weights, negative_weights=negative, scale=(lo, hi)
    )


def _scale_column(X_raw, item, lo, hi):
    values = _item_answers(X_raw, item, "treat missing answers before computing an index")
    outside = (values < lo) | (values > hi)
    if outside.any():
        raise DataError(
            f"{int(outside.sum())} answer(s) outside the scale {lo:g}-{hi:g} (first: {values[outside][0]:g})",
            column=item,
        )
    return values


def _index_from_moments(w, raw_sd, raw_mean, design: _Design, lo, hi):
    """Construct indices of every resample from its weights and raw item means/SDs, (B, J)."""
    unstd = w / raw_sd
    totals = np.einsum("bp,pj->bj", unstd, design.membership)
    scaled = (raw_mean - lo) / (hi - lo)
    numer = np.einsum("bp,pj->bj", unstd * scaled, design.membership)
    return np.where(totals > 0, 100 * numer / totals, np.nan)
