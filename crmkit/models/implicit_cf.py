"""Collaborative filtering on purchase occasions with the ``implicit`` library: the engine of :mod:`crmkit.recommend`.

Input: a customer × item matrix of purchase occasions (distinct days on which the customer bought
the item), built by DuckDB group-bys into :mod:`scipy.sparse` (:func:`occasion_matrix`). Fitted on
it: item-item similarities (Deshpande & Karypis 2004) with
:class:`implicit.nearest_neighbours.ItemItemRecommender` on BM25 weights, or implicit-feedback ALS
(Hu, Koren & Volinsky 2008) with :class:`implicit.cpu.als.AlternatingLeastSquares`
(:class:`Recommender`). :func:`build_lists` turns a fitted model into every customer's top-``n``
list: due re-buys first, then collaborative filtering, then best sellers to fill, with ties ordered
by item id so the same input gives the same lists.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from crmkit.errors import ColumnError

#: Customers who bought an item for collaborative filtering to recommend it: one buyer's basket is no pattern.
MIN_SUPPORT = 2
#: Similar items kept per item by ``itemknn`` (implicit's ``K``).
NEIGHBOURS = 50
#: ALS settings: factors (at most a quarter of the items: more only memorise a small catalogue), L2
#: regularisation, alternating sweeps (Hu, Koren & Volinsky 2008). Chosen on planted taste data: 0.05 underfit
#: nothing and overfit everything; 0.1 with few factors recovers the groups.
ALS_FACTORS, ALS_REGULARIZATION, ALS_ITERATIONS = 32, 0.1, 15
#: BM25 weighting of the ALS confidences (implicit's last.fm example).
BM25_K1, BM25_B = 100.0, 0.8
#: Customers per scoring batch (bounds the memory of the dense ALS scores).
BATCH = 1024


def threads() -> int:
    # a fixed, small pool: results do not depend on it (each user's update is independent), speed barely does
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class Matrix:
    """The purchase occasions: ``counts`` (customers × items, CSR float32) and the ids of its axes."""

    customers: np.ndarray
    items: np.ndarray
    counts: Any
    first: Any  # day number (days since 1970-01-01) of the first occasion, same pattern as counts
    last: Any
    held: Any = None  # evaluation: customers × items, 1 where the item was bought on the held-out day


def columns_of(data) -> set[str]:
    return {row[0] for row in data.con.sql("DESCRIBE tx").fetchall()}


def occasion_matrix(data, item: str, day: date, *, holdout: bool = False) -> Matrix:
    """The occasion matrix from DuckDB group-bys; with ``holdout``, each customer's last occasion held out."""
    import scipy.sparse as sp

    if item not in columns_of(data):
        raise ColumnError(
            f"the purchases have no {item!r} column to recommend by",
            column=item,
            hint="map one with --product/--category, or use --item " + ("category" if item == "product" else "product"),
        )
    cut = f"DATE '{day.isoformat()}'"
    base = f"""
        b AS (SELECT customer_id, CAST({item} AS VARCHAR) AS item, date FROM tx
              WHERE date <= {cut} AND NOT is_return AND {item} IS NOT NULL AND trim(CAST({item} AS VARCHAR)) <> ''
              GROUP BY ALL),
        cust AS (SELECT customer_id, (row_number() OVER (ORDER BY customer_id) - 1)::INTEGER AS u
                 FROM (SELECT DISTINCT customer_id FROM tx WHERE date <= {cut})),
        it AS (SELECT item, (row_number() OVER (ORDER BY item) - 1)::INTEGER AS i FROM (SELECT DISTINCT item FROM b)),
        d AS (SELECT customer_id, count(DISTINCT date) AS days, max(date) AS last_day FROM b GROUP BY 1),
        x AS (SELECT u, i, date, {"d.days >= 2 AND date = d.last_day" if holdout else "false"} AS held
              FROM b JOIN d USING (customer_id) JOIN cust USING (customer_id) JOIN it USING (item))"""
    customers = data.con.sql(f"WITH {base} SELECT customer_id FROM cust ORDER BY u").fetchnumpy()["customer_id"]
    items = data.con.sql(f"WITH {base} SELECT item FROM it ORDER BY i").fetchnumpy()["item"]
    shape = (len(customers), len(items))
    cells = data.con.sql(
        f"""WITH {base} SELECT u, i, count(*)::FLOAT AS occasions,
                   (min(date) - DATE '1970-01-01')::INTEGER AS first, (max(date) - DATE '1970-01-01')::INTEGER AS last
            FROM x WHERE NOT held GROUP BY u, i ORDER BY u, i"""
    ).fetchnumpy()
    u, i = np.asarray(cells["u"], dtype=np.int32), np.asarray(cells["i"], dtype=np.int32)

    def csr(values, dtype):
        return sp.csr_matrix((np.asarray(values, dtype=dtype), (u, i)), shape=shape)

    held = None
    if holdout:
        out = data.con.sql(f"WITH {base} SELECT DISTINCT u, i FROM x WHERE held ORDER BY u, i").fetchnumpy()
        ones = np.ones(len(out["u"]), dtype=np.float32)
        held = sp.csr_matrix((ones, (np.asarray(out["u"]), np.asarray(out["i"]))), shape=shape)
    return Matrix(
        customers=np.asarray(customers, dtype=object),
        items=np.asarray(items, dtype=object),
        counts=csr(cells["occasions"], np.float32),
        first=csr(cells["first"], np.float64),
        last=csr(cells["last"], np.float64),
        held=held,
    )


