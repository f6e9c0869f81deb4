"""Pareto / ABC / Gini / Lorenz: hand-computed cases and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.pareto import abc_classes, gini, lorenz_points, pareto_analysis, top_share


def test_gini_hand_cases():
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)  # (n-1)/n for one holder of everything
    # x = 1, 2, 3: G = 2*(1*1 + 2*2 + 3*3)/(3*6) - 4/3 = 28/18 - 24/18 = 2/9
    assert gini([3, 1, 2]) == pytest.approx(2 / 9)
    assert gini([]) == 0.0 and gini([0, 0]) == 0.0
    assert gini([-5, 5]) == pytest.approx(0.5)  # negatives count as zero


def test_top_share_and_abc_hand_case():
    values = [100, 50, 30, 10, 10]
    assert top_share(values, 0.2) == pytest.approx(0.5)  # top 1 of 5
    assert top_share(values, 0.4) == pytest.approx(0.75)
    assert abc_classes(values).tolist() == ["A", "A", "A", "B", "B"]
    # a single whale holding 90% is still class A
    assert abc_classes([90, 5, 5]).tolist() == ["A", "B", "B"]


def test_abc_ties_never_split():
    values = [10] * 10
    assert set(abc_classes(values)) == {"A"}
    values = [50, 20, 20, 5, 5]
    cls = abc_classes(values)
    assert cls[1] == cls[2] and cls[3] == cls[4]


def test_lorenz_endpoints_and_analysis():
    lor = lorenz_points([1, 1, 1, 1], points=5)
    assert lor["revenue_share"].tolist() == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    result, cls = pareto_analysis([100, 50, 30, 10, 10], thresholds=(0.5, 0.9))
    assert cls.tolist() == ["A", "B", "B", "C", "C"]
    table = result.classes.set_index("pareto_class")
    assert table["customers"].tolist() == [1, 2, 2]
    assert table["revenue_share"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        abc_classes([1, 2], thresholds=(0.9, 0.5))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-100, max_value=1e6, allow_nan=False), min_size=1, max_size=300))
def test_invariants(values):
    g = gini(values)
    assert 0 <= g <= 1
    lor = lorenz_points(values)
    curve = np.asarray(lor["revenue_share"])
    assert curve[0] == pytest.approx(0) and curve[-1] == pytest.approx(1)
    assert np.all(np.diff(curve) >= -1e-12)  # monotone
    assert np.all(curve <= lor["customer_share"] + 1e-9)  # below the diagonal
    assert 0 <= top_share(values) <= 1
    cls = abc_classes(values)
    v = np.clip(np.asarray(values), 0, None)
    rank = {"A": 0, "B": 1, "C": 2}
    order = np.argsort(-v, kind="stable")
    assert np.all(np.diff([rank[c] for c in cls[order]]) >= 0)  # classes never go back up
