"""The loyalty ladder as data rules: one rung per person, the rule that put them there, the next step.

Rungs, bottom to top (Christopher, Payne & Ballantyne's relationship-marketing ladder, as
Chinese CRM textbooks name them):

- **suspect** 潜在顾客 — known (member/contact list, referred by someone, a return without a
  purchase), no purchase occasion and no sign of interest;
- **prospect** 可能顾客 — no purchase yet, but a sign of interest: registered, enquired,
  answered a survey, or referred someone;
- **customer** 顾客 — one purchase occasion; or a repeat buyer who is no longer active;
- **regular** 常客 — a repeat buyer who is active: P(alive) >= ``p_alive_min`` or days since the
  last purchase <= ``cycle_multiple`` x their own mean inter-purchase gap;
- **supporter** 支持者 — a regular whose survey satisfaction >= ``satisfaction_min``; without an
  answer, the proxy: occasions and tenure both at least the ``supporter_quantile`` quantile among
  all regulars (and the floors ``supporter_min_occasions``, ``supporter_min_tenure_days``);
- **advocate** 拥护者 — a supporter with recommend >= ``recommend_min`` or at least
  ``min_referrals`` referrals; with neither a recommend answer nor referral data, the proxy:
  occasions at least the ``advocate_quantile`` quantile among regulars (floor
  ``advocate_min_occasions``) and a purchase within ``advocate_recency_cycles`` x own mean gap.
  A recommend answer below the bar, or referral data showing none, is evidence: no proxy
  overrides it.

With complaints (``[complaints]`` rules), a person with a complaint open at ``as_of`` (opened on
or before it and not resolved by it), or with ``recent_days`` > 0 a complaint at most that many
days old, is no supporter or advocate: held at regular, whatever the survey or proxy says.

Thresholds are the keys of ``crmkit/ladder/ladder_rules.toml`` (:func:`~crmkit.ladder.rules.load_rules`).

The ``basis`` column says how much to trust the top rungs: ``"behaviour"`` for people below
regular (purchases and contact flags decide), ``"survey"`` for regulars and above whose
supporter/advocate tests all used what they told us or did for us (survey answers, referral
records), ``"proxy"`` when any of those tests fell back to a behavioural proxy.

Lifecycle stages (Dwyer, Schurr & Oh 1987, "Developing buyer-seller relationships", J. of
Marketing 51(2); the phases as Chinese CRM textbooks name them), for buyers only; people who
never bought have stage ``"none"``. Checked in order:

1. decline 退化期 — a repeat buyer with P(alive) < ``decline_p_alive`` (when a model is fitted)
   or days since the last purchase > ``decline_gap_multiple`` x their mean gap; a one-time
   buyer whose only purchase is older than ``exploration_days``;
2. exploration 考察期 — one purchase occasion at most ``exploration_days`` ago;
3. stability 稳定期 — a repeat buyer with >= ``stability_min_occasions`` occasions and
   >= ``stability_min_tenure_days`` days since the first purchase;
4. formation 形成期 — every other repeat buyer (few occasions or short tenure).

P(alive) comes from a BG/NBD fit (Fader, Hardie & Lee 2005) on the repeat-purchase summary
(:func:`crmkit.summary.repeat_summary`, fitted by :func:`crmkit.clv.fit_transaction_model`, the
rule the CLV shares); with fewer than ``min_repeat_buyers`` repeat buyers, or when the fit fails,
activity and decline use the own-cycle rules alone and ``notes`` says so.

Placing is two steps: :func:`place` gives everyone a rung, basis and stage, column by column,
with the :class:`~crmkit.ladder.explain.Outcomes` of the tests it ran; then
:func:`crmkit.ladder.explain.reasons` renders them as the ``reason`` sentences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from crmkit.errors import ColumnError, DataError
from crmkit.io.options import as_date, check_lang
from crmkit.ladder.explain import SIGNS, STAGE_LABELS, Outcomes, complaint_notes, proxy_notes, reasons
from crmkit.ladder.rules import RANK, RUNGS, STAGES, load_rules
from crmkit.pushdown import PushedDown, push_down

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LadderResult", "Placement", "ladder", "place"]


# --- inputs ----------------------------------------------------------------------------------


def _require(frame, columns, what: str):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ColumnError(
            f"{what} has no {', '.join(missing)} column", hint="columns found: " + ", ".join(map(str, frame.columns))
        )


def _ids(series):
    # Exports read by crmkit.io.purchases keep ids as text; a caller's frame may hold numbers. One type
    # everywhere, or member 17 and customer "17" would be two people.
    return series.astype("string").str.strip()


def _dated(frame, as_of: date):
    """Rows on or before ``as_of`` when the frame has a ``date`` column (referrals, survey)."""
    import pandas as pd

    if frame is None or "date" not in frame.columns:
        return frame
    return frame[pd.to_datetime(frame["date"]).dt.date <= as_of]


def _flag(frame, column: str):
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].fillna(False).astype(bool).to_numpy()


# --- buyers, known people, survey scores --------------------------------------------------------


def _fit_p_alive(summary, rules: dict, notes: list) -> tuple[np.ndarray, dict | None]:
    """P(alive) per buyer from a BG/NBD fit, or NaN (and a note) when none can be fitted."""
    from crmkit.clv import fit_transaction_model, repeat_buyers
    from crmkit.errors import FitError

    nan = np.full(len(summary), np.nan)
    repeaters = repeat_buyers(summary)
    minimum = rules["activity"]["min_repeat_buyers"]
    fallback = (
        f"activity judged by the own-cycle rule only (days since last purchase <= "
        f"{rules['activity']['cycle_multiple']:g} x own mean gap; decline beyond "
        f"{rules['lifecycle']['decline_gap_multiple']:g} x)"
    )
    try:
        model = fit_transaction_model(summary, "bgnbd", min_repeat_buyers=minimum)
    except FitError as exc:
        notes.append(f"the BG/NBD fit failed ({exc.message}); {fallback}")
        return nan, None
    if model is None:
        notes.append(f"only {repeaters} repeat buyer(s), fewer than {minimum}: no BG/NBD model; {fallback}")
        return nan, None
    notes.append(
        f"P(alive) from a BG/NBD model fitted on {len(summary)} buyers ({repeaters} repeat buyers), "
        f"unit {rules['activity']['unit']}"
    )
    x, t_x, T = (summary[c].to_numpy(float) for c in ("x", "t_x", "T"))
    return (
        np.asarray(model.p_alive(x, t_x, T), dtype=float),
        {
            "model": "bgnbd",
            "unit": rules["activity"]["unit"],
            "params": dict(model.params_),
            "converged": bool(model.converged_),
        },
    )


def _buyers(transactions, as_of: date, rules: dict, notes: list):
    """Per buyer: occasions, day-based recency/tenure/mean gap, model-clock x/t_x/T, P(alive)."""
    import pandas as pd

    from crmkit.summary import repeat_summary

    summary = repeat_summary(transactions, as_of, unit=rules["activity"]["unit"])
    p_alive, model = _fit_p_alive(summary, rules, notes) if len(summary) else (np.zeros(0), None)
    day = pd.Timestamp(as_of)
    buyers = pd.DataFrame(
        {
            "customer_id": _ids(summary["customer_id"]).to_numpy(),
            "frequency": summary["x"].to_numpy(int),
            "recency_days": (day - pd.to_datetime(summary["last_purchase"])).dt.days.to_numpy(float),
            "tenure_days": (day - pd.to_datetime(summary["first_purchase"])).dt.days.to_numpy(float),
            "p_alive": p_alive,
        }
    )
    buyers["occasions"] = buyers["frequency"] + 1
    span = buyers["tenure_days"] - buyers["recency_days"]
    # mean inter-purchase time; undefined for one-time buyers (no rhythm yet)
    buyers["mean_gap_days"] = np.where(buyers["frequency"] > 0, span / buyers["frequency"].clip(lower=1), np.nan)
    return buyers, model


def _known_people(transactions, as_of: date, members, survey, referrals):
    """Every person the ladder places, with where we know them from and their signs of interest."""
    import pandas as pd

    frames = []
    if isinstance(transactions, PushedDown):  # asked where the rows are
        seen = transactions.customers_seen(as_of)
    else:
        dates = pd.to_datetime(transactions["date"])
        seen = transactions.loc[(dates.dt.date <= as_of).to_numpy(), "customer_id"]
    frames.append(pd.DataFrame({"customer_id": _ids(seen), "source": "purchases"}))
    if members is not None:
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": _ids(members["customer_id"]),
                    "source": "member",
                    "registered": _flag(members, "registered"),
                    "enquired": _flag(members, "enquired"),
                }
            )
        )
    if survey is not None:
        frames.append(pd.DataFrame({"customer_id": _ids(survey["customer_id"]), "source": "survey", "survey": True}))
    if referrals is not None:
        frames.append(
            pd.DataFrame({"customer_id": _ids(referrals["referrer_id"]), "source": "referrer", "referrer": True})
        )
        frames.append(pd.DataFrame({"customer_id": _ids(referrals["referred_id"]), "source": "referred"}))
    known = pd.concat(frames, ignore_index=True)
    known = known[known["customer_id"].notna() & (known["customer_id"] != "")]
    for sign in ("registered", "enquired", "survey", "referrer"):
        known[sign] = known[sign].fillna(False).astype(bool) if sign in known else False
    # the first source listed wins: the member list is the most telling for a suspect
    order = {"member": 0, "referred": 1, "purchases": 2, "survey": 3, "referrer": 4}
    known["order"] = known["source"].map(order)
    return (
        known.sort_values("order", kind="stable")
        .groupby("customer_id", sort=True)
        .agg(
            source=("source", "first"),
            registered=("registered", "any"),
            enquired=("enquired", "any"),
            survey=("survey", "any"),
            referrer=("referrer", "any"),
        )
        .reset_index()
    )


def _survey_scores(survey):
    """Mean satisfaction and recommend answer per respondent (several responses are averaged)."""
    import pandas as pd

    if survey is None:
        return pd.DataFrame(columns=["customer_id", "satisfaction", "recommend"])
    out = pd.DataFrame({"customer_id": _ids(survey["customer_id"])})
    for column, high in (("satisfaction", 100.0), ("recommend", 10.0)):
        if column in survey.columns:
            values = pd.to_numeric(survey[column], errors="coerce")
            bad = values[(values < 0) | (values > high)]
            if len(bad):
                raise DataError(f"{column} must be between 0 and {high:g}, not {float(bad.iloc[0]):g}", column=column)
            out[column] = values.to_numpy(float)
        else:
            out[column] = np.nan
    # sorted first: a mean's last digits depend on the order it adds the answers in
    out = out.sort_values(["customer_id", "satisfaction", "recommend"], kind="stable")
    return out.groupby("customer_id", sort=False)[["satisfaction", "recommend"]].mean().reset_index()


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else math.inf


# --- deciding the rung ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where each person stands (:func:`place`): arrays with one element per row of the people table.

    Attributes
    ----------
    rung, basis, lifecycle_stage : numpy.ndarray of str
    outcomes : crmkit.ladder.explain.Outcomes
        The tests behind them, for :func:`~crmkit.ladder.explain.reasons`.
    """

    rung: np.ndarray
    basis: np.ndarray
    lifecycle_stage: np.ndarray
    outcomes: Outcomes


