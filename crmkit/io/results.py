"""What an analysis made of named tables returns: a table by its view name, and all of it as JSON.

The "did it work?" results (:class:`crmkit.campaign.CampaignResult`,
:class:`crmkit.loyalty.LoyaltyResult`, :class:`crmkit.feedback.FeedbackResult`,
:class:`crmkit.economics.Economics`) hold their tables as attributes named as their views;
:class:`TableViews` gives them ``view``, ``rows`` and ``to_dict`` alike, so ``--view NAME`` and
``-f json`` mean the same thing for each.
"""

from __future__ import annotations

from typing import Any

from crmkit.errors import UsageError

__all__ = ["TableViews"]


class TableViews:
    """A result whose tables are the attributes named in ``VIEWS``; ``rows()`` is ``DEFAULT_VIEW``.

    The class using it has ``headline``, ``notes`` and ``warnings``; :meth:`json_extra` adds its
    own settings to :meth:`to_dict`.
    """

    VIEWS: tuple[str, ...] = ()
    DEFAULT_VIEW = ""
    headline: dict
    notes: list
    warnings: list

    def view(self, name: str | None = None):
        """The table ``name`` of ``VIEWS`` (default ``DEFAULT_VIEW``), a copy; a usage error for another name."""
        name = name or self.DEFAULT_VIEW
        if name not in self.VIEWS:
            raise UsageError(f"--view must be one of {', '.join(self.VIEWS)}, not {name!r}")
        table = getattr(self, name)
        if table is None:
            raise UsageError(f"this result has no {name} table", hint=self.missing_hint(name))
        return table.copy()

    def rows(self):
        """The default table: what the command writes with ``-f csv`` and no ``--view``."""
        return self.view(self.DEFAULT_VIEW)

    def missing_hint(self, name: str) -> str | None:
        """What would make the ``name`` table (a result may have one only with more input)."""
        return None

    def json_extra(self) -> dict[str, Any]:
        """The result's own fields put before its tables in :meth:`to_dict`."""
        return {}

    def to_dict(self) -> dict:
        """Everything as JSON-ready values: the headline, every table as records (None when absent), notes."""
        from crmkit.io.engine import records

        tables = {name: getattr(self, name) for name in self.VIEWS}
        return {
            **self.json_extra(),
            "headline": dict(self.headline),
            **{name: None if table is None else records(table) for name, table in tables.items()},
            "notes": [str(n) for n in self.notes],
            "warnings": [str(w) for w in self.warnings],
        }
