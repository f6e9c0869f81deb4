"""Multi-group PLS: permutation tests of path differences and MICOM steps 1-2.

Both tests compare groups of respondents (stores, regions, channels) under one model
specification, pair by pair. Each permutation reassigns the group labels of the pooled
respondents of a pair at random (group sizes kept) and re-estimates the model in both groups;
like the bootstrap (:mod:`crmkit.models.pls.bootstrap`) this needs only each group's item
correlation matrix, which comes from the membership indicators and the outer products of the
pooled standardized items in one matrix product, and all permutations run through Lohmöller's
iteration together.

* Path differences: Chin & Dibbern (2010), "An introduction to a permutation based procedure
  for multi-group PLS analysis", in Esposito Vinzi et al. (eds.), Handbook of Partial Least
  Squares, 171-193. The p-value of a path is the share of permutations whose absolute
  difference is at least the observed one, (1 + #{|d*| >= |d|}) / (1 + N) (Phipson & Smyth
  2010, so that p is never 0). seminr's ``estimate_pls_mga`` is a different test: Henseler,
  Ringle & Sinkovics' (2009) bootstrap PLS-MGA, which bootstraps each group apart and compares
  the bias-corrected bootstrap distributions of the two groups (one pair, a logical condition);
  the permutation test here needs no distributional assumption, tests every pair of groups, and
  its null hypothesis is that the groups are exchangeable.
* MICOM (Henseler, Ringle & Sarstedt 2016, "Testing measurement invariance of composites
  using partial least squares", International Marketing Review 33(3), 405-431). Step 1,
  configural invariance, holds by construction here: every group is estimated with the same
  indicators, the same modes, the same data treatment and the same algorithm settings (what
  :data:`CONFIGURAL_CHECKS` states). Step 2, compositional invariance: c = cor(X w_a, X w_b),
  the correlation of each construct's scores computed on the pooled standardized data X with
  the outer weights estimated in group a and in group b; compositional invariance is not
  rejected when c is not below the 5% quantile of its permutation distribution;
  p = (1 + #{c* <= c}) / (1 + N). X is standardized on the pooled data, as Henseler et al.
  define it; openpls-engine (1.13.0) evaluates c on the pooled covariance of the raw items
  instead, which weighs the items by their pooled SDs (on mobi split at CUEX1 < 8 the two
  differ by at most 0.0022). A single-item construct has c = 1 in every permutation.

Signs: every group and every permutation is turned so that the item dominant in the pooled
fit of the pair loads positively, so a path does not differ between groups merely because a
construct came out mirrored in one of them.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from crmkit.errors import DataError, UsageError
from crmkit.models.pls.algorithm import _derive, _Design, _item_matrix, _iterate, _iterate_one_by_one
from crmkit.models.pls.bootstrap import correlations
from crmkit.models.pls.estimator import _check_settings
from crmkit.models.pls.specification import check_specification

__all__ = ["CONFIGURAL_CHECKS", "MIN_GROUP_SIZE", "group_comparison", "micom", "permutation_mga"]

#: The fewest respondents a group may have to be compared.
MIN_GROUP_SIZE = 10

#: What MICOM step 1 (configural invariance) checks, and why it holds here.
CONFIGURAL_CHECKS = (
    "same indicators, same measurement modes, same treatment of the data and same algorithm settings in every group"
)

# Permutation chunks keep the (permutations x respondents) membership matrix near 32 MB.
_CHUNK_ELEMENTS = 4_000_000

MGA_COLUMNS = ["group_a", "group_b", "from", "to", "estimate_a", "estimate_b", "difference", "p_value"]
MICOM_COLUMNS = [
    "group_a",
    "group_b",
    "construct",
    "configural",
    "c",
    "c_quantile_05",
    "p_value",
    "compositional",
]


def permutation_mga(
    constructs, paths, X, groups, *, modes=None, scheme="path", consistent=False, n=1000, seed=0
) -> pd.DataFrame:
    """Permutation test of path-coefficient differences between every pair of groups.

    Chin & Dibbern (2010); see the module notes.

    Parameters
    ----------
    constructs, paths, modes, scheme
        The model, as for :class:`~crmkit.models.pls.PLSPathModel`.
    X : DataFrame
        Item columns, one row per respondent (numbers, no missing answers).
    groups : array-like
        The group of each row of X (at least two groups of :data:`MIN_GROUP_SIZE` or more).
    consistent : bool
        Compare PLSc path coefficients (Dijkstra & Henseler 2015) instead of PLS ones.
    n : int
        Permutations per pair of groups.
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives the same p-values.

    Returns
    -------
    DataFrame
        ``group_a, group_b, from, to, estimate_a, estimate_b, difference, p_value``, one row per
        pair of groups (in sorted order) and path; difference = estimate_a - estimate_b.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(["a", "b"], 100)
    >>> x = rng.normal(size=200)
    >>> y = np.where(g == "a", 0.8, 0.0) * x + rng.normal(size=200)
    >>> X = pd.DataFrame({"x1": x + rng.normal(scale=.5, size=200), "x2": x + rng.normal(scale=.5, size=200),
    ...                   "y1": y + rng.normal(scale=.5, size=200), "y2": y + rng.normal(scale=.5, size=200)})
    >>> table = permutation_mga({"X": ["x1", "x2"], "Y": ["y1", "y2"]}, [("X", "Y")], X, g, n=199)
    >>> table[["difference", "p_value"]].round(3).to_numpy().tolist()
    [[0.384, 0.005]]
    """
    return group_comparison(
        constructs, paths, X, groups, modes=modes, scheme=scheme, consistent=consistent, n=n, seed=seed
    )[0]


def micom(constructs, paths, X, groups, *, modes=None, scheme="path", n=1000, seed=0) -> pd.DataFrame:
    """MICOM steps 1 and 2 (Henseler, Ringle & Sarstedt 2016) for every pair of groups.

    Parameters are those of :func:`permutation_mga`.

    Returns
    -------
    DataFrame
        ``group_a, group_b, construct, configural, c, c_quantile_05, p_value, compositional``:
        step 1 (``configural``, True: see :data:`CONFIGURAL_CHECKS`); step 2, the correlation ``c``
        of the pooled-data scores under the two groups' weights, the 5% quantile of its
        permutation distribution, the permutation p-value and ``compositional`` (True when c is
        not below the quantile: compositional invariance is not rejected at 5%).
    """
    return group_comparison(constructs, paths, X, groups, modes=modes, scheme=scheme, n=n, seed=seed)[1]


def group_comparison(
    constructs, paths, X, groups, *, modes=None, scheme="path", consistent=False, n=1000, seed=0, tol=1e-7, max_iter=300
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tests from one set of permutations: ``(permutation_mga table, micom table)``.

    The permutations of a pair serve both tables (MICOM's weights are those of the same
    re-estimations whose paths the MGA compares), so this costs what one of them costs.
    ``consistent`` changes the paths only: MICOM compares outer weights, which PLSc keeps.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise UsageError(f"n (permutations) must be a whole number >= 1, got {n!r}")
    spec = check_specification(constructs, paths, modes)
    _check_settings(scheme, tol, max_iter)
    design = _Design(spec)
    data = _item_matrix(X, design.items)
    labels = np.asarray(groups, dtype=object)
    if labels.shape != (len(data),):
        raise UsageError(f"groups must give one group per row of X ({len(data)}), got shape {labels.shape}")
    names, counts = np.unique(labels.astype(str), return_counts=True)
    if len(names) < 2:
        raise DataError("multi-group analysis needs at least two groups; the data has one")
    small = [f"{g} ({c})" for g, c in zip(names, counts) if c < MIN_GROUP_SIZE]
    if small:
        raise DataError(
            f"group(s) with fewer than {MIN_GROUP_SIZE} respondents: {', '.join(small)}",
            hint="merge or leave out the small groups",
        )
    rng = np.random.default_rng(seed)
    text = labels.astype(str)
    mga_rows, micom_rows = [], []
    for a, b in combinations(names.tolist(), 2):
        rows = np.flatnonzero((text == a) | (text == b))
        in_a = text[rows] == a
        fits = _pair_fits(design, data[rows], in_a, n, rng, scheme, tol, max_iter, consistent)
        paths_a, paths_b, ok = fits["paths_a"], fits["paths_b"], fits["ok"]
        difference = paths_a - paths_b
        observed = difference[0]
        null = np.abs(difference[1:][ok[1:]])
        kept = int(null.shape[0])
        for k, (i, j) in enumerate(design.path_index):
            exceed = int((null[:, k] >= abs(observed[k]) - 1e-12).sum())
            mga_rows.append(
                (
                    a,
                    b,
                    design.names[i],
                    design.names[j],
                    float(paths_a[0, k]),
                    float(paths_b[0, k]),
                    float(observed[k]),
                    (1 + exceed) / (1 + kept),
                )
            )
        c = fits["c"]
        null_c = c[1:][ok[1:]]
        for j, construct in enumerate(design.names):
            quantile = float(np.quantile(null_c[:, j], 0.05)) if kept else float("nan")
            below = int((null_c[:, j] <= c[0, j] + 1e-12).sum())
            micom_rows.append(
                (a, b, construct, True, float(c[0, j]), quantile, (1 + below) / (1 + kept), bool(c[0, j] >= quantile))
            )
    return pd.DataFrame(mga_rows, columns=MGA_COLUMNS), pd.DataFrame(micom_rows, columns=MICOM_COLUMNS)


def _pair_fits(design: _Design, data, in_a, n_perm, rng, scheme, tol, max_iter, consistent):
    """Estimates in both groups of a pair: row 0 the observed split, rows 1..n permutations.

    Returns paths of each group (n + 1, paths), the MICOM correlation c (n + 1, constructs) and
    ``ok`` (both groups converged, finite estimates).
    """
    mean, sd = data.mean(axis=0), data.std(axis=0, ddof=1)
    if not (sd > 1e-12 * np.maximum(1.0, np.abs(mean))).all():
        item = design.items[int(np.argmin(sd))]
        raise DataError("the item has zero variance in the groups compared", column=item)
    Z = (data - mean) / sd
    n, p = Z.shape
    R_pool = (Z.T @ Z) / (n - 1)
    np.fill_diagonal(R_pool, 1.0)
    reference = _pooled_reference(R_pool, design, scheme, tol, max_iter)
    members = np.empty((n_perm + 1, n), dtype=bool)
    members[0] = in_a
    members[1:] = rng.permuted(np.broadcast_to(in_a, (n_perm, n)), axis=1)
    R_a, R_b = _group_correlations(Z, members)
    R = np.concatenate([R_a, R_b])
    w0 = np.ones((R.shape[0], p))
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            w, _, converged = _iterate(R, design, w0, scheme, tol, max_iter)
        except np.linalg.LinAlgError:
            w, converged = _iterate_one_by_one(R, design, w0, scheme, tol, max_iter)
        w, _, C, paths, r2, _ = _derive(R, design, w, reference)
        if consistent:
            paths = _consistent_paths(R, design, w, C)
        path_values = np.stack([paths[:, i, j] for i, j in design.path_index], axis=1)
        ok = converged & np.isfinite(w).all(1) & np.isfinite(path_values).all(1)
        m = n_perm + 1
        c = _composite_correlation(R_pool, design, w[:m], w[m:])
    ok = ok[:m] & ok[m:] & np.isfinite(c).all(1)
    return {"paths_a": path_values[:m], "paths_b": path_values[m:], "c": c, "ok": ok}


def _pooled_reference(R, design: _Design, scheme, tol, max_iter):
    """The dominant item of each construct in the pooled fit: the sign reference of every group."""
    w, _, _ = _iterate(R[None], design, np.ones((1, len(design.items))), scheme, tol, max_iter)
    if not np.isfinite(w).all():
        w = np.ones((1, len(design.items)))
    loadings = (R @ (w[0][:, None] * design.membership))[design.rows, design.item_construct]
    return np.array([block[np.argmax(np.abs(loadings[block]))] for block in design.blocks])


def _group_correlations(Z, members):
    """Item correlation matrices of the rows in each membership row and of the rest.

    Sums and cross-products of a subset are membership @ Z and membership @ O (row r of O the
    flattened outer product z_r z_r'); those of the complement are the totals minus them, so
    both groups of every permutation cost one matrix product (as in the bootstrap). O is built
    in row chunks, so memory stays bounded for large samples.
    """
    m, n = members.shape
    p = Z.shape[1]
    total1, total2 = Z.sum(axis=0), (Z.T @ Z).ravel()
    out_a, out_b = np.empty((m, p, p)), np.empty((m, p, p))
    chunk = max(1, _CHUNK_ELEMENTS // n)
    row_chunk = max(1, _CHUNK_ELEMENTS // (p * p))
    for start in range(0, m, chunk):
        M = members[start : start + chunk].astype(float)
        size = M.sum(axis=1)
        s1, s2 = M @ Z, np.zeros((len(M), p * p))
        for r0 in range(0, n, row_chunk):
            rows = Z[r0 : r0 + row_chunk]
            s2 += M[:, r0 : r0 + row_chunk] @ (rows[:, :, None] * rows[:, None, :]).reshape(len(rows), p * p)
        for out, k, first, second in ((out_a, size, s1, s2), (out_b, n - size, total1 - s1, total2 - s2)):
            mean = first / k[:, None]
            cov = (second.reshape(-1, p, p) - k[:, None, None] * mean[:, :, None] * mean[:, None, :]) / (
                k[:, None, None] - 1
            )
            out[start : start + chunk] = correlations(cov)[0]
    return out_a, out_b


def _composite_correlation(R, design: _Design, w_a, w_b):
    """MICOM's c per construct: cor(X w_a, X w_b) = w_a' R_jj w_b / sqrt(w_a' R_jj w_a · w_b' R_jj w_b)."""
    Wa = w_a[:, :, None] * design.membership
    Wb = w_b[:, :, None] * design.membership
    RWb, RWa = R @ Wb, R @ Wa
    cross = np.einsum("bpj,bpj->bj", Wa, RWb)
    var_a = np.einsum("bpj,bpj->bj", Wa, RWa)
    var_b = np.einsum("bpj,bpj->bj", Wb, RWb)
    return cross / np.sqrt(var_a * var_b)


def _consistent_paths(R, design: _Design, w, C):
    """PLSc path coefficients of a stack of fits (Dijkstra & Henseler 2015, MIS Quarterly 39(2)).

    rho_A = (w'w)² · w'(R_jj − diag R_jj)w / w'(ww' − diag ww')w per Mode A block of two or
    more items (1 for Mode B and single items); construct correlations disattenuated,
    C_ij / sqrt(rho_i rho_j); then OLS of each endogenous construct on its predecessors.
    """
    B, J = R.shape[0], len(design.names)
    rho = np.ones((B, J))
    for j, block in enumerate(design.blocks):
        if block.size < 2 or j in design.mode_b:
            continue
        wj = w[:, block]
        Rjj = R[:, block[:, None], block]
        off = Rjj - np.einsum("bii->bi", Rjj)[:, :, None] * np.eye(block.size)
        ww = wj[:, :, None] * wj[:, None, :]
        ww_off = ww - np.einsum("bii->bi", ww)[:, :, None] * np.eye(block.size)
        rho[:, j] = (
            (wj**2).sum(1) ** 2 * np.einsum("bk,bkl,bl->b", wj, off, wj) / np.einsum("bk,bkl,bl->b", wj, ww_off, wj)
        )
    scale = np.sqrt(rho[:, :, None] * rho[:, None, :])
    Cc = C / scale
    idx = np.arange(J)
    Cc[:, idx, idx] = 1.0
    paths = np.zeros((B, J, J))
    for j in design.endogenous:
        preds = design.predecessors[j]
        A = Cc[:, preds[:, None], preds]
        rhs = Cc[:, preds, j]
        try:
            paths[:, preds, j] = np.linalg.solve(A, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:
            paths[:, preds, j] = np.nan
    return paths
