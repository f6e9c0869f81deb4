"""RFM scoring and rule-based segmentation of a customer summary.

(Implementation in progress: the dataclass below is the stable interface.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from crmkit.pareto import ParetoResult


@dataclass
class SegmentResult:
    """Everything ``crmkit segment`` computes.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer. Columns, in this order: ``customer_id, recency_days, frequency,
        monetary, r_score, f_score, m_score, segment, pareto_class, rfm_score, segment_label,
        action, first_purchase, last_purchase, tenure_days, avg_order_value, gross_revenue,
        returns`` and ``cluster`` when clustering was asked for. ``first_purchase`` and
        ``last_purchase`` are ``datetime64`` dates; scores are int 1..bins; ``segment`` is a
        stable key (``champions``), ``segment_label``/``action`` are in the result's language.
    segments : pandas.DataFrame
        One row per segment of the scheme, in scheme order: ``segment, segment_label, customers,
        customer_share, revenue, revenue_share, mean_recency_days, mean_frequency,
        mean_monetary, action``.
    pareto : ParetoResult
    clusters : pandas.DataFrame or None
        With ``--clusters K``: ``cluster, customers, customer_share, revenue, revenue_share,
        mean_recency_days, mean_frequency, mean_monetary``.
    silhouette : float or None
    headline : dict
        ``customers, revenue, repeat_customer_rate, top20_share, gini, as_of`` (plain Python values).
    as_of : datetime.date
    scheme : str
    bins : int
    lang : str
    """

    customers: pd.DataFrame
    segments: pd.DataFrame
    pareto: ParetoResult
    as_of: date
    scheme: str
    bins: int
    lang: str = "en"
    clusters: pd.DataFrame | None = None
    silhouette: float | None = None
    headline: dict = field(default_factory=dict)
