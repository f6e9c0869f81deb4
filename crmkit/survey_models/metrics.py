"""Survey metrics beside the index model: NPS, CSAT top-2-box and customer effort, each on its declared scale.

A metric is read from its own column (found by name or given by flag), checked against the scale
its question was asked on — never the range of the answers seen — and summarised in an order-free
way, so a survey with its rows shuffled reports the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from crmkit.errors import ColumnError, DataError, UsageError
from crmkit.io.columns import normalise_header
from crmkit.survey_models import parse_scale

#: The CSAT scale when neither ``--csat-scale`` nor the model's ``csat_scale`` declares one: the
#: five-point "very dissatisfied … very satisfied" question most CSAT surveys ask.
CSAT_SCALE: tuple[float, float] = (1.0, 5.0)
#: The customer-effort scale when neither ``--ces-scale`` nor the model's ``ces_scale`` declares one:
#: seven points, the range of CES 2.0 (Dixon, Toman & DeLisi 2013, *The Effortless Experience*) and of
#: the bundled examples, read as effort: 1 = very low effort … 7 = very high effort, lower is easier.
#: The original five-point CES 1.0 question ("How much effort did you personally have to put forth to
#: handle your request?", Dixon, Freeman & Toman 2010, "Stop Trying to Delight Your Customers", Harvard
#: Business Review 88(7/8)) is declared with ``--ces-scale 1-5``.
CES_SCALE: tuple[float, float] = (1.0, 7.0)
#: The answers an NPS question allows (Reichheld 2003: "0 = not at all likely, 10 = extremely likely").
NPS_SCALE: tuple[float, float] = (0.0, 10.0)
#: Survey metric columns found by name when not given by flag.
NPS_ALIASES = (
    "recommend",
    "nps",
    "likelihoodtorecommend",
    "wouldrecommend",
    "recommendation",
    "推荐意愿",
    "推荐可能性",
    "净推荐值",
    "推荐",
)
CSAT_ALIASES = ("csat", "satisfactionoverall", "overallsatisfaction", "满意度", "总体满意度")
CES_ALIASES = ("ces", "effort", "customereffort", "customereffortscore", "费力度", "客户费力度")


def find_metric(headers: list[str], aliases, given: str | None, flag: str, source: str) -> str | None:
    """A survey metric column (NPS, CSAT, CES): the one named by its flag, else found by name."""
    if given:
        if given in headers:
            return given
        raise ColumnError(
            f"{flag} names column '{given}', which is not in the survey",
            file=source,
            hint="columns found: " + ", ".join(headers),
        )
    by_norm = {normalise_header(h): h for h in headers}
    return next((by_norm[a] for a in aliases if a in by_norm), None)


def nps(scores) -> dict:
    """Net Promoter Score (Reichheld 2003) of 0-10 answers: % promoters (9-10) − % detractors (0-6)."""
    s = np.asarray(scores, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return {"nps": None, "promoters": 0.0, "passives": 0.0, "detractors": 0.0, "responses": 0}
    promoters, detractors = float(np.mean(s >= 9)), float(np.mean(s <= 6))
    return {
        "nps": 100.0 * (promoters - detractors),
        "promoters": promoters,
        "passives": 1.0 - promoters - detractors,
        "detractors": detractors,
        "responses": int(s.size),
    }


def top_two_box(scores, scale_max: float) -> dict:
    """CSAT as the top-2-box share: answers in the two highest points of the scale."""
    s = np.asarray(scores, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return {"csat": None, "mean": None, "responses": 0}
    return {"csat": float(np.mean(s >= scale_max - 1)), "mean": exact_mean(s), "responses": int(s.size)}


def effort(scores, scale: tuple[float, float] = CES_SCALE) -> dict:
    """Customer Effort Score (Dixon, Freeman & Toman 2010): the mean answer and the share of easy answers.

    Parameters
    ----------
    scores : array-like of float
        Answers to the effort question, lower = less effort; blanks (NaN) are left out. They are
        taken to lie on ``scale`` (:func:`analyse_survey` checks that).
    scale : (float, float)
        The question's declared scale, default :data:`CES_SCALE` (1-7).

    Returns
    -------
    dict
        ``ces`` (mean answer), ``easy_share`` (share of answers in the lowest third of the
        declared scale, ``s <= min + (max - min) / 3``: 1-2 on 1-5, 1-3 on 1-7) and ``responses``;
        ``ces`` and ``easy_share`` are None without answers.

    References
    ----------
    Dixon, M., Freeman, K. & Toman, N. (2010). Stop trying to delight your customers. Harvard
    Business Review 88(7/8), 116-122.

    Examples
    --------
    >>> effort([1, 2, 3, 5], (1, 5))["easy_share"]
    0.5
    """
    low, high = float(scale[0]), float(scale[1])
    s = np.asarray(scores, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return {"ces": None, "easy_share": None, "responses": 0}
    # the declared scale, not the answers seen: a survey where nobody chose 1 or 2 has no easy answers
    easy = float(np.mean(s <= low + (high - low) / 3))
    return {"ces": exact_mean(s), "easy_share": easy, "responses": int(s.size)}


def exact_mean(values) -> float:
    """The mean of the non-NaN values from their correctly rounded sum (:func:`math.fsum`), NaN if none.

    A plain float sum depends on the order of the values, so a survey with its rows shuffled would
    report a mean differing in the last digits.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    return math.fsum(v.tolist()) / v.size if v.size else float("nan")


def metric_values(frame, column: str, scale, first_row: int, source: str, what: str):
    """A metric column (NPS, CSAT, CES) as numbers on its declared scale; blanks stay NaN.

    An answer that is not a number, or lies off the scale (an NPS of 11), is a DataError naming
    its row and column: counted as it is, 11 would be a promoter.
    """
    import pandas as pd

    text = frame[column]
    values = pd.to_numeric(text, errors="coerce")
    lo, hi = scale
    bad = (values.isna() & text.notna()) | (values < lo) | (values > hi) | values.isin([np.inf, -np.inf])
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{what} answer {as_written(text.iloc[k])} is not a number from {lo:g} to {hi:g}",
            file=source,
            row=first_row + k,
            column=column,
        )
    return values.astype(float)


def as_written(value) -> str:
    """A cell for a message as the file has it: ``'11'`` or ``11``, never ``np.int64(11)``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def metric_scale(text: str | None, declared, default: tuple[float, float], flag: str) -> tuple[float, float]:
    """A metric question's scale: the option's ``text`` (``"1-7"``), else the model's ``declared``, else ``default``."""
    if text:
        try:
            return parse_scale(text)
        except UsageError:
            raise UsageError(f"{flag} looks like 1-5 or 1-7, not {text!r}") from None
    if declared:
        return float(declared[0]), float(declared[1])
    return default
