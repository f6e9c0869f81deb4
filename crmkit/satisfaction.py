"""Customer satisfaction from a survey export: ACSI-style indices, key drivers and survey metrics.

Satisfaction is experience measured against expectation. A model (ACSI, ECSI, SCSB, CCSI or the
user's own) names the constructs, their items and the paths between them; it is estimated by PLS
path modeling (:mod:`crmkit.models.pls`), and each construct's index is the ACSI-style weighted item
mean rescaled to 0-100 (Fornell et al. 1996):

    index = 100 · Σᵢ wᵢ (x̄ᵢ − min) / (max − min),   wᵢ = (standardized weightᵢ / sdᵢ) / Σⱼ (…)

with the scale bounds declared (``--scale 1-10`` or the model file), never taken from the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from crmkit.errors import ColumnError, ConfigError, DataError, UsageError
from crmkit.io.columns import normalise_header
from crmkit.io.toml import read_toml

if TYPE_CHECKING:
    import pandas as pd


PRESETS = ("acsi", "ecsi", "scsb", "ccsi")
_MODEL_KEYS = {
    "name_en",
    "name_zh",
    "scale",
    "target",
    "gap",
    "paths",
    "constructs",
    "modes",
    "reverse",
    "labels_zh",
    "labels_en",
}
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


@dataclass
class SurveyModel:
    """A satisfaction model: constructs and their items, paths, modes, scale and labels."""

    name: dict
    constructs: dict
    paths: list
    modes: dict = field(default_factory=dict)
    scale: tuple[float, float] | None = None
    target: str = "Satisfaction"
    gap: tuple | None = None
    reverse: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    source: str = ""

    @property
    def items(self) -> list[str]:
        return [item for items in self.constructs.values() for item in items]

    def label(self, construct: str, lang: str) -> str:
        return self.labels.get(lang, {}).get(construct, construct)


def _check_model(model: SurveyModel) -> SurveyModel:
    """The PLS structure checks (empty constructs, shared items, unknown constructs, cycles, modes)
    plus what only a survey model has: the target, reverse-coded items and the gap."""
    from crmkit.models.pls import check_specification

    src = model.source
    for path in model.paths:
        if not (isinstance(path, (list, tuple)) and len(path) == 2):
            raise ConfigError(f"a path is [from, to], not {path!r}", file=src)
    try:
        check_specification(model.constructs, model.paths, model.modes or None)
    except ConfigError as exc:
        exc.file = src
        raise
    if model.target not in model.constructs:
        raise ConfigError(f"target '{model.target}' is not a construct", file=src)
    for item in model.reverse:
        if item not in model.items:
            raise ConfigError(f"reverse-coded item '{item}' is in no construct", file=src)
    if model.gap and any(g not in model.constructs for g in model.gap):
        raise ConfigError(f"gap {model.gap} must name two constructs", file=src)
    return model


def load_model(name: str) -> SurveyModel:
    """A preset (``acsi``, ``ecsi``, ``scsb``, ``ccsi``) or a TOML model file, validated.

    TOML form (top-level keys before the tables)::

        scale = [1, 10]
        target = "Satisfaction"
        gap = ["Expectation", "Quality"]      # optional: the expectation gap
        reverse = ["Q7"]                      # optional: reverse-coded items
        paths = [["Quality", "Satisfaction"], ["Satisfaction", "Loyalty"]]
        [constructs]
        Quality = ["Q1", "Q2"]
        Satisfaction = ["Q3", "Q4"]
        Loyalty = ["Q5", "Q6"]
        [modes]                               # optional: "A" reflective (default) or "B" formative
        [labels_zh]                           # optional: construct labels for --lang zh
    """
    data, source = read_toml(
        name.lower() if name.lower() in PRESETS else name,
        flag="--model",
        what="model file",
        package="crmkit.survey_models",
        builtins=PRESETS,
    )
    unknown = set(data) - _MODEL_KEYS
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(sorted(unknown))}",
            file=source,
            hint="allowed: " + ", ".join(sorted(_MODEL_KEYS)),
        )
    scale = data.get("scale")
    if scale is not None and not (isinstance(scale, list) and len(scale) == 2 and scale[0] < scale[1]):
        raise ConfigError(f"scale must be [min, max] with min < max, not {scale!r}", file=source)
    model = SurveyModel(
        name={"en": data.get("name_en", Path(source).stem), "zh": data.get("name_zh", data.get("name_en", source))},
        constructs=dict(data.get("constructs", {})),
        paths=[tuple(p) for p in data.get("paths", [])],
        modes=dict(data.get("modes", {})),
        scale=(scale[0], scale[1]) if scale else None,
        target=data.get("target", "Satisfaction"),
        gap=tuple(data["gap"]) if data.get("gap") else None,
        reverse=list(data.get("reverse", [])),
        labels={"zh": dict(data.get("labels_zh", {})), "en": dict(data.get("labels_en", {}))},
        source=source,
    )
    return _check_model(model)


def parse_scale(text: str) -> tuple[float, float]:
    """``1-10``, ``0-10``, ``1-5`` → (min, max)."""
    m = re.match(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|to|~|,)\s*(-?\d+(?:\.\d+)?)\s*$", str(text))
    if not m or float(m.group(1)) >= float(m.group(2)):
        raise UsageError(f"--scale looks like 1-10 or 0-10, not {text!r}")
    return float(m.group(1)), float(m.group(2))


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
    return {"csat": float(np.mean(s >= scale_max - 1)), "mean": float(s.mean()), "responses": int(s.size)}


def effort(scores) -> dict:
    """Customer effort: the mean answer (lower is easier) and the share answering in the easiest third."""
    s = np.asarray(scores, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return {"ces": None, "easy_share": None, "responses": 0}
    low, high = s.min(), s.max()
    return {"ces": float(s.mean()), "easy_share": float(np.mean(s <= low + (high - low) / 3)), "responses": int(s.size)}


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
    ``treatment`` (how missing answers were handled); ``negative_weights``.
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
        and nps / csat / ces / groups / negative_weights when present.
        """

        def records(frame):
            return None if frame is None else frame.replace({np.nan: None}).to_dict(orient="records")

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
            raise DataError(f"answer {text.iloc[k]!r} is not a number", file=source, row=first_row + k, column=column)
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
) -> SatisfactionResult:
    """ACSI-style indices, paths, reliability, key drivers and survey metrics of a survey.

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
        Resamples for percentile confidence intervals (0: none), reproducible with ``seed``.
    by : str, optional
        Column to report the index and metrics per group of (store, region, channel).
    gap_tolerance : float
        Index points within which Quality meets Expectation.
    """
    import pandas as pd

    from crmkit.io.columns import ALIASES
    from crmkit.models.pls import PLSPathModel

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
        items = items.fillna(items.mean())
    if len(items) < 10:
        raise DataError(f"only {len(items)} complete respondents: too few to estimate the model", file=source)
    fitted = PLSPathModel(spec.constructs, spec.paths, modes=spec.modes or None, scheme=scheme).fit(items)
    idx = fitted.index(items, scale=bounds)
    paths = fitted.path_coefficients_.copy()
    paths["ci_low"] = np.nan
    paths["ci_high"] = np.nan
    index_ci = None
    if bootstrap:
        boot = fitted.bootstrap(items, n=bootstrap, seed=seed, scale=bounds)
        paths = _with_intervals(paths, boot)
        if boot.indices is not None:
            index_ci = boot.indices.replace({np.nan: None}).to_dict(orient="records")
    respondents = idx.respondents.copy()
    id_column = next((h for h in headers if normalise_header(h) in ALIASES["customer_id"]), None)
    out = pd.DataFrame(index=respondents.index)
    if id_column:
        out["customer_id"] = (
            frame.loc[keep, id_column].to_numpy() if missing == "listwise" else frame[id_column].to_numpy()
        )
    for construct in spec.constructs:
        out[construct] = respondents[construct].to_numpy()
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
        },
        negative_weights=idx.negative_weights,
    )
    if index_ci is not None:
        result.fit["index_ci"] = index_ci
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
        values = pd.to_numeric(kept[column], errors="coerce")
        metric_cols[key] = values
        if key == "nps":
            result.nps = {"column": column, **nps(values)}
        elif key == "csat":
            result.csat = {"column": column, **top_two_box(values, float(np.nanmax(values)))}
        else:
            result.ces = {"column": column, **effort(values)}
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
            row.update({c: float(out.loc[mask, c].mean()) for c in spec.constructs})
            if "nps" in metric_cols:
                row["nps"] = nps(metric_cols["nps"][mask])["nps"]
            if "csat" in metric_cols:
                row["csat"] = top_two_box(metric_cols["csat"][mask], float(np.nanmax(metric_cols["csat"])))["csat"]
            rows.append(row)
        result.groups = pd.DataFrame(rows).sort_values(by).reset_index(drop=True)
    return result


