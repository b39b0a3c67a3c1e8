"""Where a unit sits: province, city and district from its name, and the dashboard region."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .places_data import CITY_PROVINCE as _CITY_PROVINCE
from .places_data import COUNTY_CITIES as _COUNTY_CITIES
from .places_data import PROVINCE_DIRECT
from .vocab import simplified

PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省",
    "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省",
    "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
    "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区",
)  # fmt: skip
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
# Cities with their own budget line (计划单列市): the dashboard groups them by city.
SEPARATE_PLAN_CITIES = ("深圳市", "大连市", "青岛市", "宁波市", "厦门市")

# Prefecture-level unit -> province (municipalities map to themselves).
CITY_PROVINCE: dict[str, str] = {**_CITY_PROVINCE, **{m: m for m in MUNICIPALITIES}}
# County-level unit (区/县/县级市/旗) -> every prefecture-level unit with one of that name.
COUNTY_CITIES: dict[str, tuple[str, ...]] = dict(_COUNTY_CITIES)
# County-level unit -> its first prefecture-level unit (kept for callers that want one answer).
COUNTY_CITY: dict[str, str] = {county: cities[0] for county, cities in COUNTY_CITIES.items()}

# A county-level name this short is also a common word (城区, 郊区, 矿区, 和县): it counts only
# when it opens the text or directly follows another place name.
MIN_FREE_COUNTY_LEN = 3
# Peoples named in 自治州 names; stripping them gives the short form people write (延边, 湘西).
_PEOPLES = (
    "朝鲜族", "土家族", "苗族", "侗族", "布依族", "藏族", "羌族", "彝族", "壮族", "哈尼族", "傣族",
    "白族", "傈僳族", "景颇族", "蒙古族", "回族", "哈萨克", "柯尔克孜", "蒙古",
)  # fmt: skip
_PEOPLES_SUFFIX = re.compile("(?:" + "|".join(_PEOPLES) + ")+自治州$")
_WS = re.compile(r"[\s\u3000]+")


def short(name: str | None) -> str | None:
    """广东省 -> 广东, 深圳市 -> 深圳, 广西壮族自治区 -> 广西."""
    if not name:
        return None
    for suffix in ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _city_alias(name: str) -> str | None:
    """The short form of a prefecture-level name: 长沙市 -> 长沙, 延边朝鲜族自治州 -> 延边."""
    alias = _PEOPLES_SUFFIX.sub("", name)
    if alias == name:
        for suffix in ("地区", "盟", "市"):
            if name.endswith(suffix):
                alias = name[: -len(suffix)]
                break
    return alias if len(alias) >= 2 and alias != name else None


@dataclass(frozen=True)
class Place:
    """One reading of a place name: its level and the province and city it belongs to."""

    level: str  # "province", "city" or "county"
    name: str
    province: str
    city: str | None
    strong: bool  # the full name (深圳市), not a short form (深圳)


def _build_index() -> dict[str, tuple[Place, ...]]:
    index: dict[str, list[Place]] = {}

    def add(key: str | None, place: Place) -> None:
        if key:
            index.setdefault(key, []).append(place)

    for p in PROVINCES:
        city = p if p in MUNICIPALITIES else None
        add(p, Place("province", p, p, city, True))
        if short(p) != p:
            add(short(p), Place("province", p, p, city, False))
    for city, province in CITY_PROVINCE.items():
        if city in MUNICIPALITIES:
            continue
        add(city, Place("city", city, province, city, True))
        add(_city_alias(city), Place("city", city, province, city, False))
    for name, province in PROVINCE_DIRECT.items():
        # 省直辖县级行政区划 (仙桃市, 济源市) stand where a prefecture-level city would.
        add(name, Place("city", name, province, name, True))
    for county, cities in COUNTY_CITIES.items():
        for city in cities:
            add(county, Place("county", county, CITY_PROVINCE[city], city, True))
    return {k: tuple(v) for k, v in index.items()}


_INDEX = _build_index()
_MAX_NAME_LEN = max(map(len, _INDEX))


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    places: tuple[Place, ...]


def mentions(text: str) -> list[_Mention]:
    """Place names in white-space-free text, leftmost-longest first (长沙县 before 长沙)."""
    out: list[_Mention] = []
    i, n = 0, len(text)
    while i < n:
        for length in range(min(_MAX_NAME_LEN, n - i), 1, -1):
            places = _INDEX.get(text[i : i + length])
            if places is None:
                continue
            free = length >= MIN_FREE_COUNTY_LEN or any(p.level != "county" for p in places)
            if free or i == 0 or (out and out[-1].end == i):
                out.append(_Mention(i, i + length, places))
                i += length
                break
        else:
            i += 1
    return out


def _first(values):
    return next(iter(values), None)


def locate(text: str | None) -> tuple[str | None, str | None, str | None]:
    """(province, city, district) named in a unit name or title such as 深圳市龙岗区卫生健康局.

    A county name found in several places (普陀区: 上海 and 舟山) takes the reading consistent
    with the province or city also named; with nothing to choose by, city and province stay None.
    """
    if not text:
        return None, None, None
    found = mentions(_WS.sub("", simplified(text)))  # 貴州省 is 贵州省
    by_strength = sorted(found, key=lambda m: not any(p.strong for p in m.places))
    provinces = [p for m in by_strength for p in m.places if p.level == "province"]
    # A short form that names a province (吉林, 海南) is read as the province only.
    cities = [
        p
        for m in by_strength
        for p in m.places
        if p.level == "city" and (p.strong or all(q.level != "province" for q in m.places))
    ]
    province = _first(p.province for p in provinces)
    city = _first(c.city for c in cities if province is None or c.province == province)
    if province is None and city:
        province = CITY_PROVINCE.get(city) or PROVINCE_DIRECT.get(city)
    if city is None and province in MUNICIPALITIES:
        city = province
    district = None
    for m in found:
        readings = [p for p in m.places if p.level == "county"]
        if not readings:
            continue
        if city:
            readings = [p for p in readings if p.city == city]
        elif province:
            readings = [p for p in readings if p.province == province]
        if not readings:
            continue  # a county of another city: not this unit's district
        district = readings[0].name
        if len({p.city for p in readings}) == 1:
            city = city or readings[0].city
            province = province or readings[0].province
        break
    return province, city, district


def region_of(province: str | None, city: str | None) -> str | None:
    """The dashboard grouping: city for 深圳 and 上海 (and peers), province otherwise."""
    if city and (city in MUNICIPALITIES or city in SEPARATE_PLAN_CITIES):
        return short(city)
    if province:
        return short(province)
    return short(city)
