"""The customer-structure sheets: Profile, Profile mix and Profile customers.

What :func:`crmkit.profile.customer_structure` found, for a manager: who the customers are, which
attribute separates revenue best (the Kruskal–Wallis ranking) and, per attribute, each value's
customers, shares, revenue, lift, repeat rate and mean R/F/M, with charts of customer share
against revenue share (the gap between the two bars is the lift) for the best-separating
attributes. The segment mix, eleven share columns per value, is on its own sheet so that the
Profile sheet prints one page wide.

Columns a later :class:`~crmkit.profile.Structure` may carry are shown when present: any further
measure (``mean_clv``) after the known ones, any ``<family>:<key>`` share column (``rung:<key>``,
the loyalty ladder's mix) on the mix sheet beside the segment mix.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from crmkit.profile import MEASURES
from crmkit.report.excel import ReportWorkbook, Span, cell_name
from crmkit.report.i18n import LABELS, label, message, sentence
from crmkit.report.sheets._layout import _CHART_GAP, CustomerPolicy, customer_policy

if TYPE_CHECKING:
    import pandas as pd

    from crmkit.profile import Structure

__all__ = ["CHARTED_ATTRIBUTES", "CHARTED_VALUES", "add_profile_sheets"]

#: Attributes charted on the Profile sheet, best-separating first (ranks 1, 2, 3).
CHARTED_ATTRIBUTES = 3
#: Values a chart shows at most: the first of its table, by revenue; 38 cities would make bars too
#: thin to read (every value stays in the table).
CHARTED_VALUES = 10

# The measures of an attribute's block are the structure's own, in its order; a table's further columns follow.
_KEYS = ("attribute", "value", "value_2")
# Columns whose generic label would say something else here, or which have none.
_PROFILE_LABELS = {
    "revenue_per_customer": "profile:revenue_per_customer",
    "mean_clv": "profile:mean_clv",
    "groups": "profile:groups",
    "customers": "customers",
    "h": "profile:h",
    "rank": "profile:rank",
    "attribute": "profile:attribute",
}
_FMT_SHARE = "0.0%"
_FMT_LIFT = "0.00"
_FMT_EFFECT = "0.0000"
# a p-value below 0.0001 reads as such, not as a rounded 0.0000
_FMT_P = '[<0.0001]"<0.0001";0.0000'
_CHART_WIDTH = 13.0  # cm: one column of charts beside ~11 table columns, the sheet one landscape page wide
_SHEET = "sheet:profile"
_MIX_SHEET = "sheet:profile_mix"
_CUSTOMERS_SHEET = "sheet:profile_customers"


def add_profile_sheets(
    book: ReportWorkbook,
    structure: Structure,
    *,
    customers: str | CustomerPolicy | None = None,
    attributes_file: str | None = None,
) -> None:
    """Add the Profile, Profile mix and Profile customers sheets of a customer structure.

    Parameters
    ----------
    book : ReportWorkbook
        Workbook being assembled; its ``lang`` decides every label (the segment names are those
        of ``structure.lang``).
    structure : crmkit.profile.Structure
        Output of :func:`crmkit.profile.customer_structure`.
    customers : {"all", "top:N", "none"}, optional
        Rows of the Profile customers sheet (one per purchasing customer with their attributes;
        :func:`~crmkit.report.sheets._layout.customer_policy`, default ``top:100000`` by net
        revenue with a note saying how many were left out).
    attributes_file : str, optional
        The attributes file's name, shown in the headline (default: ``structure.attributes_file``
        when the structure records one).

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.profile import customer_structure
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "amount": [10, 30, 15, 5],
    ...                       "date": ["2024-01-01", "2024-02-01", "2024-01-15", "2024-02-10"]})
    >>> members = pd.DataFrame({"customer_id": ["a", "b"], "性别": ["女", "男"]})
    >>> book = ReportWorkbook("en")
    >>> add_profile_sheets(book, customer_structure(sales, members, "2024-03-01"))
    >>> book.sheet_titles
    ['Profile', 'Profile mix', 'Profile customers']
    """
    source = attributes_file if attributes_file is not None else getattr(structure, "attributes_file", None)
    _add_profile(book, structure, source)
    _add_mix(book, structure)
    _add_customers(book, structure, customers)


# --- labels -----------------------------------------------------------------------------------
def _attribute_label(book: ReportWorkbook, name: str) -> str:
    """An attribute (``tier``) or a pair (``tier,gender``) in the workbook's language."""
    return " × ".join(book.label(part) if part in LABELS else part for part in str(name).split(","))


