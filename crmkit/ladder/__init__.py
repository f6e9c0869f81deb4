"""The loyalty ladder: each person's rung, lifecycle stage and the reason why; migration between dates.

- :mod:`crmkit.ladder.rules` — rung and stage keys, the thresholds (``ladder_rules.toml``), :func:`load_rules`;
- :mod:`crmkit.ladder.placement` — :func:`ladder`: decide each person's rung, basis and stage;
- :mod:`crmkit.ladder.explain` — the facts behind a decision rendered as the ``reason`` sentence (en, zh);
- :mod:`crmkit.ladder.compare` — :func:`migration` between two ladders and :func:`compare_ladders`,
  the call behind ``crmkit ladder`` and the monthly report.
"""

from crmkit.ladder.compare import (
    LadderComparison,
    compare_ladders,
    ladder_at_two_dates,
    migration,
    migration_summary,
    month_before,
)
from crmkit.ladder.placement import LadderResult, ladder
from crmkit.ladder.rules import RUNGS, STAGES, load_rules

__all__ = [
    "RUNGS",
    "STAGES",
    "LadderComparison",
    "LadderResult",
    "compare_ladders",
    "ladder",
    "ladder_at_two_dates",
    "load_rules",
    "migration",
    "migration_summary",
    "month_before",
]