def _choose(conditions: list[np.ndarray], choices: list[str], default: str) -> np.ndarray:
    return np.select(conditions, choices, default).astype(object)


def place(people, rules: dict, *, fitted: bool, have_referrals: bool) -> Placement:
    """The rung, basis and lifecycle stage of every row of ``people``, and the tests behind them.

    The rules of the module docstring, applied to whole columns at once. ``people`` holds one
    row per known person with the columns :func:`ladder` assembles (``source``, the signs of
    interest, ``frequency, occasions, recency_days, tenure_days, mean_gap_days, p_alive,
    satisfaction, recommend, referrals``; ``frequency`` is NaN for people who never bought);
    ``fitted`` says P(alive) comes from a model, ``have_referrals`` that referral data was given
    (so none is evidence).
    """
    act, srv, prx, life = rules["activity"], rules["survey"], rules["proxy"], rules["lifecycle"]

    def col(name: str) -> np.ndarray:
        return people[name].to_numpy(float, na_value=np.nan)

    frequency, occasions, recency = col("frequency"), col("occasions"), col("recency_days")
    tenure, gap, p_alive = col("tenure_days"), col("mean_gap_days"), col("p_alive")
    satisfaction, recommend, referrals = col("satisfaction"), col("recommend"), col("referrals")
    n = len(people)
    bought = ~np.isnan(frequency)
    repeat = bought & (occasions > 1)
    keen = np.zeros(n, dtype=bool)
    for sign in SIGNS:
        keen |= people[sign].to_numpy(bool)
    first = _choose([~bought & keen, ~bought, ~repeat], ["prospect", "suspect", "one"], "active")

    # activity (issue #5): P(alive) or the own cycle; NaN compares False, as a missing value should
    p_alive_ok = (p_alive >= act["p_alive_min"]) if fitted else np.zeros(n, dtype=bool)
    cycle_ok = recency <= act["cycle_multiple"] * gap
    active = repeat & (p_alive_ok | cycle_ok)

    # the proxy bars are quantiles among the active repeat buyers (the regulars and above)
    sup_occasions = max(prx["supporter_min_occasions"], _quantile(occasions[active], prx["supporter_quantile"]))
    sup_tenure = max(prx["supporter_min_tenure_days"], _quantile(tenure[active], prx["supporter_quantile"]))
    adv_occasions = max(prx["advocate_min_occasions"], _quantile(occasions[active], prx["advocate_quantile"]))
    proxies = bool(prx["use_proxies"])

    # the supporter test: the survey when answered, else the proxy
    answered_sat = ~np.isnan(satisfaction)
    supporter = _choose([~active, answered_sat, np.full(n, proxies)], ["", "sat", "sup_proxy"], "no_proxy")
    supporter_ok = (
        np.where(
            answered_sat,
            satisfaction >= srv["satisfaction_min"],
            proxies & (occasions >= sup_occasions) & (tenure >= sup_tenure),
        )
        & active
    )

    # the advocate test: a recommend answer or referrals, else the proxy; a recommend answer below
    # the bar, or referral data showing too few referrals, is evidence no proxy overrides
    answered_rec = ~np.isnan(recommend)
    referred = np.nan_to_num(referrals) >= srv["min_referrals"]
    recommends = answered_rec & (recommend >= srv["recommend_min"])
    evidence = answered_rec | have_referrals
    advocate = _choose(
        [~supporter_ok, recommends, have_referrals & referred, evidence, np.full(n, proxies)],
        ["", "rec", "ref", "rec", "adv_proxy"],
        "no_proxy",
    )
    adv_proxy = (occasions >= adv_occasions) & (recency <= prx["advocate_recency_cycles"] * gap)
    advocate_ok = supporter_ok & (recommends | (have_referrals & referred) | (~evidence & proxies & adv_proxy))

    held = _held(people, rules, supporter_ok, col)
    kept = supporter_ok if held is None else supporter_ok & (held == "")
    rung = _choose(
        [first == "prospect", first == "suspect", ~active, advocate_ok & kept, kept],
        ["prospect", "suspect", "customer", "advocate", "supporter"],
        "regular",
    )
    # basis: the proxy as soon as any top-rung test used it; the survey when one ran and none did
    proxied = (supporter == "sup_proxy") | (advocate == "adv_proxy")
    surveyed = (supporter == "sat") & ~proxied
    basis = _choose([proxied, surveyed], ["proxy", "survey"], "behaviour")
    # the lifecycle stage of a buyer does not depend on the rung
    declining = (recency > life["decline_gap_multiple"] * gap) | (fitted & (p_alive < life["decline_p_alive"]))
    stable = (occasions >= life["stability_min_occasions"]) & (tenure >= life["stability_min_tenure_days"])
    stage = _choose(
        [~bought, ~repeat & (recency <= life["exploration_days"]), ~repeat, declining, stable],
        ["none", "exploration", "decline", "decline", "stability"],
        "formation",
    )
    outcomes = Outcomes(
        first=first,
        p_alive_ok=p_alive_ok,
        cycle_ok=cycle_ok,
        active=active,
        supporter=supporter,
        supporter_ok=supporter_ok,
        advocate=advocate,
        advocate_ok=advocate_ok,
        fitted=fitted,
        have_referrals=have_referrals,
        held=held,
    )
    return Placement(rung=rung, basis=basis, lifecycle_stage=stage, outcomes=outcomes)


