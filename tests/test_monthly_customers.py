"""crmkit report's customer side: the Profile, Preferences and Care calendar sheets, and their config keys."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from crmkit.cli import app
from crmkit.errors import ConfigError
from crmkit.io.purchases import as_purchases
from crmkit.monthly.config import ReportConfig, load_config
from crmkit.monthly.customers import customer_analyses
from crmkit.report.i18n import label

runner = CliRunner()
EX = Path(__file__).resolve().parents[1] / "examples"
PROFILE_SHEETS = ("sheet:profile", "sheet:profile_mix", "sheet:profile_customers")


def _config(folder: Path, extra: str = "", sales: str = "sales.csv", attributes: bool = True) -> Path:
    path = folder / "crmkit.toml"
    members = f'attributes = "{EX / "customers.csv"}"\n' if attributes else ""
    path.write_text(f'sales = "{EX / sales}"\n{members}output = "out/crm.xlsx"\nas_of = "2024-12-31"\n{extra}\n')
    return path


@pytest.fixture
def sheet_calls(monkeypatch):
    """The sheets each customer-side sheet function adds, in call order.

    The sheet modules of preferences and care may not be there yet (they are written beside this
    one): a stand-in adds one sheet then, so the monthly wiring is tested either way.
    """
    calls: list[tuple[str, list[str]]] = []
    for name, function in (("preferences", "add_preferences_sheets"), ("care", "add_care_sheets")):
        module_name = f"crmkit.report.sheets.{name}"
        if importlib.util.find_spec(module_name) is None:
            stub = types.ModuleType(module_name)

            def add(book, result, *, customers=None, _key=f"stub:{name}"):
                book.add_key_values(_key, [("customers", customers)])

            setattr(stub, function, add)
            monkeypatch.setitem(sys.modules, module_name, stub)
        module = importlib.import_module(module_name)
        real = getattr(module, function)

        def recording(book, result, *, customers=None, _real=real, _name=name):
            before = list(book.sheet_titles)
            _real(book, result, customers=customers)
            calls.append((_name, [t for t in book.sheet_titles if t not in before]))

        monkeypatch.setattr(module, function, recording)
    return calls


def test_config_keys_are_read_and_resolved(tmp_path):
    (tmp_path / "members.csv").write_text("customer_id,gender\n1,F\n")
    path = tmp_path / "crmkit.toml"
    path.write_text(
        'sales = "s.csv"\noutput = "o.xlsx"\nattributes = "members.csv"\n'
        '[profile]\nby = ["tier", "city"]\n[care]\nwithin = 14\nkinds = "birthday,membership"\n'
    )
    config = load_config(str(path))
    assert config.attributes == str(tmp_path / "members.csv")
    assert config.profile == {"by": "tier,city"}
    assert config.care == {"within": 14, "kinds": "birthday,membership"}
    path.write_text('sales = "s.csv"\noutput = "o.xlsx"\n[care]\nwithin = "2m"\n')
    assert load_config(str(path)).care == {"within": "2m"} and load_config(str(path)).attributes is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[care]\nwithin = "soon"', r"'care\.within' must be a window"),
        ("[care]\nwithin = 400", r"'care\.within' must be a window of 1 to 366 days"),
        (
            '[care]\nkinds = "birthday,wedding"',
            r"'care\.kinds' takes birthday, membership, first_purchase, not 'wedding'",
        ),
        ("[care]\nkinds = []", r"'care\.kinds' must be names"),
        ("[profile]\nby = 5", r"'profile\.by' must be names"),
        ("[profile]\nclv = true", r"unknown key\(s\) profile\.clv.*\[profile\] takes by"),
        ("attributes = 3", r"'attributes' must be a string"),
    ],
)
def test_config_key_errors_name_the_key(tmp_path, extra, message):
    path = tmp_path / "crmkit.toml"
    path.write_text(f'sales = "s.csv"\noutput = "o.xlsx"\n{extra}\n')
    with pytest.raises(ConfigError, match=message):
        load_config(str(path))


def test_a_config_error_is_exit_6_naming_the_key(tmp_path):
    config = _config(tmp_path, '[care]\nwithin = "soon"')
    result = runner.invoke(app, ["report", "--config", str(config), "-q"])
    assert result.exit_code == 6, result.stderr
    assert "care.within" in result.stderr and not (tmp_path / "out").exists()


def test_a_missing_attributes_file_is_an_input_error(tmp_path):
    config = _config(tmp_path, attributes=False)
    result = runner.invoke(app, ["report", "--config", str(config), "--attributes", str(tmp_path / "no.csv"), "-q"])
    assert result.exit_code == 3, result.stderr
    assert "no.csv" in result.stderr and not (tmp_path / "out" / "crm.xlsx").exists()


def test_preferences_are_skipped_with_a_note_without_channel_category_or_product():
    rows = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "date": ["2024-01-05", "2024-02-01", "2024-01-20"],
            "amount": [10.0, 20.0, 5.0],
        }
    )
    side = customer_analyses(
        ReportConfig(sales="-", output="o.xlsx"), as_purchases(rows), pd.Timestamp("2024-02-29").date()
    )
    assert side.preferences is None and side.profile is None and side.care is None
    assert [note.key for note in side.notes] == ["monthly_preferences_skipped"]
    with_channel = as_purchases(rows.assign(channel=["app", "store", "app"]))
    side = customer_analyses(ReportConfig(sales="-", output="o.xlsx"), with_channel, pd.Timestamp("2024-02-29").date())
    assert side.preferences is not None and side.notes == []
    assert side.preferences.customers["main_channel"].tolist() == ["store", "app"]  # a: 20 in store, 10 in the app


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_workbook_gains_profile_preferences_and_care(tmp_path, sheet_calls, lang):
    import openpyxl

    config = _config(tmp_path, f'lang = "{lang}"\n[profile]\nby = "tier"\n[care]\nwithin = "30d"')
    result = runner.invoke(app, ["report", "--config", str(config), "-q"])
    assert result.exit_code == 0, result.stderr
    names = openpyxl.load_workbook(tmp_path / "out" / "crm.xlsx", read_only=True).sheetnames
    added = dict(sheet_calls)
    assert list(added) == ["preferences", "care"] and all(added.values())
    profile = [label(key, lang) for key in PROFILE_SHEETS]
    retention = label("sheet:retention", lang)
    # after every other analysis' sheets: Profile, then Preferences, then Care calendar
    expected = profile + added["preferences"] + added["care"]
    assert names[names.index(retention) + 1 :][: len(expected)] == expected
    assert names[0] == label("sheet:overview", lang)


@pytest.mark.slow
def test_without_attributes_no_profile_or_care_but_preferences(tmp_path, sheet_calls):
    import openpyxl

    from crmkit.monthly.run import report

    config = _config(tmp_path, attributes=False)
    found = report(config=str(config))
    assert found.profile is None and found.care is None and found.preferences is not None
    assert found.preferences.skipped == ("product", "hour", "discount")  # sales.csv: channel and category
    names = openpyxl.load_workbook(tmp_path / "out" / "crm.xlsx", read_only=True).sheetnames
    assert not {label(key, "en") for key in PROFILE_SHEETS} & set(names)
    assert [name for name, _ in sheet_calls] == ["preferences"]
    assert set(dict(sheet_calls)["preferences"]) <= set(names)


@pytest.mark.slow
def test_baskets_with_the_attributes_flag_keep_product_hour_and_discount(tmp_path, sheet_calls):
    from crmkit.monthly.run import report

    found = report(
        str(EX / "baskets.csv"),
        str(tmp_path / "crm.xlsx"),
        attributes=str(EX / "customers.csv"),
        as_of="2024-12-31",
        check=True,
    )
    assert found.preferences is not None and found.preferences.skipped == ()
    assert found.profile is not None and found.care is not None
    assert found.care.as_of.isoformat() == "2024-12-31" and found.care.within_days == 30
    # the profile's mean CLV is the run's own CLV, not a second fit
    clv = found.clv.customers.set_index("customer_id")["clv"]
    rows = found.profile.customers.set_index("customer_id")
    assert rows["clv"].astype(float).round(9).equals(clv.reindex(rows.index).astype(float).round(9))
    assert not (tmp_path / "crm.xlsx").exists() and sheet_calls == []  # --check writes nothing
