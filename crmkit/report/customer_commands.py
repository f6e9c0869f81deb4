"""The customer-side commands' bodies: ``crmkit profile``, ``preferences``, ``recommend`` and ``care``.

:mod:`crmkit.cli` declares their options with typer and calls these with the parsed values, so the
command line stays a thin layer (and under the house's module size). Each reads the purchases,
calls one library function, prints the read line and renders or writes the result; heavy imports
happen inside the functions.
"""

from __future__ import annotations

from crmkit.io.options import ReadOptions
from crmkit.report.commands import Output, Run, check_outputs, output_format, read_for_command, write_report_for
from crmkit.report.messages import say_read, status

__all__ = ["care_command", "ladder_command", "preferences_command", "profile_command", "recommend_command"]


def _write(result, fmt: str, rows_to, lang: str) -> None:
    """csv/parquet/xlsx: the result's ``rows()``; json: its ``to_dict()``."""
    from crmkit.report.tables import write_frame, write_json_file

    if fmt == "json":
        write_json_file(rows_to, result.to_dict())
    else:
        write_frame(result.rows(), fmt, rows_to, lang=lang)


def _finish(result, quality, as_of: str | None, render, fmt: str, targets, out: Output, run: Run) -> None:
    """The read line with the result's notes, then the table on the terminal or the rows, then the report."""
    rows_to, report_to = targets
    say_read(quality, as_of, run.quiet, notes=[*quality.notes, *result.notes])
    if fmt == "table":
        render(result, out.lang, quiet=run.quiet)
    else:
        _write(result, fmt, rows_to, out.lang)
    write_report_for(report_to, result, out=out, quiet=run.quiet)


def profile_command(
    input: str,
    attributes: str,
    *,
    as_of: str | None,
    by: str | None,
    clv: bool,
    out: Output,
    read: ReadOptions,
    run: Run,
    complaints: str | None = None,
) -> None:
    """``crmkit profile``: the customer structure per attribute (:func:`crmkit.profile.customer_structure`)."""
    from crmkit.profile import customer_structure
    from crmkit.report.terminal import render_profile

    fmt = output_format(out.lang, out.output, out.format)
    rows_to, report_to = check_outputs(run.plan, out, fmt, input, attributes, complaints)
    data, as_of_date = read_for_command(input, read, as_of, run.quiet, keep=())
    found = _read_complaints(complaints, read)
    with status("Profiling…", run.quiet):
        result = customer_structure(data, attributes, as_of_date, by=by, lang=out.lang, clv=clv, complaints=found)
    _finish(result, data.quality, as_of, render_profile, fmt, (rows_to, report_to), out, run)


def _read_complaints(path: str | None, read: ReadOptions):
    """The complaints export of ``--complaints``, read with the purchases' forced encoding; None without one."""
    if not path:
        return None
    from crmkit.io.complaints import read_complaints

    return read_complaints(path, encoding=read.encoding)


def ladder_command(
    input: str,
    *,
    as_of: str | None,
    compare_to: str | None,
    survey: str | None,
    survey_model: str,
    members: str | None,
    referrals: str | None,
    rules: str | None,
    out: Output,
    read: ReadOptions,
    run: Run,
    complaints: str | None = None,
) -> None:
    """``crmkit ladder``: each person's rung now and a month (or ``compare_to``) earlier, and the migration."""
    from crmkit.io.options import as_date
    from crmkit.ladder import compare_ladders, load_rules
    from crmkit.report.tables import write_frame
    from crmkit.report.terminal import render_ladder

    fmt = output_format(out.lang, out.output, out.format)
    rule_set = load_rules(rules) if rules else None  # a bad rules file fails before the export is read
    rows_to, report_to = check_outputs(run.plan, out, fmt, input, survey, members, referrals, complaints)
    data, as_of_date = read_for_command(input, read, as_of, run.quiet, keep=(), push=True)
    earlier = as_date(compare_to, "--compare-to") if compare_to else None
    with status("Placing customers on the ladder…", run.quiet):
        ladders = compare_ladders(
            data,
            as_of_date,
            earlier,
            survey=survey or None,
            survey_model=survey_model,
            members=members or None,
            referrals=referrals or None,
            complaints=complaints or None,
            rules=rule_set,
            lang=out.lang,
            encoding=read.encoding,
        )
    say_read(data.quality, as_of, run.quiet, notes=[*data.quality.notes, *ladders.notes])
    if fmt == "table":
        render_ladder(ladders.before, ladders.after, ladders.matrix, out.lang, quiet=run.quiet)
    else:
        write_frame(ladders.after.people, fmt, rows_to, lang=out.lang)
    write_report_for(report_to, ladders, out=out, quiet=run.quiet)


