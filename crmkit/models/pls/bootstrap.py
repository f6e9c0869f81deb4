"""Percentile bootstrap of a PLS path model, all resamples at once.

Each resample's item correlation matrix comes from resample counts and the moments of the
standardized data (no row copies, :func:`_resample_correlations`); the stack of matrices then
runs through Lohmöller's iteration together (:mod:`crmkit.models.pls.algorithm`), and every
table reports the full-sample estimate, the bootstrap mean and standard error, ``t`` and the
percentile interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmkit.errors import UsageError
from crmkit.models.pls.algorithm import (
    _derive,
    _item_matrix,
    _iterate,
    _iterate_one_by_one,
)
from crmkit.models.pls.consistent import _consistent, _inadmissible
from crmkit.models.pls.index import _index_from_moments, _scale_pair

__all__ = ["PLSBootstrap", "bootstrap"]

# Resample chunks keep the (resamples x respondents) count matrix and the (rows x p^2)
# outer-product block near 32 MB each, whatever the sample size.
_CHUNK_ELEMENTS = 4_000_000


@dataclass
class PLSBootstrap:
    """Percentile bootstrap of a PLS path model.

    Every table has the identifying columns (``from, to`` / ``item, construct`` /
    ``construct``), then ``estimate`` (full sample), ``boot_mean``, ``std_error`` (SD over
    resamples), ``t`` (estimate / std_error), ``lower`` and ``upper`` (percentiles at
    (1 - level)/2 and (1 + level)/2).

    Attributes
    ----------
    paths, r_squared, weights, loadings, total_effects : DataFrame
    indices : DataFrame or None
        Construct indices, when a scale was given.
    htmt : DataFrame
        HTMT per construct pair (``from, to`` in specification order, one row per unordered
        pair); bootstrapped as Henseler, Ringle & Sarstedt (2015) recommend: discriminant
        validity is in doubt when the interval's upper bound reaches 0.85 / 0.90 / 1.
    indirect : DataFrame
        Total indirect effect (total - direct) per ordered pair joined by at least one route
        of two or more paths.
    specific : DataFrame
        Each specific indirect effect: ``route`` ("A -> B -> C"), ``from, to``, the product of
        the route's path coefficients (Preacher & Hayes 2008; Nitzl, Roldán & Cepeda 2016,
        "Mediation analysis in PLS path modeling", Industrial Management & Data Systems 116(9)).
        The three tables above name their interval ``ci_low, ci_high``.
    samples : dict of str to ndarray
        The resample estimates behind each table, shape (resamples kept, rows of the table).
    n_resamples : int
    n_failed : int
        Resamples left out (not converged, singular, an item constant in the resample, or
        inadmissible).
    n_inadmissible : int
        Of those, PLSc resamples left out as inadmissible: a corrected construct correlation
        beyond ±1 or a correlation matrix that is not positive semi-definite, a ρA above 1 or a
        loading beyond ±1 (the admissibility checks cSEM applies before it keeps a resample;
        Rademaker & Schuberth, cSEM documentation, ``verify()``). 0 without PLSc.
    level : float
    seed : int
    """

    paths: pd.DataFrame
    r_squared: pd.DataFrame
    weights: pd.DataFrame
    loadings: pd.DataFrame
    total_effects: pd.DataFrame
    indices: pd.DataFrame | None
    htmt: pd.DataFrame
    indirect: pd.DataFrame
    specific: pd.DataFrame
    samples: dict
    n_resamples: int
    n_failed: int
    n_inadmissible: int
    level: float
    seed: int


def bootstrap(model, X, n=1000, *, seed=0, level=0.95, scale=None) -> PLSBootstrap:
    """Fit ``model`` (a :class:`~crmkit.models.pls.PLSPathModel`) on X, then bootstrap it.

    What :meth:`PLSPathModel.bootstrap <crmkit.models.pls.PLSPathModel.bootstrap>` does;
    see there for the parameters.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise UsageError(f"n (bootstrap resamples) must be an integer >= 2, got {n!r}")
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise UsageError(f"level must be between 0 and 1, got {level!r}")
    if scale is not None:
        _scale_pair(scale)
    model.fit(X)
    design = model._design
    data = _item_matrix(X, design.items)
    mean, sd = model.item_means_.to_numpy(), model.item_sds_.to_numpy()
    Z = (data - mean) / sd
    rng = np.random.default_rng(seed)
    R, boot_mean, boot_sd = _resample_correlations(Z, n, rng)
    w0 = np.broadcast_to(model.weights_.to_numpy()[design.rows, design.item_construct], (int(n), len(design.items)))
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            w, _, converged = _iterate(R, design, w0, model.scheme, model.tol, model.max_iter)
        except np.linalg.LinAlgError:
            # A singular Mode B block in some resample: run them one by one to isolate it.
            w, converged = _iterate_one_by_one(R, design, w0, model.scheme, model.tol, model.max_iter)
        w, loadings, C, paths, r2, total = _derive(R, design, w, model._reference)
        inadmissible = np.zeros(int(n), dtype=bool)
        if model.consistent:
            # PLSc per resample (Dijkstra & Henseler 2015 bootstrap the whole procedure);
            # a resample with rho_A <= 0 gives NaN and is counted as failed, as in seminr.
            rho, loadings, Cc, paths, r2, total = _consistent(R, design, w, loadings, C)
            inadmissible = _inadmissible(rho, loadings, Cc)
    ok = (
        converged
        & np.isfinite(w).all(1)
        & np.isfinite(loadings).all(1)
        & np.isfinite(paths).all((1, 2))
        & np.isfinite(r2).all(1)
    )
    n_inadmissible = int((ok & inadmissible).sum())
    ok &= ~inadmissible

    names = design.names
    samples = {
        "paths": np.stack([paths[:, i, j] for i, j in design.path_index], axis=1),
        "r_squared": r2,
        "weights": w,
        "loadings": loadings,
    }
    effects = model.total_effects_
    position = {name: j for j, name in enumerate(names)}
    samples["total_effects"] = (
        np.stack([total[:, position[a], position[b]] for a, b in zip(effects["from"], effects["to"])], axis=1)
        if len(effects)
        else np.empty((n, 0))
    )
    point = {
        "paths": model.path_coefficients_["estimate"].to_numpy(),
        "r_squared": model.r_squared_.to_numpy(),
        "weights": model.weights_.to_numpy()[design.rows, design.item_construct],
        "loadings": model.loadings_.to_numpy()[design.rows, design.item_construct],
        "total_effects": effects["total"].to_numpy(),
    }
    item_names = list(design.items)
    owner = [names[j] for j in design.item_construct]
    labels = {
        "paths": {"from": model.path_coefficients_["from"].tolist(), "to": model.path_coefficients_["to"].tolist()},
        "r_squared": {"construct": list(model.r_squared_.index)},
        "weights": {"item": item_names, "construct": owner},
        "loadings": {"item": item_names, "construct": owner},
        "total_effects": {"from": effects["from"].tolist(), "to": effects["to"].tolist()},
    }
    pairs = [(a, b) for a in range(len(names)) for b in range(a + 1, len(names))]
    htmt_point = model.htmt().to_numpy()
    samples["htmt"] = _htmt_stack(R, design.blocks, pairs)
    point["htmt"] = np.array([htmt_point[a, b] for a, b in pairs])
    labels["htmt"] = {"from": [names[a] for a, _ in pairs], "to": [names[b] for _, b in pairs]}
    indirect_pairs = _indirect_pairs(design.adjacency)
    samples["indirect"] = _pick(total - paths, indirect_pairs, n)
    point["indirect"] = _pick((model._total_matrix - model._paths_matrix)[None], indirect_pairs, 1)[0]
    labels["indirect"] = {"from": [names[a] for a, _ in indirect_pairs], "to": [names[b] for _, b in indirect_pairs]}
    routes = _routes(design.adjacency)
    samples["specific"] = _route_products(paths, routes)
    point["specific"] = _route_products(model._paths_matrix[None], routes)[0]
    labels["specific"] = {
        "route": [" -> ".join(names[k] for k in route) for route in routes],
        "from": [names[route[0]] for route in routes],
        "to": [names[route[-1]] for route in routes],
    }
    if scale is not None:
        lo, hi = _scale_pair(scale)
        raw_mean = mean + sd * boot_mean
        raw_sd = sd * boot_sd
        with np.errstate(invalid="ignore", divide="ignore"):
            samples["indices"] = _index_from_moments(w, raw_sd, raw_mean, design, lo, hi)
        point["indices"] = model.index(X, scale=scale).constructs.to_numpy()
        labels["indices"] = {"construct": names}
    tables = {}
    kept = {key: value[ok] for key, value in samples.items()}
    for key, draws in kept.items():
        tables[key] = _interval_table(labels[key], point[key], draws, level)
    for key in ("htmt", "indirect", "specific"):
        tables[key] = tables[key].rename(columns={"lower": "ci_low", "upper": "ci_high"})
    return PLSBootstrap(
        paths=tables["paths"],
        r_squared=tables["r_squared"],
        weights=tables["weights"],
        loadings=tables["loadings"],
        total_effects=tables["total_effects"],
        indices=tables.get("indices"),
        htmt=tables["htmt"],
        indirect=tables["indirect"],
        specific=tables["specific"],
        samples=kept,
        n_resamples=int(n),
        n_failed=int((~ok).sum()),
        n_inadmissible=n_inadmissible,
        level=float(level),
        seed=seed,
    )


