"""The numeric core of PLS path modeling: Lohmöller's iteration on correlation matrices.

Every function works on a stack of item correlation matrices, shape ``(B, p, p)`` (one for a
fit, one per resample for the bootstrap): the design (index arrays of a specification), the
standardized item matrix the correlations come from, the inner weighting schemes, the
iteration itself, and what follows from converged weights (signs, loadings, paths, R², total
effects). Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005), "PLS path modeling",
Computational Statistics & Data Analysis 48, 159-205; Lohmöller (1989).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmkit.errors import ColumnError, DataError, UsageError
from crmkit.models.pls.specification import PLSSpecification

SCHEMES = ("path", "centroid", "factorial")


class _Design:
    """Index arrays of a specification: what the numeric core needs, nothing else."""

    def __init__(self, spec: PLSSpecification):
        self.spec = spec
        self.names = list(spec.constructs)
        self.items = spec.items
        position = {name: j for j, name in enumerate(self.names)}
        self.item_construct = np.array([position[name] for name, items in spec.constructs.items() for _ in items])
        p, J = len(self.items), len(self.names)
        self.rows = np.arange(p)
        self.membership = np.zeros((p, J))
        self.membership[self.rows, self.item_construct] = 1.0
        self.blocks = [np.flatnonzero(self.item_construct == j) for j in range(J)]
        self.adjacency = np.zeros((J, J))
        for frm, to in spec.paths:
            self.adjacency[position[frm], position[to]] = 1.0
        self.neighbours = self.adjacency + self.adjacency.T
        self.endogenous = [position[name] for name in spec.endogenous]
        self.predecessors = {
            j: np.array([position[n] for n in spec.predecessors(self.names[j])]) for j in self.endogenous
        }
        self.path_index = [(position[frm], position[to]) for frm, to in spec.paths]
        self.mode_b = [j for j, name in enumerate(self.names) if spec.modes[name] == "B"]


# --------------------------------------------------------------------------------------
# Data: the standardized item matrix the correlations come from
# --------------------------------------------------------------------------------------


def _item_matrix(X, items: list[str]) -> np.ndarray:
    """The item columns of X as a float (n, p) array, or a ColumnError / DataError naming the column."""
    if not isinstance(X, pd.DataFrame):
        raise UsageError(f"X must be a pandas DataFrame of item columns, got {type(X).__name__}")
    columns = []
    for item in items:
        values = _item_answers(X, item, "treat missing answers before estimating")
        if not np.isfinite(values).all():
            raise DataError("infinite value(s)", column=item)
        columns.append(values)
    data = np.column_stack(columns) if columns else np.empty((len(X), 0))
    if data.shape[0] < 3:
        raise DataError(f"{data.shape[0]} respondent(s): PLS needs at least 3")
    return data


def _item_answers(X, item: str, missing_hint: str) -> np.ndarray:
    """One item column of X as floats, or a ColumnError / DataError naming it (absent, not
    numbers, missing answers; ``missing_hint`` says what to do about the last)."""
    if item not in X.columns:
        raise ColumnError("item column not found in the data", column=item)
    column = X[item]
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        raise DataError("item answers must be numbers", column=item)
    values = column.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(values).any():
        raise DataError(f"{int(np.isnan(values).sum())} missing value(s)", column=item, hint=missing_hint)
    return values


def _standardize(data: np.ndarray, items: list[str]):
    """Item means, sample SDs (ddof = 1) and the standardized items; DataError for a constant item."""
    mean = data.mean(axis=0)
    sd = data.std(axis=0, ddof=1)
    for item, s, m in zip(items, sd, mean):
        if not s > 1e-12 * max(1.0, abs(m)):
            raise DataError(
                "the item has zero variance (every answer is the same)",
                column=item,
                hint="drop the item or the construct",
            )
    return mean, sd, (data - mean) / sd


# --------------------------------------------------------------------------------------
# Numeric core: stacks of correlation matrices, shape (B, p, p)
# --------------------------------------------------------------------------------------


def _normalize(R, design: _Design, w):
    """Scale each construct's weights so that its score has unit variance: w_j' R_jj w_j = 1."""
    W = w[:, :, None] * design.membership
    variance = np.einsum("bpj,bpj->bj", W, R @ W)
    with np.errstate(invalid="ignore", divide="ignore"):
        return w / np.sqrt(variance[:, design.item_construct])


def _inner_weights(C, design: _Design, scheme: str):
    """Inner weights e_ij (weight of construct i in the inner proxy of construct j).

    Tenenhaus et al. (2005), inner estimation: centroid e_ij = sign(cor(Y_i, Y_j)); factorial
    e_ij = cor(Y_i, Y_j); path weighting e_ij = cor(Y_i, Y_j) when Y_i is a successor of Y_j
    and the multiple-regression coefficient of Y_i when Y_j is regressed on its predecessors.
    Constructs not adjacent to j get 0.
    """
    if scheme == "centroid":
        return np.sign(C) * design.neighbours
    if scheme == "factorial":
        return C * design.neighbours
    E = C * design.adjacency.T
    for j, preds in design.predecessors.items():
        E[:, preds, j] = np.linalg.solve(C[:, preds[:, None], preds], C[:, preds, j][..., None])[..., 0]
    return E


def _mode_b_inverses(R, design: _Design):
    """Inverse item correlation matrix of each Mode B block (constant across iterations)."""
    return {j: np.linalg.inv(R[:, design.blocks[j][:, None], design.blocks[j]]) for j in design.mode_b}


def _iterate(R, design: _Design, w0, scheme: str, tol: float, max_iter: int):
    """Lohmöller's PLS iterations on a stack of correlation matrices.

    Each step: construct correlations C = W'RW (weights give unit-variance scores); inner
    weights E from C; the covariance of every item with every inner proxy, G = R W E; Mode A
    outer weights are the covariances of the block's items with its proxy, Mode B weights the
    coefficients of the regression of the proxy on the block, R_jj^-1 G_j (Tenenhaus et al.
    2005, outer estimation); then rescale to unit-variance scores. All blocks are updated at once
    (Lohmöller), not one after the other (Wold). A resample stops when the largest change
    of an outer weight falls below ``tol``; converged resamples leave the batch, so later
    iterations only work on the ones still moving.

    Returns ``(w, n_iter, converged)``; weights of a failed resample are NaN.
    """
    B = R.shape[0]
    inverses = _mode_b_inverses(R, design) if design.mode_b else {}
    w = _normalize(R, design, np.array(w0, dtype=float, copy=True))
    n_iter = np.full(B, max_iter)
    converged = np.zeros(B, dtype=bool)
    active = np.flatnonzero(np.isfinite(w).all(axis=1))
    w[~np.isfinite(w).all(axis=1)] = np.nan
    for step in range(1, max_iter + 1):
        if active.size == 0:
            break
        Ra, wa = R[active], w[active]
        W = wa[:, :, None] * design.membership
        RW = Ra @ W
        C = np.swapaxes(W, 1, 2) @ RW
        try:
            E = _inner_weights(C, design, scheme)
        except np.linalg.LinAlgError:
            E = _inner_weights_one_by_one(C, design, scheme)
        G = RW @ E
        g = G[:, design.rows, design.item_construct]
        for j, inverse in inverses.items():
            block = design.blocks[j]
            g[:, block] = np.einsum("bkl,bl->bk", inverse[active], g[:, block])
        w_new = _normalize(Ra, design, g)
        with np.errstate(invalid="ignore"):
            change = np.abs(w_new - wa).max(axis=1)
        w[active] = w_new
        failed = ~np.isfinite(change)
        done = change < tol
        converged[active[done]] = True
        n_iter[active[done | failed]] = step
        w[active[failed]] = np.nan
        active = active[~(done | failed)]
    return w, n_iter, converged


def _inner_weights_one_by_one(C, design: _Design, scheme: str):
    """Fallback when one resample's construct correlations are singular: NaN for that one only."""
    E = np.full_like(C, np.nan)
    for b in range(C.shape[0]):
        try:
            E[b : b + 1] = _inner_weights(C[b : b + 1], design, scheme)
        except np.linalg.LinAlgError:
            pass
    return E


