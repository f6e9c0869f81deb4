"""crmkit: customer-relationship analytics from ordinary purchase and survey exports.

The public API, for notebooks and scripts::

    import crmkit

    data = crmkit.read_purchases("sales.csv")        # or any pandas / polars / pyarrow table
    seg = crmkit.segment(data, as_of="2024-12-31")   # RFM scores, segments, the 80/20 rule
    value = crmkit.clv(data, horizon="12m")          # P(alive), expected purchases, CLV
    sat = crmkit.satisfaction("survey.csv")          # ACSI-style indices, drivers, NPS
    cohorts = crmkit.retention(data)                 # acquisition-cohort retention
    rungs = crmkit.ladder(data)                      # loyalty ladder and lifecycle stage
    who = crmkit.profile(data, "customers.csv")      # the customer structure by attribute
    likes = crmkit.preferences(data)                 # channel, category, time, price, discounts
    offers = crmkit.recommend(data, n=5)             # what to offer whom, with the reason
    dates = crmkit.care(data, "customers.csv")       # birthdays and anniversaries coming up
    lift = crmkit.campaign(data, "campaign.csv")     # a campaign's effect per arm, with intervals
    points = crmkit.loyalty(data, "loyalty.csv")     # a points programme against matched non-members
    heard = crmkit.feedback("complaints.csv", data)  # complaints counted, and what happened next
    money = crmkit.economics(data, margin=0.3)       # new vs repeat, retention against acquisition
    crmkit.report("sales.csv", output="crm.xlsx")    # the monthly workbook

``crmkit.segment``, ``crmkit.clv``, ``crmkit.satisfaction``, ``crmkit.retention``,
``crmkit.ladder``, ``crmkit.profile``, ``crmkit.preferences``, ``crmkit.recommend``, ``crmkit.care``,
``crmkit.campaign``, ``crmkit.loyalty``, ``crmkit.feedback``, ``crmkit.economics``
and ``crmkit.report`` are the modules of those analyses *and* can be called:
calling one runs its main function (:func:`crmkit.segment.segment`,
:func:`crmkit.clv.customer_lifetime_value`, :func:`crmkit.satisfaction.analyse_survey`,
:func:`crmkit.retention.cohort_retention`, :func:`crmkit.ladder.ladder`,
:func:`crmkit.profile.customer_structure`, :func:`crmkit.preferences.preferences`,
:func:`crmkit.recommend.recommend`, :func:`crmkit.care.care_calendar`,
:func:`crmkit.campaign.campaign`, :func:`crmkit.loyalty.loyalty`, :func:`crmkit.feedback.feedback`,
:func:`crmkit.economics.economics`, :func:`crmkit.monthly.run.report`), while
``crmkit.segment.segment_customers`` and the like stay reachable. The estimators are in :mod:`crmkit.models`.

Layers, each importing only those before it: :mod:`crmkit.io` (read and clean) ←
:mod:`crmkit.summary` (one row per customer) ← :mod:`crmkit.models` (estimators) ← the
analyses (``segment``, ``pareto``, ``clv``, ``retention``, ``satisfaction``, ``ladder``,
``profile``, ``preferences``, ``recommend``, ``care``, ``campaign``, ``loyalty``, ``feedback``,
``economics``) ←
:mod:`crmkit.report` (workbooks, tables, terminal) ← :mod:`crmkit.monthly` ← :mod:`crmkit.cli`.
Everything is imported on first use (PEP 562), so ``import crmkit`` and ``crmkit --help`` stay fast.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.2.0"

#: Analysis modules that can be called, and the function a call runs.
_CALLABLE: dict[str, tuple[str, str]] = {
    "segment": ("crmkit.segment", "segment"),
    "clv": ("crmkit.clv", "customer_lifetime_value"),
    "satisfaction": ("crmkit.satisfaction", "analyse_survey"),
    "retention": ("crmkit.retention", "cohort_retention"),
    "ladder": ("crmkit.ladder", "ladder"),
    "report": ("crmkit.monthly.run", "report"),
    "profile": ("crmkit.profile", "customer_structure"),
    "preferences": ("crmkit.preferences", "preferences"),
    "recommend": ("crmkit.recommend", "recommend"),
    "care": ("crmkit.care", "care_calendar"),
    "campaign": ("crmkit.campaign", "campaign"),
    "loyalty": ("crmkit.loyalty", "loyalty"),
    "feedback": ("crmkit.feedback", "feedback"),
    "economics": ("crmkit.economics", "economics"),
    "contract": ("crmkit.contract", "contract_value"),
}

#: Public names defined in submodules, loaded on first access.
_LAZY: dict[str, str] = {
    "read_purchases": "crmkit.io.purchases",
    "as_purchases": "crmkit.io.purchases",
    "PurchaseData": "crmkit.io.purchases",
    "ReadOptions": "crmkit.io.options",
    "Database": "crmkit.io.databases",
    "SparkSource": "crmkit.io.spark",
    "read_survey": "crmkit.io.inputs",
    "read_members": "crmkit.io.inputs",
    "read_attributes": "crmkit.io.attributes",
    "read_referrals": "crmkit.io.inputs",
    "read_campaign": "crmkit.io.campaigns",
    "read_loyalty": "crmkit.io.campaigns",
    "read_complaints": "crmkit.io.complaints",
    "read_renewals": "crmkit.io.renewals",
    "customer_summary": "crmkit.summary",
    "repeat_summary": "crmkit.summary",
    "segment_customers": "crmkit.segment",
    "compare_ladders": "crmkit.ladder",
    "write_report": "crmkit.report.sheets",
    "CrmkitError": "crmkit.errors",
    "UsageError": "crmkit.errors",
    "InputError": "crmkit.errors",
    "ColumnError": "crmkit.errors",
    "DataError": "crmkit.errors",
    "FitError": "crmkit.errors",
    "ConfigError": "crmkit.errors",
    "OutputError": "crmkit.errors",
    "NotFittedError": "crmkit.errors",
}

__all__ = sorted([*_CALLABLE, *_LAZY, "models", "__version__"])


class _CallableModule(types.ModuleType):
    """An analysis module that runs its main function when called (``crmkit.segment(data)``)."""

    def __call__(self, *args, **kwargs):
        module, function = _CALLABLE[self.__name__.rpartition(".")[2]]
        return getattr(importlib.import_module(module), function)(*args, **kwargs)


class _Package(types.ModuleType):
    """The ``crmkit`` package: analysis submodules become callable as they are imported.

    The import system binds a submodule to its package with ``setattr`` after loading it, which
    would otherwise shadow a function of the same name; turning the module itself into a
    callable keeps both ``crmkit.segment(...)`` and ``crmkit.segment.segment_customers``.
    """

    def __setattr__(self, name: str, value) -> None:
        if name in _CALLABLE and type(value) is types.ModuleType and value.__name__ == f"crmkit.{name}":
            value.__class__ = _CallableModule
        super().__setattr__(name, value)


def __getattr__(name: str):
    if name in _CALLABLE or name == "models":
        return importlib.import_module(f"crmkit.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'crmkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


sys.modules[__name__].__class__ = _Package
