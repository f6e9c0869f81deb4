"""Valid files that must be read, and hostile or broken ones that must end in one clean error (issue 9, §3).

Every case writes its own small file into ``tmp_path``; the assertion is either the correct
result or a :class:`~crmkit.errors.CrmkitError` naming the file, row or column, never a DuckDB,
pandas or csv-module message.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date

import numpy as np
import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.errors import DataError, InputError, UsageError
from crmkit.io.engine import connect, memory_limit
from crmkit.io.inputs import read_survey
from crmkit.io.options import DATE_RANGE, ReadOptions, as_date, parse_date_range
from crmkit.io.purchases import read_purchases
from crmkit.io.readers import open_source, scan_error

HEADER = "customer_id,date,amount"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def rows_of(data) -> list[tuple]:
    return data.con.sql("SELECT customer_id, CAST(date AS VARCHAR), amount FROM tx").fetchall()


def assert_clean(message: str) -> None:
    for leak in ("Binder Error", "Invalid Input Error", "DuckDB", "duckdb", "Traceback", "np.", "field limit"):
        assert leak not in message, message


# --- valid CSV that used to be refused ------------------------------------------------------------


def test_a_quoted_field_with_line_breaks_is_read(write):
    path = write(
        "sales.csv",
        'customer_id,date,amount,note\nC1,2024-01-01,10,"Flat 3\nHigh Street"\n'
        'C2,2024-01-02,20,"a ""quoted""\r\nword"\nC3,2024-01-03,5\n',
    )
    data = read_purchases(path)
    assert rows_of(data) == [("C1", "2024-01-01", 10.0), ("C2", "2024-01-02", 20.0), ("C3", "2024-01-03", 5.0)]
    assert data.quality.rows_read == 3


def test_a_quoted_line_break_in_a_survey_is_read(write):
    path = write("survey.csv", 'respondent,nps,comment\nR1,9,"good\nservice"\nR2,3,bad\n')
    frame, first_row = read_survey(path)
    assert frame["comment"].tolist() == ["good\nservice", "bad"] and first_row == 2


def test_an_unterminated_quote_after_a_quoted_line_break_names_its_row(write):
    path = write(
        "sales.csv",
        'customer_id,date,amount,note\nC1,2024-01-01,10,"a\nb"\nC2,2024-01-02,20,"oops\nC3,2024-01-03,5,x\n',
    )
    with pytest.raises(InputError) as err:
        read_purchases(path)
    assert err.value.row == 4 and "never closed" in err.value.message


@pytest.mark.parametrize("newline", ["\r\r\n", "\r", "\r\n"], ids=["cr-cr-lf", "cr", "crlf"])
def test_unusual_line_ends_are_read(write, newline):
    text = newline.join([HEADER, "C1,2024-01-01,10", "C2,2024-01-02,20", ""])
    data = read_purchases(write("sales.csv", text))
    assert rows_of(data) == [("C1", "2024-01-01", 10.0), ("C2", "2024-01-02", 20.0)]


def test_mixed_line_ends_are_read(write):
    path = write("sales.csv", f"{HEADER}\nC1,2024-01-01,10\r\nC2,2024-01-02,20\rC3,2024-01-03,30\n")
    assert [r[0] for r in rows_of(read_purchases(path))] == ["C1", "C2", "C3"]


def test_mixed_line_ends_in_gb18030_are_read(write):
    path = write("sales.csv", "客户编号,订单日期,金额\r\r\n客户甲,2024-01-01,10\r\r\n", encoding="gb18030")
    data = read_purchases(path)
    assert rows_of(data) == [("客户甲", "2024-01-01", 10.0)] and data.quality.encoding == "gb18030"


def test_headers_that_differ_only_by_case_are_told_apart(write):
    data = read_purchases(write("sales.csv", "customer_id,date,amount,Amount\nC1,2024-01-01,10,5\n"))
    assert rows_of(data) == [("C1", "2024-01-01", 10.0)]
    assert data.quality.columns["amount"] == "amount"


def test_a_table_with_headers_that_differ_only_by_case_is_read():
    import pandas as pd

    frame = pd.DataFrame([["C1", "2024-01-01", 10, 5]], columns=["customer_id", "date", "amount", "AMOUNT"])
    assert rows_of(read_purchases(frame)) == [("C1", "2024-01-01", 10.0)]


def test_a_bom_at_the_start_of_a_data_row_is_not_part_of_the_id(write):
    path = write("sales.csv", f"{HEADER}\nC001,2024-01-01,10\n\ufeffC001,2024-01-02,20\n\ufeff C002 ,2024-01-02,5\n")
    assert [r[0] for r in rows_of(read_purchases(path))] == ["C001", "C001", "C002"]


def test_a_bom_in_the_first_column_of_a_survey_is_dropped(write):
    frame, _ = read_survey(write("survey.csv", "respondent,nps\nR1,9\n\ufeffR2,3\n"))
    assert frame["respondent"].tolist() == ["R1", "R2"]


def test_total_rows_closing_a_survey_are_not_respondents(write):
    text = "respondent,nps\nR1,9\nTotal,5\nR2,3\n合计:,999999\nTOTAL,\n"
    frame, first = read_survey(write("survey.csv", text))
    # the trailing totals go; one between respondents stays, so row numbers stay the file's
    assert frame["respondent"].tolist() == ["R1", "Total", "R2"] and first == 2
    with pytest.raises(InputError, match="no answers"):
        read_survey(write("totals.csv", "respondent,nps\n合计,3\n"))


def test_a_bom_inside_an_id_is_dropped(write):
    # two files joined mid-row leave U+FEFF inside a value: an invisible difference between customers
    text = "order_id,customer_id,date,amount\nO1,000059,2024-01-01,10\nO\ufeff2,000\ufeff059,2024-01-02,20\n"
    data = read_purchases(write("sales.csv", text))
    assert data.transactions["customer_id"].tolist() == ["000059", "000059"]
    assert data.transactions["order_id"].tolist() == ["O1", "O2"]
    frame, _ = read_survey(write("survey.csv", "respondent,nps\nR\ufeff1,9\n\ufeff,3\n"))
    assert frame["respondent"].tolist()[0] == "R1" and frame["respondent"].isna().tolist() == [False, True]


# --- long lines and stray quotes ------------------------------------------------------------------


def test_a_field_past_the_csv_module_limit_is_read(write):
    note = "x" * 200_000
    path = write(
        "sales.csv", f"Sales report\n\ncustomer_id,date,amount,note\nC1,2024-01-01,10,{note}\nC2,2024-01-02,5,y\n"
    )
    data = read_purchases(path)
    assert [r[0] for r in rows_of(data)] == ["C1", "C2"] and data.quality.header_row == 3


def test_a_line_past_the_scanners_limit_is_an_input_error_naming_the_row(write):
    path = write("sales.csv", f"{HEADER},note\nC1,2024-01-01,10,x\nC2,2024-01-02,5,{'y' * 2_100_000}\n")
    with pytest.raises(InputError) as err:
        read_purchases(path)
    assert err.value.row == 3 and "longer than" in err.value.message
    assert_clean(str(err.value))


def test_a_stray_quote_after_title_rows_is_an_input_error_naming_the_row(write):
    body = "".join(f"C{i},2024-01-01,10\n" for i in range(50))
    path = write("sales.csv", f'Report "Q1\n\n{HEADER}\nC1,"2024-01-01,10\n{body}{"z" * 150_000}\n')
    with pytest.raises(InputError) as err:
        read_purchases(path)
    assert err.value.row is not None and err.value.file == path
    assert_clean(str(err.value))


# --- dates at the edges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["9999-12-31", "0001-01-01", "0000-01-01", "10000-01-01", "1899-12-30", "2101-01-01", "2024-01-01 (BC)"],
)
def test_a_date_outside_the_plausible_range_is_a_bad_value(write, value):
    path = write("sales.csv", f"{HEADER}\nC1,2024-01-01,10\nC2,{value},20\n")
    with pytest.raises(DataError) as err:
        read_purchases(path)
    assert (err.value.row, err.value.column) == (3, "date")
    assert "1900-01-01..2100-12-31" in err.value.message or "cannot read date" in err.value.message
    data = read_purchases(path, skip_bad_rows=True)
    assert data.quality.dropped == {"invalid_value": 1} and data.quality.last_date == date(2024, 1, 1)


@pytest.mark.parametrize("value", ["epoch", "EPOCH", "infinity", "-infinity", "0", "2958466", "-1", "inf"])
def test_words_and_numbers_duckdb_reads_as_dates_are_bad_values(write, value):
    path = write("sales.csv", f"{HEADER}\nC1,2024-01-01,10\nC2,{value},20\n")
    with pytest.raises(DataError) as err:
        read_purchases(path)
    assert (err.value.row, err.value.column) == (3, "date")


def test_the_date_range_can_be_widened_or_narrowed(write):
    path = write("sales.csv", f"{HEADER}\nC1,1850-06-01,10\nC2,2024-01-02,20\n")
    data = read_purchases(path, date_range="1800-01-01..2100-12-31")
    assert data.quality.first_date == date(1850, 6, 1)
    data = read_purchases(
        path, options=ReadOptions(date_range=(date(2000, 1, 1), date(2030, 12, 31))), skip_bad_rows=True
    )
    assert data.quality.rows_used == 1
    with pytest.raises(UsageError):
        ReadOptions(date_range="2030-01-01..2000-01-01")
    with pytest.raises(UsageError):
        parse_date_range("0500-01-01..2000-01-01")
    assert DATE_RANGE == (date(1900, 1, 1), date(2100, 12, 31))


def test_the_cli_takes_a_date_range(write):
    path = write("sales.csv", f"{HEADER}\nC1,2150-06-01,10\nC2,2024-01-02,20\n")
    refused = run("segment", path, "-f", "csv")
    assert refused.exit_code == 5 and "--date-range" in refused.stderr
    widened = run("segment", path, "-f", "csv", "--date-range", "1900-01-01..2200-12-31")
    assert widened.exit_code == 0, widened.stderr
    bad = run("segment", path, "--date-range", "2024")
    assert bad.exit_code == 2 and "--date-range" in bad.stderr


# --- amounts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e309", "inf", "-inf", "Infinity", "1e300"])
def test_infinite_and_absurd_amounts_are_bad_values(write, value):
    path = write("sales.csv", f"{HEADER}\nC1,2024-01-01,10\nC2,2024-01-01,{value}\n")
    with pytest.raises(DataError) as err:
        read_purchases(path)
    assert (err.value.row, err.value.column) == (3, "amount")
    data = read_purchases(path, skip_bad_rows=True)
    assert data.quality.dropped == {"invalid_value": 1}


def test_nan_is_a_missing_amount(write):
    data = read_purchases(write("sales.csv", f"{HEADER}\nC1,2024-01-01,10\nC2,2024-01-01,NaN\n"))
    assert data.quality.dropped == {"missing_amount": 1}


# --- ids ------------------------------------------------------------------------------------------


def test_ids_come_out_exactly_as_read(write):
    ids = ["00123", "C001", "c001", "客户甲", "Ω-7", "+8613800138000", "-12.5", "Café"]
    body = "".join(f'"{i}",2024-01-0{n % 9 + 1},10\n' for n, i in enumerate(ids))
    assert [r[0] for r in rows_of(read_purchases(write("sales.csv", f"{HEADER}\n{body}")))] == ids


def test_bytes_that_do_not_decode_past_the_sample_are_reported_with_their_row(write):
    body = "".join(f"C{i},2024-01-01,10\n" for i in range(20_000)).encode()
    path = write("sales.csv", HEADER.encode() + b"\n" + body + b"C\xff\xfe,2024-01-01,10\n")
    with pytest.raises(InputError) as err:
        read_purchases(path)
    assert err.value.row == 20_002


@pytest.mark.parametrize("codec", ["rot13", "base64", "hex", "zlib", "bz2", "no-such-codec"])
def test_a_codec_that_is_not_a_text_encoding_is_a_usage_error(write, codec):
    path = write("sales.csv", f"{HEADER}\nC1,2024-01-01,10\n")
    with pytest.raises(UsageError, match="--encoding"):
        read_purchases(path, encoding=codec)
    with pytest.raises(UsageError, match="--encoding"):
        ReadOptions(encoding=codec)
    with pytest.raises(UsageError, match="--encoding"):
        read_survey(path, encoding=codec)
    result = run("segment", path, "--encoding", codec)
    assert result.exit_code == 2 and "--encoding" in result.stderr


# --- XLSX sheets too large to hold ----------------------------------------------------------------


def _workbook(tmp_path, name, patch=None):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["customer_id", "date", "amount"])
    sheet.append(["C1", "2024-01-01", 10])
    sheet.append(["C2", "2024-01-02", 20])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    if patch is None:
        return str(plain)
    path = tmp_path / name
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = patch(data)
            out.writestr(info, data)
    return str(path)


def _far_cell(ref: bytes):
    row = re.sub(rb"[A-Z]", b"", ref)
    return lambda xml: xml.replace(
        b"</sheetData>", b'<row r="%s"><c r="%s"><v>1</v></c></row></sheetData>' % (row, ref)
    )


@pytest.mark.parametrize("ref", [b"XFD1048576", b"ZZ100000", b"A1048576000"])
def test_a_far_away_cell_is_refused_before_the_sheet_is_read(tmp_path, ref):
    path = _workbook(tmp_path, "far.xlsx", _far_cell(ref))
    with pytest.raises(InputError) as err:
        read_purchases(path)
    assert "used range" in err.value.message and "cells" in err.value.message
    assert "CRMKIT_MAX_XLSX_CELLS" in (err.value.hint or "")


def test_a_declared_dimension_alone_does_not_refuse_a_small_sheet(tmp_path):
    path = _workbook(
        tmp_path, "dim.xlsx", lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml)
    )
    assert [r[0] for r in rows_of(read_purchases(path))] == ["C1", "C2"]


def test_the_sheet_size_limit_can_be_changed(tmp_path, monkeypatch):
    path = _workbook(tmp_path, "wide.xlsx", _far_cell(b"AB40"))
    assert read_purchases(path, skip_bad_rows=True).quality.rows_read >= 2
    monkeypatch.setenv("CRMKIT_MAX_XLSX_CELLS", "100")
    with pytest.raises(InputError, match="40 rows x 28 columns"):
        read_purchases(path)


def test_the_cli_refuses_a_huge_sheet_with_exit_3(tmp_path):
    result = run("segment", _workbook(tmp_path, "far.xlsx", _far_cell(b"XFD1048576")))
    assert result.exit_code == 3 and "used range" in result.stderr


# --- memory ---------------------------------------------------------------------------------------


def test_duckdb_memory_is_bounded_and_overridable(monkeypatch):
    assert re.fullmatch(r"\d+MB|80%", memory_limit())
    monkeypatch.setenv("CRMKIT_MEMORY_LIMIT", "700MB")
    con = connect()
    assert con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0].startswith("667")  # 700 MB in MiB
    monkeypatch.setenv("CRMKIT_MEMORY_LIMIT", "lots")
    with pytest.raises(UsageError, match="CRMKIT_MEMORY_LIMIT"):
        memory_limit()


def test_running_out_of_duckdb_memory_is_a_clean_error(write, monkeypatch):
    import duckdb

    path = write("sales.csv", f"{HEADER}\nC1,2024-01-01,10\n")
    src = open_source(path, "/tmp")
    error = scan_error(duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block"), src)
    assert isinstance(error, InputError) and "CRMKIT_MEMORY_LIMIT" in (error.hint or "")
    assert_clean(error.message)


# --- analysis dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["10000-01-01", "0000-01-01", "epoch", date(1, 1, 1), date(9999, 12, 31), np.datetime64("0000-01-01")]
)
def test_an_impossible_as_of_is_a_usage_error_naming_it(value):
    with pytest.raises(UsageError, match="as_of"):
        as_date(value)


def test_messages_show_values_as_written():
    with pytest.raises(UsageError) as err:
        as_date(np.int64(11))
    assert "11" in err.value.message and "np." not in err.value.message


def test_as_of_from_a_config_is_text(write):
    data = read_purchases(write("sales.csv", f"{HEADER}\nC1,2024-01-01,10\nC2,2024-03-01,5\n"))
    assert data.resolve_as_of("2024-02-01") == date(2024, 2, 1) and data.quality.after_as_of == 1
    with pytest.raises(UsageError, match="as_of"):
        data.resolve_as_of("0000-01-01")


def test_a_later_return_does_not_become_the_default_as_of_date(write):
    data = read_purchases(write("sales.csv", f"{HEADER}\nC1,2024-01-01,10\nC1,2024-02-01,-10\n"))
    assert data.quality.last_date == date(2024, 2, 1)
    assert data.resolve_as_of() == date(2024, 1, 1) and data.quality.after_as_of == 1


def test_customers_with_only_returns_are_counted_with_their_revenue(write):
    # B returned something bought before the export starts; D's only purchase is after as_of
    text = f"{HEADER}\nA,2024-01-01,10\nA,2024-01-05,20\nB,2024-01-03,-5\nD,2024-01-02,-2.5\nD,2024-02-01,9\n"
    from crmkit import segment

    data = read_purchases(write("sales.csv", text))
    result = segment(data, as_of="2024-01-10")
    assert result.customers["customer_id"].tolist() == ["A"]
    assert (data.quality.returns_only, data.quality.returns_only_amount) == (2, -7.5)
    # the per-customer totals plus the left-out revenue are the net of the rows up to as_of
    assert result.customers["monetary"].sum() + data.quality.returns_only_amount == 22.5
    assert "2 customers with only returns (-7.50) left out" in data.quality.one_line()
    assert ("returns_only", 2) in data.quality.as_rows()


def test_a_quoted_line_break_in_a_gzip_file_is_read(tmp_path):
    import gzip

    path = tmp_path / "sales.csv.gz"
    path.write_bytes(gzip.compress(b'customer_id,date,amount,note\nC1,2024-01-01,10,"a\nb"\nC2,2024-01-02,20\n'))
    assert [r[0] for r in rows_of(read_purchases(path))] == ["C1", "C2"]


def test_parquet_binary_ids_are_read_as_their_text_or_reported(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = tmp_path / "good.parquet"
    ids = pa.array([b"C1", "客户甲".encode()], pa.binary())
    pq.write_table(pa.table({"customer_id": ids, "date": ["2024-01-01"] * 2, "amount": [10.0, 20.0]}), good)
    assert [r[0] for r in rows_of(read_purchases(good))] == ["C1", "客户甲"]
    bad = tmp_path / "bad.parquet"
    ids = pa.array([b"C1", b"C\xff\xfe"], pa.binary())
    pq.write_table(pa.table({"customer_id": ids, "date": ["2024-01-01"] * 2, "amount": [10.0, 20.0]}), bad)
    with pytest.raises(InputError) as err:
        read_purchases(bad)
    assert (err.value.row, err.value.column) == (2, "customer_id")


def test_the_cli_reads_a_quoted_line_break_and_reports_a_stray_quote(write):
    good = write("good.csv", f'{HEADER},note\nC1,2024-01-01,10,"a\nb"\nC2,2024-01-02,20,x\n')
    assert run("segment", good, "-f", "csv").exit_code == 0
    bad = write("bad.csv", f'{HEADER},note\nC1,2024-01-01,10,"a\nb"\nC2,2024-01-02,20,"x\n')
    result = run("segment", bad, "-f", "csv")
    assert result.exit_code == 3 and "row 4" in result.stderr and result.stderr.count("\n") == 1


def test_a_wide_survey_is_cleaned_like_a_narrow_one(write, monkeypatch):
    import crmkit.io.inputs as inputs

    text = 'respondent,nps,comment\n\ufeff R1 ,9,"  hi "\nR2,,N/A\nR3, NA ,none\nR4,10,  x y  \n'
    narrow, _ = read_survey(write("narrow.csv", text))
    monkeypatch.setattr(inputs, "WIDE_SURVEY", 1)
    wide, first_row = read_survey(write("wide.csv", text))
    assert wide.equals(narrow) and list(wide.dtypes) == list(narrow.dtypes) and first_row == 2
    assert wide["respondent"].tolist() == ["R1", "R2", "R3", "R4"] and wide["nps"].isna().tolist()[1:3] == [True, True]


def test_a_survey_with_thousands_of_columns_is_read(write):
    header = ",".join(["respondent", "nps"] + [f"x{i}" for i in range(3000)])
    rows = "".join(",".join([f"R{r}", str(r % 11)] + [" 3 "] * 3000) + "\n" for r in range(20))
    frame, _ = read_survey(write("survey.csv", f"{header}\n{rows}"))
    assert frame.shape == (20, 3002) and frame["x2999"].tolist() == ["3"] * 20


@pytest.mark.parametrize(
    "exhausted",
    [
        "duckdb",
        # a `ulimit -v` reached while a native library loads (seen by the fuzzer: scipy's libgfortran)
        "import",
    ],
)
def test_running_out_of_memory_after_reading_is_one_clean_line(monkeypatch, tmp_path, exhausted):
    import duckdb
    from typer.testing import CliRunner

    import crmkit.segment
    from crmkit.cli import app

    def exhaust(*args, **kwargs):
        if exhausted == "duckdb":
            raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256 KiB")
        raise ImportError("libgfortran-8f1e9814.so.5.0.0: failed to map segment from shared object")

    monkeypatch.setattr(crmkit.segment, "segment", exhaust)
    sales = tmp_path / "sales.csv"
    sales.write_text("customer_id,date,amount\nA,2024-01-05,10\n")
    result = CliRunner().invoke(app, ["segment", str(sales), "-f", "csv", "-q"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "crmkit: error: out of memory (try a Parquet input, CRMKIT_MEMORY_LIMIT, or more memory)"
    ]


# --- encodings and line ends the sample does not show ---------------------------------------------

CHINESE_TSV = (
    "客户编号\t订单日期\t金额\r\n客户甲\t2024-01-01\t10\r\nC002\t2024-01-02\t20.5\r\n客户乙\t2024-01-03\t7\r\n"
)
CHINESE_ROWS = [("客户甲", "2024-01-01", 10.0), ("C002", "2024-01-02", 20.5), ("客户乙", "2024-01-03", 7.0)]


def _ascii_rows(kib: int, newline: str = "\n") -> tuple[str, list[tuple]]:
    """At least ``kib`` KiB of ASCII rows (more than the reader's sample) and the rows they hold."""
    rows, size, i = [], 0, 0
    while size < kib * 1024:
        rows.append((f"C{i:06d}", "2024-01-01", float(i % 90 + 1)))
        size += len(f"C{i:06d},2024-01-01,{i % 90 + 1}{newline}")
        i += 1
    return "".join(f"{r[0]},{r[1]},{r[2]:g}{newline}" for r in rows), rows


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read_as_such(write, codec):
    data = read_purchases(write("sales.txt", CHINESE_TSV.encode(codec)))
    assert rows_of(data) == CHINESE_ROWS
    assert (data.quality.encoding, data.quality.delimiter) == (codec, "\t")


def test_utf16_with_a_bom_and_a_forced_utf16_are_read(write):
    with_bom = write("bom.txt", CHINESE_TSV.encode("utf-16"))
    assert rows_of(read_purchases(with_bom)) == CHINESE_ROWS
    assert rows_of(read_purchases(with_bom, encoding="utf-16")) == CHINESE_ROWS
    # without a BOM Python would take UTF-16 as little-endian: the byte order comes from the file
    big_endian = read_purchases(write("be.txt", CHINESE_TSV.encode("utf-16-be")), encoding="utf-16")
    assert rows_of(big_endian) == CHINESE_ROWS and big_endian.quality.encoding == "utf-16-be"
    result = run("segment", with_bom, "--encoding", "utf-16", "-f", "csv")
    assert result.exit_code == 0, result.stderr


def test_gbk_rows_after_an_ascii_sample_are_read_as_gb18030(write):
    text, rows = _ascii_rows(300)
    tail = "客户甲,2024-02-01,5\n客户乙,2024-02-02,6.5\n"
    data = read_purchases(write("sales.csv", f"{HEADER}\n{text}".encode() + tail.encode("gbk")))
    assert rows_of(data) == [*rows, ("客户甲", "2024-02-01", 5.0), ("客户乙", "2024-02-02", 6.5)]
    assert data.quality.encoding == "gb18030"


def test_gbk_rows_after_utf8_chinese_are_an_error_naming_the_row(write):
    # the sample is UTF-8 with Chinese in it: GBK later is a file in two encodings, not GB18030
    text, rows = _ascii_rows(300)
    head = f"{HEADER}\n客户甲,2024-01-01,1\n{text}".encode()
    with pytest.raises(InputError) as err:
        read_purchases(write("sales.csv", head + "客户乙,2024-02-01,5\n".encode("gbk")))
    assert err.value.row == len(rows) + 3 and f"at byte {len(head):,}" in err.value.message
    assert_clean(str(err.value))


@pytest.mark.parametrize("late", ["\r", "\r\r\n", "\n"], ids=["cr", "cr-cr-lf", "lf"])
def test_line_ends_that_change_after_the_sample_are_read(write, late):
    text, rows = _ascii_rows(300, "\r\n")
    tail = late.join(["X1,2024-02-01,5", "X2,2024-02-02,6", "X3,2024-02-03,7", ""])
    data = read_purchases(write("sales.csv", f"{HEADER}\r\n{text}{tail}"))
    assert rows_of(data) == [*rows, ("X1", "2024-02-01", 5.0), ("X2", "2024-02-02", 6.0), ("X3", "2024-02-03", 7.0)]


def test_line_ends_that_change_in_a_transcoded_file_are_read(write):
    lines = [f"C{i}\t2024-01-01\t{i % 9 + 1}" for i in range(12_000)]  # over the sample in UTF-16
    text = "客户编号\t订单日期\t金额\r\n" + "\r\n".join(lines) + "\r\n" + "X1\t2024-02-01\t5\rX2\t2024-02-02\t6\r"
    data = read_purchases(write("sales.txt", text.encode("utf-16-le")))
    assert [r[0] for r in rows_of(data)][-3:] == ["C11999", "X1", "X2"] and data.quality.rows_read == 12_002


def test_bytes_invalid_in_every_encoding_after_the_sample_name_their_row(write):
    text, rows = _ascii_rows(300)
    head = f"{HEADER}\n{text}X1,2024-02-01,5\n".encode()
    path = write("sales.csv", head + b"X\xff\xfe,2024-02-02,6\n")
    with pytest.raises(InputError) as err:
        read_purchases(path)
    assert err.value.row == len(rows) + 3 and err.value.file == path
    assert "utf-8 or gb18030" in err.value.message and f"at byte {len(head) + 1:,}" in err.value.message
    assert_clean(str(err.value))
    result = run("segment", path, "-f", "csv")
    assert result.exit_code == 3 and f"row {len(rows) + 3}" in result.stderr and result.stderr.count("\n") == 1
