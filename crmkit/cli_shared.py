"""The command line's shared parts: the options every command declares alike, and the guard that runs a command.

:mod:`crmkit.cli` declares the commands; this module holds what they share so that each command
states only its own options: the reading options (:data:`READING`, the "Reading the export" panel),
the output and run options, the option groups a command takes as one parameter (:data:`GROUPS`,
expanded by :func:`options`), and :func:`errors`, which turns a library error into one stderr line
and its documented exit code. Only this module and :mod:`crmkit.cli` import typer.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import typer

from crmkit.errors import CrmkitError, out_of_memory
from crmkit.io.options import ReadOptions
from crmkit.report import interrupts
from crmkit.report.commands import Output, Run
from crmkit.report.files import OutputPlan, output_errors
from crmkit.report.messages import say

INPUT_PANEL = "Reading the export"
OUTPUT_PANEL = "Output"

# --- shared options (declared once, used by every command that reads purchases) -----------
_SOURCES = "CSV/TSV/.gz/XLSX/Parquet file or folder, database URL (postgresql://…, sqlite:///…)"
InputArg = Annotated[str, typer.Argument(help=f"Purchase export ({_SOURCES}), or - for stdin.", show_default=False)]


_in_input_panel = functools.partial(typer.Option, rich_help_panel=INPUT_PANEL)


def _input_option(flag: str, help: str, kind: Any = Optional[str], **extra: Any) -> Any:
    """An option of the "Reading the export" panel."""
    return Annotated[kind, _in_input_panel(flag, help=help, **extra)]


SheetOpt = Annotated[str | None, _in_input_panel("--sheet", help="XLSX sheet name or number (default: first).")]
EncodingOpt = Annotated[str | None, _in_input_panel("--encoding", help="Force the encoding (utf-8, gb18030, ...).")]
DelimiterOpt = Annotated[str | None, _in_input_panel("--delimiter", help="Force the field delimiter.")]

DayfirstOpt = _input_option(
    "--dayfirst/--monthfirst",
    "Read 01/02/2024 as 1 Feb / 2 Jan (default: by the data).",
    Optional[bool],
    show_default=False,
)
SkipOpt = _input_option(
    "--skip-bad-rows", "Drop and count rows with an unreadable date or amount instead of stopping.", bool
)
DateRangeOpt = _input_option("--date-range", "Accepted purchase dates FIRST..LAST (default 1900-01-01..2100-12-31).")

#: The reading options of every command that reads purchases: parameter, declaration, default, column role.
READING = (
    ("customer", _input_option("--customer", "Customer id column."), None, "customer_id"),
    ("date_col", _input_option("--date", "Purchase date column."), None, "date"),
    ("amount", _input_option("--amount", "Amount column."), None, "amount"),
    ("order_id", _input_option("--order-id", "Order/invoice id column."), None, "order_id"),
    ("quantity", _input_option("--quantity", "Quantity column."), None, "quantity"),
    ("price", _input_option("--price", "Unit price column (amount = quantity x price)."), None, "unit_price"),
    ("status", _input_option("--status", "Order status column (退货/cancelled mark returns)."), None, "status"),
    ("product", _input_option("--product", "Product / SKU column."), None, "product"),
    ("category", _input_option("--category", "Product category column."), None, "category"),
    ("channel", _input_option("--channel", "Channel / store column."), None, "channel"),
    ("discount_col", _input_option("--discount-amount", "Discount column (money off a line)."), None, "discount"),
    ("sheet", SheetOpt, None, None),
    ("encoding", EncodingOpt, None, None),
    ("delimiter", DelimiterOpt, None, None),
    ("table", _input_option("--table", "Table of purchases, when the input is a database URL."), None, None),
    ("query", _input_option("--query", "SELECT giving the purchases, when the input is a database URL."), None, None),
    ("engine", _input_option("--engine", "Aggregate in duckdb, the database (db) or spark."), None, None),
    ("spark_master", _input_option("--spark-master", "Spark master, or sc:// for Spark Connect."), None, None),
    ("dayfirst", DayfirstOpt, None, None),
    ("decimal", _input_option("--decimal", "Decimal separator of amounts: . or , (default: by the data)."), None, None),
    ("skip_bad_rows", SkipOpt, False, None),
    ("date_range", DateRangeOpt, None, None),
    ("platform", _input_option("--platform", "Platform export: taobao, shopify … (crmkit platforms)."), None, None),
)
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Analysis date YYYY-MM-DD (default: the last purchase date in the data).", show_default=False
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help="table, csv, json, parquet or xlsx (default: table on a terminal, csv in a pipe or by -o extension).",
        rich_help_panel=OUTPUT_PANEL,
        show_default=False,
    ),
]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output", "-o", help="Write per-customer rows here (default: stdout).", rich_help_panel=OUTPUT_PANEL
    ),
]
ReportOpt = Annotated[
    str | None,
    typer.Option("--report", help="Also write the Excel report (FILE.xlsx).", rich_help_panel=OUTPUT_PANEL),
]
CustomersOpt = Annotated[
    str | None,
    typer.Option(
        "--customers",
        help="Customer rows per report sheet: all, top:N or none (default top:100000, by value).",
        rich_help_panel=OUTPUT_PANEL,
    ),
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


@contextlib.contextmanager
def errors(debug: bool):
    """Turn library errors into one stderr line and the documented exit code (traceback with --debug)."""
    try:
        yield
    except CrmkitError as exc:
        if debug:
            raise
        say(f"crmkit: error: {exc}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        interrupts.announce(say)
        raise typer.Exit(interrupts.EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as line-oriented Unix tools do.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(141) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:
        if debug:
            raise
        if out_of_memory(exc):  # Python's, DuckDB's, or no address space left to load a library
            say("crmkit: error: out of memory (try a Parquet input, CRMKIT_MEMORY_LIMIT, or more memory)")
        else:
            say(f"crmkit: internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)")
        raise typer.Exit(1) from None


MODEL_PANEL = "Model and uncertainty"


def _model_option(flag: str, help: str, kind: Any = Optional[str], **extra: Any) -> Any:
    return Annotated[kind, typer.Option(flag, help=help, rich_help_panel=MODEL_PANEL, **extra)]


@dataclass
class Forecast:
    """``crmkit clv``'s model options beyond the model itself: intervals, windows, covariates, spend model."""

    interval: float | None = None
    draws: int = 200
    seed: int = 0
    window: str | None = None
    covariates: tuple[str, ...] = ()
    covariates_on: str = "purchase,dropout,spend"
    attributes: str | None = None
    spend_model: str = "gamma-gamma"

    def settings(self) -> dict[str, Any]:
        """The keyword arguments of :func:`crmkit.clv.customer_lifetime_value` these options set."""
        names = tuple(part.strip() for given in self.covariates for part in str(given).split(",") if part.strip())
        on = tuple(part.strip() for part in self.covariates_on.split(",") if part.strip())
        extra: dict[str, Any] = {"interval": self.interval, "draws": self.draws, "seed": self.seed}
        extra.update(window=self.window, spend_model=self.spend_model)
        if names:
            extra.update(covariate_columns=names, covariates_on=on)
        return extra


