"""The "did it work?" commands' bodies: ``crmkit campaign``, ``feedback`` and ``economics``.

:mod:`crmkit.cli` declares their options with typer and calls these with the parsed values. Each
checks its options before anything is read, reads the purchases (and the campaign, loyalty or
complaints file), calls one library function, prints the read line with the result's notes, and
renders the result on the terminal or writes the table ``--view`` names (json: every table).
"""

from __future__ import annotations

from typing import Any

from crmkit.errors import UsageError
from crmkit.io.options import ReadOptions
from crmkit.report.commands import Output, Run, check_outputs, output_format, read_for_command, write_report_for
from crmkit.report.messages import say_read, status

__all__ = ["campaign_command", "economics_command", "feedback_command", "parse_columns", "parse_windows"]


def parse_windows(text: str) -> tuple[str, ...]:
    """``--window 30d,60d``: the windows, each checked (``30d``, ``4w``, ``2m``); a bad one is a usage error."""
    from crmkit.campaign import parse_window

    windows = tuple(part.strip() for part in str(text).split(",") if part.strip())
    if not windows:
        raise UsageError(f"--window takes windows such as 30d or 30d,60d, not {text!r}")
    for window in windows:
        parse_window(window)
    return windows


def _check_view(view: str, views: tuple[str, ...]) -> None:
    if view not in views:
        raise UsageError(f"--view must be one of {', '.join(views)}, not {view!r}")


def _json(result) -> dict:
    """The result as JSON: its own ``to_dict()``, else its headline, every view and its notes."""
    if hasattr(result, "to_dict"):
        return result.to_dict()
    from crmkit.io.engine import records

    return {
        "headline": result.headline,
        **{name: records(result.view(name)) for name in result.VIEWS},
        "notes": [str(n) for n in result.notes],
    }


def _emit(result, view: str, render, fmt: str, targets, out: Output, run: Run, key: str) -> None:
    """The table on the terminal, else the ``view`` rows (json: everything), then the report."""
    from crmkit.report.tables import write_frame, write_json_file

    rows_to, report_to = targets
    if fmt == "table":
        render(result, out.lang, quiet=run.quiet)
    elif fmt == "json":
        write_json_file(rows_to, _json(result))
    else:
        write_frame(result.view(view), fmt, rows_to, sheet=f"{key}:{view}", lang=out.lang)
    write_report_for(report_to, result, out=out, quiet=run.quiet)


def campaign_command(
    input: str,
    *,
    campaign_file: str | None,
    loyalty_file: str | None,
    as_of: str | None,
    windows: str | None,
    control: str | None,
    contact_date: str | None,
    margin: float | None,
    cost: float | None,
    point_value: float | None,
    programme_cost: float | None,
    method: str,
    anchor_days: int = 7,
    seed: int,
    view: str,
    out: Output,
    read: ReadOptions,
    run: Run,
) -> None:
    """``crmkit campaign``: a campaign's effect per arm and window, or a points programme's (``--loyalty``).

    The window is 30 days after contact by default, 90 days before and after joining for a programme.
    """
    from crmkit.campaign import VIEWS as CAMPAIGN_VIEWS
    from crmkit.campaign import campaign
    from crmkit.io.options import as_date
    from crmkit.loyalty import VIEWS as LOYALTY_VIEWS
    from crmkit.loyalty import loyalty
    from crmkit.report.terminal_campaign import render_campaign, render_loyalty

    result: Any

    if (campaign_file is None) == (loyalty_file is None):
        raise UsageError("give --campaign FILE (a campaign's contacts) or --loyalty FILE (a points programme)")
    fmt = output_format(out.lang, out.output, out.format)
    if method not in ("welch", "bootstrap"):
        raise UsageError(f"--ci must be welch or bootstrap, not {method!r}")
    if margin is not None and not 0 < margin <= 1:
        raise UsageError(f"--margin is a share of revenue such as 0.3, not {margin}")
    for name, value in (("--cost", cost), ("--point-value", point_value), ("--programme-cost", programme_cost)):
        if value is not None and not value >= 0:
            raise UsageError(f"{name} must be zero or more, not {value}")
    parsed = parse_windows(windows or ("90d" if loyalty_file is not None else "30d"))  # the README's defaults
    contact = as_date(contact_date, "--contact-date") if contact_date else None
    side_file = campaign_file or loyalty_file
    if loyalty_file is not None:
        _check_view(view, LOYALTY_VIEWS)
        if len(parsed) > 1:
            raise UsageError("--loyalty compares one window before and after joining: give one --window, such as 90d")
    else:
        _check_view(view, CAMPAIGN_VIEWS)
    targets = check_outputs(run.plan, out, fmt, input, side_file)
    data, as_of_date = read_for_command(input, read, as_of, run.quiet, keep=("order_id", "margin"))
    if loyalty_file is not None:
        with status("Comparing members with matched non-members…", run.quiet):
            result = loyalty(
                data,
                loyalty_file,
                window=parsed[0],
                margin=margin,
                point_value=point_value,
                programme_cost=programme_cost,
                anchor_days=anchor_days,
                seed=seed,
                lang=out.lang,
            )
        render, key = render_loyalty, "loyalty"
    else:
        with status("Measuring the campaign…", run.quiet):
            result = campaign(
                data,
                campaign_file,
                windows=parsed,
                control=control,
                contact_date=contact,
                margin=margin,
                cost_per_contact=cost,
                method=method,
                seed=seed,
                lang=out.lang,
            )
        render, key = render_campaign, "campaign"
    say_read(
        data.quality,
        as_of,
        run.quiet,
        notes=[*data.quality.notes, *result.notes],
        warnings=getattr(result, "warnings", ()),
    )
    del as_of_date  # the windows count from the contact dates; rows after the as-of date are left out
    _emit(result, view, render, fmt, targets, out, run, key)