def lookup(matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``matrix[rows, cols]`` for many cells of a sparse matrix at once (0 where not stored)."""
    csr = matrix.tocsr()
    if not csr.has_canonical_format:
        csr = csr.copy()
        csr.sum_duplicates()  # sorted indices: the row-major keys below are then increasing
    if csr.nnz == 0:
        return np.zeros(len(rows))
    keys = np.repeat(np.arange(csr.shape[0], dtype=np.int64), np.diff(csr.indptr)) * csr.shape[1] + csr.indices
    wanted = rows.astype(np.int64) * csr.shape[1] + cols
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, csr.data[at], 0.0)


def top_per_user(users: np.ndarray, items: np.ndarray, scores: np.ndarray, k: int):
    """The ``k`` best (user, item) per user: score descending, ties by item id (the index order)."""
    # rounded, so float noise in a sum cannot reorder what are equal scores (and the reported scores agree)
    scores = np.round(scores, 9)
    order = np.lexsort((items, -scores, users))
    users, items, scores = users[order], items[order], scores[order]
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1] if len(users) else np.zeros(0, dtype=np.int64)
    run = np.arange(len(users)) - np.repeat(starts, np.diff(np.r_[starts, len(users)]))
    mask = run < k
    return users[mask], items[mask], scores[mask]


class Recommender:
    """A fitted collaborative filter over a :class:`Matrix`: ``candidates`` gives its top items per customer."""

    def __init__(self, method: str, matrix: Matrix, seed: int):
        self.method, self.matrix = method, matrix
        if method == "itemknn":
            from implicit.nearest_neighbours import ItemItemRecommender, bm25_weight  # type: ignore[import-untyped]

            # what BM25Recommender.fit does (its defaults K1 = 1.2, B = 0.75), handing implicit CSR as it expects
            self.factors = max(2, min(ALS_FACTORS, matrix.counts.shape[1] // 4))
            weighted = bm25_weight(matrix.counts.T, K1=1.2, B=0.75).T.tocsr()
            knn = ItemItemRecommender(K=NEIGHBOURS, num_threads=threads())
            knn.fit(weighted, show_progress=False)
            self.similarity = knn.similarity.tocsr().astype(np.float32)
        elif method == "als":
            from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]
            from implicit.nearest_neighbours import bm25_weight
            from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

            self.factors = max(2, min(ALS_FACTORS, matrix.counts.shape[1] // 4))
            weighted = bm25_weight(matrix.counts.T, K1=BM25_K1, B=BM25_B).T.tocsr().astype(np.float32)
            self.weighted = weighted
            # BLAS threads would fight implicit's own per-user threads (implicit warns about it on creation)
            with threadpool_limits(1, "blas"):
                self.als = AlternatingLeastSquares(
                    factors=self.factors,
                    regularization=ALS_REGULARIZATION,
                    iterations=ALS_ITERATIONS,
                    num_threads=threads(),
                    random_state=seed,
                )
                self.als.fit(weighted, show_progress=False)

    def candidates(self, users: np.ndarray, k: int, banned, weak: np.ndarray):
        """(user, item, score) of the ``k`` best allowed items of each of ``users``; ``banned`` is a
        customers × items 0/1 CSR matrix of items a customer must not get, ``weak`` items nobody gets.

        Scores are computed a batch of customers at a time as a dense block (implicit's own
        ``recommend`` computes the same products: ``counts @ similarity`` for item-item,
        ``user_factors @ item_factors.T`` for ALS), so ties can be ordered by item id and the
        banned cells masked without asking for more than ``k`` candidates.
        """
        import scipy.sparse as sp
        from threadpoolctl import threadpool_limits

        parts = []
        if self.method == "itemknn":
            keep = np.ones(self.matrix.counts.shape[1], dtype=np.float32)
            keep[weak] = 0.0
            similarity = (self.similarity @ sp.diags(keep)).tocsr()
            similarity.eliminate_zeros()
        for start in range(0, len(users), BATCH):
            batch = users[start : start + BATCH]
            if self.method == "itemknn":
                parts.append(self._sparse_top(batch, k, banned, similarity))
                continue
            with threadpool_limits(1, "blas"):  # one thread: the same sums in the same order every run
                block = self.als.user_factors[batch] @ self.als.item_factors.T
            block[:, weak] = -np.inf
            rows = banned[batch].tocoo()
            block[rows.row, rows.col] = -np.inf
            top = min(k, block.shape[1])
            # the k-th best score of each row: every cell at least that good is a candidate (ties included)
            kth = np.partition(block, block.shape[1] - top, axis=1)[:, block.shape[1] - top]
            r, c = np.nonzero((block >= kth[:, None]) & np.isfinite(block))
            parts.append((batch[r], c.astype(np.int64), block[r, c]))
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        users_, items_, scores_ = (np.concatenate(p) for p in zip(*parts))
        return top_per_user(users_.astype(np.int64), items_, scores_, k)

    def _sparse_top(self, batch: np.ndarray, k: int, banned, similarity):
        """Item-item candidates of a batch from the sparse scores (a customer's row has at most
        ``NEIGHBOURS`` × their items non-zero cells: far fewer than the items)."""
        scores = (self.matrix.counts[batch] @ similarity).tocsr()
        scores = (scores - scores.multiply(banned[batch])).tocsr()
        scores.eliminate_zeros()
        rows = np.repeat(np.arange(len(batch)), np.diff(scores.indptr))
        # one float key sorts by row, then score descending (scores are positive; row maxima scale them below 1)
        peak = np.ones(len(batch))
        has = np.diff(scores.indptr) > 0
        peak[has] = np.maximum.reduceat(scores.data, scores.indptr[:-1][has])
        order = np.argsort(rows + (1.0 - scores.data / (peak[rows] * (1 + 1e-9))))
        # the k-th best of each row (or its worst when it has fewer): every cell at least that good is a candidate
        last = np.minimum(scores.indptr[1:], scores.indptr[:-1] + k) - 1
        kth = np.full(len(batch), np.inf)
        kth[has] = scores.data[order][last[has]]
        keep = scores.data >= kth[rows]
        return batch[rows[keep]], scores.indices[keep].astype(np.int64), scores.data[keep].astype(np.float64)


@dataclass
class Lists:
    """Every customer's list as flat arrays, ordered by customer then rank."""

    users: np.ndarray
    items: np.ndarray
    scores: np.ndarray
    sources: np.ndarray  # index into SOURCES
    because: np.ndarray  # the bought item explaining a cf row (-1 none, -2 itself), or a rebuy's interval in days
    share: np.ndarray  # share of `because` buyers who bought the item; popularity: of all customers
    elapsed: np.ndarray  # rebuy: days since the last occasion


def rebuy_rows(matrix: Matrix, day: date, consumable: np.ndarray):
    """Due re-buys: a customer's own consumable bought on 2+ occasions whose mean gap has passed."""
    counts, first, last = matrix.counts.tocoo(), matrix.first.tocoo(), matrix.last.tocoo()
    today = (day - date(1970, 1, 1)).days
    mask = (counts.data >= 2) & consumable[counts.col]
    interval = (last.data - first.data) / np.maximum(counts.data - 1, 1)
    elapsed = today - last.data
    due = mask & (interval > 0) & (elapsed >= interval)
    return counts.row[due], counts.col[due], interval[due], elapsed[due]


def build_lists(
    matrix: Matrix,
    model: Recommender | None,
    users: np.ndarray,
    n: int,
    *,
    exclude_bought: bool,
    min_support: int,
    day: date,
    consumable: np.ndarray | None,
) -> Lists:
    """Rebuy rows first, then collaborative filtering, then popularity to fill ``n`` per customer."""
    import scipy.sparse as sp

    counts = matrix.counts
    n_users, n_items = counts.shape
    bought = (counts > 0).astype(np.float32).tocsr()
    buyers = np.asarray(bought.sum(axis=0)).ravel()
    active = max(int((np.diff(bought.indptr) > 0).sum()), 1)
    wanted = np.zeros(n_users, dtype=bool)
    wanted[users] = True

    parts: list[tuple] = []
    chosen = sp.csr_matrix((n_users, n_items), dtype=np.float32)
    if consumable is not None and consumable.any():
        ru, ri, interval, elapsed = rebuy_rows(matrix, day, consumable)
        keep = wanted[ru]
        ru, ri, interval, elapsed = ru[keep].astype(np.int64), ri[keep].astype(np.int64), interval[keep], elapsed[keep]
        ratio = elapsed / interval  # most overdue first
        order = np.lexsort((ri, -np.round(ratio, 9), ru))
        ru, ri, ratio, interval, elapsed = ru[order], ri[order], ratio[order], interval[order], elapsed[order]
        keep = np.arange(len(ru)) - np.searchsorted(ru, ru) < n
        ru, ri, ratio, interval, elapsed = ru[keep], ri[keep], ratio[keep], interval[keep], elapsed[keep]
        parts.append((ru, ri, ratio, 0, np.round(interval), np.full(len(ru), math.nan), elapsed))
        chosen = sp.csr_matrix((np.ones(len(ru), np.float32), (ru, ri)), shape=counts.shape)
    taken = np.bincount(chosen.tocoo().row, minlength=n_users)

    if model is not None:
        banned = chosen.copy()
        if exclude_bought:
            banned = banned + bought
        banned = (banned > 0).astype(np.float32).tocsr()
        has_history = np.diff(bought.indptr)[users] > 0
        cu, ci, cs = model.candidates(users[has_history], n, banned, np.flatnonzero(buyers < min_support))
        room = n - taken[cu]
        run = np.arange(len(cu)) - np.searchsorted(cu, cu)
        keep = run < room
        cu, ci, cs = cu[keep], ci[keep], cs[keep]
        because, share = explain(model, bought, cu, ci, buyers)
        parts.append((cu, ci, cs, 1, because, share, np.full(len(cu), math.nan)))
        chosen = chosen + sp.csr_matrix((np.ones(len(cu), np.float32), (cu, ci)), shape=counts.shape)
        taken = taken + np.bincount(cu, minlength=n_users)

    popular = np.lexsort((np.arange(n_items), -buyers))
    popular = popular[buyers[popular] > 0]  # an item nobody bought (in evaluation: only held out) is no seller
    pu: list[int] = []
    pi: list[int] = []
    chosen = chosen.tocsr()
    for user in users[taken[users] < n]:
        skip = set(chosen.indices[chosen.indptr[user] : chosen.indptr[user + 1]].tolist())
        if exclude_bought:
            skip.update(bought.indices[bought.indptr[user] : bought.indptr[user + 1]].tolist())
        need = n - int(taken[user])
        for candidate in popular:
            if need == 0:
                break
            if int(candidate) not in skip:
                pu.append(int(user))
                pi.append(int(candidate))
                need -= 1
    pu_a, pi_a = np.asarray(pu, dtype=np.int64), np.asarray(pi, dtype=np.int64)
    pop_share = buyers[pi_a] / active
    parts.append((pu_a, pi_a, pop_share, 2, np.full(len(pu_a), -1.0), pop_share, np.full(len(pu_a), math.nan)))

    cols = [np.concatenate([np.asarray(p[k]) for p in parts]) for k in range(3)]
    sources = np.concatenate([np.full(len(p[0]), p[3], dtype=np.int64) for p in parts])
    extra = [np.concatenate([np.asarray(p[k], dtype=np.float64) for p in parts]) for k in (4, 5, 6)]
    # stable: within a source the rows keep their rank order
    order = np.lexsort((np.arange(len(sources)), sources, cols[0]))
    return Lists(
        users=cols[0][order].astype(np.int64),
        items=cols[1][order].astype(np.int64),
        scores=cols[2][order].astype(np.float64),
        sources=sources[order],
        because=extra[0][order],
        share=extra[1][order],
        elapsed=extra[2][order],
    )


def explain(model: Recommender, bought, users: np.ndarray, items: np.ndarray, buyers: np.ndarray):
    """For each cf pair, the customer's bought item that explains it and the share of its buyers who bought both.

    ``itemknn``: the item contributing most to the score (occasions × similarity; Deshpande & Karypis
    2004 score a candidate by exactly these terms). ``als``: the bought item whose buyers most often
    also bought the candidate (factor contributions have no shopper-readable meaning).
    """
    if not len(users):
        return np.zeros(0), np.zeros(0)
    counts = model.matrix.counts
    per_user = np.diff(counts.indptr)[users]
    pair = np.repeat(np.arange(len(users)), per_user)
    # each pair's user's row of counts (indices ascending: item id order), without a Python loop
    position = counts.indptr[users][pair] + np.arange(len(pair)) - np.repeat(np.cumsum(per_user) - per_user, per_user)
    source = counts.indices[position].astype(np.int64)
    target = items[pair]
    co = (bought.T @ bought).tocsr()
    if model.method == "itemknn":
        weight = counts.data[position] * lookup(model.similarity, source, target)
    else:
        weight = lookup(co, source, target) / np.maximum(buyers[source], 1)
    weight = np.where(source == target, -np.inf, np.round(weight, 9))
    # the best bought item of each pair; the first (lowest item id) of equal ones
    starts = np.r_[0, np.cumsum(per_user)[:-1]]
    nonempty = per_user > 0
    best_weight = np.full(len(users), -np.inf)
    best_weight[nonempty] = np.maximum.reduceat(weight, starts[nonempty])
    candidates = np.flatnonzero(weight == best_weight[pair])
    first = np.r_[True, np.diff(pair[candidates]) != 0]  # pair[candidates] is sorted
    best = candidates[first]
    chosen_pairs = pair[best]
    together = lookup(co, source[best], target[best])
    because = np.full(len(users), -1.0)
    share = np.full(len(users), math.nan)
    useful = np.isfinite(weight[best]) & (together > 0)
    # a bought item (exclude_bought=False) only its own similarity recommends: bought before
    again = ~np.isfinite(weight[best]) & (source[best] == target[best])
    because[chosen_pairs[again]] = -2
    because[chosen_pairs[useful]] = source[best][useful]
    share[chosen_pairs[useful]] = together[useful] / buyers[source[best][useful]]
    return because, share


def ranks(users: np.ndarray) -> np.ndarray:
    """1, 2, … within each run of equal ``users`` (sorted in runs)."""
    if not len(users):
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(users) != 0) + 1]
    return np.arange(len(users)) - np.repeat(starts, np.diff(np.r_[starts, len(users)])) + 1
