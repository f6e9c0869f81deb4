"""``crmkit economics`` on the terminal: the economics table with its formulas, then cost to serve per segment.

The same fitting as :mod:`crmkit.report.terminal` (:func:`~crmkit.report.terminal._show`): numbers
formatted by their unit (counts with thousands separators, money with two decimals, shares as %,
ratios as ``1.71×``), labels in the result's language, the formula column wrapped (and the first
left out, with a note on stderr, on a terminal too narrow for it). Rows of costs that were not
given are left out; a value that cannot be computed shows as ``n/a``.
"""

from __future__ import annotations

import math

from crmkit.report.i18n import label
from crmkit.report.terminal import _SEE_CSV, _col, _console, _note, _num, _show

__all__ = ["format_value", "render_economics", "shown_rows"]

# rows shown only when their cost was given (without it they are all n/a)
_COST_ROWS = {
    "acquisition_cost": ("acquisition_cost",),
    "acquisition_spend": ("acquisition_cost",),
    "margin_new_after_acquisition": ("acquisition_cost",),
    "retention_cost": ("retention_cost",),
    "retention_spend": ("retention_cost",),
    "cost_ratio": ("acquisition_cost", "retention_cost"),
    "retention_point_value_net": ("retention_cost",),
}


def format_value(value, unit: str) -> str:
    """A table value for reading: ``n/a`` when missing, else by its unit.

    Examples
    --------
    >>> format_value(1234.5, "money"), format_value(0.3319, "share"), format_value(1.7071, "ratio")
    ('1,234.50', '33.2%', '1.71×')
    >>> format_value(float("nan"), "count")
    'n/a'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "ratio":
        return f"{value:,.2f}×"
    return f"{value:,.2f}"


def shown_rows(result):
    """The table's rows to show: those of costs not given are left out (their values are all n/a)."""
    given = result.settings
    keep = [
        all(given.get(cost) is not None for cost in _COST_ROWS.get(metric, ())) for metric in result.table["metric"]
    ]
    return result.table[keep]


def render_economics(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """The economics table (:func:`crmkit.economics.economics`): each metric, its value and formula;
    then, per RFM segment, orders, revenue, margin and (when costs were given) the cost to serve."""
    console = console or _console()
    rows = shown_rows(result)
    names = (
        [str(v) for v in rows["label"]]
        if lang == result.lang
        else [label(f"economics:{m}", lang) for m in rows["metric"]]
    )
    cols = [
        _col("economics:metric", lang, names, numeric=False),
        _col("economics:value", lang, [format_value(v, u) for v, u in zip(rows["value"], rows["unit"])]),
        _col("economics:formula", lang, [str(f) for f in rows["formula"]], numeric=False, drop=1),
    ]
    period = f"{result.headline['period_start']} .. {result.headline['period_end']}"
    title = f"{label('title:economics_table', lang)} {period}"
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)

    s = result.segments
    if not len(s):
        return
    costs = bool(s["cost_to_serve"].notna().any())
    cols = [
        _col("economics:segment_label", lang, [str(v) for v in s["segment_label"]], numeric=False),
        _col("economics:customers_segment", lang, [f"{v:,}" for v in s["customers"]], drop=3),
        _col("economics:orders", lang, [f"{v:,}" for v in s["orders"]], drop=4),
        _col("economics:segment_revenue", lang, [_num(v, ",.0f") for v in s["revenue"]], drop=2),
        _col("economics:segment_margin", lang, [_num(v, ",.0f") for v in s["margin"]]),
    ]
    if costs:
        per_customer = [_num(v, ",.2f") for v in s["margin_after_serving_per_customer"]]
        cols += [
            _col("economics:cost_to_serve", lang, [_num(v, ",.0f") for v in s["cost_to_serve"]]),
            _col("economics:margin_after_serving", lang, [_num(v, ",.0f") for v in s["margin_after_serving"]]),
            _col("economics:margin_after_serving_per_customer", lang, per_customer, drop=5),
        ]
    cols.append(_col("economics:margin_share", lang, [_num(v, ".1%") for v in s["margin_share"]], drop=1))
    if costs and s["unprofitable"].any():
        flag = label("economics:yes", lang)
        cols.append(_col("economics:unprofitable", lang, [flag if v else "" for v in s["unprofitable"]], numeric=False))
    title = label("title:economics_segments" if costs else "title:economics_margin_segments", lang)
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)