def _shown_values(book: ReportWorkbook, values: pd.Series) -> pd.Series:
    """Attribute values as a reader sees them: the normalised codes (``female``, ``(unknown)``) in the
    workbook's language, the file's own values (``浙江``, ``钻石卡``) as they are."""
    return values.astype(object).map(
        lambda v: book.label(f"profile_value:{v}") if f"profile_value:{v}" in LABELS else ("" if v is None else str(v))
    )


def _number(value, fmt: str) -> str:
    """A number of a sentence or a title, as the cells show it; a dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return format(float(value), fmt)


def _column_label(book: ReportWorkbook, column: str) -> str:
    key = _PROFILE_LABELS.get(column) or (f"profile:{column}" if f"profile:{column}" in LABELS else column)
    return book.label(key)


def _mix_label(book: ReportWorkbook, structure: Structure, column: str) -> str:
    """The header of a ``family:key`` mix column: the segment's or the rung's name."""
    family, _, key = column.partition(":")
    if family == "segment":
        return structure.segment_labels.get(key, key)
    if family == "rung":
        return _rung_label(book, structure, key)
    return book.label(column) if column in LABELS else key


def _rung_label(book: ReportWorkbook, structure: Structure, key: str) -> str:
    """A rung's name: the structure's own (its ladder's labels) in its language, else the default
    ladder's in the workbook's."""
    labels = getattr(structure, "rung_labels", None) or {}
    if key in labels and getattr(structure, "lang", book.lang) == book.lang:
        return str(labels[key])
    from crmkit.ladder.rules import load_rules

    rungs = load_rules().get("rungs", {})
    if key in rungs:
        return str(rungs[key].get(f"label_{book.lang}") or rungs[key].get("label_en") or key)
    return str(labels.get(key, key))


def _is_mix(column: str) -> bool:
    """A share-of-the-value's-customers column (``segment:champions``, ``rung:regular``)."""
    return ":" in str(column) and str(column) not in _KEYS


# --- the Profile sheet ----------------------------------------------------------------------------
def _headline(book: ReportWorkbook, structure: Structure, source: str | None) -> list[tuple[str, Any]]:
    listed = structure.total_customers - structure.without_attributes
    rows: list[tuple[str, Any]] = [
        ("profile:total_customers", structure.total_customers),
        ("profile:with_attributes", listed),
        ("profile:without_attributes", structure.without_attributes),
        ("profile:without_purchases", structure.without_purchases),
        ("profile:total_revenue", structure.total_revenue),
    ]
    if source:
        rows.append(("profile:attributes_file", str(source)))
    rows.append(("as_of", structure.as_of))
    scheme_key = f"scheme:{structure.scheme}"
    rows.append(("scheme", book.label(scheme_key) if scheme_key in LABELS else structure.scheme))
    return rows


def _statements(book: ReportWorkbook, structure: Structure) -> list[str]:
    """The reader's lines under the headline: the best-separating attribute in words, then the notes."""
    lines = []
    ranked = structure.ranking[structure.ranking["rank"].notna()]
    if len(ranked) and ranked.iloc[0]["top_value"] is not None:
        best = ranked.iloc[0]
        text = sentence(
            "fmt:profile_best",
            book.lang,
            attribute=_attribute_label(book, best["attribute"]),
            epsilon=_number(best["epsilon_squared"], ".3f"),
            value=_shown_values(book, best[["top_value"]]).iloc[0],
            lift=_number(best["top_lift"], ".2f"),
        )
        lines.append(f"{book.label('profile:statement')}: {text}")
    lines += [f"{book.label('note')}: {message(note, book.lang)}" for note in structure.notes]
    return lines


def _ranking_frame(book: ReportWorkbook, ranking: pd.DataFrame) -> pd.DataFrame:
    """The ranking as shown: the attribute first (column A is frozen), its label, without ``testable``
    (an empty rank says it) and the tested customers under their own header."""
    shown = ranking.drop(columns=[c for c in ("testable",) if c in ranking.columns]).copy()
    shown["attribute"] = [_attribute_label(book, a) for a in shown["attribute"]]
    shown["top_value"] = _shown_values(book, shown["top_value"])
    first = [c for c in ("attribute", "rank", "epsilon_squared", "p_value", "top_value", "top_lift") if c in shown]
    return shown[first + [c for c in shown.columns if c not in first]]


def _block_frame(table: pd.DataFrame) -> pd.DataFrame:
    """An attribute's value rows: the values, the known measures, then any further measure (``mean_clv``);
    ``mean_monetary`` only where it differs from ``revenue_per_customer`` (both are net revenue per
    customer, one column would only repeat the other)."""
    values = [c for c in ("value", "value_2") if c in table.columns]
    measures = [c for c in MEASURES if c in table.columns]
    if {"mean_monetary", "revenue_per_customer"} <= set(measures):
        same = np.allclose(
            table["mean_monetary"].to_numpy(dtype=float), table["revenue_per_customer"].to_numpy(dtype=float),
            equal_nan=True,
        )  # fmt: skip
        if same:
            measures.remove("mean_monetary")
    further = [c for c in table.columns if c not in (*_KEYS, *MEASURES) and not _is_mix(c)]
    return table[values + measures + further].copy()


def _add_profile(book: ReportWorkbook, structure: Structure, source: str | None) -> None:
    sheet = _SHEET
    head = book.add_key_values(sheet, _headline(book, structure, source), title="title:profile")
    for line in _statements(book, structure):  # title-only blocks: a long line spills right, column A stays narrow
        head = book.add_key_values(sheet, [], title=line, start_row=head.last_row + 1)
    ranking = _ranking_frame(book, structure.ranking)
    rank_span = book.add_table(
        sheet,
        ranking,
        title="title:profile_ranking",
        start_row=head.last_row + 2,
        labels={c: _column_label(book, c) for c in ranking.columns if c != "customers"}
        | {"customers": "profile:tested_customers"},
        number_formats={"epsilon_squared": _FMT_EFFECT, "p_value": _FMT_P, "top_lift": _FMT_LIFT, "h": "#,##0.00"},
        freeze_header=False,
        autofilter=False,
    )
    ranks = dict(zip(structure.ranking["attribute"], structure.ranking["rank"]))
    effects = dict(zip(structure.ranking["attribute"], structure.ranking["epsilon_squared"]))
    order = [a for a in structure.ranking["attribute"] if a in structure.tables]
    order += [a for a in structure.tables if a not in order]
    row = rank_span.last_row + 3
    blocks: list[tuple[str, Span, pd.DataFrame]] = []
    for name in order:
        span, frame = _add_block(book, structure.tables[name], name, row, ranks.get(name), effects.get(name))
        blocks.append((name, span, frame))
        row = span.last_row + 3
    for name, table in structure.pairs.items():
        span, frame = _add_block(book, table, name, row, None, None, pair=True)
        row = span.last_row + 3
    # the value names stay in view while the measures scroll by
    book._sheet(sheet).freeze = "B1"
    _add_charts(book, [b for b in blocks if _rank_of(ranks.get(b[0])) is not None])


def _rank_of(rank) -> int | None:
    try:
        return None if rank is None or bool(np.isnan(float(rank))) else int(rank)
    except (TypeError, ValueError):
        return None


def _add_block(
    book: ReportWorkbook, table: pd.DataFrame, name: str, row: int, rank, effect, *, pair: bool = False
) -> tuple[Span, pd.DataFrame]:
    frame = _block_frame(table)
    for column in ("value", "value_2"):
        if column in frame.columns:
            frame[column] = _shown_values(book, frame[column])
    parts = str(name).split(",")
    labels = {c: _column_label(book, c) for c in frame.columns}
    labels["value"] = _attribute_label(book, parts[0])
    if "value_2" in frame.columns and len(parts) > 1:
        labels["value_2"] = _attribute_label(book, parts[1])
    attribute = _attribute_label(book, name)
    rank_number = _rank_of(rank)
    if pair:
        title = attribute
    elif rank_number is None:
        title = sentence("fmt:profile_block_untested", book.lang, attribute=attribute)
    else:
        title = sentence(
            "fmt:profile_block", book.lang, attribute=attribute, rank=rank_number, epsilon=_number(effect, ".3f")
        )
    formats = {"lift": _FMT_LIFT, "mean_frequency": "0.00"}
    span = book.add_table(
        _SHEET,
        frame,
        title=title,
        start_row=row,
        labels=labels,
        number_formats=formats,
        freeze_header=False,
        autofilter=False,
    )
    return span, frame


def _add_charts(book: ReportWorkbook, blocks: list[tuple[str, Span, pd.DataFrame]]) -> None:
    """Per best-separating attribute, beside its table in one column right of every table: customer
    share against revenue share per value, then revenue per customer."""
    plan = book._sheet(_SHEET)
    col = max(block.last_col for block in plan.blocks) + _CHART_GAP
    next_row = 1
    for name, span, frame in blocks[:CHARTED_ATTRIBUTES]:
        shown = min(len(frame), CHARTED_VALUES)
        if shown == 0:
            continue
        columns = list(frame.columns)
        categories = _column(span, columns, "value", shown, header=False)
        attribute = _attribute_label(book, name)
        charts: list[dict[str, Any]] = []
        shares = [c for c in ("customer_share", "revenue_share") if c in columns]
        if shares:
            charts.append(
                {"data_ref": [_column(span, columns, c, shown) for c in shares], "percent": True,
                 "title": sentence("chart:profile_shares", book.lang, attribute=attribute), "y_title": "axis:share"}
            )  # fmt: skip
        if "revenue_per_customer" in columns:
            charts.append(
                {"data_ref": _column(span, columns, "revenue_per_customer", shown),
                 "title": sentence("chart:profile_per_customer", book.lang, attribute=attribute),
                 "y_title": "axis:revenue_per_customer", "value_format": "#,##0"}
            )  # fmt: skip
        # level with its table, below the charts of the attribute before
        row = max(span.first_row - 1, next_row)
        for chart in charts:
            book.add_bar_chart(
                _SHEET,
                categories_ref=categories,
                anchor=cell_name(row, col),
                width=_CHART_WIDTH,
                horizontal=True,
                **chart,
            )
            row = book.row_below_charts(_SHEET, gap=1)
        next_row = book.row_below_charts(_SHEET, gap=2)


def _column(span: Span, columns: list, name: str, rows: int, *, header: bool = True) -> tuple[int, int, int, int]:
    """One column of a table's first ``rows`` data rows (with its header cell, the series' name)."""
    col = span.first_col + columns.index(name)
    return (col, span.first_row if header else span.first_row + 1, col, span.first_row + rows)


# --- the Profile mix sheet ------------------------------------------------------------------------
def _add_mix(book: ReportWorkbook, structure: Structure) -> None:
    """Per attribute, the share of each value's customers in each segment (and on each rung, when the
    structure has the ladder's mix): wide, so on a sheet of its own."""
    tables = [(name, table) for name, table in structure.tables.items()]
    order = [a for a in structure.ranking["attribute"] if a in structure.tables]
    tables.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    families = sorted(
        {str(c).partition(":")[0] for _, t in tables for c in t.columns if _is_mix(c)},
        key=lambda family: (family != "segment", family),
    )
    if not families:
        return
    row = 1
    for family in families:
        # a title-only block: the long caption spills right instead of widening column A
        caption = "title:profile_mix" if family == "segment" else f"title:profile_{family}_mix"
        if caption in LABELS:
            row = book.add_key_values(_MIX_SHEET, [], title=caption, start_row=row).last_row + 1
        for name, table in tables:
            mix = [c for c in table.columns if _is_mix(c) and str(c).partition(":")[0] == family]
            if not mix:
                continue
            frame = table[["value", "customers", *mix]].copy()
            frame["value"] = _shown_values(book, frame["value"])
            labels = {c: _mix_label(book, structure, c) for c in mix}
            labels["value"] = _attribute_label(book, name)
            span = book.add_table(
                _MIX_SHEET,
                frame,
                start_row=row,
                labels=labels,
                number_formats=dict.fromkeys(mix, _FMT_SHARE),
                freeze_header=False,
                autofilter=False,
            )
            row = span.last_row + 3
    book._sheet(_MIX_SHEET).freeze = "B1"


# --- the Profile customers sheet --------------------------------------------------------------------
def _add_customers(book: ReportWorkbook, structure: Structure, customers: str | CustomerPolicy | None) -> None:
    """One row per purchasing customer with their RFM values, segment name and attributes, under the
    ``--customers`` policy (the most valuable by net revenue first when cut)."""
    policy = customer_policy(customers)
    frame = structure.customers
    total = len(frame)
    kept = policy.kept(total)
    if policy.mode == "none":
        return
    shown = frame.copy()
    # the codes shown by their names, as on the other customer sheets
    named = {
        "segment": ("segment_label", lambda k: structure.segment_labels.get(k, k)),
        "rung": ("rung_label", lambda k: _rung_label(book, structure, k)),
    }
    for code, (name, name_of) in named.items():
        if code in shown.columns and name not in shown.columns:
            position = list(shown.columns).index(code)
            shown.insert(position, name, shown.pop(code).astype(str).map(name_of))
    for column in shown.columns:
        if column in structure.tables:  # an attribute: its codes (female, (unknown)) in the workbook's language
            shown[column] = _shown_values(book, shown[column])
    headers = {c: _attribute_label(book, c) for c in shown.columns if c in LABELS and c not in _PROFILE_LABELS}
    if kept >= total:
        book.add_long_table(_CUSTOMERS_SHEET, shown, labels=headers)
        return
    order = shown.sort_values(["monetary", "customer_id"], ascending=[False, True], kind="stable").index[:kept]
    by = label(f"order_by:{_CUSTOMERS_SHEET}", book.lang)
    note = sentence("msg:customers_cut", book.lang, kept=kept, total=total, left=total - kept, by=by)
    book.add_table(_CUSTOMERS_SHEET, shown.loc[order], labels=headers, title=note)
