"""The Renewals sheet: the sBG fit per cohort, the survival projection with a chart, the customers.

What :func:`crmkit.contract.contract_value` found (Fader & Hardie 2007, 2010): the headline
(customers, cohorts, next renewal rate, value of a new customer, active customers and their
residual value), the notes, the fit per cohort, then the projection table -- per period each
cohort's observed and sBG survival side by side, the interval when one was asked for -- with a
line chart of the same, and, for subscriber rows, the active customers by residual value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from crmkit.report.excel import ReportWorkbook, cell_name, column_ref
from crmkit.report.sheets._layout import _CHART_GAP, CustomerPolicy
from crmkit.report.sheets.preferences import note_lines, note_texts

if TYPE_CHECKING:
    from crmkit.contract import ContractValue

__all__ = ["add_contract_sheets"]

_SHEET = "sheet:contract"
_SHARE, _MONEY = "0.0%", "#,##0.00"
_FIT = {
    "cohort": "contract:cohort",
    "customers": "contract:customers",
    "periods_observed": "contract:periods_observed",
    "alpha": "contract:alpha",
    "alpha_se": "contract:alpha_se",
    "beta": "contract:beta",
    "beta_se": "contract:beta_se",
    "log_likelihood": "contract:log_likelihood",
    "mean_churn": "contract:mean_churn",
    "expected_lifetime": "contract:expected_lifetime",
    "del": "contract:del",
    "new_customer_value": "contract:new_customer_value",
}
_CUSTOMERS = {
    "customer_id": "contract:customer_id",
    "cohort": "contract:cohort",
    "start": "contract:start",
    "renewals": "contract:renewals",
    "p_renew_next": "contract:p_renew_next",
    "derl": "contract:derl",
    "value_per_period": "contract:value_per_period",
    "residual_value": "contract:residual_value",
}


def add_contract_sheets(
    book: ReportWorkbook, result: ContractValue, *, customers: str | CustomerPolicy | None = None
) -> None:
    """Add the Renewals sheet of a :class:`~crmkit.contract.ContractValue`.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmkit.contract import contract_value
    >>> table = pd.DataFrame({"year": ["0", "1", "2", "3"], "regular": ["1000", "631", "468", "382"]})
    >>> book = ReportWorkbook("en")
    >>> add_contract_sheets(book, contract_value(table))
    >>> len(book.sheet_titles)
    1
    """
    h = result.headline
    headline = [
        ("contract:customers", int(h["customers"])),
        ("contract:cohorts", int(h["cohorts"])),
        ("contract:retention_next", h["retention_next"]),
        ("contract:new_customer_value", h["new_customer_value"]),
        ("contract:active", int(h["active"])),
        ("contract:residual_value", h["residual_value"]),
        ("contract:discount_per_period", h["discount_per_period"]),
    ]
    head = book.add_key_values(
        _SHEET,
        headline,
        title="title:contract",
        number_formats={
            "contract:retention_next": _SHARE,
            "contract:discount_per_period": "0.000%",
            "contract:new_customer_value": _MONEY,
            "contract:residual_value": _MONEY,
            "contract:customers": "#,##0",
            "contract:active": "#,##0",
            "contract:cohorts": "#,##0",
        },
    )
    row = note_lines(book, _SHEET, note_texts(book, [*result.warnings, *result.notes]), head.last_row + 1)
    fit = result.fit[list(_FIT)].copy()
    # alpha <= 1: the sBG mean lifetime diverges (Fader & Hardie 2007); say so, not a blank cell
    fit["expected_lifetime"] = [
        book.label("contract:unbounded") if v == float("inf") else v for v in fit["expected_lifetime"]
    ]
    span = book.add_table(
        _SHEET,
        fit,
        title="title:contract_fit",
        start_row=row + 1,
        labels=_FIT,
        number_formats={
            "mean_churn": _SHARE,
            "new_customer_value": _MONEY,
            **dict.fromkeys(("alpha", "alpha_se", "beta", "beta_se", "del", "expected_lifetime"), "0.000"),
            "log_likelihood": "#,##0.00",
            "customers": "#,##0",
            "periods_observed": "0",
        },
        freeze_header=False,
        autofilter=False,
    )
    wide, bounds = _wide(book, result)
    proj = book.add_table(
        _SHEET,
        wide,
        title="title:contract_projection",
        start_row=span.last_row + 3,
        labels={"period": "contract:period"},
        number_formats={**dict.fromkeys(wide.columns[1:], _SHARE), "period": "0"},
        freeze_header=False,
        autofilter=False,
    )
    columns = list(wide.columns)
    series = [c for c in columns[1:] if c not in bounds]
    book.add_line_chart(
        _SHEET,
        data_ref=[column_ref(proj, columns, c) for c in series],
        categories_ref=column_ref(proj, columns, "period", header=False),
        anchor=cell_name(proj.first_row, proj.last_col + _CHART_GAP),
        title="chart:contract_survival",
        y_title="axis:contract_survival",
        x_title="axis:contract_period",
        percent=True,
        value_range=(0, 1),
    )
    if result.customers is not None and len(result.customers):
        book.add_table(
            _SHEET,
            result.customers[list(_CUSTOMERS)],
            title="title:contract_customers",
            start_row=proj.last_row + 3,
            labels=_CUSTOMERS,
            number_formats={
                "p_renew_next": _SHARE,
                "derl": "0.00",
                "value_per_period": _MONEY,
                "residual_value": _MONEY,
                "renewals": "0",
            },
            freeze_header=False,
            autofilter=False,
        )
    book.set_print(_SHEET, landscape=True)


def _wide(book: ReportWorkbook, result: ContractValue) -> tuple[pd.DataFrame, set[str]]:
    """Period by cohort: observed and sBG survival (and the interval) side by side; also the names
    of the interval's columns, which the chart leaves out."""
    p = result.projection
    out = pd.DataFrame({"period": sorted(p["period"].unique())})
    model, observed = book.label("contract:survival"), book.label("contract:actual")
    low, high = book.label("contract:survival_low"), book.label("contract:survival_high")
    bounds: set[str] = set()
    for cohort, part in p.groupby("cohort", sort=False):
        part = part.set_index("period")
        out[f"{cohort} {observed}"] = out["period"].map(part["actual"])
        out[f"{cohort} {model}"] = out["period"].map(part["survival"])
        if "survival_low" in part:
            out[f"{cohort} {low}"] = out["period"].map(part["survival_low"])
            out[f"{cohort} {high}"] = out["period"].map(part["survival_high"])
            bounds |= {f"{cohort} {low}", f"{cohort} {high}"}
    return out, bounds
