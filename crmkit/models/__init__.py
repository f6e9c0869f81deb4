"""The estimators: who will buy again, how often, for how much; and what drives satisfaction.

Transaction models take a recency-frequency summary per customer (``x`` repeat purchases,
``t_x`` time of the last one, ``T`` time observed, both from the first purchase, one time
unit throughout); the BG/BB takes discrete opportunities (``x, t_x, n``); the Gamma-Gamma spend
model takes ``x`` and the mean value of the repeat transactions; the PLS path model takes a
table of survey answers. Each model is a class with the scikit-learn contract (settings in
``__init__``, ``fit`` returns ``self``, learned attributes end in ``_``, ``get_params`` /
``set_params``, :class:`~crmkit.errors.NotFittedError` from a prediction before ``fit``) and a
function beside it for one-shot use.

==================================  ======================  ================  =========================================
class                               function                alias             paper
==================================  ======================  ================  =========================================
:class:`BetaGeoModel`               :func:`fit_bgnbd`       BetaGeo           Fader, Hardie & Lee (2005)
:class:`ParetoNBDModel`             :func:`fit_pnbd`        ParetoNBD         Schmittlein, Morrison & Colombo (1987)
:class:`ModifiedBetaGeoModel`       :func:`fit_mbgnbd`      ModifiedBetaGeo   Batislam, Denizel & Filiztekin (2007)
:class:`BetaGeoBetaBinomModel`      :func:`fit_bgbb`        BetaGeoBetaBinom  Fader, Hardie & Shang (2010)
:class:`GammaGammaModel`            :func:`fit_gammagamma`  GammaGamma        Fader & Hardie (2013)
:class:`PLSPathModel`               :func:`pls_path_model`                    Tenenhaus et al. (2005); Lohmöller (1989)
:class:`ShiftedBetaGeometricModel`  :func:`fit_sbg`                           Fader & Hardie (2007)
:class:`NormalSpendModel`           :func:`fit_normalspend`                   Morris (1983)
==================================  ======================  ================  =========================================

With customer covariates: :class:`ParetoNBDCovariates`, :class:`BetaGeoCovariates`,
:class:`GammaGammaCovariates` (Fader & Hardie 2007, note on time-invariant covariates). Beyond a
fixed horizon: :func:`dert` (Fader, Hardie & Lee 2005, JMR), :func:`window_purchases`,
:func:`next_purchase_time` and :func:`p_purchase_within`. PLS out of sample: :func:`pls_predict`
(Shmueli et al. 2016).

The short names in the "alias" column are the same classes under a second name (``BetaGeo is
BetaGeoModel``), for notebook use; the ``*Model`` names are canonical and are what ``repr``,
messages and the documentation use.

Discounting and CLV assembly live in :mod:`crmkit.clv`; the models give
``expected_purchases(t, ...)``, ``p_alive(...)`` and (Gamma-Gamma) ``expected_spend(...)``.

Examples
--------
>>> import numpy as np
>>> from crmkit.models import BetaGeo, BetaGeoModel, simulate_bgnbd
>>> BetaGeo is BetaGeoModel
True
>>> x, t_x, T = simulate_bgnbd(1000, 52.0, r=0.25, alpha=4.0, a=0.8, b=2.5,
...                            rng=np.random.default_rng(0))
>>> model = BetaGeo(max_iter=500)
>>> model.get_params()
{'init_params': None, 'max_iter': 500}
>>> model.fit(x, t_x, T) is model
True
"""

from crmkit.errors import FitError, NotFittedError
from crmkit.models._compress import compress
from crmkit.models.bgbb import BetaGeoBetaBinomModel, fit_bgbb, simulate_bgbb
from crmkit.models.bgnbd import BetaGeoModel, fit_bgnbd, simulate_bgnbd
from crmkit.models.covariates import BetaGeoCovariates, GammaGammaCovariates, ParetoNBDCovariates
from crmkit.models.dert import dert, window_purchases
from crmkit.models.gammagamma import (
    GammaGammaModel,
    SpendFrequencyCheck,
    fit_gammagamma,
    simulate_gammagamma,
    spend_frequency_correlation,
)
from crmkit.models.mbgnbd import ModifiedBetaGeoModel, fit_mbgnbd, simulate_mbgnbd
from crmkit.models.next_purchase import next_purchase_time, p_purchase_within
from crmkit.models.normalspend import NormalSpendModel, fit_normalspend, simulate_normalspend
from crmkit.models.pls import (
    PLSPathModel,
    PLSPredict,
    group_comparison,
    micom,
    permutation_mga,
    pls_path_model,
    pls_predict,
)
from crmkit.models.pnbd import ParetoNBDModel, fit_pnbd, simulate_pnbd
from crmkit.models.sbg import ShiftedBetaGeometricModel, fit_sbg

# Short aliases (the same class objects).
BetaGeo = BetaGeoModel
ParetoNBD = ParetoNBDModel
ModifiedBetaGeo = ModifiedBetaGeoModel
BetaGeoBetaBinom = BetaGeoBetaBinomModel
GammaGamma = GammaGammaModel

__all__ = [
    "BetaGeo",
    "BetaGeoBetaBinom",
    "BetaGeoBetaBinomModel",
    "BetaGeoCovariates",
    "BetaGeoModel",
    "FitError",
    "GammaGamma",
    "GammaGammaCovariates",
    "GammaGammaModel",
    "ModifiedBetaGeo",
    "ModifiedBetaGeoModel",
    "NormalSpendModel",
    "NotFittedError",
    "PLSPathModel",
    "PLSPredict",
    "ParetoNBD",
    "ParetoNBDCovariates",
    "ParetoNBDModel",
    "ShiftedBetaGeometricModel",
    "SpendFrequencyCheck",
    "compress",
    "dert",
    "fit_bgbb",
    "fit_bgnbd",
    "fit_gammagamma",
    "fit_mbgnbd",
    "fit_normalspend",
    "fit_pnbd",
    "fit_sbg",
    "next_purchase_time",
    "p_purchase_within",
    "micom",
    "permutation_mga",
    "group_comparison",
    "pls_path_model",
    "pls_predict",
    "simulate_bgbb",
    "simulate_bgnbd",
    "simulate_gammagamma",
    "simulate_mbgnbd",
    "simulate_normalspend",
    "simulate_pnbd",
    "spend_frequency_correlation",
    "window_purchases",
]
