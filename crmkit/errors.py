"""Error types raised by the library; the CLI alone turns them into a message and an exit code.

Exit codes (documented in the README):

==== ===========================================================
0    success
1    unexpected internal error (rerun with ``--debug`` and report it)
2    usage error: an unknown option or a bad option value (in the library also: a
     model used before it is fitted, :class:`NotFittedError`)
3    input error: a file is missing, unreadable, empty or malformed
4    column error: a required column cannot be found
5    data error: a value cannot be read (impossible date, bad amount)
6    configuration error: a rule or model file is invalid
7    output error: an output cannot be written
==== ===========================================================
"""

from __future__ import annotations

#: Longest error line: longer messages keep their start and end with an ellipsis between.
_MAX_MESSAGE = 2000


class CrmkitError(Exception):
    """Base class: a problem the user can act on, with a one-line message."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ):
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = ": ".join([", ".join(where), self.message]) if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        # a quoted value can be a 140,000-digit field: keep the line readable and its end (the hint)
        if len(text) > _MAX_MESSAGE:
            text = text[: _MAX_MESSAGE - 300] + " … " + text[-300:]
        return text


class UsageError(CrmkitError):
    """An option value the library cannot use (a bad date, an out-of-range setting)."""

    exit_code = 2


class NotFittedError(UsageError, ValueError, AttributeError):
    """A model's prediction or quality method was called before ``fit`` (or ``from_params``).

    Also a :class:`ValueError` and an :class:`AttributeError`, as scikit-learn's
    ``sklearn.exceptions.NotFittedError`` is, so code written for scikit-learn estimators
    catches it; and a :class:`UsageError` (exit code 2): a library call made in the wrong order.
    """

    exit_code = 2


class InputError(CrmkitError):
    """A file is missing, unreadable, empty, or not a table."""

    exit_code = 3


class ColumnError(CrmkitError):
    """A required column cannot be found or an override names a missing column."""

    exit_code = 4


class DataError(CrmkitError):
    """A value cannot be read: an impossible date, an amount that is not a number."""

    exit_code = 5


class FitError(CrmkitError):
    """A model's maximum-likelihood fit failed or ran to a boundary; the message says what to try.

    Exit code 5, like :class:`DataError`: the data, not the command, is the problem.
    """

    exit_code = 5


class ConfigError(CrmkitError):
    """A rule or model file is invalid (gaps, overlaps, unknown keys)."""

    exit_code = 6


class OutputError(CrmkitError):
    """An output file cannot be written."""

    exit_code = 7


def out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` means the process ran out of memory or address space.

    Python's :class:`MemoryError`, DuckDB's ``OutOfMemoryException``, and a native library that
    could not be loaded because no address space was left (``ImportError: … failed to map segment
    from shared object`` or ``cannot allocate memory``: a ``ulimit -v`` reached mid-run) are one
    condition to the user: a run too large for the memory it may use.

    Examples
    --------
    >>> out_of_memory(ImportError("libgfortran.so.5: failed to map segment from shared object"))
    True
    >>> out_of_memory(ImportError("No module named 'polars'"))
    False
    """
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryException":
        return True
    text = str(exc).lower()
    return isinstance(exc, (ImportError, OSError)) and (
        "failed to map segment" in text or "cannot allocate memory" in text
    )
