"""Platform order exports read exactly: the generator's truth against what the reader makes of its files.

The truth comes from the order book (crmkit.synth_platforms.model), never from the file, so a
reader that mistakes an order field, a refund, a status or a day shows up here as a wrong count.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.io.platforms import BUILTIN
from crmkit.io.purchases import read_purchases
from crmkit.synth_platforms import DEFAULT_SEED, FILES, HEADERS, KINDS, Truth, generate_orders, main, write_export

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "platforms"
SEEDS = (1, 7, DEFAULT_SEED)
runner = CliRunner()


def read_totals(path: Path) -> tuple[str | None, int, int, Decimal, dict[str, int]]:
    """Platform, customers, purchase occasions, revenue and orders by class as the reader gives them."""
    data = read_purchases(path)
    customers, occasions, revenue = data.con.sql(
        "SELECT count(DISTINCT customer_id), count(DISTINCT (customer_id, date)), "
        "sum(CAST(amount AS DECIMAL(18, 2))) FROM tx"
    ).fetchall()[0]
    return data.quality.platform, customers, occasions, revenue, dict(data.quality.orders)


def expected(platform: str, truth: Truth) -> tuple[str, int, int, Decimal, dict[str, int]]:
    return platform, truth.customers, truth.occasions, truth.revenue, truth.orders


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("platform", BUILTIN)
def test_reader_gives_the_truth(tmp_path, platform, seed):
    path = tmp_path / FILES[platform]
    book = write_export(platform, path, seed=seed)
    assert read_totals(path) == expected(platform, book.truth)


@settings(max_examples=14, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(platform=st.sampled_from(BUILTIN), seed=st.integers(0, 2**32 - 1), orders=st.integers(40, 150))
def test_reader_gives_the_truth_for_any_book(tmp_path, platform, seed, orders):
    path = tmp_path / f"{platform}-{seed}-{orders}{Path(FILES[platform]).suffix}"
    book = write_export(platform, path, seed=seed, orders=orders)
    assert read_totals(path) == expected(platform, book.truth)


@pytest.mark.parametrize("platform", BUILTIN)
def test_every_planted_kind_is_there(platform):
    book = generate_orders(platform, seed=3)
    assert {o.kind for o in book.orders} >= {"paid", *KINDS[platform]}
    assert book.truth.rows <= 300


@pytest.mark.parametrize("platform", BUILTIN)
def test_same_seed_same_bytes(tmp_path, platform):
    first, second = tmp_path / f"a-{FILES[platform]}", tmp_path / f"b-{FILES[platform]}"
    write_export(platform, first, seed=11)
    write_export(platform, second, seed=11)
    assert first.read_bytes() == second.read_bytes()
    write_export(platform, second, seed=12)
    assert first.read_bytes() != second.read_bytes()


def cells(path: Path) -> list[tuple]:
    from openpyxl import load_workbook

    return list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))


@pytest.mark.parametrize("platform", BUILTIN)
def test_examples_are_a_fresh_generation(tmp_path, platform):
    committed = EXAMPLES / FILES[platform]
    fresh = tmp_path / FILES[platform]
    write_export(platform, fresh)
    if committed.suffix == ".xlsx":  # zip bytes may differ with the zlib build; the cells may not
        assert cells(committed) == cells(fresh)
    else:
        assert committed.read_bytes() == fresh.read_bytes()


def test_readme_table_is_the_truth():
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for platform in BUILTIN:
        truth = generate_orders(platform).truth
        row = " | ".join([f"`{FILES[platform]}`", str(truth.rows), *truth.cells()])
        assert f"| {row} |" in text, row


@pytest.mark.parametrize("platform", BUILTIN)
def test_segment_reads_the_example_without_flags(platform):
    truth = generate_orders(platform).truth
    result = runner.invoke(app, ["segment", str(EXAMPLES / FILES[platform]), "-f", "csv"])
    assert result.exit_code == 0, result.output
    customers = pd.read_csv(io.StringIO(result.stdout), dtype={"customer_id": str})
    assert len(customers) == truth.customers
    assert round(customers["monetary"].sum(), 2) == float(truth.revenue)
    assert f"(--platform {platform};" in result.stderr


def test_files_look_like_the_platforms(tmp_path):
    write_export("taobao", tmp_path / "t.csv")
    raw = (tmp_path / "t.csv").read_bytes()
    text = raw.decode("gb18030")
    assert text.splitlines()[0].split(",") == HEADERS["taobao"] and "收货地址 " in HEADERS["taobao"]
    assert text.splitlines()[1].startswith('="') and ",'1" in text
    write_export("jd", tmp_path / "j.csv")
    jd = (tmp_path / "j.csv").read_bytes().decode("gb18030")
    assert '\t"' in jd and "(删除)等待出库" in jd and "订单拆分为" in jd
    write_export("pinduoduo", tmp_path / "p.csv")
    pdd = (tmp_path / "p.csv").read_text(encoding="utf-8")
    assert "****" in pdd and "\t," in pdd
    for name in ("youzan", "shopify"):
        write_export(name, tmp_path / f"{name}.csv")
        assert (tmp_path / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    shopify = pd.read_csv(tmp_path / "shopify.csv", dtype=str, encoding="utf-8-sig")
    later = shopify[shopify["Name"].duplicated()]
    assert later["Email"].isna().all() and later["Total"].isna().all() and later["Lineitem name"].notna().all()
    assert shopify["Created at"].dropna().str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}").all()
    assert {"partially_paid", "voided"} <= set(shopify["Financial Status"].dropna())
    assert shopify["Cancelled at"].notna().any() and (shopify["Outstanding Balance"].dropna() != "0.00").any()
    write_export("woocommerce", tmp_path / "w.csv")
    woo = pd.read_csv(tmp_path / "w.csv", dtype=str)
    assert woo.groupby("Order Number")["Order Total Amount"].nunique().eq(1).all()
    assert woo["Order Number"].duplicated().any() and woo["Email (Billing)"].notna().all()


def test_command_line(tmp_path, capsys):
    out = tmp_path / "one.csv"
    assert main(["--platform", "shopify", "--seed", "5", "-o", str(out)]) == 0
    write_export("shopify", tmp_path / "again.csv", seed=5)
    assert out.read_bytes() == (tmp_path / "again.csv").read_bytes()
    assert main(["--all", str(tmp_path / "all"), "--seed", "5"]) == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted(FILES.values())
    assert "shopify.csv" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--platform", "shopify"])  # no -o
    with pytest.raises(SystemExit):
        main(["--platform", "taobao", "--orders", "5", "-o", str(out)])
