"""The monthly job's configuration: ``crmkit.toml``, its keys checked, and the dates and paths it names."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from crmkit.errors import ConfigError, UsageError
from crmkit.io.toml import read_toml

#: The keys each section may hold: what :func:`crmkit.monthly.run.run_monthly` reads from it.
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "segment": ("scheme", "bins"),
    "clv": ("model", "unit", "horizon", "discount", "margin"),
    "retention": ("period",),
    "satisfaction": ("model", "scale"),
    "ladder": ("rules",),
    "columns": ("customer", "date", "amount", "order_id"),
}
_SECTIONS = set(SECTION_KEYS)
_TOP = {"sales", "survey", "members", "referrals", "output", "history", "as_of", "lang"}


@dataclass
class ReportConfig:
    """What the monthly report reads and how each analysis is set (``crmkit.toml``)."""

    sales: str
    output: str
    survey: str | None = None
    members: str | None = None
    referrals: str | None = None
    history: str | None = None
    as_of: str | None = None
    lang: str = "en"
    segment: dict = field(default_factory=dict)
    clv: dict = field(default_factory=dict)
    retention: dict = field(default_factory=dict)
    satisfaction: dict = field(default_factory=dict)
    ladder: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)


def load_config(path: str) -> ReportConfig:
    """Read ``crmkit.toml``; relative paths are taken from the config file's folder.

    Example::

        sales = "sales.csv"
        survey = "survey.csv"                      # optional, also members / referrals
        output = "reports/crm-{yyyy}-{mm}.xlsx"
        as_of = "last-month-end"                   # or a date, today, yesterday, month-end
        lang = "zh"
        [segment]
        scheme = "standard"
        [clv]
        horizon = "12m"
        margin = 0.3
        [retention]
        period = "month"
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
        if not data.get(key):
            raise ConfigError(f"'{key}' is required", file=path)
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
    base = file.resolve().parent

    def resolve(value):
        return None if value is None else str(value if Path(value).is_absolute() else base / value)

    return ReportConfig(
        sales=resolve(data["sales"]),
        output=resolve(data["output"]),
        survey=resolve(data.get("survey")),
        members=resolve(data.get("members")),
        referrals=resolve(data.get("referrals")),
        history=resolve(data.get("history")),
        as_of=data.get("as_of"),
        lang=data.get("lang", "en"),
        **{key: dict(data.get(key, {})) for key in _SECTIONS},
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
