"""Seeded platform order exports that look like the real downloads, with their known totals.

``examples/platforms/`` is made here: one order export per built-in platform
(:data:`crmkit.io.platforms.BUILTIN`), written the way the platform writes it (full header list in
its order, its encoding, its disguises: Taobao's ``="…"`` order numbers and headers ending in a
space, JD's trailing tabs and ``(删除)`` split parents, Pinduoduo's masked phones, Shopify's order
fields on the first line item only …), so the reader can be checked against files it was not
written from.

:mod:`.model` draws the order book and computes the truth from it, never from the file:
customers with a purchase, purchase occasions (customer x calendar day of the purchase, as the
platform writes the day), net revenue (paid - refunds - outstanding over purchases) and orders by
the classes :attr:`crmkit.io.quality.DataQuality.orders` reports. :mod:`.layouts` writes it the way
each platform does, after the research notes the platform files cite (``crmkit platforms NAME``).
"""

from __future__ import annotations

from pathlib import Path

from crmkit.errors import UsageError
from crmkit.io.platforms import BUILTIN
from crmkit.synth_platforms.layouts import HEADERS, export_bytes
from crmkit.synth_platforms.model import (
    DEFAULT_SEED,
    FILES,
    KINDS,
    Order,
    OrderBook,
    Truth,
    customer_of,
    date_of,
    generate_orders,
    truth_of,
)

__all__ = [
    "DEFAULT_SEED", "FILES", "HEADERS", "KINDS", "Order", "OrderBook", "Truth", "customer_of", "date_of",
    "export_bytes", "generate_orders", "main", "truth_of", "write_export",
]  # fmt: skip


def write_export(platform: str, path, *, orders: int = 120, seed: int = DEFAULT_SEED) -> OrderBook:
    """Draw a platform's order book (:func:`generate_orders`) and write its export to ``path``.

    Returns
    -------
    OrderBook
        The book written, its truth in ``.truth``.

    Examples
    --------
    ``write_export("shopify", "orders_export.csv", seed=1).truth.customers``
    """
    book = generate_orders(platform, orders=orders, seed=seed)
    Path(path).write_bytes(export_bytes(book))
    return book


def main(argv=None) -> int:
    """``python -m crmkit.synth_platforms``: write one platform's export, or every platform's into a folder.

    Examples
    --------
    ``python -m crmkit.synth_platforms --platform taobao --seed 1 -o taobao.csv``
    ``python -m crmkit.synth_platforms --all examples/platforms``
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m crmkit.synth_platforms", description="Write seeded platform order exports with known totals."
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--platform", choices=BUILTIN, help="the platform whose export to write (with -o)")
    which.add_argument("--all", metavar="DIR", help="write every platform's export into DIR (taobao.csv …)")
    parser.add_argument("-o", "--output", help="file to write (with --platform)")
    parser.add_argument("--orders", type=int, default=120, help="orders to draw (default 120)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    if args.platform and not args.output:
        parser.error("--platform needs -o FILE")
    try:
        targets = [(args.platform, Path(args.output))] if args.platform else []
        if args.all:
            Path(args.all).mkdir(parents=True, exist_ok=True)
            targets = [(p, Path(args.all) / FILES[p]) for p in BUILTIN]
        for platform, path in targets:
            truth = write_export(platform, path, orders=args.orders, seed=args.seed).truth
            print(f"{path}: {truth.rows} rows, " + ", ".join(truth.cells()))
    except UsageError as exc:
        parser.error(str(exc))
    return 0
