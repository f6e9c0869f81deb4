"""RFM scoring and rule-based segmentation of a customer summary.

Scores follow the quantile convention of Hughes (1994) and the RFM literature: each of
recency, frequency and monetary value is cut into ``bins`` equal-population bands, with
two rules that keep the scores honest on real data:

* **ties never split**: a customer's score depends on how many customers have a *strictly*
  worse value, so equal values always get equal scores;
* **few distinct values** (most customers buy once): the band a value starts in is its score,
  so with 60% one-time buyers F = 1 scores 1 and F = 2 (the next 20%) scores 4 — scores stay
  comparable to quantile bands instead of being stretched over the few values present.

Formally, with ``n`` customers and ``below(v)`` the number of customers with a worse value,
score = 1 + floor(bins * below(v) / n). Worse means larger recency, smaller frequency,
smaller monetary value.

Everything here is one DuckDB query per table (:func:`segment_sql`), so the same code scores
a 50-row DataFrame and a 10-million-row export; pandas is imported only when a result table
is read as a DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from crmkit.errors import ConfigError, UsageError
from crmkit.io.engine import (
    Frame,
    attach,
    columns_of,
    exact_mean,
    money,
    quote,
    records,
    scratch,
    sql_literal,
    unique_name,
)
from crmkit.io.options import as_date, check_lang, check_seed
from crmkit.io.purchases import as_purchases
from crmkit.io.toml import read_toml
from crmkit.pareto import ParetoResult, abc_table_sql
from crmkit.pushdown import PushedDown, push_down
from crmkit.summary import score_table_sql, summary_sql

#: The built-in segment schemes (``crmkit/schemes/<name>.toml``); any other ``--scheme`` is a file.
SCHEMES = ("standard", "cn8")


def _table(value):
    """A result table as pandas: DuckDB-backed :class:`Frame` objects are converted on first use."""
    if value is None:
        return None
    return value.df() if isinstance(value, Frame) else value


class SegmentResult:
    """Everything ``crmkit segment`` computes.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer, sorted by id. Columns, in this order: ``customer_id, recency_days,
        frequency, monetary, r_score, f_score, m_score, segment, pareto_class, rfm_score,
        segment_label, action, first_purchase, last_purchase, tenure_days, avg_order_value,
        gross_revenue, returns``, then ``margin`` when the data has one and ``cluster`` when
        clustering was asked for. ``first_purchase``/``last_purchase`` are ``datetime64``; scores
        are int 1..bins; ``segment`` is a stable key (``champions``), ``segment_label``/``action``
        are in the result's language.
    customer_rows : Frame or pandas.DataFrame
        The same rows before conversion: writers stream a DuckDB-backed :class:`Frame` straight
        to csv/json/parquet without building a DataFrame.
    segments : pandas.DataFrame
        One row per segment of the scheme, in scheme order: ``segment, segment_label, customers,
        customer_share, revenue, revenue_share, mean_recency_days, mean_frequency,
        mean_monetary, action``.
    pareto : ParetoResult
    clusters : pandas.DataFrame or None
        With ``--clusters K``: ``cluster, customers, customer_share, revenue, revenue_share,
        mean_recency_days, mean_frequency, mean_monetary``.
    silhouette : float or None
    warnings : list of str
        What a reader should know about the scores (too few customers, a dimension without spread).
    headline : dict
        ``customers, revenue, repeat_customer_rate, top20_share, gini, as_of`` (plain Python values).
    as_of : datetime.date
    scheme, bins, lang
    """

    def __init__(
        self,
        customers,
        segments,
        pareto: ParetoResult,
        as_of: date,
        scheme: str,
        bins: int,
        lang: str = "en",
        clusters=None,
        silhouette: float | None = None,
        headline: dict | None = None,
        warnings: list | None = None,
    ):
        self.customer_rows = customers
        self.warnings = warnings or []
        self._segments = segments
        self._clusters = clusters
        self.pareto = pareto
        self.as_of = as_of
        self.scheme = scheme
        self.bins = bins
        self.lang = lang
        self.silhouette = silhouette
        self.headline = headline or {}

    @property
    def customers(self):
        return _table(self.customer_rows)

    @property
    def segments(self):
        return _table(self._segments)

    @property
    def clusters(self):
        return _table(self._clusters)

    def to_dict(self) -> dict:
        """Everything as JSON-ready values; ``customers`` is what ``crmkit segment -f json`` writes."""
        pareto = self.pareto
        return {
            "as_of": self.as_of.isoformat(),
            "scheme": self.scheme,
            "bins": self.bins,
            "lang": self.lang,
            "headline": {**self.headline, "as_of": self.as_of.isoformat()},
            "segments": records(self.segments),
            "customers": records(self.customer_rows),
            "pareto": {
                "top_share": pareto.top_share,
                "top_fraction": pareto.top_fraction,
                "gini": pareto.gini,
                "thresholds": list(pareto.thresholds),
                "classes": records(pareto.classes),
            },
            "clusters": None if self._clusters is None else records(self.clusters),
            "silhouette": self.silhouette,
            "warnings": list(self.warnings),
        }


# --- scores ------------------------------------------------------------------------------


def five_point_sql(score: str, bins: int) -> str:
    """Map a score on 1..bins onto the 1..5 scale the rule tables use (1 and bins map to 1 and 5)."""
    if bins == 5:
        return score
    return f"CAST(floor(1 + ({score} - 1) * 4.0 / {int(bins) - 1} + 0.5) AS INTEGER)"


# --- schemes -----------------------------------------------------------------------------

_RANGE_KEYS = ("r", "f", "m", "fm")
_LEVEL_KEYS = ("r_level", "f_level", "m_level")
_SEGMENT_KEYS = {"key", "label_en", "label_zh", "action_en", "action_zh", *_RANGE_KEYS, *_LEVEL_KEYS}


@dataclass
class Rule:
    """One segment: its labels and its condition on the 1-5 scores and the high/low levels."""

    key: str
    label: dict
    action: dict
    ranges: dict
    levels: dict

    def condition_sql(self) -> str:
        """The rule as a DuckDB condition on columns ``r, f, m, fm`` and ``r_level, f_level, m_level``."""
        parts = [f"{var} BETWEEN {lo} AND {hi}" for var, (lo, hi) in self.ranges.items()]
        parts += [f"{var} = {'true' if level == 'high' else 'false'}" for var, level in self.levels.items()]
        return "(" + " AND ".join(parts) + ")"


@dataclass
class Scheme:
    """A segmentation rule table: each customer falls in exactly one segment.

    Rules test score ranges on the 1-5 scale (``r``, ``f``, ``m`` and ``fm``, the mean of F and M
    rounded half up) and/or high/low levels against the mean (``r_level``, ``f_level``,
    ``m_level``). :meth:`check` proves by enumeration that the rules have no gaps or overlaps.
    """

    key: str
    name: dict
    rules: list

    @property
    def uses_levels(self) -> bool:
        return any(r.levels for r in self.rules)

    @property
    def uses_scores(self) -> bool:
        return any(r.ranges for r in self.rules)

    def case_sql(self) -> str:
        """The segment key of a row (first matching rule; :meth:`check` makes the match unique)."""
        whens = " ".join(f"WHEN {r.condition_sql()} THEN {sql_literal(r.key)}" for r in self.rules)
        return f"(CASE {whens} END)"

    def labels_sql(self, lang: str) -> str:
        """``(VALUES ...) AS seg(key, label, action, ord)``: the scheme as a table to join."""
        rows = ", ".join(
            f"({sql_literal(r.key)}, {sql_literal(r.label[lang])}, {sql_literal(r.action[lang])}, {i})"
            for i, r in enumerate(self.rules)
        )
        return f"(VALUES {rows}) AS seg(key, label, action, ord)"

    def check(self, source: str) -> None:
        """Raise ConfigError naming the first cells no rule or several rules cover."""
        names, tables = [], []
        if self.uses_scores or not self.uses_levels:
            names += ["r", "f", "m"]
            tables += [f"range(1, 6) AS t_{n}({n})" for n in ("r", "f", "m")]
        if self.uses_levels:
            names += list(_LEVEL_KEYS)
            tables += [f"(VALUES (true), (false)) AS t_{n}({n})" for n in _LEVEL_KEYS]
        fm = ", (f + m + 1) // 2 AS fm" if "r" in names else ""
        hits = ", ".join(f"{r.condition_sql()}::INTEGER AS h{i}" for i, r in enumerate(self.rules))
        order = ", ".join(n if n in ("r", "f", "m") else f"{n} DESC" for n in names)
        con = scratch()
        try:
            grid = con.sql(
                f"SELECT {', '.join(names)}, {hits} FROM (SELECT *{fm} FROM {', '.join(tables)}) ORDER BY {order}"
            ).fetchall()
        finally:
            con.close()

        def describe(row):
            return " ".join(f"{n}={('high' if v else 'low') if n in _LEVEL_KEYS else v}" for n, v in zip(names, row))

        counts = [sum(row[len(names) :]) for row in grid]
        gaps = [row for row, c in zip(grid, counts) if c == 0]
        if gaps:
            shown = "; ".join(describe(row) for row in gaps[:5])
            raise ConfigError(
                f"rules leave {len(gaps)} score combination(s) without a segment, e.g. {shown}", file=source
            )
        over = [row for row, c in zip(grid, counts) if c > 1]
        if over:
            both = [r.key for r, h in zip(self.rules, over[0][len(names) :]) if h]
            raise ConfigError(
                f"rules overlap on {len(over)} score combination(s): {' and '.join(both)} "
                f"both match {describe(over[0])}",
                file=source,
            )

    def assign(self, r, f, m, levels: dict | None = None) -> np.ndarray:
        """Segment key per customer from 1-5 scores (and levels when the scheme uses them)."""
        cols = {"r": np.asarray(r), "f": np.asarray(f), "m": np.asarray(m)}
        cols.update({k: np.asarray(v, dtype=bool) for k, v in (levels or {}).items()})
        cols["i"] = np.arange(cols["r"].size)
        con = scratch()
        try:
            con.register("cells", cols)
            out = con.sql(
                f"SELECT {self.case_sql()} AS s FROM (SELECT *, (f + m + 1) // 2 AS fm FROM cells) ORDER BY i"
            ).fetchnumpy()["s"]
        finally:
            con.close()
        return np.asarray(out, dtype=object)


def _parse_scheme(data: dict, source: str, *, check: bool = True) -> Scheme:
    meta = data.get("scheme", {})
    if not isinstance(meta, dict):
        raise ConfigError("scheme must be a table ([scheme] with key, name_en, name_zh)", file=source)
    for name in ("key", "name_en", "name_zh"):
        if not isinstance(meta.get(name, ""), str):
            raise ConfigError(f"scheme.{name} must be a string", file=source)
    segments = data.get("segment")
    if not isinstance(segments, list) or not segments:
        raise ConfigError("no [[segment]] tables found", file=source)
    rules, seen = [], set()
    for i, seg in enumerate(segments, 1):
        if not isinstance(seg, dict):
            raise ConfigError(f"segment {i} must be a table ([[segment]])", file=source)
        unknown = set(seg) - _SEGMENT_KEYS
        if unknown:
            raise ConfigError(
                f"segment {i}: unknown key(s) {', '.join(sorted(unknown))}",
                file=source,
                hint="allowed: " + ", ".join(sorted(_SEGMENT_KEYS)),
            )
        key = seg.get("key")
        if not key or not isinstance(key, str):
            raise ConfigError(f"segment {i}: 'key' is required", file=source)
        if key in seen:
            raise ConfigError(f"segment key '{key}' appears twice", file=source)
        for name in ("label_en", "label_zh", "action_en", "action_zh"):
            if not isinstance(seg.get(name, ""), str):
                raise ConfigError(f"segment '{key}': {name} must be a string", file=source)
        seen.add(key)
        ranges = {}
        for var in _RANGE_KEYS:
            if var in seg:
                rng = seg[var]
                if (
                    not isinstance(rng, list)
                    or len(rng) != 2
                    or not all(isinstance(x, int) and not isinstance(x, bool) for x in rng)
                    or not 1 <= rng[0] <= rng[1] <= 5
                ):
                    raise ConfigError(
                        f"segment '{key}': {var} must be [low, high] with 1 <= low <= high <= 5", file=source
                    )
                ranges[var] = tuple(rng)
        levels = {}
        for var in _LEVEL_KEYS:
            if var in seg:
                if seg[var] not in ("high", "low"):
                    raise ConfigError(f'segment \'{key}\': {var} must be "high" or "low"', file=source)
                levels[var] = seg[var]
        if not ranges and not levels:
            raise ConfigError(f"segment '{key}' has no condition (give r/f/m/fm ranges or *_level)", file=source)
        rules.append(
            Rule(
                key=key,
                label={"en": seg.get("label_en", key), "zh": seg.get("label_zh", seg.get("label_en", key))},
                action={"en": seg.get("action_en", ""), "zh": seg.get("action_zh", seg.get("action_en", ""))},
                ranges=ranges,
                levels=levels,
            )
        )
    scheme = Scheme(
        key=meta.get("key", Path(source).stem),
        name={"en": meta.get("name_en", source), "zh": meta.get("name_zh", meta.get("name_en", source))},
        rules=rules,
    )
    if check:
        scheme.check(source)
    return scheme


def load_scheme(name: str) -> Scheme:
    """The built-in ``standard`` or ``cn8`` scheme, or a user's TOML rule file (checked for gaps/overlaps)."""
    data, source = read_toml(name, flag="--scheme", what="rule file", package="crmkit.schemes", builtins=SCHEMES)
    # the built-in tables are proven partitions by the test suite; a user's file is checked here
    return _parse_scheme(data, source, check=name not in SCHEMES)


