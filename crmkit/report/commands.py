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

__all__ = [
    "Output",
    "Run",
    "check_outputs",
    "clv_command",
    "output_format",
    "read_for_command",
    "satisfaction_command",
    "write_report_for",
]


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


def clv_command(
    input: str,
    *,
    as_of: str | None,
    referrals: str | None,
    calibration_end: str | None,
    params_out: str | None,
    out: Output,
    read: ReadOptions,
    run: Run,
    attributes: str | None = None,
    covariate_columns: tuple = (),
    **settings: Any,
) -> None:
    """``crmkit clv``: :func:`crmkit.clv.customer_lifetime_value` with ``settings`` (model, unit, horizon, …).

    ``covariate_columns`` name columns of the ``attributes`` file (read with
    :func:`crmkit.io.attributes.read_attributes`) that become the ``covariates`` frame.
    """
    from crmkit.clv import customer_lifetime_value
    from crmkit.report.messages import say_read
    from crmkit.report.tables import write_frame, write_json_file
    from crmkit.report.terminal import render_clv

    fmt = output_format(out.lang, out.output, out.format)
    rows_to, report_to = check_outputs(run.plan, out, fmt, input, referrals)
    params_to = run.plan.add(params_out) if params_out else None
    data, as_of_date = read_for_command(input, read, as_of, run.quiet, keep=("order_id", "margin"), push=True)
    referral_rows = None
    if referrals:
        from crmkit.io.inputs import read_referrals

        referral_rows = read_referrals(referrals, encoding=read.encoding)
    if covariate_columns:
        settings["covariates"] = _covariates_frame(attributes, covariate_columns, read, as_of_date)
    with status("Fitting…", run.quiet):
        result = customer_lifetime_value(
            data,
            as_of_date,
            calibration_end=as_date(calibration_end, "--calibration-end") if calibration_end else None,
            referrals=referral_rows,
            **settings,
        )
    data.quality.customers = len(result.customers)
    say_read(data.quality, as_of, run.quiet, notes=data.quality.notes, warnings=result.warnings)
    if fmt == "table":
        render_clv(result, out.lang, quiet=run.quiet)
    else:
        write_frame(result.customers, fmt, rows_to, lang=out.lang)
    if params_to:
        parameters = result.to_dict()
        # the fit and what it says in total: parameters, covariance, totals with intervals, coefficients
        keep = ("model", "spend_model", "totals", "coefficients")
        write_json_file(params_to, {key: parameters[key] for key in keep if parameters.get(key) is not None})
    write_report_for(report_to, result, quality=data.quality, out=out, quiet=run.quiet)


def _covariates_frame(attributes: str | None, columns, read: ReadOptions, as_of):
    """``customer_id`` and the ``--covariate`` columns of the ``--attributes`` file, named as given."""
    from crmkit.errors import UsageError
    from crmkit.io.attributes import read_attributes

    if not attributes:
        raise UsageError("--covariate names columns of a customer attributes file: give it with --attributes FILE")
    found = read_attributes(attributes, encoding=read.encoding, by=list(columns), as_of=as_of)
    frame = found.frame[["customer_id", *(found.by[c] for c in columns)]].copy()
    frame.columns = ["customer_id", *columns]
    return frame


def satisfaction_command(
    input: str,
    model: str,
    *,
    sheet: str | None,
    encoding: str | None,
    delimiter: str | None,
    out: Output,
    run: Run,
    **settings: Any,
) -> None:
    """``crmkit satisfaction``: :func:`crmkit.satisfaction.analyse_survey` with ``settings`` (scale, bootstrap, …)."""
    from crmkit.io.inputs import read_survey
    from crmkit.report.tables import write_frame, write_json_file
    from crmkit.report.terminal import render_satisfaction
    from crmkit.satisfaction import analyse_survey

    fmt = output_format(out.lang, out.output, out.format)
    if fmt == "xlsx" and (not out.output or out.output == "-"):
        raise UsageError("--format xlsx needs -o FILE.xlsx")
    rows_to, report_to = check_outputs(run.plan, out, fmt, input)
    with status(f"Reading {input}…", run.quiet):
        frame, first_row = read_survey(input, encoding=encoding, sheet=sheet, delimiter=delimiter)
    with status("Estimating…", run.quiet):
        result = analyse_survey(
            frame, model, first_row=first_row, source="<stdin>" if input == "-" else input, **settings
        )
    if not run.quiet:
        say(f"crmkit: {result.one_line()}")
        for warning in result.warnings:
            say(f"crmkit: warning: {warning}")
    if fmt == "table":
        render_satisfaction(result, out.lang, quiet=run.quiet)
    elif fmt == "json":
        write_json_file(rows_to, result.to_dict())
    elif fmt == "xlsx":
        write_report_for(rows_to, result, out=out, quiet=True)
    else:
        write_frame(result.respondents, fmt, rows_to, lang=out.lang)
    write_report_for(report_to, result, out=out, quiet=run.quiet)
