"""Every number formatted by what it is, every header a catalogue label, a zh workbook in Chinese.

The workbooks are the ones a user gets: the commands run on the bundled examples, reopened
with openpyxl and checked cell by cell.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from contracts import MONTHLY_INPUTS
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.report.excel.formats import KIND_FORMATS, column_kind, number_format_for
from crmkit.report.i18n import _FAMILIES, LABELS, label, translate_values
from crmkit.synth import CATEGORIES, CHANNELS
from crmkit.synth_contracts import PLANS

EX = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()

SALES = str(EX / "sales.csv")
CAMPAIGN_SALES = str(EX / "campaign_sales.csv")


def _run(args: list[str]) -> None:
    result = runner.invoke(app, [*args, "-q"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    """Workbooks by name: the monthly report (first run and a later one) and each command's --report."""
    folder = tmp_path_factory.mktemp("books")
    out: dict[str, Path] = {}
    for lang in ("en", "zh"):
        history = str(folder / f"history_{lang}.sqlite")
        monthly = ["report", SALES, *MONTHLY_INPUTS, "--complaints", str(EX / "complaints.csv")]
        monthly += ["--history", history, "--lang", lang]
        if lang == "en":  # a first run (one month of history), then a later one
            _run([*monthly, "--as-of", "2024-11-30", "-o", str(folder / f"first_{lang}.xlsx")])
            out[f"first_{lang}"] = folder / f"first_{lang}.xlsx"
        _run([*monthly, "--as-of", "2024-12-31", "-o", str(folder / f"monthly_{lang}.xlsx")])
        out[f"monthly_{lang}"] = folder / f"monthly_{lang}.xlsx"
        commands = {
            "segment": ["segment", SALES, "--clusters", "3"],
            "clv": ["clv", SALES, "--holdout", "26w", "--interval", "0.9", "--window", "1y-3y"],
            "satisfaction": ["satisfaction", str(EX / "survey.csv"), "--by", "channel"],
            "campaign": ["campaign", CAMPAIGN_SALES, "--campaign", str(EX / "campaign.csv"), "--margin", "0.35"],
            "loyalty": ["campaign", CAMPAIGN_SALES, "--loyalty", str(EX / "loyalty.csv"), "--point-value", "0.01"],
            "feedback": ["feedback", str(EX / "complaints.csv"), "--purchases", SALES],
            "economics": ["economics", SALES, "--margin", "0.3", "--acquisition-cost", "30", "--serve-cost", "2.5"],
            "contract": ["clv", str(EX / "renewals.csv"), "--model", "sbg", "--interval", "0.9"],
        }
        for name, args in commands.items():
            path = folder / f"{name}_{lang}.xlsx"
            _run([*args, "-f", "csv", "-o", str(folder / f"{name}_{lang}.csv"), "--report", str(path), "--lang", lang])
            out[f"{name}_{lang}"] = path
    return out


# --- reading the tables back ---------------------------------------------------------------
def _header_of(ws, cell) -> str | None:
    """The header a value cell sits under (the bold text above it), else its key/value label."""
    for row in range(cell.row - 1, 0, -1):
        above = ws.cell(row, cell.column)
        if above.value is None:
            break
        if isinstance(above.value, str) and above.font.bold:
            return above.value
    left = ws.cell(cell.row, cell.column - 1) if cell.column > 1 else None
    if left is not None and isinstance(left.value, str):
        return left.value
    return None