# --- clustering --------------------------------------------------------------------------


def rfm_clusters(summary, k: int, *, seed: int = 0) -> tuple[np.ndarray, float]:
    """k-means on standardised log1p(recency, frequency, monetary); clusters numbered by value.

    Cluster 1 has the highest mean monetary value, so labels are stable across runs and seeds.
    The silhouette score is computed on at most 10,000 customers (sampled with ``seed``): it is
    quadratic in the number of points.

    Returns
    -------
    labels : numpy.ndarray of int, shape (n_customers,)
    silhouette : float
    """
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    n = len(summary)
    if not 2 <= k < n:
        raise UsageError(f"--clusters must be between 2 and the number of customers - 1 ({n - 1}), not {int(k)}")
    features = np.log1p(
        np.column_stack(
            [
                summary["recency_days"].to_numpy(float),
                summary["frequency"].to_numpy(float),
                np.clip(summary["monetary"].to_numpy(float), 0, None),
            ]
        )
    )
    x = StandardScaler().fit_transform(features)
    model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)
    raw = model.labels_
    means = pd.Series(summary["monetary"].to_numpy(float)).groupby(raw).mean().sort_values(ascending=False)
    relabel = {old: new for new, old in enumerate(means.index, 1)}
    labels = np.vectorize(relabel.get)(raw)
    if len(np.unique(raw)) < 2:
        return labels, float("nan")
    sil = silhouette_score(x, raw, sample_size=min(n, 10_000), random_state=seed)
    return labels, float(sil)


