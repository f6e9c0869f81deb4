"""``crmkit feedback`` on the terminal: the headline, volume and resolution, outcomes, lost revenue, terms.

Tables are fitted as in :mod:`crmkit.report.terminal` (:func:`~crmkit.report.terminal._show`):
numbers rounded for reading, labels in the result's language, columns left out at a narrow
width named on stderr.
"""

from __future__ import annotations

from crmkit.report.i18n import label
from crmkit.report.terminal import _SEE_CSV, _col, _console, _note, _num, _show, render_frame

__all__ = ["render_feedback"]

#: Terms shown per category.
TERMS_SHOWN = 5


def _interval(value, low, high, spec: str) -> str:
    """``value (low–high)``; the value alone when the interval is missing."""
    main = _num(value, spec)
    if not main or low != low or high != high or low is None:
        return main
    return f"{main} ({_num(low, spec)}–{_num(high, spec)})"


def _headline(result, lang: str) -> list[tuple[str, str]]:
    h = result.headline
    rows = [
        ("feedback:complaints", f"{h['complaints']:,}"),
        ("feedback:complainers", f"{h['complainers']:,}"),
        ("feedback:period", f"{h['first_complaint'] or ''} .. {h['last_complaint'] or ''}"),
        ("feedback:resolved_share", _num(h["resolved_share"], ".1%")),
        ("feedback:median_days", _num(h["median_days"], ".1f")),
        ("feedback:p90_days", _num(h["p90_days"], ".1f")),
        ("feedback:repeat_share", _num(h["repeat_share"], ".1%")),
    ]
    if "complaints_per_1000" in h:
        rows += [
            ("feedback:complaints_per_1000", _num(h["complaints_per_1000"], ".1f")),
            *(
                (f"feedback:retention_{g}", _num(h[f"retention_{g}"], ".1%"))
                for g in ("resolved", "unresolved", "never")
            ),
            ("feedback:window_days", str(h["window_days"])),
        ]
    return [(label(k, lang), v) for k, v in rows]


def _volume(console, table, key: str, title_key: str, lang: str, quiet: bool) -> None:
    if not len(table):
        return
    cols = [
        _col(f"feedback:{key}", lang, [str(v) for v in table[key]], numeric=False),
        _col("feedback:complaints", lang, [f"{v:,}" for v in table["complaints"]]),
        _col("feedback:complainers", lang, [f"{v:,}" for v in table["complainers"]], drop=3),
        _col("feedback:share", lang, [_num(v, ".1%") for v in table["share"]], drop=2),
        _col("feedback:resolved_share", lang, [_num(v, ".1%") for v in table["resolved_share"]]),
        _col("feedback:median_days", lang, [_num(v, ".1f") for v in table["median_days"]]),
        _col("feedback:p90_days", lang, [_num(v, ".1f") for v in table["p90_days"]], drop=1),
    ]
    title = label(title_key, lang)
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)


def render_feedback(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """The feedback analysis (:func:`crmkit.feedback.feedback`) as tables on the terminal."""
    import pandas as pd

    console = console or _console()
    head = pd.DataFrame(_headline(result, lang), columns=["item", "value"])
    render_frame(head, lang, title=f"{label('title:feedback', lang)} ({result.as_of.isoformat()})", console=console)
    _volume(console, result.by_category, "category", "title:feedback_by_category", lang, quiet)
    _volume(console, result.by_channel, "channel", "title:feedback_by_channel", lang, quiet)
    _volume(console, result.by_month, "month", "title:feedback_by_month", lang, quiet)
    if result.rates is not None and len(result.rates):
        r = result.rates
        cols = [
            _col("feedback:segment", lang, [str(v) for v in r["segment_label"]], numeric=False),
            _col("feedback:customers", lang, [f"{v:,}" for v in r["customers"]]),
            _col("feedback:complaints", lang, [f"{v:,}" for v in r["complaints"]], drop=2),
            _col("feedback:complaints_per_1000", lang, [_num(v, ".1f") for v in r["complaints_per_1000"]]),
            _col("feedback:complainers_per_1000", lang, [_num(v, ".1f") for v in r["complainers_per_1000"]], drop=1),
        ]
        title = label("title:feedback_rates", lang)
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    if result.outcomes is not None and len(result.outcomes):
        o = result.outcomes
        cols = [
            _col("feedback:group", lang, [label(f"feedback:group:{g}", lang) for g in o["group"]], numeric=False),
            _col("feedback:customers", lang, [f"{v:,}" for v in o["customers"]]),
            _col("feedback:retention", lang, [_interval(a, b, c, ".1%") for a, b, c in
                                              o[["retention", "retention_low", "retention_high"]].values]),
            _col("feedback:spend_per_customer", lang, [_interval(a, b, c, ",.2f") for a, b, c in
                                                       o[["spend_per_customer", "spend_low", "spend_high"]].values],
                 drop=2),
            _col("feedback:retention_diff", lang, [_interval(a, b, c, "+.1%") for a, b, c in
                                                   o[["retention_diff", "retention_diff_low",
                                                      "retention_diff_high"]].values], drop=1),
        ]  # fmt: skip
        title = label("title:feedback_outcomes", lang)
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    if result.lost_revenue is not None and len(result.lost_revenue):
        lost = result.lost_revenue
        cols = [
            _col("feedback:category", lang, [str(v) for v in lost["category"]], numeric=False),
            _col("feedback:complainers", lang, [f"{v:,}" for v in lost["complainers"]], drop=2),
            _col("feedback:churn_rate", lang, [_num(v, ".1%") for v in lost["churn_rate"]]),
            _col("feedback:lost_revenue", lang, [_num(v, ",.2f") for v in lost["lost_revenue"]]),
            _col("feedback:excess_lost_revenue", lang, [_num(v, ",.2f") for v in lost["excess_lost_revenue"]], drop=1),
        ]
        title = label("title:feedback_lost_revenue", lang)
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    if len(result.terms):
        groups = result.terms.groupby("category", sort=False)
        cols = [
            _col("feedback:category", lang, [str(c) for c, _ in groups], numeric=False),
            _col(
                "feedback:term",
                lang,
                [
                    ", ".join(f"{t} ({n})" for t, n in zip(g["term"].head(TERMS_SHOWN), g["complaints"]))
                    for _, g in groups
                ],
                numeric=False,
            ),
        ]
        title = label("title:feedback_terms", lang)
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)