def _keys_by_label(lang: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, entry in LABELS.items():
        if lang in entry:
            found.setdefault(entry[lang], []).append(key)
    return found


#: Keys whose cells a sheet formats on purpose other than their kind's default.
DELIBERATE_FORMATS = {
    "top_fraction": "0%",  # 20 %, a round setting
    "threshold_a": "0%",
    "threshold_b": "0%",
    "discount_per_period": "0.000%",  # a weekly rate of 0.18 % needs the third decimal
    "p_value": '[<0.001]"<0.001";0.000',  # the campaign sheets show a p-value below 0.001 as "<0.001"
}


def _numeric_cells(path: Path):
    workbook = openpyxl.load_workbook(path)
    for ws in workbook.worksheets:
        for row in ws.iter_rows(max_row=min(ws.max_row, 300)):
            for cell in row:
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    yield ws, cell


@pytest.mark.parametrize(
    "name",
    [
        "first_en",
        "monthly_en",
        "segment_en",
        "clv_en",
        "satisfaction_en",
        "monthly_zh",
        "clv_zh",
        "campaign_en",
        "loyalty_en",
        "feedback_en",
        "economics_en",
        "campaign_zh",
        "feedback_zh",
        "contract_en",
        "contract_zh",
    ],
)
def test_every_number_is_formatted_by_its_kind(books, name):
    lang = name.rsplit("_", 1)[1]
    keys_by_label = _keys_by_label(lang)
    checked = 0
    for ws, cell in _numeric_cells(books[name]):
        where = f"{ws.title}!{cell.coordinate} ({_header_of(ws, cell)!r}, {cell.value!r})"
        keys = [k for k in keys_by_label.get(_header_of(ws, cell) or "", []) if ":" not in k or k.startswith("clv:")]
        kinds = {column_kind(k) for k in keys} - {None, "text"}
        if cell.number_format == "General":
            # only a whole-number code (a decile, a score level) may go without a format
            assert isinstance(cell.value, int) and kinds == {"code"}, f"{where} has no number format"
        if len(kinds) == 1 and not any(k in DELIBERATE_FORMATS for k in keys):
            (kind,) = kinds
            wanted = "General" if kind == "code" and isinstance(cell.value, int) else KIND_FORMATS[kind]
            assert cell.number_format == wanted, f"{where}: {cell.number_format}, a {kind} wants {wanted}"
            checked += 1
    # the "did it work?" sheets head most columns with their own (namespaced) labels, which say no kind
    assert checked > {"campaign": 5, "feedback": 5, "loyalty": 0, "contract": 0}.get(name.split("_")[0], 20), checked


@pytest.mark.parametrize("run", ["first", "monthly"])
def test_overview_trend_formats_do_not_depend_on_the_run(books, run):
    ws = openpyxl.load_workbook(books[f"{run}_en"])["Overview"]
    header_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Month")
    headers = {ws.cell(header_row, c).value: c for c in range(1, ws.max_column + 1) if ws.cell(header_row, c).value}
    expected = {
        "Customers to date": "#,##0",
        "Revenue in the month (net)": "#,##0.00",
        "Customers buying in the month": "#,##0",
        "New customers in the month": "#,##0",
        "Revenue share of top 20% customers": "0.0%",
        "Gini coefficient": "0.000",
        "Total CLV (own purchases)": "#,##0.00",
        "Mean P(alive)": "0.0%",
        "Regulars and above (share)": "0.0%",
        "Net ladder upgrades in the month": "#,##0",
        "Satisfaction index": "0.0",
        "NPS": "0.0",
    }
    # the trend is transposed: one row per measure, one column per month (YYYY-MM headers)
    months = [h for h in headers if h != "Month"]
    assert len(months) == (1 if run == "first" else 2) and all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)
    rows = {ws.cell(r, 1).value: r for r in range(header_row + 1, ws.max_row + 1) if ws.cell(r, 1).value}
    for measure, fmt in expected.items():
        for col in range(2, 2 + len(headers) - 1):
            cell = ws.cell(rows[measure], col)
            if cell.value is not None:
                assert cell.number_format == fmt, (run, measure, cell.value)


def test_names_decide_over_dtypes():
    # SQLite gives integers back as floats; a one-row trend and a twelve-row one must agree
    assert number_format_for("customers", "float") == number_format_for("customers", "int") == "#,##0"
    assert number_format_for("top20_share", "float") == "0.0%"
    assert number_format_for("clv_decile", "float") == "0"
    assert number_format_for("clv_decile", "int") == "General"  # whole numbers show as they are
    assert number_format_for("dropped:missing_customer_id", "int") == "#,##0"
    assert number_format_for("satisfaction_index", "float") == "0.0"
    assert number_format_for("p_alive", "float") == "0.00"
    assert number_format_for("month", "text") == "General"


def test_clv_deciles_and_honest_labels(books, tmp_path):
    ws = openpyxl.load_workbook(books["clv_en"])["CLV deciles"]
    assert [ws.cell(r, 1).value for r in range(2, 12)] == list(range(1, 11))
    # whole numbers in General show as 1 ... 10 (they were 1.00 ... 10.00)
    assert {ws.cell(r, 1).number_format for r in range(2, 12)} == {"General"}
    assert all(isinstance(ws.cell(r, 1).value, int) for r in range(2, 12))
    assert ws.cell(1, 3).value == "Total CLV"  # no referrals: the deciles sum CLV
    monthly = openpyxl.load_workbook(books["monthly_en"])
    # with --referrals the deciles sum CLV + referral value; the Overview's total is CLV alone
    assert monthly["CLV deciles"].cell(1, 3).value == "Total value incl. referrals"
    assert "Total CLV (own purchases)" in [c.value for c in monthly["Overview"]["A"]]
    customers = monthly["CLV customers"]
    header = [c.value for c in customers[1]]
    assert header[1:2] == ["Repeat purchases"] and "Mean repeat spend" in header
    people = monthly["Ladder people"]
    header = [c.value for c in people[1]]
    assert len(header) == len(set(header)), header
    assert {"Rung", "Lifecycle stage", "Repeat purchases"} <= set(header)
    occasions, repeats = header.index("Purchase occasions"), header.index("Repeat purchases")
    row = [c.value for c in people[2]]
    assert row[repeats] == row[occasions] - 1


