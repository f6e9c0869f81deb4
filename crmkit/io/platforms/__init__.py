"""The platforms people sell on: how each one's order export says who bought, what was paid and when.

A platform is a TOML file in this folder (``taobao.toml``, ``shopify.toml`` …), read into a
:class:`Platform`: the headers that identify the export, the candidate headers of each column
role, how rows relate to orders, and the status vocabulary that decides which orders are
purchases. :func:`detect` finds the platform of a header; :mod:`crmkit.io.platforms.orders`
turns such an export into the generic rows the reader cleans (one row per input row, amounts
net of refunds, unpaid / closed / cancelled orders marked for dropping).

Every rule is data, so adding a platform is adding a file (README, "Adding a platform"); a user's
own file is read with ``--platform FILE.toml``.
"""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from crmkit.errors import ColumnError, ConfigError, UsageError
from crmkit.io.columns import normalise_header
from crmkit.io.toml import read_toml

__all__ = ["BUILTIN", "CLASSES", "ROLES", "Platform", "builtin", "detect", "load"]

#: The built-in platforms, in the order ``crmkit platforms`` lists them.
BUILTIN = ("taobao", "jd", "pinduoduo", "youzan", "wechat", "shopify", "woocommerce")

#: Column roles a platform file may name. ``paid`` is the amount the buyer actually paid for the
#: order; ``refund`` and ``outstanding`` are subtracted from it; ``cancelled_at`` marks a cancelled
#: order by being filled in; ``after_sale`` is a second status (Pinduoduo's 售后状态) read with the same
#: vocabulary, which decides when it says the order ended (退款成功); ``line_price`` x
#: ``line_quantity`` splits an order over its line items; ``line_refund`` is a line's refund, summed
#: over the order (WeChat Shop's 商品已退款金额); ``line_total`` is a line's own total (price x quantity
#: less discounts), which splits the order by itself.
ROLES = (
    "order_id", "customer_id", "paid", "refund", "outstanding", "date", "status", "cancelled_at",
    "product", "sku", "category", "quantity", "line_price", "line_quantity", "region", "channel", "currency",
    "margin", "after_sale", "line_refund", "line_total",
)  # fmt: skip
#: What an order status means: only ``purchase`` orders are purchases.
CLASSES = ("purchase", "unpaid", "closed", "cancelled", "refunded")
#: How rows relate to orders: one row an order; one row a line item with the order's fields on
#: every row; one row a line item with the order's fields on its first row only (Shopify).
ROW_LAYOUTS = ("order", "lines", "lines_first")
#: How the region is read from its column: as it is, or the province a Chinese address starts
#: with, by its short name (Taobao's 收货地址 "浙江省 杭州市 西湖区 …" and JD's "浙江杭州市…" are 浙江).
REGION_RULES = ("as_is", "cn_province")
#: A platform needs these roles to give customers, dates and revenue.
ALWAYS_REQUIRED = ("customer_id", "paid", "date")
_KEYS = {
    "name", "title", "title_zh", "export", "encodings", "sources", "rows", "signature", "columns",
    "region_rule", "required", "statuses", "notes", "hints", "lookalikes",
}  # fmt: skip


@dataclass(frozen=True)
class Platform:
    """One platform's export layout and rules (a file of this folder, or the user's own).

    Attributes
    ----------
    name, title, title_zh : str
        What ``--platform`` takes; the English and Chinese names of the export.
    rows : {"order", "lines", "lines_first"}
        How rows relate to orders (:data:`ROW_LAYOUTS`).
    signature : tuple of str
        Distinctive headers: an export with three or more of them (all, when there are fewer than
        three) is this platform's. Two could be chance; a platform's own export has most.
    columns : dict
        Role -> candidate headers, most preferred first. For ``date`` every candidate is tried per
        row (payment time, else creation time); for the others the first header present is used.
    required : tuple of str
        Roles an export of this platform must have (:data:`ALWAYS_REQUIRED` and more).
    statuses : dict
        Status value, as exported -> its class (:data:`CLASSES`).
    """

    name: str
    title: str
    title_zh: str
    rows: str
    signature: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    statuses: dict[str, str]
    region_rule: str = "as_is"
    export: str = ""
    encodings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    hints: tuple[tuple[str, str], ...] = ()
    """Role -> what to do when an export lacks it (Pinduoduo: which field to add to the export)."""
    lookalikes: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    """Other files of the platform's that are no order export, and what to read instead: (title,
    signature, hint) — Taobao's 宝贝报表 lists line items and names no buyer."""
    path: str | None = None
    """The file a user's platform was read from (``--platform my_shop.toml``); None for a built-in."""

    @property
    def flag(self) -> str:
        """What ``--platform`` takes to read an export as this platform."""
        return self.path or self.name

    def present(self, headers: list[str]) -> dict[str, list[str]]:
        """Role -> the headers of ``headers`` that are its candidates, in the platform's priority.

        A candidate matches a header spelled alike (NFKC, case and surrounding spaces aside: real
        Taobao headers end in a space, 商品编码（平台） has full-width brackets); failing that, one
        that is alike once brackets and punctuation are dropped, when only one header is. So
        "State Code (Shipping)" never stands in for "State Code (Billing)".
        """
        exact = {_loose(h): h for h in reversed(headers)}
        by_norm: dict[str, list[str]] = {}
        for header in headers:
            by_norm.setdefault(normalise_header(header), []).append(header)
        found = {}
        for role, candidates in self.columns.items():
            hits = []
            for c in candidates:
                if _loose(c) in exact:
                    hits.append(exact[_loose(c)])
                elif len(by_norm.get(normalise_header(c), [])) == 1:
                    hits.append(by_norm[normalise_header(c)][0])
            if hits:
                found[role] = list(dict.fromkeys(hits))
        return found

    def score(self, headers: list[str]) -> int:
        """How many signature headers ``headers`` has, spelled alike (NFKC, case and surrounding spaces aside).

        Not alike once brackets are dropped, as columns are found: ``商品数量(件)`` is Pinduoduo's,
        ``商品数量`` anybody's, and a plain export must not be taken for a platform's.
        """
        names = {_loose(h) for h in headers}
        return sum(_loose(s) in names for s in self.signature)

    def matches(self, headers: list[str]) -> bool:
        """Whether ``headers`` look like this platform's export."""
        return self.score(headers) >= min(3, len(self.signature))


