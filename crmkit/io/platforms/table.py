"""The platform table as rows to show (``crmkit platforms``): every platform, or one platform's rules."""

from __future__ import annotations

from crmkit.errors import UsageError
from crmkit.io.platforms import BUILTIN, CLASSES, builtin, load

#: The roles ``crmkit platforms NAME`` lists, in this order (a platform shows those it has).
_SHOWN = (
    "customer_id", "paid", "refund", "line_refund", "outstanding", "date", "order_id", "status", "after_sale",
    "cancelled_at", "product", "sku", "category", "quantity", "line_price", "line_quantity", "region", "channel",
    "currency",
)  # fmt: skip


def describe(name: str | None = None, *, lang: str = "en"):
    """The platforms as a table: one row each, or with ``name`` one row per rule of that platform.

    Parameters
    ----------
    name : str, optional
        A built-in platform or a platform TOML file.
    lang : {"en", "zh"}
        The language of the titles.

    Returns
    -------
    pandas.DataFrame
        Without ``name``: ``platform, title, rows, customer_id, amount, date, detected_by``.
        With it: ``item, value``, where ``item`` is ``column:<role>`` (candidate headers, most
        preferred first, joined by `` | ``), ``status:<class>``, ``rows``, ``signature``, ``note``,
        ``source`` …

    Examples
    --------
    >>> describe()["platform"].tolist()[:3]
    ['taobao', 'jd', 'pinduoduo']
    >>> rows = describe("shopify").set_index("item")["value"]
    >>> rows["column:customer_id"], rows["status:refunded"]
    ('Email', 'refunded')
    """
    import pandas as pd

    from crmkit.io.options import check_lang

    check_lang(lang)
    if name is None:
        return pd.DataFrame(
            [
                {
                    "platform": p.name,
                    "title": p.title_zh if lang == "zh" else p.title,
                    "rows": p.rows,
                    "customer_id": " | ".join(p.columns["customer_id"]),
                    "amount": _amount(p),
                    "date": " | ".join(p.columns["date"]),
                    "detected_by": " | ".join(p.signature),
                }
                for p in builtin()
            ]
        )
    if not isinstance(name, str):
        raise UsageError(f"a platform is one of {', '.join(BUILTIN)} or a .toml file, not {name!r}")
    p = load(name)
    items = [
        ("platform", p.name),
        ("title", p.title_zh if lang == "zh" else p.title),
        ("export", p.export),
        ("encodings", ", ".join(p.encodings)),
        ("rows", p.rows),
        ("region_rule", p.region_rule),
        ("detected_by", " | ".join(p.signature)),
        ("required", ", ".join(p.required)),
        ("amount", _amount(p)),
    ]
    items += [(f"column:{role}", " | ".join(p.columns[role])) for role in _SHOWN if role in p.columns]
    for cls in CLASSES:
        values = [v for v, c in p.statuses.items() if c == cls]
        if values:
            items.append((f"status:{cls}", " | ".join(values)))
    items += [("note", note) for note in p.notes] + [("source", source) for source in p.sources]
    return pd.DataFrame(items, columns=["item", "value"])


def _amount(platform) -> str:
    """What a platform's amount is: the paid column less refunds and any balance still due."""
    cols = platform.columns
    text = cols["paid"][0]
    for role in ("refund", "line_refund", "outstanding"):
        if role in cols:
            text += f" - {cols[role][0]}" + (" (summed over lines)" if role == "line_refund" else "")
    return text
