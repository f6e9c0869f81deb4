"""The PLS path model estimator: fit, quality criteria, indices, bootstrap.

:class:`PLSPathModel` follows the scikit-learn estimator contract (settings in ``__init__``,
``fit`` returns ``self``, learned attributes end in ``_``; see
:class:`crmkit.models._base.Estimator`), and :func:`pls_path_model` is its one-call form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmkit.errors import FitError, UsageError
from crmkit.models._base import Estimator
from crmkit.models.pls.algorithm import (
    SCHEMES,
    _derive,
    _Design,
    _effects_table,
    _item_matrix,
    _iterate,
    _standardize,
)
from crmkit.models.pls.bootstrap import PLSBootstrap, bootstrap
from crmkit.models.pls.consistent import _consistent, _inadmissible
from crmkit.models.pls.index import ConstructIndex, _scale_pair, construct_index
from crmkit.models.pls.specification import check_specification

__all__ = ["PLSPathModel", "pls_path_model"]


def _check_settings(scheme, tol, max_iter):
    if scheme not in SCHEMES:
        raise UsageError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol > 0):
        raise UsageError(f"tol must be a positive number, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise UsageError(f"max_iter must be a positive integer, got {max_iter!r}")


class PLSPathModel(Estimator):
    """PLS path model (PLS-PM / PLS-SEM) estimated with Lohmöller's iterative algorithm.

    Parameters
    ----------
    constructs : mapping of str to list of str
        Construct -> item column names (each item in exactly one construct).
    paths : list of (str, str)
        Inner-model arrows ``(from, to)``; the inner model must be recursive (no cycle).
    modes : mapping of str to {"A", "B"}, optional
        ``"A"`` (default): reflective, outer weights are item-proxy correlations;
        ``"B"``: formative, outer weights are multiple-regression weights.
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme (Tenenhaus et al. 2005; Lohmöller 1989). Default "path".
    tol : float
        Convergence when the largest change of any standardized outer weight between two
        iterations is below ``tol``.
    max_iter : int
        Iterations allowed before :class:`~crmkit.errors.FitError` is raised.
    consistent : bool
        Consistent PLS (PLSc; Dijkstra & Henseler 2015, MIS Quarterly 39(2)): every Mode A
        construct is treated as a common factor; path coefficients, R², total effects,
        loadings and construct correlations are corrected with rho_A (see
        :mod:`crmkit.models.pls.consistent`); weights and scores stay the PLS composites.

    Attributes
    ----------
    specification_ : PLSSpecification
    weights_ : DataFrame
        Standardized outer weights, items x constructs (0 where an item is not in the block);
        each construct score ``Z @ weights_[c]`` has unit sample variance.
    loadings_ : DataFrame
        Outer loadings (item-score correlations), items x constructs, 0 off the block.
    path_coefficients_ : DataFrame
        Columns ``from, to, estimate``, one row per path in the order given.
    r_squared_, adjusted_r_squared_ : Series
        Per endogenous construct; adjusted R² = 1 - (1 - R²)(n - 1)/(n - k - 1), k predecessors.
    total_effects_ : DataFrame
        Columns ``from, to, direct, indirect, total`` for every ordered pair joined by a
        directed route; indirect = total - direct.
    scores_ : DataFrame
        Construct scores (unit variance, mean 0), indexed like X.
    construct_correlations_ : DataFrame
        Correlations of the construct scores (with ``consistent``: the disattenuated
        correlations r_ij / sqrt(rho_A,i rho_A,j), 1 on the diagonal).
    rho_a_ : Series
        rho_A per construct used by PLSc (1 for Mode B and single-item constructs); also set
        when ``consistent`` is False, for reference.
    admissible_ : bool
        Whether the PLSc solution is admissible: corrected construct correlations within ±1 and
        positive semi-definite, ρA and loadings within ±1 (cSEM's checks). An inadmissible one
        (two constructs nearly collinear once disattenuated) still fits; the caller warns.
    item_correlations_ : DataFrame
        Correlations of the items (all the estimation needs).
    item_means_, item_sds_ : Series
        Means and sample standard deviations (ddof = 1) used to standardize the items.
    dominant_items_ : Series
        Construct -> the item with the largest absolute loading, which loads positively by
        the sign convention.
    n_iter_ : int
    converged_ : bool
    n_obs_ : int

    Notes
    -----
    Standardize items with the sample SD; start from unit weights; iterate (see
    :func:`~crmkit.models.pls.algorithm._iterate`) until the largest weight change is below ``tol``;
    scale weights to unit score variance; turn each construct so its dominant indicator loads positively; then OLS
    on the scores for the paths. On the mobi data with the ECSI model this reproduces seminr
    to four decimals. :meth:`reliability`, :meth:`htmt`, :meth:`fornell_larcker` and
    :meth:`index` need a fit: before it they raise :class:`~crmkit.errors.NotFittedError`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> quality = rng.normal(size=200)
    >>> loyalty = 0.6 * quality + 0.8 * rng.normal(size=200)
    >>> X = pd.DataFrame({"q1": quality + rng.normal(scale=0.5, size=200),
    ...                   "q2": quality + rng.normal(scale=0.5, size=200),
    ...                   "l1": loyalty})
    >>> model = PLSPathModel({"Quality": ["q1", "q2"], "Loyalty": ["l1"]},
    ...                      [("Quality", "Loyalty")]).fit(X)
    >>> round(float(model.path_coefficients_["estimate"].iloc[0]), 2)
    0.54
    """

    def __init__(self, constructs, paths, *, modes=None, scheme="path", tol=1e-7, max_iter=300, consistent=False):
        self.constructs = constructs
        self.paths = paths
        self.modes = modes
        self.scheme = scheme
        self.tol = tol
        self.max_iter = max_iter
        self.consistent = consistent

    _fitted_attribute = "weights_"
    _how_to_fit = "call fit(X) first"

    # -- estimation ---------------------------------------------------------------------

    def fit(self, X):
        """Estimate the model on the item columns of X.

        Parameters
        ----------
        X : DataFrame
            One row per respondent; must hold every item column (numbers, no missing values;
            other columns are ignored).

        Returns
        -------
        self

        Raises
        ------
        ConfigError
            Invalid specification (see :func:`check_specification`).
        ColumnError
            An item column is missing from X.
        DataError
            A missing or non-numeric answer, or an item with zero variance (names the column).
        FitError
            The iterations did not converge within ``max_iter``, or a singular system.
        """
        spec = check_specification(self.constructs, self.paths, self.modes)
        _check_settings(self.scheme, self.tol, self.max_iter)
        if not isinstance(self.consistent, (bool, np.bool_)):
            raise UsageError(f"consistent must be True or False, got {self.consistent!r}")
        design = _Design(spec)
        data = _item_matrix(X, design.items)
        mean, sd, Z = _standardize(data, design.items)
        n = Z.shape[0]
        R = (Z.T @ Z) / (n - 1)
        np.fill_diagonal(R, 1.0)
        try:
            w, n_iter, converged = _iterate(
                R[None], design, np.ones((1, len(design.items))), self.scheme, self.tol, self.max_iter
            )
        except np.linalg.LinAlgError as exc:
            raise FitError(
                f"a singular correlation matrix stopped the PLS iterations ({exc})",
                hint="look for items or constructs that are exact copies or sums of others",
            ) from None
        if not np.isfinite(w).all():
            raise FitError(
                "the PLS iterations broke down (a construct proxy vanished)",
                hint="try scheme='path' or check for constructs unrelated to all their neighbours",
            )
        if not converged[0]:
            raise FitError(
                f"the PLS iterations did not converge in {self.max_iter} iterations (tol={self.tol:g})",
                hint="raise max_iter or tol",
            )

        # Sign convention: the item with the largest absolute loading loads positively.
        loadings0 = (R @ (w[0][:, None] * design.membership))[design.rows, design.item_construct]
        reference = np.array([block[np.argmax(np.abs(loadings0[block]))] for block in design.blocks])
        w, loadings, C, paths, r2, total = _derive(R[None], design, w, reference)
        rho, loadings_c, C_c, paths_c, r2_c, total_c = _consistent(R[None], design, w, loadings, C)
        self.admissible_ = bool(not _inadmissible(rho, loadings_c, C_c)[0])
        if self.consistent:
            if not np.all(rho > 0):
                bad = [design.names[j] for j in np.flatnonzero(~(rho[0] > 0))]
                raise FitError(
                    f"rho_A is not positive for {', '.join(bad)}: PLSc cannot correct it",
                    hint="the block's items do not measure one common factor; fit without consistent",
                )
            loadings, C, paths, r2, total = loadings_c, C_c, paths_c, r2_c, total_c
        if not (np.isfinite(paths).all() and np.isfinite(r2).all()):
            raise FitError(
                "a singular construct correlation matrix: path coefficients are not identified",
                hint="two predecessors of a construct have (almost) identical scores",
            )
        self._store(
            X,
            spec,
            design,
            mean,
            sd,
            Z,
            R,
            w[0],
            loadings[0],
            C[0],
            paths[0],
            r2[0],
            total[0],
            reference,
            int(n_iter[0]),
            bool(converged[0]),
            rho[0],
        )
        return self

    def _store(
        self, X, spec, design, mean, sd, Z, R, w, loadings, C, paths, r2, total, reference, n_iter, converged, rho
    ):
        names, items = design.names, design.items
        n = Z.shape[0]
        W = w[:, None] * design.membership
        self.specification_ = spec
        self._design = design
        self._reference = reference
        # J x J matrices of the (PLS or PLSc) paths and total effects, for the bootstrap tables.
        self._paths_matrix = paths
        self._total_matrix = total
        self.n_obs_ = n
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.item_means_ = pd.Series(mean, index=items, name="mean")
        self.item_sds_ = pd.Series(sd, index=items, name="sd")
        self.item_correlations_ = pd.DataFrame(R, index=items, columns=items)
        self.weights_ = pd.DataFrame(W, index=items, columns=names)
        self.loadings_ = pd.DataFrame(loadings[:, None] * design.membership, index=items, columns=names)
        self.scores_ = pd.DataFrame(Z @ W, index=X.index, columns=names)
        self.construct_correlations_ = pd.DataFrame(C, index=names, columns=names)
        self.dominant_items_ = pd.Series([items[i] for i in reference], index=names, name="dominant_item")
        self.path_coefficients_ = pd.DataFrame(
            [(names[i], names[j], float(paths[i, j])) for i, j in design.path_index], columns=["from", "to", "estimate"]
        )
        endogenous = [names[j] for j in design.endogenous]
        self.r_squared_ = pd.Series(r2, index=endogenous, name="r_squared")
        k = np.array([len(design.predecessors[j]) for j in design.endogenous])
        with np.errstate(divide="ignore", invalid="ignore"):
            adjusted = 1 - (1 - r2) * (n - 1) / (n - k - 1)
        self.adjusted_r_squared_ = pd.Series(
            np.where(n - k - 1 > 0, adjusted, np.nan), index=endogenous, name="adjusted_r_squared"
        )
        self.total_effects_ = _effects_table(names, design.adjacency, paths, total)
        self.rho_a_ = pd.Series(rho, index=names, name="rho_a")

    # -- quality criteria -----------------------------------------------------------------

    def reliability(self):
        """Internal consistency per construct: Cronbach's alpha, rho_A, rho_C and AVE.

        * alpha: standardized Cronbach's alpha, k/(k-1) · (1 - k / Σ R_jj) on the block's item
          correlation matrix R_jj (as seminr and SmartPLS report it).
        * rho_A (Dijkstra & Henseler 2015, "Consistent partial least squares path modeling",
          MIS Quarterly 39(2)): (w'w)² · w'(R_jj - diag R_jj)w / w'(ww' - diag ww')w
          with w the weights scaled to a unit-variance score.
        * rho_C (composite reliability, Jöreskog 1971; Werts, Linn & Jöreskog 1974):
          (Σλ)² / ((Σλ)² + Σ(1 - λ²)) with λ the outer loadings.
        * AVE (Fornell & Larcker 1981): mean of λ².

        Single-item constructs: all four are defined as 1. For Mode B (formative) blocks
        the same formulas are reported but are not evidence of anything: formative items
        need not correlate.

        Returns
        -------
        DataFrame
            Index construct; columns ``alpha, rho_a, rho_c, ave``.
        """
        self._check_fitted()
        design = self._design
        R = self.item_correlations_.to_numpy()
        rows = []
        for j, block in enumerate(design.blocks):
            k = block.size
            if k == 1:
                rows.append((1.0, 1.0, 1.0, 1.0))
                continue
            Rjj = R[np.ix_(block, block)]
            alpha = k / (k - 1) * (1 - k / Rjj.sum())
            w = self.weights_.to_numpy()[block, j]
            lam = self.loadings_.to_numpy()[block, j]
            off = Rjj - np.diag(np.diag(Rjj))
            ww = np.outer(w, w)
            rho_a = (w @ w) ** 2 * (w @ off @ w) / (w @ (ww - np.diag(np.diag(ww))) @ w)
            rho_c = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
            rows.append((alpha, rho_a, rho_c, float(np.mean(lam**2))))
        return pd.DataFrame(rows, index=design.names, columns=["alpha", "rho_a", "rho_c", "ave"])

    def htmt(self):
        """Heterotrait-monotrait ratio of correlations.

        Henseler, Ringle & Sarstedt (2015), "A new criterion for assessing discriminant
        validity in variance-based structural equation modeling", JAMS 43(1):
        HTMT_ij = mean |r| between items of i and items of j, divided by the geometric mean
        of the average |r| among the items of i and among the items of j. Absolute item
        correlations are used (as seminr does), so a reverse-coded item does not cancel
        out. A single-item construct's monotrait average is taken as 1. Values above 0.85
        (conservative) or 0.90 suggest a lack of discriminant validity.

        Returns
        -------
        DataFrame
            Constructs x constructs, symmetric, NaN on the diagonal.
        """
        self._check_fitted()
        blocks, names = self._design.blocks, self._design.names
        R = np.abs(self.item_correlations_.to_numpy())
        mono = []
        for block in blocks:
            k = block.size
            mono.append(1.0 if k == 1 else (R[np.ix_(block, block)].sum() - k) / (k * (k - 1)))
        J = len(blocks)
        table = np.full((J, J), np.nan)
        for i in range(J):
            for j in range(i + 1, J):
                hetero = R[np.ix_(blocks[i], blocks[j])].mean()
                table[i, j] = table[j, i] = hetero / np.sqrt(mono[i] * mono[j])
        return pd.DataFrame(table, index=names, columns=names)

    def fornell_larcker(self):
        """Fornell-Larcker table: sqrt(AVE) on the diagonal, construct correlations elsewhere.

        Fornell & Larcker (1981), "Evaluating structural equation models with unobservable
        variables and measurement error", JMR 18(1): discriminant validity holds for a
        construct when its sqrt(AVE) exceeds its correlations with every other construct.

        Returns
        -------
        DataFrame
            Constructs x constructs, symmetric.
        """
        self._check_fitted()
        table = self.construct_correlations_.to_numpy().copy()
        np.fill_diagonal(table, np.sqrt(self.reliability()["ave"].to_numpy()))
        return pd.DataFrame(
            table, index=self.construct_correlations_.index, columns=self.construct_correlations_.columns
        )

    # -- indices ----------------------------------------------------------------------------

    def index(self, X_raw, scale) -> ConstructIndex:
        """ACSI-style 0-100 index per construct and per respondent.

        Uses this model's standardized weights and item SDs; see :func:`construct_index`.

        Parameters
        ----------
        X_raw : DataFrame
            Answers on the original scale (usually the data the model was fitted on).
        scale : (float, float)
            The answer scale's minimum and maximum, e.g. ``(1, 10)``.

        Returns
        -------
        ConstructIndex
        """
        self._check_fitted()
        lo, hi = _scale_pair(scale)
        return construct_index(X_raw, self.weights_, self.item_sds_, lo, hi)

    # -- bootstrap ----------------------------------------------------------------------------

    def bootstrap(self, X, n=1000, *, seed=0, level=0.95, scale=None) -> PLSBootstrap:
        """Fit on X, then percentile bootstrap confidence intervals from ``n`` resamples of its rows.

        Each resample's item correlation matrix comes from resample counts and moments of the
        standardized data (no row copies); all resamples then run through the PLS iterations
        together, starting from the full-sample weights, and each is turned so that the
        full-sample dominant indicator of every construct loads positively. Resamples that do
        not converge within ``max_iter`` or hit a singular system (for instance an item
        constant in the resample) are left out and counted in ``n_failed``.

        Parameters
        ----------
        X : DataFrame
            Item columns, as for :meth:`fit` (the model is fitted on it first).
        n : int
            Number of resamples.
        seed : int
            Seed of ``numpy.random.default_rng``; the same seed gives the same intervals.
        level : float
            Confidence level of the percentile intervals (0.95: 2.5th and 97.5th percentiles).
        scale : (float, float), optional
            Answer scale; when given, the construct indices are bootstrapped too.

        Returns
        -------
        PLSBootstrap
            Paths, R², weights, loadings, total effects, HTMT, total and specific indirect
            effects (and indices with ``scale``); with ``consistent`` each resample is
            corrected by PLSc, so the intervals are those of the PLSc estimates.
        """
        return bootstrap(self, X, n, seed=seed, level=level, scale=scale)


def pls_path_model(X, constructs, paths, **settings) -> PLSPathModel:
    """Fit a PLS path model in one call: ``PLSPathModel(constructs, paths, **settings).fit(X)``.

    Parameters
    ----------
    X : DataFrame
        Item columns, one row per respondent.
    constructs, paths
        See :class:`PLSPathModel`.
    **settings
        ``modes``, ``scheme``, ``tol``, ``max_iter``.

    Returns
    -------
    PLSPathModel
        Fitted.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=100)
    >>> X = pd.DataFrame({"a": x, "b": 0.5 * x + rng.normal(size=100)})
    >>> model = pls_path_model(X, {"A": ["a"], "B": ["b"]}, [("A", "B")])
    >>> bool(np.isclose(model.path_coefficients_["estimate"].iloc[0], np.corrcoef(X.a, X.b)[0, 1]))
    True
    """
    return PLSPathModel(constructs, paths, **settings).fit(X)
