"""The ``crmkit`` command line: a thin layer that reads, calls one library function and renders.

Each command parses its options, reads its inputs (:mod:`crmkit.io`), calls one library function,
renders the result (:mod:`crmkit.report`) and exits; a library error becomes one stderr line and
its exit code (:func:`crmkit.cli_shared.errors`). Only this module and :mod:`crmkit.cli_shared`, which
holds the options every command shares, import typer. Heavy libraries (pandas, DuckDB,
scikit-learn, openpyxl) are imported inside the commands so that ``crmkit --help`` starts fast.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Optional

import typer

from crmkit import __version__
from crmkit.cli_shared import (
    GROUPS,
    OUTPUT_PANEL,
    AsOfOpt,
    AttributesOpt,
    ComplaintsOpt,
    CustomersOpt,
    DelimiterOpt,
    EncodingOpt,
    Forecast,
    InputArg,
    PlsMethods,
    SheetOpt,
)
from crmkit.cli_shared import option as _option
from crmkit.cli_shared import options as _options
from crmkit.io.options import ReadOptions
from crmkit.report import interrupts
from crmkit.report.commands import Output, Run
from crmkit.report.commands import check_outputs as _outputs
from crmkit.report.commands import output_format as _output_format
from crmkit.report.commands import read_for_command as _read
from crmkit.report.commands import write_report_for as _write_report
from crmkit.report.messages import say, say_read, status

app = typer.Typer(
    name="crmkit",
    help="Customer-relationship analytics from purchase and survey exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit codes: 0 ok, 1 internal error, 2 usage, 3 input, 4 column, 5 data, 6 config, 7 output.",
)


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


@app.command()
@_options
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
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """RFM scores, named segments, Pareto/ABC classes and clusters per customer.

    Example: crmkit segment sales.csv --format csv -o customers.csv --report report.xlsx
    """
    from crmkit.report.tables import write_frame
    from crmkit.report.terminal import render_segments
    from crmkit.segment import parse_thresholds
    from crmkit.segment import segment as run_segment

    fmt = _output_format(out.lang, out.output, out.format)
    thresholds = parse_thresholds(abc)  # before the export is read: a typo fails at once
    rows_to, report_to = _outputs(run.plan, out, fmt, input)
    keep = ("order_id",) if occasion == "order" else ()
    data, as_of_date = _read(input, read, as_of, run.quiet, keep=keep, push=True)
    with status("Segmenting…", run.quiet):
        result = run_segment(
            data,
            as_of_date,
            occasion=occasion,
            bins=bins,
            scheme=scheme,
            thresholds=thresholds,
            clusters=clusters,
            seed=seed,
            lang=out.lang,
        )
    data.release()  # the rows are summarised: free them before rendering large outputs
    data.quality.customers = result.headline["customers"]
    say_read(data.quality, as_of, run.quiet, notes=data.quality.notes, warnings=result.warnings)
    if fmt == "table":
        render_segments(result, quiet=run.quiet)
    else:
        write_frame(result.customer_rows, fmt, rows_to, lang=out.lang)
    _write_report(report_to, result, quality=data.quality, out=out, quiet=run.quiet)


@app.command()
@_options
def clv(
    input: InputArg,
    as_of: AsOfOpt = None,
    model: Annotated[
        str, typer.Option("--model", help="bgnbd, pnbd, mbgnbd, bgbb, or sbg for a renewal file.")
    ] = "bgnbd",
    unit: Annotated[
        Optional[str],
        typer.Option(
            "--unit", help="Model clock: day, week (default), month, quarter, year; sbg: the contract period."
        ),
    ] = None,
    horizon: Annotated[
        Optional[str], typer.Option("--horizon", help="Forecast horizon: 12m, 52w (default), 365d, 2y, or inf.")
    ] = None,
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
    view: Annotated[
        str, typer.Option("--view", help="--model sbg: projection, fit or customers.", rich_help_panel=OUTPUT_PANEL)
    ] = "projection",
    fee: Annotated[Optional[float], typer.Option("--fee", help="--model sbg: value per period per subscriber.")] = None,
    forecast: Forecast = Forecast(),
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """Customer lifetime value, P(alive), churn risk and expected purchases per customer.

    Example: crmkit clv sales.csv --horizon 12m --margin 0.3 --holdout 26w --report clv.xlsx
    Subscriptions: crmkit clv renewals.csv --model sbg --interval 0.9
    """
    if model == "sbg":
        from crmkit.report.contract_command import contract_command

        contract_command(
            input,
            out=out,
            run=run,
            read=read,
            view=view,
            discount=discount,
            value_per_period=fee,
            interval=forecast.interval,
            draws=forecast.draws,
            seed=forecast.seed,
            as_of=as_of,
            **({"period": unit} if unit else {}),
            **({"horizon": horizon} if horizon else {}),
        )
        return
    from crmkit.report.commands import clv_command

    clv_command(
        input,
        as_of=as_of,
        model=model,
        unit=unit or "week",
        horizon=horizon or "52w",
        discount=discount,
        margin=margin,
        occasion=occasion,
        holdout=holdout,
        calibration_end=calibration_end,
        referrals=referrals,
        credit_share=credit_share,
        params_out=params_out,
        attributes=forecast.attributes,
        out=out,
        read=read,
        run=run,
        **forecast.settings(),
    )


@app.command()
@_options
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
    nps_col: Annotated[Optional[str], typer.Option("--nps", help="0-10 recommend column (default: by name).")] = None,
    csat_col: Annotated[Optional[str], typer.Option("--csat", help="CSAT column (default: found by name).")] = None,
    csat_scale: Annotated[Optional[str], typer.Option("--csat-scale", help="CSAT scale, e.g. 1-7.")] = None,
    ces_col: Annotated[Optional[str], typer.Option("--ces", help="Customer-effort column (default: by name).")] = None,
    ces_scale: Annotated[Optional[str], typer.Option("--ces-scale", help="Effort scale, e.g. 1-5.")] = None,
    gap_tolerance: Annotated[
        float, typer.Option("--gap-tolerance", help="Points where quality meets expectation.")
    ] = 5.0,
    methods: PlsMethods = PlsMethods(),
    out: Output = Output(),
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    run: Run = Run(),
):
    """Satisfaction index (ACSI-style, 0-100), key drivers, NPS and CSAT from a survey export.

    Example: crmkit satisfaction survey.csv --model ecsi --bootstrap 1000 --seed 1 --report satisfaction.xlsx
    """
    from crmkit.report.commands import satisfaction_command

    satisfaction_command(
        input,
        model,
        scale=scale,
        missing=missing,
        scheme=scheme,
        bootstrap=bootstrap,
        seed=seed,
        by=by,
        nps_column=nps_col,
        csat_column=csat_col,
        csat_scale=csat_scale,
        ces_column=ces_col,
        ces_scale=ces_scale,
        gap_tolerance=gap_tolerance,
        **methods.settings(),
        sheet=sheet,
        encoding=encoding,
        delimiter=delimiter,
        out=out,
        run=run,
    )


@app.command()
@_options
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
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """Acquisition cohorts x periods since the first purchase: retention, revenue retention, churn.

    Example: crmkit retention sales.csv --period quarter --report retention.xlsx
    """
    from crmkit.report.tables import write_frame, write_json_file
    from crmkit.report.terminal import render_retention
    from crmkit.retention import cohort_retention

    fmt = _output_format(out.lang, out.output, out.format)
    rows_to, report_to = _outputs(run.plan, out, fmt, input)
    keep = ("order_id",) if occasion == "order" else ()
    data, as_of_date = _read(input, read, as_of, run.quiet, keep=keep, push=True)
    result = cohort_retention(data, as_of_date, period=period, occasion=occasion, include_partial=include_partial)
    say_read(data.quality, as_of, run.quiet, notes=data.quality.notes)
    if fmt == "table":
        render_retention(result, out.lang, quiet=run.quiet)
    elif fmt == "json":
        write_json_file(rows_to, result.to_dict())
    else:
        write_frame(result.wide("retention"), fmt, rows_to, sheet="sheet:retention", lang=out.lang)
    _write_report(report_to, result, out=out, quiet=run.quiet)


@app.command()
@_options
def ladder(
    input: InputArg,
    as_of: AsOfOpt = None,
    compare_to: Annotated[
        Optional[str], typer.Option("--compare-to", help="Date to compare with (default: a month earlier).")
    ] = None,
    survey: Annotated[Optional[str], typer.Option("--survey", help="Survey export linked by customer id.")] = None,
    survey_model: Annotated[str, typer.Option("--survey-model", help="acsi, ecsi, scsb, ccsi or FILE.toml.")] = "ecsi",
    members: Annotated[
        Optional[str], typer.Option("--members", help="Member / contact list (id, registered, enquired).")
    ] = None,
    referrals: Annotated[Optional[str], typer.Option("--referrals", help="Referrer id, referred customer id.")] = None,
    rules: Annotated[Optional[str], typer.Option("--rules", help="Ladder thresholds and rules (FILE.toml).")] = None,
    complaints: ComplaintsOpt = None,
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """The loyalty ladder: each person's rung, lifecycle stage, reason and next step; migration between two dates.

    Example: crmkit ladder sales.csv --survey survey.csv --members members.csv --referrals referrals.csv
    """
    from crmkit.report.customer_commands import ladder_command

    ladder_command(
        input,
        as_of=as_of,
        compare_to=compare_to,
        survey=survey,
        survey_model=survey_model,
        members=members,
        referrals=referrals,
        rules=rules,
        complaints=complaints,
        out=out,
        read=read,
        run=run,
    )


@app.command()
@_options
def profile(
    input: InputArg,
    attributes: AttributesOpt,
    as_of: AsOfOpt = None,
    by: Annotated[Optional[str], typer.Option("--by", help="More attribute columns (a,b: also their pairs).")] = None,
    clv: Annotated[bool, typer.Option("--clv", help="Add each value's mean CLV (BG/NBD + Gamma-Gamma).")] = False,
    complaints: ComplaintsOpt = None,
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """The customer base by who they are: customers, revenue, lift, RFM and ladder mix per attribute value.

    Example: crmkit profile sales.csv --attributes customers.csv --by province,age_band -f csv
    """
    from crmkit.report.customer_commands import profile_command

    profile_command(input, attributes, as_of=as_of, by=by, clv=clv, complaints=complaints, out=out, read=read, run=run)


@app.command()
@_options
def preferences(
    input: InputArg,
    as_of: AsOfOpt = None,
    view: Annotated[
        str, typer.Option("--view", help="customers, segments, affinity, weekday_hour or price_bands.")
    ] = "customers",
    price_bands: Annotated[
        Optional[str], typer.Option("--price-bands", help="Unit-price cut points, e.g. 50,100,200.")
    ] = None,
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """What customers like: channel, category, product, weekday/hour, price band, discounts, categories bought together.

    Example: crmkit preferences baskets.csv --view affinity -f csv
    """
    from crmkit.report.customer_commands import preferences_command

    preferences_command(input, as_of=as_of, view=view, price_bands=price_bands, out=out, read=read, run=run)


@app.command()
@_options
def recommend(
    input: InputArg,
    as_of: AsOfOpt = None,
    item: Annotated[str, typer.Option("--item", help="Recommend a product or a category.")] = "product",
    n: Annotated[int, typer.Option("--top", "-n", help="Recommendations per customer.")] = 10,
    method: Annotated[str, typer.Option("--method", help="itemknn, als or popularity.")] = "itemknn",
    rebuy: Annotated[Optional[str], typer.Option("--rebuy", help="Categories or items re-bought (a,b).")] = None,
    evaluate: Annotated[bool, typer.Option("--evaluate", help="Also hold out each last purchase and score.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of --method als.")] = 0,
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """What to offer whom: top-N items per customer from purchase histories, with the reason.

    Example: crmkit recommend baskets.csv -n 5 --evaluate -f csv -o offers.csv
    """
    from crmkit.report.customer_commands import recommend_command

    recommend_command(
        input,
        as_of=as_of,
        item=item,
        n=n,
        method=method,
        rebuy=rebuy,
        evaluate=evaluate,
        seed=seed,
        out=out,
        read=read,
        run=run,
    )


@app.command()
@_options
def care(
    input: InputArg,
    attributes: AttributesOpt,
    as_of: AsOfOpt = None,
    within: Annotated[str, typer.Option("--within", help="Days ahead: 30d, 4w, 2m.")] = "30d",
    start: Annotated[Optional[str], typer.Option("--start", help="First day of the window (default: as-of).")] = None,
    kinds: Annotated[
        str, typer.Option("--kinds", help="birthday, membership, first_purchase (comma-separated).")
    ] = "birthday,membership,first_purchase",
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """The care calendar: birthdays and anniversaries coming up, with each customer's rung, segment and action.

    Example: crmkit care sales.csv --attributes customers.csv --within 30d -f csv
    """
    from crmkit.report.customer_commands import care_command

    care_command(input, attributes, as_of=as_of, within=within, start=start, kinds=kinds, out=out, read=read, run=run)


@app.command()
@_options
def campaign(
    input: InputArg,
    campaign: Annotated[
        Optional[str], typer.Option("--campaign", help="Campaign file: customer, group, contact date, cost.")
    ] = None,
    loyalty: Annotated[
        Optional[str], typer.Option("--loyalty", help="Points programme: member, join date, points earned/used.")
    ] = None,
    as_of: AsOfOpt = None,
    window: Annotated[
        Optional[str], typer.Option("--window", help="After contact (or joining), and as long before: 30d or 30d,60d.")
    ] = None,
    control: Annotated[Optional[str], typer.Option("--control", help="The control group's name.")] = None,
    contact_date: Annotated[
        Optional[str], typer.Option("--contact-date", help="Contact date when the file has none.")
    ] = None,
    margin: Annotated[Optional[float], typer.Option("--margin", help="Profit margin on revenue.")] = None,
    cost: Annotated[Optional[float], typer.Option("--cost", help="Cost per contact (else the file's).")] = None,
    point_value: Annotated[Optional[float], typer.Option("--point-value", help="Cost of a redeemed point.")] = None,
    programme_cost: Annotated[
        Optional[float], typer.Option("--programme-cost", help="The programme's fixed cost.")
    ] = None,
    anchor_days: Annotated[
        int, typer.Option("--anchor-days", help="--loyalty: comparisons bought within this many days of joining.")
    ] = 7,
    ci: Annotated[str, typer.Option("--ci", help="Revenue intervals: welch or bootstrap.")] = "welch",
    seed: Annotated[int, typer.Option("--seed", help="Seed of bootstrap and matching ties.")] = 0,
    view: Annotated[
        str, typer.Option("--view", help="effects, arms, segments, economics, power, balance, customers.")
    ] = "effects",
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """Did it work? A campaign's effect per arm with intervals, CUPED, ROI and power; or a points programme's.

    Example: crmkit campaign campaign_sales.csv --campaign campaign.csv --window 30d,60d --margin 0.3
    """
    from crmkit.report.effect_commands import campaign_command

    campaign_command(
        input,
        campaign_file=campaign,
        loyalty_file=loyalty,
        as_of=as_of,
        windows=window,
        control=control,
        contact_date=contact_date,
        margin=margin,
        cost=cost,
        point_value=point_value,
        programme_cost=programme_cost,
        anchor_days=anchor_days,
        method=ci,
        seed=seed,
        view=view,
        out=out,
        read=read,
        run=run,
    )


@app.command()
@_options
def feedback(
    complaints: Annotated[str, typer.Argument(help="Complaints / tickets export, or - for stdin.", show_default=False)],
    purchases: Annotated[
        Optional[str], typer.Option("--purchases", help="Purchase export: rates, segments, what happened next.")
    ] = None,
    as_of: AsOfOpt = None,
    window: Annotated[str, typer.Option("--window", help="After each complaint: 90d, 12w, 3m.")] = "90d",
    terms: Annotated[int, typer.Option("--terms", help="Top terms per category from the text.")] = 10,
    column: Annotated[
        Optional[list[str]], typer.Option("--column", help="ROLE=HEADER for a header crmkit does not know.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the never-complained reference days.")] = 0,
    view: Annotated[
        str, typer.Option("--view", help="by_category, by_channel, by_month, rates, outcomes, terms, customers…")
    ] = "by_category",
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """Complaints counted and connected: volume, resolution times, repeaters, and who kept buying afterwards.

    Example: crmkit feedback complaints.csv --purchases sales.csv --view outcomes
    """
    from crmkit.report.effect_commands import feedback_command

    feedback_command(
        complaints,
        purchases=purchases,
        as_of=as_of,
        window=window,
        terms=terms,
        columns=column,
        seed=seed,
        view=view,
        out=out,
        read=read,
        run=run,
    )


@app.command()
@_options
def economics(
    input: InputArg,
    as_of: AsOfOpt = None,
    period: Annotated[str, typer.Option("--period", help="The period counted, ending at the as-of date.")] = "12m",
    margin: Annotated[Optional[float], typer.Option("--margin", help="Profit margin on revenue.")] = None,
    acquisition_cost: Annotated[
        Optional[float], typer.Option("--acquisition-cost", help="Cost of winning one new customer.")
    ] = None,
    retention_cost: Annotated[
        Optional[float], typer.Option("--retention-cost", help="Cost of keeping one customer a period.")
    ] = None,
    serve_cost: Annotated[Optional[float], typer.Option("--serve-cost", help="Cost to serve one order.")] = None,
    discount: Annotated[
        float, typer.Option("--discount-rate", help="Annual discount rate (turned into a rate per period).")
    ] = 0.10,
    view: Annotated[str, typer.Option("--view", help="table or segments.")] = "table",
    out: Output = Output(),
    read: ReadOptions = ReadOptions(),
    run: Run = Run(),
):
    """The economics: new vs repeat revenue and margin, retention against acquisition, a retention point's value.

    Example: crmkit economics sales.csv --margin 0.3 --acquisition-cost 80 --retention-cost 10
    """
    from crmkit.report.effect_commands import economics_command

    economics_command(
        input,
        as_of=as_of,
        period=period,
        margin=margin,
        acquisition_cost=acquisition_cost,
        retention_cost=retention_cost,
        serve_cost=serve_cost,
        discount=discount,
        view=view,
        out=out,
        read=read,
        run=run,
    )


#: ``crmkit report``'s options (parameter, declaration, default): the keyword arguments of its library call.
_MONTHLY = (
    ("config", _option("--config", help="crmkit.toml: inputs, output path and settings."), None),
    ("survey", _option("--survey", help="Survey export."), None),
    ("members", _option("--members", help="Member / contact list."), None),
    ("attributes", _option("--attributes", help="Customer attributes: adds Profile and Care calendar."), None),
    ("campaign", _option("--campaign", help="Campaign file: adds the Campaign sheet."), None),
    ("loyalty", _option("--loyalty", help="Points programme members: adds the Loyalty sheet."), None),
    ("complaints", _option("--complaints", help="Complaints export: adds the Feedback sheet."), None),
    ("referrals", _option("--referrals", help="Referrals file."), None),
    ("output", _option("--output", "-o", help="Workbook; {yyyy} {mm} {dd} {date} from the as-of date."), None),
    ("as_of", _option("--as-of", help="Date, last-month-end, month-end, today, yesterday (default: last sale)."), None),
    ("history", _option("--history", help="History database (default: crmkit-history.sqlite beside it)."), None),
    ("table", _option("--table", help="Table of purchases, when the input is a database URL."), None),
    ("query", _option("--query", help="SELECT giving the purchases, when the input is a database URL."), None),
    ("platform", _option("--platform", help="Platform export: taobao, shopify … (crmkit platforms)."), None),
    ("check", _option("--check", help="Validate config and inputs, warn; write nothing (exit 0).", kind=bool), False),
    ("customers", CustomersOpt, None),
    ("customers_out", _option("--customers-out", help="Also write every customer to FILE (- for stdout)."), None),
    ("customers_format", _option("--customers-format", help="csv, json or parquet (default: by its extension)."), None),
    ("lang", _option("--lang", help="en or zh (default: the config's, else en).", envvar="CRMKIT_LANG"), None),
)
GROUPS["monthly"] = (_MONTHLY, dict)


@app.command("report")
@_options
def monthly_report(
    input: Annotated[Optional[str], typer.Argument(help="Purchase export (or --config).", show_default=False)] = None,
    monthly: Any = None,
    run: Run = Run(),
):
    """The monthly CRM workbook: overview and trend, segments, CLV, ladder, retention, satisfaction.

    Example: crmkit report --config crmkit.toml --as-of last-month-end
    """
    from crmkit.monthly.run import report as run_report

    with status("Running the analyses and writing the report…", run.quiet):
        result = run_report(input, **monthly, today=date.today(), plan=run.plan)
    if run.quiet:
        return
    warnings, customers_to = result.warnings, "<stdout>" if result.customers_out == "-" else result.customers_out
    extra = f", {customers_to}" if customers_to else ""
    for warning in warnings:  # a warning is no failure: --check still passes, exit 0
        say(f"crmkit: warning: {warning}")
    if monthly["check"]:
        passed = f"check passed with {len(warnings)} warning(s)" if warnings else "check passed"
        say(f"crmkit: {passed}: {result.quality.one_line()}; would write {result.output}{extra} and {result.history}")
        return
    say_read(result.quality, "as_of", False, notes=result.quality.notes)  # the as-of date is the report's
    run.plan.on_commit(say, f"crmkit: report written to {result.output}{extra}; history {result.history}")


@app.command("platforms")
@_options
def platforms(
    name: Annotated[Optional[str], typer.Argument(help="A platform: its columns and statuses.")] = None,
    out: Output = Output(),
    run: Run = Run(),
):
    """The platform exports crmkit reads by their own rules, or one platform's columns and statuses.

    Example: crmkit platforms shopify --format csv
    """
    from crmkit.io.platforms.table import describe
    from crmkit.report.tables import write_frame
    from crmkit.report.terminal import render_frame

    fmt = _output_format(out.lang, out.output, out.format)
    rows_to, _ = _outputs(run.plan, out, fmt)
    table = describe(name, lang=out.lang)
    render_frame(table, out.lang) if fmt == "table" else write_frame(table, fmt, rows_to, lang=out.lang)


def main() -> None:
    """Console-script entry point: SIGINT and SIGTERM end a run as ``crmkit: interrupted``, exit 130."""
    with interrupts.catch_signals(say):
        app()


if __name__ == "__main__":
    main()
