"""Error raised when a customer-lifetime-value model cannot be fitted.

Kept beside the models for now; it belongs in :mod:`crmkit.errors` with the other error
types (exit code 5, like :class:`crmkit.errors.DataError`: the data, not the command, is the
problem).
"""

from __future__ import annotations

from crmkit.errors import CrmkitError


class FitError(CrmkitError):
    """A model's maximum-likelihood fit failed or ran to a boundary; the message says what to try."""

    exit_code = 5
