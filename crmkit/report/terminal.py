"""Tables on the terminal: what ``--format table`` prints for each command (rich).

Numbers are rounded for reading; the exact values are in the csv / json / parquet / xlsx
outputs. Labels follow the result's language.

A table is fitted to the console before rich sees it (:func:`_show`): a number is never cut,
so every numeric column is at least as wide as its widest formatted value. To fit, the table
first takes shorter headers, then wraps its text, then leaves out columns (the least useful
first) and says on stderr which were left out and how to see them (a note: ``quiet``, the CLI's
``-q``, silences it); when even the columns it must keep do not fit, each row is printed as a
block of its own (a vertical layout).
Widths are counted in terminal cells (:func:`rich.cells.cell_len`): a Chinese character is two.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from crmkit.report.i18n import LABELS, SHORT_LABELS, label
from crmkit.report.messages import say

__all__ = ["render_clv", "render_ladder", "render_retention", "render_satisfaction", "render_segments"]


#: Where the columns a terminal table leaves out can be seen in full.
_SEE_REPORT = "widen the terminal or see them with --report FILE.xlsx"
_SEE_CSV = "widen the terminal or use -f csv"
# a long word of Latin text wraps no narrower than this; a longer one is folded
_WORD_CAP = 14
# Chinese needs no spaces to wrap: a run of wide characters may break every 4 characters
_WIDE_RUN = 8


def _console():
    """A console on stdout at the terminal's width, or ``COLUMNS`` when it is set.

    A pipe or a file without ``COLUMNS`` gets 200 columns: the whole table, not one folded to a
    guessed 80 columns.
    """
    from rich.console import Console

    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return Console(width=int(columns))
    return Console(width=None if sys.stdout.isatty() else 200)


@dataclass
class _Col:
    """One column of a terminal table: its headers, its formatted cells and how to fit it."""

    header: str
    cells: list[str]
    numeric: bool = True
    short: str | None = None
    #: 0: always shown; otherwise columns with the largest ``drop`` are left out first
    drop: int = 0
    name: str = field(default="")

    def __post_init__(self):
        self.name = self.name or self.header


def _col(key: str, lang: str, cells: list[str], *, numeric: bool = True, drop: int = 0) -> _Col:
    """A column headed by the catalogue label of ``key``, with its short header when there is one."""
    short = SHORT_LABELS.get(key, {}).get(lang)
    return _Col(label(key, lang), cells, numeric=numeric, short=short, drop=drop)


def _num(value, spec: str) -> str:
    """``value`` formatted by ``spec``; blank for a missing value (NaN or None)."""
    return "" if value is None or value != value else format(value, spec)


def _word_width(text: str, cap: int | None = None) -> int:
    """The narrowest width ``text`` wraps to without cutting a word (runs of wide characters may break)."""
    from rich.cells import cell_len

    widest = 0
    for word in text.split():
        width = cell_len(word)
        if width > len(word):  # wide characters: Chinese breaks between any two of them
            width = min(width, _WIDE_RUN)
        elif cap is not None:
            width = min(width, cap)
        widest = max(widest, width)
    return widest


def _span(col: _Col, header: str) -> tuple[int, int]:
    """The narrowest and the natural width of a column's content (padding and rules not counted)."""
    from rich.cells import cell_len

    values = max((cell_len(v) for v in col.cells), default=0)
    natural = max(values, cell_len(header))
    if col.numeric:  # a number is never wrapped nor cut
        return max(values, _word_width(header)), natural
    words = max((_word_width(v, _WORD_CAP) for v in col.cells), default=0)
    return max(words, _word_width(header), 1), natural


def _spread(low: list[int], high: list[int], room: int) -> list[int]:
    """Widths from ``low`` towards ``high``: each spare cell to the column furthest from its natural width."""
    widths = list(low)
    spare = room - sum(widths)
    while spare > 0:
        gaps = [h - w for w, h in zip(widths, high)]
        most = max(gaps)
        if most <= 0:
            break
        widths[gaps.index(most)] += 1
        spare -= 1
    return widths


