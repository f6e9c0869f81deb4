"""Conditional expectations at several horizons, evaluated once per distinct history.

The CLV sums a model's expected purchases over up to 13 horizons for every customer
(:func:`crmkit.clv.discounted_purchases`). Customers with the same history ``(x, t_x, T)`` have
the same forecast, so each distinct history is evaluated once. The BG/NBD and MBG/NBD forecasts
factor further (Fader, Hardie & Lee 2005, eq. 10): E[X(t) | x, t_x, T] = E[X(t) | alive, x, T]
x P(alive | x, t_x, T), and the first factor, the costly one (a 2F1 per row and horizon), does not
depend on t_x: it is evaluated per distinct ``(x, T)`` (17,701 pairs for the 128,736 distinct
histories of the 1M-row benchmark file), all horizons in one call.
"""

from __future__ import annotations

import numpy as np

from crmkit.models._compress import compress
from crmkit.models._validation import check_summary

__all__ = ["forecast_steps"]


def forecast_steps(model, times, x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray | float]:
    """Expected purchases of every customer at each horizon in ``times``, in compressed form.

    Parameters
    ----------
    model : fitted transaction model
        Anything with ``expected_purchases(t, x, t_x, T)``; models that also have
        ``_expected_given_alive(t, x, T)`` and ``p_alive`` take the factored route.
    times : array_like
        Horizons (model-clock periods).
    x, t_x, T : array_like
        The customers' histories (for BG/BB: ``x, t_x, n``).

    Returns
    -------
    cumulative : numpy.ndarray
        Shape ``(len(times), k)``: the forecast per horizon and distinct key.
    inverse : numpy.ndarray
        Each customer's key.
    scale : numpy.ndarray or float
        Each customer's factor: customer ``i`` expects ``cumulative[j, inverse[i]] * scale[i]``
        purchases by ``times[j]`` (1.0 when the forecast does not factor).
    """
    times = np.asarray(times, dtype=float)
    given_alive = getattr(model, "_expected_given_alive", None)
    if given_alive is None:
        (ux, ut, uT), _, inverse = compress(x, t_x, T)
        cumulative = np.array([np.asarray(model.expected_purchases(t, ux, ut, uT), dtype=float) for t in times])
        return cumulative.reshape(times.size, ux.size), inverse, 1.0
    x, t_x, T = check_summary(x, t_x, T)
    (ux, uT), _, inverse = compress(x, T)
    k = times.size
    cumulative = np.asarray(given_alive(np.repeat(times, ux.size), np.tile(ux, k), np.tile(uT, k)), dtype=float)
    return cumulative.reshape(k, ux.size), inverse, np.asarray(model.p_alive(x, t_x, T), dtype=float)
