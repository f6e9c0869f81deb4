"""Complaints and feedback, counted and connected to what customers did next (``crmkit feedback``).

From a complaints export (:func:`crmkit.io.complaints.read_complaints`) and, optionally, the
purchase export:

* **volume and resolution** by category, channel and month: complaints, complainers, share
  resolved, and the time to resolution in days (opening to resolution time, with the time of day
  when given) as median and 90th percentile (numpy's linear interpolation, Hyndman & Fan 1996
  type 7) over the complaints with a resolution time;
* **repeat complainers**: customers by number of complaints;
* **terms**: the most frequent words per category in the free text (Chinese segmented by jieba,
  English words lower-cased; stop words, punctuation, digits and single characters dropped);
* with purchases, **rates**: complaints and complainers per 1,000 customers (the customers who
  bought between the first and the last complaint day), overall and per RFM segment at ``as_of``
  (:func:`crmkit.segment.segment`);
* with purchases, **outcomes**, the service-recovery question: customers whose first complaint was
  resolved, those whose first complaint is open, and customers who never complained. Each
  complainer's reference day is their first complaint's day; each never-complainer gets one drawn
  at random (``numpy.random.default_rng(seed)``) from the complainers' reference days. Only
  customers who bought in the 365 days up to their reference day, and whose window
  ``(ref, ref + window]`` ends by ``as_of``, are compared. Retention = bought (a non-return row)
  in the window; spend = net amount in it. Intervals: Wilson for retention (binomtest
  ``proportion_ci``), Student's t for mean spend; differences against the never-complained with
  Newcombe's (1998) hybrid score interval and Welch's t interval
  (:func:`crmkit.models.effects.proportion_difference`, :func:`~crmkit.models.effects.mean_difference`).
* **lost revenue** per category: complainers (of the outcome base) who bought nothing in the
  window after; ``lost_revenue`` = their net spend in the window before (``(ref - window, ref]``);
  ``excess_lost_revenue`` = max(churn_c - churn_never, 0) / churn_c x lost_revenue, the part of
  the loss above what the never-complained's churn rate would give.
"""

from __future__ import annotations

import logging
import re
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from crmkit.errors import UsageError
from crmkit.io.complaints import Complaints, read_complaints
from crmkit.io.options import as_date, check_lang
from crmkit.io.quality import Message
from crmkit.io.results import TableViews

#: ``view`` names, the tables ``-f csv --view NAME`` writes.
VIEWS = ("by_category", "by_channel", "by_month", "rates", "repeat", "outcomes", "lost_revenue", "terms", "customers")
#: Views that need the purchase export.
NEED_PURCHASES = ("rates", "outcomes", "lost_revenue")
#: Outcome groups in table order.
GROUPS = ("resolved", "unresolved", "never")
VOLUME_COLUMNS = (
    "complaints", "complainers", "share", "resolved", "open", "resolved_share", "median_days", "p90_days",
)  # fmt: skip
#: What a missing category or channel is listed as.
BLANK = "(none)"
#: Days before the reference day a customer must have bought in to be compared.
ACTIVE_DAYS = 365

#: Stop words dropped from terms (small lists: function words and complaint boilerplate).
STOP_WORDS = frozenset(
    "的 了 是 在 我 你 他 她 它 们 我们 你们 也 就 都 而 及 与 和 或 还 又 很 太 非常 有 没 没有 "
    "不 这 那 这个 那个 一个 一直 已经 还是 但是 可是 因为 所以 如果 就是 什么 怎么 为什么 吗 呢 吧 啊 "
    "呀 哦 嗯 把 被 给 让 对 从 到 向 说 要 会 能 可以 想 去 来 上 下 里 后 前 时候 现在 今天 昨天 "
    "一下 一次 一些 这样 那样 自己 请 您 谢谢 希望 问题 投诉 反馈 the a an and or but to "
    "of in on at for with is are was were be been it this that my "
    "me i we you they he she your our their not no so too very "
    "have has had do does did can could would will just still "
    "from as by about after before again get got all any".split()
)
_WORD = re.compile(r"[a-z\u3400-\u9fff]", re.IGNORECASE)
_NUMBERISH = re.compile(r"^[\d.,:%/\-]+$")
_logger = logging.getLogger(__name__)


