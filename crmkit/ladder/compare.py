"""The ladder at two dates: who moved from which rung to which, and the comparison both reports use.

:func:`compare_ladders` is what ``crmkit ladder`` and the monthly report call: it reads the
optional inputs when given as paths, places everyone at both dates and builds the migration
matrix, returned as a :class:`LadderComparison`.
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from crmkit.io.engine import records
from crmkit.io.options import as_date, check_lang
from crmkit.ladder.placement import LadderResult, ladder, transactions_frame
from crmkit.ladder.rules import RANK, RUNGS, load_rules

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LadderComparison",
    "compare_ladders",
    "ladder_at_two_dates",
    "migration",
    "migration_summary",
    "month_before",
]


def migration(before: LadderResult, after: LadderResult):
    """The migration matrix between two ladders: who moved from which rung to which.

    Rows are the rung at the earlier date plus ``new`` (people absent from ``before``); columns
    are the rung at the later date plus ``left`` (people absent from ``after``). The ``new`` /
    ``left`` cell is always 0. So each rung row sums to that rung's count in ``before``, the
    ``new`` row to the people only in ``after``; each rung column sums to that rung's count in
    ``after``, the ``left`` column to the people only in ``before``; the grand total is everyone
    in either ladder.

    Parameters
    ----------
    before, after : LadderResult
        Ladders at the earlier and the later date.

    Returns
    -------
    pandas.DataFrame
        Integer counts, index ``RUNGS + ("new",)`` named ``before``, columns
        ``RUNGS + ("left",)`` named ``after``.

    Examples
    --------
    >>> import pandas as pd, datetime
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-01"]),
    ...                    "amount": [1.0, 1.0, 1.0], "is_return": [False] * 3})
    >>> m = migration(ladder(tx, "2024-01-15"), ladder(tx, "2024-02-15"))
    >>> int(m.loc["customer", "regular"]), int(m.loc["new", "customer"])
    (1, 1)
    """
    import pandas as pd

    rows, cols = [*RUNGS, "new"], [*RUNGS, "left"]
    pairs = before.people[["customer_id", "rung"]].merge(
        after.people[["customer_id", "rung"]], on="customer_id", how="outer", suffixes=("_before", "_after")
    )
    pairs["rung_before"] = pairs["rung_before"].fillna("new")
    pairs["rung_after"] = pairs["rung_after"].fillna("left")
    matrix = pd.crosstab(pairs["rung_before"], pairs["rung_after"]).reindex(index=rows, columns=cols, fill_value=0)
    matrix.index.name, matrix.columns.name = "before", "after"
    return matrix.astype(int)


def migration_summary(matrix):
    """Moved up / slipped down / stayed / left / new, from a :func:`migration` matrix.

    Returns
    -------
    pandas.DataFrame
        ``movement, people, share`` with movements ``moved_up, stayed, slipped_down, new, left``;
        shares are of everyone in either ladder.
    """
    import pandas as pd

    counts = dict.fromkeys(("moved_up", "stayed", "slipped_down", "new", "left"), 0)
    for r_before in RUNGS:
        for r_after in RUNGS:
            n = int(matrix.loc[r_before, r_after])
            step = RANK[r_after] - RANK[r_before]
            counts["moved_up" if step > 0 else "slipped_down" if step < 0 else "stayed"] += n
    counts["new"] = int(matrix.loc["new", list(RUNGS)].sum())
    counts["left"] = int(matrix.loc[list(RUNGS), "left"].sum())
    total = sum(counts.values())
    return pd.DataFrame(
        {
            "movement": list(counts),
            "people": list(counts.values()),
            "share": [n / total if total else 0.0 for n in counts.values()],
        }
    )


def ladder_at_two_dates(transactions, as_of, compare_to, **kw):
    """Ladders at two dates and the migration between them.

    Parameters
    ----------
    transactions : pandas.DataFrame or crmkit.io.purchases.PurchaseData
    as_of, compare_to : datetime.date or str
        The two dates, in either order: the earlier one is ``before``.
    **kw
        Passed to :func:`~crmkit.ladder.placement.ladder` for both dates (``members``,
        ``survey``, ``referrals``, ``complaints``, ``rules``, ``lang``). Survey answers and
        referrals with a ``date`` column count only up to each date; a member list has no dates
        and is the same at both. Complaints (an export or :class:`~crmkit.io.complaints.Complaints`)
        are counted at each date; a :func:`crmkit.feedback.complaint_signals` frame, counted at
        one date already, applies to the later ladder only.

    Returns
    -------
    before, after : LadderResult
    matrix : pandas.DataFrame
        :func:`migration` of ``before`` to ``after``.
    """
    transactions, _ = transactions_frame(transactions)  # clean once, not once per date
    first, second = sorted((as_date(compare_to, "compare_to"), as_date(as_of, "as_of")))
    # read a rules file once, not once per date
    kw["rules"] = load_rules(kw.get("rules"))
    complaints = kw.pop("complaints", None)
    counted = _is_signals(complaints)
    before = ladder(transactions, first, complaints=None if counted else complaints, **kw)
    after = ladder(transactions, second, complaints=complaints, **kw)
    if counted:
        after.notes.append(
            f"complaint counts given as a table: applied at {second.isoformat()} only, not at {first.isoformat()}"
        )
    return before, after, migration(before, after)


def month_before(day: date) -> date:
    """The same day one month earlier (the month's last day when it has no such day): the default
    date the ladder is compared with.

    Examples
    --------
    >>> month_before(date(2024, 3, 31))
    datetime.date(2024, 2, 29)
    """
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- the comparison both reports use ----------------------------------------------------------------


@dataclass
class LadderComparison:
    """The ladder at two dates and the migration between them (:func:`compare_ladders`).

    Attributes
    ----------
    before, after : LadderResult
        The ladders at the earlier and the later date.
    matrix : pandas.DataFrame
        :func:`migration` of ``before`` to ``after``.
    notes : list of str
        The notes of the later ladder (how P(alive) was obtained, which proxies were used).
    """

    before: LadderResult
    after: LadderResult
    matrix: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def as_of(self) -> date:
        """The later date."""
        return self.after.as_of

    @property
    def compare_to(self) -> date:
        """The earlier date."""
        return self.before.as_of

    @property
    def summary(self) -> pd.DataFrame:
        """:func:`migration_summary` of the matrix: moved up, stayed, slipped down, new, left."""
        return migration_summary(self.matrix)

    def to_dict(self) -> dict[str, Any]:
        """The comparison as a JSON-ready dict.

        Keys ``as_of, compare_to`` (ISO dates), ``distribution, stages`` (of the later ladder,
        records), ``migration`` (``{before_rung: {after_rung: people}}``), ``movements`` (the
        :attr:`summary` records), ``notes`` and ``people`` (the later ladder's people, records;
        NaN and missing values as None).
        """
        return {
            "as_of": self.as_of.isoformat(),
            "compare_to": self.compare_to.isoformat(),
            "distribution": records(self.after.distribution),
            "stages": records(self.after.stages),
            "migration": {
                str(rung): {str(col): int(n) for col, n in row.items()} for rung, row in self.matrix.iterrows()
            },
            "movements": records(self.summary),
            "notes": list(self.notes),
            "people": records(self.after.people),
        }


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _is_signals(complaints: Any) -> bool:
    """A :func:`crmkit.feedback.complaint_signals` frame: counts already made at one date."""
    columns = getattr(complaints, "columns", ())
    return "open_complaints" in columns and "customer_id" in columns


def _survey_signals(survey, model: str, encoding: str | None, result):
    """Satisfaction and recommend per respondent: read and scored for a path, as given for a frame."""
    if survey is None or not _is_path(survey):
        return survey
    from crmkit.io.inputs import read_survey
    from crmkit.satisfaction import survey_signals

    frame, first_row = read_survey(str(survey), encoding=encoding)
    return survey_signals(frame, model, first_row=first_row, source=str(survey), result=result)


def compare_ladders(
    purchases,
    as_of=None,
    compare_to=None,
    *,
    survey=None,
    survey_model: str = "ecsi",
    members=None,
    referrals=None,
    complaints=None,
    rules=None,
    lang: str = "en",
    encoding: str | None = None,
    survey_result=None,
    engine: str | None = None,
) -> LadderComparison:
    """Place everyone on the ladder at two dates and count who moved where.

    The one library call behind ``crmkit ladder`` and the ladder sheets of ``crmkit report``:
    the optional inputs are read when given as paths, then
    :func:`ladder_at_two_dates` places everyone at ``compare_to`` and at ``as_of``.

    Parameters
    ----------
    purchases : pandas.DataFrame or crmkit.io.purchases.PurchaseData
        One row per transaction: ``customer_id, date, amount, is_return``.
    as_of : datetime.date or str
        The analysis date.
    compare_to : datetime.date, str or None
        The date to compare with; default :func:`month_before` ``as_of``. Either order works:
        the earlier date is ``before``.
    survey : str, path, pandas.DataFrame or None
        A survey export (read with :func:`crmkit.io.inputs.read_survey` and scored with
        :func:`crmkit.satisfaction.survey_signals`), or signals already computed: a frame
        ``customer_id, satisfaction, recommend``.
    survey_model : str
        The satisfaction model for a survey path: acsi, ecsi, scsb, ccsi or a model file.
    members, referrals : str, path, pandas.DataFrame or None
        A member list / referrals export (read with :func:`crmkit.io.inputs.read_members` /
        :func:`crmkit.io.inputs.read_referrals`), or the frame already read.
    complaints : str, path, Complaints, pandas.DataFrame or None
        A complaints export (read once with :func:`crmkit.io.complaints.read_complaints` and
        counted at each date), the :class:`~crmkit.io.complaints.Complaints` read, or the
        :func:`crmkit.feedback.complaint_signals` frame (the later date only); see
        :func:`~crmkit.ladder.placement.ladder` for what they change.
    rules : str, path, mapping or None
        Ladder rules, see :func:`~crmkit.ladder.rules.load_rules`.
    lang : {"en", "zh"}
    encoding : str or None
        Forced encoding for the inputs read from paths.
    survey_result : crmkit.satisfaction.SatisfactionResult or None
        The survey's analysis when the caller has it already (the monthly report does), so a
        survey path is not analysed twice.
    engine : {"duckdb", "db", "spark"}, optional
        Where the purchases are aggregated, as in :func:`crmkit.segment.segment` (default: a
        database source in its database, a Spark source on Spark).

    Returns
    -------
    LadderComparison

    Raises
    ------
    crmkit.errors.CrmkitError
        As the readers, :func:`~crmkit.ladder.rules.load_rules` and
        :func:`~crmkit.ladder.placement.ladder`; an unreadable date is a
        :class:`~crmkit.errors.UsageError`.

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-20", "2024-02-15", "2024-03-01", "2024-03-02"]),
    ...                    "amount": [10.0, 20.0, 40.0, 5.0], "is_return": [False] * 4})
    >>> ladders = compare_ladders(tx, "2024-03-10", members=pd.DataFrame({"customer_id": ["c"]}))
    >>> ladders.compare_to.isoformat(), ladders.as_of.isoformat()
    ('2024-02-10', '2024-03-10')
    >>> ladders.summary.set_index("movement")["people"].to_dict()
    {'moved_up': 1, 'stayed': 1, 'slipped_down': 0, 'new': 1, 'left': 0}
    >>> ladders.to_dict()["migration"]["customer"]["regular"]
    1
    """
    from crmkit.io.inputs import read_members, read_referrals

    check_lang(lang)
    purchases, last_day = transactions_frame(purchases, engine)
    as_of = last_day if as_of is None else as_date(as_of, "as_of")
    compare_to = month_before(as_of) if compare_to is None else as_date(compare_to, "compare_to")
    signals = _survey_signals(survey, survey_model, encoding, survey_result)
    if _is_path(members):
        members = read_members(str(members), encoding=encoding)
    if _is_path(referrals):
        referrals = read_referrals(str(referrals), encoding=encoding)
    if _is_path(complaints):
        from crmkit.io.complaints import read_complaints

        complaints = read_complaints(str(complaints), encoding=encoding)
    before, after, matrix = ladder_at_two_dates(
        purchases,
        as_of,
        compare_to,
        members=members,
        survey=signals,
        referrals=referrals,
        complaints=complaints,
        rules=load_rules(rules),
        lang=lang,
    )
    return LadderComparison(before=before, after=after, matrix=matrix, notes=list(after.notes))