# --- the segmentation --------------------------------------------------------------------

CUSTOMER_COLUMNS = [
    "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment",
    "pareto_class", "rfm_score", "segment_label", "action", "first_purchase", "last_purchase", "tenure_days",
    "avg_order_value", "gross_revenue", "returns",
]  # fmt: skip
_DATES = ("first_purchase", "last_purchase")
# Exact sums and means (crmkit.io.engine.money): a DOUBLE sum's last digits depend on row order and threads.
_REVENUE = f"coalesce(sum({money('c.monetary', total=True)}), 0)::DOUBLE"
_GROUP_STATS = (
    "count(c.customer_id) AS customers, count(c.customer_id) / {n} AS customer_share, "
    f"{_REVENUE} AS revenue, "
    f"CASE WHEN {{rev}} = 0 THEN 0 ELSE {_REVENUE} / {{rev}} END AS revenue_share, "
    f"{exact_mean('c.recency_days')} AS mean_recency_days, {exact_mean('c.frequency')} AS mean_frequency, "
    f"{exact_mean('c.monetary')} AS mean_monetary"
)


def parse_thresholds(value: str | tuple[float, float] | list[float]) -> tuple[float, float]:
    """The ABC class limits from ``"0.8,0.95"`` or ``(0.8, 0.95)``: cumulative revenue shares closing A and B.

    Examples
    --------
    >>> parse_thresholds("0.7,0.9")
    (0.7, 0.9)
    """
    try:
        parts = value.split(",") if isinstance(value, str) else list(value)
        a, b = (float(x) for x in parts)
    except (TypeError, ValueError):
        raise UsageError(f"--abc must be two shares like 0.8,0.95, not {value!r}") from None
    if not 0 < a < b <= 1:
        raise UsageError(f"--abc needs 0 < A < B <= 1, got {value!r}")
    return a, b


