"""``crmkit clv --model sbg`` on the terminal: the fit per cohort, the projection, the top customers.

Fitted like the other tables (:func:`crmkit.report.terminal._show`): labels in the chosen
language, shares as %, values with two decimals, a column that does not fit left out with a note.
"""

from __future__ import annotations

from crmkit.report.i18n import label
from crmkit.report.messages import say
from crmkit.report.terminal import _SEE_CSV, _Col, _col, _console, _note, _num, _show

__all__ = ["render_contract"]

_TOP = 20


def _pct(value) -> str:
    return _num(value, ".1%")


def render_contract(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """The sBG fit per cohort, the survival projection (every period to the horizon's first 13 and
    the last), and for subscriber rows the active customers with the highest residual value."""
    console = console or _console()
    f = result.fit
    cols = [
        _col("contract:cohort", lang, [str(v) for v in f["cohort"]], numeric=False),
        _col("contract:customers", lang, [f"{v:,.0f}" for v in f["customers"]]),
        _col("contract:alpha", lang, [f"{a:.3f} ({s:.3f})" for a, s in zip(f["alpha"], f["alpha_se"])]),
        _col("contract:beta", lang, [f"{b:.3f} ({s:.3f})" for b, s in zip(f["beta"], f["beta_se"])]),
        _col("contract:log_likelihood", lang, [_num(v, ",.2f") for v in f["log_likelihood"]], drop=3),
        _col("contract:mean_churn", lang, [_pct(v) for v in f["mean_churn"]], drop=2),
        _col("contract:del", lang, [_num(v, ",.2f") for v in f["del"]], drop=1),
        _col("contract:new_customer_value", lang, [_num(v, ",.2f") for v in f["new_customer_value"]]),
    ]
    title = label("title:contract_fit", lang)
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)

    p = result.projection
    last = p.groupby("cohort")["period"].transform("max")
    skipped = p[(p["period"] > 12) & (p["period"] < last)]
    p = p[(p["period"] <= 12) | (p["period"] == last)]
    cols = [
        _col("contract:cohort", lang, [str(v) for v in p["cohort"]], numeric=False),
        _col("contract:period", lang, [str(v) for v in p["period"]]),
        _col("contract:actual", lang, [_pct(v) for v in p["actual"]]),
        _col("contract:survival", lang, [_pct(v) for v in p["survival"]]),
    ]
    if "survival_low" in p:
        band = [f"{_pct(lo)} – {_pct(hi)}" for lo, hi in zip(p["survival_low"], p["survival_high"])]
        cols.append(_Col(f"{label('contract:survival', lang)} {result.settings['interval']:.0%}", band, drop=2))
    cols.append(_col("contract:retention", lang, [_pct(v) for v in p["retention"]], drop=1))
    title = label("title:contract_projection", lang)
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    if len(skipped) and not quiet:
        # the table jumps from period 12 to the horizon's last: say so, or the jump reads as a gap
        lo, hi = int(skipped["period"].min()), int(skipped["period"].max())
        say(f"crmkit: note: {title}: periods {lo} to {hi} not shown: use --view projection -f csv")

    c = result.customers
    if c is None or not len(c):
        return
    c = c.head(_TOP)
    cols = [
        _col("contract:customer_id", lang, [str(v) for v in c["customer_id"]], numeric=False),
        _col("contract:cohort", lang, [str(v) for v in c["cohort"]], numeric=False, drop=2),
        _col("contract:renewals", lang, [str(v) for v in c["renewals"]]),
        _col("contract:p_renew_next", lang, [_pct(v) for v in c["p_renew_next"]]),
        _col("contract:derl", lang, [_num(v, ",.2f") for v in c["derl"]], drop=1),
        _col("contract:residual_value", lang, [_num(v, ",.2f") for v in c["residual_value"]]),
    ]
    title = label("title:contract_customers", lang)
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)
