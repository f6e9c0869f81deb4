"""Gauss hypergeometric function 2F1 in log space, with the derivatives the fits need.

Two uses:

* :func:`log_beta_integral` gives ``log J`` and its derivatives in ``a``, ``b`` and ``z`` for

      J(a, b, z) = integral_0^1 u^(a-1) (1 - z u)^(-b) du = 2F1(a, b; a + 1; z) / a,

  a > 0, b > 0, 0 <= z < 1. Every Pareto/NBD likelihood term is a ``J`` (Fader & Hardie
  2005, "A note on deriving the Pareto/NBD model and related expressions", eqs. 22-23), with
  ``a = r + s + x``: for a customer with x = 500 purchases, ``2F1 / (alpha + t)^(r+s+x)``
  over- or underflows in linear space, which is where other tools return inf or NaN.
  scipy's ``hyp2f1`` has no derivatives in ``a`` and ``b``, so ``J`` is summed here.
* :func:`log_hyp2f1` evaluates ``log 2F1(A, B; C; z)`` for the conditional expectations
  (values only) with scipy, falling back to a log-space series where scipy overflows.

How ``J`` is summed (both ways give ~1e-15 relative accuracy, checked against mpmath in
``tests/test_models_special.py``):

* Euler's transformation ``2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z)`` turns the
  sum into ``S = sum_n (c)_n / (a+1)_n z^n`` with ``c = a + 1 - b``: every term positive (no
  cancellation), each ratio ``(c+n)/(a+1+n) z`` below ``z``, so the tail after a term is at most
  ``term * z / (1 - z)``, a stopping rule that is a bound, not a guess (needs ``c > 0``, true
  of every Pareto/NBD term). The number of terms each row needs follows from that bound, so
  rows run sorted by it with no convergence tests; rows needing more than ``MAX_TERMS`` are
  retried with the sharper tail bound ``term (c+n)/(b-1)`` (b > 1). Derivatives in ``a``,
  ``b``, ``z`` are accumulated term by term (forward mode), so the gradient is the exact
  derivative of the same sum.
* Where ``z`` is so close to 1 that the series would need more than ``MAX_TERMS`` terms (for
  the Pareto/NBD: alpha much larger than beta + t, or the reverse), ``J`` is integrated
  directly: ``J = (1/a) integral_0^1 (1 - z y^(1/a))^(-b) dy`` (``y = u^a``) by the trapezoid
  rule in ``logit(y)`` over each row's own range. On that scale the integrand's features
  (``1 - y ~ a (1 - z)`` and ``y^(1/a)`` leaving 0) are smooth, with singularities ``pi``
  away from the real axis, so the rule converges like ``exp(-2 pi^2 / h)``; the step shrinks
  with ``b`` (whose power narrows the strip). The derivatives are the differentiated
  integrands (Leibniz) on the same nodes.
"""

from __future__ import annotations

import numpy as np
from scipy.special import hyp2f1

MAX_TERMS = 400  # series terms before switching to quadrature
_TOL = 1e-17  # relative tail bound at which a series stops
_LOG_TOL = np.log(1e-16)  # the same for the series whose length is fixed in advance
_CHECK_EVERY = 6  # iterations between convergence checks (each check compacts arrays)


