"""The ``crmkit`` command line: a thin layer that reads, calls one library function and renders.

Each command parses its options, reads its inputs (:mod:`crmkit.io`), calls one library function,
renders the result (:mod:`crmkit.report`) and exits; a library error becomes one stderr line and
its exit code (:func:`_errors`). Only this module imports typer. Heavy libraries (pandas, DuckDB,
scikit-learn, openpyxl) are imported inside the commands so that ``crmkit --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
from datetime import date
from typing import Annotated, Optional

import typer

from crmkit import __version__
from crmkit.errors import CrmkitError, UsageError
from crmkit.io.options import ReadOptions

app = typer.Typer(
    name="crmkit",
    help="Customer-relationship analytics from purchase and survey exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit codes: 0 ok, 1 internal error, 2 usage, 3 input, 4 column, 5 data, 6 config, 7 output.",
)

INPUT_PANEL = "Reading the export"
OUTPUT_PANEL = "Output"


def _version(value: bool):
    if value:
        typer.echo(f"crmkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
):
    """Customer-relationship analytics from purchase and survey exports."""


# --- shared options (declared once, used by every command that reads purchases) -----------
InputArg = Annotated[
    str, typer.Argument(help="Purchase export (CSV/TSV/.gz/XLSX/Parquet), or - for stdin.", show_default=False)
]
CustomerOpt = Annotated[
    Optional[str], typer.Option("--customer", help="Customer id column.", rich_help_panel=INPUT_PANEL)
]
DateOpt = Annotated[Optional[str], typer.Option("--date", help="Purchase date column.", rich_help_panel=INPUT_PANEL)]
AmountOpt = Annotated[Optional[str], typer.Option("--amount", help="Amount column.", rich_help_panel=INPUT_PANEL)]
OrderOpt = Annotated[
    Optional[str], typer.Option("--order-id", help="Order/invoice id column.", rich_help_panel=INPUT_PANEL)
]
QuantityOpt = Annotated[Optional[str], typer.Option("--quantity", help="Quantity column.", rich_help_panel=INPUT_PANEL)]
PriceOpt = Annotated[
    Optional[str],
    typer.Option("--price", help="Unit price column (amount = quantity x price).", rich_help_panel=INPUT_PANEL),
]
StatusOpt = Annotated[
    Optional[str],
    typer.Option("--status", help="Order status column (退货/cancelled mark returns).", rich_help_panel=INPUT_PANEL),
]
SheetOpt = Annotated[
    Optional[str],
    typer.Option("--sheet", help="XLSX sheet name or number (default: first).", rich_help_panel=INPUT_PANEL),
]
EncodingOpt = Annotated[
    Optional[str],
    typer.Option("--encoding", help="Force the encoding (utf-8, gb18030, ...).", rich_help_panel=INPUT_PANEL),
]
DelimiterOpt = Annotated[
    Optional[str], typer.Option("--delimiter", help="Force the field delimiter.", rich_help_panel=INPUT_PANEL)
]
DayfirstOpt = Annotated[
    Optional[bool],
    typer.Option(
        "--dayfirst/--monthfirst",
        help="Read 01/02/2024 as 1 Feb / 2 Jan (default: from the data).",
        rich_help_panel=INPUT_PANEL,
        show_default=False,
    ),
]
DecimalOpt = Annotated[
    Optional[str],
    typer.Option(
        "--decimal", help="Decimal separator of amounts: . or , (default: from the data).", rich_help_panel=INPUT_PANEL
    ),
]
SkipBadOpt = Annotated[
    bool,
    typer.Option(
        "--skip-bad-rows",
        help="Drop and count rows with an unreadable date or amount instead of stopping.",
        rich_help_panel=INPUT_PANEL,
    ),
]
AsOfOpt = Annotated[
    Optional[str],
    typer.Option(
        "--as-of", help="Analysis date YYYY-MM-DD (default: the last purchase date in the data).", show_default=False
    ),
]
FormatOpt = Annotated[
    Optional[str],
    typer.Option(
        "--format",
        "-f",
        help="table, csv, json, parquet or xlsx (default: table on a terminal, csv in a pipe or by -o extension).",
        rich_help_panel=OUTPUT_PANEL,
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Optional[str],
    typer.Option(
        "--output", "-o", help="Write per-customer rows here (default: stdout).", rich_help_panel=OUTPUT_PANEL
    ),
]
ReportOpt = Annotated[
    Optional[str],
    typer.Option("--report", help="Also write the Excel report (FILE.xlsx).", rich_help_panel=OUTPUT_PANEL),
]
LangOpt = Annotated[
    str,
    typer.Option("--lang", help="Language of labels: en or zh.", envvar="CRMKIT_LANG", rich_help_panel=OUTPUT_PANEL),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No messages on stderr except errors.", rich_help_panel=OUTPUT_PANEL)
]
DebugOpt = Annotated[
    bool,
    typer.Option(
        "--debug", help="Show the traceback of an error.", envvar="CRMKIT_DEBUG", rich_help_panel=OUTPUT_PANEL
    ),
]


def _err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")


@contextlib.contextmanager
def _errors(debug: bool):
    """Turn library errors into one stderr line and the documented exit code (traceback with --debug)."""
    try:
        yield
    except CrmkitError as exc:
        if debug:
            raise
        _err(f"crmkit: error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        _err("crmkit: interrupted")
        raise typer.Exit(130) from None
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as line-oriented Unix tools do.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(141) from None
    except MemoryError:
        if debug:
            raise
        _err("crmkit: error: out of memory (try a Parquet input or a machine with more memory)")
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:
        if debug:
            raise
        _err(
            f"crmkit: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback and report it)"
        )
        raise typer.Exit(1) from None


@contextlib.contextmanager
def _status(message: str, quiet: bool):
    """A spinner on stderr, only when stderr is a terminal (pipes and cron logs stay clean)."""
    if quiet or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


def _parse_date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{flag} must be a date YYYY-MM-DD, not {text!r}") from None


def _parse_thresholds(text: str) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in text.split(","))
    except ValueError:
        raise UsageError(f"--abc must be two shares like 0.8,0.95, not {text!r}") from None
    if not 0 < a < b <= 1:
        raise UsageError(f"--abc needs 0 < A < B <= 1, got {text!r}")
    return a, b


#: The shared reading options: parameter name, declaration, default, and the ReadOptions column role.
_READING = (
    ("customer", CustomerOpt, None, "customer_id"),
    ("date_col", DateOpt, None, "date"),
    ("amount", AmountOpt, None, "amount"),
    ("order_id", OrderOpt, None, "order_id"),
    ("quantity", QuantityOpt, None, "quantity"),
    ("price", PriceOpt, None, "unit_price"),
    ("status", StatusOpt, None, "status"),
    ("sheet", SheetOpt, None, None),
    ("encoding", EncodingOpt, None, None),
    ("delimiter", DelimiterOpt, None, None),
    ("dayfirst", DayfirstOpt, None, None),
    ("decimal", DecimalOpt, None, None),
    ("skip_bad_rows", SkipBadOpt, False, None),
)


def _reads_purchases(command):
    """Give a command the reading options (``--customer`` … ``--skip-bad-rows``) as one ``read: ReadOptions``.

    The options are declared once, here, and typer shows them where the command's ``read``
    parameter stands; the command receives them checked, as the dataclass the library takes.
    """
    signature = inspect.signature(command, eval_str=True)
    params = list(signature.parameters.values())
    at = [p.name for p in params].index("read")
    declared = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=kind)
        for name, kind, default, _ in _READING
    ]

    @functools.wraps(command)
    def run(**kwargs):
        given = {name: kwargs.pop(name) for name, *_ in _READING}
        with _errors(kwargs["debug"]):
            kwargs["read"] = ReadOptions(
                columns={role: given[name] for name, _, _, role in _READING if role},
                **{name: given[name] for name, _, _, role in _READING if not role},
            )
        return command(**kwargs)

    run.__signature__ = signature.replace(parameters=params[:at] + declared + params[at + 1 :])  # type: ignore[attr-defined]
    return run


def _read(source: str, read: ReadOptions, as_of: str | None, quiet: bool, *, keep=None):
    """Read the purchase export and settle the as-of date (``--as-of``, else the last purchase date)."""
    from crmkit.io.purchases import read_purchases

    as_of_date = _parse_date(as_of, "--as-of") if as_of else None
    with _status(f"Reading {source}…", quiet):
        data = read_purchases(source, options=read, **({} if keep is None else {"keep": keep}))
    return data, data.resolve_as_of(as_of_date)


def _output_format(lang: str, output: str | None, fmt: str | None) -> str:
    """Check ``--lang`` and settle the output format (explicit, by ``-o`` extension, table or csv)."""
    from crmkit.io.options import check_lang
    from crmkit.report.tables import format_for

    check_lang(lang)
    return format_for(output, fmt, sys.stdout.isatty())


def _table_to_terminal(output: str | None) -> None:
    if output and output != "-":
        raise UsageError("--format table prints to the terminal; use csv, json, parquet or xlsx with -o")


def _say_read(quality, as_of: str | None, quiet: bool, *, notes=(), warnings=()) -> None:
    """What was read and used (one line), then notes and warnings, on stderr unless ``--quiet``."""
    if quiet:
        return
    _err("crmkit: " + quality.one_line() + ("" if as_of else " (last purchase date in the data)"))
    for note in notes:
        _err(f"crmkit: note: {note}")
    for warning in warnings:
        _err(f"crmkit: warning: {warning}")


def _write_report(path: str | None, *results, lang: str, protect, quiet: bool, quality=None) -> None:
    """``--report FILE.xlsx``: the results' sheets in one workbook, written atomically."""
    if not path:
        return
    from crmkit.report.sheets import write_report

    with _status("Writing the report…", quiet):
        write_report(path, *results, quality=quality, lang=lang, protect=protect)
    if not quiet:
        _err(f"crmkit: report written to {path}")


