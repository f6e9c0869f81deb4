"""Outputs never destroy anything, and an interrupt leaves everything as it was (issue 9, sections 1-2).

In-process runs (typer's CliRunner) check the rules one by one; the signal tests run the real
command as a subprocess on a generated file and signal it. No test touches a real device: a
FIFO made in tmp_path and the write end of an ``os.pipe`` stand in for devices and pipes.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

import crmkit.report.excel.workbook as excel_workbook
from crmkit.cli import app
from crmkit.errors import OutputError
from crmkit.report import files, interrupts
from crmkit.report.files import OutputPlan
from crmkit.synth import write_large_sales

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def one_error_line(result_or_text) -> str:
    text = result_or_text if isinstance(result_or_text, str) else result_or_text.stderr
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.startswith(".crmkit-"))


@pytest.fixture
def sales(tmp_path) -> Path:
    path = tmp_path / "sales.csv"
    write_large_sales(path, 2000, seed=7)
    return path


@pytest.fixture
def no_reading(monkeypatch):
    """Fail the test if the export is read: the output checks must come first."""
    import crmkit.io.purchases

    def refuse(*args, **kwargs):
        raise AssertionError("the export was read before the outputs were checked")

    monkeypatch.setattr(crmkit.io.purchases, "read_purchases", refuse)


def expected_csv(sales: Path, tmp_path: Path) -> bytes:
    reference = tmp_path / "reference.csv"
    assert run("segment", sales, "-o", reference, "-q").exit_code == 0
    return reference.read_bytes()


# --- how each kind of target is written -------------------------------------------------------
def test_fifo_is_streamed_not_replaced(sales, tmp_path):
    fifo = tmp_path / "customers.csv"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = run("segment", sales, "-o", fifo, "-q")
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not a regular file
    assert received == [expected_csv(sales, tmp_path)]
    assert leftovers(tmp_path) == []


def test_dev_fd_path_is_written_straight_through(sales, tmp_path):
    read_end, write_end = os.pipe()
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(os.fdopen(read_end, "rb").read()))
    reader.start()
    try:
        result = run("segment", sales, "-o", f"/dev/fd/{write_end}", "-f", "csv", "-q")
    finally:
        os.close(write_end)
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert chunks == [expected_csv(sales, tmp_path)]


def test_character_device_is_written_straight_through(tmp_path, monkeypatch):
    # a FIFO dressed up as a character device: the real devices stay untouched
    fifo = tmp_path / "device"
    os.mkfifo(fifo)
    monkeypatch.setattr(files.stat, "S_ISFIFO", lambda mode: False)
    monkeypatch.setattr(files.stat, "S_ISCHR", lambda mode: stat.S_IFMT(mode) in (stat.S_IFCHR, stat.S_IFIFO))
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    with OutputPlan() as plan:
        target = plan.add(fifo)
        assert target.kind == "stream"
        with target.writing() as temp:
            assert not temp.startswith(str(tmp_path))  # no temporary file beside a device
            Path(temp).write_bytes(b"streamed")
    reader.join(timeout=10)
    assert received == [b"streamed"]
    assert os.listdir(tmp_path) == ["device"]


def test_symlink_is_followed_and_stays_a_link(sales, tmp_path):
    elsewhere = tmp_path / "real"
    elsewhere.mkdir()
    real = elsewhere / "customers.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    result = run("segment", sales, "-o", link, "-q")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == expected_csv(sales, tmp_path)
    assert leftovers(tmp_path) == leftovers(elsewhere) == []


def test_dash_is_stdout(sales, tmp_path):
    result = run("segment", sales, "-o", "-", "-f", "csv", "-q")
    assert result.exit_code == 0
    assert result.stdout_bytes == expected_csv(sales, tmp_path)
    assert leftovers(tmp_path) == []


def test_regular_file_keeps_its_permissions(sales, tmp_path):
    target = tmp_path / "customers.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    assert run("segment", sales, "-o", target, "-q").exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() != "old\n"


# --- every output is checked before any work -------------------------------------------------
@pytest.mark.parametrize(
    "make_target, message",
    [
        (lambda d: d / "missing" / "x.csv", "does not exist"),
        (lambda d: d, "is a folder"),
    ],
    ids=["missing-folder", "a-folder"],
)
def test_bad_output_fails_before_reading(sales, tmp_path, no_reading, make_target, message):
    result = run("segment", sales, "-o", make_target(tmp_path))
    assert result.exit_code == 7
    assert message in one_error_line(result)


def test_no_write_permission_fails_before_reading(sales, tmp_path, no_reading, monkeypatch):
    target = tmp_path / "customers.csv"
    target.write_text("old\n")
    real_access = os.access
    # tests run as root, where every file is writable: deny it by hand
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(target) else real_access(path, mode))
    result = run("segment", sales, "-o", target)
    assert result.exit_code == 7 and "no permission" in one_error_line(result)
    assert target.read_text() == "old\n"


def test_report_in_a_missing_folder_writes_nothing(sales, tmp_path, no_reading):
    result = run("segment", sales, "--report", tmp_path / "nonexist" / "x.xlsx", "-o", tmp_path / "s.csv")
    assert result.exit_code == 7 and "does not exist" in one_error_line(result)
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.parametrize("how", ["same-path", "other-spelling", "symlink", "hard-link"])
@pytest.mark.parametrize("option", ["-o", "--report"])
def test_an_input_is_never_an_output(sales, tmp_path, no_reading, how, option):
    before = sales.read_bytes()
    target = {
        "same-path": sales,
        "other-spelling": tmp_path / "." / "sales.csv",
        "symlink": tmp_path / "link.csv",
        "hard-link": tmp_path / "hard.csv",
    }[how]
    if how == "symlink":
        target.symlink_to(sales)
    if how == "hard-link":
        os.link(sales, target)
    result = run("segment", sales, option, target)
    assert result.exit_code == 7 and "refusing to overwrite an input file" in one_error_line(result)
    assert sales.read_bytes() == before


def test_every_input_of_a_command_is_protected(sales, tmp_path, no_reading):
    referrals = tmp_path / "referrals.csv"
    referrals.write_text("referrer,referred\n")
    result = run("clv", sales, "--referrals", referrals, "--params-out", referrals)
    assert result.exit_code == 7 and "input file" in one_error_line(result)
    assert referrals.read_text() == "referrer,referred\n"


@pytest.mark.parametrize("option", ["-o", "--report"])
def test_stdin_input_is_protected(sales, tmp_path, option):
    before = sales.read_bytes()
    with open(sales, "rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "crmkit", "segment", "-", option, str(sales)],
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 7, done.stderr
    assert "refusing to overwrite an input file (standard input)" in one_error_line(done.stderr)
    assert sales.read_bytes() == before


@pytest.mark.parametrize("second", ["same", "symlink"])
def test_two_outputs_naming_one_file(sales, tmp_path, no_reading, second):
    first = tmp_path / "out.xlsx"
    other = first if second == "same" else tmp_path / "link.xlsx"
    if second == "symlink":
        other.symlink_to(first)
    result = run("segment", sales, "-o", first, "--report", other)
    assert result.exit_code == 7 and "two outputs name one file" in one_error_line(result)
    assert not first.exists()


def test_monthly_workbook_over_its_input_fails_before_reading(sales, tmp_path, no_reading):
    before = sales.read_bytes()
    result = run("report", sales, "-o", sales)
    assert result.exit_code == 7 and "input file" in one_error_line(result)
    assert sales.read_bytes() == before


def test_monthly_history_is_an_input_and_an_output(sales, tmp_path, no_reading):
    history = tmp_path / "crmkit-history.sqlite"
    with sqlite3.connect(history) as db:
        db.execute("CREATE TABLE headline (month TEXT)")
    before = history.read_bytes()
    # the workbook named like the history beside it
    result = run("report", sales, "-o", history)
    assert result.exit_code == 7 and "two outputs name one file" in one_error_line(result)
    # the history named like an input
    result = run("report", sales, "-o", tmp_path / "m.xlsx", "--history", sales)
    assert result.exit_code == 7 and "input file" in one_error_line(result)
    assert history.read_bytes() == before and not (tmp_path / "m.xlsx").exists()


# --- all or nothing --------------------------------------------------------------------------
def monthly_run(sales, tmp_path, *extra):
    return run("report", sales, "-o", tmp_path / "m.xlsx", "--history", tmp_path / "h.sqlite", "-q", *extra)


def months_in(history: Path) -> list:
    with sqlite3.connect(history) as db:
        return db.execute("SELECT month, as_of FROM headline ORDER BY month").fetchall()


def test_locked_history_leaves_the_workbook_alone(sales, tmp_path, monkeypatch):
    assert monthly_run(sales, tmp_path).exit_code == 0
    workbook = (tmp_path / "m.xlsx").read_bytes()
    history = (tmp_path / "h.sqlite").read_bytes()
    monkeypatch.setattr(files, "LOCK_TIMEOUT", 0.05)
    other = sqlite3.connect(tmp_path / "h.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing: readers may, writers wait
    try:
        result = monthly_run(sales, tmp_path, "--as-of", "2024-06-30")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 7 and "database is locked" in one_error_line(result)
    assert (tmp_path / "m.xlsx").read_bytes() == workbook
    assert (tmp_path / "h.sqlite").read_bytes() == history
    assert leftovers(tmp_path) == []


def test_history_not_updated_when_the_workbook_fails(sales, tmp_path, monkeypatch):
    assert monthly_run(sales, tmp_path).exit_code == 0
    months = months_in(tmp_path / "h.sqlite")
    workbook = (tmp_path / "m.xlsx").read_bytes()

    def full_disk(book, filename, when=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(excel_workbook, "save_workbook", full_disk)
    result = monthly_run(sales, tmp_path, "--as-of", "2024-06-30")
    assert result.exit_code == 7 and "No space left on device" in one_error_line(result)
    assert months_in(tmp_path / "h.sqlite") == months and (tmp_path / "m.xlsx").read_bytes() == workbook
    assert leftovers(tmp_path) == []


def test_history_is_written_with_the_workbook(sales, tmp_path):
    assert monthly_run(sales, tmp_path).exit_code == 0
    result = monthly_run(sales, tmp_path, "--as-of", "2024-06-30")
    assert result.exit_code == 0
    assert [month for month, _ in months_in(tmp_path / "h.sqlite")] == ["2024-06", "2024-12"]
    verbose = run("report", sales, "-o", tmp_path / "m.xlsx", "--history", tmp_path / "h.sqlite")
    assert "report written to" in verbose.stderr.splitlines()[-1]


def test_a_failed_report_keeps_the_previous_rows_file(sales, tmp_path, monkeypatch):
    rows, report = tmp_path / "customers.csv", tmp_path / "report.xlsx"
    rows.write_text("previous\n")

    def full_disk(book, filename, when=None):
        with open(filename, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(excel_workbook, "save_workbook", full_disk)
    result = run("segment", sales, "-o", rows, "--report", report, "-q")
    assert result.exit_code == 7 and "No space left on device" in one_error_line(result)
    assert rows.read_text() == "previous\n" and not report.exists()
    assert leftovers(tmp_path) == []


def test_a_failed_rename_puts_the_earlier_ones_back(tmp_path, monkeypatch):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old a\n")
    second.write_text("old b\n")
    real_replace = os.replace

    def locked(source, destination):
        if str(destination) == str(second):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(OutputError, match="close the file"):
        with OutputPlan() as plan:
            for target, text in ((plan.add(first), "new a\n"), (plan.add(second), "new b\n")):
                with target.writing() as temp:
                    Path(temp).write_text(text)
    assert first.read_text() == "old a\n" and second.read_text() == "old b\n"
    assert leftovers(tmp_path) == []


def test_stale_temp_files_of_killed_runs_are_removed(sales, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # reaped: its pid names no process any more
    stale = tmp_path / f".crmkit-{dead.pid}-abcd1234.customers.csv"
    stale_backup = tmp_path / f".crmkit-{dead.pid}-efgh5678.customers.csv.old"
    alive = tmp_path / f".crmkit-{os.getpid()}-ijkl9012.customers.csv"  # a run still writing
    other = tmp_path / f".crmkit-{dead.pid}-mnop3456.other.csv"  # another output's
    for path in (stale, stale_backup, alive, other):
        path.write_text("partial")
    assert run("segment", sales, "-o", tmp_path / "customers.csv", "-q").exit_code == 0
    assert leftovers(tmp_path) == sorted([alive.name, other.name])


# --- write errors: exit 7, one line, nothing after it -----------------------------------------
def test_full_disk_in_the_zip_leaves_no_zipfile_traceback(sales, tmp_path, monkeypatch):
    from crmkit.report.excel import ReportWorkbook

    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    real_write = zipfile.ZipFile.writestr
    calls = []

    def fills_up(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fills_up)
    book = ReportWorkbook("en")
    book.add_long_table("customers", __import__("pandas").DataFrame({"a": [1, 2]}))
    with pytest.raises(OutputError, match="No space left on device") as caught:
        book.save(tmp_path / "r.xlsx")
    del caught
    gc.collect()
    assert unraisable == [] and leftovers(tmp_path) == [] and not (tmp_path / "r.xlsx").exists()


def test_full_device_is_an_output_error(sales, tmp_path, monkeypatch):
    read_end, write_end = os.pipe()
    real_write = os.write

    def full(fd, data):
        if fd == write_end:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    try:
        result = run("segment", sales, "-o", f"/dev/fd/{write_end}", "-f", "csv", "-q")
    finally:
        os.close(read_end)
        os.close(write_end)
    assert result.exit_code == 7
    assert one_error_line(result) == f"crmkit: error: /dev/fd/{write_end}: cannot write: No space left on device"


def test_file_locked_by_excel_is_an_output_error_with_a_hint(sales, tmp_path, monkeypatch):
    report = tmp_path / "report.xlsx"
    report.write_bytes(b"last month")
    real_replace = os.replace

    def locked(source, destination):
        if str(destination) == str(report):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", locked)
    result = run("segment", sales, "--report", report, "-f", "csv", "-o", tmp_path / "rows.csv", "-q")
    assert result.exit_code == 7
    assert "close the file if it is open in Excel" in one_error_line(result)
    assert report.read_bytes() == b"last month" and not (tmp_path / "rows.csv").exists()


def test_table_into_a_full_device_is_an_output_error(sales, monkeypatch):
    import crmkit.report.terminal

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(crmkit.report.terminal, "render_segments", full)
    result = run("segment", sales, "-f", "table", "-q")
    assert result.exit_code == 7
    assert one_error_line(result) == "crmkit: error: <stdout>: cannot write: No space left on device"


def test_closed_pipe_is_141_and_quiet(tmp_path):
    sales = tmp_path / "sales.csv"
    write_large_sales(sales, 12_000, seed=3)  # its rows fill more than a pipe's 64 KiB buffer
    process = subprocess.Popen(
        [sys.executable, "-m", "crmkit", "segment", str(sales), "-f", "csv", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdout.readline().startswith(b"customer_id")
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 141 and err == b""


# --- interrupts --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "where",
    ["reading", "query", "fitting", "writing"],
)
def test_an_interrupt_anywhere_is_130(sales, tmp_path, monkeypatch, where):
    rows, report = tmp_path / "customers.csv", tmp_path / "report.xlsx"
    rows.write_text("previous rows\n")
    report.write_bytes(b"previous report")

    def interrupted(*args, **kwargs):
        interrupts._received.append(signal.SIGINT)  # what the handler does when the signal lands
        if where == "query":
            raise RuntimeError("Query interrupted")  # DuckDB's way of reporting it
        raise KeyboardInterrupt

    import crmkit.clv
    import crmkit.io.purchases

    if where == "reading":
        monkeypatch.setattr(crmkit.io.purchases, "read_purchases", interrupted)
    elif where in ("query", "fitting"):
        monkeypatch.setattr(crmkit.clv, "customer_lifetime_value", interrupted)
    else:
        monkeypatch.setattr(excel_workbook, "save_workbook", interrupted)
    monkeypatch.setattr(interrupts, "_received", [])
    monkeypatch.setattr(interrupts, "_announced", [])
    result = run("clv", sales, "-o", rows, "--report", report)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "crmkit: interrupted"
    assert rows.read_text() == "previous rows\n" and report.read_bytes() == b"previous report"
    assert leftovers(tmp_path) == []


def test_interrupt_while_writing_the_monthly_report_keeps_the_history(sales, tmp_path, monkeypatch):
    assert monthly_run(sales, tmp_path).exit_code == 0
    months = months_in(tmp_path / "h.sqlite")

    def interrupted(book, filename, when=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(excel_workbook, "save_workbook", interrupted)
    result = monthly_run(sales, tmp_path, "--as-of", "2024-06-30")
    assert result.exit_code == 130 and months_in(tmp_path / "h.sqlite") == months
    assert leftovers(tmp_path) == []


def test_signals_are_held_back_while_outputs_are_renamed():
    if not hasattr(signal, "pthread_sigmask"):
        pytest.skip("no signal masks on this platform")
    with interrupts.deferred():
        assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])


# --- the real command, signalled ---------------------------------------------------------------
@pytest.fixture(scope="module")
def large_sales(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("large") / "large.csv"
    write_large_sales(path, 200_000, seed=11)
    return path


def previous_outputs(folder: Path) -> dict[str, bytes]:
    (folder / "customers.csv").write_text("previous rows\n")
    (folder / "report.xlsx").write_bytes(b"previous report")
    return {name: (folder / name).read_bytes() for name in ("customers.csv", "report.xlsx")}


def reading(pid: int, path: Path, timeout: float = 60) -> None:
    """Wait until process ``pid`` has ``path`` open: crmkit's own code runs (its handlers are in place)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                        return
        time.sleep(0.005)