def _held(people, rules: dict, supporter_ok: np.ndarray, col) -> np.ndarray | None:
    """Why each person who passed the supporter test is held at regular by a complaint, or None.

    Satisfaction is experience against expectation (Oliver 1980, "A cognitive model of the
    antecedents and consequences of satisfaction decisions", J. of Marketing Research 17(4)); an
    open complaint is an expectation still unmet, so no survey answer or proxy makes its author
    a supporter. ``open`` when ``cap_open`` and a complaint is open at ``as_of``; else ``recent``
    when ``recent_days`` > 0 and the last complaint is at most that many days old; else ``""``.
    None when the people table has no complaint columns (no complaints were given).
    """
    if "open_complaints" not in people.columns:
        return None
    cmp = rules["complaints"]
    open_now = bool(cmp["cap_open"]) & (np.nan_to_num(col("open_complaints")) > 0)
    # NaN (no complaint) compares False
    recent = (cmp["recent_days"] > 0) & (col("complaint_days") <= cmp["recent_days"])
    return _choose([supporter_ok & open_now, supporter_ok & recent], ["open", "recent"], "")


# --- complaints --------------------------------------------------------------------------------------


def complaint_columns(complaints, as_of: date):
    """``customer_id, complaints, open_complaints, last_complaint`` per complainer at ``as_of``.

    ``complaints`` is a complaints export (path or table), a :class:`crmkit.io.complaints.Complaints`,
    a :class:`crmkit.feedback.FeedbackResult` (all counted afresh at ``as_of`` by
    :func:`crmkit.feedback.complaint_signals`), or that function's frame already computed, used
    as it is (its counts are those of the date it was computed at).
    """
    import pandas as pd

    from crmkit.feedback import complaint_signals

    signals = ("customer_id", "complaints", "open_complaints")
    if isinstance(complaints, pd.DataFrame) and set(signals) <= set(complaints.columns):
        frame = complaints
    else:
        frame = complaint_signals(complaints, as_of)
    out = pd.DataFrame(
        {
            "customer_id": _ids(frame["customer_id"]).to_numpy(),
            "complaints": pd.to_numeric(frame["complaints"], errors="coerce").fillna(0).to_numpy(int),
            "open_complaints": pd.to_numeric(frame["open_complaints"], errors="coerce").fillna(0).to_numpy(int),
        }
    )
    last = frame["last_complaint"] if "last_complaint" in frame.columns else pd.Series(pd.NaT, index=frame.index)
    out["last_complaint"] = pd.to_datetime(last.to_numpy()).normalize()
    # one row per person, whatever the caller's frame held
    return (
        out.groupby("customer_id", sort=True)
        .agg(complaints=("complaints", "sum"), open_complaints=("open_complaints", "sum"),
             last_complaint=("last_complaint", "max"))
        .reset_index()
    )  # fmt: skip


