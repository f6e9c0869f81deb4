"""Customer satisfaction from a survey export: ACSI-style indices, key drivers and survey metrics.

Satisfaction is experience measured against expectation. A model (ACSI, ECSI, SCSB, CCSI or the
user's own) names the constructs, their items and the paths between them; it is estimated by PLS
path modeling (:mod:`crmkit.models.pls`), and each construct's index is the ACSI-style weighted item
mean rescaled to 0-100 (Fornell et al. 1996):

    index = 100 · Σᵢ wᵢ (x̄ᵢ − min) / (max − min),   wᵢ = (standardized weightᵢ / sdᵢ) / Σⱼ (…)

with the scale bounds declared (``--scale 1-10`` or the model file), never taken from the data.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from crmkit.errors import ColumnError, DataError, UsageError
from crmkit.io.columns import normalise_header
from crmkit.io.options import check_seed
from crmkit.survey_models import PRESETS, SurveyModel, load_model, parse_scale
from crmkit.survey_models.metrics import (
    CES_ALIASES,
    CES_SCALE,
    CSAT_ALIASES,
    CSAT_SCALE,
    NPS_ALIASES,
    NPS_SCALE,
    as_written,
    effort,
    exact_mean,
    find_metric,
    metric_scale,
    metric_values,
    nps,
    top_two_box,
)

__all__ = [
    "CES_SCALE",
    "CSAT_SCALE",
    "NPS_SCALE",
    "PRESETS",
    "SatisfactionResult",
    "SurveyModel",
    "analyse_survey",
    "effort",
    "find_metric",
    "gap_class",
    "load_model",
    "match_columns",
    "nps",
    "parse_scale",
    "survey_signals",
    "top_two_box",
]

if TYPE_CHECKING:
    import pandas as pd


#: The most bootstrap resamples ``analyse_survey`` runs: percentile intervals are stable long before.
BOOTSTRAP_MAX = 10_000


def match_columns(model: SurveyModel, headers: list[str], source: str) -> dict[str, str]:
    """Item name → the survey's column: exact, else by normalised header (``cusa1`` = ``CUSA1``)."""
    by_norm = {normalise_header(h): h for h in headers}
    found, missing = {}, []
    for item in model.items:
        if item in headers:
            found[item] = item
        elif normalise_header(item) in by_norm:
            found[item] = by_norm[normalise_header(item)]
        else:
            missing.append(item)
    if missing:
        raise ColumnError(
            f"the model's item(s) {', '.join(missing)} are not in the survey",
            file=source,
            hint="columns found: " + ", ".join(headers),
        )
    return found


def gap_class(gap, tolerance: float = 5.0) -> np.ndarray:
    """below / meets / exceeds expectations from Quality − Expectation (index points)."""
    g = np.asarray(gap, dtype=float)
    return np.where(g < -tolerance, "below", np.where(g > tolerance, "exceeds", "meets"))


# --- the analysis ------------------------------------------------------------------------------

QUADRANTS = ("keep_up", "concentrate_here", "low_priority", "possible_overkill")


