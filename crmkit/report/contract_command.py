"""``crmkit clv --model sbg FILE``: the body of the contract-renewal command.

:mod:`crmkit.cli` parses the options and calls :func:`contract_command`; it checks them before
the file is read, calls :func:`crmkit.contract.contract_value`, prints the notes, and renders the
result on the terminal or writes the table ``--view`` names (json: every table), then the report,
as :mod:`crmkit.report.effect_commands` does for campaign, feedback and economics.
"""

from __future__ import annotations

from crmkit.errors import UsageError
from crmkit.io.options import ReadOptions, as_date
from crmkit.report.commands import Output, Run, check_outputs, output_format
from crmkit.report.effect_commands import _emit
from crmkit.report.messages import say, status

__all__ = ["contract_command", "horizon_periods"]

_DAYS = {"d": 1.0, "w": 7.0, "m": 30.4375, "q": 91.3125, "y": 365.25}
_PERIOD_DAYS = {"week": 7.0, "month": 30.4375, "quarter": 91.3125, "year": 365.25}


def horizon_periods(horizon: int | str | None, period: str) -> int | None:
    """``--horizon`` as contract periods: a whole number of periods, or ``12m``, ``52w``, ``2y``,
    ``365d`` (rounded up to whole ``period`` units); ``inf`` or None: the default projection.

    Examples
    --------
    >>> horizon_periods("2y", "month"), horizon_periods("18", "month"), horizon_periods("inf", "year")
    (24, 18, None)
    """
    import math

    if horizon is None:
        return None
    text = str(horizon).strip().lower()
    if text in ("inf", "infinite", "none", ""):
        return None
    try:
        if text[-1] in _DAYS:
            value = float(text[:-1]) * _DAYS[text[-1]] / _PERIOD_DAYS[period]
            count = math.ceil(round(value, 6))
        else:
            count = int(text)
    except (ValueError, KeyError):
        count = 0
    if not 1 <= count <= 10_000:
        raise UsageError(f"--horizon must be a number of periods or a length such as 12m, 52w or 2y, not {horizon!r}")
    return count


def contract_command(
    input: str,
    *,
    out: Output,
    run: Run,
    read: ReadOptions | None = None,
    view: str = "projection",
    period: str = "month",
    discount: float = 0.10,
    value_per_period: float | None = None,
    horizon: int | str | None = None,
    interval: float | None = None,
    draws: int = 1000,
    seed: int = 0,
    as_of: str | None = None,
) -> None:
    """``crmkit clv --model sbg``: :func:`crmkit.contract.contract_value` on the renewal file ``input``."""
    from crmkit.contract import ContractValue, contract_value
    from crmkit.io.renewals import PERIODS
    from crmkit.report.terminal_contract import render_contract

    fmt = output_format(out.lang, out.output, out.format)
    if view not in ContractValue.VIEWS:
        raise UsageError(f"--view must be one of {', '.join(ContractValue.VIEWS)}, not {view!r}")
    if period not in PERIODS:
        raise UsageError(f"--period must be one of {', '.join(PERIODS)} for a renewal file, not {period!r}")
    if not discount > 0:
        raise UsageError(f"--discount must be an annual rate above 0, not {discount}")
    if interval is not None and not 0 < interval < 1:
        raise UsageError(f"--interval must be a level between 0 and 1 (0.9 = 90%), not {interval}")
    as_of_date = as_date(as_of, "--as-of") if as_of else None
    periods = horizon_periods(horizon, period)
    targets = check_outputs(run.plan, out, fmt, input)
    read = read or ReadOptions()
    with status(f"Fitting the sBG model to {input}…", run.quiet):
        result = contract_value(
            input,
            period=period,
            discount=discount,
            value_per_period=value_per_period,
            horizon=periods,
            interval=interval,
            draws=draws,
            seed=seed,
            as_of=as_of_date,
            encoding=read.encoding,
            sheet=read.sheet,
            delimiter=read.delimiter,
        )
    if not run.quiet:
        h = result.headline
        say(f"crmkit: read {input}: {h['customers']:,.0f} customers in {h['cohorts']} cohort(s), sBG fitted per cohort")
        for note in result.notes:
            say(f"crmkit: note: {note}")
        for warning in result.warnings:
            say(f"crmkit: warning: {warning}")
    _emit(result, view, render_contract, fmt, targets, out, run, "contract")
