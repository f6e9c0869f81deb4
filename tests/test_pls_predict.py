"""PLSpredict: brute-force oracle (refit per fold with the public estimator), exact cases,
leave-one-out determinism, errors, and the mobi speed budget.

seminr's ``predict_pls`` fixtures (``tests/fixtures/V_3_6_0/predict_pls_DA.csv`` / ``_EA``) use
the corp_rep data, which is not available here; the oracle below re-implements the procedure
of Shmueli et al. (2016, 2019) / seminr ``R/feature_plspredict.R`` one fold at a time on top of
:class:`PLSPathModel` and checks the batched implementation against it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import UsageError
from crmkit.models.pls import PLSPathModel, pls_predict

MOBI = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mobi.csv"

ECSI = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"CUEX{i}" for i in range(1, 4)],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": [f"CUSA{i}" for i in range(1, 4)],
    "Complaints": ["CUSCO"],
    "Loyalty": [f"CUSL{i}" for i in range(1, 4)],
}
ECSI_PATHS = [
    ("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"), ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty"),
]  # fmt: skip

CHAIN = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"], "C": ["c1", "c2", "c3"]}
CHAIN_PATHS = [("A", "B"), ("B", "C"), ("A", "C")]


def _chain_data(n=240, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.6 * a + 0.8 * rng.normal(size=n)
    c = 0.5 * b + 0.2 * a + 0.8 * rng.normal(size=n)
    cols = {}
    for name, f, k in (("a", a, 3), ("b", b, 2), ("c", c, 3)):
        for i in range(1, k + 1):
            cols[f"{name}{i}"] = 3 + 0.8 * f + 0.6 * rng.normal(size=n)
    return pd.DataFrame(cols)


def _brute_force(constructs, paths, X, folds, seed, technique, consistent=False):
    """One fold at a time: fit on the training rows, predict the hold-out rows (seminr's recipe)."""
    n = len(X)
    tests = np.array_split(np.random.default_rng(seed).permutation(n), folds)
    endo = list(dict.fromkeys(to for _, to in paths))
    endo = [c for c in constructs if c in endo]
    exo = [c for c in constructs if c not in endo]
    items = [i for c in endo for i in constructs[c]]
    pls_hat = pd.DataFrame(np.nan, index=X.index, columns=items)
    lm_hat, mean_hat = pls_hat.copy(), pls_hat.copy()
    for test in tests:
        train = X.drop(index=X.index[test])
        m = PLSPathModel(constructs, paths, consistent=consistent).fit(train)
        Z = (X.iloc[test][m.item_sds_.index] - m.item_means_) / m.item_sds_
        scores = Z @ m.weights_
        B = pd.DataFrame(0.0, index=list(constructs), columns=list(constructs))
        for row in m.path_coefficients_.itertuples(index=False):
            B.loc[row[0], row[1]] = row.estimate
        if technique == "DA":
            predicted = scores @ B
        else:
            predicted = scores.copy()
            predicted[endo] = 0.0
            for c in endo:  # specification order is topological for these models
                predicted[c] = predicted @ B[c]
        for c in endo:
            preds = [a for a, b in paths if b == c] if technique == "DA" else exo
            cols = [i for p in preds for i in constructs[p]]
            A = np.column_stack([np.ones(len(train)), train[cols]])
            coef, *_ = np.linalg.lstsq(A, train[constructs[c]].to_numpy(), rcond=None)
            lm = np.column_stack([np.ones(len(test)), X.iloc[test][cols]]) @ coef
            for k, item in enumerate(constructs[c]):
                z = predicted[c] * m.loadings_.loc[item, c]
                pls_hat.iloc[test, pls_hat.columns.get_loc(item)] = m.item_means_[item] + m.item_sds_[item] * z
                lm_hat.iloc[test, lm_hat.columns.get_loc(item)] = lm[:, k]
                mean_hat.iloc[test, mean_hat.columns.get_loc(item)] = train[item].mean()
    y = X[items]
    return pd.DataFrame(
        {
            "item": items,
            "pls_rmse": np.sqrt(((y - pls_hat) ** 2).mean()).to_numpy(),
            "pls_mae": (y - pls_hat).abs().mean().to_numpy(),
            "lm_rmse": np.sqrt(((y - lm_hat) ** 2).mean()).to_numpy(),
            "lm_mae": (y - lm_hat).abs().mean().to_numpy(),
            "q2_predict": (1 - ((y - pls_hat) ** 2).sum() / ((y - mean_hat) ** 2).sum()).to_numpy(),
        }
    )


@pytest.mark.parametrize("technique", ["DA", "EA"])
@pytest.mark.parametrize("consistent", [False, True])
def test_matches_brute_force_fold_by_fold(technique, consistent):
    X = _chain_data()
    model = PLSPathModel(CHAIN, CHAIN_PATHS, consistent=consistent)
    result = pls_predict(model, X, folds=6, seed=11, technique=technique)
    expected = _brute_force(CHAIN, CHAIN_PATHS, X, 6, 11, technique, consistent)
    assert result.items["item"].tolist() == expected["item"].tolist()
    for column in ("pls_rmse", "pls_mae", "lm_rmse", "lm_mae", "q2_predict"):
        np.testing.assert_allclose(result.items[column], expected[column], rtol=1e-6, err_msg=column)
    assert result.items["construct"].tolist() == ["B", "B", "C", "C", "C"]
    assert result.constructs["construct"].tolist() == ["B", "C"]


def test_single_item_constructs_pls_equals_the_linear_model():
    # With one item per construct, the PLS prediction is the OLS regression of b on a: it
    # coincides with the LM benchmark.
    X = _chain_data()[["a1", "b1"]]
    result = pls_predict(PLSPathModel({"A": ["a1"], "B": ["b1"]}, [("A", "B")]), X, folds=5)
    row = result.items.iloc[0]
    assert row.pls_rmse == pytest.approx(row.lm_rmse, rel=1e-10)
    assert row.pls_mae == pytest.approx(row.lm_mae, rel=1e-10)
    assert 0 < row.q2_predict < 1


def test_leave_one_out_is_deterministic():
    X = _chain_data(n=60)
    model = PLSPathModel(CHAIN, CHAIN_PATHS)
    loo = pls_predict(model, X, folds=None)
    assert loo.folds == 60 and loo.repetitions == 1
    shuffled = pls_predict(model, X, folds=60, seed=5)
    pd.testing.assert_frame_equal(loo.items, shuffled.items)
    pd.testing.assert_frame_equal(loo.items, pls_predict(model, X, folds=0, repetitions=3).items)


def test_repetitions_average_predictions_and_are_seeded():
    X = _chain_data()
    model = PLSPathModel(CHAIN, CHAIN_PATHS)
    one = [pls_predict(model, X, folds=5, seed=s).predictions for s in (0, 1)]
    a = pls_predict(model, X, folds=5, repetitions=2, seed=3)
    b = pls_predict(model, X, folds=5, repetitions=2, seed=3)
    pd.testing.assert_frame_equal(a.items, b.items)
    assert a.predictions.shape == (len(X), 5)
    assert not np.allclose(one[0], one[1])  # folds differ by seed
    assert (a.items["q2_predict"] > 0).all()
    assert (a.constructs["q2_predict"] > 0).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"technique": "XX"}, "technique"),
        ({"folds": 1}, "folds"),
        ({"folds": 10_000}, "folds"),
        ({"repetitions": 0}, "repetitions"),
    ],
)
def test_bad_settings(kwargs, match):
    with pytest.raises(UsageError, match=match):
        pls_predict(PLSPathModel(CHAIN, CHAIN_PATHS), _chain_data(n=50), **kwargs)


def test_mobi_plsc_and_predict_under_one_second():
    if not MOBI.is_file():
        pytest.skip(f"reference dataset {MOBI} not available")
    mobi = pd.read_csv(MOBI)
    start = time.perf_counter()
    model = PLSPathModel(ECSI, ECSI_PATHS, consistent=True).fit(mobi)
    result = pls_predict(model, mobi, folds=10, seed=0)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert len(result.items) == sum(len(ECSI[c]) for c in ECSI if c != "Image")
    assert result.items[["pls_rmse", "lm_rmse"]].notna().all().all()
