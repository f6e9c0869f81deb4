"""The library's notes and warnings carry a key, and a report shows them in its own language (issue 10)."""

from __future__ import annotations

import copy
import json
import pickle
import re
from pathlib import Path

import openpyxl
import pytest

from crmkit.clv import customer_lifetime_value
from crmkit.io.purchases import read_purchases
from crmkit.io.quality import Message
from crmkit.report.i18n import LABELS, label, message, sentence
from crmkit.report.sheets import write_report

EX = Path(__file__).resolve().parents[1] / "examples"
#: English words of three letters or more, once the 「」-marked options and user values are taken out.
_ENGLISH = re.compile(r"[A-Za-z]{3,}")


def _english_left(text: str) -> set[str]:
    return set(_ENGLISH.findall(re.sub(r"「[^」]*」", "", text))) - {"CLV", "Gamma", "NBD", "RFM"}


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reader_notes(tmp_path_factory) -> list[Message]:
    """A read that makes every note the reader writes: amount from qty x price, decimal comma,
    month-first dates, return statuses."""
    folder = tmp_path_factory.mktemp("notes")
    rows = ["id;datum;Qty;Price;state"]
    for n in range(1, 13):
        rows.append(f"C{n:02d};0{n % 9 + 1}/0{n % 9 + 1}/2024;{n};1.234,50;{'Storno' if n == 3 else 'ok'}")
    path = _csv(folder, "export.csv", "\n".join(rows) + "\n")
    columns = {"customer_id": "id", "date": "datum", "quantity": "Qty", "unit_price": "Price", "status": "state"}
    return read_purchases(str(path), columns=columns).quality.notes


def test_reader_notes_are_messages_that_read_as_before(reader_notes):
    by_key = {note.key: note for note in reader_notes}
    assert set(by_key) == {"amount_from_price", "decimal_comma", "month_first", "return_statuses"}
    assert by_key["amount_from_price"] == "amount computed as Qty x Price"
    assert by_key["amount_from_price"].params == {"quantity": "Qty", "unit_price": "Price"}
    assert by_key["return_statuses"] == "statuses read as returns/cancellations: Storno"
    for note in reader_notes:
        assert isinstance(note, str)
        # the English template of the catalogue is the library's own sentence
        assert message(note, "en") == note
        zh = message(note, "zh")
        assert zh != note and not _english_left(zh), zh
    assert "「Qty」×「Price」" in message(by_key["amount_from_price"], "zh")
    assert "「Storno」" in message(by_key["return_statuses"], "zh")


def test_a_message_survives_pickle_copy_and_json():
    note = Message("only 3 repeat buyer(s)", "clv_too_few_repeat_buyers", buyers=3, model="bgnbd")
    for again in (pickle.loads(pickle.dumps(note)), copy.deepcopy(note)):
        assert type(again) is Message and again == note
        assert (again.key, dict(again.params)) == ("clv_too_few_repeat_buyers", {"buyers": 3, "model": "bgnbd"})
    assert json.loads(json.dumps({"warnings": [note]})) == {"warnings": ["only 3 repeat buyer(s)"]}


def test_sentence_shows_key_families_by_label_and_never_raises():
    zh = sentence("msg:clv_too_few_repeat_buyers", "zh", buyers=1234, model="bgnbd")
    assert zh.startswith("复购客户仅 1,234 位，不足以拟合 BG/NBD 模型")
    # a parameter missing: the English template cannot be filled in either, the key is shown
    assert sentence("msg:clv_too_few_repeat_buyers", "zh", buyers=3) == "msg:clv_too_few_repeat_buyers"
    assert message(Message("some new warning", "not_catalogued"), "zh") == "some new warning"
    assert message("plain text", "zh") == "plain text"


def test_every_message_template_has_both_languages():
    keys = [key for key in LABELS if key.startswith("msg:")]
    assert len(keys) >= 13
    for key in keys:
        entry = LABELS[key]
        assert set(entry) == {"en", "zh"}, key
        placeholders = {p.split(":")[0].split("!")[0] for p in re.findall(r"\{([^}]*)\}", entry["en"])}
        used = {p.split(":")[0] for p in re.findall(r"\{([^}]*)\}", entry["zh"])}
        assert used <= placeholders, key  # zh may leave a detail out (an English reason), never invent one
        params = dict.fromkeys(placeholders, 1)
        assert not _english_left(sentence(key, "zh", **params)), key


def test_clv_warnings_in_a_zh_workbook(tmp_path):
    """Few repeat buyers and no margin: each warning a Message, the CLV model sheet in Chinese."""
    lines = ["customer_id,date,amount"]
    lines += [f"C{n},2024-0{1 + n % 6}-1{n % 9},{10 + n}" for n in range(30)]
    lines += ["C1,2024-07-01,12", "C2,2024-07-02,15"]  # two repeat buyers: too few to fit
    data = read_purchases(str(_csv(tmp_path, "few.csv", "\n".join(lines) + "\n")))
    result = customer_lifetime_value(data)
    keys = [w.key for w in result.warnings]
    assert "clv_no_margin" in keys and "clv_too_few_repeat_buyers" in keys and "clv_spend_too_few" in keys
    assert "no --margin and no margin column: CLV is in revenue, not profit" in result.warnings
    assert result.to_dict()["warnings"] == [str(w) for w in result.warnings]
    out = write_report(tmp_path / "clv_zh.xlsx", result, quality=data.quality, lang="zh")
    ws = openpyxl.load_workbook(out)[label("sheet:clv_model", "zh")]
    # the block's title "提示" is the rows' label too: the rows are those with a value
    shown = [row[1] for row in ws.iter_rows(values_only=True) if row[0] == label("warning", "zh") and row[1]]
    assert shown == [message(w, "zh") for w in result.warnings]
    assert "未指定「--margin」，数据中也没有毛利列：客户终身价值按销售额计算，不是利润" in shown
    assert any(s.startswith("复购客户仅 2 位，不足以拟合 BG/NBD 模型") for s in shown), shown
    assert not any(_english_left(s) for s in shown), shown


def test_reader_notes_on_the_zh_data_quality_sheet(tmp_path):
    data = read_purchases(str(EX / "sales.csv"))
    result = customer_lifetime_value(data, margin=0.3)
    assert not result.warnings  # a margin given: nothing to warn about on this data
    out = write_report(tmp_path / "dq.xlsx", result, quality=data.quality, lang="zh")
    ws = openpyxl.load_workbook(out)[label("sheet:data_quality", "zh")]
    notes = [row[1] for row in ws.iter_rows(values_only=True) if row[0] == label("note", "zh")]
    assert notes == ["以下订单状态按退货/取消处理：「returned」"]
    en = openpyxl.load_workbook(write_report(tmp_path / "dq_en.xlsx", result, quality=data.quality, lang="en"))
    rows = en[label("sheet:data_quality", "en")].iter_rows(values_only=True)
    assert [row[1] for row in rows if row[0] == "Note"] == ["statuses read as returns/cancellations: returned"]
