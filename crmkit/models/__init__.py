"""Customer-lifetime-value models: who will buy again, how often, and for how much.

Transaction models take a recency-frequency summary per customer (``x`` repeat purchases,
``t_x`` time of the last one, ``T`` time observed, both from the first purchase, one time
unit throughout); the BG/BB takes discrete opportunities (``x, t_x, n``); the Gamma-Gamma spend
model takes ``x`` and the mean value of the repeat transactions. Each model is a class with
the scikit-learn contract (settings in ``__init__``, ``fit`` returns ``self``, learned
attributes end in ``_``) and a ``fit_*`` function beside it.

==========================  =================  ==============================================
class                       function           paper
==========================  =================  ==============================================
:class:`BetaGeoModel`        :func:`fit_bgnbd`    Fader, Hardie & Lee (2005), Marketing Science
:class:`ParetoNBDModel`      :func:`fit_pnbd`     Schmittlein, Morrison & Colombo (1987)
:class:`ModifiedBetaGeoModel` :func:`fit_mbgnbd`  Batislam, Denizel & Filiztekin (2007)
:class:`BetaGeoBetaBinomModel` :func:`fit_bgbb`   Fader, Hardie & Shang (2010)
:class:`GammaGammaModel`     :func:`fit_gammagamma` Fader & Hardie (2013)
==========================  =================  ==============================================

Discounting and CLV assembly live elsewhere; the models give ``expected_purchases(t, ...)``,
``p_alive(...)`` and (Gamma-Gamma) ``expected_spend(...)``.
"""

from crmkit.models._fit import compress
from crmkit.models.bgbb import BetaGeoBetaBinomModel, fit_bgbb, simulate_bgbb
from crmkit.models.bgnbd import BetaGeoModel, fit_bgnbd, simulate_bgnbd
from crmkit.errors import FitError
from crmkit.models.gammagamma import (
    GammaGammaModel,
    SpendFrequencyCheck,
    fit_gammagamma,
    simulate_gammagamma,
    spend_frequency_correlation,
)
from crmkit.models.mbgnbd import ModifiedBetaGeoModel, fit_mbgnbd, simulate_mbgnbd
from crmkit.models.pnbd import ParetoNBDModel, fit_pnbd, simulate_pnbd

__all__ = [
    "BetaGeoBetaBinomModel", "BetaGeoModel", "FitError", "GammaGammaModel",
    "ModifiedBetaGeoModel", "ParetoNBDModel", "SpendFrequencyCheck", "compress", "fit_bgbb",
    "fit_bgnbd", "fit_gammagamma", "fit_mbgnbd", "fit_pnbd", "simulate_bgbb", "simulate_bgnbd",
    "simulate_gammagamma", "simulate_mbgnbd", "simulate_pnbd", "spend_frequency_correlation",
]
