"""The order book behind a platform export: customers, orders, refunds, and the truth computed from them.

The truth is the model's, never the file's: customers with a purchase, purchase occasions
(customer x calendar day of the purchase, as the platform writes the day), net revenue
(paid - refunds - outstanding over purchases) and orders by the classes
:attr:`crmkit.io.quality.DataQuality.orders` reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np

from crmkit.errors import UsageError
from crmkit.io.platforms import BUILTIN

DEFAULT_SEED = 20261112
#: File name of each platform's example export.
FILES = {p: f"{p}.xlsx" if p == "wechat" else f"{p}.csv" for p in BUILTIN}
#: What an order turned out to be -> its class in ``quality.orders``.
CLASS_OF = {
    "paid": "purchase", "partially_paid": "purchase", "partly_refunded": "partly_refunded", "refunded": "refunded",
    "unpaid": "unpaid", "closed": "closed", "closed_refunded": "closed", "cancelled": "cancelled",
    "cancelled_refunded": "cancelled", "split": "cancelled",
}  # fmt: skip
ORDER_CLASSES = ("purchase", "partly_refunded", "refunded", "unpaid", "closed", "cancelled")
#: The kinds of order each platform's export can show besides plain paid ones (research notes, section 4):
#: a Taobao full refund ends 交易关闭; JD's order export has no refunds but split parents; Pinduoduo
#: shows only full refunds (状态 or 售后状态 退款成功); a WeChat Shop order refunded in full is 已取消.
KINDS = {
    "taobao": ("partly_refunded", "unpaid", "closed", "closed_refunded"),
    "jd": ("unpaid", "cancelled", "split"),
    "pinduoduo": ("refunded", "unpaid", "cancelled"),
    "youzan": ("partly_refunded", "refunded", "unpaid", "closed", "closed_refunded"),
    "wechat": ("partly_refunded", "unpaid", "cancelled", "cancelled_refunded"),
    "shopify": ("partly_refunded", "partially_paid", "refunded", "unpaid", "cancelled", "cancelled_refunded"),
    "woocommerce": ("partly_refunded", "refunded", "unpaid", "cancelled"),
}
#: The one-row-per-order platforms; Pinduoduo's orders hold one SKU each.
ORDER_ROWS = ("taobao", "pinduoduo", "youzan")
START, END = datetime(2025, 1, 1), datetime(2026, 1, 1)  # the book's year; END is when it is exported

# Illustrative catalogues and places (not measured): name, variant, unit price in cents.
CN_PRODUCTS = [
    ("纯棉短袖T恤男夏季圆领", "颜色:白色;尺码:L", 5900), ("加厚保温杯316不锈钢", "颜色:雾蓝;容量:500ml", 8900),
    ("云南小粒咖啡豆中度烘焙", "规格:500g", 6800), ("无线蓝牙耳机降噪", "颜色:黑色", 19900),
    ("手工红糖姜茶", "规格:12袋装", 2990), ("婴儿纯棉纱布浴巾", "尺寸:110x110cm", 4590),
    ("家用不粘锅炒锅", "尺寸:30cm", 12900), ("冻干猫粮成猫", "规格:1.5kg", 9900),
    ("复古帆布双肩包", "颜色:卡其", 15900), ("玻尿酸补水面膜", "规格:10片", 7900),
]  # fmt: skip
EN_PRODUCTS = [
    ("Crew Tee", "Black / S", 2400), ("Crew Tee", "White / M", 2400), ("Canvas Tote", "Natural", 1850),
    ("Ceramic Mug", "Sage", 1600), ("Wool Beanie", "Charcoal", 2900), ("Linen Apron", "Rust", 3800),
    ("Travel Journal", "A5 Dotted", 2200), ("Hoodie", "Navy / L", 5900), ("Enamel Pin Set", "Set of 3", 1200),
]  # fmt: skip
CN_PLACES = [  # province, city, district, postcode, street
    ("浙江省", "杭州市", "西湖区", "310012", "文三路"), ("广东省", "深圳市", "南山区", "518057", "科技园南路"),
    ("北京", "北京市", "朝阳区", "100020", "建国路"), ("上海", "上海市", "浦东新区", "200120", "世纪大道"),
    ("江苏省", "南京市", "鼓楼区", "210008", "中山北路"), ("四川省", "成都市", "武侯区", "610041", "人民南路"),
    ("江西省", "南昌市", "青山湖区", "330029", "昌东大道"),
    ("广西壮族自治区", "南宁市", "青秀区", "530022", "民族大道"),
    ("山东省", "青岛市", "市南区", "266071", "香港中路"), ("湖北省", "武汉市", "洪山区", "430070", "珞喻路"),
]  # fmt: skip
SURNAMES, GIVEN = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗", "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华慧"
NICK_WORDS = [
    "幸福蔓岩",
    "小猫爱吃鱼",
    "星河漫游",
    "青柠檬",
    "阿杰在路上",
    "晴天娃娃",
    "木子李",
    "一只鹿",
    "风吹麦浪",
    "豆豆妈",
]
FIRST = ["Anna", "Lukas", "Mia", "Jonas", "Emma", "Felix", "Lea", "Paul", "Sophie", "Max", "Olivia", "Noah", "Grace"]
LAST = ["Schmidt", "Müller", "Weber", "Fischer", "Wagner", "Becker", "Smith", "Johnson", "Brown", "Davis", "Miller"]
DE_PLACES = [
    ("Berlin", "10115", "Invalidenstraße"),
    ("Dresden", "01067", "Ostra-Allee"),
    ("München", "80331", "Sendlinger Str."),
]
US_PLACES = [  # state, city, postcode, sales tax rate
    ("CA", "Oakland", "94607", 0.1025), ("NY", "Brooklyn", "11201", 0.08875), ("TX", "Austin", "78701", 0.0825),
    ("OR", "Portland", "97205", 0.0), ("IL", "Chicago", "60601", 0.1025),
]  # fmt: skip
PHONE_PREFIXES = ["138", "139", "186", "135", "159", "177", "130", "152", "188", "136"]


@dataclass
class Customer:
    """A buyer, with every name a platform may know them by."""

    name: str
    nick: str
    phone: str
    email: str
    place: int


@dataclass
class Line:
    """A line item: unit price in cents; ``share`` is the line's total after the order's discount."""

    product: str
    variant: str
    sku: str
    code: int
    price: int
    quantity: int
    share: int = 0
    refund: int = 0


@dataclass
class Order:
    """An order as the shop knows it; amounts in cents, times as the platform writes them (shop's clock)."""

    number: str
    customer: Customer
    kind: str
    created: datetime
    paid_at: datetime | None
    lines: list[Line]
    shipping: int
    discount: int
    tax: int = 0
    tax_added: bool = False
    refund: int = 0
    outstanding: int = 0
    note: str = ""
    parts: list[Order] = field(default_factory=list)
    """A JD split parent's child orders."""

    @property
    def goods(self) -> int:
        return sum(line.price * line.quantity for line in self.lines)

    @property
    def total(self) -> int:
        """What the buyer was charged: goods - discount + shipping (+ tax where it is added)."""
        return self.goods - self.discount + self.shipping + (self.tax if self.tax_added else 0)

    @property
    def cls(self) -> str:
        return CLASS_OF[self.kind]


@dataclass(frozen=True)
class Truth:
    """What a correct reading of the export gives, computed from the order book."""

    customers: int
    occasions: int
    revenue: Decimal
    orders: dict[str, int]
    rows: int

    def cells(self) -> list[str]:
        """The README table's cells: customers, occasions, orders by class, revenue."""
        classes = ", ".join(f"{k} {n}" for k, n in self.orders.items())
        return [str(self.customers), str(self.occasions), classes, f"{self.revenue:.2f}"]


@dataclass
class OrderBook:
    """A platform's drawn orders (file order: newest first, as the back offices list them) and their truth."""

    platform: str
    orders: list[Order] = field(default_factory=list)

    @property
    def truth(self) -> Truth:
        """What a correct reading of this book's export gives (:func:`truth_of`)."""
        return truth_of(self)


def _split(total: int, weights: list[int]) -> list[int]:
    """``total`` cents over ``weights``, the rounding remainder on the last part."""
    whole = sum(weights)
    parts = [total * w // whole if whole else 0 for w in weights[:-1]]
    return [*parts, total - sum(parts)]


def _check(platform: str) -> None:
    if platform not in BUILTIN:
        raise UsageError(f"unknown platform {platform!r}; one of {', '.join(BUILTIN)}")


def generate_orders(platform: str, *, orders: int = 120, seed: int = DEFAULT_SEED) -> OrderBook:
    """Draw a platform's order book of about 40 customers over 2025, with its truth.

    Planted among mostly paid orders: every kind of :data:`KINDS` for the platform at least twice,
    one customer's two purchases on one day (one purchase occasion) and one order paid a few
    minutes after midnight of the day it was placed (the payment's day counts).

    Parameters
    ----------
    platform : str
        One of :data:`crmkit.io.platforms.BUILTIN`.
    orders : int
        Orders to draw (a JD split order adds its two child orders).
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same book.

    Returns
    -------
    OrderBook
    """
    _check(platform)
    if orders < 3 * len(KINDS[platform]) + 3:
        raise UsageError(f"--orders must be at least {3 * len(KINDS[platform]) + 3} for {platform}")
    rng = np.random.default_rng([seed, BUILTIN.index(platform)])  # one seed, a different book per platform
    customers = _customers(rng, min(40, orders // 3), western=platform in ("shopify", "woocommerce"))
    n = len(customers)
    weights = rng.gamma(1.5, 1.0, n)
    owners = np.concatenate([rng.permutation(n), rng.choice(n, orders - n, p=weights / weights.sum())])
    seconds = np.sort(rng.integers(0, int((END - START).total_seconds()) - 86400, orders))
    kinds = ["paid"] * orders
    planted = rng.permutation(np.arange(3, orders))
    for i, kind in enumerate(KINDS[platform] * 2):
        kinds[planted[i]] = kind
    others = ["paid"] * 16 + list(KINDS[platform])
    for i in planted[2 * len(KINDS[platform]) :]:
        kinds[i] = others[rng.integers(len(others))]
    catalogue = EN_PRODUCTS if platform in ("shopify", "woocommerce") else CN_PRODUCTS
    book = OrderBook(platform)
    for i in range(orders):
        created = START + timedelta(seconds=int(seconds[i]))
        if i == 0:
            created = created.replace(hour=10, minute=3)
        if i == 1:  # the customer of order 0 buys again later that day: still one purchase occasion
            owners[1], created = owners[0], book.orders[0].created.replace(hour=21, minute=14, second=9)
        if i == 2:  # placed just before midnight, paid just after
            created = created.replace(hour=23, minute=58, second=41)
        count = 1 if platform == "pinduoduo" else int(rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15]))
        count = max(count, 2) if kinds[i] == "split" else count
        picks = rng.choice(len(catalogue), count, replace=False)
        lines = [
            Line(
                catalogue[k][0], catalogue[k][1], f"SKU{k:03d}{platform[:2].upper()}", int(k), catalogue[k][2], int(qty)
            )
            for k, qty in zip(picks, rng.choice([1, 1, 1, 2, 3], count))
        ]
        goods = sum(line.price * line.quantity for line in lines)
        discount = int(rng.choice([0, 0, 500, 1000])) if goods > 4000 else 0
        shipping = int(rng.choice([0, 0, 600, 1000] if catalogue is CN_PRODUCTS else [0, 495, 799]))
        delay = 600 if i == 2 else int(5 + rng.exponential(90))
        # Shopify's Paid at stays empty until the order is paid in full
        unpaid = kinds[i] in ("unpaid", "closed", "cancelled", "partially_paid")
        paid_at = None if unpaid else created + timedelta(seconds=delay)
        order = Order("", customers[int(owners[i])], kinds[i], created, paid_at, lines, shipping, discount)
        for line, share in zip(lines, _split(goods - discount, [x.price * x.quantity for x in lines])):
            line.share = share
        _money_rules(order, platform, rng)
        book.orders.append(order)
    if platform == "jd":
        book.orders = [child for order in book.orders for child in _jd_split(order)]
    book.orders.sort(key=lambda o: o.created, reverse=True)
    _number(book, rng)
    return book


def _customers(rng: np.random.Generator, n: int, *, western: bool) -> list[Customer]:
    """``n`` buyers; phones differ in their last four digits, so masked phones (138****1234) stay distinct."""
    tails = rng.choice(10000, n, replace=False)
    tags = rng.choice(9000, n, replace=False) + 1000
    out = []
    for i in range(n):
        if western:
            first, last = FIRST[rng.integers(len(FIRST))], LAST[rng.integers(len(LAST))]
            name = f"{first} {last}"
            email = f"{first.lower()}.{last.lower().replace('ü', 'ue')}{tags[i] % 100}@example.com"
            phone = f"+49 151 {rng.integers(1000, 9999)}{tails[i]:04d}"
        else:
            name = SURNAMES[rng.integers(len(SURNAMES))] + "".join(rng.choice(list(GIVEN), rng.integers(1, 3)))
            email = f"{tags[i] * 104729 % 10**9}@qq.com"
            phone = f"{PHONE_PREFIXES[rng.integers(len(PHONE_PREFIXES))]}{rng.integers(1000, 10000)}{tails[i]:04d}"
        nick = f"{NICK_WORDS[rng.integers(len(NICK_WORDS))]}{tags[i]}"
        out.append(Customer(name, nick, phone, email, int(rng.integers(100))))
    return out


def _money_rules(order: Order, platform: str, rng: np.random.Generator) -> None:
    """Taxes, refunds and outstanding balances as the platform's kind of order has them."""
    if platform == "shopify":  # German store: prices include 19% VAT, Taxes says how much
        order.tax = round(order.total * 19 / 119)
    elif platform == "woocommerce":  # US store: sales tax added by the state's rate
        order.tax_added = True
        order.tax = round((order.goods - order.discount) * US_PLACES[order.customer.place % len(US_PLACES)][3])
    total, last = order.total, order.lines[-1]
    if order.kind == "partly_refunded":
        order.refund = min(max(100, round(last.share * rng.uniform(0.2, 0.8))), total - 100)
        last.refund = order.refund
    elif order.kind in ("refunded", "closed_refunded", "cancelled_refunded"):
        order.refund = total
        for line in order.lines:
            line.refund = line.share + (total - order.goods + order.discount if line is last else 0)
    elif order.kind == "partially_paid":
        order.outstanding = round(total * rng.uniform(0.3, 0.7))


def _jd_split(order: Order) -> list[Order]:
    """A JD order split in two: the parent stays in the export as (删除)…, the two children are the purchases."""
    if order.kind != "split":
        return [order]
    children = []
    for j, lines in enumerate((order.lines[:1], order.lines[1:])):
        goods = [x.price * x.quantity for x in lines]
        discount = _split(order.discount, [order.lines[0].price * order.lines[0].quantity, sum(goods)])[j]
        child = Order(
            "", order.customer, "paid", order.created, order.paid_at, lines, order.shipping * (1 - j), discount
        )
        children.append(child)
    order.parts = children
    return [order, *children]


def _number(book: OrderBook, rng: np.random.Generator) -> None:
    """Order numbers in each platform's form, rising with time; JD split parents name their children."""
    p, seen = book.platform, set()
    for i, order in enumerate(reversed(book.orders)):
        while not order.number or order.number in seen:
            r = int(rng.integers(10**14, 10**15))
            order.number = {
                "taobao": f"3{r}{i:03d}",
                "jd": f"3{r % 10**11:011d}",
                "pinduoduo": f"{order.created:%y%m%d}-{r}",
                "youzan": f"E{order.created:%Y%m%d%H%M%S}{r % 10**9:09d}",
                "wechat": f"37{r}{i:02d}",
                "shopify": f"#{1001 + i}",
                "woocommerce": str(2001 + i),
            }[p]
        seen.add(order.number)
    for order in book.orders:
        if order.parts:
            order.note = "订单拆分为  " + "    ".join(o.number for o in order.parts)


def date_of(platform: str, order: Order) -> date:
    """The calendar day the export gives a purchase: its payment time where written, else its creation time.

    WooCommerce's export carries only the Order Date (no Paid Date in the default field set).
    """
    when = order.created if platform == "woocommerce" or order.paid_at is None else order.paid_at
    return when.date()


def customer_of(platform: str, customer: Customer) -> str:
    """The customer id the platform's export names a buyer by (after its disguises are taken off)."""
    if platform in ("taobao",):
        return customer.nick
    if platform == "jd":
        return f"jd_{customer.email.split('@')[0]}"
    if platform == "pinduoduo":
        return customer.phone[:3] + "****" + customer.phone[-4:]
    if platform in ("shopify", "woocommerce"):
        return customer.email
    return customer.phone


def truth_of(book: OrderBook) -> Truth:
    """Customers, purchase occasions, net revenue and orders by class of ``book``, from the model."""
    p = book.platform
    buys = [o for o in book.orders if o.cls in ("purchase", "partly_refunded")]
    cents = sum(o.total - o.refund - o.outstanding for o in buys)
    counted = {c: sum(o.cls == c for o in book.orders) for c in ORDER_CLASSES}
    counted["purchase"] += counted["partly_refunded"]  # partly refunded orders are purchases too
    rows = len(book.orders) if p in ORDER_ROWS else sum(len(o.lines) for o in book.orders)
    return Truth(
        customers=len({customer_of(p, o.customer) for o in buys}),
        occasions=len({(customer_of(p, o.customer), date_of(p, o)) for o in buys}),
        revenue=Decimal(cents) / 100,
        orders={c: n for c, n in counted.items() if n},
        rows=rows,
    )
