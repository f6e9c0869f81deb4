"""The monthly report's "did it work?" side: the economics, and a campaign, a points programme or complaints.

The economics (:func:`crmkit.economics.economics`) run every month, set by ``[economics]`` in
``crmkit.toml`` (costs, margin, period; the margin defaults to ``[clv] margin``). A campaign's
effect (:func:`crmkit.campaign.campaign`) needs ``[campaign] file``, a points programme's
(:func:`crmkit.loyalty.loyalty`) ``[loyalty] file``, and the complaints analysis
(:func:`crmkit.feedback.feedback`) ``complaints =``. All run on the purchases the rest of the report
reads, at its as-of date and in its language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmkit.campaign import CampaignResult
    from crmkit.economics import Economics
    from crmkit.feedback import FeedbackResult
    from crmkit.loyalty import LoyaltyResult
    from crmkit.monthly.config import ReportConfig

#: The windows and periods when the config gives none.
CAMPAIGN_WINDOW, LOYALTY_WINDOW, FEEDBACK_WINDOW, ECONOMICS_PERIOD = "30d", "90d", "90d", "12m"


@dataclass
class EffectSide:
    """The "did it work?" analyses of one run; each is None when it did not run.

    Attributes
    ----------
    economics : crmkit.economics.Economics or None
        New vs repeat customers, retention against acquisition (always, unless skipped).
    campaign : crmkit.campaign.CampaignResult or None
        A campaign's effect (needs ``[campaign] file``).
    loyalty : crmkit.loyalty.LoyaltyResult or None
        A points programme's effect (needs ``[loyalty] file``).
    feedback : crmkit.feedback.FeedbackResult or None
        The complaints analysis (needs ``complaints``).
    """

    economics: Economics | None = None
    campaign: CampaignResult | None = None
    loyalty: LoyaltyResult | None = None
    feedback: FeedbackResult | None = None


def _window(value: Any, default: str) -> str:
    """A config window: ``"30d"`` as it is, a whole number as that many days."""
    if value is None:
        return default
    return f"{value}d" if isinstance(value, int) else str(value)


def effect_analyses(config: ReportConfig, data, as_of: date, complaints=None) -> EffectSide:
    """Run the economics and, when their files are configured, the campaign, loyalty and complaints analyses.

    ``complaints`` is the configured complaints export already read (the ladder used it too).
    """
    from crmkit.campaign import campaign
    from crmkit.economics import economics
    from crmkit.feedback import feedback
    from crmkit.loyalty import loyalty

    lang = config.lang
    settings = config.economics
    margin = settings.get("margin", config.clv.get("margin"))
    side = EffectSide(
        economics=economics(
            data,
            as_of,
            period=_window(settings.get("period"), ECONOMICS_PERIOD),
            margin=margin,
            acquisition_cost=settings.get("acquisition_cost"),
            retention_cost=settings.get("retention_cost"),
            serve_cost_per_order=settings.get("serve_cost"),
            discount=float(settings.get("discount", 0.10)),
            lang=lang,
        )
    )
    chosen = config.campaign
    if chosen.get("file"):
        windows = tuple(w.strip() for w in str(chosen.get("window", CAMPAIGN_WINDOW)).split(",") if w.strip())
        side.campaign = campaign(
            data,
            chosen["file"],
            windows=windows,
            control=chosen.get("control"),
            contact_date=chosen.get("contact_date"),
            margin=chosen.get("margin", margin),
            cost_per_contact=chosen.get("cost"),
            method=chosen.get("ci", "welch"),
            lang=lang,
        )
    programme = config.loyalty
    if programme.get("file"):
        side.loyalty = loyalty(
            data,
            programme["file"],
            window=_window(programme.get("window"), LOYALTY_WINDOW),
            margin=programme.get("margin", margin),
            point_value=programme.get("point_value"),
            programme_cost=programme.get("programme_cost"),
            lang=lang,
        )
    if config.complaints:
        side.feedback = feedback(
            complaints if complaints is not None else config.complaints,
            data,
            as_of=as_of,
            window=_window(config.feedback.get("window"), FEEDBACK_WINDOW),
            top_terms=int(config.feedback.get("terms", 10)),
            lang=lang,
        )
    return side


def add_effect_sheets(book, side: EffectSide, *, customers=None) -> None:
    """The Economics sheet, then the Campaign, Loyalty and Feedback sheets of the analyses that ran."""
    from crmkit.report.sheets.campaign import add_campaign_sheets, add_loyalty_sheets
    from crmkit.report.sheets.economics import add_economics_sheets
    from crmkit.report.sheets.feedback import add_feedback_sheets

    if side.economics is not None:
        add_economics_sheets(book, side.economics, customers=customers)
    if side.campaign is not None:
        add_campaign_sheets(book, side.campaign, customers=customers)
    if side.loyalty is not None:
        add_loyalty_sheets(book, side.loyalty, customers=customers)
    if side.feedback is not None:
        add_feedback_sheets(book, side.feedback, customers=customers)