def _scored_sql(summary: str, rules: Scheme, *, bins: int, thresholds: tuple[float, float], extra_columns=()) -> str:
    """:func:`segment_sql`'s numbers, ordered by id, with ``ord`` (the 1-based position of the customer's
    rule in the scheme) for the texts, which :func:`_labelled_sql` picks when the rows are read: the
    stored table holds no copy of a label or an action."""
    five = {k: five_point_sql(f"{k}_score", bins) for k in ("r", "f", "m")}
    extra = "".join(f", {quote(c)}" for c in extra_columns)
    rule = " ".join(f"WHEN {r.condition_sql()} THEN {i}" for i, r in enumerate(rules.rules, 1))
    return f"""
        WITH base AS (SELECT * FROM {summary}),
        scored AS (
            SELECT base.*, r_t.score AS r_score, f_t.score AS f_score, m_t.score AS m_score,
                   recency_days < (SELECT {exact_mean("recency_days")} FROM base) AS r_level,
                   frequency > (SELECT {exact_mean("frequency")} FROM base) AS f_level,
                   monetary > (SELECT {exact_mean("monetary")} FROM base) AS m_level,
                   abc.pareto_class
            FROM base
            JOIN {score_table_sql("base", "recency_days", bins, higher_is_better=False)} r_t ON recency_days = r_t.v
            JOIN {score_table_sql("base", "frequency", bins)} f_t ON frequency = f_t.v
            JOIN {score_table_sql("base", "monetary", bins)} m_t ON monetary = m_t.v
            JOIN {abc_table_sql("base", "monetary", thresholds)} abc ON monetary = abc.v
        )
        SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, ord, pareto_class,
               first_purchase, last_purchase, tenure_days, avg_order_value, gross_revenue, returns {extra}
        FROM (SELECT *, (CASE {rule} END) AS ord
              FROM (SELECT *, {five["r"]} AS r, {five["f"]} AS f, {five["m"]} AS m,
                           ({five["f"]} + {five["m"]} + 1) // 2 AS fm FROM scored))
        WHERE ord IS NOT NULL  -- as the join on the segment did: no rule, no row (Scheme.check forbids it)
        ORDER BY customer_id
    """


