"""Terminal tables (``-f table``) fitted to 60, 80 and 200 columns: no number is ever cut.

Each table is rendered into a file by a rich Console of a fixed width, from results computed on
the bundled ``examples/``; the text is split into its cells and every formatted value the result
holds must be one whole cell, or its column must be named in the note on stderr.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pandas as pd
import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.report import terminal

ROOT = Path(__file__).resolve().parents[1]
SALES = ROOT / "examples" / "sales.csv"
SURVEY = ROOT / "examples" / "survey.csv"
AS_OF = datetime.date(2024, 12, 31)
WIDTHS = (60, 80, 200)


@pytest.fixture(scope="module")
def purchases():
    from crmkit.io.purchases import read_purchases

    return read_purchases(str(SALES))


def render(tmp_path, width, draw) -> str:
    """What ``draw(console)`` prints on a console ``width`` cells wide, checked to stay inside it."""
    path = tmp_path / f"table-{width}.txt"
    with path.open("w", encoding="utf-8") as fh:
        draw(Console(file=fh, width=width, color_system=None, legacy_windows=False))
    text = path.read_text(encoding="utf-8")
    assert "…" not in text
    assert max(cell_len(line) for line in text.splitlines()) <= width
    return text


def cells(text: str) -> set[str]:
    """Every cell of every table row (the text between the vertical rules)."""
    found = set()
    for line in text.splitlines():
        if line[:1] in "│┃":
            found.update(part.strip() for part in re.split("[│┃]", line)[1:-1])
    return found


def rows(text: str) -> list[list[str]]:
    """The body lines of the tables, each as its list of cells."""
    return [[p.strip() for p in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


def hidden_note(err: str) -> str:
    notes = [line for line in err.splitlines() if "not shown" in line]
    return "\n".join(notes)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme, lang", [("standard", "en"), ("cn8", "zh")])
def test_segments_show_every_number_whole_or_name_its_column(purchases, tmp_path, capsys, width, scheme, lang):
    from crmkit.report.i18n import label
    from crmkit.segment import segment

    result = segment(purchases, AS_OF, scheme=scheme, lang=lang)
    capsys.readouterr()
    text = render(tmp_path, width, lambda c: terminal.render_segments(result, console=c))
    note = hidden_note(capsys.readouterr().err)
    found = cells(text)
    s = result.segments
    # the counts and the revenue are always shown, each in full
    assert {f"{v:,}" for v in s["customers"]} <= found
    assert {f"{v:,.2f}" for v in s["revenue"]} <= found
    assert "153,153.82" in found if scheme == "standard" else "219,055.69" in found
    optional = {
        "customer_share": [f"{v:.1%}" for v in s["customer_share"]],
        "revenue_share": [f"{v:.1%}" for v in s["revenue_share"]],
        "mean_recency_days": [f"{v:,.0f}" for v in s["mean_recency_days"]],
        "mean_frequency": [f"{v:.2f}" for v in s["mean_frequency"]],
        "mean_monetary": [f"{v:,.2f}" for v in s["mean_monetary"]],
    }
    left_out = 0
    for key, values in optional.items():
        if label(key, lang) in note:
            left_out += 1
            assert "--report FILE.xlsx" in note
        else:
            assert set(values) <= found, key
    assert left_out == 0 if width == 200 else left_out > 0 or width == 80
    assert f"{result.headline['revenue']:,.2f}" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_retention_names_the_periods_it_leaves_out(purchases, tmp_path, capsys, width):
    from crmkit.retention import cohort_retention

    result = cohort_retention(purchases, AS_OF)
    matrix = result.wide("retention")
    periods = list(matrix.columns[2:])
    capsys.readouterr()
    text = render(tmp_path, width, lambda c: terminal.render_retention(result, "en", console=c))
    note = hidden_note(capsys.readouterr().err)
    header = next(line for line in text.splitlines() if line.startswith("┃") and "k0" in line)
    shown = [p for p in periods if re.search(rf"┃\s*{p}\s*┃", header)]
    assert shown == periods[: len(shown)] and len(shown) >= 6
    if len(shown) < len(periods):
        assert f"{periods[len(shown)]}–{periods[-1]} not shown: widen the terminal or use -f csv" in note
    else:
        assert note == ""
    assert (len(shown) == len(periods)) == (width == 200)
    body = rows(text)
    assert len(body) == len(matrix)
    for got, want in zip(body, matrix.itertuples(index=False)):
        expected = [want[0], f"{want[1]:,}"] + ["" if v != v else f"{v:.0%}" for v in want[2 : 2 + len(shown)]]
        assert got == expected
    assert any("12%" in row for row in body)  # a two-digit share shown whole, not "1…"


def test_retention_groups_get_a_table_each(tmp_path, capsys):
    from crmkit.retention import cohort_retention

    sales = pd.read_csv(SALES, dtype={"customer_id": str}, parse_dates=["order_date"])
    sales = sales[sales["status"] == "completed"].rename(columns={"order_date": "date"})
    everyone = cohort_retention(sales[["customer_id", "date", "amount"]], AS_OF)
    groups = {
        channel: cohort_retention(part[["customer_id", "date", "amount"]], AS_OF)
        for channel, part in sorted(sales.groupby("channel"))
    }
    capsys.readouterr()
    text = render(tmp_path, 80, lambda c: terminal.render_retention(everyone, "en", console=c, groups=groups))
    note = hidden_note(capsys.readouterr().err)
    titles = [line.strip() for line in text.splitlines() if line.strip().startswith("Cohort retention")]
    assert len(titles) >= 1 + len(groups)
    for channel, part in groups.items():
        assert f"· {channel}" in text
        sizes = {f"{v:,}" for v in part.cohort_size}
        assert sizes <= cells(text)
    assert note.count("not shown") == 1  # the same periods left out of every table: said once


@pytest.mark.parametrize("width", WIDTHS)
def test_clv_deciles_and_holdout_fit(purchases, tmp_path, capsys, width):
    from crmkit.clv import customer_lifetime_value

    result = customer_lifetime_value(purchases, AS_OF, holdout="26w")
    capsys.readouterr()
    text = render(tmp_path, width, lambda c: terminal.render_clv(result, "en", console=c))
    note = hidden_note(capsys.readouterr().err)
    found = cells(text)
    d = result.deciles
    assert {f"{v:,.2f}" for v in d["clv_total"]} <= found and {f"{v:,}" for v in d["customers"]} <= found
    assert {f"{v:,.2f}" for v in d["clv_mean"]} <= found
    g = result.holdout.by_frequency
    assert {f"{v:.3f}" for v in g["actual_mean"]} | {f"{v:.3f}" for v in g["expected_mean"]} <= found
    assert {f"{v:,.0f}" for v in g["actual_total"]} <= found
    assert note == ""  # five and six columns fit at 60 with the short headers


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_satisfaction_tables_and_groups(tmp_path, capsys, width, lang):
    from crmkit.io.inputs import read_survey
    from crmkit.satisfaction import analyse_survey

    frame, first_row = read_survey(str(SURVEY))
    result = analyse_survey(frame, "ecsi", by="channel", first_row=first_row, source=str(SURVEY))
    capsys.readouterr()
    text = render(tmp_path, width, lambda c: terminal.render_satisfaction(result, lang, console=c))
    assert hidden_note(capsys.readouterr().err) == ""
    found = cells(text)
    assert {f"{v:.1f}" for v in result.index.values()} <= found
    assert {f"{v:.3f}" for v in result.paths["estimate"]} <= found
    assert {f"{v:.3f}" for v in result.drivers["importance"]} <= found
    groups = result.groups
    assert set(groups["channel"]) == {"app", "online", "store", "wechat"} and set(groups["channel"]) <= found
    assert {f"{v:,}" for v in groups["respondents"]} <= found
    assert {f"{v:+.1f}" for v in groups["nps"]} <= found
    assert {f"{v:.1%}" for v in groups["csat"]} <= found
    assert {f"{v:.1f}" for c in result.index for v in groups[c]} <= found


@pytest.mark.parametrize("width", WIDTHS)
def test_ladder_and_migration_fit_with_rung_names(purchases, tmp_path, capsys, width):
    from crmkit.ladder import compare_ladders

    ladders = compare_ladders(purchases.transactions, AS_OF, None, survey=str(SURVEY), lang="zh")
    capsys.readouterr()
    text = render(
        tmp_path,
        width,
        lambda c: terminal.render_ladder(ladders.before, ladders.after, ladders.matrix, "zh", console=c),
    )
    note = hidden_note(capsys.readouterr().err)
    found = cells(text)
    matrix = ladders.matrix
    names = dict(zip(ladders.after.distribution["rung"], ladders.after.distribution["rung_label"]))
    assert {"顾客", "常客", "新增"} <= found and "suspect" not in text and "customer" not in text
    for rung in matrix.columns:
        if rung in ("suspect", "prospect") and names[rung] in note:
            continue
        assert {f"{v:,}" for v in matrix[rung]} <= found, rung
    assert {f"{v:,}" for v in ladders.after.distribution["count"]} <= found
    assert (note == "") == (width >= 80)


def test_too_narrow_for_the_kept_columns_prints_each_row_as_a_block(purchases, tmp_path, capsys):
    from crmkit.clv import customer_lifetime_value

    result = customer_lifetime_value(purchases, AS_OF)
    text = render(tmp_path, 26, lambda c: terminal.render_clv(result, "en", console=c))
    found = cells(text)
    d = result.deciles
    assert {f"{v:,.2f}" for v in d["clv_total"]} | {f"{v:.1%}" for v in d["clv_share"]} <= found
    assert sum("Total" in row for row in rows(text)) == len(d)


def test_the_cli_honours_columns_and_says_what_it_left_out():
    runner = CliRunner()
    result = runner.invoke(app, ["retention", str(SALES), "-f", "table"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in result.stdout.splitlines()) <= 80
    assert "crmkit: note: Retention: k10–k23 not shown: widen the terminal or use -f csv" in result.stderr.splitlines()
    # -q: the same table, and no note (a note informs, like the "read N rows" line -q silences)
    quiet = runner.invoke(app, ["retention", str(SALES), "-f", "table", "-q"], env={"COLUMNS": "80"})
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == result.stdout
    wide = runner.invoke(app, ["retention", str(SALES), "-f", "table", "-q"], env={"COLUMNS": "200"})
    assert "k23" in wide.stdout and "not shown" not in wide.stderr
    first = runner.invoke(app, ["segment", str(SALES), "-f", "table", "-q", "--scheme", "cn8", "--lang", "zh"])
    again = runner.invoke(app, ["segment", str(SALES), "-f", "table", "-q", "--scheme", "cn8", "--lang", "zh"])
    assert first.stdout == again.stdout and "219,055.69" in first.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["segment", str(SALES)],
        ["clv", str(SALES)],
        ["ladder", str(SALES), "--survey", str(SURVEY)],
        ["satisfaction", str(SURVEY), "--by", "channel"],
    ],
)
def test_quiet_tables_at_60_columns_print_no_notes(command):
    runner = CliRunner()
    loud = runner.invoke(app, [*command, "-f", "table"], env={"COLUMNS": "60"})
    quiet = runner.invoke(app, [*command, "-f", "table", "-q"], env={"COLUMNS": "60"})
    assert loud.exit_code == quiet.exit_code == 0, loud.stderr + quiet.stderr
    assert quiet.stderr == "" and quiet.stdout == loud.stdout
    assert max(cell_len(line) for line in quiet.stdout.splitlines()) <= 60
    if command[0] == "segment":  # five columns fit at 60: the other three are named without -q
        assert (
            "crmkit: note: Segments: Mean recency (days), Mean frequency (orders), Mean monetary not shown: "
            "widen the terminal or see them with --report FILE.xlsx"
        ) in loud.stderr.splitlines()


def test_quiet_renderers_say_nothing(purchases, tmp_path, capsys):
    from crmkit.retention import cohort_retention
    from crmkit.segment import segment

    result = segment(purchases, AS_OF)
    capsys.readouterr()
    loud = render(tmp_path, 60, lambda c: terminal.render_segments(result, console=c))
    assert "not shown" in hidden_note(capsys.readouterr().err)
    assert render(tmp_path, 60, lambda c: terminal.render_segments(result, console=c, quiet=True)) == loud
    retention = cohort_retention(purchases, AS_OF)
    render(tmp_path, 80, lambda c: terminal.render_retention(retention, "en", console=c, quiet=True))
    assert capsys.readouterr().err == ""