@dataclass
class PlsMethods:
    """``crmkit satisfaction``'s estimation methods: PLSc, PLSpredict, multi-group analysis."""

    consistent: bool = False
    predict: int = 0
    repetitions: int = 1
    mga: bool = False
    permutations: int = 1000

    def settings(self) -> dict[str, Any]:
        """The keyword arguments of :func:`crmkit.satisfaction.analyse_survey` these options set."""
        return {
            "consistent": self.consistent,
            "predict_folds": self.predict,
            "repetitions": self.repetitions,
            "mga": self.mga,
            "permutations": self.permutations,
        }


#: Option groups a command declares as one parameter: the parameters typer shows in its place
#: (name, declaration, default) and how they become the object the command receives.
GROUPS: dict[str, tuple[tuple[tuple[str, Any, Any], ...], Callable[..., Any]]] = {
    "out": (
        (
            ("format", FormatOpt, None),
            ("output", OutputOpt, None),
            ("report", ReportOpt, None),
            ("customers", CustomersOpt, None),
            ("lang", LangOpt, "en"),
        ),
        Output,
    ),
    "read": (
        tuple((name, kind, default) for name, kind, default, _ in READING),
        lambda **given: ReadOptions(
            columns={role: given[name] for name, _, _, role in READING if role},
            **{name: given[name] for name, _, _, role in READING if not role},
        ),
    ),
    "run": ((("quiet", QuietOpt, False), ("debug", DebugOpt, False)), Run),
    "forecast": (
        (
            (
                "interval",
                _model_option("--interval", "Interval level for every estimate, e.g. 0.9.", Optional[float]),
                None,
            ),
            (
                "draws",
                _model_option(
                    "--draws",
                    "Futures simulated per customer for the totals' purchase-process spread (--interval).",
                    int,
                ),
                200,
            ),
            ("seed", _model_option("--seed", "Random seed for --interval.", int), 0),
            (
                "window",
                _model_option("--window", "Also value a future window START-END after the as-of date: 1y-3y."),
                None,
            ),
            (
                "covariates",
                _model_option(
                    "--covariate",
                    "Attributes column as a covariate (repeat, or a,b); needs --attributes.",
                    Optional[list[str]],
                ),
                None,
            ),
            (
                "covariates_on",
                _model_option("--covariates-on", "Processes the covariates act on.", str),
                "purchase,dropout,spend",
            ),
            (
                "attributes",
                _model_option("--attributes", "Customer attributes file holding the --covariate columns."),
                None,
            ),
            (
                "spend_model",
                _model_option("--spend-model", "gamma-gamma, or normal for net values that can be < 0.", str),
                "gamma-gamma",
            ),
        ),
        lambda covariates, **given: Forecast(covariates=tuple(covariates or ()), **given),
    ),
    "methods": (
        (
            (
                "consistent",
                _model_option("--consistent", "Consistent PLS (PLSc) for the reflective constructs.", bool),
                False,
            ),
            ("predict", _model_option("--predict", "PLSpredict with K folds (0: off).", int), 0),
            ("repetitions", _model_option("--repetitions", "Repetitions of the --predict folds.", int), 1),
            ("mga", _model_option("--mga", "With --by: permutation test of path differences and MICOM.", bool), False),
            ("permutations", _model_option("--permutations", "Permutations for --mga.", int), 1000),
        ),
        PlsMethods,
    ),
}


