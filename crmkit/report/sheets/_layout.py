"""Where blocks and charts go on a sheet, shared by every analysis' sheets, and how many rows the
customer-level sheets get (the ``--customers`` policy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crmkit.errors import UsageError
from crmkit.report.excel import ReportWorkbook, Span, cell_name, column_ref
from crmkit.report.i18n import label, sentence

if TYPE_CHECKING:
    import pandas as pd

_CHART_GAP = 2  # empty columns between a table and the charts beside it


#: Machine codes a workbook does not show, by the column of the name shown instead: a manager reads
#: "Champions" or "冠军客户", not ``champions``. The csv/json/parquet outputs keep the codes to join on.
CODE_COLUMNS: dict[str, str] = {"segment": "segment_label", "rung": "rung_label", "lifecycle_stage": "stage_label"}


def _without_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the code columns of :data:`CODE_COLUMNS` whose name column it has."""
    codes = [code for code, name in CODE_COLUMNS.items() if code in frame.columns and name in frame.columns]
    return frame.drop(columns=codes) if codes else frame


def _anchor_right_of(span: Span, row: int = 1) -> str:
    return cell_name(row, span.last_col + _CHART_GAP)


def _bar_chart_beside(
    book: ReportWorkbook, sheet: str, span: Span, table: pd.DataFrame, value: str, category: str, **chart_options
) -> None:
    """A bar chart of ``table[value]`` by ``table[category]`` right of the table at ``span``.

    An empty table gets no chart: its category range would end a row above where it starts.
    """
    if len(table):
        columns = list(table.columns)
        book.add_bar_chart(
            sheet,
            data_ref=column_ref(span, columns, value),
            categories_ref=column_ref(span, columns, category, header=False),
            anchor=_anchor_right_of(span),
            **chart_options,
        )


# --- customer-level sheets: how many rows a workbook gets ------------------------------------------

#: The default ``--customers`` policy: Excel opens a 100,000-row sheet in seconds; beyond that the
#: workbook is slow to open and to print, so the most valuable customers are shown and the rest
#: counted in a note (the full table is what ``-o`` / ``--customers-out`` write).
DEFAULT_CUSTOMERS = "top:100000"

#: What "most valuable" means on each customer sheet: the columns sorted on, largest first (ties by
#: customer id). The ladder has no money column: its rung (top first), then purchase occasions. The
#: catalogue's ``order_by:<sheet key>`` says it in words; ``msg:customers_cut`` is the sheet's note.
CUSTOMER_ORDER: dict[str, tuple[str, ...]] = {
    "sheet:customers": ("monetary",),
    "sheet:clv_customers": ("clv",),
    "sheet:ladder_people": ("rung", "occasions"),
}


@dataclass(frozen=True)
class CustomerPolicy:
    """How many rows a customer-level sheet gets: ``all``, the ``top`` ``limit`` by value, or ``none``."""

    mode: str
    limit: int | None = None

    def kept(self, total: int) -> int:
        """How many of ``total`` customers the sheet shows."""
        if self.mode == "none":
            return 0
        return total if self.limit is None else min(total, self.limit)

    def __str__(self) -> str:
        return f"top:{self.limit}" if self.mode == "top" else self.mode


def customer_policy(value: str | CustomerPolicy | None = None, *, option: str = "--customers") -> CustomerPolicy:
    """The policy of ``all``, ``none`` or ``top:N`` (N a whole number >= 1); None is :data:`DEFAULT_CUSTOMERS`.

    Raises
    ------
    crmkit.errors.UsageError
        Any other text, naming ``option``.
    """
    if isinstance(value, CustomerPolicy):
        return value
    text = (DEFAULT_CUSTOMERS if value is None else str(value)).strip().lower()
    if text in ("all", "none"):
        return CustomerPolicy(text)
    name, _, number = text.partition(":")
    if name == "top" and number.isdigit() and int(number) >= 1:
        return CustomerPolicy("top", int(number))
    raise UsageError(
        f"{option} must be all, none or top:N with N a whole number of at least 1, not {value!r}",
        hint=f"e.g. {option} top:100000 (the default)",
    )


def top_customers(frame: pd.DataFrame, sheet_key: str, n: int) -> pd.DataFrame:
    """The ``n`` most valuable rows of a customer table by :data:`CUSTOMER_ORDER`, most valuable first."""
    keys = list(CUSTOMER_ORDER[sheet_key])
    ranked = frame
    if "rung" in keys:
        from crmkit.ladder.rules import RANK

        ranked = frame.assign(rung=frame["rung"].map(RANK))
    order = ranked.sort_values(
        [*keys, "customer_id"], ascending=[False] * len(keys) + [True], kind="stable", na_position="last"
    ).index[:n]
    return frame.loc[order]


def cut_message(sheet_title: str, kept: int, total: int, sheet_key: str, full: str = "-o FILE.parquet") -> str:
    """The stderr line for a customer sheet that does not show everyone (English, as all messages);
    ``full`` is the option that writes every customer."""
    by = label(f"order_by:{sheet_key}", "en")
    return (
        f"the {sheet_title} sheet shows the top {kept:,} of {total:,} customers by {by}; {total - kept:,} left out "
        f"(--customers all shows them all; {full} writes every customer)"
    )


def _customer_table(
    book: ReportWorkbook,
    sheet_key: str,
    frame: pd.DataFrame,
    customers: str | CustomerPolicy | None,
    labels: dict[str, str] | None = None,
) -> None:
    """A customer-level sheet under the ``--customers`` policy: all rows, the top N with a note, or none;
    written without the codes of :data:`CODE_COLUMNS`. ``labels`` heads columns otherwise than the
    catalogue (a column keeps its name, which ranks the rows and decides its format)."""
    policy = customer_policy(customers)
    total = len(frame)
    kept = policy.kept(total)
    if policy.mode == "none":
        return
    if kept >= total:
        book.add_long_table(sheet_key, _without_codes(frame), labels=labels)
        return
    by = label(f"order_by:{sheet_key}", book.lang)
    note = sentence("msg:customers_cut", book.lang, kept=kept, total=total, left=total - kept, by=by)
    # ranked by the codes (the ladder's rung), written without them
    book.add_table(sheet_key, _without_codes(top_customers(frame, sheet_key, kept)), labels=labels, title=note)