def _layout(cols: list[_Col], width: int):
    """The columns to show, their headers and widths within ``width`` cells; None when the kept ones do not fit.

    Full headers at natural width, else short headers at natural width, else short headers with
    wrapped text; else the column with the largest ``drop`` (the rightmost of equals) is left out
    and the same is tried again.
    """
    active = list(cols)
    while active:
        room = width - (3 * len(active) + 1)  # a rule before each column and after the last, a space each side
        for short in (False, True):
            headers = [(c.short or c.header) if short else c.header for c in active]
            spans = [_span(c, h) for c, h in zip(active, headers)]
            low, high = [s[0] for s in spans], [s[1] for s in spans]
            if sum(high) <= room:
                return active, headers, high
            if short and sum(low) <= room:
                return active, headers, _spread(low, high, room)
        droppable = [i for i, c in enumerate(active) if c.drop]
        if not droppable:
            return None
        del active[max(droppable, key=lambda i: (active[i].drop, i))]
    return None


def _show(console, title: str, cols: list[_Col]) -> list[_Col]:
    """Print ``cols`` as one table fitted to the console; return the columns left out."""
    from rich.table import Table

    rows = len(cols[0].cells) if cols else 0
    layout = _layout(cols, console.width)
    if layout is None:
        _vertical(console, title, cols)
        return []
    shown, headers, widths = layout
    table = Table(title=title)
    for col, header, width in zip(shown, headers, widths):
        table.add_column(header, justify="right" if col.numeric else "left", width=width, overflow="fold")
    for i in range(rows):
        table.add_row(*(c.cells[i] for c in shown))
    console.print(table)
    return [c for c in cols if c not in shown]


def _vertical(console, title: str, cols: list[_Col]) -> None:
    """Each row as a block of its own: header, value lines under the row's first cell."""
    from rich.cells import cell_len
    from rich.table import Table

    key, rest = (cols[0], cols[1:]) if cols and not cols[0].numeric else (None, cols)
    value_width = max((cell_len(v) for c in rest for v in c.cells), default=1)
    console.print(title)
    for i in range(len(cols[0].cells) if cols else 0):
        block = Table(title=key.cells[i] if key else None, show_header=False)
        block.add_column(overflow="fold")
        block.add_column(justify="right", width=value_width, overflow="fold")
        for col in rest:
            block.add_row(col.short or col.header, col.cells[i])
        console.print(block)


def _note(what: str, hidden: list[_Col], how: str, quiet: bool) -> None:
    """Say on stderr which columns of a table were left out, and how to see them (not when ``quiet``)."""
    # a note informs, as the "read N rows" line does: -q silences it like every message but an error
    if hidden and not quiet:
        say(f"crmkit: note: {what}: {', '.join(c.name for c in hidden)} not shown: {how}")


def render_segments(result, *, console=None, quiet: bool = False) -> None:
    """The segment summary and the headline line; columns left out at a narrow width are named on stderr."""
    lang = result.lang
    console = console or _console()
    s = result.segments
    cols = [
        _col("segment_label", lang, [str(v) for v in s["segment_label"]], numeric=False),
        _col("customers", lang, [f"{v:,}" for v in s["customers"]]),
        _col("customer_share", lang, [f"{v:.1%}" for v in s["customer_share"]], drop=2),
        _col("revenue", lang, [f"{v:,.2f}" for v in s["revenue"]]),
        _col("revenue_share", lang, [f"{v:.1%}" for v in s["revenue_share"]], drop=1),
        _col("mean_recency_days", lang, [_num(v, ",.0f") for v in s["mean_recency_days"]], drop=3),
        _col("mean_frequency", lang, [_num(v, ".2f") for v in s["mean_frequency"]], drop=5),
        _col("mean_monetary", lang, [_num(v, ",.2f") for v in s["mean_monetary"]], drop=4),
    ]
    title = label("sheet:segments", lang)
    _note(title, _show(console, title, cols), _SEE_REPORT, quiet)
    h = result.headline
    console.print(
        f"{label('customers', lang)} {h['customers']:,} · {label('revenue', lang)} {h['revenue']:,.2f} · "
        f"{label('repeat_customer_rate', lang)} {h['repeat_customer_rate']:.1%} · "
        f"{label('top20_share', lang)} {h['top20_share']:.1%} · {label('gini', lang)} {h['gini']:.3f} · "
        f"{label('as_of', lang)} {h['as_of']}"
        + (f" · silhouette {result.silhouette:.3f}" if result.silhouette is not None else "")
    )