def _labelled_sql(scored: str, rules: Scheme, lang: str, extra_columns=()) -> str:
    """:data:`CUSTOMER_COLUMNS` (and ``extra_columns``) from a :func:`_scored_sql` table, in its order.

    A projection only (the texts are list elements picked by ``ord``), so the rows keep the order
    they are stored in, and a writer streams them without another sort.
    """

    def pick(texts) -> str:
        return "[" + ", ".join(sql_literal(t) for t in texts) + "][ord]"

    extra = "".join(f", {quote(c)}" for c in extra_columns)
    return f"""
        SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score,
               {pick(r.key for r in rules.rules)} AS segment, pareto_class,
               r_score::VARCHAR || f_score::VARCHAR || m_score::VARCHAR AS rfm_score,
               {pick(r.label[lang] for r in rules.rules)} AS segment_label,
               {pick(r.action[lang] for r in rules.rules)} AS action, first_purchase, last_purchase,
               tenure_days, avg_order_value, gross_revenue, returns {extra}
        FROM {scored}
    """


def segment_sql(
    summary: str, rules: Scheme, *, bins: int, thresholds: tuple[float, float], lang: str, extra_columns=()
) -> str:
    """One SELECT from a customer summary to the per-customer segmentation table, ordered by id.

    Parameters
    ----------
    summary : str
        A table expression with the :func:`crmkit.summary.customer_summary` columns.
    rules : Scheme
    bins, thresholds, lang
        As in :func:`segment_customers`.
    extra_columns : sequence of str
        Summary columns carried to the end of the output (``margin``).
    """
    scored = _scored_sql(summary, rules, bins=bins, thresholds=thresholds, extra_columns=extra_columns)
    return f"{_labelled_sql(f'({scored})', rules, lang, extra_columns)} ORDER BY customer_id"


