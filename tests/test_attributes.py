"""The customer-attributes reader (crmkit.io.attributes) and the province rule (crmkit.io.regions).

Every case is a tiny members export worked out by hand in its comments; ages are at a fixed as-of day.
"""

from __future__ import annotations

import io
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ColumnError, InputError, UsageError
from crmkit.io.attributes import (
    DEFAULT_AGE_BANDS,
    _ages,
    age_at,
    anniversary,
    band_labels,
    parse_age_bands,
    read_attributes,
)
from crmkit.io.regions import PROVINCES, province_of

AS_OF = date(2024, 6, 15)


def write(path, text: str, encoding: str = "utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)


def frame_of(**columns) -> pd.DataFrame:
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})


def records(found, *columns):
    """The frame's rows as plain Python (None for NA/NaT, dates as ISO text)."""
    out = []
    for row in found.frame[list(columns)].itertuples(index=False):
        out.append(
            tuple(
                None
                if pd.isna(v)
                else v.date().isoformat()
                if isinstance(v, pd.Timestamp)
                else int(v)
                if isinstance(v, np.integer)
                else v
                for v in row
            )
        )
    return out


# --- regions ---------------------------------------------------------------------------------------


def test_provinces_are_the_34_divisions_and_orders_uses_the_same_tuple():
    from crmkit.io.platforms import orders

    assert len(PROVINCES) == len(set(PROVINCES)) == 34
    assert orders.PROVINCES is PROVINCES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("浙江省", "浙江"),
        ("浙江", "浙江"),
        ("浙江省杭州市西湖区文三路1号", "浙江"),
        ("  浙江杭州市", "浙江"),
        ("内蒙古自治区", "内蒙古"),
        ("广西壮族自治区", "广西"),
        ("香港特别行政区", "香港"),
        ("上海市", "上海"),
        ("中国浙江省", "浙江"),
        ("杭州市 西湖区", "杭州市"),  # no province first: the first word, as the SQL rule
        ("Zhejiang", "浙江"),
        ("zhejiang province", "浙江"),
        ("Inner Mongolia Autonomous Region", "内蒙古"),
        ("Hong Kong SAR", "香港"),
        ("Shaanxi", "陕西"),
        ("Shanxi", "山西"),
        ("Ontario", "Ontario"),
        ("New  South Wales", "New South Wales"),  # not its first word
        ("", None),
        ("   ", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_province_of(text, expected):
    assert province_of(text) == expected


def test_province_of_agrees_with_the_platform_sql_on_chinese_text():
    import duckdb

    from crmkit.io.platforms.orders import _region

    texts = ["浙江省杭州市", "内蒙古自治区呼和浩特", "香港特别行政区", "杭州市 西湖区", "黑龙江省"]
    con = duckdb.connect()
    got = [con.execute(f"SELECT {_region('?', 'cn_province').replace('?', '$1')}", [t]).fetchall()[0][0] for t in texts]
    assert got == [province_of(t) for t in texts]


# --- the Chinese and the English export ------------------------------------------------------------


CHINESE = """会员卡号,性别,出生日期,省份,城市,注册日期,会员等级,来源渠道
V001,女,1990-06-15,浙江省,杭州市,2020-01-05,金卡,小程序
V002,男,1990/6/16,广东,深圳,2021年3月5日,银卡,门店
V003,保密,19900614,浙江省杭州市西湖区,杭州,20220710,金卡, 天猫
V004,F,2000-02-29,内蒙古自治区,呼和浩特市,45356,普通,
"""


def test_a_chinese_gb18030_export(tmp_path):
    found = read_attributes(write(tmp_path / "members.csv", CHINESE, "gb18030"), as_of=AS_OF)
    assert found.columns == {
        "customer_id": "会员卡号",
        "gender": "性别",
        "birth_date": "出生日期",
        "province": "省份",
        "city": "城市",
        "join_date": "注册日期",
        "tier": "会员等级",
        "source_channel": "来源渠道",
    }
    assert found.present == tuple(found.columns)
    assert list(found.frame.columns) == [
        "customer_id", "gender", "birth_date", "age", "age_band", "province", "city", "join_date", "tier",
        "source_channel",
    ]  # fmt: skip
    assert records(found, *found.frame.columns) == [
        # 34 on the day (15 June), 33 the day before the 16 June birthday, 34 since 14 June
        ("V001", "female", "1990-06-15", 34, "25-34", "浙江", "杭州", "2020-01-05", "金卡", "小程序"),
        ("V002", "male", "1990-06-16", 33, "25-34", "广东", "深圳", "2021-03-05", "银卡", "门店"),
        ("V003", None, "1990-06-14", 34, "25-34", "浙江", "杭州", "2022-07-10", "金卡", "天猫"),
        # born 29 Feb 2000: 24 on 15 June 2024; Excel serial 45356 is 5 March 2024
        ("V004", "female", "2000-02-29", 24, "18-24", "内蒙古", "呼和浩特", "2024-03-05", "普通", None),
    ]
    q = found.quality
    assert (q.rows_read, q.rows_used, q.rows_dropped, q.as_of) == (4, 4, 0, AS_OF)
    assert q.unknown == {} and q.unreadable == {} and found.notes == []  # 保密 is no unknown value
    assert found.frame["age"].dtype == "Int64"
    assert list(found.frame["age_band"].cat.categories) == band_labels(DEFAULT_AGE_BANDS)


def test_an_english_export_with_bom(tmp_path):
    text = (
        "\ufeffCustomer ID,Sex,Date of Birth,Region,City,Member Since,Membership Level,Acquisition Channel\n"
        "C1,Male,15 Jun 1990,Ontario,Toronto,2023-01-02 10:30:00,Gold,Web\n"
        "C2,woman,1990-06-16,Zhejiang Province,Hangzhou,2023/1/3,Silver,Store\n"
    )
    found = read_attributes(write(tmp_path / "members.csv", text), as_of=AS_OF)
    assert found.columns["gender"] == "Sex" and found.columns["join_date"] == "Member Since"
    assert records(found, "customer_id", "gender", "age", "province", "city", "join_date", "tier") == [
        ("C1", "male", 34, "Ontario", "Toronto", "2023-01-02", "Gold"),
        ("C2", "female", 33, "浙江", "Hangzhou", "2023-01-03", "Silver"),
    ]


def test_an_xlsx_export_with_date_cells_and_serials(tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["会员编号", "生日", "年龄", "入会日期"])
    sheet.append(["0012", dt.datetime(1990, 6, 2), None, dt.date(2024, 3, 5)])
    sheet.append([17850.0, 33026, None, "2024.3.5"])  # 33026 days after 1899-12-30 is 1990-06-02
    sheet.append(["0014", None, 41, None])
    book.save(tmp_path / "members.xlsx")
    found = read_attributes(str(tmp_path / "members.xlsx"), as_of=AS_OF)
    assert records(found, "customer_id", "birth_date", "age", "age_band", "join_date") == [
        ("0012", "1990-06-02", 34, "25-34", "2024-03-05"),  # leading zeros kept
        ("17850", "1990-06-02", 34, "25-34", "2024-03-05"),  # a float cell loses its .0
        ("0014", None, 41, "35-44", None),
    ]


def test_a_parquet_export(tmp_path):
    frame_of(member_id=["a", "b"], gender=["F", "M"]).to_parquet(tmp_path / "m.parquet")
    found = read_attributes(str(tmp_path / "m.parquet"))
    assert records(found, "customer_id", "gender") == [("a", "female"), ("b", "male")]


def test_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("客户编号,性别\nA,男\n".encode("gbk"))))
    found = read_attributes("-")
    assert found.quality.source == "<stdin>" and records(found, "customer_id", "gender") == [("A", "male")]