def log_beta_integral(a, b, z, eps, *, grad: bool = True):
    """``log J(a, b, z)`` and its partial derivatives; see the module docstring.

    Parameters
    ----------
    a, b : numpy.ndarray
        Positive, one per row.
    z : numpy.ndarray
        In [0, 1).
    eps : numpy.ndarray
        ``1 - z`` computed by the caller without cancellation (for the Pareto/NBD it is a
        ratio ``(beta + t) / (alpha + t)``).
    grad : bool
        Also return the derivatives.

    Returns
    -------
    log_j, d_a, d_b, d_z : numpy.ndarray
        ``log J`` and ``d log J / da``, ``d log J / db``, ``d log J / dz`` (the last three only
        when ``grad``).
    """
    a, b, z, eps = (np.asarray(v, dtype=np.float64) for v in (a, b, z, eps))
    n = a.size
    out = np.empty((4, n))
    # Terms each row needs by the geometric tail bound (with room for the derivative sums).
    c = a + 1.0 - b
    with np.errstate(divide="ignore", invalid="ignore"):
        log_z = np.log(z)
        first = (_LOG_TOL + 2.0 * np.log(eps)) / log_z
        needed = (_LOG_TOL + 2.0 * np.log(eps) - np.log(np.maximum(first, 0.0) + 10.0 + 1.0 / c)) / log_z
    needed = np.where(z > 0, np.ceil(np.nan_to_num(needed, nan=np.inf, posinf=np.inf)) + 1, 1)
    fast = needed <= MAX_TERMS
    rows = np.flatnonzero(fast)
    if rows.size:
        _series_fixed(a[rows], c[rows], z[rows], needed[rows].astype(np.int64), out, rows)
    slow = np.flatnonzero(~fast)
    if slow.size:
        # Rows with z near 1: the polynomial tail bound may still end the series (large b);
        # what it cannot finish goes to quadrature.
        left = _series(a[slow], b[slow], z[slow], eps[slow], out, slow)
        series_rows = np.concatenate([rows, np.setdiff1d(slow, left)])
    else:
        left = slow
        series_rows = rows
    if series_rows.size:
        # log J = -log a + (1 - b) log(1 - z) + log S, and its derivatives.
        ar, br, er = a[series_rows], b[series_rows], eps[series_rows]
        log_eps = np.log(er)
        out[0, series_rows] += -np.log(ar) + (1.0 - br) * log_eps
        out[1, series_rows] += -1.0 / ar
        out[2, series_rows] += -log_eps
        out[3, series_rows] += (br - 1.0) / er
    if left.size:
        _quadrature(a[left], b[left], z[left], eps[left], out, left)
    return tuple(out) if grad else out[0]


def _series_fixed(a, c, z, needed, out, rows):
    """Euler-transformed series with a known number of terms per row: rows sorted by terms
    needed, each iteration works on the prefix still running (views, no copies, no checks).
    Writes log S and d log S / d(a, b, z) into ``out`` at ``rows``."""
    order = np.argsort(-needed, kind="stable")
    needed = needed[order]
    c = c[order]
    d = a[order] + 1.0
    z = z[order]
    n = c.size
    total = np.ones(n)
    s_c = np.zeros(n)
    s_d = np.zeros(n)
    s_z = np.zeros(n)
    term = np.ones(n)
    h_c = np.zeros(n)
    h_d = np.zeros(n)
    inv_c = np.empty(n)
    inv_d = np.empty(n)
    tmp = np.empty(n)
    term_over_z = np.empty(n)
    # active[k] = rows that still need term k+1 (needed is sorted descending).
    active = np.searchsorted(-needed, -np.arange(1, int(needed[0]) + 1), side="right") if n else []
    for k, m in enumerate(active):
        if m == 0:
            break
        ic, idd, t, tz, tm = inv_c[:m], inv_d[:m], term[:m], term_over_z[:m], tmp[:m]
        np.add(c[:m], k, out=ic)
        np.add(d[:m], k, out=idd)
        np.divide(ic, idd, out=tm)  # (c+k)/(d+k)
        np.multiply(t, tm, out=tz)  # T_{k+1} / z
        np.reciprocal(ic, out=ic)
        np.reciprocal(idd, out=idd)
        h_c[:m] += ic
        h_d[:m] += idd
        np.multiply(tz, k + 1.0, out=tm)
        s_z[:m] += tm
        np.multiply(tz, z[:m], out=t)  # T_{k+1}
        total[:m] += t
        np.multiply(t, h_c[:m], out=tm)
        s_c[:m] += tm
        np.multiply(t, h_d[:m], out=tm)
        s_d[:m] += tm
    target = rows[order]
    out[0, target] = np.log(total)
    out[1, target] = (s_c - s_d) / total
    out[2, target] = -s_c / total
    out[3, target] = s_z / total


