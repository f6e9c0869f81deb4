"""What every command does around its analysis: settle the output format, check the outputs before
anything is read, read the purchases and the as-of date, write the report workbook.

Plain functions and the two option objects (``--format``/``-o``/``--report``/``--customers``/``--lang``
and ``--quiet``/``--debug``) the CLI hands them: :mod:`crmkit.cli` declares the options with typer and
calls these, so it stays a thin layer of commands. Heavy imports happen inside the functions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from crmkit.errors import UsageError
from crmkit.io.options import ReadOptions, as_date
from crmkit.report.files import OutputPlan, Target
from crmkit.report.messages import say, status

__all__ = ["Output", "Run", "check_outputs", "output_format", "read_for_command", "write_report_for"]


@dataclass
class Output:
    """The output options: ``--format``, ``--output``, ``--report``, ``--customers``, ``--lang``."""

    format: str | None = None
    output: str | None = None
    report: str | None = None
    lang: str = "en"
    customers: str | None = None


@dataclass
class Run:
    """How to run: ``--quiet``, ``--debug`` (a traceback instead of one error line), the run's ``OutputPlan``."""

    quiet: bool = False
    debug: bool = False
    plan: Any = None


def read_for_command(source: str, read: ReadOptions, as_of: str | None, quiet: bool, *, keep=None, push: bool = False):
    """Read the purchases (``push``: leave them where they are, :mod:`crmkit.pushdown`); settle the as-of date."""
    from crmkit.io.purchases import read_purchases
    from crmkit.pushdown import push_down

    as_of_date = as_date(as_of, "--as-of") if as_of else None
    with status(f"Reading {source}…", quiet):
        data = push_down(source, options=read) if push else None
        data = data or read_purchases(source, options=read, **({} if keep is None else {"keep": keep}))
    return data, data.resolve_as_of(as_of_date)


def output_format(lang: str, output: str | None, fmt: str | None) -> str:
    """Check ``--lang`` and settle the output format (explicit, by ``-o`` extension, table or csv)."""
    from crmkit.io.options import check_lang
    from crmkit.report.tables import format_for

    check_lang(lang)
    return format_for(output, fmt, sys.stdout.isatty())


def check_outputs(plan: OutputPlan, out: Output, fmt: str, *inputs) -> tuple[Target | None, Target | None]:
    """Check the outputs before the data is read: the rows' target (None for a table) and the report's."""
    if out.customers is not None:  # a bad one fails before the export is read; the default imports nothing
        from crmkit.report.sheets._layout import customer_policy

        customer_policy(out.customers)
    plan.protect(*inputs)
    if fmt == "table" and out.output and out.output != "-":
        raise UsageError("--format table prints to the terminal; use csv, json, parquet or xlsx with -o")
    return None if fmt == "table" else plan.add(out.output), plan.add(out.report) if out.report else None


def write_report_for(target: Target | None, *results, out: Output, quiet: bool, quality=None) -> None:
    """``--report FILE.xlsx``: the results' sheets in one workbook, put in place with the other outputs."""
    if target is None:
        return
    from crmkit.report.sheets import customer_warnings, write_report

    with status("Writing the report…", quiet):
        write_report(target, *results, quality=quality, lang=out.lang, customers=out.customers)
    for warning in [] if quiet else customer_warnings(*results, customers=out.customers, lang=out.lang):
        say(f"crmkit: warning: {warning}")
    if not quiet:
        target.plan.on_commit(say, f"crmkit: report written to {target.path}")
