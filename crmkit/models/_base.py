"""Base classes of the estimators: the scikit-learn contract, kept in one place.

* :class:`Estimator` -- every crmkit estimator (the CLV models and
  :class:`~crmkit.models.pls.PLSPathModel`): ``__init__`` stores its settings and nothing
  else, ``fit`` returns ``self``, learned attributes end in ``_``; ``get_params`` /
  ``set_params`` and ``sklearn.base.clone`` come from :class:`sklearn.base.BaseEstimator`;
  a prediction or quality method called before ``fit`` raises
  :class:`~crmkit.errors.NotFittedError`.
* :class:`FittedModel` -- the maximum-likelihood models (settings ``max_iter`` and
  ``init_params``; :meth:`FittedModel.from_params` for a published fit).
* :class:`RepeatBuyingModel` -- the continuous-time models fitted on ``(x, t_x, T)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar, Protocol

import numpy as np
from sklearn.base import BaseEstimator

from crmkit.errors import FitError, NotFittedError, UsageError
from crmkit.models._compress import compress
from crmkit.models._optimise import FitResult, maximise, presolve
from crmkit.models._validation import check_summary, check_weights

__all__ = ["Estimator", "FittedModel", "RepeatBuyingModel"]


class Estimator(BaseEstimator):
    """Base of every crmkit estimator (scikit-learn's estimator contract).

    A subclass names the learned attribute that ``fit`` always sets (``_fitted_attribute``)
    and what a user must do to get one (``_how_to_fit``), and calls :meth:`_check_fitted` at
    the top of every method that needs a fit. ``sklearn.utils.validation.check_is_fitted``
    agrees with it (through ``__sklearn_is_fitted__``).
    """

    _fitted_attribute = "params_"
    _how_to_fit = "call fit(...) first"

    def __sklearn_is_fitted__(self) -> bool:
        return getattr(self, self._fitted_attribute, None) is not None

    def _check_fitted(self) -> None:
        """Raise :class:`~crmkit.errors.NotFittedError` unless ``fit`` has run."""
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet", hint=self._how_to_fit)


class FittedModel(Estimator):
    """Common surface of the maximum-likelihood models.

    Parameters
    ----------
    max_iter : int, default 1000
        L-BFGS-B iterations per attempt.
    init_params : dict, optional
        Starting values (natural scale) for the first attempt; the model's own guess is then
        the retry start.

    Besides each model's documented attributes, ``n_rows_`` is the number of distinct rows the
    likelihood was evaluated on (see :func:`~crmkit.models._compress.compress`). Predictions
    (``p_alive``, ``expected_purchases``, ``expected_spend``, ``log_likelihood``, ...) need
    parameters: from ``fit`` or :meth:`from_params`; before either they raise
    :class:`~crmkit.errors.NotFittedError`.
    """

    _names: tuple = ()
    _model: str = ""
    _how_to_fit = "call fit(...) first, or build it with from_params(...)"

    def __init__(self, *, max_iter: int = 1000, init_params: dict | None = None):
        self.max_iter = max_iter
        self.init_params = init_params

    @classmethod
    def from_params(cls, **params):
        """A model with known parameters (a published fit), ready to predict without fitting.

        Fit statistics (``log_likelihood_``, ``se_``, ...) stay ``None``.
        """
        missing = [name for name in cls._names if name not in params]
        extra = [name for name in params if name not in cls._names]
        if missing or extra:
            raise UsageError(
                f"{cls._model} parameters are {', '.join(cls._names)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(extra)}" if extra else "")
            )
        values = {}
        for name in cls._names:
            value = float(params[name])
            if not (math.isfinite(value) and value > 0):
                raise UsageError(f"{cls._model} parameter {name} must be a positive number, not {params[name]!r}")
            values[name] = value
        model = cls()
        model.params_ = values
        for attr in ("log_likelihood_", "aic_", "bic_", "se_", "n_iter_", "converged_", "n_customers_", "n_rows_"):
            setattr(model, attr, None)
        return model

    def _starts(self, guesses) -> list:
        """Log-space starts: the model's two guesses, or ``init_params`` then the first guess."""
        starts = [np.log(np.asarray(g, dtype=np.float64)) for g in guesses]
        if self.init_params is None:
            return starts
        init = type(self).from_params(**self.init_params).params_
        return [np.log([init[name] for name in self._names]), starts[0]]

    def _maximise(self, neg_log_lik, starts, counts, hint: str):
        """Fit ``neg_log_lik`` (built on the compressed rows with weights ``counts``) from
        ``starts`` and store what it learned; returns ``self``."""
        result = maximise(
            neg_log_lik,
            starts,
            self._names,
            n_customers=float(counts.sum()),
            n_rows=counts.size,
            model=self._model,
            hint=hint,
            max_iter=self.max_iter,
        )
        return self._store(result)

    def _store(self, result: FitResult):
        self.params_ = result.params
        self.log_likelihood_ = result.log_likelihood
        self.aic_ = result.aic
        self.bic_ = result.bic
        self.se_ = result.se
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.n_customers_ = result.n_customers
        self.n_rows_ = result.n_rows
        return self

    def _values(self) -> tuple:
        """The fitted parameters in ``_names`` order (:class:`NotFittedError` before a fit)."""
        self._check_fitted()
        return tuple(self.params_[name] for name in self._names)

    def __repr__(self) -> str:
        params = getattr(self, "params_", None)
        if params is None:
            return f"{type(self).__name__}(not fitted)"
        text = ", ".join(f"{k}={v:.4g}" for k, v in params.items())
        if getattr(self, "log_likelihood_", None) is not None:
            text += f"; log-likelihood {self.log_likelihood_:.2f} on {self.n_customers_:g} customers"
        return f"{type(self).__name__}({text})"


class NegLogLik(Protocol):
    """A negative log-likelihood over the log-parameters: ``theta -> (value, gradient)``."""

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]: ...