# --- labels and translation ------------------------------------------------------------------
_CODE = re.compile(r"^[A-Z]+[0-9]*$")
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def _catalogue(lang: str) -> set[str]:
    return {entry.get(lang, entry["en"]) for entry in LABELS.values()}


def _construct_names(lang: str) -> set[str]:
    from crmkit.survey_models import load_model

    return {load_model("ecsi").label(c, lang) for c in load_model("ecsi").constructs}


def _family_label(text: str, lang: str) -> bool:
    for template in _FAMILIES.values():
        pattern = re.escape(template.get(lang, template["en"])).replace(r"\{\}", r"\w+")
        if re.fullmatch(pattern, text):
            return True
    return False


_DATE = r"\d{4}-\d{2}-\d{2}"


def _dated_title(text: str, lang: str) -> bool:
    """A catalogued title filled in with dates (the Migration's "from {before} to {after}"), or a
    title for one window of a campaign ("Arms — 30d")."""
    head, dash, window = text.rpartition(" — ")
    if dash and re.fullmatch(r"\d+[dwmqy]", window) and head in _catalogue(lang):
        return True
    for key, entry in LABELS.items():
        template = entry.get(lang, entry["en"])
        if key.startswith("title:") and "{" in template:
            if re.fullmatch(re.sub(r"\\\{\w+\\\}", lambda _: _DATE, re.escape(template)), text):
                return True
    return False


def _header_cells(path: Path):
    """Bold cells: the header rows of tables and the titles of blocks."""
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows(max_row=min(ws.max_row, 300)):
            for cell in row:
                if isinstance(cell.value, str) and cell.font.bold:
                    yield ws, cell


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_header_is_a_catalogue_label(books, lang):
    allowed = _catalogue(lang) | _construct_names(lang)
    ladder = openpyxl.load_workbook(books[f"monthly_{lang}"])[label("sheet:ladder", lang)]
    assert ladder["A2"].value == label("rung_label", lang)
    rungs = {c.value for c in ladder["A"][2:8]}  # the rules' own rung names, under the header
    allowed |= rungs
    for name, path in books.items():
        if not name.endswith(lang):
            continue
        for ws, cell in _header_cells(path):
            text = cell.value
            where = f"{name} {ws.title}!{cell.coordinate}: {text!r}"
            assert not _SNAKE.match(text), where
            # the group column of --by is the survey's own column name
            if text == "channel" and ws.title == label("sheet:groups", lang):
                continue
            if ws.title == label("sheet:overview", lang) and re.fullmatch(r"\d{4}-\d{2}", text):
                continue  # the trend's month columns
            if set(text.split(" + ")) <= DATA_VALUES:
                continue  # a channel, a category or a pair of them: the data's own values
            cohort, _, rest = text.partition(" ")
            if cohort in PLANS and rest in allowed:
                continue  # the renewal projection: one column per plan and measure ("basic Observed survival")
            assert text in allowed or _family_label(text, lang) or _dated_title(text, lang), where


#: ASCII words a zh workbook keeps on purpose: model and measure names, units, file formats.
ZH_ALLOWED_WORDS = {
    "ABC", "ACSI", "AIC", "AVE", "BIC", "CCSI", "CES", "CLV", "CSAT", "ECSI", "HTMT", "NBD", "NPS", "PLS",
    "RFM", "SCSB", "VIP", "MBG", "Gamma", "Pareto", "Cronbach", "Fornell", "Larcker", "csv", "utf", "Gupta", "Lehmann",
    "sBG", "DEL", "DERL", "DERT", "MICOM", "MGA", "PLSc", "PLSpredict",
}  # fmt: skip
#: The example data's own channel and category names: the Preferences sheets head their index
#: tables and pairs with them (``online``, ``electronics + toys``), as the user's data spells them.
DATA_VALUES = {*CHANNELS, *CATEGORIES, *PLANS}
#: Cells a zh workbook shows as they are: the user's own data and names, and codes.
ZH_VERBATIM_ROWS = {"source", "file_format", "encoding"}  # a path, "csv", "utf-8"
#: What a zh sentence shows as it is, marked 「」 by the catalogue: an option, the user's column names and values.
ZH_QUOTED = re.compile(r"「[^」]*」")


