"""A seeded example renewal file: monthly subscribers of two plans with planted sBG parameters.

``write_example(path)`` writes ``examples/renewals.csv`` (one row per subscriber: customer_id,
plan, start_date, end_date (blank = active), monthly_fee); regenerate it with

    python -c "from crmkit.synth_contracts import write_example; write_example('examples/renewals.csv')"

Each subscriber's monthly cancellation probability is drawn from ``Beta(alpha, beta)`` of her plan
(:data:`PLANS`), her lifetime ``T`` (months, ``T >= 1``) from the geometric distribution with it
(the shifted-beta-geometric model, Fader & Hardie 2007), and her cancellation date falls inside her
``T``-th month. Starts are spread uniformly over 2023-2024; the file is as of :data:`AS_OF`, so
later subscribers are right-censored sooner -- what :func:`crmkit.contract.contract_value` must
handle. With ``lang="zh"`` the headers are Chinese (客户编号, 套餐, 开始日期, 结束日期, 月费).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

__all__ = ["AS_OF", "PLANS", "simulate_subscribers", "write_example"]

#: Plan -> (alpha, beta, monthly fee): the planted parameters.
PLANS: dict[str, tuple[float, float, float]] = {"basic": (0.9, 3.0, 30.0), "premium": (1.2, 9.0, 80.0)}
AS_OF = date(2025, 6, 30)
_FIRST, _LAST = date(2023, 1, 1), date(2024, 12, 31)
_HEADERS = {
    "en": ("customer_id", "plan", "start_date", "end_date", "monthly_fee"),
    "zh": ("客户编号", "套餐", "开始日期", "结束日期", "月费"),
}


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    # day 1..28 exists in every month (starts are drawn on those days)
    return date(year, month, min(day.day, 28))


def simulate_subscribers(n: int = 2000, *, seed: int = 20261202, as_of: date = AS_OF) -> list[tuple]:
    """``n`` subscriber rows ``(customer_id, plan, start, end or None, fee)``; plans alternate
    60/40 basic/premium."""
    import numpy as np

    rng = np.random.default_rng(seed)
    span = (_LAST - _FIRST).days
    rows = []
    for i in range(n):
        plan = "basic" if rng.random() < 0.6 else "premium"
        alpha, beta, fee = PLANS[plan]
        start = _FIRST + timedelta(days=int(rng.integers(0, span + 1)))
        start = start.replace(day=min(start.day, 28))
        theta = rng.beta(alpha, beta)
        # the month she cancels in, 1, 2, ...; past a century she is simply still active on the as-of date
        lifetime = min(int(rng.geometric(max(theta, 1e-12))), 1200)
        month_start = _add_months(start, lifetime - 1)
        end = month_start + timedelta(days=int(rng.integers(1, 28)))
        rows.append((f"S{i + 1:05d}", plan, start, end if end <= as_of else None, fee))
    return rows


def write_example(path: str | Path, *, n: int = 2000, seed: int = 20261202, lang: str = "en") -> Path:
    """Write the example renewal file (UTF-8; with ``lang="zh"`` Chinese headers, UTF-8 with BOM)."""
    path = Path(path)
    rows = simulate_subscribers(n, seed=seed)
    with path.open("w", newline="", encoding="utf-8-sig" if lang == "zh" else "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(_HEADERS[lang])
        for cid, plan, start, end, fee in rows:
            writer.writerow([cid, plan, start.isoformat(), "" if end is None else end.isoformat(), f"{fee:.2f}"])
    return path
