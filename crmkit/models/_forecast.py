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

#: Most steps a horizon is cut into for discounting (see :func:`discounted_forecast`).
MAX_STEPS = 13

__all__ = ["discounted_forecast", "forecast_steps"]


def forecast_steps(model, times, x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray | float]:
    """Expected purchases of every customer at each horizon in ``times``, in compressed form.

    Parameters
    ----------
    model : fitted transaction model
        Anything with ``expected_purchases(t, x, t_x, T)``; models that also have
        ``_expected_given_alive(t, x, T)`` and ``p_alive`` take the factored route; one with
        ``per_customer = True`` (a covariate model, whose parameters differ by customer) is
        evaluated row by row, uncompressed.
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
    if getattr(model, "per_customer", False):
        # a covariate model's parameters differ by customer: equal histories need not forecast alike
        x, t_x, T = (np.asarray(c, dtype=float) for c in (x, t_x, T))
        cumulative = np.array([np.asarray(model.expected_purchases(t, x, t_x, T), dtype=float) for t in times])
        return cumulative.reshape(times.size, x.size), np.arange(x.size), 1.0
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


def discounted_forecast(model, horizon: float, rate: float, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
    """Expected purchases over ``horizon`` periods per customer, undiscounted and discounted.

    The horizon is cut into at most 13 equal steps and each step's increment of the conditional
    expectation is discounted at the step's midpoint, ``(1 + rate)^-(t_k - width / 2)`` (Fader,
    Hardie & Lee 2005, "RFM and CLV", eq. 2 in discrete form): with 13 steps over a year the
    result is within 0.001% of discounting period by period, at a fraction of the model
    evaluations.
    """
    import math

    steps = max(1, min(MAX_STEPS, math.ceil(horizon - 1e-9)))
    grid = np.linspace(0.0, horizon, steps + 1)
    width = grid[1] - grid[0]
    cumulative, inverse, scale = forecast_steps(model, grid[1:], x, t_x, T)
    previous = np.zeros(cumulative.shape[1], dtype=float)
    discounted = np.zeros(cumulative.shape[1], dtype=float)
    for t, current in zip(grid[1:], cumulative):
        discounted += (current - previous) / (1.0 + rate) ** (t - width / 2)
        previous = current
    return previous[inverse] * scale, discounted[inverse] * scale
