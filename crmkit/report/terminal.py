"""Tables on the terminal: what ``--format table`` prints for each command (rich).

Numbers are rounded for reading; the exact values are in the csv / json / parquet / xlsx
outputs. Labels follow the result's language.
"""

from __future__ import annotations

import sys

from crmkit.report.i18n import label

__all__ = ["render_clv", "render_ladder", "render_retention", "render_satisfaction", "render_segments"]


def _console():
    """A console on stdout; a pipe or a file gets the whole table, not one folded to a guessed 80 columns."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 200)


def render_segments(result) -> None:
    from rich.table import Table

    lang = result.lang
    console = _console()
    table = Table(title=label("sheet:segments", lang))
    for key in (
        "segment_label",
        "customers",
        "customer_share",
        "revenue",
        "revenue_share",
        "mean_recency_days",
        "mean_frequency",
        "mean_monetary",
    ):
        table.add_column(label(key, lang), justify="left" if key == "segment_label" else "right")
    for row in result.segments.itertuples():

        def num(v, spec):
            return "" if v != v else format(v, spec)

        table.add_row(
            row.segment_label,
            f"{row.customers:,}",
            f"{row.customer_share:.1%}",
            f"{row.revenue:,.2f}",
            f"{row.revenue_share:.1%}",
            num(row.mean_recency_days, ",.0f"),
            num(row.mean_frequency, ".2f"),
            num(row.mean_monetary, ",.2f"),
        )
    console.print(table)
    h = result.headline
    console.print(
        f"{label('customers', lang)} {h['customers']:,} · {label('revenue', lang)} {h['revenue']:,.2f} · "
        f"{label('repeat_customer_rate', lang)} {h['repeat_customer_rate']:.1%} · "
        f"{label('top20_share', lang)} {h['top20_share']:.1%} · {label('gini', lang)} {h['gini']:.3f} · "
        f"{label('as_of', lang)} {h['as_of']}"
        + (f" · silhouette {result.silhouette:.3f}" if result.silhouette is not None else "")
    )


def render_clv(result, lang: str) -> None:
    from rich.table import Table

    console = _console()
    model = result.model
    if "params" in model:
        params = ", ".join(f"{k} = {v:.4g}" for k, v in model["params"].items())
        console.print(
            f"{model['model']}: {params}; log-likelihood {model['log_likelihood']:,.1f}; "
            f"{'converged' if model['converged'] else 'NOT converged'}"
        )
    table = Table(title=label("sheet:clv_deciles", lang))
    for key in ("clv_decile", "customers", "clv_total", "clv_mean", "clv_share"):
        table.add_column(label(key, lang), justify="right")
    for row in result.deciles.itertuples():
        table.add_row(
            str(row.clv_decile),
            f"{row.customers:,}",
            f"{row.clv_total:,.2f}",
            f"{row.clv_mean:,.2f}",
            f"{row.clv_share:.1%}",
        )
    console.print(table)
    if result.holdout is not None:
        h = result.holdout
        groups = Table(title=f"{label('title:holdout', lang)} {h.calibration_end}..{h.end}")
        for key in ("frequency_group", "customers", "actual_mean", "expected_mean", "actual_total", "expected_total"):
            groups.add_column(label(key, lang), justify="right")
        for row in h.by_frequency.itertuples():
            groups.add_row(
                str(row.frequency_group),
                f"{row.customers:,}",
                f"{row.actual_mean:.3f}",
                f"{row.expected_mean:.3f}",
                f"{row.actual_total:,.0f}",
                f"{row.expected_total:,.1f}",
            )
        console.print(groups)
        console.print(
            f"{label('total_actual', lang)} {h.total_actual:,.0f} · {label('total_expected', lang)} "
            f"{h.total_expected:,.1f} · {label('holdout_error', lang)} {h.error:+.1%}"
        )


def render_satisfaction(result, lang: str) -> None:
    from rich.table import Table

    console = _console()
    spec = result.model
    table = Table(title=f"{spec.name[lang]} · {label('sheet:index', lang)}")
    for key in ("construct", "index", "r_squared"):
        table.add_column(label(key, lang), justify="left" if key == "construct" else "right")
    for construct, value in result.index.items():
        r2 = result.r_squared.get(construct)
        table.add_row(spec.label(construct, lang), f"{value:.1f}", "" if r2 is None else f"{r2:.3f}")
    console.print(table)
    paths = Table(title=label("sheet:paths", lang))
    for key in ("from", "to", "estimate", "ci_low", "ci_high"):
        paths.add_column(label(key, lang), justify="right" if key not in ("from", "to") else "left")
    for row in result.paths.itertuples():
        ci = ("", "") if row.ci_low != row.ci_low else (f"{row.ci_low:.3f}", f"{row.ci_high:.3f}")
        paths.add_row(spec.label(row[1], lang), spec.label(row.to, lang), f"{row.estimate:.3f}", *ci)
    console.print(paths)
    drivers = Table(title=label("sheet:drivers", lang))
    for key in ("construct", "importance", "performance", "quadrant"):
        drivers.add_column(label(key, lang))
    for row in result.drivers.itertuples():
        drivers.add_row(
            spec.label(row.construct, lang),
            f"{row.importance:.3f}",
            f"{row.performance:.1f}",
            label(f"quadrant:{row.quadrant}", lang),
        )
    console.print(drivers)
    extras = []
    if result.nps:
        extras.append(f"NPS {result.nps['nps']:+.1f}")
    if result.csat:
        extras.append(f"CSAT {result.csat['csat']:.1%}")
    if result.ces:
        extras.append(f"CES {result.ces['ces']:.2f}")
    if extras:
        console.print(" · ".join(extras))


def render_retention(result, lang: str) -> None:
    """The cohort retention matrix (cohort, size, k0 … k11), the first 14 columns."""
    from rich.table import Table

    console = _console()
    matrix = result.wide("retention")
    table = Table(title=label("title:retention", lang))
    shown = list(matrix.columns[:14])
    for col in shown:
        table.add_column(label(col, lang), justify="right")
    for row in matrix[shown].itertuples(index=False):
        table.add_row(str(row[0]), f"{row[1]:,}", *("" if v != v else f"{v:.0%}" for v in row[2:]))
    console.print(table)


def render_ladder(before, after, matrix, lang: str) -> None:
    from rich.table import Table

    console = _console()
    table = Table(title=f"{label('sheet:ladder', lang)} {after.as_of}")
    for key in ("rung_label", "count", "share"):
        table.add_column(label(key, lang), justify="left" if key == "rung_label" else "right")
    for row in after.distribution.iloc[::-1].itertuples():
        table.add_row(row.rung_label, f"{row.count:,}", f"{row.share:.1%}")
    console.print(table)
    moves = Table(title=f"{label('sheet:migration', lang)} {before.as_of} → {after.as_of}")
    moves.add_column("")
    for col in matrix.columns:
        moves.add_column(str(col), justify="right")
    for name, row in matrix.iterrows():
        moves.add_row(str(name), *(f"{v:,}" for v in row))
    console.print(moves)
    from crmkit.ladder import migration_summary

    summary = migration_summary(matrix)
    console.print(" · ".join(f"{label('movement:' + r.movement, lang)} {r.people:,}" for r in summary.itertuples()))