@app.command()
@_reads_purchases
def segment(
    input: InputArg,
    as_of: AsOfOpt = None,
    bins: Annotated[int, typer.Option("--bins", help="Score bands per dimension: 3, 4 or 5.")] = 5,
    scheme: Annotated[
        str, typer.Option("--scheme", help="standard, cn8, or a FILE.toml of your own rules.")
    ] = "standard",
    occasion: Annotated[
        str, typer.Option("--occasion", help="A purchase is a distinct day or a distinct order.")
    ] = "day",
    abc: Annotated[str, typer.Option("--abc", help="Cumulative revenue shares closing classes A and B.")] = "0.8,0.95",
    clusters: Annotated[Optional[int], typer.Option("--clusters", help="Add k-means clusters on log R, F, M.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for --clusters.")] = 0,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = "en",
    read: ReadOptions = ReadOptions(),
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """RFM scores, named segments, Pareto/ABC classes and clusters per customer.

    Example: crmkit segment sales.csv --format csv -o customers.csv --report report.xlsx
    """
    with _errors(debug):
        from crmkit.report.tables import write_frame
        from crmkit.report.terminal import render_segments
        from crmkit.segment import segment as run_segment

        fmt = _output_format(lang, output, format)
        thresholds = _parse_thresholds(abc)
        data, as_of_date = _read(input, read, as_of, quiet, keep=("order_id",) if occasion == "order" else ())
        with _status("Segmenting…", quiet):
            result = run_segment(
                data,
                as_of_date,
                occasion=occasion,
                bins=bins,
                scheme=scheme,
                thresholds=thresholds,
                clusters=clusters,
                seed=seed,
                lang=lang,
            )
        data.release()  # the rows are summarised: free them before rendering large outputs
        data.quality.customers = result.headline["customers"]
        _say_read(data.quality, as_of, quiet, notes=data.quality.notes, warnings=result.warnings)
        if fmt == "table":
            _table_to_terminal(output)
            render_segments(result)
        else:
            write_frame(result.customer_rows, fmt, output, protect=[input], lang=lang)
        _write_report(report, result, quality=data.quality, lang=lang, protect=[input], quiet=quiet)


@app.command()
@_reads_purchases
def clv(
    input: InputArg,
    as_of: AsOfOpt = None,
    model: Annotated[str, typer.Option("--model", help="bgnbd, pnbd, mbgnbd or bgbb.")] = "bgnbd",
    unit: Annotated[str, typer.Option("--unit", help="Model clock: day, week, month, quarter or year.")] = "week",
    horizon: Annotated[str, typer.Option("--horizon", help="Forecast horizon: 12m, 52w, 365d, 2y.")] = "52w",
    discount: Annotated[float, typer.Option("--discount", help="Annual discount rate.")] = 0.10,
    margin: Annotated[
        Optional[float], typer.Option("--margin", help="Profit margin on spend (default: the margin column, else 1.0).")
    ] = None,
    occasion: Annotated[str, typer.Option("--occasion", help="A purchase is a distinct day or order.")] = "day",
    holdout: Annotated[Optional[str], typer.Option("--holdout", help="Validate on the last part, e.g. 26w.")] = None,
    calibration_end: Annotated[
        Optional[str], typer.Option("--calibration-end", help="Validate from this date on (instead of --holdout).")
    ] = None,
    referrals: Annotated[
        Optional[str], typer.Option("--referrals", help="CSV/XLSX of referrer id, referred customer id.")
    ] = None,
    credit_share: Annotated[
        float, typer.Option("--credit-share", help="Share of a referred customer's value credited to the referrer.")
    ] = 1.0,
    params_out: Annotated[
        Optional[str],
        typer.Option("--params-out", help="Write fitted parameters to FILE.json.", rich_help_panel=OUTPUT_PANEL),
    ] = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = "en",
    read: ReadOptions = ReadOptions(),
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """Customer lifetime value, P(alive), churn risk and expected purchases per customer.

    Example: crmkit clv sales.csv --horizon 12m --margin 0.3 --holdout 26w --report clv.xlsx
    """
    with _errors(debug):
        from crmkit.clv import customer_lifetime_value
        from crmkit.report.tables import write_frame, write_json_file
        from crmkit.report.terminal import render_clv

        fmt = _output_format(lang, output, format)
        data, as_of_date = _read(input, read, as_of, quiet, keep=("order_id", "margin"))
        referral_rows = None
        if referrals:
            from crmkit.io.inputs import read_referrals

            referral_rows = read_referrals(referrals, encoding=read.encoding)
        with _status("Fitting…", quiet):
            result = customer_lifetime_value(
                data,
                as_of_date,
                model=model,
                unit=unit,
                horizon=horizon,
                discount=discount,
                margin=margin,
                occasion=occasion,
                holdout=holdout,
                calibration_end=_parse_date(calibration_end, "--calibration-end") if calibration_end else None,
                referrals=referral_rows,
                credit_share=credit_share,
            )
        data.quality.customers = len(result.customers)
        _say_read(data.quality, as_of, quiet, notes=data.quality.notes, warnings=result.warnings)
        inputs = [input, referrals]
        if fmt == "table":
            _table_to_terminal(output)
            render_clv(result, lang)
        else:
            write_frame(result.customers, fmt, output, protect=inputs, lang=lang)
        if params_out:
            parameters = result.to_dict()
            write_json_file(
                params_out, {"model": parameters["model"], "spend_model": parameters["spend_model"]}, protect=inputs
            )
        _write_report(report, result, quality=data.quality, lang=lang, protect=inputs, quiet=quiet)


@app.command()
def satisfaction(
    input: Annotated[
        str, typer.Argument(help="Survey export (CSV/TSV/.gz/XLSX/Parquet), or - for stdin.", show_default=False)
    ],
    model: Annotated[str, typer.Option("--model", help="acsi, ecsi, scsb, ccsi, or a FILE.toml model.")] = "ecsi",
    scale: Annotated[
        Optional[str], typer.Option("--scale", help="Answer scale, e.g. 1-10 (default: the model's).")
    ] = None,
    missing: Annotated[str, typer.Option("--missing", help="Missing answers: mean (replace) or listwise.")] = "mean",
    scheme: Annotated[str, typer.Option("--scheme", help="Inner weighting: path, centroid or factorial.")] = "path",
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Resamples for confidence intervals (0: none).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for --bootstrap.")] = 0,
    by: Annotated[Optional[str], typer.Option("--by", help="Report per group of this column (store, region).")] = None,
    nps_col: Annotated[
        Optional[str], typer.Option("--nps", help="0-10 recommend column (default: found by name).")
    ] = None,
    csat_col: Annotated[Optional[str], typer.Option("--csat", help="CSAT column (default: found by name).")] = None,
    ces_col: Annotated[
        Optional[str], typer.Option("--ces", help="Customer-effort column (default: found by name).")
    ] = None,
    gap_tolerance: Annotated[
        float, typer.Option("--gap-tolerance", help="Index points within which quality meets expectation.")
    ] = 5.0,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = "en",
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """Satisfaction index (ACSI-style, 0-100), key drivers, NPS and CSAT from a survey export.

    Example: crmkit satisfaction survey.csv --model ecsi --bootstrap 1000 --seed 1 --report satisfaction.xlsx
    """
    with _errors(debug):
        from crmkit.io.inputs import read_survey
        from crmkit.report.tables import write_frame, write_json_file
        from crmkit.report.terminal import render_satisfaction
        from crmkit.satisfaction import analyse_survey

        fmt = _output_format(lang, output, format)
        with _status(f"Reading {input}…", quiet):
            frame, first_row = read_survey(input, encoding=encoding, sheet=sheet, delimiter=delimiter)
        with _status("Estimating…", quiet):
            result = analyse_survey(
                frame,
                model,
                scale=scale,
                missing=missing,
                scheme=scheme,
                bootstrap=bootstrap,
                seed=seed,
                by=by,
                nps_column=nps_col,
                csat_column=csat_col,
                ces_column=ces_col,
                gap_tolerance=gap_tolerance,
                first_row=first_row,
                source="<stdin>" if input == "-" else input,
            )
        if not quiet:
            t = result.treatment
            handled = (
                f"{t['answers_replaced']:,} missing answers replaced by item means"
                if t["method"] == "mean"
                else f"{t['respondents_dropped']:,} respondents with missing answers left out"
            )
            _err(
                f"crmkit: {result.fit['respondents']:,} respondents, {result.model.name['en']}, scale "
                f"{result.scale[0]:g}-{result.scale[1]:g}; {handled}"
            )
            for warning in result.warnings:
                _err(f"crmkit: warning: {warning}")
        if fmt == "table":
            _table_to_terminal(output)
            render_satisfaction(result, lang)
        elif fmt == "json":
            write_json_file(output, result.to_dict(), protect=[input])
        elif fmt == "xlsx":
            if not output or output == "-":
                raise UsageError("--format xlsx needs -o FILE.xlsx")
            _write_report(output, result, lang=lang, protect=[input], quiet=True)
        else:
            write_frame(result.respondents, fmt, output, protect=[input], lang=lang)
        _write_report(report, result, lang=lang, protect=[input], quiet=quiet)


@app.command()
@_reads_purchases
def retention(
    input: InputArg,
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", help="Cohort period: week, month or quarter.")] = "month",
    occasion: Annotated[str, typer.Option("--occasion", help="A purchase is a distinct day or order.")] = "day",
    include_partial: Annotated[
        bool,
        typer.Option(
            "--include-partial",
            help="Also show the period the as-of date falls in (otherwise blank: not yet observable).",
        ),
    ] = False,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = "en",
    read: ReadOptions = ReadOptions(),
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """Acquisition cohorts x periods since the first purchase: retention, revenue retention, churn.

    Example: crmkit retention sales.csv --period quarter --report retention.xlsx
    """
    with _errors(debug):
        from crmkit.report.tables import write_frame, write_json_file
        from crmkit.report.terminal import render_retention
        from crmkit.retention import cohort_retention

        fmt = _output_format(lang, output, format)
        data, as_of_date = _read(input, read, as_of, quiet, keep=("order_id",) if occasion == "order" else ())
        result = cohort_retention(data, as_of_date, period=period, occasion=occasion, include_partial=include_partial)
        _say_read(data.quality, as_of, quiet)
        if fmt == "table":
            _table_to_terminal(output)
            render_retention(result, lang)
        elif fmt == "json":
            write_json_file(output, result.to_dict(), protect=[input])
        else:
            write_frame(result.wide("retention"), fmt, output, protect=[input], sheet="sheet:retention", lang=lang)
        _write_report(report, result, lang=lang, protect=[input], quiet=quiet)


@app.command()
@_reads_purchases
def ladder(
    input: InputArg,
    as_of: AsOfOpt = None,
    compare_to: Annotated[
        Optional[str],
        typer.Option(
            "--compare-to", help="Second date for the migration matrix (default: one month before the as-of date)."
        ),
    ] = None,
    survey: Annotated[
        Optional[str], typer.Option("--survey", help="Survey export linked by customer id (satisfaction, recommend).")
    ] = None,
    survey_model: Annotated[
        str, typer.Option("--survey-model", help="Model for --survey: acsi, ecsi, scsb, ccsi or FILE.toml.")
    ] = "ecsi",
    members: Annotated[
        Optional[str], typer.Option("--members", help="Member / contact list (customer id, registered, enquired).")
    ] = None,
    referrals: Annotated[Optional[str], typer.Option("--referrals", help="Referrer id, referred customer id.")] = None,
    rules: Annotated[Optional[str], typer.Option("--rules", help="Ladder thresholds and rules (FILE.toml).")] = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = "en",
    read: ReadOptions = ReadOptions(),
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """The loyalty ladder: each person's rung, lifecycle stage, reason and next step; migration between two dates.

    Example: crmkit ladder sales.csv --survey survey.csv --members members.csv --referrals referrals.csv
    """
    with _errors(debug):
        from crmkit.ladder import compare_ladders, load_rules
        from crmkit.report.tables import write_frame
        from crmkit.report.terminal import render_ladder

        fmt = _output_format(lang, output, format)
        rule_set = load_rules(rules) if rules else None  # a bad rules file fails before the export is read
        data, as_of_date = _read(input, read, as_of, quiet, keep=())
        earlier = _parse_date(compare_to, "--compare-to") if compare_to else None
        with _status("Placing customers on the ladder…", quiet):
            ladders = compare_ladders(
                data.transactions,
                as_of_date,
                earlier,
                survey=survey or None,
                survey_model=survey_model,
                members=members or None,
                referrals=referrals or None,
                rules=rule_set,
                lang=lang,
                encoding=read.encoding,
            )
        _say_read(data.quality, as_of, quiet, notes=ladders.notes)
        inputs = [input, survey, members, referrals]
        if fmt == "table":
            _table_to_terminal(output)
            render_ladder(ladders.before, ladders.after, ladders.matrix, lang)
        else:
            write_frame(ladders.after.people, fmt, output, protect=inputs, lang=lang)
        _write_report(report, ladders, lang=lang, protect=inputs, quiet=quiet)


@app.command("report")
def monthly_report(
    input: Annotated[
        Optional[str], typer.Argument(help="Purchase export (instead of --config).", show_default=False)
    ] = None,
    config: Annotated[
        Optional[str], typer.Option("--config", help="crmkit.toml: inputs, output path and settings.")
    ] = None,
    survey: Annotated[Optional[str], typer.Option("--survey", help="Survey export.")] = None,
    members: Annotated[Optional[str], typer.Option("--members", help="Member / contact list.")] = None,
    referrals: Annotated[Optional[str], typer.Option("--referrals", help="Referrals file.")] = None,
    output: Annotated[
        Optional[str],
        typer.Option("--output", "-o", help="Workbook path; {yyyy} {mm} {dd} {date} come from the as-of date."),
    ] = None,
    as_of: Annotated[
        Optional[str],
        typer.Option(
            "--as-of", help="YYYY-MM-DD, last-month-end, month-end, today, yesterday (default: the last purchase date)."
        ),
    ] = None,
    history: Annotated[
        Optional[str],
        typer.Option("--history", help="History database (default: crmkit-history.sqlite next to the report)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Validate the config and read every input; write nothing.")
    ] = False,
    lang: Annotated[
        Optional[str], typer.Option("--lang", help="en or zh (default: the config's, else en).", envvar="CRMKIT_LANG")
    ] = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """The monthly CRM workbook: overview and trend, segments, CLV, ladder, retention, satisfaction.

    Example: crmkit report --config crmkit.toml --as-of last-month-end
    """
    with _errors(debug):
        from crmkit.monthly.run import report as run_report

        with _status("Running the analyses and writing the report…", quiet):
            result = run_report(
                input,
                output,
                config=config,
                survey=survey,
                members=members,
                referrals=referrals,
                as_of=as_of,
                history=history,
                lang=lang,
                today=date.today(),
                check=check,
            )
        if quiet:
            return
        if check:
            _err(f"crmkit: check passed: {result.quality.one_line()}; would write {result.output} and {result.history}")
            return
        _err(f"crmkit: {result.quality.one_line()}")
        _err(f"crmkit: report written to {result.output}; history {result.history}")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