def _verbatim_columns(ws, lang: str) -> set[int]:
    """Columns of ids: a customer id, a survey item, or the --by group column (the segment, rung and
    stage codes are not shown: test_no_code_columns_in_a_workbook)."""
    heads = {label(k, lang) for k in ("customer_id", "item")}
    return {c.column for row in ws.iter_rows(max_row=3) for c in row if c.value in heads or c.value == "channel"}


@pytest.mark.parametrize("name", ["monthly_zh", "segment_zh", "clv_zh", "satisfaction_zh", "contract_zh"])
def test_a_zh_workbook_has_no_english_left(books, name):
    word = re.compile(r"[A-Za-z]{3,}")
    verbatim_labels = {label(k, "zh") for k in ZH_VERBATIM_ROWS} | {
        entry["zh"] for key, entry in LABELS.items() if key.startswith("column:")
    }
    found = []
    for ws in openpyxl.load_workbook(books[name]).worksheets:
        skip = _verbatim_columns(ws, "zh")
        for row in ws.iter_rows(max_row=min(ws.max_row, 400)):
            for cell in row:
                text = cell.value
                if not isinstance(text, str) or cell.column in skip:
                    continue
                left = ws.cell(cell.row, cell.column - 1).value if cell.column > 1 else None
                if left in verbatim_labels:
                    continue
                scanned = ZH_QUOTED.sub("", text)
                if _CODE.match(scanned):  # survey item codes (IMAG1, CUSCO), ABC classes
                    continue
                if _SNAKE.match(scanned):
                    found.append((ws.title, cell.coordinate, text))
                    continue
                words = set(word.findall(scanned)) - ZH_ALLOWED_WORDS - DATA_VALUES
                if words:
                    found.append((ws.title, cell.coordinate, text))
    assert not found, found[:20]


def test_translate_values_keeps_unknown_values():
    import pandas as pd

    frame = pd.DataFrame({"phase": ["calibration", "holdout", "other"], "n": [1, 2, 3]})
    shown = translate_values(frame, {"phase": "phase"}, "zh")
    assert shown["phase"].tolist() == ["校准期", "留出期", "other"]
    assert frame["phase"].tolist()[0] == "calibration"  # the caller's frame is untouched


# --- what the segment and ladder sheets show -------------------------------------------------
CODE_KEYS = ("segment", "rung", "lifecycle_stage")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_code_columns_in_a_workbook(books, lang):
    from crmkit.ladder.rules import RUNGS, STAGES

    codes = {label(key, lang) for key in CODE_KEYS}
    raw = set(RUNGS) | set(STAGES) | {"champions", "potential_loyalist", "cant_lose_them", "at_risk", "lost"}
    seen = set()
    for name, path in books.items():
        if not name.endswith(lang):
            continue
        for ws in openpyxl.load_workbook(path).worksheets:
            seen.add(ws.title)
            heads = [c.value for row in ws.iter_rows(max_row=min(ws.max_row, 40)) for c in row]
            assert not codes & set(heads), (name, ws.title)
            # and no cell holds a code in place of a name (the segment, rung or stage names differ)
            for row in ws.iter_rows(max_row=min(ws.max_row, 300), values_only=True):
                assert not raw & set(row), (name, ws.title, row)
    names = ("sheet:segments", "sheet:customers", "sheet:ladder", "sheet:migration", "sheet:ladder_people")
    assert {label(key, lang) for key in names} <= seen


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_migration_title_names_both_dates(books, lang):
    ws = openpyxl.load_workbook(books[f"monthly_{lang}"])[label("sheet:migration", lang)]
    title = ws["A1"].value
    # the monthly report compares the as-of date with the month end before it
    assert title.count("2024-11-30") == 2 and title.count("2024-12-31") == 2, title
    assert title.index("2024-11-30") < title.index("2024-12-31")
    wanted = {"en": "Migration from 2024-11-30 to 2024-12-31", "zh": "从 2024-11-30 到 2024-12-31 的迁移"}
    assert title.startswith(wanted[lang]), title
