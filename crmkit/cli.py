"""The ``crmkit`` command line: a thin layer that reads, calls one library function and renders.

Only this module imports typer. Heavy libraries (pandas, DuckDB, scikit-learn, openpyxl) are
imported inside the commands so that ``crmkit --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import date
from typing import Annotated, Optional

import typer

from crmkit import __version__
from crmkit.errors import CrmkitError, UsageError

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
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
):
    """Customer-relationship analytics from purchase and survey exports."""


# --- shared options (declared once, used by every command that reads purchases) -----------
InputArg = Annotated[str, typer.Argument(help="Purchase export (CSV/TSV/.gz/XLSX/Parquet), or - for stdin.",
                                         show_default=False)]
CustomerOpt = Annotated[Optional[str], typer.Option("--customer", help="Customer id column.",
                                                    rich_help_panel=INPUT_PANEL)]
DateOpt = Annotated[Optional[str], typer.Option("--date", help="Purchase date column.", rich_help_panel=INPUT_PANEL)]
AmountOpt = Annotated[Optional[str], typer.Option("--amount", help="Amount column.", rich_help_panel=INPUT_PANEL)]
OrderOpt = Annotated[Optional[str], typer.Option("--order-id", help="Order/invoice id column.",
                                                 rich_help_panel=INPUT_PANEL)]
QuantityOpt = Annotated[Optional[str], typer.Option("--quantity", help="Quantity column.",
                                                    rich_help_panel=INPUT_PANEL)]
PriceOpt = Annotated[Optional[str], typer.Option("--price", help="Unit price column (amount = quantity x price).",
                                                 rich_help_panel=INPUT_PANEL)]
StatusOpt = Annotated[Optional[str], typer.Option("--status", help="Order status column (退货/cancelled mark returns).",
                                                  rich_help_panel=INPUT_PANEL)]
SheetOpt = Annotated[Optional[str], typer.Option("--sheet", help="XLSX sheet name or number (default: first).",
                                                 rich_help_panel=INPUT_PANEL)]
EncodingOpt = Annotated[Optional[str], typer.Option("--encoding", help="Force the encoding (utf-8, gb18030, ...).",
                                                    rich_help_panel=INPUT_PANEL)]
DelimiterOpt = Annotated[Optional[str], typer.Option("--delimiter", help="Force the field delimiter.",
                                                     rich_help_panel=INPUT_PANEL)]
DayfirstOpt = Annotated[Optional[bool], typer.Option("--dayfirst/--monthfirst",
                                                     help="Read 01/02/2024 as 1 Feb / 2 Jan (default: from the data).",
                                                     rich_help_panel=INPUT_PANEL, show_default=False)]
DecimalOpt = Annotated[Optional[str], typer.Option("--decimal", help="Decimal separator of amounts: . or , "
                                                   "(default: from the data).", rich_help_panel=INPUT_PANEL)]
SkipBadOpt = Annotated[bool, typer.Option("--skip-bad-rows", help="Drop and count rows with an unreadable date or "
                                          "amount instead of stopping.", rich_help_panel=INPUT_PANEL)]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="Analysis date YYYY-MM-DD (default: the last "
                                                "purchase date in the data).", show_default=False)]
FormatOpt = Annotated[Optional[str], typer.Option("--format", "-f", help="table, csv, json, parquet or xlsx "
                                                  "(default: table on a terminal, csv in a pipe or by -o extension).",
                                                  rich_help_panel=OUTPUT_PANEL, show_default=False)]
OutputOpt = Annotated[Optional[str], typer.Option("--output", "-o", help="Write per-customer rows here "
                                                  "(default: stdout).", rich_help_panel=OUTPUT_PANEL)]
ReportOpt = Annotated[Optional[str], typer.Option("--report", help="Also write the Excel report (FILE.xlsx).",
                                                  rich_help_panel=OUTPUT_PANEL)]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of labels: en or zh.", envvar="CRMKIT_LANG",
                                      rich_help_panel=OUTPUT_PANEL)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No messages on stderr except errors.",
                                        rich_help_panel=OUTPUT_PANEL)]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.", envvar="CRMKIT_DEBUG",
                                        rich_help_panel=OUTPUT_PANEL)]


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
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback without --debug
        if debug:
            raise
        _err(f"crmkit: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback "
             "and report it)")
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


def _read(options: dict, *, keep=None):
    """Read the purchase export named by a command's own options (its ``locals()``) and settle the as-of date.

    Every command that reads purchases declares the same reading options; they are taken here by
    name, so the options and their handling live in one place.
    """
    from crmkit.io.purchases import read_purchases

    decimal, delimiter = options["decimal"], options["delimiter"]
    if decimal not in (None, ".", ","):
        raise UsageError(f"--decimal must be . or , not {decimal!r}")
    if delimiter is not None:
        delimiter = {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise UsageError(f"--delimiter must be one character, not {delimiter!r}")
    columns = {role: options[name] for role, name in (
        ("customer_id", "customer"), ("date", "date_col"), ("amount", "amount"), ("order_id", "order_id"),
        ("quantity", "quantity"), ("unit_price", "price"), ("status", "status"))}
    as_of = _parse_date(options["as_of"], "--as-of") if options["as_of"] else None
    with _status(f"Reading {options['input']}…", options["quiet"]):
        data = read_purchases(options["input"], columns=columns, sheet=options["sheet"], encoding=options["encoding"],
                              delimiter=delimiter, dayfirst=options["dayfirst"], decimal=decimal,
                              skip_bad_rows=options["skip_bad_rows"], **({} if keep is None else {"keep": keep}))
    return data, data.resolve_as_of(as_of)


def _render_segment_table(result) -> None:
    from rich.console import Console
    from rich.table import Table

    from crmkit.report.i18n import label

    lang = result.lang
    # A pipe or a file gets the whole table, not one folded to a guessed 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 200)
    table = Table(title=label("sheet:segments", lang))
    for key in ("segment_label", "customers", "customer_share", "revenue", "revenue_share",
                "mean_recency_days", "mean_frequency", "mean_monetary"):
        table.add_column(label(key, lang), justify="left" if key == "segment_label" else "right")
    for row in result.segments.itertuples():
        def num(v, spec):
            return "" if v != v else format(v, spec)
        table.add_row(row.segment_label, f"{row.customers:,}", f"{row.customer_share:.1%}", f"{row.revenue:,.2f}",
                      f"{row.revenue_share:.1%}", num(row.mean_recency_days, ",.0f"), num(row.mean_frequency, ".2f"),
                      num(row.mean_monetary, ",.2f"))
    console.print(table)
    h = result.headline
    console.print(
        f"{label('customers', lang)} {h['customers']:,} · {label('revenue', lang)} {h['revenue']:,.2f} · "
        f"{label('repeat_customer_rate', lang)} {h['repeat_customer_rate']:.1%} · "
        f"{label('top20_share', lang)} {h['top20_share']:.1%} · {label('gini', lang)} {h['gini']:.3f} · "
        f"{label('as_of', lang)} {h['as_of']}"
        + (f" · silhouette {result.silhouette:.3f}" if result.silhouette is not None else ""))


@app.command()
def segment(
    input: InputArg,
    as_of: AsOfOpt = None,
    bins: Annotated[int, typer.Option("--bins", help="Score bands per dimension: 3, 4 or 5.")] = 5,
    scheme: Annotated[str, typer.Option("--scheme", help="standard, cn8, or a FILE.toml of your own rules.")]
    = "standard",
    occasion: Annotated[str, typer.Option("--occasion", help="A purchase is a distinct day or a distinct order.")]
    = "day",
    abc: Annotated[str, typer.Option("--abc", help="Cumulative revenue shares closing classes A and B.")]
    = "0.8,0.95",
    clusters: Annotated[Optional[int], typer.Option("--clusters", help="Add k-means clusters on log R, F, M.")]
    = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for --clusters.")] = 0,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = "en",
    customer: CustomerOpt = None,
    date_col: DateOpt = None,
    amount: AmountOpt = None,
    order_id: OrderOpt = None,
    quantity: QuantityOpt = None,
    price: PriceOpt = None,
    status: StatusOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    dayfirst: DayfirstOpt = None,
    decimal: DecimalOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """RFM scores, named segments, Pareto/ABC classes and clusters per customer.

    Example: crmkit segment sales.csv --format csv -o customers.csv --report report.xlsx
    """
    with _errors(debug):
        from crmkit.report.i18n import check_lang
        from crmkit.report.tables import format_for, write_frame
        from crmkit.segment import segment as run_segment

        check_lang(lang)
        fmt = format_for(output, format, sys.stdout.isatty())
        thresholds = _parse_thresholds(abc)
        data, as_of_date = _read(locals(), keep=("order_id",) if occasion == "order" else ())
        with _status("Segmenting…", quiet):
            result = run_segment(data, as_of_date, occasion=occasion, bins=bins, scheme=scheme,
                                 thresholds=thresholds, clusters=clusters, seed=seed, lang=lang)
        data.release()  # the rows are summarised: free them before rendering large outputs
        data.quality.customers = result.headline["customers"]
        if not quiet:
            _err("crmkit: " + data.quality.one_line() + ("" if as_of else " (last purchase date in the data)"))
            for note in data.quality.notes:
                _err(f"crmkit: note: {note}")
        for warning in [] if quiet else result.warnings:
            _err(f"crmkit: warning: {warning}")
        if fmt == "table":
            if output and output != "-":
                raise UsageError("--format table prints to the terminal; use csv, json, parquet or xlsx with -o")
            _render_segment_table(result)
        else:
            write_frame(result.customer_rows, fmt, output, protect=[input], lang=lang)
        if report:
            from crmkit.report.sheets import write_segment_report

            with _status("Writing the report…", quiet):
                write_segment_report(report, result, data.quality, lang=lang, protect=[input])
            if not quiet:
                _err(f"crmkit: report written to {report}")


def _render_clv_table(result, lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from crmkit.report.i18n import label

    console = Console(width=None if sys.stdout.isatty() else 200)
    model = result.model
    if "params" in model:
        params = ", ".join(f"{k} = {v:.4g}" for k, v in model["params"].items())
        console.print(f"{model['model']}: {params}; log-likelihood {model['log_likelihood']:,.1f}; "
                      f"{'converged' if model['converged'] else 'NOT converged'}")
    table = Table(title=label("sheet:clv_deciles", lang))
    for key in ("clv_decile", "customers", "clv_total", "clv_mean", "clv_share"):
        table.add_column(label(key, lang), justify="right")
    for row in result.deciles.itertuples():
        table.add_row(str(row.clv_decile), f"{row.customers:,}", f"{row.clv_total:,.2f}", f"{row.clv_mean:,.2f}",
                      f"{row.clv_share:.1%}")
    console.print(table)
    if result.holdout is not None:
        h = result.holdout
        groups = Table(title=f"{label('title:holdout', lang)} {h.calibration_end}..{h.end}")
        for key in ("frequency_group", "customers", "actual_mean", "expected_mean", "actual_total",
                    "expected_total"):
            groups.add_column(label(key, lang), justify="right")
        for row in h.by_frequency.itertuples():
            groups.add_row(str(row.frequency_group), f"{row.customers:,}", f"{row.actual_mean:.3f}",
                           f"{row.expected_mean:.3f}", f"{row.actual_total:,.0f}", f"{row.expected_total:,.1f}")
        console.print(groups)
        console.print(f"{label('total_actual', lang)} {h.total_actual:,.0f} · {label('total_expected', lang)} "
                      f"{h.total_expected:,.1f} · {label('holdout_error', lang)} {h.error:+.1%}")


@app.command()
def clv(
    input: InputArg,
    as_of: AsOfOpt = None,
    model: Annotated[str, typer.Option("--model", help="bgnbd, pnbd, mbgnbd or bgbb.")] = "bgnbd",
    unit: Annotated[str, typer.Option("--unit", help="Model clock: day, week, month, quarter or year.")] = "week",
    horizon: Annotated[str, typer.Option("--horizon", help="Forecast horizon: 12m, 52w, 365d, 2y.")] = "52w",
    discount: Annotated[float, typer.Option("--discount", help="Annual discount rate.")] = 0.10,
    margin: Annotated[Optional[float], typer.Option("--margin", help="Profit margin on spend (default: the "
                                                    "margin column, else 1.0).")] = None,
    occasion: Annotated[str, typer.Option("--occasion", help="A purchase is a distinct day or order.")] = "day",
    holdout: Annotated[Optional[str], typer.Option("--holdout", help="Validate on the last part, e.g. 26w.")] = None,
    calibration_end: Annotated[Optional[str], typer.Option("--calibration-end", help="Validate from this "
                                                           "date on (instead of --holdout).")] = None,
    referrals: Annotated[Optional[str], typer.Option("--referrals", help="CSV/XLSX of referrer id, referred "
                                                     "customer id.")] = None,
    credit_share: Annotated[float, typer.Option("--credit-share", help="Share of a referred customer's value "
                                                "credited to the referrer.")] = 1.0,
    params_out: Annotated[Optional[str], typer.Option("--params-out", help="Write fitted parameters to "
                                                      "FILE.json.", rich_help_panel=OUTPUT_PANEL)] = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = "en",
    customer: CustomerOpt = None,
    date_col: DateOpt = None,
    amount: AmountOpt = None,
    order_id: OrderOpt = None,
    quantity: QuantityOpt = None,
    price: PriceOpt = None,
    status: StatusOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    dayfirst: DayfirstOpt = None,
    decimal: DecimalOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """Customer lifetime value, P(alive), churn risk and expected purchases per customer.

    Example: crmkit clv sales.csv --horizon 12m --margin 0.3 --holdout 26w --report clv.xlsx
    """
    with _errors(debug):
        from crmkit.clv import customer_lifetime_value
        from crmkit.report.i18n import check_lang
        from crmkit.report.tables import format_for, write_frame, write_json_file

        check_lang(lang)
        fmt = format_for(output, format, sys.stdout.isatty())
        data, as_of_date = _read(locals(), keep=("order_id", "margin"))
        referral_rows = None
        if referrals:
            from crmkit.io.inputs import read_referrals

            referral_rows = read_referrals(referrals, encoding=encoding)
        with _status("Fitting…", quiet):
            result = customer_lifetime_value(
                data, as_of_date, model=model, unit=unit, horizon=horizon, discount=discount, margin=margin,
                occasion=occasion, holdout=holdout,
                calibration_end=_parse_date(calibration_end, "--calibration-end") if calibration_end else None,
                referrals=referral_rows, credit_share=credit_share)
        data.quality.customers = len(result.customers)
        if not quiet:
            _err("crmkit: " + data.quality.one_line() + ("" if as_of else " (last purchase date in the data)"))
            for note in data.quality.notes:
                _err(f"crmkit: note: {note}")
        for warning in [] if quiet else result.warnings:
            _err(f"crmkit: warning: {warning}")
        if fmt == "table":
            if output and output != "-":
                raise UsageError("--format table prints to the terminal; use csv, json, parquet or xlsx with -o")
            _render_clv_table(result, lang)
        else:
            write_frame(result.customers, fmt, output, protect=[input, referrals], lang=lang)
        if params_out:
            write_json_file(params_out, {"model": result.model, "spend_model": result.spend_model},
                            protect=[input, referrals])
        if report:
            from crmkit.report.sheets import write_clv_report

            with _status("Writing the report…", quiet):
                write_clv_report(report, result, data.quality, lang=lang, protect=[input, referrals])
            if not quiet:
                _err(f"crmkit: report written to {report}")


def _render_satisfaction(result, lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from crmkit.report.i18n import label

    console = Console(width=None if sys.stdout.isatty() else 200)
    spec = result.model
    table = Table(title=f"{spec.name[lang]} · {label('sheet:index', lang)}")
    for key in ("construct", "index", "r_squared"):
        table.add_column(label(key, lang), justify="left" if key == "construct" else "right")
    for construct, value in result.index.items():
        r2 = result.r_squared.get(construct)
        table.add_row(spec.label(construct, lang), f"{value:.1f}", "" if r2 is None else f"{r2:.3f}")
    console.print(table)
    paths = Table(title=label("sheet:paths", lang))
    for key in ("from", "to", "estimate", "ci_low", "ci_high"):
        paths.add_column(label(key, lang), justify="right" if key not in ("from", "to") else "left")
    for row in result.paths.itertuples():
        ci = ("", "") if row.ci_low != row.ci_low else (f"{row.ci_low:.3f}", f"{row.ci_high:.3f}")
        paths.add_row(spec.label(row[1], lang), spec.label(row.to, lang), f"{row.estimate:.3f}", *ci)
    console.print(paths)
    drivers = Table(title=label("sheet:drivers", lang))
    for key in ("construct", "importance", "performance", "quadrant"):
        drivers.add_column(label(key, lang))
    for row in result.drivers.itertuples():
        drivers.add_row(spec.label(row.construct, lang), f"{row.importance:.3f}", f"{row.performance:.1f}",
                        label(f"quadrant:{row.quadrant}", lang))
    console.print(drivers)
    extras = []
    if result.nps:
        extras.append(f"NPS {result.nps['nps']:+.1f}")
    if result.csat:
        extras.append(f"CSAT {result.csat['csat']:.1%}")
    if result.ces:
        extras.append(f"CES {result.ces['ces']:.2f}")
    if extras:
        console.print(" · ".join(extras))


@app.command()
def satisfaction(
    input: Annotated[str, typer.Argument(help="Survey export (CSV/TSV/.gz/XLSX/Parquet), or - for stdin.",
                                         show_default=False)],
    model: Annotated[str, typer.Option("--model", help="acsi, ecsi, scsb, ccsi, or a FILE.toml model.")] = "ecsi",
    scale: Annotated[Optional[str], typer.Option("--scale", help="Answer scale, e.g. 1-10 (default: the "
                                                 "model's).")] = None,
    missing: Annotated[str, typer.Option("--missing", help="Missing answers: mean (replace) or listwise.")]
    = "mean",
    scheme: Annotated[str, typer.Option("--scheme", help="Inner weighting: path, centroid or factorial.")] = "path",
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Resamples for confidence intervals (0: none).")]
    = 0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for --bootstrap.")] = 0,
    by: Annotated[Optional[str], typer.Option("--by", help="Report per group of this column (store, region).")]
    = None,
    nps_col: Annotated[Optional[str], typer.Option("--nps", help="0-10 recommend column (default: found by "
                                                   "name).")] = None,
    csat_col: Annotated[Optional[str], typer.Option("--csat", help="CSAT column (default: found by name).")] = None,
    ces_col: Annotated[Optional[str], typer.Option("--ces", help="Customer-effort column (default: found by "
                                                   "name).")] = None,
    gap_tolerance: Annotated[float, typer.Option("--gap-tolerance", help="Index points within which quality "
                                                 "meets expectation.")] = 5.0,
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
        from crmkit.report.i18n import check_lang
        from crmkit.report.tables import format_for, write_frame, write_json_file
        from crmkit.satisfaction import analyse_survey

        check_lang(lang)
        fmt = format_for(output, format, sys.stdout.isatty())
        with _status(f"Reading {input}…", quiet):
            frame, first_row = read_survey(input, encoding=encoding, sheet=sheet, delimiter=delimiter)
        with _status("Estimating…", quiet):
            result = analyse_survey(frame, model, scale=scale, missing=missing, scheme=scheme, bootstrap=bootstrap,
                                    seed=seed, by=by, nps_column=nps_col, csat_column=csat_col,
                                    ces_column=ces_col, gap_tolerance=gap_tolerance, first_row=first_row,
                                    source="<stdin>" if input == "-" else input)
        if not quiet:
            t = result.treatment
            handled = (f"{t['answers_replaced']:,} missing answers replaced by item means" if t["method"] == "mean"
                       else f"{t['respondents_dropped']:,} respondents with missing answers left out")
            _err(f"crmkit: {result.fit['respondents']:,} respondents, {result.model.name['en']}, scale "
                 f"{result.scale[0]:g}-{result.scale[1]:g}; {handled}")
        for warning in [] if quiet else result.warnings:
            _err(f"crmkit: warning: {warning}")
        if fmt == "table":
            if output and output != "-":
                raise UsageError("--format table prints to the terminal; use csv, json, parquet or xlsx with -o")
            _render_satisfaction(result, lang)
        elif fmt == "json":
            write_json_file(output, result.to_json(), protect=[input])
        elif fmt == "xlsx":
            from crmkit.report.sheets import write_satisfaction_report

            if not output or output == "-":
                raise UsageError("--format xlsx needs -o FILE.xlsx")
            write_satisfaction_report(output, result, lang=lang, protect=[input])
        else:
            write_frame(result.respondents, fmt, output, protect=[input], lang=lang)
        if report:
            from crmkit.report.sheets import write_satisfaction_report

            with _status("Writing the report…", quiet):
                write_satisfaction_report(report, result, lang=lang, protect=[input])
            if not quiet:
                _err(f"crmkit: report written to {report}")


@app.command()
def retention(
    input: InputArg,
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", help="Cohort period: week, month or quarter.")] = "month",
    occasion: Annotated[str, typer.Option("--occasion", help="A purchase is a distinct day or order.")] = "day",
    include_partial: Annotated[bool, typer.Option("--include-partial", help="Also show the period the as-of "
                                                  "date falls in (otherwise blank: not yet observable).")] = False,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = "en",
    customer: CustomerOpt = None,
    date_col: DateOpt = None,
    amount: AmountOpt = None,
    order_id: OrderOpt = None,
    quantity: QuantityOpt = None,
    price: PriceOpt = None,
    status: StatusOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    dayfirst: DayfirstOpt = None,
    decimal: DecimalOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """Acquisition cohorts x periods since the first purchase: retention, revenue retention, churn.

    Example: crmkit retention sales.csv --period quarter --report retention.xlsx
    """
    with _errors(debug):
        from crmkit.report.i18n import check_lang, label
        from crmkit.report.tables import format_for, write_frame, write_json_file
        from crmkit.retention import cohort_retention

        check_lang(lang)
        fmt = format_for(output, format, sys.stdout.isatty())
        data, as_of_date = _read(locals(), keep=("order_id",) if occasion == "order" else ())
        result = cohort_retention(data, as_of_date, period=period, occasion=occasion,
                                  include_partial=include_partial)
        if not quiet:
            _err("crmkit: " + data.quality.one_line() + ("" if as_of else " (last purchase date in the data)"))
        matrix = result.retention.copy()
        matrix.columns = [f"k{c}" for c in matrix.columns]
        matrix.insert(0, "cohort_size", result.cohort_size.reindex(matrix.index).to_numpy())
        matrix = matrix.rename_axis("cohort").reset_index()
        if fmt == "table":
            if output and output != "-":
                raise UsageError("--format table prints to the terminal; use csv, json, parquet or xlsx with -o")
            from rich.console import Console
            from rich.table import Table

            console = Console(width=None if sys.stdout.isatty() else 200)
            table = Table(title=label("title:retention", lang))
            shown = list(matrix.columns[:14])
            for col in shown:
                table.add_column(label(col, lang), justify="right")
            for row in matrix[shown].itertuples(index=False):
                table.add_row(str(row[0]), f"{row[1]:,}", *("" if v != v else f"{v:.0%}" for v in row[2:]))
            console.print(table)
        elif fmt == "json":
            def records(frame):
                frame = frame.rename_axis("cohort").reset_index()
                frame.columns = [str(c) for c in frame.columns]
                return frame.astype(object).where(frame.notna(), None).to_dict("records")

            doc = {"period": result.period, "as_of": as_of_date.isoformat(), "summary": result.summary,
                   **{name: records(getattr(result, name)) for name in
                      ("customers", "retention", "revenue", "revenue_retention", "repeat_rate", "churn_rate")}}
            write_json_file(output, doc, protect=[input])
        else:
            write_frame(matrix, fmt, output, protect=[input], sheet="sheet:retention", lang=lang)
        if report:
            from crmkit.report.sheets import write_retention_report

            write_retention_report(report, result, lang=lang, protect=[input])
            if not quiet:
                _err(f"crmkit: report written to {report}")


@app.command()
def ladder(
    input: InputArg,
    as_of: AsOfOpt = None,
    compare_to: Annotated[Optional[str], typer.Option("--compare-to", help="Second date for the migration "
                                                      "matrix (default: one month before the as-of date).")] = None,
    survey: Annotated[Optional[str], typer.Option("--survey", help="Survey export linked by customer id "
                                                  "(satisfaction, recommend).")] = None,
    survey_model: Annotated[str, typer.Option("--survey-model", help="Model for --survey: acsi, ecsi, scsb, "
                                              "ccsi or FILE.toml.")] = "ecsi",
    members: Annotated[Optional[str], typer.Option("--members", help="Member / contact list (customer id, "
                                                   "registered, enquired).")] = None,
    referrals: Annotated[Optional[str], typer.Option("--referrals", help="Referrer id, referred customer id.")]
    = None,
    rules: Annotated[Optional[str], typer.Option("--rules", help="Ladder thresholds and rules (FILE.toml).")]
    = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    report: ReportOpt = None,
    lang: LangOpt = "en",
    customer: CustomerOpt = None,
    date_col: DateOpt = None,
    amount: AmountOpt = None,
    order_id: OrderOpt = None,
    quantity: QuantityOpt = None,
    price: PriceOpt = None,
    status: StatusOpt = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    dayfirst: DayfirstOpt = None,
    decimal: DecimalOpt = None,
    skip_bad_rows: SkipBadOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """The loyalty ladder: each person's rung, lifecycle stage, reason and next step; migration between two dates.

    Example: crmkit ladder sales.csv --survey survey.csv --members members.csv --referrals referrals.csv
    """
    with _errors(debug):
        from crmkit.report.i18n import check_lang
        from crmkit.ladder import ladder_at_two_dates, load_rules, month_before
        from crmkit.report.tables import format_for, write_frame

        check_lang(lang)
        fmt = format_for(output, format, sys.stdout.isatty())
        rule_set = load_rules(rules) if rules else None
        data, as_of_date = _read(locals(), keep=())
        earlier = _parse_date(compare_to, "--compare-to") if compare_to else month_before(as_of_date)
        signals = people = referred = None
        if survey:
            from crmkit.io.inputs import read_survey
            from crmkit.satisfaction import survey_signals

            frame, first_row = read_survey(survey, encoding=encoding)
            signals = survey_signals(frame, survey_model, first_row=first_row, source=survey)
        if members:
            from crmkit.io.inputs import read_members

            people = read_members(members, encoding=encoding)
        if referrals:
            from crmkit.io.inputs import read_referrals

            referred = read_referrals(referrals, encoding=encoding)
        with _status("Placing customers on the ladder…", quiet):
            before, after, matrix = ladder_at_two_dates(data.transactions, as_of_date, earlier, members=people,
                                                        survey=signals, referrals=referred, rules=rule_set, lang=lang)
        if not quiet:
            _err("crmkit: " + data.quality.one_line() + ("" if as_of else " (last purchase date in the data)"))
            for note in after.notes:
                _err(f"crmkit: note: {note}")
        if fmt == "table":
            if output and output != "-":
                raise UsageError("--format table prints to the terminal; use csv, json, parquet or xlsx with -o")
            _render_ladder(before, after, matrix, lang)
        else:
            write_frame(after.people, fmt, output, protect=[input, survey, members, referrals], lang=lang)
        if report:
            from crmkit.report.sheets import write_ladder_report

            write_ladder_report(report, before, after, matrix, lang=lang,
                                protect=[input, survey, members, referrals])
            if not quiet:
                _err(f"crmkit: report written to {report}")


def _render_ladder(before, after, matrix, lang: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from crmkit.report.i18n import label
    from crmkit.ladder import migration_summary

    console = Console(width=None if sys.stdout.isatty() else 200)
    table = Table(title=f"{label('sheet:ladder', lang)} {after.as_of}")
    for key in ("rung_label", "count", "share"):
        table.add_column(label(key, lang), justify="left" if key == "rung_label" else "right")
    for row in after.distribution.iloc[::-1].itertuples():
        table.add_row(row.rung_label, f"{row.count:,}", f"{row.share:.1%}")
    console.print(table)
    moves = Table(title=f"{label('sheet:migration', lang)} {before.as_of} → {after.as_of}")
    moves.add_column("")
    for col in matrix.columns:
        moves.add_column(str(col), justify="right")
    for name, row in matrix.iterrows():
        moves.add_row(str(name), *(f"{v:,}" for v in row))
    console.print(moves)
    summary = migration_summary(matrix)
    console.print(" · ".join(f"{label('movement:' + r.movement, lang)} {r.people:,}" for r in summary.itertuples()))


@app.command("report")
def monthly_report(
    input: Annotated[Optional[str], typer.Argument(help="Purchase export (instead of --config).",
                                                   show_default=False)] = None,
    config: Annotated[Optional[str], typer.Option("--config", help="crmkit.toml: inputs, output path and "
                                                  "settings.")] = None,
    survey: Annotated[Optional[str], typer.Option("--survey", help="Survey export.")] = None,
    members: Annotated[Optional[str], typer.Option("--members", help="Member / contact list.")] = None,
    referrals: Annotated[Optional[str], typer.Option("--referrals", help="Referrals file.")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Workbook path; {yyyy} {mm} {dd} "
                                                  "{date} come from the as-of date.")] = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="YYYY-MM-DD, last-month-end, month-end, "
                                                 "today, yesterday (default: the last purchase date).")] = None,
    history: Annotated[Optional[str], typer.Option("--history", help="History database (default: "
                                                   "crmkit-history.sqlite next to the report).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Validate the config and read every input; write "
                                        "nothing.")] = False,
    lang: Annotated[Optional[str], typer.Option("--lang", help="en or zh (default: the config's, else en).",
                                                envvar="CRMKIT_LANG")] = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
):
    """The monthly CRM workbook: overview and trend, segments, CLV, ladder, retention, satisfaction.

    Example: crmkit report --config crmkit.toml --as-of last-month-end
    """
    with _errors(debug):
        from crmkit.report.i18n import check_lang
        from crmkit.monthly.run import ReportConfig, load_config, run_monthly, write_monthly_report

        if config:
            settings = load_config(config)
        elif input and output:
            settings = ReportConfig(sales=input, output=output)
        else:
            raise UsageError("give --config crmkit.toml, or a purchase export and -o FILE.xlsx")
        for key, value in (("survey", survey), ("members", members), ("referrals", referrals),
                           ("output", output), ("as_of", as_of), ("history", history), ("lang", lang)):
            if value is not None:
                setattr(settings, key, value)
        check_lang(settings.lang)
        with _status("Running the analyses…", quiet):
            result = run_monthly(settings, today=date.today())
        inputs = [settings.sales, settings.survey, settings.members, settings.referrals]
        if check:
            if not quiet:
                _err(f"crmkit: check passed: {result.quality.one_line()}; would write {result.output} "
                     f"and {result.history}")
            return
        with _status("Writing the report…", quiet):
            path = write_monthly_report(result, lang=settings.lang, protect=inputs)
        if not quiet:
            _err(f"crmkit: {result.quality.one_line()}")
            _err(f"crmkit: report written to {path}; history {result.history}")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
