"""The ladder's rules: rung and stage keys, the thresholds' schema and checks, and :func:`load_rules`.

The defaults live in ``crmkit/ladder/ladder_rules.toml``, the single source of every threshold
and of the rungs' labels and next actions; a user's rules file (``--rules FILE``) or mapping
holds only the keys it changes and is checked key by key against :data:`_SCHEMA`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from crmkit.errors import ConfigError
from crmkit.io.toml import read_toml

__all__ = ["RUNGS", "STAGES", "RANK", "load_rules"]

#: Rung keys, bottom to top.
RUNGS: tuple[str, ...] = ("suspect", "prospect", "customer", "regular", "supporter", "advocate")
#: Lifecycle stage keys in relationship order; ``none`` for people who never bought.
STAGES: tuple[str, ...] = ("exploration", "formation", "stability", "decline", "none")
#: Position of each rung on the ladder, bottom = 0.
RANK: dict[str, int] = {rung: i for i, rung in enumerate(RUNGS)}

# (type, lower, upper, lower-inclusive) per key; types are checked strictly (a bool is not a number,
# because TOML `true` where a threshold belongs is a typo, not 1).
_NUMBER = (int, float)
_TEXT = (str, None, None, True)
_SCHEMA: dict[str, dict[str, tuple]] = {
    "activity": {
        "unit": _TEXT,
        "min_repeat_buyers": (int, 2, None, True),
        "p_alive_min": (_NUMBER, 0.0, 1.0, True),
        "cycle_multiple": (_NUMBER, 0.0, None, False),
    },
    "survey": {
        "satisfaction_min": (_NUMBER, 0.0, 100.0, True),
        "recommend_min": (_NUMBER, 0.0, 10.0, True),
        "min_referrals": (int, 1, None, True),
    },
    "proxy": {
        "use_proxies": (bool, None, None, True),
        "supporter_quantile": (_NUMBER, 0.0, 1.0, True),
        "supporter_min_occasions": (int, 2, None, True),
        "supporter_min_tenure_days": (_NUMBER, 0.0, None, True),
        "advocate_quantile": (_NUMBER, 0.0, 1.0, True),
        "advocate_min_occasions": (int, 2, None, True),
        "advocate_recency_cycles": (_NUMBER, 0.0, None, False),
    },
    "lifecycle": {
        "exploration_days": (_NUMBER, 0.0, None, False),
        "stability_min_occasions": (int, 2, None, True),
        "stability_min_tenure_days": (_NUMBER, 0.0, None, True),
        "decline_p_alive": (_NUMBER, 0.0, 1.0, True),
        "decline_gap_multiple": (_NUMBER, 0.0, None, False),
    },
    "complaints": {
        "cap_open": (bool, None, None, True),
        "recent_days": (_NUMBER, 0.0, None, True),
        "next_action_en": _TEXT,
        "next_action_zh": _TEXT,
        "recent_action_en": _TEXT,
        "recent_action_zh": _TEXT,
    },
}
_RUNG_KEYS = ("label_en", "label_zh", "next_action_en", "next_action_zh")
_DEFAULTS_FILE = "ladder_rules.toml"


def _check_value(name: str, value: Any, spec: tuple, source: str) -> Any:
    """``value`` when it has the type and range of ``spec``; numbers as float, whole numbers as int."""
    kind, low, high, low_inclusive = spec
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()  # a mapping from code may hold np.int64(11): judge and show it as 11
    if isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"{name} must be a {'whole ' if kind is int else ''}number, not {value!r}", file=source)
    if not isinstance(value, kind):
        what = {bool: "true or false", str: "a string", int: "a whole number"}.get(kind, "a number")
        raise ConfigError(f"{name} must be {what}, not {value!r}", file=source)
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, not {value!r}", file=source)
    if low is not None and (value < low if low_inclusive else value <= low):
        raise ConfigError(
            f"{name} must be {'at least' if low_inclusive else 'greater than'} {low}, not {value!r}", file=source
        )
    if high is not None and value > high:
        raise ConfigError(f"{name} must be at most {high}, not {value!r}", file=source)
    return float(value) if kind is _NUMBER else value


def _merge_rungs(rules: dict, table: Mapping, source: str) -> None:
    """The ``[rungs.<rung>]`` tables of ``table``, checked and laid over ``rules["rungs"]``."""
    for rung, texts in table.items():
        if rung not in RUNGS:
            raise ConfigError(f"unknown rung rungs.{rung}", file=source, hint="rungs: " + ", ".join(RUNGS))
        if not isinstance(texts, Mapping):
            raise ConfigError(f"rungs.{rung} must be a table, not {texts!r}", file=source)
        for key, text in texts.items():
            if key not in _RUNG_KEYS:
                raise ConfigError(
                    f"unknown key rungs.{rung}.{key}", file=source, hint="allowed: " + ", ".join(_RUNG_KEYS)
                )
            rules["rungs"][rung][key] = _check_value(f"rungs.{rung}.{key}", text, _TEXT, source)


def _merge(rules: dict, data: Mapping, source: str) -> dict:
    """``data`` validated and laid over ``rules`` (a complete rule set), key by key."""
    from crmkit.summary import UNIT_DAYS

    for section, table in data.items():
        if section not in _SCHEMA and section != "rungs":
            raise ConfigError(
                f"unknown section [{section}]", file=source, hint="allowed: " + ", ".join(sorted([*_SCHEMA, "rungs"]))
            )
        if not isinstance(table, Mapping):
            raise ConfigError(f"{section} must be a table ([{section}]), not {table!r}", file=source)
        if section == "rungs":
            _merge_rungs(rules, table, source)
            continue
        for key, value in table.items():
            if key not in _SCHEMA[section]:
                raise ConfigError(
                    f"unknown key {section}.{key}", file=source, hint="allowed: " + ", ".join(_SCHEMA[section])
                )
            rules[section][key] = _check_value(f"{section}.{key}", value, _SCHEMA[section][key], source)
    if rules["activity"]["unit"] not in UNIT_DAYS:
        raise ConfigError(
            f"activity.unit must be one of {', '.join(UNIT_DAYS)}, not {rules['activity']['unit']!r}", file=source
        )
    return rules


@lru_cache(maxsize=1)
def _shipped_defaults() -> dict:
    """The shipped rules file, read and checked once per process (callers get a copy)."""
    data, _ = read_toml(
        "ladder_rules", flag="--rules", what="rules file", package="crmkit.ladder", builtins=("ladder_rules",)
    )
    rules: dict = {section: {} for section in _SCHEMA}
    rules["rungs"] = {rung: {} for rung in RUNGS}
    rules = _merge(rules, data, _DEFAULTS_FILE)
    # the shipped file is the single source of the defaults, so it must name every key
    missing = [f"{section}.{key}" for section, keys in _SCHEMA.items() for key in keys if key not in rules[section]]
    missing += [f"rungs.{rung}.{key}" for rung in RUNGS for key in _RUNG_KEYS if key not in rules["rungs"][rung]]
    if missing:
        raise ConfigError(f"missing key {missing[0]}", file=_DEFAULTS_FILE)
    return rules


def load_rules(path: str | Path | Mapping | None = None) -> dict:
    """The ladder rules: the defaults in ``crmkit/ladder/ladder_rules.toml``, overridden by a user's file.

    Parameters
    ----------
    path : str, pathlib.Path, mapping or None
        ``None`` for the defaults; a TOML file (``--rules FILE``) or an already-parsed mapping
        holding only the keys to change (``{"survey": {"satisfaction_min": 80}}``). A complete
        rule set returned by an earlier call is accepted too and comes back unchanged.

    Returns
    -------
    dict
        ``{"activity": {...}, "survey": {...}, "proxy": {...}, "lifecycle": {...},
        "complaints": {...}, "rungs": {rung: {"label_en", "label_zh", "next_action_en", "next_action_zh"}}}``, every
        key present, numbers as float (whole-number keys as int).

    Raises
    ------
    crmkit.errors.ConfigError
        A file that is unreadable or not TOML, an unknown section or key, a value of the wrong type
        or out of range; the message names the key (``survey.recommend_min must be at most 10.0``).
    crmkit.errors.UsageError
        ``path`` names no file.

    Examples
    --------
    >>> load_rules()["activity"]["p_alive_min"]
    0.5
    >>> load_rules({"survey": {"satisfaction_min": 80}})["survey"]["satisfaction_min"]
    80.0
    """
    rules = copy.deepcopy(_shipped_defaults())
    if path is None:
        return rules
    if isinstance(path, Mapping):
        return _merge(rules, path, "rules")
    data, source = read_toml(str(path), flag="--rules", what="rules file")
    return _merge(rules, data, source)
