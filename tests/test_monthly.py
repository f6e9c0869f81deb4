"""crmkit report: the monthly workbook, cron dates and paths, the history, --check."""

from __future__ import annotations

import csv
import sqlite3
from datetime import date
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.errors import ConfigError, DataError, UsageError
from crmkit.monthly.run import load_config, render_path, resolve_date, run_monthly

runner = CliRunner()
EX = Path(__file__).resolve().parents[1] / "examples"


def test_cron_dates_and_paths():
    today, last = date(2025, 3, 15), date(2025, 3, 10)
    assert resolve_date("last-month-end", today, last) == date(2025, 2, 28)
    assert resolve_date("month-end", today, last) == date(2025, 3, 31)
    assert resolve_date("yesterday", today, last) == date(2025, 3, 14)
    assert resolve_date(None, today, last) == last
    assert resolve_date("2024-12-31", today, last) == date(2024, 12, 31)
    with pytest.raises(UsageError):
        resolve_date("next tuesday", today, last)
    assert render_path("r/crm-{yyyy}-{mm}.xlsx", date(2025, 2, 28)) == "r/crm-2025-02.xlsx"
    with pytest.raises(UsageError, match="placeholder"):
        render_path("r/{month}.xlsx", date(2025, 2, 28))


def _config(tmp_path, extra=""):
    path = tmp_path / "crmkit.toml"
    path.write_text(
        f'sales = "{EX / "sales.csv"}"\nsurvey = "{EX / "survey.csv"}"\n'
        f'members = "{EX / "members.csv"}"\nreferrals = "{EX / "referrals.csv"}"\n'
        f'output = "out/crm-{{yyyy}}-{{mm}}.xlsx"\n{extra}\n[clv]\nmargin = 0.3\n'
    )
    return path