def _add_complaints(people, complaints, as_of: date):
    """``people`` with ``complaints, open_complaints`` (0 for people who never complained),
    ``last_complaint`` and ``complaint_days`` (days from it to ``as_of``)."""
    import pandas as pd

    found = complaint_columns(complaints, as_of)
    people = people.merge(found, on="customer_id", how="left")
    for column in ("complaints", "open_complaints"):
        people[column] = people[column].fillna(0).astype("Int64")
    people["complaint_days"] = (pd.Timestamp(as_of) - people["last_complaint"]).dt.days.to_numpy(float)
    return people, found


# --- the ladder ----------------------------------------------------------------------------------


@dataclass
class LadderResult:
    """Everything ``crmkit ladder`` computes.

    Attributes
    ----------
    people : pandas.DataFrame
        One row per person, sorted by rung (top first) then id: ``customer_id, rung, rung_label,
        lifecycle_stage, stage_label, reason, next_action, basis, p_alive, frequency, occasions,
        recency_days, tenure_days, mean_gap_days, satisfaction, recommend, referrals``.
        ``frequency`` = repeat occasions (occasions - 1, as in :mod:`crmkit.clv`); ``recency_days``
        = days from the last purchase to ``as_of``; ``p_alive`` is NaN without a model and for
        people who never bought. With complaints, ``complaints, open_complaints, last_complaint``
        follow (counts up to ``as_of``, 0 for people who never complained; the day of the last).
    distribution : pandas.DataFrame
        ``rung, rung_label, count, share``, one row per rung in ladder order (bottom first).
    stages : pandas.DataFrame
        ``lifecycle_stage, stage_label, count, share`` in :data:`~crmkit.ladder.rules.STAGES` order.
    notes : list of str
        How P(alive) was obtained and which proxies were used for how many people.
    as_of : datetime.date
    rules : dict
        The rules used (:func:`~crmkit.ladder.rules.load_rules`).
    lang : {"en", "zh"}
        Language of the labels, reasons and next actions.
    model : dict or None
        BG/NBD parameters and settings, or None when no model was fitted.
    """

    people: pd.DataFrame
    distribution: pd.DataFrame
    stages: pd.DataFrame
    notes: list[str]
    as_of: date
    rules: dict
    lang: str = "en"
    model: dict | None = None

    def to_dict(self) -> dict:
        """Everything as JSON-ready values; ``people`` is what ``crmkit ladder -f json`` writes."""
        from crmkit.io.engine import records

        return {
            "as_of": self.as_of.isoformat(),
            "lang": self.lang,
            "model": self.model,
            "notes": list(self.notes),
            "distribution": records(self.distribution),
            "stages": records(self.stages),
            "people": records(self.people),
        }


