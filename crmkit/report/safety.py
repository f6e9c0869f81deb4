"""Formula injection: text a spreadsheet would run as a formula is neutralised in every output.

One rule (OWASP, "CSV Injection"): text starting with ``= + - @``, a tab or a carriage return
gets a leading apostrophe. It is applied to Python values, pandas frames and DuckDB columns
alike, from the one prefix list below.
"""

from __future__ import annotations

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel (or a CSV import) treat text as a formula (OWASP, "CSV
Injection")."""


def neutralise_text(value):
    """Make a text value safe to open in a spreadsheet.

    Text starting with one of :data:`FORMULA_PREFIXES` gets a leading apostrophe, so Excel,
    LibreOffice and CSV imports show it as text instead of evaluating it (``=HYPERLINK(...)``
    in a customer name would otherwise run). Anything that is not a ``str`` comes back
    unchanged, and the function is idempotent.

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
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _is_text_dtype(dtype) -> bool:
    import pandas as pd

    return dtype == "object" or isinstance(dtype, pd.StringDtype)


def neutralise_series(series):
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
    dangerous = dangerous.fillna(False).astype(bool)
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
    """The same rule as a DuckDB expression on a VARCHAR column or expression."""
    # starts_with per prefix, not IN: DuckDB turns an IN list into a join, which loses row order
    test = " OR ".join(f"starts_with({expr}, chr({ord(p)}))" for p in FORMULA_PREFIXES)
    return f"(CASE WHEN {test} THEN chr(39) || {expr} ELSE {expr} END)"
