"""The customer base by who they are: "customer structure" tables and the attributes that separate value.

Every purchasing customer's RFM row (:func:`crmkit.segment.segment`) is joined on ``customer_id``
(compared as text) with their attributes (:func:`crmkit.io.attributes.read_attributes`), and each
attribute becomes one table with a row per value: how many customers, how much revenue, the lift
of revenue share over customer share, repeat rate, mean R/F/M, the RFM segment mix, the
loyalty-ladder rung mix (:func:`crmkit.ladder.ladder`) and, when asked, the mean CLV
(:func:`crmkit.clv.customer_lifetime_value`); given a complaints export, how many of them
complained and the complaint rates per 1,000 customers (:func:`crmkit.feedback.complaint_signals`).

Denominators are the customers who bought up to ``as_of`` (those :func:`~crmkit.segment.segment`
scores). Nobody is dropped silently:

* a purchasing customer missing from the attributes file is a ``(no attributes)`` row
  (:data:`NO_ATTRIBUTES`) in every table;
* a customer in the file whose value is missing or was not normalisable is an ``(unknown)`` row
  (:data:`UNKNOWN`);
* customers in the attributes file who bought nothing up to ``as_of`` are counted
  (:attr:`Structure.without_purchases`) and said in a note, but are in no table: they have no
  recency, frequency or revenue to average.

Attributes are ranked by how well they separate per-customer revenue with the Kruskal–Wallis
H test (Kruskal & Wallis 1952), which compares mean *ranks*: revenue is heavy-tailed, and one
very large customer must not make a small province look valuable, as it would in a comparison
of means. The effect size is epsilon-squared, ε² = H / (n − 1) (Tomczak & Tomczak 2014;
0 = no separation, 1 = the groups' revenues do not overlap), which unlike the p-value does not
grow with the number of customers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import Any

import numpy as np

from crmkit.errors import ColumnError, UsageError
from crmkit.io.attributes import Attributes, read_attributes
from crmkit.io.complaints import read_complaints
from crmkit.io.options import as_date
from crmkit.io.purchases import as_purchases
from crmkit.io.quality import Message
from crmkit.segment import segment

#: The value of a customer in the attributes file whose value of an attribute is missing or unreadable.
UNKNOWN = "(unknown)"
#: The value of a purchasing customer the attributes file does not list.
NO_ATTRIBUTES = "(no attributes)"
#: Attributes tabled when present, in this order (``join_year`` is the year of ``join_date``); then the ``by`` columns.
ATTRIBUTES = ("gender", "age_band", "province", "city", "tier", "source_channel", "join_year")
#: A value enters the Kruskal–Wallis test with at least this many customers: the usual rule for the
#: chi-square approximation of H, which is poor for smaller groups (Kruskal & Wallis 1952).
MIN_GROUP_SIZE = 5
#: The measures of every structure table, after ``attribute, value`` (and ``value_2`` for a pair),
#: followed by one ``segment:<key>`` column per segment of the scheme, one ``rung:<key>`` column per
#: ladder rung (:data:`crmkit.ladder.RUNGS`, bottom first) and, when asked, :data:`MEAN_CLV`.
MEASURES = (
    "customers",
    "customer_share",
    "revenue",
    "revenue_share",
    "lift",
    "revenue_per_customer",
    "repeat_rate",
    "mean_recency_days",
    "mean_frequency",
    "mean_monetary",
)
#: The mean CLV column, last in a table when :func:`customer_structure` is given ``clv``.
MEAN_CLV = "mean_clv"
#: The complaint columns, after :data:`MEASURES`, when :func:`customer_structure` is given complaints:
#: customers of the value who complained up to ``as_of``, and complainers and customers with a
#: complaint open at ``as_of`` per 1,000 of the value's customers.
COMPLAINT_MEASURES = ("complainers", "complaint_rate", "open_complaint_rate")
_KEY = "attribute:"  # the prefix of attribute columns in the per-customer rows

#: The ranking's columns.
RANKING_COLUMNS = (
    "rank",
    "attribute",
    "testable",
    "groups",
    "customers",
    "h",
    "p_value",
    "epsilon_squared",
    "top_value",
    "top_lift",
)


@dataclass
class Structure:
    """The customer structure (:func:`customer_structure`).

    Attributes
    ----------
    tables : dict
        Attribute -> pandas.DataFrame, one row per value: ``attribute, value``, then :data:`MEASURES`,
        then ``segment:<key>`` for each segment of the scheme in scheme order (the share of the
        value's customers in that segment; the row sums to 1), then, with complaints,
        :data:`COMPLAINT_MEASURES`, then ``rung:<key>`` for each rung of
        :data:`crmkit.ladder.RUNGS` (the share on that rung; sums to 1), then :data:`MEAN_CLV` (the
        mean CLV of the value's customers with one) when CLV was asked for and could be modelled.
        Known values come first, by
        revenue descending then value; then :data:`UNKNOWN` and :data:`NO_ATTRIBUTES` when they
        have customers. ``customer_share`` and ``revenue_share`` sum to 1 over the rows.
    pairs : dict
        ``"a,b"`` -> the same table for each pair of the ``by`` attributes, with ``value`` (of
        ``a``) and ``value_2`` (of ``b``); rows with a known pair first.
    ranking : pandas.DataFrame
        One row per table of ``tables``: :data:`RANKING_COLUMNS`. ``h``, ``p_value`` and
        ``epsilon_squared`` are the Kruskal–Wallis test of per-customer revenue across the
        attribute's known values with at least ``min_group_size`` customers (``groups`` of them,
        ``customers`` in all), ``top_value``/``top_lift`` the tested value with the highest lift.
        Testable attributes (two such groups or more) come first by ``epsilon_squared``
        descending and are ranked 1, 2, …; the others follow with ``rank`` missing.
    customers : pandas.DataFrame
        One row per purchasing customer: ``customer_id, recency_days, frequency, monetary,
        segment``, each tabled attribute as text (:data:`UNKNOWN`, :data:`NO_ATTRIBUTES`), then
        ``rung`` (when rungs were placed) and ``clv`` (when tabled; NaN for a customer without one).
    total_customers : int
        Customers who bought up to ``as_of``: the tables' denominator.
    total_revenue : float
        Their net revenue (the sum of ``monetary``).
    without_attributes : int
        Purchasing customers the attributes file does not list.
    without_purchases : int
        Customers of the attributes file who bought nothing up to ``as_of`` (in no table).
    segments : tuple of str
        The scheme's segment keys, in scheme order; ``segment_labels`` maps them to labels in ``lang``.
    rungs : tuple of str
        The ladder's rung keys, bottom first (empty with ``rungs=False``); ``rung_labels`` maps them
        to labels in ``lang``.
    clv : bool
        Whether the tables have :data:`MEAN_CLV`.
    complaints : bool
        Whether the tables have :data:`COMPLAINT_MEASURES` (and ``customers`` the columns
        ``complaints, open_complaints``).
    notes : list of Message
        The attributes file's notes, then this analysis's own.
    as_of : datetime.date
    scheme, lang : str
    """

    tables: dict[str, Any]
    pairs: dict[str, Any]
    ranking: Any
    customers: Any
    total_customers: int
    total_revenue: float
    without_attributes: int
    without_purchases: int
    segments: tuple[str, ...]
    segment_labels: dict[str, str]
    as_of: date
    scheme: str
    lang: str
    notes: list[Message] = field(default_factory=list)
    rungs: tuple[str, ...] = ()
    rung_labels: dict[str, str] = field(default_factory=dict)
    clv: bool = False
    complaints: bool = False

    def rows(self):
        """Every table, then every pair's, as one frame (``crmkit profile -f csv``): ``attribute, value,
        value_2`` (empty but for pairs, whose ``attribute`` is ``a,b``), then the measures."""
        import pandas as pd

        frames = [*self.tables.values(), *self.pairs.values()]
        if not frames:
            return pd.DataFrame(columns=["attribute", "value", "value_2", *MEASURES])
        stacked = pd.concat([f.assign(value_2=f["value_2"] if "value_2" in f else None) for f in frames])
        first = ["attribute", "value", "value_2"]
        return stacked[first + [c for c in stacked.columns if c not in first]].reset_index(drop=True)

    def to_dict(self) -> dict:
        """Everything as JSON-ready values (tables as lists of records)."""
        from crmkit.io.engine import records

        return {
            "as_of": self.as_of.isoformat(),
            "scheme": self.scheme,
            "lang": self.lang,
            "total_customers": self.total_customers,
            "total_revenue": self.total_revenue,
            "without_attributes": self.without_attributes,
            "without_purchases": self.without_purchases,
            "segments": [{"segment": k, "segment_label": self.segment_labels.get(k, k)} for k in self.segments],
            "rungs": [{"rung": k, "rung_label": self.rung_labels.get(k, k)} for k in self.rungs],
            "clv": self.clv,
            "complaints": self.complaints,
            "tables": {name: records(table) for name, table in self.tables.items()},
            "pairs": {name: records(table) for name, table in self.pairs.items()},
            "ranking": records(self.ranking),
            "notes": [str(n) for n in self.notes],
        }


def _by_names(by: Sequence[str] | str | None) -> list[str]:
    if by is None:
        return []
    names = by.split(",") if isinstance(by, str) else list(by)
    out: list[str] = []
    for name in (str(n).strip() for n in names):
        if name and name not in out:
            out.append(name)
    return out


def _as_text(values, pd) -> np.ndarray:
    """An attribute column as text with :data:`UNKNOWN` for missing values (categoricals and dates too)."""
    series = pd.Series(values).astype(object)
    missing = series.isna().to_numpy() | (series.astype(str).str.strip() == "").to_numpy()
    text = series.astype(str).to_numpy(dtype=object)
    text[missing] = UNKNOWN
    return text


def _attribute_columns(attributes: Attributes, by_names: list[str], pd) -> dict[str, np.ndarray]:
    """Attribute name -> its values per row of ``attributes.frame`` as text, in table order."""
    frame = attributes.frame
    columns: dict[str, np.ndarray] = {}

    def column_of(name: str):
        if name == "join_year" and "join_date" in frame.columns:
            return pd.to_datetime(frame["join_date"]).dt.year.astype("Int64")
        source = attributes.by.get(name, name)
        if source in frame.columns and source != "customer_id":
            return frame[source]
        return None

    for name in ATTRIBUTES:
        values = column_of(name)
        if values is not None:
            columns[name] = _as_text(values, pd)
    for name in [*attributes.by, *by_names]:
        if name in columns:
            continue
        values = column_of(name)
        if values is None:
            raise ColumnError(
                f"the attributes have no column {name!r} to profile by",
                hint="attributes found: " + ", ".join([*columns, *attributes.by]),
            )
        columns[name] = _as_text(values, pd)
    return columns


def _structure_table(rows, keys: list[str], mix_columns: list[str], totals: tuple[int, float], pd):
    """One structure table: ``rows`` (one per customer) grouped by the ``keys`` columns; the
    ``mix_columns`` (segment and rung indicators, the CLV) are averaged per group; with the
    complaint indicators (``_complainer``, ``_open``) the :data:`COMPLAINT_MEASURES` follow the measures."""
    customers_total, revenue_total = totals
    grouped = rows.groupby(keys, sort=False)
    table = grouped.agg(
        customers=("customer_id", "size"),
        revenue=("monetary", "sum"),
        repeat_rate=("repeat", "mean"),
        mean_recency_days=("recency_days", "mean"),
        mean_frequency=("frequency", "mean"),
        mean_monetary=("monetary", "mean"),
    )
    complained = "_complainer" in rows.columns
    if complained:
        table = table.join(grouped[["_complainer", "_open"]].sum())
    mix = grouped[mix_columns].mean()
    table = table.join(mix).reset_index()
    table["customer_share"] = table["customers"] / customers_total
    # a base whose net revenue is zero or less (returns exceed sales) has no meaningful revenue share
    table["revenue_share"] = table["revenue"] / revenue_total if revenue_total > 0 else math.nan
    table["lift"] = table["revenue_share"] / table["customer_share"]
    table["revenue_per_customer"] = table["revenue"] / table["customers"]
    extra: list[str] = []
    if complained:
        table["complainers"] = table["_complainer"].astype("int64")
        table["complaint_rate"] = 1000.0 * table["_complainer"] / table["customers"]
        table["open_complaint_rate"] = 1000.0 * table["_open"] / table["customers"]
        extra = list(COMPLAINT_MEASURES)
    special = np.zeros(len(table), dtype=np.int64)
    for rank, marker in enumerate((UNKNOWN, NO_ATTRIBUTES), start=1):
        for key in keys:
            special = np.maximum(special, np.where(table[key].to_numpy() == marker, rank, 0))
    table["_special"] = special
    table["_minus_revenue"] = -table["revenue"]
    table = table.sort_values(["_special", "_minus_revenue", *keys], kind="mergesort").reset_index(drop=True)
    value_names = ["value", "value_2"][: len(keys)]
    table = table.rename(columns=dict(zip(keys, value_names)))
    table.insert(0, "attribute", ",".join(k.removeprefix(_KEY) for k in keys))
    table["customers"] = table["customers"].astype("int64")
    return table[["attribute", *value_names, *MEASURES, *extra, *mix_columns]]


def _kruskal(attribute: str, rows, table, min_group_size: int) -> dict:
    """The ranking row of one attribute: Kruskal–Wallis H on per-customer revenue across its known values."""
    from scipy import stats

    tested = table[~table["value"].isin([UNKNOWN, NO_ATTRIBUTES]) & (table["customers"] >= min_group_size)].reset_index(
        drop=True
    )
    out: dict[str, Any] = {
        "attribute": attribute,
        "testable": len(tested) >= 2,
        "groups": len(tested),
        "customers": int(tested["customers"].sum()),
        "h": math.nan,
        "p_value": math.nan,
        "epsilon_squared": math.nan,
        "top_value": None,
        "top_lift": math.nan,
    }
    if len(tested):
        best = tested.sort_values(["lift", "value"], ascending=[False, True], kind="mergesort").iloc[0]
        out["top_value"], out["top_lift"] = best["value"], float(best["lift"])
    if not out["testable"]:
        return out
    monetary = rows["monetary"].to_numpy(dtype=float)
    values = rows[_KEY + attribute].to_numpy()
    samples = [monetary[values == v] for v in tested["value"]]
    n = out["customers"]
    if np.ptp(np.concatenate(samples)) == 0:  # every customer spent the same: no separation, H = 0
        h, p = 0.0, 1.0
    else:
        h, p = (float(x) for x in stats.kruskal(*samples))
    # Tomczak & Tomczak (2014): epsilon-squared = H / ((n^2 - 1) / (n + 1)) = H / (n - 1)
    out.update(h=h, p_value=p, epsilon_squared=h / (n - 1))
    return out


def customer_structure(
    purchases,
    attributes,
    as_of=None,
    *,
    by: Sequence[str] | str | None = None,
    scheme: str = "standard",
    lang: str = "en",
    min_group_size: int = MIN_GROUP_SIZE,
    clv: Any = False,
    rungs: bool = True,
    complaints: Any = None,
) -> Structure:
    """Customer structure tables per attribute, and the attributes ranked by how they separate value.

    Parameters
    ----------
    purchases : path, PurchaseData or table
        The purchase export (anything :func:`crmkit.io.purchases.as_purchases` takes).
    attributes : Attributes, path or table
        The customer attributes, read (:func:`crmkit.io.attributes.read_attributes`) or to read
        (then with ``as_of`` for the ages and ``by`` for the further columns).
    as_of : date or ISO text, optional
        The analysis date; default the last purchase date (:meth:`PurchaseData.resolve_as_of`).
    by : str or sequence of str, optional
        Further attributes to table (``"a,b"`` is ``["a", "b"]``): columns of the attributes
        (``tier``, a header kept with ``read_attributes(by=...)``) or ``join_year``. Every pair of
        them is also cross-tabulated (:attr:`Structure.pairs`). Default: the ``by`` columns the
        attributes were read with.
    scheme, lang : str
        The RFM segment scheme and the language of its labels (:func:`crmkit.segment.segment`).
    min_group_size : int
        Customers a value needs to enter the Kruskal–Wallis test (default :data:`MIN_GROUP_SIZE`).
    clv : bool, pandas.Series, pandas.DataFrame or ClvResult
        Add :data:`MEAN_CLV` to the tables. ``True`` computes it with
        :func:`crmkit.clv.customer_lifetime_value` at its defaults: a BG/NBD model (Fader, Hardie &
        Lee 2005) on a weekly clock for the expected purchases, Gamma-Gamma expected spend (Fader,
        Hardie & Lee 2005, "RFM and CLV"), 52 weeks discounted at 10 % a year, times the margin
        column or 1.0 (CLV in revenue). When no model can be fitted (fewer than 20 repeat buyers,
        or a failed fit) the column is left out and a note says why. Or give each customer's CLV:
        a Series indexed by ``customer_id``, a frame with ``customer_id`` and ``clv`` columns, or a
        :class:`~crmkit.clv.ClvResult`; customers it lacks are left out of the mean (and counted).
    rungs : bool
        Add the ladder-rung mix (``rung:<key>``): each customer's rung from :func:`crmkit.ladder.ladder`
        on the same purchases and ``as_of`` (default rules, no survey or referrals: the top rungs use
        the behavioural proxy).
    complaints : path, Complaints, table or None
        A complaints export (:func:`crmkit.io.complaints.read_complaints`), the
        :class:`~crmkit.io.complaints.Complaints` read, or the frame of
        :func:`crmkit.feedback.complaint_signals` (used as it is). Adds
        :data:`COMPLAINT_MEASURES` to every table: ``complainers`` (the value's customers with a
        complaint opened up to ``as_of``), ``complaint_rate`` = 1000 x complainers / customers and
        ``open_complaint_rate`` = 1000 x (customers with a complaint open at ``as_of``) / customers;
        the rung mix uses them too (a customer with an open complaint is held at regular, see
        :func:`crmkit.ladder.ladder`). Complainers who bought nothing are in no table (counted in
        a note). The ranking is unchanged: it tests revenue.

    Returns
    -------
    Structure

    Raises
    ------
    crmkit.errors.ColumnError
        A ``by`` name the attributes do not have.
    crmkit.errors.InputError
        ``attributes`` is neither :class:`~crmkit.io.attributes.Attributes` nor readable.

    Notes
    -----
    ``lift`` = ``revenue_share / customer_share``: 2 means the value's customers spend twice the
    average. The ranking uses the Kruskal–Wallis H statistic with its tie correction
    (:func:`scipy.stats.kruskal`; Kruskal & Wallis 1952) and epsilon-squared
    ε² = H / (n − 1) (Tomczak & Tomczak 2014), on per-customer net revenue (``monetary``).

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "amount": [10, 30, 15, 5],
    ...                       "date": ["2024-01-01", "2024-02-01", "2024-01-15", "2024-02-10"]})
    >>> members = pd.DataFrame({"customer_id": ["a", "b", "z"], "性别": ["女", "男", "女"]})
    >>> found = customer_structure(sales, members, "2024-03-01")
    >>> found.tables["gender"][["value", "customers", "revenue", "lift"]].values.tolist()
    [['female', 1, 40.0, 2.0], ['male', 1, 15.0, 0.75], ['(no attributes)', 1, 5.0, 0.25]]
    >>> found.without_purchases
    1
    """
    import pandas as pd

    data = as_purchases(purchases)
    day = data.resolve_as_of(None if as_of is None else as_date(as_of, "as_of"))
    by_names = _by_names(by)
    if not isinstance(attributes, Attributes):
        attributes = read_attributes(attributes, as_of=day, by=by_names)
    result = segment(data, day, scheme=scheme, lang=lang)
    rfm = result.customers
    segments_frame = result.segments
    segment_keys = tuple(str(k) for k in segments_frame["segment"])
    labels = dict(zip(segment_keys, (str(v) for v in segments_frame["segment_label"])))

    columns = _attribute_columns(attributes, by_names or list(attributes.by), pd)
    ids = attributes.frame["customer_id"].astype(str).to_numpy(dtype=object)
    rows = pd.DataFrame(
        {
            "customer_id": rfm["customer_id"].astype(str).to_numpy(dtype=object),
            "recency_days": rfm["recency_days"].to_numpy(dtype=float),
            "frequency": rfm["frequency"].to_numpy(dtype=float),
            "monetary": rfm["monetary"].to_numpy(dtype=float),
            "segment": rfm["segment"].astype(str).to_numpy(dtype=object),
        }
    )
    position = pd.Index(ids).get_indexer(rows["customer_id"])
    listed = position >= 0
    for name, values in columns.items():
        # prefixed, so a by column named like an RFM column (``segment``, ``monetary``) cannot collide
        rows[_KEY + name] = np.where(listed, values[np.where(listed, position, 0)], NO_ATTRIBUTES).astype(object)
    rows["repeat"] = (rows["frequency"] > 1).astype(float)
    mix_columns = [f"segment:{k}" for k in segment_keys]
    segment_of = rows["segment"].to_numpy()
    mix = pd.DataFrame({f"segment:{k}": (segment_of == k).astype(float) for k in segment_keys}, index=rows.index)
    notes = list(attributes.notes)
    rung_keys, rung_labels = (), {}
    signals = None
    # read once, the counts and the rung mix both use it; a signals frame is used as it is
    if isinstance(complaints, str | os.PathLike) or (
        isinstance(complaints, pd.DataFrame) and "open_complaints" not in complaints.columns
    ):
        complaints = read_complaints(complaints)
    if complaints is not None:
        signals = _complaint_counts(complaints, day, rows, notes)
        rows["_complainer"] = (signals["complaints"] > 0).astype(float)
        rows["_open"] = (signals["open_complaints"] > 0).astype(float)
    if rungs:
        rung_keys, rung_labels, rung_of = _rungs(data, day, rows["customer_id"], lang, complaints)
        rows["rung"] = rung_of
        for key in rung_keys:
            mix[f"rung:{key}"] = (rung_of == key).astype(float)
            mix_columns.append(f"rung:{key}")
    clv_of = None if clv is False or clv is None else _clv_values(data, day, clv, rows["customer_id"], notes)
    if clv_of is not None:
        mix[MEAN_CLV] = clv_of
        mix_columns.append(MEAN_CLV)
    grouped_rows = pd.concat([rows, mix], axis=1)

    totals = (len(rows), float(math.fsum(rows["monetary"])))
    tables = {name: _structure_table(grouped_rows, [_KEY + name], mix_columns, totals, pd) for name in columns}
    pair_names = [n for n in (by_names or list(attributes.by)) if n in columns]
    pairs = {
        f"{a},{b}": _structure_table(grouped_rows, [_KEY + a, _KEY + b], mix_columns, totals, pd)
        for a, b in combinations(pair_names, 2)
    }
    tested = [_kruskal(name, rows, table, min_group_size) for name, table in tables.items()]
    ranking = pd.DataFrame(tested, columns=[c for c in RANKING_COLUMNS if c != "rank"])
    ranking["_order"] = np.where(ranking["testable"], -ranking["epsilon_squared"].fillna(0.0), math.inf)
    ranking = ranking.sort_values(["_order"], kind="mergesort").drop(columns="_order").reset_index(drop=True)
    testable = ranking["testable"].to_numpy()
    rank = pd.Series(np.cumsum(testable), dtype="Int64").where(testable)
    ranking.insert(0, "rank", rank)

    without_attributes = int((~listed).sum())
    bought = pd.Index(rows["customer_id"])
    without_purchases = int((bought.get_indexer(ids) < 0).sum())
    if without_attributes:
        notes.append(
            Message(
                f"{without_attributes:,} of {len(rows):,} purchasing customers are not in the attributes file: "
                f"counted as {NO_ATTRIBUTES}",
                "profile_without_attributes",
                count=without_attributes,
                customers=len(rows),
            )
        )
    if without_purchases:
        notes.append(
            Message(
                f"{without_purchases:,} customers of the attributes file bought nothing up to {day.isoformat()}: "
                "counted, not in the tables",
                "profile_without_purchases",
                count=without_purchases,
                as_of=day.isoformat(),
            )
        )
    customers = rows.drop(columns=[c for c in ("repeat", "_complainer", "_open") if c in rows.columns])
    if signals is not None:
        customers["complaints"] = signals["complaints"].to_numpy()
        customers["open_complaints"] = signals["open_complaints"].to_numpy()
    if clv_of is not None:
        customers["clv"] = clv_of
    customers.columns = [
        c.removeprefix(_KEY) if c.startswith(_KEY) and c.removeprefix(_KEY) not in rows else c
        for c in customers.columns
    ]
    customers[["recency_days", "frequency"]] = customers[["recency_days", "frequency"]].astype("int64")
    return Structure(
        tables=tables,
        pairs=pairs,
        ranking=ranking[list(RANKING_COLUMNS)],
        customers=customers,
        total_customers=totals[0],
        total_revenue=totals[1],
        without_attributes=without_attributes,
        without_purchases=without_purchases,
        segments=segment_keys,
        segment_labels=labels,
        as_of=day,
        scheme=scheme,
        lang=lang,
        notes=notes,
        rungs=tuple(rung_keys),
        rung_labels=rung_labels,
        clv=clv_of is not None,
        complaints=signals is not None,
    )


def _complaint_counts(complaints, day: date, rows, notes: list):
    """Per row of ``rows`` (a purchasing customer) their ``complaints`` and ``open_complaints`` at ``day``."""
    import pandas as pd

    from crmkit.ladder.placement import complaint_columns

    found = complaint_columns(complaints, day).set_index("customer_id")
    ids = rows["customer_id"]
    counts = pd.DataFrame(
        {
            column: ids.map(found[column]).fillna(0).astype("int64").to_numpy()
            for column in ("complaints", "open_complaints")
        },
        index=rows.index,
    )
    complainers = int((counts["complaints"] > 0).sum())
    still_open = int((counts["open_complaints"] > 0).sum())
    notes.append(
        Message(
            f"{complainers:,} of {len(rows):,} purchasing customers complained up to {day.isoformat()}, "
            f"{still_open:,} with a complaint still open",
            "profile_complaints",
            complainers=complainers,
            customers=len(rows),
            open=still_open,
            as_of=day.isoformat(),
        )
    )
    elsewhere = int((~found.index.isin(ids)).sum())
    if elsewhere:
        notes.append(
            Message(
                f"{elsewhere:,} complainer(s) bought nothing up to {day.isoformat()}: in no table",
                "profile_complainers_without_purchases",
                count=elsewhere,
                as_of=day.isoformat(),
            )
        )
    return counts


def _rungs(data, day: date, customer_ids, lang: str, complaints=None):
    """The rung keys (bottom first), their labels in ``lang`` and each customer's rung (the ladder's)."""
    from crmkit.ladder import RUNGS, ladder

    placed = ladder(data, day, lang=lang, complaints=complaints)
    people = placed.people
    rung_of = people.set_index(people["customer_id"].astype(str))["rung"]
    labels = dict(zip(placed.distribution["rung"], placed.distribution["rung_label"]))
    # every buyer the segment scores is someone the ladder saw in the purchases; a customer it did
    # not summarise as a buyer (returns only) is, as for the ladder, a suspect
    found = customer_ids.map(rung_of).fillna("suspect").to_numpy(dtype=object)
    return tuple(RUNGS), {k: str(labels.get(k, k)) for k in RUNGS}, found


def _clv_values(data, day: date, clv, customer_ids, notes: list):
    """Each customer's CLV as floats (NaN when unknown), or None (with a note) when it cannot be tabled."""
    import pandas as pd

    from crmkit.clv import ClvResult, customer_lifetime_value

    if clv is True:
        result = customer_lifetime_value(data, day)
        if not result.customers["value_method"].astype(str).str.startswith("model").any():
            reasons = [
                w for w in result.warnings if getattr(w, "key", "") in ("clv_too_few_repeat_buyers", "clv_fit_failed")
            ]
            reason = str(reasons[0]) if reasons else "no transaction model could be fitted"
            notes.append(
                Message(
                    f"mean CLV not tabled: {reason}",
                    "profile_clv_unavailable",
                    reason=reason,
                )
            )
            return None
        notes.extend(w for w in result.warnings if isinstance(w, Message))
        clv = result
    if isinstance(clv, ClvResult):
        clv = clv.customers
    if isinstance(clv, pd.DataFrame):
        if not {"customer_id", "clv"} <= set(clv.columns):
            raise ColumnError(
                "the CLV frame needs customer_id and clv columns",
                hint="columns found: " + ", ".join(map(str, clv.columns)),
            )
        clv = pd.Series(clv["clv"].to_numpy(), index=clv["customer_id"].astype(str))
    elif isinstance(clv, pd.Series):
        clv = pd.Series(clv.to_numpy(), index=clv.index.astype(str))
    else:
        raise UsageError(f"clv is True, a Series, a frame or a ClvResult, not {type(clv).__name__}")
    values = customer_ids.map(pd.to_numeric(clv, errors="coerce")).to_numpy(dtype=float)
    missing = int(np.isnan(values).sum())
    if missing:
        notes.append(
            Message(
                f"{missing:,} of {len(values):,} purchasing customers have no CLV: left out of the mean CLV",
                "profile_clv_missing",
                count=missing,
                customers=len(values),
            )
        )
    return values
