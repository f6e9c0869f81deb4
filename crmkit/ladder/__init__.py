"""The loyalty ladder: rules, placement of each person on a rung, and migration between dates."""

from crmkit.ladder.placement import (RUNGS, STAGES, LadderResult, ladder, ladder_at_two_dates, load_rules,
                                     migration, migration_summary, month_before)

__all__ = ["RUNGS", "STAGES", "LadderResult", "ladder", "ladder_at_two_dates", "load_rules", "migration",
           "migration_summary", "month_before"]