@dataclass
class SatisfactionResult:
    """Everything ``crmkit satisfaction`` computes (pandas tables, plain numbers).

    ``index``: construct → 0-100 index; ``paths``: ``from, to, estimate, ci_low, ci_high``;
    ``r_squared``; ``reliability`` (Cronbach's α, ρA, ρC, AVE); ``htmt``; ``fornell_larcker``;
    ``weights`` (standardized and unstandardized, with loadings); ``drivers`` (importance-
    performance map of the target); ``respondents`` (id, 0-100 score per construct, expectation
    gap and its class); ``nps``/``csat``/``ces`` when such columns exist; ``groups`` with ``--by``;
    ``treatment`` (how missing answers were handled); ``negative_weights``; ``index_table``
    (construct, index, ci_low, ci_high: intervals with ``--bootstrap``); with ``--bootstrap`` also
    ``htmt_ci``, ``indirect`` (total indirect effects) and ``specific`` (each route), with
    intervals; ``prediction`` (PLSpredict, ``--predict K``); ``mga`` and ``micom`` (``--mga``).
    """

    model: SurveyModel
    scale: tuple[float, float]
    index: dict
    paths: pd.DataFrame
    r_squared: dict
    reliability: pd.DataFrame
    htmt: pd.DataFrame
    fornell_larcker: pd.DataFrame
    weights: pd.DataFrame
    drivers: pd.DataFrame
    respondents: pd.DataFrame
    treatment: dict
    fit: dict
    nps: dict | None = None
    csat: dict | None = None
    ces: dict | None = None
    groups: pd.DataFrame | None = None
    negative_weights: pd.DataFrame | None = None
    warnings: list = field(default_factory=list)
    index_table: pd.DataFrame | None = None
    htmt_ci: pd.DataFrame | None = None
    indirect: pd.DataFrame | None = None
    specific: pd.DataFrame | None = None
    prediction: Any = None
    mga: pd.DataFrame | None = None
    micom: pd.DataFrame | None = None

    def one_line(self) -> str:
        """Who was analysed and how missing answers were treated, in one line (the CLI's stderr message)."""
        t = self.treatment
        handled = (
            f"{t['answers_replaced']:,} missing answers replaced by item means"
            if t["method"] == "mean"
            else f"{t['respondents_dropped']:,} respondents with missing answers left out"
        )
        return (
            f"{self.fit['respondents']:,} respondents, {self.model.name['en']}, scale "
            f"{self.scale[0]:g}-{self.scale[1]:g}; {handled}"
        )

    def to_dict(self) -> dict:
        """The JSON contract (what ``crmkit satisfaction -f json`` writes).

        Keys: model, scale, index, paths, r_squared, reliability, weights, drivers, fit, missing,
        and nps / csat / ces / groups / negative_weights / index_table / htmt_ci / indirect /
        specific / prediction (``items``, ``constructs``) / mga / micom when present.
        """

        from crmkit.io.engine import records as rows

        def records(frame):
            return None if frame is None else rows(frame)

        out = {
            "model": self.model.name["en"],
            "scale": list(self.scale),
            "index": self.index,
            "paths": records(self.paths),
            "r_squared": self.r_squared,
            "reliability": records(self.reliability),
            "weights": records(self.weights),
            "drivers": records(self.drivers),
            "fit": self.fit,
            "missing": self.treatment,
        }
        for key in ("nps", "csat", "ces"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.groups is not None:
            out["groups"] = records(self.groups)
        if self.negative_weights is not None and len(self.negative_weights):
            out["negative_weights"] = records(self.negative_weights)
        for key in ("index_table", "htmt_ci", "indirect", "specific", "mga", "micom"):
            if getattr(self, key) is not None:
                out[key] = records(getattr(self, key))
        if self.prediction is not None:
            out["prediction"] = {
                "items": records(self.prediction.items),
                "constructs": records(self.prediction.constructs),
            }
        return out


def _numeric_items(frame, columns: dict, scale, first_row: int, source: str):
    """Item answers as numbers on the declared scale; a value off the scale names row and column."""
    import pandas as pd

    lo, hi = scale
    out = pd.DataFrame(index=frame.index)
    for item, column in columns.items():
        text = frame[column]
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() & text.notna()
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"answer {as_written(text.iloc[k])} is not a number", file=source, row=first_row + k, column=column
            )
        off = (values < lo) | (values > hi)
        if off.any():
            k = int(np.flatnonzero(off.fillna(False).to_numpy())[0])
            raise DataError(
                f"answer {values.iloc[k]:g} is outside the scale {lo:g}-{hi:g}",
                file=source,
                row=first_row + k,
                column=column,
                hint="check --scale or the model file's scale",
            )
        out[item] = values.astype(float)
    return out


