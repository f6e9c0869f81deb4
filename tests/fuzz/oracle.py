"""What the library reads from a file, for the invariants: ``python -m tests.fuzz.oracle FILE AS_OF``.

Prints JSON ``{"net": {customer_id: net revenue of its used rows up to AS_OF}, "purchasers": [...]}``
from :func:`crmkit.read_purchases` (the reader every command uses), computed here in plain Python
rather than by the analyses under test. Run in a subprocess with the same limits as the commands,
so a file that hangs or exhausts the reader cannot take the fuzzer down with it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys


def read_used_rows(path: str, as_of: str) -> dict:
    import crmkit

    data = crmkit.read_purchases(path)
    cutoff = dt.date.fromisoformat(as_of)
    net: dict[str, float] = {}
    purchasers: set[str] = set()
    for customer, date, amount, is_return in data.con.execute(
        "SELECT customer_id, date, amount, is_return FROM tx"
    ).fetchall():
        if date > cutoff:
            continue
        net[customer] = math.fsum([net.get(customer, 0.0), amount])
        if not is_return:
            purchasers.add(customer)
    return {"net": net, "purchasers": sorted(purchasers), "rows_used": data.quality.rows_used}


def main(argv: list[str]) -> int:
    path, as_of = argv
    json.dump(read_used_rows(path, as_of), sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