def _segment_table(
    con, summary: str, as_of: date, *, bins: int, scheme: str, thresholds, clusters, seed, lang
) -> SegmentResult:
    check_lang(lang)
    thresholds = parse_thresholds(thresholds)
    if isinstance(bins, bool) or bins not in (3, 4, 5):
        raise UsageError(f"--bins must be 3, 4 or 5, not {bins!r}")
    if clusters is not None and (isinstance(clusters, bool) or not isinstance(clusters, (int, np.integer))):
        raise UsageError(f"--clusters must be a whole number, not {clusters!r}")
    seed = check_seed(seed, "--seed")
    rules = load_scheme(scheme)
    columns = columns_of(con, summary)
    # one pass for the headline and the spread of each dimension (every customer gets a segment)
    n, revenue, repeat, *distinct = con.sql(
        f"SELECT count(*), coalesce(sum({money('monetary', total=True)}), 0)::DOUBLE, "
        f"coalesce(avg((frequency >= 2)::INTEGER), 0), "
        f"count(DISTINCT recency_days), count(DISTINCT frequency), count(DISTINCT monetary) FROM {summary}"
    ).fetchall()[0]
    if n == 0:
        raise UsageError("no customers with a purchase on or before the as-of date")
    extra = [c for c in ("margin",) if c in columns]
    # The scores are stored, the texts picked when the rows are read: a writer streams the projection.
    table = unique_name("segmented")
    con.execute(
        f"CREATE TEMP TABLE {table} AS "
        f"{_scored_sql(summary, rules, bins=bins, thresholds=thresholds, extra_columns=extra)}"
    )
    rows = _labelled_sql(table, rules, lang, extra)

    cluster_frame, silhouette = None, None
    if clusters is not None:  # --clusters 0 is refused by rfm_clusters, not read as "no clusters"
        import pandas as pd

        base = Frame(con, table).df()
        labels, silhouette = rfm_clusters(base, int(clusters), seed=seed)
        labels_name, clustered = unique_name("cluster_labels"), unique_name("clustered")
        con.register(labels_name, pd.DataFrame({"customer_id": base["customer_id"], "cluster": labels}))
        con.execute(
            f"CREATE TEMP TABLE {clustered} AS SELECT s.*, l.cluster FROM ({rows}) s "
            f"JOIN {labels_name} l USING (customer_id) ORDER BY customer_id"
        )
        rows = clustered
        cluster_frame = Frame(
            con,
            f"""
            SELECT c.cluster, {_GROUP_STATS.format(n=n, rev=revenue)}
            FROM {clustered} c GROUP BY c.cluster ORDER BY c.cluster""",
        )

    values = con.sql(f"SELECT monetary, pareto_class FROM {table}").fetchnumpy()
    pareto = ParetoResult(values["monetary"], values["pareto_class"], thresholds=thresholds)
    segments = Frame(
        con,
        f"""
        SELECT seg.key AS segment, seg.label AS segment_label, {_GROUP_STATS.format(n=n, rev=revenue)},
               seg.action AS action
        FROM {rules.labels_sql(lang)} LEFT JOIN {table} c ON c.ord = seg.ord + 1
        GROUP BY seg.key, seg.label, seg.action, seg.ord ORDER BY seg.ord""",
    )
    warnings = []
    if n < 50:
        warnings.append(
            f"only {n} customer(s): quantile scores need a customer base to rank against, so segments here say little"
        )
    flat = [name for name, k in zip(("recency", "frequency", "monetary"), distinct) if k == 1 and n > 1]
    if flat:
        warnings.append(f"every customer has the same {' and '.join(flat)}: those scores are 1 for everyone")
    headline = {
        "customers": int(n),
        "revenue": float(revenue),
        "repeat_customer_rate": float(repeat),
        "top20_share": pareto.top_share,
        "gini": pareto.gini,
        "as_of": as_of,
    }
    return SegmentResult(
        customers=Frame(con, rows, date_columns=_DATES),
        segments=segments,
        pareto=pareto,
        as_of=as_of,
        scheme=rules.key,
        bins=bins,
        lang=lang,
        clusters=cluster_frame,
        silhouette=silhouette,
        headline=headline,
        warnings=warnings,
    )