def test_config_errors(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text('sales = "x.csv"\n')
    with pytest.raises(ConfigError, match="'output' is required"):
        load_config(str(bad))
    bad.write_text('sales = "x.csv"\noutput = "y.xlsx"\ncolour = 1\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_config(str(bad))
    # a misspelt key inside a section is named, with what the section takes
    bad.write_text('sales = "x.csv"\noutput = "y.xlsx"\n[clv]\nhorizont = "2y"\n')
    with pytest.raises(ConfigError, match=r"unknown key\(s\) clv\.horizont.*\[clv\] takes model, unit, horizon"):
        load_config(str(bad))
    bad.write_text('sales = "x.csv"\noutput = "y.xlsx"\n[columns]\ncustomer = "会员卡号"\n[segment]\nscheme = "cn8"\n')
    assert load_config(str(bad)).columns == {"customer": "会员卡号"}


@pytest.mark.slow
def test_full_report_history_and_idempotence(tmp_path):
    config = _config(tmp_path)
    first = runner.invoke(app, ["report", "--config", str(config), "--as-of", "2024-11-30", "-q"])
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""  # cron: nothing on stdout
    for _ in range(2):  # the same month twice: one row
        again = runner.invoke(app, ["report", "--config", str(config), "--as-of", "2024-12-31", "-q"])
        assert again.exit_code == 0, again.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["crm-2024-11.xlsx", "crm-2024-12.xlsx", "crmkit-history.sqlite"]
    rows = (
        sqlite3.connect(out / "crmkit-history.sqlite").execute("SELECT month FROM headline ORDER BY month").fetchall()
    )
    assert rows == [("2024-11",), ("2024-12",)]
    import openpyxl

    wb = openpyxl.load_workbook(out / "crm-2024-12.xlsx")
    assert wb.sheetnames[0] == "Overview"
    for sheet in ("Summary", "Segments", "CLV model", "Ladder", "Migration", "Retention", "Index", "Drivers"):
        assert sheet in wb.sheetnames
    overview = wb["Overview"]
    assert len(overview._charts) >= 3
    header = next(row for row in overview.iter_rows() if row[0].value == "Month")
    months = [c.value for c in header[1:] if c.value is not None]
    assert months == ["2024-11", "2024-12"]  # the trend holds both months, in order (one column each)


@pytest.mark.slow
def test_check_writes_nothing_and_failed_run_keeps_last_report(tmp_path):
    config = _config(tmp_path)
    result = runner.invoke(app, ["report", "--config", str(config), "--check"])
    assert result.exit_code == 0 and "check passed" in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert runner.invoke(app, ["report", "--config", str(config), "-q"]).exit_code == 0
    report = tmp_path / "out" / "crm-2024-12.xlsx"
    before = report.read_bytes()
    broken = _config(tmp_path, 'as_of = "2024-12-31"\nhistory = "out/crmkit-history.sqlite"')
    broken.write_text(broken.read_text().replace(str(EX / "sales.csv"), str(tmp_path / "missing.csv")))
    failed = runner.invoke(app, ["report", "--config", str(broken), "-q"])
    assert failed.exit_code == 3 and "no such file" in failed.stderr
    assert report.read_bytes() == before


@pytest.mark.slow
def test_flag_form(tmp_path):
    out = tmp_path / "r-{yyyy}{mm}.xlsx"
    result = runner.invoke(app, ["report", str(EX / "sales.csv"), "-o", str(out), "-q", "--lang", "zh"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "r-202412.xlsx").is_file() and (tmp_path / "crmkit-history.sqlite").is_file()
    assert runner.invoke(app, ["report", "-q"]).exit_code == 2


def _custom_model(folder: Path) -> Path:
    """The ECSI preset under another name: a valid model file the example survey fits."""
    folder.mkdir(parents=True, exist_ok=True)
    text = resources.files("crmkit.survey_models").joinpath("ecsi.toml").read_text(encoding="utf-8")
    lines = ['name_en = "Custom model"' if line.startswith("name_en") else line for line in text.splitlines()]
    model = folder / "custom.toml"
    model.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return model


@pytest.mark.slow
def test_model_files_are_taken_from_the_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cfg"
    model = _custom_model(folder / "models")
    (folder / "rules").mkdir()
    (folder / "rules" / "ladder.toml").write_text("[survey]\nsatisfaction_min = 80\n")
    config = _config(
        folder,
        '[segment]\nscheme = "standard"\n[satisfaction]\nmodel = "models/custom.toml"\nces_scale = "1-7"\n'
        '[ladder]\nrules = "rules/ladder.toml"',
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # cron's working directory is not the config's folder
    settings = load_config(str(config))
    assert settings.satisfaction["model"] == str(model)
    assert settings.ladder["rules"] == str(folder / "rules" / "ladder.toml")
    assert settings.segment["scheme"] == "standard"  # a built-in name stays a name
    report = run_monthly(settings)
    assert report.satisfaction is not None and report.satisfaction.model.name["en"] == "Custom model"


def test_model_file_paths_built_in_names_home_and_missing_files(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    model = _custom_model(tmp_path)
    (tmp_path / "cfg").mkdir()
    config = _config(tmp_path / "cfg", '[segment]\nscheme = "cn8"\n[satisfaction]\nmodel = "~/custom.toml"')
    settings = load_config(str(config))
    assert settings.satisfaction["model"] == str(model) and settings.segment["scheme"] == "cn8"
    config.write_text(config.read_text().replace("~/custom.toml", str(model)))
    assert load_config(str(config)).satisfaction["model"] == str(model)  # absolute: unchanged
    config.write_text(config.read_text().replace(str(model), "ECSI"))
    assert load_config(str(config)).satisfaction["model"] == "ECSI"  # presets are case-blind
    missing = tmp_path / "cfg" / "models" / "missing.toml"
    for section, key in (("satisfaction", "model"), ("segment", "scheme"), ("ladder", "rules")):
        config.write_text(f'sales = "s.csv"\noutput = "o.xlsx"\n[{section}]\n{key} = "models/missing.toml"\n')
        with pytest.raises(ConfigError, match=rf"\[{section}\] {key}: no such file {missing}"):
            load_config(str(config))


def _survey_with_csat(path: Path, answers: tuple[str, ...]) -> Path:
    with open(EX / "survey.csv", newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    for i, row in enumerate(rows):
        row["csat"] = answers[i % len(answers)]
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.slow
def test_csat_and_ces_scales_reach_the_analysis(tmp_path):
    survey = _survey_with_csat(tmp_path / "survey7.csv", ("6", "7"))
    # the example's effort answers (1-7) declared on 1-10, so the key, not the 1-7 default, decides
    config = _config(tmp_path, '[satisfaction]\ncsat_scale = "1-7"\nces_scale = [1, 10]\nscale = [1, 10]')
    config.write_text(config.read_text().replace(str(EX / "survey.csv"), str(survey)))
    report = run_monthly(load_config(str(config)))
    assert report.satisfaction is not None and report.satisfaction.csat is not None
    assert report.satisfaction.csat["csat"] == 1.0  # 6 and 7 are the top two boxes of 1-7
    effort = [int(row["effort"]) for row in csv.DictReader(survey.read_text(encoding="utf-8").splitlines())]
    assert report.satisfaction.ces is not None  # easy on 1-10 is 1-4, where the default 1-7 has 1-3
    assert report.satisfaction.ces["easy_share"] == pytest.approx(sum(e <= 4 for e in effort) / len(effort))
    config.write_text(config.read_text().replace('csat_scale = "1-7"\n', ""))
    with pytest.raises(DataError, match="CSAT"):  # on the default 1-5 scale they are off the scale
        run_monthly(load_config(str(config)))


def test_scale_keys_are_type_checked(tmp_path):
    for key in ("scale", "csat_scale", "ces_scale"):
        assert load_config(str(_config(tmp_path, f"[satisfaction]\n{key} = [1, 7]"))).satisfaction == {key: "1-7"}
        with pytest.raises(ConfigError, match=rf"'satisfaction\.{key}' must be a scale"):
            load_config(str(_config(tmp_path, f"[satisfaction]\n{key} = 7")))


# --- stale or empty periods (issue 10) ----------------------------------------------------------


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("crmkit: warning: ")]


@pytest.mark.slow
def test_stale_as_of_warns_on_stderr_on_the_overview_and_in_check(tmp_path):
    import openpyxl

    out = tmp_path / "stale.xlsx"
    # the example data ends 2024-12-31: three months later every trend month of 2025 is empty
    args = ["report", str(EX / "sales.csv"), "-o", str(out), "--as-of", "2025-03-31"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    stale, empty = _warnings(result.stderr)
    assert stale == (
        "crmkit: warning: the as-of date 2025-03-31 is 90 days after the last purchase (2024-12-31): the figures "
        "describe a period without purchases; check the as-of date (as_of, --as-of) or whether the export is complete"
    )
    assert empty.startswith("crmkit: warning: no purchases in 2025-01, 2025-02, 2025-03 (of the 12 months")
    overview = openpyxl.load_workbook(out)["Overview"]
    assert overview["A1"].value.startswith("Warning: the as-of date 2025-03-31 is 90 days after the last purchase")
    assert overview["A3"].value.startswith("Warning: no purchases in 2025-01, 2025-02, 2025-03")
    assert overview["A5"].value == "This month: 2025-03-01 to 2025-03-31"
    assert overview["B7"].value == 0  # the month's revenue: nothing was bought
    assert overview["B6"].value.date() == date(2025, 3, 31)  # the key values follow the notes

    check_dir = tmp_path / "check"
    check_dir.mkdir()
    check = runner.invoke(
        app, ["report", str(EX / "sales.csv"), "-o", str(check_dir / "r.xlsx"), "--as-of", "2025-03-31", "--check"]
    )
    assert check.exit_code == 0, check.stderr  # a warning is no failure
    assert len(_warnings(check.stderr)) == 2
    assert "crmkit: check passed with 2 warning(s):" in check.stderr
    assert list(check_dir.iterdir()) == []

    # on the last purchase date nothing is flagged, and the Overview starts with its title
    fresh = runner.invoke(app, ["report", str(EX / "sales.csv"), "-o", str(tmp_path / "fresh.xlsx")])
    assert fresh.exit_code == 0 and _warnings(fresh.stderr) == []
    assert openpyxl.load_workbook(tmp_path / "fresh.xlsx")["Overview"]["A1"].value.startswith("This month")


@pytest.mark.slow
def test_stale_days_from_the_config_and_zh_notes(tmp_path):
    import openpyxl

    config = _config(tmp_path, 'as_of = "2025-01-20"\nlang = "zh"\n[report]\nstale_days = 10')
    result = runner.invoke(app, ["report", "--config", str(config)])
    assert result.exit_code == 0, result.stderr
    assert any("20 days after the last purchase (2024-12-31)" in line for line in _warnings(result.stderr))
    overview = openpyxl.load_workbook(tmp_path / "out" / "crm-2025-01.xlsx").worksheets[0]  # 概览
    assert overview["A1"].value.startswith("提示: 分析日期 2025-01-20 距最后一笔购买（2024-12-31）已 20 天")
    assert overview["A3"].value.startswith("提示: 2025-01 没有购买记录")
    # the default 45 days: 20 days late is not stale, but January still has no purchase
    config = _config(tmp_path, 'as_of = "2025-01-20"')
    result = runner.invoke(app, ["report", "--config", str(config), "--check"])
    assert result.exit_code == 0, result.stderr
    assert [line[:40] for line in _warnings(result.stderr)] == ["crmkit: warning: no purchases in 2025-01"]


@pytest.mark.slow
def test_a_month_without_purchases_in_the_trend_warns(tmp_path):
    with open(EX / "sales.csv", newline="", encoding="utf-8") as source:
        rows = list(csv.reader(source))
    header, body = rows[0], rows[1:]
    day = header.index("order_date")
    gap = tmp_path / "gap.csv"
    with open(gap, "w", newline="", encoding="utf-8") as sink:
        csv.writer(sink).writerows([header] + [row for row in body if not row[day].startswith("2024-06")])
    result = runner.invoke(app, ["report", str(gap), "-o", str(tmp_path / "gap.xlsx"), "--check"])
    assert result.exit_code == 0, result.stderr
    assert _warnings(result.stderr) == [
        "crmkit: warning: no purchases in 2024-06 (of the 12 months up to the as-of date): check the export"
    ]


def test_report_section_is_checked(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text('sales = "x.csv"\noutput = "y.xlsx"\n[report]\ncustomers = "some"\n')
    with pytest.raises(ConfigError, match=r"report\.customers must be all, none or top:N"):
        load_config(str(bad))
    bad.write_text('sales = "x.csv"\noutput = "y.xlsx"\n[report]\nstale_days = -1\n')
    with pytest.raises(ConfigError, match="stale_days"):
        load_config(str(bad))
    bad.write_text('sales = "x.csv"\noutput = "y.xlsx"\n[report]\nstale_days = 30\ncustomers = "top:500"\n')
    assert load_config(str(bad)).report == {"stale_days": 30, "customers": "top:500"}


def test_clv_interval_window_and_spend_model_keys(tmp_path):
    """Issue 15's [clv] keys load as written and are type-checked like the others."""
    path = tmp_path / "c.toml"
    path.write_text(
        'sales = "x.csv"\noutput = "y.xlsx"\n[clv]\ninterval = 0.9\nwindow = "1y-3y"\nspend_model = "normal"\n'
    )
    assert load_config(str(path)).clv == {"interval": 0.9, "window": "1y-3y", "spend_model": "normal"}
    path.write_text('sales = "x.csv"\noutput = "y.xlsx"\n[clv]\ninterval = "ninety"\n')
    with pytest.raises(ConfigError, match="interval"):
        load_config(str(path))