def _loose(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lower()


def status_key(value: str) -> str:
    """A status compared without case, spaces or full-width forms.

    ``买家已付款，等待卖家发货`` is ``买家已付款,等待卖家发货``, ``（删除）等待出库`` is ``(删除)等待出库``, and
    ``Pending Payment`` is ``pending payment``.

    Examples
    --------
    >>> status_key("（删除） 等待出库") == status_key("(删除)等待出库")
    True
    """
    return "".join(unicodedata.normalize("NFKC", value).lower().split())


def _strings(value, what: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{what} must be a list of non-empty strings", file=source)
    return tuple(value)


def from_dict(data: dict, source: str) -> Platform:
    """A :class:`Platform` from a platform file's contents; :class:`ConfigError` naming what is wrong."""
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)}", file=source, hint="keys: " + ", ".join(sorted(_KEYS)))
    for key in ("name", "title", "rows", "signature", "columns"):
        if key not in data:
            raise ConfigError(f"missing key '{key}'", file=source)
    name = data["name"]
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigError(f"name must be a word such as 'taobao', not {name!r}", file=source)
    rows, region_rule = data["rows"], data.get("region_rule", "as_is")
    if rows not in ROW_LAYOUTS:
        raise ConfigError(f"rows must be one of {', '.join(ROW_LAYOUTS)}, not {rows!r}", file=source)
    if region_rule not in REGION_RULES:
        raise ConfigError(f"region_rule must be one of {', '.join(REGION_RULES)}, not {region_rule!r}", file=source)
    if not isinstance(data["columns"], dict):
        raise ConfigError("[columns] must be a table of role = [headers]", file=source)
    bad_roles = sorted(set(data["columns"]) - set(ROLES))
    if bad_roles:
        raise ConfigError(
            f"unknown column role(s) {', '.join(bad_roles)}", file=source, hint="roles: " + ", ".join(ROLES)
        )
    columns = {r: _strings(v, f"columns.{r}", source) for r, v in data["columns"].items() if v}
    required = tuple(dict.fromkeys(ALWAYS_REQUIRED + _strings(data.get("required", []), "required", source)))
    for role in required:
        if role not in ROLES:
            raise ConfigError(f"required names unknown role {role!r}", file=source)
        if role not in columns:
            raise ConfigError(f"required role {role!r} has no candidate headers in [columns]", file=source)
    if rows != "order" and "order_id" not in required:
        raise ConfigError(f"rows = {rows!r} needs order_id among the required roles", file=source)
    statuses: dict[str, str] = {}
    table = data.get("statuses", {})
    if not isinstance(table, dict):
        raise ConfigError("[statuses] must be a table of class = [values]", file=source)
    for cls, values in table.items():
        if cls not in CLASSES:
            raise ConfigError(f"unknown status class {cls!r}", file=source, hint="classes: " + ", ".join(CLASSES))
        for value in _strings(values, f"statuses.{cls}", source):
            # compared as status_key compares them: "Completed" and "completed" are one status
            same = next((v for v in statuses if status_key(v) == status_key(value)), None)
            if same is not None and statuses[same] != cls:
                raise ConfigError(f"status {value!r} is both {statuses[same]} and {cls}", file=source)
            if same is None:
                statuses[value] = cls
    return Platform(
        name=name,
        title=str(data["title"]),
        title_zh=str(data.get("title_zh", data["title"])),
        rows=rows,
        signature=_strings(data["signature"], "signature", source),
        columns=columns,
        required=required,
        statuses=statuses,
        region_rule=region_rule,
        export=str(data.get("export", "")),
        encodings=_strings(data.get("encodings", []), "encodings", source) if data.get("encodings") else (),
        sources=_strings(data.get("sources", []), "sources", source) if data.get("sources") else (),
        notes=_strings(data.get("notes", []), "notes", source) if data.get("notes") else (),
        hints=_hints(data.get("hints", {}), source),
        lookalikes=_lookalikes(data.get("lookalikes", []), source),
    )