def _drivers(fitted, respondents, target: str):
    """Importance-performance map (Ringle & Sarstedt 2016): unstandardized total effects on the target."""
    import pandas as pd

    effects = fitted.total_effects_
    effects = effects[effects["to"] == target]
    rows = []
    sd_target = respondents[target].std()
    for source, total in zip(effects["from"], effects["total"]):
        # a standardized effect times SD(target) / SD(driver), on the 0-100 scores
        sd_driver = respondents[source].std()
        importance = float(total) * sd_target / sd_driver if sd_driver > 0 else float("nan")
        rows.append(
            {
                "construct": source,
                "importance": importance,
                "total_effect": float(total),
                "performance": float(respondents[source].mean()),
            }
        )
    table = pd.DataFrame(rows, columns=["construct", "importance", "total_effect", "performance"])
    if len(table):
        high_imp = table["importance"] >= table["importance"].mean()
        high_perf = table["performance"] >= table["performance"].mean()
        table["quadrant"] = np.select(
            [high_imp & high_perf, high_imp & ~high_perf, ~high_imp & ~high_perf],
            ["keep_up", "concentrate_here", "low_priority"],
            "possible_overkill",
        )
    return table.sort_values("importance", ascending=False).reset_index(drop=True)


def _survey_table(frame, first_row: int, source: str):
    """A survey as a pandas frame with the file row of its first respondent and its name for messages."""
    from crmkit.io.readers import table_kind

    kind = table_kind(frame)
    if kind == "pandas DataFrame":
        return frame, first_row, source
    if kind is not None:
        return frame.to_pandas(), first_row, source
    from crmkit.io.inputs import read_survey

    table, first = read_survey(frame)
    return table, first, "<stdin>" if str(frame) == "-" else str(frame)