def care_command(
    input: str,
    attributes: str,
    *,
    as_of: str | None,
    within: str,
    start: str | None,
    kinds: str,
    out: Output,
    read: ReadOptions,
    run: Run,
) -> None:
    """``crmkit care``: the birthdays and anniversaries coming up (:func:`crmkit.care.care_calendar`)."""
    from crmkit.care import care_calendar, parse_within
    from crmkit.io.options import as_date
    from crmkit.report.terminal_customers import render_care

    fmt = output_format(out.lang, out.output, out.format)
    first = as_date(start, "--start") if start else None
    parse_within(within, first)  # a bad --within fails before the export is read
    rows_to, report_to = check_outputs(run.plan, out, fmt, input, attributes)
    data, as_of_date = read_for_command(input, read, as_of, run.quiet, keep=())
    with status("Looking ahead…", run.quiet):
        result = care_calendar(data, attributes, as_of_date, within=within, start=first, kinds=kinds, lang=out.lang)
    _finish(result, data.quality, as_of, render_care, fmt, (rows_to, report_to), out, run)


#: ``crmkit preferences --view``: which table of :class:`crmkit.preferences.Preferences` csv/parquet/xlsx write.
PREFERENCE_VIEWS = (
    "customers",
    "channels",
    "segments",
    "segment_shares",
    "affinity",
    "affinity_customers",
    "weekday_hour",
    "price_bands",
)


def preferences_command(
    input: str, *, as_of: str | None, view: str, price_bands: str | None, out: Output, read: ReadOptions, run: Run
) -> None:
    """``crmkit preferences``: channel, category, product, time, price and discount preferences, categories together."""
    from crmkit.errors import UsageError
    from crmkit.io.purchases import ON_REQUEST, OPTIONAL_ROLES
    from crmkit.preferences import preferences
    from crmkit.report.tables import write_frame, write_json_file
    from crmkit.report.terminal_customers import render_preferences

    fmt = output_format(out.lang, out.output, out.format)
    if view not in PREFERENCE_VIEWS:
        raise UsageError(f"--view must be one of {', '.join(PREFERENCE_VIEWS)}, not {view!r}")
    bands = _cut_points(price_bands)
    rows_to, report_to = check_outputs(run.plan, out, fmt, input)
    data, as_of_date = read_for_command(input, read, as_of, run.quiet, keep=(*OPTIONAL_ROLES, *ON_REQUEST))
    with status("Reading preferences…", run.quiet):
        result = preferences(data, as_of_date, lang=out.lang, price_bands=bands)
    say_read(data.quality, as_of, run.quiet, notes=[*data.quality.notes, *result.notes])
    if fmt == "table":
        render_preferences(result, out.lang, quiet=run.quiet)
    elif fmt == "json":
        write_json_file(rows_to, result.to_dict())
    else:
        table = result.customer_channels if view == "channels" else getattr(result, view)
        write_frame(table, fmt, rows_to, sheet=f"preferences:{view}", lang=out.lang)
    write_report_for(report_to, result, out=out, quiet=run.quiet)


def _cut_points(text: str | None) -> list[float] | None:
    """``--price-bands 50,100,200``: increasing positive cut points."""
    if not text:
        return None
    from crmkit.errors import UsageError

    try:
        points = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--price-bands takes numbers separated by commas, such as 50,100,200, not {text!r}") from None
    if not points or any(b <= a for a, b in zip(points, points[1:])) or points[0] <= 0:
        raise UsageError(f"--price-bands: cut points must be positive and increasing, not {text!r}")
    return points


def recommend_command(
    input: str,
    *,
    as_of: str | None,
    item: str,
    n: int,
    method: str,
    rebuy: str | None,
    evaluate: bool,
    seed: int,
    out: Output,
    read: ReadOptions,
    run: Run,
) -> None:
    """``crmkit recommend``: top-N items per customer with the reason; ``--evaluate`` scores the method first."""
    from crmkit.recommend import check_options, recommend
    from crmkit.recommend import evaluate as evaluate_recommendations
    from crmkit.report.tables import write_frame, write_json_file
    from crmkit.report.terminal_customers import render_recommendations

    fmt = output_format(out.lang, out.output, out.format)
    check_options(item, method, n, out.lang)  # a bad option fails before the export is read
    rows_to, report_to = check_outputs(run.plan, out, fmt, input)
    data, as_of_date = read_for_command(input, read, as_of, run.quiet, keep=("product", "category"))
    scored = None
    if evaluate:
        with status("Holding out each customer's last purchase…", run.quiet):
            scored = evaluate_recommendations(data, as_of_date, n=n, method=method, item=item, seed=seed)
    with status("Recommending…", run.quiet):
        consumables = [name for name in rebuy.split(",") if name.strip()] if rebuy else None
        result = recommend(data, as_of_date, item=item, n=n, method=method, rebuy=consumables, seed=seed, lang=out.lang)
    notes = [*data.quality.notes, *result.notes, *(scored.notes if scored else [])]
    say_read(data.quality, as_of, run.quiet, notes=notes)
    if scored is not None and not run.quiet:
        from crmkit.report.messages import say

        say(f"crmkit: {scored.one_line()}")
    if fmt == "table":
        render_recommendations(result, scored, out.lang, quiet=run.quiet)
    elif fmt == "json":
        write_json_file(rows_to, {**result.to_dict(), "evaluation": scored.to_dict() if scored else None})
    else:
        write_frame(result.rows(), fmt, rows_to, sheet="sheet:recommendations", lang=out.lang)
    write_report_for(report_to, *(r for r in (result, scored) if r is not None), out=out, quiet=run.quiet)
