"""Formula injection: text a spreadsheet would run as a formula is neutralised in every output.

One rule (OWASP, "CSV Injection"): text starting with ``= + - @``, a tab or a carriage return
gets a leading apostrophe, unless it is a plain signed number (``-12.5``, ``+8613800138000``,
``-1e5``), which a spreadsheet reads as a number, never as a formula: ids and amounts like
these come out exactly as they came in. It is applied to Python values, pandas frames and
DuckDB columns alike, from the one prefix list and the one number pattern below.
"""

from __future__ import annotations

import re

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel (or a CSV import) treat text as a formula (OWASP, "CSV
Injection")."""

PLAIN_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|\+[0-9][0-9 \-]*[0-9]"
"""The whole of a text a spreadsheet reads as a plain number: an optional sign, ASCII digits with
at most one decimal point, an optional exponent. No spaces, thousands separators, percent
signs, currency signs or other digits: those are left to the prefix rule. An international phone
number as platforms export it (``+1 555-123-4567``, ``+86 138 0013 8000``) is let through too:
digits, spaces and hyphens call no function, and the number is a customer's id (Shopify,
WooCommerce), which an apostrophe would break. The same pattern serves Python's ``re`` and
DuckDB's RE2."""

_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)


def neutralise_text(value):
    """Make a text value safe to open in a spreadsheet.

    Text starting with one of :data:`FORMULA_PREFIXES` gets a leading apostrophe, so Excel,
    LibreOffice and CSV imports show it as text instead of evaluating it (``=HYPERLINK(...)``
    in a customer name would otherwise run), unless the whole text is a :data:`PLAIN_NUMBER`
    (``-12.5``, a phone number ``+8613800138000`` used as a member id): a number is not a
    formula, and changing it would break joins on the id. Anything that is not a ``str`` comes
    back unchanged, and the function is idempotent.

    Parameters
    ----------
    value : object
        A cell value.

    Returns
    -------
    object
        ``"'" + value`` for dangerous text, else ``value`` itself.

    Examples
    --------
    >>> neutralise_text("=1+1"), neutralise_text("Alice"), neutralise_text(-3)
    ("'=1+1", 'Alice', -3)
    >>> neutralise_text("-12.5"), neutralise_text("+8613800138000"), neutralise_text("-2+3+cmd|' /C calc'!A0")
    ('-12.5', '+8613800138000', "'-2+3+cmd|' /C calc'!A0")
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _is_text_dtype(dtype) -> bool:
    import pandas as pd

    return dtype == "object" or isinstance(dtype, pd.StringDtype)


def neutralise_series(series):
    import numpy as np
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = pd.Series(series.cat.categories)
        fixed = neutralise_series(categories)
        if fixed is categories:
            return series
        if fixed.is_unique:
            return series.cat.rename_categories(list(fixed))
        # "'=x" already a category next to "=x": renaming would merge them, so drop the dtype
        return neutralise_series(series.astype(object))
    if not _is_text_dtype(series.dtype):
        return series
    try:
        dangerous = series.str.startswith(FORMULA_PREFIXES, na=False)
    except AttributeError:
        # pandas refuses .str on object columns without any text (all numbers or dates)
        return series
    dangerous = dangerous.fillna(False).astype(bool).to_numpy(copy=True)
    if not dangerous.any():
        return series
    # the number test only on the few rows that start like a formula (by position: an index
    # may repeat labels)
    rows = np.flatnonzero(dangerous)
    number = series.iloc[rows].str.fullmatch(PLAIN_NUMBER, na=False).fillna(False).astype(bool).to_numpy()
    dangerous[rows[number]] = False
    if not dangerous.any():
        return series
    fixed = series.copy()
    fixed[dangerous] = "'" + series[dangerous]
    return fixed


def neutralise_frame(df):
    """Apply :func:`neutralise_text` to every text column of a frame, vectorised.

    Only ``object``, ``str``/``string`` and categorical-of-text columns are looked at; numbers,
    dates and non-text values inside object columns are left alone. The work is one
    ``str.startswith`` per column plus a concatenation on the matching rows only, so a
    1,000,000-row export costs a fraction of a second.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        A new frame (columns without dangerous text are shared, not copied); ``df`` is not
        modified.

    Examples
    --------
    >>> import pandas as pd
    >>> neutralise_frame(pd.DataFrame({"id": ["=1+1", "b"], "n": [1, 2]}))["id"].tolist()
    ["'=1+1", 'b']
    """
    out = df.copy(deep=False)
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        fixed = neutralise_series(column)
        if fixed is not column:
            out.isetitem(position, fixed)
    return out


def neutralise_sql(expr: str) -> str:
    """The same rule as a DuckDB expression on a VARCHAR column or expression.

    Examples
    --------
    >>> from crmkit.io.engine import scratch
    >>> con = scratch()
    >>> con.sql(f"SELECT {neutralise_sql('v')} FROM (VALUES ('=1+1'), ('-12.5'), ('-x')) t(v)").fetchall()
    [("'=1+1",), ('-12.5',), ("'-x",)]
    >>> con.close()
    """
    # one code point per prefix, not IN: DuckDB turns an IN list into a join, which loses row
    # order; ascii() (the first code point) is cheaper than starts_with on every cell
    test = " OR ".join(f"ascii({expr}) = {ord(p)}" for p in FORMULA_PREFIXES)
    number = f"regexp_full_match({expr}, '{PLAIN_NUMBER}')"
    return f"(CASE WHEN ({test}) AND NOT {number} THEN chr(39) || {expr} ELSE {expr} END)"