def render_clv(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """The fitted model line, the CLV deciles and, with a holdout, the validation by repeat purchases."""
    console = console or _console()
    model = result.model
    if "params" in model:
        params = ", ".join(f"{k} = {v:.4g}" for k, v in model["params"].items())
        console.print(
            f"{model['model']}: {params}; log-likelihood {model['log_likelihood']:,.1f}; "
            f"{'converged' if model['converged'] else 'NOT converged'}"
        )
    d = result.deciles
    title = label("sheet:clv_deciles", lang)
    cols = [
        _col("clv_decile", lang, [str(v) for v in d["clv_decile"]]),
        _col("customers", lang, [f"{v:,}" for v in d["customers"]]),
        _col("clv_total", lang, [f"{v:,.2f}" for v in d["clv_total"]]),
        _col("clv_mean", lang, [f"{v:,.2f}" for v in d["clv_mean"]], drop=2),
        _col("clv_share", lang, [f"{v:.1%}" for v in d["clv_share"]], drop=1),
    ]
    _note(title, _show(console, title, cols), _SEE_REPORT, quiet)
    if result.holdout is not None:
        h = result.holdout
        g = h.by_frequency
        title = f"{label('title:holdout', lang)} {h.calibration_end}..{h.end}"
        cols = [
            _col("frequency_group", lang, [str(v) for v in g["frequency_group"]]),
            _col("customers", lang, [f"{v:,}" for v in g["customers"]]),
            _col("actual_mean", lang, [f"{v:.3f}" for v in g["actual_mean"]]),
            _col("expected_mean", lang, [f"{v:.3f}" for v in g["expected_mean"]]),
            _col("actual_total", lang, [f"{v:,.0f}" for v in g["actual_total"]], drop=1),
            _col("expected_total", lang, [f"{v:,.1f}" for v in g["expected_total"]], drop=1),
        ]
        _note(label("title:holdout", lang), _show(console, title, cols), _SEE_REPORT, quiet)
        console.print(
            f"{label('total_actual', lang)} {h.total_actual:,.0f} · {label('total_expected', lang)} "
            f"{h.total_expected:,.1f} · {label('holdout_error', lang)} {h.error:+.1%}"
        )
    totals = getattr(result, "totals", None)
    if totals is not None and len(totals):
        # the totals with their intervals (issue 15): purchases, CLV and, with a holdout, its check
        title = f"{label('title:clv_totals', lang)} ({result.model.get('interval', 0):.0%})"
        cols = [
            _col("clv:quantity", lang, [label(f"quantity:{q}", lang) for q in totals["quantity"]], numeric=False),
            _col("estimate", lang, [f"{v:,.1f}" for v in totals["estimate"]]),
            _col("clv:low", lang, [f"{v:,.1f}" for v in totals["low"]]),
            _col("clv:high", lang, [f"{v:,.1f}" for v in totals["high"]]),
        ]
        if totals["actual"].notna().any():
            # only a holdout has an actual to check; without one the columns would be blank
            cols += [
                _col("clv:actual", lang, [_num(v, ",.0f") for v in totals["actual"]], drop=1),
                _col("clv:inside", lang, [_yes_no(v, lang) for v in totals["inside"]], numeric=False, drop=1),
            ]
        _note(label("title:clv_totals", lang), _show(console, title, cols), _SEE_REPORT, quiet)


def _yes_no(value, lang: str) -> str:
    """A flag as a word; blank where there is none (a total without an actual)."""
    return "" if value is None or value != value else label("answer:yes" if value else "answer:no", lang)


def render_satisfaction(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """Index, paths, drivers, the metrics line and, with ``--by``, the index of each group; then
    what the PLS methods asked for computed: indirect effects, PLSpredict, MGA and MICOM."""
    console = console or _console()
    spec = result.model
    title = f"{spec.name[lang]} · {label('sheet:index', lang)}"
    constructs = list(result.index)
    cols = [
        _col("construct", lang, [spec.label(c, lang) for c in constructs], numeric=False),
        _col("index", lang, [f"{result.index[c]:.1f}" for c in constructs]),
        _col("r_squared", lang, [_num(result.r_squared.get(c), ".3f") for c in constructs], drop=1),
    ]
    table = result.index_table
    if table is not None and table["ci_low"].notna().any():
        limits = table.set_index("construct")
        cols += [
            _col(k, lang, [_num(limits[k].get(c), ".1f") for c in constructs], drop=2) for k in ("ci_low", "ci_high")
        ]
    _note(label("sheet:index", lang), _show(console, title, cols), _SEE_REPORT, quiet)
    p = result.paths
    title = label("sheet:paths", lang)
    cols = [
        _col("from", lang, [spec.label(v, lang) for v in p["from"]], numeric=False),
        _col("to", lang, [spec.label(v, lang) for v in p["to"]], numeric=False),
        _col("estimate", lang, [f"{v:.3f}" for v in p["estimate"]]),
        _col("ci_low", lang, [_num(v, ".3f") for v in p["ci_low"]], drop=1),
        _col("ci_high", lang, [_num(v, ".3f") for v in p["ci_high"]], drop=1),
    ]
    _note(title, _show(console, title, cols), _SEE_REPORT, quiet)
    d = result.drivers
    title = label("sheet:drivers", lang)
    cols = [
        _col("construct", lang, [spec.label(v, lang) for v in d["construct"]], numeric=False),
        _col("importance", lang, [f"{v:.3f}" for v in d["importance"]]),
        _col("performance", lang, [f"{v:.1f}" for v in d["performance"]]),
        _col("quadrant", lang, [label(f"quadrant:{v}", lang) for v in d["quadrant"]], numeric=False),
    ]
    _note(title, _show(console, title, cols), _SEE_REPORT, quiet)
    extras = []
    if result.nps:
        extras.append(f"NPS {result.nps['nps']:+.1f}")
    if result.csat:
        extras.append(f"CSAT {result.csat['csat']:.1%}")
    if result.ces:
        extras.append(f"CES {result.ces['ces']:.2f}")
    if extras:
        console.print(" · ".join(extras))
    if result.groups is not None:
        _satisfaction_groups(console, result, lang, quiet)
    _satisfaction_methods(console, result, lang, quiet)


def _satisfaction_methods(console, result, lang: str, quiet: bool = False) -> None:
    """Indirect effects (``--bootstrap``), PLSpredict per construct (``--predict``), MGA and MICOM (``--mga``)."""
    spec = result.model

    def names(values) -> list[str]:
        return [spec.label(v, lang) for v in values]

    def table(key: str, frame, columns: list[tuple], texts: tuple[str, ...] = ("from", "to")) -> None:
        if frame is None or not len(frame):
            return
        cols = [_col(c, lang, names(frame[c]), numeric=False) for c in texts if c in frame]
        # (column, format[, drop]): on a narrow terminal the highest drop goes first (default: the last)
        cols += [
            _col(c[0], lang, [_num(v, c[1]) for v in frame[c[0]]], drop=c[2] if len(c) > 2 else i)
            for i, c in enumerate(columns)
            if c[0] in frame
        ]
        title = label(key, lang)
        _note(title, _show(console, title, cols), _SEE_REPORT, quiet)

    interval = [("estimate", ".3f"), ("ci_low", ".3f"), ("ci_high", ".3f")]
    table("title:indirect", result.indirect, interval)
    measures: list[tuple]
    if result.prediction is not None:
        measures = [(c, ".3f") for c in result.prediction.constructs.columns if c != "construct"]
        table("title:prediction_constructs", result.prediction.constructs, measures, ("construct",))
    if result.mga is not None:
        mga = result.mga.rename(columns={"difference": "pls:difference"})
        # the difference and its p-value are the answer: the group estimates go first when space is short
        measures = [
            ("estimate_a", ".3f", 3),
            ("estimate_b", ".3f", 2),
            ("pls:difference", "+.3f", 0),
            ("p_value", ".3f", 1),
        ]
        table("title:mga", mga, measures, ("group_a", "group_b", "from", "to"))
    if result.micom is not None:
        yes_no = {True: label("pls:yes", lang), False: label("pls:no", lang)}
        micom = result.micom.assign(compositional=result.micom["compositional"].map(yes_no))
        micom = micom.rename(columns={"c": "pls:c", "c_quantile_05": "pls:c_quantile_05"})
        measures = [("pls:c", ".4f", 0), ("pls:c_quantile_05", ".4f", 2), ("p_value", ".3f", 1)]
        table("title:micom", micom, measures, ("group_a", "group_b", "construct", "compositional"))


def _satisfaction_groups(console, result, lang: str, quiet: bool = False) -> None:
    """``--by``: one column per group (measures as rows) when that fits whole, else one row per group."""
    spec = result.model
    groups = result.groups
    by = groups.columns[0]
    title = f"{label('sheet:groups', lang)} · {by}"
    measures = list(groups.columns[1:])

    def cells(measure) -> list[str]:
        spec_of = {"respondents": ",", "nps": "+.1f", "csat": ".1%"}.get(measure, ".1f")
        return [_num(v, spec_of) for v in groups[measure]]

    def name(measure) -> str:
        return label(measure, lang) if measure in ("respondents", "nps", "csat") else spec.label(measure, lang)

    formatted = {m: cells(m) for m in measures}
    names = [str(v) for v in groups[by]]
    across = [_Col("", [name(m) for m in measures], numeric=False)]
    across += [_Col(g, [formatted[m][i] for m in measures]) for i, g in enumerate(names)]
    layout = _layout(across, console.width)
    if layout is not None and len(layout[0]) == len(across):
        _show(console, title, across)
        return
    down = [_Col(by, names, numeric=False)]
    for rank, m in enumerate(measures):
        short = SHORT_LABELS.get(m, {}).get(lang)
        down.append(_Col(name(m), formatted[m], short=short, drop=0 if m == "respondents" else len(measures) - rank))
    _note(title, _show(console, title, down), "widen the terminal or use -f json", quiet)


def render_retention(
    result, lang: str, *, console=None, groups: Mapping[str, object] | None = None, quiet: bool = False
) -> None:
    """The cohort retention matrix (cohort, size, k0, k1, …) as wide as the console allows.

    The periods that do not fit are named on stderr (``k12–k23 not shown``). ``groups`` maps
    a group's name to its own :class:`~crmkit.retention.RetentionResult` (``--by``): a table each,
    after the one of everybody.
    """
    console = console or _console()
    title = label("title:retention", lang)
    notes: list[str] = []
    for name, part in [(None, result), *(groups or {}).items()]:
        hidden = _show(console, title if name is None else f"{title} · {name}", _retention_columns(part, lang))
        if hidden:
            span = hidden[0].name if len(hidden) == 1 else f"{hidden[0].name}–{hidden[-1].name}"
            if span not in notes:
                notes.append(span)
    for span in [] if quiet else notes:
        say(f"crmkit: note: {label('sheet:retention', lang)}: {span} not shown: {_SEE_CSV}")


def _retention_columns(result, lang: str) -> list[_Col]:
    """Cohort, size and one column per period; later periods are left out first."""
    matrix = result.wide("retention")
    cols = [
        _col("cohort", lang, [str(v) for v in matrix["cohort"]], numeric=False),
        _col("cohort_size", lang, [f"{v:,}" for v in matrix["cohort_size"]]),
    ]
    for k, column in enumerate(matrix.columns[2:], start=1):
        cols.append(_col(column, lang, [_num(v, ".0%") for v in matrix[column]], drop=k))
    return cols


def render_ladder(before, after, matrix, lang: str, *, console=None, quiet: bool = False) -> None:
    """People on each rung, the migration matrix between the two dates and the movements line."""
    console = console or _console()
    dist = after.distribution.iloc[::-1]
    title = f"{label('sheet:ladder', lang)} {after.as_of}"
    cols = [
        _col("rung_label", lang, [str(v) for v in dist["rung_label"]], numeric=False),
        _col("count", lang, [f"{v:,}" for v in dist["count"]]),
        _col("share", lang, [f"{v:.1%}" for v in dist["share"]]),
    ]
    _show(console, title, cols)
    names = dict(zip(after.distribution["rung"], after.distribution["rung_label"]))
    names.update(new=label("movement:new", lang), left=label("movement:left", lang))
    cols = [_Col(label("from_rung", lang), [names.get(r, str(r)) for r in matrix.index], numeric=False)]
    # suspects and prospects make no purchase, so their columns are the ones left out first
    drops = {"suspect": 2, "prospect": 1}
    for rung in matrix.columns:
        short = SHORT_LABELS.get(f"rung:{rung}", {}).get(lang)
        cells = [f"{v:,}" for v in matrix[rung]]
        cols.append(_Col(names.get(rung, str(rung)), cells, short=short, drop=drops.get(rung, 0)))
    title = f"{label('sheet:migration', lang)} {before.as_of} → {after.as_of}"
    _note(label("sheet:migration", lang), _show(console, title, cols), _SEE_REPORT, quiet)
    from crmkit.ladder import migration_summary

    summary = migration_summary(matrix)
    console.print(" · ".join(f"{label('movement:' + r.movement, lang)} {r.people:,}" for r in summary.itertuples()))


def render_frame(frame, lang: str, *, title: str = "", console=None) -> None:
    """A small table of text (``crmkit platforms``) fitted to the terminal; column names as they are.

    As one table when it fits; otherwise each row as a block of ``name  value`` lines, the names
    never broken and the values wrapped (an ``item, value`` table is such blocks already).
    """
    from rich.cells import cell_len
    from rich.table import Table

    console = console or _console()
    cells = {str(c): ["" if v is None else str(v) for v in frame[c]] for c in frame.columns}
    cols = [_Col(name, values, numeric=False) for name, values in cells.items()]
    if list(cells) != ["item", "value"] and _layout(cols, console.width) is not None:
        _show(console, title, cols)
        return
    pairs = (
        [list(zip(cells["item"], cells["value"]))]
        if list(cells) == ["item", "value"]
        else [[(name, values[i]) for name, values in cells.items()] for i in range(len(frame))]
    )
    width = max((cell_len(name) for block in pairs for name, _ in block), default=1)
    for block in pairs:
        table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        table.add_column(no_wrap=True, width=width, style="bold")
        table.add_column(overflow="fold")
        for name, value in block:
            table.add_row(name, value)
        console.print(table)
        console.print()


def _labelled(frame, lang: str):
    """``frame`` with its columns headed by the catalogue's labels in ``lang`` (names it lacks as they are)."""
    return frame.rename(columns={c: label(c, lang) for c in frame.columns if c in LABELS})


def render_profile(result, lang: str, *, console=None, quiet: bool = False) -> None:
    """The customer structure (:func:`crmkit.profile.customer_structure`): the attributes ranked by how
    much they separate revenue, then each attribute's values with their shares and lift."""
    import pandas as pd

    console = console or _console()
    ranking = result.ranking
    shown = pd.DataFrame(
        {
            "profile:rank": ["" if pd.isna(r) else str(int(r)) for r in ranking["rank"]],
            "profile:attribute": [label(a, lang) if a in LABELS else a for a in ranking["attribute"]],
            "epsilon_squared": [_num(v, ".4f") for v in ranking["epsilon_squared"]],
            "p_value": [_num(v, ".2g") for v in ranking["p_value"]],
            "top_value": ranking["top_value"].fillna(""),
            "top_lift": [_num(v, ".2f") for v in ranking["top_lift"]],
        }
    )
    render_frame(_labelled(shown, lang), lang, title=label("title:profile_ranking", lang), console=console)
    for name, table in result.tables.items():
        view = pd.DataFrame(
            {
                "profile:value": table["value"].astype(str),
                "customers": [f"{n:,}" for n in table["customers"]],
                "customer_share": [_num(v, ".1%") for v in table["customer_share"]],
                "revenue_share": [_num(v, ".1%") for v in table["revenue_share"]],
                "lift": [_num(v, ".2f") for v in table["lift"]],
                "repeat_rate": [_num(v, ".1%") for v in table["repeat_rate"]],
            }
        )
        render_frame(
            _labelled(view.head(12), lang), lang, title=label(name, lang) if name in LABELS else name, console=console
        )
        if len(view) > 12 and not quiet:
            say(f"crmkit: note: {name}: {len(view) - 12} more value(s) not shown: use -f csv")
