"""What each customer is likely to buy next: item-based top-N, implicit ALS, popularity and re-buys.

The data is implicit feedback: a customer × item matrix whose cell is the number of purchase
*occasions* (distinct days) on which the customer bought the item up to ``as_of``. Returns
(``is_return``, negative amounts) are no interest and are left out. The matrix is built by a
DuckDB group-by straight into :mod:`scipy.sparse`, never a pandas loop.

Methods:

* ``itemknn`` — item-based top-N (Deshpande & Karypis 2004): item-item similarities fitted as
  :class:`implicit.nearest_neighbours.BM25Recommender` fits them (BM25-weighted co-buying, the
  ``K`` = :data:`~crmkit.models.implicit_cf.NEIGHBOURS` most similar items kept per item); a
  customer's score for item *j* is Σᵢ occasionsᵤᵢ · sim(i, j) over their bought items *i*,
  exactly implicit's scorer, computed as one sparse product per batch of customers (implicit's
  batch ``recommend`` calls its scorer once per customer from Python; the product also lets
  ties be broken by item id).
* ``als`` — implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008) with
  :class:`implicit.cpu.als.AlternatingLeastSquares` on the BM25-weighted matrix (K1 = 100,
  B = 0.8, the weighting of implicit's own last.fm example), fixed ``random_state`` and BLAS
  held to one thread (implicit parallelises over users itself); scores are the factor products
  implicit's ``recommend`` computes, in batches.

The engine (matrix, models, list building) is :mod:`crmkit.models.implicit_cf`; this module adds
the reasons in English or Chinese, the result types and the offline evaluation.
* ``popularity`` — the items most customers bought. It also serves every customer with no usable
  history and fills a list when collaborative filtering has fewer than ``n`` candidates; each
  row says its ``source`` (``rebuy``, ``cf``, ``popularity``).

Every list is deterministic: equal scores are ordered by item id, and the same input gives the
same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from crmkit.errors import UsageError
from crmkit.io.options import as_date
from crmkit.io.purchases import as_purchases
from crmkit.io.quality import Message
from crmkit.models.implicit_cf import (
    ALS_FACTORS,
    ALS_ITERATIONS,
    ALS_REGULARIZATION,
    BM25_B,
    BM25_K1,
    MIN_SUPPORT,
    NEIGHBOURS,
    Lists,
    Matrix,
    Recommender,
    build_lists,
    columns_of,
    lookup,
    occasion_matrix,
    ranks,
)

#: The item columns a recommendation can be made on.
ITEMS = ("product", "category")
#: The recommendation methods.
METHODS = ("itemknn", "als", "popularity")
#: The sources of a recommendation, in the order they fill a customer's list.
SOURCES = ("rebuy", "cf", "popularity")
#: The columns of :meth:`Recommendations.rows`.
COLUMNS = ("customer_id", "rank", "item", "score", "source", "reason")
_Z95 = 1.959963984540054

_REASONS = {
    "en": {
        "cf": "bought with {item} by {pct}% of {item} buyers",
        "cf_similar": "customers who buy like you bought it",
        "cf_again": "you bought it before",
        "popularity": "top seller: bought by {pct}% of customers",
        "rebuy": "re-buy: usually every {interval} days, last bought {elapsed} days ago",
    },
    "zh": {
        "cf": "购买{item}的顾客中{pct}%也买了它",
        "cf_similar": "与您购买习惯相近的顾客买了它",
        "cf_again": "您曾购买过",
        "popularity": "热销：{pct}%的顾客买过",
        "rebuy": "回购：通常每{interval}天购买一次，上次购买在{elapsed}天前",
    },
}


def check_options(item: str, method: str, n: int, lang: str) -> None:
    """Raise UsageError for an unknown ``item`` or ``method``, an ``n`` below 1 or an unknown ``lang``."""
    if item not in ITEMS:
        raise UsageError(f"item (--item) must be one of {', '.join(ITEMS)}, not {item!r}")
    if method not in METHODS:
        raise UsageError(f"method (--method) must be one of {', '.join(METHODS)}, not {method!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise UsageError(f"n (--top) must be a whole number of recommendations, 1 or more, not {n!r}")
    if lang not in _REASONS:
        raise UsageError(f"lang must be one of {', '.join(_REASONS)}, not {lang!r}")


def _reason_texts(matrix: Matrix, lists: Lists, lang: str) -> np.ndarray:
    """The reason of every row; each distinct text is formatted once (a million rows take a second)."""
    texts = _REASONS[lang]
    percent = np.rint(np.nan_to_num(lists.share) * 100).astype(np.int64)
    # one integer per distinct reason: source, the explaining item (or interval) and the percentage (or elapsed days)
    second = np.where(lists.sources == 0, np.nan_to_num(lists.elapsed), percent).astype(np.int64)
    if not len(second):
        return np.zeros(0, dtype=object)
    because = lists.because.astype(np.int64) + 2
    span_value, span_because = int(second.max()) + 1, int(because.max()) + 1
    keys = (lists.sources * span_because + because) * span_value + second
    distinct, inverse = np.unique(keys, return_inverse=True)
    out = []
    for key in distinct.tolist():
        rest, value = divmod(key, span_value)
        source, because_ = divmod(rest, span_because)
        because_ -= 2
        if source == 0:
            out.append(texts["rebuy"].format(interval=because_, elapsed=value))
        elif source == 2:
            out.append(texts["popularity"].format(pct=value))
        elif because_ >= 0:
            out.append(texts["cf"].format(item=matrix.items[because_], pct=value))
        elif because_ == -2:
            out.append(texts["cf_again"])
        else:
            out.append(texts["cf_similar"])
    return np.asarray(out, dtype=object)[np.ravel(inverse)]


@dataclass
class Recommendations:
    """Top-``n`` lists per customer (:func:`recommend`).

    Attributes
    ----------
    customer_id, rank, item, score, source, reason : numpy.ndarray
        One entry per recommendation, customers in id order and ranks 1, 2, … within each. ``score``
        is comparable within a source only: ``rebuy`` days since the last purchase over the usual
        interval (1 = due today); ``cf`` the method's score; ``popularity`` the share of customers
        who bought the item. Sources come in the order of :data:`SOURCES`.
    customers : int
        Customers with a list.
    method, item : str
    params : dict
        The settings the lists were made with (``n``, ``exclude_bought``, ``min_support``, ``seed``,
        ``rebuy``, and the method's own).
    as_of : datetime.date
    lang : str
    notes : list of Message
    """

    customer_id: np.ndarray
    rank: np.ndarray
    item: np.ndarray
    score: np.ndarray
    source: np.ndarray
    reason: np.ndarray
    customers: int
    method: str
    item_column: str
    params: dict
    as_of: date
    lang: str
    notes: list[Message] = field(default_factory=list)

    def rows(self):
        """The recommendations as a pandas DataFrame with :data:`COLUMNS`."""
        import pandas as pd

        return pd.DataFrame(
            {
                "customer_id": self.customer_id.astype(object),
                "rank": self.rank.astype("int64"),
                "item": self.item.astype(object),
                "score": self.score.astype("float64"),
                "source": self.source.astype(object),
                "reason": self.reason.astype(object),
            },
            columns=list(COLUMNS),
        )

    def to_dict(self) -> dict:
        """Everything as JSON-ready values."""
        from crmkit.io.engine import records

        return {
            "method": self.method,
            "item": self.item_column,
            "as_of": self.as_of.isoformat(),
            "lang": self.lang,
            "params": dict(self.params),
            "customers": self.customers,
            "recommendations": records(self.rows()),
            "notes": [str(n) for n in self.notes],
        }


def _consumables(data, matrix: Matrix, item: str, rebuy: Iterable[str] | str | None) -> np.ndarray | None:
    """Items whose repeat purchase counts: named in ``rebuy``, or (for products) of a category named there."""
    if rebuy is None:
        return None
    names = sorted({str(r).strip() for r in ([rebuy] if isinstance(rebuy, str) else rebuy)} - {""})
    found = set(names)
    categories: set[str] = set()
    if item == "product" and "category" in columns_of(data):
        rows = data.con.execute(
            "SELECT DISTINCT CAST(product AS VARCHAR), CAST(category AS VARCHAR) FROM tx "
            "WHERE list_contains($names, CAST(category AS VARCHAR))",
            {"names": names},
        ).fetchall()
        found.update(r[0] for r in rows)
        categories = {r[1] for r in rows}
    # a misspelt name would otherwise quietly re-buy nothing
    unknown = [n for n in names if n not in categories and not np.isin(n, matrix.items)]
    if unknown:
        kinds = f"a {item}" + (" or a category" if item == "product" else "")
        raise UsageError(f"rebuy (--rebuy): {', '.join(map(repr, unknown))} is not {kinds} bought in the purchases")
    return np.isin(matrix.items, np.asarray(sorted(found), dtype=object))


def _users(matrix: Matrix, customers) -> tuple[Matrix, np.ndarray]:
    """The rows to recommend for; ids not in the data are appended as customers without history."""
    import scipy.sparse as sp

    if customers is None:
        return matrix, np.arange(len(matrix.customers), dtype=np.int64)
    asked = list(dict.fromkeys(str(c) for c in ([customers] if isinstance(customers, str) else customers)))
    index = {c: k for k, c in enumerate(matrix.customers.tolist())}
    new = [c for c in asked if c not in index]
    if new:
        ids = np.concatenate([matrix.customers, np.asarray(new, dtype=object)])
        shape = (len(ids), len(matrix.items))

        def grow(m):
            return sp.vstack([m, sp.csr_matrix((len(new), shape[1]), dtype=m.dtype)]).tocsr()

        matrix = Matrix(ids, matrix.items, grow(matrix.counts), grow(matrix.first), grow(matrix.last))
        index.update({c: len(index) + k for k, c in enumerate(new)})
    users = np.asarray(sorted(index[c] for c in asked), dtype=np.int64)
    # customers in id order
    return matrix, users[np.argsort(matrix.customers[users].astype(str), kind="stable")]


def recommend(
    purchases,
    as_of=None,
    *,
    item: str = "product",
    n: int = 10,
    method: str = "itemknn",
    rebuy: Iterable[str] | str | None = None,
    exclude_bought: bool = True,
    min_support: int = MIN_SUPPORT,
    customers: Iterable[str] | None = None,
    seed: int = 0,
    lang: str = "en",
) -> Recommendations:
    """The ``n`` items each customer is most likely to buy next, each with its source and reason.

    Parameters
    ----------
    purchases : path, PurchaseData or table
        Anything :func:`crmkit.io.purchases.as_purchases` takes, with ``customer_id, date, amount``
        and the ``item`` column. Returns are no interest.
    as_of : date or ISO text, optional
        Purchases up to this day are used; default the last purchase date.
    item : {"product", "category"}
    n : int
        Recommendations per customer (fewer only when the data has fewer items).
    method : {"itemknn", "als", "popularity"}
        Item-based top-N (Deshpande & Karypis 2004), implicit ALS (Hu, Koren & Volinsky 2008),
        or the best sellers alone.
    rebuy : str or iterable of str, optional
        Consumables: items (or, with ``item="product"``, categories) whose repeat purchase is
        wanted. A customer's own such item bought on 2+ occasions is recommended first when the
        days since its last purchase reach its mean inter-purchase interval.
    exclude_bought : bool
        Leave out items the customer bought (but for due re-buys).
    min_support : int
        Customers an item needs to be recommended by collaborative filtering.
    customers : iterable of str, optional
        Customers to recommend for (ids unknown to the data get the best sellers); default all
        customers with a row up to ``as_of``.
    seed : int
        The ALS initialisation.
    lang : {"en", "zh"}
        The language of ``reason``.

    Returns
    -------
    Recommendations

    Raises
    ------
    crmkit.errors.UsageError
        A bad ``item``, ``method``, ``n``, ``min_support`` or ``lang``.
    crmkit.errors.ColumnError
        The purchases have no ``item`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c"], "amount": [5, 5, 5, 5, 5],
    ...                       "date": ["2024-01-01"] * 5, "product": ["tea", "cup", "tea", "cup", "tea"]})
    >>> found = recommend(sales, min_support=1)
    >>> found.rows().query("customer_id == 'c'")[["item", "source", "reason"]].values.tolist()
    [['cup', 'cf', 'bought with tea by 67% of tea buyers']]
    """
    check_options(item, method, n, lang)
    if isinstance(min_support, bool) or not isinstance(min_support, (int, np.integer)) or min_support < 1:
        raise UsageError(f"min_support must be a whole number of customers, 1 or more, not {min_support!r}")
    data = as_purchases(purchases)
    day = data.resolve_as_of(None if as_of is None else as_date(as_of, "as_of"))
    matrix = occasion_matrix(data, item, day)
    consumable = _consumables(data, matrix, item, rebuy)
    matrix, users = _users(matrix, customers)
    model = Recommender(method, matrix, seed) if method != "popularity" and matrix.counts.nnz else None
    lists = build_lists(
        matrix,
        model,
        users,
        int(n),
        exclude_bought=exclude_bought,
        min_support=int(min_support),
        day=day,
        consumable=consumable,
    )
    # back to the order of `users` (customers in id order), keeping each list's rank order
    position = np.empty(len(matrix.customers), dtype=np.int64)
    position[users] = np.arange(len(users))
    order = np.lexsort((np.arange(len(lists.users)), position[lists.users]))
    lists = Lists(*(getattr(lists, f)[order] for f in Lists.__dataclass_fields__))
    rank = ranks(lists.users)
    params: dict[str, Any] = {
        "n": int(n),
        "exclude_bought": bool(exclude_bought),
        "min_support": int(min_support),
        "seed": int(seed),
        "rebuy": None if consumable is None else sorted(matrix.items[consumable].tolist()),
    }
    if method == "itemknn":
        params.update(similarity="bm25", neighbours=NEIGHBOURS)
    elif method == "als":
        params.update(
            factors=model.factors if model is not None else ALS_FACTORS,
            regularization=ALS_REGULARIZATION,
            iterations=ALS_ITERATIONS,
            bm25_k1=BM25_K1,
            bm25_b=BM25_B,
        )
    notes: list[Message] = []
    counts = np.bincount(lists.sources, minlength=3)
    without = int((np.diff(matrix.counts.indptr)[users] == 0).sum())
    if without:
        notes.append(
            Message(
                f"{without:,} customers have no {item} bought up to {day.isoformat()}: they get the best sellers",
                "recommend_without_history",
                count=without,
                item=item,
                as_of=day.isoformat(),
            )
        )
    if method != "popularity" and counts[2]:
        notes.append(
            Message(
                f"{int(counts[2]):,} of {len(lists.users):,} recommendations are best sellers filling short lists",
                "recommend_popularity_fill",
                count=int(counts[2]),
                total=len(lists.users),
            )
        )
    return Recommendations(
        customer_id=matrix.customers[lists.users].astype(object),
        rank=rank,
        item=matrix.items[lists.items].astype(object),
        score=lists.scores,
        source=np.asarray(SOURCES, dtype=object)[lists.sources],
        reason=_reason_texts(matrix, lists, lang),
        customers=int(len(users)),
        method=method,
        item_column=item,
        params=params,
        as_of=day,
        lang=lang,
        notes=notes,
    )


#: The columns of :meth:`Evaluation.rows`.
EVALUATION_COLUMNS = ("method", "customers", "hit_rate", "ndcg")


@dataclass
class Evaluation:
    """Leave-last-occasion-out accuracy of a method against the popularity baseline (:func:`evaluate`).

    Attributes
    ----------
    method, item : str
    n : int
    customers : int
        Customers evaluated: 2+ purchase occasions and a held-out item the list could hold.
    repeat_only : int
        Customers with 2+ occasions whose last occasion re-bought only items bought before (with
        ``exclude_bought`` no list can contain them, so they are not evaluated).
    hit_rate, ndcg : float
        The method's hit rate@n and NDCG@n (mean over the customers).
    baseline_hit_rate, baseline_ndcg : float
        The same for the popularity baseline.
    hit_rate_difference, ndcg_difference : (float, float, float)
        Method minus baseline, with a 95% interval (paired normal: the mean per-customer difference
        ± 1.96 standard errors; both lists are scored on the same customers).
    per_customer : pandas.DataFrame
        ``customer_id, held_out, hit, ndcg, baseline_hit, baseline_ndcg``.
    as_of : datetime.date
    notes : list of Message
    """

    method: str
    item: str
    n: int
    customers: int
    repeat_only: int
    hit_rate: float
    ndcg: float
    baseline_hit_rate: float
    baseline_ndcg: float
    hit_rate_difference: tuple[float, float, float]
    ndcg_difference: tuple[float, float, float]
    per_customer: Any
    as_of: date
    notes: list[Message] = field(default_factory=list)

    def rows(self):
        """One row per method (the chosen one, then ``popularity``): :data:`EVALUATION_COLUMNS`."""
        import pandas as pd

        return pd.DataFrame(
            [
                (self.method, self.customers, self.hit_rate, self.ndcg),
                ("popularity", self.customers, self.baseline_hit_rate, self.baseline_ndcg),
            ],
            columns=list(EVALUATION_COLUMNS),
        )

    def one_line(self) -> str:
        """The evaluation in one line, as ``crmkit recommend --evaluate`` prints it on stderr."""
        low, high = self.hit_rate_difference[1:]
        return (
            f"held-out last purchase, {self.customers:,} customers: hit rate@{self.n} {self.hit_rate:.3f} "
            f"({self.method}) vs {self.baseline_hit_rate:.3f} (popularity), difference "
            f"{self.hit_rate_difference[0]:+.3f} [{low:+.3f}, {high:+.3f}]; NDCG@{self.n} {self.ndcg:.3f} vs "
            f"{self.baseline_ndcg:.3f}"
        )

    def to_dict(self) -> dict:
        """Everything but the per-customer table as JSON-ready values."""
        return {
            "method": self.method,
            "item": self.item,
            "n": self.n,
            "as_of": self.as_of.isoformat(),
            "customers": self.customers,
            "repeat_only": self.repeat_only,
            "hit_rate": self.hit_rate,
            "ndcg": self.ndcg,
            "baseline_hit_rate": self.baseline_hit_rate,
            "baseline_ndcg": self.baseline_ndcg,
            "hit_rate_difference": list(self.hit_rate_difference),
            "ndcg_difference": list(self.ndcg_difference),
            "notes": [str(n) for n in self.notes],
        }


def _scores(lists: Lists, held, users: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hit@n and NDCG@n of each of ``users`` (binary relevance; Järvelin & Kekäläinen 2002)."""
    relevant = lookup(held, lists.users, lists.items) > 0
    rank = ranks(lists.users)
    gain = np.where(relevant & (rank <= n), 1.0 / np.log2(rank + 1.0), 0.0)
    size = held.shape[0]
    dcg = np.bincount(lists.users, weights=gain, minlength=size)[users]
    hits = np.bincount(lists.users, weights=relevant & (rank <= n), minlength=size)[users] > 0
    # ideal DCG: every one of the first min(n, |held out|) ranks relevant
    ideal_cumulative = np.cumsum(1.0 / np.log2(np.arange(1, n + 1) + 1.0))
    count = np.asarray(held.sum(axis=1)).ravel()[users].astype(np.int64)
    ideal = ideal_cumulative[np.clip(np.minimum(count, n) - 1, 0, n - 1)]
    return hits.astype(float), np.where(count > 0, dcg / ideal, 0.0)


def _difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    d = a - b
    if len(d) == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(d.mean())
    half = _Z95 * float(d.std(ddof=1)) / math.sqrt(len(d)) if len(d) > 1 else math.nan
    return (mean, mean - half, mean + half)


def evaluate(
    purchases,
    as_of=None,
    *,
    n: int = 10,
    method: str = "itemknn",
    item: str = "product",
    exclude_bought: bool = True,
    min_support: int = MIN_SUPPORT,
    seed: int = 0,
) -> Evaluation:
    """Offline accuracy: hide each customer's last purchase occasion and see whether the list finds it.

    Every customer with 2 or more purchase occasions (distinct days with a purchase of an ``item``)
    up to ``as_of`` has their last occasion — every item of that day — held out. One model is fitted
    on all the data except those held-out occasions (leak-free: no evaluated customer's held-out
    day is seen, while every other purchase, also later ones of other customers, is), then each
    customer gets ``n`` recommendations exactly as :func:`recommend` makes them, and so does the
    popularity baseline (best sellers of the same training data).

    Hit rate@n is the share of customers with at least one held-out item in their list; NDCG@n is
    DCG = Σ 1/log₂(rank + 1) over the held-out items in the list, over the ideal DCG with the first
    min(n, |held out|) ranks relevant (binary relevance; Järvelin & Kekäläinen 2002). With
    ``exclude_bought`` the held-out items the customer had bought before are not counted (no list
    could contain them), and a customer left with none is not evaluated
    (:attr:`Evaluation.repeat_only`).

    Parameters
    ----------
    purchases, as_of, n, method, item, exclude_bought, min_support, seed
        As :func:`recommend` (no re-buys: they would trivially find repeat purchases).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({"customer_id": ["a", "a", "b", "b", "c", "c"], "amount": [5] * 6,
    ...                       "date": ["2024-01-01"] * 5 + ["2024-01-02"],
    ...                       "product": ["tea", "cup", "tea", "cup", "tea", "cup"]})
    >>> evaluate(sales, min_support=1).rows().values.tolist()
    [['itemknn', 1, 1.0, 1.0], ['popularity', 1, 1.0, 1.0]]
    """
    import pandas as pd

    check_options(item, method, n, "en")
    if isinstance(min_support, bool) or not isinstance(min_support, (int, np.integer)) or min_support < 1:
        raise UsageError(f"min_support must be a whole number of customers, 1 or more, not {min_support!r}")
    data = as_purchases(purchases)
    day = data.resolve_as_of(None if as_of is None else as_date(as_of, "as_of"))
    matrix = occasion_matrix(data, item, day, holdout=True)
    held = matrix.held
    if exclude_bought:
        held = (held - held.multiply(matrix.counts > 0)).tocsr()
        held.eliminate_zeros()
    had = np.diff(matrix.held.indptr) > 0
    users = np.flatnonzero(np.diff(held.indptr) > 0).astype(np.int64)
    repeat_only = int(had.sum() - len(users))
    model = Recommender(method, matrix, seed) if method != "popularity" and matrix.counts.nnz else None

    def lists_of(fitted: Recommender | None) -> Lists:
        return build_lists(
            matrix,
            fitted,
            users,
            int(n),
            exclude_bought=exclude_bought,
            min_support=int(min_support),
            day=day,
            consumable=None,
        )

    hits, ndcg = _scores(lists_of(model), held, users, int(n))
    base_hits, base_ndcg = _scores(lists_of(None), held, users, int(n))
    per_customer = pd.DataFrame(
        {
            "customer_id": matrix.customers[users].astype(object),
            "held_out": np.diff(held.indptr)[users].astype("int64"),
            "hit": hits.astype(bool),
            "ndcg": ndcg,
            "baseline_hit": base_hits.astype(bool),
            "baseline_ndcg": base_ndcg,
        }
    )
    notes: list[Message] = []
    if repeat_only:
        notes.append(
            Message(
                f"{repeat_only:,} customers whose last purchase only re-bought earlier items are not evaluated",
                "recommend_eval_repeat_only",
                count=repeat_only,
            )
        )

    def mean(values: np.ndarray) -> float:
        return float(values.mean()) if len(values) else math.nan

    return Evaluation(
        method=method,
        item=item,
        n=int(n),
        customers=int(len(users)),
        repeat_only=repeat_only,
        hit_rate=mean(hits),
        ndcg=mean(ndcg),
        baseline_hit_rate=mean(base_hits),
        baseline_ndcg=mean(base_ndcg),
        hit_rate_difference=_difference(hits, base_hits),
        ndcg_difference=_difference(ndcg, base_ndcg),
        per_customer=per_customer,
        as_of=day,
        notes=notes,
    )
