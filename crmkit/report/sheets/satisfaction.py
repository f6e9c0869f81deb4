"""The satisfaction sheets: Index, Paths, Reliability, Drivers, Respondents and Groups (with ``--by``),
and the PLS methods' sheets when they ran: Prediction (``--predict``), Indirect effects (``--bootstrap``)
and Group comparison (``--mga``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from crmkit.report.excel import ReportWorkbook, ScatterSeries, cell_name, column_ref
from crmkit.report.excel.charts import coinciding, place_point_labels
from crmkit.report.i18n import translate_values
from crmkit.report.sheets._layout import _anchor_right_of

if TYPE_CHECKING:
    from crmkit.satisfaction import SatisfactionResult

__all__ = ["add_satisfaction_sheets"]


def add_satisfaction_sheets(book: ReportWorkbook, result: SatisfactionResult) -> None:
    """Add the satisfaction sheets: Index, Paths, Reliability, Drivers (with the importance-
    performance scatter chart), Respondents, and Groups with ``--by``; the index intervals and
    HTMT intervals beside their point values, Prediction, Indirect effects and Group comparison
    when the result has them.

    Parameters
    ----------
    book : ReportWorkbook
    result : crmkit.satisfaction.SatisfactionResult
    """
    import pandas as pd

    lang = book.lang
    spec = result.model
    index = pd.DataFrame(
        {
            "construct": [spec.label(c, lang) for c in result.index],
            "index": list(result.index.values()),
            "r_squared": [result.r_squared.get(c) for c in result.index],
        }
    )
    if result.index_table is not None:
        # the bootstrap interval of each index beside it (columns dropped when there is none)
        limits = result.index_table.set_index("construct")
        index["ci_low"] = [limits["ci_low"].get(c) for c in result.index]
        index["ci_high"] = [limits["ci_high"].get(c) for c in result.index]
        index = _without_empty(index, ("ci_low", "ci_high"))
    metrics = [
        ("model", spec.name[lang]),
        ("scale", f"{result.scale[0]:g}-{result.scale[1]:g}"),
        ("respondents", result.fit["respondents"]),
    ]
    # how the numbers were made, so a reviewer need not ask: PLSc or PLS, resamples, folds
    fit = result.fit
    metrics.append(("pls:estimation", book.label("pls:plsc" if fit.get("consistent") else "pls:pls")))
    if fit.get("bootstrap"):
        metrics.append(("pls:bootstrap", int(fit["bootstrap"])))
    if fit.get("predict_folds"):
        metrics.append(("pls:predict_folds", f"{fit['predict_folds']} × {fit.get('repetitions') or 1}"))
    for key in ("nps", "csat", "ces"):
        value = getattr(result, key)
        if value:
            metrics.append((key, value[key]))
    top = book.add_key_values("sheet:index", metrics, title="title:satisfaction")
    span = book.add_table(
        "sheet:index",
        index,
        start_row=top.last_row + 2,
        freeze_header=False,
        # the interval of an index is in index points, not a coefficient's three decimals
        labels={"ci_low": "pls:index_ci_low", "ci_high": "pls:index_ci_high"},
        number_formats={"ci_low": "0.0", "ci_high": "0.0"},
    )
    columns = list(index.columns)
    book.add_bar_chart(
        "sheet:index",
        data_ref=column_ref(span, columns, "index"),
        categories_ref=column_ref(span, columns, "construct", header=False),
        anchor=_anchor_right_of(span),
        title="chart:index",
        y_title="axis:index",
        # the index's own scale: a narrower axis makes a one-point spread look three times as big
        value_range=(0, 100),
        value_format="0",
    )
    constructs = {c: spec.label(c, lang) for c in spec.constructs}

    def named(frame, columns):
        # construct keys in cells become the model's construct names in the workbook's language
        return frame.assign(**{c: frame[c].map(lambda key: constructs.get(key, key)) for c in columns if c in frame})

    # construct columns hold 0-100 scores (index) or criteria between constructs (ratio)
    scores = dict.fromkeys(spec.constructs, "0.0")
    criteria = dict.fromkeys(spec.constructs, "0.000")
    book.add_table("sheet:paths", _without_empty(named(result.paths, ("from", "to")), ("ci_low", "ci_high")))
    reliability = book.add_table("sheet:reliability", named(result.reliability, ("construct",)))
    htmt = named(result.htmt.rename_axis("construct").reset_index(), ("construct",))
    block = book.add_table(
        "sheet:reliability",
        htmt,
        labels=constructs,
        number_formats=criteria,
        title="title:htmt",
        start_row=reliability.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )
    fl = named(result.fornell_larcker.rename_axis("construct").reset_index(), ("construct",))
    block = book.add_table(
        "sheet:reliability",
        fl,
        labels=constructs,
        number_formats=criteria,
        title="title:fornell_larcker",
        start_row=block.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )
    block = book.add_table(
        "sheet:reliability",
        named(result.weights, ("construct",)),
        title="title:weights",
        start_row=block.last_row + 3,
        freeze_header=False,
        autofilter=False,
    )
    if result.htmt_ci is not None:
        book.add_table(
            "sheet:reliability",
            named(_interval_view(result.htmt_ci, ("from", "to")), ("from", "to")),
            title="title:htmt_ci",
            start_row=block.last_row + 3,
            freeze_header=False,
            autofilter=False,
        )
    drivers = result.drivers.assign(
        construct=[spec.label(c, lang) for c in result.drivers["construct"]],
        quadrant=[book.label(f"quadrant:{q}") for q in result.drivers["quadrant"]],
    )
    ipma = _ipma_plan(book, drivers)
    if ipma is not None and ipma.numbered:
        # the map's points carry numbers: the Drivers table beside it is their key
        drivers = drivers.assign(construct=[f"{n}. {name}" for n, name in enumerate(drivers["construct"], start=1)])
    span = book.add_table("sheet:drivers", drivers)
    if ipma is not None:
        _add_ipma_chart(book, span, drivers, ipma)
    respondents = translate_values(result.respondents, {"gap_class": "gap"}, lang)
    book.add_long_table("sheet:respondents", respondents, labels=constructs, number_formats=scores)
    if result.groups is not None:
        book.add_table("sheet:groups", result.groups, labels=constructs, number_formats=scores)
    _add_method_sheets(book, result, named)


#: The PLS methods' new measures are correlations, coefficients and errors on the items' scale:
#: three decimals, as the paths and the HTMT are shown.
_METHOD_FORMATS = dict.fromkeys(
    ("estimate_a", "estimate_b", "difference", "pls_rmse", "pls_mae", "lm_rmse", "lm_mae", "q2_predict", "p_value"),
    "0.000",
)
# MICOM's c sits a few ten-thousandths from its 5% quantile: at three places 0.998 would face 0.998
_METHOD_FORMATS.update(dict.fromkeys(("c", "c_quantile_05"), "0.0000"))


def _interval_view(frame, keys):
    """The identifying columns, the estimate and its interval: what a reader of the table needs."""
    return frame[[c for c in (*keys, "estimate", "ci_low", "ci_high") if c in frame.columns]]


def _add_method_sheets(book: ReportWorkbook, result: SatisfactionResult, named) -> None:
    """Prediction (PLSpredict), Indirect effects (total and specific) and Group comparison (MGA, MICOM)."""
    prediction = result.prediction
    if prediction is not None:
        block = book.add_table(
            "sheet:prediction",
            named(prediction.items, ("construct",)),
            title="title:prediction_items",
            number_formats=_METHOD_FORMATS,
        )
        book.add_table(
            "sheet:prediction",
            named(prediction.constructs, ("construct",)),
            title="title:prediction_constructs",
            number_formats=_METHOD_FORMATS,
            start_row=block.last_row + 3,
            freeze_header=False,
            autofilter=False,
        )
    if result.indirect is not None:
        block = book.add_table(
            "sheet:effects",
            named(_interval_view(result.indirect, ("from", "to")), ("from", "to")),
            title="title:indirect",
        )
        if result.specific is not None:
            spec = result.model
            specific = result.specific.assign(
                route=[" -> ".join(spec.label(c, book.lang) for c in r.split(" -> ")) for r in result.specific["route"]]
            )
            book.add_table(
                "sheet:effects",
                named(_interval_view(specific, ("route", "from", "to")), ("from", "to")),
                title="title:specific",
                start_row=block.last_row + 3,
                freeze_header=False,
                autofilter=False,
            )
    if result.mga is not None:
        block = book.add_table(
            "sheet:mga",
            named(result.mga, ("from", "to")),
            title="title:mga",
            number_formats=_METHOD_FORMATS,
            # "difference" alone is the campaign sheets' (arm - comparison); here it is group A - group B
            labels={"difference": "pls:difference"},
        )
        if result.micom is not None:
            yes_no = {True: book.label("pls:yes"), False: book.label("pls:no")}
            micom = result.micom.assign(
                configural=result.micom["configural"].map(yes_no),
                compositional=result.micom["compositional"].map(yes_no),
            )
            book.add_table(
                "sheet:mga",
                named(micom, ("construct",)),
                title="title:micom",
                labels={"c": "pls:c", "c_quantile_05": "pls:c_quantile_05"},
                number_formats=_METHOD_FORMATS,
                start_row=block.last_row + 3,
                freeze_header=False,
                autofilter=False,
            )


def _without_empty(frame, columns):
    """``frame`` without those of ``columns`` that hold no value: the confidence limits of paths
    exist only with a bootstrap, and empty columns would only look like missing numbers."""
    empty = [c for c in columns if c in frame.columns and frame[c].isna().all()]
    return frame.drop(columns=empty) if empty else frame


_IPMA_SIZE = (18.0, 12.0)
_ROW_CM = 15 / 72 * 2.54  # a default row is 15 pt tall
_QUADRANTS = ("keep_up", "concentrate_here", "low_priority", "possible_overkill")


class _IpmaPlan(NamedTuple):
    """Axis bounds, quadrant-name spots and each point's label text and side of the map."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    means: tuple[float, float]
    """Mean importance and mean performance: where the two dashed lines stand."""
    corners: list[tuple[float, float]]
    texts: list[str | None]
    positions: list[str]
    numbered: bool


