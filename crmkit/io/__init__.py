"""Reading and cleaning: exports in, typed tables out (the lowest layer of crmkit).

:func:`read_purchases` reads a purchase export into :class:`PurchaseData`;
:mod:`crmkit.io.inputs` reads surveys, member lists and referrals. Nothing here knows about
customers, models or reports.
"""

from crmkit.io.inputs import read_members, read_referrals, read_survey
from crmkit.io.purchases import PurchaseData, read_purchases

__all__ = ["PurchaseData", "read_members", "read_purchases", "read_referrals", "read_survey"]
