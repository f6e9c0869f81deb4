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
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from crmkit.errors import ConfigError, UsageError
from crmkit.pareto import ParetoResult, pareto_analysis

@dataclass
class SegmentResult:
    """Everything ``crmkit segment`` computes.

    Attributes
    ----------
    customers : pandas.DataFrame
        One row per customer. Columns, in this order: ``customer_id, recency_days, frequency,
        monetary, r_score, f_score, m_score, segment, pareto_class, rfm_score, segment_label,
        action, first_purchase, last_purchase, tenure_days, avg_order_value, gross_revenue,
        returns`` and ``cluster`` when clustering was asked for. ``first_purchase`` and
        ``last_purchase`` are ``datetime64`` dates; scores are int 1..bins; ``segment`` is a
        stable key (``champions``), ``segment_label``/``action`` are in the result's language.
    segments : pandas.DataFrame
        One row per segment of the scheme, in scheme order: ``segment, segment_label, customers,
        customer_share, revenue, revenue_share, mean_recency_days, mean_frequency,
        mean_monetary, action``.
    pareto : ParetoResult
    clusters : pandas.DataFrame or None
        With ``--clusters K``: ``cluster, customers, customer_share, revenue, revenue_share,
        mean_recency_days, mean_frequency, mean_monetary``.
    silhouette : float or None
    headline : dict
        ``customers, revenue, repeat_customer_rate, top20_share, gini, as_of`` (plain Python values).
    as_of : datetime.date
    scheme : str
    bins : int
    lang : str
    """

    customers: pd.DataFrame
    segments: pd.DataFrame
    pareto: ParetoResult
    as_of: date
    scheme: str
    bins: int
    lang: str = "en"
    clusters: pd.DataFrame | None = None
    silhouette: float | None = None
    headline: dict = field(default_factory=dict)


# --- scores ------------------------------------------------------------------------------