def _ipma_plan(book: ReportWorkbook, drivers) -> _IpmaPlan | None:
    """Where the map's axes end and where each construct's label goes; ``None`` without points.

    Labels are the constructs' names, each on the side of its point where it overlaps nothing
    (:func:`~crmkit.report.excel.charts.place_point_labels`); points drawn on one spot share one
    label naming them all. Only when names cannot be placed without overlap do the points carry
    their row numbers instead, the Drivers table beside the map being their key: a name by its
    point reads at a glance, a number needs the key.
    """
    import math

    x = drivers["importance"].astype(float)
    y = drivers["performance"].astype(float)
    drawn = [n for n in range(len(drivers)) if math.isfinite(x.iloc[n]) and math.isfinite(y.iloc[n])]
    if not drawn:
        return None
    x, y = x.iloc[drawn], y.iloc[drawn]
    # importance from 0 (a total effect of 0 means no influence); performance zoomed to the points
    # but never to less than 10 index points, so that a 1-point spread does not fill the chart
    x_low = min(0.0, math.floor(x.min() * 10) / 10)
    x_high = max(math.ceil(x.max() * 1.15 * 10) / 10, x_low + 0.1)
    y_mid = (y.min() + y.max()) / 2
    half = max(5.0, (y.max() - y.min()) / 2 + 3)
    y_low = max(0.0, math.floor((y_mid - half) / 5) * 5)
    y_high = min(100.0, math.ceil((y_mid + half) / 5) * 5)
    inset_x, inset_y = (x_high - x_low) * 0.15, (y_high - y_low) * 0.05
    corners = [
        (x_high - inset_x, y_high - inset_y),
        (x_high - inset_x, y_low + inset_y),
        (x_low + inset_x, y_low + inset_y),
        (x_low + inset_x, y_high - inset_y),
    ]
    ranges = ((x_low, x_high), (y_low, y_high))
    points = list(zip(x.tolist(), y.tolist()))
    means = (float(x.mean()), float(y.mean()))
    notes = [(cx, cy, book.label(f"quadrant:{q}")) for (cx, cy), q in zip(corners, _QUADRANTS)]
    spot = coinciding(points, ranges, _IPMA_SIZE)
    names = [str(drivers["construct"].iloc[n]) for n in drawn]
    for numbered in (False, True):
        shown = [str(n + 1) for n in drawn] if numbered else names
        texts: list[str | None] = [
            ", ".join(t for t, s in zip(shown, spot) if s == k) if spot[k] == k else None for k in range(len(drawn))
        ]
        sides, clear = place_point_labels(
            points, texts, ranges, _IPMA_SIZE, notes, lines=[("x", means[0]), ("y", means[1])]
        )
        if clear:
            break
    all_texts: list[str | None] = [None] * len(drivers)
    positions = ["none"] * len(drivers)
    for k, n in enumerate(drawn):
        all_texts[n], positions[n] = texts[k], sides[k]
    return _IpmaPlan((x_low, x_high), (y_low, y_high), means, corners, all_texts, positions, numbered)