def options(command):
    """Expand a command's ``out``, ``read`` and ``run`` parameters into their options, and run it guarded.

    Shared options are declared once, in :data:`GROUPS`; typer shows them where the group's
    parameter stands, and the command receives them as one checked object (``read`` is the
    :class:`~crmkit.io.options.ReadOptions` the library takes). The command body runs inside
    :func:`errors`, so a library error is one stderr line and its exit code, and receives as
    ``run.plan`` the run's :class:`~crmkit.report.files.OutputPlan`, committed when it returns.
    """
    signature = inspect.signature(command, eval_str=True)
    params, groups = [], []
    for param in signature.parameters.values():
        if param.name in GROUPS:
            groups.append(param.name)
            params += [
                inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=kind)
                for name, kind, default in GROUPS[param.name][0]
            ]
        else:
            params.append(param)

    @functools.wraps(command)
    def guarded(**kwargs):
        debug, plan = kwargs.get("debug", False), OutputPlan(ends_run=True)  # its commit ends the run
        with errors(debug), interrupts.as_interrupt(), output_errors(), plan:
            for group in groups:
                fields, build = GROUPS[group]
                kwargs[group] = build(**{name: kwargs.pop(name) for name, _, _ in fields})
            kwargs["run"].plan = plan
            return command(**kwargs)

    guarded.__signature__ = signature.replace(parameters=params)
    return guarded


ComplaintsOpt = Annotated[
    Optional[str], typer.Option("--complaints", help="Complaints export: an open complaint is an unmet expectation.")
]
AttributesOpt = Annotated[str, typer.Option("--attributes", help="Customer attributes file (the members export).")]


def option(*flags: str, help: str, kind: Any = Optional[str], **extra: Any) -> Any:
    return Annotated[kind, typer.Option(*flags, help=help, **extra)]