@dataclass
class FeedbackResult(TableViews):
    """Everything ``crmkit feedback`` computes (:func:`feedback`); tables are pandas DataFrames.

    Attributes
    ----------
    by_category, by_channel, by_month : DataFrame
        The key column (``category`` / ``channel`` / ``month`` as ``YYYY-MM``) then
        :data:`VOLUME_COLUMNS`.
    repeat : DataFrame
        ``complaints`` (per customer), ``customers``, ``share``.
    terms : DataFrame
        ``category, term, complaints, share, count``.
    customers : DataFrame
        ``customer_id, complaints, open_complaints, first_complaint, last_complaint, categories``.
    rates, outcomes, lost_revenue : DataFrame or None
        With purchases only (see the module's description).
    headline : dict
        JSON-safe numbers.
    as_of : datetime.date
    window_days : int
    complaints : pandas.DataFrame
        The complaints analysed (up to ``as_of``).
    """

    by_category: Any
    by_channel: Any
    by_month: Any
    repeat: Any
    terms: Any
    customers: Any
    as_of: date
    window_days: int
    scheme: str
    lang: str
    complaints: Any
    rates: Any = None
    outcomes: Any = None
    lost_revenue: Any = None
    headline: dict = field(default_factory=dict)
    notes: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)

    VIEWS = VIEWS
    DEFAULT_VIEW = "by_category"

    def missing_hint(self, name: str) -> str | None:
        return "add --purchases SALES: the rates and outcomes need the purchase export"

    def json_extra(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "window_days": self.window_days,
            "scheme": self.scheme,
            "lang": self.lang,
        }


def _plain(value):
    """A JSON-safe scalar: nan -> None, numpy numbers -> Python."""
    if value is None:
        return None
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    return None if value != value else value


def _percentile(values, q: float) -> float:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(np.percentile(values, q)) if len(values) else float("nan")


def _volume(frame, key: str):
    """Per value of ``key``: :data:`VOLUME_COLUMNS`, most complaints first (ties by key)."""
    import pandas as pd

    total = len(frame)
    rows = []
    for value, part in frame.groupby(key, sort=True, dropna=False):
        days = part["days_to_resolve"].to_numpy(dtype=float)
        resolved = int((part["state"] == "resolved").sum())
        rows.append(
            {
                key: value,
                "complaints": len(part),
                "complainers": int(part["customer_id"].nunique()),
                "share": len(part) / total if total else float("nan"),
                "resolved": resolved,
                "open": len(part) - resolved,
                "resolved_share": resolved / len(part),
                "median_days": _percentile(days, 50),
                "p90_days": _percentile(days, 90),
            }
        )
    out = pd.DataFrame(rows, columns=[key, *VOLUME_COLUMNS])
    if key != "month" and len(out):
        out = out.sort_values(["complaints", key], ascending=[False, True], kind="mergesort")
    return out.reset_index(drop=True)


def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    if jieba.dt.tmp_dir is None:  # its dictionary cache: the temp folder, never the user's working directory
        jieba.dt.tmp_dir = tempfile.gettempdir()
    return jieba


def tokens(text: str) -> list[str]:
    """The terms of one text: jieba's words (Chinese) and English words lower-cased, stop words,
    punctuation, numbers and single characters dropped.

    Examples
    --------
    >>> tokens("物流太慢了，快递包装破损 The box was DAMAGED!")
    ['物流', '太慢', '快递', '包装', '破损', 'box', 'damaged']
    """
    words = _jieba().lcut(unicodedata.normalize("NFKC", text))
    out = []
    for word in words:
        word = word.strip().lower()
        if len(word) < 2 or word in STOP_WORDS or _NUMBERISH.match(word) or not _WORD.search(word):
            continue
        out.append(word)
    return out