def _htmt_stack(R, blocks, pairs):
    """HTMT of each construct pair for a stack of item correlations (B, p, p) -> (B, pairs).

    Same definition as :meth:`PLSPathModel.htmt`: absolute correlations, a single-item
    construct's monotrait mean taken as 1.
    """
    A = np.abs(R)
    mono = []
    for block in blocks:
        k = block.size
        if k == 1:
            mono.append(np.ones(R.shape[0]))
        else:
            mono.append((A[:, block[:, None], block].sum((1, 2)) - k) / (k * (k - 1)))
    out = np.empty((R.shape[0], len(pairs)))
    for c, (a, b) in enumerate(pairs):
        hetero = A[:, blocks[a][:, None], blocks[b]].mean((1, 2))
        out[:, c] = hetero / np.sqrt(mono[a] * mono[b])
    return out


def _routes(adjacency):
    """Every directed route of two or more paths, as construct index tuples, in a fixed order
    (by start, then depth-first following the specification's construct order)."""
    J = adjacency.shape[0]
    found = []

    def walk(route):
        for nxt in np.flatnonzero(adjacency[route[-1]]):
            longer = (*route, int(nxt))
            if len(longer) >= 3:
                found.append(longer)
            walk(longer)

    for start in range(J):
        walk((start,))
    return sorted(found, key=lambda r: (r[0], r[-1], len(r), r))


