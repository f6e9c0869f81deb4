"""The monthly report's customer side: who the customers are, what they prefer, whose occasion is coming up.

With an attributes file (``attributes =`` in ``crmkit.toml``, ``--attributes``) the run adds the
customer structure (:func:`crmkit.profile.customer_structure`) and the care calendar
(:func:`crmkit.care.care_calendar`); whenever the purchases carry a channel, category or product
column it adds the preferences (:func:`crmkit.preferences.preferences`). All three run on the
purchases the rest of the report reads, at its as-of date, scheme and language, so a customer's
segment is the same on every sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from crmkit.io.quality import Message

if TYPE_CHECKING:
    from crmkit.care import CareCalendar
    from crmkit.monthly.config import ReportConfig
    from crmkit.preferences import Preferences
    from crmkit.profile import Structure

#: The columns of which preferences need one (weekday, price and discount preferences alone say little).
PREFERENCE_COLUMNS = ("channel", "category", "product")
#: The care calendar's window when ``[care] within`` is not set.
CARE_WITHIN = "30d"


@dataclass
class CustomerSide:
    """The customer-side analyses of one run; each is None when it did not run.

    Attributes
    ----------
    profile : crmkit.profile.Structure or None
        The customer structure (needs an attributes file).
    preferences : crmkit.preferences.Preferences or None
        The preferences (need a channel, category or product column).
    care : crmkit.care.CareCalendar or None
        The care calendar (needs an attributes file).
    notes : list of Message
        Why an analysis did not run.
    """

    profile: Structure | None = None
    preferences: Preferences | None = None
    care: CareCalendar | None = None
    notes: list[Message] = field(default_factory=list)


def _has_column(data, names: tuple[str, ...]) -> bool:
    """Whether the purchase rows have one of ``names`` with a value (a column of NULLs is none)."""
    from crmkit.io.engine import columns_of, quote

    present = set(columns_of(data.con, "tx"))
    for name in names:
        if name in present:
            row = data.con.execute(f"SELECT count({quote(name)}) FROM tx").fetchall()[0]
            if row[0]:
                return True
    return False


def customer_analyses(config: ReportConfig, data, as_of: date, clv: Any = False) -> CustomerSide:
    """Run the profile, preferences and care calendar that ``config`` and the purchases allow.

    Parameters
    ----------
    config : ReportConfig
        ``attributes``, ``[profile] by``, ``[care] within`` and ``kinds``, ``[segment] scheme``, ``lang``.
    data : crmkit.io.purchases.PurchaseData
        The run's purchases, read with the optional columns kept (:data:`crmkit.io.purchases.OPTIONAL_ROLES`
        and :data:`~crmkit.io.purchases.ON_REQUEST`).
    as_of : datetime.date
    clv : ClvResult, optional
        The run's CLV: the profile's ``mean_clv`` column comes from it, not from a second fit.

    Returns
    -------
    CustomerSide
    """
    side = CustomerSide()
    scheme, lang = config.segment.get("scheme", "standard"), config.lang
    if _has_column(data, PREFERENCE_COLUMNS):
        from crmkit.preferences import preferences

        side.preferences = preferences(data, as_of, scheme=scheme, lang=lang)
    else:
        side.notes.append(
            Message(
                "preferences skipped: the purchases have no channel, category or product column",
                "monthly_preferences_skipped",
            )
        )
    if not config.attributes:
        return side
    from crmkit.care import KINDS, care_calendar
    from crmkit.io.attributes import read_attributes
    from crmkit.profile import customer_structure

    by = config.profile.get("by") or ()
    # read once for both: ages at the as-of date, the [profile] by columns kept
    attributes = read_attributes(config.attributes, by=by, as_of=as_of)
    side.profile = customer_structure(data, attributes, as_of, by=by or None, scheme=scheme, lang=lang, clv=clv)
    side.care = care_calendar(
        data,
        attributes,
        as_of,
        within=config.care.get("within", CARE_WITHIN),
        kinds=config.care.get("kinds", KINDS),
        scheme=scheme,
        lang=lang,
    )
    return side


def add_customer_sheets(book, side: CustomerSide, *, customers=None, attributes_file: str | None = None) -> None:
    """Add the Profile, Preferences and Care calendar sheets of what ran, after the other analyses' sheets."""
    if side.profile is not None:
        from crmkit.report.sheets.profile import add_profile_sheets

        add_profile_sheets(book, side.profile, customers=customers, attributes_file=attributes_file)
    if side.preferences is not None:
        from crmkit.report.sheets.preferences import add_preferences_sheets

        add_preferences_sheets(book, side.preferences, customers=customers)
    if side.care is not None:
        from crmkit.report.sheets.care import add_care_sheets

        add_care_sheets(book, side.care, customers=customers)