def analyse_survey(
    frame,
    model: str = "ecsi",
    *,
    scale: str | None = None,
    missing: str = "mean",
    scheme: str = "path",
    bootstrap: int = 0,
    seed: int = 0,
    by: str | None = None,
    nps_column: str | None = None,
    csat_column: str | None = None,
    ces_column: str | None = None,
    gap_tolerance: float = 5.0,
    first_row: int = 2,
    source: str = "survey",
    csat_scale: str | None = None,
    ces_scale: str | None = None,
    consistent: bool = False,
    predict_folds: int = 0,
    repetitions: int = 1,
    mga: bool = False,
    permutations: int = 1000,
) -> SatisfactionResult:
    """ACSI-style indices, paths, reliability, key drivers and survey metrics of a survey.

    Every number of the result is the same, to the last bit, whatever the order of the survey's
    rows: the model is fitted and bootstrapped on the answers in a canonical row order, and
    ``respondents`` comes back in the survey's order.

    Parameters
    ----------
    frame : str, os.PathLike, pandas / polars DataFrame or pyarrow Table
        One row per respondent: a survey export to read (:func:`crmkit.io.inputs.read_survey`;
        ``first_row`` and ``source`` then come from the file), or a table already in memory.
    model : str
        ``acsi``, ``ecsi``, ``scsb``, ``ccsi`` or a TOML model file (:func:`load_model`).
    scale : str, optional
        ``"1-10"``; default the model's scale. Never taken from the data.
    missing : {"mean", "listwise"}
        Mean replacement per item (default) or dropping respondents with any missing item answer.
    scheme : {"path", "centroid", "factorial"}
    bootstrap : int
        Resamples for percentile confidence intervals, a whole number from 0 (none) to 10000;
        reproducible with ``seed``, whatever the row order.
    by : str, optional
        Column to report the index and metrics per group of (store, region, channel).
    gap_tolerance : float
        Index points within which Quality meets Expectation (finite, >= 0).
    csat_scale : str, optional
        The CSAT question's scale, ``"1-5"``; default the model's ``csat_scale``, else 1-5
        (:data:`CSAT_SCALE`). Top-2-box counts the two highest points of this scale, never of
        the answers seen. An NPS column is always 0-10.
    ces_scale : str, optional
        The customer-effort question's scale, ``"1-5"``; default the model's ``ces_scale``, else
        1-7 (:data:`CES_SCALE`). The easy share counts
        answers in the lowest third of this scale (:func:`effort`), never of the answers seen.
    consistent : bool
        PLSc (Dijkstra & Henseler 2015): paths, R² and loadings corrected for measurement error.
    predict_folds, repetitions : int
        PLSpredict (Shmueli et al. 2016, 2019) with ``predict_folds`` folds (0: off; else 2 to the
        number of respondents), repeated ``repetitions`` times.
    mga : bool
        With ``by``: permutation test of path differences between every pair of groups (Chin &
        Dibbern 2010) and MICOM steps 1-2 (Henseler, Ringle & Sarstedt 2016), ``permutations``
        each (:mod:`crmkit.models.pls.groups`). Groups under 10 respondents are left out with a
        warning.

    Raises
    ------
    crmkit.errors.UsageError
        ``bootstrap`` not a whole number from 0 to 10000 (checked before anything is read), or a
        malformed scale or option.
    crmkit.errors.DataError
        An item answer off ``scale``, an NPS answer outside 0-10, or a CSAT or CES answer off its
        scale, naming row and column.
    """
    import pandas as pd

    from crmkit.io.columns import ALIASES
    from crmkit.models.pls import PLSPathModel

    bootstrap = _check_bootstrap(bootstrap)
    predict_folds = _check_count(predict_folds, "--predict", 0, None)
    repetitions = _check_count(repetitions, "--repetitions", 1, None)
    permutations = _check_count(permutations, "--permutations", 1, BOOTSTRAP_MAX)
    if mga and not by:
        raise UsageError("--mga compares groups: give the grouping column with --by")
    if predict_folds == 1:
        raise UsageError("--predict must be 0 (off) or a number of folds from 2 to the number of respondents")
    frame, first_row, source = _survey_table(frame, first_row, source)
    spec = load_model(model)
    if scale:
        bounds = parse_scale(scale)
    elif spec.scale:
        bounds = (float(spec.scale[0]), float(spec.scale[1]))
    else:
        raise UsageError("the answer scale is not known: give --scale, e.g. --scale 1-10")
    if missing not in ("mean", "listwise"):
        raise UsageError(f"--missing must be mean or listwise, not {missing!r}")
    seed = check_seed(seed, "--seed")
    number = isinstance(gap_tolerance, (int, float)) and not isinstance(gap_tolerance, bool)
    if not (number and math.isfinite(gap_tolerance) and gap_tolerance >= 0):
        shown = f"{gap_tolerance:g}" if number else repr(gap_tolerance)
        raise UsageError(f"--gap-tolerance must be a finite number of index points >= 0, not {shown}")
    csat_bounds = metric_scale(csat_scale, spec.csat_scale, CSAT_SCALE, "--csat-scale")
    ces_bounds = metric_scale(ces_scale, spec.ces_scale, CES_SCALE, "--ces-scale")
    headers = [str(c) for c in frame.columns]
    columns = match_columns(spec, headers, source)
    items = _numeric_items(frame, columns, bounds, first_row, source)
    lo, hi = bounds
    for item in spec.reverse:
        items[item] = lo + hi - items[item]
    n_missing = int(items.isna().sum().sum())
    keep = np.ones(len(items), dtype=bool)
    if missing == "listwise":
        keep = ~items.isna().any(axis=1).to_numpy()
        treatment = {"method": "listwise", "respondents_dropped": int((~keep).sum()), "answers_missing": n_missing}
        items = items[keep]
    else:
        treatment = {
            "method": "mean",
            "answers_replaced": n_missing,
            "respondents_affected": int(items.isna().any(axis=1).sum()),
        }
        items = items.fillna({item: exact_mean(items[item]) for item in items.columns})
    if len(items) < 10:
        raise DataError(f"only {len(items)} complete respondents: too few to estimate the model", file=source)
    # Float sums depend on the order of their terms, so the model never sees the survey's row order:
    # it is fitted, indexed and bootstrapped (the same seed draws the same canonical rows) on the
    # answers in a canonical order, and only the per-respondent scores go back to the survey's order.
    order = _canonical_order(items)
    canonical = items.iloc[order]
    if predict_folds > len(items):
        raise UsageError(
            f"--predict {predict_folds} folds, but only {len(items)} respondents: give at most {len(items)}"
        )
    fitted = PLSPathModel(
        spec.constructs, spec.paths, modes=spec.modes or None, scheme=scheme, consistent=bool(consistent)
    ).fit(canonical)
    idx = fitted.index(canonical, scale=bounds)
    paths = fitted.path_coefficients_.copy()
    paths["ci_low"] = np.nan
    paths["ci_high"] = np.nan
    index_ci = None
    index_table = pd.DataFrame({"construct": list(idx.constructs.index), "index": idx.constructs.to_numpy(dtype=float)})
    index_table["ci_low"] = index_table["ci_high"] = np.nan
    extras: dict = {}
    if bootstrap:
        boot = fitted.bootstrap(canonical, n=bootstrap, seed=seed, scale=bounds)
        paths = _with_intervals(paths, boot.paths)
        if boot.indices is not None:
            index_ci = boot.indices.replace({np.nan: None}).to_dict(orient="records")
            index_table = _with_intervals(index_table, boot.indices, ("construct",))
        # HTMT, total and specific indirect effects with intervals: the bootstrap's own tables
        extras = {key: _interval_columns(getattr(boot, source, None)) for key, source in _BOOT_TABLES.items()}
    if predict_folds:
        from crmkit.models.pls.predict import pls_predict

        extras["prediction"] = pls_predict(fitted, canonical, folds=predict_folds, repetitions=repetitions, seed=seed)
    respondents = _same_answers_same_scores(idx.respondents, canonical)
    id_column = next((h for h in headers if normalise_header(h) in ALIASES["customer_id"]), None)
    out = pd.DataFrame(index=items.index)
    if id_column:
        out["customer_id"] = (
            frame.loc[keep, id_column].to_numpy() if missing == "listwise" else frame[id_column].to_numpy()
        )
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    for construct in spec.constructs:
        out[construct] = respondents[construct].to_numpy()[back]
    if spec.gap:
        expectation, quality = spec.gap
        out["expectation_gap"] = out[quality] - out[expectation]
        out["gap_class"] = gap_class(out["expectation_gap"], gap_tolerance)
    weights = (
        idx.weights.merge(
            fitted.loadings_.stack()
            .rename("loading")
            .reset_index()
            .rename(columns={"level_0": "item", "level_1": "construct"}),
            on=["construct", "item"],
            how="left",
        )
        if "item" in idx.weights.columns
        else idx.weights
    )
    reliability = fitted.reliability().rename_axis("construct").reset_index()
    result = SatisfactionResult(
        model=spec,
        scale=bounds,
        index={k: float(v) for k, v in idx.constructs.items()},
        paths=paths,
        r_squared={k: float(v) for k, v in fitted.r_squared_.items()},
        reliability=reliability,
        htmt=fitted.htmt(),
        fornell_larcker=fitted.fornell_larcker(),
        weights=weights,
        drivers=_drivers(fitted, respondents, spec.target),
        respondents=out,
        treatment=treatment,
        fit={
            "iterations": int(fitted.n_iter_),
            "converged": bool(fitted.converged_),
            "respondents": int(len(items)),
            "scheme": scheme,
            "bootstrap": int(bootstrap),
            "seed": int(seed),
            "consistent": bool(consistent),
            "predict_folds": predict_folds,
            "repetitions": repetitions,
        },
        negative_weights=idx.negative_weights,
        index_table=index_table,
        **extras,
    )
    if index_ci is not None:
        result.fit["index_ci"] = index_ci
    if consistent and not fitted.admissible_:
        result.warnings.append(
            "the PLSc solution is inadmissible (disattenuated construct correlations beyond ±1 or not positive "
            "semi-definite: constructs nearly collinear); read its paths with care, or fit without --consistent"
        )
    if bootstrap and boot.n_inadmissible:
        result.warnings.append(
            f"{boot.n_inadmissible:,} of {bootstrap:,} PLSc resamples were inadmissible and left out of the intervals"
        )
    if idx.has_negative_weights:
        result.warnings.append(
            "negative outer weight(s) in "
            + ", ".join(sorted(set(idx.negative_weights["construct"])))
            + ": their index includes the negative weight and may leave 0-100; see the weights"
        )
    kept = frame[keep] if missing == "listwise" else frame
    metric_cols = {}
    for key, aliases, given, flag in (
        ("nps", NPS_ALIASES, nps_column, "--nps"),
        ("csat", CSAT_ALIASES, csat_column, "--csat"),
        ("ces", CES_ALIASES, ces_column, "--ces"),
    ):
        column = find_metric(headers, aliases, given, flag, source)
        if column is None or column in columns.values():
            continue
        bounds_of = {"nps": NPS_SCALE, "csat": csat_bounds, "ces": ces_bounds}[key]
        checked = metric_values(frame, column, bounds_of, first_row, source, key.upper())
        values = checked[keep] if missing == "listwise" else checked
        metric_cols[key] = values
        if key == "nps":
            result.nps = {"column": column, **nps(values)}
        elif key == "csat":
            result.csat = {"column": column, **top_two_box(values, csat_bounds[1])}
        else:
            result.ces = {"column": column, **effort(values, ces_bounds)}
    if by:
        if by not in headers:
            raise ColumnError(
                f"--by names column '{by}', which is not in the survey",
                file=source,
                hint="columns found: " + ", ".join(headers),
            )
        groups = kept[by].fillna("(blank)").to_numpy()
        rows = []
        for value in pd.unique(groups):
            mask = groups == value
            row = {by: value, "respondents": int(mask.sum())}
            row.update({c: exact_mean(out.loc[mask, c]) for c in spec.constructs})
            if "nps" in metric_cols:
                row["nps"] = nps(metric_cols["nps"][mask])["nps"]
            if "csat" in metric_cols:
                row["csat"] = top_two_box(metric_cols["csat"][mask], csat_bounds[1])["csat"]
            rows.append(row)
        result.groups = pd.DataFrame(rows).sort_values(by).reset_index(drop=True)
        if mga:
            _group_tests(result, items, groups, spec, scheme, consistent, permutations, seed)
    return result


