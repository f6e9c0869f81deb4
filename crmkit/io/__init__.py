"""Reading and cleaning: exports in, typed tables out (the lowest layer of crmkit).

:func:`read_purchases` reads a purchase export (or a table) into :class:`PurchaseData`;
:mod:`crmkit.io.inputs` reads surveys, member lists and referrals; :mod:`crmkit.io.attributes`
who each customer is (gender, age, region, tier …); :mod:`crmkit.io.options`
checks the values a caller hands the library. Nothing here knows about customers, models or
reports. Names are loaded on first use, so importing one module of the layer stays cheap.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "PurchaseData": "crmkit.io.purchases",
    "read_purchases": "crmkit.io.purchases",
    "as_purchases": "crmkit.io.purchases",
    "ReadOptions": "crmkit.io.options",
    "as_date": "crmkit.io.options",
    "read_members": "crmkit.io.inputs",
    "read_attributes": "crmkit.io.attributes",
    "read_referrals": "crmkit.io.inputs",
    "read_survey": "crmkit.io.inputs",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'crmkit.io' has no attribute {name!r}")
