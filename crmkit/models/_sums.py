"""Weighted sums over customer rows without BLAS threads.

``w @ v`` on two float arrays goes to BLAS ``ddot``, which OpenBLAS splits across threads from
10,000 elements on. A likelihood evaluation makes a dozen such sums over ~100,000 rows; when
another process keeps a core busy, the woken threads wait for it and one sum takes 4-8 ms
instead of 20 us, so a 1M-row BG/NBD fit ran 15x slower on a loaded 2-core machine (measured
in the ``crmkit clv`` benchmark). ``numpy.einsum`` sums in NumPy's own single-threaded loop:
about 3x a quiet threaded ``ddot``, and independent of the thread count, so a fit gives the
same bits on every machine.

SciPy's L-BFGS-B has the same trouble at four parameters (its bookkeeping calls BLAS: 24 ms
instead of 0.3 ms for a 4-iteration solve on the loaded machine), so the fits run under
:func:`single_threaded`, which caps BLAS at one thread for their duration.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["dot", "single_threaded"]


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """``sum(a * b)`` of two equally long 1-D float arrays, in one thread.

    Examples
    --------
    >>> dot(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    11.0
    """
    return float(np.einsum("i,i->", a, b))


def single_threaded(function):
    """Run ``function`` with BLAS capped at one thread (threadpoolctl, where installed).

    threadpoolctl comes with scikit-learn; without it the function runs as it is.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            from threadpoolctl import threadpool_limits  # type: ignore[import-untyped, unused-ignore]
        except ImportError:  # pragma: no cover - installed with scikit-learn
            return function(*args, **kwargs)
        with threadpool_limits(1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper
