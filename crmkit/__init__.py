"""crmkit: customer-relationship analytics from ordinary purchase and survey exports.

The library is layered the way the analysis is: :mod:`crmkit.io.purchases` reads and cleans an
export into a transactions frame, :mod:`crmkit.summary` turns transactions into one row
per customer, and the models (:mod:`crmkit.segment`, :mod:`crmkit.pareto`, ...) consume
that summary. Nothing heavy is imported here so that ``crmkit --help`` stays fast.
"""

__version__ = "0.1.0"