def quantile_scores(values, bins: int = 5, *, higher_is_better: bool = True) -> np.ndarray:
    """Tie-safe quantile score 1..bins per value: 1 + floor(bins * below / n).

    ``below`` counts the values strictly worse than each value, so ties share a score and
    the worst value always scores 1.

    Examples
    --------
    >>> quantile_scores([1, 1, 1, 2, 5]).tolist()
    [1, 1, 1, 4, 5]
    >>> quantile_scores([10, 20, 30, 40, 50], higher_is_better=False).tolist()
    [5, 4, 3, 2, 1]
    """
    v = np.asarray(values, dtype=float)
    n = v.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ordered = np.sort(v)
    if higher_is_better:
        below = np.searchsorted(ordered, v, side="left")
    else:
        below = n - np.searchsorted(ordered, v, side="right")
    return (1 + (bins * below) // n).astype(np.int64)


def rfm_scores(summary: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """R, F and M scores (1..bins) for a customer summary.

    Parameters
    ----------
    summary : pandas.DataFrame
        Needs ``recency_days``, ``frequency`` and ``monetary`` (see :func:`crmkit.summary.customer_summary`).
    bins : {3, 4, 5}

    Returns
    -------
    pandas.DataFrame
        ``r_score, f_score, m_score`` aligned with ``summary``.
    """
    if bins not in (3, 4, 5):
        raise UsageError(f"--bins must be 3, 4 or 5, not {bins}")
    return pd.DataFrame({
        "r_score": quantile_scores(summary["recency_days"], bins, higher_is_better=False),
        "f_score": quantile_scores(summary["frequency"], bins),
        "m_score": quantile_scores(summary["monetary"], bins),
    }, index=summary.index)


def to_five_point(scores, bins: int) -> np.ndarray:
    """Map scores on 1..bins onto the 1..5 scale the rule tables use (1 and bins map to 1 and 5)."""
    s = np.asarray(scores, dtype=float)
    if bins == 5:
        return s.astype(np.int64)
    return np.floor(1 + (s - 1) * 4 / (bins - 1) + 0.5).astype(np.int64)


# --- schemes -----------------------------------------------------------------------------

_RANGE_KEYS = ("r", "f", "m", "fm")
_LEVEL_KEYS = ("r_level", "f_level", "m_level")
_SEGMENT_KEYS = {"key", "label_en", "label_zh", "action_en", "action_zh", *_RANGE_KEYS, *_LEVEL_KEYS}


@dataclass
class Rule:
    key: str
    label: dict
    action: dict
    ranges: dict
    levels: dict

    def matches(self, cells: dict) -> np.ndarray:
        ok = np.ones(len(next(iter(cells.values()))), dtype=bool)
        for var, (lo, hi) in self.ranges.items():
            ok &= (cells[var] >= lo) & (cells[var] <= hi)
        for var, level in self.levels.items():
            ok &= cells[var] == (level == "high")
        return ok


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

    def check(self, source: str) -> None:
        """Raise ConfigError naming the first cells no rule or several rules cover."""
        grids = []
        names = []
        if self.uses_scores or not self.uses_levels:
            grids += [np.arange(1, 6)] * 3
            names += ["r", "f", "m"]
        if self.uses_levels:
            grids += [np.array([True, False])] * 3
            names += list(_LEVEL_KEYS)
        mesh = np.meshgrid(*grids, indexing="ij")
        cells = {n: g.ravel() for n, g in zip(names, mesh)}
        if "r" in cells:
            cells["fm"] = (cells["f"] + cells["m"] + 1) // 2
        hits = np.stack([rule.matches(cells) for rule in self.rules])
        count = hits.sum(axis=0)

        def describe(i):
            parts = []
            for n in names:
                v = cells[n][i]
                parts.append(f"{n}={'high' if v is True or v is np.True_ else 'low' if v is False or v is np.False_ else v}")
            return " ".join(parts)

        gaps = np.flatnonzero(count == 0)
        if gaps.size:
            shown = "; ".join(describe(i) for i in gaps[:5])
            raise ConfigError(f"rules leave {gaps.size} score combination(s) without a segment, e.g. {shown}",
                              file=source)
        over = np.flatnonzero(count > 1)
        if over.size:
            i = over[0]
            both = [r.key for r, h in zip(self.rules, hits[:, i]) if h]
            raise ConfigError(f"rules overlap on {over.size} score combination(s): {' and '.join(both)} "
                              f"both match {describe(i)}", file=source)

    def assign(self, r, f, m, levels: dict | None = None) -> np.ndarray:
        """Segment key per customer from 1-5 scores (and levels when the scheme uses them)."""
        r, f, m = (np.asarray(x) for x in (r, f, m))
        cells = {"r": r, "f": f, "m": m, "fm": (f + m + 1) // 2}
        cells.update(levels or {})
        out = np.empty(r.size, dtype=object)
        for rule in reversed(self.rules):
            out[rule.matches(cells)] = rule.key
        return out


def _parse_scheme(data: dict, source: str) -> Scheme:
    meta = data.get("scheme", {})
    segments = data.get("segment")
    if not isinstance(segments, list) or not segments:
        raise ConfigError("no [[segment]] tables found", file=source)
    rules, seen = [], set()
    for i, seg in enumerate(segments, 1):
        unknown = set(seg) - _SEGMENT_KEYS
        if unknown:
            raise ConfigError(f"segment {i}: unknown key(s) {', '.join(sorted(unknown))}", file=source,
                              hint="allowed: " + ", ".join(sorted(_SEGMENT_KEYS)))
        key = seg.get("key")
        if not key or not isinstance(key, str):
            raise ConfigError(f"segment {i}: 'key' is required", file=source)
        if key in seen:
            raise ConfigError(f"segment key '{key}' appears twice", file=source)
        seen.add(key)
        ranges = {}
        for var in _RANGE_KEYS:
            if var in seg:
                rng = seg[var]
                if (not isinstance(rng, list) or len(rng) != 2 or not all(isinstance(x, int) for x in rng)
                        or not 1 <= rng[0] <= rng[1] <= 5):
                    raise ConfigError(f"segment '{key}': {var} must be [low, high] with 1 <= low <= high <= 5",
                                      file=source)
                ranges[var] = tuple(rng)
        levels = {}
        for var in _LEVEL_KEYS:
            if var in seg:
                if seg[var] not in ("high", "low"):
                    raise ConfigError(f"segment '{key}': {var} must be \"high\" or \"low\"", file=source)
                levels[var] = seg[var]
        if not ranges and not levels:
            raise ConfigError(f"segment '{key}' has no condition (give r/f/m/fm ranges or *_level)",
                              file=source)
        rules.append(Rule(key=key,
                          label={"en": seg.get("label_en", key), "zh": seg.get("label_zh", seg.get("label_en", key))},
                          action={"en": seg.get("action_en", ""), "zh": seg.get("action_zh", seg.get("action_en", ""))},
                          ranges=ranges, levels=levels))
    scheme = Scheme(key=meta.get("key", Path(source).stem),
                    name={"en": meta.get("name_en", source), "zh": meta.get("name_zh", meta.get("name_en", source))},
                    rules=rules)
    scheme.check(source)
    return scheme


def load_scheme(name: str) -> Scheme:
    """The built-in ``standard`` or ``cn8`` scheme, or a user's TOML rule file (checked for gaps/overlaps)."""
    if name in ("standard", "cn8"):
        text = resources.files("crmkit.schemes").joinpath(f"{name}.toml").read_text(encoding="utf-8")
        source = f"{name}.toml"
    else:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"--scheme must be standard, cn8 or a .toml rule file; '{name}' is neither")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read rule file: {exc}", file=name) from None
        source = name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=source) from None
    return _parse_scheme(data, source)


# --- clustering --------------------------------------------------------------------------

def rfm_clusters(summary: pd.DataFrame, k: int, *, seed: int = 0) -> tuple[np.ndarray, float]:
    """k-means on standardised log1p(recency, frequency, monetary); clusters numbered by value.

    Cluster 1 has the highest mean monetary value, so labels are stable across runs and seeds.
    The silhouette score is computed on at most 10,000 customers (sampled with ``seed``): it is
    quadratic in the number of points.

    Returns
    -------
    labels : numpy.ndarray of int, shape (n_customers,)
    silhouette : float
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    n = len(summary)
    if not 2 <= k < n:
        raise UsageError(f"--clusters must be between 2 and the number of customers - 1 ({n - 1}), not {k}")
    features = np.log1p(np.column_stack([
        summary["recency_days"].to_numpy(float),
        summary["frequency"].to_numpy(float),
        np.clip(summary["monetary"].to_numpy(float), 0, None),
    ]))
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
    "pareto_class", "rfm_score", "segment_label", "action", "first_purchase", "last_purchase",
    "tenure_days", "avg_order_value", "gross_revenue", "returns",
]


def _group_table(customers: pd.DataFrame, by: str) -> pd.DataFrame:
    total_n = len(customers)
    total_rev = customers["monetary"].sum()
    g = customers.groupby(by, sort=False, observed=True)
    table = pd.DataFrame({
        "customers": g.size(),
        "revenue": g["monetary"].sum(),
        "mean_recency_days": g["recency_days"].mean(),
        "mean_frequency": g["frequency"].mean(),
        "mean_monetary": g["monetary"].mean(),
    })
    table["customer_share"] = table["customers"] / total_n if total_n else 0.0
    table["revenue_share"] = table["revenue"] / total_rev if total_rev else 0.0
    return table


def segment_customers(summary: pd.DataFrame, as_of: date, *, bins: int = 5, scheme: str = "standard",
                      thresholds: tuple[float, float] = (0.80, 0.95), clusters: int | None = None,
                      seed: int = 0, lang: str = "en") -> SegmentResult:
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
    if lang not in ("en", "zh"):
        raise UsageError(f"--lang must be en or zh, not {lang!r}")
    if len(summary) == 0:
        raise UsageError("no customers with a purchase on or before the as-of date")
    rules = load_scheme(scheme)
    customers = summary.reset_index(drop=True).copy()
    scores = rfm_scores(customers, bins)
    customers[["r_score", "f_score", "m_score"]] = scores
    levels = None
    if rules.uses_levels:
        levels = {
            "r_level": (customers["recency_days"] < customers["recency_days"].mean()).to_numpy(),
            "f_level": (customers["frequency"] > customers["frequency"].mean()).to_numpy(),
            "m_level": (customers["monetary"] > customers["monetary"].mean()).to_numpy(),
        }
    keys = rules.assign(to_five_point(scores["r_score"], bins), to_five_point(scores["f_score"], bins),
                        to_five_point(scores["m_score"], bins), levels)
    order = [r.key for r in rules.rules]
    # Categoricals: labels and actions are a lookup per segment, not per customer (fast on 1M rows).
    segment_cat = pd.Categorical(keys, categories=order)
    customers["segment"] = segment_cat
    pareto, abc = pareto_analysis(customers["monetary"].to_numpy(float), thresholds=thresholds)
    customers["pareto_class"] = pd.Categorical(abc, categories=["A", "B", "C"])
    code = scores["r_score"].to_numpy() * 100 + scores["f_score"].to_numpy() * 10 + scores["m_score"].to_numpy()
    customers["rfm_score"] = code.astype(str)
    label = {r.key: r.label[lang] for r in rules.rules}
    action = {r.key: r.action[lang] for r in rules.rules}
    codes = segment_cat.codes
    customers["segment_label"] = pd.Categorical.from_codes(codes, categories=pd.Index(order)).map(label)
    customers["action"] = pd.Categorical.from_codes(codes, categories=pd.Index(order)).map(action)
    cols = list(CUSTOMER_COLUMNS)

    cluster_table, silhouette = None, None
    if clusters:
        customers["cluster"], silhouette = rfm_clusters(customers, clusters, seed=seed)
        cols.append("cluster")
        cluster_table = _group_table(customers, "cluster").sort_index().reset_index()
        cluster_table = cluster_table[["cluster", "customers", "customer_share", "revenue", "revenue_share",
                                       "mean_recency_days", "mean_frequency", "mean_monetary"]]
    customers = customers[cols + [c for c in customers.columns if c not in cols and c == "margin"]]

    seg = _group_table(customers, "segment")
    seg.index = seg.index.astype(str)
    seg = seg.reindex(order)
    seg[["customers", "revenue", "customer_share", "revenue_share"]] = (
        seg[["customers", "revenue", "customer_share", "revenue_share"]].fillna(0))
    seg["customers"] = seg["customers"].astype("int64")
    seg = seg.rename_axis("segment").reset_index()
    seg["segment_label"] = seg["segment"].map(label)
    seg["action"] = seg["segment"].map(action)
    seg = seg[["segment", "segment_label", "customers", "customer_share", "revenue", "revenue_share",
               "mean_recency_days", "mean_frequency", "mean_monetary", "action"]]

    headline = {
        "customers": int(len(customers)),
        "revenue": float(customers["monetary"].sum()),
        "repeat_customer_rate": float((customers["frequency"] >= 2).mean()),
        "top20_share": pareto.top_share,
        "gini": pareto.gini,
        "as_of": as_of,
    }
    return SegmentResult(customers=customers, segments=seg, pareto=pareto, as_of=as_of,
                         scheme=rules.key, bins=bins, lang=lang, clusters=cluster_table,
                         silhouette=silhouette, headline=headline)


def segment(transactions, as_of: date, *, occasion: str = "day", **options) -> SegmentResult:
    """Summarise transactions per customer as of ``as_of`` and segment them (one call for the CLI).

    ``transactions`` is a pandas DataFrame or pyarrow Table as produced by
    :func:`crmkit.data.read_purchases`; ``options`` are passed to :func:`segment_customers`.
    """
    from crmkit.summary import customer_summary

    return segment_customers(customer_summary(transactions, as_of, occasion=occasion), as_of, **options)
