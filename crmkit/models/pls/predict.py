"""PLSpredict: out-of-sample prediction of the endogenous constructs' items by cross-validation.

Shmueli, Ray, Velasquez Estrada & Chatla (2016), "The elephant in the room: Predictive
performance of PLS models", Journal of Business Research 69(10), 4552-4564; Shmueli, Sarstedt,
Hair, Cheah, Ting, Vaithilingam & Ringle (2019), "Predictive model assessment in PLS-SEM:
guidelines for using PLSpredict", European Journal of Marketing 53(11), 2322-2347.

For each of ``folds`` folds the model is estimated on the other rows (training mean and SD,
weights, paths, loadings); the hold-out rows' construct scores come from their items and the
training weights, the endogenous constructs are predicted from their direct antecedents'
scores ("DA") or by running the inner model forward from the exogenous constructs' scores
("EA", earliest antecedents), and each endogenous item is predicted as loading x predicted
score on the training scale. Repetitions reshuffle the folds; as seminr does, the
predictions are averaged over repetitions before the errors are taken.

Benchmarks reported per item:

* LM (Shmueli et al. 2019): OLS with intercept of the item on the items of the construct's
  direct antecedents ("DA") or of the exogenous constructs ("EA"), fitted on the training
  rows; this follows seminr's ``generate_lm_predictions`` (commit 61d8dd8, the one that made
  the ``predict_pls_DA/EA`` fixtures).
* Q²predict = 1 - Σ(y - ŷ_PLS)² / Σ(y - ȳ_train)², ȳ_train the training-fold mean (the
  naive benchmark of Shmueli et al. 2019).

All folds are estimated at once, as a stack of training correlation matrices through the
same batched iteration the bootstrap uses (:mod:`crmkit.models.pls.algorithm`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmkit.errors import FitError, UsageError
from crmkit.models.pls.algorithm import _derive, _item_matrix, _iterate, _iterate_one_by_one
from crmkit.models.pls.consistent import _consistent

__all__ = ["PLSPredict", "pls_predict"]

TECHNIQUES = ("DA", "EA")


@dataclass
class PLSPredict:
    """Cross-validated prediction errors of a PLS path model.

    Attributes
    ----------
    items : DataFrame
        One row per item of an endogenous construct: ``item, construct, pls_rmse, pls_mae,
        lm_rmse, lm_mae, q2_predict`` (errors on the item's answer scale). PLS beats the LM
        benchmark on an item when ``pls_rmse < lm_rmse`` (Shmueli et al. 2019, Figure 2).
    constructs : DataFrame
        One row per endogenous construct: ``construct, q2_predict, pls_rmse, pls_mae`` for
        the construct score (hold-out items x training weights) against its prediction from
        the inner model; the benchmark is the training mean of the score, 0.
    predictions : DataFrame
        Out-of-sample PLS predictions of the endogenous items (averaged over repetitions),
        indexed like X.
    folds : int
        Folds per repetition (n for leave-one-out).
    repetitions : int
    technique : str
    seed : int
    """

    items: pd.DataFrame
    constructs: pd.DataFrame
    predictions: pd.DataFrame
    folds: int
    repetitions: int
    technique: str
    seed: int


def pls_predict(model, X, folds=10, repetitions=1, seed=0, technique="DA") -> PLSPredict:
    """PLSpredict: k-fold (repeated) cross-validated item predictions against LM and mean benchmarks.

    Parameters
    ----------
    model : PLSPathModel
        The specification and settings to cross-validate (``consistent`` included: with PLSc
        the corrected paths and loadings predict, as in seminr). It is fitted on X.
    X : DataFrame
        Item columns, one row per respondent.
    folds : int or None
        Number of folds (2 <= folds <= n); ``None`` or 0: leave-one-out (deterministic, so
        ``repetitions`` is then 1).
    repetitions : int
        Times the k-fold split is redrawn; predictions are averaged over them.
    seed : int
        Seed of ``numpy.random.default_rng`` for the fold assignment.
    technique : {"DA", "EA"}
        Direct antecedents or earliest antecedents (Shmueli et al. 2016).

    Returns
    -------
    PLSPredict

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from crmkit.models.pls import PLSPathModel
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=300)
    >>> X = pd.DataFrame({"a1": f + rng.normal(size=300), "a2": f + rng.normal(size=300),
    ...                   "b1": 0.7 * f + rng.normal(size=300)})
    >>> model = PLSPathModel({"A": ["a1", "a2"], "B": ["b1"]}, [("A", "B")])
    >>> result = pls_predict(model, X, folds=5)
    >>> bool(result.items["q2_predict"].iloc[0] > 0)
    True
    """
    if technique not in TECHNIQUES:
        raise UsageError(f"technique must be one of {', '.join(TECHNIQUES)}, got {technique!r}")
    if isinstance(repetitions, bool) or not isinstance(repetitions, (int, np.integer)) or repetitions < 1:
        raise UsageError(f"repetitions must be a positive integer, got {repetitions!r}")
    model.fit(X)
    design = model._design
    data = _item_matrix(X, design.items)
    n, p = data.shape
    loo = folds is None or folds == 0
    if not loo and (isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or not 2 <= folds <= n):
        raise UsageError(f"folds must be an integer from 2 to the number of rows ({n}), or 0 for leave-one-out")
    k = n if loo else int(folds)
    reps = 1 if loo else int(repetitions)
    rng = np.random.default_rng(seed)
    endo = list(design.endogenous)
    endo_items = np.concatenate([design.blocks[j] for j in endo])
    sum_pls = np.zeros((n, endo_items.size))
    sum_lm = np.zeros((n, endo_items.size))
    sum_mean = np.zeros((n, endo_items.size))
    sum_score_hat = np.zeros((n, len(endo)))
    sum_score = np.zeros((n, len(endo)))
    for _ in range(reps):
        order = np.arange(n) if loo else rng.permutation(n)
        # Equal-sized consecutive folds of the shuffled rows (R's cut(seq_len(n), k), as seminr).
        tests = np.array_split(order, k)
        estimates = _fit_folds(model, design, data, tests)
        for test, est in zip(tests, estimates):
            train = np.ones(n, dtype=bool)
            train[test] = False
            pls, score, score_hat = _predict_pls(design, data[test], est, technique, endo, endo_items)
            sum_pls[test] += pls
            sum_score[test] += score
            sum_score_hat[test] += score_hat
            sum_mean[test] += est["mean"][endo_items]
            sum_lm[test] += _predict_lm(design, data, train, test, technique, endo)
    y = data[:, endo_items]
    pls_hat, lm_hat, mean_hat = sum_pls / reps, sum_lm / reps, sum_mean / reps
    pls_err, lm_err = y - pls_hat, y - lm_hat
    names, items = design.names, design.items
    item_table = pd.DataFrame(
        {
            "item": [items[i] for i in endo_items],
            "construct": [names[design.item_construct[i]] for i in endo_items],
            "pls_rmse": np.sqrt((pls_err**2).mean(0)),
            "pls_mae": np.abs(pls_err).mean(0),
            "lm_rmse": np.sqrt((lm_err**2).mean(0)),
            "lm_mae": np.abs(lm_err).mean(0),
            "q2_predict": 1 - (pls_err**2).sum(0) / ((y - mean_hat) ** 2).sum(0),
        }
    )
    score, score_hat = sum_score / reps, sum_score_hat / reps
    score_err = score - score_hat
    construct_table = pd.DataFrame(
        {
            "construct": [names[j] for j in endo],
            "q2_predict": 1 - (score_err**2).sum(0) / (score**2).sum(0),
            "pls_rmse": np.sqrt((score_err**2).mean(0)),
            "pls_mae": np.abs(score_err).mean(0),
        }
    )
    predictions = pd.DataFrame(pls_hat, index=X.index, columns=item_table["item"].tolist())
    return PLSPredict(
        items=item_table,
        constructs=construct_table,
        predictions=predictions,
        folds=k,
        repetitions=reps,
        technique=technique,
        seed=seed,
    )


def _fit_folds(model, design, data, tests):
    """Estimate the model on each fold's training rows, all folds in one batched iteration."""
    n, p = data.shape
    B = len(tests)
    R = np.empty((B, p, p))
    means = np.empty((B, p))
    sds = np.empty((B, p))
    for b, test in enumerate(tests):
        train = np.delete(data, test, axis=0)
        means[b] = train.mean(0)
        sds[b] = train.std(0, ddof=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            R[b] = np.corrcoef(train, rowvar=False)
    if not (sds > 1e-12).all():
        raise FitError(
            "an item is constant in some training fold: PLSpredict cannot standardize it",
            hint="use fewer folds",
        )
    w0 = np.broadcast_to(model.weights_.to_numpy()[design.rows, design.item_construct], (B, p))
    with np.errstate(invalid="ignore", divide="ignore"):
        try:
            w, _, converged = _iterate(R, design, w0, model.scheme, model.tol, model.max_iter)
        except np.linalg.LinAlgError:
            w, converged = _iterate_one_by_one(R, design, w0, model.scheme, model.tol, model.max_iter)
        w, loadings, C, paths, _, _ = _derive(R, design, w, model._reference)
        if model.consistent:
            _, loadings, _, paths, _, _ = _consistent(R, design, w, loadings, C)
    if not (converged.all() and np.isfinite(paths).all() and np.isfinite(loadings).all()):
        raise FitError(
            f"the model could not be estimated on {int((~converged).sum()) or 'some'} training fold(s)",
            hint="use fewer folds, or fit without consistent",
        )
    return [{"mean": means[b], "sd": sds[b], "w": w[b], "loadings": loadings[b], "paths": paths[b]} for b in range(B)]


def _predict_pls(design, rows, est, technique, endo, endo_items):
    """Hold-out predictions of the endogenous items, and the actual and predicted endogenous scores."""
    Z = (rows - est["mean"]) / est["sd"]
    scores = Z @ (est["w"][:, None] * design.membership)
    paths = est["paths"]
    if technique == "DA":
        predicted = scores @ paths
    else:
        predicted = scores * (design.adjacency.sum(0) == 0)
        # Topological order: the specification's endogenous constructs sorted so every
        # predecessor comes first (the inner model is recursive).
        for j in _topological(design):
            predicted[:, j] = predicted @ paths[:, j]
    item_hat = predicted[:, design.item_construct[endo_items]] * est["loadings"][endo_items]
    item_hat = est["mean"][endo_items] + est["sd"][endo_items] * item_hat
    return item_hat, scores[:, endo], predicted[:, endo]


def _topological(design):
    done = set(np.flatnonzero(design.adjacency.sum(0) == 0).tolist())
    order = []
    pending = list(design.endogenous)
    while pending:
        for j in pending:
            if set(design.predecessors[j].tolist()) <= done:
                order.append(j)
                done.add(j)
                pending.remove(j)
                break
    return order


def _predict_lm(design, data, train, test, technique, endo):
    """LM benchmark predictions of the endogenous items for the hold-out rows (see module docstring)."""
    exogenous = np.flatnonzero(design.adjacency.sum(0) == 0)
    out = []
    for j in endo:
        sources = design.predecessors[j] if technique == "DA" else exogenous
        cols = np.concatenate([design.blocks[s] for s in sources])
        A = np.column_stack([np.ones(int(train.sum())), data[train][:, cols]])
        coef, *_ = np.linalg.lstsq(A, data[train][:, design.blocks[j]], rcond=None)
        out.append(np.column_stack([np.ones(len(test)), data[test][:, cols]]) @ coef)
    return np.column_stack(out)
