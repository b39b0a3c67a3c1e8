"""Where a unit sits: province, city and district from its name, and the dashboard region."""

from __future__ import annotations

import re

PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省",
    "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省",
    "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
    "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区",
)
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
# Cities with their own budget line (计划单列市): the dashboard groups them by city.
SEPARATE_PLAN_CITIES = ("深圳市", "大连市", "青岛市", "宁波市", "厦门市")

# Prefecture-level city -> province (extended in places_data.py).
CITY_PROVINCE: dict[str, str] = {}
# County-level unit (区/县/县级市) -> prefecture-level city.
COUNTY_CITY: dict[str, str] = {}

try:  # the gazetteer is data, kept apart from the rules
    from .places_data import CITY_PROVINCE as _CP, COUNTY_CITY as _CC

    CITY_PROVINCE.update(_CP)
    COUNTY_CITY.update(_CC)
except ImportError:  # pragma: no cover - the data module ships with the package
    pass

for _m in MUNICIPALITIES:
    CITY_PROVINCE.setdefault(_m, _m)


def short(name: str | None) -> str | None:
    """广东省 -> 广东, 深圳市 -> 深圳, 广西壮族自治区 -> 广西."""
    if not name:
        return None
    for suffix in ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _find_first(text: str, names) -> str | None:
    best = None
    for n in names:
        i = text.find(n)
        if i < 0:
            i = text.find(short(n)) if short(n) and len(short(n)) >= 2 else -1
        if i >= 0 and (best is None or i < best[0] or (i == best[0] and len(n) > len(best[1]))):
            best = (i, n)
    return best[1] if best else None


def locate(text: str | None) -> tuple[str | None, str | None, str | None]:
    """(province, city, district) named in a unit name or title such as 深圳市龙岗区卫生健康局."""
    if not text:
        return None, None, None
    s = re.sub(r"\s+", "", text)
    province = _find_first(s, PROVINCES)
    city = _find_first(s, [c for c in CITY_PROVINCE if c not in MUNICIPALITIES])
    district = _find_first(s, list(COUNTY_CITY))
    if district and not city:
        city = COUNTY_CITY[district]
    if province in MUNICIPALITIES:
        city = province
    if city and not province:
        province = CITY_PROVINCE.get(city)
    if province in MUNICIPALITIES and not city:
        city = province
    if district is None:
        m = re.search(r"([\u4e00-\u9fff]{1,4}?(?:区|县))", s.split(city or "\0")[-1] if city else s)
        if m and city:
            district = m.group(1)
    return province, city, district


def region_of(province: str | None, city: str | None) -> str | None:
    """The dashboard grouping: city for 深圳 and 上海 (and peers), province otherwise."""
    if city and (city in MUNICIPALITIES or city in SEPARATE_PLAN_CITIES):
        return short(city)
    if province:
        return short(province)
    return short(city)