def _indirect_pairs(adjacency):
    """Ordered pairs joined by at least one route of two or more paths."""
    routes = _routes(adjacency)
    return sorted({(r[0], r[-1]) for r in routes})


def _route_products(paths, routes):
    """Specific indirect effects: the product of the path coefficients along each route."""
    out = np.ones((paths.shape[0], len(routes)))
    for c, route in enumerate(routes):
        for a, b in zip(route[:-1], route[1:]):
            out[:, c] *= paths[:, a, b]
    return out


def _pick(matrices, pairs, n):
    """Entries ``pairs`` of a stack of J x J matrices, shape (B, len(pairs))."""
    if not pairs:
        return np.empty((n, 0))
    rows, cols = zip(*pairs)
    return matrices[:, list(rows), list(cols)]


def _resample_correlations(Z, n_boot, rng):
    """Item correlation matrices of ``n_boot`` row resamples, without copying rows.

    With resample counts c_b (how often each respondent is drawn), the resample moments are
    m_b = c_b'Z / n and M_b = Z' diag(c_b) Z / n = c_b' O / n, where row r of O holds the
    flattened outer product z_r z_r'. One matrix product of counts and O gives every M_b at
    once (measured on mobi, 1,000 resamples: 24 ms, against 42 ms for gathering Z[idx] and
    calling np.corrcoef per resample; same result to 1e-14). Counts and O are built in
    chunks so memory stays bounded for large samples.

    Returns ``(R, mean, sd)``: correlations (B, p, p) and the resample means and SDs (B, p)
    of the standardized items (sd with ddof = 1). A constant item in a resample gives NaN.
    """
    n, p = Z.shape
    res_chunk = max(1, _CHUNK_ELEMENTS // n)
    row_chunk = max(1, _CHUNK_ELEMENTS // (p * p))
    R = np.empty((n_boot, p, p))
    means = np.empty((n_boot, p))
    sds = np.empty((n_boot, p))
    for start in range(0, n_boot, res_chunk):
        size = min(res_chunk, n_boot - start)
        draws = rng.integers(0, n, size=(size, n))
        offsets = (draws + (np.arange(size) * n)[:, None]).ravel()
        counts = np.bincount(offsets, minlength=size * n).reshape(size, n).astype(float)
        m = counts @ Z / n
        M = np.zeros((size, p * p))
        for r0 in range(0, n, row_chunk):
            rows = Z[r0 : r0 + row_chunk]
            M += counts[:, r0 : r0 + row_chunk] @ (rows[:, :, None] * rows[:, None, :]).reshape(len(rows), p * p)
        cov = (M.reshape(size, p, p) / n - m[:, :, None] * m[:, None, :]) * (n / (n - 1))
        corr, sd = correlations(cov)
        R[start : start + size], means[start : start + size], sds[start : start + size] = corr, m, sd
    return R, means, sds


def correlations(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Correlation matrices and standard deviations of a stack of covariance matrices (b, p, p).

    A matrix with a constant item (a resample or permutation group in which everyone gave the
    same answer) is all NaN rather than divided by 0: the caller counts it as failed.
    """
    p = cov.shape[-1]
    sd = np.sqrt(np.clip(np.einsum("bii->bi", cov), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / (sd[:, :, None] * sd[:, None, :])
    degenerate = (sd <= 1e-12).any(axis=1)
    corr[degenerate] = np.nan
    idx = np.arange(p)
    corr[:, idx, idx] = np.where(degenerate[:, None], np.nan, 1.0)
    return corr, sd


def _interval_table(labels: dict, point, draws, level):
    alpha = (1 - level) / 2
    frame = pd.DataFrame(labels)
    frame["estimate"] = point
    if draws.shape[0] == 0:
        for column in ("boot_mean", "std_error", "t", "lower", "upper"):
            frame[column] = np.nan
        return frame
    se = draws.std(axis=0, ddof=1) if draws.shape[0] > 1 else np.full(draws.shape[1], np.nan)
    frame["boot_mean"] = draws.mean(axis=0)
    frame["std_error"] = se
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["t"] = np.where(se > 0, point / se, np.nan)
    frame["lower"] = np.quantile(draws, alpha, axis=0)
    frame["upper"] = np.quantile(draws, 1 - alpha, axis=0)
    return frame
