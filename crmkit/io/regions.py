"""China's provincial divisions and the province a region or address names.

One rule serves the platform exports (:func:`crmkit.io.platforms.orders._region`, in SQL) and the
customer-attributes file (:func:`province_of`, in Python): a province reads as its short name
(GB/T 2260), so 浙江省, 浙江 and an address starting 浙江省杭州市… are one region wherever it comes from.
"""

from __future__ import annotations

import re
import unicodedata

#: China's provincial divisions by the short names addresses and reports use (GB/T 2260).
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
    "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古",
    "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)  # fmt: skip

#: The English (Hanyu Pinyin and customary) names of :data:`PROVINCES`, lower case, words split by one space.
#: Shanxi is 山西 and Shaanxi 陕西, as the official romanisations spell them apart.
ENGLISH_NAMES: dict[str, str] = {
    "beijing": "北京", "peking": "北京", "tianjin": "天津", "shanghai": "上海", "chongqing": "重庆",
    "hebei": "河北", "shanxi": "山西", "liaoning": "辽宁", "jilin": "吉林", "heilongjiang": "黑龙江",
    "jiangsu": "江苏", "zhejiang": "浙江", "anhui": "安徽", "fujian": "福建", "jiangxi": "江西",
    "shandong": "山东", "henan": "河南", "hubei": "湖北", "hunan": "湖南", "guangdong": "广东",
    "hainan": "海南", "sichuan": "四川", "guizhou": "贵州", "yunnan": "云南", "shaanxi": "陕西",
    "gansu": "甘肃", "qinghai": "青海", "taiwan": "台湾", "inner mongolia": "内蒙古", "nei mongol": "内蒙古",
    "neimenggu": "内蒙古", "nei menggu": "内蒙古", "guangxi": "广西", "tibet": "西藏", "xizang": "西藏",
    "ningxia": "宁夏", "xinjiang": "新疆", "hong kong": "香港", "hongkong": "香港", "macau": "澳门",
    "macao": "澳门",
}  # fmt: skip

_CHINESE = re.compile(r"^(?:中国|中华人民共和国)?\s*(" + "|".join(PROVINCES) + ")")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# longest names first, so "inner mongolia" is tried before a shorter name could match its start
_ENGLISH = re.compile(
    r"^(?:china\s+)?(" + "|".join(sorted(map(re.escape, ENGLISH_NAMES), key=len, reverse=True)) + r")(?:\s|$)"
)


def province_of(text: object) -> str | None:
    """The region a province name or an address gives: a Chinese province by its short name.

    The rule of the platform exports' SQL (:func:`crmkit.io.platforms.orders._region`), in Python,
    with two additions said here:

    * Chinese text names the province it starts with (``浙江省``, ``浙江``, ``浙江省杭州市西湖区…``
      → ``浙江``; ``内蒙古自治区`` → ``内蒙古``; ``香港特别行政区`` → ``香港``), after a leading
      ``中国`` if there is one; Chinese text that starts with no province keeps its first word, as
      the SQL rule does.
    * English names of the provinces read as the same Chinese short name, so one customer base
      exported in two languages has one region each: ``Zhejiang``, ``Zhejiang Province``,
      ``Inner Mongolia Autonomous Region``, ``Hong Kong SAR`` → ``浙江``, ``内蒙古``, ``香港``
      (case and punctuation aside; the name must be the text's first word or words).
    * Any other text (a region outside China, ``Ontario``, ``New South Wales``) stays as it is,
      its spaces collapsed: its first word alone would say nothing.

    Parameters
    ----------
    text : object
        A cell; ``None``, NaN and blank text give ``None``.

    Returns
    -------
    str or None

    Examples
    --------
    >>> province_of("浙江省杭州市西湖区"), province_of("Inner Mongolia"), province_of(" Ontario ")
    ('浙江', '内蒙古', 'Ontario')
    """
    if text is None or (isinstance(text, float) and text != text):  # NaN: a pandas blank
        return None
    value = unicodedata.normalize("NFKC", str(text)).strip()
    if not value:
        return None
    match = _CHINESE.match(value)
    if match:
        return match.group(1)
    if _CJK.search(value):
        return value.split()[0]
    words = " ".join(re.sub(r"[^a-z]+", " ", value.lower()).split())
    english = _ENGLISH.match(words)
    if english:
        return ENGLISH_NAMES[english.group(1)]
    return " ".join(value.split())