# --- normalisation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(v, "female") for v in ("女", "女性", "女士", "F", "f", "Female", "WOMAN", "w", "Ｆ")],  # Ｆ: full width
        *[(v, "male") for v in ("男", "男性", "先生", "M", "male", "Man", "mr.")],
        *[(v, "other") for v in ("其他", "Other", "non-binary")],
        ("1", "male"),  # GB/T 2261.1
        ("2", "female"),
    ],
)
def test_gender_spellings(value, expected):
    found = read_attributes(frame_of(id=["a"], gender=[value]))
    assert found.frame["gender"].tolist() == [expected]
    assert found.quality.unknown == {}


def test_gender_not_said_is_blank_and_anything_else_is_counted():
    values = ["未知", "保密", "unknown", "Unknown", "0", "9", "", None, "??", "??", "女的"]
    found = read_attributes(frame_of(id=[f"c{i}" for i in range(len(values))], gender=values))
    assert found.frame["gender"].isna().all()
    assert found.quality.unknown == {"gender": {"??": 2, "女的": 1}}
    (unknown,) = (n for n in found.notes if n.key == "attributes_unknown")
    assert unknown.params["attribute"] == "gender" and unknown.params["count"] == 3
    assert "'??' (2)" in unknown and "'女的' (1)" in unknown
    codes = next(n for n in found.notes if n.key == "attributes_gender_codes")
    assert codes.params["count"] == 2  # 0 and 9


