"""Deprecated location of the purchase reader: use :mod:`crmkit.io` (or ``crmkit.read_purchases``).

Kept for one release because the 0.1 README documented ``from crmkit.data import read_purchases``.
"""

import warnings

from crmkit.io.inputs import read_members, read_referrals, read_survey
from crmkit.io.purchases import PurchaseData, read_purchases

warnings.warn(
    "crmkit.data is deprecated; import from crmkit.io (or use crmkit.read_purchases)", DeprecationWarning, stacklevel=2
)

__all__ = ["PurchaseData", "read_members", "read_purchases", "read_referrals", "read_survey"]