def segment_customers(
    summary,
    as_of: date,
    *,
    bins: int = 5,
    scheme: str = "standard",
    thresholds: tuple[float, float] = (0.80, 0.95),
    clusters: int | None = None,
    seed: int = 0,
    lang: str = "en",
) -> SegmentResult:
    """RFM scores, named segments, Pareto classes and (optionally) k-means clusters.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer from :func:`crmkit.summary.customer_summary`.
    as_of : datetime.date
        The date the summary was computed at (reported, not recomputed).
    bins : {3, 4, 5}
        Number of quantile bands per score.
    scheme : str
        ``"standard"``, ``"cn8"`` or the path of a TOML rule file.
    thresholds : (float, float)
        ABC cumulative revenue share limits.
    clusters : int, optional
        Number of k-means clusters on log-scaled R, F, M.
    seed : int
        Random state for k-means and the silhouette sample.
    lang : {"en", "zh"}
        Language of segment labels and actions.

    Returns
    -------
    SegmentResult
    """
    con, source = attach(summary, "_summary")
    as_of = as_date(as_of)
    return _segment_table(
        con, source, as_of, bins=bins, scheme=scheme, thresholds=thresholds, clusters=clusters, seed=seed, lang=lang
    )


def segment(
    transactions,
    as_of=None,
    *,
    occasion: str = "day",
    bins: int = 5,
    scheme: str = "standard",
    thresholds: tuple[float, float] = (0.80, 0.95),
    clusters: int | None = None,
    seed: int = 0,
    lang: str = "en",
    engine: str | None = None,
) -> SegmentResult:
    """Summarise purchases per customer as of ``as_of`` and segment them: ``crmkit.segment(...)``.

    Parameters
    ----------
    transactions : str, os.PathLike, PurchaseData, pandas / polars DataFrame or pyarrow Table
        An export to read, a read export (queried in place), or a table with at least
        ``customer_id, date, amount`` (see :func:`crmkit.io.purchases.as_purchases`).
    as_of : date, datetime, Timestamp or ISO string, optional
        The analysis date; default the last purchase date in the data.
    occasion, bins, scheme, thresholds, clusters, seed, lang
        As in :func:`crmkit.summary.customer_summary` and :func:`segment_customers`.
    engine : {"duckdb", "db", "spark"}, optional
        Where the per-customer aggregation runs (:func:`crmkit.pushdown.push_down`); default: a
        :class:`~crmkit.io.databases.Database` in its database, a
        :class:`~crmkit.io.spark.SparkSource` on Spark, anything else in DuckDB.

    Returns
    -------
    SegmentResult

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": ["2024-01-01", "2024-02-01", "2024-01-15"],
    ...                       "amount": [10, 5, 7]})
    >>> result = segment(sales, "2024-03-01")
    >>> result.customers[["customer_id", "frequency", "monetary", "rfm_score"]].to_dict("list")
    {'customer_id': ['a', 'b'], 'frequency': [2, 1], 'monetary': [15.0, 7.0], 'rfm_score': ['333', '111']}
    """
    transactions = push_down(transactions, engine=engine) or transactions
    if isinstance(transactions, PushedDown):  # aggregated where the rows are
        as_of = transactions.resolve_as_of(None if as_of is None else as_date(as_of))
        con, summary = transactions.summary_table(as_of, occasion)
    else:
        data = as_purchases(transactions)
        as_of = data.resolve_as_of(None if as_of is None else as_date(as_of))
        con, source = attach(data)
        columns = columns_of(con, source)
        summary = unique_name("customer_summary")
        con.execute(f"CREATE TEMP TABLE {summary} AS {summary_sql(source, as_of, occasion=occasion, columns=columns)}")
    return _segment_table(
        con, summary, as_of, bins=bins, scheme=scheme, thresholds=thresholds, clusters=clusters, seed=seed, lang=lang
    )
