"""Customer satisfaction from a survey export: ACSI-style indices, key drivers and survey metrics.

Satisfaction is experience measured against expectation. A model (ACSI, ECSI, SCSB, CCSI or the
user's own) names the constructs, their items and the paths between them; it is estimated by PLS
path modeling (:mod:`crmkit.pls`), and each construct's index is the ACSI-style weighted item
mean rescaled to 0-100 (Fornell et al. 1996):

    index = 100 · Σᵢ wᵢ (x̄ᵢ − min) / (max − min),   wᵢ = (standardized weightᵢ / sdᵢ) / Σⱼ (…)

with the scale bounds declared (``--scale 1-10`` or the model file), never taken from the data.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from crmkit.columns import normalise_header
from crmkit.errors import ColumnError, ConfigError, DataError, UsageError

PRESETS = ("acsi", "ecsi", "scsb", "ccsi")
_MODEL_KEYS = {"name_en", "name_zh", "scale", "target", "gap", "paths", "constructs", "modes", "reverse",
               "labels_zh", "labels_en"}
#: Survey metric columns found by name when not given by flag.
NPS_ALIASES = ("recommend", "nps", "likelihoodtorecommend", "wouldrecommend", "recommendation", "推荐意愿",
               "推荐可能性", "净推荐值", "推荐")
CSAT_ALIASES = ("csat", "satisfactionoverall", "overallsatisfaction", "满意度", "总体满意度")
CES_ALIASES = ("ces", "effort", "customereffort", "customereffortscore", "费力度", "客户费力度")


@dataclass
class SurveyModel:
    """A satisfaction model: constructs and their items, paths, modes, scale and labels."""

    name: dict
    constructs: dict
    paths: list
    modes: dict = field(default_factory=dict)
    scale: tuple | None = None
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
    src = model.source
    if not model.constructs:
        raise ConfigError("the model has no [constructs]", file=src)
    seen: dict[str, str] = {}
    for name, items in model.constructs.items():
        if not isinstance(items, list) or not items:
            raise ConfigError(f"construct '{name}' has no items", file=src)
        for item in items:
            if item in seen:
                raise ConfigError(f"item '{item}' is in both '{seen[item]}' and '{name}'", file=src)
            seen[item] = name
    for path in model.paths:
        if not (isinstance(path, (list, tuple)) and len(path) == 2):
            raise ConfigError(f"a path is [from, to], not {path!r}", file=src)
        for end in path:
            if end not in model.constructs:
                raise ConfigError(f"path {path[0]} -> {path[1]} names '{end}', which is not a construct",
                                  file=src, hint="constructs: " + ", ".join(model.constructs))
        if path[0] == path[1]:
            raise ConfigError(f"path {path[0]} -> {path[1]} points to itself", file=src)
    _check_acyclic(model)
    for name, mode in model.modes.items():
        if name not in model.constructs or mode not in ("A", "B"):
            raise ConfigError(f"modes: '{name} = {mode}' must name a construct and be \"A\" or \"B\"", file=src)
    if model.target not in model.constructs:
        raise ConfigError(f"target '{model.target}' is not a construct", file=src)
    for item in model.reverse:
        if item not in seen:
            raise ConfigError(f"reverse-coded item '{item}' is in no construct", file=src)
    if model.gap and any(g not in model.constructs for g in model.gap):
        raise ConfigError(f"gap {model.gap} must name two constructs", file=src)
    return model


def _check_acyclic(model: SurveyModel) -> None:
    successors: dict[str, list[str]] = {}
    for a, b in model.paths:
        successors.setdefault(a, []).append(b)
    state: dict[str, int] = {}

    def visit(node, trail):
        if state.get(node) == 1:
            cycle = trail[trail.index(node):] + [node]
            raise ConfigError("the paths form a cycle: " + " -> ".join(cycle), file=model.source,
                              hint="a PLS path model must be recursive")
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in successors.get(node, []):
            visit(nxt, trail + [node])
        state[node] = 2

    for node in list(successors):
        visit(node, [])


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
    if name.lower() in PRESETS:
        text = resources.files("crmkit.survey_models").joinpath(f"{name.lower()}.toml").read_text(encoding="utf-8")
        source = f"{name.lower()}.toml"
    else:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"--model must be {', '.join(PRESETS)} or a .toml model file; '{name}' is neither")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read model file: {exc}", file=name) from None
        source = name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=source) from None
    unknown = set(data) - _MODEL_KEYS
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}", file=source,
                          hint="allowed: " + ", ".join(sorted(_MODEL_KEYS)))
    scale = data.get("scale")
    if scale is not None and not (isinstance(scale, list) and len(scale) == 2 and scale[0] < scale[1]):
        raise ConfigError(f"scale must be [min, max] with min < max, not {scale!r}", file=source)
    model = SurveyModel(
        name={"en": data.get("name_en", Path(source).stem), "zh": data.get("name_zh", data.get("name_en", source))},
        constructs=dict(data.get("constructs", {})), paths=[tuple(p) for p in data.get("paths", [])],
        modes=dict(data.get("modes", {})), scale=tuple(scale) if scale else None,
        target=data.get("target", "Satisfaction"), gap=tuple(data["gap"]) if data.get("gap") else None,
        reverse=list(data.get("reverse", [])),
        labels={"zh": dict(data.get("labels_zh", {})), "en": dict(data.get("labels_en", {}))}, source=source)
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
        raise ColumnError(f"the model's item(s) {', '.join(missing)} are not in the survey", file=source,
                          hint="columns found: " + ", ".join(headers))
    return found


def find_metric(headers: list[str], aliases, given: str | None, flag: str, source: str) -> str | None:
    """A survey metric column (NPS, CSAT, CES): the one named by its flag, else found by name."""
    if given:
        if given in headers:
            return given
        raise ColumnError(f"{flag} names column '{given}', which is not in the survey", file=source,
                          hint="columns found: " + ", ".join(headers))
    by_norm = {normalise_header(h): h for h in headers}
    return next((by_norm[a] for a in aliases if a in by_norm), None)


def nps(scores) -> dict:
    """Net Promoter Score (Reichheld 2003) of 0-10 answers: % promoters (9-10) − % detractors (0-6)."""
    s = np.asarray(scores, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return {"nps": None, "promoters": 0.0, "passives": 0.0, "detractors": 0.0, "responses": 0}
    promoters, detractors = float(np.mean(s >= 9)), float(np.mean(s <= 6))
    return {"nps": 100.0 * (promoters - detractors), "promoters": promoters,
            "passives": 1.0 - promoters - detractors, "detractors": detractors, "responses": int(s.size)}


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
    return {"ces": float(s.mean()), "easy_share": float(np.mean(s <= low + (high - low) / 3)),
            "responses": int(s.size)}


def gap_class(gap, tolerance: float = 5.0) -> np.ndarray:
    """below / meets / exceeds expectations from Quality − Expectation (index points)."""
    g = np.asarray(gap, dtype=float)
    return np.where(g < -tolerance, "below", np.where(g > tolerance, "exceeds", "meets"))
