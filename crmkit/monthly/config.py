"""The monthly job's configuration: ``crmkit.toml``, its keys checked, and the dates and paths it names."""

from __future__ import annotations

import calendar
import math
import os
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from crmkit.errors import ConfigError, UsageError
from crmkit.io.databases import is_database_url
from crmkit.io.options import LANGS
from crmkit.io.toml import read_toml
from crmkit.segment import SCHEMES
from crmkit.survey_models import PRESETS

# What a value may be: a string, a whole number, a number, a scale ("1-10" or [1, 10]), a date
# (text such as "last-month-end", or a TOML date).
_TEXT, _WHOLE, _NUMBER, _SCALE, _DATE = "string", "whole number", "number", "scale", "date"
# Names: "a,b" or ["a", "b"] (kept as "a,b"); a window: "30d", "4w", "2m" or a number of days.
_NAMES, _WINDOW = "names", "window"

#: Each section's keys and the kind of value each takes: what :func:`crmkit.monthly.run.run_monthly`
#: reads from it.
SECTION_TYPES: dict[str, dict[str, str]] = {
    "segment": {"scheme": _TEXT, "bins": _WHOLE},
    "clv": {
        "model": _TEXT,
        "unit": _TEXT,
        "horizon": _TEXT,
        "discount": _NUMBER,
        "margin": _NUMBER,
        "interval": _NUMBER,
        "window": _TEXT,
        "spend_model": _TEXT,
    },
    "retention": {"period": _TEXT},
    "satisfaction": {"model": _TEXT, "scale": _SCALE, "csat_scale": _SCALE, "ces_scale": _SCALE},
    "ladder": {"rules": _TEXT},
    "columns": {"customer": _TEXT, "date": _TEXT, "amount": _TEXT, "order_id": _TEXT},
    "report": {"stale_days": _WHOLE, "customers": _TEXT},
    "profile": {"by": _NAMES},
    "care": {"within": _WINDOW, "kinds": _NAMES},
    "campaign": {
        "file": _TEXT,
        "window": _NAMES,
        "control": _TEXT,
        "contact_date": _DATE,
        "margin": _NUMBER,
        "cost": _NUMBER,
        "ci": _TEXT,
    },
    "loyalty": {"file": _TEXT, "window": _WINDOW, "margin": _NUMBER, "point_value": _NUMBER, "programme_cost": _NUMBER},
    "feedback": {"window": _WINDOW, "terms": _WHOLE},
    "economics": {
        "period": _WINDOW,
        "margin": _NUMBER,
        "acquisition_cost": _NUMBER,
        "retention_cost": _NUMBER,
        "serve_cost": _NUMBER,
        "discount": _NUMBER,
    },
}
#: The keys each section may hold.
SECTION_KEYS: dict[str, tuple[str, ...]] = {section: tuple(keys) for section, keys in SECTION_TYPES.items()}
_SECTIONS = set(SECTION_KEYS)
_TOP_TYPES = {
    "sales": _TEXT,
    "table": _TEXT,
    "query": _TEXT,
    "survey": _TEXT,
    "members": _TEXT,
    "attributes": _TEXT,
    "complaints": _TEXT,
    "referrals": _TEXT,
    "output": _TEXT,
    "history": _TEXT,
    "as_of": _DATE,
    "lang": _TEXT,
    "platform": _TEXT,
}
_TOP = set(_TOP_TYPES)


#: The section keys that name a TOML file unless they hold a built-in name, and where those names
#: come from (the ladder has none: ``rules`` is a file or left out for the shipped defaults).
_FILE_KEYS: dict[tuple[str, str], Collection[str]] = {
    ("segment", "scheme"): SCHEMES,
    ("satisfaction", "model"): PRESETS,
    ("ladder", "rules"): (),
}


def _file_path(section: str, key: str, value: str, base: Path, path: str) -> str:
    """``value`` taken from the config's folder when it names a file, unchanged when it is a built-in name.

    Only what looks like a path (ends in ``.toml`` or holds a separator) is resolved, so a misspelt
    built-in (``model = "ecsj"``) still gets the analysis' own message listing the names.
    """
    looks_like_path = value.lower().endswith(".toml") or "/" in value or os.sep in value
    if value.lower() in _FILE_KEYS[section, key] or not looks_like_path:
        return value
    # `~` first: a home-relative path is absolute, not one more folder under the config's
    target = Path(value).expanduser()
    target = target if target.is_absolute() else base / target
    if not target.is_file():
        raise ConfigError(f"[{section}] {key}: no such file {target}", file=path)
    return str(target)