def _iterate_one_by_one(R, design: _Design, w0, scheme: str, tol: float, max_iter: int):
    """Fallback when a singular Mode B block stops the batch: iterate each resample alone,
    so only the singular ones fail (NaN weights, not converged)."""
    w = np.full(w0.shape, np.nan)
    converged = np.zeros(R.shape[0], dtype=bool)
    for b in range(R.shape[0]):
        try:
            wb, _, cb = _iterate(R[b : b + 1], design, w0[b : b + 1], scheme, tol, max_iter)
        except np.linalg.LinAlgError:
            continue
        w[b], converged[b] = wb[0], cb[0]
    return w, converged


def _solve_batch(A, b):
    """Batched ``solve``; a singular system gives NaN for that member only."""
    try:
        return np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        for i in range(A.shape[0]):
            try:
                out[i] = np.linalg.solve(A[i], b[i])
            except np.linalg.LinAlgError:
                pass
        return out


def _derive(R, design: _Design, w, reference):
    """Everything that follows from converged weights: signs, loadings, paths, R², effects.

    ``reference[j]`` is the item index that must load positively on construct j (the
    dominant-indicator sign convention). Path coefficients are the OLS coefficients of each
    endogenous construct on its predecessors, from the construct correlation matrix
    (Tenenhaus et al. 2005); total effects are B + B² + ... (B nilpotent because
    the inner model is recursive).
    """
    J = len(design.names)
    W = w[:, :, None] * design.membership
    loadings = (R @ W)[:, design.rows, design.item_construct]
    sign = np.where(loadings[:, reference] < 0, -1.0, 1.0)
    w = w * sign[:, design.item_construct]
    loadings = loadings * sign[:, design.item_construct]
    W = w[:, :, None] * design.membership
    C = np.swapaxes(W, 1, 2) @ R @ W
    paths = np.zeros((R.shape[0], J, J))
    r2 = np.zeros((R.shape[0], len(design.endogenous)))
    for k, j in enumerate(design.endogenous):
        preds = design.predecessors[j]
        beta = _solve_batch(C[:, preds[:, None], preds], C[:, preds, j])
        paths[:, preds, j] = beta
        r2[:, k] = np.einsum("bk,bk->b", beta, C[:, preds, j])
    return w, loadings, C, paths, r2, _route_sum(paths)


def _route_sum(B):
    """B + B² + ... + B^(J-1) for J x J matrices B (batched or not): for the path coefficients
    the total effects, for the adjacency matrix the number of directed routes. Higher powers
    vanish, B being nilpotent for a recursive inner model."""
    total = B.copy()
    power = B
    for _ in range(B.shape[-1] - 2):
        power = power @ B
        total += power
    return total


def _effects_table(names, adjacency, paths, total):
    """One row per ordered pair joined by a directed route in the inner model.

    Which pairs appear follows from the specification (powers of the adjacency matrix), not
    from the estimates, so a total effect that happens to cancel to 0 is still listed.
    """
    J = len(names)
    reach = _route_sum(adjacency)
    rows = [
        (names[i], names[j], float(paths[i, j]), float(total[i, j] - paths[i, j]), float(total[i, j]))
        for i in range(J)
        for j in range(J)
        if reach[i, j] > 0
    ]
    return pd.DataFrame(rows, columns=["from", "to", "direct", "indirect", "total"])