def top_terms(frame, *, top: int = 10):
    """Per category the ``top`` terms by complaints mentioning them (then count, then term).

    ``share`` = complaints mentioning the term / the category's complaints with text.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    with_text = frame[frame["text"].notna()]
    for category, part in with_text.groupby("category", sort=True):
        mentions: Counter[str] = Counter()
        counts: Counter[str] = Counter()
        for text in part["text"]:
            words = tokens(str(text))
            counts.update(words)
            mentions.update(set(words))
        ranked = sorted(mentions, key=lambda w: (-mentions[w], -counts[w], w))[:top]
        rows.extend(
            {"category": category, "term": w, "complaints": mentions[w], "share": mentions[w] / len(part),
             "count": counts[w]}
            for w in ranked
        )  # fmt: skip
    return pd.DataFrame(rows, columns=["category", "term", "complaints", "share", "count"])


def _customers(frame, as_of: date):
    import pandas as pd

    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    still_open = (frame["state"] == "open") | (frame["resolved_at"].notna() & (frame["resolved_at"] >= end))
    columns = ["customer_id", "complaints", "open_complaints", "first_complaint", "last_complaint", "categories"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    grouped = frame.assign(_open=still_open).groupby("customer_id", sort=True)
    out = grouped.agg(
        complaints=("customer_id", "size"),
        open_complaints=("_open", "sum"),
        first_complaint=("opened_at", "min"),
        last_complaint=("opened_at", "max"),
    )
    # each customer's categories, most frequent first (ties by name): one count over all rows, not a loop
    counted = frame.dropna(subset=["category"]).groupby(["customer_id", "category"]).size().rename("n").reset_index()
    counted = counted.sort_values(["customer_id", "n", "category"], ascending=[True, False, True], kind="stable")
    out["categories"] = counted.groupby("customer_id", sort=True)["category"].agg(", ".join)
    out["categories"] = out["categories"].fillna("")
    out["open_complaints"] = out["open_complaints"].astype(int)
    return out.reset_index()[columns]


def complaint_signals(result_or_complaints, as_of=None):
    """Per customer the complaints to ``as_of``: a signal for the ladder and the profile.

    Parameters
    ----------
    result_or_complaints : FeedbackResult, Complaints, path or table
    as_of : date or ISO text, optional
        Complaints opened after it are left out; one still open at it (open, or resolved later)
        is an open complaint. Default: the result's ``as_of``, else the last complaint day.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, complaints, open_complaints, last_complaint``, by customer id.

    Examples
    --------
    >>> import pandas as pd
    >>> export = pd.DataFrame({"customer_id": ["a", "a", "b"], "date": ["2024-01-02", "2024-02-01", "2024-02-03"],
    ...                        "status": ["closed", "open", "closed"]})
    >>> complaint_signals(export, "2024-02-02")[["customer_id", "complaints", "open_complaints"]].values.tolist()
    [['a', 2, 1]]
    """
    import pandas as pd

    if isinstance(result_or_complaints, FeedbackResult):
        frame, default = result_or_complaints.complaints, result_or_complaints.as_of
    else:
        found = result_or_complaints
        if not isinstance(found, Complaints):
            found = read_complaints(found)
        frame, default = found.frame, None
    if as_of is None:
        as_of = default or pd.Timestamp(frame["opened_at"].max()).date()
    day = as_date(as_of, "as_of")
    frame = frame[frame["opened_at"] < pd.Timestamp(day) + pd.Timedelta(days=1)]
    return _customers(frame, day)[["customer_id", "complaints", "open_complaints", "last_complaint"]]


# --- outcomes --------------------------------------------------------------------------------


def _wilson(k: int, n: int, alpha: float) -> tuple[float, float]:
    from scipy.stats import binomtest

    if n == 0:
        return float("nan"), float("nan")
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=1 - alpha, method="wilson")
    return float(ci.low), float(ci.high)


def _t_interval(values, alpha: float) -> tuple[float, float]:
    from scipy.stats import ttest_1samp

    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    if np.all(values == values[0]):
        return float(values[0]), float(values[0])
    ci = ttest_1samp(values, 0.0).confidence_interval(1 - alpha)
    return float(ci.low), float(ci.high)


def _base(frame, tx, as_of: date, window_days: int, seed: int):
    """The outcome base: one row per compared customer, ``customer_id, group, ref, retained, spend,
    pre_spend, category``, and the counts left out."""
    import pandas as pd

    first = frame.sort_values(["opened_at", "row"], kind="mergesort").drop_duplicates("customer_id")
    complainers = pd.DataFrame(
        {
            "customer_id": first["customer_id"].to_numpy(dtype=object),
            "group": np.where(first["state"].to_numpy() == "resolved", "resolved", "unresolved"),
            "ref": first["opened_at"].dt.floor("D").to_numpy(),
            "category": first["category"].to_numpy(dtype=object),
        }
    )
    window = pd.Timedelta(days=window_days)
    complete = complainers["ref"] + window <= pd.Timestamp(as_of)
    censored = int((~complete).sum())
    complainers = complainers[complete]
    buyers = np.sort(tx["customer_id"].unique().astype(object))
    # a hash lookup: np.isin on object arrays compares every pair (quadratic in customers)
    never_ids = buyers[~pd.Series(buyers).isin(frame["customer_id"]).to_numpy()]
    days = np.sort(complainers["ref"].to_numpy())
    rng = np.random.default_rng(seed)
    if not len(days):  # no complainer with a whole window: no reference day to give the others either
        never_ids = never_ids[:0]
    refs = days[rng.integers(0, len(days), size=len(never_ids))] if len(days) else np.array([], dtype="datetime64[s]")
    never = pd.DataFrame({"customer_id": never_ids, "group": "never", "ref": refs, "category": None})
    people = pd.concat([complainers, never], ignore_index=True)
    people["ref"] = pd.to_datetime(people["ref"])
    joined = tx.merge(people[["customer_id", "ref"]], on="customer_id", how="inner")
    lag = joined["date"] - joined["ref"]
    buy = ~joined["is_return"].to_numpy(dtype=bool)
    after = (lag > pd.Timedelta(0)) & (lag <= window)
    before = (lag > -window) & (lag <= pd.Timedelta(0))
    active = (lag > -pd.Timedelta(days=ACTIVE_DAYS)) & (lag <= pd.Timedelta(0)) & buy
    ids = joined["customer_id"]
    per = pd.DataFrame(
        {
            "active": active.groupby(ids).any(),
            "retained": (after & buy).groupby(ids).any(),
            "spend": joined["amount"].where(after, 0.0).groupby(ids).sum(),
            "pre_spend": joined["amount"].where(before, 0.0).groupby(ids).sum(),
        }
    )
    people = people.join(per, on="customer_id")
    eligible = people["active"].fillna(False).astype(bool)
    inactive = {g: int(((people["group"] == g) & ~eligible).sum()) for g in GROUPS}
    people = people[eligible].reset_index(drop=True)
    people["retained"] = people["retained"].fillna(False).astype(bool)
    for column in ("spend", "pre_spend"):
        people[column] = people[column].fillna(0.0).astype(float).round(6)
    return people.drop(columns="active"), censored, inactive


def _outcomes(people, alpha: float):
    """Per group: n, retention with its Wilson interval, mean spend with its t interval, and the
    differences against the never-complained (Newcombe hybrid score; Welch)."""
    import pandas as pd

    from crmkit.models.effects import mean_difference, proportion_difference

    never = people[people["group"] == "never"]
    rows = []
    for group in GROUPS:
        part = people[people["group"] == group]
        n, kept = len(part), int(part["retained"].sum())
        spend = part["spend"].to_numpy(dtype=float)
        low, high = _wilson(kept, n, alpha)
        s_low, s_high = _t_interval(spend, alpha)
        row = {
            "group": group, "customers": n, "retained": kept, "retention": kept / n if n else float("nan"),
            "retention_low": low, "retention_high": high,
            "spend_per_customer": float(spend.mean()) if n else float("nan"), "spend_low": s_low, "spend_high": s_high,
        }  # fmt: skip
        if group == "never" or not n or not len(never):
            row.update(dict.fromkeys(_DIFF_COLUMNS, float("nan")))
        else:
            r = proportion_difference(part["retained"].to_numpy(), never["retained"].to_numpy(), alpha=alpha)
            s = mean_difference(spend, never["spend"].to_numpy(dtype=float), alpha=alpha)
            row.update(zip(_DIFF_COLUMNS, (r.estimate, r.ci_low, r.ci_high, r.p_value,
                                           s.estimate, s.ci_low, s.ci_high, s.p_value)))  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


_DIFF_COLUMNS = (
    "retention_diff", "retention_diff_low", "retention_diff_high", "retention_p",
    "spend_diff", "spend_diff_low", "spend_diff_high", "spend_p",
)  # fmt: skip


def _lost_revenue(people):
    import pandas as pd

    never = people[people["group"] == "never"]
    churn_never = float((~never["retained"]).mean()) if len(never) else float("nan")
    rows = []
    complainers = people[people["group"] != "never"].assign(category=lambda f: f["category"].fillna(BLANK))
    for category, part in complainers.groupby("category", sort=True):
        lost = part[~part["retained"]]
        churn = len(lost) / len(part)
        revenue = float(lost["pre_spend"].sum())
        excess = max(churn - churn_never, 0.0) / churn * revenue if churn > 0 and churn_never == churn_never else 0.0
        rows.append(
            {"category": category, "complainers": len(part), "lost": len(lost), "churn_rate": churn,
             "never_churn_rate": churn_never, "lost_revenue": round(revenue, 2),
             "excess_lost_revenue": round(excess, 2)}
        )  # fmt: skip
    out = pd.DataFrame(rows, columns=["category", "complainers", "lost", "churn_rate", "never_churn_rate",
                                      "lost_revenue", "excess_lost_revenue"])  # fmt: skip
    return out.sort_values(["excess_lost_revenue", "lost_revenue", "category"], ascending=[False, False, True],
                           kind="mergesort").reset_index(drop=True)  # fmt: skip


def _rates(frame, tx, as_of: date, scheme: str, lang: str, data):
    import pandas as pd

    from crmkit.segment import segment

    first, last = frame["opened_at"].min().floor("D"), frame["opened_at"].max().floor("D")
    in_period = tx[(tx["date"] >= first) & (tx["date"] <= last) & ~tx["is_return"].astype(bool)]
    base = np.sort(in_period["customer_id"].unique().astype(object))
    seg = segment(data, as_of, scheme=scheme, lang=lang).customers
    seg = seg[["customer_id", "segment", "segment_label"]].astype({"customer_id": object})
    seg = seg[seg["customer_id"].isin(base)]
    counts = frame.groupby("customer_id").size().rename("n")
    seg = seg.join(counts, on="customer_id")
    outside = int(counts[~counts.index.isin(base)].sum())

    def row(key, label, part):
        n, complaints, complainers = len(part), int(part["n"].fillna(0).sum()), int(part["n"].notna().sum())
        return {"segment": key, "segment_label": label, "customers": n, "complainers": complainers,
                "complaints": complaints, "complaints_per_1000": 1000 * complaints / n if n else float("nan"),
                "complainers_per_1000": 1000 * complainers / n if n else float("nan")}  # fmt: skip

    rows = [row("all", "All customers" if lang == "en" else "全部客户", seg)]
    for (key, label), part in seg.groupby(["segment", "segment_label"], sort=False, observed=True):
        rows.append(row(key, label, part))
    out = pd.DataFrame(rows)
    return pd.concat([out.iloc[:1], out.iloc[1:].sort_values("segment", kind="mergesort")], ignore_index=True), (
        outside,
        first,
        last,
    )


def feedback(
    complaints,
    purchases=None,
    *,
    as_of=None,
    window: int | str = "90d",
    scheme: str = "standard",
    top_terms: int = 10,
    alpha: float = 0.05,
    seed: int = 0,
    lang: str = "en",
) -> FeedbackResult:
    """Complaints counted by category, channel and month, and connected to what happened next.

    Parameters
    ----------
    complaints : Complaints, path or table
        A complaints export (:func:`crmkit.io.complaints.read_complaints`).
    purchases : path, PurchaseData or table, optional
        The purchase export; without it only the volume, resolution, repeat and terms tables.
    as_of : date or ISO text, optional
        Complaints opened after it are left out (counted); default the last purchase day, or the
        last complaint day without purchases.
    window : int or str
        The outcome window after (and before) each reference day (:func:`crmkit.care.parse_within`).
    scheme, lang : str
        RFM scheme of the rates' segments; the language of labels.
    top_terms : int
        Terms listed per category.
    alpha : float
        1 - confidence level of the intervals.
    seed : int
        The never-complainers' reference days.

    Returns
    -------
    FeedbackResult

    Examples
    --------
    >>> import pandas as pd
    >>> export = pd.DataFrame({"customer_id": ["a", "b", "a"], "category": ["物流", "质量", "物流"],
    ...     "date": ["2024-01-01 10:00", "2024-01-02", "2024-02-01"], "status": ["已解决", "处理中", "已解决"],
    ...     "resolved_at": ["2024-01-02 22:00", None, "2024-02-01 16:00"]})
    >>> found = feedback(export)
    >>> found.by_category[["category", "complaints", "complainers", "median_days"]].values.tolist()
    [['物流', 2, 1, 1.0833333333333333], ['质量', 1, 1, nan]]
    """
    import pandas as pd

    from crmkit.care import parse_within
    from crmkit.io.purchases import as_purchases

    lang = check_lang(lang)
    if not 0 < alpha < 1:
        raise UsageError(f"alpha must be between 0 and 1, not {alpha!r}")
    if int(top_terms) < 0:
        raise UsageError(f"--top-terms must be 0 or more, not {top_terms!r}")
    found = complaints if isinstance(complaints, Complaints) else read_complaints(complaints)
    notes: list[Message] = list(found.notes)
    warnings: list[Message] = []
    data = None if purchases is None else as_purchases(purchases)
    frame = found.frame
    if as_of is not None:
        day = as_date(as_of, "as_of")
    elif data is not None:
        day = data.resolve_as_of(None)
    else:
        day = pd.Timestamp(frame["opened_at"].max()).date()
    if data is not None:
        data.resolve_as_of(day)
    later = frame["opened_at"] >= pd.Timestamp(day) + pd.Timedelta(days=1)
    if later.any():
        notes.append(Message(f"{int(later.sum()):,} complaint(s) opened after {day} left out", "feedback_after_as_of",
                             count=int(later.sum()), as_of=day.isoformat()))  # fmt: skip
    frame = frame[~later].copy()
    window_days = parse_within(window)
    for key in ("category", "channel"):
        frame[key] = frame[key].fillna(BLANK)
    frame["month"] = frame["opened_at"].dt.strftime("%Y-%m")
    frame["days_to_resolve"] = ((frame["resolved_at"] - frame["opened_at"]).dt.total_seconds() / 86400).where(
        frame["state"] == "resolved"
    )
    by_category, by_channel, by_month = (_volume(frame, k) for k in ("category", "channel", "month"))
    customers = _customers(frame, day)
    per = customers["complaints"].clip(upper=5) if len(customers) else pd.Series([], dtype="int64")
    repeat = per.value_counts().sort_index().rename_axis("complaints").reset_index(name="customers")
    repeat["share"] = repeat["customers"] / max(len(customers), 1)
    repeat["complaints"] = [f"{k}+" if k == 5 else str(k) for k in repeat["complaints"]]
    terms = top_terms_of(frame, int(top_terms), notes)
    days = frame["days_to_resolve"].to_numpy(dtype=float)
    complainers = len(customers)
    headline: dict[str, Any] = {
        "complaints": len(frame), "complainers": complainers,
        "first_complaint": None if not len(frame) else frame["opened_at"].min().date().isoformat(),
        "last_complaint": None if not len(frame) else frame["opened_at"].max().date().isoformat(),
        "resolved_share": _plain((frame["state"] == "resolved").mean()) if len(frame) else None,
        "median_days": _plain(_percentile(days, 50)), "p90_days": _plain(_percentile(days, 90)),
        "repeat_complainers": int((customers["complaints"] >= 2).sum()) if complainers else 0,
        "repeat_share": _plain((customers["complaints"] >= 2).mean()) if complainers else None,
        "as_of": day.isoformat(), "window_days": window_days,
    }  # fmt: skip
    result = FeedbackResult(
        by_category=by_category, by_channel=by_channel, by_month=by_month, repeat=repeat, terms=terms,
        customers=customers, as_of=day, window_days=window_days, scheme=scheme, lang=lang,
        complaints=frame.drop(columns=["month"]), headline=headline, notes=notes, warnings=warnings,
    )  # fmt: skip
    if data is None:
        notes.append(Message("complaint rates, outcomes and lost revenue need the purchase export (--purchases)",
                             "feedback_no_purchases"))  # fmt: skip
        return result
    if not len(frame):
        warnings.append(Message(f"no complaint up to {day}: nothing to connect to the purchases",
                                "feedback_no_complaints", as_of=day.isoformat()))  # fmt: skip
        return result
    tx = data.transactions[["customer_id", "date", "amount", "is_return"]].copy()
    tx = tx[tx["date"] <= pd.Timestamp(day)]
    tx["customer_id"] = tx["customer_id"].astype(str).astype(object)
    result.rates, (outside, first, last) = _rates(frame, tx, day, scheme, lang, data)
    if outside:
        notes.append(Message(f"{outside:,} complaint(s) are from customers who bought nothing between "
                             f"{first.date()} and {last.date()}: not in the rates", "feedback_outside_rates",
                             count=outside))  # fmt: skip
    people, censored, inactive = _base(frame, tx, day, window_days, seed)
    result.outcomes = _outcomes(people, alpha)
    result.lost_revenue = _lost_revenue(people)
    if censored:
        notes.append(Message(f"{censored:,} complainer(s) whose first complaint is less than {window_days} days "
                             f"before {day} are not in the outcomes", "feedback_censored", count=censored,
                             days=window_days, as_of=day.isoformat()))  # fmt: skip
    left = sum(inactive.values())
    if left:
        notes.append(Message(f"{left:,} customer(s) without a purchase in the {ACTIVE_DAYS} days before their "
                             "reference day are not in the outcomes", "feedback_inactive", count=left,
                             days=ACTIVE_DAYS))  # fmt: skip
    overall = result.rates.iloc[0]
    by_group = result.outcomes.set_index("group")
    headline.update(
        customers=int(overall["customers"]),
        complaints_per_1000=_plain(overall["complaints_per_1000"]),
        complainers_per_1000=_plain(overall["complainers_per_1000"]),
        **{f"retention_{g}": _plain(by_group.at[g, "retention"]) for g in GROUPS},
        **{f"spend_{g}": _plain(by_group.at[g, "spend_per_customer"]) for g in GROUPS},
        lost_revenue=_plain(round(float(result.lost_revenue["lost_revenue"].sum()), 2)),
        excess_lost_revenue=_plain(round(float(result.lost_revenue["excess_lost_revenue"].sum()), 2)),
    )
    small = [g for g in GROUPS if by_group.at[g, "customers"] < 30]
    if small:
        warnings.append(Message(f"fewer than 30 customers in outcome group(s) {', '.join(small)}: wide intervals",
                                "feedback_small_groups", groups=", ".join(small)))  # fmt: skip
    return result


def top_terms_of(frame, top: int, notes: list[Message]):
    """:func:`top_terms` when the export has text (else an empty table and a note)."""
    import pandas as pd

    if top == 0 or not frame["text"].notna().any():
        if top:
            notes.append(Message("no complaint text: no terms", "feedback_no_text"))
        return pd.DataFrame(columns=["category", "term", "complaints", "share", "count"])
    return top_terms(frame, top=top)
