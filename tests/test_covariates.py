"""Covariates on Pareto/NBD, BG/NBD and Gamma-Gamma (crmkit.models.covariates, crmkit.clv_covariates).

Oracles: (a) with zero covariates the fits are the base models' on CDNOW (log-likelihood and
parameters to 1e-6); (b) simulated worlds with known effects (per-customer parameters drawn from
the published parameterisations) are recovered within 3 SE, and 95% Wald intervals cover at
their nominal rate over 30 seeded worlds; (c) every prediction equals the base model's at the
customer's implied parameters.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.clv_covariates import COEFFICIENT_COLUMNS, covariate_design, fit_covariate_models
from crmkit.errors import DataError, UsageError
from crmkit.models import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from crmkit.models.bgnbd import simulate_bgnbd
from crmkit.models.covariates import BetaGeoCovariates, GammaGammaCovariates, ParetoNBDCovariates
from crmkit.models.gammagamma import simulate_gammagamma
from crmkit.models.pnbd import simulate_pnbd


@pytest.fixture(scope="module")
def cdnow():
    from crmkit.io.purchases import read_purchases
    from crmkit.summary import repeat_summary

    path = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "cdnow_sample.csv"
    if not path.is_file():
        pytest.skip(f"reference dataset {path} not available")
    return repeat_summary(read_purchases(str(path)), date(1997, 9, 30), unit="week")


def _columns(summary):
    return tuple(summary[c].to_numpy(float) for c in ("x", "t_x", "T"))


# --------------------------------------------------------------------------- (a) base models


@pytest.mark.parametrize("cls, base", [(ParetoNBDCovariates, ParetoNBDModel), (BetaGeoCovariates, BetaGeoModel)])
def test_zero_covariates_are_the_base_model_on_cdnow(cdnow, cls, base):
    x, t_x, T = _columns(cdnow)
    fitted = cls().fit(x, t_x, T, np.zeros((x.size, 0)))
    reference = base().fit(x, t_x, T)
    assert fitted.log_likelihood_ == pytest.approx(reference.log_likelihood_, abs=1e-6)
    for name in reference.params_:
        assert fitted.params_[name] == pytest.approx(reference.params_[name], rel=1e-6)
        assert fitted.se_[name] == pytest.approx(reference.se_[name], rel=1e-4)
    assert fitted.coef_.empty and list(fitted.coef_.columns) == ["process", "covariate", "estimate", "se", "z", "p"]
    np.testing.assert_allclose(fitted.p_alive(x, t_x, T), reference.p_alive(x, t_x, T), rtol=1e-7)
    np.testing.assert_allclose(
        fitted.expected_purchases(39.0, x, t_x, T), reference.expected_purchases(39.0, x, t_x, T), rtol=1e-7
    )


def test_zero_covariates_gamma_gamma_on_cdnow(cdnow):
    x, m = cdnow["x"].to_numpy(float), cdnow["monetary"].to_numpy(float)
    rows = x > 0
    fitted = GammaGammaCovariates().fit(x[rows], m[rows])
    reference = GammaGammaModel().fit(x[rows], m[rows])
    assert fitted.log_likelihood_ == pytest.approx(reference.log_likelihood_, abs=1e-6)
    for name in reference.params_:
        assert fitted.params_[name] == pytest.approx(reference.params_[name], rel=1e-6)
    np.testing.assert_allclose(fitted.expected_spend(x, m), reference.expected_spend(x, m), rtol=1e-9)


@pytest.mark.parametrize("cls, base", [(ParetoNBDCovariates, ParetoNBDModel), (BetaGeoCovariates, BetaGeoModel)])
def test_all_zero_covariate_rows_have_the_base_likelihood(cdnow, cls, base):
    # (a) and (c) together: with covariates fitted, a customer with z = 0 is the baseline customer
    x, t_x, T = _columns(cdnow)
    z = np.random.default_rng(5).normal(size=(x.size, 2))
    fitted = cls().fit(x, t_x, T, z)
    baseline = base.from_params(**{name: fitted.params_[name] for name in base._names})
    np.testing.assert_allclose(
        fitted.log_likelihood(x, t_x, T, np.zeros_like(z)), baseline.log_likelihood(x, t_x, T), rtol=1e-10
    )
    # a random covariate explains nothing: LL rises by little, no coefficient is far from 0
    assert 0 <= fitted.log_likelihood_ - base().fit(x, t_x, T).log_likelihood_ < 10
    assert (fitted.coef_["z"].abs() < 4).all()


# --------------------------------------------------------------------------- (c) predictions


@pytest.mark.parametrize("cls, base", [(ParetoNBDCovariates, ParetoNBDModel), (BetaGeoCovariates, BetaGeoModel)])
def test_predictions_are_the_base_models_at_the_implied_parameters(cls, base):
    rng = np.random.default_rng(11)
    n = 3000
    z = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n)]).astype(float)
    x, t_x, T = simulate_bgnbd(n, 52.0, r=0.5, alpha=5 * np.exp(-0.3 * z[:, 1]), a=0.7, b=2.5, rng=rng)
    fitted = cls().fit(x, t_x, T, z)
    implied = fitted.customer_params(z)
    for i in [0, 1, 7, int(np.argmax(x)), int(np.argmax(z[:, 1]))]:
        one = base.from_params(**{name: implied[name][i] for name in base._names})
        rows = slice(i, i + 1)
        assert fitted.p_alive(x, t_x, T, z)[i] == pytest.approx(one.p_alive(x[rows], t_x[rows], T[rows])[0], rel=1e-9)
        assert fitted.expected_purchases(26.0, x, t_x, T, z)[i] == pytest.approx(
            one.expected_purchases(26.0, x[rows], t_x[rows], T[rows])[0], rel=1e-8
        )
        assert fitted.log_likelihood(x, t_x, T, z)[i] == pytest.approx(
            one.log_likelihood(x[rows], t_x[rows], T[rows])[0], rel=1e-10
        )


def test_gamma_gamma_spend_is_the_base_at_the_implied_scale():
    rng = np.random.default_rng(4)
    n = 2000
    z = rng.integers(0, 2, (n, 1)).astype(float)
    x = rng.integers(1, 8, n).astype(float)
    m = simulate_gammagamma(x, p=6.0, q=3.7, gamma=15 * np.exp(0.4 * z[:, 0]), rng=rng)
    fitted = GammaGammaCovariates().fit(x, m, z)
    gamma = fitted.customer_params(z)["gamma"]
    for i in (0, 1, 2):
        one = GammaGammaModel.from_params(p=fitted.params_["p"], q=fitted.params_["q"], gamma=gamma[i])
        assert fitted.expected_spend(x, m, z)[i] == pytest.approx(one.expected_spend(x[i : i + 1], m[i : i + 1])[0])
        assert fitted.log_likelihood(x, m, z)[i] == pytest.approx(one.log_likelihood(x[i : i + 1], m[i : i + 1])[0])


# --------------------------------------------------------------------------- (b) known effects


def _world(kind: str, n: int, seed: int, dropout=(-0.5, 0.3)):
    """A world with one 0/1 covariate (a channel) and one standard-normal one."""
    rng = np.random.default_rng(seed)
    z = np.column_stack([rng.integers(0, 2, n), rng.normal(size=n)]).astype(float)
    T = rng.uniform(26.0, 78.0, n)
    if kind == "pnbd":
        truth = {"purchase": (0.4, -0.3), "dropout": dropout}
        alpha = 8.0 * np.exp(-z @ truth["purchase"])
        beta = 10.0 * np.exp(-z @ truth["dropout"])
        x, t_x, T = simulate_pnbd(n, T, r=0.8, alpha=alpha, s=0.8, beta=beta, rng=rng)  # type: ignore[arg-type]
        return ParetoNBDCovariates(covariate_names=["c", "u"]).fit(x, t_x, T, z), truth
    if kind == "bgnbd":
        truth = {"purchase": (0.4, -0.3), "dropout_a": (0.6, 0.0), "dropout_b": (0.0, 0.4)}
        alpha = 5.0 * np.exp(-z @ truth["purchase"])
        a = 0.8 * np.exp(z @ truth["dropout_a"])
        b = 2.5 * np.exp(z @ truth["dropout_b"])
        x, t_x, T = simulate_bgnbd(n, T, r=0.8, alpha=alpha, a=a, b=b, rng=rng)  # type: ignore[arg-type]
        return BetaGeoCovariates(covariate_names=["c", "u"]).fit(x, t_x, T, z), truth
    truth = {"spend": (0.3, -0.2)}
    x = rng.integers(1, 6, n).astype(float)
    m = simulate_gammagamma(x, p=5.0, q=4.0, gamma=12.0 * np.exp(z @ truth["spend"]), rng=rng)  # type: ignore[arg-type]
    return GammaGammaCovariates(covariate_names=["c", "u"]).fit(x, m, z), truth


def _truth_column(fitted, truth):
    return np.array([truth[row.process][["c", "u"].index(row.covariate)] for row in fitted.coef_.itertuples()])


@pytest.mark.parametrize("kind", ["pnbd", "bgnbd", "spend"])
def test_known_effects_are_recovered_within_three_se(kind):
    fitted, truth = _world(kind, 6000, seed=2026)
    error = (fitted.coef_["estimate"] - _truth_column(fitted, truth)) / fitted.coef_["se"]
    assert (error.abs() < 3).all(), fitted.coef_
    assert len(fitted.coef_) == 2 * len(truth)
    names = list(fitted.cov_.index)
    assert names == list(fitted.params_) and np.allclose(np.sqrt(np.diag(fitted.cov_)), list(fitted.se_.values()))


@pytest.mark.parametrize("kind, n", [("pnbd", 800), ("bgnbd", 800), ("spend", 600)])
def test_wald_intervals_cover_at_the_nominal_rate(kind, n):
    # 30 worlds x 2-6 coefficients (60-180 intervals) at a nominal 0.95: the bounds allow about
    # 3 binomial SDs below and the sampling noise above (observed: 0.94-0.98)
    # (Pareto/NBD: dropout effects in the purchase effects' direction keep alpha_i / beta_i near
    # 1, where its likelihood's series are short: 30 fits in ~10 s instead of ~30 s)
    inside = total = 0
    for seed in range(30):
        fitted, truth = _world(kind, n, seed, dropout=(0.3, -0.2))
        error = (fitted.coef_["estimate"] - _truth_column(fitted, truth)) / fitted.coef_["se"]
        inside += int((error.abs() <= 1.959964).sum())
        total += error.size
    assert 0.88 <= inside / total <= 0.995, (inside, total)


# --------------------------------------------------------------------------- errors


def test_constant_covariate_and_bad_z_are_refused():
    x, t_x, T = simulate_pnbd(300, 52.0, r=0.8, alpha=8.0, s=0.8, beta=10.0, rng=np.random.default_rng(0))
    with pytest.raises(UsageError, match="one value for every customer"):
        ParetoNBDCovariates(covariate_names=["tier"]).fit(x, t_x, T, np.ones((300, 1)))
    with pytest.raises(UsageError, match="one row per customer"):
        BetaGeoCovariates().fit(x, t_x, T, np.ones((299, 1)))
    with pytest.raises(UsageError, match="finite"):
        BetaGeoCovariates().fit(x, t_x, T, np.full((300, 1), np.nan))
    with pytest.raises(UsageError, match="act on"):
        BetaGeoCovariates(on=("loyalty",)).fit(x, t_x, T, np.arange(300.0)[:, None])


# --------------------------------------------------------------------------- design


def _summary_and_attributes():
    ids = [f"c{i}" for i in range(9)]
    summary = pd.DataFrame({"customer_id": ids})
    attrs = pd.DataFrame(
        {
            "customer_id": ids[::-1],
            "channel": ["web", "web", "shop", "web", "app", "shop", "web", "app", "web"],
            "age": ["30", "40", "50", "20", "30", "40", "50", "60", "10"],
            "tier": ["1", "2", "1", "1", "2", "1", "3", "1", "1"],
        }
    )
    return summary, attrs


def test_design_dummies_against_the_most_frequent_level_and_centred_numbers():
    summary, attrs = _summary_and_attributes()
    Z, names, notes = covariate_design(summary, attrs, ["channel", "age"])
    assert names == ["channel=app", "channel=shop", "age"]
    channel = attrs.set_index("customer_id").loc[summary["customer_id"], "channel"].to_numpy()
    assert Z[:, 0].tolist() == (channel == "app").astype(float).tolist()
    assert Z[:, 1].tolist() == (channel == "shop").astype(float).tolist()
    age = attrs.set_index("customer_id").loc[summary["customer_id"], "age"].astype(float).to_numpy()
    np.testing.assert_allclose(Z[:, 2], age - age.mean())
    assert "reference level 'web'" in notes[0] and "centred at its mean 36.67" in notes[1]
    # a coded tier is numeric unless declared categorical
    _, names, notes = covariate_design(summary, attrs, ["tier"], categorical=["tier"])
    assert names == ["tier=2", "tier=3"] and "reference level '1'" in notes[0]


def test_design_errors_name_the_file_column_and_customer():
    summary, attrs = _summary_and_attributes()
    with pytest.raises(DataError, match=r"1 customer\(s\) of the sales data are not in members.csv, first 'c0'"):
        covariate_design(summary, attrs[attrs["customer_id"] != "c0"], ["channel"], source="members.csv")
    gap = attrs.copy()
    gap.loc[gap["customer_id"] == "c3", "channel"] = None
    gap.loc[gap["customer_id"] == "c5", "channel"] = " "
    with pytest.raises(DataError, match=r"2 customer\(s\) have no 'channel' in members.csv, first 'c3'"):
        covariate_design(summary, gap, ["channel"], source="members.csv")
    with pytest.raises(UsageError, match="no column 'region'"):
        covariate_design(summary, attrs, ["region"])
    with pytest.raises(UsageError, match="one value"):
        covariate_design(summary, attrs.assign(channel="web"), ["channel"])
    Z, names, notes = covariate_design(summary, attrs, [])
    assert Z.shape == (9, 0) and names == [] and notes == []


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=30).filter(lambda v: len(set(v)) > 1))
def test_design_dummies_are_a_partition_minus_the_reference(levels):
    summary = pd.DataFrame({"customer_id": [str(i) for i in range(len(levels))]})
    attrs = summary.assign(level=levels)
    Z, names, _ = covariate_design(summary, attrs, ["level"])
    assert Z.shape == (len(levels), len(set(levels)) - 1)
    assert set(np.unique(Z.sum(axis=1))) <= {0.0, 1.0}
    reference_count = int((Z.sum(axis=1) == 0).sum())
    assert reference_count == max(levels.count(v) for v in set(levels))


# --------------------------------------------------------------------------- analysis layer


@pytest.mark.parametrize("name", ["bgnbd", "pnbd"])
def test_fit_covariate_models_binds_the_summary_rows(name):
    rng = np.random.default_rng(8)
    n = 2500
    channel = rng.choice(["web", "shop"], n, p=[0.6, 0.4])
    z = (channel == "shop").astype(float)
    x, t_x, T = simulate_bgnbd(n, 52.0, r=0.6, alpha=5 * np.exp(-0.5 * z), a=0.8, b=2.5, rng=rng)
    m = simulate_gammagamma(x, p=5.0, q=4.0, gamma=12.0 * np.exp(0.3 * z), rng=rng)
    summary = pd.DataFrame({"customer_id": [f"k{i}" for i in range(n)], "x": x, "t_x": t_x, "T": T, "monetary": m})
    Z, names, _ = covariate_design(
        summary, pd.DataFrame({"customer_id": summary["customer_id"], "ch": channel}), ["ch"]
    )
    result = fit_covariate_models(summary, Z, names, name=name)
    assert result.model.per_customer and result.spend is not None
    assert list(result.coefficients.columns) == list(COEFFICIENT_COLUMNS)
    assert set(result.coefficients["process"]) == (
        {"purchase", "dropout_a", "dropout_b", "spend"} if name == "bgnbd" else {"purchase", "dropout", "spend"}
    )
    assert set(result.coefficients["covariate"]) == {"ch=shop"}
    p = result.model.p_alive(x, t_x, T)
    assert p.shape == (n,) and np.all((p >= 0) & (p <= 1))
    e = result.model.expected_purchases(52.0, x, t_x, T)
    np.testing.assert_allclose(e, result.model.model.expected_purchases(52.0, x, t_x, T, Z))
    spend = result.spend.expected_spend(x, m)
    assert np.all(spend > 0) and spend.shape == (n,)
    purchase = result.coefficients.query("process == 'purchase'").iloc[0]
    assert abs(purchase.estimate - 0.5) < 3 * purchase.se
    assert isinstance(result.model.params_, dict) and result.model.cov_.shape[0] == len(result.model.se_)
    with pytest.raises(UsageError, match="bound to 2500 customers"):
        result.model.p_alive(x[:10], t_x[:10], T[:10])
    only_spend = fit_covariate_models(summary, Z, names, name=name, on=("spend",))
    assert set(only_spend.coefficients["process"]) == {"spend"}
    base = (BetaGeoModel if name == "bgnbd" else ParetoNBDModel)().fit(x, t_x, T)
    np.testing.assert_allclose(only_spend.model.p_alive(x, t_x, T), base.p_alive(x, t_x, T), rtol=1e-6)
    with pytest.raises(UsageError, match="bgnbd and pnbd"):
        fit_covariate_models(summary, Z, names, name="bgbb")


def test_presolved_large_fit_reaches_the_same_optimum(monkeypatch):
    import crmkit.models.covariates as covariates

    rng = np.random.default_rng(21)
    n = 3000
    z = rng.normal(size=(n, 1))
    x, t_x, T = simulate_bgnbd(n, 52.0, r=0.6, alpha=5 * np.exp(-0.3 * z[:, 0]), a=0.8, b=2.5, rng=rng)
    direct = BetaGeoCovariates().fit(x, t_x, T, z)
    monkeypatch.setattr(covariates, "_PRESOLVE_ROWS", 600)  # the fit now presolves on 600 rows first
    presolved = BetaGeoCovariates().fit(x, t_x, T, z)
    assert presolved.log_likelihood_ == pytest.approx(direct.log_likelihood_, abs=1e-6)
    for name, value in direct.params_.items():
        assert presolved.params_[name] == pytest.approx(value, rel=1e-5, abs=1e-6)


def test_with_params_predicts_under_other_values():
    rng = np.random.default_rng(30)
    n = 1500
    z = rng.integers(0, 2, (n, 1)).astype(float)
    x, t_x, T = simulate_bgnbd(n, 52.0, r=0.6, alpha=5 * np.exp(-0.4 * z[:, 0]), a=0.8, b=2.5, rng=rng)
    fitted = BetaGeoCovariates().fit(x, t_x, T, z)
    same = fitted.with_params(fitted.params_)
    np.testing.assert_array_equal(same.p_alive(x, t_x, T, z), fitted.p_alive(x, t_x, T, z))
    shifted = fitted.with_params({**fitted.params_, "purchase:z1": fitted.params_["purchase:z1"] + 0.5})
    e0, e1 = fitted.expected_purchases(10.0, x, t_x, T, z), shifted.expected_purchases(10.0, x, t_x, T, z)
    reference = z[:, 0] == 0
    np.testing.assert_allclose(e1[reference], e0[reference])
    assert np.all(e1[~reference & (x == 0)] > e0[~reference & (x == 0)])
    assert fitted.params_["purchase:z1"] != shifted.params_["purchase:z1"]  # the original is untouched
    with pytest.raises(UsageError, match="exactly"):
        fitted.with_params({"r": 1.0})


def test_design_reads_the_attributes_frame_types():
    from crmkit.io.attributes import read_attributes

    members = pd.DataFrame(
        {
            "会员编号": ["A1", "A2", "A3", "A4"],
            "出生日期": ["1990-06-02", "2000/2/29", "1985-01-01", "1990-01-01"],
            "等级": ["gold", "silver", "silver", "silver"],
        }
    )
    frame = read_attributes(members, as_of="2023-02-28").frame  # 等级 is the tier role
    summary = pd.DataFrame({"customer_id": ["A4", "A3", "A2", "A1"]})
    Z, names, _ = covariate_design(summary, frame, ["age", "age_band", "tier"])
    age = frame.set_index("customer_id").loc[["A4", "A3", "A2", "A1"], "age"].to_numpy(float)  # nullable Int64
    assert names[0] == "age" and Z[:, 0].tolist() == pytest.approx((age - age.mean()).tolist())
    assert any(name.startswith("age_band=") for name in names)  # an ordered categorical: dummies
    assert names[-1] == "tier=gold" and Z[:, -1].tolist() == [0.0, 0.0, 0.0, 1.0]
    with pytest.raises(UsageError, match="holds dates"):
        covariate_design(summary, frame, ["birth_date"])


def test_a_failed_dropout_fit_falls_back_to_the_purchase_process(monkeypatch):
    """A drop-out process that will not fit with covariates is fitted without them, and a note says so."""
    from crmkit.errors import FitError

    rng = np.random.default_rng(11)
    n = 1500
    channel = rng.choice(["web", "shop"], n, p=[0.6, 0.4])
    z = (channel == "shop").astype(float)
    x, t_x, T = simulate_bgnbd(n, 52.0, r=0.6, alpha=5 * np.exp(-0.5 * z), a=0.8, b=2.5, rng=rng)
    summary = pd.DataFrame({"customer_id": [f"k{i}" for i in range(n)], "x": x, "t_x": t_x, "T": T})
    Z, names, _ = covariate_design(
        summary, pd.DataFrame({"customer_id": summary["customer_id"], "ch": channel}), ["ch"]
    )
    real_fit = BetaGeoCovariates.fit

    def refuse_dropout(self, *args, **kwargs):
        if "dropout" in self.on:
            raise FitError("the BG/NBD fit with covariates did not converge (ABNORMAL)")
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(BetaGeoCovariates, "fit", refuse_dropout)
    result = fit_covariate_models(summary, Z, names, name="bgnbd", on=("purchase", "dropout"))
    assert set(result.coefficients["process"]) == {"purchase"}
    assert len(result.notes) == 1 and "drop-out failed" in result.notes[0] and "purchase only" in result.notes[0]
    purchase = result.coefficients.iloc[0]
    assert abs(purchase.estimate - 0.5) < 3 * purchase.se
    alone = fit_covariate_models(summary, Z, names, name="bgnbd", on=("dropout",))
    assert alone.coefficients.empty and "fitted without covariates" in alone.notes[0]