#: Builds a :class:`NegLogLik` from the compressed rows ``(x, t_x, T)`` and their counts.
NegLogLikFactory = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], NegLogLik]


class RepeatBuyingModel(FittedModel):
    """Base of the continuous-time models fitted on (x, t_x, T): BG/NBD, MBG/NBD, Pareto/NBD.

    A subclass names its parameters (``_names``), its negative log-likelihood class
    (``_neg_log_lik``, built from the compressed rows and their counts), what a fit without
    repeat buyers cannot identify (``_unidentified``), a hint for failed fits (``_hint``), and
    its two starting guesses (:meth:`_guesses`).
    """

    _neg_log_lik: ClassVar[NegLogLikFactory | None] = None
    _unidentified = "purchase rate and dropout"
    _hint = ""

    def _guesses(self, mean_rate: float, mean_age: float) -> list:
        raise NotImplementedError

    def fit(self, x, t_x, T, weights=None):
        """Fit by maximum likelihood; returns ``self``.

        Parameters
        ----------
        x, t_x, T : array_like
            Repeat purchases, time of the last purchase, time observed (one per customer).
        weights : array_like, optional
            How many customers each row stands for (default 1 each).
        """
        x, t_x, T = check_summary(x, t_x, T)
        w = check_weights(weights, x.size)
        (ux, ut, uT), counts, _ = compress(x, t_x, T, weights=w)
        if not np.any(ux > 0):
            raise FitError(
                f"the {self._model} model cannot be fitted: no customer made a repeat purchase "
                f"(all x = 0), so {self._unidentified} are not identified",
                hint="lengthen the calibration period or check how x was counted",
            )
        mean_rate = max(float(np.sum(counts * ux) / max(np.sum(counts * uT), 1e-12)), 1e-9)
        mean_age = max(float(np.sum(counts * uT) / counts.sum()), 1e-6)
        neg_log_lik = type(self)._neg_log_lik
        starts = presolve(neg_log_lik, (ux, ut, uT), counts, self._starts(self._guesses(mean_rate, mean_age)))
        return self._maximise(neg_log_lik(ux, ut, uT, counts), starts, counts, self._hint)
