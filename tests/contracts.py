"""Stable output contracts, written out once for the tests (never taken from the code they check)."""

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: The bundled examples' survey, members and referrals as options of ``crmkit report`` / ``ladder``.
MONTHLY_INPUTS = [
    "--survey", str(EXAMPLES / "survey.csv"), "--members", str(EXAMPLES / "members.csv"),
    "--referrals", str(EXAMPLES / "referrals.csv"),
]  # fmt: skip

#: ``crmkit segment``'s per-customer columns, in order (README, "Per-customer columns (stable)").
SEGMENT_CUSTOMER_COLUMNS = [
    "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment",
    "pareto_class", "rfm_score", "segment_label", "action", "first_purchase", "last_purchase", "tenure_days",
    "avg_order_value", "gross_revenue", "returns",
]  # fmt: skip