@pytest.mark.parametrize(
    "text", ["2024-03-05", "2024/3/5", "2024.3.5", "2024年3月5日", "20240305", "45356", "2024-03-05 23:59:59"]
)
def test_join_date_formats(text):
    found = read_attributes(frame_of(id=["a"], 注册时间=[text]))
    assert records(found, "join_date") == [("2024-03-05",)]


def test_day_first_dates_are_decided_from_the_column():
    found = read_attributes(frame_of(id=["a", "b"], join_date=["13/01/2024", "02/03/2024"]))
    assert records(found, "join_date") == [("2024-01-13",), ("2024-03-02",)]
    assert not [n for n in found.notes if n.key == "attributes_month_first"]
    ambiguous = read_attributes(frame_of(id=["a"], join_date=["02/03/2024"]))
    assert records(ambiguous, "join_date") == [("2024-02-03",)]
    assert [n.params["attribute"] for n in ambiguous.notes if n.key == "attributes_month_first"] == ["join_date"]


def test_a_year_and_month_alone_is_the_first_of_the_month():
    found = read_attributes(frame_of(id=["a", "b"], 出生年月=["1990-06", "1990年7月"]), as_of=AS_OF)
    # 1 June 1990: 34 on 15 June 2024; 1 July 1990: 33
    assert records(found, "birth_date", "age") == [("1990-06-01", 34), ("1990-07-01", 33)]
    (note,) = (n for n in found.notes if n.key == "attributes_month_only")
    assert note.params == {"attribute": "birth_date", "column": "出生年月", "count": 2}


def test_city_loses_its_trailing_shi_and_text_is_trimmed():
    found = read_attributes(
        frame_of(id=["a", "b", "c"], 城市=["杭州市", "市", "沙市区"], 会员等级=[" 金卡\u3000", None, "v1"])
    )
    assert records(found, "city", "tier") == [("杭州", "金卡"), ("市", None), ("沙市区", "v1")]


# --- ages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "as_of", "age"),
    [
        (date(1990, 6, 15), date(2024, 6, 15), 34),  # birthday today
        (date(1990, 6, 14), date(2024, 6, 15), 34),  # yesterday
        (date(1990, 6, 16), date(2024, 6, 15), 33),  # tomorrow
        (date(2000, 2, 29), date(2023, 2, 27), 22),
        (date(2000, 2, 29), date(2023, 2, 28), 23),  # a common year: the birthday is 28 February
        (date(2000, 2, 29), date(2024, 2, 28), 23),  # a leap year: it is the 29th
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2024, 6, 15), date(2024, 6, 15), 0),
    ],
)
def test_age_at(birth, as_of, age):
    assert age_at(birth, as_of) == age
    assert _ages(np.array([birth], dtype="datetime64[D]"), as_of).tolist() == [age]


def test_anniversary():
    assert anniversary(date(2000, 2, 29), 2023) == date(2023, 2, 28)
    assert anniversary(date(2000, 2, 29), 2024) == date(2024, 2, 29)
    assert anniversary(date(2020, 7, 1), 2025) == date(2025, 7, 1)


def test_ages_from_an_age_column_and_birth_dates_first():
    found = read_attributes(
        frame_of(
            id=list("abcdefgh"),
            出生日期=["1990-06-15", None, None, None, None, None, "2030-01-01", "1990-13-45"],
            年龄=["20", "35岁", "35.9", "150", "-3", "三十", None, "40"],
        ),
        as_of=AS_OF,
    )
    assert records(found, "age", "age_band") == [
        (34, "25-34"),  # the birth date wins over the stated 20
        (35, "35-44"),
        (35, "35-44"),  # 35 years completed
        (None, None),  # 150: unknown
        (None, None),  # -3: unknown
        (None, None),  # 三十: unreadable
        (None, None),  # born after as-of: unknown; no age to fall back on
        (40, "35-44"),  # an impossible birth date (unreadable): the age column
    ]
    q = found.quality
    assert q.unknown == {"birth_date": {"2030-01-01": 1}, "age": {"-3": 1, "150": 1}}
    # file rows: the header is no row of a table, so record k is row 1 + k (the frame's first record is row 1)
    assert q.unreadable == {"birth_date": (1, 8), "age": (1, 6)}
    assert {n.key for n in found.notes} == {"attributes_unknown", "attributes_unreadable"}