def transactions_frame(transactions, engine: str | None = None):
    """Purchases as the cleaned pandas frame the ladder works on, and the last purchase date.

    A frame that already has the cleaned columns (``customer_id, date, amount, is_return``, as
    :attr:`PurchaseData.transactions` has) is used as it is; anything else goes through
    :func:`crmkit.io.purchases.as_purchases`, like every analysis' input.
    """
    import pandas as pd

    from crmkit.io.purchases import as_purchases

    cleaned = {"customer_id", "date", "amount", "is_return"}
    if isinstance(transactions, pd.DataFrame) and cleaned <= set(transactions.columns):
        # the last purchase, not a later return, is the default analysis date
        dates = pd.to_datetime(transactions.loc[~transactions["is_return"].astype(bool), "date"])
        return transactions, (dates.max().date() if len(dates) else None)
    data = push_down(transactions, engine=engine) or as_purchases(transactions)
    if isinstance(data, PushedDown):  # aggregated where the rows are: no frame of them here
        return data, data.quality.last_purchase or data.quality.last_date
    return data.con.sql(data.sql).df(), data.quality.last_purchase or data.quality.last_date


def ladder(
    transactions,
    as_of=None,
    *,
    members=None,
    survey=None,
    referrals=None,
    complaints=None,
    rules=None,
    lang: str = "en",
    engine: str | None = None,
) -> LadderResult:
    """Place every known person on the loyalty ladder and in a relationship lifecycle stage.

    Parameters
    ----------
    transactions : pandas.DataFrame or crmkit.io.purchases.PurchaseData
        One row per transaction: ``customer_id, date, amount, is_return``. Rows after ``as_of``
        are ignored.
    as_of : datetime.date or str
        The analysis date.
    members : pandas.DataFrame, optional
        The member/contact list: ``customer_id`` and optional boolean ``registered``, ``enquired``
        (a sign of interest). Without it the ladder knows only buyers, respondents and referrals.
    survey : pandas.DataFrame, optional
        One row per respondent: ``customer_id`` and optional ``satisfaction`` (0-100, e.g. the
        satisfaction index of :func:`crmkit.satisfaction.analyse_survey` ``.respondents``) and
        ``recommend`` (0-10); an optional ``date`` drops answers after ``as_of``. Several answers
        of one person are averaged. Answering at all is a sign of interest.
    referrals : pandas.DataFrame, optional
        ``referrer_id, referred_id`` (:func:`crmkit.io.inputs.read_referrals`), optional ``date``.
        Referring someone is a sign of interest; a referred person is a known contact.
    complaints : str, pathlib.Path, Complaints, pandas.DataFrame or None
        A complaints export (path or table, read by :func:`crmkit.io.complaints.read_complaints`),
        the :class:`~crmkit.io.complaints.Complaints` read, or the frame of
        :func:`crmkit.feedback.complaint_signals` (used as it is). Adds ``complaints,
        open_complaints, last_complaint`` to ``people``; with the ``[complaints]`` rules a person
        with a complaint open at ``as_of`` (or, with ``recent_days`` > 0, a recent one) who would
        be a supporter or advocate is held at regular, and anyone with an open complaint gets the
        service-recovery next action. Complaints do not make anyone known: a complainer the other
        inputs do not know is not placed (and counted in ``notes``).
    rules : str, pathlib.Path, mapping or None
        Rules file or overrides, see :func:`load_rules`.
    lang : {"en", "zh"}
        Language of ``rung_label``, ``stage_label``, ``reason`` and ``next_action``.
    engine : {"duckdb", "db", "spark"}, optional
        Where the purchases are aggregated, as in :func:`crmkit.segment.segment` (default: a
        database source in its database, a Spark source on Spark).

    Returns
    -------
    LadderResult

    Raises
    ------
    crmkit.errors.ColumnError
        An input lacks a required column.
    crmkit.errors.DataError
        A survey answer out of range.
    crmkit.errors.ConfigError
        Invalid rules.

    Examples
    --------
    >>> import pandas as pd, datetime
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-03-01"]),
    ...                    "amount": [10.0, 20.0, 40.0, 5.0], "is_return": [False] * 4})
    >>> result = ladder(tx, datetime.date(2024, 3, 10), members=pd.DataFrame({"customer_id": ["c"]}))
    >>> result.people.set_index("customer_id")["rung"].to_dict()
    {'a': 'regular', 'b': 'customer', 'c': 'suspect'}
    """
    import pandas as pd

    lang = check_lang(lang)
    rules = load_rules(rules)
    transactions, last_day = transactions_frame(transactions, engine)
    as_of = last_day if as_of is None else as_date(as_of, "as_of")
    _require(transactions, ("customer_id", "date", "amount", "is_return"), "the transactions")
    if members is not None:
        _require(members, ("customer_id",), "the member list")
    if survey is not None:
        _require(survey, ("customer_id",), "the survey")
    if referrals is not None:
        _require(referrals, ("referrer_id", "referred_id"), "the referrals")
    survey, referrals = _dated(survey, as_of), _dated(referrals, as_of)

    notes: list[str] = []
    buyers, model = _buyers(transactions, as_of, rules, notes)
    people = _known_people(transactions, as_of, members, survey, referrals).merge(buyers, on="customer_id", how="left")
    people = people.merge(_survey_scores(survey), on="customer_id", how="left")
    if referrals is not None:
        counts = _ids(referrals["referrer_id"]).value_counts()
        people["referrals"] = people["customer_id"].map(counts).fillna(0).astype(int)
    else:
        people["referrals"] = pd.array([pd.NA] * len(people), dtype="Int64")

    found = None
    if complaints is not None:
        people, found = _add_complaints(people, complaints, as_of)
    placement = place(people, rules, fitted=model is not None, have_referrals=referrals is not None)
    placed = pd.DataFrame(
        {
            "rung": placement.rung,
            "reason": reasons(people, placement.outcomes, rules, lang),
            "basis": placement.basis,
            "lifecycle_stage": placement.lifecycle_stage,
        },
        index=people.index,
    )
    people = pd.concat([people, placed], axis=1)
    labels = {r: rules["rungs"][r][f"label_{lang}"] for r in RUNGS}
    people["rung_label"] = people["rung"].map(labels)
    stage_labels = {s: STAGE_LABELS[s][lang] for s in STAGES}
    people["stage_label"] = people["lifecycle_stage"].map(stage_labels)
    people["next_action"] = people["rung"].map({r: rules["rungs"][r][f"next_action_{lang}"] for r in RUNGS})
    if found is not None:
        held = placement.outcomes.held
        # a service recovery comes before any step up: the open complaint first, whatever the rung
        recent = np.asarray(held == "recent")
        unresolved = (people["open_complaints"] > 0).to_numpy(bool) | np.asarray(held == "open")
        people.loc[recent & ~unresolved, "next_action"] = rules["complaints"][f"recent_action_{lang}"]
        people.loc[unresolved, "next_action"] = rules["complaints"][f"next_action_{lang}"]
    people["_rank"] = people["rung"].map(RANK)
    people = people.sort_values(["_rank", "customer_id"], ascending=[False, True], kind="stable")
    columns = [
        "customer_id",
        "rung",
        "rung_label",
        "lifecycle_stage",
        "stage_label",
        "reason",
        "next_action",
        "basis",
        "p_alive",
        "frequency",
        "occasions",
        "recency_days",
        "tenure_days",
        "mean_gap_days",
        "satisfaction",
        "recommend",
        "referrals",
    ]
    if found is not None:
        columns += ["complaints", "open_complaints", "last_complaint"]
    people = people[columns].reset_index(drop=True)
    for column in ("frequency", "occasions"):
        people[column] = people[column].astype("Int64")
    notes.extend(proxy_notes(people, rules, survey, referrals))
    if found is not None:
        notes.extend(complaint_notes(people, found, rules, placement.outcomes.held, as_of))
    return LadderResult(
        people=people,
        distribution=_count_table(people, "rung", RUNGS, "rung_label", labels),
        stages=_count_table(people, "lifecycle_stage", STAGES, "stage_label", stage_labels),
        notes=notes,
        as_of=as_of,
        rules=rules,
        lang=lang,
        model=model,
    )


def _count_table(people, column: str, keys: tuple[str, ...], label_column: str, labels: dict[str, str]):
    """People per key of ``column`` in ``keys`` order, with labels and shares (the distribution, the stages)."""
    import pandas as pd

    counts = people[column].value_counts().reindex(list(keys), fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame(
        {
            column: list(keys),
            label_column: [labels[k] for k in keys],
            "count": counts.to_numpy(int),
            "share": counts.to_numpy(float) / total if total else np.zeros(len(keys)),
        }
    )
