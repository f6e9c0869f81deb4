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

__all__ = ["contract_command"]


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
    horizon: int | None = None,
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
    targets = check_outputs(run.plan, out, fmt, input)
    read = read or ReadOptions()
    with status(f"Fitting the sBG model to {input}…", run.quiet):
        result = contract_value(
            input,
            period=period,
            discount=discount,
            value_per_period=value_per_period,
            horizon=horizon,
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