def test_birth_dates_giving_ages_over_120_are_unknown():
    births = ["1904-06-15", "1903-06-16", "1903-06-15", "1890-01-01"]
    found = read_attributes(frame_of(id=list("abcd"), dob=births), as_of=AS_OF)
    # 120 on the day, 120 until tomorrow, 121 since today: unknown, like 134
    assert records(found, "birth_date", "age") == [("1904-06-15", 120), ("1903-06-16", 120), (None, None), (None, None)]
    assert found.quality.unknown == {"birth_date": {"1890-01-01": 1, "1903-06-15": 1}}


def test_without_as_of_birth_dates_give_no_ages():
    found = read_attributes(frame_of(id=["a"], birthday=["1990-01-01"]))
    assert "age" not in found.frame and records(found, "birth_date") == [("1990-01-01",)]
    assert [n.key for n in found.notes] == ["attributes_no_as_of"]
    with_age = read_attributes(frame_of(id=["a"], birthday=["1990-01-01"], age=["30"]))
    assert records(with_age, "age") == [(30,)]  # the age column as exported


# --- age bands -------------------------------------------------------------------------------------


def test_band_labels_and_custom_bands():
    assert band_labels(DEFAULT_AGE_BANDS) == ["<18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    assert band_labels((20, 21, 40)) == ["<20", "20", "21-39", "40+"]
    assert parse_age_bands(" 20, 40 ") == parse_age_bands([20.0, 40]) == (20, 40)
    ages = ["0", "17", "18", "19", "39", "40", "120"]
    found = read_attributes(frame_of(id=ages, age=ages), age_bands="18,40")
    assert found.frame["age_band"].astype(str).tolist() == ["<18", "<18", "18-39", "18-39", "18-39", "40+", "40+"]
    assert found.age_bands == (18, 40)


@pytest.mark.parametrize("bad", ["25,18", "18,18", "", "a,b", [0, 10], [18, 130], [18.5], [True]])
def test_bad_age_bands(bad):
    with pytest.raises(UsageError, match="age bands"):
        parse_age_bands(bad)
    with pytest.raises(UsageError):
        read_attributes(frame_of(id=["a"]), age_bands=bad)


# --- ids, rows and columns -------------------------------------------------------------------------


def test_duplicates_and_missing_ids_are_counted():
    found = read_attributes(
        frame_of(
            会员编号=["A", None, "B", "A", " ", "17850.0", "17850", "B"],
            性别=["女", "男", "男", "男", "女", "女", "男", "女"],
        )
    )
    # A first as female, B first as male; 17850.0 is 17850, so the second 17850 repeats it
    assert records(found, "customer_id", "gender") == [("A", "female"), ("B", "male"), ("17850", "female")]
    q = found.quality
    assert q.dropped == {"missing_customer_id": 2, "duplicate_customer_id": 3, "total_row": 0}
    assert q.rows_read == q.rows_used + q.rows_dropped == 8
    assert "dropped 5" in q.one_line()
    assert "attributes_total_row" not in {n.key for n in found.notes}


def test_a_closing_total_row_is_counted(tmp_path):
    # four file rows: two members, a 合计 row and a Total row closing the export; 合计 in the middle is a member
    path = write(tmp_path / "members.csv", "会员编号,性别\nA,女\n合计,男\nB,男\n合计,\nTotal:,2\n")
    found = read_attributes(path)
    assert records(found, "customer_id", "gender") == [("A", "female"), ("合计", "male"), ("B", "male")]
    q = found.quality
    assert q.dropped == {"missing_customer_id": 0, "duplicate_customer_id": 0, "total_row": 2}
    assert q.rows_read == q.rows_used + q.rows_dropped == 5
    assert "dropped 2 (total row 2)" in q.one_line()
    note = next(n for n in found.notes if n.key == "attributes_total_row")
    assert note == "2 total row(s) dropped (合计 / Total)" and note.params == {"count": 2}
    one = read_attributes(frame_of(customer_id=["A", "B", "合计"], gender=["F", "M", None]))
    assert (one.quality.rows_read, one.quality.rows_used, one.quality.dropped["total_row"]) == (3, 2, 1)
    assert "1 total row(s) dropped" in one.notes[0]


def test_wide_members_file_reads_like_a_narrow_one(tmp_path):
    # past WIDE_SURVEY columns the cells are cleaned in pandas: the same values, and the total row still counted
    from crmkit.io.inputs import WIDE_SURVEY

    extra = [f"x{i}" for i in range(WIDE_SURVEY)]
    rows = [
        "customer_id,gender," + ",".join(extra),
        " A ,F," + ",".join("1" * len(extra)),
        "合计,," + "," * (len(extra) - 1),
    ]
    found = read_attributes(write(tmp_path / "wide.csv", "\n".join(rows) + "\n"))
    assert records(found, "customer_id", "gender") == [("A", "female")]
    assert found.quality.dropped["total_row"] == 1


def test_by_columns():
    members = frame_of(
        客户编号=["a", "b"], 会员等级=["金", "银"], Store=["North", "South"], city=["x", "y"], 城市=["杭州", "宁波"]
    )
    found = read_attributes(members, by=["store", "会员等级", "tier", "city"])
    # "store" matches the Store header; 会员等级 is the tier column; the header "city" is not the
    # city role's (城市 is), so it is a column of its own beside the frame's city
    assert found.by == {"store": "Store", "会员等级": "tier", "tier": "tier", "city": "city (by)"}
    assert records(found, "Store", "tier", "city", "city (by)") == [
        ("North", "金", "杭州", "x"),
        ("South", "银", "宁波", "y"),
    ]
    assert read_attributes(members, by="Store, Store").by == {"Store": "Store"}
    aged = read_attributes(frame_of(id=["a"], age=["30"]), by="age_band")
    assert aged.by == {"age_band": "age_band"}
    with pytest.raises(ColumnError, match="'segment'") as error:
        read_attributes(members, by=["segment"])
    assert error.value.column == "segment" and "Store" in error.value.hint
    with pytest.raises(ColumnError, match="'age_band'"):  # no age in this file
        read_attributes(members, by=["age_band"])


def test_a_file_without_an_id_column_or_rows(tmp_path):
    with pytest.raises(ColumnError, match="customer id") as error:
        read_attributes(write(tmp_path / "a.csv", "性别,年龄\n女,30\n"))
    assert "性别" in error.value.hint
    with pytest.raises(InputError, match="header but no rows"):
        read_attributes(write(tmp_path / "b.csv", "会员编号,性别\n"))
    with pytest.raises(InputError, match="header but no rows"):  # a total row alone is no member
        read_attributes(write(tmp_path / "t.csv", "会员编号,性别\n合计,\n"))
    with pytest.raises(UsageError, match="as_of"):
        read_attributes(write(tmp_path / "c.csv", "会员编号,性别\nA,女\n"), as_of="yesterday")


def test_unreadable_dates_are_counted_with_the_first_row(tmp_path):
    text = "member_id,signup_date\nA,2024-01-01\nB,not a date\nC,\nD,2024-02-30\nE,2024-02-29\n"
    found = read_attributes(write(tmp_path / "m.csv", text))
    assert records(found, "join_date") == [("2024-01-01",), (None,), (None,), (None,), ("2024-02-29",)]
    # file rows: header on line 1, B on line 3; 2024-02-30 is no day either
    assert found.quality.unreadable == {"join_date": (2, 3)}
    (note,) = found.notes
    assert note.key == "attributes_unreadable"
    assert note.params == {"attribute": "join_date", "column": "signup_date", "count": 2, "row": 3}


# --- properties ------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.dates(date(1880, 1, 1), date(2030, 12, 31)),
    st.dates(date(1880, 1, 1), date(2030, 12, 31)),
    st.dates(date(2000, 1, 1), date(2030, 12, 31)),
)
def test_age_is_monotone_in_the_birth_date(first, second, as_of):
    early, late = sorted((first, second))
    assert age_at(early, as_of) >= age_at(late, as_of)
    ages = _ages(np.array([early, late], dtype="datetime64[D]"), as_of).tolist()
    assert ages == [age_at(early, as_of), age_at(late, as_of)]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.dates(date(1880, 1, 1), date(2030, 12, 31)), min_size=1, max_size=8))
def test_read_ages_are_in_range_or_unknown_and_monotone(births):
    as_of = date(2024, 6, 15)
    texts = [b.isoformat() for b in births]
    found = read_attributes(frame_of(id=[str(i) for i in range(len(births))], dob=texts), as_of=as_of)
    ages = found.frame["age"].tolist()
    for birth, age in zip(births, ages):
        expected = age_at(birth, as_of) if birth <= as_of else None
        assert (None if pd.isna(age) else age) == (expected if expected is not None and expected <= 120 else None)
    known = sorted((b, a) for b, a in zip(births, ages) if not pd.isna(a))
    assert all(0 <= a <= 120 for _, a in known)
    assert all(x[1] >= y[1] for x, y in zip(known, known[1:]))
    q = found.quality
    assert q.rows_used == len(births) and sum(q.unknown.get("birth_date", {}).values()) == sum(map(pd.isna, ages))