def _with_intervals(paths, boot):
    """Paths with the bootstrap percentile interval of each coefficient."""
    table = boot.paths.rename(columns={"lower": "ci_low", "upper": "ci_high"})
    return paths.drop(columns=["ci_low", "ci_high"]).merge(
        table[["from", "to", "ci_low", "ci_high"]], on=["from", "to"], how="left"
    )


def survey_signals(
    frame,
    model: str = "ecsi",
    *,
    scale: str | None = None,
    first_row: int = 2,
    source: str = "survey",
    result: SatisfactionResult | None = None,
):
    """Per customer: satisfaction (0-100) and recommend (0-10), for the loyalty ladder.

    Satisfaction is the model's target construct score when the survey has the model's items
    (:func:`analyse_survey`, or ``result`` when the survey was analysed already), else the CSAT
    column rescaled to 0-100; recommend is the NPS column.
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
        values = pd.to_numeric(frame[csat], errors="coerce") if csat else pd.Series(np.nan, index=frame.index)
        low, high = (values.min(), values.max()) if csat else (0, 1)
        out["satisfaction"] = ((values - low) / (high - low) * 100).to_numpy() if high > low else np.nan
    recommend = find_metric(headers, NPS_ALIASES, None, "--nps", source)
    out["recommend"] = pd.to_numeric(frame[recommend], errors="coerce").to_numpy() if recommend else np.nan
    return out.dropna(subset=["customer_id"])
