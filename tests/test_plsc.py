"""Consistent PLS (PLSc): seminr oracle on mobi, recovery of a known factor model, conventions.

Oracle: seminr ``tests/testthat/test-consistent.R`` (fixtures ``tests/fixtures/V_3_6_0/rho1.csv``,
``path_coef1.csv``, ``loadings1.csv``, ``rsquaredplsc.csv``): four reflective constructs on mobi,
Image, Expectation, Value -> Satisfaction, ``inner_weights = path_factorial`` (the factorial
scheme), estimated by ``estimate_pls`` which applies ``PLSc`` to reflective constructs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import FitError, UsageError
from crmkit.models.pls import PLSPathModel

MOBI = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mobi.csv"

SIMPLE = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"CUEX{i}" for i in range(1, 4)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": [f"CUSA{i}" for i in range(1, 4)],
}
SIMPLE_PATHS = [("Image", "Satisfaction"), ("Expectation", "Satisfaction"), ("Value", "Satisfaction")]

# seminr fixtures (V_3_6_0), copied digit for digit.
SEMINR_RHO_A = {
    "Image": 0.745259028158099,
    "Expectation": 0.461548791591939,
    "Value": 0.857578544960532,
    "Satisfaction": 0.782558691647281,
}
SEMINR_PATHS = {"Image": 0.537704707482867, "Expectation": 0.240967661696417, "Value": 0.25827986805094}
SEMINR_LOADINGS = {
    "IMAG1": 0.681330024716575,
    "IMAG2": 0.521278271799338,
    "IMAG3": 0.410112763312163,
    "IMAG4": 0.680389608942476,
    "IMAG5": 0.638496321953613,
    "CUEX1": 0.494277870827744,
    "CUEX2": 0.487740006832332,
    "CUEX3": 0.426779732808667,
    "PERV1": 0.741892556089151,
    "PERV2": 0.943732643413645,
    "CUSA1": 0.719458946793877,
    "CUSA2": 0.687819429423528,
    "CUSA3": 0.794919272741098,
}
SEMINR_R2, SEMINR_ADJ_R2 = 0.885707115746682, 0.884313300085056


@pytest.fixture(scope="module")
def mobi():
    if not MOBI.is_file():
        pytest.skip(f"reference dataset {MOBI} not available")
    return pd.read_csv(MOBI)


@pytest.fixture(scope="module")
def plsc(mobi):
    return PLSPathModel(SIMPLE, SIMPLE_PATHS, scheme="factorial", consistent=True).fit(mobi)


def test_mobi_matches_seminr_plsc(plsc):
    for construct, value in SEMINR_RHO_A.items():
        assert plsc.rho_a_[construct] == pytest.approx(value, abs=1e-9)
    for row in plsc.path_coefficients_.itertuples(index=False):
        assert row.estimate == pytest.approx(SEMINR_PATHS[row[0]], abs=1e-9)
    for item, value in SEMINR_LOADINGS.items():
        construct = next(c for c, items in SIMPLE.items() if item in items)
        assert plsc.loadings_.loc[item, construct] == pytest.approx(value, abs=1e-9)
    assert plsc.r_squared_["Satisfaction"] == pytest.approx(SEMINR_R2, abs=1e-9)
    assert plsc.adjusted_r_squared_["Satisfaction"] == pytest.approx(SEMINR_ADJ_R2, abs=1e-9)


def test_plsc_keeps_weights_and_reliability(mobi, plsc):
    pls = PLSPathModel(SIMPLE, SIMPLE_PATHS, scheme="factorial").fit(mobi)
    pd.testing.assert_frame_equal(pls.weights_, plsc.weights_)
    pd.testing.assert_frame_equal(pls.scores_, plsc.scores_)
    pd.testing.assert_series_equal(pls.rho_a_, plsc.rho_a_)
    np.testing.assert_allclose(plsc.rho_a_.to_numpy(), plsc.reliability()["rho_a"].to_numpy(), atol=1e-12)
    # Disattenuated correlations are the PLS ones divided by sqrt(rho_A,i rho_A,j).
    rho = plsc.rho_a_.to_numpy()
    expected = pls.construct_correlations_.to_numpy() / np.sqrt(np.outer(rho, rho))
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(plsc.construct_correlations_.to_numpy(), expected, atol=1e-12)
    # Total effects follow the corrected paths.
    direct = plsc.total_effects_.set_index(["from", "to"])["direct"]
    for row in plsc.path_coefficients_.itertuples(index=False):
        assert direct[(row[0], row[1])] == pytest.approx(row.estimate)


def _factor_data(n, seed, beta=0.6, lam=(0.8, 0.7, 0.6)):
    rng = np.random.default_rng(seed)
    xi = rng.normal(size=n)
    eta = beta * xi + np.sqrt(1 - beta**2) * rng.normal(size=n)
    columns = {}
    for name, factor in (("x", xi), ("y", eta)):
        for k, loading in enumerate(lam, start=1):
            columns[f"{name}{k}"] = loading * factor + np.sqrt(1 - loading**2) * rng.normal(size=n)
    return pd.DataFrame(columns)


def test_plsc_recovers_a_common_factor_model_where_pls_attenuates():
    X = _factor_data(20_000, seed=3)
    spec = ({"X": ["x1", "x2", "x3"], "Y": ["y1", "y2", "y3"]}, [("X", "Y")])
    pls = PLSPathModel(*spec).fit(X)
    plsc = PLSPathModel(*spec, consistent=True).fit(X)
    assert pls.path_coefficients_["estimate"].iloc[0] < 0.55  # attenuated by measurement error
    assert plsc.path_coefficients_["estimate"].iloc[0] == pytest.approx(0.6, abs=0.02)
    for k, loading in enumerate((0.8, 0.7, 0.6), start=1):
        assert plsc.loadings_.loc[f"x{k}", "X"] == pytest.approx(loading, abs=0.02)
        assert plsc.loadings_.loc[f"y{k}", "Y"] == pytest.approx(loading, abs=0.02)
    # rho_A of a congeneric block is its true reliability (Dijkstra & Henseler 2015, eq. 11).
    lam = np.array([0.8, 0.7, 0.6])
    true_rel = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    assert plsc.rho_a_["X"] == pytest.approx(true_rel, abs=0.02)


def test_single_item_and_mode_b_constructs_are_not_corrected():
    X = _factor_data(500, seed=4)
    spec = {"X": ["x1", "x2", "x3"], "Y": ["y1"], "F": ["y2", "y3"]}
    paths = [("X", "Y"), ("F", "Y")]
    pls = PLSPathModel(spec, paths, modes={"F": "B"}).fit(X)
    plsc = PLSPathModel(spec, paths, modes={"F": "B"}, consistent=True).fit(X)
    assert plsc.rho_a_["Y"] == 1.0 and plsc.rho_a_["F"] == 1.0
    assert plsc.loadings_.loc["y1", "Y"] == pytest.approx(1.0)
    pd.testing.assert_series_equal(pls.loadings_["F"], plsc.loadings_["F"])
    corr = plsc.construct_correlations_
    assert corr.loc["F", "Y"] == pytest.approx(pls.construct_correlations_.loc["F", "Y"])
    assert corr.loc["X", "Y"] > pls.construct_correlations_.loc["X", "Y"]


def test_consistent_must_be_a_bool():
    X = _factor_data(100, seed=5)
    with pytest.raises(UsageError, match="consistent"):
        PLSPathModel({"X": ["x1", "x2"], "Y": ["y1"]}, [("X", "Y")], consistent="yes").fit(X)


def test_negative_rho_a_is_a_fit_error():
    rng = np.random.default_rng(6)
    n = 400
    a, b = rng.normal(size=n), rng.normal(size=n)
    # Two items that both follow y but correlate negatively with each other: no common factor.
    X = pd.DataFrame({"i1": a + 2 * b, "i2": a - 2 * b, "y": a})
    spec = ({"X": ["i1", "i2"], "Y": ["y"]}, [("X", "Y")])
    assert PLSPathModel(*spec).fit(X).rho_a_["X"] < 0
    model = PLSPathModel(*spec, consistent=True)
    with pytest.raises(FitError, match="rho_A"):
        model.fit(X)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(-5, 5), scale=st.floats(0.2, 5))
def test_plsc_is_invariant_to_affine_rescaling_of_items(seed, shift, scale):
    X = _factor_data(200, seed=seed)
    spec = ({"X": ["x1", "x2", "x3"], "Y": ["y1", "y2", "y3"]}, [("X", "Y")])
    a = PLSPathModel(*spec, consistent=True).fit(X)
    b = PLSPathModel(*spec, consistent=True).fit(X * scale + shift)
    np.testing.assert_allclose(a.path_coefficients_["estimate"], b.path_coefficients_["estimate"], atol=1e-6)
    np.testing.assert_allclose(a.rho_a_, b.rho_a_, atol=1e-6)
