"""The loyalty analysis on generated programmes: no effect found where none was planted, the planted one recovered.

Each world is :func:`crmkit.synth_campaigns.campaign_world` with its members joining at a checkout
and heavier buyers joining more often. With ``loyalty_lift=0`` the members' matched
difference-in-differences should cover 0 in about 95% of seeds; with ``loyalty_lift=0.15`` it
should cover the planted gain per member in the 90 days after joining
(``truth["loyalty"]["window_incremental_spend_per_member"][90]``). The seeds are fixed: the
counts below are what these seeds give, the bounds what a 95% interval would fail below with
probability under 2%.
"""

from __future__ import annotations

import numpy as np
import pytest

from crmkit.loyalty import loyalty
from crmkit.synth_campaigns import campaign_world

CUSTOMERS = 700
NULL_SEEDS = range(20)
EFFECT_SEEDS = range(10)


def _estimate(seed: int, lift: float):
    world = campaign_world(CUSTOMERS, seed=seed, loyalty_lift=lift)
    found = loyalty(world.purchases.rename(columns={"order_date": "date"}), world.loyalty, window="90d")
    return world, found


@pytest.fixture(scope="module")
def runs():
    null = {seed: _estimate(seed, 0.0) for seed in NULL_SEEDS}
    effect = {seed: _estimate(seed, 0.15) for seed in EFFECT_SEEDS}
    return null, effect


def _covers(found, value: float) -> bool:
    row = found.summary.iloc[0]
    return bool(row["spend_did_ci_low"] <= value <= row["spend_did_ci_high"])


def test_no_effect_covers_zero_about_95_percent(runs):
    null, _ = runs
    covered = sum(_covers(found, 0.0) for _, found in null.values())
    estimates = np.array([found.summary["spend_did"].iloc[0] for _, found in null.values()])
    widths = np.array(
        [found.summary.eval("spend_did_ci_high - spend_did_ci_low").iloc[0] for _, found in null.values()]
    )
    # P(fewer than 16 of 20 | 0.95) = 1.6%
    assert covered >= 16, (covered, estimates.round(1).tolist())
    # the mean of 20 estimates is near 0: within 2.5 of its standard errors, and small against the intervals
    assert abs(estimates.mean()) <= 2.5 * estimates.std(ddof=1) / np.sqrt(len(estimates))
    assert abs(estimates.mean()) < 0.25 * widths.mean()
    for world, found in null.values():
        assert world.truth["loyalty"]["window_incremental_spend_per_member"][90] == 0.0
        assert found.summary["matched"].iloc[0] >= 0.5 * found.summary["members"].iloc[0]


def test_planted_effect_is_covered(runs):
    null, effect = runs
    covered_all = covered_matched = 0
    for seed, (world, found) in effect.items():
        planted = world.truth["loyalty"]["window_incremental_spend_per_member"][90]
        assert planted > 0
        covered_all += _covers(found, planted)
        # the same members in the same seed's no-effect world (same purchases, same join days): their own gain
        members = found.members[found.members["role"] == "member"].set_index("customer_id")["revenue"]
        before = null[seed][1].members
        before = before[before["role"] == "member"].set_index("customer_id")["revenue"]
        covered_matched += _covers(found, float((members - before.reindex(members.index)).mean()))
    # P(fewer than 8 of 10 | 0.95) = 1.2%
    assert covered_all >= 8 and covered_matched >= 8, (covered_all, covered_matched)
    mean_effect = np.mean([found.summary["spend_did"].iloc[0] for _, found in effect.values()])
    mean_null = np.mean([null[s][1].summary["spend_did"].iloc[0] for s in EFFECT_SEEDS])
    assert mean_effect > mean_null