def signalled(large_sales, folder: Path, signum: int, delay: float, *extra: str):
    """Start ``crmkit segment`` on the large file, send ``signum`` ``delay`` s into reading it, wait."""
    command = [sys.executable, "-m", "crmkit", "segment", str(large_sales), "-o", str(folder / "customers.csv")]
    process = subprocess.Popen(
        [*command, "--report", str(folder / "report.xlsx"), "-q", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    reading(process.pid, large_sales)
    time.sleep(delay)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the run start")
@pytest.mark.parametrize(
    "signum, delay",
    [(signal.SIGINT, 0.0), (signal.SIGTERM, 0.0), (signal.SIGINT, 1.0), (signal.SIGTERM, 2.0)],
    ids=["SIGINT-reading", "SIGTERM-reading", "SIGINT-later", "SIGTERM-later"],
)
def test_signal_gives_130_and_leaves_previous_outputs(large_sales, tmp_path, signum, delay):
    before = previous_outputs(tmp_path)
    code, err = signalled(large_sales, tmp_path, signum, delay)
    if code == 0:  # the machine was fast enough to finish first: then it must be complete
        assert openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True).sheetnames
        return
    assert code == 130 and err == "crmkit: interrupted\n"
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the run start")
def test_sigkill_leaves_previous_outputs_and_the_next_run_cleans_up(large_sales, tmp_path, sales):
    before = previous_outputs(tmp_path)
    code, _ = signalled(large_sales, tmp_path, signal.SIGKILL, 1.0)
    assert code in (-signal.SIGKILL, 0)
    if code == -signal.SIGKILL:
        now = {name: (tmp_path / name).read_bytes() for name in before}
        # all or nothing: the previous outputs, or (a kill just after the commit) both new and whole
        if now != before:
            assert all(now[name] != before[name] for name in before), "one output replaced, not the other"
            assert now["customers.csv"].startswith(b"customer_id,") and now["customers.csv"].endswith(b"\n")
            assert openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True).sheetnames
    # whatever the kill left, the next run of the same outputs removes it
    result = run("segment", sales, "-o", tmp_path / "customers.csv", "--report", tmp_path / "report.xlsx", "-q")
    assert result.exit_code == 0 and leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the run start")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_signalled_monthly_report_keeps_workbook_and_history(large_sales, sales, tmp_path, signum):
    assert monthly_run(sales, tmp_path).exit_code == 0
    before = {name: (tmp_path / name).read_bytes() for name in ("m.xlsx", "h.sqlite")}
    process = subprocess.Popen(
        [sys.executable, "-m", "crmkit", "report", str(large_sales), "-o", str(tmp_path / "m.xlsx")]
        + ["--history", str(tmp_path / "h.sqlite"), "-q"],
        stderr=subprocess.PIPE,
    )
    reading(process.pid, large_sales)
    time.sleep(1.0)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == (130 if signum == signal.SIGTERM else -signal.SIGKILL)
    if signum == signal.SIGTERM:
        assert err == b"crmkit: interrupted\n"
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert monthly_run(sales, tmp_path).exit_code == 0 and leftovers(tmp_path) == []


def test_a_signal_after_the_commit_is_dropped(tmp_path):
    # the command line's plan ends the run: a Ctrl-C that lands after its outputs are in place
    # (or was held back during the commit) neither says "interrupted" nor kills the process
    from crmkit.report import interrupts
    from crmkit.report.files import OutputPlan

    previous = signal.getsignal(signal.SIGINT)
    try:
        with interrupts.catch_signals(lambda text: None):
            with OutputPlan(ends_run=True) as plan:
                target = plan.add(tmp_path / "out.csv")
                with target.writing() as temp:
                    Path(temp).write_text("id\n1\n")
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # delivered here: dropped, no KeyboardInterrupt
        assert not interrupts.received() and (tmp_path / "out.csv").read_text() == "id\n1\n"
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # until the process exits
        # a plan that does not end the run (the library's own) leaves Ctrl-C working
        signal.signal(signal.SIGINT, previous)
        with pytest.raises(SystemExit) as stopped:
            with interrupts.catch_signals(lambda text: None):
                with OutputPlan() as plan:
                    pass
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
        assert stopped.value.code == 130
    finally:
        signal.signal(signal.SIGINT, previous)
        interrupts._received.clear()  # the process-wide record of this test's own signals
        interrupts._announced.clear()