def _hints(table, source: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ConfigError('[hints] must be a table of role = "text"', file=source)
    unknown = sorted(set(table) - set(ROLES))
    if unknown:
        raise ConfigError(f"[hints] names unknown role(s) {', '.join(unknown)}", file=source)
    return tuple(table.items())


def _lookalikes(tables, source: str) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError("[[lookalikes]] must be tables of title, signature and hint", file=source)
    found = []
    for table in tables:
        if set(table) != {"title", "signature", "hint"} or not all(
            isinstance(table[k], str) for k in ("title", "hint")
        ):
            raise ConfigError("each [[lookalikes]] has a title, a signature and a hint, and nothing else", file=source)
        found.append((table["title"], _strings(table["signature"], "lookalikes.signature", source), table["hint"]))
    return tuple(found)


@functools.cache
def builtin() -> tuple[Platform, ...]:
    """The built-in platforms (:data:`BUILTIN`), read once."""
    return tuple(load(name) for name in BUILTIN)


def load(name: str) -> Platform:
    """A built-in platform by name, or a platform file by path (``--platform my_shop.toml``).

    Raises
    ------
    UsageError
        ``name`` is neither a built-in platform nor a file.
    ConfigError
        The file is not a valid platform file.

    Examples
    --------
    >>> load("shopify").rows
    'lines_first'
    """
    if not isinstance(name, str):
        raise UsageError(f"--platform must be a platform name or a .toml file, not {name!r}")
    if name.lower() in BUILTIN:
        name = name.lower()
    elif not Path(name).is_file():
        if name.lower().endswith(".toml"):
            raise UsageError(f"--platform: platform file '{name}' not found")
        raise UsageError(f"--platform must be auto, none, {', '.join(BUILTIN)} or a .toml platform file, not '{name}'")
    data, source = read_toml(name, flag="--platform", what="platform file", package=__name__, builtins=BUILTIN)
    platform = from_dict(data, source)
    return platform if name in BUILTIN else dataclasses.replace(platform, path=name)


def detect(headers: list[str], platform: str | None = None, *, source: str = "input") -> Platform | None:
    """The platform whose export ``headers`` are, or None for a generic export.

    Parameters
    ----------
    headers : list of str
        The export's column names.
    platform : str, optional
        ``None`` or ``"auto"``: decided from the headers (the built-in platform with the most
        signature headers, three at least); ``"none"``: read generically; a name or a TOML file:
        that platform, whatever the headers.
    source : str
        The file's name, for messages.

    Raises
    ------
    ColumnError
        The export is (or is forced to be) a platform's but lacks a column its rules need.
    UsageError, ConfigError
        As :func:`load`.

    Examples
    --------
    >>> detect(["Name", "Email", "Financial Status", "Paid at", "Total", "Lineitem name"]).name
    'shopify'
    >>> detect(["customer_id", "date", "amount"]) is None
    True
    """
    if isinstance(platform, str) and platform.lower() == "none":
        return None
    if platform is None or (isinstance(platform, str) and platform.lower() == "auto"):
        scored = [(p.score(headers), p) for p in builtin() if p.matches(headers)]
        if not scored:
            _check_lookalikes(headers, source)
            return None
        chosen = max(scored, key=lambda pair: pair[0])[1]
    else:
        chosen = load(platform)
    check_columns(chosen, headers, source)
    return chosen


def _check_lookalikes(headers: list[str], source: str) -> None:
    """ColumnError when ``headers`` are a platform's file that is no order export (Taobao's 宝贝报表)."""
    names = {_loose(h) for h in headers}
    for platform in builtin():
        for title, signature, hint in platform.lookalikes:
            seen = [s for s in signature if _loose(s) in names]
            if len(seen) >= min(3, len(signature)):
                raise ColumnError(
                    f"looks like {title} ({', '.join(seen)}), which names no buyer", file=source, hint=hint
                )


def check_columns(platform: Platform, headers: list[str], source: str) -> None:
    """ColumnError naming the first required role of ``platform`` that ``headers`` lack."""
    present = platform.present(headers)
    for role in platform.required:
        if role not in present:
            wanted = " or ".join(platform.columns[role])
            seen = [s for s in platform.signature if _loose(s) in {_loose(h) for h in headers}]
            looks = f"looks like a {platform.title} ({', '.join(seen)})" if seen else f"read as a {platform.title}"
            hint = dict(platform.hints).get(role, "export it again with that column")
            raise ColumnError(
                f"{looks} but has no {wanted} column",
                file=source,
                hint=f"{hint}; or read it as a plain export with --platform none",
            )