def parse_columns(pairs, roles) -> dict[str, str] | None:
    """``--column ROLE=HEADER`` (repeatable): the side file's headers no alias knows; a bad pair is a usage error."""
    if not pairs:
        return None
    found: dict[str, str] = {}
    for pair in pairs:
        role, sep, header = str(pair).partition("=")
        role, header = role.strip(), header.strip()
        if not sep or not role or not header:
            raise UsageError(f"--column takes ROLE=HEADER, such as category=问题分类, not {pair!r}")
        if role not in roles:
            raise UsageError(f"--column: unknown role {role!r}; roles: {', '.join(roles)}")
        found[role] = header
    return found


def feedback_command(
    complaints: str,
    *,
    purchases: str | None,
    as_of: str | None,
    window: str,
    terms: int,
    columns: list[str] | None,
    seed: int,
    view: str,
    out: Output,
    read: ReadOptions,
    run: Run,
) -> None:
    """``crmkit feedback``: complaints counted by type, channel and month, resolved, connected to what came next."""
    from crmkit.feedback import VIEWS, feedback
    from crmkit.io.complaints import COLUMN_ALIASES, read_complaints
    from crmkit.io.options import as_date
    from crmkit.report.messages import say
    from crmkit.report.terminal_feedback import render_feedback

    fmt = output_format(out.lang, out.output, out.format)
    _check_view(view, VIEWS)
    parse_windows(window)
    if terms < 0:
        raise UsageError(f"--terms must be zero or more, not {terms}")
    overrides = parse_columns(columns, tuple(COLUMN_ALIASES))
    targets = check_outputs(run.plan, out, fmt, complaints, purchases)
    data, as_of_date = (None, as_date(as_of, "--as-of") if as_of else None)
    if purchases is not None:
        data, as_of_date = read_for_command(purchases, read, as_of, run.quiet, keep=())
    with status(f"Reading {complaints}…", run.quiet):
        found = read_complaints(complaints, columns=overrides)
    with status("Counting the complaints…", run.quiet):
        result = feedback(found, data, as_of=as_of_date, window=window, top_terms=terms, seed=seed, lang=out.lang)
    warnings = getattr(result, "warnings", ())
    if data is not None:
        say_read(data.quality, as_of, run.quiet, notes=data.quality.notes)
    if not run.quiet:
        say(f"crmkit: {found.quality.one_line()}")
        for note in result.notes:
            say(f"crmkit: note: {note}")
        for warning in warnings:
            say(f"crmkit: warning: {warning}")
    _emit(result, view, render_feedback, fmt, targets, out, run, "feedback")


def economics_command(
    input: str,
    *,
    as_of: str | None,
    period: str,
    margin: float | None,
    acquisition_cost: float | None,
    retention_cost: float | None,
    serve_cost: float | None,
    discount: float,
    view: str,
    out: Output,
    read: ReadOptions,
    run: Run,
) -> None:
    """``crmkit economics``: new vs repeat customers, retention against acquisition, a retention point's value."""
    from crmkit.economics import VIEWS, economics, period_years
    from crmkit.report.terminal_economics import render_economics

    fmt = output_format(out.lang, out.output, out.format)
    _check_view(view, VIEWS)
    period_years(period)  # a bad --period fails before the export is read
    if margin is not None and not -1 <= margin <= 1:
        raise UsageError(f"--margin is a share such as 0.3, not {margin}")
    for name, value in (
        ("--acquisition-cost", acquisition_cost),
        ("--retention-cost", retention_cost),
        ("--serve-cost", serve_cost),
        ("--discount", discount),
    ):
        if value is not None and not value >= 0:
            raise UsageError(f"{name} must be zero or more, not {value}")
    targets = check_outputs(run.plan, out, fmt, input)
    data, as_of_date = read_for_command(input, read, as_of, run.quiet, keep=("order_id",))
    with status("Counting the economics…", run.quiet):
        result = economics(
            data,
            as_of_date,
            period=period,
            margin=margin,
            acquisition_cost=acquisition_cost,
            retention_cost=retention_cost,
            serve_cost_per_order=serve_cost,
            discount=discount,
            lang=out.lang,
        )
    say_read(
        data.quality,
        as_of,
        run.quiet,
        notes=[*data.quality.notes, *result.notes],
        warnings=getattr(result, "warnings", ()),
    )
    _emit(result, view, render_economics, fmt, targets, out, run, "economics")
