"""Consistent PLS (PLSc): correct the PLS composites for measurement error.

Dijkstra & Henseler (2015), "Consistent partial least squares path modeling", MIS Quarterly
39(2), 297-316. Mode A composites estimate common factors with error; PLSc takes the converged
PLS weights w (scaled to unit-variance scores) and, per Mode A construct,

* the reliability rho_A = (w'w)² · w'(S - diag S)w / w'(ww' - diag ww')w (their eq. 11,
  S the block's item correlation matrix),
* the factor correlations r_ij / sqrt(rho_A,i rho_A,j) (eq. 12 ff.),
* the path coefficients and R² by OLS on those corrected correlations, and
* the consistent loadings w · sqrt(rho_A) / (w'w) (eq. 9 ff.).

Like :mod:`crmkit.models.pls.algorithm`, everything works on stacks ``(B, ...)`` so the
bootstrap corrects all its resamples at once.

What is matched (seminr 2.x ``PLSc``, ``R/feature_consistent.R``): every Mode A construct is
treated as a common factor (seminr's ``reflective()``); Mode B and single-item constructs keep
rho_A = 1 (no correction, loadings unchanged: a single item's loading stays 1); the weights,
scores and inner weighting scheme are those of the ordinary PLS fit; R² = 1 - 1/(C⁻¹)_jj on the
corrected correlations (equal to beta'r). On mobi with seminr's four-construct test model this
reproduces ``tests/fixtures/V_3_6_0/{rho1,path_coef1,loadings1,rsquaredplsc}.csv`` to 1e-9.
"""

from __future__ import annotations

import numpy as np

from crmkit.models.pls.algorithm import _Design, _route_sum, _solve_batch

__all__: list[str] = []


def _rho_a(R, design: _Design, w):
    """rho_A per construct for a stack ``R`` (B, p, p) and weights ``w`` (B, p); (B, J).

    Mode B and single-item constructs get 1 (seminr's convention: they are not corrected).
    """
    B, J = R.shape[0], len(design.names)
    rho = np.ones((B, J))
    mode_b = set(design.mode_b)
    for j, block in enumerate(design.blocks):
        if block.size < 2 or j in mode_b:
            continue
        wj = w[:, block]
        S = R[:, block[:, None], block].copy()
        S[:, np.arange(block.size), np.arange(block.size)] = 0.0
        ww = np.einsum("bi,bi->b", wj, wj)
        numerator = np.einsum("bi,bik,bk->b", wj, S, wj)
        # w'(ww' - diag ww')w = (w'w)² - Σ w⁴
        denominator = ww**2 - np.einsum("bi->b", wj**4)
        with np.errstate(invalid="ignore", divide="ignore"):
            rho[:, j] = ww**2 * numerator / denominator
    return rho


def _consistent(R, design: _Design, w, loadings, C):
    """PLSc quantities from converged (sign-fixed) weights: see the module docstring.

    Returns ``(rho, loadings, C_corrected, paths, r2, total)``, shapes (B, J), (B, p),
    (B, J, J), (B, J, J), (B, n_endogenous), (B, J, J). A negative rho_A (possible in a
    resample with a weak block) gives NaN, which the bootstrap counts as a failed resample.
    """
    rho = _rho_a(R, design, w)
    with np.errstate(invalid="ignore"):
        root = np.sqrt(np.where(rho > 0, rho, np.nan))
    Cc = C / (root[:, :, None] * root[:, None, :])
    J = len(design.names)
    Cc[:, np.arange(J), np.arange(J)] = 1.0
    loadings = loadings.copy()
    mode_b = set(design.mode_b)
    for j, block in enumerate(design.blocks):
        if block.size < 2 or j in mode_b:
            continue
        wj = w[:, block]
        loadings[:, block] = wj * (root[:, j] / np.einsum("bi,bi->b", wj, wj))[:, None]
    paths = np.zeros_like(Cc)
    r2 = np.zeros((R.shape[0], len(design.endogenous)))
    for k, j in enumerate(design.endogenous):
        preds = design.predecessors[j]
        with np.errstate(invalid="ignore"):
            beta = _solve_batch(np.nan_to_num(Cc[:, preds[:, None], preds], nan=0.0), Cc[:, preds, j])
        bad = ~np.isfinite(Cc[:, preds[:, None], preds]).all((1, 2))
        beta[bad] = np.nan
        paths[:, preds, j] = beta
        r2[:, k] = np.einsum("bk,bk->b", beta, Cc[:, preds, j])
    return rho, loadings, Cc, paths, r2, _route_sum(paths)


def _inadmissible(rho, loadings, Cc, tol: float = 1e-10) -> np.ndarray:
    """Per resample (B, ...): is its PLSc solution inadmissible?

    A corrected construct correlation beyond ±1, a corrected correlation matrix that is not
    positive semi-definite, a ρA above 1 or a loading beyond ±1: the admissibility checks cSEM's
    ``verify()`` applies (Rademaker & Schuberth, cSEM) before it keeps a bootstrap resample.
    """
    J = Cc.shape[-1]
    off = ~np.eye(J, dtype=bool)
    with np.errstate(invalid="ignore"):
        beyond = (np.abs(Cc[:, off]) > 1 + tol).any(1) | (rho > 1 + tol).any(1) | (np.abs(loadings) > 1 + tol).any(1)
        finite = np.isfinite(Cc).all((1, 2))
        smallest = np.full(Cc.shape[0], np.inf)
        smallest[finite] = np.linalg.eigvalsh(Cc[finite])[:, 0]
    return beyond | (smallest < -tol)
