"""The scikit-learn estimator contract, for every estimator in crmkit.models.

``__init__`` stores settings only; ``fit`` returns ``self``; learned attributes end in ``_``;
``get_params`` / ``set_params`` and ``sklearn.base.clone`` work as for a scikit-learn
estimator; a prediction or quality method before ``fit`` raises ``NotFittedError`` (a
``UsageError``, ``ValueError`` and ``AttributeError``) naming the class and what to call.
Data are small seeded simulations from each model (PLS: two correlated constructs).
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.validation import check_is_fitted

import crmkit.models as models
from crmkit.errors import CrmkitError, NotFittedError, UsageError
from crmkit.models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    PLSPathModel,
    simulate_bgbb,
    simulate_bgnbd,
    simulate_gammagamma,
    simulate_mbgnbd,
    simulate_pnbd,
)


def _rng(seed):
    return np.random.default_rng(seed)


def _summary(simulate, **params):
    return simulate(400, 52.0, rng=_rng(11), **params)


def _survey():
    rng = _rng(12)
    quality = rng.normal(size=150)
    loyalty = 0.6 * quality + 0.8 * rng.normal(size=150)
    answers = {"q1": quality, "q2": quality, "l1": loyalty, "l2": loyalty}
    # Answers on a 1-10 scale, so that index() has something to scale.
    return pd.DataFrame(
        {
            item: np.clip(np.round(5.5 + 1.5 * (v + rng.normal(scale=0.6, size=150))), 1, 10)
            for item, v in answers.items()
        }
    )


_BG = _summary(simulate_bgnbd, r=0.25, alpha=4.0, a=0.8, b=2.5)
_PNBD = _summary(simulate_pnbd, r=0.55, alpha=10.6, s=0.6, beta=11.7)
_MBG = _summary(simulate_mbgnbd, r=0.5, alpha=6.0, a=0.9, b=4.0)
_BGBB = simulate_bgbb(400, 6, alpha=1.2, beta=0.75, gamma=0.66, delta=2.8, rng=_rng(13))
_GG_X = _rng(14).integers(1, 8, 400).astype(float)
_GG = (_GG_X, simulate_gammagamma(_GG_X, p=6.25, q=3.74, gamma=15.44, rng=_rng(15)))
_SURVEY = _survey()


def _pls(**settings):
    return PLSPathModel({"Quality": ["q1", "q2"], "Loyalty": ["l1", "l2"]}, [("Quality", "Loyalty")], **settings)


# name -> (make an estimator from settings, data for fit, {method: arguments}, a setting to change)
CASES = {
    "bgnbd": (
        BetaGeoModel,
        _BG,
        {
            "log_likelihood": _BG,
            "p_alive": _BG,
            "expected_purchases": (4.0, *_BG),
            "expected_purchases_population": (4.0,),
        },
        {"max_iter": 50},
    ),
    "pnbd": (
        ParetoNBDModel,
        _PNBD,
        {
            "log_likelihood": _PNBD,
            "p_alive": _PNBD,
            "expected_purchases": (4.0, *_PNBD),
            "expected_purchases_population": (4.0,),
        },
        {"max_iter": 50},
    ),
    "mbgnbd": (
        ModifiedBetaGeoModel,
        _MBG,
        {"log_likelihood": _MBG, "p_alive": _MBG, "expected_purchases": (4.0, *_MBG)},
        {"init_params": {"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 3.0}},
    ),
    "bgbb": (
        BetaGeoBetaBinomModel,
        _BGBB,
        {"log_likelihood": _BGBB, "p_alive": _BGBB, "expected_purchases": (3, *_BGBB)},
        {"max_iter": 50},
    ),
    "gammagamma": (GammaGammaModel, _GG, {"log_likelihood": _GG, "expected_spend": _GG}, {"max_iter": 50}),
    "pls": (
        _pls,
        (_SURVEY,),
        {"reliability": (), "htmt": (), "fornell_larcker": (), "index": (_SURVEY, (1, 10))},
        {"scheme": "centroid"},
    ),
}
# Methods that fit (or build a fitted model) rather than need a fit.
NOT_PREDICTIONS = {"fit", "from_params", "bootstrap"}

per_estimator = pytest.mark.parametrize("case", sorted(CASES))


def _fitted(case):
    make, data, _, _ = CASES[case]
    return make().fit(*data)


@per_estimator
def test_every_prediction_method_is_covered(case):
    make, _, calls, _ = CASES[case]
    cls = type(make())
    # What crmkit adds to scikit-learn's BaseEstimator (set_fit_request etc. come with it).
    public = {
        name
        for name in set(dir(cls)) - set(dir(BaseEstimator))
        if not name.startswith("_")
        and callable(getattr(cls, name))
        and not (name.startswith("set_") and name.endswith("_request"))
    }
    assert public - NOT_PREDICTIONS == set(calls)


@per_estimator
def test_init_stores_settings_only(case):
    make, _, _, change = CASES[case]
    estimator = make(**change)
    params = estimator.get_params(deep=False)
    assert set(vars(estimator)) == set(params)
    for name, value in change.items():
        assert vars(estimator)[name] is value


@per_estimator
def test_get_params_set_params_round_trip(case):
    make, _, _, change = CASES[case]
    estimator = make()
    params = estimator.get_params(deep=True)
    assert params == estimator.get_params(deep=False)
    assert estimator.set_params(**change) is estimator
    assert estimator.get_params() == {**params, **change}
    assert estimator.set_params(**params).get_params() == params
    rebuilt = type(estimator)(**estimator.get_params())
    assert rebuilt.get_params() == params
    with pytest.raises(ValueError, match="Invalid parameter"):
        estimator.set_params(not_a_setting=1)


@per_estimator
def test_fit_returns_self(case):
    make, data, _, _ = CASES[case]
    estimator = make()
    assert estimator.fit(*data) is estimator


@per_estimator
def test_learned_attributes_end_in_underscore(case):
    make, data, _, _ = CASES[case]
    estimator = make()
    before = dict(vars(estimator))
    estimator.fit(*data)
    learned = set(vars(estimator)) - set(before)
    public = {name for name in learned if not name.startswith("_")}
    assert public, "fit learned nothing public"
    assert all(name.endswith("_") for name in public), sorted(public)
    # fit leaves the settings as they were.
    assert all(vars(estimator)[name] is value for name, value in before.items())


@per_estimator
def test_clone_is_unfitted_with_equal_params(case):
    make, _, calls, change = CASES[case]
    fitted = make(**change).fit(*CASES[case][1])
    copy = clone(fitted)
    assert type(copy) is type(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not any(name.endswith("_") for name in vars(copy))
    name, args = next(iter(calls.items()))
    with pytest.raises(NotFittedError):
        getattr(copy, name)(*args)
    check_is_fitted(fitted)


@per_estimator
def test_not_fitted_error_type_and_message(case):
    make, _, calls, _ = CASES[case]
    estimator = make()
    class_name = type(estimator).__name__
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(estimator)
    for name, args in calls.items():
        with pytest.raises(NotFittedError) as err:
            getattr(estimator, name)(*args)
        error = err.value
        assert isinstance(error, CrmkitError) and isinstance(error, UsageError)
        assert isinstance(error, ValueError) and isinstance(error, AttributeError)
        assert error.exit_code == 2
        message = str(error)
        assert f"this {class_name} is not fitted yet" in message
        assert "call fit(" in message
        if case != "pls":
            assert "from_params(" in message


@per_estimator
def test_fitted_predictions_survive_pickling(case):
    _, _, calls, _ = CASES[case]
    fitted = _fitted(case)
    again = pickle.loads(pickle.dumps(fitted))
    name, args = next(iter(calls.items()))
    first, second = getattr(fitted, name)(*args), getattr(again, name)(*args)
    if isinstance(first, pd.DataFrame):
        pd.testing.assert_frame_equal(first, second)
    else:
        np.testing.assert_array_equal(first, second)


def test_from_params_counts_as_fitted():
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    check_is_fitted(model)
    assert model.p_alive([1], [10.0], [20.0]).shape == (1,)
    assert clone(model).get_params() == {"init_params": None, "max_iter": 1000}


def test_short_aliases_are_the_model_classes():
    assert models.BetaGeo is BetaGeoModel
    assert models.ParetoNBD is ParetoNBDModel
    assert models.ModifiedBetaGeo is ModifiedBetaGeoModel
    assert models.BetaGeoBetaBinom is BetaGeoBetaBinomModel
    assert models.GammaGamma is GammaGammaModel
    assert models.PLSPathModel is PLSPathModel
    for name in models.__all__:
        assert hasattr(models, name), name