def _series(a, b, z, eps, out, rows):
    """Euler-transformed series with convergence checks (rows with z near 1); writes log S and
    its derivatives at ``rows`` and returns the rows it could not finish in MAX_TERMS terms."""
    n = a.size
    idx = np.arange(n)
    c = a + 1.0 - b
    d = a + 1.0
    zz = z.copy()
    geo = np.divide(z, eps)  # sum_{m>n} T_m <= T_n z / (1 - z)
    # For b > 1 (b > 2) the ratios (c+k)/(a+1+k) alone bound the tail polynomially, which is far
    # tighter than the geometric bound when z is close to 1:
    #   sum_{m>n} T_m <= T_n (c+n) / (b-1),   sum_{m>n} m T_m <= T_n (c+n)(c+n+1) / (b-2)
    # (telescoping Gamma(c+m)/Gamma(d+m), d - c = b).
    bm1 = np.where(b > 1.0, b - 1.0, 0.0)
    bm2 = np.where(b > 2.0, b - 2.0, 0.0)
    inv_eps = 1.0 / eps
    total = np.ones(n)
    s_c = np.zeros(n)
    s_d = np.zeros(n)
    s_z = np.zeros(n)
    term = np.ones(n)
    h_c = np.zeros(n)
    h_d = np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(MAX_TERMS):
            ck = c + k
            dk = d + k
            term_over_z = term * (ck / dk)  # T_{k+1} / z: the z-derivative without 0/0
            h_c += 1.0 / ck
            h_d += 1.0 / dk
            term = term_over_z * zz
            total += term
            s_c += term * h_c
            s_d -= term * h_d
            s_z += (k + 1) * term_over_z
            if k % _CHECK_EVERY == _CHECK_EVERY - 1 or k == MAX_TERMS - 1:
                nn = k + 1.0
                cn = c + nn
                tail_s = term * np.minimum(geo, np.where(bm1 > 0, cn / bm1, np.inf))
                tail_z = term_over_z * np.minimum(
                    geo * (nn + inv_eps), np.where(bm2 > 0, cn * (cn + 1.0) / bm2, np.inf)
                )
                # Harmonic sums grow by at most 1/(c+n) per further term.
                tail_h = tail_s * (h_c + h_d) + tail_z * zz * (1.0 / cn + 1.0 / (d + nn))
                done = (
                    (tail_s <= _TOL * total)
                    & (tail_h <= _TOL * (total + np.abs(s_c) + np.abs(s_d)))
                    & (tail_z <= _TOL * (s_z + total * inv_eps))
                )
                if done.any():
                    target = rows[idx[done]]
                    out[0, target] = np.log(total[done])
                    out[1, target] = (s_c[done] + s_d[done]) / total[done]
                    out[2, target] = -s_c[done] / total[done]
                    out[3, target] = s_z[done] / total[done]
                    keep = ~done
                    idx = idx[keep]
                    if idx.size == 0:
                        break
                    (c, d, zz, geo, bm1, bm2, inv_eps, total, s_c, s_d, s_z, term, h_c, h_d) = (
                        v[keep] for v in (c, d, zz, geo, bm1, bm2, inv_eps, total, s_c, s_d, s_z, term, h_c, h_d)
                    )
    return rows[idx]


def _quadrature(a, b, z, eps, out, rows):
    """Quadrature of ``J`` for rows with z close to 1 (see the module docstring)."""
    # Trapezoid rule in xi = logit(y), y = u^a, over each row's own range: the integrand's
    # features (near y = 1 at 1 - y ~ a (1 - z); near y = 0 where y^(1/a) leaves 0) are smooth
    # on the log scales xi spans, with singularities pi away from the real axis. The rule's
    # error is then ~ max_v (1/cos(v/2))^b exp(-2 pi v / h): v = pi/2 gives the step
    # h = pi^2 / (40 + b ln(2) / 2) for ~1e-16 (0.24 for b = 1, 0.1 for b = 100).
    log_ae = np.log(a * eps)
    hi = np.maximum(np.maximum(-log_ae, -b * np.log(eps)), 0.0) + 38.0
    lo = np.full_like(hi, -38.0)
    step_max = np.pi**2 / (40.0 + 0.35 * b)
    nodes = np.ceil((hi - lo) / step_max).astype(np.int64) + 1
    order = np.argsort(nodes, kind="stable")
    start = 0
    while start < order.size:
        # Rows with similar node counts together, at most ~4M evaluations per block.
        n_nodes = int(nodes[order[start]])
        stop = start + 1
        while (
            stop < order.size
            and nodes[order[stop]] <= 1.25 * n_nodes
            and (stop - start + 1) * nodes[order[stop]] <= 4_000_000
        ):
            stop += 1
        block = order[start:stop]
        n_nodes = int(nodes[block].max())
        _quadrature_block(a[block], b[block], z[block], eps[block], lo[block], hi[block], n_nodes, out, rows[block])
        start = stop