_BOOT_TABLES = {"htmt_ci": "htmt", "indirect": "indirect", "specific": "specific"}


def _interval_columns(table):
    """A bootstrap table with its interval limits named ``ci_low``/``ci_high`` (as the paths), or None."""
    return None if table is None else table.rename(columns={"lower": "ci_low", "upper": "ci_high"})


def _group_tests(result, items, groups, spec, scheme, consistent, permutations, seed) -> None:
    """``--mga``: permutation MGA and MICOM over the groups of at least MIN_GROUP_SIZE respondents."""
    from crmkit.models.pls.groups import MIN_GROUP_SIZE, group_comparison

    labels = groups.astype(str)
    names, counts = np.unique(labels, return_counts=True)
    small = [f"{g} ({c})" for g, c in zip(names, counts) if c < MIN_GROUP_SIZE]
    if small:
        result.warnings.append(
            f"--mga leaves out group(s) with fewer than {MIN_GROUP_SIZE} respondents: " + ", ".join(small)
        )
    use = ~np.isin(labels, [g for g, c in zip(names, counts) if c < MIN_GROUP_SIZE])
    if len(set(labels[use])) < 2:
        raise DataError(f"--mga needs at least two groups of {MIN_GROUP_SIZE} or more respondents")
    # rows in a canonical order of (group, answers), so the permutations never see the survey's order
    values = items.to_numpy(dtype=float)[use] + 0.0
    order = np.lexsort((*values.T[::-1], labels[use]))
    result.mga, result.micom = group_comparison(
        spec.constructs,
        spec.paths,
        items[use].iloc[order],
        labels[use][order],
        modes=spec.modes or None,
        scheme=scheme,
        consistent=consistent,
        n=permutations,
        seed=seed,
    )
    result.fit["permutations"] = permutations


