"""The bounded, seeded slice of the fuzzer that runs in the default test suite.

About 200 cases (an input through one command each, about 36 inputs of the six kinds — sales,
survey, members, campaign, complaints and renewal files): every
mutation appears, two inputs run at a time, and the slice takes about three minutes on an
otherwise idle 2-core machine. A failure prints the summary: the failure classes, and each failing case's input,
command and output kept under the test's ``tmp_path`` (rerun one input with
``python -m tests.fuzz --seed 20261201 --only N --out /tmp/fuzz``).
"""

from __future__ import annotations

from collections import Counter

import pytest

from .__main__ import campaign, render_summary
from .mutations import KIND_SHARES, MUTATIONS, make_input
from .runner import run_input

SEED = 20261201
CASES = 200


def test_inputs_are_reproducible():
    first = [make_input(SEED, i) for i in range(12)]
    again = [make_input(SEED, i) for i in range(12)]
    assert [(x.mutation, x.filename, x.data) for x in first] == [(x.mutation, x.filename, x.data) for x in again]


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_every_mutation_makes_an_input(mutation):
    made = make_input(SEED, 0, mutation)
    assert made.mutation == mutation and made.data is not None and made.kind in KIND_SHARES
    assert len(made.data) < 2_000_000  # small in absolute terms, also the gzip bomb


@pytest.mark.parametrize("mutation", sorted(set(MUTATIONS) - {"survey_off_scale"}))
def test_every_mutation_makes_a_members_file(mutation):
    made = make_input(SEED, 1, mutation, kind="attributes")
    assert made.kind == "attributes" and made.companion.startswith(b"order_id,customer_id,")
    assert len(made.data) < 4_000_000  # three 400,000-character fields of 客 in UTF-16 are the largest


def test_the_kinds_are_drawn_in_their_shares():
    kinds = Counter(make_input(SEED, i).kind for i in range(120))
    assert 8 <= kinds["attributes"] <= 32 and kinds["sales"] > kinds["survey"] > 0, kinds


@pytest.mark.parametrize("mutation", sorted(set(MUTATIONS) - {"survey_off_scale"}))
def test_every_mutation_makes_a_renewal_file(mutation):
    made = make_input(SEED, 3, mutation, kind="renewals")
    assert made.kind == "renewals" and made.data is not None and len(made.data) < 4_000_000


@pytest.mark.parametrize("index", [4, 11])  # subscribers: --interval --view customers --report; cohorts
def test_an_unmutated_renewal_file_runs_clean(tmp_path, index):
    made = make_input(SEED, index, "valid", kind="renewals")
    cases = run_input(made, index, tmp_path)
    assert [c.argv[:4] for c in cases] == [["clv", made.filename, "--model", "sbg"]]
    assert all(c.outcome == "ok" for c in cases), [(c.outcome, c.detail, c.stderr[-300:]) for c in cases]


def test_clv_with_intervals_on_an_unmutated_sales_export(tmp_path):
    made = make_input(SEED, 6, "valid", kind="sales")
    cases = run_input(made, 6, tmp_path, commands=("clv",))
    assert cases[0].argv[-2:] == ["--interval", "0.9"]
    assert all(c.outcome == "ok" for c in cases), [(c.outcome, c.detail, c.stderr[-300:]) for c in cases]


def test_an_unmutated_members_file_runs_clean(tmp_path):
    made = make_input(SEED, 2, "valid", kind="attributes")
    cases = run_input(made, 2, tmp_path)
    assert [c.command for c in cases] == ["profile", "care"]
    assert all(c.outcome == "ok" for c in cases), [(c.outcome, c.detail, c.stderr[-300:]) for c in cases]


@pytest.mark.slow
def test_fuzz_slice(tmp_path):
    summary = campaign(CASES, SEED, tmp_path / "fuzz", workers=2, work_dir=tmp_path / "work")
    assert summary["cases"] >= CASES
    assert not summary["failure_classes"], render_summary(summary)
