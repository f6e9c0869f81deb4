"""The customer-side commands on the terminal: ``crmkit care``, ``preferences`` and ``recommend``.

The same fitting as :mod:`crmkit.report.terminal` (:func:`~crmkit.report.terminal.render_frame`):
numbers rounded for reading, labels in the result's language, at most a screenful of rows with a
note on stderr saying how to see them all (``-f csv``).
"""

from __future__ import annotations

from crmkit.report.i18n import LABELS, label
from crmkit.report.messages import say
from crmkit.report.terminal import _SEE_CSV, _col, _console, _labelled, _note, _num, _show, render_frame

__all__ = ["render_care", "render_preferences", "render_recommendations"]

#: Rows a terminal table shows before it says how to see the rest.
SCREEN_ROWS = 20


def _more(shown: int, total: int, what: str, quiet: bool) -> None:
    if total > shown and not quiet:
        say(f"crmkit: note: {total - shown:,} more {what} not shown: use -f csv (or -o FILE.xlsx)")


def _text(value, lang: str) -> str:
    """A key's label in ``lang`` when the catalogue has it, else the value as it is (blank for missing)."""
    if value is None or value != value:
        return ""
    return label(value, lang) if isinstance(value, str) and value in LABELS else str(value)


def render_care(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """The care calendar (:func:`crmkit.care.care_calendar`): counts by kind, then the first occasions."""
    import pandas as pd

    console = console or _console()
    counts = pd.DataFrame(
        {
            "care:kind": [_text(f"care:kind:{kind}", lang) for kind in result.counts],
            "customers": [f"{n:,}" for n in result.counts.values()],
        }
    )
    window = f"{result.start.isoformat()} .. {result.end.isoformat()}"
    render_frame(_labelled(counts, lang), lang, title=f"{label('title:care', lang)} {window}", console=console)
    rows = result.occasions.head(SCREEN_ROWS)
    cols = [
        _col("customer_id", lang, [str(v) for v in rows["customer_id"]], numeric=False),
        _col("care:date", lang, [d.date().isoformat() for d in rows["date"]], numeric=False),
        _col("care:kind", lang, [str(v) for v in rows["kind_label"]], numeric=False),
        _col("care:years", lang, [str(int(y)) for y in rows["years"]], drop=3),
        _col("rung_label", lang, [str(v) for v in rows["rung_label"]], numeric=False, drop=2),
        _col("segment_label", lang, [_text(v, lang) for v in rows["segment_label"]], numeric=False, drop=1),
        _col("care:action", lang, [str(v) for v in rows["action_label"]], numeric=False),
    ]
    title = label("care:occasions", lang)
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    _more(len(rows), len(result.occasions), "occasion(s)", quiet)


def render_preferences(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """Preferences (:func:`crmkit.preferences.preferences`): per segment, categories bought together, price bands."""
    console = console or _console()
    s = result.segments
    cols = [
        _col("segment_label", lang, [str(v) for v in s["segment_label"]], numeric=False),
        _col("customers", lang, [f"{v:,}" for v in s["customers"]]),
        _col("preferences:spend_share", lang, [_num(v, ".1%") for v in s["spend_share"]]),
        _col("preferences:omnichannel_rate", lang, [_num(v, ".1%") for v in s["omnichannel_rate"]], drop=2),
        _col("preferences:mean_price_index", lang, [_num(v, ".0f") for v in s["mean_price_index"]], drop=3),
        _col("preferences:discount_spend_share", lang, [_num(v, ".1%") for v in s["discount_spend_share"]], drop=1),
        _col("preferences:deal_seeker_rate", lang, [_num(v, ".1%") for v in s["deal_seeker_rate"]], drop=4),
    ]
    title = label("title:preferences_segments", lang)
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    pairs = result.affinity.head(10)
    if len(pairs):
        cols = [
            _col("preferences:category_a", lang, [_text(v, lang) for v in pairs["category_a"]], numeric=False),
            _col("preferences:category_b", lang, [_text(v, lang) for v in pairs["category_b"]], numeric=False),
            _col("lift", lang, [_num(v, ".2f") for v in pairs["lift"]]),
            _col("preferences:confidence_a_b", lang, [_num(v, ".1%") for v in pairs["confidence_a_b"]]),
            _col("preferences:support", lang, [_num(v, ".1%") for v in pairs["support"]], drop=2),
            _col("preferences:q_value", lang, [_num(v, ".2g") for v in pairs["q_value"]], drop=1),
        ]
        title = label("title:preferences_affinity", lang)
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)
        _more(len(pairs), len(result.affinity), "pair(s)", quiet)
    bands = result.price_bands
    if len(bands):
        cols = [
            _col("preferences:band", lang, [str(v) for v in bands["band"]]),
            _col(
                "preferences:price_range", lang, [f"{a:,.2f}–{b:,.2f}" for a, b in zip(bands["lower"], bands["upper"])]
            ),
            _col("preferences:line_share", lang, [_num(v, ".1%") for v in bands["line_share"]]),
            _col("preferences:spend_share", lang, [_num(v, ".1%") for v in bands["spend_share"]]),
            _col("customers", lang, [f"{v:,}" for v in bands["customers"]], drop=1),
        ]
        title = label("title:preferences_price_bands", lang)
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)


def render_recommendations(result, evaluation, lang: str, *, console=None, quiet: bool = False) -> None:
    """Recommendations (:func:`crmkit.recommend.recommend`): the evaluation when run, then the first lists."""
    console = console or _console()
    if evaluation is not None:
        e = evaluation.rows()
        cols = [
            _col("recommend:method", lang, [str(v) for v in e["method"]], numeric=False),
            _col("customers", lang, [f"{v:,}" for v in e["customers"]]),
            _col("recommend:hit_rate", lang, [_num(v, ".3f") for v in e["hit_rate"]]),
            _col("recommend:ndcg", lang, [_num(v, ".3f") for v in e["ndcg"]]),
        ]
        title = label("title:recommend_evaluation", lang).format(n=evaluation.n)
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    rows = result.rows()
    first = rows[rows["customer_id"].isin(rows["customer_id"].drop_duplicates().head(SCREEN_ROWS // 4))]
    cols = [
        _col("customer_id", lang, [str(v) for v in first["customer_id"]], numeric=False),
        _col("recommend:rank", lang, [str(v) for v in first["rank"]]),
        _col("recommend:item", lang, [str(v) for v in first["item"]], numeric=False),
        _col("recommend:source", lang, [_text(f"recommend:source:{v}", lang) for v in first["source"]], numeric=False),
        _col("recommend:reason", lang, [str(v) for v in first["reason"]], numeric=False),
    ]
    title = label("title:recommendations", lang)
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    _more(first["customer_id"].nunique(), rows["customer_id"].nunique(), "customers' lists", quiet)