def _check_count(value, flag: str, low: int, high: int | None) -> int:
    """``value`` as an ``int`` from ``low`` to ``high`` (no bound when None), else a UsageError naming ``flag``."""
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not (whole and int(value) >= low and (high is None or int(value) <= high)):
        upper = f" to {high}" if high is not None else " or more"
        raise UsageError(f"{flag} must be a whole number from {low}{upper}, not {as_written(value)}")
    return int(value)


def _check_bootstrap(bootstrap) -> int:
    """``bootstrap`` as an ``int`` from 0 to :data:`BOOTSTRAP_MAX`, else a UsageError showing it as given."""
    return _check_count(bootstrap, "--bootstrap", 0, BOOTSTRAP_MAX)


def _canonical_order(items) -> np.ndarray:
    """Row positions that sort the answer matrix lexicographically (first item column first).

    Rows that tie are equal in every answer, so which comes first changes no sum: the sorted
    matrix, and everything computed from it, depends only on the multiset of rows.
    """
    values = items.to_numpy(dtype=float) + 0.0  # -0.0 + 0.0 is 0.0: a "-0" answer sorts as the 0 it is
    return np.lexsort(values.T[::-1])


def _same_answers_same_scores(scores, canonical):
    """``scores`` (rows like ``canonical``) with every run of equal answer rows given its first row's scores.

    The canonical order cannot tell equal rows apart, so the input order decides which respondent
    gets which of them; a matrix product may round a row differently by its position in the
    block, and copying the first row's scores makes that choice irrelevant.
    """
    values = canonical.to_numpy(dtype=float) + 0.0
    n = len(values)
    if n == 0:
        return scores
    starts = np.r_[True, (values[1:] != values[:-1]).any(axis=1)]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return scores.iloc[first].set_axis(scores.index)


