"""A seeded complaints export for a purchase export, with a planted service-recovery effect.

``examples/complaints.csv`` is made here from ``examples/sales.csv`` (:func:`write_example`). The
purchases are never changed: the effect is planted by choosing *who* complains and *how their
complaint ends* from what they later do in the purchases.

Model (one ``numpy.random.default_rng(seed)``, drawn in a fixed order):

* **complainers**: ``rate`` x the customers (6%), uniformly among customers with an order; each
  complains about one of their orders, drawn uniformly; the complaint is opened 0-6 days after the
  order (whole days, uniform) at a time of day uniform between 08:00 and 22:59;
* **repeat complainers**: 15% of them complain a second time, 3-60 days after the first (only when
  that is before ``end``);
* **category** (:data:`CATEGORIES`): 物流慢 30%, 商品质量 25%, 退换货 15%, 客服态度 12%, 价格 10%,
  其他 8%; **channel** (:data:`CHANNELS`): 在线客服 40%, 电话 25%, 微信 20%, 客户端 (the app) 10%, 邮件 5%;
* **status, the planted effect**: a complaint is resolved with probability
  :data:`P_RESOLVED_IF_RETURNS` = 0.80 when its customer buys again within ``window_days`` (90)
  after the complaint's day, :data:`P_RESOLVED_IF_LEAVES` = 0.45 when they do not, and 0.70 when the
  window runs past ``end`` (unknown). So complainers whose complaint was resolved are retained more
  often than customers who never complained, and those left unresolved less often
  (retention(resolved) > retention(never) > retention(unresolved)): the association the
  service-recovery literature reports, planted without claiming its direction. Resolved complaints
  say 已解决 (80%) or 已关闭, open ones 处理中, 待处理 or 未解决;
* **resolution time** of a resolved complaint: Gamma(shape 2, scale = the category's mean hours / 2)
  hours, rounded to the minute (means: 物流慢 24 h, 商品质量 60 h, 退换货 72 h, 客服态度 12 h, 价格 20 h,
  其他 30 h); an open complaint has no 处理时间;
* **text**: two distinct phrases of the category's pool (:data:`PHRASES`), joined by "，"; every
  phrase of a category contains its planted term (:data:`PLANTED_TERMS`: 物流, 质量, 退货, 客服, 价格,
  包装), which jieba segments as a word, so the term is the category's top term, in every complaint.

The truth (:func:`complaints_for`'s second value) holds the hand-countable tables computed with
pandas straight from the generated rows: complaints per category, channel and month, resolved
share, median resolution hours, and the retention of the first-complaint groups
resolved / unresolved (the definition of :func:`crmkit.feedback.feedback`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from crmkit.errors import ColumnError

DEFAULT_SEED = 20261202
#: Category -> (share, mean resolution hours).
CATEGORIES: dict[str, tuple[float, float]] = {
    "物流慢": (0.30, 24.0), "商品质量": (0.25, 60.0), "退换货": (0.15, 72.0), "客服态度": (0.12, 12.0),
    "价格": (0.10, 20.0), "其他": (0.08, 30.0),
}  # fmt: skip
CHANNELS: dict[str, float] = {"在线客服": 0.40, "电话": 0.25, "微信": 0.20, "客户端": 0.10, "邮件": 0.05}
P_RESOLVED_IF_RETURNS = 0.80
P_RESOLVED_IF_LEAVES = 0.45
P_RESOLVED_UNKNOWN = 0.70
REPEAT_SHARE = 0.15
RESOLVED_WORDS = ("已解决", "已关闭")
OPEN_WORDS = ("处理中", "待处理", "未解决")
PLANTED_TERMS = {
    "物流慢": "物流",
    "商品质量": "质量",
    "退换货": "退货",
    "客服态度": "客服",
    "价格": "价格",
    "其他": "包装",
}
PHRASES: dict[str, tuple[str, ...]] = {
    "物流慢": ("物流太慢了", "等了一周物流还没更新", "物流信息一直不动", "催了物流也没用", "物流速度比上次慢很多"),
    "商品质量": ("商品质量很差", "质量不行用两天就坏", "收到的质量和描述不符", "质量问题希望处理", "面料质量太差"),
    "退换货": (
        "申请退货一直没人审核", "退货运费谁承担", "退货以后退款还没到账", "想退货但是流程太麻烦", "换货不如直接退货",
    ),
    "客服态度": ("客服态度很差", "客服回复太慢", "客服一直敷衍", "打电话给客服没人接", "客服说话很不耐烦"),
    "价格": ("价格比别家贵", "刚买价格就降了", "价格标示不清楚", "活动价格没有生效", "希望价格保护"),
    "其他": ("包装破损", "包装太简陋", "发票和包装都没有", "外包装有污渍", "包装里少了赠品"),
}  # fmt: skip
#: Headers of the export, in order.
COLUMNS = ("投诉编号", "客户编号", "订单编号", "投诉时间", "投诉类型", "投诉渠道", "处理状态", "处理时间", "投诉内容")


def _purchases(purchases: pd.DataFrame) -> pd.DataFrame:
    """customer_id, order_id, date, amount, is_return of a sales frame (columns by name)."""
    date_col = next((c for c in ("order_date", "date") if c in purchases.columns), None)
    if "customer_id" not in purchases.columns or date_col is None:
        raise ColumnError(
            "the purchases need customer_id and order_date (or date) columns",
            hint="columns found: " + ", ".join(map(str, purchases.columns)),
        )
    amount = pd.to_numeric(purchases.get("amount", pd.Series(1.0, index=purchases.index)), errors="coerce")
    status = purchases["status"].astype(str) if "status" in purchases.columns else pd.Series("", index=purchases.index)
    order = purchases["order_id"] if "order_id" in purchases.columns else pd.Series("", index=purchases.index)
    return pd.DataFrame(
        {
            "customer_id": purchases["customer_id"].astype(str).to_numpy(dtype=object),
            "order_id": order.astype(str).to_numpy(dtype=object),
            "date": pd.to_datetime(purchases[date_col]).to_numpy(),
            "is_return": ((amount < 0) | status.str.lower().str.startswith("return")).to_numpy(),
        }
    )


def complaints_for(
    purchases: pd.DataFrame,
    *,
    seed: int = DEFAULT_SEED,
    rate: float = 0.06,
    window_days: int = 90,
    repeat_share: float = REPEAT_SHARE,
    end=None,
) -> tuple[pd.DataFrame, dict]:
    """A complaints export for ``purchases`` (see the module's description) and its truth.

    Parameters
    ----------
    purchases : pandas.DataFrame
        A sales frame with ``customer_id``, ``order_date`` (or ``date``), optionally ``order_id``,
        ``amount``, ``status`` (read with ``dtype=str``); not modified.
    seed, rate, window_days, repeat_share
        The draws; the share of customers who complain; the window the planted effect uses; the
        share of complainers who complain twice.
    end : date, optional
        Last day of the data (default the last purchase day).

    Returns
    -------
    complaints : pandas.DataFrame
        :data:`COLUMNS`, text, sorted by 投诉时间.
    truth : dict
        ``by_category``, ``by_channel``, ``by_month`` (value -> complaints), ``resolved_share``,
        ``resolved_share_by_category``, ``median_resolution_hours``, ``complainers``,
        ``repeat_complainers``, ``retention`` and ``customers`` ({resolved, unresolved} -> value)
        with ``window_days``, ``planted_terms``.

    Examples
    --------
    >>> sales = pd.DataFrame({"customer_id": ["a", "b", "a"], "order_date": ["2024-01-01", "2024-01-05", "2024-03-01"]})
    >>> frame, truth = complaints_for(sales, rate=1.0, seed=1, end="2024-12-31")
    >>> truth["complainers"], list(frame.columns[:4])
    (2, ['投诉编号', '客户编号', '订单编号', '投诉时间'])
    """
    rng = np.random.default_rng(seed)
    tx = _purchases(purchases)
    last_day = pd.Timestamp(end) if end is not None else tx["date"].max()
    orders = tx[~tx["is_return"]].sort_values(["customer_id", "date", "order_id"], kind="mergesort")
    ids = np.sort(orders["customer_id"].unique().astype(object))
    n = int(round(rate * len(ids)))
    chosen = np.sort(rng.choice(len(ids), size=min(n, len(ids)), replace=False))
    by_customer = dict(iter(orders.groupby("customer_id", sort=True)))
    cats, cat_p = list(CATEGORIES), np.array([v[0] for v in CATEGORIES.values()])
    chans, chan_p = list(CHANNELS), np.array(list(CHANNELS.values()))
    rows = []

    def complaint(customer, order_id, opened):
        # drawn in this order for every complaint, so the stream stays aligned
        category = cats[rng.choice(len(cats), p=cat_p / cat_p.sum())]
        channel = chans[rng.choice(len(chans), p=chan_p / chan_p.sum())]
        u, which, hours = rng.random(), rng.integers(0, 10), rng.gamma(2.0, CATEGORIES[category][1] / 2)
        picks = rng.choice(len(PHRASES[category]), size=2, replace=False)
        day = opened.normalize()
        later = by_customer[customer]["date"]
        if day + pd.Timedelta(days=window_days) > last_day:
            p = P_RESOLVED_UNKNOWN
        else:
            back = ((later > day) & (later <= day + pd.Timedelta(days=window_days))).any()
            p = P_RESOLVED_IF_RETURNS if back else P_RESOLVED_IF_LEAVES
        resolved = u < p
        status = (RESOLVED_WORDS[0] if which < 8 else RESOLVED_WORDS[1]) if resolved else OPEN_WORDS[which % 3]
        closed = opened + pd.Timedelta(minutes=int(round(hours * 60))) if resolved else None
        text = "，".join(PHRASES[category][k] for k in picks)
        rows.append((customer, order_id, opened, category, channel, status, closed, text, resolved))

    for k in chosen:
        customer = ids[k]
        mine = by_customer[customer]
        pick = mine.iloc[int(rng.integers(0, len(mine)))]
        opened = pick["date"] + pd.Timedelta(days=int(rng.integers(0, 7)), minutes=int(rng.integers(8 * 60, 23 * 60)))
        again, gap = rng.random() < repeat_share, int(rng.integers(3, 61))
        if opened.normalize() > last_day:
            continue
        complaint(customer, pick["order_id"], opened)
        second = opened + pd.Timedelta(days=gap)
        if again and second.normalize() <= last_day:
            complaint(customer, "", second)
    frame = pd.DataFrame(
        rows, columns=["customer_id", "order_id", "opened", "category", "channel", "status", "closed", "text", "ok"]
    )
    frame = frame.sort_values(["opened", "customer_id"], kind="mergesort").reset_index(drop=True)
    out = pd.DataFrame(
        {
            "投诉编号": [f"TS{i + 1:06d}" for i in range(len(frame))],
            "客户编号": frame["customer_id"].to_numpy(dtype=object),
            "订单编号": frame["order_id"].to_numpy(dtype=object),
            "投诉时间": [t.strftime("%Y-%m-%d %H:%M") for t in frame["opened"]],
            "投诉类型": frame["category"].to_numpy(dtype=object),
            "投诉渠道": frame["channel"].to_numpy(dtype=object),
            "处理状态": frame["status"].to_numpy(dtype=object),
            "处理时间": [t.strftime("%Y-%m-%d %H:%M") if isinstance(t, pd.Timestamp) else "" for t in frame["closed"]],
            "投诉内容": frame["text"].to_numpy(dtype=object),
        },
        columns=list(COLUMNS),
    )
    return out, _truth(frame, tx, last_day, window_days)


def _truth(frame: pd.DataFrame, tx: pd.DataFrame, last_day, window_days: int) -> dict:
    """The tables the analysis must reproduce, counted with pandas from the generated rows."""
    # all open (or no complaint) leaves "closed" as objects: as datetimes, NaT where open
    closed = pd.to_datetime(frame["closed"]).astype(frame["opened"].dtype) if len(frame) else frame["opened"]
    hours = ((closed - frame["opened"]).dt.total_seconds() / 3600)[frame["ok"]]
    first = frame.drop_duplicates("customer_id").copy()  # frame is in time order
    first["ref"] = first["opened"].dt.normalize()
    first = first[first["ref"] + pd.Timedelta(days=window_days) <= last_day]
    retention, customers = {}, {}
    buys = tx[~tx["is_return"]]
    for group, part in (("resolved", first[first["ok"]]), ("unresolved", first[~first["ok"]])):
        joined = buys.merge(part[["customer_id", "ref"]], on="customer_id")
        lag = (joined["date"] - joined["ref"]).dt.days
        active = set(joined.loc[(lag > -365) & (lag <= 0), "customer_id"])
        back = set(joined.loc[(lag > 0) & (lag <= window_days), "customer_id"]) & active
        customers[group] = len(active)
        retention[group] = len(back) / len(active) if active else float("nan")
    counts = frame.groupby("customer_id").size()
    return {
        "complaints": len(frame),
        "complainers": int(len(counts)),
        "repeat_complainers": int((counts >= 2).sum()),
        "by_category": {k: int(v) for k, v in frame["category"].value_counts().sort_index().items()},
        "by_channel": {k: int(v) for k, v in frame["channel"].value_counts().sort_index().items()},
        "by_month": {k: int(v) for k, v in frame["opened"].dt.strftime("%Y-%m").value_counts().sort_index().items()},
        "resolved_share": float(frame["ok"].mean()),
        "resolved_share_by_category": {k: float(v) for k, v in frame.groupby("category")["ok"].mean().items()},
        "median_resolution_hours": float(hours.median()),
        "retention": retention,
        "customers": customers,
        "window_days": window_days,
        "planted_terms": dict(PLANTED_TERMS),
    }


def write_complaints(complaints: pd.DataFrame, path) -> None:
    """Write a frame from :func:`complaints_for` as UTF-8 with a BOM and ``\\n`` line ends (as a
    Chinese export opened by Excel carries)."""
    complaints.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def write_example(folder: str | os.PathLike = "examples", *, seed: int = DEFAULT_SEED) -> tuple[Path, dict]:
    """Write ``folder/complaints.csv`` for ``folder/sales.csv``; returns its path and the truth."""
    folder = Path(folder)
    sales = pd.read_csv(folder / "sales.csv", dtype=str)
    complaints, truth = complaints_for(sales, seed=seed)
    path = folder / "complaints.csv"
    write_complaints(complaints, path)
    return path, truth


def main(argv=None) -> int:
    """``python -m crmkit.synth_feedback examples``: write ``examples/complaints.csv`` for ``examples/sales.csv``."""
    import argparse
    import json

    parser = argparse.ArgumentParser(
        prog="python -m crmkit.synth_feedback",
        description="Write a seeded complaints export (complaints.csv) for the sales.csv of a folder.",
    )
    parser.add_argument("folder", nargs="?", default="examples", help="folder holding sales.csv (default examples)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--truth", action="store_true", help="print the truth tables as JSON")
    args = parser.parse_args(argv)
    path, truth = write_example(args.folder, seed=args.seed)
    if args.truth:
        print(json.dumps(truth, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    main()
