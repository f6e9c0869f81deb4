"""Satisfaction models: the ACSI, ECSI, SCSB and CCSI presets (the TOML files beside this module) and
the loader of a model, preset or the user's own TOML file.

A user's file has the same keys as the presets and is checked key by key (types first, then the PLS
structure), so a wrong value is a :class:`~crmkit.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from crmkit.errors import ConfigError, UsageError
from crmkit.io.toml import read_toml

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
    "csat_scale",
    "ces_scale",
}


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
    csat_scale: tuple[float, float] | None = None
    ces_scale: tuple[float, float] | None = None

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
        csat_scale = [1, 5]                   # optional: the CSAT question's scale
        ces_scale = [1, 7]                    # optional: the customer-effort question's scale
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
    _check_model_types(data, source)
    scale = data.get("scale")
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
        csat_scale=(data["csat_scale"][0], data["csat_scale"][1]) if "csat_scale" in data else None,
        ces_scale=(data["ces_scale"][0], data["ces_scale"][1]) if "ces_scale" in data else None,
    )
    return _check_model(model)


def _check_model_types(data: dict, source: str) -> None:
    """ConfigError naming the first key of a model file whose value has the wrong type.

    Only the shapes: what the values mean (constructs named in paths, modes A or B) is checked by
    :func:`_check_model` once the model is built.
    """

    def fail(key: str, what: str) -> None:
        raise ConfigError(f"{key} must be {what}", file=source)

    def strings(value) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    def table_of(value, ok) -> bool:
        return isinstance(value, dict) and all(ok(v) for v in value.values())

    for key in ("name_en", "name_zh", "target"):
        if key in data and not isinstance(data[key], str):
            fail(key, "a string")
    for key in ("scale", "csat_scale", "ces_scale"):
        if key in data:
            bounds = data[key]
            numbers = (
                isinstance(bounds, list)
                and len(bounds) == 2
                and all(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) for b in bounds)
            )
            if not numbers or not bounds[0] < bounds[1]:
                fail(key, "[min, max], two numbers with min < max, such as [1, 10]")
    if "gap" in data and not (strings(data["gap"]) and len(data["gap"]) == 2):
        fail("gap", 'two construct names, such as ["Expectation", "Quality"]')
    if "reverse" in data and not strings(data["reverse"]):
        fail("reverse", 'a list of item names, such as ["Q7"]')
    if "paths" in data and not (
        isinstance(data["paths"], list) and all(strings(p) and len(p) == 2 for p in data["paths"])
    ):
        fail("paths", 'a list of [from, to] construct pairs, such as [["Quality", "Satisfaction"]]')
    if "constructs" in data and not table_of(data["constructs"], strings):
        fail("constructs", 'a table of item lists, such as Quality = ["Q1", "Q2"]')
    for key in ("modes", "labels_zh", "labels_en"):
        if key in data and not table_of(data[key], lambda v: isinstance(v, str)):
            fail(key, 'a table of strings, one per construct ([modes] Quality = "A")')


def parse_scale(text: str) -> tuple[float, float]:
    """``1-10``, ``0-10``, ``1-5`` → (min, max)."""
    m = re.match(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|to|~|,)\s*(-?\d+(?:\.\d+)?)\s*$", str(text))
    if not m or float(m.group(1)) >= float(m.group(2)):
        raise UsageError(f"--scale looks like 1-10 or 0-10, not {text!r}")
    return float(m.group(1)), float(m.group(2))