def _add_ipma_chart(book: ReportWorkbook, span, drivers, plan: _IpmaPlan) -> None:
    """The importance-performance map beside the Drivers table: one labelled point per construct,
    dashed lines at the mean importance and the mean performance, each quadrant named in its corner.

    The map stands below the Drivers table rather than beside it: side by side they make a page
    twice as wide as either, printed at half size, and the point labels cannot be read. The lines
    and the names' positions are a small table below the map: a chart's series must take its
    values from cells to be drawn by LibreOffice.
    """
    import math

    import pandas as pd

    (x_low, x_high), (y_low, y_high) = plan.x_range, plan.y_range
    corners, quadrants = plan.corners, _QUADRANTS
    chart_row = span.last_row + 2
    x_mean, y_mean = plan.means
    # rows 1-4 are where the quadrant names are written, rows 5-6 and 7-8 the ends of the two mean
    # lines: a small table whose title says it is the chart's (a series must read cells to be drawn)
    guide = pd.DataFrame(
        {
            "chart_element": [book.label(f"quadrant:{q}") for q in quadrants]
            + [book.label(f"ipma:{end}") for end in ("importance_low", "importance_high")]
            + [book.label(f"ipma:{end}") for end in ("performance_low", "performance_high")],
            "importance": [cx for cx, _ in corners] + [x_mean, x_mean, x_low, x_high],
            "performance": [cy for _, cy in corners] + [y_low, y_high, y_mean, y_mean],
        }
    )
    lines = book.add_table(
        "sheet:drivers",
        guide,
        title="title:ipma_data",
        start_row=chart_row + math.ceil(_IPMA_SIZE[1] / _ROW_CM) + 2,
        freeze_header=False,
        autofilter=False,
    )

    def cells(block, frame, first: int, last: int) -> tuple[tuple, tuple]:
        x_col = block.first_col + list(frame.columns).index("importance")
        y_col = block.first_col + list(frame.columns).index("performance")
        top = block.first_row + 1
        return (x_col, top + first, x_col, top + last), (y_col, top + first, y_col, top + last)

    # one series per construct: its name (or the names of all points on its spot, or numbers) is
    # the point's label in Excel and LibreOffice alike
    series = [
        ScatterSeries(*cells(span, drivers, n, n), text or str(drivers["construct"].iloc[n]), "points", side)
        for n, (text, side) in enumerate(zip(plan.texts, plan.positions))
    ]
    series += [ScatterSeries(*cells(lines, guide, 4, 5), "axis:importance", "guide")]
    series += [ScatterSeries(*cells(lines, guide, 6, 7), "axis:performance", "guide")]
    series += [ScatterSeries(*cells(lines, guide, n, n), f"quadrant:{q}", "note") for n, q in enumerate(quadrants)]
    book.add_scatter_chart(
        "sheet:drivers",
        series=series,
        anchor=cell_name(chart_row, 1),
        title="chart:ipma",
        x_title="importance",
        y_title="performance",
        x_range=(x_low, x_high),
        y_range=(y_low, y_high),
        legend=False,
        axis_formats=("0.00", "0"),
        width=_IPMA_SIZE[0],
        height=_IPMA_SIZE[1],
    )
