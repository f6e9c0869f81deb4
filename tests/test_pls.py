"""PLS path modeling: the mobi/ECSI oracle, hand-computed cases, invariants, errors, bootstrap.

Reference numbers:

* path scheme, Mode A: ``../shared/datasets/README.md`` (seminr), to 1e-3 as published;
* centroid and factorial schemes, Mode A: SmartPLS 2.0.M3 output on mobi shipped with the
  semPLS R package's regression tests (``tests/SmartPLS/results/ecsi/*/pathCoefficients.txt``,
  abort criterion 1e-7, initial weights 1);
* Mode B and the quality criteria: cross-checked against seminr 0.2.1, the Python port of
  seminr on PyPI (run by hand, see benchmarks/bench_pls.py); not a published table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ColumnError, ConfigError, DataError, FitError, UsageError
from crmkit.models.pls import (
    PLSPathModel,
    check_specification,
    construct_index,
    pls_path_model,
)
from crmkit.satisfaction import load_model

MOBI = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mobi.csv"

# The ECSI preset is the one specification of the model (crmkit/survey_models/ecsi.toml).
_ECSI = load_model("ecsi")
ECSI_CONSTRUCTS = _ECSI.constructs
ECSI_PATHS = _ECSI.paths

# ../shared/datasets/README.md, "mobi.csv" (seminr; Mode A, path weighting).
PUBLISHED_PATHS = {
    ("Image", "Expectation"): 0.5049,
    ("Image", "Satisfaction"): 0.1787,
    ("Image", "Loyalty"): 0.1958,
    ("Expectation", "Quality"): 0.5567,
    ("Expectation", "Value"): 0.0500,
    ("Expectation", "Satisfaction"): 0.0625,
    ("Quality", "Value"): 0.5583,
    ("Quality", "Satisfaction"): 0.5120,
    ("Value", "Satisfaction"): 0.1948,
    ("Satisfaction", "Complaints"): 0.5281,
    ("Satisfaction", "Loyalty"): 0.4855,
    ("Complaints", "Loyalty"): 0.0669,
}
PUBLISHED_R2 = {
    "Expectation": 0.2549,
    "Quality": 0.3100,
    "Value": 0.3453,
    "Satisfaction": 0.6811,
    "Complaints": 0.2789,
    "Loyalty": 0.4569,
}
PUBLISHED_SATISFACTION_WEIGHTS = {"CUSA1": 0.3649, "CUSA2": 0.3832, "CUSA3": 0.4510}

# SmartPLS 2.0.M3 (semPLS regression tests), same model and data.
SMARTPLS_CENTROID = {
    ("Image", "Expectation"): 0.50470564,
    ("Image", "Satisfaction"): 0.17883348,
    ("Image", "Loyalty"): 0.19535971,
    ("Expectation", "Quality"): 0.55724786,
    ("Expectation", "Value"): 0.05078755,
    ("Expectation", "Satisfaction"): 0.06442534,
    ("Quality", "Value"): 0.55721686,
    ("Quality", "Satisfaction"): 0.51254524,
    ("Value", "Satisfaction"): 0.19181566,
    ("Satisfaction", "Complaints"): 0.52609731,
    ("Satisfaction", "Loyalty"): 0.48347472,
    ("Complaints", "Loyalty"): 0.07123241,
}
SMARTPLS_CENTROID_SATISFACTION_WEIGHTS = {"CUSA1": 0.37718684, "CUSA2": 0.38156707, "CUSA3": 0.44105872}
SMARTPLS_FACTORIAL = {
    ("Image", "Expectation"): 0.50494314,
    ("Image", "Satisfaction"): 0.17859267,
    ("Image", "Loyalty"): 0.19581962,
    ("Expectation", "Quality"): 0.55675903,
    ("Expectation", "Value"): 0.05017810,
    ("Expectation", "Satisfaction"): 0.06494365,
    ("Quality", "Value"): 0.55776245,
    ("Quality", "Satisfaction"): 0.51297470,
    ("Value", "Satisfaction"): 0.19144526,
    ("Satisfaction", "Complaints"): 0.52585655,
    ("Satisfaction", "Loyalty"): 0.48305917,
    ("Complaints", "Loyalty"): 0.07031057,
}
# seminr 0.2.1 (Python port): Image in Mode B, the rest Mode A, path weighting.
SEMINR_IMAGE_MODE_B = {
    ("Image", "Expectation"): 0.504839,
    ("Image", "Satisfaction"): 0.183927,
    ("Image", "Loyalty"): 0.209518,
    ("Expectation", "Quality"): 0.556754,
    ("Expectation", "Value"): 0.049990,
    ("Expectation", "Satisfaction"): 0.062112,
    ("Quality", "Value"): 0.558302,
    ("Quality", "Satisfaction"): 0.506530,
    ("Value", "Satisfaction"): 0.197350,
    ("Satisfaction", "Complaints"): 0.528045,
    ("Satisfaction", "Loyalty"): 0.476524,
    ("Complaints", "Loyalty"): 0.065006,
}
SEMINR_IMAGE_MODE_B_WEIGHTS = {
    "IMAG1": 0.241841,
    "IMAG2": 0.282034,
    "IMAG3": 0.135895,
    "IMAG4": 0.370155,
    "IMAG5": 0.380692,
}
# seminr 0.2.1: rho_A, rho_C, AVE, alpha (Mode A, path weighting).
SEMINR_RELIABILITY = {
    "Image": (0.7228, 0.7403, 0.8189, 0.4784),
    "Expectation": (0.4519, 0.4621, 0.7332, 0.4804),
    "Quality": (0.8770, 0.8842, 0.9047, 0.5767),
    "Value": (0.8236, 0.8550, 0.9180, 0.8484),
    "Satisfaction": (0.7792, 0.7891, 0.8713, 0.6931),
    "Complaints": (1.0, 1.0, 1.0, 1.0),
    "Loyalty": (0.4724, 0.7457, 0.7217, 0.5173),
}
SEMINR_HTMT = {
    ("Image", "Expectation"): 0.8880,
    ("Quality", "Satisfaction"): 0.9536,
    ("Satisfaction", "Loyalty"): 0.9566,
    ("Complaints", "Loyalty"): 0.5613,
}
# ACSI-style indices on the 1-10 scale (README formula); see test_mobi_indices_readme_formula.
MOBI_INDICES = {
    "Image": 73.53,
    "Expectation": 72.47,
    "Quality": 74.98,
    "Value": 62.35,
    "Satisfaction": 72.45,
    "Complaints": 67.42,
    "Loyalty": 70.91,
}


@pytest.fixture(scope="module")
def mobi():
    if not MOBI.is_file():
        pytest.skip(f"reference dataset {MOBI} not available")
    return pd.read_csv(MOBI)


@pytest.fixture(scope="module")
def ecsi(mobi):
    return PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).fit(mobi)


def _paths(model):
    return {(a, b): e for a, b, e in model.path_coefficients_.itertuples(index=False)}


# --------------------------------------------------------------------------------------
# Oracle: mobi / ECSI
# --------------------------------------------------------------------------------------


def test_mobi_matches_published_seminr_estimates(ecsi):
    paths = _paths(ecsi)
    assert set(paths) == set(PUBLISHED_PATHS)
    for path, published in PUBLISHED_PATHS.items():
        assert paths[path] == pytest.approx(published, abs=1e-3), path
    for construct, published in PUBLISHED_R2.items():
        assert ecsi.r_squared_[construct] == pytest.approx(published, abs=1e-3), construct
    for item, published in PUBLISHED_SATISFACTION_WEIGHTS.items():
        assert ecsi.weights_.loc[item, "Satisfaction"] == pytest.approx(published, abs=1e-3), item
    assert ecsi.converged_ and 1 <= ecsi.n_iter_ < 300


def test_mobi_fitted_quantities_are_consistent(mobi, ecsi):
    scores = ecsi.scores_
    assert scores.index.equals(mobi.index)
    assert np.allclose(scores.mean(), 0, atol=1e-12)
    assert np.allclose(scores.std(ddof=1), 1)
    # loadings are item-score correlations; weights reproduce the scores from standardized items
    Z = (mobi[ecsi.weights_.index] - ecsi.item_means_) / ecsi.item_sds_
    assert np.allclose(Z.to_numpy() @ ecsi.weights_.to_numpy(), scores.to_numpy())
    for construct, items in ECSI_CONSTRUCTS.items():
        for item in items:
            r = np.corrcoef(mobi[item], scores[construct])[0, 1]
            assert ecsi.loadings_.loc[item, construct] == pytest.approx(r, abs=1e-10)
    assert ecsi.loadings_.loc["CUSCO", "Complaints"] == pytest.approx(1.0)
    assert ecsi.weights_.loc["CUSCO", "Complaints"] == pytest.approx(1.0)
    assert ecsi.dominant_items_["Complaints"] == "CUSCO"
    # adjusted R², Satisfaction has 4 predecessors
    n, r2 = 250, ecsi.r_squared_["Satisfaction"]
    assert ecsi.adjusted_r_squared_["Satisfaction"] == pytest.approx(1 - (1 - r2) * (n - 1) / (n - 5))
    # total effects: B + B² + ... = (I - B)^-1 - I
    names = list(ECSI_CONSTRUCTS)
    B = np.zeros((7, 7))
    for (a, b), e in _paths(ecsi).items():
        B[names.index(a), names.index(b)] = e
    T = np.linalg.inv(np.eye(7) - B) - np.eye(7)
    effects = ecsi.total_effects_
    assert len(effects) == np.count_nonzero(np.abs(T) > 0)
    for a, b, direct, indirect, total in effects.itertuples(index=False):
        assert total == pytest.approx(T[names.index(a), names.index(b)])
        assert direct + indirect == pytest.approx(total)
        assert direct == pytest.approx(B[names.index(a), names.index(b)])
    assert effects.set_index(["from", "to"]).loc[("Image", "Quality"), "direct"] == 0.0


def test_mobi_quality_criteria(ecsi):
    table = ecsi.reliability()
    for construct, (alpha, rho_a, rho_c, ave) in SEMINR_RELIABILITY.items():
        row = table.loc[construct]
        assert row["alpha"] == pytest.approx(alpha, abs=1e-3), construct
        assert row["rho_a"] == pytest.approx(rho_a, abs=1e-3), construct
        assert row["rho_c"] == pytest.approx(rho_c, abs=1e-3), construct
        assert row["ave"] == pytest.approx(ave, abs=1e-3), construct
    htmt = ecsi.htmt()
    assert np.allclose(htmt.to_numpy(), htmt.to_numpy().T, equal_nan=True)
    assert np.isnan(np.diag(htmt.to_numpy())).all()
    for (a, b), value in SEMINR_HTMT.items():
        assert htmt.loc[a, b] == pytest.approx(value, abs=1e-3)
    fl = ecsi.fornell_larcker()
    assert np.allclose(np.diag(fl.to_numpy()), np.sqrt(table["ave"].to_numpy()))
    assert fl.loc["Image", "Loyalty"] == pytest.approx(ecsi.construct_correlations_.loc["Image", "Loyalty"])


def test_mobi_indices_readme_formula(mobi, ecsi):
    """index = 100 · Σ wᵢ (x̄ᵢ − 1) / 9, wᵢ = standardized weight / item SD, normalized to sum 1."""
    result = ecsi.index(mobi, scale=(1, 10))
    assert not result.has_negative_weights
    for construct, items in ECSI_CONSTRUCTS.items():
        w = np.array([ecsi.weights_.loc[i, construct] / mobi[i].std(ddof=1) for i in items])
        w = w / w.sum()
        expected = 100 * np.sum(w * (mobi[items].mean().to_numpy() - 1) / 9)
        assert result.constructs[construct] == pytest.approx(expected, rel=1e-12)
        assert result.constructs[construct] == pytest.approx(MOBI_INDICES[construct], abs=0.01)
        per_respondent = result.respondents[construct]
        assert per_respondent.mean() == pytest.approx(expected)
        assert per_respondent.between(0, 100).all()
    assert result.weights.groupby("construct")["weight"].sum().to_numpy() == pytest.approx(np.ones(7))
    with pytest.raises(UsageError, match="scale must be"):
        ecsi.index(mobi, scale=(1,))
    with pytest.raises(DataError, match="outside the scale 1-5"):  # a 1-10 survey read as 1-5
        ecsi.index(mobi, scale=(1, 5))


def test_centroid_and_factorial_match_smartpls(mobi):
    for scheme, reference in (("centroid", SMARTPLS_CENTROID), ("factorial", SMARTPLS_FACTORIAL)):
        model = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS, scheme=scheme).fit(mobi)
        assert model.converged_
        paths = _paths(model)
        for path, value in reference.items():
            assert paths[path] == pytest.approx(value, abs=1e-5), (scheme, path)
        if scheme == "centroid":
            for item, value in SMARTPLS_CENTROID_SATISFACTION_WEIGHTS.items():
                assert model.weights_.loc[item, "Satisfaction"] == pytest.approx(value, abs=1e-5)


def test_mode_b_matches_seminr_port(mobi):
    model = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS, modes={"Image": "B"}).fit(mobi)
    paths = _paths(model)
    for path, value in SEMINR_IMAGE_MODE_B.items():
        assert paths[path] == pytest.approx(value, abs=1e-5), path
    for item, value in SEMINR_IMAGE_MODE_B_WEIGHTS.items():
        assert model.weights_.loc[item, "Image"] == pytest.approx(value, abs=1e-5), item
    # Mode B weights are regression weights: Image score = best linear predictor of its proxy,
    # so its items' weights differ from Mode A's correlation weights.
    mode_a = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).fit(mobi)
    assert not np.allclose(model.weights_["Image"], mode_a.weights_["Image"], atol=1e-3)
    # every scheme x mode combination runs and gives plausible numbers
    for scheme in ("path", "centroid", "factorial"):
        m = PLSPathModel(
            ECSI_CONSTRUCTS, ECSI_PATHS, scheme=scheme, modes={"Image": "b", "Value": "B", "Quality": "B"}
        ).fit(mobi)
        assert m.converged_
        assert (m.r_squared_.between(0.2, 0.75)).all()
        assert np.allclose(m.scores_.std(ddof=1), 1)


# --------------------------------------------------------------------------------------
# Hand-computed cases
# --------------------------------------------------------------------------------------


def _correlated(n, seed, columns):
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    return pd.DataFrame({c: common * (0.5 + 0.3 * k) + rng.normal(size=n) for k, c in enumerate(columns)})


def test_single_item_constructs_path_is_correlation():
    X = _correlated(40, 1, ["a", "b"])
    model = pls_path_model(X, {"A": ["a"], "B": ["b"]}, [("A", "B")])
    r = np.corrcoef(X["a"], X["b"])[0, 1]
    assert model.path_coefficients_["estimate"].iloc[0] == pytest.approx(r)
    assert model.r_squared_["B"] == pytest.approx(r**2)
    assert model.adjusted_r_squared_["B"] == pytest.approx(1 - (1 - r**2) * 39 / 38)
    assert model.weights_.loc["a", "A"] == pytest.approx(1.0)
    assert model.reliability().to_numpy() == pytest.approx(np.ones((2, 4)))
    assert model.htmt().loc["A", "B"] == pytest.approx(abs(r))
    assert model.total_effects_["indirect"].tolist() == [0.0]


def test_two_predecessors_standardized_ols():
    X = _correlated(60, 2, ["a", "b", "c"])
    model = PLSPathModel({"A": ["a"], "B": ["b"], "C": ["c"]}, [("A", "C"), ("B", "C")]).fit(X)
    R = X.corr().to_numpy()
    rab, rac, rbc = R[0, 1], R[0, 2], R[1, 2]
    paths = _paths(model)
    assert paths[("A", "C")] == pytest.approx((rac - rab * rbc) / (1 - rab**2))
    assert paths[("B", "C")] == pytest.approx((rbc - rab * rac) / (1 - rab**2))


def test_two_item_block_mode_a_and_mode_b_closed_forms():
    X = _correlated(80, 3, ["a1", "a2", "b"])
    R = X.corr().to_numpy()
    Raa, r = R[:2, :2], R[:2, 2]
    # Mode A: weights ∝ item-proxy correlations (the proxy is ±b), scaled to unit variance,
    # so the path is c'c / sqrt(c'Rc) with c = cor(items, b).
    mode_a = PLSPathModel({"A": ["a1", "a2"], "B": ["b"]}, [("A", "B")]).fit(X)
    w = r / np.sqrt(r @ Raa @ r)
    assert mode_a.weights_.loc[["a1", "a2"], "A"].to_numpy() == pytest.approx(w)
    assert mode_a.path_coefficients_["estimate"].iloc[0] == pytest.approx(r @ r / np.sqrt(r @ Raa @ r))
    # Mode B: the composite is the OLS prediction of b, so the path is the multiple correlation.
    mode_b = PLSPathModel({"A": ["a1", "a2"], "B": ["b"]}, [("A", "B")], modes={"A": "B"}).fit(X)
    assert mode_b.path_coefficients_["estimate"].iloc[0] == pytest.approx(np.sqrt(r @ np.linalg.solve(Raa, r)))
    assert mode_b.n_iter_ <= 3


def test_index_equal_weights_is_rescaled_mean():
    X = pd.DataFrame({"q1": [1, 4, 5, 7], "q2": [2, 3, 6, 7], "q3": [1, 1, 7, 5]})
    weights = pd.Series({"q1": 0.4, "q2": 0.4, "q3": 0.4}, name="Satisfaction")
    result = construct_index(X, weights, {"q1": 1.7, "q2": 1.7, "q3": 1.7}, 1, 7)
    mean = X.to_numpy().mean()
    assert result.constructs["Satisfaction"] == pytest.approx(100 * (mean - 1) / 6)
    assert result.respondents["Satisfaction"].tolist() == pytest.approx((100 * (X.mean(axis=1) - 1) / 6).tolist())
    assert result.weights["weight"].tolist() == pytest.approx([1 / 3] * 3)


def test_index_known_weights_by_hand():
    # sd a = 1, b = 2 -> unstandardized 0.6, 0.2 -> normalized 0.75, 0.25; means 3 and 8.
    X = pd.DataFrame({"a": [2, 4], "b": [6, 10]})
    weights = pd.DataFrame({"Value": [0.6, 0.4]}, index=["a", "b"])
    result = construct_index(X, weights, pd.Series({"a": 1.0, "b": 2.0}), 1, 10)
    assert result.weights["weight"].tolist() == pytest.approx([0.75, 0.25])
    assert result.constructs["Value"] == pytest.approx(100 * (0.75 * 2 + 0.25 * 7) / 9)  # 36.11
    assert result.respondents["Value"].tolist() == pytest.approx([100 * 2 / 9, 50.0])
    assert not result.has_negative_weights


def test_index_negative_weight_is_flagged_and_kept():
    X = pd.DataFrame({"a": [1, 10, 5], "b": [10, 1, 5]})
    weights = pd.Series({"a": 0.9, "b": -0.2}, name="Quality")
    result = construct_index(X, weights, {"a": 1.0, "b": 1.0}, 1, 10)
    assert result.has_negative_weights
    assert result.negative_weights["item"].tolist() == ["b"]
    # computed with the negative weight included: w = (0.9, -0.2) / 0.7
    w = np.array([0.9, -0.2]) / 0.7
    assert result.respondents["Quality"].iloc[0] == pytest.approx(100 * (w @ [0, 1]))  # < 0
    assert result.respondents["Quality"].iloc[0] < 0
    # weights summing to <= 0 cannot be normalized: NaN and flagged
    bad = construct_index(X, pd.Series({"a": 0.1, "b": -0.2}, name="Q"), {"a": 1.0, "b": 1.0}, 1, 10)
    assert np.isnan(bad.constructs["Q"]) and bad.has_negative_weights


def test_index_rejects_answers_outside_the_scale():
    X = pd.DataFrame({"a": [1, 11]})
    with pytest.raises(DataError) as err:
        construct_index(X, pd.Series({"a": 1.0}, name="A"), {"a": 1.0}, 1, 10)
    assert err.value.column == "a" and "outside the scale" in str(err.value)
    with pytest.raises(UsageError):
        construct_index(X, pd.Series({"a": 1.0}, name="A"), {"a": 1.0}, 10, 1)


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    answers=st.lists(st.lists(st.integers(1, 7), min_size=3, max_size=3), min_size=1, max_size=25),
    std_weights=st.lists(st.floats(0.01, 5), min_size=3, max_size=3),
    sds=st.lists(st.floats(0.1, 4), min_size=3, max_size=3),
)
def test_index_within_0_100_for_positive_weights(answers, std_weights, sds):
    X = pd.DataFrame(answers, columns=["x", "y", "z"])
    weights = pd.Series(std_weights, index=["x", "y", "z"], name="C")
    result = construct_index(X, weights, dict(zip("xyz", sds)), 1, 7)
    assert 0 <= result.constructs["C"] <= 100 + 1e-9
    assert result.respondents["C"].between(-1e-9, 100 + 1e-9).all()
    assert result.respondents["C"].mean() == pytest.approx(result.constructs["C"])


@settings(max_examples=15, deadline=None)
@given(
    item=st.sampled_from([i for items in ECSI_CONSTRUCTS.values() for i in items]),
    shift=st.floats(-50, 50),
    stretch=st.floats(0.1, 10),
)
def test_paths_invariant_to_affine_item_rescaling(mobi, ecsi, item, shift, stretch):
    X = mobi.copy()
    X[item] = X[item] * stretch + shift
    model = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).fit(X)
    assert model.path_coefficients_["estimate"].to_numpy() == pytest.approx(
        ecsi.path_coefficients_["estimate"].to_numpy(), abs=1e-9
    )
    assert model.weights_.to_numpy() == pytest.approx(ecsi.weights_.to_numpy(), abs=1e-9)


# Every item, not a sample: seven of the 24 are dominant indicators, and both branches matter.
@pytest.mark.parametrize("item", [i for items in ECSI_CONSTRUCTS.values() for i in items])
def test_reverse_coding_an_item_under_the_sign_convention(mobi, ecsi, item):
    """Reverse-coding an item (x -> 11 - x) negates its correlations. Invariant that holds:

    * if the item is not its construct's dominant indicator, the construct keeps its sign:
      scores and every path are unchanged, and only that item's weight and loading flip;
    * if it is the dominant indicator, the convention turns the whole construct around: its
      other items' weights and loadings flip, the reversed item's stay, and every path into or
      out of the construct flips sign. |paths| and R² never change.
    """
    X = mobi.copy()
    X[item] = 11 - X[item]
    model = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).fit(X)
    construct = next(c for c, items in ECSI_CONSTRUCTS.items() if item in items)
    assert model.dominant_items_.equals(ecsi.dominant_items_)
    turned = ecsi.dominant_items_[construct] == item
    sign = -1.0 if turned else 1.0
    expected_w = ecsi.weights_.copy()
    expected_l = ecsi.loadings_.copy()
    expected_w[construct] *= sign
    expected_l[construct] *= sign
    expected_w.loc[item, construct] *= -1
    expected_l.loc[item, construct] *= -1
    assert model.weights_.to_numpy() == pytest.approx(expected_w.to_numpy(), abs=1e-7)
    assert model.loadings_.to_numpy() == pytest.approx(expected_l.to_numpy(), abs=1e-7)
    for (a, b), value in _paths(ecsi).items():
        flip = sign if construct in (a, b) else 1.0
        assert _paths(model)[(a, b)] == pytest.approx(flip * value, abs=1e-7)
    assert model.r_squared_.to_numpy() == pytest.approx(ecsi.r_squared_.to_numpy(), abs=1e-9)


# --------------------------------------------------------------------------------------
# Specification and data errors
# --------------------------------------------------------------------------------------


def test_specification_errors_name_the_culprit():
    ok = {"A": ["a"], "B": ["b"], "C": ["c"]}
    with pytest.raises(ConfigError, match=r"cycle: (A -> B -> C -> A|B -> C -> A -> B|C -> A -> B -> C)"):
        check_specification(ok, [("A", "B"), ("B", "C"), ("C", "A")])
    with pytest.raises(ConfigError, match="unknown construct 'D'"):
        check_specification(ok, [("A", "B"), ("B", "D")])
    with pytest.raises(ConfigError, match="construct 'B' has no items"):
        check_specification({"A": ["a"], "B": []}, [("A", "B")])
    with pytest.raises(ConfigError, match="item 'a' is listed in both constructs 'A' and 'B'"):
        check_specification({"A": ["a"], "B": ["a", "b"]}, [("A", "B")])
    with pytest.raises(ConfigError, match="item 'a' is listed twice in construct 'A'"):
        check_specification({"A": ["a", "a"], "B": ["b"]}, [("A", "B")])
    with pytest.raises(ConfigError, match="self-loop"):
        check_specification(ok, [("A", "A")])
    with pytest.raises(ConfigError, match="listed twice"):
        check_specification(ok, [("A", "B"), ("A", "B"), ("B", "C")])
    with pytest.raises(ConfigError, match="construct 'C' is in no path"):
        check_specification(ok, [("A", "B")])
    with pytest.raises(ConfigError, match="mode must be 'A'"):
        check_specification(ok, [("A", "B"), ("B", "C")], modes={"A": "C"})
    with pytest.raises(ConfigError, match="unknown construct 'Z'"):
        check_specification(ok, [("A", "B"), ("B", "C")], modes={"Z": "B"})
    with pytest.raises(ConfigError, match="no paths"):
        check_specification(ok, [])
    spec = check_specification({"A": "a", "B": ["b"]}, [("A", "B")], modes={"A": "b"})
    assert spec.constructs["A"] == ("a",) and spec.modes == {"A": "B", "B": "A"}
    # fit validates too (the constructor only stores settings)
    model = PLSPathModel({"A": ["a"], "B": ["b"]}, [("A", "B"), ("B", "A")], scheme="nope")
    assert model.scheme == "nope"
    with pytest.raises(ConfigError, match="cycle"):
        model.fit(pd.DataFrame({"a": [1, 2, 3], "b": [2, 1, 3], "c": [3, 1, 2]}))


def test_data_errors_name_the_column():
    X = _correlated(20, 4, ["a", "b"])
    spec = ({"A": ["a"], "B": ["b"]}, [("A", "B")])
    constant = X.assign(b=3.0)
    with pytest.raises(DataError, match="zero variance") as err:
        PLSPathModel(*spec).fit(constant)
    assert err.value.column == "b"
    missing = X.copy()
    missing.loc[5, "a"] = np.nan
    with pytest.raises(DataError, match="missing") as err:
        PLSPathModel(*spec).fit(missing)
    assert err.value.column == "a"
    with pytest.raises(ColumnError) as err:
        PLSPathModel(*spec).fit(X.drop(columns="b"))
    assert err.value.column == "b"
    with pytest.raises(DataError) as err:
        PLSPathModel(*spec).fit(X.assign(a="x"))
    assert err.value.column == "a"
    with pytest.raises(UsageError, match="scheme"):
        PLSPathModel(*spec, scheme="nope").fit(X)
    with pytest.raises(UsageError, match="not fitted"):
        PLSPathModel(*spec).reliability()


def test_non_convergence_raises_fit_error(mobi):
    with pytest.raises(FitError, match="did not converge in 2 iterations"):
        PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS, max_iter=2).fit(mobi)


# --------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------


def test_bootstrap_reproducible_and_covers_the_estimates(mobi):
    model = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS)
    first = model.bootstrap(mobi, n=1000, seed=0, scale=(1, 10))
    again = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).bootstrap(mobi, n=1000, seed=0, scale=(1, 10))
    other = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).bootstrap(mobi, n=1000, seed=1, scale=(1, 10))
    pd.testing.assert_frame_equal(first.paths, again.paths)
    pd.testing.assert_frame_equal(first.indices, again.indices)
    assert not np.allclose(first.paths["lower"], other.paths["lower"])
    assert first.n_failed == 0 and first.n_resamples == 1000
    for table in (first.paths, first.weights, first.loadings, first.total_effects, first.indices):
        assert (table["lower"] <= table["estimate"]).all() and (table["estimate"] <= table["upper"]).all()
    assert first.paths["estimate"].tolist() == pytest.approx(model.path_coefficients_["estimate"].tolist())
    # a negligible path (0.05) has an interval across 0, a strong one (0.50) does not
    table = first.paths.set_index(["from", "to"])
    assert table.loc[("Expectation", "Value"), "lower"] < 0 < table.loc[("Expectation", "Value"), "upper"]
    assert table.loc[("Image", "Expectation"), "lower"] > 0.3
    assert first.indices.set_index("construct").loc["Satisfaction", "std_error"] < 2
    narrow = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).bootstrap(mobi, n=200, seed=0, level=0.5)
    wide = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).bootstrap(mobi, n=200, seed=0, level=0.95)
    assert ((narrow.paths["upper"] - narrow.paths["lower"]) < (wide.paths["upper"] - wide.paths["lower"])).all()


def test_bootstrap_equals_refitting_each_resample(mobi):
    """The vectorised resampling equals fitting each resample from scratch (same draws)."""
    n_boot, seed = 6, 11
    boot = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).bootstrap(mobi, n=n_boot, seed=seed, scale=(1, 10))
    draws = np.random.default_rng(seed).integers(0, len(mobi), size=(n_boot, len(mobi)))
    for b in range(n_boot):
        sample = mobi.iloc[draws[b]].reset_index(drop=True)
        refit = PLSPathModel(ECSI_CONSTRUCTS, ECSI_PATHS).fit(sample)
        assert boot.samples["paths"][b] == pytest.approx(refit.path_coefficients_["estimate"].to_numpy(), abs=1e-6)
        assert boot.samples["indices"][b] == pytest.approx(
            refit.index(sample, scale=(1, 10)).constructs.to_numpy(), abs=1e-5
        )


def test_bootstrap_leaves_out_degenerate_resamples():
    rng = np.random.default_rng(5)
    X = _correlated(30, 6, ["a1", "a2", "b"])
    X["rare"] = 0.0
    X.loc[0, "rare"] = 1.0  # constant in every resample that misses respondent 0
    X["a2"] = X["a2"] + 0.1 * rng.normal(size=30)
    model = PLSPathModel({"A": ["a1", "a2", "rare"], "B": ["b"]}, [("A", "B")])
    boot = model.bootstrap(X, n=200, seed=3)
    assert 0 < boot.n_failed < 200
    assert boot.samples["paths"].shape == (200 - boot.n_failed, 1)
    assert np.isfinite(boot.paths[["lower", "upper"]].to_numpy()).all()
    with pytest.raises(UsageError):
        model.bootstrap(X, n=1)