def _checked(name: str, value, kind: str, path: str):
    """``value`` when it is of ``kind`` (a scale as ``"min-max"``, a TOML date as ISO text), else ConfigError.

    TOML has types, so ``bins = "five"`` or ``discount = "abc"`` is refused here, naming the key,
    rather than failing deep inside an analysis; a bool is not a number (``bins = true`` is a typo).
    """
    what = {
        _SCALE: 'a scale such as "1-10" or [1, 10]',
        _DATE: 'a date such as "2024-12-31" or "last-month-end"',
        _NAMES: 'names such as "tier,city" or ["tier", "city"]',
        _WINDOW: 'a window such as "30d", "4w", "2m" or 30 (days)',
    }
    if kind == _DATE and isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()  # as_of = 2024-12-31, a TOML date: means what the text would
    if kind == _SCALE and isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value):
        return f"{value[0]:g}-{value[1]:g}"
    if kind == _NAMES and isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return ",".join(v.strip() for v in value)
    if kind == _WINDOW and _is_number(value) and float(value).is_integer():
        return int(value)
    if kind in (_TEXT, _DATE, _SCALE, _NAMES, _WINDOW) and isinstance(value, str):
        if not value.strip():
            raise ConfigError(f"'{name}' is empty", file=path)
        return value
    if kind == _WHOLE and _is_number(value) and float(value).is_integer():
        return int(value)
    if kind == _NUMBER and _is_number(value):
        return float(value)
    raise ConfigError(f"'{name}' must be {what.get(kind, f'a {kind}')}, not {_shown(value)}", file=path)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value) -> str:
    """A TOML value as the user wrote it (text quoted, a table or array by its kind only: it may be huge)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, (date, time)):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)


@dataclass
class ReportConfig:
    """What the monthly report reads and how each analysis is set (``crmkit.toml``)."""

    sales: str
    output: str
    table: str | None = None
    query: str | None = None
    survey: str | None = None
    members: str | None = None
    attributes: str | None = None
    """The customer attributes file (:func:`crmkit.io.attributes.read_attributes`): Profile and Care calendar."""
    complaints: str | None = None
    """A complaints export (:func:`crmkit.io.complaints.read_complaints`): the Feedback sheet."""
    referrals: str | None = None
    history: str | None = None
    as_of: str | None = None
    lang: str = "en"
    platform: str | None = None
    """The platform whose order export ``sales`` is (:mod:`crmkit.io.platforms`; default: from its header)."""
    segment: dict = field(default_factory=dict)
    clv: dict = field(default_factory=dict)
    retention: dict = field(default_factory=dict)
    satisfaction: dict = field(default_factory=dict)
    ladder: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    profile: dict = field(default_factory=dict)
    care: dict = field(default_factory=dict)
    campaign: dict = field(default_factory=dict)
    """``[campaign]``: ``file``, a campaign's contacts (:func:`crmkit.io.campaigns.read_campaign`), and its settings."""
    loyalty: dict = field(default_factory=dict)
    """``[loyalty]``: ``file``, a points programme's members (:func:`crmkit.io.campaigns.read_loyalty`), settings."""
    feedback: dict = field(default_factory=dict)
    economics: dict = field(default_factory=dict)


