"""``crmkit campaign`` on the terminal: the evidence in words, then effects, economics, segments, power.

Fitted like every table (:func:`crmkit.report.terminal._show`): numbers rounded for reading (rates
as percentages, money with two decimals), an interval as ``low … high``, labels in the result's
language, columns left out on a narrow terminal said on stderr.
"""

from __future__ import annotations

import pandas as pd

from crmkit.report.i18n import LABELS, label
from crmkit.report.terminal import _SEE_CSV, _col, _console, _note, _num, _show, render_frame

__all__ = ["render_campaign", "render_loyalty"]

_RATES = ("conversion", "retention", "upgrade")


def _word(family: str, value, lang: str) -> str:
    key = f"campaign:{family}:{value}"
    return label(key, lang) if key in LABELS else ("" if value is None else str(value))


def _spec(metric: str) -> str:
    return ".1%" if metric in _RATES else ",.2f"


def _ci(low, high, spec: str) -> str:
    return "" if low is None or low != low or high != high else f"{format(low, spec)} … {format(high, spec)}"


def _p(value) -> str:
    return "" if value is None or value != value else ("<0.001" if value < 0.001 else f"{value:.3f}")


def _pairs(rows, lang: str, title: str, console) -> None:
    frame = pd.DataFrame({"item": [label(k, lang) for k, _ in rows], "value": [v for _, v in rows]})
    render_frame(
        frame.rename(columns={"item": label("campaign:measure", lang), "value": ""}), lang, title=title, console=console
    )


def render_campaign(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """The campaign's effects (:func:`crmkit.campaign.campaign`), with the kind of evidence first."""
    console = console or _console()
    head = result.headline
    _pairs(
        [
            ("campaign:evidence", _word("evidence", result.evidence, lang)),
            ("campaign:customers", f"{head.get('customers', 0):,}"),
            ("campaign:versus", result.control or _word("role", "matched", lang)),
            ("campaign:data_last_day", head.get("data_last_day") or ""),
        ],
        lang,
        label("title:campaign", lang),
        console,
    )
    for window in result.windows:
        rows = result.effects[result.effects["window"] == window]
        specs = [_spec(m) for m in rows["metric"]]
        cols = [
            _col("campaign:arm", lang, [str(v) for v in rows["arm"]], numeric=False, drop=1),
            _col("campaign:metric", lang, [_word("metric", v, lang) for v in rows["metric"]], numeric=False),
            _col(
                "campaign:adjustment",
                lang,
                [_word("adjustment", v, lang) for v in rows["adjustment"]],
                numeric=False,
                drop=2,
            ),
            _col("campaign:treated", lang, [_num(v, s) for v, s in zip(rows["treated"], specs)], drop=3),
            _col("campaign:control", lang, [_num(v, s) for v, s in zip(rows["control"], specs)], drop=3),
            _col("campaign:difference", lang, [_num(v, s) for v, s in zip(rows["difference"], specs)]),
            _col("campaign:interval", lang, [_ci(a, b, s) for a, b, s in zip(rows["ci_low"], rows["ci_high"], specs)]),
            _col("campaign:p_value", lang, [_p(v) for v in rows["p_value"]]),
        ]
        title = f"{label('title:campaign_effects', lang)} — {window}"
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    econ = result.economics
    if len(econ):
        cols = [
            _col("campaign:window", lang, [str(v) for v in econ["window"]], numeric=False),
            _col("campaign:arm", lang, [str(v) for v in econ["arm"]], numeric=False),
            _col("campaign:incremental_revenue", lang, [_num(v, ",.0f") for v in econ["incremental_revenue"]]),
            _col(
                "campaign:interval",
                lang,
                [
                    _ci(a, b, ",.0f")
                    for a, b in zip(econ["incremental_revenue_ci_low"], econ["incremental_revenue_ci_high"])
                ],
                drop=2,
            ),
            _col("campaign:incremental_profit", lang, [_num(v, ",.0f") for v in econ["incremental_profit"]], drop=1),
            _col("campaign:cost", lang, [_num(v, ",.0f") for v in econ["cost"]]),
            _col("campaign:roi", lang, [_num(v, ".0%") for v in econ["roi"]]),
        ]
        title = label("title:campaign_economics", lang)
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    seg = result.segments
    if len(seg):
        first = seg[seg["window"] == result.windows[0]]
        cols = [
            _col("campaign:arm", lang, [str(v) for v in first["arm"]], numeric=False, drop=1),
            _col(
                "campaign:segment_label",
                lang,
                [("* " if big else "") + str(v) for v, big in zip(first["segment_label"], first["largest"])],
                numeric=False,
            ),
            _col("campaign:n_treated", lang, [f"{v:,}" for v in first["n_treated"]], drop=2),
            _col("campaign:conversion_difference", lang, [_num(v, ".1%") for v in first["conversion_difference"]]),
            _col(
                "campaign:interval",
                lang,
                [_ci(a, b, ".1%") for a, b in zip(first["conversion_ci_low"], first["conversion_ci_high"])],
                drop=3,
            ),
            _col("campaign:revenue_difference", lang, [_num(v, ",.2f") for v in first["revenue_difference"]]),
        ]
        title = f"{label('title:campaign_segments', lang)} — {result.windows[0]}"
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)
    power = result.power
    if len(power):
        first = power[power["window"] == result.windows[0]]
        specs = [_spec(m) for m in first["metric"]]

        def count(v) -> str:
            return "" if v is None or pd.isna(v) else f"{int(v):,}"

        cols = [
            _col("campaign:arm", lang, [str(v) for v in first["arm"]], numeric=False, drop=1),
            _col("campaign:metric", lang, [_word("metric", v, lang) for v in first["metric"]], numeric=False),
            _col("campaign:mde", lang, [_num(v, s) for v, s in zip(first["mde"], specs)]),
            _col("campaign:n_per_arm_observed", lang, [count(v) for v in first["n_per_arm_observed"]]),
            _col("campaign:n_per_arm_target", lang, [count(v) for v in first["n_per_arm_target"]], drop=2),
        ]
        title = f"{label('title:campaign_power', lang)} — {result.windows[0]}"
        _note(title, _show(console, title, cols), _SEE_CSV, quiet)