def _quadrature_block(a, b, z, eps, lo, hi, n_nodes, out, rows):
    aa, bb, ee = (v[:, None] for v in (a, b, eps))
    step = ((hi - lo) / (n_nodes - 1))[:, None]
    xi = lo[:, None] + step * np.arange(n_nodes, dtype=np.float64)
    log_y = -np.logaddexp(0.0, -xi)
    log_1my = -np.logaddexp(0.0, xi)
    log_u = log_y / aa  # u = y^(1/a)
    u = np.exp(log_u)
    one_m_zu = -np.expm1(log_u) + ee * u  # 1 - z u = (1 - u) + (1 - z) u
    log_base = np.log(one_m_zu)
    log_f = -bb * log_base + log_y + log_1my  # f(y) dy/dxi
    top = log_f.max(axis=1, keepdims=True)
    weight = np.exp(log_f - top)
    total = weight.sum(axis=1)
    log_int = np.log(total) + top[:, 0] + np.log(step[:, 0])
    # d/da of y^(1/a) is -y^(1/a) log(y) / a^2; J = (1/a) * integral.
    d_a = (weight * (u * log_y / one_m_zu)).sum(axis=1) / total * (-b * z / a**2)
    d_b = -(weight * log_base).sum(axis=1) / total
    d_z = b * (weight * (u / one_m_zu)).sum(axis=1) / total
    out[0, rows] = log_int - np.log(a)
    out[1, rows] = d_a - 1.0 / a
    out[2, rows] = d_b
    out[3, rows] = d_z


def log_hyp2f1(A, B, C, z):
    """``log 2F1(A, B; C; z)`` for 0 <= z < 1 where the value is positive (values only).

    scipy's ``hyp2f1`` (relative error ~1e-10 on the parameters of the conditional
    expectations, checked against mpmath) where it is finite and positive; rows where it
    overflows are summed as a series in log space when A, B, C > 0, else NaN.
    """
    A, B, C, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (A, B, C, z)))
    with np.errstate(all="ignore"):
        value = hyp2f1(A, B, C, z)
        result = np.log(value)
    bad = ~np.isfinite(result) | ~(value > 0)
    if bad.any():
        result = np.array(result, copy=True)
        result[bad] = _log_series(A[bad], B[bad], C[bad], z[bad])
    return result


def _log_series(A, B, C, z, max_terms: int = 200_000):
    """``log sum_n (A)_n (B)_n / ((C)_n n!) z^n`` with A, B, C > 0 (positive terms), rescaled
    as it goes so that neither the terms nor the sum overflow; NaN for rows whose parameters
    are not all positive (the caller has another route for those)."""
    result = np.full(A.size, np.nan)
    # Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) when it keeps
    # the terms positive and C - A - B < 0: the untransformed terms then peak only after
    # ~(A+B-C)/(1-z) terms (600,000 for A, B, C ~ 500, z = 0.9992).
    euler = (C - A - B < 0) & (C - A > 0) & (C - B > 0)
    shift = np.where(euler, (C - A - B) * np.log1p(-z), 0.0)
    A, B = np.where(euler, C - A, A), np.where(euler, C - B, B)
    ok = (A > 0) & (B > 0) & (C > 0) & (z >= 0) & (z < 1)
    if ok.any():
        result[ok] = _log_series_positive(A[ok], B[ok], C[ok], z[ok], max_terms) + shift[ok]
    return result


def _log_series_positive(A, B, C, z, max_terms):
    n = A.size
    log_scale = np.zeros(n)
    total = np.ones(n)
    term = np.ones(n)
    result = np.empty(n)
    idx = np.arange(n)
    for k in range(max_terms):
        term = term * ((A + k) * (B + k) / ((C + k) * (k + 1.0))) * z
        total += term
        big = total > 1e250
        if big.any():
            total[big] *= 1e-250
            term[big] *= 1e-250
            log_scale[big] += 250 * np.log(10.0)
        ratio = (A + k + 1) * (B + k + 1) / ((C + k + 1) * (k + 2.0)) * z
        # The ratios tend monotonically to z (from above or below), so once the larger of the
        # current ratio and z is below 1 it bounds every later ratio: tail <= term q / (1 - q).
        q = np.maximum(ratio, z)
        with np.errstate(divide="ignore", over="ignore"):
            done = (q < 1) & (term * q / np.maximum(1 - q, 1e-300) <= 1e-17 * total)
        if done.any():
            result[idx[done]] = np.log(total[done]) + log_scale[done]
            keep = ~done
            idx, A, B, C, z, total, term, log_scale = (v[keep] for v in (idx, A, B, C, z, total, term, log_scale))
            if idx.size == 0:
                return result
    result[idx] = np.nan  # not converged: NaN, never a truncated sum
    return result