def load_config(path: str) -> ReportConfig:
    """Read ``crmkit.toml``; relative paths are taken from the config file's folder.

    That holds for the inputs, ``output``, ``history`` and the model files (``[segment] scheme``,
    ``[satisfaction] model``, ``[ladder] rules``) when these name a file rather than a built-in
    (``standard``, ``ecsi``); a model file that does not exist is a ConfigError naming the key.

    Example::

        sales = "sales.csv"                        # or a database: "postgresql://crm@db/shop" with
        table = "orders"                           # table = "…" or query = "SELECT …" (sqlite:///file.db too)
        survey = "survey.csv"                      # optional, also members / referrals
        attributes = "customers.csv"               # optional: the Profile and Care calendar sheets
        output = "reports/crm-{yyyy}-{mm}.xlsx"
        as_of = "last-month-end"                   # or a date, today, yesterday, month-end
        lang = "zh"
        platform = "taobao"                        # optional: auto (from the header), none, a name or a .toml
        [segment]
        scheme = "standard"
        [clv]
        horizon = "12m"
        margin = 0.3                               # also interval = 0.9, window = "1y-3y", spend_model
        [retention]
        period = "month"
        [report]
        stale_days = 45                            # warn when the as-of date is this far past the last purchase
        customers = "top:100000"                   # rows of the customer sheets: all, top:N or none
        [profile]
        by = "tier"                                # further attribute columns to table (or ["tier", "city"])
        [care]
        within = "30d"                             # the occasions of the next 30 days (4w, 2m, 30)
        kinds = "birthday,membership"              # default all: birthday, membership, first_purchase
        complaints = "complaints.csv"              # optional: the Feedback sheet ([feedback] window, terms)
        [campaign]                                 # optional: the Campaign sheet
        file = "campaign.csv"                      # also window = "30d,60d", control, margin, cost, ci
        [loyalty]                                  # optional: the Loyalty sheet
        file = "loyalty.csv"                       # also window = "90d", point_value, programme_cost
        [economics]                                # the Economics sheet (always written)
        margin = 0.3
        acquisition_cost = 80                      # per new customer; retention_cost per kept customer
        retention_cost = 10
    """
    data, _ = read_toml(path, flag="--config", what="config file")
    file = Path(path)
    unknown = set(data) - _TOP - _SECTIONS
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(sorted(unknown))}",
            file=path,
            hint="allowed: " + ", ".join(sorted(_TOP | _SECTIONS)),
        )
    for key in ("sales", "output"):
        if key not in data:
            raise ConfigError(f"'{key}' is required", file=path)
    for key, kind in _TOP_TYPES.items():
        if key in data:
            data[key] = _checked(key, data[key], kind, path)
    if data.get("lang", "en") not in LANGS:
        raise ConfigError(f"'lang' must be {' or '.join(LANGS)}, not {data['lang']!r}", file=path)
    for key in _SECTIONS:
        if not isinstance(data.get(key, {}), dict):
            raise ConfigError(f"[{key}] must be a table", file=path)
        # a misspelt setting ([clv] horizont = "2y") would otherwise be ignored without a word
        stray = sorted(set(data.get(key, {})) - set(SECTION_KEYS[key]))
        if stray:
            raise ConfigError(
                f"unknown key(s) {', '.join(f'{key}.{s}' for s in stray)}",
                file=path,
                hint=f"[{key}] takes " + ", ".join(SECTION_KEYS[key]),
            )
        for name, value in data.get(key, {}).items():
            data[key][name] = _checked(f"{key}.{name}", value, SECTION_TYPES[key][name], path)
    _check_report_section(data.get("report", {}), path)
    _check_care_section(data.get("care", {}), path)
    base = file.resolve().parent

    def resolve(value):
        if value is None or is_database_url(value):
            return _config_relative_sqlite(value, base)
        return str(value if Path(value).is_absolute() else base / value)

    for section in ("campaign", "loyalty"):  # the files of [campaign] file = and [loyalty] file =
        if "file" in data.get(section, {}):
            data[section]["file"] = resolve(data[section]["file"])
    # a model file is the config's as much as the inputs are: `crmkit report -c /srv/crm/crmkit.toml`
    # from cron's working directory must find /srv/crm/models/my.toml for "models/my.toml"
    for section, key in _FILE_KEYS:
        if key in data.get(section, {}):
            data[section][key] = _file_path(section, key, data[section][key], base, path)

    return ReportConfig(
        sales=resolve(data["sales"]),
        output=resolve(data["output"]),
        table=data.get("table"),
        query=data.get("query"),
        survey=resolve(data.get("survey")),
        members=resolve(data.get("members")),
        attributes=resolve(data.get("attributes")),
        complaints=resolve(data.get("complaints")),
        referrals=resolve(data.get("referrals")),
        history=resolve(data.get("history")),
        as_of=data.get("as_of"),
        lang=data.get("lang", "en"),
        platform=_platform(data.get("platform"), base, path),
        **{key: dict(data.get(key, {})) for key in _SECTIONS},
    )