def _with_intervals(frame, table, keys=("from", "to")):
    """``frame`` with the bootstrap percentile interval of each row (paths, or index per construct)."""
    table = _interval_columns(table)
    return frame.drop(columns=["ci_low", "ci_high"]).merge(
        table[[*keys, "ci_low", "ci_high"]], on=list(keys), how="left"
    )


def survey_signals(
    frame,
    model: str = "ecsi",
    *,
    scale: str | None = None,
    first_row: int = 2,
    source: str = "survey",
    result: SatisfactionResult | None = None,
    csat_scale: str | None = None,
):
    """Per customer: satisfaction (0-100) and recommend (0-10), for the loyalty ladder.

    Satisfaction is the model's target construct score when the survey has the model's items
    (:func:`analyse_survey`, or ``result`` when the survey was analysed already), else the CSAT
    column rescaled to 0-100 from its declared scale (``csat_scale``, the model's, else 1-5);
    recommend is the NPS column. An NPS answer outside 0-10 or a CSAT answer off its scale is a
    :class:`~crmkit.errors.DataError` naming row and column.
    Returns a DataFrame ``customer_id, satisfaction, recommend`` (NaN where unknown).
    """
    import pandas as pd

    from crmkit.io.columns import ALIASES

    headers = [str(c) for c in frame.columns]
    id_column = next((h for h in headers if normalise_header(h) in ALIASES["customer_id"]), None)
    if id_column is None:
        raise ColumnError(
            "the survey has no customer id column, so answers cannot be linked to customers",
            file=source,
            hint="columns found: " + ", ".join(headers),
        )
    out = pd.DataFrame({"customer_id": frame[id_column].to_numpy()})
    try:
        if result is None:
            result = analyse_survey(frame, model, scale=scale, first_row=first_row, source=source)
        out["satisfaction"] = result.respondents[result.model.target].to_numpy()
    except ColumnError:
        csat = find_metric(headers, CSAT_ALIASES, None, "--csat", source)
        if csat:
            low, high = metric_scale(csat_scale, load_model(model).csat_scale, CSAT_SCALE, "--csat-scale")
            values = metric_values(frame, csat, (low, high), first_row, source, "CSAT")
            out["satisfaction"] = ((values - low) / (high - low) * 100).to_numpy()
        else:
            out["satisfaction"] = np.nan
    recommend = find_metric(headers, NPS_ALIASES, None, "--nps", source)
    out["recommend"] = (
        metric_values(frame, recommend, NPS_SCALE, first_row, source, "NPS").to_numpy() if recommend else np.nan
    )
    return out.dropna(subset=["customer_id"])
