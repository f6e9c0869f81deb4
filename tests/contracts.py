"""Stable output contracts, written out once for the tests (never taken from the code they check)."""

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: The bundled examples' survey, members and referrals as options of ``crmkit report`` / ``ladder``.
MONTHLY_INPUTS = [
    "--survey", str(EXAMPLES / "survey.csv"), "--members", str(EXAMPLES / "members.csv"),
    "--referrals", str(EXAMPLES / "referrals.csv"),
]  # fmt: skip

#: ``crmkit segment``'s per-customer columns, in order (README, "Per-customer columns (stable)").
SEGMENT_CUSTOMER_COLUMNS = [
    "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment",
    "pareto_class", "rfm_score", "segment_label", "action", "first_purchase", "last_purchase", "tenure_days",
    "avg_order_value", "gross_revenue", "returns",
]  # fmt: skip


def typed_sales():
    """The examples' sales as a database or a lake holds them: text ids, DATE, DECIMAL(12,2) money."""
    import pyarrow as pa
    from pyarrow import csv

    text = {name: pa.string() for name in ("order_id", "customer_id", "channel", "category", "status")}
    money = pa.decimal128(12, 2)
    types = {**text, "order_date": pa.date32(), "quantity": pa.int64(), "unit_price": money, "amount": money}
    return csv.read_csv(EXAMPLES / "sales.csv", convert_options=csv.ConvertOptions(column_types=types))


def write_lake(folder: Path) -> Path:
    """:func:`typed_sales` as a Hive-partitioned Parquet dataset (``year=2023/…``), as a lake holds orders."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    table = typed_sales()
    table = table.append_column("year", pc.year(table["order_date"]))
    ds.write_dataset(table, folder, format="parquet", partitioning=["year"], partitioning_flavor="hive")
    return folder
