"""Seeded customer attributes (a members export) for the customers of a purchase export.

``examples/customers.csv`` is made here from ``examples/sales.csv``: one row per customer with
gender, birth date, province, city, join date, membership tier and source channel, drawn so that
the customer-profile analysis (issue 13) has known structure to recover.

Attribute model, per customer (each attribute from its own stream
``numpy.random.default_rng([seed, k])``, so changing one leaves the others as they were):

* gender: 女 55%, 男 43%, 保密 1%, blank 1% (:data:`GENDER_SHARES`), independent of spend;
* age on the last day of ``sales``: an age band by :data:`AGE_BANDS` (the 25-44 year-olds who
  buy most at a Chinese retailer), a whole age uniform in the band, the birth date uniform among
  the days that give that age; 3% of birth dates blank;
* province by :data:`PROVINCES` (weights of an illustrative national retailer, not measured),
  a city of that province by its weights; 1% of cities blank;
* join date: 40% sign up on the day of their first purchase, the rest earlier by an
  exponential lag of mean 400 days, at most 6 years, never before the customer turns 16 (when
  that still allows it) and never after the first purchase;
* tier from net spend (purchases minus returns) over the whole of ``sales``:
  普通会员 < 100 <= 银卡 < 300 <= 金卡 < 800 <= 钻石卡 (:data:`TIERS`);
* source channel by :data:`SOURCE_CHANNELS`, independent of spend.

Planted structure (what a profile analysis must find):

(a) **浙江 spends twice as much.** Sales are drawn first, so the province follows the spend:
    浙江's customers are a sample without replacement of about ``0.11 n`` customers (its weight,
    ±5%) with weights ``exp(b z)``, ``z`` the standardised ``log(1 + net spend)`` (the
    Gumbel-top-k trick: the ``k`` top scores of ``b z + Gumbel noise``; Kool, van Hoof & Welling
    2019). Of the draws for ``b`` on a grid of 0-5 and those sizes ``k``, the one whose mean net
    spend per customer in 浙江 is closest to :data:`PLANTED_RATIO` = 2 times that of all other
    customers is kept (2.000 on ``examples/sales.csv``; the Gumbel noise is drawn once, so the
    result is deterministic). The other provinces are drawn from the remaining weights,
    independently of spend.
(b) **Age is unrelated to spend**: ages are drawn independently of everything (|r| < 0.1).
(c) **Messy values of a real export**, a handful of each (:data:`MESSY_ROWS`), on distinct
    customers chosen by the seed: gender written M / F / 男性 / 女性, birth dates written
    ``1990年3月5日`` or ``19900305`` instead of ``1990-03-05``, provinces written with their
    suffix (``浙江省``, ``上海市``) or in pinyin (``Zhejiang``), half of these on 浙江 customers.

With ``lang="en"`` the headers and the clean values are English (female/male, pinyin places,
regular/silver/gold/diamond) and the messy ones ``F``/``M``/``Male``, ``19900305``/``1990/3/5``,
``Zhejiang Province``/``浙江``; the draws are the same, only the words differ.

References
----------
Kool, W., van Hoof, H. and Welling, M. (2019). Stochastic beams and where to find them: the
Gumbel-top-k trick for sampling sequences without replacement. *ICML 2019*, PMLR 97, 3499-3508.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd

from crmkit.errors import ColumnError, CrmkitError, DataError, InputError, UsageError

DEFAULT_SEED = 20261201

COLUMNS = {
    "zh": ["客户编号", "性别", "出生日期", "省份", "城市", "注册日期", "会员等级", "来源渠道"],
    "en": ["customer_id", "gender", "birth_date", "province", "city", "join_date", "tier", "source_channel"],
}

#: (zh, en, share); the last two are the 2% who do not say.
GENDER_SHARES = [("女", "female", 0.55), ("男", "male", 0.43), ("保密", "undisclosed", 0.01), ("", "", 0.01)]
#: (first age, last age, share) on the last day of the sales.
AGE_BANDS = [(18, 24, 0.15), (25, 34, 0.31), (35, 44, 0.26), (45, 54, 0.16), (55, 64, 0.08), (65, 75, 0.04)]
BIRTH_BLANK = 0.03
CITY_BLANK = 0.01

#: province -> (pinyin, full name, weight, [(city, pinyin, weight), ...]).
PROVINCES: dict[str, tuple[str, str, float, list[tuple[str, str, float]]]] = {
    "广东": (
        "Guangdong",
        "广东省",
        0.15,
        [("广州", "Guangzhou", 4), ("深圳", "Shenzhen", 4), ("东莞", "Dongguan", 2), ("佛山", "Foshan", 2)],
    ),
    "浙江": (
        "Zhejiang",
        "浙江省",
        0.11,
        [("杭州", "Hangzhou", 5), ("宁波", "Ningbo", 3), ("温州", "Wenzhou", 2), ("绍兴", "Shaoxing", 1)],
    ),
    "江苏": (
        "Jiangsu",
        "江苏省",
        0.11,
        [("南京", "Nanjing", 4), ("苏州", "Suzhou", 4), ("无锡", "Wuxi", 2), ("常州", "Changzhou", 1)],
    ),
    "上海": ("Shanghai", "上海市", 0.08, [("上海", "Shanghai", 1)]),
    "北京": ("Beijing", "北京市", 0.07, [("北京", "Beijing", 1)]),
    "山东": ("Shandong", "山东省", 0.07, [("济南", "Jinan", 3), ("青岛", "Qingdao", 4), ("烟台", "Yantai", 2)]),
    "四川": ("Sichuan", "四川省", 0.06, [("成都", "Chengdu", 5), ("绵阳", "Mianyang", 1)]),
    "湖北": ("Hubei", "湖北省", 0.05, [("武汉", "Wuhan", 5), ("宜昌", "Yichang", 1)]),
    "河南": ("Henan", "河南省", 0.05, [("郑州", "Zhengzhou", 4), ("洛阳", "Luoyang", 1)]),
    "福建": ("Fujian", "福建省", 0.05, [("福州", "Fuzhou", 3), ("厦门", "Xiamen", 3), ("泉州", "Quanzhou", 2)]),
    "湖南": ("Hunan", "湖南省", 0.04, [("长沙", "Changsha", 4), ("株洲", "Zhuzhou", 1)]),
    "安徽": ("Anhui", "安徽省", 0.04, [("合肥", "Hefei", 4), ("芜湖", "Wuhu", 1)]),
    "河北": ("Hebei", "河北省", 0.03, [("石家庄", "Shijiazhuang", 3), ("保定", "Baoding", 2)]),
    "陕西": ("Shaanxi", "陕西省", 0.03, [("西安", "Xi'an", 1)]),
    "重庆": ("Chongqing", "重庆市", 0.02, [("重庆", "Chongqing", 1)]),
    "天津": ("Tianjin", "天津市", 0.02, [("天津", "Tianjin", 1)]),
    "辽宁": ("Liaoning", "辽宁省", 0.02, [("沈阳", "Shenyang", 3), ("大连", "Dalian", 2)]),
}
PLANTED_PROVINCE = "浙江"
PLANTED_RATIO = 2.0
# Grid of the tilt b: 0 is no tilt; b = 5 on a standardised log spend already takes nearly only the top spenders.
_TILT_GRID = np.linspace(0.0, 5.0, 251)
_SIZE_SLACK = 0.05

#: Lowest net spend of each tier, highest first: (zh, en, threshold).
TIERS = [
    ("钻石卡", "diamond", 800.0),
    ("金卡", "gold", 300.0),
    ("银卡", "silver", 100.0),
    ("普通会员", "regular", -math.inf),
]

#: (zh, en, share) of how members first came to the shop.
SOURCE_CHANNELS = [
    ("门店", "store", 0.34),
    ("小程序", "mini program", 0.22),
    ("天猫", "Tmall", 0.16),
    ("抖音", "Douyin", 0.12),
    ("朋友推荐", "referral", 0.08),
    ("京东", "JD", 0.05),
    ("公众号", "WeChat account", 0.03),
]

JOIN_SAME_DAY = 0.40
JOIN_MEAN_LAG_DAYS = 400.0
JOIN_MAX_LAG_DAYS = 6 * 365
JOIN_MIN_AGE = 16

#: Rows per messy variant (gender M, F, 男性, 女性; each birth-date format; each province variant).
MESSY_ROWS = 6


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (later if negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def customer_spend(sales: pd.DataFrame) -> pd.DataFrame:
    """Per customer of a purchase frame: first purchase day and net spend, sorted by ``customer_id``.

    Parameters
    ----------
    sales : pandas.DataFrame
        Columns ``customer_id``, ``order_date`` (dates or ISO text) and ``amount`` (negative on
        returns), as :func:`crmkit.synth.generate_sales` writes them; ``status`` is optional.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (text), ``first_purchase`` (``datetime.date``: the first day with a
        positive amount, or the first row when the customer has none) and ``spend`` (net
        amount over all rows, rounded to the cent), one row per customer.
    """
    missing = [c for c in ("customer_id", "order_date", "amount") if c not in sales.columns]
    if missing:
        raise ColumnError(f"the sales have no column {', '.join(missing)}", hint="pass a generate_sales() frame")
    if sales.empty:
        raise InputError("the sales have no rows")
    ids = sales["customer_id"].astype(str)
    days = pd.to_datetime(sales["order_date"], errors="coerce")
    amount = pd.to_numeric(sales["amount"], errors="coerce")
    for name, values in (("order_date", days), ("amount", amount)):
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            raise DataError(f"cannot read {sales[name].iloc[bad[0]]!r}", row=int(bad[0]) + 1, column=name)
    frame = pd.DataFrame({"customer_id": ids.to_numpy(), "day": days.dt.normalize().to_numpy(), "amount": amount})
    grouped = frame.groupby("customer_id", sort=True)
    bought = frame[frame["amount"] > 0].groupby("customer_id")["day"].min()
    first = bought.reindex(grouped["day"].min().index).fillna(grouped["day"].min())
    # Cents are summed as integers so the total does not depend on the row order.
    spend = frame.assign(cents=np.rint(frame["amount"] * 100).astype(np.int64)).groupby("customer_id")["cents"].sum()
    return pd.DataFrame(
        {
            "customer_id": first.index.to_numpy(),
            "first_purchase": [d.date() for d in pd.to_datetime(first)],
            "spend": spend.reindex(first.index).to_numpy() / 100.0,
        }
    )


def _planted(rng: np.random.Generator, spend: np.ndarray, share: float) -> np.ndarray:
    """Which customers get the planted province: a spend-tilted sample hitting PLANTED_RATIO."""
    n = spend.size
    target = min(max(1, round(share * n)), n - 1) if n > 1 else 0
    planted = np.zeros(n, bool)
    if target == 0:
        return planted
    z = np.log1p(np.maximum(spend, 0.0))
    z = (z - z.mean()) / (z.std() or 1.0)
    gumbel = rng.gumbel(size=n)
    # One whale entering the sample moves the ratio by several per cent, so the size may also
    # move by up to _SIZE_SLACK around the province's weight: the ratio then lands within ~0.1%.
    sizes = np.arange(
        max(1, math.floor(target * (1 - _SIZE_SLACK))), min(n - 1, math.ceil(target * (1 + _SIZE_SLACK))) + 1
    )
    total = spend.sum()
    best, best_key = None, (math.inf, math.inf)
    for b in _TILT_GRID:
        order = np.argsort(-(b * z + gumbel), kind="stable")
        inside = np.cumsum(spend[order])[sizes - 1]
        rest = (total - inside) / (n - sizes)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(rest > 0, (inside / sizes) / rest, np.inf)
        gap = np.abs(ratio - PLANTED_RATIO)
        pick = int(np.lexsort((np.abs(sizes - target), gap))[0])
        key = (round(float(gap[pick]), 6), abs(int(sizes[pick]) - target))
        if key < best_key:
            best, best_key = order[: sizes[pick]], key
    planted[best] = True
    return planted


def _pick(rng: np.random.Generator, candidates: np.ndarray, taken: np.ndarray, count: int) -> np.ndarray:
    """``count`` candidates not yet taken (fewer if there are not enough), marked taken."""
    free = candidates[~taken[candidates]]
    chosen = np.sort(rng.choice(free, size=min(count, free.size), replace=False)) if free.size else free
    taken[chosen] = True
    return chosen


def generate_customers(sales: pd.DataFrame, *, seed: int = DEFAULT_SEED, lang: str = "zh") -> pd.DataFrame:
    """A members export with one row per customer of ``sales`` and planted profile structure.

    The model and the planted structure are in the module docstring.

    Parameters
    ----------
    sales : pandas.DataFrame
        A purchase frame like :func:`crmkit.synth.generate_sales` (``customer_id``,
        ``order_date``, ``amount``, negative on returns).
    seed : int
        Seed of the attribute streams; the same sales and seed give the same frame.
    lang : {"zh", "en"}
        Headers and values in Chinese (客户编号, 性别 … as a Chinese members export) or English.

    Returns
    -------
    pandas.DataFrame
        All columns text, blanks as ``""``, sorted by customer id: 客户编号/customer_id,
        性别/gender, 出生日期/birth_date, 省份/province, 城市/city, 注册日期/join_date
        (``YYYY-MM-DD``), 会员等级/tier, 来源渠道/source_channel.

    Examples
    --------
    >>> from crmkit.synth import generate_sales
    >>> members = generate_customers(generate_sales(n_customers=50, seed=1), seed=3)
    >>> list(members.columns)[:4], len(members)
    (['客户编号', '性别', '出生日期', '省份'], 50)
    """
    if lang not in COLUMNS:
        raise UsageError(f"lang must be 'zh' or 'en', not {lang!r}")
    en = lang == "en"
    base = customer_spend(sales)
    n = len(base)
    spend = base["spend"].to_numpy()
    first = base["first_purchase"].tolist()
    last_day = pd.to_datetime(sales["order_date"]).max().date()

    def stream(k: int) -> np.random.Generator:
        return np.random.default_rng([int(seed), k])

    # --- gender ---------------------------------------------------------------------
    gender_idx = stream(1).choice(len(GENDER_SHARES), size=n, p=[s for *_, s in GENDER_SHARES])
    gender = np.array([g[1 if en else 0] for g in GENDER_SHARES], dtype=object)[gender_idx]

    # --- birth date: independent of spend (planted structure b) -----------------------
    rng = stream(2)
    band = rng.choice(len(AGE_BANDS), size=n, p=[s for *_, s in AGE_BANDS])
    low = np.array([b[0] for b in AGE_BANDS])[band]
    high = np.array([b[1] for b in AGE_BANDS])[band]
    age = rng.integers(low, high + 1)
    position = rng.random(n)
    birth: list[date] = []
    for years, u in zip(age.tolist(), position.tolist()):
        latest = _years_before(last_day, years)  # the last birthday that still gives this age
        earliest = _years_before(last_day, years + 1) + timedelta(days=1)
        birth.append(earliest + timedelta(days=int(u * ((latest - earliest).days + 1))))
    birth_blank = rng.random(n) < BIRTH_BLANK

    # --- province and city (planted structure a) ---------------------------------------
    rng = stream(3)
    names = list(PROVINCES)
    weights = np.array([PROVINCES[p][2] for p in names])
    planted = _planted(rng, spend, PROVINCES[PLANTED_PROVINCE][2] / weights.sum())
    others = [p for p in names if p != PLANTED_PROVINCE]
    other_w = np.array([PROVINCES[p][2] for p in others])
    province = np.array(others, dtype=object)[rng.choice(len(others), size=n, p=other_w / other_w.sum())]
    province[planted] = PLANTED_PROVINCE
    city = np.empty(n, dtype=object)
    for name in names:
        rows = np.flatnonzero(province == name)
        cities = PROVINCES[name][3]
        city_w = np.array([w for *_, w in cities], dtype=float)
        picked = rng.choice(len(cities), size=rows.size, p=city_w / city_w.sum())
        city[rows] = [cities[i][1 if en else 0] for i in picked]
    city[rng.random(n) < CITY_BLANK] = ""

    # --- join date: on or before the first purchase ------------------------------------
    rng = stream(4)
    lag = np.minimum(rng.exponential(JOIN_MEAN_LAG_DAYS, size=n), JOIN_MAX_LAG_DAYS).astype(int)
    lag[rng.random(n) < JOIN_SAME_DAY] = 0
    join = []
    for buy, days, born in zip(first, lag.tolist(), birth):
        # not before the 16th birthday, unless that comes after the first purchase
        adult = min(_years_before(born, -JOIN_MIN_AGE), buy)
        join.append(max(buy - timedelta(days=days), adult))

    # --- tier from net spend, source channel -------------------------------------------
    tier = np.full(n, TIERS[-1][1 if en else 0], dtype=object)
    for zh_name, en_name, threshold in reversed(TIERS[:-1]):
        tier[spend >= threshold] = en_name if en else zh_name
    channel_idx = stream(5).choice(len(SOURCE_CHANNELS), size=n, p=[s for *_, s in SOURCE_CHANNELS])
    channel = np.array([c[1 if en else 0] for c in SOURCE_CHANNELS], dtype=object)[channel_idx]

    # --- text, then the messy values (planted structure c) ----------------------------
    birth_text = np.array([d.isoformat() for d in birth], dtype=object)
    birth_text[birth_blank] = ""
    province_text = np.array([PROVINCES[p][0] if en else p for p in province], dtype=object)
    rng = stream(6)
    everyone = np.arange(n)
    taken = np.zeros(n, bool)
    # (zh text, en text, the GENDER_SHARES index it stands for)
    messy_gender = [("F", "F", 0), ("M", "M", 1), ("男性", "Male", 1), ("女性", "Female", 0)]
    for zh_text, en_text, which in messy_gender:
        rows = _pick(rng, everyone[gender_idx == which], taken, MESSY_ROWS)
        gender[rows] = en_text if en else zh_text
    taken[:] = False
    for style in ("compact", "written"):
        rows = _pick(rng, everyone[~birth_blank], taken, MESSY_ROWS)
        for row in rows:
            d = birth[row]
            if style == "compact":
                birth_text[row] = d.strftime("%Y%m%d")
            else:
                birth_text[row] = f"{d.year}/{d.month}/{d.day}" if en else f"{d.year}年{d.month}月{d.day}日"
    taken[:] = False
    half = max(1, MESSY_ROWS // 2)
    for style in ("full", "other_script"):
        for group in (everyone[planted], everyone[~planted]):
            rows = _pick(rng, group, taken, half)
            for row in rows:
                pinyin, full, *_ = PROVINCES[province[row]]
                if style == "full":
                    suffix = " Municipality" if full.endswith("市") else " Province"
                    province_text[row] = pinyin + suffix if en else full
                else:
                    province_text[row] = province[row] if en else pinyin

    values = [
        base["customer_id"].to_numpy(dtype=object),
        gender,
        birth_text,
        province_text,
        city,
        np.array([d.isoformat() for d in join], dtype=object),
        tier,
        channel,
    ]
    return pd.DataFrame(dict(zip(COLUMNS[lang], values)), columns=COLUMNS[lang])


def write_customers(customers: pd.DataFrame, path) -> None:
    """Write a frame from :func:`generate_customers` as UTF-8 with a BOM and ``\\n`` line ends.

    The BOM is what a Chinese members export carries so that Excel opens it as UTF-8 (without
    it Excel on a Chinese Windows reads GBK and garbles the headers); crmkit's reader accepts both.
    """
    customers.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def main(argv=None) -> int:
    """``python -m crmkit.synth_customers``: write the customer attributes of a sales file.

    Examples
    --------
    ``python -m crmkit.synth_customers --sales examples/sales.csv -o examples/customers.csv``
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m crmkit.synth_customers",
        description="Write seeded customer attributes (a members export) for the customers of a sales CSV.",
    )
    parser.add_argument("--sales", required=True, help="purchase CSV (customer_id, order_date, amount)")
    parser.add_argument("-o", "--output", required=True, help="CSV file to write (UTF-8 with BOM)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--lang", choices=sorted(COLUMNS), default="zh", help="headers and values (default zh)")
    args = parser.parse_args(argv)
    try:
        try:
            sales = pd.read_csv(args.sales, dtype={"customer_id": str})
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the sales: {exc}", file=args.sales) from exc
        write_customers(generate_customers(sales, seed=args.seed, lang=args.lang), args.output)
    except UsageError as exc:
        parser.error(str(exc))
    except CrmkitError as exc:
        parser.exit(exc.exit_code, f"{parser.prog}: error: {exc}\n")
    return 0


if __name__ == "__main__":
    main()