def render_loyalty(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """The loyalty programme (:func:`crmkit.loyalty.loyalty`): points, members against matches, money."""
    console = console or _console()
    s = result.summary.iloc[0]
    _pairs(
        [
            ("campaign:evidence", _word("evidence", "matched", lang)),
            ("campaign:members", f"{int(s['members']):,}"),
            ("campaign:matched", f"{int(s['matched']):,}"),
            ("campaign:redemption_rate", _num(s["redemption_rate"], ".1%")),
            ("campaign:breakage", _num(s["breakage"], ".1%")),
            ("campaign:expired_share", _num(s["expired_share"], ".1%")),
            ("campaign:incremental_margin", _num(s["incremental_margin"], ",.2f")),
            ("campaign:cost", _num(s["cost"], ",.2f")),
            ("campaign:net", _num(s["net"], ",.2f")),
            ("campaign:roi", _num(s["roi"], ".0%")),
        ],
        lang,
        label("title:loyalty", lang),
        console,
    )
    rows = result.effects
    specs = [".1%" if m == "conversion" else ",.2f" for m in rows["metric"]]
    cols = [
        _col("campaign:metric", lang, [_word("metric", v, lang) for v in rows["metric"]], numeric=False),
        _col("campaign:members_before", lang, [_num(v, s) for v, s in zip(rows["members_before"], specs)], drop=1),
        _col("campaign:members_after", lang, [_num(v, s) for v, s in zip(rows["members_after"], specs)], drop=1),
        _col("campaign:matches_before", lang, [_num(v, s) for v, s in zip(rows["matches_before"], specs)], drop=2),
        _col("campaign:matches_after", lang, [_num(v, s) for v, s in zip(rows["matches_after"], specs)], drop=2),
        _col("campaign:difference", lang, [_num(v, s) for v, s in zip(rows["difference"], specs)]),
        _col("campaign:interval", lang, [_ci(a, b, s) for a, b, s in zip(rows["ci_low"], rows["ci_high"], specs)]),
        _col("campaign:p_value", lang, [_p(v) for v in rows["p_value"]]),
    ]
    title = f"{label('title:loyalty_effects', lang)} — {result.window}"
    _note(title, _show(console, title, cols), _SEE_CSV, quiet)