def _platform(value: str | None, base: Path, config: str) -> str | None:
    """A platform name as it is; a platform file, like a model file, from the config's folder."""
    from crmkit.io.platforms import BUILTIN

    if value is None or value.lower() in ("auto", "none", *BUILTIN):
        return value
    if not value.lower().endswith(".toml"):
        raise ConfigError(
            f"'platform' must be auto, none, {', '.join(BUILTIN)} or a .toml platform file, not {value!r}", file=config
        )
    file = Path(value) if Path(value).is_absolute() else base / value
    if not file.is_file():
        raise ConfigError(f"'platform' names {value!r}, which is not a file", file=config)
    return str(file)


def _check_report_section(section: dict, path: str) -> None:
    """``[report]``: ``stale_days`` a whole number >= 0, ``customers`` a policy (all, none, top:N)."""
    from crmkit.report.sheets._layout import customer_policy

    if section.get("stale_days", 0) < 0:
        raise ConfigError(f"'report.stale_days' must be 0 or more days, not {section['stale_days']}", file=path)
    if "customers" in section:
        try:
            customer_policy(section["customers"], option="report.customers")
        except UsageError as exc:
            raise ConfigError(exc.message, file=path) from None


def _check_care_section(section: dict, path: str) -> None:
    """``[care]``: ``within`` a window of 1 to 366 days, ``kinds`` of :data:`crmkit.care.KINDS`."""
    from crmkit.care import KINDS, parse_within

    if "within" in section:
        try:
            parse_within(section["within"])
        except UsageError:
            raise ConfigError(
                f'\'care.within\' must be a window of 1 to 366 days such as "30d", "4w", "2m" or 30, '
                f"not {_shown(section['within'])}",
                file=path,
            ) from None
    unknown = [name for name in section.get("kinds", "").split(",") if name.strip() not in KINDS]
    if "kinds" in section and unknown:
        raise ConfigError(
            f"'care.kinds' takes {', '.join(KINDS)}, not {', '.join(repr(n.strip()) for n in unknown)}", file=path
        )


def resolve_date(text: str | None, today: date | None, last_purchase: date) -> date:
    """An as-of date from words cron jobs use: ``last-month-end``, ``month-end``, ``today``,
    ``yesterday``, a date ``YYYY-MM-DD``; ``None`` or ``last-purchase`` is the last purchase date."""
    if text is None or text == "last-purchase":
        return last_purchase
    word = str(text).strip().lower()
    if word in ("today", "yesterday", "last-month-end", "month-end"):
        if today is None:
            raise UsageError(
                f"as-of {text!r} counts from today: pass today=date.today() (the library never reads the clock)"
            )
        if word == "today":
            return today
        if word == "yesterday":
            return today - timedelta(days=1)
        if word == "last-month-end":
            return today.replace(day=1) - timedelta(days=1)
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])  # month-end
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(
            f"as-of must be a date YYYY-MM-DD, last-month-end, month-end, today, yesterday or "
            f"last-purchase, not {text!r}"
        ) from None


def render_path(template: str, as_of: date) -> str:
    """``{yyyy}``, ``{mm}``, ``{dd}`` and ``{date}`` in an output path, from the as-of date."""
    values = {
        "yyyy": f"{as_of.year:04d}",
        "mm": f"{as_of.month:02d}",
        "dd": f"{as_of.day:02d}",
        "date": as_of.isoformat(),
    }
    unknown = set(re.findall(r"\{(\w+)\}", template)) - set(values)
    if unknown:
        raise UsageError(
            f"unknown placeholder(s) {', '.join(sorted(unknown))} in {template}",
            hint="use {yyyy}, {mm}, {dd} or {date}",
        )
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


def history_path(config: ReportConfig, output: str) -> str:
    return config.history or str(Path(output).with_name("crmkit-history.sqlite"))


def _config_relative_sqlite(url: str | None, base: Path) -> str | None:
    """A ``sqlite:///relative.db`` URL taken from the config's folder, as a file path would be."""
    if url is None or not url.lower().startswith("sqlite:///") or url.startswith("sqlite:////"):
        return url
    path = Path(url[len("sqlite:///") :]).expanduser()
    return url if path.is_absolute() else f"sqlite:///{base / path}"
